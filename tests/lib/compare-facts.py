#!/usr/bin/env python3
"""compare-facts.py ANSIBLE.json TEND.json: the facts issue 14 names, as
ansible-playbook's setup and tend gathered them on one host, key by key.

Exact: every key below, except what changes between two gatherings a few
seconds apart (date_time's clock fields: the same keys, the same zone,
epochs within 5 minutes; memfree) and what Ansible's own process adds to
the environment (env: the login's variables are compared). Interfaces are
compared as a set (Ansible lists them in directory order). Exit 1 with
every difference printed.
"""
import json
import sys

EXACT = [
    "service_mgr", "pkg_mgr", "default_ipv4", "os_family", "distribution",
    "distribution_version", "distribution_major_version",
    "distribution_release", "python", "python_version", "hostname",
    "nodename", "fqdn", "domain", "architecture", "machine", "system",
    "kernel", "kernel_version", "memtotal_mb", "processor_vcpus",
    "processor_count", "processor_cores", "all_ipv4_addresses",
    "user_id", "user_uid", "user_gid", "user_dir", "user_shell",
    "user_gecos",
]
ENV = ["HOME", "USER", "LOGNAME", "SHELL", "PATH", "MAIL"]


def main():
    a = json.load(open(sys.argv[1]))
    t = json.load(open(sys.argv[2]))
    extra = sys.argv[3].split(",") if len(sys.argv) > 3 else []
    bad = []

    def check(key, av, tv):
        if av != tv:
            bad.append("%s:\n  ansible: %s\n  tend:    %s"
                       % (key, json.dumps(av, sort_keys=True),
                          json.dumps(tv, sort_keys=True)))

    for k in EXACT + extra:
        check(k, a.get(k, "<missing>"), t.get(k, "<missing>"))
    check("interfaces", sorted(a.get("interfaces", [])),
          sorted(t.get("interfaces", [])))
    ae, te = a.get("env", {}), t.get("env", {})
    for k in ENV:
        check("env." + k, ae.get(k, "<missing>"), te.get(k, "<missing>"))
    ad, td = a.get("date_time", {}), t.get("date_time", {})
    check("date_time keys", sorted(ad), sorted(td))
    for k in ("tz", "tz_dst", "tz_offset"):
        check("date_time." + k, ad.get(k), td.get(k))
    if abs(int(ad.get("epoch", 0)) - int(td.get("epoch", 0))) > 300:
        check("date_time.epoch (5 min)", ad.get("epoch"), td.get("epoch"))
    for k in ("iso8601_basic", "iso8601_micro"):
        if len(ad.get(k, "")) != len(td.get(k, "")):
            check("date_time." + k + " form", ad.get(k), td.get(k))
    print("compared %d facts" % (len(EXACT) + len(extra) + len(ENV) + 6))
    if bad:
        print("\n".join(bad))
        sys.exit(1)


main()

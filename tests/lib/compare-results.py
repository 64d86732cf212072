#!/usr/bin/python3
"""Compare what ansible-playbook and tend report for the same playbook.

usage: compare-results.py ANSIBLE_JSON TEND_JSON [VAR...]

ANSIBLE_JSON is ansible-playbook's output with ANSIBLE_STDOUT_CALLBACK=json,
TEND_JSON is `tend apply --format json` (docs/plan-format.md). Checks, per
host and in order: the (task name, loop index, status) of every task and
loop item, with status one of ok, changed, failed, skipped, unreachable;
the number of changed tasks (a loop counts once, as in Ansible's recap);
and, for each VAR, what a `debug: { var: VAR }` task printed: the fields of
a command result (and of each item of a registered loop). Prints every
difference and exits 1 if there was one.
"""
import json
import sys

RESULT_KEYS = ("rc", "stdout", "stderr", "stdout_lines", "stderr_lines",
               "changed", "failed", "cmd")


def ansible_status(r):
    if r.get("unreachable"):
        return "unreachable"
    if r.get("failed"):
        return "failed"
    if r.get("skipped"):
        return "skipped"
    return "changed" if r.get("changed") else "ok"


def load_ansible(path):
    d = json.load(open(path))
    rows, debug = {}, {}
    for play in d["plays"]:
        for t in play["tasks"]:
            name = t["task"]["name"]
            for host, r in t["hosts"].items():
                rows.setdefault(host, [])
                if isinstance(r.get("results"), list):
                    for i, item in enumerate(r["results"]):
                        rows[host].append((name, i, ansible_status(item)))
                else:
                    rows[host].append((name, None, ansible_status(r)))
                for k, v in r.items():
                    debug[(host, k)] = v
    changed = {h: s["changed"] for h, s in d["stats"].items()}
    return rows, changed, debug


def load_tend(path):
    # NEEDSWORK: tend writes the bytes of a diff into its JSON as they are,
    # so a file that is not UTF-8 (and has no NUL) makes the document
    # invalid UTF-8; read it leniently until that is decided.
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        d = json.load(f)
    rows, changed, debug = {}, {}, {}
    for h in d["hosts"]:
        host, seen, index = h["host"], {}, {}
        rows[host] = []
        for t in h["tasks"]:
            key = (t["task"], t.get("line"))  # facts have no line
            if t["item"] is None:
                i = None
            else:
                i = index[key] = index.get(key, -1) + 1
            rows[host].append((t["task"], i, t["status"]))
            # a loop task is changed if one of its items is; a failure
            # ignored counts too when its result says changed (as in
            # Ansible's recap: get_url's checksum mismatch)
            res = t.get("result")
            ch = t["status"] == "changed" or (
                t.get("ignored") and isinstance(res, dict) and
                res.get("changed") is True)
            seen[key] = seen.get(key, False) or bool(ch)
            if t["module"] == "debug" and t["msg"] and ": " in t["msg"]:
                var, _, value = t["msg"].partition(": ")
                try:
                    debug[(host, var)] = json.loads(value)
                except ValueError:
                    debug[(host, var)] = value
        changed[host] = sum(seen.values())
    return rows, changed, debug


def pick(r):
    if not isinstance(r, dict):
        return r
    out = {k: r.get(k, False if k in ("changed", "failed") else None)
           for k in RESULT_KEYS}
    if isinstance(r.get("results"), list):
        out["results"] = [dict(pick(x), item=x.get("item"))
                          for x in r["results"]]
    return out


def main():
    a_rows, a_changed, a_debug = load_ansible(sys.argv[1])
    t_rows, t_changed, t_debug = load_tend(sys.argv[2])
    bad = 0
    for host in sorted(set(a_rows) | set(t_rows)):
        a, t = a_rows.get(host, []), t_rows.get(host, [])
        if a != t:
            bad = 1
            print("%s: task statuses differ (ansible | tend):" % host)
            for n in range(max(len(a), len(t))):
                x = a[n] if n < len(a) else None
                y = t[n] if n < len(t) else None
                print("  %s %s | %s" % ("  " if x == y else "!!", x, y))
        if a_changed.get(host) != t_changed.get(host):
            bad = 1
            print("%s: ansible changed=%s, tend changed=%s" %
                  (host, a_changed.get(host), t_changed.get(host)))
        for var in sys.argv[3:]:
            x = a_debug.get((host, var))
            y = t_debug.get((host, var))
            if x is None or y is None or pick(x) != pick(y):
                bad = 1
                print("%s: registered %s differs" % (host, var))
                print("  ansible: %.2000r" % (pick(x),))
                print("  tend:    %.2000r" % (pick(y),))
    sys.exit(bad)


main()

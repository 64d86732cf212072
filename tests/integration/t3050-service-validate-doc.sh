#!/bin/sh
# service, systemd and systemd_service without a host: `tend validate`
# refuses, by name and at file:line:column, what they do not support
# (scope user/global, Ansible's service args pattern/runlevel/
# arguments, a service manager other than systemd/sysvinit, a glob in
# name, state/enabled/masked without name, a bad state); `tend modules`
# lists the three and `tend doc` shows their arguments, returns and an
# example. (Their runs on real hosts: t4020.)
. "$(dirname "$0")/../lib/lib-test.sh"

cat >"$T/bad.yml" <<'YML'
- hosts: all
  gather_facts: no
  tasks:
    - systemd: { name: foo, scope: user, state: started }
    - systemd_service: { name: foo, scope: global, enabled: yes }
    - systemd: { state: started }
    - systemd: { masked: yes }
    - systemd: { name: "foo*", state: started }
    - service: { name: foo, runlevel: 3 }
    - service: { name: foo, pattern: foo }
    - service: { name: foo, use: upstart }
    - systemd_service: { name: foo, state: bogus }
    - service: { state: started }
YML
run_tend 1 validate "$T/bad.yml"
expect_in "$T/err" "bad.yml:4:36: scope=user is not supported"
expect_in "$T/err" "bad.yml:5:44: scope=global is not supported"
expect_in "$T/err" "bad.yml:6:25: missing parameter(s) required by 'state': name"
expect_in "$T/err" "bad.yml:7:26: missing parameter(s) required by 'masked': name"
expect_in "$T/err" "bad.yml:8:24: This module does not currently support using glob patterns, found '*' in service name: foo*"
expect_in "$T/err" "bad.yml:9:29: unsupported parameter 'runlevel' for module 'service'"
expect_in "$T/err" "bad.yml:10:29: unsupported parameter 'pattern' for module 'service'"
expect_in "$T/err" "bad.yml:11:34: value of 'use' must be one of: auto, systemd, sysvinit, got 'upstart'"
expect_in "$T/err" "bad.yml:12:44: value of 'state' must be one of: started, stopped, restarted, reloaded, got 'bogus'"
expect_in "$T/err" "bad.yml:13:7: missing required arguments: name"

# what is fine passes, templated values are checked once rendered
cat >"$T/good.yml" <<'YML'
- hosts: all
  gather_facts: no
  tasks:
    - systemd: { name: nginx, state: started, enabled: yes, daemon_reload: yes, no_block: yes }
    - systemd: { daemon_reload: yes }
    - ansible.builtin.systemd_service: { unit: "{{ u }}", masked: no, scope: "{{ s }}", force: yes }
    - service: { name: nginx, state: reloaded, use: sysvinit }
    - ansible.builtin.service: { service: nginx, enabled: no }
    - service: { name: nginx, state: restarted, sleep: 3 }
YML
run_tend 0 validate "$T/good.yml"

run_tend 0 modules
for m in service systemd systemd_service; do
	grep -q "^ *$m\b" "$T/out" || { cat "$T/out"; fail "tend modules does not list $m"; }
done
run_tend 0 doc systemd
expect_in "$T/out" "daemon_reload (bool) aliases: daemon-reload"
expect_in "$T/out" "status: systemctl show's properties"
expect_in "$T/out" "- systemd:"
run_tend 0 doc systemd_service
expect_in "$T/out" "scope (str)"
run_tend 0 doc service
expect_in "$T/out" "use (str)"
expect_in "$T/out" "choices: auto, systemd, sysvinit"
expect_in "$T/out" "- service:"

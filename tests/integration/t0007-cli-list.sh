#!/bin/sh
# ansible-playbook's --syntax-check, --list-hosts, --list-tasks and
# --list-tags on plan and apply: the same output as ansible-playbook's
# (compared line by line; the hosts of a play, a Python set there, in
# sorted order on both sides), exit 0, and nothing run: the play's hosts
# are not contacted (an unreachable ssh host) and nothing is recorded.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-compare.sh"
cd "$T"
mkdir -p roles/r1/tasks
printf -- '- name: role task\n  debug: {msg: r}\n  tags: [rt]\n- ping:\n' >roles/r1/tasks/main.yml
printf -- '- name: imported one\n  debug: {msg: i}\n' >imported.yml
printf -- '- name: included one\n  debug: {msg: i}\n' >included.yml
printf -- '- hosts: all\n  gather_facts: false\n  tasks:\n    - name: other\n      ping:\n' >other.yml
cat >s.yml <<'YML'
- name: web setup
  hosts: web
  gather_facts: false
  tags: [play1]
  roles:
    - r1
  pre_tasks:
    - name: pre
      debug: {msg: p}
  tasks:
    - name: first task
      debug: {msg: a}
      tags: [t1, common]
    - debug: {msg: b}
    - block:
        - name: in block
          command: echo hi
      rescue:
        - name: rescued
          debug: {msg: x}
      tags: blk
    - import_tasks: imported.yml
    - include_tasks: included.yml
    - name: named include
      include_tasks: included.yml
      tags: inc
  handlers:
    - name: restart
      debug: {msg: r}
- hosts: [db, 'web:!w1']
  gather_facts: false
  tasks:
    - name: db task
      ping:
- import_playbook: other.yml
YML
printf '[web]\nw1\nw2\n[db]\nd1 ansible_host=127.0.0.1 ansible_port=1\n' >inv
norm() {
	python3 -c '
import sys
out, hosts = [], []
for line in open(sys.argv[1]):
    if line.startswith("      ") and "\t" not in line and "TAGS" not in line and sys.argv[2] == "hosts":
        hosts.append(line); continue
    out += sorted(hosts); hosts = []
    out.append(line)
out += sorted(hosts)
sys.stdout.write("".join(out))' "$1" "$2"
}
check() {
	ansible-playbook -i inv "$@" s.yml >"$T/a.raw" 2>"$T/a.err" || { cat "$T/a.err"; fail "ansible-playbook $*"; }
	case "$*" in *list-hosts*) kind=hosts ;; *) kind=other ;; esac
	for cmd in plan apply; do
		run_tend 0 $cmd -i inv "$@" s.yml
		norm "$T/a.raw" $kind >"$T/a.out"
		norm "$T/out" $kind >"$T/t.out"
		diff -u "$T/a.out" "$T/t.out" || fail "tend $cmd $* differs from ansible-playbook"
	done
}
check --syntax-check
check --list-hosts
check --list-hosts --limit 'w2,d1'
check --list-tasks
check --list-tags
check --list-tasks --tags t1,rt
check --list-tasks --list-tags --skip-tags blk
check --list-hosts --list-tasks --list-tags
# the shape itself, so that a change on both sides is seen
expect_in "$T/out" "  play #1 (web): web setup	TAGS: [play1]"
expect_in "$T/out" "      r1 : role task	TAGS: [play1, rt]"
expect_in "$T/out" "    pattern: ['db', 'web:!w1']"
# nothing ran, nothing was recorded: d1 (no sshd on port 1) unreachable otherwise
[ ! -e "$T/state/tend/tend.db" ] || [ "$("$TEND" history --format json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["runs"]))')" = 0 ] \
	|| fail "a listing was recorded as a run"
expect_not_in "$T/err" "unreachable"

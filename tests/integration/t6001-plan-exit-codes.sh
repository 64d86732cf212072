#!/bin/sh
# Exit codes: 0 no changes, 2 changes (--detailed-exitcode), 1 error,
# 3 a host failed; a failing host does not stop the others.
. "$(dirname "$0")/../lib/lib-test.sh"
cat >"$T/pb.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - copy: { content: "v={{ v | default(1) }}\n", dest: "{{ root }}/{{ inventory_hostname }}" }
    - fail: { msg: "bad host" }
      when: inventory_hostname == 'h2'
    - copy: { content: "after\n", dest: "{{ root }}/{{ inventory_hostname }}.after" }
YML
cat >"$T/inv" <<'INI'
[all:vars]
ansible_connection=local
[web]
h1
h2
h3
INI
mkdir "$T/r"
run_tend 2 plan "$T/pb.yml" -i "$T/inv" -e root="$T/r" --detailed-exitcode --limit 'all:!h2'
run_tend 0 plan "$T/pb.yml" -i "$T/inv" -e root="$T/r" --limit 'all:!h2'
run_tend 0 apply "$T/pb.yml" -i "$T/inv" -e root="$T/r" --limit 'web:!h2'
run_tend 0 plan "$T/pb.yml" -i "$T/inv" -e root="$T/r" --detailed-exitcode --limit 'all:!h2'
run_tend 2 plan "$T/pb.yml" -i "$T/inv" -e root="$T/r" -e v=2 --detailed-exitcode --limit h1
expect_in "$T/out" "-v=1"
expect_in "$T/out" "+v=2"
# h2 fails alone: the others finish, exit 3
run_tend 3 apply "$T/pb.yml" -i "$T/inv" -e root="$T/r"
[ -e "$T/r/h1.after" ] && [ -e "$T/r/h3.after" ] || fail "other hosts did not finish"
[ ! -e "$T/r/h2.after" ] || fail "failed host went on"
expect_in "$T/out" "fatal: [h2]"
expect_in "$T/out" "bad host"
# errors: missing playbook, bad option, bad inventory
run_tend 1 plan "$T/nope.yml"
expect_in "$T/err" "nope.yml"
run_tend 1 plan "$T/pb.yml" --bogus
expect_in "$T/err" "unknown option '--bogus'"
# an undefined variable fails the host with its name and the task's place
cat >"$T/undef.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - debug: { msg: "{{ no_such_var }}" }
YML
run_tend 3 plan "$T/undef.yml"
expect_in "$T/out" "'no_such_var' is undefined"
expect_in "$T/out" "undef.yml:4"

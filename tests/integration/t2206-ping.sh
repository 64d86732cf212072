#!/bin/sh
# ping: a host that answers is ok (in a plan too, which connects to ask
# it); one that does not is unreachable, in the plan as in the apply;
# data=crash fails the task as Ansible's module raises.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-sshd.sh"
sshd_start 1 "$T/sshd"
cat >"$T/pb.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - ping:
      register: p
    - copy: {dest: "{{ out }}", content: "{{ p.ping }}"}
      delegate_to: localhost
YML
run_tend 0 apply -i "$T/sshd/inventory" "$T/pb.yml" -e out="$T/answer"
expect_content "$T/answer" 'pong'
run_tend 0 plan -i "$T/sshd/inventory" "$T/pb.yml" -e out="$T/answer"
# a host on a port nobody listens on: unreachable, plan and apply alike
sshd_signal "$T/sshd" h1 KILL
run_tend 3 plan -i "$T/sshd/inventory" "$T/pb.yml" -e out="$T/never"
expect_in "$T/out" "! unreachable ping"
set +e; "$TEND" apply -i "$T/sshd/inventory" "$T/pb.yml" -e out="$T/never" >"$T/out" 2>&1; rc=$?; set -e
[ "$rc" -ne 0 ] || fail "apply to an unreachable host exited 0"
expect_in "$T/out" "unreachable=1"
[ ! -e "$T/never" ] || fail "a task ran after the unreachable ping"
# data=crash fails the task (locally)
cat >"$T/crash.yml" <<'YML'
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - ping: data=crash
YML
set +e; "$TEND" apply "$T/crash.yml" >"$T/out" 2>&1; rc=$?; set -e
[ "$rc" -ne 0 ] || fail "data=crash did not fail"
expect_in "$T/out" "failed=1"

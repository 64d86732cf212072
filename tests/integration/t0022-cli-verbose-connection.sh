#!/bin/sh
# -vvvv: each connection, when a task first opens it, as Ansible's
# connection plugins announce it ("<ADDR> ESTABLISH SSH CONNECTION FOR
# USER: NAME"), then the settings tend resolved for it: port, key files,
# known_hosts, host key checking, timeouts, jump hosts. Once per
# connection, a delegate's too; never below -vvvv, never in the JSON
# output, never a secret (a become password). plan -vvvv too.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-sshd.sh"
sshd_start 1 >/dev/null
P=$(cat "$T/sshd/h1/port")
ME=$(id -un)
cat >"$T/pb.yml" <<'YML'
- hosts: all
  gather_facts: true
  gather_subset: [min]
  vars:
    ansible_become_password: "s3cret-BECOME"
  tasks:
    - name: one
      command: "true"
    - name: two
      command: "true"
    - name: on the controller
      command: "true"
      delegate_to: localhost
YML
run_tend 0 apply -i "$T/sshd/inventory" "$T/pb.yml" -vvvv
expect_in "$T/out" "<127.0.0.1> ESTABLISH SSH CONNECTION FOR USER: $ME"
expect_in "$T/out" "<127.0.0.1> SSH: port $P, key $T/sshd/client_key; known_hosts $T/sshd/known_hosts; host key checking strict; connect timeout 10 s; one persistent shell"
expect_in "$T/out" "<localhost> ESTABLISH LOCAL CONNECTION FOR USER: $ME"
# once each: the facts' event opened the host's, the delegated task the
# controller's, before their status lines
[ "$(grep -c 'ESTABLISH SSH CONNECTION' "$T/out")" = 1 ] || { cat "$T/out"; fail "the SSH connection told more than once"; }
[ "$(grep -c 'ESTABLISH LOCAL CONNECTION' "$T/out")" = 1 ] || fail "the delegate's connection told more than once"
grep -A1 'SSH: port' "$T/out" | grep -q '^ok: \[h1\]' || { cat "$T/out"; fail "the detail is not just before the facts' status line"; }
grep -A1 'ESTABLISH LOCAL' "$T/out" | grep -q '^changed: \[h1 -> localhost\]' || { cat "$T/out"; fail "the delegate's detail is not before its status line"; }
expect_not_in "$T/out" "s3cret-BECOME"
# the plan too, under its host
run_tend 0 plan -i "$T/sshd/inventory" "$T/pb.yml" -vvvv
expect_in "$T/out" "    <127.0.0.1> ESTABLISH SSH CONNECTION FOR USER: $ME"
grep -A1 'SSH: port' "$T/out" | grep -q '^    = ok      Gathering Facts' || { cat "$T/out"; fail "the plan's detail is not above the facts' line"; }
# -vvv and the JSON output: none
run_tend 0 apply -i "$T/sshd/inventory" "$T/pb.yml" -vvv
expect_not_in "$T/out" "ESTABLISH"
run_tend 0 apply -i "$T/sshd/inventory" "$T/pb.yml" -vvvv --format json
expect_not_in "$T/out" "ESTABLISH"
# an unreachable host: what was tried, before the unreachable line
printf 'gone ansible_host=127.0.0.1 ansible_port=1 ansible_user=nobody tend_known_hosts=%s\n' \
	"$T/sshd/known_hosts" >"$T/gone.inv"
run_tend 3 apply -i "$T/gone.inv" "$T/pb.yml" -vvvv
expect_in "$T/out" "<127.0.0.1> ESTABLISH SSH CONNECTION FOR USER: nobody"
expect_in "$T/out" "<127.0.0.1> SSH: port 1, key ssh-agent, then "
grep -A1 'SSH: port 1' "$T/out" | grep -q '^unreachable: \[gone\]' || { cat "$T/out"; fail "the detail is not before the unreachable line"; }

#!/bin/sh
# Plans you can trust, on real sshd hosts: a block whose command fails
# and whose rescue recovers plans clean after the apply (exit 0 with
# --detailed-exitcode); what follows an unknown task in such a block is
# unknown and says on what, the rescue is planned as what runs if it
# fails; check_mode: false queries run in the plan and make the tasks that
# use their result known; check_mode: true makes the apply only check; a
# command with changed_when: false is ok; unknown is no change unless
# --unknown-is-change; a plan of commands connects (a host that is down is
# exit 3); a --limit that matches nothing is exit 1; a play that matches
# nothing is skipped with a warning; the JSON plan says which hosts drift.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-sshd.sh"
sshd_start 2 "$T/sshd"
INV=$T/sshd/inventory
R="$T/tgt/{{ inventory_hostname }}"

cat >"$T/pb.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - file: {path: "{{ root }}", state: directory}
    - name: recover from a command that fails
      block:
        - name: fails
          command: /bin/false
        - name: never reached
          file: {path: "{{ root }}/-never %s", state: touch}
      rescue:
        - name: recovered
          copy: {dest: "{{ root }}/rescued", content: "r\n"}
    - name: read the host name
      command: cat /etc/hostname
      register: hn
      changed_when: false
      check_mode: false
    - name: a file named after it
      copy: {dest: "{{ root }}/host", content: "{{ hn.stdout }}\n"}
    - name: a query that is not run in a plan
      command: "echo '{{ '{{' }} x }}'"
      register: q
      changed_when: false
    - name: uses the query
      copy: {dest: "{{ root }}/q", content: "{{ q.stdout }}\n"}
    - name: only checks, even in an apply
      copy: {dest: "{{ root }}/checked", content: "c\n"}
      check_mode: true
YML

# the first plan: the rescue and what the block does are said, and the
# query's user is unknown, naming it
run_tend 2 plan "$T/pb.yml" -i "$INV" -e root="$R" --detailed-exitcode
expect_in "$T/out" "runs only if 'fails' ($T/pb.yml:7) succeeds"
expect_in "$T/out" "runs only if 'fails' ($T/pb.yml:7) fails"
expect_in "$T/out" "depends on 'a query that is not run in a plan' ("
[ ! -e "$T/tgt/h1/host" ] || fail "the plan wrote a file"
# the check_mode: false query ran in the plan: its result is known
hn=$(cat /etc/hostname)
expect_in "$T/out" "+$hn"

run_tend 0 apply "$T/pb.yml" -i "$INV" -e root="$R"
for h in h1 h2; do
	expect_content "$T/tgt/$h/rescued" "r
"
	expect_content "$T/tgt/$h/host" "$hn
"
	expect_content "$T/tgt/$h/q" "{{ x }}
"
	[ ! -e "$T/tgt/$h/checked" ] || fail "check_mode: true wrote on $h"
	[ ! -e "$T/tgt/$h/-never %s" ] || fail "the block went on after its failure on $h"
done

# after the apply the plan is clean on every host: unknown is no change
# (the failing command, the query), and the check_mode: true task is the
# one change (as in Ansible, it reports what it would change)
sed '/only checks, even in an apply/,$d' "$T/pb.yml" >"$T/pb2.yml"
run_tend 0 plan "$T/pb2.yml" -i "$INV" -e root="$R" --detailed-exitcode
run_tend 2 plan "$T/pb2.yml" -i "$INV" -e root="$R" --detailed-exitcode --unknown-is-change
run_tend 0 plan "$T/pb2.yml" -i "$INV" -e root="$R" --format json
for h in h1 h2; do
	[ "$(json_get "$T/out" "[x['drift'] for x in d['hosts'] if x['host'] == '$h'][0]")" = False ] ||
		fail "$h drifts after the apply"
done
# the read-only query is ok, never a change
[ "$(json_get "$T/out" "[t['status'] for t in d['hosts'][0]['tasks'] if t['task'] == 'a query that is not run in a plan'][0]")" = ok ] ||
	fail "a command with changed_when: false is not ok in the plan"

# one host drifts: only it says so
printf 'other\n' >"$T/tgt/h2/host"
run_tend 2 plan "$T/pb2.yml" -i "$INV" -e root="$R" --detailed-exitcode --format json
[ "$(json_get "$T/out" "[x['drift'] for x in d['hosts'] if x['host'] == 'h1'][0]")" = False ] || fail "h1 drifts"
[ "$(json_get "$T/out" "[x['drift_tasks'][0]['task'] for x in d['hosts'] if x['host'] == 'h2'][0]")" = "a file named after it" ] ||
	fail "h2's drift does not name its task"

# a plan of commands connects: a host that is down is exit 3
cat >"$T/cmds.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - command: uptime
YML
run_tend 0 plan "$T/cmds.yml" -i "$INV" --detailed-exitcode
sshd_signal "$T/sshd" h2 KILL
run_tend 3 plan "$T/cmds.yml" -i "$INV" --detailed-exitcode
expect_in "$T/out" "unreachable connect"

# nothing to target
run_tend 1 plan "$T/cmds.yml" -i "$INV" -l nosuch
expect_in "$T/err" "--limit 'nosuch' matches no host"
cat >"$T/nomatch.yml" <<'YML'
- hosts: nosuch
  tasks: [{debug: {msg: x}}]
- hosts: h1
  gather_facts: false
  tasks: [{debug: {msg: y}}]
YML
run_tend 0 plan "$T/nomatch.yml" -i "$INV"
expect_in "$T/err" "hosts pattern 'nosuch' matches no host"
expect_in "$T/out" "h1"

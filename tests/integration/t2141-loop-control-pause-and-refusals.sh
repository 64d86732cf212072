#!/bin/sh
# loop_control.pause waits between items when applying, never in a plan;
# with_<NAME> for a lookup tend lacks, and bad loop_control values, are
# refused by name when the playbook loads, before any host is touched.
. "$(dirname "$0")/../lib/lib-test.sh"
printf 'localhost ansible_connection=local\n' >"$T/hosts"
cat >"$T/pause.yml" <<EOF
- hosts: all
  gather_facts: false
  tasks:
    - name: stamp
      shell: date +%s.%N >>$T/stamps
      loop: [1, 2, 3]
      loop_control: { pause: 0.6 }
EOF
# a plan does not wait (and changes nothing)
start=$(date +%s%N)
run_tend 2 plan --detailed-exitcode --unknown-is-change -i "$T/hosts" "$T/pause.yml"
took=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$took" -lt 1000 ] || fail "the plan took ${took}ms: it paused between items"
[ ! -e "$T/stamps" ] || fail "the plan ran the command"
# apply waits 0.6 s between items, not before the first
run_tend 0 apply -i "$T/hosts" "$T/pause.yml"
[ "$(wc -l <"$T/stamps")" = 3 ] || fail "expected 3 items run"
python3 - "$T/stamps" <<'EOF' || fail "pause not honoured between items"
import sys
t = [float(l) for l in open(sys.argv[1])]
gaps = [b - a for a, b in zip(t, t[1:])]
print("gaps", gaps)
assert all(0.55 <= g < 2.0 for g in gaps), gaps
EOF

# refused at load time, with file:line:col, by `tend validate` too
cat >"$T/bad.yml" <<'EOF'
- hosts: all
  gather_facts: false
  tasks:
    - debug: { msg: "{{ item }}" }
      with_nosuch: [a]
    - debug: { msg: "{{ item }}" }
      with_inventory_hostnames: all
    - debug: { msg: "{{ item }}" }
      loop: [a]
      loop_control: { pause: -1 }
    - debug: { msg: "{{ item }}" }
      loop: [a]
      loop_control: { extended: maybe }
    - debug: { msg: "{{ item }}" }
      loop: [a]
      loop_control: { paws: 1 }
    - debug: { msg: "{{ item }}" }
      with_sequence: count=2
      with_nested: [[a]]
EOF
run_tend 1 validate "$T/bad.yml"
expect_in "$T/err" "bad.yml:5:7: 'with_nosuch': lookup plugin 'nosuch' not found"
expect_in "$T/err" "bad.yml:7:7: 'with_inventory_hostnames': lookup plugin 'inventory_hostnames' is not supported yet"
expect_in "$T/err" "bad.yml:10:30: expected seconds (a number of 0 or more) for 'pause'"
expect_in "$T/err" "bad.yml:13:33: expected a bool for 'extended', got 'maybe'"
expect_in "$T/err" "unknown loop_control key 'paws' (did you mean 'pause'?)"
expect_in "$T/err" "only one loop keyword per task"
# an unknown lookup or option inside a template is refused before anything
# runs (validate parses every template), naming it with file:line:col
cat >"$T/tpl.yml" <<'EOF'
- hosts: all
  gather_facts: false
  tasks:
    - debug: { msg: "{{ lookup('nosuch', 'x') }}" }
      ignore_errors: true
    - debug: { msg: "{{ lookup('file', 'x', bogus=1) }}" }
EOF
run_tend 1 apply -i "$T/hosts" "$T/tpl.yml"
expect_in "$T/err" "tpl.yml:4:21: template error in '{{ lookup('nosuch', 'x') }}': line 1, column 11: lookup plugin 'nosuch' not found"
expect_in "$T/err" "tpl.yml:6:21: template error in '{{ lookup('file', 'x', bogus=1) }}': line 1, column 30: lookup('file'): option 'bogus' is not supported"
run_tend 1 validate "$T/tpl.yml"
expect_in "$T/err" "lookup plugin 'nosuch' not found"
# errors='warn': the task goes on with None, the failure on stderr
cat >"$T/warn.yml" <<'EOF'
- hosts: all
  gather_facts: false
  tasks:
    - debug: { msg: "got {{ lookup('pipe', 'exit 4', errors='warn') is none }}" }
    - debug: { msg: "quiet {{ query('pipe', 'exit 5', errors='ignore') }}" }
    - debug: { msg: "hidden {{ lookup('pipe', 'exit 6 #' + lookup('password', '/dev/null'), errors='warn') is none }}" }
EOF
run_tend 0 apply -i "$T/hosts" "$T/warn.yml"
expect_in "$T/out" "got True"
expect_in "$T/out" "quiet []"
expect_in "$T/err" "[WARNING]: Lookup failed but the error is being ignored: lookup_plugin.pipe(exit 4) returned 4"
expect_not_in "$T/err" "exit 5"
# a command built from a secret (a password) is not quoted
expect_in "$T/err" "[WARNING]: Lookup failed but the error is being ignored: (the message is hidden: it may quote a secret)"
expect_not_in "$T/err" "exit 6"

#!/bin/sh
# ignore_unreachable, as ansible-playbook 2.14 runs it, against a real SSH
# host whose sshd was stopped: with it (play or task) the host is not
# counted unreachable (ok and ignored instead), its registered result says
# unreachable: true, and it goes on to the next task and play; without
# it the host is unreachable (exit 3) and left out of the later plays.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-sshd.sh"
sshd_start 2 "$T/sshd"
sshd_signal "$T/sshd" h2 KILL
mkdir -p "$T/res"
cat >"$T/pb.yml" <<'YML'
- hosts: all
  gather_facts: false
  ignore_unreachable: true
  tasks:
    - command: echo hi
      register: r
    - copy:
        dest: "{{ out }}/{{ inventory_hostname }}-r"
        content: "{{ r.unreachable | default('reached') }} {{ r.changed }}"
      delegate_to: localhost
- hosts: all
  gather_facts: false
  tasks:
    - command: echo two
      ignore_unreachable: "{{ 'yes' }}"
    - copy: {dest: "{{ out }}/{{ inventory_hostname }}-2", content: "2"}
      delegate_to: localhost
YML
run_tend 0 apply -i "$T/sshd/inventory" "$T/pb.yml" -e out="$T/res" --format json
expect_content "$T/res/h1-r" "reached True"
expect_content "$T/res/h2-r" "True False"
[ -e "$T/res/h2-2" ] || fail "an ignored unreachable host stopped"
h2=$(python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
h = [h for h in d["hosts"] if h["host"] == "h2"][0]
s = h["stats"]
r = h["tasks"][0]["result"]
print(s["ok"], s["unreachable"], s["ignored"], r["unreachable"], r["changed"], "failed" in r)' "$T/out")
[ "$h2" = "4 0 2 True False False" ] || fail "h2 stats/result: $h2"

# without ignore_unreachable: unreachable, exit 3, left out of play 2
sed -e '/ignore_unreachable/d' "$T/pb.yml" >"$T/plain.yml"
rm -f "$T/res"/*
run_tend 3 apply -i "$T/sshd/inventory" "$T/plain.yml" -e out="$T/res"
expect_in "$T/out" "unreachable: [h2]"
expect_in "$T/out" "unreachable=1"
[ ! -e "$T/res/h2-2" ] || fail "an unreachable host ran the next play"
[ -e "$T/res/h1-2" ] || fail "the reachable host did not go on"

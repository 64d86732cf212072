#!/bin/sh
# A host that was unreachable in one play is left out of the later plays
# of the run, as Ansible 2.14 does (ansible_play_hosts drops it,
# ansible_play_hosts_all keeps it); the reachable host goes on, and what it
# registered in the first play is still there in the second. A host that
# ran nothing (a play with no tasks) has no line in the recap.
. "$(dirname "$0")/../lib/lib-test.sh"
cat >"$T/inv" <<EOF2
[all]
c1 ansible_connection=local
u1 ansible_host=127.0.0.1 ansible_port=1 ansible_user=nobody
[idle]
i1 ansible_connection=local
EOF2
cat >"$T/pb.yml" <<'YML'
- hosts: idle
  gather_facts: false
  tasks: []
- hosts: all:!idle
  gather_facts: false
  tasks:
    - command: printf '%s' "-r1 %"
      register: r1
- hosts: all:!idle
  gather_facts: false
  tasks:
    - copy:
        dest: "{{ out }}/{{ inventory_hostname }}"
        content: "{{ r1.stdout }} {{ ansible_play_hosts }} {{ ansible_play_hosts_all }}"
YML
mkdir "$T/o"
run_tend 3 apply -i "$T/inv" "$T/pb.yml" -e out="$T/o" --format json
expect_content "$T/o/c1" "-r1 % ['c1'] ['c1', 'u1']"
[ ! -e "$T/o/u1" ] || fail "the unreachable host ran the second play"
[ "$(json_get "$T/out" "sorted(h['host'] for h in d['hosts'])")" = "['c1', 'u1']" ] ||
	fail "recap hosts: $(json_get "$T/out" "[h['host'] for h in d['hosts']]")"
[ "$(json_get "$T/out" "[h['stats']['unreachable'] for h in d['hosts'] if h['host'] == 'u1'][0]")" = 1 ] ||
	fail "u1's recap"
[ "$(json_get "$T/out" "len([t for h in d['hosts'] if h['host'] == 'u1' for t in h['tasks']])")" = 1 ] ||
	fail "u1 has tasks beyond the one it could not reach"

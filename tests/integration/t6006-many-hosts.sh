#!/bin/sh
# Many hosts in one play, and several plays over overlapping host sets: 40
# local hosts (connection slots grow while earlier hosts use theirs).
. "$(dirname "$0")/../lib/lib-test.sh"
{
	echo "[all:vars]"
	echo "ansible_connection=local"
	echo "[many]"
	i=1; while [ $i -le 40 ]; do echo "m$i"; i=$((i + 1)); done
	echo "[few]"
	echo "m1"; echo "x1"; echo "x2"
} >"$T/inv"
cat >"$T/pb.yml" <<'YML'
- hosts: few
  gather_facts: false
  tasks:
    - copy: { content: "{{ inventory_hostname }}\n", dest: "{{ root }}/few-{{ inventory_hostname }}" }
- hosts: many
  gather_facts: true
  tasks:
    - copy: { content: "{{ inventory_hostname }}\n", dest: "{{ root }}/{{ inventory_hostname }}" }
- hosts: all
  gather_facts: false
  tasks:
    - stat: { path: "{{ root }}/{{ inventory_hostname }}" }
YML
mkdir "$T/r"
run_tend 0 apply "$T/pb.yml" -i "$T/inv" -e root="$T/r" -f 7 --format json
[ "$(json_get "$T/out" "d['summary']['hosts']")" = 42 ] || fail "hosts"
[ "$(ls "$T/r" | wc -l)" = 43 ] || { ls "$T/r"; fail "files"; }
expect_content "$T/r/m40" "m40
"
run_tend 0 plan "$T/pb.yml" -i "$T/inv" -e root="$T/r" -f 20 --detailed-exitcode

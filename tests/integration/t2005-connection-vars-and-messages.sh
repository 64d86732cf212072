#!/bin/sh
# Connection variables are whole numbers in range or a clear error naming
# the variable (atoi took "22x" as port 22); and an applied command's
# event carries no "would have run if not in check mode" (a plan's word).
. "$(dirname "$0")/../lib/lib-test.sh"
cat >"$T/pb.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - command: echo hi
YML
for bad in "ansible_port=22x" "ansible_port=-1" "ansible_port=70000" \
	"ansible_port=99999999999999999999" "ansible_timeout=0" \
	"ansible_timeout=5s" "tend_command_timeout=9999999999"; do
	printf '[h]\nh1 ansible_host=127.0.0.1 %s\n' "$bad" >"$T/inv.ini"
	run_tend 3 plan "$T/pb.yml" -i "$T/inv.ini"
	name=${bad%%=*}
	expect_in "$T/out" "$name must be a whole number from"
	expect_in "$T/out" "got '${bad#*=}'"
done

cat >"$T/local.yml" <<'YML'
- hosts: localhost
  gather_facts: false
  tasks:
    - command: echo hi
YML
run_tend 0 apply "$T/local.yml" --format json
expect_not_in "$T/out" "would have run"
run_tend 0 plan "$T/local.yml" --format json
expect_in "$T/out" "would have run if not in check mode"

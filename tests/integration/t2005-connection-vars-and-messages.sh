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

# JSON output is valid UTF-8 even when a diff or a value holds bytes that
# are not (they are written \udcXX, Python's surrogateescape), so a CI
# job's strict JSON reader does not choke on a binary file's diff
printf 'a\377b\303\251\n' >"$T/bin.src"
cat >"$T/bin.yml" <<YML
- hosts: localhost
  gather_facts: false
  tasks:
    - copy: { src: "$T/bin.src", dest: "$T/bin.dst" }
    - debug: { msg: "{{ x }}" }
YML
strict_json() {
	/usr/bin/python3 -c "import json,sys; d=json.loads(open(sys.argv[1],'rb').read().decode('utf-8')); print(json.dumps(d))" "$1" >"$T/parsed" ||
		{ cat "$1"; fail "$2 is not valid UTF-8 JSON"; }
}
run_tend 0 plan "$T/bin.yml" -e "x=$(printf 'x\377y')" --format json --diff
strict_json "$T/out" "plan --format json"
expect_in "$T/parsed" 'a\udcffb\u00e9'
run_tend 0 apply "$T/bin.yml" -e "x=$(printf 'x\377y')" --format json --diff
strict_json "$T/out" "apply --format json"
expect_in "$T/parsed" 'x\udcffy'
# and a result holding such bytes is still an object, not text
[ "$(json_get "$T/out" "[isinstance(t['result'], dict) and t['result'].get('msg') == 'x' + chr(0xdcff) + 'y' for t in d['hosts'][0]['tasks'] if t['module'] == 'debug']")" = "[True]" ] ||
	fail "the debug result is not an object with its msg: $(cat "$T/out")"
cmp "$T/bin.src" "$T/bin.dst" || fail "the binary copy differs"
run_tend 0 history --format json
id=$(json_get "$T/out" "d['runs'][0]['id']")
run_tend 0 show "$id" --format json
strict_json "$T/out" "show --format json"
expect_in "$T/out" '"copy"' 

#!/bin/sh
# help, version, modules, doc (every module's says what it returns and
# gives an example, which tend validates as a play's tasks), and usage
# errors.
. "$(dirname "$0")/../lib/lib-test.sh"
run_tend 0 version
expect_in "$T/out" "tend "
run_tend 0 help
expect_in "$T/out" "plan"
expect_in "$T/out" "apply"
run_tend 0 help plan
expect_in "$T/out" "--detailed-exitcode"
run_tend 0 modules
for m in command shell copy file template lineinfile blockinfile stat debug assert set_fact fail; do
	grep -q "^$m " "$T/out" || fail "module $m not listed"
done
run_tend 0 doc copy
expect_in "$T/out" "dest (path, required)"
expect_in "$T/out" "checksum: SHA-1 of the content"
"$TEND" modules >"$T/modules"
while read -r m _; do
	run_tend 0 doc "$m"
	grep -q '^returns:$' "$T/out" || fail "tend doc $m: no returns"
	grep -q '^example:$' "$T/out" || fail "tend doc $m: no example"
	{
		printf -- '- hosts: all\n  gather_facts: false\n  tasks:\n'
		sed -n '/^example:$/,$p' "$T/out" | sed '1d; s/^  /    /'
	} >"$T/example-$m.yml"
	run_tend 0 validate "$T/example-$m.yml"
done <"$T/modules"
# docs/modules.md is these docs, regenerated when a module's table changes
sh "$TOP/scripts/module-reference.sh" "$TEND" >"$T/modules.md"
diff -u "$TOP/docs/modules.md" "$T/modules.md" ||
	fail "docs/modules.md is stale: sh scripts/module-reference.sh bin/tend >docs/modules.md"
run_tend 1 doc nosuchmodule
expect_in "$T/err" "no module named 'nosuchmodule'"
run_tend 1 frobnicate
expect_in "$T/err" "'frobnicate' is not a tend command"
run_tend 1 plan
expect_in "$T/err" "no playbook given"
run_tend 0 validate "$TOP/playbooks/demo.yml" "$TOP/playbooks/files.yml" "$TOP/playbooks/control.yml"
expect_in "$T/out" "ok: 3 playbooks"

#!/bin/sh
# help, version, modules, doc (every module's says what it returns and
# gives an example, which tend validates as a play's tasks), the keyword
# reference, and usage errors.
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
# the play and task keywords, from the loader's tables
run_tend 0 help keywords
expect_in "$T/out" "  serial               hosts per batch"
expect_in "$T/out" "  async                seconds the module may run, as an async job (0: not async)"
# docs/modules.md and keywords.md are these, regenerated when a table changes
for r in modules keywords; do
	sh "$TOP/scripts/reference.sh" "$TEND" $r >"$T/$r.md"
	diff -u "$TOP/docs/$r.md" "$T/$r.md" ||
		fail "docs/$r.md is stale: sh scripts/reference.sh bin/tend $r >docs/$r.md"
done
run_tend 1 doc nosuchmodule
expect_in "$T/err" "no module named 'nosuchmodule'"
run_tend 1 frobnicate
expect_in "$T/err" "'frobnicate' is not a tend command"
run_tend 1 plan
expect_in "$T/err" "no playbook given"
run_tend 0 validate "$TOP/playbooks/demo.yml" "$TOP/playbooks/files.yml" "$TOP/playbooks/control.yml"
expect_in "$T/out" "ok: 3 playbooks"

#!/bin/sh
# help, version, modules, doc, and usage errors.
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
run_tend 1 doc nosuchmodule
expect_in "$T/err" "no module named 'nosuchmodule'"
run_tend 1 frobnicate
expect_in "$T/err" "'frobnicate' is not a tend command"
run_tend 1 plan
expect_in "$T/err" "no playbook given"
run_tend 0 validate "$TOP/playbooks/demo.yml" "$TOP/playbooks/files.yml" "$TOP/playbooks/control.yml"
expect_in "$T/out" "ok: 3 playbooks"

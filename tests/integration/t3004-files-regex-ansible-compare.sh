#!/bin/sh
# Python regexes through ansible-playbook and through tend: the regex
# filters and tests (rendered by a template, one result a line),
# lineinfile and blockinfile regexps (bytes patterns searched in each line
# with its newline, (?m) searched in the whole file) and a ~regex host
# pattern must leave identical files (fixture tests/fixtures/regex-compare).
. "$(dirname "$0")/../lib/lib-test.sh"
command -v ansible-playbook >/dev/null || fail "ansible-playbook is not installed (make test-deps)"
F=$TOP/tests/fixtures/regex-compare
cp -r "$F" "$T/pb"
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCALHOST_WARNING=0 \
	ANSIBLE_HOME="$T/ansible-home" ANSIBLE_LOCAL_TEMP="$T/ansible-tmp"
ansible-playbook -i "$T/pb/inventory.ini" "$T/pb/regex.yml" \
	-e root="$T/ansible" >"$T/ansible.log" 2>&1 ||
	{ cat "$T/ansible.log"; fail "ansible-playbook failed"; }
run_tend 0 apply "$T/pb/regex.yml" -i "$T/pb/inventory.ini" -e root="$T/tend"
snapshot "$T/ansible" >"$T/a.snap"
snapshot "$T/tend" >"$T/t.snap"
if ! cmp -s "$T/a.snap" "$T/t.snap"; then
	diff -u "$T/a.snap" "$T/t.snap" || true
	for f in $(cd "$T/ansible" && find . -type f); do
		cmp -s "$T/ansible/$f" "$T/tend/$f" || { echo "== $f"; diff -u "$T/ansible/$f" "$T/tend/$f" || true; }
	done
	fail "tend and ansible-playbook left different trees"
fi
# the files are not empty by accident: spot-check a few answers
expect_in "$T/tend/filters" "lazy=key"
expect_in "$T/tend/filters" "lookahead=foobar Xbaz"
expect_in "$T/tend/lif" "key is a=b"
expect_content "$T/tend/hostpattern" "local1
"
a_changed=$(sed -n 's/.*changed=\([0-9]*\).*/\1/p' "$T/ansible.log")
t_changed=$(sed -n 's/.*changed=\([0-9]*\).*/\1/p' "$T/out")
[ -n "$a_changed" ] && [ "$a_changed" = "$t_changed" ] ||
	{ cat "$T/ansible.log" "$T/out"; fail "ansible changed=$a_changed, tend changed=$t_changed"; }

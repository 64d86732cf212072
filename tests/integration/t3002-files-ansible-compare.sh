#!/bin/sh
# The same playbook and inventory through ansible-playbook and through tend:
# file contents, modes and links must be identical (lineinfile, blockinfile,
# modes, templates and variable precedence, with Ansible as the reference).
. "$(dirname "$0")/../lib/lib-test.sh"
command -v ansible-playbook >/dev/null || fail "ansible-playbook is not installed (make test-deps)"
F=$TOP/tests/fixtures/compare
cp -r "$F" "$T/pb"
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCALHOST_WARNING=0 \
	ANSIBLE_HOME="$T/ansible-home" ANSIBLE_LOCAL_TEMP="$T/ansible-tmp"
ansible-playbook -i "$T/pb/inventory.ini" "$T/pb/compare.yml" \
	-e root="$T/ansible" -e extra_var=cli >"$T/ansible.log" 2>&1 ||
	{ cat "$T/ansible.log"; fail "ansible-playbook failed"; }
run_tend 0 apply "$T/pb/compare.yml" -i "$T/pb/inventory.ini" \
	-e root="$T/tend" -e extra_var=cli
snapshot "$T/ansible" >"$T/a.snap"
snapshot "$T/tend" >"$T/t.snap"
if ! cmp -s "$T/a.snap" "$T/t.snap"; then
	diff -u "$T/a.snap" "$T/t.snap" || true
	for f in $(cd "$T/ansible" && find . -type f); do
		cmp -s "$T/ansible/$f" "$T/tend/$f" || { echo "== $f"; diff -u "$T/ansible/$f" "$T/tend/$f" || true; }
	done
	fail "tend and ansible-playbook left different trees"
fi
# a second run of each: the trees still match, and both tools report the
# same number of changed tasks (this playbook is not idempotent on purpose:
# a copy and lineinfile edit the same file, so both tools change it again)
ansible-playbook -i "$T/pb/inventory.ini" "$T/pb/compare.yml" \
	-e root="$T/ansible" -e extra_var=cli >"$T/ansible2.log" 2>&1 ||
	{ cat "$T/ansible2.log"; fail "ansible-playbook failed (second run)"; }
run_tend 0 apply "$T/pb/compare.yml" -i "$T/pb/inventory.ini" \
	-e root="$T/tend" -e extra_var=cli
snapshot "$T/ansible" >"$T/a.snap"
snapshot "$T/tend" >"$T/t.snap"
cmp -s "$T/a.snap" "$T/t.snap" || { diff -u "$T/a.snap" "$T/t.snap"; fail "trees differ after a second run"; }
a_changed=$(sed -n 's/.*changed=\([0-9]*\).*/\1/p' "$T/ansible2.log")
t_changed=$(sed -n 's/.*changed=\([0-9]*\).*/\1/p' "$T/out")
[ -n "$a_changed" ] && [ "$a_changed" = "$t_changed" ] ||
	{ cat "$T/ansible2.log" "$T/out"; fail "ansible changed=$a_changed, tend changed=$t_changed"; }

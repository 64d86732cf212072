#!/bin/sh
# Backslashes in the string literals of a playbook's {{ }} are text, as
# Ansible makes them (it doubles them before Jinja reads the string):
# '\n' is two characters there, regex_replace('\\', '/') matches one
# backslash, '(\d)' and '\1' reach the regex as written; inside {% %},
# in when: and in template files Python's escapes still apply. The files
# written are compared with ansible-playbook's.
. "$(dirname "$0")/../lib/lib-test.sh"
command -v ansible-playbook >/dev/null || fail "ansible-playbook is not installed (make test-deps)"
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCALHOST_WARNING=0 \
	ANSIBLE_HOME="$T/ansible-home" ANSIBLE_LOCAL_TEMP="$T/ansible-tmp"
pb=$TOP/tests/fixtures/backslashes/site.yml
mkdir -p "$T/ansible" "$T/tend"
ansible-playbook -i localhost, -c local "$pb" -e root="$T/ansible" >"$T/ansible.log" 2>&1 ||
	{ cat "$T/ansible.log"; fail "ansible-playbook failed"; }
run_tend 0 apply "$pb" -e root="$T/tend"
expect_in "$T/out" "changed=1"
cmp -s "$T/ansible/x" "$T/tend/x" || { diff -u "$T/ansible/x" "$T/tend/x"; fail "tend and ansible-playbook wrote different files"; }
expect_in "$T/tend/x" '4 5 4 4 5'
expect_in "$T/tend/x" 'ab<1> a-b a.b/c a\\b'
expect_in "$T/tend/x" '3 three'
# an escape Python would refuse ('\x' without two hex digits) is text too,
# also for validate (it used to parse the literal with Python's escapes)
expect_in "$T/tend/x" 'x\x41 7 y\x'
run_tend 0 validate "$pb"

#!/bin/sh
# One truth rule per context (runner/truth.c), the same as Ansible's:
# ignore_errors: off / "no" / "0" / "false" do NOT ignore a failure and
# "{{ 'yes' }}" does (boolean(), strict); `when: x` is Python truth, so
# x = "no" runs; `when: "{{ x }}"` evaluates the string again, so
# x = "False" skips; the bool filter is to_bool(). Every case leaves a
# file named after what happened, and ansible-playbook must leave the same.
. "$(dirname "$0")/../lib/lib-test.sh"
command -v ansible-playbook >/dev/null || fail "ansible-playbook is not installed (make test-deps)"
pb=$TOP/tests/fixtures/truth/truthiness.yml
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCALHOST_WARNING=0 \
	ANSIBLE_HOME="$T/ansible-home" ANSIBLE_LOCAL_TEMP="$T/ansible-tmp"
mkdir -p "$T/ansible" "$T/tend"
ansible-playbook -i localhost, -c local "$pb" -e root="$T/ansible" >"$T/ansible.log" 2>&1 ||
	{ cat "$T/ansible.log"; fail "ansible-playbook failed"; }
run_tend 0 apply "$pb" -e root="$T/tend"
listing() {
	(cd "$1" && for f in *; do printf '%s %s\n' "$f" "$(cat "$f")"; done)
}
listing "$T/ansible" >"$T/a.list"
listing "$T/tend" >"$T/t.list"
cmp -s "$T/a.list" "$T/t.list" ||
	{ diff -u "$T/a.list" "$T/t.list"; fail "tend and ansible-playbook differ"; }
# the cases themselves, so that a change in both cannot pass unseen
for c in off off-str no zero false tmpl-off tmpl-var-no; do
	[ -e "$T/tend/failed-$c" ] || fail "ignore_errors: $c ignored a failure"
	[ ! -e "$T/tend/ignored-$c" ] || fail "ignore_errors: $c ignored a failure"
done
for c in tmpl-yes yes-padded y t one-float; do
	[ -e "$T/tend/ignored-$c" ] || fail "ignore_errors: $c did not ignore"
done
expect_content "$T/tend/when-bare-no" "x"
[ ! -e "$T/tend/when-lone-false" ] || fail "when: \"{{ 'False' }}\" ran"
[ ! -e "$T/tend/when-bool-no" ] || fail "when: \"'no' | bool\" ran"
[ ! -e "$T/tend/when-bool-y" ] || fail "when: \"'y' | bool\" ran"
expect_content "$T/tend/created" "x
"

# Not a boolean: Ansible fails the task and then ignores that failure
# (it tests the raw string); tend fails it and says why. A literal is
# refused before anything runs.
cat >"$T/bad.yml" <<'YML'
- hosts: all
  gather_facts: false
  vars: { v: bogus }
  tasks:
    - command: /bin/false
      ignore_errors: "{{ v }}"
YML
run_tend 3 apply "$T/bad.yml"
expect_in "$T/out" "invalid 'ignore_errors': the value 'bogus' is not a valid boolean"
sed 's/"{{ v }}"/bogus/' "$T/bad.yml" >"$T/bad2.yml"
run_tend 1 validate "$T/bad2.yml"
expect_in "$T/err" "expected a bool for 'ignore_errors', got 'bogus'"

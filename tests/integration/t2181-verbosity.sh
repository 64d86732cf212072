#!/bin/sh
# -v, -vv ...: debug's verbosity threshold and ansible_verbosity compared
# with ansible-playbook at four counts (tests/fixtures/langmods/
# debug-verbosity.yml: not a compat case, as -v puts ansible-playbook's
# own lines before its JSON), and a failed command's rc, stdout and
# stderr, with secrets scrubbed and nothing for no_log.
. "$(dirname "$0")/../lib/lib-test.sh"
command -v ansible-playbook >/dev/null || fail "ansible-playbook is not installed (make test-deps)"
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCALHOST_WARNING=0 \
	ANSIBLE_HOME="$T/ansible-home" ANSIBLE_LOCAL_TEMP="$T/ansible-tmp"
pb="$TOP/tests/fixtures/langmods/debug-verbosity.yml"
for v in none -v -vv -vvv; do
	flag=$v; [ "$v" = none ] && flag=
	mkdir -p "$T/a$v" "$T/t$v"
	printf 'h1 ansible_connection=local root=%s\n' "$T/a$v" >"$T/inv-a"
	printf 'h1 ansible_connection=local root=%s\n' "$T/t$v" >"$T/inv-t"
	ansible-playbook $flag -i "$T/inv-a" "$pb" >"$T/ansible.log" 2>&1 ||
		{ cat "$T/ansible.log"; fail "ansible-playbook $flag failed"; }
	run_tend 0 apply $flag -i "$T/inv-t" "$pb"
	diff -u "$T/a$v/verbosity.txt" "$T/t$v/verbosity.txt" || fail "verbosity.txt differs with '$flag'"
done
expect_in "$T/tnone/verbosity.txt" "two=none skipped=True"
expect_in "$T/t-vv/verbosity.txt" "two=at two skipped=False"
expect_in "$T/t-vv/verbosity.txt" "reason=Verbosity threshold not met."
expect_in "$T/t-vvv/verbosity.txt" "three=at three skipped=False"
# the live output: skipped without -v, printed with -vv
run_tend 0 apply -i "$T/inv-t" "$pb"
expect_not_in "$T/out" "at two"
expect_in "$T/out" "skipped=3"
run_tend 0 apply -vv -i "$T/inv-t" "$pb"
expect_in "$T/out" "at two"
expect_not_in "$T/out" "at three"
expect_in "$T/out" "skipped=1"

# a failed command shows rc, stdout, stderr; a secret is masked
cat >"$T/fail.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - shell: "echo out-line {{ token }}; echo err-line >&2; exit 3"
      ignore_errors: true
    - shell: "echo hidden-out; exit 4"
      no_log: true
      ignore_errors: true
YML
printf 'token: "tok-3391-secret"\n' >"$T/secrets.yml"
# (without -v too, each output's tail: t6025 shows the difference)
for v in "" -v; do
	run_tend 0 apply $v -i "$T/inv-t" "$T/fail.yml" --secrets "$T/secrets.yml"
	expect_in "$T/out" "  rc: 3"
	expect_in "$T/out" "  stdout: out-line ********"
	expect_in "$T/out" "  stderr: err-line"
	expect_not_in "$T/out" "tok-3391-secret"
	expect_not_in "$T/out" "hidden-out"
	expect_not_in "$T/out" "rc: 4"
done
# -vvvv is the most; validate takes no -v
run_tend 0 apply -vvvv -i "$T/inv-t" "$pb"
run_tend 1 validate -v "$pb"
expect_in "$T/err" "unknown option '-v'"

#!/bin/sh
# A secret (--secrets) stays secret once transformed: its b64encode,
# upper, reverse, slice, split, join, regex_replace and title forms never
# reach stdout or stderr (every --format), --diff, loop labels, registered
# results a command echoes back, fail/assert messages, the plan file or
# the state DB (and its WAL), nor the error messages that quote a key or
# an include's file name. The host still gets the real values, and
# `to_json` of a secret dict sends the real JSON.
. "$(dirname "$0")/../lib/lib-test.sh"
S=Zq7xWv-Kp3mNt-Rg9sLh
TOK=Hb4kDy-Wm8qPz
printf 'db_password: "%s"\napi:\n  token: "%s"\n  user: "svc-user"\n' \
	"$S" "$TOK" >"$T/secrets.yml"

# Every derived form, computed here by other tools than tend's (title
# by Jinja itself: its title is not Python's str.title).
jinja() {
	/usr/bin/python3 -c 'import sys, jinja2
print(jinja2.Environment().from_string(sys.argv[1]).render(s=sys.argv[2]))' "$1" "$2"
}
B64=$(printf '%s' "$S" | base64 -w0)
UPPER=$(printf '%s' "$S" | tr a-z A-Z)
REV=$(printf '%s' "$S" | rev)
SLICE=$(printf '%s' "$S" | cut -c3-)
SLICE_REV=$(printf '%s' "$SLICE" | rev)
JOIN=$(printf '%s' "$S" | tr - +)
REGEX=$(printf '%s' "$S" | tr - _)
TITLE=$(jinja '{{ s | title }}' "$S")
LOWER=$(printf '%s' "$S" | tr A-Z a-z)
LOWER_REV=$(printf '%s' "$LOWER" | rev)
B64_UPPER=$(printf '%s' "$B64" | tr a-z A-Z)
TOK_UPPER=$(printf '%s' "$TOK" | tr a-z A-Z)
TOK_REV=$(printf '%s' "$TOK" | rev)
FORMS="$S $B64 $UPPER $REV $SLICE $SLICE_REV $JOIN $REGEX $TITLE $LOWER $LOWER_REV
$B64_UPPER $TOK $TOK_UPPER $TOK_REV Zq7xWv Kp3mNt Rg9sLh"

# no_leak FILE...: no secret nor derived form in any of the files
# (every leak is listed before the test fails)
no_leak() {
	leaks=""
	for f in "$@"; do
		[ -e "$f" ] || continue
		for form in $FORMS; do
			if grep -qaF -- "$form" "$f"; then
				echo "--- '$form' in $f:"
				grep -aF -- "$form" "$f" | head -3
				leaks="$leaks $form"
			fi
		done
	done
	[ -z "$leaks" ] || fail "secret forms leaked:$leaks"
}
# The state DB, its WAL and shared memory: grep the raw files.
no_leak_state() { no_leak $(find "$T/state" -type f); }

cat >"$T/pb.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - debug: { msg: "b64 {{ db_password | b64encode }}" }
    - debug: { msg: "{{ db_password | upper }}" }
    - debug: { msg: "{{ db_password | reverse }}" }
    - debug: { msg: "sliced {{ db_password[2:] }}" }
    - debug: { msg: "{{ db_password | split('-') }}" }
    - debug: { msg: "{{ db_password.split('-') | join('+') }}" }
    - debug: { msg: "{{ db_password | regex_replace('-', '_') }}" }
    - debug: { msg: "t={{ db_password | title }}" }
    - debug: { msg: "{{ api.token | upper }} {{ api['token'] | reverse }}" }
    - debug: { var: db_password | b64encode }
    - copy:
        content: "{{ db_password | upper }}\n{{ db_password | b64encode }}\n"
        dest: "{{ root }}/derived.txt"
    - copy: { content: "{{ api | to_json }}", dest: "{{ root }}/api.json" }
    - command: "echo {{ db_password | b64encode }} {{ db_password | title }}"
      register: r1
    - debug: { var: r1 }
    - copy: { content: "{{ r1.stdout }}\n", dest: "{{ root }}/echoed" }
    - debug: { msg: "{{ item }}" }
      loop: "{{ db_password | split('-') }}"
    - debug: { msg: "item" }
      loop: ["{{ db_password | upper }}"]
      loop_control: { label: "{{ item | lower | reverse }}" }
    - command: "echo {{ item }}"
      loop: "{{ db_password | regex_replace('-', '_') | split('_') }}"
      register: r2
    - debug: { var: r2 }
    - debug: { msg: "{{ r2.results | map(attribute='stdout') | list }}" }
    - set_fact: { derived: "{{ db_password | b64encode | upper }}" }
    - debug: { var: derived }
    - shell: "echo {{ derived }}; echo {{ api.token | reverse }}"
      register: r3
    - debug: { msg: "{{ r3.stdout_lines }}" }
    - fail: { msg: "bad {{ db_password | title }}" }
      ignore_errors: true
    - assert: { that: false, fail_msg: "bad {{ db_password[2:] | reverse }}" }
      ignore_errors: true
YML
mkdir "$T/r"
for fmt in text json markdown junit; do
	run_tend 0 plan "$T/pb.yml" -e root="$T/r" --secrets "$T/secrets.yml" \
		--format $fmt --out "$T/plan.json"
	no_leak "$T/out" "$T/err" "$T/plan.json"
	no_leak_state
done
for fmt in text json markdown junit; do
	rm -rf "$T/r"; mkdir "$T/r"
	run_tend 0 apply "$T/pb.yml" -e root="$T/r" --secrets "$T/secrets.yml" \
		--format $fmt --diff
	no_leak "$T/out" "$T/err"
	no_leak_state
done
# The host got the real values.
expect_content "$T/r/derived.txt" "$UPPER
$B64
"
expect_content "$T/r/api.json" "{\"token\": \"$TOK\", \"user\": \"svc-user\"}"
expect_content "$T/r/echoed" "$B64 $TITLE
"
# A saved plan, applied later: the file and that run keep them too.
run_tend 0 plan "$T/pb.yml" -e root="$T/r" --secrets "$T/secrets.yml" \
	--out "$T/plan2.json"
run_tend 0 apply "$T/plan2.json" --secrets "$T/secrets.yml" --format json
no_leak "$T/out" "$T/err" "$T/plan2.json"
no_leak_state

# The errors that quote a key, or an include's file name.
cat >"$T/err1.yml" <<'YML'
- hosts: all
  gather_facts: false
  vars: { somedict: { a: 1 } }
  tasks:
    - debug: { msg: "{{ somedict[db_password] }}" }
      ignore_errors: true
    - debug: { msg: "{{ somedict[db_password | upper] }}" }
      ignore_errors: true
    - debug: { msg: "{{ somedict[api.token | reverse] }}" }
      ignore_errors: true
    - include_tasks: "{{ db_password | title }}.yml"
YML
for fmt in text json; do
	run_tend 3 apply "$T/err1.yml" --secrets "$T/secrets.yml" --format $fmt
	grep -q "has no attribute" "$T/out" "$T/err" ||
		fail "the missing key is not reported"
	grep -q "cannot include" "$T/out" "$T/err" ||
		fail "the missing include is not reported"
	no_leak "$T/out" "$T/err"
	no_leak_state
done
cat >"$T/err2.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - include_tasks: "{{ db_password }}.yml"
YML
run_tend 3 plan "$T/err2.yml" --secrets "$T/secrets.yml"
grep -q "cannot include" "$T/out" "$T/err" ||
	fail "the missing include is not reported"
no_leak "$T/out" "$T/err"
no_leak_state
# A play's own error (a vars file named by a secret) reaches the CLI.
cat >"$T/err3.yml" <<'YML'
- hosts: all
  gather_facts: false
  vars_files: ["{{ db_password | lower }}.yml"]
  tasks:
    - debug: { msg: hi }
YML
run_tend 1 plan "$T/err3.yml" --secrets "$T/secrets.yml"
expect_in "$T/err" "cannot read"
no_leak "$T/out" "$T/err"

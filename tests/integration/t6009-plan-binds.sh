#!/bin/sh
# A saved plan binds what it runs: editing plan.json's extra_vars, or any
# file the run read (a vars file, an included task file, a copy/template
# src, a lookup('file')) outside the playbook's directory, between plan
# and apply makes apply refuse (exit 4) with an error naming what changed,
# and nothing runs. Secrets in the plan are Argon2id digests with a salt
# per plan (no SHA-256 of a secret); a user's var shaped like a redacted
# secret is just a var; a plan of the old format is refused by name.
. "$(dirname "$0")/../lib/lib-test.sh"
mkdir -p "$T/pb" "$T/shared" "$T/tgt"
printf 'localhost ansible_connection=local\n' >"$T/hosts"
P=$T/plan.json

# edit_plan PYTHON: change the plan file in place (d is the parsed plan)
edit_plan() {
	/usr/bin/python3 - "$P" "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
exec(sys.argv[2])
json.dump(d, open(sys.argv[1], 'w'), indent=1)
PY
}

# nothing_ran: the apply touched no file
nothing_ran() {
	[ "$(ls "$T/tgt")" = "" ] || { ls -l "$T/tgt"; fail "$1: the refused plan ran"; }
}

# (a) extra_vars edited in plan.json: the command's arguments moved
cat >"$T/pb/a.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - name: say
      shell: echo {{ msg }} >{{ root }}/said
YML
run_tend 0 plan "$T/pb/a.yml" -i "$T/hosts" -e msg=hello -e root="$T/tgt" --out "$P"
edit_plan "d['options']['extra_vars']['msg'] = 'pwned'"
run_tend 4 apply "$P"
expect_in "$T/err" "host 'localhost' moved since the plan"
expect_in "$T/err" "task 'say' ($T/pb/a.yml:4): its arguments differ from the plan's"
nothing_ran "edited extra_vars"
# the plan as written applies
run_tend 0 plan "$T/pb/a.yml" -i "$T/hosts" -e msg=hello -e root="$T/tgt" --out "$P"
run_tend 0 apply "$P"
expect_content "$T/tgt/said" "hello
"
rm -f "$T/tgt/said"

# (b) and (c): a file the run read changed between plan and apply
printf 'msg: hello\n' >"$T/shared/vars.yml"
printf -- '- name: included\n  shell: echo one >{{ root }}/inc\n' >"$T/shared/tasks.yml"
printf 'looked up\n' >"$T/shared/lookup.txt"
printf 'src one\n' >"$T/shared/src.txt"
printf 'template {{ msg }}\n' >"$T/shared/tpl.j2"
cat >"$T/pb/c.yml" <<YML
- hosts: all
  gather_facts: false
  vars_files: [ "$T/shared/vars.yml" ]
  tasks:
    - name: vars
      shell: echo {{ msg }} >{{ root }}/vars
    - include_tasks: ../shared/tasks.yml
    - name: lookup
      shell: echo "{{ lookup('file', '$T/shared/lookup.txt') }}" >{{ root }}/lookup
    - name: copy
      copy: { src: "$T/shared/src.txt", dest: "{{ root }}/copied" }
    - name: template
      template: { src: "$T/shared/tpl.j2", dest: "{{ root }}/templated" }
YML
# stale FILE NEW-CONTENT: plan, change FILE, apply is refused naming it
stale() {
	run_tend 0 plan "$T/pb/c.yml" -i "$T/hosts" -e root="$T/tgt" --out "$P"
	cp "$1" "$T/saved"
	printf '%s' "$2" >"$1"
	run_tend 4 apply "$P"
	expect_in "$T/err" "stale plan: '$1' changed since the plan"
	nothing_ran "$1 changed"
	mv "$T/saved" "$1"
}
stale "$T/shared/vars.yml" 'msg: pwned
'
stale "$T/shared/tasks.yml" '- name: included
  shell: echo two >{{ root }}/inc
'
stale "$T/shared/lookup.txt" 'rm -rf /
'
stale "$T/shared/src.txt" 'src two
'
stale "$T/shared/tpl.j2" 'pwned {{ msg }}
'
# the plan records every file the run read, outside the playbook's
# directory by its absolute path
run_tend 0 plan "$T/pb/c.yml" -i "$T/hosts" -e root="$T/tgt" --out "$P"
for f in vars.yml tasks.yml lookup.txt src.txt tpl.j2; do
	json_get "$P" "[f['path'] for f in d['files']]" | grep -qF "'$T/shared/$f'" ||
		{ cat "$P"; fail "$f is not among the plan's files"; }
done
# --replan applies what the files say now
printf 'msg: later\n' >"$T/shared/vars.yml"
run_tend 0 apply "$P" --replan
expect_in "$T/err" "re-planning: '$T/shared/vars.yml' changed since the plan"
expect_content "$T/tgt/vars" "later
"
expect_content "$T/tgt/templated" "template later
"
rm -f "$T/tgt/"*

# secrets: Argon2id with a salt per plan, never a SHA-256 of the value
S=S3cr3t-Value-42
printf 'db_password: "%s"\n' "$S" >"$T/secrets.yml"
cat >"$T/pb/s.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - name: use
      shell: echo {{ db_password }} >{{ root }}/pw
YML
run_tend 0 plan "$T/pb/s.yml" -i "$T/hosts" -e root="$T/tgt" --secrets "$T/secrets.yml" --out "$P"
cp "$P" "$T/plan1.json"
run_tend 0 plan "$T/pb/s.yml" -i "$T/hosts" -e root="$T/tgt" --secrets "$T/secrets.yml" --out "$P"
for form in "$S" "\"$S\""; do
	h=$(printf '%s' "$form" | sha256sum | cut -c1-64)
	expect_not_in "$P" "$h"
done
expect_not_in "$P" "$S"
[ "$(json_get "$P" "(d['kdf']['name'], d['kdf']['opslimit'], d['kdf']['memlimit'])")" = "('argon2id13', 2, 67108864)" ] ||
	{ cat "$P"; fail "plan kdf"; }
[ "$(json_get "$P" "sorted(d['options']['secrets'])")" = "['db_password']" ] || fail "plan secrets"
[ "$(json_get "$P" "'db_password' in d['options']['extra_vars']")" = "False" ] || fail "secret among extra_vars"
d1=$(json_get "$T/plan1.json" "d['options']['secrets']['db_password'], d['kdf']['salt']")
d2=$(json_get "$P" "d['options']['secrets']['db_password'], d['kdf']['salt']")
[ "$d1" != "$d2" ] || fail "two plans of one secret share its digest and salt"
printf 'db_password: "other"\n' >"$T/other.yml"
run_tend 4 apply "$P" --secrets "$T/other.yml"
expect_in "$T/err" "the secret 'db_password' differs from the one the plan was made with"
nothing_ran "a different secret"
run_tend 0 apply "$P" --secrets "$T/secrets.yml"
expect_content "$T/tgt/pw" "$S
"
rm -f "$T/tgt/pw"

# a var shaped like a redacted secret (old or new form) is only a var
cat >"$T/pb/v.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - name: shape
      shell: echo {{ x.secret_sha256 }} {{ y.secret_argon2id }} >{{ root }}/shape
YML
run_tend 0 plan "$T/pb/v.yml" -i "$T/hosts" -e root="$T/tgt" \
	-e '{"x": {"secret_sha256": "abc"}, "y": {"secret_argon2id": "def"}}' --out "$P"
run_tend 0 apply "$P"
expect_content "$T/tgt/shape" "abc def
"
rm -f "$T/tgt/shape"

# a plan of the old format (an unsalted SHA-256 per secret) is refused
edit_plan "d['format_version'] = 1"
run_tend 1 apply "$P"
expect_in "$T/err" "format_version: expected 2, got 1 (this tend reads plan format 2: make the plan again)"
nothing_ran "an old plan"

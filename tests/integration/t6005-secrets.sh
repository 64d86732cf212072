#!/bin/sh
# Secrets (--secrets FILE) reach the host as themselves but never the
# output (text or JSON), the plan file, or the state DB, even when a
# command echoes one back.
. "$(dirname "$0")/../lib/lib-test.sh"
S=Tr0ub4dor-and-3
printf 'db_password: "%s"\napi:\n  token: "tok-%s"\n' "$S" "$S" >"$T/secrets.yml"
cat >"$T/pb.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - copy: { content: "pw={{ db_password }}\n", dest: "{{ root }}/app.env", mode: "0600" }
    - debug: { msg: "connecting with {{ db_password }}" }
    - debug: { var: api.token }
    - command: echo {{ db_password }}
      register: echoed
    - debug: { var: echoed.stdout }
    - copy: { content: "{{ echoed.stdout }}\n", dest: "{{ root }}/echoed" }
    - fail: { msg: "bad token {{ api.token }}" }
      ignore_errors: true
YML
mkdir "$T/r"
for fmt in text json; do
	run_tend 0 plan "$T/pb.yml" -e root="$T/r" --secrets "$T/secrets.yml" --format $fmt --out "$T/plan.json"
	expect_not_in "$T/out" "$S"; expect_not_in "$T/err" "$S"
	expect_not_in "$T/plan.json" "$S"
	run_tend 0 apply "$T/pb.yml" -e root="$T/r" --secrets "$T/secrets.yml" --format $fmt --diff
	expect_not_in "$T/out" "$S"; expect_not_in "$T/err" "$S"
done
expect_in "$T/out" "********"
expect_content "$T/r/app.env" "pw=$S
"
expect_content "$T/r/echoed" "$S
"
! grep -rqa -- "$S" "$T/state" || fail "a secret is in the state DB"

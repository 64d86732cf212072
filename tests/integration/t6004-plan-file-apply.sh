#!/bin/sh
# Saved plans over SSH hosts: plan --out, apply PLAN; a host edited between
# plan and apply is refused as stale (exit 4) while the others apply; a
# changed playbook makes the whole plan stale; --replan and --max-plan-age;
# the plan file holds no secret value yet apply can run it; markdown and
# junit reports; exit codes 0/2/1.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-sshd.sh"
sshd_start 3 "$T/sshd"
INV=$T/sshd/inventory
mkdir -p "$T/pb" "$T/tgt"
cat >"$T/pb/site.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - name: config
      copy: { content: "msg={{ msg }}\n", dest: "{{ root }}/{{ inventory_hostname }}.conf" }
    - name: credentials
      copy:
        content: "password={{ db_password }}\n"
        dest: "{{ root }}/{{ inventory_hostname }}.secret"
        mode: "0600"
    - name: migrate
      command: echo migrate
YML
printf 'db_password: "S3cr3t-Value-42"\n' >"$T/secrets.yml"
P=$T/plan.json

# exit codes: 2 with changes (--detailed-exitcode), 0 without it
run_tend 2 plan "$T/pb/site.yml" -i "$INV" -e msg=hello -e root="$T/tgt" \
	--secrets "$T/secrets.yml" --out "$P" --detailed-exitcode
expect_in "$T/err" "plan saved to $P"
[ "$(ls "$T/tgt")" = "" ] || fail "plan wrote to a target"
! grep -q "S3cr3t-Value-42" "$P" || fail "the secret is in the plan file"
! grep -q "S3cr3t-Value-42" "$T/out" || fail "the secret is in the plan output"
[ "$(json_get "$P" "list(d['options']['secrets'])")" = "['db_password']" ] || fail "plan secrets"
expect_in "$P" '"fingerprint"'
[ "$(json_get "$P" "(d['kind'], d['format_version'])")" = "('tend-plan', 2)" ] || fail "plan kind"
[ "$(json_get "$P" "[t['action'] for t in d['hosts'][0]['tasks']]")" = "['change', 'change', 'unknown']" ] || fail "plan actions (a saved plan keeps its own names)"

# --check with a saved plan is refused: it would otherwise apply for real
run_tend 1 apply "$P" --check --secrets "$T/secrets.yml"
expect_in "$T/err" "--check with a saved plan"
[ "$(ls "$T/tgt")" = "" ] || fail "apply --check PLAN wrote to a target"

# without the secret, the plan cannot be applied
run_tend 4 apply "$P"
expect_in "$T/err" "secret 'db_password'"

# h2 moves between plan and apply: stale; h1 and h3 apply
echo "someone else" >"$T/tgt/h2.conf"
run_tend 4 apply "$P" --secrets "$T/secrets.yml"
expect_in "$T/err" "host 'h2' moved since the plan"
expect_in "$T/err" "-someone else"
expect_content "$T/tgt/h1.conf" "msg=hello
"
expect_content "$T/tgt/h3.secret" "password=S3cr3t-Value-42
"
expect_mode "$T/tgt/h3.secret" 0600
expect_content "$T/tgt/h2.conf" "someone else
"
[ ! -e "$T/tgt/h2.secret" ] || fail "the stale host was touched"
run_tend 0 history --format json
[ "$(json_get "$T/out" "(d['runs'][0]['mode'], d['runs'][0]['hosts'])")" = "('apply', 2)" ] || { cat "$T/out"; fail "apply record"; }

# --replan applies the stale host as it is now
run_tend 0 apply "$P" --secrets "$T/secrets.yml" --replan
expect_content "$T/tgt/h2.conf" "msg=hello
"
expect_in "$T/err" "re-planning: host 'h2'"

# nothing left: exit 0 with --detailed-exitcode (the command stays unknown,
# so plan only the copies)
run_tend 0 plan "$T/pb/site.yml" -i "$INV" -e msg=hello -e root="$T/tgt" \
	--secrets "$T/secrets.yml" --skip-tags never --detailed-exitcode --limit h1 --tags none-such
# a changed playbook makes the whole plan stale
run_tend 2 plan "$T/pb/site.yml" -i "$INV" -e msg=bye -e root="$T/tgt" \
	--secrets "$T/secrets.yml" --out "$P" --detailed-exitcode
echo "# edited" >>"$T/pb/site.yml"
run_tend 4 apply "$P" --secrets "$T/secrets.yml"
expect_in "$T/err" "stale plan: the playbook"
expect_content "$T/tgt/h1.conf" "msg=hello
"
# too old
run_tend 2 plan "$T/pb/site.yml" -i "$INV" -e msg=bye -e root="$T/tgt" \
	--secrets "$T/secrets.yml" --out "$P" --detailed-exitcode
sleep 2
run_tend 4 apply "$P" --secrets "$T/secrets.yml" --max-plan-age 1s
expect_in "$T/err" "older than --max-plan-age"
run_tend 0 apply "$P" --secrets "$T/secrets.yml" --max-plan-age 1h
expect_content "$T/tgt/h2.conf" "msg=bye
"

# error: exit 1
run_tend 1 plan "$T/nope.yml" -i "$INV"

# markdown for a PR comment, junit for CI
echo "changed by hand" >"$T/tgt/h3.conf"
run_tend 0 plan "$T/pb/site.yml" -i "$INV" -e msg=bye -e root="$T/tgt" \
	--secrets "$T/secrets.yml" --format markdown
expect_in "$T/out" "### tend plan"
expect_in "$T/out" "<details><summary><b>h3</b></summary>"
expect_in "$T/out" '```diff'
expect_in "$T/out" "-changed by hand"
expect_in "$T/out" "+msg=bye"
expect_in "$T/out" "| h1 | 0 |"
expect_not_in "$T/out" "S3cr3t-Value-42"
rm -f "$T/tgt/h1.secret"; chmod 000 "$T/tgt" 2>/dev/null || true
run_tend 0 plan "$T/pb/site.yml" -i "$INV" -e msg=bye -e root="$T/tgt" \
	--secrets "$T/secrets.yml" --format junit
chmod 755 "$T/tgt"
/usr/bin/python3 - "$T/out" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == 'testsuites', root.tag
suites = root.findall('testsuite')
assert [s.get('name') for s in suites] == ['h1', 'h2', 'h3'], suites
for s in suites:
    cases = s.findall('testcase')
    assert int(s.get('tests')) == len(cases) == 3, (s.get('name'), len(cases))
    assert [c.get('name') for c in cases] == ['config', 'credentials', 'migrate']
h3 = suites[2].findall('testcase')[0]
assert 'changed by hand' in h3.find('system-out').text
assert 'S3cr3t' not in open(sys.argv[1]).read()
PY

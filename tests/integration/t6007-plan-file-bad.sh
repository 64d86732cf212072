#!/bin/sh
# A saved plan is checked as a whole before apply reads any of it: each
# hostile variant of a real plan file (wrong types, a null or unknown
# action, more playbooks than arguments, deep garbage, not JSON) is refused
# with exit 1 and an error naming the file and the JSON path of the field.
# Nothing crashes (no exit >= 128, no sanitizer report when $TEND is an
# ASan build) and no target is touched; the untouched plan still applies.
. "$(dirname "$0")/../lib/lib-test.sh"
mkdir -p "$T/pb" "$T/tgt"
cat >"$T/pb/site.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - name: config
      copy: { content: "password={{ db_password }}\n", dest: "{{ root }}/app.conf" }
YML
printf 'localhost ansible_connection=local\n' >"$T/hosts"
printf 'db_password: "S3cr3t-Value-42"\n' >"$T/secrets.yml"
P=$T/plan.json
B=$T/bad.json
Q="'$B'" # the file as errors name it
run_tend 0 plan "$T/pb/site.yml" -i "$T/hosts" -e root="$T/tgt" \
	--secrets "$T/secrets.yml" --out "$P"
[ "$(json_get "$P" "list(d['options']['secrets'])")" = "['db_password']" ] || fail "plan secrets"

# mutate STATEMENT: $B is the plan after the python statement (on d, the
# parsed plan; `deep(n)` is a list nested n deep)
mutate() {
	/usr/bin/python3 - "$P" "$B" "$1" <<'PY'
import json, sys
sys.setrecursionlimit(100000)
d = json.load(open(sys.argv[1]))
def deep(n):
    v = []
    for _ in range(n):
        v = [v]
    return v
exec(sys.argv[3])
json.dump(d, open(sys.argv[2], 'w'))
PY
}

# refused WHAT TEXT [ARGS...]: apply $B exits 1, without crashing, with an
# error that names the file and holds TEXT
refused() {
	what=$1 want=$2
	shift 2
	set +e
	"$TEND" apply "$B" --secrets "$T/secrets.yml" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	[ "$rc" -lt 128 ] || { cat "$T/err"; fail "$what: tend crashed (exit $rc)"; }
	! grep -qE "Sanitizer|runtime error" "$T/err" ||
		{ cat "$T/err"; fail "$what: sanitizer report"; }
	[ "$rc" = 1 ] || { cat "$T/err"; fail "$what: exit $rc, expected 1"; }
	expect_in "$T/err" "tend: $Q"
	expect_in "$T/err" "$want"
}

# the hostile variants that crashed apply
mutate "d['options']['extra_vars'] = 'x' * 4096"
refused "extra_vars a string" "$Q: options.extra_vars: expected a dict, got a string"
mutate "d['options']['tags'] = 'x' * 4096"
refused "tags a string" "$Q: options.tags: expected a list of strings, got a string"
mutate "d['hosts'] = 'localhost'"
refused "hosts a string" "$Q: hosts: expected a list of dicts, got a string"
mutate "d['hosts'][0]['tasks'][0]['action'] = None"
refused "null action" "$Q: hosts[0].tasks[0].action: expected a string, got null"
mutate "d['options']['secrets']['db_password'] = 7"
refused "secret digest an int" "$Q: options.secrets.db_password: expected a digest (hex), got an int"
mutate "d['options']['secrets']['db_password'] = 'ab'"
refused "secret digest short" "$Q"': options.secrets.db_password: expected 64 hex digits, got "ab"'
mutate "d['kdf']['memlimit'] = 2**40"
refused "kdf asks for 1 TiB" "$Q: kdf.memlimit: expected 67108864, got 1099511627776"
mutate "d['kdf']['salt'] = 'zz'"
refused "salt not hex" "$Q"': kdf.salt: expected 32 hex digits, got "zz"'
mutate "d['files'] = [{'path': 7, 'argon2id': None}]"
refused "files of the wrong types" "$Q: files[0].path: expected a string, got an int"
expect_in "$T/err" "$Q: files[0].argon2id: expected a digest (hex), got null"

# and more
mutate "d['hosts'][0]['tasks'][0]['action'] = 'rm -rf'"
refused "unknown action" "$Q"': hosts[0].tasks[0].action: expected one of ok, change, unknown, skipped, failed, unreachable, got "rm -rf"'
mutate "d['kind'] = 'terraform-plan'"
refused "wrong kind" "$Q"': kind: expected "tend-plan" (a plan file), got "terraform-plan"'
mutate "del d['kind']"
refused "no kind" "$Q"': kind: missing (expected "tend-plan")'
mutate "d['format_version'] = 3"
refused "newer format" "$Q: format_version: expected 2, got 3 (this tend reads plan format 2: make the plan again)"
mutate "d['format_version'] = 1"
refused "older format" "$Q: format_version: expected 2, got 1 (this tend reads plan format 2: make the plan again)"
mutate "d['format_version'] = '1'"
refused "format a string" "$Q: format_version: expected an int, got a string"
mutate "d['hosts'] = [1, 'localhost', None]"
refused "hosts not dicts" "$Q: hosts[0]: expected a dict, got an int"
expect_in "$T/err" "$Q: hosts[1]: expected a dict, got a string"
expect_in "$T/err" "$Q: hosts[2]: expected a dict, got null"
mutate "d['hosts'][0]['tasks'] = {'config': 'change'}"
refused "tasks a dict" "$Q: hosts[0].tasks: expected a list of dicts, got a dict"
mutate "d['hosts'][0]['tasks'][0]['line'] = '4'"
refused "line a string" "$Q: hosts[0].tasks[0].line: expected an int, got a string"
mutate "d['hosts'][0]['tasks'][0]['handler'] = 'no'"
refused "handler a string" "$Q: hosts[0].tasks[0].handler: expected a bool, got a string"
mutate "d['hosts'][0]['tasks'][0]['changes'] = [{'state': 'file'}]"
refused "changes not strings" "$Q: hosts[0].tasks[0].changes[0]: expected a string, got a dict"
mutate "del d['hosts'][0]['host']"
refused "no host" "$Q: hosts[0].host: missing (expected a string)"
mutate "d['created_epoch'] = str(d['created_epoch'])"
refused "created_epoch a string" "$Q: created_epoch: expected an int, got a string" --max-plan-age 1h
# an int, but so far back that now - created_epoch overflows
mutate "d['created_epoch'] = -2**63"
run_tend 4 apply "$B" --secrets "$T/secrets.yml" --max-plan-age 1h
expect_in "$T/err" "older than --max-plan-age"
mutate "d['inventory']['path'] = 42"
refused "inventory path an int" "$Q: inventory.path: expected a string or null, got an int"
mutate "d['playbooks'][0]['path'] = 'pb/site.yml\\u0000.bak'"
refused "NUL in a path" "$Q: playbooks[0].path: expected a string, got a string with a NUL byte"
mutate "d['source']['url'] = 'file:///nowhere'; d['source']['ref'] = 'main'"
refused "repo plan without repo_path" "$Q: playbooks[0].repo_path: missing (expected a string: the plan has a source.url)"
mutate "d['playbooks'] = [5] * 1000"
refused "1000 bad playbooks" "$Q: playbooks[0]: expected a dict, got an int"
expect_in "$T/err" "$Q: 990 more errors"
mutate "d['hosts'] = [deep(1500)]"
refused "deeply nested hosts" "$Q: hosts[0]: expected a dict, got a list"
mutate "d['options']['limit'] = deep(1500)"
refused "deeply nested limit" "$Q: options.limit: expected a string or null, got a list"
# several errors are all reported
mutate "d['options']['tags'] = None; d['hosts'][0]['tasks'][0]['col'] = 1.5"
refused "two errors" "$Q: options.tags: expected a list of strings, got null"
expect_in "$T/err" "$Q: hosts[0].tasks[0].col: expected an int, got a float"

# not JSON, or not a plan at all
printf 'kind: tend-plan\nthis is not JSON {\n' >"$B"
refused "not JSON" "$Q is not a plan file: invalid JSON"
head -c 200 "$P" >"$B"
refused "truncated" "$Q is not a plan file: invalid JSON"
/usr/bin/python3 -c 'import sys; sys.stdout.write("{\"kind\": " + "[" * 100000)' >"$B"
refused "too deep for JSON" "$Q is not a plan file: invalid JSON"
printf '"tend-plan"\n' >"$B"
refused "a JSON string" "$Q: expected a dict (a plan), got a string"

[ "$(ls "$T/tgt")" = "" ] || fail "a refused plan touched the target"

# more playbooks in the plan than apply has arguments (its a->pos was
# once sized for argv: 20 is over twice the words of this command line, and
# ASan sees a write of one past): each is run (the copies of the task were
# not planned, so the host is stale). (1000 copies took 76 s under ASan.)
mutate "d['playbooks'] = d['playbooks'] * 20"
run_tend 4 apply "$B" --secrets "$T/secrets.yml"
expect_in "$T/err" "task 'config' was not in the plan"
[ "$(ls "$T/tgt")" = "" ] || fail "a stale plan touched the target"

# the plan as written, and re-serialized, still applies
mutate "pass"
run_tend 0 apply "$B" --secrets "$T/secrets.yml" --max-plan-age 1h
expect_content "$T/tgt/app.conf" "password=S3cr3t-Value-42
"

#!/bin/sh
# Every failure shows its rc, stdout and stderr: without -v each output's
# last 10 lines (at most 2000 bytes) after a line that says how much was
# left out, with -v all of it; in --format json the task's result; in
# the state DB (results.detail, trimmed) and `tend show` (text and JSON).
# Locally and over SSH, with hostile output (a leading '-', '%', '\',
# '{{ x }}', bytes that are not UTF-8, 501 lines of stderr), secrets
# (--secrets and vault) that the command echoes, and a no_log task: no
# secret and nothing of the no_log task's output appears anywhere. A
# state DB of schema 4 is migrated.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-sshd.sh"
S=$T/sshd
sshd_start 1 "$S"
{ printf '[local]\nlocal1 ansible_connection=local\n'; cat "$S/inventory"; } >"$T/inv"
P1=Fail-Secret-8qz3 P2=Vault-Secret-5kw1 NL=NoLog-Out-7yd
printf 'db_password: "%s"\n' "$P1" >"$T/secrets.yml"
printf 'vault pw\n' >"$T/pw"
"$TEND" vault encrypt_string --vault-password-file "$T/pw" --name vlt "$P2" >"$T/vlt.yml" ||
	fail "encrypt_string"
{
	printf -- '- hosts: all\n  gather_facts: false\n  vars:\n'
	sed 's/^/    /' "$T/vlt.yml"
	cat <<'YML'
  tasks:
    - name: hostile
      shell: |
        printf '%s\n' '-leading dash' '100% done %s %n' 'back\slash'
        printf '%s%s x %s%s\n' '{' '{' '}' '}'
        printf 'bad \377\376 bytes\n'
        echo "pw {{ db_password }} v {{ vlt }}"
        i=1; while [ $i -le 500 ]; do echo "err line $i" >&2; i=$((i+1)); done
        echo "last {{ db_password }}" >&2
        exit 7
      ignore_errors: true
    - name: hidden
      command: sh -c 'echo NoLog-Out-7yd; echo NoLog-Out-7yd-err >&2; exit 4'
      no_log: true
      ignore_errors: true
    - name: plain
      command: sh -c 'echo out; echo err >&2; exit 3'
YML
} >"$T/pb.yml"
# nothing secret, nothing of the no_log task, in any of these files
clean() {
	for f in "$@"; do
		for s in "$P1" "$P2" "$NL"; do
			! grep -qaF -- "$s" "$f" || { grep -aF -- "$s" "$f" | head -3; fail "'$s' in $f"; }
		done
	done
}
BAD=$(printf 'bad \377\376 bytes')
BAD_DB=$(printf 'bad \357\277\275\357\277\275 bytes')	# U+FFFD twice

# Text, without -v: the tails, for both hosts.
run_tend 3 apply "$T/pb.yml" -i "$T/inv" --secrets "$T/secrets.yml" \
	--vault-password-file "$T/pw" --state "$T/state.db"
clean "$T/out" "$T/err"
for want in "rc: 7" "stdout: -leading dash" "100% done %s %n" 'back\slash' \
	"{{ x }}" "$BAD" "pw ******** v ********" \
	"stderr: [491 lines (6275 bytes) left out; -v shows all]" \
	"err line 492" "last ********" "the output has been hidden" \
	"rc: 3" "stdout: out" "stderr: err"; do
	expect_in "$T/out" "$want"
done
[ "$(grep -c 'left out; -v shows all' "$T/out")" = 2 ] || fail "not one tail per host"
[ "$(grep -c 'rc: 7' "$T/out")" = 2 ] || fail "not one detail per host"
expect_not_in "$T/out" "err line 491"
expect_not_in "$T/out" "rc: 4"
grep -q "^fatal: \[h1\] => non-zero return code" "$T/out" || fail "h1's failure"
grep -q "^fatal: \[local1\] => non-zero return code" "$T/out" || fail "local1's failure"
run_id=$("$TEND" history --state "$T/state.db" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["runs"][0]["id"])')

# With -v: all of it.
run_tend 3 apply "$T/pb.yml" -i "$T/inv" --secrets "$T/secrets.yml" \
	--vault-password-file "$T/pw" --state "$T/state.db" -v
clean "$T/out" "$T/err"
expect_in "$T/out" "stderr: err line 1"
expect_in "$T/out" "err line 491"
expect_not_in "$T/out" "left out"

# JSON: the task's result carries rc, stdout and stderr in full, as
# `register` stores them (a string that holds a secret masked whole).
run_tend 3 apply "$T/pb.yml" -i "$T/inv" --secrets "$T/secrets.yml" \
	--vault-password-file "$T/pw" --state "$T/state.db" --format json
clean "$T/out" "$T/err"
cp "$T/out" "$T/apply.json"
q="[t for h in d['hosts'] for t in h['tasks'] if t['task'] == '%s']"
[ "$(json_get "$T/apply.json" "[(t['result']['rc'], t['result']['stdout'], t['result']['stderr']) for t in $(printf "$q" plain)]")" = "[(3, 'out', 'err'), (3, 'out', 'err')]" ] ||
	{ cat "$T/apply.json"; fail "JSON results of 'plain'"; }
[ "$(json_get "$T/apply.json" "[(str(t['result']).count('err line'), '100% done %s %n' in str(t['result'])) for t in $(printf "$q" hostile)]")" = "[(500, True), (500, True)]" ] ||
	{ cat "$T/apply.json"; fail "JSON results of 'hostile'"; }
[ "$(json_get "$T/apply.json" "[t.get('result') for t in $(printf "$q" hidden)]")" = "[None, None]" ] ||
	fail "a no_log task's JSON result"

# tend show, text: the tails under each failed task, escaped for a terminal.
run_tend 0 show "$run_id" --state "$T/state.db"
clean "$T/out"
for want in "              rc: 7" "              stdout: -leading dash" \
	"100% done %s %n" 'back\slash' "{{ x }}" "$BAD_DB" "pw ******** v ********" \
	"              stderr: [491 lines (6275 bytes) left out]" \
	"err line 492" "last ********" "              rc: 3" "              stderr: err"; do
	expect_in "$T/out" "$want"
done
expect_not_in "$T/out" "err line 491"
expect_not_in "$T/out" "-v shows all"
expect_not_in "$T/out" "rc: 4"

# tend show --format json: rc, stdout and stderr on each result (null
# where there are none: the no_log task, ok results).
run_tend 0 show "$run_id" --state "$T/state.db" --format json
clean "$T/out"
cp "$T/out" "$T/show.json"
r="[r for r in d['run']['results'] if r['task'] == '%s']"
[ "$(json_get "$T/show.json" "sorted({(r['host'], r['rc'], r['stdout'].split(chr(10))[4], r['stderr'].split(chr(10))[0], r['stderr'].count(chr(10))) for r in $(printf "$r" hostile)})")" = \
	"[('h1', 7, '$BAD_DB', '[491 lines (6275 bytes) left out]', 10), ('local1', 7, '$BAD_DB', '[491 lines (6275 bytes) left out]', 10)]" ] ||
	{ cat "$T/show.json"; fail "show JSON of 'hostile'"; }
[ "$(json_get "$T/show.json" "[(r['rc'], r['stdout'], r['stderr']) for r in $(printf "$r" hidden)]")" = "[(None, None, None), (None, None, None)]" ] ||
	fail "show JSON of a no_log task"
[ "$(json_get "$T/show.json" "[(r['rc'], r['stdout'], r['stderr']) for r in $(printf "$r" plain)]")" = "[(3, 'out', 'err'), (3, 'out', 'err')]" ] ||
	fail "show JSON of 'plain'"

# The DB: the detail column, NULL but for the failures shown; no secret,
# no no_log output in the file (or its WAL).
db() { python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchall())' "$@"; }
[ "$(db "$T/state.db" "SELECT task, json_extract(detail, '\$.rc') FROM results WHERE run_id = $run_id AND detail IS NOT NULL ORDER BY task, host")" = \
	"[('hostile', 7), ('hostile', 7), ('plain', 3), ('plain', 3)]" ] || fail "the detail column"
[ "$(db "$T/state.db" "SELECT count(*) FROM results WHERE task = 'hidden' AND detail IS NOT NULL")" = "[(0,)]" ] ||
	fail "a no_log task's detail is in the DB"
clean "$T"/state.db*

# A DB of schema 4 (no detail column) is migrated, its results kept.
cp "$T/state.db" "$T/old.db"
db "$T/old.db" "PRAGMA wal_checkpoint" >/dev/null
python3 - "$T/old.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("ALTER TABLE results DROP COLUMN detail")
db.execute("PRAGMA user_version=4")
db.commit()
PY
run_tend 0 show "$run_id" --state "$T/old.db" --format json
[ "$(json_get "$T/out" "{(r['rc'], r['stderr']) for r in d['run']['results']}")" = "{(None, None)}" ] ||
	fail "an old DB's results"
[ "$(db "$T/old.db" "PRAGMA user_version")" = "[(5,)]" ] || fail "old DB not migrated"
run_tend 3 apply "$T/pb.yml" -i "$T/inv" --secrets "$T/secrets.yml" \
	--vault-password-file "$T/pw" --state "$T/old.db" --limit local1
[ "$(db "$T/old.db" "SELECT json_extract(detail, '\$.rc') FROM results WHERE task = 'plain' AND detail IS NOT NULL")" = "[(3,)]" ] ||
	fail "the migrated DB keeps no detail"

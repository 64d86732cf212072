#!/bin/sh
# Run records: every plan and apply is recorded with its results; history
# and show read them back; a killed run shows as interrupted; SIGTERM
# finishes the task in flight, starts no other, records `interrupted`.
. "$(dirname "$0")/../lib/lib-test.sh"
cat >"$T/pb.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - name: write a
      copy: { content: "secret-content-a\n", dest: "{{ root }}/a" }
    - name: write b
      copy: { content: "b\n", dest: "{{ root }}/b" }
YML
mkdir "$T/r"
run_tend 0 plan "$T/pb.yml" -e root="$T/r"
run_tend 0 apply "$T/pb.yml" -e root="$T/r"
run_tend 0 history
expect_in "$T/out" "ID"
lines=$(grep -c 'pb.yml' "$T/out")
[ "$lines" = 2 ] || fail "expected 2 runs in history, got $lines"
expect_in "$T/out" " plan "
expect_in "$T/out" " apply "
run_tend 0 history --format json
[ "$(json_get "$T/out" "d['runs'][0]['status']")" = ok ] || fail "last run not ok"
[ "$(json_get "$T/out" "d['runs'][0]['changed']")" = 2 ] || fail "changed count"
id=$(json_get "$T/out" "d['runs'][0]['id']")
run_tend 0 show "$id"
expect_in "$T/out" "changed     write a"
expect_in "$T/out" "+1 -0 lines"
run_tend 0 show "$id" --format json
[ "$(json_get "$T/out" "len(d['run']['results'])")" = 2 ] || fail "results rows"
# the DB never holds file contents
! grep -rqa "secret-content-a" "$T/state" || fail "content stored in the state DB"
run_tend 1 show 999
expect_in "$T/err" "no run 999"

# wait (up to 20 s, for slow sanitizer builds) until the slow task runs
wait_started() {
	i=0
	while [ ! -e "$T/r/slow-started" ] && [ "$i" -lt 200 ]; do
		sleep 0.1; i=$((i + 1))
	done
	[ -e "$T/r/slow-started" ] || fail "the slow task never started"
}

# a run killed with SIGKILL stays 'running' until the next tend sees it
cat >"$T/slow.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - name: slow
      shell: touch {{ root }}/slow-started; sleep 2; echo done > {{ root }}/slow-done
    - name: after
      copy: { content: "x\n", dest: "{{ root }}/after" }
YML
"$TEND" apply "$T/slow.yml" -e root="$T/r" >/dev/null 2>&1 &
pid=$!
wait_started
kill -KILL "$pid"; wait "$pid" 2>/dev/null || true
run_tend 0 history --format json
[ "$(json_get "$T/out" "d['runs'][0]['status']")" = interrupted ] || { cat "$T/out"; fail "killed run not shown as interrupted"; }

# SIGTERM: the task in flight finishes, the next one never starts
# the killed run's shell goes on by itself: let it finish first, so that
# its slow-done cannot pass for the next run's
i=0
while [ ! -e "$T/r/slow-done" ] && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
rm -f "$T/r/slow-done" "$T/r/after" "$T/r/slow-started"
"$TEND" apply "$T/slow.yml" -e root="$T/r" >"$T/term.out" 2>&1 &
pid=$!
wait_started
kill -TERM "$pid"
set +e; wait "$pid"; rc=$?; set -e
[ "$rc" != 0 ] || fail "interrupted run exited 0"
[ -e "$T/r/slow-done" ] || fail "the task in flight did not finish"
[ ! -e "$T/r/after" ] || fail "a task started after SIGTERM"
run_tend 0 history --format json
[ "$(json_get "$T/out" "d['runs'][0]['status']")" = interrupted ] || { cat "$T/out"; fail "SIGTERM run not recorded as interrupted"; }

# a state DB made by an older tend (runs without `note`) is migrated
/usr/bin/python3 - "$T/old.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.executescript("""
CREATE TABLE runs (id INTEGER PRIMARY KEY, started TEXT NOT NULL, finished TEXT,
  user TEXT, controller TEXT, pid INTEGER, playbook TEXT, mode TEXT NOT NULL,
  commit_id TEXT, run_limit TEXT, status TEXT NOT NULL, hosts INTEGER DEFAULT 0,
  ok INTEGER DEFAULT 0, changed INTEGER DEFAULT 0, failed INTEGER DEFAULT 0,
  unreachable INTEGER DEFAULT 0, skipped INTEGER DEFAULT 0, unknown INTEGER DEFAULT 0);
INSERT INTO runs (started, mode, status, playbook) VALUES ('2026-01-01T00:00:00Z', 'apply', 'ok', 'old.yml');
PRAGMA user_version=1;
""")
db.commit()
PY
run_tend 0 apply "$T/pb.yml" -e root="$T/r" --state "$T/old.db"
run_tend 0 history --state "$T/old.db" --format json
[ "$(json_get "$T/out" "[r['playbook'].split('/')[-1] for r in d['runs']]")" = "['pb.yml', 'old.yml']" ] || { cat "$T/out"; fail "migrated history"; }

# a state DB that tend creates is readable by its owner only, as its directory
run_tend 0 apply "$T/pb.yml" -e root="$T/r" --state "$T/new-dir/fresh.db"
expect_mode "$T/new-dir/fresh.db" 0600
expect_mode "$T/new-dir" 0700
for f in "$T"/new-dir/fresh.db-*; do [ ! -e "$f" ] || expect_mode "$f" 0600; done

#!/bin/sh
# tend daemon's policies, on the local host:
# - daemon.max_concurrent: 1 never runs two at once; `overlap: queue`
#   never skips a start, `overlap: skip` does (counted);
# - after downtime a schedule that missed a start gets one catch-up run;
# - `drift: apply` applies the drifted host (its --limit), then the next
#   plan finds it converged;
# - relative --config and --state: the daemon's lock and its runs are in
#   the same DB, and a reload finds tend.yml again;
# - SIGINT to the daemon's whole process group (a Ctrl-C) stops the run in
#   flight cleanly: recorded as interrupted, its host lock released.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-daemon.sh"
D=$T/d
mkdir -p "$D" "$T/tgt"
cat >"$D/sleep.yml" <<'YML'
- hosts: localhost
  gather_facts: false
  tasks:
    - command: sleep 2
      check_mode: false
      changed_when: false
YML
cat >"$D/file.yml" <<'YML'
- hosts: localhost
  gather_facts: false
  tasks:
    - copy: {content: "converged\n", dest: "{{ root }}/drifting"}
YML
q() { sqlite3 "$1" "$2"; }
no_overlap() { # DB LIKE-PATTERN
	q "$1" "SELECT started, finished FROM runs WHERE run_trigger LIKE '$2' AND finished IS NOT NULL ORDER BY started" >"$T/rows"
	python3 - "$T/rows" <<'PY'
import sys
rows = [l.strip().split("|") for l in open(sys.argv[1]) if l.strip()]
assert len(rows) >= 3, rows
for a, b in zip(rows, rows[1:]):
    assert a[1] <= b[0], (a, b)
PY
}

# max_concurrent 1, queue and skip
cat >"$D/tend.yml" <<'YML'
http:
  listen: 127.0.0.1:0
daemon:
  max_concurrent: 1
schedules:
  - name: q
    playbook: sleep.yml
    every: 1s
    overlap: queue
  - name: s
    playbook: sleep.yml
    every: 1s
YML
daemon_start "$D/a" "$D/tend.yml" --state "$T/a.db"
three() { [ "$(q "$T/a.db" "SELECT count(*) FROM runs WHERE finished IS NOT NULL")" -ge 4 ]; }
wait_until 30 three
curl -fsS "$DURL/metrics" >"$T/m"
daemon_stop "$D/a"
no_overlap "$T/a.db" 'schedule %' || fail "two runs at once with max_concurrent 1"
grep -q '^tend_runs_skipped_total{schedule="q"} 0$' "$T/m" || { cat "$T/m"; fail "queue skipped"; }
grep -q '^tend_runs_skipped_total{schedule="s"} [1-9]' "$T/m" || { cat "$T/m"; fail "skip never skipped"; }

# catch-up: the last run was longer ago than its interval
cat >"$D/c.yml" <<'YML'
http:
  listen: 127.0.0.1:0
schedules:
  - name: c
    playbook: sleep.yml
    every: 3s
YML
daemon_start "$D/c" "$D/c.yml" --state "$T/c.db"
wait_until 20 sh -c "[ \$(sqlite3 '$T/c.db' \"SELECT count(*) FROM runs WHERE finished IS NOT NULL\") -ge 1 ]"
daemon_stop "$D/c"
sleep 4
daemon_start "$D/c" "$D/c.yml" --state "$T/c.db"
wait_until 5 sh -c "sqlite3 '$T/c.db' \"SELECT count(*) FROM runs WHERE run_trigger = 'schedule c, catch-up'\" | grep -qx 1"
expect_in "$D/c/log" "missed a start while down"
daemon_stop "$D/c"

# drift: apply
cat >"$D/drift.yml" <<YML
http:
  listen: 127.0.0.1:0
schedules:
  - name: d
    playbook: file.yml
    mode: plan
    every: 1s
    drift: apply
    extra_vars: {root: "$T/tgt"}
YML
daemon_start "$D/d" "$D/drift.yml" --state "$T/d.db"
wait_until 20 test -f "$T/tgt/drifting"
expect_content "$T/tgt/drifting" "converged
"
wait_until 20 sh -c "curl -fsS '$DURL/metrics' | grep -q '^tend_hosts_drifted{schedule=\"d\"} 0$'"
daemon_stop "$D/d"
q "$T/d.db" "SELECT mode, run_limit FROM runs WHERE run_trigger = 'schedule d, drift'" >"$T/rows"
expect_content "$T/rows" "apply|localhost
"

# relative paths; a reload from another directory's point of view
mkdir -p "$T/rel/conf"
cp "$D/sleep.yml" "$T/rel/conf/"
printf 'http:\n  listen: 127.0.0.1:0\nschedules:\n  - name: r\n    playbook: sleep.yml\n    every: 1s\n' >"$T/rel/conf/tend.yml"
cd "$T/rel"
daemon_start "$T/rel/dd" conf/tend.yml --state rel.db
wait_until 20 sh -c "[ \$(sqlite3 '$T/rel/rel.db' \"SELECT count(*) FROM runs WHERE finished IS NOT NULL\") -ge 1 ]"
q "$T/rel/rel.db" "SELECT owner FROM locks WHERE name = 'daemon'" >"$T/owner"
expect_content "$T/owner" "daemon $(cat "$T/rel/dd/pid")
"
[ ! -e "$T/rel/conf/rel.db" ] || fail "a second state DB beside tend.yml"
kill -HUP "$(cat "$T/rel/dd/pid")"
wait_until 10 grep -q "reloaded '$T/rel/conf/tend.yml'" "$T/rel/dd/log"
daemon_stop "$T/rel/dd"
cd "$T"

# SIGINT to the process group while a run is in flight
cat >"$D/slow.yml" <<'YML'
- hosts: localhost
  gather_facts: false
  tasks:
    - command: sleep 3
    - copy: {content: "x\n", dest: "{{ root }}/after-int"}
YML
printf 'http:\n  listen: 127.0.0.1:0\nschedules:\n  - name: i\n    playbook: slow.yml\n    mode: apply\n    every: 1s\n    extra_vars: {root: "%s"}\n' "$T/tgt" >"$D/i.yml"
setsid "$TEND" daemon --config "$D/i.yml" --state "$T/i.db" >"$D/i.out" 2>"$D/i.log" &
IPID=$!
stop_i() { kill -TERM "$IPID" 2>/dev/null || true; }
on_exit stop_i
wait_until 20 grep -q "schedule 'i': apply started" "$D/i.log"
sleep 0.5
/bin/kill -INT -- "-$IPID"
set +e
wait "$IPID"
rc=$?
set -e
[ "$rc" = 0 ] || { cat "$D/i.log"; fail "the daemon exited $rc after SIGINT"; }
q "$T/i.db" "SELECT status FROM runs ORDER BY id DESC LIMIT 1" >"$T/st"
expect_content "$T/st" "interrupted
"
q "$T/i.db" "SELECT count(*) FROM locks WHERE name LIKE 'host:%'" >"$T/locks"
expect_content "$T/locks" "0
"
[ ! -f "$T/tgt/after-int" ] || fail "the interrupted run started its next task"

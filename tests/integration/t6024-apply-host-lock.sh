#!/bin/sh
# Never two applies on one host at once, on a real sshd host: while apply
# A holds h1 (its slow task waits for a file the test makes), apply B
# without --lock-timeout exits 5 at once naming A (run id, pid, machine,
# since when) and changes nothing; B with --lock-timeout 1s says it waits,
# then gives up after about a second with exit 5; B with --lock-timeout
# 60s waits and runs once A has ended (the order of what they write says
# so); a plan meanwhile returns at once, --lock-timeout or not. A killed
# apply's lock is broken by the next apply, with a warning naming it.
# SIGTERM to a waiting apply ends it promptly: interrupted, exit 1,
# nothing changed. A saved plan's apply does the same.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-fault.sh"
. "$TOP/tests/lib/lib-sshd.sh"
sshd_start 1 "$T/sshd"
INV=$T/sshd/inventory
mkdir -p "$T/tgt"
CTL=$(hostname)

# each apply appends its name to `order` first and NAME-end last; a slow
# one waits in between for go.NAME, after saying so with started.NAME
cat >"$T/pb.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - shell: echo {{ v }} >>{{ root }}/order
    - shell: touch {{ root }}/started.{{ v }};
        while [ ! -e {{ root }}/go.{{ v }} ]; do sleep 0.02; done
      when: slow | default(false) | bool
    - shell: echo {{ v }}-end >>{{ root }}/order
YML
apply() { echo apply "$T/pb.yml" -i "$INV" -e root="$T/tgt" -e v="$1"; }
on_exit release_all
release_all() {
	touch "$T/tgt/go.a" "$T/tgt/go.k" "$T/tgt/go.c" "$T/tgt/go.d"
}

# wait_in FILE TEXT MS: until FILE says TEXT
wait_in() {
	_since=$(now_ms)
	until grep -qF -- "$2" "$1" 2>/dev/null; do
		[ $(( $(now_ms) - _since )) -le "$3" ] ||
			{ cat "$1"; fail "'$2' not in $1 within $3 ms"; }
		sleep 0.02
	done
}

# ---- run 1: A holds h1 while its slow task waits
bg_tend a $(apply a) -e slow=true
A=$pid
wait_file "$T/tgt/started.a" 20000

# ---- run 2: B without --lock-timeout: exit 5 at once, naming A
since=$(now_ms)
run_tend 5 $(apply b)
took=$(( $(now_ms) - since ))
[ "$took" -lt 3000 ] || fail "a refused apply took $took ms"
expect_in "$T/err" "refused: host 'h1' is being applied to by run 1 (pid $A on $CTL, since 20"
expect_in "$T/err" "this run did not wait for it (--lock-timeout 0)"
expect_in "$T/err" "wait for it with --lock-timeout"
expect_not_in "$T/out" "PLAY RECAP"
expect_content "$T/tgt/order" "a
"

# ---- run 3: a plan during A returns at once, and takes no lock
since=$(now_ms)
run_tend 0 plan "$T/pb.yml" -i "$INV" -e root="$T/tgt" -e v=p --lock-timeout 60s
took=$(( $(now_ms) - since ))
[ "$took" -lt 3000 ] || fail "a plan during an apply took $took ms"
expect_not_in "$T/err" "waiting"
expect_in "$T/out" "h1"
expect_content "$T/tgt/order" "a
"

# ---- run 4: B with --lock-timeout 1s: waits, then exit 5 after ~1 s
since=$(now_ms)
run_tend 5 $(apply b) --lock-timeout 1s --format json
took=$(( $(now_ms) - since ))
[ "$took" -ge 1000 ] && [ "$took" -lt 4000 ] ||
	fail "--lock-timeout 1s gave up after $took ms"
expect_in "$T/err" "tend: waiting up to 1s for host 'h1': run 1 (pid $A on $CTL, since 20"
expect_in "$T/err" "refused: host 'h1' is still being applied to by run 1 (pid $A on $CTL, since 20"
expect_in "$T/err" "after waiting 1." # seconds, one decimal
expect_in "$T/err" "(--lock-timeout 1s)"
# the JSON document counts the wait, for a daemon's metrics
[ "$(json_get "$T/out" "d['lock_waits']['count']")" = 1 ] ||
	{ cat "$T/out"; fail "the refused wait is not counted"; }
[ "$(json_get "$T/out" "1 <= d['lock_waits']['seconds'] < 4")" = True ] ||
	{ cat "$T/out"; fail "the refused wait's seconds"; }
expect_content "$T/tgt/order" "a
"

# ---- run 5: B with --lock-timeout 60s waits for A, then runs after it
bg_tend b $(apply b) --lock-timeout 60s --format json
wait_in "$T/b.err" "waiting up to 1m for host 'h1': run 1 (pid $A on $CTL" 20000
[ ! -e "$T/b.rc" ] || { cat "$T/b.err"; fail "B did not wait"; }
expect_content "$T/tgt/order" "a
"
touch "$T/tgt/go.a"
bg_wait a 20000
[ "$rc" = 0 ] || { cat "$T/a.err"; fail "A exited $rc"; }
bg_wait b 20000
[ "$rc" = 0 ] || { cat "$T/b.err"; fail "B exited $rc"; }
expect_in "$T/b.err" "tend: host 'h1' is free after "
[ "$(json_get "$T/b.out" "d['lock_waits']['count']")" = 1 ] ||
	{ cat "$T/b.out"; fail "B's wait is not counted"; }
# B started after A had ended: their lines never interleave
expect_content "$T/tgt/order" "a
a-end
b
b-end
"
[ "$(run_status 1)" = ok ] || fail "run 1 (A) is not ok"
[ "$(run_status 2)" = error ] || fail "run 2 (refused) is not error"
[ "$(run_status 3)" = ok ] || fail "run 3 (plan) is not ok"
[ "$(run_status 4)" = error ] || fail "run 4 (timed out) is not error"
[ "$(run_status 5)" = ok ] || fail "run 5 (B after waiting) is not ok"

# ---- runs 6, 7: an apply killed with SIGKILL leaves its lock behind; the
# next apply breaks it, with a warning that names the dead holder
: >"$T/tgt/order"
bg_tend k $(apply k) -e slow=true
K=$pid
wait_file "$T/tgt/started.k" 20000
kill -KILL "$K"
bg_wait k 5000
touch "$T/tgt/go.k" # the killed run's task ends on the host
/usr/bin/python3 - "$XDG_STATE_HOME/tend/tend.db" "$K" <<'PY' || fail "no lock to break"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute('SELECT name, owner, pid FROM locks').fetchall()
assert rows == [('host:h1', 'run 6', int(sys.argv[2]))], rows
PY
run_tend 0 $(apply n)
expect_in "$T/err" "warning: broke the lock on host 'h1' of run 6 (pid $K on $CTL, since 20"
expect_in "$T/err" "its process is gone"
expect_in "$T/tgt/order" "n-end"
[ "$(run_status 6)" = interrupted ] || fail "run 6 (killed) is not interrupted"
[ "$(run_status 7)" = ok ] || fail "run 7 is not ok"

# ---- runs 8, 9: SIGTERM to an apply waiting for a lock ends it promptly
: >"$T/tgt/order"
bg_tend c $(apply c) -e slow=true
wait_file "$T/tgt/started.c" 20000
bg_tend w $(apply w) --lock-timeout 60s
W=$pid
wait_in "$T/w.err" "waiting up to 1m for host 'h1': run 8" 20000
since=$(now_ms)
kill -TERM "$W"
bg_wait w 5000
took=$(( $(now_ms) - since ))
[ "$rc" = 1 ] || { cat "$T/w.err"; fail "SIGTERM while waiting: exit $rc"; }
[ "$took" -lt 1500 ] || fail "SIGTERM while waiting took $took ms to end it"
expect_in "$T/w.err" "interrupted: no further task was started"
expect_not_in "$T/w.err" "refused"
[ "$(run_status 9)" = interrupted ] || fail "run 9 (SIGTERM) is not interrupted"
touch "$T/tgt/go.c"
bg_wait c 20000
[ "$rc" = 0 ] || { cat "$T/c.err"; fail "C exited $rc"; }
# the waiting run changed nothing
expect_content "$T/tgt/order" "c
c-end
"

# ---- a saved plan (run 10), applied while D (run 11) holds h1: refused at
# once with exit 5, or waited for before the plan is checked, then applied
run_tend 0 plan "$T/pb.yml" -i "$INV" -e root="$T/tgt" -e v=q --out "$T/plan.json"
: >"$T/tgt/order"
bg_tend d $(apply d) -e slow=true
D=$pid
wait_file "$T/tgt/started.d" 20000
run_tend 5 apply "$T/plan.json"
expect_in "$T/err" "refused: host 'h1' is being applied to by run 11 (pid $D on $CTL, since 20"
bg_tend q apply "$T/plan.json" --lock-timeout 60s
wait_in "$T/q.err" "waiting up to 1m for host 'h1': run 11 (pid $D on $CTL" 20000
touch "$T/tgt/go.d"
bg_wait d 20000
[ "$rc" = 0 ] || { cat "$T/d.err"; fail "D exited $rc"; }
bg_wait q 20000
[ "$rc" = 0 ] || { cat "$T/q.err"; fail "the plan's apply exited $rc"; }
expect_content "$T/tgt/order" "d
d-end
q
q-end
"

/usr/bin/python3 - "$XDG_STATE_HOME/tend/tend.db" <<'PY' || fail "state DB"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
assert db.execute('PRAGMA integrity_check').fetchone() == ('ok',)
# every run released its locks when it ended
assert db.execute('SELECT COUNT(*) FROM locks').fetchone() == (0,), \
    db.execute('SELECT * FROM locks').fetchall()
PY

#!/bin/sh
# Two applies on one state DB at the same time, on the same hosts: the
# second is refused before it touches a host, with a message naming the
# run that holds them; the first finishes; the DB stays sound and holds
# both records. A plan meanwhile is not refused (it changes nothing), an
# apply on other hosts goes ahead, and a killed run holds nothing.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-fault.sh"

mkdir -p "$T/tgt"
cat >"$T/inv" <<'INI'
[all:vars]
ansible_connection=local
[web]
h1
h2
[db]
d1
INI
cat >"$T/pb.yml" <<'YML'
- hosts: "{{ target | default('web') }}"
  gather_facts: false
  tasks:
    - copy: { content: "{{ v }}\n", dest: "{{ root }}/{{ inventory_hostname }}" }
    - shell: touch {{ root }}/../started.{{ v }};
        while [ ! -e {{ root }}/../go.{{ v }} ]; do sleep 0.02; done
      when: slow | default(false) | bool
YML

# run 1 holds h1 and h2 while its slow task waits
bg_tend first apply "$T/pb.yml" -i "$T/inv" -e root="$T/tgt" -e v=1 -e slow=true
first=$pid
wait_file "$T/started.1" 20000

# run 2, same hosts: refused at once, nothing changed
run_tend 5 apply "$T/pb.yml" -i "$T/inv" -e root="$T/tgt" -e v=2
expect_in "$T/err" "refused: host 'h1' is being applied to by run 1 (pid $first on $(hostname)"
expect_in "$T/err" "apply again once that run has ended"
expect_not_in "$T/out" "PLAY RECAP"   # no empty recap of a run that did nothing
expect_content "$T/tgt/h1" "1
"
expect_content "$T/tgt/h2" "1
"
# a plan is read-only: it is not refused
run_tend 0 plan "$T/pb.yml" -i "$T/inv" -e root="$T/tgt" -e v=3
expect_in "$T/out" "Plan: 2 to change"
# other hosts: go ahead
run_tend 0 apply "$T/pb.yml" -i "$T/inv" -e root="$T/tgt" -e v=4 -e target=db
expect_content "$T/tgt/d1" "4
"

touch "$T/go.1"
bg_wait first 20000
[ "$rc" = 0 ] || { cat "$T/first.err"; fail "run 1 exited $rc"; }

# both applies on record, the refused one as an error; the DB is sound
[ "$(run_status 1)" = ok ] || { cat "$T/hist.json"; fail "run 1 is not ok"; }
[ "$(run_status 2)" = error ] || { cat "$T/hist.json"; fail "run 2 is not error"; }
[ "$(run_status 3)" = ok ] || fail "the plan (run 3) is not ok"
[ "$(run_status 4)" = ok ] || fail "run 4 is not ok"
/usr/bin/python3 - "$XDG_STATE_HOME/tend/tend.db" <<'PY' || fail "state DB"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
assert db.execute('PRAGMA integrity_check').fetchone() == ('ok',)
# run 1 released its locks when it ended
assert db.execute('SELECT COUNT(*) FROM locks').fetchone() == (0,), \
    db.execute('SELECT * FROM locks').fetchall()
PY

# once run 1 has ended, the same apply goes ahead
run_tend 0 apply "$T/pb.yml" -i "$T/inv" -e root="$T/tgt" -e v=5
expect_content "$T/tgt/h1" "5
"

# a killed run's locks do not refuse the next one
bg_tend killed apply "$T/pb.yml" -i "$T/inv" -e root="$T/tgt" -e v=6 -e slow=true
wait_file "$T/started.6" 20000
kill -KILL "$pid"
bg_wait killed 5000
touch "$T/go.6"
run_tend 0 apply "$T/pb.yml" -i "$T/inv" -e root="$T/tgt" -e v=7
expect_content "$T/tgt/h2" "7
"
[ "$(run_status 6)" = interrupted ] || fail "run 6 is not interrupted"

# two at once, many times over: exactly one of each pair applies, the other
# is refused; every run is on record and none is left running
i=0
while [ $i -lt 5 ]; do
	bg_tend a apply "$T/pb.yml" -i "$T/inv" -e root="$T/tgt" -e v=a$i -e slow=true
	bg_tend b apply "$T/pb.yml" -i "$T/inv" -e root="$T/tgt" -e v=b$i -e slow=true
	since=$(now_ms)
	# each has started its slow task or ended: whichever holds the
	# hosts holds them until its go file
	until { [ -e "$T/started.a$i" ] || [ -e "$T/a.rc" ]; } &&
	      { [ -e "$T/started.b$i" ] || [ -e "$T/b.rc" ]; }; do
		[ $(( $(now_ms) - since )) -lt 20000 ] || fail "pair $i hangs"
		sleep 0.01
	done
	touch "$T/go.a$i" "$T/go.b$i"
	bg_wait a 20000; ra=$rc
	bg_wait b 20000; rb=$rc
	[ "$ra$rb" = 05 ] || [ "$ra$rb" = 50 ] ||
		{ cat "$T/a.err" "$T/b.err"; fail "pair $i exited $ra and $rb"; }
	i=$((i + 1))
done
"$TEND" history --format json --limit 100 >"$T/hist.json"
[ "$(json_get "$T/hist.json" "len(d['runs'])")" = 17 ] || fail "runs missing"
[ "$(json_get "$T/hist.json" "sum(r['status'] == 'running' for r in d['runs'])")" = 0 ] ||
	fail "a run is left running"

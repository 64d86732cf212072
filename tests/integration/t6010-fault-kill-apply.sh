#!/bin/sh
# SIGKILL and SIGTERM in the middle of an apply (local connection): the
# files are the old content or the new, never a cut one, and no temp file
# is left; the run is on record as interrupted once the next tend looks,
# with the results it had; SIGTERM lets the task in flight finish, starts
# no other, and says so.
#
# (a) SIGKILL while a task runs; (b) SIGKILL while a copy streams 48 MB
# into its temp file (the shell on the target used to see the cut input
# as the end of the file and renamed it into place); (c) SIGTERM while a
# task runs; (d) SIGTERM while a copy streams.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-fault.sh"

mkdir -p "$T/tgt"
printf 'h1 ansible_connection=local\n' >"$T/inv"
cat >"$T/slow.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - copy: { content: "new a\n", dest: "{{ root }}/a" }
    - name: the slow one
      shell: echo $$ >{{ root }}/../task.pid; touch {{ root }}/../started;
        while [ ! -e {{ root }}/../go ]; do sleep 0.02; done
    - copy: { content: "new b\n", dest: "{{ root }}/b" }
YML
reset_targets() {
	printf 'old a\n' >"$T/tgt/a"
	printf 'old b\n' >"$T/tgt/b"
	rm -f "$T/started" "$T/go" "$T/task.pid"
}

# ---- (a) SIGKILL while a task runs
reset_targets
bg_tend kill1 apply "$T/slow.yml" -i "$T/inv" -e root="$T/tgt"
wait_file "$T/started" 20000
kill -KILL "$pid"
bg_wait kill1 5000
touch "$T/go"   # the orphaned task ends
kill_pidfile "$T/task.pid"
[ "$rc" = 137 ] || fail "SIGKILL: exit $rc"
expect_content "$T/tgt/a" "new a
"
expect_content "$T/tgt/b" "old b
"
no_temp_files "$T/tgt"
# the next tend finds the dead run and marks it, results kept
[ "$(run_status 1)" = interrupted ] ||
	{ cat "$T/hist.json"; fail "run 1 killed mid-apply is not interrupted"; }
run_tend 0 show 1 --format json
[ "$(json_get "$T/out" "[r['status'] for r in d['run']['results']]")" = \
  "['changed']" ] || { cat "$T/out"; fail "run 1 lost its result"; }
[ "$(json_get "$T/out" "d['run']['changed']")" = 1 ] ||
	{ cat "$T/out"; fail "run 1's totals do not count its result"; }
run_tend 0 show 1
expect_in "$T/out" "interrupted"

# ---- (b) SIGKILL while a copy streams into its temp file
head -c 50331648 /dev/urandom >"$T/big.new"
head -c 1000 /dev/urandom >"$T/big.old"
cp "$T/big.old" "$T/tgt/big"
cat >"$T/big.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - copy: { src: "{{ src }}", dest: "{{ root }}/big" }
YML
bg_tend kill2 apply "$T/big.yml" -i "$T/inv" -e root="$T/tgt" -e src="$T/big.new"
# tend is killed the moment the temp file appears: the input is mid-way
/usr/bin/python3 "$TOP/tests/lib/kill-on-temp.py" "$T/tgt" KILL "$pid" \
	>"$T/tmpname" || fail "the copy's temp file never appeared"
bg_wait kill2 5000
[ "$rc" = 137 ] || fail "SIGKILL mid-copy: exit $rc"
# the target's shell lives on a moment after tend: let it end
since=$(now_ms)
while [ -e "$T/tgt/$(cat "$T/tmpname")" ] &&
      [ $(( $(now_ms) - since )) -lt 10000 ]; do
	sleep 0.02
done
expect_one_of "$T/tgt/big" "$T/big.old" "$T/big.new"
no_temp_files "$T/tgt"
[ "$(run_status 2)" = interrupted ] || fail "run 2 is not interrupted"

# ---- (c) SIGTERM while a task runs: it finishes, no other starts
reset_targets
bg_tend term1 apply "$T/slow.yml" -i "$T/inv" -e root="$T/tgt"
wait_file "$T/started" 20000
kill -TERM "$pid"
sleep 0.2   # tend must wait for the task in flight, not leave it
[ ! -e "$T/term1.rc" ] || fail "SIGTERM did not wait for the task in flight"
touch "$T/go"
bg_wait term1 5000
[ "$rc" = 1 ] || { cat "$T/term1.err"; fail "SIGTERM: exit $rc"; }
expect_in "$T/term1.err" "interrupted: no further task was started"
expect_content "$T/tgt/a" "new a
"
expect_content "$T/tgt/b" "old b
"
no_temp_files "$T/tgt"
[ "$(run_status 3)" = interrupted ] || fail "run 3 is not interrupted"
run_tend 0 show 3 --format json
[ "$(json_get "$T/out" "[r['status'] for r in d['run']['results']]")" = \
  "['changed', 'changed']" ] || { cat "$T/out"; fail "run 3's results"; }
[ "$(json_get "$T/out" "d['run']['finished'] is not None")" = True ] ||
	fail "run 3 has no end time"

# ---- (d) SIGTERM while a copy streams: the copy completes
cp "$T/big.old" "$T/tgt/big"
bg_tend term2 apply "$T/big.yml" -i "$T/inv" -e root="$T/tgt" -e src="$T/big.new"
/usr/bin/python3 "$TOP/tests/lib/kill-on-temp.py" "$T/tgt" TERM "$pid" \
	>"$T/tmpname" || fail "the copy's temp file never appeared"
bg_wait term2 20000
[ "$rc" = 1 ] || { cat "$T/term2.err"; fail "SIGTERM mid-copy: exit $rc"; }
expect_in "$T/term2.err" "interrupted"
cmp -s "$T/tgt/big" "$T/big.new" || fail "the copy in flight did not finish"
no_temp_files "$T/tgt"
[ "$(run_status 4)" = interrupted ] || fail "run 4 is not interrupted"

# ---- the next apply converges and is on record as ok
reset_targets
touch "$T/go"
run_tend 0 apply "$T/slow.yml" -i "$T/inv" -e root="$T/tgt"
expect_content "$T/tgt/b" "new b
"
[ "$(run_status 5)" = ok ] || fail "run 5 is not ok"
[ "$("$TEND" history --format json | json_get /dev/stdin \
	"sum(r['status'] == 'running' for r in d['runs'])")" = 0 ] ||
	fail "a run is still 'running'"

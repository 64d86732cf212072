#!/bin/sh
# Setting a play up is linear in the hosts; SIGTERM while the inventory
# loads or the play is set up stops tend at once, with the run on record as
# interrupted; host ranges that expand past the limits are refused before
# they are expanded.
#
# The bounds are wide (tend under ASan on a loaded machine stays well
# inside them), but a quadratic set-up or a signal left waiting breaks
# them by far: before, 40000 hosts took from 35 s to minutes, and the
# signal waited as long.
. "$(dirname "$0")/../lib/lib-test.sh"

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# inventory N FILE [VARS]: an INI inventory of N local hosts, with VARS
# more group vars
inventory() {
	{
		echo "[all:vars]"
		echo "ansible_connection=local"
		seq 1 "${3:-0}" | sed 's/.*/v&="value &"/'
		echo "[many]"
		seq 1 "$1" | sed 's/^/h/'
	} >"$2"
}

# start ARGS...: run tend in the background, its pid in $T/pid (tend's
# own: the shell execs it), stdout and stderr in $T/out and $T/err, and
# its exit status in $T/rc once it is done.
start() {
	rm -f "$T/pid" "$T/rc"
	(
		set +e
		sh -c 'echo $$ >"$0"; exec "$@"' "$T/pid" "$TEND" "$@" \
			>"$T/out" 2>"$T/err"
		echo $? >"$T/rc"
	) &
	bg=$!
	while [ ! -s "$T/pid" ]; do sleep 0.01; done
	pid=$(cat "$T/pid")
}

# finish MS WHAT: wait up to MS ms for tend to exit, else kill it and
# fail; leaves its exit status in $rc and the time it took in $took.
finish() {
	since=$(now_ms)
	while [ ! -e "$T/rc" ]; do
		if [ $(( $(now_ms) - since )) -gt "$1" ]; then
			kill -KILL "$pid" 2>/dev/null || true
			wait "$bg" || true
			fail "$2 took more than $1 ms"
		fi
		sleep 0.02
	done
	wait "$bg"
	took=$(( $(now_ms) - since ))
	rc=$(cat "$T/rc")
}

# newest_run_status: the status of the newest run in `tend history`
newest_run_status() {
	"$TEND" history --format json >"$T/hist" ||
		fail "tend history: $(cat "$T/hist")"
	json_get "$T/hist" "d['runs'][0]['status'] if d['runs'] else 'none'"
}

printf -- '- hosts: all\n  gather_facts: false\n  tasks: []\n' >"$T/pb.yml"

# (a) 40000 hosts, no task: a linear set-up takes about a second (four
# to nine under ASan on a busy machine); the quadratic one took 35 s.
inventory 40000 "$T/inv40k"
start plan "$T/pb.yml" -i "$T/inv40k"
finish 20000 "a no-task plan over 40000 hosts"
[ "$rc" = 0 ] || { cat "$T/err"; fail "plan over 40000 hosts exited $rc"; }
# (a host that ran nothing is in no recap, as in Ansible: none here)
expect_in "$T/out" "Plan: 0 to change, 0 ok, 0 unknown on 0 hosts."
echo "40000 hosts: $took ms"

# (b) SIGTERM while the inventory loads (300000 hosts take seconds to
# load; the handler is in place before): no run was on record yet, so
# tend puts one there, interrupted.
inventory 300000 "$T/inv300k"
start plan "$T/pb.yml" -i "$T/inv300k"
sleep 0.3
kill -TERM "$pid"
finish 2000 "exiting on SIGTERM while the inventory loads"
[ "$rc" = 1 ] || { cat "$T/err"; fail "SIGTERM while loading: exit $rc"; }
expect_in "$T/err" "interrupted"
[ "$(newest_run_status)" = interrupted ] ||
	{ cat "$T/hist"; fail "the run stopped while loading is not interrupted"; }
echo "SIGTERM while loading: out in $took ms: $(cat "$T/err")"

# ...and while the play is set up: the run is on record (running) once the
# inventory is loaded. With a few group vars, 40000 hosts take seconds to
# set up.
inventory 40000 "$T/inv40kv" 10
start plan "$T/pb.yml" -i "$T/inv40kv"
since=$(now_ms)
until [ "$("$TEND" history | awk 'NR == 2 { print $4 }')" = running ]; do
	[ -e "$T/rc" ] && { cat "$T/err"; fail "tend ended before the signal"; }
	[ $(( $(now_ms) - since )) -lt 60000 ] || fail "the run never started"
	sleep 0.05
done
kill -TERM "$pid"
finish 2000 "exiting on SIGTERM during the play's set-up"
[ "$rc" = 1 ] || { cat "$T/err"; fail "SIGTERM during set-up: exit $rc"; }
expect_in "$T/err" "interrupted: no further task was started"
[ "$(newest_run_status)" = interrupted ] ||
	{ cat "$T/hist"; fail "the run stopped in set-up is not interrupted"; }
echo "SIGTERM during set-up: out in $took ms"

# (c) 513 bytes of ranges ask for millions of hosts: each pattern is
# counted first, and past 100000 hosts (or 200000 for the inventory)
# refused with file:line; the old code ran for more than ten minutes.
{
	echo "[all:vars]"
	echo "ansible_connection=local"
	echo "[a]"
	echo "a[0:99999]"
	echo "[b]"
	echo "b[0:99999]"
	echo "[c]"
	i=0
	while [ $i -lt 10 ]; do echo "c$i[0:99999]"; i=$((i + 1)); done
	echo "[d]"
	echo "d[0:99][0:99][0:99]"
	echo "e[0:999][0:999][0:999][0:999]"
	echo "[f:children]"
	echo "a"
	echo "b"
} >"$T/ranges"
# pad with a comment to the 513 bytes of the inventory that was reported
awk -v n=$((513 - $(wc -c <"$T/ranges") - 1)) \
	'BEGIN { s = "#"; while (length(s) < n) s = s "x"; print s }' \
	>>"$T/ranges"
[ "$(wc -c <"$T/ranges")" = 513 ] || fail "ranges inventory is not 513 bytes"
start plan "$T/pb.yml" -i "$T/ranges"
finish 5000 "refusing the ranges inventory"
[ "$rc" = 1 ] || { cat "$T/err"; fail "ranges inventory: exit $rc"; }
expect_in "$T/err" "$T/ranges:8:1: host pattern 'c0[0:99999]' brings the hosts expanded from ranges in this inventory to 300000, more than the limit of 200000 per inventory"
expect_in "$T/err" "$T/ranges:17:1: host pattern 'c9[0:99999]' brings"
expect_in "$T/err" "$T/ranges:19:1: host pattern 'd[0:99][0:99][0:99]' expands to 1000000 hosts, more than the limit of 100000 per pattern"
expect_in "$T/err" "$T/ranges:20:1: host pattern 'e[0:999][0:999][0:999][0:999]' expands to 1000000000000 hosts, more than the limit of 100000 per pattern"
[ "$(grep -c 'more than the limit' "$T/err")" = 12 ] ||
	{ cat "$T/err"; fail "expected 12 errors"; }
echo "ranges inventory refused in $took ms"

# a pattern at the limit is fine
printf '[w]\nw[000001:100000]\n' >"$T/limit"
run_tend 0 validate "$T/pb.yml" -i "$T/limit"
expect_in "$T/out" "ok: 1 playbook"

# Helpers for the fault tests (tests/integration/t*-fault-*.sh): tend in
# the background, waiting for marker files instead of fixed sleeps, and
# the checks every fault test makes afterwards.
#
# Sourced after tests/lib/lib-test.sh (which gives $T, $TEND and fail).
#
#   bg_tend NAME ARGS...  run tend in the background; its pid (tend's own:
#                         the shell execs it) in $pid, stdout and stderr in
#                         $T/NAME.out and $T/NAME.err, and later its exit
#                         status in $T/NAME.rc
#   bg_wait NAME MS       wait up to MS ms for it to exit (else kill it and
#                         fail); its exit status in $rc
#   wait_file PATH MS     wait up to MS ms for PATH to exist, else fail
#   kill_pidfile FILE     kill -KILL the pid in FILE (a process a test task
#                         left behind), if any
#   no_temp_files DIR     fail if DIR holds a temp file of tend's writes
#   expect_one_of FILE A B
#                         FILE holds exactly the content of file A or of
#                         file B (never a mix, never a cut)
#   run_status ID         the status of run ID in `tend history` (which
#                         reaps the runs of dead processes first)

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

bg_tend() {
	_name=$1; shift
	rm -f "$T/$_name.pid" "$T/$_name.rc"
	(
		set +e
		sh -c 'echo $$ >"$0"; exec "$@"' "$T/$_name.pid" "$TEND" "$@" \
			>"$T/$_name.out" 2>"$T/$_name.err"
		echo $? >"$T/$_name.rc"
	) &
	while [ ! -s "$T/$_name.pid" ]; do sleep 0.01; done
	pid=$(cat "$T/$_name.pid")
}

bg_wait() {
	_since=$(now_ms)
	while [ ! -e "$T/$1.rc" ]; do
		if [ $(( $(now_ms) - _since )) -gt "$2" ]; then
			kill -KILL "$(cat "$T/$1.pid")" 2>/dev/null || true
			cat "$T/$1.err" >&2
			fail "tend ($1) did not end within $2 ms"
		fi
		sleep 0.02
	done
	rc=$(cat "$T/$1.rc")
}

wait_file() {
	_since=$(now_ms)
	while [ ! -e "$1" ]; do
		[ $(( $(now_ms) - _since )) -le "$2" ] ||
			fail "$1 did not appear within $2 ms"
		sleep 0.01
	done
}

kill_pidfile() {
	[ -s "$1" ] && kill -KILL "$(cat "$1")" 2>/dev/null
	return 0
}

no_temp_files() {
	_left=$(find "$1" -maxdepth 1 -name '*.tend-*' -o -maxdepth 1 \
		-name '.tend-*')
	[ -z "$_left" ] || { ls -la "$1"; fail "temp files left in $1: $_left"; }
}

expect_one_of() {
	cmp -s "$1" "$2" || cmp -s "$1" "$3" || {
		ls -la "$(dirname "$1")"
		fail "$1 ($(wc -c <"$1") bytes) is neither $2 nor $3"
	}
}

run_status() {
	"$TEND" history --format json --limit 100 >"$T/hist.json" ||
		fail "tend history failed"
	json_get "$T/hist.json" \
		"[r['status'] for r in d['runs'] if r['id'] == $1][0]"
}

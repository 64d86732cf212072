# tend daemon in tests (sourced after lib-test.sh).
#
# daemon_start DIR CONFIG [ARGS...]  start `tend daemon --config CONFIG`
#                                    with its log in DIR/log, wait until it
#                                    says it is ready, set $DURL (its
#                                    http://127.0.0.1:PORT); stopped on exit
# daemon_stop DIR [RC]               SIGTERM, wait for it, check its exit
#                                    code (default 0)
# wait_until SECONDS CMD...          run CMD until it succeeds (fail after)
# api PATH                           GET $DURL/PATH into $T/api (fails on
#                                    an HTTP error)

_daemon_dirs=""

daemon_start() {
	_dd=$1 _dc=$2
	shift 2
	mkdir -p "$_dd"
	# (emptied here, not by the background job's redirection: that may
	# run after the loop below has read a restarted daemon's old log)
	: >"$_dd/out"
	: >"$_dd/log"
	"$TEND" daemon --config "$_dc" "$@" >>"$_dd/out" 2>>"$_dd/log" &
	echo $! >"$_dd/pid"
	_daemon_dirs="$_daemon_dirs $_dd"
	[ -n "${_daemon_on_exit:-}" ] || { _daemon_on_exit=1; on_exit _daemon_stop_all; }
	_w=0
	until grep -q ' ready: ' "$_dd/log" 2>/dev/null; do
		kill -0 "$(cat "$_dd/pid")" 2>/dev/null ||
			{ cat "$_dd/log" >&2; fail "the daemon exited at start"; }
		_w=$((_w + 1))
		[ "$_w" -lt 400 ] || { cat "$_dd/log" >&2; fail "the daemon is not ready after 20 s"; }
		sleep 0.05
	done
	DURL=$(sed -n 's/.* ready: .*\(http:\/\/[0-9.]*:[0-9]*\).*/\1/p' "$_dd/log" | head -n 1)
	[ -n "$DURL" ] || fail "no address in the daemon's log"
}

daemon_stop() {
	_dd=$1 _want=${2:-0}
	_p=$(cat "$_dd/pid")
	kill -TERM "$_p" 2>/dev/null || true
	set +e
	wait "$_p"
	_rc=$?
	set -e
	rm -f "$_dd/pid"
	[ "$_rc" = "$_want" ] || { cat "$_dd/log" >&2; fail "the daemon exited $_rc, expected $_want"; }
}

_daemon_stop_all() {
	for _dd in $_daemon_dirs; do
		[ -f "$_dd/pid" ] || continue
		kill -TERM "$(cat "$_dd/pid")" 2>/dev/null || true
		_w=0
		while kill -0 "$(cat "$_dd/pid")" 2>/dev/null && [ "$_w" -lt 200 ]; do
			sleep 0.05; _w=$((_w + 1))
		done
		kill -KILL "$(cat "$_dd/pid")" 2>/dev/null || true
	done
}

wait_until() {
	_secs=$1
	shift
	_end=$(($(date +%s) + _secs))
	until "$@"; do
		if [ "$(date +%s)" -ge "$_end" ]; then
			for _dd in $_daemon_dirs; do
				echo "--- $_dd/log" >&2
				tail -n 40 "$_dd/log" >&2
			done
			fail "waited ${_secs}s for: $*"
		fi
		sleep 0.1
	done
}

api() {
	curl -fsS "$DURL/$1" >"$T/api" || fail "GET /$1 failed"
}

# Sourced by tests that need a static HTTP server (after lib-test.sh).
#
# serve_start DIR: python3 -m http.server over DIR on a free loopback port;
# sets HTTP_PORT, logs requests to $T/serve.log, and stops it on exit.
serve_start() {
	# the file exists before the server's shell opens it: read at once
	# below, it failed the test (set -e) on a loaded machine
	: >"$T/serve.log"
	/usr/bin/python3 -u -m http.server --bind 127.0.0.1 --directory "$1" 0 \
		>"$T/serve.log" 2>&1 &
	SERVE_PID=$!
	on_exit serve_stop
	HTTP_PORT=
	for _ in $(seq 300); do
		HTTP_PORT=$(sed -n 's/.* port \([0-9][0-9]*\) .*/\1/p' "$T/serve.log")
		[ -n "$HTTP_PORT" ] && return 0
		sleep 0.1
	done
	fail "the HTTP server did not start"
}
serve_stop() {
	[ -n "${SERVE_PID:-}" ] || return 0
	kill "$SERVE_PID" 2>/dev/null || true
	wait "$SERVE_PID" 2>/dev/null || true
	SERVE_PID=
}
# serve_requests: how many requests the server has answered so far.
serve_requests() {
	grep -c '" [0-9][0-9][0-9] ' "$T/serve.log" || true
}

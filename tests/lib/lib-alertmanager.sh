# A real Prometheus Alertmanager on 127.0.0.1, for the maintenance window
# tests (Debian prometheus-alertmanager).
#
# Sourced by integration tests after tests/lib/lib-test.sh (which gives
# on_exit), or alone from `sh -c` by the C unit tests.
#
#   am_start DIR [PORT]
#                     start one under DIR (its own config, data dir and a
#                     free port, or PORT: a restart where tend knows it;
#                     no cluster listener) and wait until ready; writes
#                     DIR/port, DIR/pid, DIR/log
#   am_url DIR        print http://127.0.0.1:PORT
#   am_stop DIR       stop it by its PID
#   am_stop_all       stop every one started here (registered with on_exit)
#   am_alert DIR JSON post alerts (a JSON list) to /api/v2/alerts

AM_BIN=${AM_BIN:-/usr/bin/prometheus-alertmanager}
_am_dirs=""

_am_port_busy() {
	_hex=$(printf '%04X' "$1")
	grep -q ":$_hex " /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

_am_random_port() {
	_r=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
	echo $((40000 + _r % 20000))
}

am_url() {
	echo "http://127.0.0.1:$(cat "$1/port")"
}

am_start() {
	_d=$1
	mkdir -p "$_d/data"
	cat >"$_d/am.yml" <<'YML'
route:
  receiver: "null"
receivers:
  - name: "null"
YML
	_tries=0
	while [ "$_tries" -lt 10 ]; do
		_tries=$((_tries + 1))
		_p=${2:-$(_am_random_port)}
		[ -n "${2:-}" ] || ! _am_port_busy "$_p" || continue
		"$AM_BIN" --config.file="$_d/am.yml" --storage.path="$_d/data" \
			--web.listen-address="127.0.0.1:$_p" \
			--cluster.listen-address= >"$_d/log" 2>&1 &
		echo $! >"$_d/pid"
		echo "$_p" >"$_d/port"
		_am_dirs="$_am_dirs $_d"
		_w=0
		while [ "$_w" -lt 100 ]; do
			if curl -fs "http://127.0.0.1:$_p/-/ready" >/dev/null 2>&1; then
				if command -v on_exit >/dev/null 2>&1 &&
				   [ -z "${_am_on_exit:-}" ]; then
					_am_on_exit=1
					on_exit am_stop_all
				fi
				return 0
			fi
			kill -0 "$(cat "$_d/pid")" 2>/dev/null || break
			sleep 0.05
			_w=$((_w + 1))
		done
		am_stop "$_d"
	done
	echo "cannot start alertmanager in $_d:" >&2
	cat "$_d/log" >&2
	return 1
}

am_stop() {
	[ -f "$1/pid" ] || return 0
	_pid=$(cat "$1/pid")
	kill "$_pid" 2>/dev/null || true
	_w=0
	while kill -0 "$_pid" 2>/dev/null && [ "$_w" -lt 100 ]; do
		sleep 0.05
		_w=$((_w + 1))
	done
	kill -9 "$_pid" 2>/dev/null || true
	rm -f "$1/pid"
}

am_stop_all() {
	for _d in $_am_dirs; do
		am_stop "$_d"
	done
}

am_alert() {
	curl -fsS -H 'Content-Type: application/json' -d "$2" \
		"$(am_url "$1")/api/v2/alerts" >/dev/null
}

# The local receiver of Slack/PagerDuty/webhook requests
# (tests/lib/http-receiver.py): rcv_start DIR [ARGS...] starts it and
# waits for DIR/port; rcv_stop DIR stops it by its PID.
rcv_start() {
	_d=$1; shift
	mkdir -p "$_d"
	rm -f "$_d/port"
	/usr/bin/python3 "${TOP:-.}/tests/lib/http-receiver.py" "$_d" "$@" \
		>"$_d/log" 2>&1 &
	echo $! >"$_d/pid"
	_w=0
	while [ ! -f "$_d/port" ] && [ "$_w" -lt 200 ]; do
		sleep 0.025
		_w=$((_w + 1))
	done
	[ -f "$_d/port" ] || { cat "$_d/log" >&2; return 1; }
}
rcv_stop() {
	[ -f "$1/pid" ] && kill "$(cat "$1/pid")" 2>/dev/null
	rm -f "$1/pid"
}

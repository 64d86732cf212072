#!/bin/sh
# tend daemon's start and its refusals:
# - a tend.yml with errors: the daemon does not start (exit 1) and names
#   every error with file:line:col; --check says the same, and ok for a
#   good file;
# - one daemon per state DB: a second one refuses, naming the first;
# - an address already in use: a clear error, exit 1;
# - TLS with tls_cert/tls_key: /healthz over https with the CA;
# - --log-format json: one JSON object per line with time, level, msg.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-daemon.sh"
D=$T/d
mkdir -p "$D"
cat >"$D/pb.yml" <<'YML'
- hosts: localhost
  gather_facts: false
  tasks:
    - debug: {msg: hi}
YML
cat >"$D/bad.yml" <<'YML'
http:
  listen: 127.0.0.1:0
  token_file: /nonexistent/token
schedules:
  - name: a
    playbook: pb.yml
    cron: "0 0 30 2 mon-fry"
  - name: a
    playbook: pb.yml
    every: soon
YML
run_tend 1 daemon --config "$D/bad.yml" --state "$T/s.db"
expect_in "$T/err" "bad.yml:7:11: bad cron expression"
expect_in "$T/err" "bad.yml:8:5: a second schedule named 'a'"
expect_in "$T/err" "bad.yml:10:12: expected a duration for 'every'"
run_tend 1 daemon --config "$D/bad.yml" --check
expect_in "$T/err" "bad.yml:7:11: bad cron expression"
cat >"$D/tend.yml" <<'YML'
http:
  listen: 127.0.0.1:0
schedules:
  - name: hourly
    playbook: pb.yml
    cron: "@hourly"
YML
run_tend 0 daemon --config "$D/tend.yml" --check
expect_in "$T/out" "tend.yml: ok"
# a token file that cannot be read stops the start, without the token
printf 'http:\n  listen: 127.0.0.1:0\n  token_file: %s\n' "$D/missing-token" >"$D/tok.yml"
run_tend 1 daemon --config "$D/tok.yml" --state "$T/s.db"
expect_in "$T/err" "http.token_file"

# JSON log lines
daemon_start "$D/one" "$D/tend.yml" --state "$T/s.db" --log-format json
python3 -c '
import json, sys
for l in open(sys.argv[1]):
    o = json.loads(l)
    assert set(o) >= {"time", "level", "msg"}, o
    assert o["time"].endswith("Z"), o
' "$D/one/log" || fail "log lines are not JSON"

# a second daemon on the same state DB
run_tend 1 daemon --config "$D/tend.yml" --state "$T/s.db"
expect_in "$T/err" "is used by another daemon (pid $(cat "$D/one/pid") on"

# the address the first one listens on is taken
PORT=${DURL##*:}
printf 'http:\n  listen: 127.0.0.1:%s\n' "$PORT" >"$D/taken.yml"
run_tend 1 daemon --config "$D/taken.yml" --state "$T/other.db"
expect_in "$T/err" "cannot listen on 127.0.0.1:$PORT"
daemon_stop "$D/one"

# TLS
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$D/key.pem" \
	-out "$D/cert.pem" -days 1 -subj /CN=localhost \
	-addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1 || fail "openssl"
cat >"$D/tls.yml" <<YML
http:
  listen: 127.0.0.1:0
  tls_cert: $D/cert.pem
  tls_key: $D/key.pem
YML
"$TEND" daemon --config "$D/tls.yml" --state "$T/tls.db" >"$D/tls.out" 2>"$D/tls.log" &
echo $! >"$D/tls.pid"
stop_tls() { kill "$(cat "$D/tls.pid")" 2>/dev/null || true; }
on_exit stop_tls
wait_until 10 grep -q ' ready: ' "$D/tls.log"
P=$(sed -n 's/.*https:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$D/tls.log" | head -n 1)
curl -fsS --cacert "$D/cert.pem" "https://127.0.0.1:$P/healthz" >"$T/h" || { cat "$D/tls.log"; fail "https"; }
expect_content "$T/h" "ok
"
! curl -fsS "http://127.0.0.1:$P/healthz" >/dev/null 2>&1 || fail "plain http answered on a TLS port"

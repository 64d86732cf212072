#!/bin/sh
# Alertmanager faults around a maintenance window.
# (a) refused (nothing listens) at open: the apply aborts before any host
#     is touched, at once, saying why; the run is on record as an error.
# (b) black-holed (it accepts and never answers) at open: the same, within
#     the provider's timeout, never hanging; with on_failure: warn the
#     apply goes ahead and says the window is missing.
# (c) stopped in the middle of the apply: the apply finishes, the close
#     fails with a message saying when the silence ends by itself; once
#     Alertmanager is back the next tend closes it (it stayed active for
#     its whole duration before), so no silence outlives its run past the
#     grace; a window whose end passed is not retried.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-alertmanager.sh"
. "$TOP/tests/lib/lib-fault.sh"

mkdir -p "$T/pb" "$T/tgt"
printf '[web]\nh1 ansible_connection=local\nh2 ansible_connection=local\n' \
	>"$T/inv"
cat >"$T/pb/site.yml" <<'YML'
- hosts: web
  gather_facts: false
  tasks:
    - copy: { content: "{{ v }}\n", dest: "{{ root }}/{{ inventory_hostname }}" }
    - shell: touch {{ root }}/../started.{{ v }};
        while [ ! -e {{ root }}/../go.{{ v }} ]; do sleep 0.02; done
      when: slow | default(false) | bool
YML
printf '0\n' >"$T/tgt/h1"
printf '0\n' >"$T/tgt/h2"
# tend_yml URL [MORE]: the provider at URL, with MORE lines under it
tend_yml() {
	cat >"$T/pb/tend.yml" <<-YML
	maintenance:
	  duration: 10m
	  grace: 2s
	  providers:
	    - type: alertmanager
	      url: $1
	${2:-}
	YML
}
untouched() {
	expect_content "$T/tgt/h1" "0
"
	expect_content "$T/tgt/h2" "0
"
}
# free_port: a port nothing listens on
free_port() {
	while :; do
		p=$(_am_random_port)
		_am_port_busy "$p" || { echo "$p"; return; }
	done
}

# ---- (a) refused
tend_yml "http://127.0.0.1:$(free_port)"
since=$(now_ms)
run_tend 1 apply "$T/pb/site.yml" -i "$T/inv" -e root="$T/tgt" -e v=1
[ $(( $(now_ms) - since )) -lt 10000 ] || fail "a refused open took long"
expect_in "$T/err" "cannot open maintenance window: alertmanager: "
grep -qi "refused\|couldn't connect\|failed to connect" "$T/err" ||
	{ cat "$T/err"; fail "the message does not say the connection was refused"; }
untouched
[ "$(run_status 1)" = error ] || fail "run 1 is not an error"

# ---- (b) black-holed: a socket that accepts and never answers
cat >"$T/hole.py" <<'PY'
import socket, sys, time
s = socket.socket()
s.bind(('127.0.0.1', 0))
s.listen(16)
open(sys.argv[1] + '.tmp', 'w').write(str(s.getsockname()[1]))
__import__('os').rename(sys.argv[1] + '.tmp', sys.argv[1])
held = []
while True:
    c, _ = s.accept()
    held.append(c)          # never read, never answered, never closed
PY
/usr/bin/python3 "$T/hole.py" "$T/hole.port" &
hole=$!
stop_hole() { kill "$hole" 2>/dev/null; }
on_exit stop_hole
wait_file "$T/hole.port" 5000
HOLE="http://127.0.0.1:$(cat "$T/hole.port")"
tend_yml "$HOLE" "      timeout: 1s
      retries: 1"
since=$(now_ms)
run_tend 1 apply "$T/pb/site.yml" -i "$T/inv" -e root="$T/tgt" -e v=2
took=$(( $(now_ms) - since ))
[ "$took" -lt 10000 ] || fail "a black-holed open took $took ms"
expect_in "$T/err" "cannot open maintenance window: alertmanager: "
grep -qi "timed out\|timeout" "$T/err" ||
	{ cat "$T/err"; fail "the message does not say it timed out"; }
untouched
[ "$(run_status 2)" = error ] || fail "run 2 is not an error"
echo "black-holed open refused in $took ms"
# on_failure: warn goes ahead, saying so
tend_yml "$HOLE" "      timeout: 1s
      retries: 0
  on_failure: warn"
run_tend 0 apply "$T/pb/site.yml" -i "$T/inv" -e root="$T/tgt" -e v=3
expect_in "$T/err" "alertmanager: "
expect_content "$T/tgt/h1" "3
"
stop_hole

# ---- (c) Alertmanager stopped mid-apply
am_start "$T/am"
AM=$(am_url "$T/am")
port=$(cat "$T/am/port")
tend_yml "$AM"
active() {
	curl -sf "$AM/api/v2/silences" >"$T/sil.json" || fail "GET silences"
	json_get "$T/sil.json" "sum(x['status']['state'] == 'active' for x in d)"
}
bg_tend mid apply "$T/pb/site.yml" -i "$T/inv" -e root="$T/tgt" -e v=4 -e slow=true
wait_file "$T/started.4" 20000
[ "$(active)" = 1 ] || fail "no active silence while the apply runs"
am_stop "$T/am"     # a clean stop: it keeps its silences on disk
touch "$T/go.4"
bg_wait mid 30000
[ "$rc" = 0 ] || { cat "$T/mid.err"; fail "the apply exited $rc"; }
expect_content "$T/tgt/h2" "4
"
grep -q "closing maintenance window [0-9]*: alertmanager: .*; the next tend tries again, and it ends by itself at 20" \
	"$T/mid.err" || { cat "$T/mid.err"; fail "no clear message on close"; }
[ "$(run_status 4)" = ok ] || fail "run 4 is not ok"
am_start "$T/am" "$port"
[ "$(active)" = 1 ] || fail "the silence did not survive the restart"
# the next tend (a plan here) closes it: within the grace it is gone
run_tend 0 plan "$T/pb/site.yml" -i "$T/inv" -e root="$T/tgt" -e v=4
sleep 3
[ "$(active)" = 0 ] ||
	{ cat "$T/sil.json"; fail "the silence outlived its run past the grace"; }
run_tend 0 window list --all --config "$T/pb/tend.yml"
[ "$(grep -c ' open ' "$T/out")" = 0 ] || { cat "$T/out"; fail "a window is still open"; }

# a window whose close failed and whose end has passed is not retried
bg_tend short apply "$T/pb/site.yml" -i "$T/inv" -e root="$T/tgt" -e v=5 -e slow=true
wait_file "$T/started.5" 20000
am_stop "$T/am"
touch "$T/go.5"
bg_wait short 30000
expect_in "$T/short.err" "closing maintenance window"
# its end passes (the clock, moved in the DB: no test waits ten minutes)
/usr/bin/python3 - "$XDG_STATE_HOME/tend/tend.db" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
n = db.execute("UPDATE windows SET ends_at = ? WHERE status = 'open'",
               (int(time.time()) - 1,)).rowcount
assert n == 1, n
db.commit()
PY
# Alertmanager is down: no attempt, no wait, no warning
since=$(now_ms)
run_tend 0 plan "$T/pb/site.yml" -i "$T/inv" -e root="$T/tgt" -e v=5
[ $(( $(now_ms) - since )) -lt 2000 ] || fail "tend retried an ended window"
expect_not_in "$T/err" "alertmanager"
run_tend 0 window list --all --format json --config "$T/pb/tend.yml"
[ "$(json_get "$T/out" "d['windows'][0]['status']")" = expired ] ||
	{ cat "$T/out"; fail "the ended window is not expired"; }

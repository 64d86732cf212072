#!/bin/sh
# wait_for: a plan says what it would wait for and never waits; an apply
# waits for a file that appears later and for a port that opens later;
# a timeout fails with Ansible's message; state=drained is refused when
# the playbook is validated, by name, at its line.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-serve.sh"
cat >"$T/pb.yml" <<'YML'
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - wait_for:
        path: "{{ path }}"
        search_regex: 'ready (?P<n>\d+)'
        timeout: "{{ timeout | default(20) }}"
        sleep: 1
      register: r
    - copy: {dest: "{{ path }}.json", content: "{{ r | to_json }}"}
YML
# a plan: unknown, and it does not wait 20 seconds
start=$(date +%s)
run_tend 0 plan -i localhost, "$T/pb.yml" -e path="$T/log"
[ $(( $(date +%s) - start )) -lt 10 ] || fail "the plan waited"
expect_in "$T/out" "wait up to 20 s for $T/log to hold a match of ready (?P<n>\\d+)"

# the file appears (without the match, then with it) while apply waits
(sleep 1; echo starting >"$T/log"; sleep 1; echo 'ready 42' >>"$T/log") &
bg=$!
run_tend 0 apply -i localhost, "$T/pb.yml" -e path="$T/log"
wait "$bg"
expect_in "$T/log.json" '"match_groupdict": {"n": "42"}'
expect_in "$T/log.json" '"match_groups": ["42"]'
e=$(json_get "$T/log.json" 'd["elapsed"]')
[ "$e" -ge 1 ] || fail "elapsed $e: it did not wait"

# a timeout
run_tend 3 apply -i localhost, "$T/pb.yml" -e path="$T/never" -e timeout=1
expect_in "$T/out" "Timeout when waiting for search string ready (?P<n>\\d+) in $T/never"

# a port that opens later
mkdir -p "$T/www"
cat >"$T/port.yml" <<'YML'
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - wait_for: {port: "{{ port }}", timeout: 20}
YML
serve_start "$T/www"
port=$HTTP_PORT
serve_stop
# unknown (the port may open by then) is no change, unless asked
run_tend 0 plan --detailed-exitcode -i localhost, "$T/port.yml" -e port="$port"
run_tend 2 plan --detailed-exitcode --unknown-is-change -i localhost, "$T/port.yml" -e port="$port"
expect_in "$T/out" "wait up to 20 s for 127.0.0.1:$port to open"
(sleep 2; exec /usr/bin/python3 -m http.server --bind 127.0.0.1 --directory "$T/www" "$port" >/dev/null 2>&1) &
bg=$!
stop_bg() { kill "$bg" 2>/dev/null; wait "$bg" 2>/dev/null; return 0; }
on_exit stop_bg
run_tend 0 apply -i localhost, "$T/port.yml" -e port="$port"
expect_in "$T/out" "ok=1"
run_tend 0 plan --detailed-exitcode -i localhost, "$T/port.yml" -e port="$port"

# drained: refused by name at validate
cat >"$T/drained.yml" <<'YML'
- hosts: localhost
  gather_facts: false
  tasks:
    - wait_for:
        port: 22
        state: drained
YML
run_tend 1 validate "$T/drained.yml"
expect_in "$T/err" "drained.yml:6:16: value of 'state' must be one of"

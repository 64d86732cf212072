#!/bin/sh
# A window's close reports what happened on its own hosts while it was
# open: with serial: 1 each batch's window says 1 host, 1 changed (the
# whole run's running totals were reported before), and a host that
# needed no change (h3) opens no window and counts in none; each window
# lists the planned tasks of its own host only.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-alertmanager.sh"
rcv_start "$T/rcv" --secret hook-key
printf hook-key >"$T/hook.key"
on_exit stop_rcv
stop_rcv() { rcv_stop "$T/rcv"; }
mkdir -p "$T/pb" "$T/tgt"
printf '[all:vars]\nansible_connection=local\n[web]\nh1\nh2\nh3\n' >"$T/inv"
cat >"$T/pb/tend.yml" <<YML
maintenance:
  duration: 10m
  providers:
    - type: webhook
      url: http://127.0.0.1:$(cat "$T/rcv/port")/signed/tend
      secret_file: $T/hook.key
YML
cat >"$T/pb/site.yml" <<'YML'
- hosts: web
  gather_facts: false
  serial: 1
  tasks:
    - copy: { content: "v=1\n", dest: "{{ root }}/{{ inventory_hostname }}" }
    - file: { path: "{{ root }}", state: directory }
YML
echo "v=1" >"$T/tgt/h3"
run_tend 0 apply "$T/pb/site.yml" -i "$T/inv" -e root="$T/tgt"
/usr/bin/python3 - "$T/rcv/requests.jsonl" <<'PY'
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
assert all(not r['problems'] for r in reqs), reqs
closes = [r['body'] for r in reqs]
closes = [b['window'] for b in closes if b['event'] == 'window.close']
assert len(closes) == 2, closes
for w in closes:
    r = w['result']
    assert (r['hosts'], r['changed'], r['ok'], r['failed']) == (1, 1, 1, 0), w
    assert sorted(w['hosts']) in (['h1'], ['h2']), w
    # each batch's window lists its own host's tasks only
    assert [(c['host'], c['status']) for c in w['changes']] == \
        [(w['hosts'][0], 'change')], w
PY

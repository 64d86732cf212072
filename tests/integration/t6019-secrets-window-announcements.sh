#!/bin/sh
# The maintenance window's announcements (a signed webhook's JSON, a Slack
# message, the Alertmanager silence's comment and matchers) never carry a
# secret or a derived form, even when the play's name, the names of the
# tasks they list and the vars the window reads are built from one; the
# host still gets the real value.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-alertmanager.sh"
S=Wd5rTq-Lm2xVb-Np8cKs
printf 'db_password: "%s"\n' "$S" >"$T/secrets.yml"
B64=$(printf '%s' "$S" | base64 -w0)
UPPER=$(printf '%s' "$S" | tr a-z A-Z)
am_start "$T/am"
AM=$(am_url "$T/am")
rcv_start "$T/rcv" --secret hook-key
stop_rcv() { rcv_stop "$T/rcv"; }
on_exit stop_rcv
printf hook-key >"$T/hook.key"
printf 'xoxb-t6019\n' >"$T/slack.token"
mkdir -p "$T/pb" "$T/r"
cat >"$T/pb/tend.yml" <<YML
maintenance:
  duration: 10m
  providers:
    - type: alertmanager
      url: $AM
    - type: webhook
      url: http://127.0.0.1:$(cat "$T/rcv/port")/signed/tend
      secret_file: $T/hook.key
    - type: slack
      api_url: http://127.0.0.1:$(cat "$T/rcv/port")/slack
      token_file: $T/slack.token
      channel: ops
YML
printf '[web]\nh1 ansible_connection=local\n' >"$T/inv"
cat >"$T/pb/site.yml" <<'YML'
- name: "deploy {{ db_password | b64encode }}"
  hosts: web
  gather_facts: false
  tasks:
    - name: "write {{ db_password | upper }}"
      copy: { content: "{{ db_password }}\n", dest: "{{ r }}/pw" }
    - name: "check {{ db_password | b64encode }}"
      command: "true {{ db_password }}"
YML
run_tend 0 apply "$T/pb/site.yml" -i "$T/inv" -e r="$T/r" --secrets "$T/secrets.yml" --diff
expect_content "$T/r/pw" "$S
"
expect_in "$T/err" "maintenance window"
curl -sf "$AM/api/v2/silences" >"$T/silences.json"
[ -s "$T/rcv/requests.jsonl" ] || fail "the webhook got no announcement"
grep -q '"window.open"' "$T/rcv/requests.jsonl" || fail "no window.open announcement"
# the announcements do describe the run (hosts, playbook, plan)
expect_in "$T/rcv/requests.jsonl" '"hosts": ["h1"]'
expect_in "$T/rcv/requests.jsonl" "site.yml"
expect_in "$T/silences.json" "site.yml"
# they list the plan's tasks, masked
/usr/bin/python3 - "$T/rcv/requests.jsonl" <<'PY'
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
assert all(not r["problems"] for r in reqs), reqs
hook = [r["body"] for r in reqs if r["path"].startswith("/signed/")][0]
assert hook["window"]["changes"] == [
    {"host": "h1", "task": "write ********", "status": "change"},
    {"host": "h1", "task": "check ********", "status": "unknown"}], hook
slack = [r["body"] for r in reqs if r["path"] == "/slack/chat.postMessage"]
assert slack[0]["text"].endswith(
    ".\nh1: write ********\nh1: check ******** (unknown)"), slack
PY
for f in "$T/silences.json" "$T/rcv/requests.jsonl" "$T/out" "$T/err"; do
	for form in "$S" "$B64" "$UPPER" Wd5rTq Lm2xVb Np8cKs; do
		! grep -qF -- "$form" "$f" || { cat "$f"; fail "'$form' is in $f"; }
	done
done

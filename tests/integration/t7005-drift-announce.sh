#!/bin/sh
# Drift announcements, end to end from a real plan: `tend plan --format
# json` of a committed playbook and inventory (--repo: a real git source,
# as the daemon's schedules have) on two hosts, then what the daemon will
# do with it, run by tests/helpers/drift-announce (the daemon does not
# exist yet): window_announce through the providers of tend.yml, against
# tests/lib/http-receiver.py, which checks each wire format (Slack's
# chat.postMessage with &, < and > escaped, a signed webhook, a
# Mattermost incoming webhook):
# - converged hosts: nothing is posted;
# - the plan names its files by their path in the source cache; the
#   announcements show them relative to the checkout;
# - two hosts drifted: Slack and Mattermost get "Drift on 2 hosts
#   (schedule web-drift, playbook site.yml @ COMMIT, plan run N):" and
#   each drifted task with its item and file:line, a hostile task name
#   escaped; the webhook gets the signed JSON {event: drift, ...};
#   Alertmanager, PagerDuty and a provider with `announce: false` get
#   nothing;
# - a failing provider (a Slack webhook answering 404, a webhook nobody
#   listens on) does not stop the others, each is reported, and the
#   Slack webhook's secret URL is not in the report;
# - `announce:` that is not a bool is refused with file:line:col by
#   `tend plan` itself, before any host is touched.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-alertmanager.sh"
export XDG_CACHE_HOME="$T/cache"

# the helper is built beside the tend under test: bin/tend -> build/,
# BUILD/bin/tend -> BUILD/ (make test-integration builds it)
build=$(dirname "$(cd "$(dirname "$TEND")" && pwd)")
[ "$build" != "$TOP" ] || build=$TOP/build
ANNOUNCE=$build/tests/helpers/drift-announce
[ -x "$ANNOUNCE" ] || fail "no $ANNOUNCE: run 'make ${build#"$TOP"/}/tests/helpers/drift-announce'"

rcv_start "$T/rcv" --secret s3cret
stop_rcv() { rcv_stop "$T/rcv"; }
on_exit stop_rcv
RCV="http://127.0.0.1:$(cat "$T/rcv/port")"
printf 'xoxb-t7005-token\n' >"$T/slack.token"
printf '%s/hook/T000/B000/XXXXSECRET\n' "$RCV" >"$T/slack.hook"
export TEND_T7005_SECRET=s3cret TEND_T7005_MM="$RCV/hook/mm"
export TEND_T7005_PD=pd-token
cat >"$T/tend.yml" <<EOF
maintenance:
  providers:
    - type: alertmanager
      url: $RCV/odd-am
    - type: slack
      api_url: $RCV/slack
      token_file: $T/slack.token
      channel: ops
    - type: pagerduty
      api_url: $RCV/pd
      token_env: TEND_T7005_PD
      from: ops@example.com
      services: [PSVC1]
    - type: webhook
      url: $RCV/signed/drift
      secret_env: TEND_T7005_SECRET
    - type: webhook
      url: $RCV/signed/quiet
      announce: false
    - type: mattermost
      webhook_url_env: TEND_T7005_MM
EOF

# the playbook and inventory, committed: the plan carries the commit.
# (The hosts are local: the subject is the plan and the announcement, and
# under ASan a `tend plan --repo` over SSH leaks in libssh2's handshake.)
git init -q -b main "$T/src"
g() { git -C "$T/src" -c user.name=Ada -c user.email=ada@example.org "$@"; }
printf 'h1 ansible_connection=local\nh2 ansible_connection=local\n' >"$T/src/hosts"
cat >"$T/src/site.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - name: write app.conf
      copy: { content: "v=1\n", dest: "{{ root }}/{{ inventory_hostname }}.conf" }
    - name: "tidy <!channel> & <x|y>"
      file: { path: "{{ root }}/{{ inventory_hostname }}.d", state: directory }
    - name: flags
      copy: { content: "{{ item }}\n", dest: "{{ root }}/{{ inventory_hostname }}.{{ item }}" }
      loop: [a, b]
YML
g add site.yml hosts
g commit -q -m "site"
COMMIT=$(g rev-parse HEAD)
# the checkout the plans name their files under (the daemon's fetch)
run_tend 0 pull --repo "file://$T/src" --ref main
TREE=$(sed -n 's/^dir *//p' "$T/out")
mkdir "$T/tgt"
plan() {
	run_tend 0 plan --repo "file://$T/src" --ref main --trust-source \
		-i hosts -e root="$T/tgt" --config "$T/tend.yml" \
		--format json site.yml
	cp "$T/out" "$T/$1"
}
nreq() { [ -f "$T/rcv/requests.jsonl" ] && wc -l <"$T/rcv/requests.jsonl" || echo 0; }
# the requests since line $1, as a JSON list in $T/req.json
since() { tail -n "+$(($1 + 1))" "$T/rcv/requests.jsonl" | python3 -c '
import json, sys
print(json.dumps([json.loads(l) for l in sys.stdin]))' >"$T/req.json"; }

run_tend 0 apply --repo "file://$T/src" --ref main --trust-source \
	-i hosts -e root="$T/tgt" --no-window site.yml

# converged: the plan has no drift, nothing is posted
plan plan0.json
[ "$(json_get "$T/plan0.json" "sum(h['drift'] for h in d['hosts'])")" = 0 ] ||
	fail "a converged plan has drift"
n=$(nreq)
"$ANNOUNCE" --root "$TREE" "$T/tend.yml" "$T/plan0.json" web-drift 2>"$T/err" ||
	{ cat "$T/err"; fail "announcing no drift failed"; }
[ "$(nreq)" = "$n" ] || fail "no drift, but something was posted"

# h1 lost its directory and one flag, h2's config changed
rm -r "$T/tgt/h1.d" "$T/tgt/h1.b"
echo "v=0" >"$T/tgt/h2.conf"
plan plan1.json
RUN=$(json_get "$T/plan1.json" "d['run_id']")
[ "$(json_get "$T/plan1.json" "d['source']['commit']")" = "$COMMIT" ] ||
	fail "the plan does not carry the commit"
# the plan names files as the repository does (not under the checkout)
expect_in "$T/plan1.json" "\"file\": \"site.yml\""
"$ANNOUNCE" --root "$TREE" "$T/tend.yml" "$T/plan1.json" web-drift 2>"$T/err" ||
	{ cat "$T/err"; fail "the drift announcement failed"; }
since "$n"
C12=$(printf '%.12s' "$COMMIT")
cat >"$T/want" <<EOF
Drift on 2 hosts (schedule web-drift, playbook site.yml @ $C12, plan run $RUN):
h1: tidy &lt;!channel&gt; &amp; &lt;x|y&gt; at site.yml:6
h1: flags (item=b) at site.yml:8
h2: write app.conf at site.yml:4
EOF
cat >"$T/check.py" <<'PY'
import json, sys
reqs = json.load(open(sys.argv[1]))
commit, run = sys.argv[2], int(sys.argv[3])
want = open(sys.argv[4]).read().rstrip("\n")
def fail(msg):
    print(json.dumps(reqs, indent=1))
    sys.exit(msg)
paths = [r["path"] for r in reqs]
if paths != ["/slack/chat.postMessage", "/signed/drift", "/hook/mm"]:
    fail("posted to %s" % paths)
for r in reqs:
    if r["problems"]:
        fail("the receiver refused %s: %s" % (r["path"], r["problems"]))
slack, hook, mm = reqs
if slack["headers"].get("Authorization") != "Bearer xoxb-t7005-token":
    fail("slack: no bot token")
if slack["body"]["channel"] != "ops" or slack["body"]["text"] != want:
    fail("slack text:\n%s\nwanted:\n%s" % (slack["body"]["text"], want))
if mm["body"]["text"] != want:
    fail("mattermost text: %r" % mm["body"]["text"])
b = hook["body"]
task = lambda name, line, item=None: {"task": name, "file": "site.yml",
                                      "line": line, "item": item}
expect = {"event": "drift", "schedule": "web-drift", "playbook": "site.yml",
          "commit": commit, "run_id": run, "hosts": [
              {"host": "h1", "tasks": [task("tidy <!channel> & <x|y>", 6),
                                       task("flags", 8, "b")]},
              {"host": "h2", "tasks": [task("write app.conf", 4)]}]}
if b != expect:
    fail("webhook body:\n%s\nwanted:\n%s" % (json.dumps(b), json.dumps(expect)))
if "X-Tend-Signature" not in hook["headers"]:
    fail("webhook: not signed")
PY
python3 "$T/check.py" "$T/req.json" "$COMMIT" "$RUN" "$T/want" ||
	fail "the drift announcements"

# failures: a Slack webhook answering 404 and a webhook nobody listens on
# are reported; Mattermost still gets its post; no secret in the report
DEAD=$(_am_random_port)
while _am_port_busy "$DEAD"; do DEAD=$(_am_random_port); done
cat >"$T/fail.yml" <<EOF
maintenance:
  providers:
    - type: slack
      webhook_url_file: $T/slack.hook
      retries: 0
    - type: webhook
      url: http://127.0.0.1:$DEAD/hook
      retries: 0
    - type: mattermost
      webhook_url_env: TEND_T7005_MM
EOF
sed -i "s|/hook/T000|/nowhere/T000|" "$T/slack.hook"
n=$(nreq)
rc=0
"$ANNOUNCE" --root "$TREE" "$T/fail.yml" "$T/plan1.json" web-drift 2>"$T/err" || rc=$?
[ "$rc" = 1 ] || { cat "$T/err"; fail "failing providers: exit $rc, expected 1"; }
expect_in "$T/err" "slack (provider 0): POST "
expect_in "$T/err" "HTTP 404"
expect_in "$T/err" "webhook (provider 1): cannot reach 'http://127.0.0.1:$DEAD/hook'"
expect_not_in "$T/err" "SECRET"
expect_not_in "$T/err" "T000"
since "$n"
[ "$(json_get "$T/req.json" "[r['path'] for r in d]")" = \
	"['/nowhere/T000/B000/XXXXSECRET', '/hook/mm']" ] ||
	{ cat "$T/req.json"; fail "the other providers were not called"; }
expect_in "$T/req.json" "Drift on 2 hosts"

# a bad `announce:` is refused when tend.yml loads, by file:line:col
sed 's/announce: false/announce: sometimes/' "$T/tend.yml" >"$T/bad.yml"
line=$(grep -n 'announce: sometimes' "$T/bad.yml" | cut -d: -f1)
n=$(nreq)
run_tend 1 plan --repo "file://$T/src" --ref main --trust-source \
	-i hosts -e root="$T/tgt" --config "$T/bad.yml" site.yml
expect_in "$T/err" "bad.yml:$line:17: expected a bool for 'announce', got 'sometimes'"
[ "$(nreq)" = "$n" ] || fail "a refused tend.yml posted something"
echo "ok: drift announcements"

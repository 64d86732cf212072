#!/bin/sh
# Maintenance windows follow the plan, end to end through `tend apply`
# against two real SSH hosts, a real Alertmanager and a receiver that
# speaks Slack's chat.postMessage/chat.update (tests/lib/http-receiver.py,
# which also refuses Slack text with &, < or > unescaped):
# - a no-op apply (both hosts converged) makes no silence and posts
#   nothing;
# - when one host drifted, the plan says so, the apply silences exactly
#   that host (the silence's matchers), the Slack message names it and
#   its changing tasks (a hostile task name or --reason stays plain
#   text), and
#   chat.update closes it with the counts;
# - a saved plan's apply (`tend apply plan.json`) does the same from the
#   check it makes of the plan's hosts;
# - a command is `unknown` in a plan: by default it puts its host in a
#   window, marked unknown in the announcement; with `unknown: ignore`
#   that host gets none; any other value is refused with file:line
#   before any host is touched;
# - a command with `changed_when: false` is never a change: no window.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-sshd.sh"
. "$TOP/tests/lib/lib-alertmanager.sh"
sshd_start 2 "$T/sshd"
am_start "$T/am"
AM=$(am_url "$T/am")
rcv_start "$T/rcv"
stop_rcv() { rcv_stop "$T/rcv"; }
on_exit stop_rcv
RCV="http://127.0.0.1:$(cat "$T/rcv/port")"
printf 'xoxb-t7004-token\n' >"$T/slack.token"
mkdir -p "$T/pb" "$T/tgt"
# tend.yml with `unknown: $1` (none: the default)
config() {
	{
		printf 'maintenance:\n  duration: 10m\n'
		[ -z "$1" ] || printf '  unknown: %s\n' "$1"
		printf '  providers:\n'
		printf '    - type: alertmanager\n      url: %s\n' "$AM"
		printf '    - type: slack\n      api_url: %s/slack\n' "$RCV"
		printf '      token_file: %s\n      channel: ops\n' "$T/slack.token"
	} >"$T/pb/tend.yml"
}
config ""
cat >"$T/pb/site.yml" <<'YML'
- hosts: sshd
  gather_facts: false
  tasks:
    - name: "write app.conf"
      copy: { content: "v=1\n", dest: "{{ root }}/{{ inventory_hostname }}.conf" }
    - name: "tidy <!channel> & 'x' \"y\" %s \\ -n {{ '{{' }}"
      file: { path: "{{ root }}/{{ inventory_hostname }}.d", state: directory }
YML
# the same, and a query that only h1 runs: unknown in a plan
cp "$T/pb/site.yml" "$T/pb/query.yml"
cat >>"$T/pb/query.yml" <<'YML'
    - name: query the app
      command: cat {{ root }}/{{ inventory_hostname }}.conf
      when: inventory_hostname == 'h1'
YML
INV="$T/sshd/inventory"
E="root=$T/tgt"

# Counts of what Alertmanager and the receiver have seen so far.
silences() { curl -fsS "$AM/api/v2/silences" >"$T/silences.json"; }
nreq() { [ -f "$T/rcv/requests.jsonl" ] && wc -l <"$T/rcv/requests.jsonl" || echo 0; }

# converge both, with no window
run_tend 0 apply "$T/pb/site.yml" -i "$INV" -e "$E" --no-window
expect_content "$T/tgt/h2.conf" "v=1
"
# a no-op apply: no window, no silence, no Slack message
run_tend 0 apply "$T/pb/site.yml" -i "$INV" -e "$E"
expect_not_in "$T/err" "maintenance window"
silences
expect_content "$T/silences.json" "[]
"
[ ! -s "$T/rcv/requests.jsonl" ] || { cat "$T/rcv/requests.jsonl"; fail "a no-op apply announced"; }

# h2 drifted: the plan says h2 changes, nothing on h1
echo "v=0" >"$T/tgt/h2.conf"
run_tend 0 plan "$T/pb/site.yml" -i "$INV" -e "$E"
expect_in "$T/out" "Plan: 1 to change, 3 ok, 0 unknown on 2 hosts."
run_tend 0 apply "$T/pb/site.yml" -i "$INV" -e "$E"
expect_in "$T/err" "maintenance window 1 open on 1 host"
expect_content "$T/tgt/h2.conf" "v=1
"
silences
/usr/bin/python3 - "$T/silences.json" "$T/rcv/requests.jsonl" <<'PY'
import json, sys
sil = json.load(open(sys.argv[1]))
assert len(sil) == 1, sil
s = sil[0]
assert s["matchers"] == [{"name": "instance", "value": "^(h2)(:[0-9]+)?$",
                          "isRegex": True, "isEqual": True}], s["matchers"]
assert s["status"]["state"] == "expired", s["status"]
assert "plan: 1 change on 1 host" in s["comment"], s["comment"]
reqs = [json.loads(l) for l in open(sys.argv[2])]
assert all(not r["problems"] for r in reqs), reqs
assert [r["path"] for r in reqs] == ["/slack/chat.postMessage",
                                     "/slack/chat.update"], reqs
post, upd = reqs[0]["body"], reqs[1]["body"]
assert post["channel"] == "ops", post
t = post["text"]
assert "to 1 host (h2)" in t and "Plan: 1 change on 1 host" in t, t
assert t.endswith(".\nh2: write app.conf"), t
assert "h1" not in t and "tidy" not in t, t
assert upd["channel"] == "OPS" and upd["ts"] == "1700000000.000100", upd
assert upd["text"].startswith(t + "\n"), upd["text"]
assert "finished: ok" in upd["text"], upd["text"]
assert "1 ok, 1 changed, 0 failed, 0 unreachable." in upd["text"], upd["text"]
PY

# both drifted in the second task: its hostile name is plain Slack text
rmdir "$T/tgt/h1.d" "$T/tgt/h2.d"
n=$(nreq)
run_tend 0 apply "$T/pb/site.yml" -i "$INV" -e "$E" --reason "OPS-1 & <b>"
expect_in "$T/err" "maintenance window 2 open on 2 hosts"
sed -n "$((n + 1))p" "$T/rcv/requests.jsonl" >"$T/post.json"
/usr/bin/python3 - "$T/post.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert not r["problems"], r
t = r["body"]["text"]
want = "tidy &lt;!channel&gt; &amp; 'x' \"y\" %s \\ -n {{"
assert ". Reason: OPS-1 &amp; &lt;b&gt;. Run " in t, t
assert t.endswith(".\nh1: " + want + "\nh2: " + want), t
PY

# a command is unknown: by default h1 gets a window, marked unknown
silences
nsil=$(json_get "$T/silences.json" "len(d)")
n=$(nreq)
run_tend 0 plan "$T/pb/query.yml" -i "$INV" -e "$E"
expect_in "$T/out" "Plan: 0 to change, 4 ok, 1 unknown on 2 hosts."
run_tend 0 apply "$T/pb/query.yml" -i "$INV" -e "$E"
expect_in "$T/err" "maintenance window 3 open on 1 host"
silences
/usr/bin/python3 - "$T/silences.json" "$T/rcv/requests.jsonl" "$nsil" "$n" <<'PY'
import json, sys
sil = json.load(open(sys.argv[1]))
assert len(sil) == int(sys.argv[3]) + 1, sil
new = [s for s in sil if "window 3" in s["comment"]]
assert len(new) == 1, sil
assert new[0]["matchers"][0]["value"] == "^(h1)(:[0-9]+)?$", new
reqs = [json.loads(l) for l in open(sys.argv[2])][int(sys.argv[4]):]
assert [r["path"] for r in reqs] == ["/slack/chat.postMessage",
                                     "/slack/chat.update"], reqs
t = reqs[0]["body"]["text"]
assert "(h1)" in t and "Plan: 1 unknown on 1 host" in t, t
assert t.endswith(".\nh1: query the app (unknown)"), t
PY

# a query with changed_when: false is never a change: no window even by
# default
sed -e 's/^      when: /      changed_when: false\n      when: /' \
	"$T/pb/query.yml" >"$T/pb/ro.yml"
grep -q "changed_when: false" "$T/pb/ro.yml" || fail "no changed_when in ro.yml"
silences
cp "$T/silences.json" "$T/silences.before"
n=$(nreq)
run_tend 0 plan "$T/pb/ro.yml" -i "$INV" -e "$E" --detailed-exitcode
run_tend 0 apply "$T/pb/ro.yml" -i "$INV" -e "$E"
expect_not_in "$T/err" "maintenance window"
silences
cmp -s "$T/silences.json" "$T/silences.before" || fail "changed_when: false made a silence"
[ "$(nreq)" = "$n" ] || fail "changed_when: false posted to Slack"

# a saved plan's apply: the window and the list come from its check
echo "v=0" >"$T/tgt/h1.conf"
run_tend 0 plan "$T/pb/site.yml" -i "$INV" -e "$E" -o "$T/plan.json"
n=$(nreq)
run_tend 0 apply "$T/plan.json" -i "$INV" -e "$E"
expect_in "$T/err" "maintenance window 4 open on 1 host"
sed -n "$((n + 1))p" "$T/rcv/requests.jsonl" >"$T/post.json"
json_get "$T/post.json" "d['body']['text']" >"$T/text"
expect_in "$T/text" "to 1 host (h1)"
expect_in "$T/text" "Plan: 1 change on 1 host. Run "
expect_in "$T/text" ".
h1: write app.conf"

# with unknown: ignore, the same apply opens no window and says nothing
config ignore
silences
cp "$T/silences.json" "$T/silences.before"
n=$(nreq)
run_tend 0 apply "$T/pb/query.yml" -i "$INV" -e "$E"
expect_not_in "$T/err" "maintenance window"
expect_in "$T/out" "changed=1"
silences
cmp -s "$T/silences.json" "$T/silences.before" || fail "unknown: ignore made a silence"
[ "$(nreq)" = "$n" ] || fail "unknown: ignore posted to Slack"
# ...but a real change on that host still opens one
echo "v=0" >"$T/tgt/h1.conf"
run_tend 0 apply "$T/pb/query.yml" -i "$INV" -e "$E"
expect_in "$T/err" "maintenance window 5 open on 1 host"
tail -n 2 "$T/rcv/requests.jsonl" | head -n 1 >"$T/post.json"
json_get "$T/post.json" "d['body']['text']" >"$T/text"
expect_in "$T/text" "Plan: 1 change, 1 unknown on 1 host"
expect_in "$T/text" "h1: write app.conf
h1: query the app (unknown)"

# any other value is refused by name and line, before any host
config sometimes
echo "v=0" >"$T/tgt/h2.conf"
n=$(nreq)
run_tend 1 apply "$T/pb/site.yml" -i "$INV" -e "$E"
expect_in "$T/err" "tend.yml:3:12: expected include or ignore for 'unknown', got 'sometimes'"
expect_content "$T/tgt/h2.conf" "v=0
"
[ "$(nreq)" = "$n" ] || fail "a refused tend.yml announced"

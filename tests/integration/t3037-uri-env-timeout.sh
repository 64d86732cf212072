#!/bin/sh
# uri on the controller (libcurl in tend's own process) honours the
# task's `environment:` and `timeout:` as Ansible's uri, run as a
# process of its own, does: a real forwarding proxy
# (tests/lib/http-proxy.py, which logs what it forwarded) carries the
# request when the play's, block's or task's environment names it in
# http_proxy, and not without it, with use_proxy: no, or with no_proxy
# matching the host; the process's own proxy variables are the fallback,
# which the task's override (no_proxy added, http_proxy emptied); a
# proxy password never shows. A task `timeout: 2` on a server that
# answers in 10 s fails that task in about 2 s with Ansible's message,
# and the run goes on (the other host, the next task), in a plan too.
# Statuses are compared with ansible-playbook's on the same playbooks.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-uri.sh"
. "$TOP/tests/lib/lib-compare.sh"

unset http_proxy https_proxy HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY \
	HTTP_PROXY 2>/dev/null || true

uri_serve web
P=$URI_PORT

# ---- the proxy ----
/usr/bin/python3 -u "$TOP/tests/lib/http-proxy.py" >"$T/proxy.log" 2>&1 &
PROXY_PID=$!
proxy_stop() { kill "$PROXY_PID" 2>/dev/null || true; wait "$PROXY_PID" 2>/dev/null || true; }
on_exit proxy_stop
PX=
for _ in $(seq 100); do
	PX=$(sed -n 's/^Serving HTTP on .* port \([0-9][0-9]*\) .*/\1/p' "$T/proxy.log")
	[ -n "$PX" ] && break
	sleep 0.1
done
[ -n "$PX" ] || { cat "$T/proxy.log"; fail "the proxy did not start"; }
# it forwards for real: curl through it reaches the server
curl -s -x "http://127.0.0.1:$PX" "http://127.0.0.1:$P/json?selftest" >"$T/self.out"
expect_in "$T/self.out" '"a": 1'
expect_in "$T/proxy.log" "PROXY GET http://127.0.0.1:$P/json?selftest"

printf 'a ansible_connection=local\nb ansible_connection=local\n' >"$T/inv"

# Each host's tasks as "HOST TASK STATUS" lines, from tend's JSON ($1 json)
# or from ansible-playbook's json callback ($1 ansible).
statuses() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys
kind, path = sys.argv[1], sys.argv[2]
d = json.load(open(path))
rows = []
if kind == "json":
    for h in d["hosts"]:
        for t in h["tasks"]:
            rows.append((h["host"], t["task"], t["status"]))
else:
    for p in d["plays"]:
        for t in p["tasks"]:
            for h, r in t["hosts"].items():
                st = ("failed" if r.get("failed") else "skipped"
                      if r.get("skipped") else "changed"
                      if r.get("changed") else "ok")
                rows.append((h, t["task"]["name"], st))
rows.sort(key=lambda r: r[0])  # stable: task order kept per host
for r in rows:
    print(" ".join(r))
PY
}

# compare_statuses NAME PLAYBOOK TEND_RC [ENV...]: ansible-playbook and
# tend apply on $T/inv; their per-task statuses must be equal.
compare_statuses() {
	_n=$1 _pb=$2 _rc=$3
	shift 3
	set +e
	env "$@" ANSIBLE_STDOUT_CALLBACK=json ansible-playbook -i "$T/inv" "$_pb" \
		>"$T/$_n-ansible.json" 2>"$T/$_n-ansible.err"
	set -e
	statuses ansible "$T/$_n-ansible.json" >"$T/$_n-ansible.st" ||
		{ cat "$T/$_n-ansible.err"; fail "$_n: no JSON from ansible-playbook"; }
	set +e
	env "$@" "$TEND" apply -i "$T/inv" "$_pb" --format json \
		>"$T/$_n-tend.json" 2>"$T/$_n-tend.err"
	_got=$?
	set -e
	[ "$_got" = "$_rc" ] || { cat "$T/$_n-tend.err"; fail "$_n: tend exited $_got, expected $_rc"; }
	statuses json "$T/$_n-tend.json" >"$T/$_n-tend.st"
	diff -u "$T/$_n-ansible.st" "$T/$_n-tend.st" ||
		fail "$_n: tend's statuses differ from ansible-playbook's"
}

# ---- environment: which requests go through the proxy ----
cat >"$T/env.yml" <<YML
- hosts: a
  gather_facts: false
  tasks:
    - name: task environment
      uri: {url: "http://127.0.0.1:$P/json?task-env"}
      environment: {http_proxy: "http://127.0.0.1:$PX"}
      register: r
    - name: the proxy answered
      assert: {that: ["r.via == '1.1 tend-test-proxy'"]}
    - name: no environment
      uri: {url: "http://127.0.0.1:$P/json?no-env"}
    - name: use_proxy no
      uri: {url: "http://127.0.0.1:$P/json?use-proxy-no", use_proxy: no}
      environment: {http_proxy: "http://127.0.0.1:$PX"}
    - name: no_proxy matches
      uri: {url: "http://127.0.0.1:$P/json?no-proxy"}
      environment: {http_proxy: "http://127.0.0.1:$PX", no_proxy: "127.0.0.1"}
    - name: a block's
      environment: {http_proxy: "http://127.0.0.1:$PX"}
      block:
        - name: in the block
          uri: {url: "http://127.0.0.1:$P/json?block-env"}
- hosts: a
  gather_facts: false
  environment: {http_proxy: "http://127.0.0.1:$PX"}
  tasks:
    - name: the play's
      uri: {url: "http://127.0.0.1:$P/json?play-env"}
    - name: a password in the proxy URL
      uri: {url: "http://127.0.0.1:$P/json?proxy-auth"}
      environment: {http_proxy: "http://tend:Pr0xy-PW-s3cret@127.0.0.1:$PX"}
YML
# proxy_since N: what the proxy forwarded after its first N log lines
proxy_since() { sed "1,${1}d" "$T/proxy.log"; }
n=$(wc -l <"$T/proxy.log")
run_tend 0 apply -i "$T/inv" "$T/env.yml" -v
expect_in "$T/out" "ok=8"
proxy_since "$n" >"$T/proxied"
for q in task-env block-env play-env; do
	expect_in "$T/proxied" "PROXY GET http://127.0.0.1:$P/json?$q"
done
expect_in "$T/proxied" "PROXY GET http://127.0.0.1:$P/json?proxy-auth auth"
for q in no-env use-proxy-no no-proxy; do
	expect_not_in "$T/proxied" "json?$q"
	grep -q "^GET /json?$q" "$T/web.log" || fail "the server never got '$q'"
done
grep -rq "Pr0xy-PW-s3cret" "$T/out" "$T/err" "$T/state" &&
	fail "the proxy password shows in tend's output or state DB"
n=$(wc -l <"$T/proxy.log")

# Ansible's uri sends the same ones through the proxy
ANSIBLE_STDOUT_CALLBACK=json ansible-playbook -i "$T/inv" "$T/env.yml" \
	>"$T/env-ansible.json" 2>"$T/env-ansible.err" ||
	{ cat "$T/env-ansible.json" "$T/env-ansible.err"; fail "ansible-playbook failed"; }
proxy_since "$n" | sed 's/^PROXY //' | sort >"$T/ansible-proxied"
sed 's/^PROXY //' "$T/proxied" | sort >"$T/tend-proxied"
diff -u "$T/ansible-proxied" "$T/tend-proxied" ||
	fail "tend and ansible-playbook sent different requests through the proxy"

# the process's proxy is the fallback; the task's variables override it
cat >"$T/fallback.yml" <<YML
- hosts: a
  gather_facts: false
  tasks:
    - name: the process's proxy
      uri: {url: "http://127.0.0.1:$P/json?process-env"}
    - name: the task adds no_proxy
      uri: {url: "http://127.0.0.1:$P/json?task-no-proxy"}
      environment: {no_proxy: "127.0.0.1"}
    - name: the task empties http_proxy
      uri: {url: "http://127.0.0.1:$P/json?task-empty"}
      environment: {http_proxy: ""}
YML
n=$(wc -l <"$T/proxy.log")
http_proxy="http://127.0.0.1:$PX" run_tend 0 apply -i "$T/inv" "$T/fallback.yml"
expect_in "$T/out" "ok=3"
proxy_since "$n" >"$T/proxied"
expect_in "$T/proxied" "PROXY GET http://127.0.0.1:$P/json?process-env"
expect_not_in "$T/proxied" "json?task-no-proxy"
expect_not_in "$T/proxied" "json?task-empty"
for q in task-no-proxy task-empty; do
	grep -q "^GET /json?$q" "$T/web.log" || fail "the server never got '$q'"
done
[ "$(unset http_proxy; env | grep -ci proxy || true)" = 0 ] ||
	fail "the test's own environment holds a proxy"

# ---- timeout: the task's, not the module's ----
cat >"$T/timeout.yml" <<YML
- hosts: all
  gather_facts: false
  tasks:
    - name: slow answer
      uri: {url: "http://127.0.0.1:$P/slow/10", timeout: 30}
      timeout: 2
      when: inventory_hostname == 'a'
    - name: next task
      uri: {url: "http://127.0.0.1:$P/json?after-timeout"}
YML
start=$(date +%s)
run_tend 3 apply -i "$T/inv" "$T/timeout.yml"
took=$(($(date +%s) - start))
[ "$took" -lt 6 ] || fail "the timed-out run took ${took}s (timeout: 2)"
expect_in "$T/out" "The uri action failed to execute in the expected time frame (2) and was terminated"
grep -Eq '^a +: ok=0 +changed=0 +unreachable=0 +failed=1 ' "$T/out" ||
	fail "host a's recap is not one failure"
grep -Eq '^b +: ok=1 +changed=0 +unreachable=0 +failed=0 +skipped=1 ' "$T/out" ||
	fail "host b's recap is not ok=1 skipped=1"
grep -q "json?after-timeout" "$T/web.log" || fail "host b did not go on to the next task"

# a plan sends the GET too, and the same timeout bounds it
start=$(date +%s)
run_tend 3 plan -i "$T/inv" "$T/timeout.yml" --limit a
took=$(($(date +%s) - start))
[ "$took" -lt 6 ] || fail "the timed-out plan took ${took}s"
expect_in "$T/out" "expected time frame (2)"

# ---- the same statuses as ansible-playbook ----
compare_statuses timeout "$T/timeout.yml" 3
expect_in "$T/timeout-ansible.json" "The uri action failed to execute in the expected time frame (2) and was terminated"
compare_statuses env "$T/env.yml" 0
echo "ok - t3037"

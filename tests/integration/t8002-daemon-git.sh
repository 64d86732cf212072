#!/bin/sh
# tend daemon following a git source served by a real git daemon:
# - at start each source is fetched and the schedules bound to it apply
#   its commit; after a restart a commit already applied is not re-run;
# - a pushed commit is found by polling (interval 1s) and applied; the
#   latency from push to run start is printed;
# - POST /hooks/git: a bad signature is 401 and fetches nothing; GitHub's
#   ping is 200 and fetches nothing; a push of another branch fetches
#   nothing; a signed push of the followed branch (GitHub HMAC, Gitea
#   HMAC, GitLab token) fetches the source at once and its schedule
#   applies the new commit;
# - a source that cannot be fetched counts failures and runs nothing.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-git-daemon.sh"
. "$TOP/tests/lib/lib-daemon.sh"
export XDG_CACHE_HOME="$T/cache"
R=$T/repos/site.git
git init -q -b main "$R"
g() { git -C "$R" -c user.name=Ada -c user.email=ada@example.org "$@"; }
cat >"$R/site.yml" <<'YML'
- hosts: localhost
  gather_facts: false
  tasks:
    - copy: {src: version, dest: "{{ root }}/{{ name }}"}
YML
echo v1 >"$R/version"
g add .
g commit -q -m one

gd_start "$T/repos"
URL="git://127.0.0.1:$gd_port/site.git"

D=$T/d
mkdir -p "$D" "$T/tgt"
SECRET='s3cret-t8002 with spaces & "quotes"'
printf '%s\n' "$SECRET" >"$D/hook-secret"
cat >"$D/tend.yml" <<YML
http:
  listen: 127.0.0.1:0
sources:
  - name: polled
    url: $URL
    interval: 1s
    debounce: 0s
    signature: none
  - name: hooked
    url: $URL
    interval: 0
    debounce: 0s
    signature: none
    webhook_secret_file: $D/hook-secret
schedules:
  - name: by-poll
    source: polled
    playbook: site.yml
    mode: apply
    extra_vars: {root: "$T/tgt", name: polled}
  - name: by-hook
    source: hooked
    playbook: site.yml
    mode: apply
    extra_vars: {root: "$T/tgt", name: hooked}
YML
has() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }
daemon_start "$D" "$D/tend.yml" --state "$T/state.db"
wait_until 20 has "$T/tgt/polled" v1
wait_until 20 has "$T/tgt/hooked" v1
c1=$(g rev-parse HEAD)
sqlite3 "$T/state.db" "SELECT count(*) FROM runs WHERE commit_id = '$c1'" >"$T/n"
expect_content "$T/n" "2
"

# polling finds a new commit
echo v2 >"$R/version"
g commit -q -am two
c2=$(g rev-parse HEAD)
t0=$(date +%s%N)
wait_until 20 grep -q "schedule 'by-poll': apply started (commit ${c2%????????????????????????????}" "$D/log"
t1=$(date +%s%N)
echo "t8002: push to run start by polling (interval 1s): $(((t1 - t0) / 1000000)) ms"
wait_until 20 has "$T/tgt/polled" v2
hooked_fetches() { curl -fsS "$DURL/metrics" | sed -n 's/^tend_git_fetches_total{source="hooked"} //p'; }
[ "$(hooked_fetches)" = 1 ] || fail "the source with interval 0 was fetched without a webhook"

# hooks: $1 = body file, then curl header options
hook() {
	b=$1; shift
	curl -sS -o "$T/hook.out" -w '%{http_code}' -X POST --data-binary "@$b" "$@" "$DURL/hooks/git" >"$T/code"
}
sig() { python3 -c 'import hmac,hashlib,sys; print(hmac.new(sys.argv[1].encode(), open(sys.argv[2],"rb").read(), hashlib.sha256).hexdigest())' "$SECRET" "$1"; }
cat >"$T/push.json" <<JSON
{"ref": "refs/heads/main", "before": "$c1", "after": "$c2",
 "repository": {"clone_url": "http://127.0.0.1/site.git", "ssh_url": "git@127.0.0.1:site.git", "html_url": "http://127.0.0.1/site"}}
JSON
sed 's,refs/heads/main,refs/heads/other,' "$T/push.json" >"$T/other.json"
echo '{"zen": "Keep it logically awesome.", "hook_id": 1}' >"$T/ping.json"

hook "$T/push.json" -H "X-GitHub-Event: push" -H "X-Hub-Signature-256: sha256=0000000000000000000000000000000000000000000000000000000000000000"
expect_content "$T/code" "401"
hook "$T/push.json" -H "X-GitHub-Event: push"
expect_content "$T/code" "401"
expect_in "$D/log" "webhook refused"
hook "$T/ping.json" -H "X-GitHub-Event: ping" -H "X-Hub-Signature-256: sha256=$(sig "$T/ping.json")"
expect_content "$T/code" "200"
hook "$T/other.json" -H "X-GitHub-Event: push" -H "X-Hub-Signature-256: sha256=$(sig "$T/other.json")"
expect_content "$T/code" "200"
expect_in "$T/hook.out" '"fetching": []'
sleep 0.5
[ "$(hooked_fetches)" = 1 ] || fail "a refused or foreign hook started a fetch"
has "$T/tgt/hooked" v1 || fail "a refused or foreign hook started a run"

t0=$(date +%s%N)
hook "$T/push.json" -H "X-GitHub-Event: push" -H "X-Hub-Signature-256: sha256=$(sig "$T/push.json")"
expect_content "$T/code" "202"
expect_in "$T/hook.out" '"hooked"'
wait_until 20 grep -q "schedule 'by-hook': apply started (commit ${c2%????????????????????????????}" "$D/log"
t1=$(date +%s%N)
echo "t8002: push to run start by a webhook: $(((t1 - t0) / 1000000)) ms"
wait_until 20 has "$T/tgt/hooked" v2

# Gitea's signature and GitLab's token start a fetch too
echo v3 >"$R/version"
g commit -q -am three
c3=$(g rev-parse HEAD)
sed "s/$c2/$c3/" "$T/push.json" >"$T/push3.json"
hook "$T/push3.json" -H "X-Gitea-Event: push" -H "X-Gitea-Signature: $(sig "$T/push3.json")"
expect_content "$T/code" "202"
wait_until 20 has "$T/tgt/hooked" v3
echo v4 >"$R/version"
g commit -q -am four
c4=$(g rev-parse HEAD)
cat >"$T/push4.json" <<JSON
{"object_kind": "push", "ref": "refs/heads/main", "after": "$c4",
 "project": {"git_http_url": "http://127.0.0.1/site.git", "git_ssh_url": "git@127.0.0.1:site.git"},
 "repository": {"git_http_url": "http://127.0.0.1/site.git", "git_ssh_url": "git@127.0.0.1:site.git"}}
JSON
hook "$T/push4.json" -H "X-Gitlab-Event: Push Hook" -H "X-Gitlab-Token: $SECRET"
expect_content "$T/code" "202"
wait_until 20 has "$T/tgt/hooked" v4
wait_until 20 has "$T/tgt/polled" v4
curl -fsS "$DURL/metrics" >"$T/metrics"
grep -q '^tend_git_fetch_failures_total{source="polled"} 0$' "$T/metrics" || { cat "$T/metrics"; fail "fetch failures"; }
grep -q '^tend_http_unauthorized_total 2$' "$T/metrics" || { cat "$T/metrics"; fail "unauthorized hooks"; }

# a restart runs nothing already applied
daemon_stop "$D"
n_before=$(sqlite3 "$T/state.db" "SELECT count(*) FROM runs")
daemon_start "$D" "$D/tend.yml" --state "$T/state.db"
wait_until 20 sh -c "curl -fsS '$DURL/metrics' | grep -q '^tend_git_fetches_total{source=\"hooked\"} 1$'"
sleep 2
n_after=$(sqlite3 "$T/state.db" "SELECT count(*) FROM runs")
[ "$n_before" = "$n_after" ] || fail "a restart re-ran applied commits ($n_before runs, then $n_after)"

# the git server goes away: failures counted, nothing runs
stop_gd
wait_until 20 sh -c "curl -fsS '$DURL/metrics' | grep -q '^tend_git_fetch_failures_total{source=\"polled\"} [1-9]'"
expect_in "$D/log" "source 'polled': fetch failed"
daemon_stop "$D"
n_end=$(sqlite3 "$T/state.db" "SELECT count(*) FROM runs")
[ "$n_end" = "$n_after" ] || fail "runs started without their source"

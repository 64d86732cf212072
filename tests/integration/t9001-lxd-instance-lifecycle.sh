#!/bin/sh
# lxd_instance against a real LXD (its own LXD_DIR, a dir pool, a busybox
# image): a plan that sends nothing that changes LXD (no lifecycle event,
# the same instances and operations before and after), provision 3 by
# count + hostname_pattern, a re-apply with nothing to do, limits changed
# live (the same init process after), scale 3 -> 2 (web-03 goes), a ttl
# that runs out and an expires_at moved into the past (the next apply
# destroys both; tend resources --expired lists them first), every
# instance created recorded in the state DB and forgotten when destroyed,
# https with a client certificate whose key never reaches output or the
# DB, and LXD stopped: a clear error, nothing recorded.
# (Family 9: provisioning through cloud APIs.)
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-lxd.sh"

lxd_start
DB=$XDG_STATE_HOME/tend/tend.db

cat >"$T/web.yml" <<YML
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: web
      lxd_instance:
        url: "unix:$LXD_SOCK"
        image: busybox
        count: "{{ n }}"
        hostname_pattern: "web-{{ '%02d' | format(index) }}"
        config: {limits.cpu: "1", limits.memory: "{{ mem }}"}
        tags: {role: web}
      register: r
    - name: show
      debug: {msg: "{{ r.instances | map(attribute='name') | join(',') }}"}
YML

# ---- a plan: the three creates shown, LXD untouched ----
lxd_watch
run_tend 2 plan --detailed-exitcode -e n=3 -e mem=512MB "$T/web.yml"
lxd_unwatch "the plan"
expect_in "$T/out" "+ create web-01 (limits.cpu=1, limits.memory=512MB)"
expect_in "$T/out" "+ create web-03 (limits.cpu=1, limits.memory=512MB)"
# one task, three instances: the summary counts instances
expect_in "$T/out" "Plan: 1 to change, 1 ok, 0 unknown on 1 host. Instances: 3 to create, 0 to change, 0 to destroy."
[ -z "$(lxd_names)" ] || fail "a plan created instances"

# ---- provision 3 ----
run_tend 0 apply -e n=3 -e mem=512MB "$T/web.yml"
expect_in "$T/out" "web-01,web-02,web-03"
[ "$(lxd_names | tr '\n' ' ')" = "web-01 web-02 web-03 " ] || fail "instances: $(lxd_names)"
for c in web-01 web-02 web-03; do
	[ "$(tlxc list --format csv -c s "$c")" = RUNNING ] || fail "$c is not running"
	[ "$(tlxc config get "$c" user.tend.tag.role)" = web ] || fail "$c: no tag"
	[ "$(tlxc config get "$c" user.tend.task)" = web ] || fail "$c: no owner"
done
[ "$(tlxc config get web-02 limits.memory)" = 512MB ] || fail "limits.memory"
run_tend 0 resources --format json
[ "$(json_get "$T/out" "','.join(r['name'] for r in d['resources'])")" = "web-01,web-02,web-03" ] ||
	fail "the state DB's records: $(cat "$T/out")"
[ "$(json_get "$T/out" "d['resources'][0]['attributes']['playbook'].endswith('web.yml') and d['resources'][0]['attributes']['tags']['role'] == 'web' and d['resources'][0]['api'] == 'present' and d['resources'][0]['kind'] == 'lxd_instance'")" = True ] ||
	fail "a record: $(cat "$T/out")"

# ---- again: nothing to do ----
run_tend 0 plan --detailed-exitcode -e n=3 -e mem=512MB "$T/web.yml"
run_tend 0 apply -e n=3 -e mem=512MB "$T/web.yml"
expect_in "$T/out" "changed=0"

# ---- limits changed live: the same init process ----
pid=$(tlxc info web-01 | sed -n 's/^PID: *//p')
lxd_watch
run_tend 2 plan --detailed-exitcode -e n=3 -e mem=1GB "$T/web.yml"
lxd_unwatch "the plan"
expect_in "$T/out" "~ change web-01 limits.memory 512MB -> 1GB (live)"
expect_in "$T/out" "Instances: 0 to create, 3 to change, 0 to destroy."
run_tend 0 apply -e n=3 -e mem=1GB "$T/web.yml"
[ "$(tlxc config get web-01 limits.memory)" = 1GB ] || fail "limits.memory not changed"
[ "$(tlxc info web-01 | sed -n 's/^PID: *//p')" = "$pid" ] || fail "web-01 was restarted"

# ---- scale 3 -> 2: the highest index goes ----
lxd_watch
run_tend 2 plan --detailed-exitcode -e n=2 -e mem=1GB "$T/web.yml"
lxd_unwatch "the plan"
expect_in "$T/out" "- destroy web-03 (index 3 > count 2)"
expect_in "$T/out" "Instances: 0 to create, 0 to change, 1 to destroy."
run_tend 0 apply -e n=2 -e mem=1GB "$T/web.yml"
[ "$(lxd_names | tr '\n' ' ')" = "web-01 web-02 " ] || fail "after scaling: $(lxd_names)"
run_tend 0 resources --format json
[ "$(json_get "$T/out" "','.join(r['name'] for r in d['resources'])")" = "web-01,web-02" ] ||
	fail "web-03 still recorded: $(cat "$T/out")"

# ---- expiry: a ttl that runs out, an expires_at moved into the past ----
cat >"$T/tmp.yml" <<YML
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - lxd_instance:
        url: "unix:$LXD_SOCK"
        name: short
        image: busybox
        ttl: 3s
    - lxd_instance:
        url: "unix:$LXD_SOCK"
        name: old
        image: busybox
        state: stopped
        expires_at: "{{ until }}"
YML
run_tend 0 apply -e until=2099-01-01T00:00Z "$T/tmp.yml"
lxd_names | grep -qx short || fail "short was not created"
[ "$(tlxc list --format csv -c s old)" = STOPPED ] || fail "old is not stopped"
[ "$(tlxc config get old user.tend.expires_at)" = 2099-01-01T00:00:00Z ] || fail "old's expiry"
sleep 4
run_tend 0 resources --expired
expect_in "$T/out" "short"
expect_not_in "$T/out" "web-01"
expect_not_in "$T/out" "old"
lxd_watch
run_tend 2 plan --detailed-exitcode -e until=2020-01-01T00:00Z "$T/tmp.yml"
lxd_unwatch "the plan"
expect_in "$T/out" "- destroy short (expired "
expect_in "$T/out" "- destroy old (expired 2020-01-01T00:00Z)"
run_tend 0 apply -e until=2020-01-01T00:00Z "$T/tmp.yml"
! lxd_names | grep -qx 'short\|old' || fail "expired instances left: $(lxd_names)"
run_tend 0 resources
expect_not_in "$T/out" "short"
# born expired: nothing is made
run_tend 0 apply -e until=2020-01-01T00:00Z "$T/tmp.yml"
expect_in "$T/out" "changed=1"
! lxd_names | grep -qx old || fail "an expired instance was created"

# ---- https with a client certificate: the key never shown or kept ----
lxd_https "$T/pki"
KEYLINE=$(sed -n 2p "$T/pki/client.key")
cat >"$T/https.yml" <<YML
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - lxd_instance:
        url: "$LXD_HTTPS"
        client_cert: "$T/pki/client.crt"
        client_key: "$T/pki/client.key"
        ca_cert: "$LXD_DIR_T/server.crt"
        name: secure
        image: busybox
        config: {limits.cpu: "1"}
YML
run_tend 0 apply -vvv "$T/https.yml"
lxd_names | grep -qx secure || fail "not created over https"
run_tend 0 resources
expect_in "$T/out" "secure"
grep "secure" "$T/out" | grep -q present || fail "not checked over https: $(cat "$T/out")"
for f in "$T/out" "$T/err" "$DB" "$DB-wal"; do
	[ -f "$f" ] || continue
	! grep -qF -- "$KEYLINE" "$f" || fail "the client key is in $f"
done
# a wrong key: LXD refuses, and says so
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/pki/other.key" -out "$T/pki/other.crt" -days 2 -subj /CN=x \
	>/dev/null 2>&1
sed "s|client\\.crt|other.crt|; s|client\\.key|other.key|; s|name: secure|name: stranger|" \
	"$T/https.yml" >"$T/stranger.yml"
run_tend 3 apply "$T/stranger.yml"
expect_in "$T/out" "LXD"
! lxd_names | grep -qx stranger || fail "an untrusted client created an instance"

# ---- LXD stopped: a clear error, nothing recorded ----
cat >"$T/lost.yml" <<YML
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - lxd_instance: {url: "unix:$LXD_SOCK", name: lost, image: busybox}
YML
lxd_stop
run_tend 3 apply "$T/lost.yml"
expect_in "$T/out" "cannot reach LXD at 'unix:$LXD_SOCK'"
run_tend 0 resources --format json
json_get "$T/out" "[r['name'] for r in d['resources']]" | grep -q lost && fail "lost was recorded"
[ "$(json_get "$T/out" "sorted(set(r['api'] for r in d['resources']))")" = "['unknown']" ] ||
	fail "records not marked unknown: $(cat "$T/out")"
echo "ok"

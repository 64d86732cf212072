#!/bin/sh
# lxd_instance against a real LXD: devices and profiles shown key by key
# (a device added whole, keys changed and added, a device removed whole,
# the profile list; values that are not plain quoted, never rendered),
# each applied live (the same init process) and re-applied with nothing
# to do; and saved plans that notice a moved instance even where the
# task's change lines stay the same: a config key set through the API,
# an instance stopped, an instance deleted, each refused (exit 4) naming
# it with LXD untouched by the refused apply, --replan applying anyway,
# and a plan with nothing moved applied exactly.
# (Family 9: provisioning through cloud APIs.)
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-lxd.sh"

lxd_start
tlxc profile create web >/dev/null
# a source LXD's mapped root can reach
SRC=$LXD_DIR_T/share
mkdir -p "$SRC"
chmod 755 "$SRC"

cat >"$T/box.yml" <<YML
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: box
      lxd_instance:
        url: "unix:$LXD_SOCK"
        name: box
        image: busybox
        profiles: "{{ profiles }}"
        devices: "{{ devices }}"
YML
shape() { # NAME: vars file $T/NAME.yml from stdin
	cat >"$T/$1.yml"
}
shape v0 <<YML
profiles: [default]
devices: {}
YML
shape v1 <<YML
profiles: [default, web]
devices:
  data: {type: disk, path: /srv, source: "$SRC"}
YML
shape v2 <<YML
profiles: [default, web]
devices:
  data: {type: disk, path: /mnt, source: "$SRC", readonly: true}
YML
shape v3 <<YML
profiles: [default]
devices: {}
YML

# the change line of a plan, in text and in JSON
plan_line() { # VARS EXPECTED-LINE
	run_tend 2 plan --detailed-exitcode -e "@$T/$1.yml" "$T/box.yml"
	expect_in "$T/out" "$2"
	run_tend 2 plan --detailed-exitcode --format json -e "@$T/$1.yml" "$T/box.yml"
	got=$(json_get "$T/out" "[c for h in d['hosts'] for t in h['tasks'] for c in t.get('changes') or []]")
	want=$(python3 -c 'import sys; print([sys.argv[1]])' "$2")
	[ "$got" = "$want" ] || fail "JSON changes: $got, expected $want"
}
profiles_of() {
	tlxc query /1.0/instances/box |
		python3 -c 'import json, sys; print(",".join(json.load(sys.stdin)["profiles"]))'
}
init_pid() {
	tlxc info box | sed -n 's/^PID: *//p'
}
apply_twice() { # VARS: apply, then again with nothing to do
	run_tend 0 apply -e "@$T/$1.yml" "$T/box.yml"
	expect_in "$T/out" "changed=1"
	run_tend 0 plan --detailed-exitcode -e "@$T/$1.yml" "$T/box.yml"
	run_tend 0 apply -e "@$T/$1.yml" "$T/box.yml"
	expect_in "$T/out" "changed=0"
}

run_tend 0 apply -e "@$T/v0.yml" "$T/box.yml"
pid=$(init_pid)
[ -n "$pid" ] || fail "box is not running"

# ---- a device added whole, a profile added ----
plan_line v1 "~ change box profiles [default] -> [default, web], devices.data (none) -> {path=/srv, source=$SRC, type=disk} (live)"
apply_twice v1
[ "$(tlxc config device get box data path)" = /srv ] || fail "data not added"
[ "$(profiles_of)" = "default,web" ] || fail "profiles: $(profiles_of)"
[ "$(init_pid)" = "$pid" ] || fail "box was restarted to add a device"

# ---- keys of a device: one changed, one added ----
plan_line v2 "~ change box devices.data.path /srv -> /mnt, devices.data.readonly (unset) -> true (live)"
apply_twice v2
[ "$(tlxc config device get box data path)" = /mnt ] || fail "path not changed"
[ "$(tlxc config device get box data readonly)" = true ] || fail "readonly not set"
[ "$(init_pid)" = "$pid" ] || fail "box was restarted to change a device"

# ---- a device removed whole, a profile removed ----
plan_line v3 "~ change box profiles [default, web] -> [default], devices.data {path=/mnt, readonly=true, source=$SRC, type=disk} -> (none) (live)"
apply_twice v3
tlxc config device show box | grep -q data && fail "data not removed"
[ "$(profiles_of)" = "default" ] || fail "web still applied: $(profiles_of)"
[ "$(init_pid)" = "$pid" ] || fail "box was restarted to remove a device"

# ---- values that are data: quoted, never rendered ----
cat >"$T/odd.yml" <<'YML'
profiles: [default]
devices:
  data:
    type: disk
    path: /srv
    source: !unsafe "/x {{ lookup('env', 'HOME') }} 100% a\\b\nc, d=e"
YML
run_tend 2 plan --detailed-exitcode -e "@$T/odd.yml" "$T/box.yml"
expect_in "$T/out" '~ change box devices.data (none) -> {path=/srv, source="/x {{ lookup('"'env', 'HOME'"') }} 100% a\\b\nc, d=e", type=disk} (live)'
expect_not_in "$T/out" "$HOME"

# ---- saved plans: an instance that moved since the plan is refused ----
cat >"$T/st.yml" <<YML
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: pool
      lxd_instance:
        url: "unix:$LXD_SOCK"
        image: busybox
        count: 2
        hostname_pattern: "st-{{ index }}"
        config: {limits.memory: "{{ mem }}"}
YML
run_tend 0 apply -e mem=256MB "$T/st.yml"

# a saved plan: both instances' memory changes
save_plan() { # FILE
	run_tend 2 plan --detailed-exitcode -e mem=512MB --out "$1" "$T/st.yml"
	expect_in "$T/out" "~ change st-1 limits.memory 256MB -> 512MB (live)"
	expect_in "$T/out" "~ change st-2 limits.memory 256MB -> 512MB (live)"
}
refused() { # PLAN INSTANCE: apply refused as stale, naming it
	lxd_watch
	run_tend 4 apply "$1"
	lxd_unwatch "the refused apply"
	cat "$T/out" "$T/err" >"$T/all"
	expect_in "$T/all" "task 'pool'"
	expect_in "$T/all" "lxd instance $2 moved since the plan"
	[ "$(tlxc config get st-1 limits.memory 2>/dev/null || true)" != 512MB ] ||
		fail "the refused apply changed st-1"
}
# the plan file keeps digests of what it saw, never the instances
save_plan "$T/p0.json"
[ "$(json_get "$T/p0.json" "sorted(d['hosts'][0]['tasks'][0]['observed'])")" = "['lxd instance st-1', 'lxd instance st-2']" ] ||
	fail "observed: $(json_get "$T/p0.json" "d['hosts'][0]['tasks'][0].get('observed')")"
expect_not_in "$T/p0.json" "Running"
expect_not_in "$T/p0.json" "user.tend.created"

# (a) another config key set through the API
save_plan "$T/pa.json"
tlxc config set st-2 user.note "set by hand"
refused "$T/pa.json" st-2

# (b) an instance stopped
save_plan "$T/pb.json"
tlxc stop -f st-1
refused "$T/pb.json" st-1
tlxc start st-1

# (c) an instance deleted; --replan applies anyway
save_plan "$T/pc.json"
tlxc delete -f st-2
refused "$T/pc.json" st-2
run_tend 0 apply --replan "$T/pc.json"
[ "$(lxd_names | grep -c '^st-')" = 2 ] || fail "--replan: $(lxd_names)"

# nothing moved: the plan applies exactly
run_tend 0 apply -e mem=256MB "$T/st.yml"
save_plan "$T/pd.json"
run_tend 0 apply "$T/pd.json"
expect_in "$T/out" "changed=1"
for c in st-1 st-2; do
	[ "$(tlxc config get "$c" limits.memory)" = 512MB ] || fail "$c: $(tlxc config get "$c" limits.memory)"
done
run_tend 0 plan --detailed-exitcode -e mem=512MB "$T/st.yml"
echo "ok"

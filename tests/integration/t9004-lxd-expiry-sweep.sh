#!/bin/sh
# The expiry sweep of lxd_instance against a real LXD: an instance whose
# task was removed from the playbook is destroyed by the next apply of
# that playbook once it has expired (the plan shows it, once, on the
# first lxd_instance task of the run; LXD untouched by the plan); one not
# yet expired stays; another playbook's expired instance stays; an
# expired instance whose own task is still in the playbook is left to
# that task (which extends it here: it is not destroyed and made again);
# a task that names another instance now sweeps the one it named before.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-lxd.sh"

lxd_start

task() { # NAME INSTANCE [EXTRA]
	cat <<YML
    - name: $1
      lxd_instance:
        url: "unix:$LXD_SOCK"
        name: $2
        image: busybox
        state: stopped
        ${3:-}
YML
}
play() { # the head of a play
	printf -- '- name: infra\n  hosts: localhost\n  connection: local\n'
	printf '  gather_facts: false\n  tasks:\n'
}

{ play; task keep keep; task temp temp-1 "ttl: 3s"
  task later later "expires_at: 2099-01-01T00:00Z"; task ext ext "ttl: 3s"
  task moved e2a "ttl: 3s"; } >"$T/a.yml"
{ play; task other other "ttl: 3s"; } >"$T/b.yml"
run_tend 0 apply "$T/a.yml"
run_tend 0 apply "$T/b.yml"
[ "$(lxd_names | tr '\n' ' ')" = "e2a ext keep later other temp-1 " ] ||
	fail "instances: $(lxd_names)"
[ "$(tlxc config get temp-1 user.tend.playbook)" = "$(cd "$T" && pwd -P)/a.yml" ] ||
	fail "owner: $(tlxc config get temp-1 user.tend.playbook)"
uuid=$(tlxc config get ext volatile.uuid)
sleep 4

# a.yml, later: temp and later are gone from it, ext is kept longer
{ play; task keep keep; task keep2 keep2
  task ext ext "expires_at: 2099-01-01T00:00Z"; task moved e2b; } >"$T/a.yml"
lxd_watch
run_tend 2 plan --detailed-exitcode "$T/a.yml"
lxd_unwatch "the plan"
[ "$(grep -c -- '- destroy temp-1 (expired ' "$T/out")" = 1 ] ||
	fail "temp-1's destroy, once: $(cat "$T/out")"
expect_not_in "$T/out" "destroy later"
expect_not_in "$T/out" "destroy other"
expect_not_in "$T/out" "destroy ext"
expect_in "$T/out" "~ change ext user.tend.expires_at"
expect_in "$T/out" "- destroy e2a (expired "
expect_in "$T/out" "Instances: 2 to create, 1 to change, 2 to destroy."
# temp-1's task is gone: the first task sweeps it; e2a is moved's own
run_tend 2 plan --detailed-exitcode --format json "$T/a.yml"
[ "$(json_get "$T/out" "[(t['task'], c) for h in d['hosts'] for t in h['tasks'] for c in t['changes'] if c.startswith('- destroy')]" | sed 's/ (expired [^)]*)//g')" = "[('keep', '- destroy temp-1'), ('moved', '- destroy e2a')]" ] ||
	fail "the sweep's tasks: $(cat "$T/out")"

run_tend 0 apply "$T/a.yml"
[ "$(lxd_names | tr '\n' ' ')" = "e2b ext keep keep2 later other " ] ||
	fail "after the sweep: $(lxd_names)"
[ "$(tlxc config get ext volatile.uuid)" = "$uuid" ] || fail "ext was made again"
run_tend 0 resources --format json
json_get "$T/out" "[r['name'] for r in d['resources']]" | grep -q temp-1 && fail "temp-1 still recorded"
# and nothing more to do
run_tend 0 plan --detailed-exitcode "$T/a.yml"
echo "ok"

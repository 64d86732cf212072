#!/bin/sh
# playbooks/files.yml on the local host: plan changes nothing, apply makes
# the files the plan announced, a second apply and plan find nothing to do.
. "$(dirname "$0")/../lib/lib-test.sh"
R=$T/root
pb=$TOP/playbooks/files.yml

# plan: exit 2 with --detailed-exitcode, touches nothing
run_tend 2 plan "$pb" -e root="$R" --detailed-exitcode --format json
cp "$T/out" "$T/plan.json"
[ ! -e "$R" ] || fail "plan created $R"
[ "$(json_get "$T/plan.json" "d['format_version']")" = 2 ] || fail "format_version"
[ "$(json_get "$T/plan.json" "d['summary']['changed'] > 5")" = True ] || fail "too few changes planned"
# plain text plan has the summary line and a diff
run_tend 0 plan "$pb" -e root="$R"
expect_in "$T/out" "Plan: "
expect_in "$T/out" "to change"
expect_in "$T/out" "+welcome"

run_tend 0 apply "$pb" -e root="$R" --format json
cp "$T/out" "$T/apply.json"

expect_content "$R/etc/motd" "welcome
to localhost
"
expect_mode "$R/etc/motd" 0644
expect_mode "$R/etc" 0750
expect_content "$R/data/hello.txt" "hello from files/
"
expect_mode "$R/data/hello.txt" 0640
expect_content "$R/etc/app.conf" "# generated for localhost
root=$R
workers=2
a=1
b=2
"
expect_content "$R/etc/tuning.conf" "workers=4
tls=on
mode=fast
"
expect_mode "$R/etc/app.conf" 0600
[ "$(readlink "$R/app.conf")" = "$R/etc/app.conf" ] || fail "link target"
expect_content "$R/etc/hosts.extra" "# BEGIN ANSIBLE MANAGED BLOCK
10.0.0.1 db
10.0.0.2 cache
# END ANSIBLE MANAGED BLOCK
"
expect_content "$R/etc/app.d/web.conf" "service=web
"
expect_content "$R/etc/app.d/worker.conf" "service=worker
"
expect_content "$R/data/reloaded" "reloaded
"

# the plan predicted what apply changed: every planned 'changed' changed, and
# nothing changed that the plan called 'ok'
/usr/bin/python3 - "$T/plan.json" "$T/apply.json" <<'PY'
import json, sys
plan, apply = (json.load(open(p)) for p in sys.argv[1:3])
def acts(d):
    return {(h['host'], t['task'], t['item']): t['status']
            for h in d['hosts'] for t in h['tasks']}
p, a = acts(plan), acts(apply)
bad = []
for k, act in p.items():
    if act == 'changed' and a.get(k) != 'changed':
        bad.append(('planned change did not change', k, a.get(k)))
    if act == 'ok' and a.get(k) == 'changed':
        bad.append(('planned ok but changed', k))
for k, act in a.items():
    if act == 'changed' and p.get(k) not in ('changed', 'unknown'):
        bad.append(('changed without a plan', k, p.get(k)))
    if act == 'failed':
        bad.append(('failed', k))
if bad:
    print(*bad, sep='\n'); sys.exit(1)
PY

# converged: a second apply changes nothing, a plan finds nothing
before=$(snapshot "$R")
run_tend 0 apply "$pb" -e root="$R" --format json
[ "$(json_get "$T/out" "d['summary']['changed']")" = 0 ] || { cat "$T/out"; fail "second apply changed something"; }
[ "$(snapshot "$R")" = "$before" ] || fail "second apply changed the tree"
run_tend 0 plan "$pb" -e root="$R" --detailed-exitcode
expect_in "$T/out" "Plan: 0 to change"

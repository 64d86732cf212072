#!/bin/sh
# A saved plan with one stale host and one host that fails when the fresh
# part applies exits 4 (stale), which outranks 3 (hosts failed) in the
# exit-code table (README, `tend help`); both are reported, and the run is
# recorded as failed.
. "$(dirname "$0")/../lib/lib-test.sh"
mkdir "$T/r"
printf '[h]\nh1 ansible_connection=local\nh2 ansible_connection=local\n' >"$T/inv.ini"
cat >"$T/pb.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - copy: { content: "v1\n", dest: "{{ root }}/{{ inventory_hostname }}.conf" }
    - command: test -e {{ root }}/{{ inventory_hostname }}.ok
YML
run_tend 0 plan "$T/pb.yml" -i "$T/inv.ini" -e root="$T/r" --out "$T/plan.json"
echo moved >"$T/r/h2.conf"
run_tend 4 apply "$T/plan.json"
expect_in "$T/err" "host 'h2' moved since the plan"
expect_in "$T/out" "fatal: [h1]"
expect_content "$T/r/h1.conf" "v1
"
expect_content "$T/r/h2.conf" "moved
"
run_tend 0 history --format json
[ "$(json_get "$T/out" "d['runs'][0]['status']")" = "failed" ] || { cat "$T/out"; fail "the apply is not recorded as failed"; }
# without a failure, stale alone is 4
touch "$T/r/h1.ok"
run_tend 0 plan "$T/pb.yml" -i "$T/inv.ini" -e root="$T/r" --out "$T/plan.json"
echo moved-again >"$T/r/h2.conf"
run_tend 4 apply "$T/plan.json"

# a plan that names no host applies nothing, and says so
cat >"$T/none.yml" <<'YML'
- hosts: nomatch
  gather_facts: false
  tasks:
    - debug: { msg: hi }
YML
run_tend 0 plan "$T/none.yml" -i "$T/inv.ini" --out "$T/none.json"
run_tend 0 apply "$T/none.json"
expect_in "$T/err" "the plan names no host: nothing to apply"

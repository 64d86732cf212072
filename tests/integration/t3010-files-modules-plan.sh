#!/bin/sh
# replace, assemble, fetch and slurp on the local host: the plan says
# what each will change (a diff, the new file, where the fetch goes) and
# touches nothing; apply does it; a second apply changes nothing.
. "$(dirname "$0")/../lib/lib-test.sh"
R=$T/r
mkdir -p "$R/frags"
printf 'port=80\nhost=a\n' >"$R/app.conf"
printf 'a\n' >"$R/frags/01"
printf 'b' >"$R/frags/02"
printf 'hidden\n' >"$R/frags/.03"
cat >"$T/pb.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - replace: {path: "{{ root }}/app.conf", regexp: '^port=\d+$', replace: 'port=8080', backup: true}
    - assemble: {src: "{{ root }}/frags", dest: "{{ root }}/joined", delimiter: "#", ignore_hidden: true, mode: "0600"}
    - fetch: {src: "{{ root }}/app.conf", dest: "{{ root }}/got"}
    - slurp: {src: "{{ root }}/app.conf"}
      register: s
    - debug: {msg: "{{ s.content | b64decode }}"}
YML
snapshot "$R" >"$T/before"

run_tend 0 plan "$T/pb.yml" -e root="$R"
cp "$T/out" "$T/plan.txt"
expect_in "$T/plan.txt" "-port=80"
expect_in "$T/plan.txt" "+port=8080"
expect_in "$T/plan.txt" "+++ after: $R/joined"
expect_in "$T/plan.txt" "+a"
expect_in "$T/plan.txt" "+b"
expect_not_in "$T/plan.txt" "+hidden"
expect_in "$T/plan.txt" "fetch: localhost:$R/app.conf -> $R/got/localhost$R/app.conf"
expect_in "$T/plan.txt" "Plan: 3 to change, 2 ok"
snapshot "$R" >"$T/after-plan"
cmp -s "$T/before" "$T/after-plan" || fail "the plan changed files"

run_tend 0 apply "$T/pb.yml" -e root="$R" --format json
cp "$T/out" "$T/apply.json"
expect_content "$R/app.conf" "port=8080
host=a
"
expect_content "$R/joined" "a
#
b"
expect_mode "$R/joined" 0600
# the fetch brought the file as it was when fetched (after replace)
expect_content "$R/got/localhost$R/app.conf" "port=8080
host=a
"
ls "$R"/app.conf.*~ >/dev/null 2>&1 || fail "replace made no backup"
[ "$(json_get "$T/apply.json" "d['summary']['changed']")" = 3 ] ||
	fail "apply changed $(json_get "$T/apply.json" "d['summary']")"
expect_in "$T/apply.json" "port=8080\\nhost=a\\n"

# a second apply and a plan find nothing to do
run_tend 0 apply "$T/pb.yml" -e root="$R" --format json
[ "$(json_get "$T/out" "d['summary']['changed']")" = 0 ] ||
	fail "second apply changed something: $(json_get "$T/out" "d['summary']")"
run_tend 0 plan "$T/pb.yml" -e root="$R"
expect_in "$T/out" "Plan: 0 to change"

# the example playbook: validates, applies, applies again with no change
M=$T/m
run_tend 0 validate "$TOP/playbooks/machine-files.yml"
run_tend 0 apply "$TOP/playbooks/machine-files.yml" -e root="$M"
expect_content "$M/local.conf" "workers=4
"
expect_content "$M/app.conf" "workers=2
# --
tls=on
"
expect_content "$M/fetched/app.conf" "workers=2
# --
tls=on
"
expect_mode "$M/conf.d/10-workers" 0640
run_tend 0 apply "$TOP/playbooks/machine-files.yml" -e root="$M" --format json
[ "$(json_get "$T/out" "d['summary']['changed']")" = 0 ] ||
	fail "example: second apply changed $(json_get "$T/out" "d['summary']")"

# the docs
run_tend 0 doc assemble
expect_in "$T/out" "remote_src (bool)"
expect_in "$T/out" "returns:"
expect_in "$T/out" "example:"
echo "ok"

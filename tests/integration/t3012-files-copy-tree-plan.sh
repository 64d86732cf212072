#!/bin/sh
# copy with a directory src, copy with remote_src and file with recurse:
# the plan names each path that changes (and touches nothing), apply
# makes the tree, a second apply changes nothing; what tend does not do
# yet is refused by name.
. "$(dirname "$0")/../lib/lib-test.sh"
R=$T/r
mkdir -p "$R" "$T/files/tree/sub dir"
printf 'one\n' >"$T/files/tree/-a %s"
printf 'two\n' >"$T/files/tree/sub dir/b"
printf 'remote\n' >"$R/src.txt"
cat >"$T/pb.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - copy: {src: tree/, dest: "{{ root }}/t", mode: "0640", directory_mode: "0750"}
    - copy: {src: "{{ root }}/src.txt", dest: "{{ root }}/copied", remote_src: true}
    - file: {path: "{{ root }}/t", state: directory, recurse: true, mode: "u=rwX,g=rX,o="}
YML
snapshot "$R" >"$T/before"
run_tend 0 plan "$T/pb.yml" -e root="$R"
cp "$T/out" "$T/plan.txt"
expect_in "$T/plan.txt" "$R/t/: state: absent -> directory"
expect_in "$T/plan.txt" "$R/t/sub dir: state: absent -> directory"
expect_in "$T/plan.txt" "$R/t/-a %s: state: absent -> file"
expect_in "$T/plan.txt" "+++ after: $R/t/sub dir/b"
expect_in "$T/plan.txt" "+two"
expect_in "$T/plan.txt" "+++ after: $R/copied"
expect_in "$T/plan.txt" "+remote"
snapshot "$R" >"$T/after-plan"
cmp -s "$T/before" "$T/after-plan" || fail "the plan changed files"

run_tend 0 apply "$T/pb.yml" -e root="$R" --format json
expect_content "$R/t/-a %s" "one
"
expect_content "$R/t/sub dir/b" "two
"
expect_mode "$R/t/-a %s" 0640
expect_mode "$R/t/sub dir" 0750
expect_content "$R/copied" "remote
"
run_tend 0 apply "$T/pb.yml" -e root="$R" --format json
[ "$(json_get "$T/out" "d['summary']['changed']")" = 0 ] ||
	fail "second apply changed something: $(json_get "$T/out" "d['summary']")"

# one file below changes mode: the recursive file task says so
chmod 0604 "$R/t/sub dir/b"
run_tend 0 plan "$T/pb.yml" -e root="$R"
expect_in "$T/out" "recurse: 1 change below the directory"
run_tend 0 apply "$T/pb.yml" -e root="$R"
expect_mode "$R/t/sub dir/b" 0640

# refused by name
cat >"$T/no.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - copy: {src: "{{ root }}/t", dest: "{{ root }}/t2", remote_src: true}
YML
run_tend 3 apply "$T/no.yml" -e root="$R"
expect_in "$T/out" "NEEDSWORK: copying the directory '$R/t' with remote_src"
cat >"$T/no2.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - copy: {src: tree, dest: "{{ root }}/t3", local_follow: false}
YML
run_tend 3 apply "$T/no2.yml" -e root="$R"
expect_in "$T/out" "local_follow: no"
[ ! -e "$R/t3" ] || fail "a refused copy made $R/t3"
echo ok

#!/bin/sh
# git: what plans say (clone X at REV, update A -> B), re-apply changes
# nothing, a new upstream commit is fetched, local modifications fail
# without force, an unknown version fails with git's own message, a
# host without git is told so.
. "$(dirname "$0")/../lib/lib-test.sh"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com \
	GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
git init -q -b main "$T/src"
printf 'one\n' >"$T/src/f"
git -C "$T/src" add f && git -C "$T/src" commit -qm one
one=$(git -C "$T/src" rev-parse HEAD)
cat >"$T/pb.yml" <<'YML'
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - git:
        repo: "{{ repo }}"
        dest: "{{ dest }}"
        version: "{{ version | default('HEAD') }}"
        force: "{{ force | default(false) }}"
YML
run() { want=$1 cmd=$2; shift 2; run_tend "$want" "$cmd" -i localhost, "$T/pb.yml" -e repo="$T/src" -e "{\"dest\": \"$T/co dir\"}" "$@"; }

run 2 plan --detailed-exitcode
short=$(printf %.12s "$one")
expect_in "$T/out" "clone: file://$T/src at HEAD ($short) -> $T/co dir"
[ ! -e "$T/co dir" ] || fail "the plan cloned"
run 0 apply
expect_content "$T/co dir/f" 'one
'
run 0 plan --detailed-exitcode
run 0 apply
expect_in "$T/out" "changed=0"

# a new commit upstream: the plan names both commits
printf 'two\n' >"$T/src/f"
git -C "$T/src" commit -qam two
two=$(git -C "$T/src" rev-parse HEAD)
run 2 plan --detailed-exitcode
expect_in "$T/out" "update: $T/co dir $short -> $(printf %.12s "$two") (HEAD)"
run 0 apply
expect_content "$T/co dir/f" 'two
'

# local modifications: refused without force, and kept
printf 'mine\n' >"$T/co dir/f"
run 3 apply -e version="$one"
expect_in "$T/out" "Local modifications exist in the destination: $T/co dir (force=no)."
expect_content "$T/co dir/f" 'mine
'
run 0 apply -e version="$one" -e force=true
expect_content "$T/co dir/f" 'one
'

# an unknown version: git's message (with -v, as Ansible's stderr)
run 3 apply -v -e version=no-such-rev
expect_in "$T/out" "Failed to checkout no-such-rev"
expect_in "$T/out" "pathspec 'no-such-rev' did not match"

# no git on the host
mkdir -p "$T/nogit"
for tool in sh mktemp cat rm; do ln -s "$(command -v $tool)" "$T/nogit/$tool"; done
PATH="$T/nogit" run 3 apply
expect_in "$T/out" "git is not installed on the host"

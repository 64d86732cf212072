#!/bin/sh
# The git source over file:// and plain paths: clone, update when a branch
# moves, tags and commit ids, unknown refs, --offline, a remote that went
# away (the cached commit, marked stale), --dir, --require-ancestor-of,
# two pulls at once, and `tend plan --repo` running the committed playbook
# (on this machine: the commit is not signed, so --trust-source).
. "$(dirname "$0")/../lib/lib-test.sh"
export XDG_CACHE_HOME="$T/cache"

git init -q -b main "$T/src"
g() { git -C "$T/src" -c user.name=Ada -c user.email=ada@example.org "$@"; }
mkdir "$T/src/inv"
printf 'localhost ansible_connection=local\n' >"$T/src/inv/hosts"
cat >"$T/src/site.yml" <<'EOF'
- hosts: all
  gather_facts: false
  tasks:
    - name: write the file
      copy:
        dest: "{{ target }}"
        content: "{{ greeting }} v1\n"
EOF
g add .
g commit -q -m "first version"
c1=$(g rev-parse HEAD)
g tag v1

# first use clones
run_tend 0 pull --repo "file://$T/src" --ref main
expect_in "$T/out" "commit  $c1"
expect_in "$T/out" "subject first version"
expect_in "$T/out" "author  Ada <ada@example.org>"
dir1=$(sed -n 's/^dir *//p' "$T/out")
[ -f "$dir1/site.yml" ] || fail "no site.yml in $dir1"
[ ! -e "$dir1/.git" ] || fail "the tree has a .git"

# plan the committed playbook, with -e and the repository's inventory
run_tend 0 plan --repo "file://$T/src" --ref main --trust-source -i inv/hosts \
	-e target="$T/out.txt" -e greeting=hello site.yml
expect_in "$T/out" "write the file"
expect_in "$T/out" "1 to change"
[ ! -e "$T/out.txt" ] || fail "plan wrote the file"
run_tend 0 apply --repo "file://$T/src" --ref v1 --trust-source -i inv/hosts \
	-e target="$T/out.txt" -e greeting=hello site.yml
expect_content "$T/out.txt" "hello v1
"
run_tend 0 validate --repo "$T/src" --ref main site.yml -i inv/hosts

# the branch moves: the next run picks up the new commit
sed -i 's/v1/v2/' "$T/src/site.yml"
g commit -q -a -m "second version"
c2=$(g rev-parse HEAD)
run_tend 0 pull --repo "file://$T/src" --ref main
expect_in "$T/out" "commit  $c2"
expect_in "$T/out" "subject second version"
run_tend 0 apply --repo "file://$T/src" --ref main --trust-source -i inv/hosts \
	-e target="$T/out.txt" -e greeting=hello site.yml
expect_content "$T/out.txt" "hello v2
"

# a tag, a full and a short commit id, a full ref name
run_tend 0 pull --repo "file://$T/src" --ref v1
expect_in "$T/out" "commit  $c1"
run_tend 0 pull --repo "file://$T/src" --ref "$c1"
expect_in "$T/out" "commit  $c1"
run_tend 0 pull --repo "file://$T/src" --ref "$(echo "$c1" | cut -c1-8)"
expect_in "$T/out" "commit  $c1"
run_tend 0 pull --repo "file://$T/src" --ref refs/heads/main
expect_in "$T/out" "commit  $c2"

# unknown refs
run_tend 1 pull --repo "file://$T/src" --ref nosuchbranch
expect_in "$T/err" "unknown ref 'nosuchbranch'"
expect_in "$T/err" "branches: main"
run_tend 1 pull --repo "file://$T/src" --ref 0123456789abcdef0123456789abcdef01234567
expect_in "$T/err" "unknown ref '0123456789abcdef0123456789abcdef01234567'"
run_tend 1 pull --repo "file://$T/src"
expect_in "$T/err" "needs --ref"

# --require-ancestor-of: c1 is on main; a commit only on another branch is not
run_tend 0 pull --repo "file://$T/src" --ref "$c1" --require-ancestor-of main
g checkout -q -b side
echo side >"$T/src/side.txt"
g add side.txt
g commit -q -m "on a side branch"
c3=$(g rev-parse HEAD)
g checkout -q main
run_tend 1 pull --repo "file://$T/src" --ref "$c3" --require-ancestor-of main
expect_in "$T/err" "not on branch 'main'"
run_tend 0 pull --repo "file://$T/src" --ref side --require-ancestor-of side

# --dir: a clean checkout there, replaced by the next pull
run_tend 0 pull --repo "file://$T/src" --ref side --dir "$T/wt"
[ -f "$T/wt/side.txt" ] || fail "no side.txt in --dir"
echo junk >"$T/wt/junk"
run_tend 0 pull --repo "file://$T/src" --ref main --dir "$T/wt"
expect_in "$T/out" "dir     $T/wt"
[ ! -e "$T/wt/side.txt" ] && [ ! -e "$T/wt/junk" ] || fail "--dir not clean"
grep -q v2 "$T/wt/site.yml" || fail "--dir has the wrong commit"
mkdir "$T/mine" && echo precious >"$T/mine/file"
run_tend 1 pull --repo "file://$T/src" --ref main --dir "$T/mine"
expect_in "$T/err" "was not made by tend"
[ -f "$T/mine/file" ] || fail "--dir destroyed a directory it did not make"

# two pulls at once share the cache without harm
sed -i 's/v2/v3/' "$T/src/site.yml"
g commit -q -a -m "third version"
c4=$(g rev-parse HEAD)
"$TEND" pull --repo "file://$T/src" --ref main >"$T/p1" 2>&1 &
p1=$!
"$TEND" pull --repo "file://$T/src" --ref main >"$T/p2" 2>&1 &
p2=$!
wait $p1 || { cat "$T/p1"; fail "first concurrent pull failed"; }
wait $p2 || { cat "$T/p2"; fail "second concurrent pull failed"; }
expect_in "$T/p1" "commit  $c4"
expect_in "$T/p2" "commit  $c4"

# --offline uses the cache; a remote that is gone leaves the cache usable
mv "$T/src" "$T/src.moved"
run_tend 0 pull --repo "file://$T/src" --ref main --offline
expect_in "$T/out" "commit  $c4"
run_tend 1 pull --repo "file://$T/src" --ref main
expect_in "$T/out" "commit  $c4"
expect_in "$T/err" "warning:"
expect_in "$T/err" "using the cached commit"
run_tend 0 plan --repo "file://$T/src" --ref main --trust-source -i inv/hosts \
	-e target="$T/out.txt" -e greeting=hello site.yml
expect_in "$T/err" "using the cached commit"
expect_in "$T/out" "1 to change"

# nothing cached and nothing to fetch
run_tend 1 pull --repo "file://$T/nothing" --ref main
expect_in "$T/err" "nothing"
run_tend 1 pull --repo "file://$T/nothing" --ref main --offline
expect_in "$T/err" "cannot run it --offline"

#!/bin/sh
# The cache's checked-out tree of a commit is read-only, and checked
# against the commit before each use: a file edited there, a file added
# or a link re-pointed does not run; the tree is checked out again and
# the run says so.
. "$(dirname "$0")/../lib/lib-test.sh"
export XDG_CACHE_HOME="$T/cache"

ssh-keygen -q -t ed25519 -N '' -C alice -f "$T/alice"
printf 'alice@example.org namespaces="git" %s\n' \
	"$(cut -d' ' -f1,2 "$T/alice.pub")" >"$T/allowed_signers"
git init -q -b main "$T/src"
g() { git -C "$T/src" -c user.name=Ada -c user.email=ada@example.org \
	-c gpg.format=ssh -c user.signingkey="$T/alice" "$@"; }
printf 'localhost ansible_connection=local\n' >"$T/src/hosts"
mkdir "$T/src/files"
echo "signed content" >"$T/src/files/data.txt"
cat >"$T/src/site.yml" <<YML
- hosts: localhost
  gather_facts: false
  tasks:
    - copy: { src: data.txt, dest: "$T/out.txt" }
    - copy: { dest: "$T/word.txt", content: "{{ word | default('signed') }}" }
YML
g add .
g commit -q -S -m "signed by alice"
c=$(g rev-parse HEAD)

apply() { run_tend 0 apply --repo "$T/src" --ref main --verify-signatures \
	--allowed-signers "$T/allowed_signers" -i hosts site.yml; }
check_ran_signed() {
	expect_content "$T/out.txt" "signed content
"
	expect_content "$T/word.txt" "signed"
	rm -f "$T/out.txt" "$T/word.txt"
}
apply
check_ran_signed
tree=$(ls -d "$T"/cache/tend/repos/*/trees/"$c")
[ -f "$tree/site.yml" ] || fail "no cached tree at '$tree'"

# read-only: no write bit on any file or directory of the tree
[ -z "$(find "$tree" ! -type l -perm /222)" ] || \
	fail "writable paths in the cached tree: $(find "$tree" ! -type l -perm /222)"

# an intact tree is used as it is, and says nothing
apply
check_ran_signed
expect_not_in "$T/err" "warning"

# an edited playbook (by someone who can write there anyway)
chmod u+w "$tree/site.yml"
sed -i 's/signed/EVIL/' "$tree/site.yml"
apply
check_ran_signed
expect_in "$T/err" "the cached checkout of commit $(echo "$c" | cut -c1-12) was changed ('site.yml' differs from the commit): checked it out again"
! grep -q EVIL "$tree/site.yml" || fail "the edit is still in the tree"

# an edited file that a task reads
chmod u+w "$tree/files/data.txt"
echo "EVIL content" >"$tree/files/data.txt"
apply
check_ran_signed
expect_in "$T/err" "'files/data.txt' differs from the commit"

# files added (group_vars would override a variable)
chmod u+w "$tree"
mkdir "$tree/group_vars"
printf 'word: EVIL\n' >"$tree/group_vars/all.yml"
apply
check_ran_signed
expect_in "$T/err" "holds 2 paths the commit does not have"
[ ! -e "$tree/group_vars" ] || fail "the added files are still in the tree"

# a file swapped for a link to elsewhere
echo "EVIL content" >"$T/elsewhere"
chmod u+w "$tree/files"
rm -f "$tree/files/data.txt"
ln -s "$T/elsewhere" "$tree/files/data.txt"
apply
check_ran_signed
expect_in "$T/err" "'files/data.txt' differs from the commit"

# the executable bit counts too
chmod u+wx "$tree/site.yml"
apply
check_ran_signed
expect_in "$T/err" "'site.yml' differs from the commit"
[ ! -x "$tree/site.yml" ] || fail "the mode is still changed"

# tend pull says so as well
chmod u+w "$tree/hosts"
echo "evil" >>"$tree/hosts"
run_tend 0 pull --repo "$T/src" --ref main
expect_in "$T/err" "'hosts' differs from the commit"

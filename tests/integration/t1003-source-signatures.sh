#!/bin/sh
# --verify-signatures: a commit signed (git's gpg.format ssh) by an allowed
# signer runs; an unsigned one, one signed by another key, and one signed
# by a key allowed only for another namespace are refused with the reason.
. "$(dirname "$0")/../lib/lib-test.sh"
export XDG_CACHE_HOME="$T/cache"

ssh-keygen -q -t ed25519 -N '' -C alice -f "$T/alice"
ssh-keygen -q -t ed25519 -N '' -C mallory -f "$T/mallory"
printf 'alice@example.org namespaces="git" %s\n' \
	"$(cut -d' ' -f1,2 "$T/alice.pub")" >"$T/allowed_signers"
printf 'alice@example.org namespaces="file" %s\n' \
	"$(cut -d' ' -f1,2 "$T/alice.pub")" >"$T/allowed_file_only"

git init -q -b main "$T/src"
g() { git -C "$T/src" -c user.name=Ada -c user.email=ada@example.org \
	-c gpg.format=ssh "$@"; }
echo one >"$T/src/file"
g add file
g -c user.signingkey="$T/alice" commit -q -S -m "signed by alice"
signed=$(g rev-parse HEAD)
echo two >"$T/src/file"
g commit -q -a -m "not signed"
unsigned=$(g rev-parse HEAD)
echo three >"$T/src/file"
g -c user.signingkey="$T/mallory" commit -q -a -S -m "signed by mallory"
mallory=$(g rev-parse HEAD)

v() { run_tend "$1" pull --repo "$T/src" --ref "$2" --verify-signatures \
	--allowed-signers "${3:-$T/allowed_signers}"; }

v 0 "$signed"
expect_in "$T/out" "commit  $signed"
expect_in "$T/out" "signer  alice@example.org"
v 1 "$unsigned"
expect_in "$T/err" "refusing commit $unsigned: it is not signed"
expect_not_in "$T/out" "commit"
v 1 "$mallory"
expect_in "$T/err" "refusing commit $mallory: signed by SHA256:"
expect_in "$T/err" "not an allowed signer"
v 1 main
expect_in "$T/err" "refusing commit $mallory"
v 1 "$signed" "$T/allowed_file_only"
expect_in "$T/err" "allowed for namespaces 'file' only"

# a plan of a refused commit touches nothing
cat >"$T/src/site.yml" <<EOF
- hosts: localhost
  gather_facts: false
  tasks:
    - copy: { dest: "$T/touched", content: "x" }
EOF
g add site.yml
g commit -q -m "unsigned playbook"
run_tend 1 apply --repo "$T/src" --ref main --verify-signatures \
	--allowed-signers "$T/allowed_signers" site.yml
expect_in "$T/err" "it is not signed"
[ ! -e "$T/touched" ] || fail "a refused commit ran"
g -c user.signingkey="$T/alice" commit -q --allow-empty -S -m "alice signs"
run_tend 0 apply --repo "$T/src" --ref main --verify-signatures \
	--allowed-signers "$T/allowed_signers" site.yml
[ -e "$T/touched" ] || fail "the signed commit did not run"

# --verify-signatures needs the file
run_tend 1 pull --repo "$T/src" --ref main --verify-signatures
expect_in "$T/err" "needs --allowed-signers"

#!/bin/sh
# A host that known_hosts lists only by a key of another type is a changed
# key, in every mode: a server on that address that offers only ECDSA when
# known_hosts holds the host's ed25519 key is refused (as OpenSSH does),
# never recorded under accept-new, and the refusal does not advise
# accept-new. Listed with both types, the matching one is accepted.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-sshd.sh"
mkdir -p "$T/sshd/h1"
ssh-keygen -q -t ecdsa -N '' -C h1 -f "$T/sshd/h1/host_key"   # the server's only key
sshd_start 1 "$T/sshd"
INV=$T/sshd/inventory
p1=$(sshd_port "$T/sshd" h1)
ssh-keygen -q -t ed25519 -N '' -f "$T/known_ed25519"
printf '[127.0.0.1]:%s %s\n' "$p1" "$(cut -d' ' -f1,2 "$T/known_ed25519.pub")" >"$T/sshd/known_hosts"
cp "$T/sshd/known_hosts" "$T/kh.before"
cat >"$T/k.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - stat: { path: / }
YML
for mode in strict accept-new; do
	run_tend 3 plan "$T/k.yml" -i "$INV" -e host_key_checking=$mode
	expect_in "$T/out" "has CHANGED"
	expect_in "$T/out" "now ECDSA"
	expect_not_in "$T/out" "accept-new"
	cmp -s "$T/kh.before" "$T/sshd/known_hosts" || { cat "$T/sshd/known_hosts"; fail "known_hosts changed under $mode"; }
done
# the same host listed by both types: the ecdsa key matches
printf '[127.0.0.1]:%s %s\n' "$p1" "$(cut -d' ' -f1,2 "$T/sshd/h1/host_key.pub")" >>"$T/sshd/known_hosts"
run_tend 0 plan "$T/k.yml" -i "$INV"
expect_in "$T/out" "Plan: 0 to change, 1 ok"

# precedence: tend.yml's ssh: host_key_checking (the lowest, a default)
# never beats the inventory's, whichever alias the inventory uses
head -n 1 "$T/kh.before" >"$T/sshd/known_hosts"   # ed25519 only again
printf 'ssh:\n  host_key_checking: "off"\n' >"$T/tend.yml"
run_tend 0 plan "$T/k.yml" -i "$INV" --config "$T/tend.yml"   # off: nothing checked
sed 's/^\(h1 .*\)$/\1 ansible_host_key_checking=true/' "$INV" >"$T/inv.strict"
grep -q "^h1 .*ansible_host_key_checking=true" "$T/inv.strict" || { cat "$T/inv.strict"; fail "inventory"; }
run_tend 3 plan "$T/k.yml" -i "$T/inv.strict" --config "$T/tend.yml"
expect_in "$T/out" "has CHANGED"

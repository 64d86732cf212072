#!/bin/sh
# lookup('password'): the password is stored in its file (0600, its
# directory 0700) and read back on the next run; it is a secret, so it
# shows in no output (text, JSON, a saved plan, whose file list does not
# carry its digest either). From a git source: a committed password file
# is read, a missing one is refused (the checkout is never written), and
# the file, template, fileglob and first_found lookups read nothing
# outside the checkout.
. "$(dirname "$0")/../lib/lib-test.sh"
export XDG_CACHE_HOME="$T/cache"
printf 'localhost ansible_connection=local\n' >"$T/hosts"
cat >"$T/pw.yml" <<EOF
- hosts: all
  gather_facts: false
  tasks:
    - name: show it
      debug: { msg: "pw={{ lookup('password', 'creds/db length=24 chars=ascii_letters') }}" }
    - name: use it
      copy: { dest: "$T/out-pw", content: "{{ lookup('password', 'creds/db') }}" }
EOF
run_tend 0 apply -i "$T/hosts" "$T/pw.yml"
[ -f "$T/creds/db" ] || fail "the password file was not stored beside the playbook"
expect_mode "$T/creds/db" 0600
expect_mode "$T/creds" 0700
pw=$(cat "$T/creds/db")
[ "${#pw}" = 24 ] || fail "password of length ${#pw}, expected 24"
case $pw in *[!A-Za-z]*) fail "password has characters outside ascii_letters";; esac
expect_content "$T/out-pw" "$pw"
expect_in "$T/out" "ok: [localhost] => ********"
expect_not_in "$T/out" "$pw"
expect_not_in "$T/err" "$pw"
# read back, not regenerated; JSON and a saved plan keep it out too
run_tend 0 apply -i "$T/hosts" "$T/pw.yml" --format json
expect_not_in "$T/out" "$pw"
[ "$(cat "$T/creds/db")" = "$pw" ] || fail "the stored password changed"
rm "$T/out-pw"
run_tend 2 plan --detailed-exitcode -i "$T/hosts" "$T/pw.yml" --out "$T/plan.json"
expect_not_in "$T/plan.json" "$pw"
expect_not_in "$T/plan.json" "$(printf '%s\n' "$pw" | sha256sum | cut -c1-64)"
expect_not_in "$T/plan.json" "creds/db"
# /dev/null: nothing stored
cat >"$T/null.yml" <<EOF
- hosts: all
  gather_facts: false
  tasks:
    - copy: { dest: "$T/null-len", content: "{{ lookup('password', '/dev/null length=5') | length }} chars" }
EOF
run_tend 0 apply -i "$T/hosts" "$T/null.yml"
expect_content "$T/null-len" "5 chars"

# a git source
echo "TOPSECRET-outside" >"$T/secret.txt"
git init -q -b main "$T/src"
cd "$T/src"
mkdir -p files/sub templates
printf 'committed-pw\n' >files/stored
printf 'in-tree\n' >files/sub/one.txt
printf 'localhost ansible_connection=local\n' >hosts
cat >stored.yml <<EOF
- hosts: localhost
  gather_facts: false
  tasks:
    - copy: { dest: "$T/from-git", content: "{{ lookup('password', 'files/stored') }} {{ query('fileglob', 'sub/*.txt') | map('basename') | list }}" }
EOF
cat >create.yml <<EOF
- hosts: localhost
  gather_facts: false
  tasks:
    - debug: { msg: "{{ lookup('password', 'new-creds/x') }}" }
EOF
for l in "file', '$T/secret.txt" "template', '$T/secret.txt" "fileglob', '$T/*.txt" "first_found', '$T/secret.txt"; do
	n=$((${n:-0} + 1))
	cat >"out$n.yml" <<EOF
- hosts: localhost
  gather_facts: false
  tasks:
    - debug: { msg: "{{ lookup('$l') }}" }
EOF
done
git add . && git -c user.name=A -c user.email=a@example.org commit -q -m pw
cd "$T"
run_tend 0 apply --repo "$T/src" --ref main --trust-source -i hosts stored.yml
expect_content "$T/from-git" "committed-pw ['one.txt']"
run_tend 3 apply --repo "$T/src" --ref main --trust-source -i hosts create.yml
expect_in "$T/out" "refusing to create the password file 'new-creds/x' in a git source's checkout"
[ -z "$(find "$T/cache" -name x -path '*new-creds*')" ] || fail "a password file was written into the checkout"
for n in 1 2 3; do
	run_tend 3 plan --repo "$T/src" --ref main --trust-source -i hosts "out$n.yml"
	expect_in "$T/out" "leads outside the source checkout"
	expect_not_in "$T/out" "TOPSECRET"
done
# first_found only looks: what leads out is not found
run_tend 3 plan --repo "$T/src" --ref main --trust-source -i hosts out4.yml
expect_not_in "$T/out" "TOPSECRET"
expect_in "$T/out" "leads outside the source checkout"

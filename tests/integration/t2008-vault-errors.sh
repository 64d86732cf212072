#!/bin/sh
# Vault data that cannot be read stops the run before any host is touched,
# with an error naming the file (and line:col for a !vault value): a wrong
# password, damaged files (bad hex, truncated, altered), no password at
# all, and bad password sources. The first play's copy must not happen.
. "$(dirname "$0")/../lib/lib-test.sh"
printf 'right-pw\n' >"$T/pw"
printf 'wrong-pw\n' >"$T/bad"
mkdir -p "$T/pb/group_vars/all" "$T/r"
printf 'local1 ansible_connection=local\n' >"$T/pb/inventory.ini"
printf 'db_password: "s3cret-db-value"\n' >"$T/pb/secret.yml"
run_tend 0 vault encrypt --vault-password-file "$T/pw" "$T/pb/secret.yml"
cp "$T/pb/secret.yml" "$T/secret.good"
"$TEND" vault encrypt_string --vault-password-file "$T/pw" --name inline_pw \
	'inline-s3cret' >"$T/inline.yml" || fail "encrypt_string"

# play 1 writes a file; play 2 reads the vault data
write_pb() {
	cat >"$T/pb/site.yml" <<YML
- hosts: all
  gather_facts: false
  tasks:
    - copy: { content: "touched\n", dest: "$T/r/first" }
- hosts: all
  gather_facts: false
  vars_files: [secret.yml]
  tasks:
    - copy: { content: "{{ db_password }}", dest: "$T/r/second" }
YML
}
# expect_refused WHAT TEXT ARGS...: exit 1, TEXT on stderr, no host touched
expect_refused() {
	what=$1 text=$2; shift 2
	run_tend 1 "$@"
	expect_in "$T/err" "$text"
	[ ! -e "$T/r/first" ] || fail "$what: a host was touched"
	[ ! -e "$T/r/second" ] || fail "$what: a host was touched"
}

write_pb
for cmd in apply plan validate; do
	inv="-i $T/pb/inventory.ini"
	expect_refused "wrong password ($cmd)" \
		"$T/pb/secret.yml: cannot decrypt: wrong vault password, or damaged vault data (the HMAC does not match)" \
		$cmd "$T/pb/site.yml" $inv --vault-password-file "$T/bad"
	expect_refused "no password ($cmd)" \
		"$T/pb/secret.yml: cannot decrypt: vault-encrypted data but no vault password given: pass --vault-password-file" \
		$cmd "$T/pb/site.yml" $inv
done

# damaged files: one changed hex digit, a non-hex byte, cut short
python3 - "$T/pb/secret.yml" <<'PY'
import sys
p = sys.argv[1]
lines = open(p).read().split("\n")
last = lines[-2]
lines[-2] = last[:-2] + ("30" if last[-2:] != "30" else "31")
open(p, "w").write("\n".join(lines))
PY
expect_refused "altered file" "$T/pb/secret.yml: cannot decrypt: wrong vault password, or damaged vault data" \
	apply "$T/pb/site.yml" -i "$T/pb/inventory.ini" --vault-password-file "$T/pw"
sed '2s/^./z/' "$T/secret.good" >"$T/pb/secret.yml"
expect_refused "bad hex" "$T/pb/secret.yml: cannot decrypt: damaged vault data: the body is not hex" \
	apply "$T/pb/site.yml" -i "$T/pb/inventory.ini" --vault-password-file "$T/pw"
head -n 2 "$T/secret.good" >"$T/pb/secret.yml"
expect_refused "truncated" "$T/pb/secret.yml: cannot decrypt: damaged vault data: truncated" \
	apply "$T/pb/site.yml" -i "$T/pb/inventory.ini" --vault-password-file "$T/pw"
printf '$ANSIBLE_VAULT;1.0;AES\n0000\n' >"$T/pb/secret.yml"
expect_refused "old format" "vault format '1.0' is not supported" \
	apply "$T/pb/site.yml" -i "$T/pb/inventory.ini" --vault-password-file "$T/pw"
cp "$T/secret.good" "$T/pb/secret.yml"
run_tend 0 validate "$T/pb/site.yml" --vault-password-file "$T/pw"

# a !vault value in play vars: file:line:col of the value
{
	printf -- '- hosts: all\n  gather_facts: false\n  tasks:\n'
	printf -- '    - copy: { content: "x", dest: "%s/r/first" }\n' "$T"
	printf -- '- hosts: all\n  gather_facts: false\n  vars:\n'
	sed 's/^/    /' "$T/inline.yml"
	printf -- '\n  tasks:\n    - debug: { var: inline_pw }\n'
} >"$T/pb/inline.yml"
expect_refused "inline wrong password" \
	"$T/pb/inline.yml:8:16: cannot decrypt !vault value: wrong vault password" \
	apply "$T/pb/inline.yml" -i "$T/pb/inventory.ini" --vault-password-file "$T/bad"
expect_refused "inline no password" \
	"$T/pb/inline.yml:8:16: cannot decrypt !vault value: vault-encrypted data but no vault password given" \
	apply "$T/pb/inline.yml" -i "$T/pb/inventory.ini"
run_tend 0 apply "$T/pb/inline.yml" -i "$T/pb/inventory.ini" --vault-password-file "$T/pw"
rm "$T/r/first"

# encrypted group_vars and -e @file with the wrong password
cp "$T/secret.good" "$T/pb/group_vars/all/vault.yml"
printf -- '- hosts: all\n  gather_facts: false\n  tasks:\n    - copy: { content: "x", dest: "%s/r/first" }\n' \
	"$T" >"$T/pb/plain.yml"
expect_refused "group_vars" "$T/pb/group_vars/all/vault.yml: cannot decrypt: wrong vault password" \
	apply "$T/pb/plain.yml" -i "$T/pb/inventory.ini" --vault-id "$T/bad"
rm "$T/pb/group_vars/all/vault.yml"
expect_refused "-e @file" "$T/secret.good: cannot decrypt: wrong vault password" \
	apply "$T/pb/site.yml" -i "$T/pb/inventory.ini" -e "@$T/secret.good" --vault-password-file "$T/bad"
expect_refused "--secrets" "$T/secret.good: cannot decrypt: wrong vault password" \
	apply "$T/pb/site.yml" -i "$T/pb/inventory.ini" --secrets "$T/secret.good" --vault-password-file "$T/bad"

# bad password sources
expect_refused "missing password file" "vault password file '$T/nope': No such file or directory" \
	apply "$T/pb/site.yml" -i "$T/pb/inventory.ini" --vault-password-file "$T/nope"
printf '#!/bin/sh\necho oops >&2\nexit 4\n' >"$T/fail.sh"
chmod +x "$T/fail.sh"
expect_refused "failing script" "vault password script '$T/fail.sh' failed (exit 4)" \
	apply "$T/pb/site.yml" -i "$T/pb/inventory.ini" --vault-password-file "$T/fail.sh"
printf '\n\n' >"$T/empty"
expect_refused "empty password" "vault password file '$T/empty' gives an empty password" \
	apply "$T/pb/site.yml" -i "$T/pb/inventory.ini" --vault-password-file "$T/empty"
ANSIBLE_VAULT_PASSWORD_FILE="$T/nope" expect_refused "env" \
	"ANSIBLE_VAULT_PASSWORD_FILE: vault password file '$T/nope'" \
	apply "$T/pb/site.yml" -i "$T/pb/inventory.ini"
expect_refused "prompt" "tend does not prompt for vault passwords" \
	apply "$T/pb/site.yml" -i "$T/pb/inventory.ini" --vault-id dev@prompt

# tend vault: wrong password, not vault data, already encrypted
run_tend 1 vault view --vault-password-file "$T/bad" "$T/secret.good"
expect_in "$T/err" "cannot decrypt '$T/secret.good': wrong vault password"
run_tend 1 vault decrypt --vault-password-file "$T/pw" "$T/pb/inventory.ini"
expect_in "$T/err" "not vault data"
run_tend 1 vault encrypt --vault-password-file "$T/pw" "$T/secret.good"
expect_in "$T/err" "is already vault-encrypted"
run_tend 1 vault encrypt "$T/pb/inventory.ini"
expect_in "$T/err" "no vault password given: pass --vault-password-file"
cmp -s "$T/secret.good" "$T/pb/secret.yml" || fail "a failed command changed a file"

# finally the right password runs both plays
run_tend 0 apply "$T/pb/site.yml" -i "$T/pb/inventory.ini" --vault-password-file "$T/pw"
expect_content "$T/r/second" "s3cret-db-value"

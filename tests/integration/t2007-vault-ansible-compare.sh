#!/bin/sh
# Ansible Vault both ways with the real ansible-vault (1.1, and 1.2 with
# --vault-id label@file), for hostile plaintexts; then one playbook that
# reads a !vault var, an encrypted vars_files, encrypted group_vars and an
# encrypted -e @file, run by ansible-playbook and by tend: the files they
# write must be the same.
. "$(dirname "$0")/../lib/lib-test.sh"
command -v ansible-vault >/dev/null || fail "ansible-vault is not installed (make test-deps)"
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCALHOST_WARNING=0 \
	ANSIBLE_HOME="$T/ansible-home" ANSIBLE_LOCAL_TEMP="$T/ansible-tmp"
printf 'first pass phrase\n' >"$T/pw"
printf 'other-pw' >"$T/pw2"

# the plaintexts: empty, a leading '-', several lines, binary with NULs
mkdir "$T/p"
: >"$T/p/empty"
printf -- '-rf --no-preserve-root' >"$T/p/dash"
printf 'line one\n  line two: {{ x }}\n\n' >"$T/p/lines"
printf 'bin\000ary\377\000end' >"$T/p/binary"
head -c 3000 /dev/urandom >"$T/p/random"

files="empty dash lines binary random"
# files_of PREFIX: the copies $T/PREFIX-NAME of the plaintexts, for one
# ansible-vault run over them all (each run is a Python start, most of
# this test's CPU; the names have no spaces)
files_of() { for f in $files; do printf '%s ' "$T/$1-$f"; done; }
for f in $files; do cp "$T/p/$f" "$T/a-$f"; cp "$T/p/$f" "$T/a12-$f"; done
ansible-vault encrypt --vault-password-file "$T/pw" $(files_of a) >/dev/null 2>&1 ||
	fail "ansible-vault encrypt"
ansible-vault encrypt --vault-id "prod@$T/pw2" $(files_of a12) >/dev/null 2>&1 ||
	fail "ansible-vault encrypt --vault-id"
for f in $files; do
	# ansible-vault encrypt → tend vault view / decrypt
	head -n 1 "$T/a-$f" | grep -qx '\$ANSIBLE_VAULT;1.1;AES256' || fail "ansible wrote no 1.1 header"
	"$TEND" vault view --vault-password-file "$T/pw" "$T/a-$f" >"$T/view" ||
		fail "tend vault view of ansible's $f"
	cmp "$T/view" "$T/p/$f" || fail "tend vault view of ansible's $f differs"
	run_tend 0 vault decrypt --vault-password-file "$T/pw" "$T/a-$f"
	cmp "$T/a-$f" "$T/p/$f" || fail "tend vault decrypt of ansible's $f differs"

	# tend vault encrypt (→ ansible-vault decrypt below)
	cp "$T/p/$f" "$T/t-$f"
	run_tend 0 vault encrypt --vault-password-file "$T/pw" "$T/t-$f"
	head -n 1 "$T/t-$f" | grep -qx '\$ANSIBLE_VAULT;1.1;AES256' || fail "tend wrote no 1.1 header"

	# 1.2 with a vault id, both ways
	head -n 1 "$T/a12-$f" | grep -qx '\$ANSIBLE_VAULT;1.2;AES256;prod' || fail "no 1.2 header"
	run_tend 0 vault decrypt --vault-password-file "$T/pw" --vault-id "prod@$T/pw2" \
		--output "$T/back" "$T/a12-$f"
	cmp "$T/back" "$T/p/$f" || fail "tend decrypt of ansible's 1.2 $f differs"
	rm -f "$T/back"
	cp "$T/p/$f" "$T/t12-$f"
	run_tend 0 vault encrypt --vault-id "prod@$T/pw2" "$T/t12-$f"
	head -n 1 "$T/t12-$f" | grep -qx '\$ANSIBLE_VAULT;1.2;AES256;prod' || fail "tend wrote no 1.2 header"
done
ansible-vault decrypt --vault-password-file "$T/pw" $(files_of t) >/dev/null 2>&1 ||
	fail "ansible-vault cannot decrypt tend's files"
ansible-vault decrypt --vault-id "prod@$T/pw2" $(files_of t12) >/dev/null 2>&1 ||
	fail "ansible-vault cannot decrypt tend's 1.2 files"
for f in $files; do
	cmp "$T/t-$f" "$T/p/$f" || fail "ansible-vault decrypt of tend's $f differs"
	cmp "$T/t12-$f" "$T/p/$f" || fail "ansible-vault decrypt of tend's 1.2 $f differs"
done

# stdin to stdout, and a password script (executable: run, as Ansible)
printf '#!/bin/sh\necho "other-pw"\n' >"$T/pw.sh"
chmod 700 "$T/pw.sh"
printf 'piped' | "$TEND" vault encrypt --vault-password-file "$T/pw.sh" - >"$T/piped.vault" ||
	fail "tend vault encrypt -"
[ "$(ansible-vault view --vault-password-file "$T/pw2" "$T/piped.vault" 2>/dev/null)" = piped ] ||
	fail "ansible-vault cannot read tend's piped output"

# the playbook, side by side
mkdir -p "$T/pb/group_vars/all"
cat >"$T/pb/vars.yml" <<'YML'
db_password: "Tr0ub4dor&3 from vars_files"
db_port: 5433
YML
printf 'group_token: "tok-from-group-vars-7781"\n' >"$T/pb/group_vars/all/vault.yml"
printf 'extra_secret: "extra-from-at-file-4412 %%d \\\\ end"\n' >"$T/pb/extra.yml"
(cd "$T/pb" && ansible-vault encrypt --vault-password-file "$T/pw" vars.yml \
	group_vars/all/vault.yml extra.yml >/dev/null 2>&1) || fail "ansible-vault encrypt the vars files"
"$TEND" vault encrypt_string --vault-password-file "$T/pw" --name api_key \
	-- '-inline key: with {{ braces }}' >"$T/inline.yml" || fail "tend vault encrypt_string"
ansible-vault encrypt_string --vault-password-file "$T/pw" --name other_key \
	'second inline' >>"$T/inline.yml" 2>/dev/null || fail "ansible-vault encrypt_string"
echo >>"$T/inline.yml"
printf 'local1 ansible_connection=local\n' >"$T/pb/inventory.ini"
{
	printf -- '- hosts: all\n  gather_facts: false\n  vars_files: [vars.yml]\n  vars:\n'
	sed 's/^/    /' "$T/inline.yml"
	cat <<'YML'
  tasks:
    - copy:
        dest: "{{ root }}/out.txt"
        content: |
          db={{ db_password }}:{{ db_port }}
          api={{ api_key }}
          other={{ other_key }}
          group={{ group_token }}
          extra={{ extra_secret }}
    - copy: { content: "{{ api_key }}", dest: "{{ root }}/api_key" }
    - debug: { var: api_key }
YML
} >"$T/pb/site.yml"
mkdir "$T/ansible" "$T/tend"
ansible-playbook -i "$T/pb/inventory.ini" "$T/pb/site.yml" --vault-password-file "$T/pw" \
	-e root="$T/ansible" -e "@$T/pb/extra.yml" >"$T/ansible.log" 2>&1 ||
	{ cat "$T/ansible.log"; fail "ansible-playbook failed"; }
run_tend 0 apply "$T/pb/site.yml" -i "$T/pb/inventory.ini" -e root="$T/tend" \
	-e "@$T/pb/extra.yml" --vault-password-file "$T/pw"
for f in out.txt api_key; do
	cmp "$T/ansible/$f" "$T/tend/$f" || { diff -u "$T/ansible/$f" "$T/tend/$f"; fail "$f differs"; }
done
expect_in "$T/tend/out.txt" "api=-inline key: with {{ braces }}"
# ANSIBLE_VAULT_PASSWORD_FILE works alone, with the option order free
rm -r "$T/tend"; mkdir "$T/tend"
ANSIBLE_VAULT_PASSWORD_FILE="$T/pw" run_tend 0 apply -e "@$T/pb/extra.yml" "$T/pb/site.yml" \
	-i "$T/pb/inventory.ini" -e root="$T/tend"
cmp "$T/ansible/out.txt" "$T/tend/out.txt" || fail "out.txt differs with ANSIBLE_VAULT_PASSWORD_FILE"
# an inventory encrypted whole (as Ansible's loader reads any file)
run_tend 0 vault encrypt --vault-password-file "$T/pw" "$T/pb/inventory.ini"
rm -r "$T/tend"; mkdir "$T/tend"
run_tend 0 apply "$T/pb/site.yml" -i "$T/pb/inventory.ini" -e root="$T/tend" \
	-e "@$T/pb/extra.yml" --vault-password-file "$T/pw"
expect_in "$T/out" "local1"
cmp "$T/ansible/out.txt" "$T/tend/out.txt" || fail "out.txt differs with an encrypted inventory"

# the same playbook over SSH, both tools against one real sshd host (the
# inventory from lib-sshd serves both: known_hosts checked strictly)
. "$TOP/tests/lib/lib-sshd.sh"
sshd_start 1 "$T/sshd"
rm -rf "$T/ansible" "$T/tend"; mkdir "$T/ansible" "$T/tend"
ANSIBLE_HOST_KEY_CHECKING=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_HOME="$T/ansible-home" \
	ansible-playbook -i "$T/sshd/inventory" "$T/pb/site.yml" --vault-password-file "$T/pw" \
	-e root="$T/ansible" -e "@$T/pb/extra.yml" -e ansible_python_interpreter=/usr/bin/python3 \
	>"$T/ansible-ssh.log" 2>&1 || { cat "$T/ansible-ssh.log"; fail "ansible-playbook over SSH failed"; }
run_tend 0 apply "$T/pb/site.yml" -i "$T/sshd/inventory" -e root="$T/tend" \
	-e "@$T/pb/extra.yml" --vault-password-file "$T/pw"
snapshot "$T/ansible" >"$T/a.snap"
snapshot "$T/tend" >"$T/t.snap"
cmp "$T/a.snap" "$T/t.snap" || { diff -u "$T/a.snap" "$T/t.snap"; fail "over SSH the trees differ"; }
expect_in "$T/tend/out.txt" 'extra=extra-from-at-file-4412 %d \ end'

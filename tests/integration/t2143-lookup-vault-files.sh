#!/bin/sh
# The file, unvault and template lookups read a file encrypted whole with
# Ansible Vault as its plaintext, as ansible-playbook does (the files both
# write are the same); the plaintext is secret: tend's output masks it.
. "$(dirname "$0")/../lib/lib-test.sh"
command -v ansible-playbook >/dev/null || fail "ansible-playbook is not installed (make test-deps)"
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCALHOST_WARNING=0 \
	ANSIBLE_HOME="$T/ansible-home" ANSIBLE_LOCAL_TEMP="$T/ansible-tmp"
printf 'vault pass phrase\n' >"$T/vpw"
mkdir -p "$T/pb/files" "$T/pb/templates"
printf 'TOPSECRET-vaulted line\n\n' >"$T/pb/files/secret.txt"
printf 'key={{ k }} TOPSECRET-tpl\n' >"$T/pb/templates/t.j2"
printf 'plain text  \n' >"$T/pb/files/plain.txt"
ansible-vault encrypt --vault-password-file "$T/vpw" "$T/pb/files/secret.txt" "$T/pb/templates/t.j2" >/dev/null 2>&1 ||
	fail "ansible-vault encrypt"
printf 'localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n' >"$T/pb/hosts"
cat >"$T/pb/site.yml" <<'EOF'
- hosts: all
  gather_facts: false
  vars: { k: v1 }
  tasks:
    - copy: { dest: "{{ out }}/unvault", content: "[{{ lookup('unvault', 'secret.txt') }}]" }
    - copy: { dest: "{{ out }}/file", content: "[{{ lookup('file', 'secret.txt') }}]" }
    - copy: { dest: "{{ out }}/template", content: "{{ lookup('template', 't.j2') }}" }
    - copy: { dest: "{{ out }}/plain", content: "[{{ lookup('unvault', 'plain.txt') }}]" }
    - name: show it
      debug: { msg: "{{ lookup('file', 'secret.txt') }}" }
EOF
mkdir "$T/ansible" "$T/tend"
ansible-playbook -i "$T/pb/hosts" "$T/pb/site.yml" -e "out=$T/ansible" \
	--vault-password-file "$T/vpw" >"$T/ansible.log" 2>&1 ||
	{ cat "$T/ansible.log"; fail "ansible-playbook failed"; }
(cd "$T/pb" && run_tend 0 apply -i hosts site.yml -e "out=$T/tend" --vault-password-file "$T/vpw")
expect_not_in "$T/out" "TOPSECRET"
expect_in "$T/out" "********"
for f in unvault file template plain; do
	cmp "$T/ansible/$f" "$T/tend/$f" || {
		cat "$T/ansible/$f"; echo; cat "$T/tend/$f"; fail "$f differs from ansible-playbook's"
	}
done
expect_content "$T/tend/file" "[TOPSECRET-vaulted line]"
# a wrong password names the file
printf 'wrong\n' >"$T/bad"
(cd "$T/pb" && run_tend 3 apply -i hosts site.yml -e "out=$T/tend" --vault-password-file "$T/bad")
expect_in "$T/out" "lookup('unvault', 'secret.txt')"
expect_not_in "$T/out" "TOPSECRET"

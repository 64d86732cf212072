#!/bin/sh
# include_vars side by side with ansible-playbook: the compat case
# langmods-include-vars (files found in vars/ and beside the playbook,
# name, dir with depth/files_matching/ignore_files/extensions, failures,
# and the precedence of included variables), run by both on two local
# hosts, must leave the same trees; a vault-encrypted vars file decrypts
# as the YAML loader does; plan mode sees included variables; a path that
# leads out of an untrusted checkout is refused.
. "$(dirname "$0")/../lib/lib-test.sh"
command -v ansible-playbook >/dev/null || fail "ansible-playbook is not installed (make test-deps)"
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCALHOST_WARNING=0 \
	ANSIBLE_HOME="$T/ansible-home" ANSIBLE_LOCAL_TEMP="$T/ansible-tmp"

cp -r "$TOP/tests/compat/cases/langmods-include-vars" "$T/pb"
cat >"$T/inv" <<INV
h1 ansible_connection=local root=$T/ansible/h1
h2 ansible_connection=local root=$T/ansible/h2
INV
sed "s#$T/ansible/#$T/tend/#" "$T/inv" >"$T/inv-tend"
mkdir -p "$T/ansible/h1" "$T/ansible/h2" "$T/tend/h1" "$T/tend/h2"
ansible-playbook -i "$T/inv" "$T/pb/site.yml" >"$T/ansible.log" 2>&1 ||
	{ cat "$T/ansible.log"; fail "ansible-playbook failed"; }
run_tend 0 apply -i "$T/inv-tend" "$T/pb/site.yml"
snapshot "$T/ansible" >"$T/a.snap"
snapshot "$T/tend" >"$T/t.snap"
cmp "$T/a.snap" "$T/t.snap" || { diff -u "$T/a.snap" "$T/t.snap"; fail "the trees differ"; }
for h in h1 h2; do
	diff -u "$T/ansible/$h/vars.json" "$T/tend/$h/vars.json" || fail "$h: vars.json differs"
done
expect_in "$T/tend/h1/precedence-task.txt" "8080 from-include-vars-8080"
expect_in "$T/tend/h1/vars.json" "app_name=from-set-fact"
expect_in "$T/tend/h1/vars.json" 'kvform={"beside_value": "beside"}'
expect_in "$T/tend/h1/vars.json" 'all_files=["10-one.yml", "20-two.yaml", "30-three.json", "deep.yml", "last.yml"]'
expect_in "$T/tend/h1/vars.json" 'depth_files=["10-one.yml", "deep.yml"]'
expect_in "$T/tend/h1/vars.json" "bad=True missing=True"

# a vault-encrypted vars file, included
mkdir "$T/v" "$T/v/vars"
printf 'secret pass\n' >"$T/pw"
printf 'db_password: "s3cr3t-4471 %%s"\n' >"$T/v/vars/secret.yml"
ansible-vault encrypt --vault-password-file "$T/pw" "$T/v/vars/secret.yml" >/dev/null 2>&1 ||
	fail "ansible-vault encrypt"
cat >"$T/v/site.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - include_vars: secret.yml
    - copy: { content: "{{ db_password }}\n", dest: "{{ root }}/db" }
    - debug: { var: db_password }
YML
printf 'h1 ansible_connection=local root=%s\n' "$T/v" >"$T/v/inv"
run_tend 0 apply -i "$T/v/inv" "$T/v/site.yml" --vault-password-file "$T/pw"
expect_content "$T/v/db" 's3cr3t-4471 %s
'
expect_not_in "$T/out" "s3cr3t-4471"

# plan mode: the included variables are there for later tasks
rm "$T/v/db"
run_tend 2 plan -i "$T/v/inv" "$T/v/site.yml" --vault-password-file "$T/pw" --detailed-exitcode
expect_in "$T/out" "state: absent -> file"
expect_not_in "$T/out" "undefined"
[ ! -e "$T/v/db" ] || fail "plan wrote the file"

# an untrusted checkout: a literal path out of it is refused at load,
# a templated one (and a directory) at the task
mkdir "$T/u"
printf 'outside: yes\n' >"$T/outside.yml"
printf -- '- hosts: all\n  gather_facts: false\n  tasks:\n    - include_vars: { file: ../outside.yml }\n' \
	>"$T/u/literal.yml"
printf -- '- hosts: all\n  gather_facts: false\n  vars: { up: ".." }\n  tasks:\n    - include_vars: "{{ up }}/outside.yml"\n    - include_vars: { dir: "{{ up }}" }\n      ignore_errors: true\n' \
	>"$T/u/templated.yml"
printf 'h1 ansible_host=127.0.0.1 ansible_connection=ssh\n' >"$T/u/inv"
cd "$T/u"
run_tend 1 plan --untrusted -i inv literal.yml
expect_in "$T/err" "literal.yml:4:"
expect_in "$T/err" "refusing to read"
run_tend 3 plan --untrusted -i inv templated.yml
expect_in "$T/out" "refusing to read"

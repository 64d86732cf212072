#!/bin/sh
# Magic variables as ansible-playbook 2.14 sets them: the template
# module's ansible_managed and template_* (a template whose name holds a
# quote and '{{'), inventory_file/inventory_dir (range hosts too),
# playbook_dir (absolute, run from elsewhere), ansible_run_tags,
# ansible_skip_tags, ansible_check_mode, ansible_version, the play's host
# lists; ansible_managed stays undefined outside a template.
. "$(dirname "$0")/../lib/lib-test.sh"
command -v ansible-playbook >/dev/null || fail "ansible-playbook is not installed (make test-deps)"
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCALHOST_WARNING=0 \
	ANSIBLE_HOME="$T/ansible-home" ANSIBLE_LOCAL_TEMP="$T/ansible-tmp"
fx=$TOP/tests/fixtures/magic-vars
pbdir=$(cd "$fx" && pwd -P)
mkdir -p "$T/ansible" "$T/tend" "$T/elsewhere"
cd "$T/elsewhere"
for who in ansible tend; do
	for args in "" "--tags mv --skip-tags nope"; do
		out=$T/$who/${args:+tagged}
		mkdir -p "$out"
		if [ $who = ansible ]; then
			ansible-playbook -i "$fx/inv/hosts" "$fx/site.yml" $args -e root="$out" \
				-e pbdir="$pbdir" -e invdir="$pbdir/inv" >"$T/ansible.log" 2>&1 ||
				{ cat "$T/ansible.log"; fail "ansible-playbook failed"; }
		else
			run_tend 0 apply -i "$fx/inv/hosts" "$fx/site.yml" $args -e root="$out" \
				-e pbdir="$pbdir" -e invdir="$pbdir/inv"
		fi
	done
done
snapshot "$T/ansible" >"$T/a.snap"
snapshot "$T/tend" >"$T/t.snap"
cmp -s "$T/a.snap" "$T/t.snap" || { diff -u "$T/a.snap" "$T/t.snap"; fail "tend and ansible-playbook wrote different files"; }
for f in web1.example.com.t web2.vars tagged/web3.vars; do
	cmp -s "$T/ansible/$f" "$T/tend/$f" || { diff -u "$T/ansible/$f" "$T/tend/$f"; fail "'$f' differs"; }
done
expect_in "$T/tend/web1.example.com.t" "Ansible managed"
expect_in "$T/tend/web2.vars" "True True True"
expect_in "$T/tend/tagged/web3.vars" "['mv'] ['nope'] False"
expect_in "$T/tend/web2.vars" "no ansible_managed outside templates"

#!/bin/sh
# The template module's Jinja environment as Ansible sets it, compared
# byte for byte with ansible-playbook: a '#jinja2:' first line
# (trim_blocks, lstrip_blocks, keep_trailing_newline, newline_sequence,
# delimiters), the module's own trim_blocks/lstrip_blocks/newline_sequence
# and six delimiter strings ('<<' '>>' '<%' '%>' '<#' '#>', with '{{' left
# as text and '>>' inside a string), '{%+', raw blocks, CRLF sources, and
# Ansible's trailing newlines. Values hold quotes and '{{'.
. "$(dirname "$0")/../lib/lib-test.sh"
command -v ansible-playbook >/dev/null || fail "ansible-playbook is not installed (make test-deps)"
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCALHOST_WARNING=0 \
	ANSIBLE_HOME="$T/ansible-home" ANSIBLE_LOCAL_TEMP="$T/ansible-tmp"
pb=$TOP/tests/fixtures/jinja-env/site.yml
mkdir -p "$T/ansible" "$T/tend"
ansible-playbook -i localhost, -c local "$pb" -e root="$T/ansible" >"$T/ansible.log" 2>&1 ||
	{ cat "$T/ansible.log"; fail "ansible-playbook failed"; }
run_tend 0 apply "$pb" -e root="$T/tend"
expect_in "$T/out" "ok=8    changed=8"
snapshot "$T/ansible" >"$T/a.snap"
snapshot "$T/tend" >"$T/t.snap"
cmp -s "$T/a.snap" "$T/t.snap" || { diff -u "$T/a.snap" "$T/t.snap"; fail "tend and ansible-playbook wrote different files"; }
for f in a b c d e f g h; do
	cmp -s "$T/ansible/$f" "$T/tend/$f" || { od -c "$T/tend/$f" | head; fail "'$f' differs"; }
done
expect_in "$T/tend/b" "item=1 {{ literal }}"
# a second run changes nothing
run_tend 0 apply "$pb" -e root="$T/tend"
expect_in "$T/out" "ok=8    changed=0"

# an unknown setting, a bad value, a tag left open: errors naming them
mkdir -p "$T/bad/templates"
printf '#jinja2: autoescape: True\nx\n' >"$T/bad/templates/u.j2"
printf '#jinja2: trim_blocks False\nx\n' >"$T/bad/templates/v.j2"
printf 'a << b\n' >"$T/bad/templates/w.j2"
cat >"$T/bad/site.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - template: {src: u.j2, dest: "{{ root }}/u"}
      ignore_errors: true
    - template: {src: v.j2, dest: "{{ root }}/v"}
      ignore_errors: true
    - template: {src: w.j2, dest: "{{ root }}/w", variable_start_string: "<<", variable_end_string: ">>"}
      ignore_errors: true
YML
run_tend 0 apply "$T/bad/site.yml" -e root="$T/bad"
expect_in "$T/out" "#jinja2: Jinja setting 'autoescape' is not supported"
expect_in "$T/out" "failed to parse jinja2 override 'trim_blocks False'"
expect_in "$T/out" "a tag opened with '<<' has no '>>'"
[ ! -e "$T/bad/u" ] && [ ! -e "$T/bad/w" ] || fail "a template with a bad environment was written"

#!/bin/sh
# The template module's Jinja environment (tests/compat/cases/lang-jinja-env:
# that case compares it byte for byte with ansible-playbook, locally and
# over SSH): a '#jinja2:' first line (trim_blocks, lstrip_blocks,
# keep_trailing_newline, newline_sequence, delimiters), the module's own
# trim_blocks/lstrip_blocks/newline_sequence and six delimiter strings
# ('<<' '>>' '<%' '%>' '<#' '#>', with '{{' left as text and '>>' inside a
# string), '{%+', raw blocks, CRLF sources, and Ansible's trailing
# newlines. Here what only tend has: the recap, a second run changing
# nothing, and the errors for settings it refuses.
. "$(dirname "$0")/../lib/lib-test.sh"
pb=$TOP/tests/compat/cases/lang-jinja-env/site.yml
mkdir -p "$T/tend"
run_tend 0 apply "$pb" -e root="$T/tend"
expect_in "$T/out" "ok=8    changed=8"
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

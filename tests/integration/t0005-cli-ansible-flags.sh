#!/bin/sh
# ansible-playbook's habits on tend's command line (issue 16): a
# single-dash long option (Terraform's -out=, -var, -auto-approve) is an
# error naming the two-dash spelling, never a short option with the rest
# as its value (-o "ut=p.json"); short options still take attached values
# (-lweb, -efoo=bar) and flags bundle (-CD).
. "$(dirname "$0")/../lib/lib-test.sh"
cd "$T"
cat >"$T/p.yml" <<YML
- hosts: all
  gather_facts: false
  tasks:
    - copy: {content: "{{ v | default('none') }}\n", dest: "$T/out-{{ inventory_hostname }}"}
YML

run_tend 1 plan -out=p.json -i web1, -c local p.yml
expect_in "$T/err" "'-out=p.json': long options take two dashes: --out=p.json"
[ ! -e "$T/ut=p.json" ] && [ ! -e "$T/p.json" ] || fail "-out= wrote a plan"
run_tend 1 plan -limit web1 -i web1, -c local p.yml
expect_in "$T/err" "'-limit': long options take two dashes: --limit"
run_tend 1 plan -var v=1 -i web1, -c local p.yml
expect_in "$T/err" "unknown option '-var' for 'tend plan': long options take two dashes, and 'tend plan' has no --var"
run_tend 1 apply -auto-approve -i web1, -c local p.yml
expect_in "$T/err" "unknown option '-auto-approve' for 'tend apply'"
run_tend 1 plan -input=false -i web1, -c local p.yml
expect_in "$T/err" "'tend plan' has no --input"
[ ! -e "$T/out-web1" ] || fail "a refused command ran"

# short options as before: attached values, bundles
run_tend 0 apply -lweb1 -ev=attached -i web1,web2, -c local p.yml
expect_content "$T/out-web1" "attached
"
[ ! -e "$T/out-web2" ] || fail "-lweb1 did not limit"
run_tend 0 apply -CD -ev=2 -i web1, -c local p.yml
expect_content "$T/out-web1" "attached
"
expect_in "$T/out" "+2"

# what the command line says, as Ansible's variables: ansible_diff_mode
# (-D), ansible_forks (-f), ansible_limit (-l, only when given)
cat >"$T/m.yml" <<YML
- hosts: all
  gather_facts: false
  tasks:
    - copy:
        content: "{{ ansible_diff_mode }} {{ ansible_forks }} {{ ansible_limit | default('none') }}\n"
        dest: "$T/m-{{ inventory_hostname }}"
YML
run_tend 0 apply -D -f 3 -l 'web*' -i web1, -c local m.yml
expect_content "$T/m-web1" "True 3 web*
"
run_tend 0 apply -i web1, -c local m.yml
expect_content "$T/m-web1" "False 10 none
"

#!/bin/sh
# What tend validate says of the keywords issue 13 added, by name and at
# file:line:col: an order Ansible does not have, module_defaults groups
# (not supported yet), unknown modules and args in module_defaults,
# vars_prompt's encrypt of a hash tend lacks and keys Ansible refuses,
# timeout and any_errors_fatal values of the wrong type, and the role
# keywords still refused. The good forms validate.
. "$(dirname "$0")/../lib/lib-test.sh"
mkdir -p "$T/roles/r/tasks"
printf -- '- debug: {msg: r}\n' >"$T/roles/r/tasks/main.yml"
cat >"$T/bad.yml" <<'YML'
- hosts: all
  gather_facts: false
  order: random
  module_defaults:
    group/aws: {region: x}
    nosuchmodule: {a: 1}
    file: 5
  vars_prompt:
    - name: p
      encrypt: pbkdf2_sha256
      bogus: 1
    - prompt: "no name"
  tasks:
    - file: {path: /tmp/x}
      module_defaults:
        file: {bogus_arg: 1}
      timeout: soon
      any_errors_fatal: maybe
  roles:
    - role: r
      ignore_unreachable: true
YML
run_tend 1 validate "$T/bad.yml"
expect_in "$T/err" "bad.yml:3:10: expected one of inventory, reverse_inventory, sorted, reverse_sorted, shuffle for 'order'"
expect_in "$T/err" "bad.yml:5:5: module_defaults groups ('group/aws') are not supported yet"
expect_in "$T/err" "bad.yml:6:5: unknown module 'nosuchmodule' in module_defaults"
expect_in "$T/err" "bad.yml:7:11: expected a dict of args"
expect_in "$T/err" "bad.yml:10:16: vars_prompt's encrypt 'pbkdf2_sha256' is not supported (sha512_crypt"
expect_in "$T/err" "bad.yml:11:7: unsupported key 'bogus' in a vars_prompt entry"
expect_in "$T/err" "bad.yml:12:7: a vars_prompt entry needs a 'name'"
expect_in "$T/err" "bad.yml:21:7: role keyword 'ignore_unreachable' is not supported yet"
expect_in "$T/err" "bad.yml:17:16: expected an integer for 'timeout', got 'soon'"
expect_in "$T/err" "bad.yml:18:25: expected a bool for 'any_errors_fatal', got 'maybe'"
expect_in "$T/err" "bad.yml:16:16: unsupported parameter 'bogus_arg' for module 'file'"

# the good forms; module_defaults may give a module its required args
cat >"$T/good.yml" <<'YML'
- hosts: all
  gather_facts: false
  order: reverse_sorted
  force_handlers: true
  ignore_errors: "{{ false }}"
  ignore_unreachable: true
  module_defaults:
    ansible.builtin.file: {path: /tmp/x}
  vars_prompt:
    name: p
    private: false
  tasks:
    - file: {state: file}
      timeout: "{{ 3 }}"
      any_errors_fatal: "{{ true }}"
      ignore_unreachable: false
    - block:
        - command: "true"
      module_defaults:
        - command: {chdir: /}
      timeout: 5
YML
run_tend 0 validate "$T/good.yml"

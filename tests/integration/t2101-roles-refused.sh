#!/bin/sh
# What tend does not do with roles is refused by name at validate time,
# with file:line:col, all problems at once, before any host is touched: a
# role not found (the places searched named), role keywords with no
# effect yet, a templated role name, argument_specs, unknown meta keys,
# import_role loop, apply keywords tend cannot honour there (notify; become on a
# role with handlers), options import_role does not take, a missing tasks_from file, a dependency loop.
. "$(dirname "$0")/../lib/lib-test.sh"
cd "$T"
mkdir -p roles/ok/tasks roles/hh/handlers roles/spec/meta roles/badmeta/meta roles/loop/meta
printf -- '- debug: msg=hi\n' >roles/ok/tasks/main.yml
printf -- '- {name: h, debug: msg=hi}\n' >roles/hh/handlers/main.yml
printf 'argument_specs: {}\n' >roles/spec/meta/main.yml
printf 'dependencies: [ok]\nbogus: 1\n' >roles/badmeta/meta/main.yml
printf 'dependencies: [loop]\nallow_duplicates: true\n' >roles/loop/meta/main.yml
cat >bad.yml <<'YML'
- hosts: all
  gather_facts: false
  roles:
    - missing
    - { role: ok, delegate_to: x }
    - "{{ r }}"
    - spec
    - badmeta
    - { vars: {} }
    - loop
  tasks:
    - include_role: { name: ok, apply: { notify: x } }
    - import_role: { name: ok }
      loop: [1]
    - import_role: { name: ok, apply: { tags: x } }
    - include_role: { name: ok, tasks_from: nope }
    - include_role: { name: hh, apply: { become: true } }
    - copy: { dest: "{{ root }}/ran", content: x }
YML
run_tend 1 validate bad.yml
E=$T/err
expect_in "$E" "bad.yml:4:7: the role 'missing' was not found in ./roles:"
expect_in "$E" "bad.yml:5:19: role keyword 'delegate_to' is not supported yet"
expect_in "$E" "bad.yml:6:7: a role name with a template is not supported yet"
expect_in "$E" "roles/spec/meta/main.yml:1:1: role 'argument_specs' are not supported yet"
expect_in "$E" "roles/badmeta/meta/main.yml:2:1: unknown role meta key 'bogus'"
expect_in "$E" "bad.yml:9:7: a role in 'roles' needs 'role'"
expect_in "$E" "roles nested more than 32 deep (a dependency loop?)"
expect_in "$E" "bad.yml:12:42: 'apply' keyword 'notify' of include_role is not supported yet"
expect_in "$E" "bad.yml:13:7: import_role cannot loop (Ansible: use include_role)"
expect_in "$E" "bad.yml:15:32: invalid option for import_role: 'apply'"
expect_in "$E" "bad.yml:16:7: role 'ok' has no tasks file 'nope'"
expect_in "$E" "bad.yml:17:40: 'apply' of include_role with a keyword other than when, tags and vars is not supported yet for a role with handlers"
# and apply refuses it the same way, with nothing run
run_tend 1 apply bad.yml -e root="$T"
expect_in "$T/err" "role keyword 'delegate_to' is not supported yet"
[ ! -e "$T/ran" ] || fail "a task ran"

# the roles path names what it searched; ANSIBLE_ROLES_PATH comes first
mkdir -p lib/far/tasks
printf -- '- copy: { dest: "{{ root }}/far-out", content: "{{ role_path }}" }\n' >lib/far/tasks/main.yml
printf -- '- hosts: all\n  gather_facts: false\n  roles: [far]\n' >far.yml
ANSIBLE_ROLES_PATH="$T/none:$T/lib" run_tend 0 apply far.yml -e root="$T"
expect_content "$T/far-out" "$T/lib/far"
ANSIBLE_ROLES_PATH="$T/none" run_tend 1 validate far.yml
expect_in "$T/err" "the role 'far' was not found in ./roles:$T/none:."

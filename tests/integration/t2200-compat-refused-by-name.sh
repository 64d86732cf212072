#!/bin/sh
# What tend does not do is refused by name at validate, with file:line:col,
# never accepted and ignored: unknown keys beside import_playbook, keys of a
# dict-form include other than file, play-level diff, a task's diff: true,
# collections other than the built-in ones, and a binary file given as
# the inventory.
. "$(dirname "$0")/../lib/lib-test.sh"
cd "$T"
cat >other.yml <<'YML'
- hosts: localhost
  gather_facts: false
  tasks:
    - debug: {msg: hi}
YML
echo '- debug: {msg: t}' >t.yml

cat >imp.yml <<'YML'
- name: an import
  import_playbook: other.yml
  vars: {x: 1}
  when: false
  tags: [a]
  hosts: all
YML
run_tend 1 validate imp.yml
expect_in err "imp.yml:6:3: unknown key 'hosts' beside import_playbook"
expect_not_in err "'vars' beside"
expect_not_in err "'when' beside"
expect_not_in err "'tags' beside"
expect_not_in err "'name' beside"

cat >inc.yml <<'YML'
- hosts: localhost
  gather_facts: false
  tasks:
    - import_tasks: {file: t.yml, apply: {tags: [x]}}
    - include_tasks:
        file: t.yml
        bogus: 1
YML
run_tend 1 validate inc.yml
expect_in err "inc.yml:4:35: invalid option for import_tasks: 'apply' (it belongs to include_tasks)"
expect_in err "inc.yml:7:9: unknown key 'bogus' of include_tasks"

cat >diff.yml <<'YML'
- hosts: localhost
  gather_facts: false
  diff: true
  collections: [ansible.builtin, community.general]
  tasks:
    - copy: {dest: /nonexistent/x, content: x}
      diff: true
    - copy: {dest: /nonexistent/y, content: y}
      diff: false
YML
run_tend 1 validate diff.yml
expect_in err "diff.yml:3:3: play keyword 'diff' is not supported yet"
expect_in err "diff.yml:4:34: collection 'community.general' is not supported yet"
expect_not_in err "'ansible.builtin' is not"
expect_in err "diff.yml:7:13: 'diff: true' is not supported yet"
expect_not_in err "diff.yml:9"

# the first bytes of an ELF binary, NULs and all
printf '\177ELF\002\001\001\000\000\000\000\000web1\n[g]\n' >binv
run_tend 1 validate -i binv other.yml
expect_in err "binv:1:1: not an inventory: the file holds binary data (a NUL byte)"
run_tend 1 plan -i binv other.yml
expect_in err "binary data"

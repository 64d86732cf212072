#!/bin/sh
# ansible-playbook's --start-at-task NAME: the tasks before the first one
# named NAME (a glob too; "ROLE : name" for a role's) are skipped, in
# earlier plays too, and everything after it runs, in a block, an import
# or a role as at the top; compared with ansible-playbook by the files
# each run leaves. A name that matches no task is an error, and a saved
# plan (--out) refuses it.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-compare.sh"
cd "$T"
mkdir -p roles/r1/tasks
cat >roles/r1/tasks/main.yml <<'YML'
- name: role first
  copy: {content: "x\n", dest: "{{ base }}/{{ inventory_hostname }}-role-first"}
- name: role second
  copy: {content: "x\n", dest: "{{ base }}/{{ inventory_hostname }}-role-second"}
YML
cat >imp.yml <<'YML'
- name: imported
  copy: {content: "x\n", dest: "{{ base }}/{{ inventory_hostname }}-imported"}
YML
cat >p.yml <<'YML'
- name: one
  hosts: all
  gather_facts: false
  tasks:
    - name: early
      copy: {content: "x\n", dest: "{{ base }}/{{ inventory_hostname }}-early"}
      notify: h
  handlers:
    - name: h
      copy: {content: "x\n", dest: "{{ base }}/{{ inventory_hostname }}-handler1"}
- name: two
  hosts: all
  gather_facts: false
  roles: [r1]
  tasks:
    - block:
        - name: in block first
          copy: {content: "x\n", dest: "{{ base }}/{{ inventory_hostname }}-block-first"}
        - name: in block second
          copy: {content: "x\n", dest: "{{ base }}/{{ inventory_hostname }}-block-second"}
          notify: h2
    - import_tasks: imp.yml
    - name: last
      copy: {content: "x\n", dest: "{{ base }}/{{ inventory_hostname }}-last"}
  handlers:
    - name: h2
      copy: {content: "x\n", dest: "{{ base }}/{{ inventory_hostname }}-handler2"}
- name: three
  hosts: h2
  gather_facts: false
  tasks:
    - name: later play
      copy: {content: "x\n", dest: "{{ base }}/{{ inventory_hostname }}-later"}
YML
compare_run block p.yml h1,h2, -c local --start-at-task "in block second"
[ -e "$T/block-tend/h1-block-second" ] && [ -e "$T/block-tend/h2-later" ] &&
	[ -e "$T/block-tend/h1-handler2" ] && [ ! -e "$T/block-tend/h1-early" ] &&
	[ ! -e "$T/block-tend/h1-role-first" ] && [ ! -e "$T/block-tend/h1-block-first" ] ||
	{ ls "$T/block-tend"; fail "--start-at-task 'in block second'"; }
# the rest on h2 alone (every play has it): where the run starts does not
# depend on the host, and Ansible's side costs a CPU-second a task a host
compare_run glob p.yml h2, -c local --start-at-task "r1 : role sec*"
[ -e "$T/glob-tend/h2-role-second" ] && [ ! -e "$T/glob-tend/h2-role-first" ] ||
	{ ls "$T/glob-tend"; fail "--start-at-task 'r1 : role sec*'"; }
compare_run imported p.yml h2, -c local --start-at-task imported
[ -e "$T/imported-tend/h2-imported" ] && [ ! -e "$T/imported-tend/h2-block-second" ] ||
	{ ls "$T/imported-tend"; fail "--start-at-task imported"; }
compare_run first p.yml h2, -c local --start-at-task early
[ -e "$T/first-tend/h2-handler1" ] || fail "the handler of the first task"

run_tend 1 plan p.yml -i h1, -c local --start-at-task "no such task"
expect_in "$T/err" "--start-at-task 'no such task': no task of the playbooks has that name"
run_tend 1 plan p.yml -i h1, -c local --start-at-task last --out "$T/p.json"
expect_in "$T/err" "--start-at-task: a saved plan covers whole playbooks"

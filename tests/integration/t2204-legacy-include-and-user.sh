#!/bin/sh
# Two old forms Ansible 2.14 still runs: a play's `user:` (the old name of
# remote_user: the user the hosts are reached as) and the task-level
# `include` (compared with ansible-playbook in the compat case
# compat-legacy-include). What tend does not take of them is refused by
# name; what Ansible 2.14 itself refuses (a play-level include) stays an
# error. Handlers may be imported too.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-sshd.sh"
cd "$T"
sshd_start 1 "$T/sshd"
me=$(id -un)
cat >user.yml <<'YML'
- hosts: all
  user: "{{ login }}"
  gather_facts: false
  tasks:
    - command: id -un
      register: who
    - copy: {dest: "{{ out }}", content: "{{ who.stdout }}"}
YML
# the SSH host is reached as the play's `user`: a user that does not
# exist there fails to connect, the right one writes its name
run_tend 3 apply -i "$T/sshd/inventory" user.yml -e login=nosuchuser -e out="$T/who"
expect_in out "unreachable=1"
run_tend 0 apply -i "$T/sshd/inventory" user.yml -e login="$me" -e out="$T/who"
expect_content "$T/who" "$me"
cat >both.yml <<'YML'
- hosts: all
  user: a
  remote_user: b
  tasks: []
YML
run_tend 1 validate both.yml
expect_in err "both.yml:2:3: a play takes 'user' (the old name of 'remote_user') or 'remote_user', not both"
mkdir -p tasks
echo '- debug: {msg: hi}' >tasks/a.yml
cat >params.yml <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - include: tasks/a.yml
    - include: "tasks/{{ 'a' }}.yml"
    - include: tasks/a.yml who=me
YML
run_tend 1 validate params.yml
expect_in err "params.yml:6:16: 'include' with variables after the file name is not supported yet (use include_tasks with vars:)"
expect_not_in err "params.yml:4"
expect_not_in err "params.yml:5"
cat >play.yml <<'YML'
- include: params.yml
YML
run_tend 1 validate play.yml
expect_in err "play.yml:1:3: unknown play keyword 'include'"
# handlers brought by import_tasks (compared with ansible-playbook in the
# compat case compat-handler-imports): when, tags and vars beside the import
# reach every imported handler (compat case imp-apply-tags); other keys
# would have to as well, refused by name until they do
echo '- {name: h, debug: {msg: hi}}' >tasks/h.yml
cat >hi.yml <<'YML'
- hosts: all
  gather_facts: false
  tasks: []
  handlers:
    - import_tasks: tasks/h.yml
      when: false
      become: true
YML
run_tend 1 validate hi.yml
expect_in err "hi.yml:7:7: 'become' on an import among handlers is not supported yet"
expect_not_in err "'when' on an import"

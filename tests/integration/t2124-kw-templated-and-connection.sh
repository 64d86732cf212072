#!/bin/sh
# Play and task keywords as ansible-playbook 2.14 takes them: vars given
# as a list of dicts (merged in order); become and strategy given as
# templates, rendered; any_errors_fatal as a template, which Ansible
# takes as true whatever it renders to; `connection:` on a task or a block
# (a variable ansible_connection of the host still wins, as in Ansible:
# an unreachable host stays unreachable; the play's own connection:
# keyword does not).
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-compare.sh"

cat >"$T/site.yml" <<'YML'
- hosts: all
  gather_facts: false
  connection: ssh
  strategy: "{{ chosen_strategy }}"
  vars:
    - chosen_strategy: linear
      a: first
      b: first
    - b: second
      sudo_on: "{{ 1 == 1 }}"
  tasks:
    - name: vars as a list, merged in order
      shell: echo "{{ a }} {{ b }}" > {{ base }}/vars-{{ inventory_hostname }}
      connection: local
    - block:
        - name: templated become
          shell: id -un > {{ base }}/become-{{ inventory_hostname }}
          become: "{{ sudo_on }}"
        - name: templated become, false
          shell: echo "not become" > {{ base }}/nobecome-{{ inventory_hostname }}
          become: "{{ not sudo_on }}"
      connection: local
YML
# ok1 has no connection var (the task's wins over the play's ssh);
# far has one (it wins: unreachable)
cat >"$T/inv" <<'INI'
ok1 ansible_host=192.0.2.1 ansible_port=1
far ansible_connection=ssh ansible_host=192.0.2.1 ansible_port=1
INI
COMPARE_RC=3 compare_run conn "$T/site.yml" "$T/inv"
expect_in "$T/out" "unreachable: [far]"
expect_content "$T/conn-tend/vars-ok1" "first second
"
expect_content "$T/conn-tend/become-ok1" "$(id -un)
"
[ ! -e "$T/conn-tend/vars-far" ] || fail "far ran with the task's connection"

# any_errors_fatal as a template: one failed host ends the play for all
cat >"$T/fatal.yml" <<'YML'
- hosts: all
  gather_facts: false
  any_errors_fatal: "{{ stop_all }}"
  tasks:
    - command: /bin/sh -c 'test {{ inventory_hostname }} != c1'
    - shell: echo "{{ inventory_hostname }}" > {{ base }}/went-on-{{ inventory_hostname }}
YML
printf '[all:vars]\nansible_connection=local\n[all]\nc1\nc2\n' >"$T/local.ini"
COMPARE_RC=3 compare_run fatal "$T/fatal.yml" "$T/local.ini" -e stop_all=true
[ ! -e "$T/fatal-tend/went-on-c2" ] || fail "any_errors_fatal: c2 went on"
# Ansible tests the unrendered template: any template counts as true
COMPARE_RC=3 compare_run notfatal "$T/fatal.yml" "$T/local.ini" -e stop_all=false
[ ! -e "$T/notfatal-tend/went-on-c2" ] || fail "any_errors_fatal template: c2 went on"
# strategy as a template: free lets c2 go on past c1's failure at its pace
sed -e 's/any_errors_fatal: .*/strategy: "{{ strat }}"/' "$T/fatal.yml" >"$T/free.yml"
COMPARE_RC=3 compare_run free "$T/free.yml" "$T/local.ini" -e strat=free
expect_content "$T/free-tend/went-on-c2" "c2
"

#!/bin/sh
# environment: on the play, a block and a task (a dict, a template giving
# one, a list of them), merged in that order, reaches command, shell and
# copy's scripts, locally and over SSH; values with shell metacharacters
# stay data (they go through sh_quote). A name a shell cannot export is
# refused when the playbook loads. The comparison with ansible-playbook
# (locally and over SSH, the same environments, become too) is
# tests/compat/cases/kw-environment's; here tend's own values are checked.
. "$(dirname "$0")/../lib/lib-test.sh"

cat >"$T/site.yml" <<'YML'
- hosts: all
  gather_facts: false
  environment:
    KW_PLAY: "play's value"
    KW_SHARED: play
  vars:
    dir: "{{ base }}/{{ inventory_hostname }}"
    proxy_env:
      KW_PROXY: "http://proxy:3128/$HOME;`id` $(id) \\ '\""
      KW_NUM: 42
      KW_BOOL: true
  tasks:
    - file: { path: "{{ dir }}", state: directory, mode: "0755" }
    - name: play and task environment merge, the task's wins
      command: sh -c 'printf "%s|%s|%s" "$KW_PLAY" "$KW_SHARED" "$KW_TASK"'
      environment:
        KW_TASK: "t {{ inventory_hostname }}"
        KW_SHARED: task
      register: r1
    - copy: { dest: "{{ dir }}/r1", content: "{{ r1.stdout }}\n" }
    - name: a template giving the dict; metacharacters stay data
      shell: printf '%s|%s|%s|%s' "$KW_PROXY" "$KW_NUM" "$KW_BOOL" "$KW_SHARED" > {{ dir }}/proxy
      environment: "{{ proxy_env }}"
    - block:
        - shell: echo "$KW_BLOCK $KW_SHARED $KW_LIST" > {{ dir }}/block
          environment:
            - KW_LIST: one
            - KW_LIST: two
        - name: become keeps it
          shell: echo "$KW_BLOCK $(id -un)" > {{ dir }}/become
          become: true
      environment:
        KW_BLOCK: "1"
        KW_SHARED: block
    - name: after the block, only the play's
      shell: echo "[$KW_TASK][$KW_BLOCK][$KW_SHARED]" > {{ dir }}/after
YML
printf 'c1 ansible_connection=local\nc2 ansible_connection=local\n' >"$T/local.ini"
# run NAME INVENTORY: tend applies site.yml, writing under $T/NAME-tend
run() {
	mkdir "$T/$1-tend"
	run_tend 0 apply "$T/site.yml" -i "$2" -e base="$T/$1-tend"
}
run local "$T/local.ini"
expect_content "$T/local-tend/c2/r1" "play's value|task|t c2
"
expect_content "$T/local-tend/c1/block" "1 block two
"
expect_content "$T/local-tend/c1/after" "[][][play]
"
expect_content "$T/local-tend/c1/become" "1 root
"
# the quoting: the value arrives byte for byte
expect_content "$T/local-tend/c1/proxy" "http://proxy:3128/\$HOME;\`id\` \$(id) \\ '\"|42|True|play"

. "$TOP/tests/lib/lib-sshd.sh"
sshd_start 2 "$T/sshd"
run ssh "$T/sshd/inventory"
expect_content "$T/ssh-tend/h1/block" "1 block two
"

# a name a shell cannot export: refused at validate, by file:line:col
cat >"$T/bad.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - command: "true"
      environment:
        "BAD NAME": x
YML
run_tend 1 validate "$T/bad.yml"
expect_in "$T/err" "bad.yml:6:9: 'BAD NAME' is not an environment variable name"

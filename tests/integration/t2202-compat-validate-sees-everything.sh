#!/bin/sh
# tend validate parses every template of every task and play: a filter
# or test that does not exist, or a template syntax error, is an error
# with file:line:col before anything runs (even in a task that would be
# skipped), "did you mean" offers only names of the same kind, and a
# name Ansible knows (a module tend lacks, a collection's module, a task
# keyword) is named for what it is.
. "$(dirname "$0")/../lib/lib-test.sh"
cd "$T"
cat >site.yml <<'YML'
- hosts: localhost
  gather_facts: false
  vars:
    bad: "{{ 1 | nosuchfilter }}"
  tasks:
    - debug: {msg: "{{ x | to_jsn }}"}
      when: false
    - debug: {msg: "{% if x is nosuchtest %}a{% endif %}"}
    - debug: {msg: "{% for i in y | bogusfilt %}{{ i }}{% endfor %}"}
    - debug: {msg: ok}
      when: x is definedd
    - debug: {var: "x | lower | nofilt"}
    - assert: {that: ["x is sting"]}
    - name: "{{ 'a' | frobnicate }}"
      command: "echo {{ x"
    - debug: {msg: "{{ x }}"}
      loop: "{{ [1] | nosuch2 }}"
    - debug: {msg: !unsafe "{{ x | not_checked }}"}
    - dnf: {name: x}
    - yum: {name: x}
    - ansible.builtin.zypper: {name: x}
    - community.general.ufw: {rule: allow}
    - debug: {msg: x}
      async: 5
    - copyy: {dest: x}
    - debug: {msg: x}
      notfy: h
YML
run_tend 1 validate site.yml
expect_in err "site.yml:4:10: template error in '{{ 1 | nosuchfilter }}': line 1, column 8: no filter named 'nosuchfilter'"
expect_in err "site.yml:6:20: template error in '{{ x | to_jsn }}': line 1, column 8: no filter named 'to_jsn' (did you mean 'to_json'?)"
expect_in err "site.yml:8:20: template error in '{% if x is nosuchtest %}a{% endif %}': line 1, column 12: no test named 'nosuchtest'"
expect_in err "site.yml:9:20: template error in '{% for i in y | bogusfilt %}{{ i }}{% endfor %}': line 1, column 17: no filter named 'bogusfilt'"
expect_in err "site.yml:11:13: template error in 'x is definedd': line 1, column 6: no test named 'definedd' (did you mean 'defined'?)"
expect_in err "site.yml:12:20: template error in 'x | lower | nofilt': line 1, column 13: no filter named 'nofilt'"
expect_in err "site.yml:13:23: template error in 'x is sting': line 1, column 6: no test named 'sting' (did you mean 'string'?)"
expect_in err "site.yml:14:13: template error in '{{ 'a' | frobnicate }}'"
expect_in err "site.yml:15:16: template error in 'echo {{ x'"
expect_in err "no filter named 'nosuch2'"
expect_not_in err "not_checked"
expect_in err "site.yml:19:7: 'dnf' is an Ansible module tend does not support yet"
expect_not_in err "'diff'"
expect_in err "site.yml:20:7: 'yum' is an Ansible module tend does not support yet"
expect_in err "site.yml:21:7: 'ansible.builtin.zypper' is an Ansible module tend does not support yet"
expect_in err "site.yml:22:7: 'community.general.ufw' is a module of the collection 'community.general', which tend does not support yet"
expect_in err "site.yml:24:7: async is not supported for this task ('debug': Ansible's action for it does not support async)"
expect_not_in err "did you mean 'assert'"
expect_in err "site.yml:25:7: unknown task keyword or module 'copyy' (did you mean 'copy'?)"
expect_in err "site.yml:27:7: unknown task keyword or module 'notfy' (did you mean 'notify'?)"
# nothing ran: plan refuses the same way
run_tend 1 plan site.yml
expect_in err "no filter named 'nosuchfilter'"

# the action: form names Ansible's modules and collections as the key form does
cat >"$T/act.yml" <<'YML'
- hosts: localhost
  tasks:
    - action: yum name=x
    - local_action: {module: community.general.ufw, rule: allow}
    - action: nosuchmod a=b
YML
run_tend 1 validate "$T/act.yml"
expect_in "$T/err" "act.yml:3:15: 'yum' is an Ansible module tend does not support yet"
expect_in "$T/err" "act.yml:4:21: 'community.general.ufw' is a module of the collection 'community.general', which tend does not support yet"
expect_in "$T/err" "act.yml:5:15: unknown module 'nosuchmod'"

# a short name Ansible routes to a collection's module is named with it
# (not "did you mean" a keyword): npm is community.general.npm, and a
# renamed one its collection's own name
cat >"$T/routed.yml" <<'YML'
- hosts: localhost
  tasks:
    - npm: {name: x}
    - action: mysql_user name=x
    - cs_instance_facts: {}
YML
run_tend 1 validate "$T/routed.yml"
expect_in "$T/err" "routed.yml:3:7: 'npm' is Ansible's short name for community.general.npm, a module of the collection 'community.general', which tend does not support yet"
expect_in "$T/err" "routed.yml:4:15: 'mysql_user' is Ansible's short name for community.mysql.mysql_user, a module of the collection 'community.mysql'"
expect_in "$T/err" "'cs_instance_facts' is Ansible's short name for ngine_io.cloudstack.cs_instance_info"
expect_not_in "$T/err" "did you mean"

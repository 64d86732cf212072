#!/bin/sh
# import_playbook, apply and handler imports (compared with ansible-playbook
# in the compat cases imp-playbook, imp-playbook-tags, imp-apply and
# imp-apply-tags): what tend cannot honour beside them is refused by name
# at validate, with file:line:col; and fact gathering, which the compat
# cases leave out, takes an import's when (skipped on a host where it is
# false) and the play's tags (Ansible tags it so, or 'always').
. "$(dirname "$0")/../lib/lib-test.sh"
cd "$T"
mkdir -p tasks
echo '- debug: {msg: t}' >tasks/t.yml
cat >sub.yml <<'YML'
- hosts: all
  gather_facts: false
  vars: {tags: [a, b]}
  tasks:
    - meta: flush_handlers
    - include_role: {name: "{{ r }}"}
YML
cat >bad.yml <<'YML'
- import_playbook: sub.yml
  vars: [x]
- import_playbook: sub.yml
  when: x is defined
- hosts: all
  gather_facts: false
  tasks:
    - include_tasks:
        file: tasks/t.yml
        apply: {rescue: [], bogus: 1, when: x, run_once: true}
    - include_tasks:
        file: tasks/t.yml
        apply: [tags]
    - include:
        file: tasks/t.yml
        apply: {tags: [x]}
YML
run_tend 1 validate bad.yml
expect_in err "bad.yml:2:9: vars for import_playbook must be a dict, got a list"
expect_in err "sub.yml:3:16: a variable 'tags' of an imported play must be a string (Ansible splits it)"
expect_in err "sub.yml:5:7: flush_handlers in a play imported with 'when' is not supported yet"
expect_in err "sub.yml:6:7: include_role with a templated name in a play imported with 'when' is not supported yet"
expect_in err "bad.yml:10:17: 'apply' keyword 'rescue' of include_tasks is not supported yet"
expect_in err "bad.yml:10:29: 'bogus' is not a keyword 'apply' of include_tasks takes (a block's keywords)"
expect_in err "bad.yml:10:48: 'apply' keyword 'run_once' of include_tasks is not supported yet"
expect_in err "bad.yml:13:16: expected a dict for 'apply' of include_tasks, got a list"
expect_in err "bad.yml:16:9: invalid option for include: 'apply' (it belongs to include_tasks)"
expect_not_in err "keyword 'when'"

# gathering: an import's when is tested on each host before it
cat >gsub.yml <<'YML'
- hosts: all
  gather_facts: true
  tasks:
    - debug: {msg: "{{ ansible_facts.keys() | length > 0 }}"}
YML
cat >gather.yml <<'YML'
- import_playbook: gsub.yml
  when: go
YML
run_tend 0 apply gather.yml -e '{"go": false}'
expect_in out "TASK [Gathering Facts]"
expect_in out "skipped: [localhost]"
expect_in out "ok=0    changed=0    unreachable=0    failed=0    skipped=2"
run_tend 0 apply gather.yml -e '{"go": true}'
expect_in out "ok=2    changed=0    unreachable=0    failed=0    skipped=0"
# ... and the play's tags: an import tagged x gathers for --tags x only
cat >tagged.yml <<'YML'
- import_playbook: gsub.yml
  tags: [x]
- hosts: all
  gather_facts: true
  tasks:
    - debug: {msg: untagged}
      tags: [y]
YML
# (what ansible-playbook 2.14 does: --tags y gathers for the untagged play
# only, --tags x for both)
run_tend 0 apply tagged.yml --tags y
[ "$(grep -c 'TASK \[Gathering Facts\]' "$T/out")" = 1 ] ||
	fail "--tags y: expected one fact gathering"
expect_in out "ok=2    changed=0"
run_tend 0 apply tagged.yml --tags x
[ "$(grep -c 'TASK \[Gathering Facts\]' "$T/out")" = 2 ] ||
	fail "--tags x: expected two fact gatherings"
expect_in out "ok=3    changed=0"

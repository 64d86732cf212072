#!/bin/sh
# A task's name is shown rendered, as ansible-playbook shows it (the
# compat case plays-task-names compares the rest with Ansible); a secret
# in it (--secrets) is masked in the text output, the JSON and the run
# records, never shown.
. "$(dirname "$0")/../lib/lib-test.sh"
cat >"$T/pb.yml" <<'YML'
- hosts: localhost
  gather_facts: false
  vars:
    pkg: "-x 50%"
  tasks:
    - name: "deploy {{ pkg }} with {{ pw }} now"
      debug:
        msg: x
YML
printf 'pw: hunter2-xyz\n' >"$T/sec.yml"
run_tend 0 apply "$T/pb.yml" --secrets "$T/sec.yml"
expect_in "$T/out" "TASK [deploy -x 50% with ******** now]"
expect_not_in "$T/out" "hunter2"
run_tend 0 apply "$T/pb.yml" --secrets "$T/sec.yml" --format json
expect_in "$T/out" '"task": "deploy -x 50% with ******** now"'
expect_not_in "$T/out" "hunter2"
run_tend 0 history --format json
run_tend 0 show 2 --format json
expect_in "$T/out" "deploy -x 50% with ******** now"
expect_not_in "$T/out" "hunter2"
! grep -rq hunter2 "$XDG_STATE_HOME" || fail "the secret is in the state DB"

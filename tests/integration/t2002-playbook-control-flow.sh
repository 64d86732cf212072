#!/bin/sh
# when, loops, register, changed_when, failed_when, ignore_errors,
# block/rescue/always, handlers (once), tags and set_fact, as Ansible.
. "$(dirname "$0")/../lib/lib-test.sh"
R=$T/root
run_tend 0 apply "$TOP/playbooks/control.yml" -e root="$R"
expect_content "$R/log" "even 2
even 4
flat a
flat b
flat c
registered hello rc=0
failed_when ok True
block start
rescued
always
notify one
notify two
handler ran
tagged
hi 10
"
expect_in "$T/out" "...ignoring"
expect_in "$T/out" "RUNNING HANDLER [the handler]"
[ -e "$R/made-once" ] || fail "creates task did not run"

# tags: only the special task (and `always`-tagged ones) run
rm -f "$R/log"
run_tend 0 apply "$TOP/playbooks/control.yml" -e root="$R" --tags special
expect_content "$R/log" "tagged
"
# never-tagged tasks run when asked for by tag
rm -f "$R/log"
run_tend 0 apply "$TOP/playbooks/control.yml" -e root="$R" --tags debugonly
expect_content "$R/log" "never
"
# skip-tags
rm -f "$R/log"
run_tend 0 apply "$TOP/playbooks/control.yml" -e root="$R" --skip-tags special
expect_not_in "$R/log" "tagged"
expect_in "$R/log" "hi 10"

# in a plan, commands are unknown and registered results stay unknown
rm -f "$R/log"
run_tend 0 plan "$TOP/playbooks/control.yml" -e root="$R" --format json
[ ! -e "$R/log" ] || fail "plan ran a command"
[ "$(json_get "$T/out" "d['summary']['unknown'] > 0")" = True ] || fail "no unknown in plan"
[ "$(json_get "$T/out" "d['summary']['failed']")" = 0 ] || { cat "$T/out"; fail "plan reported failures"; }

# a changed_when that fails to evaluate, ignored by a templated
# ignore_errors: the scope it is evaluated in no longer holds the freed
# registered result (a use-after-free that the ASan run catches)
cat >"$T/cw.yml" <<'YML'
- hosts: localhost
  gather_facts: false
  vars:
    go_on: true
  tasks:
    - command: echo hi
      register: r
      changed_when: r.nope.deeper
      ignore_errors: "{{ go_on }}"
    - copy: { content: "after\n", dest: "{{ out }}" }
YML
run_tend 0 apply "$T/cw.yml" -e out="$T/cw.after"
# as ansible-playbook counts it: the ignored failure is ok and changed too
expect_in "$T/out" "ok=2    changed=2    unreachable=0    failed=0    skipped=0    rescued=0    ignored=1"
expect_in "$T/out" "error in 'changed_when'"
expect_content "$T/cw.after" "after
"

# a chdir that does not exist yet: the plan cannot know, it never claims
# "skipped, since ... does not exist"
cat >"$T/cd.yml" <<'YML'
- hosts: localhost
  gather_facts: false
  tasks:
    - command: "true"
      args: { chdir: "{{ dir }}", removes: somefile }
YML
run_tend 0 plan "$T/cd.yml" -e dir="$T/not-yet"
expect_in "$T/out" "1 unknown"

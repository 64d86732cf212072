#!/bin/sh
# run_once: the batch's first host runs the task, every host of the
# batch gets its registered result and the facts it set (serial batches
# each run it once), only the host that ran it notifies; a failure of it
# fails the whole batch. throttle: no more hosts than that run the task
# at once, in a block too. Both as ansible-playbook runs them; run_once
# where tend cannot run it yet (a block, strategy: free) is refused when
# the playbook loads.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-compare.sh"

cat >"$T/site.yml" <<'YML'
- hosts: all
  gather_facts: false
  serial: 2
  tasks:
    - name: once per batch
      shell: echo "{{ inventory_hostname }}" >> {{ base }}/ran; echo "{{ inventory_hostname }}"
      register: once
      run_once: true
      notify: note
    - set_fact: { chosen: "{{ inventory_hostname }}-fact" }
      run_once: true
    - copy:
        dest: "{{ base }}/{{ inventory_hostname }}"
        content: "{{ once.stdout }} {{ chosen }} {{ once.changed }}\n"
    - name: one host at a time
      shell: mkdir {{ base }}/lock && sleep 0.2 && rmdir {{ base }}/lock
      throttle: 1
    - block:
        - shell: mkdir {{ base }}/lock2 && sleep 0.2 && rmdir {{ base }}/lock2
          throttle: "{{ 1 }}"
  handlers:
    - name: note
      shell: echo "{{ inventory_hostname }}" >> {{ base }}/notified
YML
printf '[all:vars]\nansible_connection=local\n[all]\nc1\nc2\nc3\n' >"$T/local.ini"
compare_run local "$T/site.yml" "$T/local.ini" -f 5
expect_content "$T/local-tend/ran" "c1
c3
"
expect_content "$T/local-tend/c2" "c1 c1-fact True
"
expect_content "$T/local-tend/notified" "c1
c3
"

# throttle admits hosts in the play's order, even the first one slowest
# to reach the task (its throttle renders slowest), and a block runs
# its hosts in that order with one fork
cat >"$T/order.yml" <<'YML'
- hosts: all
  gather_facts: false
  order: reverse_inventory
  tasks:
    - shell: echo {{ inventory_hostname }} >> {{ base }}/order
      throttle: "{{ (lookup('pipe', 'sleep ' ~ delay) ~ '1') | int }}"
    - block:
        - shell: echo {{ inventory_hostname }} >> {{ base }}/order
          throttle: "{{ (lookup('pipe', 'sleep ' ~ delay) ~ '1') | int }}"
        - shell: echo {{ inventory_hostname }} >> {{ base }}/forks
          when: one_fork is defined
YML
printf '[all:vars]\nansible_connection=local\n[all]\nc1 delay=0\nc2 delay=0.2\nc3 delay=0.4\nc4 delay=0.6\n' >"$T/order.ini"
compare_run order "$T/order.yml" "$T/order.ini" -f 4
expect_content "$T/order-tend/order" "c4
c3
c2
c1
c4
c3
c2
c1
"
compare_run order1 "$T/order.yml" "$T/order.ini" -f 1 -e one_fork=1
expect_content "$T/order1-tend/forks" "c4
c3
c2
c1
"

# a failure of a run_once task fails every host of the batch
cat >"$T/fail.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - command: "false"
      run_once: true
    - shell: echo "{{ inventory_hostname }}" >> {{ base }}/after
YML
COMPARE_RC=3 compare_run fail "$T/fail.yml" "$T/local.ini"
[ ! -e "$T/fail-tend/after" ] || fail "hosts went on after the run_once task failed"

# refused where it cannot run once for the batch yet: on include_tasks,
# or a block around one (a block's and a play's pass to their tasks:
# compat case kw-run-once-inherited)
cat >"$T/bad.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - block:
        - include_tasks: "{{ f }}.yml"
      run_once: true
- hosts: all
  strategy: free
  gather_facts: false
  tasks:
    - command: "true"
      run_once: true
YML
run_tend 1 validate "$T/bad.yml"
expect_in "$T/err" "bad.yml:5:11: 'run_once' is not supported yet on include_tasks or include_role (nor on a block or play around one)"
expect_in "$T/err" "bad.yml:11:7: 'run_once' is not supported yet with strategy: free"

# a plan: the other hosts get the run_once task's unknown result, so
# what depends on it is unknown there too, not a failure
cat >"$T/plan.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - command: echo hi
      register: once
      run_once: true
    - debug: { msg: "{{ once.stdout }}" }
YML
run_tend 0 plan "$T/plan.yml" -i "$T/local.ini"
expect_in "$T/out" "0 to change, 0 ok, 4 unknown on 3 hosts"
expect_not_in "$T/out" "failed"

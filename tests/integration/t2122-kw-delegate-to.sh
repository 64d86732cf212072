#!/bin/sh
# delegate_to and local_action as ansible-playbook runs them: the task
# runs on the delegate's connection (its inventory vars: over SSH, the
# delegate host's own HOME shows it) with the host's own variables
# (inventory_hostname, its vars); localhost outside the inventory is the
# local connection; a block's delegate_to reaches its tasks. Then a plan
# probes the delegate (it reads the delegate's file, changes nothing),
# and the maintenance window of the apply covers the delegate host.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-compare.sh"

cat >"$T/site.yml" <<'YML'
- hosts: web
  gather_facts: false
  tasks:
    - name: on the delegate, with the host's vars
      shell: echo "{{ inventory_hostname }} {{ myvar }} $HOME" > {{ base }}/on-delegate-{{ inventory_hostname }}
      delegate_to: "{{ groups.db | first }}"
    - local_action: shell echo "{{ inventory_hostname }} $HOME"
      register: la
    - block:
        - copy:
            dest: "{{ base }}/local-{{ inventory_hostname }}"
            content: "{{ la.stdout }} {{ myvar }}\n"
        - stat: { path: "{{ base }}/local-{{ inventory_hostname }}" }
          register: st
      delegate_to: localhost
    - copy:
        dest: "{{ base }}/stat-{{ inventory_hostname }}"
        content: "{{ st.stat.exists }}\n"
      delegate_to: localhost
YML
# the web hosts cannot be reached at all: every task is delegated
cat >"$T/local.ini" <<'INI'
[web]
w1 ansible_host=192.0.2.1 ansible_port=1 myvar=w1var
w2 ansible_host=192.0.2.2 ansible_port=1 myvar=w2var
[db]
db1 ansible_connection=local myvar=dbvar
INI
compare_run local "$T/site.yml" "$T/local.ini"
expect_in "$T/out" "changed: [w1 -> db1]"
expect_in "$T/out" "changed: [w2 -> localhost]"
expect_content "$T/local-tend/local-w2" "w2 $HOME w2var
"

# over SSH: web is h1, the delegate h2 (its own HOME)
. "$TOP/tests/lib/lib-sshd.sh"
sshd_start 2 "$T/sshd"
sed -e 's/^\[sshd\]$/[all]/' -e 's/^h1 .*/& myvar=h1var/' "$T/sshd/inventory" >"$T/ssh.ini"
printf '[web]\nh1\n[db]\nh2\n' >>"$T/ssh.ini"
compare_run ssh "$T/site.yml" "$T/ssh.ini"
expect_content "$T/ssh-tend/on-delegate-h1" "h1 h1var $T/sshd/h2/home
"

# a plan probes the delegate: the file is read on db1, nothing written
cat >"$T/plan.yml" <<'YML'
- hosts: web
  gather_facts: false
  tasks:
    - copy: { dest: "{{ target }}", content: "x\n" }
      delegate_to: db1
YML
printf 'x\n' >"$T/same"
run_tend 0 plan "$T/plan.yml" -i "$T/local.ini" -e target="$T/same" --detailed-exitcode
run_tend 2 plan "$T/plan.yml" -i "$T/local.ini" -e target="$T/new" --detailed-exitcode
expect_in "$T/out" "change  copy -> db1"
[ ! -e "$T/new" ] || fail "the plan wrote on the delegate"

# the window of the apply covers the delegate host
. "$TOP/tests/lib/lib-alertmanager.sh"
rcv_start "$T/rcv" --secret hook-key
printf hook-key >"$T/hook.key"
on_exit stop_rcv
stop_rcv() { rcv_stop "$T/rcv"; }
mkdir "$T/pb"
cp "$T/plan.yml" "$T/pb/site.yml"
cat >"$T/pb/tend.yml" <<YML
maintenance:
  duration: 10m
  providers:
    - type: webhook
      url: http://127.0.0.1:$(cat "$T/rcv/port")/signed/tend
      secret_file: $T/hook.key
YML
sed 's/^w\([12]\) .*/w\1 ansible_connection=local/' "$T/local.ini" >"$T/win.ini"
run_tend 0 apply "$T/pb/site.yml" -i "$T/win.ini" -e target="$T/win-target"
expect_content "$T/win-target" "x
"
/usr/bin/python3 - "$T/rcv/requests.jsonl" <<'PY'
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
opens = [r['body']['window'] for r in reqs if r['body']['event'] == 'window.open']
assert len(opens) == 1, opens
assert 'db1' in opens[0]['hosts'], opens[0]
PY

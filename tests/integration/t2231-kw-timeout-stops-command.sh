#!/bin/sh
# A task's timeout: past it the task fails with Ansible's message and
# what the module ran is really stopped on the host (its whole process
# group: a child of the shell too), locally and over SSH. A task that
# ends in time is not touched.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-sshd.sh"
mark=$$-tend-t2231
cat >"$T/pb.yml" <<YML
- hosts: all
  gather_facts: false
  tasks:
    - name: slow
      shell: "sh -c 'sleep 2.5; echo late > {{ out }}/late-{{ inventory_hostname }}' $mark & sleep 6; echo late > {{ out }}/late2-{{ inventory_hostname }}"
      timeout: 1
      register: r
      ignore_errors: true
    - copy: {dest: "{{ out }}/msg-{{ inventory_hostname }}", content: "{{ r.msg }}|{{ r.failed }}|{{ r.changed }}"}
    - name: in time
      shell: "sleep 0.2; echo '-x %s' > '{{ out }}/in time-{{ inventory_hostname }}'"
      timeout: 10
YML
mkdir -p "$T/res"
sshd_start 1 "$T/sshd"
printf 'localhost ansible_connection=local\n' >"$T/local.ini"
for inv in "$T/local.ini" "$T/sshd/inventory"; do
	start=$(date +%s)
	run_tend 0 apply -i "$inv" "$T/pb.yml" -e out="$T/res"
	end=$(date +%s)
	[ $((end - start)) -lt 5 ] || fail "$inv: the timed-out task was waited for"
done
expect_content "$T/res/msg-localhost" "The shell action failed to execute in the expected time frame (1) and was terminated|True|False"
expect_content "$T/res/msg-h1" "The shell action failed to execute in the expected time frame (1) and was terminated|True|False"
expect_content "$T/res/in time-localhost" "-x %s
"
expect_content "$T/res/in time-h1" "-x %s
"
sleep 3
for h in localhost h1; do
	[ ! -e "$T/res/late-$h" ] || fail "$h: the command's child ran on past the timeout"
	[ ! -e "$T/res/late2-$h" ] || fail "$h: the command ran on past the timeout"
done
! pgrep -f "$mark" >/dev/null || fail "a process of the timed-out task is still running"

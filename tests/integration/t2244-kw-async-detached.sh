#!/bin/sh
# async with poll: 0: the command goes on after tend has ended and its
# connection closed (detached from the session), locally and over SSH;
# its state is in ~/.ansible_async/JID as Ansible keeps it, and a later
# run's async_status reads its result (rc, hostile output) and cleans up.
# Past its async time the job is stopped, its file saying so as
# async_wrapper's does. (poll > 0 past its time: compat case kw2-async.)
# The job waits for a file the test makes once tend has ended, so no
# check depends on how fast a loaded machine is.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-sshd.sh"
cat >"$T/start.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - shell: "until [ -e '{{ out }}/go' ]; do sleep 0.1; done; printf -- '-n %%s %s\\n' '{{ brace }}'; echo done > '{{ out }}/done-{{ inventory_hostname }}'; exit 4"
      vars:
        brace: "{{ '{{' }}"
      async: 20
      poll: 0
      register: job
    - shell: "sleep 5; echo late > '{{ out }}/late-{{ inventory_hostname }}'"
      async: 1
      poll: 0
      register: short
    - copy:
        dest: "{{ out }}/jid-{{ inventory_hostname }}"
        content: "{{ job.ansible_job_id }} {{ short.ansible_job_id }}"
      delegate_to: localhost
YML
cat >"$T/status.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - async_status: {jid: "{{ jid.split()[0] }}"}
      register: r
      ignore_errors: true
    - async_status: {jid: "{{ jid.split()[1] }}"}
      register: s
      ignore_errors: true
    - async_status: {jid: "{{ jid.split()[0] }}", mode: cleanup}
    - copy:
        dest: "{{ out }}/r-{{ inventory_hostname }}"
        content: "{{ r.finished }}|{{ r.rc }}|{{ r.stdout }}|{{ r.failed }}|{{ s.finished }}|{{ s.msg }}|{{ s.failed }}"
      delegate_to: localhost
YML
mkdir -p "$T/res"
sshd_start 1 "$T/sshd"
printf 'localhost ansible_connection=local\n' >"$T/local.ini"
start=$(date +%s)
for h in localhost h1; do
	inv=$T/local.ini
	[ $h = h1 ] && inv=$T/sshd/inventory
	# tend ends while the job waits for go
	run_tend 0 apply -i "$inv" "$T/start.yml" -e out="$T/res"
done
: >"$T/res/go"
for h in localhost h1; do
	i=0
	until [ -e "$T/res/done-$h" ] || [ $i -ge 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	expect_content "$T/res/done-$h" "done
"
done
# the short job would write "late" 5 s after it started, were it not
# stopped at its 1 s
while [ $(($(date +%s) - start)) -lt 7 ]; do sleep 0.5; done
home=$T/sshd/h1/home
jid=$(cut -d' ' -f1 "$T/res/jid-h1")
[ -f "$home/.ansible_async/$jid" ] || fail "no job file in ~/.ansible_async over SSH"
expect_in "$home/.ansible_async/$jid" '"rc": 4'
run_tend 0 apply -i "$T/sshd/inventory" "$T/status.yml" -e out="$T/res" \
	-e "jid='$(cat "$T/res/jid-h1")'"
expect_content "$T/res/r-h1" "1|4|-n %s {{|True|1|Timeout exceeded|True"
[ ! -e "$home/.ansible_async/$jid" ] || fail "cleanup left the job file"
[ ! -e "$home/.ansible_async/$jid.out" ] || fail "cleanup left the job's output"
[ ! -e "$T/res/late-h1" ] || fail "the job ran on past its async time"
run_tend 0 apply -i "$T/local.ini" "$T/status.yml" -e out="$T/res" \
	-e "jid='$(cat "$T/res/jid-localhost")'"
expect_content "$T/res/r-localhost" "1|4|-n %s {{|True|1|Timeout exceeded|True"

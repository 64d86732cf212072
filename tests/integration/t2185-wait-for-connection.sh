#!/bin/sh
# wait_for_connection: a host whose sshd goes away and comes back on the
# same port (a reboot, as the controller sees one) is waited for, and the
# tasks after it run on a new connection; one that stays away fails the
# task after `timeout` with Ansible's message (the host failed, not
# unreachable). Both as ansible-playbook runs them. A plan skips it; its
# arguments are checked at validate.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-sshd.sh"
. "$TOP/tests/lib/lib-compare.sh"
sshd_start 1 "$T/sshd"
INV=$T/sshd/inventory
H=$T/sshd/h1

# In the background: a second after DIR/go appears (the task that made it
# is done), h1's sshd and its sessions die; it starts again (same port,
# same key) 3 s later.
bounce() {
	(
		n=0
		while [ ! -e "$1/go" ] && [ "$n" -lt 600 ]; do
			sleep 0.05
			n=$((n + 1))
		done
		sleep 1
		sshd_signal "$T/sshd" h1 KILL
		sleep 3
		"$SSHD_BIN" -f "$H/sshd_config" -E "$H/log"
	) >/dev/null 2>&1 &
}

cat >"$T/back.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - shell: echo before > {{ base }}/before && touch {{ base }}/go
    - pause: {seconds: 3}
    - wait_for_connection: {sleep: 1, timeout: 40}
      register: w
    - shell: echo after > {{ base }}/after
    - copy:
        dest: "{{ base }}/result"
        content: "{{ w.changed }} {{ w.elapsed is number }} {{ w.elapsed >= 1 }} {{ w.failed | default('none') }}\n"
YML
COMPARE_EACH=bounce compare_run back "$T/back.yml" "$INV"
expect_content "$T/back-tend/after" "after
"
expect_content "$T/back-tend/result" "False True True False
"
expect_in "$T/out" "ok: [h1]"

# down for good: the task fails after its timeout, the host with it
sshd_signal "$T/sshd" h1 KILL
cat >"$T/gone.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - wait_for_connection: {sleep: 1, timeout: 2}
      register: w
      ignore_errors: true
    - copy:
        dest: "{{ base }}/result"
        content: "{{ w.failed }} {{ w.msg is match('timed out waiting for ping module test: ') }} {{ w.elapsed >= 2 }}\n"
      delegate_to: localhost
YML
compare_run gone "$T/gone.yml" "$INV"
expect_content "$T/gone-tend/result" "True True True
"
"$SSHD_BIN" -f "$H/sshd_config" -E "$H/log"

# a plan skips it; bad arguments are refused at validate
cat >"$T/plan.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - wait_for_connection:
YML
run_tend 0 plan "$T/plan.yml" -i "$INV"
expect_in "$T/out" "skipped"
cat >"$T/bad.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - wait_for_connection: {timeout: soon}
    - wait_for_connection: {port: 22}
YML
run_tend 1 validate "$T/bad.yml"
expect_in "$T/err" "bad.yml:4:"
expect_in "$T/err" "bad.yml:5:"

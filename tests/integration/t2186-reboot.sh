#!/bin/sh
# reboot, side by side with ansible-playbook on a real sshd host whose
# "reboot" is a fake shutdown found on search_paths: a moment after it
# returns, the host's sshd and its sessions die, its boot id changes and
# sshd starts again on the same port. Both tools run the same command line
# (-r MINUTES "MSG"), wait for the new boot id and the test command, and
# go on over a new connection; with a boot id that never changes both time
# out with Ansible's message; on the local connection both refuse without
# running anything. A plan says it would reboot and runs nothing.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-sshd.sh"
. "$TOP/tests/lib/lib-compare.sh"
sshd_start 1 "$T/sshd"
INV=$T/sshd/inventory
mkdir -p "$T/bin" "$T/nobin"
echo boot-1 >"$T/bootid"

# the fake: records its arguments in the current run's base, then (in a
# process of its own, outside the session it is killed with) brings the
# host down and up with a new boot id, unless $T/keep-boot-id exists
cat >"$T/bin/shutdown" <<EOF2
#!/bin/sh
base=\$(cat "$T/current-base")
printf '%s|' "\$@" >"\$base/args"
echo >>"\$base/args"
( setsid sh -c '
	sleep 1
	T="$T"; SSHD_BIN="$SSHD_BIN"
	. "$TOP/tests/lib/lib-sshd.sh"
	sshd_signal "$T/sshd" h1 KILL
	[ -e "$T/keep-boot-id" ] || echo boot-2 >"$T/bootid"
	sleep 2
	"$SSHD_BIN" -f "$T/sshd/h1/sshd_config" -E "$T/sshd/h1/log"
' </dev/null >/dev/null 2>&1 & )
exit 0
EOF2
chmod +x "$T/bin/shutdown"
# before each tool's run: where the fake records, and the first boot id
set_base() {
	echo "$1" >"$T/current-base"
	echo boot-1 >"$T/bootid"
}

cat >"$T/reboot.yml" <<YML
- hosts: all
  gather_facts: false
  tasks:
    - shell: cat $T/bootid > {{ base }}/before
    - reboot:
        search_paths: [$T/nobin, $T/bin]
        boot_time_command: cat $T/bootid
        pre_reboot_delay: 130
        msg: tend test
        reboot_timeout: 60
      register: r
    - shell: cat $T/bootid > {{ base }}/after
    - copy:
        dest: "{{ base }}/result"
        content: "{{ r.rebooted }} {{ r.changed }} {{ r.elapsed >= 1 }} {{ r.failed }}\n"
YML
COMPARE_EACH=set_base compare_run reboot "$T/reboot.yml" "$INV"
expect_content "$T/reboot-tend/args" "-r|2|tend test|
"
expect_content "$T/reboot-tend/result" "True True True False
"
cmp -s "$T/reboot-tend/before" "$T/reboot-tend/after" &&
	fail "the boot id did not change across the reboot"

# a boot id that never changes: Ansible's time out
touch "$T/keep-boot-id"
cat >"$T/stuck.yml" <<YML
- hosts: all
  gather_facts: false
  tasks:
    - reboot:
        search_paths: [$T/bin]
        boot_time_command: cat $T/bootid
        reboot_timeout: 4
      register: r
      ignore_errors: true
    - copy:
        dest: "{{ base }}/result"
        content: "{{ r.rebooted }} {{ r.changed }} {{ r.failed }} {{ r.msg }}\n"
      delegate_to: localhost
YML
COMPARE_EACH=set_base compare_run stuck "$T/stuck.yml" "$INV"
expect_content "$T/stuck-tend/result" "True False True Timed out waiting for last boot time check (timeout=4)
"
rm -f "$T/keep-boot-id"
# (its sshd back, for the plan below)
n=0
until [ -s "$T/sshd/h1/sshd.pid" ] || [ "$n" -ge 100 ]; do
	sleep 0.1
	n=$((n + 1))
done

# the local connection: refused by both, nothing run
printf 'localhost ansible_connection=local\n' >"$T/local.ini"
cat >"$T/local.yml" <<YML
- hosts: all
  gather_facts: false
  tasks:
    - reboot:
        reboot_command: $T/bin/shutdown -r now
      register: r
      ignore_errors: true
    - copy:
        dest: "{{ base }}/result"
        content: "{{ r.rebooted }} {{ r.changed }} {{ r.failed }} {{ r.msg }}\n"
YML
COMPARE_EACH=set_base compare_run local "$T/local.yml" "$T/local.ini"
expect_content "$T/local-tend/result" "False False True Running reboot with local connection would reboot the control node.
"
[ ! -e "$T/local-tend/args" ] || fail "the local connection ran the reboot command"

# a plan says it would reboot, and runs nothing
set_base "$T/plan"
mkdir -p "$T/plan"
run_tend 2 plan --detailed-exitcode -i "$INV" "$T/reboot.yml" -e base="$T/plan"
expect_in "$T/out" "reboot"
[ ! -e "$T/plan/args" ] || fail "a plan ran the reboot command"

#!/bin/sh
# cron, hostname and ansible.posix.sysctl on real Debian 12 machines,
# side by side with ansible-playbook (tests/lib/lib-ct-compare.sh): jobs
# and variables added, changed, disabled and removed in root's and a
# user's crontab and in /etc/cron.d (a file left empty is removed),
# hostile job text (%, \, quotes, a leading -, {{ through !unsafe), the
# host name set with hostnamectl, sysctl values written to files and set
# in the container's own network namespace. Every step's task statuses
# and the machines' end state (crontab -l, /etc/cron.d with modes,
# /etc/hostname, the sysctl files and running values) must be
# ansible-playbook's; a plan first says what will change and changes
# nothing; re-applies are all ok; a crontab written by Ansible is managed
# by tend and back; tmpfs file systems mounted, remounted with new
# options, unmounted, and fstab entries with hostile fields written as
# Ansible escapes them; bad input (an unknown user, an unknown key, a
# missing disk) fails that task with the tool's message and changes
# nothing else (the fstab and the directories made are put back).
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-container.sh"
. "$TOP/tests/lib/lib-ct-compare.sh"
command -v ansible-playbook >/dev/null || fail "ansible-playbook is not installed (make test-deps)"
# (time: one round trip per module instead of four)
export ANSIBLE_PIPELINING=1
ct_pair sc
# cron and a D-Bus for hostnamectl (the image has neither), in both at
# once (waiting on those two only: the LXD daemon may be our child too)
pids=
for c in sca sct; do
	ct_exec $c sh -c 'apt-get update -q >/dev/null &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends cron dbus >/dev/null &&
		systemctl start dbus.socket dbus.service && useradd -m alice' >"$T/$c.setup" 2>&1 &
	pids="$pids $!"
done
for p in $pids; do wait "$p" || true; done
for c in sca sct; do
	ct_exec $c sh -c 'command -v crontab && hostnamectl --static status' >/dev/null 2>&1 ||
		{ cat "$T/$c.setup"; fail "$c: cannot install cron and dbus"; }
done

state='crontab -l -u root; echo "rc=$?"; crontab -l -u alice; echo "rc=$?"
	for f in /etc/cron.d/* /etc/sysctl.conf /etc/sysctl.d/*; do
		stat -c "== %n %a %U %G" "$f"; cat "$f"; done
	cat /etc/hostname; hostname; hostnamectl --static status
	sysctl -n net.ipv4.ip_forward net.ipv4.ping_group_range
	cat /etc/fstab; ls -d /srv/*; findmnt -rn -o TARGET,SOURCE,FSTYPE,OPTIONS | grep /srv; true'

cat >"$T/add.yml" <<'YML'
- hosts: sc
  gather_facts: no
  tasks:
    - cron: { name: backup, user: root, minute: "0", hour: "2", job: /usr/local/bin/backup }
    - cron:
        name: "hostile 'name' 100%"
        user: root
        special_time: daily
        job: !unsafe printf '%s\n' "it's 50%" \\ {{ nope }} >/tmp/out
    - cron: { name: PATH, env: yes, user: root, job: "/usr/bin:/bin" }
    - cron: { name: MAILTO, env: yes, user: root, job: "ops@example.com", insertafter: PATH }
    - cron: { name: five, user: alice, minute: "*/5", weekday: "1-5", job: "-x echo dash" }
    - cron: { name: nightly, cron_file: tend-jobs, user: root, special_time: reboot, job: /bin/true }
    - cron: { name: n1, cron_file: /etc/cron.d/tend-two, user: nobody, minute: "15", job: "echo one" }
    - cron: { name: n2, cron_file: /etc/cron.d/tend-two, user: nobody, minute: "45", job: "echo two", backup: yes }
    - hostname: { name: web2 }
    - debug: { msg: "{{ ansible_hostname }} {{ ansible_nodename }}" }
    - ansible.posix.sysctl: { name: net.ipv4.ip_forward, value: "1", sysctl_set: yes }
    - ansible.posix.sysctl:
        name: net.ipv4.ping_group_range
        value: "100  200"
        sysctl_file: /etc/sysctl.d/90-tend.conf
    - ansible.posix.sysctl: { name: vm.swappiness, value: "10", sysctl_file: /etc/sysctl.d/91-file-only.conf, reload: no }
    - ansible.posix.mount: { path: /srv/t1, src: tmpfs, fstype: tmpfs, opts: "size=1m,mode=0755", state: mounted }
    - ansible.posix.mount: { path: /srv/t3, src: tmpfs, fstype: tmpfs, state: mounted, boot: no }
    - ansible.posix.mount: { path: "/srv/a b&c", src: "//nas/share x", fstype: cifs, opts: "ro,user=a\\b", state: present }
YML
cat >"$T/change.yml" <<'YML'
- hosts: sc
  gather_facts: no
  tasks:
    - cron: { name: backup, user: root, minute: "30", hour: "3", job: /usr/local/bin/backup }
    - cron:
        name: "hostile 'name' 100%"
        user: root
        special_time: daily
        disabled: yes
        job: !unsafe printf '%s\n' "it's 50%" \\ {{ nope }} >/tmp/out
    - cron: { name: PATH, env: yes, user: root, job: "/usr/local/bin:/usr/bin:/bin" }
    - cron: { name: MAILTO, env: yes, user: root, state: absent }
    - cron: { name: five, user: alice, state: absent }
    - cron: { name: nightly, cron_file: tend-jobs, state: absent }
    - cron: { name: n1, cron_file: /etc/cron.d/tend-two, user: nobody, state: absent }
    - hostname: { name: web2 }
    - ansible.posix.sysctl: { name: net.ipv4.ip_forward, state: absent }
    - ansible.posix.sysctl: { name: net.ipv4.ping_group_range, value: "100 300", sysctl_file: /etc/sysctl.d/90-tend.conf, sysctl_set: yes }
    - ansible.posix.mount: { path: /srv/t1, src: tmpfs, fstype: tmpfs, opts: "size=2m,mode=0755", state: mounted }
    - ansible.posix.mount: { path: /srv/t3, state: unmounted }
    - ansible.posix.mount: { path: "/srv/a b&c", state: absent }
YML
cat >"$T/bad.yml" <<'YML'
- hosts: sc
  gather_facts: no
  tasks:
    - cron: { name: ghost, user: no-such-user, job: /bin/true }
      ignore_errors: yes
    - ansible.posix.sysctl: { name: net.no.such.key, value: "1", sysctl_set: yes, sysctl_file: /etc/sysctl.d/92-bad.conf, reload: no }
      ignore_errors: yes
    - ansible.posix.mount: { path: /srv/bad/deep, src: /dev/no-such-disk, fstype: ext4, state: mounted }
      ignore_errors: yes
    - ansible.posix.mount: { path: /srv/t1, state: remounted }
    - cron: { name: backup, user: root, minute: "30", hour: "3", job: /usr/local/bin/backup }
YML

# the plan says what will change, and changes nothing
run_tend 2 plan --detailed-exitcode -i "$CT_DIR/sc.tend.inv" "$T/add.yml"
for line in "add cron job 'backup' for root: 0 2 * * * /usr/local/bin/backup" \
	"add cron job 'five' for alice: */5 * * * 1-5 -x echo dash" \
	"add cron job 'nightly' in /etc/cron.d/tend-jobs: @reboot root /bin/true" \
	"add cron variable PATH=\"/usr/bin:/bin\" for root" \
	"-> web2" \
	"set net.ipv4.ip_forward 0 -> 1 (running kernel)" \
	"set net.ipv4.ip_forward (unset) -> 1 in /etc/sysctl.conf" \
	"mount /srv/t1 (tmpfs tmpfs)" "+//nas/share\\040x /srv/a\\040b\\046c cifs ro,user=a\\134b 0 0" \
	"+@daily printf '%s\n' \"it's 50%\" \\\\ {{ nope }} >/tmp/out"; do
	expect_in "$T/out" "$line"
done
ct_exec sct sh -c "$state" >"$T/after-plan" 2>&1
expect_in "$T/after-plan" "no crontab for root"
expect_not_in "$T/after-plan" "web2"

ct_pair_run sc add "$T/add.yml"
ct_pair_state sc "$state"
ct_exec sct crontab -l -u root >"$T/root.tab"
expect_in "$T/root.tab" '@daily printf '"'"'%s\n'"'"' "it'"'"'s 50%" \\ {{ nope }} >/tmp/out'
expect_in "$T/root.tab" "#Ansible: hostile 'name' 100%"
ct_exec sct stat -c '%a' /etc/cron.d/tend-jobs >"$T/mode"
expect_in "$T/mode" 644

# a crontab Ansible wrote is tend's, and back: re-applies are all ok
run_tend 0 plan --detailed-exitcode -i "$CT_DIR/sc.ansible.inv" "$T/add.yml"
ANSIBLE_NOCOLOR=1 ANSIBLE_HOME="$T/ansible-home" ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 \
	ansible-playbook -i "$CT_DIR/sc.tend.inv" "$T/add.yml" >"$T/back.log" 2>&1 ||
	{ cat "$T/back.log"; fail "ansible-playbook on tend's machine failed"; }
expect_in "$T/back.log" "changed=0"

run_tend 2 plan --detailed-exitcode -i "$CT_DIR/sc.tend.inv" "$T/change.yml"
expect_in "$T/out" "change cron job 'backup' for root: 0 2 * * * /usr/local/bin/backup -> 30 3 * * * /usr/local/bin/backup"
expect_in "$T/out" "remove cron file /etc/cron.d/tend-jobs (no job left)"
expect_in "$T/out" "remove net.ipv4.ip_forward from /etc/sysctl.conf"
expect_in "$T/out" "remount /srv/t1"
expect_in "$T/out" "unmount /srv/t3"
ct_pair_run sc change "$T/change.yml"
ct_pair_state sc "$state"
run_tend 0 plan --detailed-exitcode -i "$CT_DIR/sc.tend.inv" "$T/change.yml"

# bad input: the task fails with the tool's words, nothing else changes
ct_exec sct sh -c "$state" >"$T/before-bad" 2>&1
ct_pair_run sc bad "$T/bad.yml"
ct_pair_state sc "$state"
ct_exec sct sh -c "$state" >"$T/after-bad" 2>&1
cmp "$T/before-bad" "$T/after-bad" || fail "bad input changed the machine"
expect_in "$T/sc.bad.tend.json" "no-such-user"
expect_in "$T/sc.bad.tend.json" "setting net.no.such.key failed"
expect_in "$T/sc.bad.tend.json" "Error mounting /srv/bad/deep: mount: "

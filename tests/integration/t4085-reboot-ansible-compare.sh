#!/bin/sh
# reboot on Debian 12 containers, side by side with ansible-playbook
# (tests/lib/lib-ct-compare.sh): each tool reboots its own machine for
# real (shutdown -r, systemd stops and LXD starts the container again)
# and waits for it; the tasks after it run on a new connection; what
# lived in /run (a tmpfs) is gone and PID 1 started again. A container
# shares the host's kernel boot id, so the boot time is PID 1's start;
# the image has no D-Bus for shutdown's logind call: systemctl reboot
# (found on the search paths, as shutdown would be).
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-container.sh"
. "$TOP/tests/lib/lib-ct-compare.sh"
command -v ansible-playbook >/dev/null || fail "ansible-playbook is not installed (make test-deps)"

cat >"$T/reboot.yml" <<'YML'
- hosts: rb
  gather_facts: false
  tasks:
    - shell: touch /run/before-reboot; cut -d' ' -f22 /proc/1/stat > /root/pid1-start
    - reboot:
        boot_time_command: cut -d' ' -f22 /proc/1/stat
        reboot_timeout: 180
        reboot_command: systemctl reboot
      register: r
    - shell: "test ! -e /run/before-reboot && [ \"$(cut -d' ' -f22 /proc/1/stat)\" != \"$(cat /root/pid1-start)\" ] && echo rebooted"
      register: after
    - assert:
        that:
          - after.stdout == 'rebooted'
          - r.rebooted
          - r.changed
          - r.elapsed >= 0
YML
ct_pair rb
ct_pair_run rb once "$T/reboot.yml"
ct_pair_state rb 'test -e /run/before-reboot && echo stale; systemctl is-system-running --wait >/dev/null 2>&1; echo up'

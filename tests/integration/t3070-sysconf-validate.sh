#!/bin/sh
# cron, hostname, sysctl and mount refuse at `tend validate`, with
# file:line:col, what Ansible refuses when the module runs (special_time
# with a time field, cron_file without user, /etc/crontab, a job missing,
# insertafter without env, insertafter with insertbefore, sysctl without
# value, mount without src/fstype) and what tend does not do (hostname
# strategies of other systems, mount state=ephemeral); templated values
# are left for the run. `tend doc` shows each module's arguments,
# returns and example.
. "$(dirname "$0")/../lib/lib-test.sh"
cat >"$T/bad.yml" <<'YML'
- hosts: all
  tasks:
    - cron: { name: a, job: x, special_time: daily, minute: "5" }
    - cron: { name: a, job: x, cron_file: foo }
    - cron: { name: a, job: x, env: yes, insertafter: A, insertbefore: B }
    - ansible.posix.sysctl: { name: net.x }
    - hostname: { name: x, use: redhat }
    - cron: { name: a, job: x, user: root, cron_file: /etc/crontab }
    - cron: { name: a }
    - cron: { name: a, job: x, insertafter: PATH }
    - ansible.posix.mount: { path: /m, state: mounted, fstype: tmpfs }
    - ansible.posix.mount: { path: /m, src: tmpfs, fstype: tmpfs, state: ephemeral }
    - ansible.posix.sysctl: { name: net.x, value: "" }
    - cron: { name: "A B", env: yes, job: x }
    - cron: { name: a, job: x, special_time: hourly, weekday: "{{ w }}" }
    - cron: { name: a, state: absent, cron_file: foo }
    - ansible.posix.sysctl: { name: net.x, state: absent }
    - ansible.posix.mount: { path: /m, state: unmounted }
    - hostname: { name: x, use: systemd }
YML
run_tend 1 validate "$T/bad.yml"
for want in \
	"bad.yml:3:61: You must specify time and date fields or special time." \
	"bad.yml:4:43: To use cron_file=... parameter you must specify user=... as well" \
	"bad.yml:5:72: parameters are mutually exclusive: insertafter|insertbefore" \
	"bad.yml:6:" "state is present but all of the following are missing: value" \
	"bad.yml:7:33: use=redhat is not supported" \
	"bad.yml:8:55: Will not manage /etc/crontab via cron_file, see documentation." \
	"bad.yml:9:" "You must specify 'job' to install a new cron job or variable" \
	"bad.yml:10:45: Insertafter and insertbefore parameters are valid only with env=yes" \
	"bad.yml:11:" "state is mounted but all of the following are missing: src" \
	"bad.yml:12:" "state=ephemeral is not supported" \
	"bad.yml:13:" "value cannot be blank" \
	"bad.yml:14:" "Invalid name for environment variable" \
	"tend: 12 errors"; do
	expect_in "$T/err" "$want"
done
for ok in 15 16 17 18 19; do
	expect_not_in "$T/err" "bad.yml:$ok:"
done
for m in cron hostname sysctl mount; do
	run_tend 0 doc $m
	expect_in "$T/out" "example"
done
run_tend 0 doc cron
expect_in "$T/out" "special_time"
expect_in "$T/out" "jobs: the names of the jobs"
run_tend 0 doc mount
expect_in "$T/out" "ephemeral is refused"
run_tend 0 validate "$TOP/playbooks/system-config.yml"

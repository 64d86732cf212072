#!/bin/sh
# The lxd connection on a real Debian 12 machine, against ansible-playbook
# (tests/lib/lib-ct-compare.sh: twin containers): Ansible reaches its own
# over SSH, tend its own through LXD's exec and files API only
# (ansible_connection: lxd). tests/fixtures/lxd-conn/site.yml gathers
# facts, makes a group and a user, a directory, a hostile file, a
# template from facts, a link, a systemd unit (enabled, started, and
# restarted by a handler when it changes), feeds stdin to cat, runs a
# command as another user (become through sudo), and reads back stat and
# slurp. Every task's status is Ansible's, and so is the end state,
# after the first apply and after a second that restarts the unit; then
# tend's plan finds nothing and its re-apply changes nothing.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-container.sh"
. "$TOP/tests/lib/lib-ct-compare.sh"
command -v ansible-playbook >/dev/null || fail "ansible-playbook is not installed (make test-deps)"
export ANSIBLE_PIPELINING=1
pb=$TOP/tests/fixtures/lxd-conn/site.yml
ct_pair lx
# tend's machine: through LXD's API, not SSH
printf 'lx ansible_connection=lxd ansible_lxd_host=%s tend_lxd_url=unix:%s/unix.socket\n' \
	"$(_ct_name lxt)" "$TEND_CT_LXD_DIR" >"$CT_DIR/lx.tend.inv"
state='getent passwd app; getent group app
	cd / && stat -c "%n %F %a %U %G %s" srv/app srv/app/etc srv/app/etc/hostile srv/app/etc/app.conf srv/app/app.conf
	readlink srv/app/app.conf; od -c srv/app/etc/hostile; cat srv/app/etc/app.conf srv/app/etc/extra.conf
	systemctl is-enabled tend-app; systemctl is-active tend-app
	ls /tmp /root'
ct_pair_run lx apply "$pb"
ct_pair_state lx "$state"
expect_in "$T/lx.state.tend" "app:x:1700:1700:50% \\ 'x':/srv/app:/bin/sh"
expect_in "$T/lx.state.tend" "os=Debian 12"
expect_in "$T/lx.state.tend" "srv/app/etc/hostile regular file 640 app root"
expect_in "$T/lx.apply.tend.json" '"who.stdout": "app"'
# a changed unit: the handler restarts it, for both
ct_pair_exec lx sh -c 'echo "# changed" >>/usr/local/lib/systemd/system/tend-app.service'
ct_pair_exec lx sh -c 'systemctl show -p MainPID --value tend-app >/root/pid1'
ct_pair_run lx again "$pb"
ct_pair_state lx "$state; [ \"\$(systemctl show -p MainPID --value tend-app)\" != \"\$(cat /root/pid1)\" ] && echo restarted"
expect_in "$T/lx.state.tend" "restarted"
# converged: tend's plan finds nothing, and a re-apply changes nothing
# (Ansible's own re-apply is not what this test is about: it is left out)
run_tend 0 plan --detailed-exitcode --stats -i "$CT_DIR/lx.tend.inv" "$pb"
grep '^stats:' "$T/err"
run_tend 0 apply --format json -i "$CT_DIR/lx.tend.inv" "$pb"
[ "$(json_get "$T/out" "d['hosts'][0]['stats']['changed']")" = 0 ] ||
	fail "tend changed something on a re-apply"

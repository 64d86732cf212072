#!/bin/sh
# make deb on a fresh Debian 12 machine: the package built from this tend
# installs with apt-get (its Depends resolved from the mirror, nothing
# else installed by hand), the user tend exists (systemd-sysusers from
# postinst), the units are in place but not enabled, and the installed
# tend runs the demo there: plan, apply, then a plan with nothing left to
# change (--detailed-exitcode 0).
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-container.sh"
make -s --no-print-directory -C "$TOP" BUILD="$T/build" INSTALL_TEND="$TEND" \
	deb >"$T/make.out" 2>&1 || { cat "$T/make.out"; fail "make deb"; }
deb=$(ls "$T"/build/tend_*.deb)
ct_launch c1
ct_push c1 "$deb" /root/tend.deb
tar -C "$TOP" -cf "$T/playbooks.tar" playbooks
ct_push c1 "$T/playbooks.tar" /root/playbooks.tar
ct_exec c1 tar -C /root -xf /root/playbooks.tar
ct_exec c1 sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	apt-get install -y -qq /root/tend.deb' >"$T/apt.out" 2>&1 ||
	{ cat "$T/apt.out"; fail "apt-get install ./tend.deb"; }
[ "$(ct_exec c1 tend version)" = "$("$TEND" version)" ] || fail "tend version"
[ "$(ct_exec c1 sh -c 'command -v tend')" = /usr/bin/tend ] || fail "not /usr/bin/tend"
ct_exec c1 getent passwd tend | grep -q ':/var/lib/tend:' || fail "no user tend"
ct_exec c1 systemctl cat tend.service | grep -q '^ExecStart=/usr/bin/tend daemon' ||
	fail "tend.service is not installed"
[ "$(ct_exec c1 systemctl is-enabled tend.service)" = disabled ] ||
	fail "tend.service is enabled"
ct_exec c1 test -s /usr/share/man/man1/tend-plan.1.gz || fail "no manual page"
ct_exec c1 test -s /usr/share/bash-completion/completions/tend || fail "no completion"
ct_exec c1 tend plan /root/playbooks/demo.yml >"$T/plan1" 2>&1 || { cat "$T/plan1"; fail "plan"; }
expect_in "$T/plan1" "change"
ct_exec c1 tend apply /root/playbooks/demo.yml >"$T/apply" 2>&1 || { cat "$T/apply"; fail "apply"; }
ct_exec c1 test -d /tmp/tend-demo/etc || fail "the demo did not apply"
ct_exec c1 tend plan --detailed-exitcode /root/playbooks/demo.yml >"$T/plan2" 2>&1 ||
	{ cat "$T/plan2"; fail "a second plan finds changes"; }
ct_exec c1 apt-get remove -y -qq tend >/dev/null 2>&1 || fail "apt-get remove"
ct_exec c1 test ! -e /usr/bin/tend || fail "tend left after remove"
echo ok

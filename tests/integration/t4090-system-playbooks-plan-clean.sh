#!/bin/sh
# The system example playbooks (playbooks/packages.yml, services.yml,
# accounts.yml, system-config.yml) on a fresh Debian 12 machine: a plan
# (changes, nothing written), an apply, then a plan that finds nothing
# left to change (--detailed-exitcode 0). python.yml needs PyPI, which
# the test bed cannot reach: t4050 runs pip against local wheels instead.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-container.sh"
ct_launch pc
# cron and a D-Bus for hostnamectl (the image has neither)
ct_exec pc sh -c 'apt-get update -q >/dev/null &&
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends cron dbus >/dev/null &&
	systemctl start dbus.socket dbus.service' >"$T/setup" 2>&1 ||
	{ cat "$T/setup"; fail "cannot install cron and dbus"; }
INV=$CT_DIR/inventory
for pb in packages services accounts system-config; do
	run_tend 2 plan "$TOP/playbooks/$pb.yml" -i "$INV" --detailed-exitcode
	run_tend 0 apply "$TOP/playbooks/$pb.yml" -i "$INV"
	run_tend 0 plan "$TOP/playbooks/$pb.yml" -i "$INV" --detailed-exitcode
done
# what they made is there
ct_exec pc sh -c 'command -v hello && command -v /usr/games/sl && ! command -v ed &&
	systemctl is-active tend-web && id deploy && crontab -l | grep -q backup' >"$T/end" 2>&1 ||
	{ cat "$T/end"; fail "the playbooks' end state is not there"; }

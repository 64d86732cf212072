#!/bin/sh
# The shipped systemd units (contrib/systemd/): systemd-analyze verify
# accepts tend.service, tend-apply@.service and tend-apply@.timer without
# a single warning (ExecStart pointing at the built binary, in copies);
# the same check does report a misspelled key and a missing binary; the
# hardened units score "OK" or better on systemd-analyze security; the
# timer fires every 30 minutes; systemd-sysusers makes the `tend` user
# from tend.sysusers; and the environment the units set puts tend's
# state DB, git cache and tend.yml in the directories systemd makes.
. "$(dirname "$0")/../lib/lib-test.sh"
command -v systemd-analyze >/dev/null ||
	fail "systemd-analyze is missing (Debian package systemd: make test-deps)"
command -v systemd-sysusers >/dev/null ||
	fail "systemd-sysusers is missing (Debian package systemd: make test-deps)"
src="$TOP/contrib/systemd"
tend_abs=$(cd "$(dirname "$TEND")" && pwd)/$(basename "$TEND")
units="tend.service tend-apply@.service tend-apply@.timer"

# verify DIR UNIT: systemd-analyze verify's output in $T/verify.out; its
# exit code is returned
verify() {
	(cd "$1" && systemd-analyze verify "./$2") >"$T/verify.out" 2>&1
}

mkdir "$T/units"
for u in $units; do
	case $u in *.service) expect_in "$src/$u" "ExecStart=/usr/bin/tend " ;; esac
	sed "s|/usr/bin/tend |$tend_abs |g" "$src/$u" >"$T/units/$u"
done
for u in $units; do
	verify "$T/units" "$u" || { cat "$T/verify.out"; fail "systemd-analyze verify $u failed"; }
	if [ -s "$T/verify.out" ]; then
		cat "$T/verify.out"
		fail "systemd-analyze verify $u printed warnings"
	fi
done

# The check sees the files: a typo and a missing binary are reported
mkdir "$T/bad"
sed 's/^NoNewPrivileges=/NoNewPrivilges=/' "$T/units/tend.service" >"$T/bad/tend.service"
verify "$T/bad" tend.service || true
expect_in "$T/verify.out" "Unknown key 'NoNewPrivilges' in section [Service]"
sed 's/^NoNewPrivileges=/NoNewPrivilges=/' "$T/units/tend-apply@.service" >"$T/bad/tend-apply@.service"
verify "$T/bad" tend-apply@.service || true
expect_in "$T/verify.out" "Unknown key 'NoNewPrivilges'"
cp "$src/tend.service" "$T/bad/tend.service"
if verify "$T/bad" tend.service && [ ! -x /usr/bin/tend ]; then
	cat "$T/verify.out"; fail "a missing ExecStart binary was not reported"
fi
[ -x /usr/bin/tend ] || expect_in "$T/verify.out" "Command /usr/bin/tend is not executable"

# What the units must say (the contract with the daemon and the docs)
expect_in "$src/tend.service" "ExecStart=/usr/bin/tend daemon --config /etc/tend/tend.yml"
expect_in "$src/tend.service" 'ExecReload=/bin/kill -HUP $MAINPID'
for u in tend.service tend-apply@.service; do
	for line in "Type=" "User=tend" "ProtectSystem=strict" "ProtectHome=yes" \
		"PrivateTmp=yes" "NoNewPrivileges=yes" "StateDirectory=tend" \
		"CacheDirectory=tend" "ConfigurationDirectory=tend" \
		"RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6" \
		"SystemCallFilter=@system-service" \
		"Environment=XDG_STATE_HOME=%S XDG_CACHE_HOME=%C XDG_CONFIG_HOME=%E"; do
		expect_in "$src/$u" "$line"
	done
done
expect_in "$src/tend.service" "Type=notify"
expect_in "$src/tend.service" "WatchdogSec="
expect_in "$src/tend-apply@.service" "EnvironmentFile=/etc/tend/apply/%i.env"
expect_in "$src/tend-apply@.timer" "Persistent=true"
expect_in "$src/tend-apply@.timer" "RandomizedDelaySec="

# Hardening as systemd scores it: "OK" (below 4.0) or better
for u in tend.service tend-apply@.service; do
	(cd "$T/units" && systemd-analyze security --offline=yes "./$u") >"$T/sec.out" 2>&1 ||
		{ cat "$T/sec.out"; fail "systemd-analyze security $u failed"; }
	level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p' "$T/sec.out")
	[ -n "$level" ] || { cat "$T/sec.out"; fail "no exposure level for $u"; }
	awk -v l="$level" 'BEGIN { exit !(l < 2.0) }' ||
		{ tail -n 5 "$T/sec.out"; fail "$u: exposure $level, expected below 2.0"; }
	echo "$u: exposure $level"
done

# The timer's calendar: every 30 minutes
cal=$(sed -n 's/^OnCalendar=\(..*\)/\1/p' "$src/tend-apply@.timer")
systemd-analyze calendar --iterations=3 "$cal" >"$T/cal.out" 2>&1 ||
	{ cat "$T/cal.out"; fail "OnCalendar=$cal is not valid"; }
expect_in "$T/cal.out" "Normalized form: *-*-* *:00/30:00"

# The user: systemd-sysusers on a scratch root
mkdir -p "$T/root/etc"
systemd-sysusers --root="$T/root" - <"$src/tend.sysusers" >"$T/sysusers.out" 2>&1 ||
	{ cat "$T/sysusers.out"; fail "systemd-sysusers refused tend.sysusers"; }
grep -q '^tend:x:[0-9]*:[0-9]*:[^:]*:/var/lib/tend:/usr/sbin/nologin$' "$T/root/etc/passwd" ||
	{ cat "$T/root/etc/passwd"; fail "no user tend with home /var/lib/tend"; }
grep -q '^tend:' "$T/root/etc/group" || fail "no group tend"

# The environment the units set (%S=/var/lib, %C=/var/cache, %E=/etc,
# here under $T/sys) puts the state DB, the git cache and tend.yml where
# StateDirectory, CacheDirectory and ConfigurationDirectory make them.
sys="$T/sys"
mkdir -p "$sys/var/lib/tend" "$sys/var/cache/tend" "$sys/etc/tend" "$T/work"
git init -q -b main "$T/repo"
printf -- '- hosts: localhost\n  gather_facts: false\n  tasks:\n    - debug: msg=hi\n' >"$T/repo/site.yml"
git -C "$T/repo" add site.yml
git -C "$T/repo" -c user.name=t -c user.email=t@example.org commit -qm one
printf 'state:\n  nonsense: 1\n' >"$sys/etc/tend/tend.yml"
cd "$T/work"
in_unit() {
	env HOME="$sys/var/lib/tend" XDG_STATE_HOME="$sys/var/lib" \
		XDG_CACHE_HOME="$sys/var/cache" XDG_CONFIG_HOME="$sys/etc" "$@"
}
set +e
in_unit "$TEND" plan --repo "$T/repo" --ref main --trust-source site.yml >"$T/out" 2>"$T/err"
rc=$?
set -e
[ "$rc" = 1 ] || { cat "$T/out" "$T/err"; fail "a bad /etc/tend/tend.yml was not read (exit $rc)"; }
expect_in "$T/err" "$sys/etc/tend/tend.yml"
printf 'state:\n  path: %s/var/lib/tend/tend.db\n' "$sys" >"$sys/etc/tend/tend.yml"
in_unit "$TEND" plan --repo "$T/repo" --ref main --trust-source site.yml >"$T/out" 2>"$T/err" ||
	{ cat "$T/out" "$T/err"; fail "tend plan as the units run it failed"; }
[ -f "$sys/var/lib/tend/tend.db" ] || fail "no state DB in /var/lib/tend"
ls "$sys/var/cache/tend/repos" >"$T/repos.out" 2>&1 || { cat "$T/repos.out"; fail "no git cache in /var/cache/tend/repos"; }
[ -s "$T/repos.out" ] || fail "the git cache in /var/cache/tend/repos is empty"
# and without tend.yml's state.path, $XDG_STATE_HOME alone gives the same DB
rm "$sys/etc/tend/tend.yml" "$sys/var/lib/tend/tend.db"
in_unit "$TEND" history >"$T/out" 2>"$T/err" || { cat "$T/err"; fail "tend history failed"; }
[ -f "$sys/var/lib/tend/tend.db" ] || fail "\$XDG_STATE_HOME=%S does not give /var/lib/tend/tend.db"
echo "ok: units verified"

#!/bin/sh
# Every example playbook that runs on this machine: a plan on clean hosts
# (no failure, nothing written), an apply, then a plan that finds nothing
# left to change (--detailed-exitcode 0), on the local connection and over
# SSH. The system playbooks (packages, services, accounts...) are checked
# the same way on a container by t4090.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-sshd.sh"
. "$TOP/tests/lib/lib-serve.sh"
sshd_start 1 "$T/sshd"

# network.yml's server and repository
mkdir -p "$T/www/x" "$T/repo"
echo ready >"$T/www/x/ready.log"
tar -C "$T/www/x" -czf "$T/www/a.tar.gz" ready.log
sum=$(sha256sum "$T/www/a.tar.gz" | cut -d' ' -f1)
git -C "$T/repo" init -q
git -C "$T/repo" -c user.name=t -c user.email=t@e commit -q --allow-empty -m one
serve_start "$T/www"

for leg in local ssh; do
	for pb in control demo facts files language machine-files network; do
		root=$T/$leg/$pb
		set -- -e root="$root"
		[ $pb = network ] && set -- "$@" -e url="http://127.0.0.1:$HTTP_PORT" \
			-e sum="$sum" -e repo="$T/repo"
		[ $leg = ssh ] && set -- "$@" -i "$T/sshd/inventory"
		# demo.yml names its root demo_root
		[ $pb = demo ] && set -- "$@" -e demo_root="$root"
		run_tend 2 plan "$TOP/playbooks/$pb.yml" "$@" --detailed-exitcode
		[ ! -e "$root" ] || fail "$leg $pb: the plan wrote $root"
		run_tend 0 apply "$TOP/playbooks/$pb.yml" "$@"
		run_tend 0 plan "$TOP/playbooks/$pb.yml" "$@" --detailed-exitcode
	done
done

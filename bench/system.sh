#!/bin/sh
# The system bench (`make bench-system`): tend against ansible-playbook on
# a real Debian 12 machine (an LXD system container, systemd as PID 1:
# tests/lib/lib-container.sh), with playbooks/bench-system.yml: 10
# packages present, 5 units installed, enabled and running, 5 users, 5
# cron entries and a get_url with a checksum (40 task results).
#
#   TEND=bin/tend sh bench/system.sh
#
# tend converges the machine once (apt installs from the mirror), then a
# second tend run must change nothing. Then, $BENCH_RUNS times (default
# 5), the two tools take turns at a no-op run of the playbook (the one
# that goes first alternates): both must report nothing changed (Ansible
# finding something to change after tend converged is a difference and
# fails the bench). It prints the medians, the ratio ansible/tend, the
# peak RSS of each controller and tend's round trips per task result
# (--stats). Both run with pipelining on and the interpreter given, no
# facts gathered, over SSH to the same container.
set -eu
: "${TEND:?set TEND to the tend binary}"
BENCH_RUNS=${BENCH_RUNS:-5}
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
PLAYBOOK=$REPO/playbooks/bench-system.yml
GNU_TIME=/usr/bin/time
[ -x "$GNU_TIME" ] || { echo "bench: GNU time is missing (apt-get install time)" >&2; exit 1; }

. "$REPO/tests/lib/lib-test.sh"
TOP=$REPO # (lib-test.sh takes it from a test's path)
. "$REPO/tests/lib/lib-container.sh"
trap 'exit 130' INT TERM HUP
say() { echo "bench: $*" >&2; }
die() { echo "bench: FAIL: $*" >&2; exit 1; }
now_ns() { date +%s%N; }

: >"$T/ansible.cfg"
export ANSIBLE_CONFIG="$T/ansible.cfg" ANSIBLE_HOME="$T/ansible-home" \
	ANSIBLE_LOCAL_TEMP="$T/ansible-tmp" ANSIBLE_PIPELINING=1 \
	ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 \
	ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_NOCOLOR=1 \
	ANSIBLE_DEPRECATION_WARNINGS=0 ANSIBLE_SSH_CONTROL_PATH_DIR="$T/cp"

say "launching the container"
ct_launch b1
# a machine as it usually is: its package lists fetched (the image has none)
ct_exec b1 apt-get update -qq >/dev/null || die "apt-get update failed in the container"
# the download's source: a static server inside the machine
head -c 1048576 /dev/urandom >"$T/payload.bin"
sum=$(sha256sum <"$T/payload.bin" | cut -c1-64)
ct_exec b1 mkdir -p /srv/www
ct_push b1 "$T/payload.bin" /srv/www/payload.bin
ct_exec b1 sh -c 'cd /srv/www && nohup python3 -m http.server 8000 --bind 127.0.0.1 </dev/null >/dev/null 2>&1 &'
sleep 1

inv=$CT_DIR/inventory
say "converging with tend (packages from the mirror)"
"$TEND" apply "$PLAYBOOK" -i "$inv" -e "payload_sha256=$sum" \
	--no-color >"$T/converge.out" 2>&1 ||
	{ tail -n 40 "$T/converge.out" >&2; die "tend could not converge the machine"; }

# changed count of a recap line
changed_of() { sed -n 's/.* changed=\([0-9]*\) .*/\1/p' "$1" | head -n 1; }

run_one() { # TOOL RUN
	_out=$T/out.$1 _err=$T/err.$1
	case $1 in
	tend) set -- "$TEND" apply "$PLAYBOOK" -i "$inv" -e "payload_sha256=$sum" --stats --no-color ;;
	ansible)
		mkdir -p "$T/cp"
		set -- ansible-playbook "$PLAYBOOK" -i "$inv" -e "payload_sha256=$sum" ;;
	esac
	_tool=${1##*/}
	_t0=$(now_ns)
	"$GNU_TIME" -f %M -o "$T/rss" "$@" >"$_out" 2>"$_err" ||
		{ tail -n 30 "$_out" "$_err" >&2; die "$_tool exited non-zero"; }
	_t1=$(now_ns)
	for _s in "$T"/cp/*; do
		[ -S "$_s" ] && ssh -o ControlPath="$_s" -O exit x >/dev/null 2>&1
	done
	[ "$(changed_of "$_out")" = 0 ] ||
		{ grep -B3 'changed:' "$_out" | head -n 20 >&2; die "$_tool changed something on a converged machine"; }
	_rt="- -"
	if [ "$_tool" = tend ]; then
		_rt=$(sed -n 's/^stats: \([0-9]*\) round trips for \([0-9]*\) task results.*/\1 \2/p' "$_err")
	fi
	echo "${_tool%-playbook} $(((_t1 - _t0) / 1000)) $(tail -n 1 "$T/rss") $_rt" >>"$T/results"
}

: >"$T/results"
run=1
while [ "$run" -le "$BENCH_RUNS" ]; do
	if [ $((run % 2)) = 1 ]; then tools="tend ansible"; else tools="ansible tend"; fi
	say "no-op run $run/$BENCH_RUNS ($tools)"
	for tool in $tools; do run_one "$tool"; done
	run=$((run + 1))
done

awk '
	function median(a, n,   i, j, t) {
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
			if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	$1 == "tend" { tn++; tt[tn] = $2; tr[tn] = $3; rt = $4; res = $5 }
	$1 == "ansible" { an++; at[an] = $2; ar[an] = $3 }
	END {
		t = median(tt, tn); a = median(at, an)
		printf "system bench (playbooks/bench-system.yml, no-op on a converged Debian 12 container, %d runs each)\n", tn
		printf "  %-18s %10s %10s %14s\n", "", "median ms", "RSS MB", "round trips"
		printf "  %-18s %10.0f %10.1f %14s\n", "tend", t / 1000, median(tr, tn) / 1024, rt " for " res
		printf "  %-18s %10.0f %10.1f %14s\n", "ansible-playbook", a / 1000, median(ar, an) / 1024, "-"
		printf "  no-op ratio ansible/tend: %.1fx\n", a / t
	}' "$T/results"

#!/bin/sh
# tend against ansible-playbook on real sshd hosts (`make bench`).
#
#   TEND=bin/tend RTT=build/bench/rtt sh bench/run.sh
#
# For each H in $BENCH_HOSTS (default "1 10 50") this starts H sshd hosts on
# 127.0.0.1 (tests/lib/lib-sshd.sh) and runs playbooks/bench.yml (20 tasks)
# with both tools in three modes:
#
#   apply   on clean hosts (every host's directory removed first)
#   noop    apply again: nothing to change
#   plan    `tend plan` / `ansible-playbook --check` on clean hosts
#
# $BENCH_RUNS times (default 3), the two tools taking turns (the one that
# goes first alternates from run to run). It prints the medians, the ratio
# ansible/tend, the peak RSS of each controller and tend's SSH round trips
# per task per host (--stats), then the targets of the issue, met or not.
# BENCH_RESULTS=FILE keeps the raw results (and FILE.floor); the table is
# bench/report.awk run on them.
#
# What is measured:
#  - time: wall clock of the whole command (start-up, connections, all
#    tasks, output), the median of the runs.
#  - RSS: GNU time's %M, the max resident set of the process and of every
#    descendant it waited for: for ansible-playbook the largest of its
#    controller and its forked workers (and the ssh clients they ran), not
#    their sum (workers share most pages with the controller by fork). The
#    ssh ControlPersist masters detach from the tree and are not counted
#    (a few MB each). For tend, one process (its threads share memory).
#  - floor: build/bench/rtt, the median of one `true` on an open connection
#    through tend's persistent shell (the path every task takes) and, for
#    reference, on a new exec channel. "x floor" is tend's wall time per
#    task result (wall / (tasks x H)) over the shell round trip.
#
# Both tools get the same hosts, key and known_hosts, the same forks (H),
# and no facts. Ansible runs as tuned as it commonly is: pipelining on,
# the interpreter given (no discovery), ssh's ControlPersist and sftp for
# files (its defaults; the hosts run sftp-server as Debian's sshd does).
# Each run is a fresh process that opens its own connections: the
# ControlPersist masters of a run are closed after it, as tend's sessions
# are.
#
# After each apply the hosts' trees (paths, types, modes, link targets,
# content hashes) must be identical between the tools, and unchanged by
# the no-op apply; a plan/check must leave the hosts untouched. Any
# difference, failed host or non-zero exit fails the bench.

set -eu
: "${TEND:?set TEND to the tend binary}"
: "${RTT:?set RTT to build/bench/rtt}"
BENCH_HOSTS=${BENCH_HOSTS:-"1 10 50"}
BENCH_RUNS=${BENCH_RUNS:-3}
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
PLAYBOOK=$REPO/playbooks/bench.yml
GNU_TIME=/usr/bin/time

need_deb() {
	# $1: a command that must exist, $2: the Debian package with it
	command -v "$1" >/dev/null 2>&1 && return 0
	echo "bench: installing $2" >&2
	apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >&2
}
need_deb "$GNU_TIME" time
need_deb ansible-playbook ansible-core
need_deb /usr/sbin/sshd openssh-server
need_deb ssh openssh-client

# lib-test.sh gives $T (removed on exit) and on_exit; lib-sshd.sh stops
# the hosts it started, by PID, on exit.
. "$REPO/tests/lib/lib-test.sh"
. "$REPO/tests/lib/lib-sshd.sh"
trap 'exit 130' INT TERM HUP
W=$T
ROOT=$W/root
RESULTS=$W/results
: >"$RESULTS"

say() { echo "bench: $*" >&2; }

now_ns() { date +%s%N; }

# Close the ssh ControlPersist masters of an ansible run (they would
# otherwise live on for 60 s): ask each to exit through its socket.
close_masters() {
	for _s in "$1"/*; do
		[ -S "$_s" ] || continue
		ssh -o ControlPath="$_s" -O exit localhost >/dev/null 2>&1 || true
	done
	rm -rf "$1"
}
ANSIBLE_CP_DIRS=""
close_all_masters() {
	for _d in $ANSIBLE_CP_DIRS; do close_masters "$_d"; done
}
on_exit close_all_masters

# Ansible's settings, from the environment only: no ansible.cfg is read.
: >"$W/ansible.cfg"
export ANSIBLE_CONFIG="$W/ansible.cfg"
export ANSIBLE_HOME="$W/ansible-home"
export ANSIBLE_LOCAL_TEMP="$W/ansible-tmp"
export ANSIBLE_PIPELINING=1
export ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3

export ANSIBLE_RETRY_FILES_ENABLED=0
export ANSIBLE_NOCOLOR=1
export ANSIBLE_DEPRECATION_WARNINGS=0
export NO_COLOR=1

# The hosts' trees under $ROOT: one line per path with type, mode, link
# target and content hash.
snapshot() {
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort | while read -r p; do
		if [ -L "$p" ]; then echo "$p link $(readlink "$p")"
		elif [ -d "$p" ]; then echo "$p dir $(stat -c %a "$p")"
		else echo "$p file $(stat -c %a "$p") $(sha1sum <"$p" | cut -c1-40)"; fi
	done)
}

die() {
	echo "bench: FAIL: $*" >&2
	exit 1
}

# check_recap OUT H MODE: every one of the H hosts is in the recap with
# no failure; MODE noop also wants changed=0 everywhere.
check_recap() {
	awk -v h="$2" -v mode="$3" '
		/ : ok=[0-9]+ +changed=/ {
			n++
			for (i = 1; i <= NF; i++) {
				split($i, kv, "=")
				if ((kv[1] == "failed" || kv[1] == "unreachable") && kv[2] != 0)
					bad = bad " " $1 ":" $i
				if (mode == "noop" && kv[1] == "changed" && kv[2] != 0)
					bad = bad " " $1 ":" $i
			}
		}
		END {
			if (n != h) { print "recap lists " n " hosts, not " h; exit 1 }
			if (bad != "") { print "recap:" bad; exit 1 }
		}' "$1"
}

# run_one TOOL MODE H RUN: one timed run; appends a line to $RESULTS.
run_one() {
	_tool=$1 _mode=$2 _h=$3 _run=$4
	_out=$W/out.$_tool.$_mode _err=$W/err.$_tool.$_mode
	_inv=$W/sshd-$_h/inventory
	case $_mode in
	apply|plan) rm -rf "$ROOT"; mkdir -p "$ROOT" ;;
	esac
	case $_tool.$_mode in
	tend.plan) set -- "$TEND" plan ;;
	tend.*) set -- "$TEND" apply ;;
	ansible.plan) set -- ansible-playbook --check ;;
	ansible.*) set -- ansible-playbook ;;
	esac
	case $_tool in
	tend)
		rm -f "$W/state.db"
		set -- "$@" "$PLAYBOOK" -i "$_inv" -e "bench_root=$ROOT" \
			-f "$_h" --stats --no-color --state "$W/state.db"
		;;
	ansible)
		_cp=$W/cp.$_h.$_run.$_mode
		mkdir -p "$_cp"
		ANSIBLE_CP_DIRS="$ANSIBLE_CP_DIRS $_cp"
		export ANSIBLE_SSH_CONTROL_PATH_DIR="$_cp"
		set -- "$@" "$PLAYBOOK" -i "$_inv" -e "bench_root=$ROOT" \
			-f "$_h"
		;;
	esac
	_t0=$(now_ns)
	set +e
	"$GNU_TIME" -f %M -o "$W/rss" "$@" >"$_out" 2>"$_err"
	_rc=$?
	set -e
	_t1=$(now_ns)
	[ "$_tool" = ansible ] && close_masters "$_cp"
	if [ "$_rc" != 0 ]; then
		tail -n 30 "$_out" "$_err" >&2
		die "$_tool $_mode on $_h hosts exited $_rc"
	fi
	if [ "$_tool.$_mode" = tend.plan ]; then
		grep -q "^Plan: .* on $_h hosts\?\.$" "$_out" ||
			{ tail -n 5 "$_out" >&2; die "tend plan: no plan line for $_h hosts"; }
	else
		_why=$(check_recap "$_out" "$_h" "$_mode") ||
			{ tail -n 30 "$_out" >&2; die "$_tool $_mode on $_h hosts: $_why"; }
	fi
	_rt=-
	if [ "$_tool" = tend ]; then
		_rt=$(sed -n 's/^stats: \([0-9]*\) round trips for \([0-9]*\) task results.*/\1 \2/p' "$_err")
		[ -n "$_rt" ] || die "tend printed no --stats line"
	else
		_rt="- -"
	fi
	echo "$_h $_mode $_tool $_run $(((_t1 - _t0) / 1000)) $(tail -n 1 "$W/rss") $_rt" >>"$RESULTS"
	case $_mode in
	apply|noop) snapshot "$ROOT" >"$W/snap.$_tool.$_mode" ;;
	plan)
		[ -z "$(ls -A "$ROOT")" ] ||
			die "$_tool $_mode changed the hosts: $(ls -A "$ROOT" | head -n 3)"
		;;
	esac
}

# same_trees A B WHAT: the snapshots A and B are identical, and list all
# $H host directories.
same_trees() {
	if ! cmp -s "$1" "$2"; then
		diff -u "$1" "$2" | head -n 40 >&2
		die "$3"
	fi
	_n=$(grep -c '^\./h[0-9]* dir ' "$1" || true)
	[ "$_n" = "$H" ] || die "$3: $_n host directories, expected $H"
}

# as Debian's own sshd_config: sftp for ansible's smart transfer method
SSHD_EXTRA_CONFIG="Subsystem sftp /usr/lib/openssh/sftp-server"
FLOOR=$W/floor
for H in $BENCH_HOSTS; do
	say "starting $H sshd hosts"
	sshd_start "$H" "$W/sshd-$H"
	if [ ! -s "$FLOOR" ]; then
		say "measuring the floor on h1"
		"$RTT" "$(sshd_port "$W/sshd-$H" h1)" "$W/sshd-$H/client_key" \
			"$W/sshd-$H/known_hosts" 500 >"$FLOOR" ||
			die "rtt failed"
	fi
	run=1
	while [ "$run" -le "$BENCH_RUNS" ]; do
		if [ $((run % 2)) = 1 ]; then tools="tend ansible"
		else tools="ansible tend"; fi
		say "H=$H run $run/$BENCH_RUNS ($tools)"
		for tool in $tools; do
			run_one "$tool" apply "$H" "$run"
			run_one "$tool" noop "$H" "$run"
			same_trees "$W/snap.$tool.apply" "$W/snap.$tool.noop" \
				"$tool: the no-op apply changed the hosts (H=$H)"
		done
		same_trees "$W/snap.tend.apply" "$W/snap.ansible.apply" \
			"tend and ansible-playbook left different files (H=$H run $run)"
		for tool in $tools; do
			run_one "$tool" plan "$H" "$run"
		done
		run=$((run + 1))
	done
	sshd_stop_all "$W/sshd-$H"
	rm -rf "$W/sshd-$H" "$ROOT"
done

[ -z "${BENCH_RESULTS:-}" ] || cp "$RESULTS" "$BENCH_RESULTS"
[ -z "${BENCH_RESULTS:-}" ] || cp "$FLOOR" "$BENCH_RESULTS.floor"
awk -v floorfile="$FLOOR" -v runs="$BENCH_RUNS" -f "$BENCH_DIR/report.awk" \
	"$RESULTS"
say "identical files on every host after apply, for every run: ok"

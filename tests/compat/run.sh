#!/bin/sh
# The differential compat suite: each case is run by ansible-playbook and
# by `tend apply`, and what they did is compared.
#
#   sh tests/compat/run.sh [CASE_DIR...]    (default: every case)
#
# A case is a directory tests/compat/cases/NAME/ with site.yml (hosts: all,
# gather_facts: false) and whatever it needs beside it (roles/, files/,
# templates/, vars files, task files). Every file it touches is under
# `{{ root }}`, a directory the harness sets per host (an inventory var;
# the directory exists, empty, mode 0755, when the run starts). An
# optional NAME/args holds extra command-line arguments for both tools,
# one a line, as they are (no quoting; empty lines are skipped), e.g.
#   -e
#   @vars.yml
# An optional NAME/env holds environment variables for both tools, one
# VAR=VALUE a line (ANSIBLE_GATHERING=smart); @RUN@ in a value is a
# directory of the tool's own, empty when its apply starts and kept for
# tend's replan (a fact cache: ANSIBLE_CACHE_PLUGIN_CONNECTION=@RUN@/facts).
# A case with a directory NAME/serve/ gets a static HTTP server on a free
# loopback port for its run (python3 -m http.server over that directory),
# its port passed to both tools as `-e http_port=PORT`. A case with a
# script NAME/serve.py gets that server instead (tests/lib/uri-server.py
# behind it, for uri: JSON, forms, redirects, auth ...), run as
# `python3 -u serve.py --unix SOCKET`: it prints http.server's line with
# its port, and listens on the unix socket too, passed as
# `-e http_socket=SOCKET`.
# Both tools run in the case directory, on the same inventory of two hosts
# (group `compat`), once per leg:
#   local  hosts c1, c2 with ansible_connection=local
#   ssh    hosts h1, h2: real sshd hosts on 127.0.0.1 (tests/lib/lib-sshd.sh)
# or only the first of each (c1; h1) for a case named in tests/compat/one-host
# (cases that nothing about the set of hosts reaches: that file says which).
# Over SSH a case runs on h1 alone unless it is named in
# tests/compat/ssh-two-hosts (what a second host adds over SSH that it does
# not add locally: that file says).
# ansible-playbook runs first; its root trees are snapshot and removed, then
# tend runs with the very same roots (so paths in results and file content
# are equal), and its trees are snapshot too.
#
# After tend's apply, `tend plan` runs again on the same hosts: it must find
# nothing to change (no host with drift), except the tasks listed in the
# case's optional NAME/replan-drift ("TASK NAME  # why", one a line: tasks
# that change on every run by design, in Ansible too: COMPAT_DRIFT_FROM_ANSIBLE=1
# writes it from a second ansible-playbook run).
# Compared, per host and in order (tests/compat/compare.py):
#   - every task, loop item and handler that ran: name (as each tool shows
#     it: rendered, docs/plan-format.md) and status (ok,
#     changed, skipped, failed, unreachable). Include, import and meta
#     steps (Ansible reports an include as a task of its own, tend only
#     what it included) are left out on both sides;
#   - the registered value of each (tend: the `result` of each task in
#     `tend apply --format json`; Ansible: the json callback's result, with
#     the `failed: false` the callback drops but `register` stores): every
#     key Ansible gives must be in tend's, equal in value and JSON type,
#     except invocation (Ansible's internal module arguments), action (the
#     callback's), start/end/delta (times), diff (--diff data; the trees are
#     compared instead), src (Ansible's temporary file), md5sum (tend gives
#     the SHA-1 checksum only), backup_file (a time in its name), warnings,
#     deprecations, exception, module_stdout/module_stderr (Python
#     internals), results (a loop's items are compared one by one), the
#     values (not the keys: tend's must have them) of ansible_job_id,
#     results_file and erased (an async job's id, drawn at random by each
#     run, and its file's path, named after it: a case asserts their shape
#     instead, e.g. results_file ends with /ansible_job_id), tempfile's
#     path but for its shape (the same directory and length, differing in
#     one run of eight of [a-z0-9_]: each run draws the name), and the
#     msg of a failure of any module but fail/assert/debug (error wording
#     is each tool's own). Keys only tend gives are not compared. A value
#     that is itself a registered result (a `debug: var=` of one, or the
#     async_result of an async task that ran out of time: a dict with
#     ansible_job_id) is compared by the same rule; the `failed` the json
#     callback drops is any false value (an async start registers
#     `failed: 0`, which a debug of the variable compares exactly); in stat's `stat`, atime, mtime, ctime,
#     inode, dev and version are left out (the two runs make their files
#     at different times; a time a task sets is compared through a debug);
#     a string tend's JSON shows as "<secret>" is not compared (a cookie,
#     a token header: tend never prints one; a case checks such values
#     with an assert that uses them);
#   - each host's recap counts (ok, changed, skipped, failures,
#     unreachable, rescued, ignored: tend's JSON gives them per host),
#     less the includes Ansible counts as ok (steps, as above);
#   - whether the run failed (exit code zero or not);
#   - each host's root tree: every file and directory (the root too) with
#     type, mode, uid:gid, content or link target.
# A tend binary whose JSON has no `result` and `stats` yet (a branch made
# before them) is compared on statuses, exit code and trees only, with a
# note saying so.
# On a difference it prints each one, naming case, leg, host, task number
# and task, and exits 1. The last line is always
#   compat: N cases, M tasks compared, K matched
# (a task is one task, loop item or handler on one host on one leg).
#
# Environment:
#   TEND             the tend binary (default: bin/tend of this checkout)
#   ANSIBLE_PLAYBOOK ansible-playbook to run (default: from PATH)
#   COMPAT_LEGS      legs to run (default "local ssh")
#   COMPAT_KEEP=1    keep the scratch directory and say where it is
#   COMPAT_JOBS      cases run at once (default: the number of CPUs, at
#                    most 4): that many runs of this script, each with its
#                    own scratch directory and sshd hosts, take the cases
#                    one at a time from a shared list (the next free one:
#                    a slow case holds up no other); their lines are
#                    printed run by run and the closing line sums them
#   COMPAT_MORE_AFTER=FILE  only the first of those runs starts at once;
#                    the others wait until FILE exists (make test starts
#                    the suite beside the integration tests, which use
#                    the CPU less than fully, and creates FILE when they
#                    end) or every case is taken
#   COMPAT_FLOORS_OUT=FILE  append "NAME LEG N" (tasks compared) per case
#                    and leg to FILE instead of checking tests/compat/floors
#                    (each case must compare at least the N recorded there:
#                    a case whose tools both stop early would pass having
#                    compared little); sort it into tests/compat/floors
#
# Another branch's binary against these cases, or its cases against this
# harness: TEND=$PWD/bin/tend sh /work/wt-compat/tests/compat/run.sh \
#   tests/compat/cases/NAME

set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
TEND=${TEND:-$TOP/bin/tend}
ANSIBLE_PLAYBOOK=${ANSIBLE_PLAYBOOK:-ansible-playbook}
COMPAT_LEGS=${COMPAT_LEGS:-local ssh}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
case $TEND in /*) ;; *) TEND=$PWD/$TEND ;; esac
[ -x "$TEND" ] || { echo "compat: no tend binary at $TEND (set TEND)" >&2; exit 2; }
command -v "$ANSIBLE_PLAYBOOK" >/dev/null 2>&1 ||
	{ echo "compat: $ANSIBLE_PLAYBOOK not found" >&2; exit 2; }

S=$(mktemp -d "${TMPDIR:-/tmp}/tend-compat.XXXXXX")
T=$S # lib-sshd.sh keeps its hosts under $T
cleanup_hooks=""
on_exit() { cleanup_hooks="$cleanup_hooks $1"; }
cleanup() {
	for h in $cleanup_hooks; do "$h" || true; done
	if [ "${COMPAT_KEEP:-}" = 1 ]; then
		echo "compat: scratch kept in $S"
	else
		chmod -R u+w "$S" 2>/dev/null
		rm -rf "$S"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "${COMPAT_LIST:-}" ]; then # a worker: its cases, one a line
	set --
	while IFS= read -r l; do set -- "$@" "$l"; done <"$COMPAT_LIST"
fi
[ $# -gt 0 ] || set -- "$HERE"/cases/*/

# Several cases at once: deal them out to workers, each this script alone.
jobs=${COMPAT_JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)}
[ "$jobs" -le 4 ] 2>/dev/null || jobs=4
if [ -z "${COMPAT_LIST:-}" ] && [ "$jobs" -gt 1 ] && [ $# -gt 1 ]; then
	mkdir "$S/claims"
	for dir in "$@"; do echo "$dir" >>"$S/cases"; done
	total=$#
	all_taken() { [ "$(ls "$S/claims" | wc -l)" -ge "$total" ]; }
	pids=""
	n=0
	while [ "$n" -lt "$jobs" ]; do
		(
			if [ "$n" -gt 0 ] && [ -n "${COMPAT_MORE_AFTER:-}" ]; then
				until [ -e "$COMPAT_MORE_AFTER" ] || all_taken; do
					sleep 1
				done
			fi
			all_taken && exit 0
			COMPAT_CLAIMS=$S/claims COMPAT_LIST=$S/cases sh "$0" \
				>"$S/out.$n" 2>&1
		) &
		pids="$pids $!"
		n=$((n + 1))
	done
	for p in $pids; do wait "$p"; done
	ncases=0 ntasks=0 nmatched=0 failed=""
	for out in "$S"/out.*; do
		[ -e "$out" ] || continue # a run that found every case taken
		grep -v '^compat: [0-9]* cases, \|^compat: failed:' "$out"
		set -- $(sed -n 's/^compat: \([0-9]*\) cases, \([0-9]*\) tasks compared, \([0-9]*\) matched$/\1 \2 \3/p' "$out")
		if [ $# -ne 3 ]; then
			failed="$failed (a worker ended without its closing line)"
			continue
		fi
		ncases=$((ncases + $1)) ntasks=$((ntasks + $2)) nmatched=$((nmatched + $3))
		f=$(sed -n 's/^compat: failed://p' "$out")
		[ -z "$f" ] || failed="$failed$f"
	done
	# every case ran: a worker that lost its output (or never ran) must
	# not pass as "0 cases"
	[ "$ncases" -eq "$total" ] ||
		failed="$failed (only $ncases of $total cases reported)"
	[ -n "$failed" ] && echo "compat: failed:$failed"
	echo "compat: $ncases cases, $ntasks tasks compared, $nmatched matched"
	[ -z "$failed" ]
	exit
fi
export NO_COLOR=1 XDG_STATE_HOME="$S/state" XDG_CONFIG_HOME="$S/config"
mkdir -p "$S/ahome" "$S/atmp" "$S/rtmp" "$S/state" "$S/config"
: >"$S/ansible.cfg"

# The inventory of leg $1 on file $2: hosts with their root vars; only the
# first host when $3 is 1.
write_inventory() {
	{
		echo "[compat]"
		case $1 in
		local)
			for h in $(leg_hosts "$1" "${3:-2}"); do
				echo "$h ansible_connection=local root=$S/roots/$h"
			done
			;;
		ssh)
			for h in $(leg_hosts "$1" "${3:-2}"); do
				printf '%s ansible_host=127.0.0.1 ansible_port=%s' \
					"$h" "$(sshd_port "$S/sshd" "$h")"
				printf ' ansible_user=%s' "$(id -un)"
				printf ' ansible_ssh_private_key_file=%s' \
					"$S/sshd/client_key"
				printf ' tend_known_hosts=%s' "$S/sshd/known_hosts"
				echo " root=$S/roots/$h"
			done
			echo
			echo "[all:vars]"
			echo "ansible_ssh_common_args='-o UserKnownHostsFile=$S/sshd/known_hosts -o StrictHostKeyChecking=yes'"
			;;
		esac
	} >"$2"
}

# The hosts of leg $1: both, or the first only when $2 (or $NHOSTS) is 1.
leg_hosts() {
	case $1:${2:-${NHOSTS:-2}} in
	local:1) echo "c1" ;; local:*) echo "c1 c2" ;;
	ssh:1) echo "h1" ;; ssh:*) echo "h1 h2" ;;
	esac
}

fresh_roots() {
	rm -rf "$S/roots"
	for h in $(leg_hosts "$1"); do
		mkdir -p "$S/roots/$h"
		chmod 0755 "$S/roots/$h"
	done
}

snap_roots() { # LEG SIDE DIR
	mkdir -p "$3/$2"
	for h in $(leg_hosts "$1"); do
		"$PY" "$HERE/compare.py" snapshot "$S/roots/$h" "$3/$2/$h"
	done
}

# case_env CASE SIDE: export the case's env file, @RUN@ as SIDE's
# directory (in a subshell of run_tool).
case_env() {
	[ -f "$1/env" ] || return 0
	while IFS= read -r kv || [ -n "$kv" ]; do
		[ -n "$kv" ] || continue
		v=$(printf '%s\n' "${kv#*=}" | sed "s|@RUN@|$S/env/$2|g")
		export "${kv%%=*}=$v"
	done <"$1/env"
}

# run_tool ansible|tend CASE INVENTORY OUT: the tool's stdout in OUT, its
# stderr in OUT.err, its exit code in OUT.rc. A function of its own so
# that the case's args can become its positional parameters.
run_tool() {
	tool=$1 dir=$2 inv=$3 out=$4
	set --
	if [ -f "$dir/args" ]; then
		while IFS= read -r a || [ -n "$a" ]; do
			[ -n "$a" ] && set -- "$@" "$a"
		done <"$dir/args"
	fi
	[ -n "${http_port:-}" ] && set -- "$@" -e "http_port=$http_port"
	[ -n "${http_socket:-}" ] && set -- "$@" -e "http_socket=$http_socket"
	case $tool in
	ansible|tend)
		rm -rf "$S/env/$tool"
		mkdir -p "$S/env/$tool"
		;;
	esac
	case $tool in
	ansible)
		(cd "$dir" && case_env "$dir" ansible && env ANSIBLE_CONFIG="$S/ansible.cfg" \
			ANSIBLE_HOME="$S/ahome" ANSIBLE_LOCAL_TEMP="$S/atmp" \
			ANSIBLE_REMOTE_TEMP="$S/rtmp" \
			ANSIBLE_STDOUT_CALLBACK=json ANSIBLE_RETRY_FILES_ENABLED=0 \
			ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 \
			ANSIBLE_NOCOLOR=1 ANSIBLE_DEPRECATION_WARNINGS=0 \
			ANSIBLE_SSH_PIPELINING=1 ANSIBLE_SSH_TRANSFER_METHOD=piped \
			"$ANSIBLE_PLAYBOOK" -i "$inv" "$@" site.yml) \
			>"$out" 2>"$out.err"
		;;
	tend)
		(cd "$dir" && case_env "$dir" tend &&
			"$TEND" apply --format json -i "$inv" "$@" \
			site.yml) >"$out" 2>"$out.err"
		;;
	replan)
		(cd "$dir" && case_env "$dir" tend &&
			"$TEND" plan --format json -i "$inv" "$@" \
			site.yml) >"$out" 2>"$out.err" </dev/null
		;;
	esac
	echo $? >"$out.rc"
}

# drift_from_ansible CASE LEG W: ansible-playbook once more on the hosts it
# just converged; the tasks it changes again go to CASE/replan-drift (the
# tasks that change on every run by design, which the replan check lets
# pass). Run by hand (COMPAT_DRIFT_FROM_ANSIBLE=1) when a case is written.
drift_from_ansible() {
	run_tool ansible "$1" "$S/inventory.$2$inv_sfx" "$3/ansible2.json"
	"$PY" - "$3/ansible2.json" "$1/replan-drift" <<'PYEOF'
import json, os, sys
with open(sys.argv[1]) as f:
    doc = json.load(f)
names = set()
for p in doc["plays"]:
    for t in p["tasks"]:
        for r in t["hosts"].values():
            if r.get("changed"):
                names.add(t["task"]["name"])
old = set()
if os.path.exists(sys.argv[2]):
    with open(sys.argv[2]) as f:
        old = {l.split("#", 1)[0].strip() for l in f} - {""}
names |= old
if names:
    with open(sys.argv[2], "w") as f:
        for n in sorted(names):
            f.write("%s  # changes on ansible-playbook's second run too\n" % n)
PYEOF
}

# serve_start DIR: a static HTTP server over DIR; sets http_port, serve_pid.
# serve_start --script FILE: FILE's own server, on a unix socket too
# (sets http_socket).
serve_start() {
	: >"$S/serve.log"
	if [ "$1" = --script ]; then
		http_socket=$S/http.sock
		"$PY" -u "$2" --unix "$http_socket" >"$S/serve.log" 2>&1 &
	else
		"$PY" -u -m http.server --bind 127.0.0.1 --directory "$1" 0 \
			>"$S/serve.log" 2>&1 &
	fi
	serve_pid=$!
	http_port=
	for _ in $(seq 100); do
		http_port=$(sed -n 's/.* port \([0-9][0-9]*\) .*/\1/p' \
			"$S/serve.log")
		[ -n "$http_port" ] && return 0
		sleep 0.1
	done
	echo "compat: cannot start the HTTP server" >&2
	return 1
}
serve_stop() {
	[ -n "${serve_pid:-}" ] && kill "$serve_pid" 2>/dev/null
	[ -n "${serve_pid:-}" ] && wait "$serve_pid" 2>/dev/null
	serve_pid= http_port= http_socket=
	return 0
}
on_exit serve_stop

# A case's floor (tests/compat/floors, "NAME LEG N"): it must compare at
# least N tasks on that leg, so that a case whose tools both stop early
# (and agree on it) cannot pass by comparing little. COMPAT_FLOORS_OUT=FILE
# writes each case's count there instead, to record new floors.
floor_check() {
	if [ -n "${COMPAT_FLOORS_OUT:-}" ]; then
		echo "$1 $2 ${3:-0}" >>"$COMPAT_FLOORS_OUT"
		return 0
	fi
	want=$(awk -v n="$1" -v l="$2" '$1 == n && $2 == l { print $3 }' \
		"$HERE/floors" 2>/dev/null)
	[ -z "$want" ] && return 0
	[ "${3:-0}" -ge "$want" ] && return 0
	echo "$1/$2: compared ${3:-0} tasks, fewer than the $want of" \
		"tests/compat/floors (did both tools stop early?)"
	return 1
}

ncases=0 ntasks=0 nmatched=0 failed=""
for leg in $COMPAT_LEGS; do
	case $leg in
	local) ;;
	ssh)
		. "$TOP/tests/lib/lib-sshd.sh"
		sshd_start 2 "$S/sshd" >/dev/null ||
			{ echo "compat: cannot start sshd hosts" >&2; exit 2; }
		;;
	*) echo "compat: unknown leg '$leg'" >&2; exit 2 ;;
	esac
	write_inventory "$leg" "$S/inventory.$leg"
	write_inventory "$leg" "$S/inventory.$leg.1" 1
done

for dir in "$@"; do
	arg=$dir
	dir=$(cd "$arg" 2>/dev/null && pwd) ||
		{ echo "compat: no case directory '$arg'" >&2; exit 2; }
	name=$(basename "$dir")
	# a run of several: the case is this run's if it takes it first
	if [ -n "${COMPAT_CLAIMS:-}" ]; then
		mkdir "$COMPAT_CLAIMS/$name" 2>/dev/null || continue
	fi
	if [ ! -f "$dir/site.yml" ]; then
		echo "compat: $name: no site.yml" >&2
		exit 2
	fi
	ncases=$((ncases + 1))
	case_ok=1
	case_start=$(date +%s)
	# one host per leg, or two (tests/compat/one-host); over SSH one
	# unless the case is in tests/compat/ssh-two-hosts
	one_host=0 ssh_two=0 hosts_said=
	grep -qx "$name" "$HERE/one-host" && one_host=1
	grep -qx "$name" "$HERE/ssh-two-hosts" && ssh_two=1
	if [ -f "$dir/serve.py" ]; then
		serve_start --script "$dir/serve.py" || exit 2
	elif [ -d "$dir/serve" ]; then
		serve_start "$dir/serve" || exit 2
	fi
	for leg in $COMPAT_LEGS; do
		w=$S/run/$name/$leg
		mkdir -p "$w"
		NHOSTS=2 inv_sfx=
		if [ "$one_host" = 1 ] ||
			{ [ "$leg" = ssh ] && [ "$ssh_two" = 0 ]; }; then
			NHOSTS=1 inv_sfx=.1
		fi
		hosts_said="$hosts_said${hosts_said:+, }$leg $NHOSTS"
		fresh_roots "$leg"
		run_tool ansible "$dir" "$S/inventory.$leg$inv_sfx" "$w/ansible.json"
		snap_roots "$leg" ansible "$w/snap"
		[ "${COMPAT_DRIFT_FROM_ANSIBLE:-}" = 1 ] &&
			drift_from_ansible "$dir" "$leg" "$w"
		fresh_roots "$leg"
		run_tool tend "$dir" "$S/inventory.$leg$inv_sfx" "$w/tend.json"
		snap_roots "$leg" tend "$w/snap"
		# after the apply, a plan finds nothing left to change
		run_tool replan "$dir" "$S/inventory.$leg$inv_sfx" "$w/replan.json"
		if ! "$PY" "$HERE/compare.py" replan "$name/$leg" \
			"$w/replan.json" "$dir/replan-drift" >"$w/replan" 2>&1; then
			case_ok=0
			cat "$w/replan"
		fi
		"$PY" "$HERE/compare.py" "$name/$leg" "$w/ansible.json" \
			"$(cat "$w/ansible.json.rc")" "$w/tend.json" \
			"$(cat "$w/tend.json.rc")" "$w/snap" >"$w/compare" 2>&1
		rc=$?
		counts=$(sed -n 's/^compared \([0-9]*\) matched \([0-9]*\)$/\1 \2/p' \
			"$w/compare")
		if [ -n "$counts" ]; then
			ntasks=$((ntasks + ${counts% *}))
			nmatched=$((nmatched + ${counts#* }))
		fi
		floor_check "$name" "$leg" "${counts% *}" || case_ok=0
		grep ': note: ' "$w/compare"
		if [ "$rc" != 0 ]; then
			case_ok=0
			grep -v '^compared \|: note: ' "$w/compare"
			echo "    (ansible-playbook exit $(cat "$w/ansible.json.rc"), stderr:"
			sed 's/^/    | /' "$w/ansible.json.err" | tail -n 5
			echo "     tend exit $(cat "$w/tend.json.rc"), stderr:"
			sed 's/^/    | /' "$w/tend.json.err" | tail -n 5
			echo "    )"
		fi
	done
	took="($(($(date +%s) - case_start)) s; hosts: $hosts_said)"
	if [ "$case_ok" = 1 ]; then
		echo "ok   $name $took"
	else
		echo "FAIL $name $took"
		failed="$failed $name"
	fi
	serve_stop
	[ "${COMPAT_KEEP:-}" = 1 ] || rm -rf "$S/run/$name" "$S/roots"
done

[ -n "$failed" ] && echo "compat: failed:$failed"
echo "compat: $ncases cases, $ntasks tasks compared, $nmatched matched"
[ -z "$failed" ]

#!/bin/sh
# make test: unit tests, integration tests, the system tests (t4NNN, real
# containers: tests/run-system.sh), the compat suite, then one closing line.
# The unit binaries are the arguments; the integration tests run
# $TEND_ASAN (the sanitized build) when it is set, else $TEND; the system
# and compat tests run $TEND.
#
# The system tests wait mostly on containers (LXD, the disk, the mirror),
# the other suites on the CPU, so they run beside them from the start:
# first the container image (built once per machine, cached outside the
# checkout; run-system.sh waits for it, the build holds a lock), then the
# system tests. Their lines are printed after the others'.
# The integration tests keep the CPU busy only in part (many wait on
# daemons, timers and sshd): the compat suite starts beside them with one
# of its runs, and takes its others once they end (COMPAT_MORE_AFTER in
# tests/compat/run.sh). Its lines follow the integration tests'.
out=$(mktemp); sys=$(mktemp); systime=$(mktemp)
cmp=$(mktemp); cmptime=$(mktemp); more=$(mktemp -u)
trap 'rm -f "$out" "$sys" "$systime" "$cmp" "$cmptime" "$more"' EXIT
(s=$(date +%s); sh tests/run-system.sh >"$sys" 2>&1
echo $(($(date +%s) - s)) >"$systime") &
t0=$(date +%s)
sh tests/run-unit.sh "$@" | tee "$out"
t1=$(date +%s)
(COMPAT_MORE_AFTER=$more sh tests/compat/run.sh >"$cmp" 2>&1
echo $(($(date +%s) - t1)) >"$cmptime") &
cmppid=$!
TEND=${TEND_ASAN:-$TEND} sh tests/run-integration.sh | tee -a "$out"
t2=$(date +%s)
: >"$more"
wait "$cmppid"
t3=$(date +%s)
tee -a "$out" <"$cmp"
wait
tee -a "$out" <"$sys"
# (the exit code of a pipeline is tee's: the summary lines say)
c=0
grep -q '^compat: [0-9]* cases' "$out" && ! grep -q '^compat: failed:' "$out" ||
	c=1
sum() { sed -n "s/^$1: \([0-9]*\) passed, \([0-9]*\) failed.*/\\$2/p" "$out"; }
p=$(( $(sum unit 1) + $(sum integration 1) + $(sum system 1) ))
f=$(( $(sum unit 2) + $(sum integration 2) + $(sum system 2) ))
echo "$p passed, $f failed"
# how long each part took (.ci/run repeats this line at the end of its run)
secs() { v=$(cat "$1" 2>/dev/null); echo "${v:-?}"; }
echo "times: unit $((t1 - t0)) s, integration $((t2 - t1)) s," \
	"compat $(secs "$cmptime") s (from the integration tests' start;" \
	"$((t3 - t2)) s after them), system $(secs "$systime") s (beside" \
	"them, the image included), in all $(($(date +%s) - t0)) s"
# a compat case that differs fails the whole run
[ "$f" -eq 0 ] && [ "$p" -gt 0 ] && [ "$c" -eq 0 ]

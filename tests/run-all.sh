#!/bin/sh
# make test: unit tests, integration tests, the system tests (t4NNN, real
# containers: tests/run-system.sh), the compat suite, then one closing line.
# The unit binaries are the arguments; the integration tests run
# $TEND_ASAN (the sanitized build) when it is set, else $TEND; the system
# and compat tests run $TEND.
out=$(mktemp); img=$(mktemp); trap 'rm -f "$out" "$img" "$imgt"' EXIT
# The system tests' container image (once per machine, cached outside the
# checkout) builds meanwhile: mostly debootstrap waiting on the mirror and
# the disk. run-system.sh then waits for it (the build holds a lock) and
# says why if it failed.
imgt=$(mktemp)
(s=$(date +%s); TOP=$PWD; . tests/lib/lib-container.sh; ct_image_build
echo $(($(date +%s) - s)) >"$imgt") >/dev/null 2>"$img" &
t0=$(date +%s)
sh tests/run-unit.sh "$@" | tee "$out"; u=$?
t1=$(date +%s)
TEND=${TEND_ASAN:-$TEND} sh tests/run-integration.sh | tee -a "$out"; i=$?
t2=$(date +%s)
wait
sed 's/^/(image build) /' "$img"
# The system tests wait mostly on containers (LXD, the disk), the compat
# suite on the CPU: they run side by side, the system tests' lines after.
sys=$(mktemp)
systime=$(mktemp); trap 'rm -f "$out" "$img" "$sys" "$imgt" "$systime"' EXIT
(s=$(date +%s); sh tests/run-system.sh >"$sys" 2>&1
echo $(($(date +%s) - s)) >"$systime") &
t3=$(date +%s)
sh tests/compat/run.sh | tee -a "$out"
t4=$(date +%s)
wait
tee -a "$out" <"$sys"
# (the exit code of a pipeline is tee's: the compat lines say)
c=0
grep -q '^compat: [0-9]* cases' "$out" && ! grep -q '^compat: failed:' "$out" ||
	c=1
sum() { sed -n "s/^$1: \([0-9]*\) passed, \([0-9]*\) failed.*/\\$2/p" "$out"; }
p=$(( $(sum unit 1) + $(sum integration 1) + $(sum system 1) ))
f=$(( $(sum unit 2) + $(sum integration 2) + $(sum system 2) ))
echo "$p passed, $f failed"
# how long each part took (.ci/run repeats this line at the end of its run)
secs() { v=$(cat "$1" 2>/dev/null); echo "${v:-?}"; }
echo "times: unit $((t1 - t0)) s, integration $((t2 - t1)) s, image $(secs "$imgt") s" \
	"(beside them), system $(secs "$systime") s, compat $((t4 - t3)) s (side by side)," \
	"in all $(($(date +%s) - t0)) s"
# a compat case that differs fails the whole run
[ "$f" -eq 0 ] && [ "$p" -gt 0 ] && [ "$c" -eq 0 ]

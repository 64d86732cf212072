#!/bin/sh
# make test: unit tests, integration tests, the system tests (t4NNN, real
# containers: tests/run-system.sh), the compat suite, then one closing line.
out=$(mktemp); img=$(mktemp); trap 'rm -f "$out" "$img"' EXIT
# The system tests' container image (once per machine, cached outside the
# checkout) builds meanwhile: mostly debootstrap waiting on the mirror and
# the disk. run-system.sh then waits for it (the build holds a lock) and
# says why if it failed.
(TOP=$PWD; . tests/lib/lib-container.sh; ct_image_build) >/dev/null 2>"$img" &
sh tests/run-unit.sh "$@" | tee "$out"; u=$?
sh tests/run-integration.sh | tee -a "$out"; i=$?
wait
sed 's/^/(image build) /' "$img"
# The system tests wait mostly on containers (LXD, the disk), the compat
# suite on the CPU: they run side by side, the system tests' lines after.
sys=$(mktemp); trap 'rm -f "$out" "$img" "$sys"' EXIT
sh tests/run-system.sh >"$sys" 2>&1 &
sh tests/compat/run.sh | tee -a "$out"
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
# a compat case that differs fails the whole run
[ "$f" -eq 0 ] && [ "$p" -gt 0 ] && [ "$c" -eq 0 ]

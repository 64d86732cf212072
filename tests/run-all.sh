#!/bin/sh
# make test: unit tests, integration tests, the system tests (t4NNN, real
# containers: tests/run-system.sh), the compat suite, then one closing line.
out=$(mktemp); trap 'rm -f "$out"' EXIT
sh tests/run-unit.sh "$@" | tee "$out"; u=$?
sh tests/run-integration.sh | tee -a "$out"; i=$?
sh tests/run-system.sh | tee -a "$out"
sh tests/compat/run.sh | tee -a "$out"
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

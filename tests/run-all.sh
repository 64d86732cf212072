#!/bin/sh
# make test: unit tests, then integration tests, then one closing line.
out=$(mktemp); trap 'rm -f "$out"' EXIT
sh tests/run-unit.sh "$@" | tee "$out"; u=$?
sh tests/run-integration.sh | tee -a "$out"; i=$?
sum() { sed -n "s/^$1: \([0-9]*\) passed, \([0-9]*\) failed.*/\\$2/p" "$out"; }
p=$(( $(sum unit 1) + $(sum integration 1) ))
f=$(( $(sum unit 2) + $(sum integration 2) ))
echo "$p passed, $f failed"
[ "$f" -eq 0 ] && [ "$p" -gt 0 ]

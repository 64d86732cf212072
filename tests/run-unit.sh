#!/bin/sh
# Run each cmocka unit-test binary; print a closing "N passed, N failed".
# UNIT_JOBS of them run at once (default 4: some wait on sshd, timers and
# child processes far more than they compute, test_transport_ssh 30 s for
# 4 CPU-s); their outputs are printed in the order given.
: "${UNIT_JOBS:=4}"
# One binary, as a worker: its output in $RUN_ONE/N.out, its code in N.rc.
if [ -n "${RUN_ONE:-}" ]; then
	"$2" >"$RUN_ONE/$1.out" 2>&1
	echo $? >"$RUN_ONE/$1.rc"
	exit 0
fi
res=$(mktemp -d)
trap 'rm -rf "$res"' EXIT
i=0
for t in "$@"; do
	i=$((i + 1))
	printf '%s %s\n' "$i" "$t"
done >"$res/list"
# (the binaries' paths are this checkout's: no blank or quote in them)
RUN_ONE=$res xargs -P "$UNIT_JOBS" -n 2 sh "$0" <"$res/list"
passed=0 failed=0
while read -r i t; do
	out=$(cat "$res/$i.out"); rc=$(cat "$res/$i.rc" 2>/dev/null || echo 1)
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	if [ "$rc" -ne 0 ] && [ -z "$f" ]; then failed=$((failed + 1)); fi
done <"$res/list"
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

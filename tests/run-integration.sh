#!/bin/sh
# Run every tests/integration/tNNNN-*.sh; each exits 0 on success.
# Set T=PATTERN to run a subset. Output of failing tests is shown.
# The system tests (t4NNN, real containers) run only when T names them or
# from tests/run-system.sh (SUITE=system: their own summary line, and the
# time each test took).
: "${TEND:?TEND must point at the tend binary}"
export TEND
dir=$(cd "$(dirname "$0")" && pwd)
passed=0 failed=0 failures=""
for t in "$dir"/integration/t[0-9][0-9][0-9][0-9]-*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
	case "$name" in ${T:-*}) ;; *) continue ;; esac
	case "$name" in t4[0-9][0-9][0-9]-*) [ -n "${T:-}" ] || continue ;; esac
	log=$(mktemp)
	start=$(date +%s) took=
	if sh "$t" >"$log" 2>&1; then
		[ "${SUITE:-}" = system ] && took=" ($(($(date +%s) - start)) s)"
		passed=$((passed + 1)); echo "ok   $name$took"
	else
		[ "${SUITE:-}" = system ] && took=" ($(($(date +%s) - start)) s)"
		failed=$((failed + 1)); echo "FAIL $name$took"; failures="$failures $name"
		sed 's/^/    | /' "$log" | tail -n 60
	fi
	rm -f "$log"
done
[ -n "$failures" ] && echo "failed:$failures"
echo "${SUITE:-integration}: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

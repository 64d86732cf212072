#!/bin/sh
# Run every tests/integration/tNNNN-*.sh; each exits 0 on success.
# Set T=PATTERN to run a subset. Output of failing tests is shown.
: "${TEND:?TEND must point at the tend binary}"
export TEND
dir=$(cd "$(dirname "$0")" && pwd)
passed=0 failed=0 failures=""
for t in "$dir"/integration/t[0-9][0-9][0-9][0-9]-*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
	case "$name" in ${T:-*}) ;; *) continue ;; esac
	log=$(mktemp)
	if sh "$t" >"$log" 2>&1; then
		passed=$((passed + 1)); echo "ok   $name"
	else
		failed=$((failed + 1)); echo "FAIL $name"; failures="$failures $name"
		sed 's/^/    | /' "$log" | tail -n 60
	fi
	rm -f "$log"
done
[ -n "$failures" ] && echo "failed:$failures"
echo "integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

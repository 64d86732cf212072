#!/bin/sh
# Run every tests/integration/tNNNN-*.sh; each exits 0 on success.
# Set T=PATTERN to run a subset. Output of failing tests is shown.
# The system tests (t4NNN, real containers) run only when T names them or
# from tests/run-system.sh (SUITE=system: their own summary line, and the
# time each test took; SYSTEM_JOBS of them at once, default 2: they wait
# mostly on their containers, each has its own, and one LXD serves all).
#
# Each test has its own scratch directory, state DB and ports, so
# INTEGRATION_JOBS of them (default: the CPU count, at most 4) run at
# once; those that measure time or wait on timers of their own (SERIAL
# below) run alone afterwards, so that a loaded machine does not fail
# them. Results are printed in the tests' order.
: "${TEND:?TEND must point at the tend binary}"
export TEND
dir=$(cd "$(dirname "$0")" && pwd)

# One test, as a worker: its log, exit code and time under $RUN_ONE.
if [ -n "${RUN_ONE:-}" ]; then
	name=$(basename "$1" .sh)
	start=$(date +%s)
	# (stdin is not the caller's: the list of tests may be on it)
	sh "$1" >"$RUN_ONE/$name.log" 2>&1 </dev/null
	echo $? >"$RUN_ONE/$name.rc"
	# the CPU it used (user + system, of what it waited for: not of
	# daemons it left running), from `times`' second line: "0m1.5s 0m0.2s"
	# (`times` in this shell: in a $(...) it would count the subshell's)
	times >"$RUN_ONE/$name.cpu"
	cpu=$(sed -n 2p "$RUN_ONE/$name.cpu" | awk '{ n = 0
		for (i = 1; i <= 2; i++) { split($i, p, "m"); n += p[1] * 60 + p[2] }
		printf "%d", n + 0.5 }')
	echo "$(($(date +%s) - start)) s, ${cpu:-?} cpu-s" >"$RUN_ONE/$name.time"
	exit 0
fi

SERIAL='t1002-* t2005-* t2121-* t2141-* t2184-* t2231-* t2244-* t3032-* t6008-*
	t601[0-3]-* t7002-*'
serial() {
	set -f # the patterns are not globbed against the directory
	for _p in $SERIAL; do
		case "$1" in $_p) set +f; return 0 ;; esac
	done
	set +f
	return 1
}
jobs=${INTEGRATION_JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)}
[ "$jobs" -le 4 ] 2>/dev/null || jobs=4
[ "${SUITE:-}" = system ] && jobs=${SYSTEM_JOBS:-2}
res=$(mktemp -d)
trap 'rm -rf "$res"' EXIT
: >"$res/all" ; : >"$res/par"; : >"$res/ser"
for t in "$dir"/integration/t[0-9][0-9][0-9][0-9]-*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
	case "$name" in ${T:-*}) ;; *) continue ;; esac
	case "$name" in t4[0-9][0-9][0-9]-*) [ -n "${T:-}" ] || continue ;; esac
	echo "$t" >>"$res/all"
	if serial "$name"; then echo "$t" >>"$res/ser"; else echo "$t" >>"$res/par"; fi
done
if [ "$jobs" -gt 1 ]; then
	# (test paths hold no newline or quote: they are this checkout's)
	RUN_ONE=$res xargs -P "$jobs" -n 1 sh "$0" <"$res/par"
	while IFS= read -r t; do RUN_ONE=$res sh "$0" "$t"; done <"$res/ser"
fi
passed=0 failed=0 failures=""
while IFS= read -r t; do
	name=$(basename "$t" .sh)
	[ "$jobs" -gt 1 ] || RUN_ONE=$res sh "$0" "$t"
	took=" ($(cat "$res/$name.time" 2>/dev/null))"
	if [ "$(cat "$res/$name.rc" 2>/dev/null)" = 0 ]; then
		passed=$((passed + 1)); echo "ok   $name$took"
	else
		failed=$((failed + 1)); echo "FAIL $name$took"; failures="$failures $name"
		sed 's/^/    | /' "$res/$name.log" | tail -n 60
	fi
done <"$res/all"
[ -n "$failures" ] && echo "failed:$failures"
echo "${SUITE:-integration}: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

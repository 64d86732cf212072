#!/bin/sh
# make fuzz: run.sh BINDIR SECONDS NAME...
#
# For each harness NAME: replay every input in tests/fuzz/regress/NAME/
# (past crashes, which must stay fixed), then fuzz for SECONDS on a copy of
# tests/fuzz/corpus/NAME/ in a scratch directory, with
# tests/fuzz/dict/NAME.dict if there is one. Nothing is written into the
# repository. A crash, leak, sanitizer report or timeout fails the run;
# the reproducer is kept and its path printed, with the command that
# replays it. FUZZ_JOBS harnesses run at once (default: the CPU count, at
# most 4; each is one process on one core); their output is printed
# harness by harness.
bindir=$1 seconds=$2
shift 2
case $bindir in /*) ;; *) bindir=$(pwd)/$bindir ;; esac
work=$(mktemp -d "${TMPDIR:-/tmp}/tend-fuzz-run.XXXXXX")
failed="" summary=""

# One harness: its output in $work/NAME.out, its summary line in
# $work/NAME.sum, and $work/NAME.failed when it failed.
fuzz_one() {
	name=$1
	bin=$bindir/fuzz_$name
	dir=$work/$name
	mkdir -p "$dir/corpus" "$dir/crash"
	if [ -d "tests/fuzz/corpus/$name" ]; then
		cp -R "tests/fuzz/corpus/$name/." "$dir/corpus/"
	fi
	set --
	for f in tests/fuzz/regress/"$name"/*; do
		[ -f "$f" ] && set -- "$@" "$f"
	done
	if [ $# -gt 0 ] && ! "$bin" -runs=1 "$@" >"$dir/regress.log" 2>&1; then
		cat "$dir/regress.log"
		echo "fuzz: $name: a regression input fails again (above)" >&2
		: >"$work/$name.failed"
		echo "$name - REGRESSED" >"$work/$name.sum"
		return
	fi
	dict=
	[ -f "tests/fuzz/dict/$name.dict" ] && dict=-dict=tests/fuzz/dict/$name.dict
	echo "fuzz: $name for ${seconds}s (regress: $# inputs)"
	# -close_fd_mask=2: the library's own messages on stderr would slow
	# the run; libFuzzer and the sanitizers keep a copy of stderr for
	# their reports, and a failure is replayed in full below.
	# -report_slow_units: libFuzzer writes an input that took 10 s of
	# wall time to the crash directory, which fails the run; beside the
	# tests at nice 10 a harness gets a tenth of a core, so an input of
	# one CPU-second did (CI, stop 28: a seed with vault and groupby took
	# 11 s there, 1.7 s alone). Only the time-out (wall time too, set
	# high in CI) counts.
	nice -n "${FUZZ_NICE:-0}" "$bin" -max_total_time="$seconds" \
		-timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb=2048 \
		-report_slow_units="${FUZZ_TIMEOUT:-10}" \
		-print_final_stats=1 -close_fd_mask=2 $dict \
		-artifact_prefix="$dir/crash/" "$dir/corpus" >"$dir/fuzz.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/fuzz.log")
	repro=$(ls "$dir/crash/" 2>/dev/null | head -n 1)
	if [ $rc -ne 0 ] || [ -n "$repro" ]; then
		tail -n 60 "$dir/fuzz.log"
		if [ -n "$repro" ]; then
			echo "fuzz: $name FAILED; reproducer: $dir/crash/$repro"
			echo "fuzz: replay: $bin '$dir/crash/$repro'"
			"$bin" "$dir/crash/$repro" 2>&1 | tail -n 40
		else
			echo "fuzz: $name FAILED (exit $rc); log: $dir/fuzz.log"
		fi
		: >"$work/$name.failed"
		echo "$name ${execs:-?} FAILED" >"$work/$name.sum"
		return
	fi
	echo "$name ${execs:-?} ok" >"$work/$name.sum"
	rm -rf "$dir"
}

jobs=${FUZZ_JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)}
[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1
[ "$jobs" -le 4 ] || jobs=4
names="$*"
set -- $names
while [ $# -gt 0 ]; do
	batch="" n=0
	while [ $# -gt 0 ] && [ "$n" -lt "$jobs" ]; do
		batch="$batch $1"
		shift
		n=$((n + 1))
	done
	for name in $batch; do
		fuzz_one "$name" >"$work/$name.out" 2>&1 &
	done
	wait
done
for name in $names; do
	cat "$work/$name.out"
	summary="$summary$(cat "$work/$name.sum")
"
	[ -e "$work/$name.failed" ] && failed="$failed $name"
	rm -f "$work/$name.out" "$work/$name.sum"
done

printf '%s' "$summary" | awk 'BEGIN { printf "%-18s %12s  %s\n", "harness", "executions", "result" }
	{ printf "%-18s %12s  %s\n", $1, $2, $3 }'
if [ -n "$failed" ]; then
	echo "fuzz: failed:$failed (reproducers kept under $work)" >&2
	exit 1
fi
rmdir "$work" 2>/dev/null
echo "fuzz: every harness ran clean"

#!/bin/sh
# Each class of bad input gets file:line:col, what was expected, exit 1,
# and no host is touched. Fixtures: tests/fixtures/bad/*.bad.yml with the
# expected message in *.bad.yml.err (one fixed string per line).
. "$(dirname "$0")/../lib/lib-test.sh"
n=0
for f in "$TOP"/tests/fixtures/bad/*.bad.yml; do
	n=$((n + 1))
	cp "$f" "$T/pb.yml"
	run_tend 1 validate "$T/pb.yml"
	while IFS= read -r line; do
		[ -n "$line" ] && expect_in "$T/err" "$line"
	done <"$f.err"
	# plan refuses the same playbook before touching anything
	run_tend 1 plan "$T/pb.yml" -e root="$T/never"
	[ ! -e "$T/never" ] || fail "plan of a bad playbook touched a host"
done
[ "$n" -ge 8 ] || fail "only $n bad-input fixtures"

#!/bin/sh
# The ansible.cfg key table is documented: every row `tend help
# ansible.cfg` prints (from the table that drives the parser and its
# refusals) is a row of docs/ansible-cfg.md, with the same verdict.
. "$(dirname "$0")/../lib/lib-test.sh"
run_tend 0 help ansible.cfg
expect_in "$T/out" "[defaults] inventory"
expect_in "$T/out" "only true: tend always checks host keys"
tail -n +4 "$T/out" | sed -E 's/^(\[[^]]+\] [^ ]+) +([^ ]+) +(honoured|no effect|only [^:]+|refused):.*/\1|\3/' >"$T/rows"
n=0
while IFS='|' read -r key does; do
	grep -qF "| \`$key\` |" "$TOP/docs/ansible-cfg.md" || fail "'$key' is not in docs/ansible-cfg.md"
	grep -F "| \`$key\` |" "$TOP/docs/ansible-cfg.md" | grep -qF "| $does |" ||
		fail "'$key' is not '$does' in docs/ansible-cfg.md"
	n=$((n + 1))
done <"$T/rows"
[ "$n" -gt 50 ] || fail "only $n rows"
run_tend 0 help
expect_in "$T/out" "ansible.cfg"
echo ok

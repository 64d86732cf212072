#!/bin/sh
# meta (the playbook of the compat case langmods-meta, which compares it
# with ansible-playbook's run on both legs): end_host, end_batch and
# end_play with a per-host `when` and serial batches, noop,
# reset_connection, flush_handlers; here tend's run alone, and what the
# comparison rests on is checked. Then clear_facts, and the meta actions
# tend refuses by name at validate time.
. "$(dirname "$0")/../lib/lib-test.sh"
pb="$TOP/tests/compat/cases/langmods-meta/site.yml"
mkdir -p "$T/tend/h1" "$T/tend/h2"
printf 'h1 ansible_connection=local root=%s/h1\nh2 ansible_connection=local root=%s/h2\n' \
	"$T/tend" "$T/tend" >"$T/inv-tend"
run_tend 0 apply -i "$T/inv-tend" "$pb"
[ -e "$T/tend/h2/end_host.after" ] && [ ! -e "$T/tend/h1/end_host.after" ] || fail "end_host"
[ -e "$T/tend/h2/end_batch.after" ] && [ ! -e "$T/tend/h1/end_batch.after" ] || fail "end_batch"
[ -e "$T/tend/h1/end_play.start" ] && [ ! -e "$T/tend/h2/end_play.start" ] || fail "end_play"
[ -e "$T/tend/h1/flushed" ] && [ -e "$T/tend/h1/reconnected" ] && [ -e "$T/tend/h2/last" ] ||
	fail "flush_handlers, reset_connection or the last play"

# clear_facts forgets gathered facts (not set_fact)
cat >"$T/facts.yml" <<'YML'
- hosts: all
  tasks:
    - set_fact: { mine: kept }
    - meta: clear_facts
    - copy:
        dest: "{{ root }}/facts"
        content: "{{ ansible_facts.hostname | default('cleared') }} {{ mine }}\n"
YML
rm -rf "$T/tend/h1"; mkdir "$T/tend/h1"
run_tend 0 apply -i "$T/inv-tend" -l h1 "$T/facts.yml"
expect_content "$T/tend/h1/facts" "cleared kept
"

for m in clear_host_errors refresh_inventory; do
	printf -- '- hosts: all\n  tasks:\n    - meta: %s\n' "$m" >"$T/$m.yml"
	run_tend 1 validate "$T/$m.yml"
	expect_in "$T/err" "$m.yml:3:13: meta action '$m' is not supported yet"
done

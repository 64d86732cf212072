#!/bin/sh
# add_host and group_by: the compat case langmods-add-host-group-by's
# playbook (compared there with ansible-playbook on both legs) run by tend
# alone, and what that comparison rests on checked: add_host runs once
# per task (per loop item), group_by per host, and later plays run on the
# hosts and groups they made. Then two playbooks in one run, side by side
# with ansible-playbook (they share the inventory), and plan mode: the
# later plays are planned on the added hosts and nothing is written; the
# apply pass after a plan pass starts from the inventory as loaded (a
# play before add_host does not see the added host).
. "$(dirname "$0")/../lib/lib-test.sh"
command -v ansible-playbook >/dev/null || fail "ansible-playbook is not installed (make test-deps)"
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCALHOST_WARNING=0 \
	ANSIBLE_HOME="$T/ansible-home" ANSIBLE_LOCAL_TEMP="$T/ansible-tmp"
pb="$TOP/tests/compat/cases/langmods-add-host-group-by/site.yml"
for who in ansible tend; do
	mkdir -p "$T/$who/h1" "$T/$who/h2"
	printf 'h1 ansible_connection=local root=%s/h1\nh2 ansible_connection=local root=%s/h2\n' \
		"$T/$who" "$T/$who" >"$T/inv-$who"
done
run_tend 0 apply -i "$T/inv-tend" "$pb"
for f in h1/seen.txt h2/seen.txt h1/added/note h1/loop-a/me h1/grouped h2/grouped; do
	[ -f "$T/tend/$f" ] || fail "$f was not written"
done
expect_in "$T/tend/h1/added/note" 'added by h1 ["added", "extra"] added-h1'
expect_in "$T/tend/h2/seen.txt" 'add_host=not run here'
expect_in "$T/tend/h1/seen.txt" 'keys=["host_name", "groups", "host_vars"]'
expect_in "$T/tend/h2/grouped" '["by-h2", "grouped"]'
[ ! -e "$T/tend/h2/added/note" ] || fail "add_host ran for the second host too"

# plan: the added host's play is planned, nothing is written
rm -rf "$T/tend"; mkdir -p "$T/tend/h1" "$T/tend/h2"
run_tend 2 plan -i "$T/inv-tend" "$pb" --detailed-exitcode
expect_in "$T/out" "added-h1"
expect_in "$T/out" "loop-b"
[ -z "$(find "$T/tend" -type f)" ] || fail "plan wrote files"

# two playbooks in one run share the inventory, as in ansible-playbook
cat >"$T/first.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - copy: { content: "{{ ansible_play_hosts_all | to_json }}\n", dest: "{{ root }}/play1" }
    - add_host: { name: late, groups: [later], ansible_connection: local, root: "{{ root }}/late" }
    - file: { path: "{{ root }}/late", state: directory }
YML
cat >"$T/second.yml" <<'YML'
- hosts: later
  gather_facts: false
  tasks:
    - copy: { content: "{{ inventory_hostname }}\n", dest: "{{ root }}/me" }
YML
for who in ansible tend; do rm -rf "$T/$who"; mkdir -p "$T/$who/h1" "$T/$who/h2"; done
ansible-playbook -i "$T/inv-ansible" "$T/first.yml" "$T/second.yml" >"$T/ansible.log" 2>&1 ||
	{ cat "$T/ansible.log"; fail "ansible-playbook failed"; }
run_tend 0 apply -i "$T/inv-tend" "$T/first.yml" "$T/second.yml"
snapshot "$T/ansible" >"$T/a.snap"
snapshot "$T/tend" >"$T/t.snap"
cmp "$T/a.snap" "$T/t.snap" || { diff -u "$T/a.snap" "$T/t.snap"; fail "two playbooks: the trees differ"; }
expect_content "$T/tend/h1/late/me" 'late
'

# a saved plan: its apply checks the plan's hosts again (a plan pass),
# then applies from the inventory as loaded: play 1 does not see 'late'
rm -rf "$T/tend"; mkdir -p "$T/tend/h1" "$T/tend/h2"
run_tend 2 plan -i "$T/inv-tend" "$T/first.yml" "$T/second.yml" --out "$T/plan.json" \
	--detailed-exitcode
run_tend 0 apply -i "$T/inv-tend" "$T/plan.json"
expect_content "$T/tend/h1/play1" '["h1", "h2"]
'
expect_content "$T/tend/h1/late/me" 'late
'

# the example playbook: validates, and its added host does its work
run_tend 0 validate "$TOP/playbooks/language.yml"
run_tend 0 apply "$TOP/playbooks/language.yml" -e root="$T/example"
expect_content "$T/example/extra/me" 'extra-local
'
expect_not_in "$T/out" "never shown"

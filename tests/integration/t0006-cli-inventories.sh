#!/bin/sh
# Repeated -i merges the inventories as ansible-playbook does: hosts and
# groups from each, a later source's vars over an earlier's for the same
# host, each file's group_vars/ beside it applying to the merged groups
# (compared with ansible-playbook); a saved plan binds one inventory.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-compare.sh"
mkdir -p "$T/a/group_vars" "$T/b"
printf '[web]\nw1\nw2 x=a\n[all:vars]\nansible_connection=local\n' >"$T/a/hosts"
printf 'y: from-a-group-vars\n' >"$T/a/group_vars/web.yml"
cat >"$T/b/inv.yml" <<'YML'
web:
  hosts:
    w2: {x: b}
    w3:
db:
  hosts:
    d1:
  vars: {y: db}
YML
cat >"$T/p.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - copy:
        content: "{{ x | default('-') }} {{ y | default('-') }} {{ group_names | join(',') }}\n"
        dest: "{{ base }}/{{ inventory_hostname }}"
YML
compare_run merge "$T/p.yml" "$T/a/hosts" -i "$T/b/inv.yml" -i web9,
expect_content "$T/merge-tend/w2" "b from-a-group-vars web
"
expect_content "$T/merge-tend/w3" "- from-a-group-vars web
"
expect_content "$T/merge-tend/d1" "- db db
"
[ -e "$T/merge-tend/web9" ] || fail "the host list of the third -i was dropped"

# the other order: a's w2 x=a wins
run_tend 0 apply "$T/p.yml" -i "$T/b/inv.yml" -i "$T/a/hosts" -e base="$T/merge-tend"
expect_content "$T/merge-tend/w2" "a from-a-group-vars web
"
run_tend 1 plan "$T/p.yml" -i "$T/a/hosts" -i "$T/b/inv.yml" --out "$T/p.json"
expect_in "$T/err" "--out: a saved plan binds one inventory"

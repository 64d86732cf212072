#!/bin/sh
# Roles (tests/fixtures/roles/): roles: as a name, with vars/tags/when and
# with params; meta dependencies run first and once; allow_duplicates;
# main.yml, main.yaml and main; the roles path (ANSIBLE_ROLES_PATH);
# defaults lowest, role vars over play vars (seen by the whole play,
# pre_tasks too), block vars over role vars, role params over set_fact;
# role_name/role_path; copy and template src and lookup('file') found in
# the role's files/ and templates/, then the playbook's; a role's
# handlers; import_role and include_role with tasks_from/vars_from/
# defaults_from, apply tags, when, loop (and an empty one), a templated
# role name and tasks_from; and --tags. Every task leaves a file that
# says what it saw.
# Side by side with ansible-playbook 2.14 here (the trees and the recap
# counts must be the same): which handler a name notifies, and the
# --tags/--skip-tags runs. roles.yml, imports.yml and loops.yml alone are
# compared by the compat suite (tests/compat/cases/roles-basic,
# roles-import-include and roles-include-dynamic have their plays; the
# roles path from the environment is t0010's), so here tend runs them
# alone and its files are checked.
. "$(dirname "$0")/../lib/lib-test.sh"
command -v ansible-playbook >/dev/null || fail "ansible-playbook is not installed (make test-deps)"
F=$TOP/tests/fixtures/roles
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCALHOST_WARNING=0 \
	ANSIBLE_HOME="$T/ansible-home" ANSIBLE_LOCAL_TEMP="$T/ansible-tmp" \
	ANSIBLE_ROLES_PATH="$F/elsewhere"
printf 'localhost ansible_connection=local\n' >"$T/hosts"
listing() { (cd "$1" && for f in *; do [ -e "$f" ] && printf '%s %s\n' "$f" "$(cat "$f")"; done; true); }
# a host with nothing run: Ansible prints no line, tend a line of zeros
recap() {
	r=$(sed -n 's/^localhost *: *//p' "$1" | tr -s ' ' | sed 's/ *$//')
	echo "${r:-ok=0 changed=0 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0}"
}

# compare NAME PLAYBOOK ARGS...: both runs, trees and recaps the same
compare() {
	name=$1 pb=$2; shift 2
	mkdir -p "$T/a-$name" "$T/t-$name"
	ansible-playbook -i "$T/hosts" "$F/$pb" -e root="$T/a-$name" "$@" \
		>"$T/ansible-$name.log" 2>&1 ||
		{ cat "$T/ansible-$name.log"; fail "ansible-playbook failed ($name)"; }
	run_tend 0 apply "$F/$pb" -i "$T/hosts" -e root="$T/t-$name" "$@"
	listing "$T/a-$name" >"$T/a-$name.list"
	listing "$T/t-$name" >"$T/t-$name.list"
	cmp -s "$T/a-$name.list" "$T/t-$name.list" || { diff -u "$T/a-$name.list" \
		"$T/t-$name.list"; fail "$name: tend and ansible-playbook differ"; }
	[ "$(recap "$T/ansible-$name.log")" = "$(recap "$T/out")" ] || {
		recap "$T/ansible-$name.log"; recap "$T/out"; fail "$name: the recaps differ"; }
	cp "$T/out" "$T/out-$name"
}

# tend_only NAME PLAYBOOK ARGS...: tend's run alone (ansible-playbook's is
# in the compat suite), for the checks of its files below
tend_only() {
	name=$1 pb=$2; shift 2
	mkdir -p "$T/t-$name"
	run_tend 0 apply "$F/$pb" -i "$T/hosts" -e root="$T/t-$name" "$@"
	listing "$T/t-$name" >"$T/t-$name.list"
	cp "$T/out" "$T/out-$name"
}

tend_only roles roles.yml
# the cases themselves, so that a change in both cannot pass unseen
L=$T/t-roles.list
expect_in "$L" "pre bv bd"                     # pre_tasks see role vars, defaults
expect_in "$L" "t bv bd play rolevars dd"      # template from templates/, dep defaults
expect_in "$L" "dep-dd dep"                    # the dependency ran, its role_name
expect_in "$L" "hello hello from base"         # copy src from files/
expect_in "$L" "lk hello from base"            # lookup('file') through the role
expect_in "$L" "after rolevars 8080"           # role vars (and a use's vars:) beat play vars
expect_in "$L" "web-9090 9090"                 # a param
expect_in "$L" "prm param fact"                # params beat set_fact, defaults do not
expect_in "$L" "prm-pb from the playbook's files"
expect_in "$L" "prm-path $F/roles/prm"
expect_in "$L" "names base,web,web,base / base,web,web,base / base,dep,web / dep"
expect_in "$L" "noext nv"
expect_in "$L" "yaml-ext y"
expect_in "$L" "pathrole pathrole"
expect_content "$T/t-roles/dup" "run 1
run 1
"                                              # allow_duplicates: twice
expect_in "$T/out-roles" "TASK [dep : dep task]"
expect_in "$T/out-roles" "RUNNING HANDLER [base : base handler]"
# the dependency ran once
[ "$(grep -c 'TASK \[dep : dep task\]' "$T/out-roles")" = 1 ] || fail "dep ran twice"

tend_only imports imports.yml
L=$T/t-imports.list
expect_in "$L" "prec-main role fact fact importvars prec"
expect_in "$L" "prec-other block importvars"
expect_in "$L" "inc-extra alt dalt given"
expect_in "$L" "after role importvars no-incv main"
expect_in "$L" "inc-handled y"
expect_in "$T/out-imports" "TASK [include_role : inc]"

tend_only loops loops.yml
L=$T/t-loops.list
expect_in "$L" "lp-a a"
expect_in "$L" "lp-x-v x-v"
expect_not_in "$L" "lp-b"
expect_not_in "$L" "lp-p"
expect_in "$L" "r1-r1 r1"                      # a templated name, per item
expect_in "$L" "r2 r2vars"
expect_in "$L" "r1-other r1"                   # a templated tasks_from
expect_in "$L" "r1-h h"                        # its handler, loaded at run time

# which handler a name notifies; a role's handler sees its role's params
compare handlers handlers.yml
L=$T/t-handlers.list
expect_in "$L" "only-role role 2 first"
expect_in "$L" "same play"
expect_in "$L" "twice first"

compare tags-web roles.yml --tags webtag
expect_content "$T/t-tags-web/web-8080" "8080"
compare tags-applied imports.yml --tags applied
[ ! -e "$T/t-tags-applied/inc-main-main" ] || fail "apply tags ran without the include's tag"
compare tags-outer imports.yml --tags outer
compare skip-dep roles.yml --skip-tags webtag
[ ! -e "$T/t-skip-dep/web-8080" ] || fail "--skip-tags ran a tagged role"

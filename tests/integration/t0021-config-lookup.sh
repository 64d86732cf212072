#!/bin/sh
# tend.yml is found as issue 16 says: --config (or TEND_CONFIG), else the
# current directory and its parents up to the root of its git work tree,
# else beside the playbook, else XDG; the run names the file it used; and
# `tend validate` checks tend.yml too (file:line:col, exit 1).
# Which file was read shows in where the state DB goes (state.path).
. "$(dirname "$0")/../lib/lib-test.sh"
R="$T/repo"
mkdir -p "$R/playbooks" "$R/deep/er" "$T/xdg/tend" "$T/plain/sub"
git init -q "$R"
cat >"$R/playbooks/site.yml" <<'YML'
- hosts: localhost
  gather_facts: false
  tasks:
    - debug: { msg: hi }
YML
printf 'state: { path: "%s/root.db" }\n' "$T" >"$R/tend.yml"
printf 'state: { path: "%s/beside.db" }\n' "$T" >"$R/playbooks/tend.yml"
printf 'state: { path: "%s/xdg.db" }\n' "$T" >"$T/xdg/tend/tend.yml"
printf 'state: { path: "%s/given.db" }\n' "$T" >"$T/given.yml"
export XDG_CONFIG_HOME="$T/xdg"
unset TEND_CONFIG
# run DIR DB [ARGS...]: plan site.yml from DIR; the DB the tend.yml named
run() {
	dir=$1 db=$2; shift 2
	rm -f "$T"/*.db
	(cd "$dir" && "$TEND" plan "$R/playbooks/site.yml" "$@" >"$T/out" 2>"$T/err") ||
		{ cat "$T/err"; fail "plan from $dir failed"; }
	[ -e "$T/$db.db" ] || { ls "$T"; cat "$T/err"; fail "from $dir: expected $db.db"; }
	[ "$(ls "$T"/*.db | wc -l)" = 1 ] || fail "from $dir: more than one DB"
}
# from deep inside the work tree: its root's tend.yml, not the playbook's
run "$R/deep/er" root
expect_in "$T/err" "tend: using $R/tend.yml as tend.yml"
# from the root itself
run "$R" root
# the current directory's wins over its parents'
printf 'state: { path: "%s/deep.db" }\n' "$T" >"$R/deep/tend.yml"
run "$R/deep/er" deep
rm "$R/deep/tend.yml"
# no further up than the work tree's root
printf 'state: { path: "%s/above.db" }\n' "$T" >"$T/tend.yml"
mv "$R/tend.yml" "$T/root.yml"
run "$R/deep/er" beside
# outside a work tree: the current directory only, then beside the playbook
run "$T/plain/sub" beside
rm "$T/tend.yml" "$R/playbooks/tend.yml"
# nothing near: XDG
run "$T/plain/sub" xdg
# --config and TEND_CONFIG win over all
mv "$T/root.yml" "$R/tend.yml"
run "$R" given --config "$T/given.yml"
expect_in "$T/err" "tend: using $T/given.yml as tend.yml"
TEND_CONFIG="$T/given.yml" run "$R" given

# validate checks tend.yml: the one it finds, and --config's
printf 'mainteance: {}\nstate: { path: "%s/x.db" }\n' "$T" >"$R/tend.yml"
(cd "$R" && "$TEND" validate playbooks/site.yml >"$T/out" 2>"$T/err") &&
	fail "validate passed a bad tend.yml"
expect_in "$T/err" "$R/tend.yml:1:1: unknown key 'mainteance' (did you mean 'maintenance'?)"
run_tend 1 validate "$R/playbooks/site.yml" --config "$R/tend.yml"
expect_in "$T/err" "tend.yml:1:1: unknown key 'mainteance'"
run_tend 0 validate "$R/playbooks/site.yml" --config "$T/given.yml"
expect_in "$T/out" "ok: 1 playbook, 1 play, 1 task"

#!/bin/sh
# A plan of a committed playbook carries its commit (header, JSON, plan
# file, run record); applying the saved plan re-fetches the ref, and a
# branch that moved since makes the plan stale (exit 4) unless --replan.
. "$(dirname "$0")/../lib/lib-test.sh"
export XDG_CACHE_HOME="$T/cache"
git init -q -b main "$T/src"
g() { git -C "$T/src" -c user.name=Ada -c user.email=ada@example.org "$@"; }
printf 'localhost ansible_connection=local\n' >"$T/src/hosts"
cat >"$T/src/site.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - copy: { dest: "{{ target }}", content: "v1\n" }
YML
g add . && g commit -q -m "first version"
c1=$(g rev-parse HEAD)
run_tend 0 plan --repo "file://$T/src" --ref main --trust-source -i hosts -e target="$T/out.txt" \
	site.yml --out "$T/plan.json"
expect_in "$T/out" "Source: file://$T/src main @ $(echo "$c1" | cut -c1-12) \"first version\" by Ada"
[ "$(json_get "$T/plan.json" "d['source']['commit']")" = "$c1" ] || fail "plan file commit"
[ "$(json_get "$T/plan.json" "d['playbooks'][0]['repo_path']")" = "site.yml" ] || fail "repo path"
run_tend 0 plan --repo "file://$T/src" --ref main --trust-source -i hosts -e target="$T/out.txt" site.yml --format json
[ "$(json_get "$T/out" "d['source']['commit']")" = "$c1" ] || fail "json commit"

# the source is not signed: applying its plan needs --trust-source
run_tend 1 apply "$T/plan.json"
expect_in "$T/err" "refusing to apply 'file://$T/src' (ref 'main'): the source is untrusted"
[ ! -e "$T/out.txt" ] || fail "an untrusted plan was applied"

# the branch does not move: the plan applies
run_tend 0 apply "$T/plan.json" --trust-source
expect_content "$T/out.txt" "v1
"
run_tend 0 history --format json
[ "$(json_get "$T/out" "d['runs'][0]['commit']")" = "$c1" ] || fail "run record commit"

# the branch moves: stale
run_tend 0 plan --repo "file://$T/src" --ref main --trust-source -i hosts -e target="$T/out2.txt" \
	site.yml --out "$T/plan2.json"
sed -i 's/v1/v2/' "$T/src/site.yml" && g commit -q -am "second version"
run_tend 4 apply "$T/plan2.json" --trust-source
expect_in "$T/err" "moved from $(echo "$c1" | cut -c1-12)"
[ ! -e "$T/out2.txt" ] || fail "a stale plan touched the host"
run_tend 0 apply "$T/plan2.json" --replan --trust-source
expect_content "$T/out2.txt" "v2
"

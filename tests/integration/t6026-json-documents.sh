#!/bin/sh
# Every JSON document is versioned and speaks one vocabulary (docs/plan-format.md):
# a plan says `changed` where it will change, as an apply does; stats and
# summary say `failed`; history, show and resources carry format_version;
# flags are booleans; and with --format json an error is a JSON document on
# stdout (file, line and column when it has a place), the text on stderr.
. "$(dirname "$0")/../lib/lib-test.sh"
mkdir "$T/r"
cat >"$T/pb.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - name: write a
      copy: { content: "a\n", dest: "{{ root }}/a" }
      notify: h
    - name: fails
      command: "false"
      ignore_errors: true
    - name: never
      command: "true"
      when: false
  handlers:
    - name: h
      debug: { msg: hi }
YML
check() { [ "$(json_get "$1" "$2")" = "$3" ] || { cat "$1"; fail "$2: expected $3"; }; }

run_tend 0 plan "$T/pb.yml" -e root="$T/r" --format json
cp "$T/out" "$T/plan.json"
check "$T/plan.json" "d['format_version']" 2
check "$T/plan.json" "[(t['task'], t['status']) for t in d['hosts'][0]['tasks']]" \
	"[('write a', 'changed'), ('fails', 'unknown'), ('never', 'skipped'), ('h', 'ok')]"
check "$T/plan.json" "'action' in d['hosts'][0]['tasks'][0]" False
check "$T/plan.json" "(d['summary']['changed'], 'change' in d['summary'])" "(1, False)"
check "$T/plan.json" "sorted(d['hosts'][0]['stats'])" \
	"['changed', 'failed', 'ignored', 'ok', 'rescued', 'skipped', 'unknown', 'unreachable']"
check "$T/plan.json" "{type(t[k]).__name__ for t in d['hosts'][0]['tasks'] for k in ('handler', 'ignored', 'rescued')}" "{'bool'}"

run_tend 0 apply "$T/pb.yml" -e root="$T/r" --format json
check "$T/out" "[(t['task'], t['status'], t['ignored'], t['handler']) for t in d['hosts'][0]['tasks']]" \
	"[('write a', 'changed', False, False), ('fails', 'failed', True, False), ('never', 'skipped', False, False), ('h', 'ok', False, True)]"
# an ignored failure is counted as ignored, not failed (Ansible's recap)
check "$T/out" "(d['summary']['changed'], d['summary']['failed'], d['hosts'][0]['stats']['failed'], d['hosts'][0]['stats']['ignored'])" "(1, 0, 0, 1)"

run_tend 0 history --format json
check "$T/out" "(d['format_version'], sorted(d), [r['mode'] for r in d['runs']])" \
	"(2, ['format_version', 'runs', 'tend_version'], ['apply', 'plan'])"
id=$(json_get "$T/out" "d['runs'][0]['id']")
run_tend 0 show "$id" --format json
check "$T/out" "(d['format_version'], d['run']['id'])" "(2, $id)"
check "$T/out" "[(r['task'], r['status'], r['handler'], r['changed'], r['ignored']) for r in d['run']['results']]" \
	"[('write a', 'changed', False, True, False), ('fails', 'failed', False, False, True), ('never', 'skipped', False, False, False), ('h', 'ok', True, False, False)]"
run_tend 0 resources --format json
check "$T/out" "(d['format_version'], d['resources'])" "(2, [])"

# errors: a JSON document on stdout, the text on stderr, exit 1
printf -- '- hosts: all\n  tasks:\n    - copy: {bogus: 1\n' >"$T/bad.yml"
run_tend 1 plan "$T/bad.yml" --format json
check "$T/out" "(d['format_version'], len(d['errors']), d['errors'][0]['file'].endswith('bad.yml'), d['errors'][0]['line'], d['errors'][0]['column'])" \
	"(2, 1, True, 4, 1)"
check "$T/out" "'invalid YAML' in d['errors'][0]['message']" True
expect_in "$T/err" "bad.yml:4:1: invalid YAML"
run_tend 1 apply "$T/nothere.yml" --format json
check "$T/out" "d['errors']" "[{'message': \"cannot read '$T/nothere.yml': No such file or directory\"}]"
run_tend 1 show 999 --format json
check "$T/out" "d['errors']" "[{'message': 'no run 999'}]"
# a warning (a duplicate key) beside an error: only the error is listed
printf -- '- hosts: all\n  gather_facts: false\n  gather_facts: false\n  tasks:\n    - nosuchmodule: {}\n' >"$T/warn.yml"
run_tend 1 plan "$T/warn.yml" --format json
expect_in "$T/err" "warning: "
check "$T/out" "[('warning' in e['message'], e['line']) for e in d['errors']]" "[(False, 5)]"
# a warning is no error: a run that succeeds prints only its document
run_tend 0 plan "$T/pb.yml" -e root="$T/r" --format json
check "$T/out" "'errors' in d" False
# the text format prints no JSON on error
run_tend 1 plan "$T/bad.yml"
[ ! -s "$T/out" ] || { cat "$T/out"; fail "text mode printed on stdout on error"; }

#!/bin/sh
# Bad input to slurp, replace, assemble and fetch: a clear error naming
# what is wrong, a failed run, nothing changed; contradictory args are
# refused by `tend validate` with file:line:column.
. "$(dirname "$0")/../lib/lib-test.sh"
R=$T/r
mkdir -p "$R/frags" "$R/adir"
printf 'x\n' >"$R/frags/01"
printf 'keep\n' >"$R/file"

# fails TASK MESSAGE: a playbook of that one task fails with MESSAGE
fails() {
	printf -- '- hosts: all\n  gather_facts: false\n  tasks:\n    - %s\n' \
		"$1" >"$T/pb.yml"
	snapshot "$R" >"$T/before"
	set +e
	"$TEND" apply "$T/pb.yml" -e root="$R" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	[ "$rc" != 0 ] || { cat "$T/out"; fail "'$1' did not fail"; }
	expect_in "$T/out" "$2"
	snapshot "$R" >"$T/after"
	cmp -s "$T/before" "$T/after" || fail "'$1' changed files"
}

fails 'slurp: {src: "{{ root }}/missing"}' "file not found: $R/missing"
fails 'slurp: {src: "{{ root }}/adir"}' "source is a directory"
fails 'replace: {path: "{{ root }}/file", regexp: "(unclosed"}' \
	"bad regex '(unclosed': missing ), unterminated subpattern"
fails 'replace: {path: "{{ root }}/file", regexp: "k", after: "[z"}' \
	"bad regex '[z(?P<subsection>.*)'"
fails 'replace: {path: "{{ root }}/missing", regexp: "a"}' \
	"Path $R/missing does not exist !"
fails 'replace: {path: "{{ root }}/file", regexp: "keep", replace: "\\9"}' \
	"bad template"
fails 'assemble: {src: "{{ root }}/missing", dest: "{{ root }}/x"}' \
	"Source ($R/missing) does not exist"
fails 'assemble: {src: "{{ root }}/file", dest: "{{ root }}/x"}' \
	"Source ($R/file) is not a directory"
fails 'assemble: {src: "{{ root }}/frags", dest: "{{ root }}/x", regexp: "*"}' \
	"bad regex '*'"
fails 'assemble: {src: "{{ root }}/frags", dest: "{{ root }}/x", validate: "false %s"}' \
	"failed to validate: rc:1"
fails 'assemble: {src: "{{ root }}/frags", dest: "{{ root }}/x", validate: "true"}' \
	"validate must contain %s"
fails 'assemble: {src: nowhere, dest: "{{ root }}/x", remote_src: false}' \
	"cannot find 'nowhere'"
fails 'fetch: {src: "{{ root }}/missing", dest: "{{ root }}/got"}' \
	"file not found: $R/missing"
fails 'fetch: {src: "{{ root }}/adir", dest: "{{ root }}/got"}' \
	"remote file is a directory"
fails 'fetch: {src: "{{ root }}/file", dest: "{{ root }}/adir", flat: true}' \
	"dest is an existing directory, use a trailing slash"

# refused before anything runs, at the place of the second argument
cat >"$T/bad.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - copy:
        content: x
        src: y
        dest: /tmp/z
    - lineinfile: {path: /tmp/a, line: x, insertbefore: BOF, insertafter: EOF}
    - replace: {path: /tmp/a, regexp: x, encoding: latin-1}
    - slurp: {}
    - fetch: {src: /a, dest: /b, flat: maybe}
YML
run_tend 1 validate "$T/bad.yml"
expect_in "$T/err" "bad.yml:6:14: parameters are mutually exclusive: content|src"
expect_in "$T/err" "bad.yml:8:75: parameters are mutually exclusive: insertbefore|insertafter"
expect_in "$T/err" "bad.yml:9:"
expect_in "$T/err" "latin-1"
expect_in "$T/err" "missing required arguments: src"
expect_in "$T/err" "bad.yml:11:"
# a templated value may be omitted: left for the run
cat >"$T/ok.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - copy: {content: "{{ omit }}", src: y, dest: /tmp/z}
YML
run_tend 0 validate "$T/ok.yml"
echo ok

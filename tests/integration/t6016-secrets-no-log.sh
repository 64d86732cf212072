#!/bin/sh
# no_log: true on a task, a block or a play (or a template that renders
# true) hides that task's messages, diff, loop labels and registered
# values from every output format, the plan file and the state DB, as
# Ansible does (a failure says "the output has been hidden due to ...",
# an item is "None"); later tasks still use the registered value, and
# the host still gets every value.
. "$(dirname "$0")/../lib/lib-test.sh"
H=Hidden-Wq8zRt
cat >"$T/pb.yml" <<YML
- hosts: all
  gather_facts: false
  vars: { h: "$H", hide: true }
  tasks:
    - debug: { msg: "task {{ h }}" }
      no_log: true
    - command: "echo {{ h }}-cmd"
      register: r
      no_log: true
    - debug: { var: r.stdout }
    - copy: { content: "{{ r.stdout }}\n", dest: "{{ root }}/from-result" }
    - debug: { msg: "{{ item }}" }
      loop: [ "{{ h }}-item", plain ]
      no_log: true
    - copy: { content: "{{ h }}-file\n", dest: "{{ root }}/f" }
      no_log: true
    - block:
        - debug: { msg: "{{ h }}-block" }
        - fail: { msg: "{{ h }}-fail" }
          ignore_errors: true
      no_log: true
    - debug: { msg: "{{ h }}-templated" }
      no_log: "{{ hide }}"
    - debug: { msg: "shown-{{ h | length }}" }
      no_log: "{{ not hide }}"
- hosts: all
  gather_facts: false
  no_log: true
  tasks:
    - debug: { msg: "$H-play" }
    - copy: { content: "$H-play-file\n", dest: "{{ root }}/g" }
    - debug: { msg: "override" }
      no_log: false
YML
hidden() {
	for f in "$@"; do
		! grep -qa -- "$H\|cmd$" "$f" ||
			{ grep -a -- "$H" "$f" | head -5; fail "no_log output in $f"; }
	done
	! grep -rqa -- "$H" "$T/state" || fail "no_log output in the state DB"
}
mkdir "$T/r"
for fmt in text json markdown junit; do
	run_tend 0 plan "$T/pb.yml" -e root="$T/r" --format $fmt --out "$T/plan.json"
	hidden "$T/out" "$T/err" "$T/plan.json"
	case $fmt in text|json)	# markdown and junit list changes only
		expect_in "$T/out" "override"
		expect_in "$T/out" "shown-13" ;;
	esac
done
for fmt in text json markdown junit; do
	rm -rf "$T/r"; mkdir "$T/r"
	run_tend 0 apply "$T/pb.yml" -e root="$T/r" --format $fmt --diff
	hidden "$T/out" "$T/err"
	case $fmt in text|json) expect_in "$T/out" "override" ;; esac
done
# What Ansible shows: the failure's reason, and items as None.
run_tend 0 apply "$T/pb.yml" -e root="$T/r" --format text
expect_in "$T/out" "the output has been hidden due to the fact that 'no_log: true' was specified for this result"
expect_in "$T/out" "(item=None)"
expect_in "$T/out" "r.stdout: ********"
run_tend 0 apply "$T/pb.yml" -e root="$T/r" --format json
[ "$(json_get "$T/out" "sum(1 for h in d['hosts'] for t in h['tasks'] if t['item'] == 'None')")" = 2 ] ||
	{ cat "$T/out"; fail "items of a no_log loop are not None"; }
# The host got the real values, and the registered value was usable.
expect_content "$T/r/from-result" "$H-cmd
"
expect_content "$T/r/f" "$H-file
"
expect_content "$T/r/g" "$H-play-file
"

# A no_log that is neither a bool nor a template is refused at load.
cat >"$T/bad.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - debug: { msg: hi }
      no_log: maybe
YML
run_tend 1 plan "$T/bad.yml"
expect_in "$T/err" "bad.yml:5:15: expected a bool for 'no_log', got 'maybe'"

#!/bin/sh
# Text a host sends back (command output, a file's old content in a
# diff) reaches the text reports with its control characters shown as
# \xNN, never as raw bytes: a hostile host could otherwise clear the
# operator's terminal, retitle it, or move the cursor up and overwrite
# "fatal" with "ok" (ESC, CR, BEL, the C1 CSI). JSON carries the exact
# text, escaped by JSON.
. "$(dirname "$0")/../lib/lib-test.sh"
# ESC [2J, OSC title BEL, CR, a UTF-8 C1 CSI (c2 9b), then text
printf 'old \033[2J\033]0;pwn\007\rfake ok\302\2331A end\n' >"$T/target.txt"
cat >"$T/site.yml" <<EOF
- hosts: localhost
  gather_facts: false
  tasks:
    - name: print hostile text
      command: "cat $T/target.txt"
      register: r
    - debug: { msg: "{{ r.stdout }}" }
    - name: "a hostile name \\e[2J"
      debug: { msg: "{{ r.stdout_lines }}" }
      loop: "{{ r.stdout_lines }}"
    - copy: { dest: "$T/target.txt", content: "new\n" }
EOF
raw() {
	for b in '\033' '\007' '\r' '\302\233'; do
		! grep -qa "$(printf "$b")" "$1" ||
			{ cat -v "$1"; fail "raw control byte $b in $1"; }
	done
}
# the command is unknown at plan: apply shows its output
run_tend 0 apply "$T/site.yml" --diff
raw "$T/out"
raw "$T/err"
expect_in "$T/out" 'old \x1b[2J\x1b]0;pwn\x07\x0dfake ok\u009b1A end'
expect_in "$T/out" 'a hostile name \x1b[2J'
# the plan's diff of the old content
printf 'old \033[2J\rx\n' >"$T/target.txt"
run_tend 0 plan "$T/site.yml"
raw "$T/out"
expect_in "$T/out" '-old \x1b[2J\x0dx'
run_tend 0 plan "$T/site.yml" --format json
json_get "$T/out" "[t['diff'] for t in d['hosts'][0]['tasks'] if t['module']=='copy'][0]" >"$T/diff"
grep -qa "$(printf 'old \033\\[2J\r')" "$T/diff" || fail "JSON changed the text"

#!/bin/sh
# ansible-playbook's --step on apply: before each task, once for all the
# play's hosts, "Perform task: TASK: NAME (N)o/(y)es/(c)ontinue: " on the
# terminal; n skips the task, y runs it, c runs it and the rest without
# asking. Without a terminal --step is refused.
. "$(dirname "$0")/../lib/lib-test.sh"
cd "$T"
cat >p.yml <<YML
- hosts: all
  gather_facts: false
  tasks:
    - name: first
      copy: {content: "x\n", dest: "$T/{{ inventory_hostname }}-first"}
    - name: second
      copy: {content: "x\n", dest: "$T/{{ inventory_hostname }}-second"}
    - name: third
      copy: {content: "x\n", dest: "$T/{{ inventory_hostname }}-third"}
    - name: fourth
      copy: {content: "x\n", dest: "$T/{{ inventory_hostname }}-fourth"}
YML
# tend on a pty, answering each prompt in turn from $ANSWERS
python3 - "$TEND" apply --step -i h1,h2, -c local p.yml >"$T/tty.out" 2>&1 <<'PY' || { cat "$T/tty.out"; fail "apply --step"; }
import os, pty, sys
answers = [b"n\n", b"Y\n", b"c\n"]
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
seen, asked = b"", 0
while True:
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    seen += data
    while seen.count(b"(N)o/(y)es/(c)ontinue: ") > asked:
        os.write(fd, answers[asked] if asked < len(answers) else b"n\n")
        asked += 1
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(seen)
sys.exit(os.waitstatus_to_exitcode(status))
PY
expect_in "$T/tty.out" "Perform task: TASK: first (N)o/(y)es/(c)ontinue: "
expect_in "$T/tty.out" "Perform task: TASK: second (N)o/(y)es/(c)ontinue: "
expect_in "$T/tty.out" "Perform task: TASK: third (N)o/(y)es/(c)ontinue: "
expect_not_in "$T/tty.out" "TASK: fourth (N)o"
[ "$(grep -o 'ontinue: ' "$T/tty.out" | wc -l)" = 3 ] || fail "asked more than once a task"
for h in h1 h2; do
	[ ! -e "$T/$h-first" ] && [ -e "$T/$h-second" ] && [ -e "$T/$h-third" ] &&
		[ -e "$T/$h-fourth" ] || { ls "$T"; fail "--step on $h"; }
done
# no terminal (a session of its own has none)
set +e
setsid -w "$TEND" apply --step -i h1, -c local p.yml </dev/null >"$T/out" 2>"$T/err"
rc=$?
set -e
[ "$rc" = 1 ] || fail "--step without a terminal: exit $rc"
expect_in "$T/err" "--step: no terminal to ask on"

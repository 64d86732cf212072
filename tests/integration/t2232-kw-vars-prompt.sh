#!/bin/sh
# vars_prompt as ansible-playbook 2.14 runs it. Without a terminal nothing
# is asked: a warning, the default, "None" without one; -e wins (not
# asked). On a terminal (a pty): the prompt with its default, a private
# answer not echoed, an empty answer takes the default, confirm asks twice
# until both agree; the typed private answer reaches the host but never
# tend's output, its JSON or the state DB.
. "$(dirname "$0")/../lib/lib-test.sh"
mkdir -p "$T/res"
cat >"$T/pb.yml" <<'YML'
- hosts: localhost
  connection: local
  gather_facts: false
  vars_prompt:
    - name: shown
      prompt: Shown value
      default: "-d %s"
      private: false
    - name: secret
      prompt: Password
      confirm: true
    - name: nodefault
  tasks:
    - copy: {dest: "{{ out }}/values", content: "{{ shown }}|{{ secret }}|{{ nodefault }}"}
    - debug: {msg: "secret is {{ secret }}"}
YML
run_tend 0 apply "$T/pb.yml" -e out="$T/res" </dev/null
expect_in "$T/err" "not prompting as we are not in interactive mode"
expect_content "$T/res/values" "-d %s|None|None"
run_tend 0 apply "$T/pb.yml" -e out="$T/res" -e secret=given </dev/null
expect_content "$T/res/values" "-d %s|given|None"

# on a terminal
python3 - "$TEND" "$T" <<'PY' >"$T/tty.out" || fail "pty run: $(cat "$T/tty.out")"
import os, pty, select, sys, time
tend, t = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.execv(tend, [tend, "apply", t + "/pb.yml", "-e", "out=" + t + "/res",
                    "--format", "json"])
out = b""
def until(text, secs=10, n=1):
    global out
    end = time.time() + secs
    while out.count(text) < n and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                d = os.read(fd, 4096)
            except OSError:
                break
            if not d:
                break
            out += d
    if out.count(text) < n:
        sys.stdout.write(out.decode(errors="replace"))
        sys.exit("no %r" % text)
until(b"Shown value [-d %s]: "); os.write(fd, b"\n")
until(b"Password: "); os.write(fd, b"Hunter%2-x\n")
until(b"confirm Password: "); os.write(fd, b"other\n")
until(b"VALUES ENTERED DO NOT MATCH")
# the echo is off again for each answer (typed-ahead input is dropped,
# as getpass drops it): wait for each prompt
until(b"\nPassword: ", n=2); os.write(fd, b"Hunter%2-x\n")
until(b"confirm Password: ", n=2); os.write(fd, b"Hunter%2-x\n")
until(b"nodefault: "); os.write(fd, b"typed\n")
until(b"\"interrupted\"", 20)
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(st))
PY
expect_content "$T/res/values" "-d %s|Hunter%2-x|typed"
expect_in "$T/tty.out" "VALUES ENTERED DO NOT MATCH"
expect_not_in "$T/tty.out" "Hunter%2"
expect_in "$T/tty.out" "\"msg\": \"<secret>\""
! grep -rqa "Hunter%2" "$T/state" || fail "the private answer is in the state DB"

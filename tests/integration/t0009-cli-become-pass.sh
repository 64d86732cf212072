#!/bin/sh
# -K/--ask-become-pass against a real sshd host whose login user (made
# for the test) needs a password for sudo: the password is asked on the
# terminal ("BECOME password: ", no echo), and the tasks run as root;
# it is never in the output, the state DB, or on a command line (it goes
# through the command's stdin to sudo's askpass); without -K sudo -n
# refuses; a wrong one fails the host; without a terminal -K is refused.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-sshd.sh"
[ "$(id -u)" = 0 ] || fail "needs root (useradd, sudoers)"
command -v sudo >/dev/null || fail "sudo is not installed"
u=tk$$
pw="Sekr3t-$$-pass"
useradd -m "$u" || fail "useradd $u"
usermod -p "$(openssl passwd -6 "$pw")" "$u"
printf '%s ALL=(ALL) ALL\nDefaults:%s passwd_tries=1, !lecture\n' "$u" "$u" >"/etc/sudoers.d/tend-test-$u"
chmod 0440 "/etc/sudoers.d/tend-test-$u"
drop_user() { rm -f "/etc/sudoers.d/tend-test-$u"; userdel -r "$u" 2>/dev/null || userdel "$u"; }
on_exit drop_user
sshd_start 1 "$T/sshd"
chmod 0755 "$T" "$T/sshd"
port=$(sshd_port "$T/sshd" h1)
printf 'h1 ansible_host=127.0.0.1 ansible_port=%s ansible_user=%s ansible_ssh_private_key_file=%s tend_known_hosts=%s\n' \
	"$port" "$u" "$T/sshd/client_key" "$T/sshd/known_hosts" >"$T/inv"
mkdir -m 1777 "$T/o"
cat >"$T/p.yml" <<YML
- hosts: all
  gather_facts: false
  become: true
  tasks:
    - command: id -un
      register: who
    - shell: cat
      args: {stdin: "the command's own stdin"}
      register: fed
    - copy: {content: "{{ who.stdout }} {{ fed.stdout }}\n", dest: "$T/o/out"}
    # past 64 KiB the bytes go through an exec channel, not the shell
    - copy: {content: "{{ 'x' * 70000 }}", dest: "$T/o/big"}
    - debug: {msg: "pw is {{ ansible_become_password }}"}
YML
# tend on a terminal (a pty), the password typed at the prompt
on_tty() {
	python3 - "$@" <<'PY'
import os, pty, sys, time
answer = os.environ["TTY_ANSWER"].encode() + b"\n"
pid, fd = pty.fork()
if pid == 0:
    os.execv(os.environ["TEND"], [os.environ["TEND"]] + sys.argv[1:])
seen = b""
sent = False
while True:
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    seen += data
    if not sent and b"BECOME password: " in seen:
        os.write(fd, answer)
        sent = True
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(seen)
sys.exit(os.waitstatus_to_exitcode(status))
PY
}
set +e
TTY_ANSWER=$pw on_tty apply -K -i "$T/inv" "$T/p.yml" >"$T/tty.out" 2>&1
rc=$?
set -e
[ "$rc" = 0 ] || { cat "$T/tty.out"; fail "apply -K exited $rc"; }
expect_in "$T/tty.out" "BECOME password: "
expect_content "$T/o/out" "root the command's own stdin
"
expect_in "$T/tty.out" "ok: [h1] => ********"
[ "$(stat -c '%U %s' "$T/o/big")" = "root 70000" ] || fail "the big file: $(stat -c '%U %s' "$T/o/big")"
! grep -qF -- "$pw" "$T/tty.out" || fail "the password is in the output (or was echoed)"
db=$(find "$T/state" -name '*.db*' | head -1)
[ -n "$db" ] || fail "no state DB"
! grep -rqaF -- "$pw" "$T/state" || fail "the password is in the state DB"
! grep -qF -- "$pw" "$T/sshd/h1/log" || fail "the password is in the host's sshd log"

# without -K: sudo -n refuses, the host fails
rm -f "$T/o/out"
run_tend 3 apply -i "$T/inv" "$T/p.yml"
[ ! -e "$T/o/out" ] || fail "ran without a password"
# a wrong one: the host fails, the wrong password is not shown
set +e
TTY_ANSWER=wrong-$pw on_tty apply --ask-become-pass -i "$T/inv" "$T/p.yml" >"$T/tty.out" 2>&1
rc=$?
set -e
[ "$rc" = 3 ] || { cat "$T/tty.out"; fail "a wrong password: exit $rc, not 3"; }
! grep -qF -- "wrong-$pw" "$T/tty.out" || fail "the wrong password is shown"
[ ! -e "$T/o/out" ] || fail "ran with a wrong password"
# no terminal (a session of its own has none): refused before anything runs
set +e
setsid -w "$TEND" apply -K -i "$T/inv" "$T/p.yml" </dev/null >"$T/out" 2>"$T/err"
rc=$?
set -e
[ "$rc" = 1 ] || { cat "$T/err"; fail "-K without a terminal: exit $rc, not 1"; }
expect_in "$T/err" "-K/--ask-become-pass: no terminal to ask the become password on"
[ ! -e "$T/o/out" ] || fail "ran without a terminal"

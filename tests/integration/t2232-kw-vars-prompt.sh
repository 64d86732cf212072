#!/bin/sh
# vars_prompt as ansible-playbook 2.14 runs it (encrypt: below). Without a terminal nothing
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

# encrypt: the answer is hashed as Ansible's do_encrypt (passlib's names;
# a given salt, else a random one of salt_size), the same hash as
# ansible-playbook's; an empty default is hashed too
command -v ansible-playbook >/dev/null || fail "ansible-playbook is not installed (make test-deps)"
cat >"$T/enc.yml" <<'YML'
- hosts: localhost
  connection: local
  gather_facts: false
  vars_prompt:
    - name: a
      default: "-s3cret-% \\x"
      encrypt: sha512_crypt
      salt: abcdefgh12345678
    - name: b
      default: ""
      encrypt: sha256_crypt
      salt: saltsalt
    - name: c
      default: x
      encrypt: md5_crypt
      salt_size: 4
  tasks:
    - copy: {dest: "{{ out }}/enc", content: "{{ a }}|{{ b }}|{{ c | regex_replace('^[$]1[$][^$]{4}[$].{22}$', 'md5-4') }}\n"}
YML
mkdir -p "$T/ares"
ANSIBLE_HOME="$T/ansible-home" ANSIBLE_LOCAL_TEMP="$T/ansible-tmp" ANSIBLE_NOCOLOR=1 \
	ansible-playbook -i localhost, "$T/enc.yml" -e out="$T/ares" </dev/null >"$T/ansible.log" 2>&1 ||
	{ cat "$T/ansible.log"; fail "ansible-playbook failed"; }
run_tend 0 apply "$T/enc.yml" -e out="$T/res" </dev/null
cmp -s "$T/ares/enc" "$T/res/enc" || { diff "$T/ares/enc" "$T/res/enc"; fail "encrypt: not Ansible's hashes"; }
expect_in "$T/res/enc" '$6$rounds=656000$abcdefgh12345678$'
expect_in "$T/res/enc" '|md5-4'
# nothing to hash (no terminal, no default): an error, not "None" hashed
# (Ansible stops on an unexpected exception there)
cat >"$T/enc2.yml" <<'YML'
- hosts: localhost
  connection: local
  gather_facts: false
  vars_prompt:
    - {name: p, encrypt: sha512_crypt}
  tasks: []
YML
run_tend 1 apply "$T/enc2.yml" </dev/null
expect_in "$T/err" "vars_prompt 'p': nothing to encrypt (no answer and no default)"
# a name passlib has that tend does not, and Ansible's filter alias (not
# a passlib name): refused at validate
printf -- '- hosts: all\n  vars_prompt:\n    - {name: p, encrypt: pbkdf2_sha256}\n    - {name: q, encrypt: sha512, salt_size: big}\n  tasks: []\n' >"$T/enc3.yml"
run_tend 1 validate "$T/enc3.yml"
expect_in "$T/err" "enc3.yml:3:26: vars_prompt's encrypt 'pbkdf2_sha256' is not supported (sha512_crypt, sha256_crypt, md5_crypt, bcrypt: passlib's names)"
expect_in "$T/err" "vars_prompt's encrypt 'sha512' is not supported"
expect_in "$T/err" "expected an int for vars_prompt's 'salt_size', got a str"

# a private answer typed on a terminal: its hash is a secret too
python3 - "$TEND" "$T" <<'PY' >"$T/tty2.out" || fail "pty run: $(cat "$T/tty2.out")"
import os, pty, select, sys, time
tend, t = sys.argv[1], sys.argv[2]
open(t + "/enc4.yml", "w").write("""- hosts: localhost
  connection: local
  gather_facts: false
  vars_prompt:
    - {name: pw, prompt: Password, encrypt: sha512_crypt, salt: abcdefgh12345678}
  tasks:
    - copy: {dest: "%s/res/enc4", content: "{{ pw }}"}
    - debug: {msg: "hash {{ pw }}"}
""" % t)
pid, fd = pty.fork()
if pid == 0:
    os.execv(tend, [tend, "apply", t + "/enc4.yml", "--format", "json"])
out = b""
end = time.time() + 20
asked = False
while time.time() < end:
    r, _, _ = select.select([fd], [], [], 0.1)
    if r:
        try:
            d = os.read(fd, 4096)
        except OSError:
            break
        if not d:
            break
        out += d
    if not asked and b"Password: " in out:
        os.write(fd, b"Typed-pw%1\n")
        asked = True
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(st))
PY
want=$(python3 -c 'import crypt; print(crypt.crypt("Typed-pw%1", "$6$rounds=656000$abcdefgh12345678"))' 2>/dev/null)
[ -n "$want" ] || fail "python3's crypt cannot hash"
expect_content "$T/res/enc4" "$want"
expect_not_in "$T/tty2.out" '$6$rounds=656000$abcdefgh12345678$'
expect_in "$T/tty2.out" "\"msg\": \"<secret>\""

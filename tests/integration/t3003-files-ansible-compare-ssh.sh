#!/bin/sh
# Hostile content, tend against ansible-playbook, over SSH and locally.
#
# tests/fixtures/compare-ssh/hostile.yml runs through both tools on a real
# sshd host (h1) and on the local connection (local1), each tool into its
# own root, twice. Content starts with '-' (printf took "---" or "-n x" for
# an option and printed nothing), '%' or '\', holds NUL, 0xff and other
# high bytes or text that looks like a template, is empty, ends in spaces
# or without a newline, or is sized around the transport's limits (32 KiB
# printf chunks, 64 KiB shell input, then an exec channel). Compared: the
# trees (content, type, mode, owner, link target of every path), the
# status of every task and loop item, the tasks a second run changes
# (tend's second run against what Ansible's did), and the registered results of `command: cat` with that stdin.
# Then, without Ansible, the exact cases of the printf bug (3cb3d62).
#
# ansible-playbook 2.14 takes NUL in every argument used here, so no case
# had to be checked against tend alone. Known differences, kept out of the
# comparison and marked where they would be (NEEDSWORK):
# - tend's template engine ends a string at a literal NUL when the string
#   also holds Jinja (hostile.yml takes its NULs from variables);
# - tend's JSON carries the raw bytes of a diff, so a non-UTF-8 file
#   (lif-trail is Latin-1) makes it invalid UTF-8 (compare-results.py
#   reads it leniently).
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-sshd.sh"
command -v ansible-playbook >/dev/null || fail "ansible-playbook is not installed (make test-deps)"

# Ansible's ssh keeps a control master alive between tasks; stop it (by the
# PID it reports) before the sshd it talks to.
stop_ssh_masters() {
	for s in "$T"/cp/*; do
		[ -S "$s" ] || continue
		pid=$(ssh -o ControlPath="$s" -O check h1 2>&1 |
			sed -n 's/.*(pid=\([0-9]*\)).*/\1/p')
		[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
	done
}
on_exit stop_ssh_masters
sshd_start 1 "$T/sshd"
port=$(sshd_port "$T/sshd" h1)

cp -r "$TOP/tests/fixtures/compare-ssh" "$T/pb"
F=$T/pb/files
mkdir -p "$F" "$T/cp"
{
	printf '%s\n' '%s %d %%' '\n\0\x41'
	i=0
	while [ "$i" -lt 256 ]; do
		printf "\\$(printf '%03o' "$i")"
		i=$((i + 1))
	done
	printf '\n%s\n' '{{ x }} {% if y %}{# z #}'
	printf -- "-----BEGIN CERTIFICATE-----\n'quoted'\ntrail  \nno final newline  "
} >"$F/pct.bin"
/usr/bin/python3 - "$F" <<'PY'
import random, sys
d = sys.argv[1]
def text(n):
    out, i = b"", 0
    while len(out) < n:
        out += b"line %05d of plain text\n" % i
        i += 1
    return out[:n]
def put(name, data, size):
    assert len(data) == size, (name, len(data))
    open(d + "/" + name, "wb").write(data)
cert = (b"-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU" + b"A" * 39 +
        b"\n-----END CERTIFICATE-----\n")
put("s32768.txt", b"-" + text(32766) + b"-", 32768)
put("s32882.txt", text(32767) + b"\n" + cert, 32882)
put("dashes65535.bin", b"\0" + b"\xff-" * 32767, 65535)
put("dashes65536.txt", b"-" * 65536, 65536)
r = random.Random(3003)
put("s65537.bin", b"-" + bytes(r.randrange(256) for _ in range(65536)), 65537)
put("s200k.bin", b"--" + bytes(r.choice(b"-%\\'\0\n\xff a")
                                for _ in range(204801)), 204803)
PY
[ "$(dd if="$F/s32882.txt" bs=1 skip=32768 count=1 2>/dev/null)" = - ] ||
	fail "s32882.txt: byte 32768 is not '-'"

# The files lineinfile and blockinfile edit exist before the first run.
seed() {
	mkdir -p "$1"
	printf -- '---\nfoo: bar\n' >"$1/lif-dash"
	printf -- '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' >"$1/lif-cert"
	printf 'a  \ncaf\351 \t\nlast  ' >"$1/lif-trail" # Latin-1
	cp "$F/s32882.txt" "$1/lif-big"
	cp "$F/pct.bin" "$1/lif-bin"
	cp "$1/lif-dash" "$1/bif-dash"
	cp "$1/lif-trail" "$1/bif-trail"
}
for r in ansible tend; do
	for h in h1 local1; do seed "$T/$r/$h"; done
done

cat >"$T/inventory" <<EOF
[all]
h1 ansible_host=127.0.0.1 ansible_port=$port ansible_user=$(id -un) ansible_ssh_private_key_file=$T/sshd/client_key tend_known_hosts=$T/sshd/known_hosts
local1 ansible_connection=local

[all:vars]
ansible_python_interpreter=/usr/bin/python3
EOF
# ANSIBLE_SSH_ARGS replaces Ansible's defaults, so the control master is
# asked for again; pipelining and piped transfers save round trips (the
# test sshd has no sftp subsystem).
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 \
	ANSIBLE_LOCALHOST_WARNING=0 ANSIBLE_HOME="$T/ansible-home" \
	ANSIBLE_LOCAL_TEMP="$T/ansible-tmp" ANSIBLE_STDOUT_CALLBACK=json \
	ANSIBLE_PIPELINING=1 ANSIBLE_SSH_TRANSFER_METHOD=piped \
	ANSIBLE_HOST_KEY_CHECKING=1
# (for ansible-playbook alone: tend refuses ANSIBLE_SSH_ARGS, docs/ansible-cfg.md)
SSH_ARGS="-o ControlMaster=auto -o ControlPersist=30s -o ControlPath=$T/cp/%C -o UserKnownHostsFile=$T/sshd/known_hosts -o StrictHostKeyChecking=yes"

# compare_run N [tend]: run N of both tools (of tend alone with "tend":
# its trees are then compared with ansible-playbook's of the run before)
compare_run() {
	n=$1
	if [ "${2:-}" != tend ]; then
		ANSIBLE_SSH_ARGS=$SSH_ARGS ansible-playbook -i "$T/inventory" "$T/pb/hostile.yml" -e root="$T/ansible" \
			>"$T/a$n.json" 2>"$T/a$n.err" ||
			{ cat "$T/a$n.json" "$T/a$n.err"; fail "ansible-playbook failed (run $n)"; }
		snapshot "$T/ansible" >"$T/a.snap"
	fi
	run_tend 0 apply "$T/pb/hostile.yml" -i "$T/inventory" -e root="$T/tend" --format json
	cp "$T/out" "$T/t$n.json"
	snapshot "$T/tend" >"$T/t.snap"
	if ! cmp -s "$T/a.snap" "$T/t.snap"; then
		diff -u "$T/a.snap" "$T/t.snap" || true
		for f in $(cd "$T/ansible" && find . -type f); do
			cmp -s "$T/ansible/$f" "$T/tend/$f" || {
				echo "== $f"
				cmp -l "$T/ansible/$f" "$T/tend/$f" | head -5 || true
			}
		done
		fail "tend and ansible-playbook left different trees (run $n)"
	fi
	# cat_braces: host output that looks like a template stays data
	[ "${2:-}" = tend ] ||
		/usr/bin/python3 "$TOP/tests/lib/compare-results.py" "$T/a$n.json" \
			"$T/t$n.json" cats cat_nonl cat_braces ||
		fail "tend and ansible-playbook report differently (run $n)"
}
compare_run 1
# over SSH as locally (h1 and local1 are the same paths under each root)
snapshot "$T/tend/h1" >"$T/h1.snap"
snapshot "$T/tend/local1" >"$T/local1.snap"
cmp -s "$T/h1.snap" "$T/local1.snap" ||
	{ diff -u "$T/local1.snap" "$T/h1.snap"; fail "tend over ssh and locally differ"; }
# copy src landed byte for byte, whatever Ansible did
for p in "$F"/*; do
	f=${p##*/}
	for h in h1 local1; do
		cmp "$F/$f" "$T/tend/$h/src-$f" || fail "copy src $f on $h"
	done
done
# The second run changes only the commands, as ansible-playbook's second
# run does (it changed just these three when this test was written; its
# run is not repeated here, for the time it takes), nothing fails, and
# the trees stay Ansible's.
compare_run 2 tend
[ "$(json_get "$T/t2.json" "sorted({t['status'] for h in d['hosts'] for t in h['tasks']} & {'failed', 'unreachable'})")" = "[]" ] ||
	{ cat "$T/t2.json"; fail "a task of the second tend run failed"; }
[ "$(json_get "$T/t2.json" "sorted({t['task'] for h in d['hosts'] for t in h['tasks'] if t['status'] == 'changed'})")" = "['cat hostile stdin', 'cat stdin that looks like a template', 'cat stdin without the newline']" ] ||
	{ cat "$T/t2.json"; fail "second tend run changed more than the commands"; }

# The printf bug's own cases, over SSH, against the exact bytes. Each ran
# `changed`, exit 0, and wrote nothing (or 32,768 bytes).
B=$T/bug
mkdir -p "$B"
printf -- '---\nfoo: bar\n' >"$B/doc.yml"
cat >"$T/pb/bug.yml" <<'YML'
- hosts: h1
  gather_facts: false
  tasks:
    - copy: { content: "---\nfoo: bar\n", dest: "{{ b }}/content.yml" }
    - lineinfile: { path: "{{ b }}/doc.yml", line: "x: 1" }
    - copy: { src: s32882.txt, dest: "{{ b }}/s32882.txt" }
    - command: cat
      args: { stdin: "-n x" }
      register: r
    - copy: { content: "{{ r.stdout }}|", dest: "{{ b }}/cat" }
    - copy: { src: s65537.bin, dest: "{{ b }}/s65537.bin" }
YML
start=$(date +%s)
run_tend 0 apply "$T/pb/bug.yml" -i "$T/inventory" -e b="$B"
took=$(($(date +%s) - start))
expect_content "$B/content.yml" "---
foo: bar
"
expect_content "$B/doc.yml" "---
foo: bar
x: 1
"
cmp "$F/s32882.txt" "$B/s32882.txt" || fail "32,882-byte src cut to $(wc -c <"$B/s32882.txt") bytes"
expect_content "$B/cat" "-n x|"
cmp "$F/s65537.bin" "$B/s65537.bin" || fail "65,537-byte src"
# input over 64 KiB goes through an exec channel, whose EOF was once sent
# only after the next keepalive (15 s)
[ "$took" -lt 10 ] || fail "the bug playbook took $took s over ssh (stalled on a keepalive?)"

#!/bin/sh
# ansible.cfg's connection and become settings on a real sshd host: its
# remote_user, remote_port, private_key_file (relative to the file) and
# [privilege_escalation] become/become_user log in and become as it says;
# ANSIBLE_* variables beat the file, tend.yml's ssh: sits between them,
# inventory vars and play keywords beat all of them; a plan says what
# will change; ansible-playbook with the same file does the same. Then
# [ssh_connection] ssh_common_args and ssh_extra_args.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-sshd.sh"
command -v sudo >/dev/null || fail "sudo is not installed (make test-deps)"
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 \
	ANSIBLE_HOME="$T/ansible-home" ANSIBLE_LOCAL_TEMP="$T/ansible-tmp" \
	ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 HOME="$T/home"
mkdir -p "$HOME"
sshd_start 1 "$T/sshd"
PORT=$(sshd_port "$T/sshd" h1)
ME=$(id -un)
mkdir -p "$T/proj/keys" "$T/pub" && chmod 777 "$T/pub" && chmod 755 "$T"
cp "$T/sshd/client_key" "$T/proj/keys/id"
# the host only: no user, port or key in the inventory
cat >"$T/proj/hosts" <<INV
h1 ansible_host=127.0.0.1 tend_known_hosts=$T/sshd/known_hosts ansible_ssh_common_args='-o UserKnownHostsFile=$T/sshd/known_hosts -o StrictHostKeyChecking=yes'
INV
cat >"$T/proj/ansible.cfg" <<CFG
[defaults]
inventory = hosts
remote_user = $ME
remote_port = $PORT
private_key_file = keys/id
timeout = 20
host_key_checking = True

[privilege_escalation]
become = True
become_user = nobody
become_method = sudo
CFG
cat >"$T/proj/who.yml" <<'YML'
- hosts: h1
  gather_facts: false
  tasks:
    - command: id -un
      register: who
      changed_when: false
    - copy: { content: "{{ who.stdout }}\n", dest: "{{ out }}/who-{{ tag }}", mode: "0644" }
YML
cd "$T/proj"

# a plan first: it says what will change, and changes nothing
run_tend 2 plan who.yml -e out="$T/pub" -e tag=t --detailed-exitcode --unknown-is-change
expect_in "$T/out" "= ok      command"   # it ran over ssh, as the file says
expect_in "$T/out" "? unknown copy"
[ ! -e "$T/pub/who-t" ] || fail "plan wrote a file"
run_tend 0 apply who.yml -e out="$T/pub" -e tag=t
expect_content "$T/pub/who-t" "nobody
"
ansible-playbook who.yml -e out="$T/pub" -e tag=a >"$T/ansible.log" 2>&1 ||
	{ cat "$T/ansible.log"; fail "ansible-playbook with the same ansible.cfg"; }
expect_content "$T/pub/who-a" "nobody
"
# re-apply: all ok
run_tend 0 apply who.yml -e out="$T/pub" -e tag=t --format json
[ "$(json_get "$T/out" "d['summary']['changed']")" = 0 ] || fail "re-apply changed"

# ANSIBLE_BECOME over the file; then ANSIBLE_BECOME_USER
rm -f "$T/pub/who-t"
ANSIBLE_BECOME=false run_tend 0 apply who.yml -e out="$T/pub" -e tag=t
expect_content "$T/pub/who-t" "$ME
"
# a play keyword beats the file
sed 's/gather_facts: false/gather_facts: false\n  become: false/' who.yml >who-nb.yml
rm -f "$T/pub/who-t"
run_tend 0 apply who-nb.yml -e out="$T/pub" -e tag=t
expect_content "$T/pub/who-t" "$ME
"

# ANSIBLE_REMOTE_USER over the file: a user the host does not know fails
ANSIBLE_REMOTE_USER=no-such-user run_tend 3 plan who.yml -e out="$T/pub" -e tag=x
expect_in "$T/out" "unreachable"
# tend.yml's ssh: sits between: over the file, under the variable
printf 'ssh:\n  user: no-such-user\n' >"$T/proj/tend.yml"
run_tend 3 plan who.yml --config "$T/proj/tend.yml" -e out="$T/pub" -e tag=x
ANSIBLE_REMOTE_USER=$ME run_tend 0 plan who.yml --config "$T/proj/tend.yml" -e out="$T/pub" -e tag=t
# the inventory's ansible_user beats the variable
printf 'h1 ansible_host=127.0.0.1 ansible_user=%s tend_known_hosts=%s\n' "$ME" "$T/sshd/known_hosts" >"$T/proj/hosts2"
ANSIBLE_REMOTE_USER=no-such-user run_tend 0 plan who.yml -i hosts2 -e out="$T/pub" -e tag=t
# the port and the key come from the file: a wrong port fails
ANSIBLE_REMOTE_PORT=1 run_tend 3 plan who.yml -e out="$T/pub" -e tag=x
ANSIBLE_PRIVATE_KEY_FILE=$T/nokey run_tend 3 plan who.yml -e out="$T/pub" -e tag=x
# timeout: a host that accepts and never speaks SSH is unreachable after
# the file's timeout (tend's default is longer)
cat >"$T/silent.py" <<'PY'
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(5)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
held = []
while True:
    held.append(s.accept()[0])
PY
python3 "$T/silent.py" "$T/silent.port" &
SILENT=$!
stop_silent() { kill "$SILENT" 2>/dev/null || true; }
on_exit stop_silent
i=0; while [ ! -s "$T/silent.port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
printf 'h1 ansible_host=127.0.0.1 ansible_port=%s tend_known_hosts=%s\n' "$(cat "$T/silent.port")" "$T/sshd/known_hosts" >"$T/proj/silent"
printf '[defaults]\ntimeout = 1\n' >"$T/proj/t.cfg"
start=$(date +%s)
ANSIBLE_CONFIG="$T/proj/t.cfg" run_tend 3 plan who.yml -i silent -e out="$T/pub" -e tag=x
expect_in "$T/out" "unreachable"
took=$(($(date +%s) - start))
[ "$took" -le 4 ] || fail "timeout = 1 took ${took}s"
stop_silent

# a hostile become_user is data: sudo is told that user, and fails
ANSIBLE_BECOME_USER="-x'; touch $T/pwned; echo \"%\\" run_tend 3 apply who.yml -e out="$T/pub" -e tag=h
expect_in "$T/out" "failed"
[ ! -e "$T/pwned" ] || fail "become_user reached a shell"
[ ! -e "$T/pub/who-h" ] || fail "the hostile become_user ran the task"
# ... and it is templated as a play's become_user is: {{ x }} is undefined
ANSIBLE_BECOME_USER="{{ x }}" run_tend 3 apply who.yml -e out="$T/pub" -e tag=h
expect_in "$T/out" "in 'become_user': 'x' is undefined"

# [ssh_connection] ssh_common_args and ssh_extra_args: OpenSSH options for
# every host, as --ssh-common-args (a bare inventory: port, user, key and
# known_hosts come from them), as ansible-playbook reads them; the
# variable beats the file, the command line beats both; what tend cannot
# honour is refused with FILE:LINE before anything runs
printf 'h1 ansible_host=127.0.0.1\n' >"$T/proj/bare"
rm "$T/proj/tend.yml" # (its user would win over the options' -l)
cat >"$T/proj/ssh.cfg" <<CFG
[defaults]
inventory = bare

[ssh_connection]
ssh_common_args = -o Port=$PORT -o UserKnownHostsFile=$T/sshd/known_hosts -o StrictHostKeyChecking=yes
ssh_extra_args = -l $ME -i $T/proj/keys/id
CFG
export ANSIBLE_CONFIG="$T/proj/ssh.cfg"
run_tend 0 apply who.yml -e out="$T/pub" -e tag=c
expect_content "$T/pub/who-c" "$ME
"
ansible-playbook who.yml -e out="$T/pub" -e tag=ac >"$T/ansible.log" 2>&1 ||
	{ cat "$T/ansible.log"; fail "ansible-playbook with ssh_common_args"; }
expect_content "$T/pub/who-ac" "$ME
"
ANSIBLE_SSH_COMMON_ARGS="-o Port=1 -o UserKnownHostsFile=$T/sshd/known_hosts" \
	run_tend 3 plan who.yml -e out="$T/pub" -e tag=c
expect_in "$T/out" "unreachable"
ANSIBLE_SSH_COMMON_ARGS="-o Port=1" run_tend 0 plan who.yml -e out="$T/pub" -e tag=c \
	--ssh-common-args "-o Port=$PORT -o UserKnownHostsFile=$T/sshd/known_hosts"
printf '[ssh_connection]\nssh_extra_args = -l %s\nssh_common_args = -o ProxyCommand=nc\n' "$ME" >"$T/proj/bad.cfg"
ANSIBLE_CONFIG="$T/proj/bad.cfg" run_tend 1 validate who.yml
expect_in "$T/err" "bad.cfg:3: '-o ProxyCommand=nc' is not supported"
ANSIBLE_SSH_EXTRA_ARGS="-D 1080" run_tend 1 plan who.yml -e out="$T/pub" -e tag=c
expect_in "$T/err" "ANSIBLE_SSH_EXTRA_ARGS: '-D' is not supported"
unset ANSIBLE_CONFIG
echo ok

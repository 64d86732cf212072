#!/bin/sh
# ansible-playbook's -u, --private-key, --timeout, -b, --become-user and
# --become-method against a real sshd host whose inventory names neither
# user nor key: with them the run logs in and becomes the user asked
# (ansible-playbook with the same flags leaves the same files); the
# inventory's ansible_user and a play's remote_user/become win over the
# command line, as in Ansible; --timeout bounds the connection to a host
# that never answers.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-sshd.sh"
. "$TOP/tests/lib/lib-compare.sh"
[ "$(id -u)" = 0 ] || fail "needs root (sudo -u nobody)"
sshd_start 1 "$T/sshd"
port=$(sshd_port "$T/sshd" h1)
me=$(id -un)
key=$T/sshd/client_key
common="ansible_ssh_common_args='-o UserKnownHostsFile=$T/sshd/known_hosts -o StrictHostKeyChecking=yes'"
printf 'h1 ansible_host=127.0.0.1 ansible_port=%s tend_known_hosts=%s %s\n' \
	"$port" "$T/sshd/known_hosts" "$common" >"$T/inv"
cat >"$T/p.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - command: id -un
      register: who
    - copy:
        content: "{{ who.stdout }}\n"
        dest: "{{ base }}/{{ inventory_hostname }}"
YML
chmod 0755 "$T"

# no user, no key: refused (the login key is only on the command line)
COMPARE_RC=3 compare_run none "$T/p.yml" "$T/inv" -u nosuchuser
expect_in "$T/out" "unreachable"

# -u and --private-key log in; -b --become-user runs as that user
compare_run login "$T/p.yml" "$T/inv" -u "$me" --private-key "$key"
expect_content "$T/login-tend/h1" "$me
"
mkdir -p "$T/become-tend" && chmod 1777 "$T/become-tend"
run_tend 0 apply "$T/p.yml" -i "$T/inv" -u "$me" --private-key "$key" \
	-b --become-user nobody -e base="$T/become-tend"
expect_content "$T/become-tend/h1" "nobody
"
[ "$(stat -c %U "$T/become-tend/h1")" = nobody ] || fail "-b: the file is not nobody's"
# the same with ansible-playbook
mkdir -p "$T/become-ansible" && chmod 1777 "$T/become-ansible"
ansible-playbook -i "$T/inv" "$T/p.yml" -u "$me" --private-key "$key" \
	-b --become-user nobody -e base="$T/become-ansible" >"$T/a.log" 2>&1 ||
	{ cat "$T/a.log"; fail "ansible-playbook -b"; }
expect_content "$T/become-ansible/h1" "nobody
"

# the inventory's ansible_user wins over -u (Ansible's precedence)
printf 'h1 ansible_host=127.0.0.1 ansible_port=%s tend_known_hosts=%s ansible_user=%s\n' \
	"$port" "$T/sshd/known_hosts" "$me" >"$T/inv-user"
run_tend 0 apply "$T/p.yml" -i "$T/inv-user" -u nosuchuser --private-key "$key" -e base="$T/login-tend"
# a play's remote_user and become: false win over -u and -b
cat >"$T/p2.yml" <<YML
- hosts: all
  gather_facts: false
  remote_user: $me
  become: false
  tasks:
    - command: id -un
      register: who
    - copy: {content: "{{ who.stdout }}\n", dest: "$T/p2-out"}
YML
run_tend 0 apply "$T/p2.yml" -i "$T/inv" -u nosuchuser --private-key "$key" -b --become-user nobody
expect_content "$T/p2-out" "$me
"
run_tend 1 plan "$T/p.yml" -i "$T/inv" --become-method doas
expect_in "$T/err" "--become-method 'doas' is not supported: tend becomes with sudo or su"
run_tend 1 plan "$T/p.yml" -i "$T/inv" --timeout soon
expect_in "$T/err" "--timeout expects a number of seconds (1 or more), got 'soon'"

# --timeout: a port that accepts and never speaks SSH
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
print(s.getsockname()[1], flush=True); time.sleep(120)' >"$T/mute.port" &
mute=$!
stop_mute() { kill "$mute" 2>/dev/null || true; }
on_exit stop_mute
i=0; while [ ! -s "$T/mute.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
printf 'm1 ansible_host=127.0.0.1 ansible_port=%s\n' "$(cat "$T/mute.port")" >"$T/inv-mute"
start=$(date +%s)
run_tend 3 plan "$T/p.yml" -i "$T/inv-mute" -u "$me" --private-key "$key" --timeout 2
took=$(($(date +%s) - start))
[ "$took" -le 8 ] || fail "--timeout 2 took ${took}s"
expect_in "$T/out" "unreachable"

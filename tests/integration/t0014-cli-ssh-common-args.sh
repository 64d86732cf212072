#!/bin/sh
# --ssh-common-args: the OpenSSH options tend has an equivalent for are
# the host's connection settings where the inventory sets none (a real
# sshd host reached only through them: -o User, IdentityFile, Port,
# UserKnownHostsFile, StrictHostKeyChecking, ConnectTimeout; -l, -i,
# -p); the inventory's own win; a host's ansible_ssh_common_args and
# _extra_args mean the same; any other option is refused by name, never
# dropped.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-sshd.sh"
sshd_start 1 "$T/sshd"
port=$(sshd_port "$T/sshd" h1)
me=$(id -un)
cat >"$T/p.yml" <<YML
- hosts: all
  gather_facts: false
  tasks:
    - command: id -un
      register: who
    - copy: {content: "{{ who.stdout }}\n", dest: "$T/out-{{ inventory_hostname }}"}
YML
printf 'h1 ansible_host=127.0.0.1\n' >"$T/inv"
# nothing but the options: port, user, key, known_hosts come from them
run_tend 0 apply -i "$T/inv" "$T/p.yml" --ssh-common-args \
	"-o Port=$port -o 'User $me' -oIdentityFile=$T/sshd/client_key -o UserKnownHostsFile=$T/sshd/known_hosts -o StrictHostKeyChecking=yes -o ConnectTimeout=5"
expect_content "$T/out-h1" "$me
"
rm "$T/out-h1"
run_tend 0 apply -i "$T/inv" "$T/p.yml" --ssh-common-args \
	"-p $port -l $me -i $T/sshd/client_key -o UserKnownHostsFile=$T/sshd/known_hosts"
expect_content "$T/out-h1" "$me
"
# the inventory's port wins over the options'
printf 'h1 ansible_host=127.0.0.1 ansible_port=%s\n' "$port" >"$T/inv2"
run_tend 0 apply -i "$T/inv2" "$T/p.yml" --ssh-common-args \
	"-p 1 -l $me -i $T/sshd/client_key -o UserKnownHostsFile=$T/sshd/known_hosts"
# without the known_hosts option the host key is unknown: checked, refused
run_tend 3 apply -i "$T/inv" "$T/p.yml" --ssh-common-args "-p $port -l $me -i $T/sshd/client_key"
# what tend cannot honour is refused by name
for bad in "-o ProxyCommand=nc" "-o StrictHostKeyChecking=no" "-C" "-D 1080"; do
	run_tend 1 plan -i "$T/inv" "$T/p.yml" --ssh-common-args "$bad"
	expect_in "$T/err" "--ssh-common-args:"
	expect_in "$T/err" "not supported"
done
run_tend 1 plan -i "$T/inv" "$T/p.yml" --ssh-common-args "-o 'User x"
expect_in "$T/err" "--ssh-common-args: no closing quotation"
# -o keywords that change nothing for tend are accepted and ignored
run_tend 0 apply -i "$T/inv2" "$T/p.yml" --ssh-common-args \
	"-l $me -i $T/sshd/client_key -o UserKnownHostsFile=$T/sshd/known_hosts -o ControlMaster=auto -o Compression=yes"

# a host's own ansible_ssh_common_args (and _extra_args) mean the same
rm -f "$T/out-h1"
cat >"$T/inv3" <<INI
h1 ansible_host=127.0.0.1 ansible_ssh_common_args='-o Port=$port -l $me -o UserKnownHostsFile=$T/sshd/known_hosts -o StrictHostKeyChecking=yes' ansible_ssh_extra_args='-i $T/sshd/client_key -p 1'
INI
run_tend 0 apply -i "$T/inv3" "$T/p.yml"
expect_content "$T/out-h1" "$me
"
# the host's vars win over its options (Ansible puts -o Port= first)
printf "h1 ansible_host=127.0.0.1 ansible_port=%s ansible_user=%s ansible_ssh_common_args='-p 1 -l nobody -i %s -o UserKnownHostsFile=%s'\n" \
	"$port" "$me" "$T/sshd/client_key" "$T/sshd/known_hosts" >"$T/inv4"
run_tend 0 apply -i "$T/inv4" "$T/p.yml"
# and what tend cannot honour is refused by name, with the var's name
printf "h1 ansible_host=127.0.0.1 ansible_ssh_common_args='-o ProxyCommand=nc'\n" >"$T/inv6"
run_tend 3 apply -i "$T/inv6" "$T/p.yml"
expect_in "$T/out" "ansible_ssh_common_args: '-o ProxyCommand=nc' is not supported"

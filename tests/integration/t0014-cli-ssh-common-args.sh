#!/bin/sh
# --ssh-common-args: the OpenSSH options tend has an equivalent for are
# the host's connection settings where the inventory sets none (a real
# sshd host reached only through them: -o User, IdentityFile, Port,
# UserKnownHostsFile, StrictHostKeyChecking, ConnectTimeout; -l, -i,
# -p); the inventory's own win; any other option is refused by name,
# never dropped.
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
for bad in "-J jump" "-o ProxyJump=jump" "-o StrictHostKeyChecking=no" "-C" "-o Compression=yes"; do
	run_tend 1 plan -i "$T/inv" "$T/p.yml" --ssh-common-args "$bad"
	expect_in "$T/err" "--ssh-common-args:"
	expect_in "$T/err" "not supported"
done
run_tend 1 plan -i "$T/inv" "$T/p.yml" --ssh-common-args "-o 'User x"
expect_in "$T/err" "--ssh-common-args: no closing quotation"

#!/bin/sh
# ProxyJump through libssh2 direct-tcpip channels: the target sshd runs
# in a network namespace of its own, on that namespace's loopback, so it
# is reachable only through a jump host in the same namespace (itself on
# a veth address). -J in ansible_ssh_common_args (depth 1 and a chain of
# 2 through a jump host outside), ProxyJump in ssh_config (-F); each
# jump host's key is checked against known_hosts like any host's; no
# jump: unreachable.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-sshd.sh"
me=$(id -un)
ns=tendpj$$
net=10.$((200 + $$ % 50)).$(($$ % 250)).
vh=tpjh$$ vn=tpjn$$
ip netns add "$ns"
netns_del() { ip netns del "$ns" 2>/dev/null; }
on_exit netns_del
ip link add "$vh" type veth peer name "$vn"
ip link set "$vn" netns "$ns"
ip addr add "${net}1/30" dev "$vh"
ip link set "$vh" up
ip netns exec "$ns" ip addr add "${net}2/30" dev "$vn"
ip netns exec "$ns" ip link set "$vn" up
ip netns exec "$ns" ip link set lo up

# h1: an outer jump host on this machine's loopback
sshd_start 1 "$T/sshd"
# j2 (also on the veth address) and the target, inside the namespace
printf '#!/bin/sh\nexec ip netns exec %s /usr/sbin/sshd "$@"\n' "$ns" >"$T/sshd-ns"
chmod +x "$T/sshd-ns"
SSHD_BIN=$T/sshd-ns SSHD_EXTRA_CONFIG="ListenAddress ${net}2" \
	sshd_start_host "$T/sshd" j2
SSHD_BIN=$T/sshd-ns sshd_start_host "$T/sshd" target
sshd_write_files "$T/sshd"
p1=$(sshd_port "$T/sshd" h1)
pj=$(sshd_port "$T/sshd" j2)
pt=$(sshd_port "$T/sshd" target)
printf '[%s]:%s %s\n' "${net}2" "$pj" \
	"$(cut -d' ' -f1,2 "$T/sshd/j2/host_key.pub")" >>"$T/sshd/known_hosts"

cat >"$T/p.yml" <<YML
- hosts: all
  gather_facts: false
  tasks:
    - command: id -un
      register: who
    - copy: {content: "{{ who.stdout }}\n", dest: "$T/out-{{ inventory_hostname }}"}
YML
conn="ansible_host=127.0.0.1 ansible_port=$pt ansible_user=$me ansible_ssh_private_key_file=$T/sshd/client_key tend_known_hosts=$T/sshd/known_hosts"
# without a jump the target is not there
printf 'target %s\n' "$conn" >"$T/inv0"
run_tend 3 apply -i "$T/inv0" "$T/p.yml"
expect_in "$T/out" "cannot connect to '127.0.0.1' port $pt"
# depth 1: -J in the host's common args
printf "target %s ansible_ssh_common_args='-J %s2:%s'\n" "$conn" "$net" "$pj" >"$T/inv1"
run_tend 0 apply -i "$T/inv1" "$T/p.yml"
expect_content "$T/out-target" "$me
"
rm "$T/out-target"
# depth 2: through h1 (outside), then j2 (inside)
printf "target %s ansible_ssh_common_args='-o ProxyJump=%s@127.0.0.1:%s,%s2:%s'\n" \
	"$conn" "$me" "$p1" "$net" "$pj" >"$T/inv2"
run_tend 0 apply -i "$T/inv2" "$T/p.yml" -vvvv
# -vvvv names the hops in the order the connection takes them
expect_in "$T/out" "; via $me@127.0.0.1:$p1, $me@${net}2:$pj; one persistent shell"
expect_content "$T/out-target" "$me
"
rm "$T/out-target"
# ssh_config's ProxyJump, for an alias
cat >"$T/cfg" <<CFG
Host inner
    HostName 127.0.0.1
    Port $pt
    ProxyJump ${net}2:$pj
CFG
printf 'inner ansible_user=%s ansible_ssh_private_key_file=%s tend_known_hosts=%s\n' \
	"$me" "$T/sshd/client_key" "$T/sshd/known_hosts" >"$T/inv3"
run_tend 0 apply -i "$T/inv3" "$T/p.yml" -F "$T/cfg"
expect_content "$T/out-inner" "$me
"
# a jump host whose key is unknown is refused, as any host
grep -v "^\[${net}2\]" "$T/sshd/known_hosts" >"$T/kh-nojump"
sed "s|tend_known_hosts=[^ ]*|tend_known_hosts=$T/kh-nojump|" "$T/inv1" >"$T/inv4"
run_tend 3 apply -i "$T/inv4" "$T/p.yml"
expect_in "$T/out" "host key for '[${net}2]:$pj' is not in known_hosts"
# a hop that is not [user@]host[:port] is refused by name
printf "target %s ansible_ssh_common_args='-J ssh://%s2'\n" "$conn" "$net" >"$T/inv5"
run_tend 3 apply -i "$T/inv5" "$T/p.yml"
expect_in "$T/out" "is not [user@]host[:port]"

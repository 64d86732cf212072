#!/bin/sh
# tests/lib/lib-sshd.sh: two sshd hosts whose known_hosts, client key and
# inventory work for OpenSSH and for ansible as written, and which stop
# with the test. (The transport itself: tests/unit/test_transport_ssh.c.)
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-sshd.sh"

sshd_start 2
D=$T/sshd
for h in h1 h2; do
	port=$(sshd_port "$D" $h)
	out=$(ssh -o BatchMode=yes -o StrictHostKeyChecking=yes \
		-o UserKnownHostsFile="$D/known_hosts" -i "$D/client_key" \
		-p "$port" "$(id -un)"@127.0.0.1 'echo "$HOME"')
	[ "$out" = "$D/$h/home" ] || fail "$h: HOME is '$out'"
	grep -q "^\[127.0.0.1\]:$port ssh-ed25519 " "$D/known_hosts" ||
		fail "$h not in known_hosts"
done
[ "$(sshd_port "$D" h1)" != "$(sshd_port "$D" h2)" ] || fail "same port"

ansible-inventory -i "$D/inventory" --host h2 >"$T/h2.json"
[ "$(json_get "$T/h2.json" "d['ansible_port']")" = "$(sshd_port "$D" h2)" ] ||
	fail "ansible_port of h2"
[ "$(json_get "$T/h2.json" "d['tend_known_hosts']")" = "$D/known_hosts" ] ||
	fail "tend_known_hosts of h2"
ANSIBLE_HOST_KEY_CHECKING=True ansible all -i "$D/inventory" -m ping \
	>"$T/ping" 2>&1 || { cat "$T/ping"; fail "ansible cannot reach the hosts"; }
[ "$(grep -c SUCCESS "$T/ping")" = 2 ] || { cat "$T/ping"; fail "ping"; }

# a killed host refuses connections; the other one lives on
pid2=$(cat "$D/h2/sshd.pid")
sshd_signal "$D" h1 KILL
if ssh -o BatchMode=yes -o ConnectTimeout=2 -o UserKnownHostsFile="$D/known_hosts" \
	-i "$D/client_key" -p "$(sshd_port "$D" h1)" 127.0.0.1 true 2>/dev/null; then
	fail "h1 still answers"
fi
kill -0 "$pid2" || fail "h2 died with h1"

# stopping is by PID, and on exit
sshd_stop_all "$D"
sleep 0.2
state=$(sed 's/.*) //' "/proc/$pid2/stat" 2>/dev/null | cut -c1)
case $state in ""|Z) ;; *) fail "h2 (pid $pid2) still runs" ;; esac

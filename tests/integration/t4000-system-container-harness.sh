#!/bin/sh
# The container harness (tests/lib/lib-container.sh) gives a real Debian 12
# machine: systemd is PID 1, tend reaches it over SSH on loopback with the
# host key checked strictly, apt reaches the mirror through the proxy
# device, and a second container is a separate machine.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-container.sh"
ct_launch c1
cat >"$T/pb.yml" <<'YML'
- hosts: c1
  gather_facts: false
  tasks:
    - command: cat /proc/1/comm
      register: init
    - command: sh -c '. /etc/os-release; echo "$ID $VERSION_ID"'
      register: os
    - command: curl -s -o /dev/null -w '%{http_code}' -x http://127.0.0.1:3142 http://deb.debian.org/debian/dists/bookworm/Release
      register: mirror
    - copy: { dest: /root/marker, content: "from tend\n" }
    - debug: { msg: "init={{ init.stdout }} os={{ os.stdout }} mirror={{ mirror.stdout }}" }
YML
run_tend 0 apply "$T/pb.yml" -i "$CT_DIR/inventory"
expect_in "$T/out" "init=systemd os=debian 12 mirror=200"
[ "$(ct_exec c1 cat /root/marker)" = "from tend" ] || fail "the file is not in the container"
# host keys are strict: another key for that port is refused
sed 's/ssh-ed25519 .*/ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMTtsMbqyKfhUN8ZdkwFVlnudBDgfZMWBz4SwBUa+sKX/' \
	"$CT_DIR/known_hosts" >"$T/bad_known_hosts"
sed "s,tend_known_hosts=[^ ]*,tend_known_hosts=$T/bad_known_hosts," \
	"$CT_DIR/inventory" >"$T/bad_inventory"
run_tend 3 apply "$T/pb.yml" -i "$T/bad_inventory"
[ "$(ct_exec c1 cat /root/marker)" = "from tend" ] || fail "marker changed"
# a second container is another machine
ct_launch c2
ct_exec c2 test ! -e /root/marker || fail "c2 sees c1's file"
[ "$(ct_exec c2 hostname)" = c2 ] && [ "$(ct_exec c1 hostname)" = c1 ] || fail "host names"

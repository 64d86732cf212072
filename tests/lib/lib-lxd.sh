# A private LXD with a busybox image, for the provisioning tests (t9NNN):
# instance lifecycles need no real distribution, and a busybox container
# starts in well under a second.
#
# Sourced after tests/lib/lib-test.sh.
#
#   lxd_start            start LXD with its own LXD_DIR under $T (a `dir`
#                        pool, no network), import the image as alias
#                        `busybox`; sets LXD_SOCK (the REST API's unix
#                        socket) and LXD_PID; stopped by PID on exit
#   lxd_stop             stop it now (its instances first)
#   tlxc ARGS...         lxc against it
#   lxd_names            its instance names, one a line, sorted
#   lxd_watch            note what LXD holds (each instance's config, the
#                        instance list, the operations) and watch its
#                        lifecycle events, before something that must
#                        change nothing (a plan, a refused apply)
#   lxd_unwatch WHAT     after it: fail, naming WHAT, if anything of that
#                        changed, an operation started or an event came
#
# The image: /bin/busybox from busybox-static and its applet links, with
# busybox's init as /sbin/init and an inittab that keeps one sleeper
# running; the default profile makes SIGUSR2 (busybox's poweroff) the
# halt signal, so a clean stop works. Built into $T each run (a second).

LXD_DIR_T=
LXD_PID=

tlxc() {
	LXD_DIR=$LXD_DIR_T lxc "$@"
}

lxd_names() {
	tlxc list --format csv -c n | LC_ALL=C sort
}

_lxd_image() {
	_r=$T/lxd-image/rootfs
	mkdir -p "$_r/bin" "$_r/sbin" "$_r/etc" "$_r/proc" "$_r/sys" \
		"$_r/dev" "$_r/tmp" "$_r/run" "$_r/root"
	[ -x /bin/busybox ] ||
		fail "busybox-static is missing (make test-deps installs it)"
	cp /bin/busybox "$_r/bin/busybox"
	for _a in $(/bin/busybox --list); do
		[ -e "$_r/bin/$_a" ] || ln -s busybox "$_r/bin/$_a"
	done
	ln -sf ../bin/busybox "$_r/sbin/init"
	cat >"$_r/etc/inittab" <<-'EOF'
	::sysinit:/bin/hostname -F /etc/hostname
	::respawn:/bin/sleep 86400
	EOF
	: >"$_r/etc/hostname"
	cat >"$T/lxd-image/metadata.yaml" <<-EOF
	architecture: $(uname -m)
	creation_date: $(date +%s)
	properties:
	  description: busybox for tend's tests
	  os: busybox
	EOF
	(cd "$T/lxd-image" && tar -cf "$T/lxd-image.tar" metadata.yaml rootfs) ||
		fail "cannot pack the busybox image"
}

lxd_start() {
	command -v lxd >/dev/null ||
		fail "lxd is missing (make test-deps installs lxd lxd-client)"
	# its own directory, outside $T: the containers' root (a mapped
	# uid) must be able to walk into it, and $T is 0700
	LXD_DIR_T=$(mktemp -d /tmp/tend-lxd.XXXXXX)
	chmod 711 "$LXD_DIR_T"
	LXD_DIR=$LXD_DIR_T lxd --group root --logfile "$LXD_DIR_T/lxd.log" \
		>/dev/null 2>&1 &
	LXD_PID=$!
	on_exit lxd_stop
	if ! LXD_DIR=$LXD_DIR_T timeout 60 lxd waitready --timeout=50 2>/dev/null; then
		tail -n 20 "$LXD_DIR_T/lxd.log" >&2 || true
		fail "LXD cannot start on this machine (its log above)"
	fi
	LXD_DIR=$LXD_DIR_T lxd init --preseed >"$T/lxd-init.log" 2>&1 <<-EOF ||
	config: {}
	networks: []
	storage_pools:
	- name: default
	  driver: dir
	profiles:
	- name: default
	  config:
	    raw.lxc: lxc.signal.halt = SIGUSR2
	  devices:
	    root:
	      path: /
	      pool: default
	      type: disk
	EOF
		{ cat "$T/lxd-init.log" >&2; fail "lxd init --preseed failed"; }
	_lxd_image
	tlxc image import "$T/lxd-image.tar" --alias busybox \
		>"$T/lxd-import.log" 2>&1 ||
		{ cat "$T/lxd-import.log" >&2; fail "cannot import the image"; }
	LXD_SOCK=$LXD_DIR_T/unix.socket
}

lxd_stop() {
	[ -n "$LXD_PID" ] || return 0
	for _c in $(tlxc list --format csv -c n 2>/dev/null); do
		tlxc delete -f "$_c" >/dev/null 2>&1 || true
	done
	LXD_DIR=$LXD_DIR_T timeout 20 lxd shutdown --timeout=15 \
		>/dev/null 2>&1 || kill "$LXD_PID" 2>/dev/null || true
	_n=0
	while kill -0 "$LXD_PID" 2>/dev/null && [ "$_n" -lt 150 ]; do
		sleep 0.1
		_n=$((_n + 1))
	done
	kill -9 "$LXD_PID" 2>/dev/null || true
	wait "$LXD_PID" 2>/dev/null || true
	for _m in $(awk -v d="$LXD_DIR_T" 'index($2, d) == 1 { print $2 }' \
		/proc/mounts | sort -r); do
		umount -l "$_m" 2>/dev/null || true
	done
	rm -rf "$LXD_DIR_T"
	LXD_PID=
}

# lxd_https DIR: serve the API on a free loopback port too, trusting a
# new client certificate: sets LXD_HTTPS (https://127.0.0.1:PORT), and
# DIR/client.crt, DIR/client.key; LXD's own certificate is
# $LXD_DIR_T/server.crt.
lxd_https() {
	mkdir -p "$1"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$1/client.key" -out "$1/client.crt" -days 2 \
		-subj /CN=tend-test >/dev/null 2>&1 || fail "openssl req failed"
	tlxc config trust add "$1/client.crt" >/dev/null 2>&1 ||
		fail "lxc config trust add failed"
	_n=0
	while [ "$_n" -lt 10 ]; do
		_n=$((_n + 1))
		_p=$((40000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 20000))
		grep -q ":$(printf '%04X' "$_p") " /proc/net/tcp 2>/dev/null &&
			continue
		tlxc config set core.https_address "127.0.0.1:$_p" \
			>/dev/null 2>&1 || continue
		LXD_HTTPS=https://127.0.0.1:$_p
		return 0
	done
	fail "no free port for LXD's https"
}

_lxd_state() {
	for _c in $(lxd_names); do tlxc config show "$_c"; done
	tlxc list --format csv -c ns
}

lxd_watch() {
	_lxd_state >"$T/lxd.before"
	tlxc operation list --format csv | sort >"$T/ops.before"
	tlxc monitor --type=lifecycle --format=json >"$T/events" 2>/dev/null &
	LXD_MON=$!
	sleep 0.5
}

lxd_unwatch() {
	sleep 0.5
	kill "$LXD_MON" 2>/dev/null || true
	wait "$LXD_MON" 2>/dev/null || true
	_lxd_state >"$T/lxd.after"
	tlxc operation list --format csv | sort >"$T/ops.after"
	cmp -s "$T/lxd.before" "$T/lxd.after" ||
		{ diff "$T/lxd.before" "$T/lxd.after" || true; fail "$1 changed LXD"; }
	# (LXD forgets finished operations after a while: none may be new)
	[ -z "$(comm -13 "$T/ops.before" "$T/ops.after")" ] ||
		fail "$1 started operations: $(comm -13 "$T/ops.before" "$T/ops.after")"
	[ ! -s "$T/events" ] || { cat "$T/events"; fail "$1 caused LXD events"; }
}

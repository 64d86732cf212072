# Debian 12 system containers (LXD) for the system tests (t4xxx): real
# machines with systemd as PID 1, reached over SSH on loopback like any
# host, so that apt, systemd and user changes never touch this machine.
#
# Sourced by a test after tests/lib/lib-test.sh (it needs $T and on_exit).
#
#   ct_launch NAME       launch a container; afterwards $CT_DIR/inventory
#                        lists every container launched so far (group
#                        [containers]), $CT_DIR/known_hosts holds their host
#                        keys, $CT_DIR/client_key logs in as root, and
#                        $CT_DIR/NAME/{port,line} give its SSH port and its
#                        inventory line
#   ct_exec NAME CMD...  run CMD in the container as root (lxc exec)
#   ct_push NAME SRC DST copy a file into the container
#   ct_delete NAME       remove it now (on exit, every one is removed)
#
# The LXD daemon: tests/run-system.sh starts one for the whole run
# (ct_lxd_start; it exports TEND_CT_LXD_DIR) and every test reuses it. A
# test run alone starts its own and stops it, by PID, on exit. LXD runs
# with a private LXD_DIR, a `dir` storage pool and no network; a container
# has only loopback, plus two proxy devices: 127.0.0.1:PORT on this
# machine to its sshd, and its own 127.0.0.1:3142 to the apt mirror (the
# image's apt.conf.d points apt there).
#
# The image: tests/lib/container-image.sh, built once per machine under
# $TEND_TEST_CACHE (default /var/cache/tend-test), keyed by a hash of
# that script and CT_PACKAGES; a second run imports the cached tarballs.
# When LXD cannot start or the image cannot be built, ct_* fail with a
# message saying so: system tests fail on such a machine, never skip.

CT_PACKAGES=systemd,systemd-sysv,openssh-server,sudo,python3,curl,iproute2,python3-venv,python3-pip,git,unzip,xz-utils,gnupg
CT_CACHE=${TEND_TEST_CACHE:-/var/cache/tend-test}
_ct_lib=$(cd "$(dirname "${TOP:-.}/tests/lib/x")" && pwd)

ct_die() {
	echo "lib-container: $*" >&2
	exit 1
}

# The first http URI of the host's Debian sources: the mirror.
ct_mirror_url() {
	_u=$(sed -n 's/^URIs:[[:space:]]*\(http:[^[:space:]]*\).*/\1/p' \
		/etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
	[ -n "$_u" ] || _u=$(sed -n 's/^deb[[:space:]]\{1,\}\(http:[^[:space:]]*\).*/\1/p' \
		/etc/apt/sources.list 2>/dev/null | head -n 1)
	[ -n "$_u" ] || ct_die "no http mirror in /etc/apt/sources.list.d/debian.sources"
	echo "$_u"
}

# host:port of the mirror, the host resolved here (the container has no DNS).
ct_mirror_addr() {
	_hp=$(ct_mirror_url | sed 's,^http://,,; s,/.*,,')
	_h=${_hp%%:*} _p=80
	[ "$_h" = "$_hp" ] || _p=${_hp#*:}
	_ip=$(getent ahostsv4 "$_h" | awk 'NR == 1 { print $1 }')
	[ -n "$_ip" ] || ct_die "cannot resolve the mirror host $_h"
	echo "$_ip:$_p"
}

ct_image_key() {
	{ echo "$CT_PACKAGES"; cat "$_ct_lib/container-image.sh"; } |
		sha256sum | cut -c1-16
}

# Build the image unless the cache has it; print its directory. One build
# at a time per machine (flock): a second run waits and reuses it.
ct_image_build() {
	_key=$(ct_image_key)
	_img=$CT_CACHE/deb12-$_key
	mkdir -p "$CT_CACHE" || ct_die "cannot create $CT_CACHE"
	(
		flock 9
		[ -s "$_img/rootfs.tar" ] && [ -s "$_img/meta.tar" ] && exit 0
		command -v debootstrap >/dev/null ||
			ct_die "debootstrap is missing (make test-deps installs it)"
		echo "lib-container: building the Debian 12 image $_img (once per machine)" >&2
		_s=$(date +%s)
		rm -rf "$_img.tmp"
		mkdir -p "$_img.tmp"
		sh "$_ct_lib/container-image.sh" "$_img.tmp" "$(ct_mirror_url)" \
			"$CT_PACKAGES" >&2 || exit 1
		rm -rf "$_img"
		mv "$_img.tmp" "$_img"
		echo "lib-container: image built in $(($(date +%s) - _s)) s" >&2
	) 9>"$CT_CACHE/.lock" || ct_die "cannot build the container image"
	echo "$_img"
}

_ct_lxc() {
	LXD_DIR=$TEND_CT_LXD_DIR lxc "$@"
}

# Start a private LXD; export TEND_CT_LXD_DIR and TEND_CT_LXD_PID. Imports
# the image as alias $TEND_CT_IMAGE.
ct_lxd_start() {
	command -v lxd >/dev/null ||
		ct_die "lxd is missing (make test-deps installs lxd lxd-client)"
	TEND_CT_LXD_DIR=$(mktemp -d /tmp/tend-lxd.XXXXXX)
	export TEND_CT_LXD_DIR
	LXD_DIR=$TEND_CT_LXD_DIR lxd --group root \
		--logfile "$TEND_CT_LXD_DIR/lxd.log" >/dev/null 2>&1 &
	TEND_CT_LXD_PID=$!
	export TEND_CT_LXD_PID
	if ! LXD_DIR=$TEND_CT_LXD_DIR timeout 60 lxd waitready --timeout=50 2>/dev/null; then
		tail -n 20 "$TEND_CT_LXD_DIR/lxd.log" >&2 || true
		ct_lxd_stop
		ct_die "LXD cannot start on this machine (see its log above)"
	fi
	_ct_lxc query >/dev/null 2>&1 || true
	if ! LXD_DIR=$TEND_CT_LXD_DIR lxd init --preseed >"$TEND_CT_LXD_DIR/init.log" 2>&1 <<-EOF
	config: {}
	networks: []
	storage_pools:
	- name: default
	  driver: dir
	profiles:
	- name: default
	  devices:
	    root:
	      path: /
	      pool: default
	      type: disk
	EOF
	then
		cat "$TEND_CT_LXD_DIR/init.log" >&2
		ct_lxd_stop
		ct_die "LXD started but 'lxd init --preseed' failed"
	fi
	_img=$(ct_image_build) || { ct_lxd_stop; exit 1; }
	TEND_CT_IMAGE=deb12-$(basename "$_img" | sed 's/^deb12-//')
	export TEND_CT_IMAGE
	echo "lib-container: LXD up; importing the image" >&2
	_ct_lxc image import "$_img/meta.tar" "$_img/rootfs.tar" \
		--alias "$TEND_CT_IMAGE" >"$TEND_CT_LXD_DIR/import.log" 2>&1 || {
		cat "$TEND_CT_LXD_DIR/import.log" >&2
		ct_lxd_stop
		ct_die "cannot import the image $_img into LXD"
	}
}

# Stop the LXD ct_lxd_start started: its containers first, then the
# daemon by its PID; then remove its directory.
ct_lxd_stop() {
	[ -n "${TEND_CT_LXD_PID:-}" ] || return 0
	for _c in $(_ct_lxc list --format csv -c n 2>/dev/null); do
		_ct_lxc delete -f "$_c" >/dev/null 2>&1 || true
	done
	# our daemon (its own socket) exits at once when asked; the PID is
	# the fallback
	LXD_DIR=$TEND_CT_LXD_DIR timeout 20 lxd shutdown --timeout=15 \
		>/dev/null 2>&1 || kill "$TEND_CT_LXD_PID" 2>/dev/null || true
	_n=0
	while kill -0 "$TEND_CT_LXD_PID" 2>/dev/null && [ "$_n" -lt 150 ]; do
		sleep 0.1
		_n=$((_n + 1))
	done
	kill -9 "$TEND_CT_LXD_PID" 2>/dev/null || true
	wait "$TEND_CT_LXD_PID" 2>/dev/null || true
	# the dir pool's image and container trees, and the mounts LXD
	# leaves under its directory
	for _m in $(awk -v d="$TEND_CT_LXD_DIR" 'index($2, d) == 1 { print $2 }' \
		/proc/mounts | sort -r); do
		umount -l "$_m" 2>/dev/null || true
	done
	rm -rf "$TEND_CT_LXD_DIR"
	TEND_CT_LXD_PID=
}

# The daemon for this test: the run's, else one of its own.
_ct_ensure_lxd() {
	[ -n "${_ct_ready:-}" ] && return 0
	CT_DIR=$T/ct
	mkdir -p "$CT_DIR"
	on_exit _ct_delete_all
	if [ -n "${TEND_CT_SHARED:-}" ]; then
		_ct_lxc query /1.0 >/dev/null 2>&1 ||
			ct_die "the run's LXD ($TEND_CT_LXD_DIR) does not answer"
	else
		ct_lxd_start
		on_exit ct_lxd_stop
	fi
	[ -f "$CT_DIR/client_key" ] ||
		ssh-keygen -q -t ed25519 -N '' -C tend-test -f "$CT_DIR/client_key" ||
		ct_die "ssh-keygen failed"
	CT_LAUNCHED=""
	_ct_ready=1
}

_ct_port_busy() {
	_hex=$(printf '%04X' "$1")
	grep -q ":$_hex " /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# The LXD name of container NAME: unique on the machine (other runs may
# have their own LXD, and LXD's cgroups are named after the container).
_ct_name() {
	echo "t$$-$1"
}

ct_launch() {
	_ct_ensure_lxd
	_n=$1 _c=$(_ct_name "$1") _t0=$(date +%s)
	mkdir -p "$CT_DIR/$_n"
	_ct_lxc launch "$TEND_CT_IMAGE" "$_c" >"$CT_DIR/$_n/launch.log" 2>&1 || {
		cat "$CT_DIR/$_n/launch.log" >&2
		ct_die "cannot launch container $_n"
	}
	CT_LAUNCHED="$CT_LAUNCHED $_n"
	_ct_lxc config device add "$_c" apt proxy bind=instance \
		listen=tcp:127.0.0.1:3142 connect="tcp:$(ct_mirror_addr)" \
		>/dev/null || ct_die "cannot add the apt proxy to $_n"
	_tries=0
	while :; do
		_tries=$((_tries + 1))
		[ "$_tries" -le 20 ] || ct_die "no free port for $_n's ssh proxy"
		_r=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
		_port=$((20000 + _r % 20000))
		_ct_port_busy "$_port" && continue
		_ct_lxc config device add "$_c" ssh proxy \
			listen="tcp:127.0.0.1:$_port" connect=tcp:127.0.0.1:22 \
			>/dev/null 2>&1 && break
	done
	echo "$_port" >"$CT_DIR/$_n/port"
	# its host name is NAME, resolvable as on an installed Debian
	_ct_lxc exec "$_c" -- sh -c 'echo "$1" >/etc/hostname && hostname "$1" &&
		printf "127.0.1.1\t%s\n" "$1" >>/etc/hosts' sh "$_n" ||
		ct_die "cannot set the host name of $_n"
	_ct_lxc file push "$CT_DIR/client_key.pub" \
		"$_c/root/.ssh/authorized_keys" --mode 0600 >/dev/null ||
		ct_die "cannot push the key to $_n"
	# sshd up with its host keys (made at first boot)
	_w=0
	until _ct_lxc exec "$_c" -- sh -c \
		'systemctl is-active -q ssh && test -s /etc/ssh/ssh_host_ed25519_key.pub' \
		2>/dev/null; do
		_w=$((_w + 1))
		[ "$_w" -lt 900 ] || ct_die "sshd in $_n did not start in 90 s"
		sleep 0.1
	done
	_key=$(_ct_lxc exec "$_c" -- cat /etc/ssh/ssh_host_ed25519_key.pub | cut -d' ' -f1,2)
	printf '[127.0.0.1]:%s %s\n' "$_port" "$_key" >"$CT_DIR/$_n/known_hosts"
	printf '%s ansible_host=127.0.0.1 ansible_port=%s ansible_user=root ansible_ssh_private_key_file=%s tend_known_hosts=%s\n' \
		"$_n" "$_port" "$CT_DIR/client_key" "$CT_DIR/known_hosts" \
		>"$CT_DIR/$_n/line"
	_ct_write_files
	echo "lib-container: $_n up in $(($(date +%s) - _t0)) s (ssh port $_port)" >&2
}

_ct_write_files() {
	: >"$CT_DIR/known_hosts"
	{
		echo "[containers]"
		for _n in $CT_LAUNCHED; do
			[ -f "$CT_DIR/$_n/line" ] || continue
			cat "$CT_DIR/$_n/known_hosts" >>"$CT_DIR/known_hosts"
			cat "$CT_DIR/$_n/line"
		done
		echo
		echo "[all:vars]"
		echo "ansible_ssh_common_args='-o UserKnownHostsFile=$CT_DIR/known_hosts -o StrictHostKeyChecking=yes'"
	} >"$CT_DIR/inventory"
}

ct_exec() {
	_c=$(_ct_name "$1"); shift
	_ct_lxc exec "$_c" -- "$@"
}

ct_push() {
	_ct_lxc file push "$2" "$(_ct_name "$1")$3" >/dev/null
}

ct_delete() {
	_ct_lxc delete -f "$(_ct_name "$1")" >/dev/null 2>&1 || true
	rm -f "$CT_DIR/$1/line"
	_ct_write_files
}

_ct_delete_all() {
	for _n in ${CT_LAUNCHED:-}; do
		_ct_lxc delete -f "$(_ct_name "$_n")" >/dev/null 2>&1 || true
	done
	CT_LAUNCHED=""
}

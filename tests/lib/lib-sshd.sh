# Real sshd test hosts on 127.0.0.1, for tests of the SSH transport.
#
# Sourced by integration tests after tests/lib/lib-test.sh (which gives $T
# and on_exit); the C unit tests source it alone from `sh -c`, so nothing
# here needs lib-test.sh except the automatic stop on exit.
#
#   sshd_start N [DIR]   start hosts h1..hN under DIR (default $T/sshd) and
#                        write DIR/known_hosts, DIR/inventory, DIR/client_key
#   sshd_start_host DIR NAME
#                        start one more host DIR/NAME (call sshd_write_files
#                        afterwards to list it in known_hosts and inventory)
#   sshd_port DIR NAME   print the port of host NAME
#   sshd_signal DIR NAME SIG
#                        send SIG to the host's listener and every session
#                        process under it (KILL: the host dies mid-session)
#   sshd_stop_all [DIR]  stop every host by its PID (registered with on_exit
#                        by sshd_start when lib-test.sh is loaded)
#
# SSHD_EXTRA_CONFIG, if set, is appended to each new host's sshd_config.
#
# Layout of DIR: client_key(.pub) is the login key, authorized on every
# host; known_hosts lists every host key as `[127.0.0.1]:PORT`; inventory is
# an INI inventory for tend. Each host NAME has DIR/NAME/{sshd_config,
# host_key, authorized_keys, sshd.pid, port, log} and its own HOME,
# DIR/NAME/home, with plain start-up files: root's own start-up files on
# these machines run slow tools and would swamp every measurement.
# Hosts log in as the user running the tests (root in CI).

SSHD_BIN=${SSHD_BIN:-/usr/sbin/sshd}

# Is TCP port $1 on 127.0.0.1 (or any address) in use? Reads /proc so that
# neither ss nor netstat is needed.
_sshd_port_busy() {
	_hex=$(printf '%04X' "$1")
	grep -q ":$_hex " /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# A random port in 20000-39999, from /dev/urandom.
_sshd_random_port() {
	_r=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
	echo $((20000 + _r % 20000))
}

# $1 and all its descendants, parents first, one a line. One pass over
# /proc (a process per entry would take seconds on a loaded machine, and a
# signal meant to land mid-command would land late). The command name in
# /proc/PID/stat may hold spaces and parentheses: the fields after the last
# ") " are state, ppid, ...
_sshd_tree() {
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v root="$1" '
	{
		i = 0
		while ((j = index(substr($0, i + 1), ") ")) > 0)
			i += j
		split(substr($0, i + 2), f, " ")
		parent[$1] = f[2]
	}
	END {
		print root
		n = 1; queue[1] = root
		while (n > 0) {
			p = queue[n--]
			for (c in parent)
				if (parent[c] == p) {
					print c
					queue[++n] = c
				}
		}
	}'
}

sshd_port() {
	cat "$1/$2/port"
}

sshd_start_host() {
	_dir=$1 _name=$2
	_h=$_dir/$_name
	mkdir -p "$_h/home" /run/sshd
	[ -f "$_h/host_key" ] ||
		ssh-keygen -q -t ed25519 -N '' -C "$_name" -f "$_h/host_key" ||
		return 1
	cp "$_dir/client_key.pub" "$_h/authorized_keys"
	printf '# plain start-up file for tests\n' >"$_h/home/.profile"
	printf '# plain start-up file for tests\n' >"$_h/home/.bashrc"
	_tries=0
	while [ "$_tries" -lt 20 ]; do
		_tries=$((_tries + 1))
		_port=$(_sshd_random_port)
		_sshd_port_busy "$_port" && continue
		cat >"$_h/sshd_config" <<-EOF
		Port $_port
		ListenAddress 127.0.0.1
		HostKey $_h/host_key
		PidFile $_h/sshd.pid
		AuthorizedKeysFile $_h/authorized_keys
		UsePAM no
		StrictModes no
		PermitRootLogin prohibit-password
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		PrintMotd no
		PrintLastLog no
		MaxStartups 100
		MaxSessions 100
		SetEnv HOME=$_h/home
		LogLevel VERBOSE
		${SSHD_EXTRA_CONFIG:-}
		EOF
		rm -f "$_h/sshd.pid"
		: >"$_h/log"
		"$SSHD_BIN" -f "$_h/sshd_config" -E "$_h/log" || return 1
		# sshd writes its PidFile once it listens; a port taken since
		# our check makes it log "Cannot bind" and exit instead.
		_wait=0
		while [ "$_wait" -lt 300 ]; do
			[ -s "$_h/sshd.pid" ] && break
			grep -q 'Cannot bind' "$_h/log" && break
			sleep 0.01
			_wait=$((_wait + 1))
		done
		if [ -s "$_h/sshd.pid" ]; then
			echo "$_port" >"$_h/port"
			return 0
		fi
	done
	echo "sshd_start_host: cannot start sshd '$_name' (see $_h/log)" >&2
	return 1
}

# Write known_hosts and inventory for every host started under $1.
sshd_write_files() {
	_dir=$1
	: >"$_dir/known_hosts.new"
	{
		echo "[sshd]"
		for _h in "$_dir"/*/port; do
			[ -e "$_h" ] || continue
			_h=${_h%/port}
			_name=${_h##*/}
			_port=$(cat "$_h/port")
			printf '[127.0.0.1]:%s %s\n' "$_port" \
				"$(cut -d' ' -f1,2 "$_h/host_key.pub")" \
				>>"$_dir/known_hosts.new"
			printf '%s ansible_host=127.0.0.1 ansible_port=%s' \
				"$_name" "$_port"
			printf ' ansible_user=%s' "$(id -un)"
			printf ' ansible_ssh_private_key_file=%s' \
				"$_dir/client_key"
			printf ' tend_known_hosts=%s\n' "$_dir/known_hosts"
		done
		echo
		echo "[all:vars]"
		# lets ansible-playbook use the same hosts in comparison tests
		echo "ansible_ssh_common_args='-o UserKnownHostsFile=$_dir/known_hosts -o StrictHostKeyChecking=yes'"
	} >"$_dir/inventory"
	mv -f "$_dir/known_hosts.new" "$_dir/known_hosts"
}

sshd_start() {
	_n=$1
	_dir=${2:-$T/sshd}
	mkdir -p "$_dir"
	[ -f "$_dir/client_key" ] ||
		ssh-keygen -q -t ed25519 -N '' -C tend-test \
			-f "$_dir/client_key" || return 1
	if command -v on_exit >/dev/null 2>&1 && [ -z "${_sshd_on_exit:-}" ]; then
		_sshd_on_exit=1
		SSHD_STOP_DIRS=""
		on_exit _sshd_stop_registered
	fi
	SSHD_STOP_DIRS="${SSHD_STOP_DIRS:-} $_dir"
	_i=1
	while [ "$_i" -le "$_n" ]; do
		sshd_start_host "$_dir" "h$_i" || return 1
		_i=$((_i + 1))
	done
	sshd_write_files "$_dir"
}

# Wait (up to 2 s) until process $1 is gone or a zombie: only then are
# its sockets closed.
_sshd_wait_gone() {
	_n=0
	while [ "$_n" -lt 200 ] && [ -e "/proc/$1/stat" ]; do
		_st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || break
		case $_st in Z*|X*) break ;; esac
		sleep 0.01
		_n=$((_n + 1))
	done
}

sshd_signal() {
	_pidf=$1/$2/sshd.pid
	[ -s "$_pidf" ] || return 0
	_pids=$(_sshd_tree "$(cat "$_pidf")")
	for _p in $_pids; do
		kill -s "$3" "$_p" 2>/dev/null || true
	done
	case $3 in
	KILL|9)
		for _p in $_pids; do
			_sshd_wait_gone "$_p"
		done
		rm -f "$_pidf"
		;;
	esac
}

sshd_stop_all() {
	_dir=${1:-$T/sshd}
	for _pidf in "$_dir"/*/sshd.pid; do
		[ -s "$_pidf" ] || continue
		_pid=$(cat "$_pidf")
		# a stopped host must be continued to die of TERM
		for _p in $(_sshd_tree "$_pid"); do
			kill -s CONT "$_p" 2>/dev/null || true
			kill "$_p" 2>/dev/null || true
		done
		rm -f "$_pidf"
	done
}

_sshd_stop_registered() {
	for _d in $SSHD_STOP_DIRS; do
		sshd_stop_all "$_d"
	done
}

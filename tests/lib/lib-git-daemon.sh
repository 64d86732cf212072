# A real git daemon for tests (sourced after lib-test.sh).
#
# gd_start BASE   serve the repositories under BASE over git:// on a free
#                 loopback port: sets $gd_port and $gd_pid; stopped on exit
# stop_gd         stop it now (a server that went away)

gd_start() {
	gd_port=
	for _try in 1 2 3 4 5 6 7 8 9 10; do
		_p=$((40000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 20000))
		git daemon --base-path="$1" --export-all --reuseaddr --verbose \
			--listen=127.0.0.1 --port="$_p" >"$T/gd.log" 2>&1 &
		gd_pid=$!
		_n=0
		while [ $_n -lt 100 ] && ! grep -q "Ready to rumble" "$T/gd.log" 2>/dev/null; do
			kill -0 "$gd_pid" 2>/dev/null || break
			sleep 0.05
			_n=$((_n + 1))
		done
		if grep -q "Ready to rumble" "$T/gd.log"; then gd_port=$_p; break; fi
		kill "$gd_pid" 2>/dev/null || true
	done
	[ -n "$gd_port" ] || { cat "$T/gd.log"; fail "cannot start git daemon"; }
	on_exit stop_gd
}

stop_gd() { kill "$gd_pid" 2>/dev/null || true; }

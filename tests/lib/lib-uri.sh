# Sourced by the uri tests (after lib-test.sh): tests/lib/uri-server.py on a
# free loopback port.
#
#   uri_serve NAME [ARGS...]   start a server (ARGS: --unix PATH, --tls CERT
#                              KEY CA); sets URI_PORT, logs its requests
#                              ("METHOD PATH" a line) to $T/NAME.log, and
#                              stops it by its PID on exit
#   uri_requests NAME          how many requests server NAME has answered
#   uri_certs DIR              a CA, a server certificate for 127.0.0.1 and
#                              a client certificate (CN tend-client) in DIR:
#                              ca.pem, server.pem/.key, client.pem/.key
URI_PIDS=
uri_serve() {
	_name=$1
	shift
	/usr/bin/python3 -u "$TOP/tests/lib/uri-server.py" "$@" \
		>"$T/$_name.log" 2>&1 &
	URI_PIDS="$URI_PIDS $!"
	URI_PORT=
	for _ in $(seq 100); do
		URI_PORT=$(sed -n 's/^Serving HTTP on .* port \([0-9][0-9]*\) .*/\1/p' \
			"$T/$_name.log")
		[ -n "$URI_PORT" ] && return 0
		sleep 0.1
	done
	cat "$T/$_name.log"
	fail "the uri test server did not start"
}
uri_stop() {
	for _p in $URI_PIDS; do
		kill "$_p" 2>/dev/null || true
		wait "$_p" 2>/dev/null || true
	done
	URI_PIDS=
}
on_exit uri_stop

uri_requests() {
	grep -c '^[A-Z][A-Z]* /' "$T/$1.log" || true
}

uri_certs() {
	_d=$1
	mkdir -p "$_d"
	(
		cd "$_d"
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
			-nodes -keyout ca.key -out ca.pem -days 2 \
			-subj /CN=tend-test-ca
		printf 'subjectAltName=IP:127.0.0.1\n' >server.ext
		for who in server client; do
			cn=127.0.0.1
			[ "$who" = client ] && cn=tend-client
			openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
				-nodes -keyout "$who.key" -out "$who.csr" \
				-subj "/CN=$cn"
			set -- -req -in "$who.csr" -CA ca.pem -CAkey ca.key \
				-CAcreateserial -out "$who.pem" -days 2
			[ "$who" = server ] && set -- "$@" -extfile server.ext
			openssl x509 "$@"
		done
	) >"$_d/openssl.log" 2>&1 || { cat "$_d/openssl.log"; fail "openssl"; }
}

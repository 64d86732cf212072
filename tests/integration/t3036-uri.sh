#!/bin/sh
# uri against tests/lib/uri-server.py: what a plan sends (a GET, whose
# answer it knows) and does not (a POST: unknown, with the reason, the
# server never asked); the controller's libcurl for a local host and the
# host's curl, GNU wget, or neither (refused by name) over SSH; a unix
# socket; TLS with a client certificate; a 64 MiB body streamed to dest
# or dropped, never held in memory; and every credential (url_password,
# a password in the URL, Authorization, X-Auth-Token, Cookie, the
# server's cookies and token, the client key) kept out of the output,
# -v's too, the saved plan and the state DB. tend validate names what it
# refuses with file:line:col. (tests/compat/cases/mod-net-uri compares
# results with ansible-playbook's.)
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-sshd.sh"
. "$TOP/tests/lib/lib-uri.sh"

uri_serve web --unix "$T/web.sock"
P=$URI_PORT
uri_certs "$T/pki"
uri_serve tls --tls "$T/pki/server.pem" "$T/pki/server.key" "$T/pki/ca.pem"
TP=$URI_PORT
sshd_start 1 >/dev/null
KEYLINE=$(sed -n 2p "$T/pki/client.key")
[ -n "$KEYLINE" ] || fail "no client key"

# ---- a plan sends a GET (its answer known) and nothing else ----
cat >"$T/plan.yml" <<YML
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: read
      uri: {url: "http://127.0.0.1:$P/json"}
      register: r
    - name: what it read
      debug: {msg: "a is {{ r.json.a }}"}
    - name: write
      uri:
        url: "http://127.0.0.1:$P/echo"
        method: POST
        body_format: json
        body: {name: web-01}
    - name: skipped by creates
      uri: {url: "http://127.0.0.1:$P/echo", method: DELETE, creates: "$T"}
YML
n0=$(uri_requests web)
run_tend 0 plan -i localhost, "$T/plan.yml"
expect_in "$T/out" "= ok      read"
expect_in "$T/out" "a is 1"
expect_in "$T/out" "? unknown write"
expect_in "$T/out" "sends POST http://127.0.0.1:$P/echo: its answer is known only at apply"
expect_in "$T/out" "= ok      skipped by creates"
[ "$(uri_requests web)" = $((n0 + 1)) ] ||
	fail "the plan sent $(($(uri_requests web) - n0)) requests, expected the GET alone"
grep -q '^POST \|^DELETE ' "$T/web.log" && fail "the plan sent a POST or a DELETE"
run_tend 0 plan -i localhost, "$T/plan.yml" --format json
[ "$(json_get "$T/out" "d['hosts'][0]['tasks'][0]['result']['json']['a']")" = 1 ] ||
	fail "the plan's JSON lacks the GET's answer"
run_tend 0 apply -i localhost, "$T/plan.yml"
expect_in "$T/out" "ok=4"
expect_in "$T/out" "changed=0"
grep -q '^POST /echo' "$T/web.log" || fail "the apply did not POST"
grep -q '^DELETE ' "$T/web.log" && fail "creates did not skip the DELETE"

# over SSH the plan sends a GET without credentials; one with them would
# need stdin, which a read-only check has none of: unknown, never sent
cat >"$T/plan-ssh.yml" <<YML
- hosts: all
  gather_facts: false
  tasks:
    - name: plain
      uri: {url: "http://127.0.0.1:$P/json?plain"}
    - name: with credentials
      uri: {url: "http://127.0.0.1:$P/basic?plan", user: deploy, password: s3cr3t-PW}
YML
run_tend 0 plan -i "$T/sshd/inventory" "$T/plan-ssh.yml"
expect_in "$T/out" "= ok      plain"
expect_in "$T/out" "sends GET http://127.0.0.1:$P/basic?plan with credentials: on a host these go only through stdin"
grep -q '^GET /json?plain' "$T/web.log" || fail "the plan did not send the plain GET"
grep -q '^GET /basic?plan' "$T/web.log" && fail "the plan sent credentials in a script"

# ---- credentials never show ----
cat >"$T/secrets.yml" <<YML
- hosts: all
  gather_facts: false
  tasks:
    - name: basic auth
      uri:
        url: "http://127.0.0.1:$P/basic"
        url_username: deploy
        url_password: s3cr3t-PW
    - name: in the URL
      uri: {url: "http://deploy:s3cr3t-PW@127.0.0.1:$P/basic"}
      register: inurl
    - name: the URL that answered
      debug: {var: inurl.url}
    - name: headers
      uri:
        url: "http://127.0.0.1:$P/echo"
        headers:
          Authorization: "Bearer tok-9f8e7d6c"
          X-Auth-Token: xtok-5a4b3c2d
          Cookie: sid=ck-1q2w3e4r
          X-Echo-Auth-Token: echo-7u8i9o0p
      register: echoed
    - name: what came back
      debug: {var: echoed}
    - name: the server's cookies and token
      uri: {url: "http://127.0.0.1:$P/cookie"}
      register: ck
    - uri: {url: "http://127.0.0.1:$P/token", status_code: 201}
      register: tk
    - name: they are there, for later tasks
      assert:
        that:
          - ck.cookies.session == 'c00kie-S3SS'
          - tk.x_auth_token == 't0ken-FROM-server'
          - echoed.json['x-echo-auth-token'] == 'echo-7u8i9o0p'
    - debug: {var: ck}
    - debug: {var: tk}
    - name: a wrong password fails, quoting none
      uri:
        url: "http://127.0.0.1:$P/basic"
        url_username: deploy
        url_password: wr0ng-PASSWD
      ignore_errors: true
    - name: TLS with a client certificate
      uri:
        url: "https://127.0.0.1:$TP/tls-who"
        ca_path: "$T/pki/ca.pem"
        client_cert: "$T/pki/client.pem"
        client_key: "$T/pki/client.key"
      register: who
    - name: the server saw the client
      assert: {that: ["who.json.cn == 'tend-client'"]}
    - name: a wrong key path fails, quoting no key
      uri:
        url: "https://127.0.0.1:$TP/tls-who"
        ca_path: "$T/pki/ca.pem"
        client_cert: "$T/pki/client.pem"
        client_key: "$T/pki/ca.pem"
      ignore_errors: true
YML
printf 'localhost ansible_connection=local\n' >"$T/local.inv"
no_leak() {
	for f in "$@"; do
		for s in s3cr3t-PW wr0ng-PASSWD tok-9f8e7d6c xtok-5a4b3c2d \
			ck-1q2w3e4r echo-7u8i9o0p c00kie-S3SS t0ken-FROM-server \
			"$KEYLINE"; do
			! grep -qaF -- "$s" "$f" || fail "'$s' shows in $f"
		done
	done
}
for inv in "$T/local.inv" "$T/sshd/inventory"; do
	run_tend 0 plan -i "$inv" "$T/secrets.yml" -vv --out "$T/saved.json"
	no_leak "$T/out" "$T/err" "$T/saved.json"
	run_tend 0 plan -i "$inv" "$T/secrets.yml" --format json
	no_leak "$T/out" "$T/err"
	run_tend 0 apply -i "$inv" "$T/secrets.yml" -vvv
	no_leak "$T/out" "$T/err"
	expect_in "$T/out" "failed=0"
	expect_in "$T/out" "ignored=2"
	run_tend 0 apply -i "$inv" "$T/secrets.yml" --format json
	no_leak "$T/out" "$T/err"
	[ "$(json_get "$T/out" "[t['result'].get('url') for t in d['hosts'][0]['tasks'] if t['task'] == 'in the URL'][0]")" = "http://127.0.0.1:$P/basic" ] ||
		fail "the URL that answered is not the one without credentials"
done
no_leak "$XDG_STATE_HOME"/tend/tend.db*
/usr/bin/python3 -c 'import sqlite3, sys
print("\n".join(sqlite3.connect(sys.argv[1]).iterdump()))' \
	"$XDG_STATE_HOME/tend/tend.db" >"$T/dump"
[ -s "$T/dump" ] || fail "empty dump of the state DB"
grep -q "'a wrong password fails, quoting none','uri'" "$T/dump" ||
	fail "the DB holds no uri task"
grep -q "Status code was 401 and not \[200\]" "$T/dump" ||
	fail "the DB holds no uri failure"
no_leak "$T/dump"

# ---- curl, GNU wget or neither on the host ----
mkdir -p "$T/wget-only" "$T/none"
# every tool of the machine but curl (and wget)
for f in /usr/bin/* /bin/*; do
	case ${f##*/} in curl | wget) continue ;; esac
	[ -e "$T/none/${f##*/}" ] || ln -s "$f" "$T/none/${f##*/}"
	[ -e "$T/wget-only/${f##*/}" ] || ln -s "$f" "$T/wget-only/${f##*/}"
done
ln -s "$(command -v wget)" "$T/wget-only/wget"
cat >"$T/tools.yml" <<YML
- hosts: all
  gather_facts: false
  tasks:
    - name: a form with hostile values
      uri:
        url: "http://127.0.0.1:$P/echo?x=-1"
        method: POST
        body_format: form-urlencoded
        body: {a: "100% \\\\ -x", b: "{{ '{{' }} y }}"}
        headers: {X-Echo-Odd: "-H %s \\\\ '\"", Authorization: Bearer tok-9f8e7d6c}
      environment: {PATH: "{{ tools }}"}
      register: form
    - copy: {content: "{{ form.json | to_json }}", dest: "$T/form-{{ tools | basename }}.json"}
    - name: a file
      uri: {url: "http://127.0.0.1:$P/file.txt", dest: "$T/dl-{{ tools | basename }}.txt", mode: "0600"}
      environment: {PATH: "{{ tools }}"}
YML
for tools in /usr/bin:/bin "$T/wget-only"; do
	run_tend 0 apply -i "$T/sshd/inventory" "$T/tools.yml" -e tools="$tools"
	no_leak "$T/out" "$T/err"
	b=$(basename "$tools")
	expect_content "$T/dl-$b.txt" 'uri file {{ x }} 100%
'
	expect_mode "$T/dl-$b.txt" 0600
	expect_in "$T/form-$b.json" '"body": "a=100%25+%5C+-x&b=%7B%7B+y+%7D%7D"'
	expect_in "$T/form-$b.json" '"x-echo-odd": "-H %s \\ '"'"'\""'
	expect_in "$T/form-$b.json" '"query": "x=-1"'
done
grep -q 'agent": "Wget' "$T/form-wget-only.json" && fail "wget's own user agent was sent"
# wget's own Accept tells it was wget; curl sends none, as Python
expect_in "$T/form-wget-only.json" '"accept": "*/*"'
expect_in "$T/form-bin.json" '"accept": null'
run_tend 3 apply -i "$T/sshd/inventory" "$T/tools.yml" -e tools="$T/none"
expect_in "$T/out" "uri: host 'h1' has neither curl nor GNU wget"
cat >"$T/sock.yml" <<YML
- hosts: all
  gather_facts: false
  tasks:
    - uri:
        url: http://localhost/echo
        unix_socket: "$T/web.sock"
        method: PUT
        body: via the socket
      register: s
      environment: {PATH: "{{ tools }}"}
    - assert: {that: ["s.json.method == 'PUT'", "s.json.body == 'via the socket'"]}
YML
run_tend 0 apply -i "$T/local.inv" "$T/sock.yml" -e tools=/usr/bin:/bin
run_tend 0 apply -i "$T/sshd/inventory" "$T/sock.yml" -e tools=/usr/bin:/bin
run_tend 3 apply -i "$T/sshd/inventory" "$T/sock.yml" -e tools="$T/wget-only"
expect_in "$T/out" "uri: host 'h1' has no curl (wget cannot reach a unix socket)"

# ---- 64 MiB streamed: to dest, or dropped; never held in memory ----
cat >"$T/big.yml" <<YML
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - uri: {url: "http://127.0.0.1:$P/big?n=67108864", dest: "$T/big.bin"}
    - uri: {url: "http://127.0.0.1:$P/big?n=67108864"}
      register: b
    - assert: {that: ["b.msg == 'OK (67108864 bytes)'", "b.content is not defined"]}
YML
/usr/bin/time -f '%M' -o "$T/rss" "$TEND" apply -i localhost, "$T/big.yml" \
	>"$T/out" 2>&1 || { cat "$T/out"; fail "the 64 MiB apply failed"; }
[ "$(stat -c %s "$T/big.bin")" = 67108864 ] || fail "big.bin is not 64 MiB"
rss=$(cat "$T/rss")
[ "$rss" -lt 49152 ] || fail "tend held the body: max RSS ${rss} KiB"
ls -A "$T" | grep -q '^\.tend-uri' && fail "a temp file was left: $(ls -A "$T")"

# ---- validate names what is refused, where ----
cat >"$T/bad.yml" <<'YML'
- hosts: all
  tasks:
    - uri: {url: "http://x/", body_format: form-multipart}
    - uri: {url: "http://x/", use_gssapi: true}
    - uri: {url: "http://x/", src: /etc/hosts}
    - uri: {url: "http://x/", follow_redirects: sometimes}
    - uri: {url: "http://x/", ciphers: [AES]}
    - uri: {url: "http://x/", body_format: yaml}
YML
run_tend 1 validate "$T/bad.yml"
expect_in "$T/err" "bad.yml:3:"
expect_in "$T/err" "body_format 'form-multipart' is not supported yet"
expect_in "$T/err" "bad.yml:4:"
expect_in "$T/err" "GSSAPI (Kerberos) authentication is not supported"
expect_in "$T/err" "bad.yml:5:"
expect_in "$T/err" "parameter 'src' is refused by module 'uri'"
expect_in "$T/err" "bad.yml:6:"
expect_in "$T/err" "value of 'follow_redirects' must be one of"
expect_in "$T/err" "bad.yml:7:"
expect_in "$T/err" "parameter 'ciphers' is refused by module 'uri'"
expect_in "$T/err" "bad.yml:8:"
expect_in "$T/err" "value of 'body_format' must be one of"
run_tend 0 doc uri
expect_in "$T/out" "unix_socket"
expect_in "$T/out" "client_key"
run_tend 0 validate "$TOP/playbooks/network.yml"

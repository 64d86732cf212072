#!/bin/sh
# apt_key's scripts on the local connection, with stand-ins for apt-key,
# gpg and GNU wget (shell scripts that record their arguments and answer
# from files) on a PATH without curl: the exact commands the check and
# the apply run (--keyring, add - with the key on stdin, add FILE with a
# leading -, del by the short id, adv --recv with the host's https_proxy
# and five attempts), wget's download (user agent, the URL whole with
# quotes, %, ;, $ and spaces), a 404 in Ansible's words, the plan's
# words, and values with %, $, quotes and a leading - reaching each tool
# as one argument. No network and no real keyring: t4060 has those.
. "$(dirname "$0")/../lib/lib-test.sh"
D=$T/fake
mkdir -p "$D/bin"
# every tool of the machine but curl, wget, gpg and apt-key
for f in /usr/bin/* /bin/*; do
	case ${f##*/} in curl | wget | gpg | apt-key) continue ;; esac
	[ -e "$D/bin/${f##*/}" ] || ln -s "$f" "$D/bin/${f##*/}"
done
cat >"$D/bin/apt-key" <<'SH'
#!/bin/sh
D=${0%/bin/apt-key}
for a in "$@"; do printf '[%s]' "$a"; done >>"$D/log"; echo >>"$D/log"
[ "$1" = --keyring ] && shift 2
case $1 in
adv)
	case $2 in
	--list-public-keys) cat "$D/list" ;;
	*) echo "gpg: keyserver receive failed: No data" >&2; exit 2 ;;
	esac ;;
add)
	if [ "$2" = - ]; then cat >"$D/stdin"; else cp -- "$2" "$D/stdin"; fi
	printf 'pub   ed25519/%s 2026-01-01 [SC]\n' "$(cat "$D/addid")" >>"$D/list"
	echo OK ;;
del)
	grep -v "$2 " "$D/list" >"$D/list.new"; mv "$D/list.new" "$D/list"
	echo OK ;;
esac
SH
cat >"$D/bin/gpg" <<'SH'
#!/bin/sh
D=${0%/bin/gpg}
for a in "$@"; do printf '[%s]' "$a"; done >>"$D/gpglog"; echo >>"$D/gpglog"
eval "f=\${$#}"
grep -q KEY -- "$f" || { echo "gpg: no valid OpenPGP data found." >&2; exit 2; }
printf 'pub:-:255:22:%s:1700000000:::-:\nuid:::::::::T <t@example.com>:\n' "$(cat "$D/gpgid")"
SH
cat >"$D/bin/wget" <<'SH'
#!/bin/sh
D=${0%/bin/wget}
[ "$1" = --version ] && { echo "GNU Wget 1.21.3 built on linux-gnu."; exit 0; }
for a in "$@"; do printf '[%s]' "$a"; done >>"$D/wgetlog"; echo >>"$D/wgetlog"
while [ $# -gt 1 ]; do [ "$1" = -O ] && o=$2; shift; done
case $1 in
*missing*) echo "  HTTP/1.1 404 Not Found" >&2; exit 8 ;;
*) echo "  HTTP/1.1 200 OK" >&2; printf 'KEY from the URL\n' >"$o" ;;
esac
SH
chmod +x "$D/bin/apt-key" "$D/bin/gpg" "$D/bin/wget"
printf 'localhost ansible_connection=local\n' >"$T/inv"
: >"$D/list"
echo 1122334455667788 >"$D/gpgid"
echo 1122334455667788 >"$D/addid"
cat >"$T/pb.yml" <<YML
- hosts: all
  gather_facts: false
  environment: { PATH: "$D/bin", https_proxy: "http://proxy:3128" }
  tasks:
    - apt_key:
        data: "-----BEGIN PGP PUBLIC KEY BLOCK-----\nKEY %s \$x 'q'\n"
        keyring: "$D/k%\$y 'r'.gpg"
YML
run_tend 2 plan --detailed-exitcode -i "$T/inv" "$T/pb.yml"
expect_in "$T/out" "add key 1122334455667788 to $D/k%\$y 'r'.gpg"
# a check lists no keyring that does not exist (apt-key would make it)
[ ! -e "$D/log" ] || fail "the check ran apt-key for a missing keyring"
touch "$D/k%\$y 'r'.gpg"
run_tend 0 apply -i "$T/inv" "$T/pb.yml"
expect_in "$D/log" "[--keyring][$D/k%\$y 'r'.gpg][adv][--list-public-keys][--keyid-format=long]"
expect_in "$D/log" "[--keyring][$D/k%\$y 'r'.gpg][add][-]"
expect_in "$D/stdin" "KEY %s \$x 'q'"
expect_in "$D/gpglog" "[--with-colons]"
expect_in "$T/out" "changed=1"
run_tend 0 plan --detailed-exitcode -i "$T/inv" "$T/pb.yml"

# url by wget; a 404; a file with a leading -; del by the short id; a
# keyserver through the host's proxy, five attempts, Ansible's words
echo AAAABBBBCCCCDDDD >"$D/gpgid"
echo AAAABBBBCCCCDDDD >"$D/addid"
printf 'KEY in a file\n' >"$T/-k.gpg"
cat >"$T/pb2.yml" <<YML
- hosts: all
  gather_facts: false
  environment: { PATH: "$D/bin", https_proxy: "http://proxy:3128" }
  tasks:
    - apt_key: { url: "http://h/k.asc?a='b c'&d=%41;\$e" }
    - apt_key: { url: "http://h/missing.asc" }
      ignore_errors: true
    - apt_key: { id: "0x00000000111111111122334455667788", state: absent }
    - apt_key: { file: "-k.gpg", id: 9999999999999999 }
      ignore_errors: true
    - apt_key: { id: 0123456789ABCDEF, keyserver: "hkp://k's" }
      ignore_errors: true
YML
run_tend 2 plan --detailed-exitcode -i "$T/inv" "$T/pb2.yml"
expect_in "$T/out" "add key AAAABBBBCCCCDDDD from http://h/k.asc?a='b c'&d=%41;\$e to /etc/apt/trusted.gpg"
expect_in "$T/out" "Failed to download key at http://h/missing.asc: HTTP Error 404: Not Found"
expect_in "$T/out" "remove key 00000000111111111122334455667788 from every apt keyring that has it"
expect_in "$T/out" "add key 0123456789ABCDEF from keyserver hkp://k's to /etc/apt/trusted.gpg"
expect_in "$D/wgetlog" "[-nv][-S][--tries=1][--max-redirect=10][--timeout=10][-U][ansible-httpget][-O]"
expect_in "$D/wgetlog" "[--][http://h/k.asc?a='b c'&d=%41;\$e]"
: >"$D/log"
# (a relative file is the playbook directory's, where the local
# connection runs as Ansible's does, not tend's working directory)
(cd "$D" && run_tend 0 apply -i "$T/inv" "$T/pb2.yml") || exit 1
expect_in "$D/stdin" "KEY in a file"
grep -qx "\[add\]\[-\]" "$D/log" || fail "the url's key did not go to apt-key add -"
expect_in "$D/log" "[del][55667788]"
expect_in "$D/log" "[add][./-k.gpg]"
expect_in "$T/out" "apt-key did not return an error, but failed to add the key"
expect_in "$D/log" "[adv][--no-tty][--keyserver][hkp://k's][--keyserver-options][http-proxy=http://proxy:3128][--recv][0123456789ABCDEF]"
[ "$(grep -c -- '\[--recv\]' "$D/log")" = 5 ] || fail "not five attempts at the keyserver"
expect_in "$T/out" "Error fetching key 0123456789ABCDEF from keyserver: hkp://k's"
expect_in "$T/out" "changed=3"

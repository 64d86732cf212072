#!/bin/sh
# The git source over ssh:// (a real sshd, host key checked against
# known_hosts, a deploy key) and git:// (git daemon); clear errors for a
# bad key, an unknown host key, an unreachable remote and a remote that
# accepts the connection and then says nothing (--fetch-timeout).
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-git-daemon.sh"
. "$TOP/tests/lib/lib-sshd.sh"
export XDG_CACHE_HOME="$T/cache"

git init -q -b main "$T/repos/site.git"
g() { git -C "$T/repos/site.git" -c user.name=Ada -c user.email=ada@example.org "$@"; }
echo one >"$T/repos/site.git/file"
g add file
g commit -q -m "one"
c1=$(g rev-parse HEAD)

# ssh://, as the test runner (the repository's owner) on a test sshd
sshd_start 1 "$T/sshd"
port=$(sshd_port "$T/sshd" h1)
url="ssh://$(id -un)@127.0.0.1:$port$T/repos/site.git"
run_tend 0 pull --repo "$url" --ref main --key "$T/sshd/client_key" \
	--known-hosts "$T/sshd/known_hosts"
expect_in "$T/out" "commit  $c1"
echo two >"$T/repos/site.git/file"
g commit -q -a -m "two"
c2=$(g rev-parse HEAD)
run_tend 0 pull --repo "$url" --ref main --key "$T/sshd/client_key" \
	--known-hosts "$T/sshd/known_hosts"
expect_in "$T/out" "commit  $c2"
dir=$(sed -n 's/^dir *//p' "$T/out")
expect_content "$dir/file" "two
"

# a key the host does not accept: tried once, then a clear error
ssh-keygen -q -t ed25519 -N '' -f "$T/other_key"
: >"$T/empty_known_hosts"
mkdir "$T/c2"
XDG_CACHE_HOME="$T/c2" run_tend 1 pull --repo "$url" --ref main \
	--key "$T/other_key" --known-hosts "$T/sshd/known_hosts"
expect_in "$T/err" "refused the login as '$(id -un)'"
expect_in "$T/err" "$T/other_key"
# an unknown host key is refused
XDG_CACHE_HOME="$T/c2" run_tend 1 pull --repo "$url" --ref main \
	--key "$T/sshd/client_key" --known-hosts "$T/empty_known_hosts"
expect_in "$T/err" "host key for '[127.0.0.1]:$port' is not in known_hosts"
# a host key that changed is refused, and the cached commit stays usable
sed "s/ssh-ed25519 .*/$(cut -d' ' -f1,2 "$T/other_key.pub" | sed 's/[\/&]/\\&/g')/" \
	"$T/sshd/known_hosts" >"$T/wrong_known_hosts"
run_tend 1 pull --repo "$url" --ref main --key "$T/sshd/client_key" \
	--known-hosts "$T/wrong_known_hosts"
expect_in "$T/err" "has CHANGED"
expect_in "$T/err" "using the cached commit"
expect_in "$T/out" "commit  $c2"

# git://, from git daemon on a free loopback port
gd_start "$T/repos"
run_tend 0 pull --repo "git://127.0.0.1:$gd_port/site.git" --ref main
expect_in "$T/out" "commit  $c2"
g tag v2
echo three >"$T/repos/site.git/file"
g commit -q -a -m "three"
c3=$(g rev-parse HEAD)
run_tend 0 pull --repo "git://127.0.0.1:$gd_port/site.git" --ref main
expect_in "$T/out" "commit  $c3"
run_tend 0 pull --repo "git://127.0.0.1:$gd_port/site.git" --ref v2
expect_in "$T/out" "commit  $c2"
run_tend 1 pull --repo "git://127.0.0.1:$gd_port/nosuch.git" --ref main
expect_in "$T/err" "nosuch.git"

# nothing listens there: unreachable, at once
stop_gd
run_tend 1 pull --repo "git://127.0.0.1:$gd_port/other.git" --ref main
expect_in "$T/err" "cannot reach 'git://127.0.0.1:$gd_port/other.git'"

# a server that accepts and never answers: the timeout ends the fetch
/usr/bin/python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(5)
print(s.getsockname()[1], flush=True)
conns = []
while True:
    c, _ = s.accept()
    conns.append(c)
' >"$T/silent.port" &
silent_pid=$!
stop_silent() { kill "$silent_pid" 2>/dev/null || true; }
on_exit stop_silent
n=0
while [ ! -s "$T/silent.port" ] && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done
sport=$(cat "$T/silent.port")
start=$(date +%s)
run_tend 1 pull --repo "git://127.0.0.1:$sport/site.git" --ref main \
	--fetch-timeout 1
expect_in "$T/err" "timed out after 1000 ms"
[ $(($(date +%s) - start)) -lt 10 ] || fail "the timeout did not stop the fetch"

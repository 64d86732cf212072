#!/bin/sh
# get_url against a static HTTP server: what a plan says, apply and
# re-apply, a matching checksum that downloads nothing, a checksum
# mismatch and a 404 that write nothing, the password kept out of the
# output and the state DB, and the two other ways to download: GNU wget
# on the host when it has no curl, the controller's libcurl when it has
# neither.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-serve.sh"
mkdir -p "$T/www" "$T/d"
printf 'payload {{ x }} 100%%\n' >"$T/www/a.txt"
sum=$(sha256sum <"$T/www/a.txt" | cut -c1-64)
serve_start "$T/www"
url="http://127.0.0.1:$HTTP_PORT/a.txt"
cat >"$T/pb.yml" <<'YML'
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - get_url:
        url: "{{ url }}"
        dest: "{{ dest }}"
        mode: "0600"
        checksum: "{{ sum | default('') }}"
        url_username: deploy
        url_password: "{{ pw }}"
      register: r
    - copy: {dest: "{{ dest }}.json", content: "{{ r | to_json }}"}
      when: report | default(false)
YML
run() { # EXPECTED_RC COMMAND ARGS...
	want=$1 cmd=$2; shift 2
	run_tend "$want" "$cmd" -i localhost, "$T/pb.yml" -e url="$url" \
		-e pw=s3cr3t-PW "$@"
}

# a plan of a new file says what it will do, and writes nothing
run 2 plan --detailed-exitcode -e dest="$T/d/a.txt"
expect_in "$T/out" "download: $url -> $T/d/a.txt"
expect_in "$T/out" "state: absent -> file"
[ ! -e "$T/d/a.txt" ] || fail "plan wrote the file"

run 0 apply -e dest="$T/d/a.txt"
expect_content "$T/d/a.txt" 'payload {{ x }} 100%
'
expect_mode "$T/d/a.txt" 0600
expect_in "$T/out" "changed=1"
# again: the server says not modified; nothing changes
run 0 apply -e dest="$T/d/a.txt"
expect_in "$T/out" "changed=0"

# with the checksum and a dest that has it: the plan knows, and the
# apply downloads nothing at all
run 0 plan --detailed-exitcode -e dest="$T/d/a.txt" -e sum="sha256:$sum"
n=$(serve_requests)
run 0 apply -e dest="$T/d/a.txt" -e sum="sha256:$sum" -e report=true
[ "$(serve_requests)" = "$n" ] || fail "a matching checksum still downloaded"
expect_in "$T/d/a.txt.json" '"msg": "file already exists"'

# a mismatch: the old file stays as it was, no temp file is left
printf 'old\n' >"$T/d/b.txt"
run 2 plan --detailed-exitcode -e dest="$T/d/b.txt" -e sum="sha1:0123456789abcdef0123456789abcdef01234567"
expect_in "$T/out" "sha1: "
run 3 apply -e dest="$T/d/b.txt" -e sum="sha1:0123456789abcdef0123456789abcdef01234567"
expect_in "$T/out" "did not match 0123456789abcdef0123456789abcdef01234567"
expect_content "$T/d/b.txt" 'old
'
run 3 apply -e dest="$T/d/new.txt" -e sum="sha1:0123456789abcdef0123456789abcdef01234567"
[ ! -e "$T/d/new.txt" ] || fail "a mismatch wrote the file"
ls -A "$T/d" | grep -q tend && fail "a temp file was left: $(ls -A "$T/d")"

# a 404: the task fails with the server's answer, nothing is written
run_tend 3 apply -i localhost, "$T/pb.yml" -e url="http://127.0.0.1:$HTTP_PORT/nope" \
	-e pw=s3cr3t-PW -e dest="$T/d/nope.txt"
expect_in "$T/out" "Request failed"
[ ! -e "$T/d/nope.txt" ] || fail "a 404 wrote a file"
ls -A "$T/d" | grep -q tend && fail "a temp file was left: $(ls -A "$T/d")"

# the password never shows: not in plans, output, JSON or the state DB
run 2 plan --detailed-exitcode --format json -e dest="$T/d/c.txt"
expect_not_in "$T/out" "s3cr3t-PW"
run 0 apply --format json -e dest="$T/d/c.txt"
expect_not_in "$T/out" "s3cr3t-PW"
expect_not_in "$T/err" "s3cr3t-PW"
for f in "$T"/state/tend/*; do
	! grep -qa "s3cr3t-PW" "$f" || fail "the password is in $f"
done

# a host with GNU wget and no curl; one with neither (the controller
# fetches): the same file either way
mkdir -p "$T/wget" "$T/none"
for tool in sh stat mktemp cat wc sha1sum sha256sum chmod chown chgrp mv \
	rm date dirname cp grep head readlink printf; do
	p=$(command -v "$tool") || continue
	ln -s "$p" "$T/wget/$tool"
	ln -s "$p" "$T/none/$tool"
done
ln -s "$(command -v wget)" "$T/wget/wget"
PATH="$T/wget" run 0 apply -e dest="$T/d/w.txt"
expect_content "$T/d/w.txt" 'payload {{ x }} 100%
'
PATH="$T/none" run 0 apply -e dest="$T/d/n.txt"
expect_content "$T/d/n.txt" 'payload {{ x }} 100%
'
expect_mode "$T/d/n.txt" 0600
PATH="$T/none" run 0 apply -e dest="$T/d/n.txt" -e sum="sha256:$sum"
expect_in "$T/out" "changed=0"

# the example playbook of these modules validates
run_tend 0 validate "$TOP/playbooks/network.yml"

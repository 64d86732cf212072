#!/bin/sh
# unarchive: what a plan says for an archive on the host, an archive sent
# from the controller (files/), re-apply changes nothing, creates, a zip
# on a host without unzip refused by name, a file that is no archive.
. "$(dirname "$0")/../lib/lib-test.sh"
mkdir -p "$T/tree/sp ace" "$T/pb/files" "$T/o1" "$T/o2" "$T/o3"
printf 'x {{ y }} 100%%\n' >"$T/tree/-lead"
printf 'deep\n' >"$T/tree/sp ace/f.txt"
(cd "$T/tree" && tar -czf "$T/pb/files/a.tar.gz" -- * && zip -qr "$T/a.zip" -- *)
printf 'not an archive\n' >"$T/junk.tar.gz"
cat >"$T/pb/pb.yml" <<'YML'
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - unarchive:
        src: "{{ src }}"
        dest: "{{ dest }}"
        remote_src: "{{ remote | default(false) }}"
        creates: "{{ creates | default(omit) }}"
YML
run() { want=$1 cmd=$2; shift 2; run_tend "$want" "$cmd" -i localhost, "$T/pb/pb.yml" "$@"; }

# on the host: the plan says what differs, and writes nothing
run 2 plan --detailed-exitcode -e src="$T/pb/files/a.tar.gz" -e remote=true -e dest="$T/o1"
expect_in "$T/out" "extract: $T/pb/files/a.tar.gz -> $T/o1"
expect_in "$T/out" "-lead: Warning: Cannot stat: No such file or directory"
[ -z "$(ls -A "$T/o1")" ] || fail "plan extracted"
run 0 apply -e src="$T/pb/files/a.tar.gz" -e remote=true -e dest="$T/o1"
expect_content "$T/o1/-lead" 'x {{ y }} 100%
'
expect_content "$T/o1/sp ace/f.txt" 'deep
'
run 0 plan --detailed-exitcode -e src="$T/pb/files/a.tar.gz" -e remote=true -e dest="$T/o1"
run 0 apply -e src="$T/pb/files/a.tar.gz" -e remote=true -e dest="$T/o1"
expect_in "$T/out" "changed=0"
# a changed file is put back
printf 'edited\n' >"$T/o1/-lead"
touch -d '2001-01-01' "$T/o1/-lead"
run 2 plan --detailed-exitcode -e src="$T/pb/files/a.tar.gz" -e remote=true -e dest="$T/o1"
expect_in "$T/out" "differs: -lead: Mod time differs"
run 0 apply -e src="$T/pb/files/a.tar.gz" -e remote=true -e dest="$T/o1"
expect_content "$T/o1/-lead" 'x {{ y }} 100%
'

# from the controller (found in files/): unknown until sent; no temp
# file is left behind on the host
run 0 plan -e src=a.tar.gz -e dest="$T/o2"
expect_in "$T/out" "send $T/pb/files/a.tar.gz to the host and extract it into $T/o2"
run 0 apply -e src=a.tar.gz -e dest="$T/o2"
expect_in "$T/out" "changed=1"
expect_content "$T/o2/sp ace/f.txt" 'deep
'
run 0 apply -e src=a.tar.gz -e dest="$T/o2"
expect_in "$T/out" "changed=0"
ls -A "${TMPDIR:-/tmp}" | grep -q '^\.tend-unarchive-' &&
	fail "a temp archive was left in ${TMPDIR:-/tmp}"

# creates: skipped
run 0 apply -e src=a.tar.gz -e dest="$T/o3" -e creates="$T/o2/-lead"
expect_in "$T/out" "skipped=1"
[ -z "$(ls -A "$T/o3")" ] || fail "creates did not skip"

# zip needs unzip on the host: refused by name, nothing written
mkdir -p "$T/nounzip"
for tool in sh id od tr head grep sed cat stat cmp tar gzip mktemp wc rm; do
	p=$(command -v "$tool") && ln -s "$p" "$T/nounzip/$tool"
done
PATH="$T/nounzip" run 3 apply -e src="$T/a.zip" -e remote=true -e dest="$T/o3"
expect_in "$T/out" "is a zip archive and the host has no unzip"
[ -z "$(ls -A "$T/o3")" ] || fail "a refused zip wrote something"
run 0 apply -e src="$T/a.zip" -e remote=true -e dest="$T/o3"
expect_content "$T/o3/-lead" 'x {{ y }} 100%
'
run 0 apply -e src="$T/a.zip" -e remote=true -e dest="$T/o3"
expect_in "$T/out" "changed=0"

# not an archive; a dest that is no directory
run 3 apply -e src="$T/junk.tar.gz" -e remote=true -e dest="$T/o3"
expect_in "$T/out" "not an archive tar or unzip can read"
run 3 apply -e src="$T/a.zip" -e remote=true -e dest="$T/nope"
expect_in "$T/out" "Destination '$T/nope' is not a directory"

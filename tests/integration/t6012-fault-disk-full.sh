#!/bin/sh
# The target's disk fills during a copy (a 1 MB tmpfs, a 2 MB file), on
# the local connection and over SSH: the task fails with a message that
# says the disk is full, the old file is intact, no temp file is left, the
# host counts as failed (exit 3) and the run's record says so. The other
# file on the same disk, small enough, is written.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-sshd.sh"
. "$TOP/tests/lib/lib-fault.sh"

# A 1 MB tmpfs; where mount is refused (no CAP_SYS_ADMIN), a 1 MB ext2
# image on a loop device. The CI machines are root: this never skips.
D=$T/full
mkdir -p "$D"
unmount_full() {
	mountpoint -q "$D" && umount "$D"
	[ -z "${loopdev:-}" ] || losetup -d "$loopdev"
}
on_exit unmount_full
if ! mount -t tmpfs -o size=1m tend-test-full "$D" 2>"$T/mount.err"; then
	echo "tmpfs mount refused ($(cat "$T/mount.err")): a loop device"
	head -c 1048576 /dev/zero >"$T/full.img"
	mkfs.ext2 -q -F "$T/full.img"
	loopdev=$(losetup -f --show "$T/full.img")
	mount "$loopdev" "$D"
fi
mkdir -p "$D/local" "$D/h1"
printf 'old\n' >"$D/local/f"
printf 'old\n' >"$D/h1/f"
head -c 2097152 /dev/urandom >"$T/two-mb"

sshd_start 1 "$T/sshd"
{
	cat "$T/sshd/inventory"
	printf '[loc]\nlocal ansible_connection=local\n'
} >"$T/inv"
cat >"$T/pb.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - copy: { src: "{{ src }}", dest: "{{ root }}/{{ inventory_hostname }}/f" }
YML
cat >"$T/small.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - copy: { content: "small\n", dest: "{{ root }}/{{ inventory_hostname }}/g" }
YML

run_tend 3 apply "$T/pb.yml" -i "$T/inv" -e root="$D" -e src="$T/two-mb"
for h in local h1; do
	expect_content "$D/$h/f" "old
"
	no_temp_files "$D/$h"
	grep -q "^fatal: \[$h\] => cannot write .$D/$h/f.: .*No space left on device" "$T/out" ||
		{ cat "$T/out"; fail "no clear message for $h"; }
done
grep -q '^h1 .*failed=1' "$T/out" || { cat "$T/out"; fail "h1 not failed"; }
grep -q '^local .*failed=1' "$T/out" || { cat "$T/out"; fail "local not failed"; }
[ "$(run_status 1)" = failed ] || fail "run 1 is not failed"
run_tend 0 show 1 --format json
[ "$(json_get "$T/out" "sorted((r['host'], r['status']) for r in d['run']['results'])")" = \
  "[('h1', 'failed'), ('local', 'failed')]" ] || { cat "$T/out"; fail "run 1's results"; }
expect_in "$T/out" "No space left on device"
# the disk holds nothing of the failed copies: the next write fits
run_tend 0 apply "$T/small.yml" -i "$T/inv" -e root="$D"
expect_content "$D/local/g" "small
"
expect_content "$D/h1/g" "small
"

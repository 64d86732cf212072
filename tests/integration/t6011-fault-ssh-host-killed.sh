#!/bin/sh
# One host's sshd killed in the middle of a run, on three real sshd hosts:
# the other hosts finish every task, the killed one is reported
# unreachable with a message naming it, tend exits 3, and the run's record
# says so. Killed while a copy streams to it, the host keeps its old file
# and no temp file: its shell, its sshd gone, saw the input end early and
# used to rename the cut temp file into place.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-sshd.sh"
. "$TOP/tests/lib/lib-fault.sh"

S=$T/sshd
sshd_start 3 "$S"
for h in h1 h2 h3; do mkdir -p "$T/tgt/$h"; done

# kill_sshd NAME: SIGKILL the host's sshd processes (the listener and its
# sessions), not the shells they started
kill_sshd() {
	for p in $(_sshd_tree "$(cat "$S/$1/sshd.pid")"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = sshd ] &&
			kill -KILL "$p" 2>/dev/null
	done
	rm -f "$S/$1/sshd.pid"
}

# ---- (a) killed while a task runs on every host
cat >"$T/slow.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - copy: { content: "one\n", dest: "{{ root }}/{{ inventory_hostname }}/a" }
    - name: the slow one
      shell: touch {{ root }}/{{ inventory_hostname }}.started;
        while [ ! -e {{ root }}/go ]; do sleep 0.02; done
    - copy: { content: "two\n", dest: "{{ root }}/{{ inventory_hostname }}/b" }
YML
bg_tend run1 apply "$T/slow.yml" -i "$S/inventory" -e root="$T/tgt"
for h in h1 h2 h3; do wait_file "$T/tgt/$h.started" 20000; done
kill_sshd h2
touch "$T/tgt/go"
bg_wait run1 20000
[ "$rc" = 3 ] || { cat "$T/run1.out" "$T/run1.err"; fail "exit $rc, expected 3"; }
for h in h1 h3; do
	expect_content "$T/tgt/$h/a" "one
"
	expect_content "$T/tgt/$h/b" "two
"
done
expect_content "$T/tgt/h2/a" "one
"
[ ! -e "$T/tgt/h2/b" ] || fail "h2 ran a task after its sshd died"
grep -q '^h2 .*unreachable=1' "$T/run1.out" ||
	{ cat "$T/run1.out"; fail "h2 is not unreachable in the recap"; }
grep -q '^h1 .*unreachable=0 *failed=0' "$T/run1.out" ||
	{ cat "$T/run1.out"; fail "h1 did not finish cleanly"; }
expect_in "$T/run1.out" "unreachable: [h2] => lost the connection to '[127.0.0.1]:"
for h in h1 h2 h3; do no_temp_files "$T/tgt/$h"; done
[ "$(run_status 1)" = failed ] || { cat "$T/hist.json"; fail "run 1 is not failed"; }
run_tend 0 show 1 --format json
json_get "$T/out" "[(r['host'], r['status']) for r in d['run']['results']]" \
	>"$T/results"
expect_in "$T/results" "('h2', 'unreachable')"
[ "$(grep -o "'changed'" "$T/results" | wc -l)" = 7 ] ||
	{ cat "$T/results"; fail "results of h1 and h3 missing"; }
[ "$(json_get "$T/out" "d['run']['unreachable']")" = 1 ] || fail "run 1's totals"

# ---- (b) killed while a copy streams to it
sshd_start_host "$S" h2
sshd_write_files "$S"
head -c 16777216 /dev/urandom >"$T/big.new"
printf 'old\n' >"$T/big.old"
for h in h1 h2 h3; do cp "$T/big.old" "$T/tgt/$h/big"; done
cat >"$T/big.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - copy: { src: "{{ src }}", dest: "{{ root }}/{{ inventory_hostname }}/big" }
YML
bg_tend run2 apply "$T/big.yml" -i "$S/inventory" -e root="$T/tgt" -e src="$T/big.new"
/usr/bin/python3 "$TOP/tests/lib/kill-on-temp.py" "$T/tgt/h2" KILL sshd \
	"$S/h2/sshd.pid" >"$T/tmpname" || fail "h2's temp file never appeared"
rm -f "$S/h2/sshd.pid"
bg_wait run2 20000
[ "$rc" = 3 ] || { cat "$T/run2.out" "$T/run2.err"; fail "exit $rc, expected 3"; }
# h2's shell lives on a moment after its sshd: let it end
since=$(now_ms)
while [ -e "$T/tgt/h2/$(cat "$T/tmpname")" ] &&
      [ $(( $(now_ms) - since )) -lt 10000 ]; do
	sleep 0.02
done
expect_one_of "$T/tgt/h2/big" "$T/big.old" "$T/big.new"
cmp -s "$T/tgt/h1/big" "$T/big.new" || fail "h1 did not get the file"
cmp -s "$T/tgt/h3/big" "$T/big.new" || fail "h3 did not get the file"
for h in h1 h2 h3; do no_temp_files "$T/tgt/$h"; done
grep -q '^h2 .*\(unreachable\|failed\)=1' "$T/run2.out" ||
	{ cat "$T/run2.out"; fail "h2 is not reported"; }
expect_in "$T/run2.out" "unreachable: [h2] => lost the connection to"
[ "$(run_status 2)" = failed ] || fail "run 2 is not failed"

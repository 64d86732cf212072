#!/bin/sh
# The playbooks over SSH to 3 real sshd hosts: the same end state as
# locally; plan, apply, re-apply (0 changed); handlers once per host; an
# unknown host key is refused, accept-new records it, a changed key is
# refused even with accept-new; a host whose sshd dies mid-run is
# unreachable while the others finish (exit 3) and the records are
# complete; become over SSH.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-sshd.sh"
sshd_start 3 "$T/sshd"
INV=$T/sshd/inventory
pb=$TOP/playbooks/files.yml

# plan changes nothing; apply converges every host; re-apply: 0 changed
run_tend 2 plan "$pb" -i "$INV" -e root="$T/tgt/{{ inventory_hostname }}" --detailed-exitcode
[ ! -e "$T/tgt" ] || fail "plan over ssh created files"
run_tend 0 apply "$pb" -i "$INV" -e root="$T/tgt/{{ inventory_hostname }}"
run_tend 0 apply "$pb" -e root="$T/local" # the same playbook, locally
for h in h1 h2 h3; do
	sed "s|$T/local|$T/tgt/$h|; s|localhost|$h|" "$T/local/etc/app.conf" >"$T/want.conf"
	cmp -s "$T/want.conf" "$T/tgt/$h/etc/app.conf" || { diff -u "$T/want.conf" "$T/tgt/$h/etc/app.conf"; fail "app.conf on $h"; }
	expect_mode "$T/tgt/$h/etc/app.conf" 0600
	[ "$(readlink "$T/tgt/$h/app.conf")" = "$T/tgt/$h/etc/app.conf" ] || fail "link on $h"
	expect_content "$T/tgt/$h/data/reloaded" "reloaded
"
done
run_tend 0 apply "$pb" -i "$INV" -e root="$T/tgt/{{ inventory_hostname }}" --format json --stats
[ "$(json_get "$T/out" "d['summary']['changed']")" = 0 ] || fail "re-apply over ssh changed something"
[ "$(json_get "$T/out" "d['summary']['hosts']")" = 3 ] || fail "not 3 hosts"
expect_in "$T/err" "round trips"

# handlers: notified twice, run once per host
cat >"$T/h.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - shell: "true"
      notify: h
    - shell: "true"
      notify: h
  handlers:
    - name: h
      shell: echo ran >> {{ out }}/{{ inventory_hostname }}.handler
YML
mkdir -p "$T/hout"
run_tend 0 apply "$T/h.yml" -i "$INV" -e out="$T/hout"
for h in h1 h2 h3; do expect_content "$T/hout/$h.handler" "ran
"; done

# host keys: unknown → refused; accept-new records it; changed → refused
cat >"$T/k.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - stat: { path: / }
YML
cp "$T/sshd/known_hosts" "$T/kh.good"
: >"$T/sshd/known_hosts"
run_tend 3 plan "$T/k.yml" -i "$INV" --limit h1
expect_in "$T/out" "is not in known_hosts"
expect_in "$T/out" "SHA256:"
run_tend 0 plan "$T/k.yml" -i "$INV" --limit h1 -e host_key_checking=accept-new
grep -q "^\[127.0.0.1\]:$(sshd_port "$T/sshd" h1) " "$T/sshd/known_hosts" || fail "accept-new did not record the key"
ssh-keygen -q -t ed25519 -N '' -f "$T/other" && p1=$(sshd_port "$T/sshd" h1)
printf '[127.0.0.1]:%s %s\n' "$p1" "$(cut -d' ' -f1,2 "$T/other.pub")" >"$T/sshd/known_hosts"
run_tend 3 plan "$T/k.yml" -i "$INV" --limit h1 -e host_key_checking=accept-new
expect_in "$T/out" "CHANGED"
cp "$T/kh.good" "$T/sshd/known_hosts"

# a host that dies mid-run is unreachable; the others finish
cat >"$T/slow.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - shell: touch {{ out }}/{{ inventory_hostname }}.started; sleep 2
    - copy: { content: "done\n", dest: "{{ out }}/{{ inventory_hostname }}.done" }
YML
mkdir -p "$T/sout"
"$TEND" apply "$T/slow.yml" -i "$INV" -e out="$T/sout" --format json >"$T/slow.json" 2>"$T/slow.err" &
pid=$!
# kill h2's sshd once its slow task is running (up to 20 s under ASan)
i=0
while [ ! -e "$T/sout/h2.started" ] && [ "$i" -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
[ -e "$T/sout/h2.started" ] || fail "the slow task never started on h2"
sshd_signal "$T/sshd" h2 KILL
set +e; wait "$pid"; rc=$?; set -e
[ "$rc" = 3 ] || { cat "$T/slow.json" "$T/slow.err"; fail "exit $rc, expected 3"; }
[ -e "$T/sout/h1.done" ] && [ -e "$T/sout/h3.done" ] || fail "the other hosts did not finish"
[ ! -e "$T/sout/h2.done" ] || fail "the dead host went on"
[ "$(json_get "$T/slow.json" "[t['status'] for h in d['hosts'] if h['host']=='h2' for t in h['tasks']]")" = "['unreachable']" ] || { cat "$T/slow.json"; fail "h2 not unreachable"; }
run_tend 0 history --format json
[ "$(json_get "$T/out" "(d['runs'][0]['status'], d['runs'][0]['unreachable'], d['runs'][0]['changed'])")" = "('failed', 1, 4)" ] || { cat "$T/out"; fail "run record"; }

# become over ssh
command -v sudo >/dev/null || fail "sudo is not installed (make test-deps)"
mkdir -p "$T/pub" && chmod 777 "$T/pub" && chmod 755 "$T"
cat >"$T/become.yml" <<'YML'
- hosts: h1
  gather_facts: false
  tasks:
    - command: id -un
      become: true
      become_user: nobody
      register: who
    - copy: { content: "{{ who.stdout }}\n", dest: "{{ out }}/who" }
YML
run_tend 0 apply "$T/become.yml" -i "$INV" -e out="$T/pub"
expect_content "$T/pub/who" "nobody
"

# runner-wide SSH defaults from tend.yml (ssh:), under inventory vars
printf '[web]\nh1 ansible_host=127.0.0.1 ansible_port=%s\n' "$(sshd_port "$T/sshd" h1)" >"$T/inv-bare"
run_tend 3 plan "$T/k.yml" -i "$T/inv-bare"   # no key, no known_hosts: refused
cat >"$T/tend.yml" <<YML
ssh:
  user: $(id -un)
  key_file: $T/sshd/client_key
  known_hosts: $T/sshd/known_hosts
  forks: 4
YML
run_tend 0 plan "$T/k.yml" -i "$T/inv-bare" --config "$T/tend.yml"
expect_in "$T/out" "Plan: 0 to change, 1 ok"

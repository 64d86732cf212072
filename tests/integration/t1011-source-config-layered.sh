#!/bin/sh
# A trusted git source's tend.yml (beside the playbook, else at the
# checkout's top) is layered on the operator's (--config, else the current
# directory's, else XDG): it adds change windows and maintenance
# providers, and makes maintenance settings stricter; it never relaxes the
# operator's. What else it sets (the state DB, ssh, the daemon's
# sections), a looser maintenance setting (or default), or an allow
# window beside the operator's (it would widen them) is refused by
# file:line:col, before anything runs. An untrusted source's is not read.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-alertmanager.sh"
rcv_start "$T/rcv" --secret hook-key
printf hook-key >"$T/hook.key"
stop_rcv() { rcv_stop "$T/rcv"; }
on_exit stop_rcv
export XDG_CACHE_HOME="$T/cache" XDG_CONFIG_HOME="$T/config"
mkdir -p "$T/config/tend" "$T/tgt"
printf 'state:\n  path: %s/op.db\nmaintenance:\n  duration: 20m\n' "$T" \
	>"$T/config/tend/tend.yml"
git init -q -b main "$T/src"
g() { git -C "$T/src" -c user.name=Eve -c user.email=e@example.org "$@"; }
mkdir "$T/src/pb"
printf 'localhost ansible_connection=local\n' >"$T/src/hosts"
cat >"$T/src/pb/site.yml" <<EOF
- hosts: localhost
  gather_facts: false
  tasks:
    - copy: { dest: "$T/tgt/f", content: "x" }
EOF
# commit: the checkout's tend.yml is $1 (at the top) and $2 (beside the
# playbook), "-" for none
commit() {
	rm -f "$T/src/tend.yml" "$T/src/pb/tend.yml"
	[ "$1" = - ] || printf '%s\n' "$1" >"$T/src/tend.yml"
	[ "$2" = - ] || printf '%s\n' "$2" >"$T/src/pb/tend.yml"
	g add -A
	g commit -q --allow-empty -m "$3"
}
apply() {
	run_tend "$1" apply --repo "$T/src" --ref main --trust-source -i hosts pb/site.yml
}
cd "$T"

# a freeze committed at the top of the repository refuses the apply; the
# operator's settings stay (its state DB)
commit "change_windows:
  - name: repo freeze
    deny: \"* * * * *\"
    duration: 1h" - "a freeze"
apply 1
expect_in "$T/err" "tend: using $T/config/tend/tend.yml as tend.yml"
expect_in "$T/err" "tend: adding the change windows and maintenance of "
expect_in "$T/err" "/tend.yml"
expect_in "$T/err" "repo freeze"
[ ! -e "$T/tgt/f" ] || fail "the checkout's freeze did not stop the apply"
# beside the playbook, and with --config
commit - "change_windows:
  - {name: pb freeze, deny: \"* * * * *\", duration: 1h}" "a freeze beside it"
cp "$T/config/tend/tend.yml" "$T/op.yml"
run_tend 1 apply --repo "$T/src" --ref main --trust-source -i hosts pb/site.yml --config "$T/op.yml"
expect_in "$T/err" "tend: using $T/op.yml as tend.yml"
expect_in "$T/err" "pb freeze"
[ ! -e "$T/tgt/f" ] || fail "the freeze beside the playbook did not stop the apply"

# without one the apply runs, into the operator's state DB
commit - - "no freeze"
apply 0
[ -e "$T/tgt/f" ] || fail "the apply did not run"
[ -s "$T/op.db" ] || fail "the operator's state DB was not used"
expect_not_in "$T/err" "adding the change windows"

# a provider it adds announces the window; its grace (unset by the
# operator) is taken
rm "$T/tgt/f"
commit "maintenance:
  grace: 1m
  providers:
    - type: webhook
      url: http://127.0.0.1:$(cat "$T/rcv/port")/signed/repo
      secret_file: $T/hook.key" - "announce"
apply 0
[ -e "$T/tgt/f" ] || fail "the apply with the checkout's provider did not run"
/usr/bin/python3 - "$T/rcv/requests.jsonl" <<'PY' || fail "the checkout's webhook was not told of the window"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
ev = [r['body']['event'] for r in reqs if r["path"] == "/signed/repo"]
assert ev == ['window.open', 'window.close'], ev
PY

# what only the operator sets: refused by file:line:col, nothing run
rm "$T/tgt/f"
commit "maintenance:
  grace: 5m
state:
  path: $T/evil.db
ssh:
  user: root" - "settings of the operator"
apply 1
expect_in "$T/err" "/tend.yml:3:1: 'state' is the operator's to set ($T/config/tend/tend.yml): a checkout's tend.yml may only add change_windows and maintenance"
expect_in "$T/err" "/tend.yml:5:1: 'ssh' is the operator's to set"
[ ! -e "$T/evil.db" ] && [ ! -e "$T/tgt/f" ] || fail "a refused tend.yml ran something"
run_tend 1 validate --repo "$T/src" --ref main --trust-source pb/site.yml
expect_in "$T/err" "'state' is the operator's to set"
# maintenance settings only get stricter: a shorter window than the
# operator's 20m, a warning where the default aborts, or ignoring unknown
# tasks where the default includes them is refused; a longer window is taken
commit "maintenance:
  duration: 5m
  on_failure: warn
  unknown: ignore" - "looser settings"
apply 1
expect_in "$T/err" "/tend.yml:2:13: maintenance.duration: '5m' would relax the operator's '20m' ($T/config/tend/tend.yml): a checkout's tend.yml may only make it stricter"
expect_in "$T/err" "/tend.yml:3:15: maintenance.on_failure: 'warn' would relax the operator's default 'abort'"
expect_in "$T/err" "/tend.yml:4:12: maintenance.unknown: 'ignore' would relax the operator's default 'include'"
[ ! -e "$T/tgt/f" ] || fail "a looser maintenance setting ran something"
commit "maintenance:
  duration: 2h
  on_failure: abort
  providers:
    - type: webhook
      url: http://127.0.0.1:$(cat "$T/rcv/port")/signed/long
      secret_file: $T/hook.key" - "a longer window"
apply 0
/usr/bin/python3 - "$T/rcv/requests.jsonl" <<'PY' || fail "the checkout's longer window was not taken"
import json, sys
from datetime import datetime
reqs = [json.loads(l) for l in open(sys.argv[1])]
w = [r['body']['window'] for r in reqs if r["path"] == "/signed/long"][0]
t = lambda s: datetime.fromisoformat(s.replace('Z', '+00:00'))
secs = (t(w['ends_at']) - t(w['starts_at'])).total_seconds()
assert 7190 < secs < 7210, secs
PY
rm "$T/tgt/f"

# an allow window adds to no allow window of the operator's (it narrows
# when applying is allowed), never to some (it would widen them)
commit "change_windows:
  - {name: new year, allow: \"0 0 1 1 *\", duration: 1m}" - "only at new year"
apply 1
expect_in "$T/err" "outside every allow window"
[ ! -e "$T/tgt/f" ] || fail "an allow window outside now did not stop the apply"
cat >>"$T/config/tend/tend.yml" <<EOF
change_windows:
  - {name: office, allow: "* * * * *", duration: 1h}
EOF
apply 1
expect_in "$T/err" "/tend.yml:2:29: an allow window would widen the operator's ($T/config/tend/tend.yml): a checkout's tend.yml may add deny windows"
[ ! -e "$T/tgt/f" ] || fail "a refused allow window ran something"

# an untrusted source's is named and not read
commit "state:
  path: $T/evil.db" - "untrusted"
run_tend 3 plan --repo "$T/src" --ref main -i hosts pb/site.yml
expect_in "$T/err" "/tend.yml': the source is untrusted"
[ ! -e "$T/evil.db" ] || fail "an untrusted checkout's tend.yml was read"

#!/bin/sh
# A play's own `schedule:` key, run by tend daemon:
# - tend.yml's schedule with local paths and no timing of its own: each
#   play with a `schedule:` gets a schedule "NAME.playN" that runs that
#   play alone (`tend apply --play N`); the other plays never run;
#   /api/v1/schedules shows it with its play and parent; its runs are
#   recorded with its name;
# - `tend apply --play N|NAME` by hand: only that play; a name two plays
#   share, a play that is not there and --play with --out are refused;
# - a schedule following a git source (real git daemon): a commit that
#   adds a play's `schedule:` starts that play's timer (polling); a
#   commit with a broken one keeps the timer and says why; a commit
#   that drops it stops the timer;
# - a bad `schedule:` is refused by `tend validate` with file:line:col,
#   and named in a warning by `tend daemon --check` (not an error).
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-git-daemon.sh"
. "$TOP/tests/lib/lib-daemon.sh"
export XDG_CACHE_HOME="$T/cache"
D=$T/d
mkdir -p "$D" "$T/tgt"
cat >"$D/site.yml" <<'YML'
- name: once
  hosts: localhost
  gather_facts: false
  tasks:
    - copy: {content: "x\n", dest: "{{ root }}/once"}
- name: often
  hosts: localhost
  gather_facts: false
  schedule: {every: 1s}
  tasks:
    - shell: echo run >> {{ root }}/often.log
YML

# by hand: --play
run_tend 0 apply --play 2 "$D/site.yml" -e "root=$T/tgt" --state "$T/hand.db"
[ ! -e "$T/tgt/once" ] || fail "--play 2 ran play 1"
expect_content "$T/tgt/often.log" "run
"
run_tend 0 apply --play once "$D/site.yml" -e "root=$T/tgt" --state "$T/hand.db"
expect_content "$T/tgt/once" "x
"
expect_content "$T/tgt/often.log" "run
"
run_tend 1 plan --play 3 "$D/site.yml" -e "root=$T/tgt" --state "$T/hand.db"
expect_in "$T/err" "--play '3': no such play (the playbooks have 2 plays)"
run_tend 1 plan --play 1 -o "$T/p.json" "$D/site.yml" --state "$T/hand.db"
expect_in "$T/err" "no --play with --out"
rm -f "$T/tgt/once" "$T/tgt/often.log"

# a bad schedule: validate names it
printf -- '- hosts: all\n  schedule: {every: 1m, at: 3}\n  tasks: []\n' >"$D/bad.yml"
run_tend 1 validate "$D/bad.yml"
expect_in "$T/err" "bad.yml:2:25: 'at' is not a key of a play's 'schedule' (cron, every, timezone, jitter)"
printf 'schedules:\n  - name: bad\n    playbook: bad.yml\n' >"$D/bad-tend.yml"
printf '    every: 1h\n' >>"$D/bad-tend.yml"
# the daemon: a warning (it reads playbooks without vault passwords or
# ansible.cfg, so an unreadable one is not a config error)
run_tend 0 daemon --check --config "$D/bad-tend.yml"
expect_in "$T/err" "warning: schedule 'bad': its plays' schedules are not read: "
expect_in "$T/err" "bad.yml:2:25: 'at' is not a key"

# the daemon: a schedule of the plays' own timing only
R=$T/repos/src.git
git init -q -b main "$R"
g() { git -C "$R" -c user.name=Ada -c user.email=ada@example.org "$@"; }
printf -- '- hosts: localhost\n  gather_facts: false\n  tasks:\n    - shell: echo c >> {{ root }}/git.log\n' >"$R/site.yml"
g add .
g commit -q -m one
gd_start "$T/repos"
cat >"$D/tend.yml" <<YML
http:
  listen: 127.0.0.1:0
sources:
  - name: src
    url: git://127.0.0.1:$gd_port/src.git
    interval: 1s
    debounce: 0s
    signature: none
schedules:
  - name: site
    playbook: site.yml
    mode: apply
    extra_vars: {root: "$T/tgt"}
  - name: fromgit
    source: src
    on_commit: false
    playbook: site.yml
    mode: apply
    extra_vars: {root: "$T/tgt"}
YML
daemon_start "$D" "$D/tend.yml" --state "$T/state.db"
json() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if ($1) else 1)" "$T/api"; }
lines() { [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]; }
wait_until 20 lines "$T/tgt/often.log" 2
[ ! -e "$T/tgt/once" ] || fail "the play without a schedule ran"
api api/v1/schedules
json "[s for s in j if s['name'] == 'site.play2' and s['play'] == 2 and s['parent'] == 'site' and s['every'] == 1 and s['mode'] == 'apply']" ||
	{ cat "$T/api"; fail "site.play2 in /api/v1/schedules"; }
json "[s for s in j if s['name'] == 'site' and s['play'] is None]" || { cat "$T/api"; fail "site"; }
json "not [s for s in j if s['name'].startswith('site.play1') or s['name'].startswith('fromgit.')]" ||
	{ cat "$T/api"; fail "a schedule for a play without one"; }
expect_in "$D/log" "schedule 'site.play2': apply started (every"
sqlite3 "$T/state.db" "SELECT DISTINCT run_trigger FROM runs" >"$T/triggers"
expect_content "$T/triggers" "schedule site.play2, every
"
[ ! -e "$T/tgt/git.log" ] || fail "fromgit ran with no timing of its own"

# a commit gives the source's play a schedule: polling finds it, it runs
printf -- '- hosts: localhost\n  gather_facts: false\n  schedule: {every: 1s}\n  tasks:\n    - shell: echo c >> {{ root }}/git.log\n' >"$R/site.yml"
g commit -q -am timed
wait_until 20 grep -q "source 'src': 1 play schedule at commit" "$D/log"
wait_until 20 lines "$T/tgt/git.log" 2
expect_in "$D/log" "schedule 'fromgit.play1': apply started (every"
# a reload keeps it (read again from the checkout)
kill -HUP "$(cat "$D/pid")"
wait_until 10 grep -q "reloaded '.*': 4 schedules" "$D/log"
api api/v1/schedules
json "[s for s in j if s['name'] == 'fromgit.play1' and s['parent'] == 'fromgit']" || { cat "$T/api"; fail "fromgit.play1 after a reload"; }
# a broken schedule: the timer stays, the log says why
printf -- '- hosts: localhost\n  gather_facts: false\n  schedule: {every: 0s}\n  tasks:\n    - shell: echo c >> {{ root }}/git.log\n' >"$R/site.yml"
g commit -q -am broken
wait_until 20 grep -q "'every' must be 1s or more" "$D/log"
expect_in "$D/log" "not read (until its next commit)"
api api/v1/schedules
json "[s for s in j if s['name'] == 'fromgit.play1']" || { cat "$T/api"; fail "fromgit.play1 after a broken commit"; }
# a commit without it: the timer goes
printf -- '- hosts: localhost\n  gather_facts: false\n  tasks:\n    - shell: echo c >> {{ root }}/git.log\n' >"$R/site.yml"
g commit -q -am untimed
c4=$(g rev-parse HEAD)
gone() { api api/v1/schedules; json "not [s for s in j if s['name'] == 'fromgit.play1']"; }
wait_until 20 gone
daemon_stop "$D" 0
echo "t8005: ok"

#!/bin/sh
# Maintenance windows against a real Alertmanager: an apply that changes
# h1 and h2 (not h3) silences exactly h1 and h2 during the run and expires
# the silence after; a no-op apply opens none; Alertmanager down aborts
# (touching nothing) or warns; serial batches get a silence each; a killed
# run's silence is closed by the next tend; a change-window freeze refuses
# the apply; manual windows open, list and close.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-alertmanager.sh"
am_start "$T/am"
AM=$(am_url "$T/am")
mkdir -p "$T/pb" "$T/tgt"
cat >"$T/inv" <<'INI'
[all:vars]
ansible_connection=local
[web]
h1
h2
h3
INI
cat >"$T/pb/tend.yml" <<YML
maintenance:
  duration: 10m
  providers:
    - type: alertmanager
      url: $AM
YML
cat >"$T/pb/site.yml" <<'YML'
- hosts: web
  gather_facts: false
  tasks:
    - copy: { content: "v={{ v }}\n", dest: "{{ root }}/{{ inventory_hostname }}" }
    - name: what Alertmanager silences right now
      shell: >
        curl -sf '{{ am }}/api/v2/alerts?silenced=true&active=false&inhibited=false&unprocessed=false'
        > {{ root }}/silenced.json
      when: inventory_hostname == 'h1' and probe | default(false) | bool
YML
silences() { curl -sf "$AM/api/v2/silences" >"$T/sil.json"; }
alerts='['
for h in h1 h2 h3; do alerts="$alerts{\"labels\":{\"alertname\":\"Down\",\"instance\":\"$h:9100\"}},"; done
alerts="${alerts%,}]"
am_alert "$T/am" "$alerts"

echo "v=1" >"$T/tgt/h3"   # h3 is already as wanted
run_tend 0 apply "$T/pb/site.yml" -i "$T/inv" -e v=1 -e root="$T/tgt" -e am="$AM" -e probe=true
expect_in "$T/err" "maintenance window"
grep -q "^tend: maintenance window [0-9]* open on 2 hosts\$" "$T/err" || { cat "$T/err"; fail "the window line is not one clean line"; }
/usr/bin/python3 - "$T/tgt/silenced.json" <<'PY'
import json, sys
got = sorted(a['labels']['instance'] for a in json.load(open(sys.argv[1])))
assert got == ['h1:9100', 'h2:9100'], got
PY
silences
/usr/bin/python3 - "$T/sil.json" <<'PY'
import json, re, sys
s = json.load(open(sys.argv[1]))
assert len(s) == 1, s
s = s[0]
assert s['status']['state'] == 'expired', s['status']
assert s['createdBy'] == 'tend', s
m = [x for x in s['matchers'] if x['name'] == 'instance'][0]
assert m['isRegex']
for h, want in (('h1:9100', True), ('h2', True), ('h3:9100', False), ('h10', False)):
    assert bool(re.fullmatch(m['value'], h)) == want, (m['value'], h)
PY

# no change, no window
run_tend 0 apply "$T/pb/site.yml" -i "$T/inv" -e v=1 -e root="$T/tgt" -e am="$AM"
silences
[ "$(json_get "$T/sil.json" "len(d)")" = 1 ] || fail "a no-op apply opened a window"

# serial: a silence per batch, each with only its batch's hosts
sed 's/^  gather_facts: false/  gather_facts: false\n  serial: 2/' "$T/pb/site.yml" >"$T/pb/serial.yml"
run_tend 0 apply "$T/pb/serial.yml" -i "$T/inv" -e v=2 -e root="$T/tgt" -e am="$AM"
silences
/usr/bin/python3 - "$T/sil.json" <<'PY'
import json, re, sys
s = sorted(json.load(open(sys.argv[1])), key=lambda x: x['startsAt'])[1:]
assert len(s) == 2, len(s)
def hosts(sil):
    m = [x for x in sil['matchers'] if x['name'] == 'instance'][0]['value']
    return [h for h in ('h1', 'h2', 'h3') if re.fullmatch(m, h)]
assert [hosts(x) for x in s] == [['h1', 'h2'], ['h3']], [hosts(x) for x in s]
assert all(x['status']['state'] == 'expired' for x in s)
PY

# a killed run's silence is closed by the next tend
cat >"$T/pb/slow.yml" <<'YML'
- hosts: h1
  gather_facts: false
  tasks:
    - copy: { content: "slow\n", dest: "{{ root }}/slow" }
    - shell: touch {{ root }}/slow-started; sleep 5
YML
"$TEND" apply "$T/pb/slow.yml" -i "$T/inv" -e root="$T/tgt" >/dev/null 2>&1 &
pid=$!
i=0; while [ ! -e "$T/tgt/slow-started" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done
kill -KILL "$pid"; wait "$pid" 2>/dev/null || true
silences
[ "$(json_get "$T/sil.json" "sum(x['status']['state'] == 'active' for x in d)")" = 1 ] || fail "no active silence during the killed run"
run_tend 0 window list --config "$T/pb/tend.yml"
silences
[ "$(json_get "$T/sil.json" "sum(x['status']['state'] == 'active' for x in d)")" = 0 ] || fail "the killed run's silence was not closed"

# manual windows
run_tend 0 window open --hosts h3 --duration 30m --reason "disk swap" --config "$T/pb/tend.yml"
id=$(sed -n 's/^window \([0-9]*\) open.*/\1/p' "$T/out")
run_tend 0 window list --config "$T/pb/tend.yml"
expect_in "$T/out" "disk swap"
run_tend 0 window close "$id" --config "$T/pb/tend.yml"
silences
[ "$(json_get "$T/sil.json" "sum(x['status']['state'] == 'active' for x in d)")" = 0 ] || fail "manual window not closed"

# a change-window freeze refuses the apply, touching nothing
cp "$T/pb/tend.yml" "$T/pb/tend.yml.ok"
cat >>"$T/pb/tend.yml" <<'YML'
change_windows:
  - name: always frozen
    deny: "* * * * *"
    duration: 2m
YML
run_tend 1 apply "$T/pb/site.yml" -i "$T/inv" -e v=3 -e root="$T/tgt" -e am="$AM"
expect_in "$T/err" "refused"
expect_content "$T/tgt/h1" "v=2
"
run_tend 0 apply "$T/pb/site.yml" -i "$T/inv" -e v=3 -e root="$T/tgt" -e am="$AM" \
	--override-change-window --reason "incident 42"
expect_content "$T/tgt/h1" "v=3
"
run_tend 0 history --format json
[ "$(json_get "$T/out" "d['runs'][0]['note']")" = "incident 42" ] || fail "override reason not recorded"
cp "$T/pb/tend.yml.ok" "$T/pb/tend.yml"

# Alertmanager down: abort touches nothing; warn goes ahead
am_stop "$T/am"
run_tend 1 apply "$T/pb/site.yml" -i "$T/inv" -e v=4 -e root="$T/tgt" -e am="$AM"
expect_in "$T/err" "alertmanager"
expect_content "$T/tgt/h1" "v=3
"
printf '  on_failure: warn\n' >>"$T/pb/tend.yml"
sed -i 's/^  duration: 10m$/  duration: 10m\n  on_failure: warn/' "$T/pb/tend.yml"
sed -i '$d' "$T/pb/tend.yml"
run_tend 0 apply "$T/pb/site.yml" -i "$T/inv" -e v=4 -e root="$T/tgt" -e am="$AM"
expect_content "$T/tgt/h1" "v=4
"
# --no-window needs no provider at all
run_tend 0 apply "$T/pb/site.yml" -i "$T/inv" -e v=5 -e root="$T/tgt" -e am="$AM" --no-window

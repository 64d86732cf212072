#!/bin/sh
# systemd, systemd_service and service on Debian 12 containers, side by
# side with ansible-playbook (tests/lib/lib-ct-compare.sh): two units the
# play installs are enabled, started, restarted by a handler when their
# config changes (MainPID changes), stopped and masked; each task's status
# and the registered name/state/enabled/status (ActiveState, LoadState,
# UnitFileState, SubState, Id) are Ansible's; a re-apply is all ok for
# both; the plan before the second apply says what will change; an
# unknown unit and a hostile name fail their task with Ansible's message
# and change nothing.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-container.sh"
. "$TOP/tests/lib/lib-ct-compare.sh"
command -v ansible-playbook >/dev/null || fail "ansible-playbook is not installed (make test-deps)"
pb=$TOP/tests/fixtures/service/services.yml
state='for u in tend-web tend-sleep; do
	echo "$u $(systemctl is-enabled $u 2>&1) $(systemctl is-active $u 2>&1)"; done
	ls /tmp/pwned /root/rec-* 2>&1; cat /root/rec-*'
pid='systemctl show -p MainPID --value tend-web'
unchanged() {
	python3 - "$T/$1.ansible.json" <<'PY' || fail "$1: a re-apply changed something"
import json, sys
for h, s in json.load(open(sys.argv[1]))["stats"].items():
    if s["changed"]:
        print(h, "changed", s["changed"]); sys.exit(1)
PY
}

ct_pair svc
ct_pair_exec svc mkdir -p /usr/local/lib/systemd/system
ct_pair_run svc v1 "$pb" -e record=1 -e ver=v1 -e sleep_state=started -e sleep_masked=no
ct_pair_state svc "$state"
expect_in "$T/svc.state.tend" "tend-web enabled active"
expect_in "$T/svc.state.tend" "tend-sleep static active"
expect_in "$T/svc.state.tend" "web: tend-web True started inactive loaded disabled tend-web.service"
expect_in "$T/svc.state.tend" "bad: True Could not find the requested service tend-nosuch: host"
expect_in "$T/svc.state.tend" "/tmp/pwned': No such file"
ct_exec svct sh -c 'python3 -c "import urllib.request as u; u.urlopen(\"http://127.0.0.1:8081/\")"' ||
	fail "the web unit does not serve"

# the plan of the next change: restart (handler), stop and mask
ct_pair_exec svc sh -c "$pid >/root/pid1"
"$TEND" plan -i "$CT_DIR/svc.tend.inv" "$pb" -e ver=v2 -e sleep_state=stopped \
	-e sleep_masked=yes >"$T/plan.out" 2>&1 || { cat "$T/plan.out"; fail "tend plan failed"; }
expect_in "$T/plan.out" "restart tend-web (active)"
expect_in "$T/plan.out" "stop tend-sleep (active)"
expect_in "$T/plan.out" "mask tend-sleep"
ct_pair_run svc v2 "$pb" -e record=2 -e ver=v2 -e sleep_state=stopped -e sleep_masked=yes
ct_pair_state svc "$state; [ \"\$($pid)\" != \"\$(cat /root/pid1)\" ] && echo web restarted"
expect_in "$T/svc.state.tend" "web restarted"
expect_in "$T/svc.state.tend" "tend-sleep masked inactive"
expect_in "$T/svc.state.tend" "tend-web enabled active"
expect_in "$T/svc.state.tend" "sleep: tend-sleep stopped active loaded running"
# a re-apply changes nothing, for both (tend's count is Ansible's)
ct_pair_run svc v2again "$pb" -e ver=v2 -e sleep_state=stopped -e sleep_masked=yes
unchanged svc.v2again

# one round trip per check: a plan of three converged service tasks
cat >"$T/rt.yml" <<'YML'
- hosts: svc
  gather_facts: no
  tasks:
    - systemd: { name: tend-web, state: started, enabled: yes }
    - systemd_service: { name: tend-sleep, state: stopped, masked: yes }
    - service: { name: tend-web, state: started, enabled: yes }
YML
"$TEND" plan --stats -i "$CT_DIR/svc.tend.inv" "$T/rt.yml" >"$T/rt.out" 2>&1 ||
	{ cat "$T/rt.out"; fail "tend plan failed"; }
expect_in "$T/rt.out" "stats: 3 round trips for 3 task results"
expect_in "$T/rt.out" "Plan: 0 to change, 3 ok"

#!/bin/sh
# pip on real Debian 12 machines, against ansible-playbook
# (tests/lib/lib-ct-compare.sh: one fresh container each, the same set-up):
# two versions of a tiny wheel built here (no index, no network) in
# /srv/wheels; a virtualenv made with `python3 -m venv` (with site
# packages, a umask, and a path holding a space and a %), a pinned
# package, `version` with a dependency, a requirements file (chdir), then
# latest upgrades, absent removes, a satisfied specifier is ok. The statuses of every task are
# Ansible's, and so is the end state (`bin/pip freeze` of both
# virtualenvs). tend's plan says what will change, in words. A re-apply
# is all ok for both; an unknown package, and the system python (PEP 668,
# externally managed: install, and remove even what is not there), fail
# their tasks with pip's words and change nothing.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-container.sh"
. "$TOP/tests/lib/lib-ct-compare.sh"
command -v ansible-playbook >/dev/null || fail "ansible-playbook is not installed (make test-deps)"
export ANSIBLE_PIPELINING=1
F=$TOP/tests/fixtures/pip
mkdir "$T/wheels"
for v in 1.0 2.0; do python3 "$F/mkwheel.py" "$T/wheels" tendpkg "$v"; done
python3 "$F/mkwheel.py" "$T/wheels" tend-dep 0.5
python3 "$F/mkwheel.py" "$T/wheels" tendapp 1.1 'tend-dep>=0.5'
python3 "$F/mkwheel.py" "$T/wheels" tend.lib 0.1
printf '%s\n' '# pinned' 'Tend_Lib==0.1  # the only one' >"$T/req.txt"

ct_pair p
ct_pair_exec p mkdir -p /srv/wheels || fail "cannot set the machines up"
for c in pa pt; do
	for w in "$T"/wheels/*.whl; do
		ct_push "$c" "$w" "/srv/wheels/${w##*/}"
	done
	ct_push "$c" "$T/req.txt" /srv/req.txt
done
STATE='cd /opt && ls -A; "v 1%/bin/pip" freeze; grep -x "include-system-site-packages = true" "v 1%/pyvenv.cfg";
	stat -c "%n %a" "v 1%/lib"; python3 -m pip list --format=freeze 2>/dev/null | grep -i tend; true'

# the plan first: what will change, in words
run_tend 2 plan --detailed-exitcode -i "$CT_DIR/p.tend.inv" "$F/site.yml"
for w in "create virtualenv /opt/v 1%" "install tendpkg 1.0" \
	"cannot be checked before the earlier changes"; do
	expect_in "$T/out" "$w"
done
ct_pair_run p site "$F/site.yml"
ct_pair_state p "$STATE"
expect_in "$T/p.state.tend" "tendpkg==1.0"
expect_in "$T/p.state.tend" "tend-dep==0.5"
expect_in "$T/p.state.tend" "tendapp==1.1"
expect_in "$T/p.state.tend" "tend.lib==0.1"
expect_in "$T/p.state.tend" "v 1%/lib 755"

run_tend 2 plan --detailed-exitcode -i "$CT_DIR/p.tend.inv" "$F/upgrade.yml"
expect_in "$T/out" "upgrade tendpkg 1.0 -> 2.0"
expect_in "$T/out" "remove tendapp"
ct_pair_run p upgrade "$F/upgrade.yml"
ct_pair_state p "$STATE"
expect_in "$T/p.state.tend" "tendpkg==2.0"
expect_not_in "$T/p.state.tend" "tendapp"

# again: all ok for both, in one round trip per task; bad input fails
# with pip's words and changes nothing
cp "$T/p.state.tend" "$T/before"
ct_pair_run p again "$F/bad.yml"
[ "$(json_get "$T/p.again.ansible.json" "d['stats']['p']['changed']")" = 0 ] ||
	fail "ansible-playbook changed something on a re-apply"
[ "$(json_get "$T/p.again.tend.json" "d['hosts'][0]['stats']['changed']")" = 0 ] ||
	fail "tend changed something on a re-apply"
# (four failures, ignored: the statuses compared are the same for tend)
[ "$(json_get "$T/p.again.ansible.json" "d['stats']['p']['ignored']")" = 4 ] ||
	fail "ansible-playbook did not fail the four bad tasks"
expect_in "$T/p.again.tend.json" "No matching distribution found for nosuchpkg"
expect_in "$T/p.again.tend.json" "externally-managed-environment"
expect_in "$T/p.again.ansible.json" "externally-managed-environment"
ct_pair_state p "$STATE"
cmp -s "$T/before" "$T/p.state.tend" || fail "a failed task changed the machine"
run_tend 0 plan --detailed-exitcode --stats -i "$CT_DIR/p.tend.inv" "$F/upgrade.yml"
expect_in "$T/err" "(1.00 per task per host)"

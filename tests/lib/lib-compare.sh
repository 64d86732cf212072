# Run one playbook with ansible-playbook and with tend and compare what
# they left on the hosts. Sourced after lib-test.sh.
#
#   compare_run NAME PLAYBOOK INVENTORY [ARGS...]
#       runs both with `-e base=DIR` (DIR: $T/NAME-ansible, then
#       $T/NAME-tend, each made empty first; the playbook writes beneath
#       it, e.g. under "{{ base }}/{{ inventory_hostname }}") and the ARGS,
#       then compares the two trees (types, modes, owners, contents) and
#       whether both succeeded. Leaves tend's output in $T/out and $T/err
#       and ansible's in $T/NAME-ansible.log.
#   COMPARE_RC    tend's exit code (default 0); for 3 (failed or
#                 unreachable hosts) ansible-playbook must give 2 or 4
#   COMPARE_EACH  a command run before each tool's run, with that run's
#                 base DIR as its argument (it may start something in the
#                 background: a host that goes away and comes back)

export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCALHOST_WARNING=0 \
	ANSIBLE_HOME="$T/ansible-home" ANSIBLE_LOCAL_TEMP="$T/ansible-tmp" \
	ANSIBLE_HOST_KEY_CHECKING=1 ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3
command -v ansible-playbook >/dev/null || fail "ansible-playbook is not installed (make test-deps)"

compare_run() {
	_name=$1 _pb=$2 _inv=$3
	shift 3
	_rc=${COMPARE_RC:-0}
	rm -rf "$T/$_name-ansible" "$T/$_name-tend"
	mkdir "$T/$_name-ansible" "$T/$_name-tend"
	[ -z "${COMPARE_EACH:-}" ] || $COMPARE_EACH "$T/$_name-ansible"
	set +e
	ansible-playbook -i "$_inv" "$_pb" -e base="$T/$_name-ansible" "$@" \
		>"$T/$_name-ansible.log" 2>&1
	_arc=$?
	set -e
	case "$_rc:$_arc" in
	0:0 | 3:2 | 3:4) ;;
	*) cat "$T/$_name-ansible.log"
		fail "$_name: ansible-playbook exited $_arc (tend's $_rc expected)" ;;
	esac
	[ -z "${COMPARE_EACH:-}" ] || $COMPARE_EACH "$T/$_name-tend"
	run_tend "$_rc" apply "$_pb" -i "$_inv" -e base="$T/$_name-tend" "$@"
	snapshot "$T/$_name-ansible" >"$T/$_name-a.snap"
	snapshot "$T/$_name-tend" >"$T/$_name-t.snap"
	if ! cmp -s "$T/$_name-a.snap" "$T/$_name-t.snap"; then
		diff -u "$T/$_name-a.snap" "$T/$_name-t.snap" || true
		(cd "$T/$_name-ansible" && find . -type f | sort | while read -r f; do
			cmp -s "$f" "../$_name-tend/$f" ||
				{ echo "--- $f"; diff -u "$f" "../$_name-tend/$f" || true; }
		done)
		cat "$T/out"
		fail "$_name: the trees ansible-playbook and tend left differ"
	fi
}

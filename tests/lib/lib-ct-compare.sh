# ansible-playbook and tend side by side on two fresh containers of the
# same image, for the system modules (apt, service, user, cron...): each
# tool converges its own machine, then the statuses of every task and the
# machines' state are compared. Sourced after lib-test.sh and
# lib-container.sh.
#
#   ct_pair NAME
#       launch NAMEa (Ansible's) and NAMEt (tend's); both are the host NAME
#       in their inventories ($CT_DIR/NAME.ansible.inv, NAME.tend.inv), so
#       host names in results and files are equal
#   ct_pair_run NAME STEP PLAYBOOK [ARGS...]
#       ansible-playbook (json callback) on NAMEa, `tend apply --format
#       json` on NAMEt, the same ARGS; their output in
#       $T/NAME.STEP.ansible.json and $T/NAME.STEP.tend.json (stderr in
#       .err); then tests/lib/compare-results.py compares every task's and
#       loop item's status and the changed count. Fails on a difference.
#       CT_RC is the exit code expected of tend (default 0; for 3, failed
#       hosts, ansible-playbook must give 2). CT_TEND_PLAN: a plan that
#       `tend plan --out` saved from PLAYBOOK, which tend applies instead
#       (a saved plan does what it said).
#   ct_pair_state NAME SCRIPT
#       run the sh SCRIPT as root on both machines; fails (showing the
#       diff) unless both print the same
#   ct_pair_exec NAME CMD...
#       run CMD on both machines (set-up both need, e.g. a package source)

ct_pair() {
	ct_launch "$1a"
	ct_launch "$1t"
	for _w in ansible:a tend:t; do
		{
			sed "1s/^$1${_w#*:} /$1 /" "$CT_DIR/$1${_w#*:}/line"
			echo
			echo "[all:vars]"
			echo "ansible_ssh_common_args='-o UserKnownHostsFile=$CT_DIR/known_hosts -o StrictHostKeyChecking=yes'"
		} >"$CT_DIR/$1.${_w%:*}.inv"
	done
}

ct_pair_exec() {
	_pn=$1
	shift
	ct_exec "${_pn}a" "$@" && ct_exec "${_pn}t" "$@"
}

ct_pair_run() {
	_pn=$1 _ps=$2 _pb=$3
	shift 3
	_prc=${CT_RC:-0}
	_po=$T/$_pn.$_ps
	set +e
	ANSIBLE_STDOUT_CALLBACK=json ANSIBLE_NOCOLOR=1 \
		ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_HOME="$T/ansible-home" \
		ANSIBLE_LOCAL_TEMP="$T/ansible-tmp" \
		ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 \
		ansible-playbook -i "$CT_DIR/$_pn.ansible.inv" "$_pb" "$@" \
		>"$_po.ansible.json" 2>"$_po.ansible.err"
	_parc=$?
	"$TEND" apply --format json -i "$CT_DIR/$_pn.tend.inv" \
		"${CT_TEND_PLAN:-$_pb}" "$@" \
		>"$_po.tend.json" 2>"$_po.tend.err"
	_ptrc=$?
	set -e
	case "$_prc:$_parc:$_ptrc" in
	0:0:0 | 3:2:3) ;;
	*)
		tail -n 30 "$_po.ansible.json" "$_po.ansible.err" "$_po.tend.err"
		fail "$_pn $_ps: ansible-playbook exited $_parc, tend $_ptrc ($_prc expected)"
		;;
	esac
	python3 "$TOP/tests/lib/compare-results.py" "$_po.ansible.json" \
		"$_po.tend.json" >"$_po.compare" 2>&1 || {
		cat "$_po.compare"
		fail "$_pn $_ps: tend's task statuses differ from ansible-playbook's"
	}
}

ct_pair_state() {
	ct_exec "$1a" sh -c "$2" >"$T/$1.state.ansible" 2>&1
	ct_exec "$1t" sh -c "$2" >"$T/$1.state.tend" 2>&1
	cmp -s "$T/$1.state.ansible" "$T/$1.state.tend" || {
		diff -u "$T/$1.state.ansible" "$T/$1.state.tend" || true
		fail "$1: the machines differ after ansible-playbook (-) and tend (+)"
	}
}

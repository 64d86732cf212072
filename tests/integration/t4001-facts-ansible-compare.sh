#!/bin/sh
# Gathered facts on a real Debian 12 machine (systemd PID 1, apt, a
# default route, local facts of every kind) are Ansible's: ansible-playbook
# and tend gather on the same container over SSH and every fact issue 14
# names is compared key by key (tests/lib/compare-facts.py). Local facts
# (JSON with hostile values, INI with DEFAULT, interpolation and
# continuation lines, an executable, a failing one, a broken file, an
# empty one) are compared exactly. The facts are also plain ansible_*
# variables, and a `setup` task with gather_subset and filter gives what
# Ansible's does.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-container.sh"
command -v ansible-playbook >/dev/null || fail "ansible-playbook is not installed (make test-deps)"
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCALHOST_WARNING=0 \
	ANSIBLE_HOME="$T/ansible-home" ANSIBLE_LOCAL_TEMP="$T/ansible-tmp" \
	ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3
ct_launch c1
# a default route (Ansible's default_ipv4 asks `ip route get`)
ct_exec c1 sh -c 'ip link add v0 type veth peer name v1 && ip link add br-x type bridge &&
	ip addr add 10.11.12.13/24 dev v0 && ip addr add 10.11.12.14/24 dev v0 &&
	ip addr add 172.16.5.1/16 dev br-x && ip link set v0 up && ip link set v1 up &&
	ip route add default via 10.11.12.1' || fail "cannot give the container a route"
ct_exec c1 mkdir -p /etc/ansible/facts.d
for f in "$TOP"/tests/fixtures/facts/local/*; do
	ct_push c1 "$f" "/etc/ansible/facts.d/${f##*/}"
done
ct_exec c1 chmod 755 /etc/ansible/facts.d/exec.fact /etc/ansible/facts.d/fail.fact
cat >"$T/pb.yml" <<'YML'
- hosts: c1
  tasks:
    - copy: { dest: "/root/facts-{{ who }}.json", content: "{{ ansible_facts | to_json }}" }
    - copy:
        dest: "/root/vars-{{ who }}.txt"
        content: "{{ ansible_distribution }} {{ ansible_os_family }} {{ ansible_service_mgr }} {{ ansible_pkg_mgr }} {{ ansible_default_ipv4.address }} {{ ansible_local.ini.Main.url }} {{ ansible_python.version.major }}\n"
    - setup: { gather_subset: ['!all', '!min', network], filter: ['ansible_default_ipv4', 'ansible_interfaces', 'ansible_hostname'] }
      register: s
    - copy: { dest: "/root/setup-{{ who }}.json", content: "{{ s.ansible_facts | to_json }}" }
YML
ansible-playbook -i "$CT_DIR/inventory" "$T/pb.yml" -e who=ansible >"$T/ansible.log" 2>&1 ||
	{ cat "$T/ansible.log"; fail "ansible-playbook failed"; }
run_tend 0 apply "$T/pb.yml" -i "$CT_DIR/inventory" -e who=tend
for w in ansible tend; do
	ct_exec c1 cat "/root/facts-$w.json" >"$T/facts-$w.json"
	ct_exec c1 cat "/root/setup-$w.json" >"$T/setup-$w.json"
	ct_exec c1 cat "/root/vars-$w.txt" >"$T/vars-$w.txt"
done
python3 "$TOP/tests/lib/compare-facts.py" "$T/facts-ansible.json" "$T/facts-tend.json" ansible_local ||
	fail "tend's facts differ from Ansible's"
cmp "$T/vars-ansible.txt" "$T/vars-tend.txt" || { diff "$T/vars-ansible.txt" "$T/vars-tend.txt"; fail "ansible_* variables differ"; }
expect_in "$T/vars-tend.txt" "Debian Debian systemd apt 10.11.12.13 http://h1.example:8080/ 3"
python3 - "$T/setup-ansible.json" "$T/setup-tend.json" <<'PY' || fail "setup's filtered facts differ"
import json, sys
a, t = (json.load(open(p)) for p in sys.argv[1:3])
a["ansible_interfaces"].sort(); t["ansible_interfaces"].sort()
if a != t:
    print("ansible:", json.dumps(a, sort_keys=True)); print("tend:   ", json.dumps(t, sort_keys=True)); sys.exit(1)
PY

# Debian's point release: Ansible reads /etc/debian_version only through
# the host's own python3-distro (its bundled copy does not); the image has
# none, so both said the major version above. With the package there,
# both say the point release.
d=/usr/lib/python3/dist-packages/distro
[ -r "$d/distro.py" ] || fail "python3-distro is missing here (make test-deps installs it)"
ct_exec c1 mkdir -p "$d"
ct_push c1 "$d/__init__.py" "$d/__init__.py"
ct_push c1 "$d/distro.py" "$d/distro.py"
cat >"$T/ver.yml" <<'YML'
- hosts: c1
  tasks:
    - copy: { dest: "/root/ver-{{ who }}", content: "{{ ansible_distribution_version }} {{ ansible_distribution_minor_version }}\n" }
YML
ansible-playbook -i "$CT_DIR/inventory" "$T/ver.yml" -e who=ansible >"$T/ansible-ver.log" 2>&1 ||
	{ cat "$T/ansible-ver.log"; fail "ansible-playbook failed"; }
run_tend 0 apply "$T/ver.yml" -i "$CT_DIR/inventory" -e who=tend
a=$(ct_exec c1 cat /root/ver-ansible) t=$(ct_exec c1 cat /root/ver-tend)
[ "$a" = "$t" ] || fail "distribution_version with python3-distro: ansible '$a', tend '$t'"
case $a in 12.*) ;; *) fail "with python3-distro Ansible gives the point release, not '$a'" ;; esac
v=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["distribution_version"])' "$T/facts-ansible.json")
[ "$v" = 12 ] || fail "without python3-distro Ansible gave '$v', not 12"

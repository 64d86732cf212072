#!/bin/sh
# Gathered facts on this machine (local connection) and on an SSH host are
# Ansible's, key by key (tests/lib/compare-facts.py), local facts from a
# play's fact_path included; gather_subset gives the facts Ansible's does
# (with the facts its collectors need besides); facts stay for later plays
# (memory cache); what tend does not gather is refused at validate by name.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-sshd.sh"
command -v ansible-playbook >/dev/null || fail "ansible-playbook is not installed (make test-deps)"
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCALHOST_WARNING=0 \
	ANSIBLE_HOME="$T/ansible-home" ANSIBLE_LOCAL_TEMP="$T/ansible-tmp" \
	ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3
mkdir -p "$T/facts.d"
cp "$TOP"/tests/fixtures/facts/local/* "$T/facts.d/"
cat >"$T/pb.yml" <<'YML'
- hosts: all
  fact_path: "{{ fp }}"
  tasks:
    - copy: { dest: "{{ out }}/facts-{{ inventory_hostname }}.json", content: "{{ ansible_facts | to_json }}" }
      delegate_to: localhost
YML
sshd_start 1 "$T/sshd"
for who in ansible tend; do
	mkdir -p "$T/$who"
	cat >"$T/$who.inv" <<-EOF
	local ansible_connection=local
	$(sed -n 's/^h1 /ssh /p' "$T/sshd/inventory")
	[all:vars]
	$(sed -n 's/^ansible_ssh_common_args=/ansible_ssh_common_args=/p' "$T/sshd/inventory")
	EOF
done
sed -i "s,fact_path: \"{{ fp }}\",fact_path: $T/facts.d," "$T/pb.yml"
ansible-playbook -i "$T/ansible.inv" "$T/pb.yml" -e out="$T/ansible" >"$T/ansible.log" 2>&1 ||
	{ cat "$T/ansible.log"; fail "ansible-playbook failed"; }
run_tend 0 apply "$T/pb.yml" -i "$T/tend.inv" -e out="$T/tend"
for h in local ssh; do
	python3 "$TOP/tests/lib/compare-facts.py" "$T/ansible/facts-$h.json" "$T/tend/facts-$h.json" ansible_local ||
		fail "tend's facts on $h differ from Ansible's"
done

# gather_subset: which facts are there, as with Ansible (one play each,
# the facts cleared after it)
n=0
: >"$T/sub.yml"
for subset in "['!all']" "['!all', '!min', 'network']" "['!all', '!min', 'hardware', 'local']" \
	"['min', '!env', '!date_time']" "['all', '!hardware']"; do
	n=$((n + 1))
	cat >>"$T/sub.yml" <<-YML
	- hosts: localhost
	  connection: local
	  gather_subset: $subset
	  fact_path: $T/facts.d
	  tasks:
	    - copy: { dest: "{{ out }}-$n.json", content: "{{ ansible_facts | to_json }}" }
	    - meta: clear_facts
	YML
done
ansible-playbook "$T/sub.yml" -e out="$T/sub-a" >"$T/ansible.log" 2>&1 ||
	{ cat "$T/ansible.log"; fail "ansible-playbook failed (gather_subset)"; }
run_tend 0 apply "$T/sub.yml" -e out="$T/sub-t"
python3 - "$T" <<'PY' || fail "gather_subset: tend's facts are not Ansible's"
import json, sys
names = ["hostname", "distribution", "service_mgr", "pkg_mgr", "python", "env", "user_id",
         "date_time", "ansible_local", "memtotal_mb", "processor_vcpus", "interfaces",
         "default_ipv4", "all_ipv4_addresses", "gather_subset", "module_setup"]
ok = True
for i in range(1, 6):
    a, t = (json.load(open("%s/sub-%s-%d.json" % (sys.argv[1], w, i))) for w in "at")
    bad = [n for n in names if (n in a) != (n in t) or (n == "gather_subset" and a[n] != t[n])]
    if bad:
        ok = False
        print("play", i, "differs on", bad, "\nansible:", sorted(a), "\ntend:", sorted(t))
sys.exit(0 if ok else 1)
PY

# the facts of a play stay for the next plays; setup adds to them
cat >"$T/plays.yml" <<'YML'
- hosts: localhost
  connection: local
  gather_subset: [min]
  fact_path: /nonexistent-tend-facts
  tasks:
    - debug: { msg: "p1 {{ ansible_hostname }} local={{ ansible_local }}" }
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - debug: { msg: "p2 {{ ansible_facts.hostname == ansible_hostname }} {{ ansible_memtotal_mb | default('nomem') }}" }
    - setup: { gather_subset: [hardware], filter: [ansible_memtotal_mb] }
    - debug: { msg: "p2b {{ ansible_memtotal_mb > 0 }} {{ ansible_facts.memtotal_mb == ansible_memtotal_mb }} {{ ansible_facts.hostname == ansible_hostname }}" }
YML
run_tend 0 apply "$T/plays.yml"
expect_in "$T/out" "local={}"
expect_in "$T/out" "p2 True nomem"
expect_in "$T/out" "p2b True True True"
ANSIBLE_CACHE_PLUGIN=redis run_tend 1 apply "$T/plays.yml"
expect_in "$T/err" "ANSIBLE_CACHE_PLUGIN: fact_caching 'redis' is not supported (tend: memory or jsonfile)"
ANSIBLE_CACHE_PLUGIN=jsonfile run_tend 1 apply "$T/plays.yml"
expect_in "$T/err" "ANSIBLE_CACHE_PLUGIN: fact_caching jsonfile needs fact_caching_connection"

# refused at validate, by name, with the position
printf -- '- hosts: all\n  gather_subset: [network, dns]\n  tasks: []\n' >"$T/r1.yml"
run_tend 1 validate "$T/r1.yml"
expect_in "$T/err" "r1.yml:2:18"
expect_in "$T/err" "gather_subset 'dns': tend does not gather these facts"
printf -- '- hosts: all\n  gather_subset: "min,bogus"\n  tasks: []\n' >"$T/r2.yml"
run_tend 1 validate "$T/r2.yml"
# (a play's string is one name, as in Ansible: not split at commas)
expect_in "$T/err" "bad gather_subset 'min,bogus'"
printf -- '- hosts: all\n  tasks:\n    - setup:\n        gather_subset: [virtual]\n' >"$T/r3.yml"
run_tend 1 validate "$T/r3.yml"
expect_in "$T/err" "r3.yml:4"
expect_in "$T/err" "gather_subset 'virtual'"
printf -- '- hosts: all\n  gather_timeout: 5\n  tasks: []\n' >"$T/r4.yml"
run_tend 1 validate "$T/r4.yml"
expect_in "$T/err" "gather_timeout"
# leaving out what tend does not gather is fine
printf -- '- hosts: all\n  gather_subset: ["!facter", "!ohai", "!virtual"]\n  tasks: []\n' >"$T/r5.yml"
run_tend 0 validate "$T/r5.yml" "$TOP/playbooks/facts.yml"

#!/bin/sh
# Text that came from a host is data, never template code (Ansible's
# AnsibleUnsafe): a command whose output holds '{{ foo }}' and '{% if %}',
# registered, copied through set_fact, filtered, looped over and written
# out, gives the same bytes as with ansible-playbook; over SSH too.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-sshd.sh"
command -v ansible-playbook >/dev/null || fail "ansible-playbook is not installed (make test-deps)"
pb=$TOP/tests/fixtures/unsafe/host-data.yml
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCALHOST_WARNING=0 \
	ANSIBLE_HOME="$T/ansible-home" ANSIBLE_LOCAL_TEMP="$T/ansible-tmp"
mkdir -p "$T/ansible" "$T/local" "$T/ssh"
ansible-playbook -i localhost, -c local "$pb" -e root="$T/ansible" >"$T/ansible.log" 2>&1 ||
	{ cat "$T/ansible.log"; fail "ansible-playbook failed"; }
run_tend 0 apply "$pb" -e root="$T/local"
expect_in "$T/out" "ok=8    changed=5"
sshd_start 1 "$T/sshd"
run_tend 0 apply "$pb" -i "$T/sshd/inventory" -e root="$T/ssh"
expect_in "$T/out" "ok=8    changed=5"
expect_content "$T/ansible/f" "FOO {{ foo }}
"
for d in local ssh; do
	snapshot "$T/ansible" >"$T/a.snap"
	snapshot "$T/$d" >"$T/t.snap"
	cmp -s "$T/a.snap" "$T/t.snap" || { diff -u "$T/a.snap" "$T/t.snap"; fail "tend ($d) and ansible-playbook wrote different files"; }
done
# a conditional made of host text is refused, not evaluated
cat >"$T/cond.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - shell: echo "lookup('pipe', 'touch $T_MARK')"
      register: r
    - debug: msg=never
      when: "{{ r.stdout }} == 1"
YML
T_MARK="$T/pwned" run_tend 3 apply "$T/cond.yml"
expect_in "$T/out" "conditional is marked as unsafe"
[ ! -e "$T/pwned" ] || fail "host output was evaluated as a template"
# a conditional with text around its {{ }} is rendered, then evaluated
# (Ansible: "{{ a }} == 1" with a=5 is false, not the true string "5 == 1")
cat >"$T/c.yml" <<'YML'
- hosts: localhost
  gather_facts: false
  vars: { a: 5 }
  tasks:
    - debug: msg=ran1
      when: "{{ a }} == 1"
    - debug: msg=ran2
      when: "a == {{ a }}"
YML
run_tend 0 apply "$T/c.yml"
expect_not_in "$T/out" "ran1"
expect_in "$T/out" "ran2"

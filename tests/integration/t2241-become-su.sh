#!/bin/sh
# become_method: su, as ansible-playbook 2.14 runs it: a root login
# becomes an unprivileged user (made for the test) with `su`, locally and
# over SSH (both the persistent shell and exec channels: a module's stdin
# goes through a channel); the command runs as that user with its HOME,
# gets its stdin, and its stderr is its own. The same playbook under
# ansible-playbook leaves the same files. A become password with su is
# refused by name and never shown; a method tend lacks is refused at
# validate time.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-sshd.sh"
[ "$(id -u)" = 0 ] || fail "needs root (useradd, su)"
command -v su >/dev/null || fail "su is not installed"
u=tsu$$
useradd -m "$u" || fail "useradd $u"
usermod -p '*' "$u"
drop_user() { userdel -r "$u" 2>/dev/null || userdel "$u"; }
on_exit drop_user
chmod 0755 "$T" # the user reaches its output directory
mkdir -m 1777 "$T/o"
cat >"$T/pb.yml" <<'YML'
- hosts: all
  gather_facts: false
  become: true
  become_method: su
  become_user: "{{ su_user }}"
  tasks:
    - command: id -un
      register: who
    - shell: 'echo "$HOME"; printf "%s\n" "-o%"; printf "%s\n" "\err" >&2; cat'
      args:
        stdin: "in -x % 'q'"
      register: sh
    - copy:
        dest: "{{ out }}/{{ inventory_hostname }}"
        content: "{{ who.stdout }} {{ sh.stdout_lines }} {{ sh.stderr }}\n"
    - name: root again, with su
      command: id -un
      become_user: root
      register: r
    - copy:
        dest: "{{ out }}/{{ inventory_hostname }}.root"
        content: "{{ r.stdout }}\n"
YML
exp="$u ['/home/$u', '-o%', \"in -x % 'q'\"] \\err
"
run_tend 0 apply "$T/pb.yml" -e su_user="$u" -e out="$T/o"
expect_content "$T/o/localhost" "$exp"
[ "$(stat -c %U "$T/o/localhost")" = "$u" ] || fail "owner of the file"
expect_content "$T/o/localhost.root" "root
"
sshd_start 1 "$T/sshd"
run_tend 0 apply -i "$T/sshd/inventory" "$T/pb.yml" -e su_user="$u" -e out="$T/o"
expect_content "$T/o/h1" "$exp"
[ "$(stat -c %U "$T/o/h1")" = "$u" ] || fail "owner of the file over SSH"
# ansible-playbook leaves the same
if command -v ansible-playbook >/dev/null; then
	mkdir -m 1777 "$T/a"
	ANSIBLE_HOME="$T/ah" ANSIBLE_LOCAL_TEMP="$T/at" \
	ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 ANSIBLE_NOCOLOR=1 \
		ansible-playbook -i "$T/sshd/inventory" "$T/pb.yml" \
		-e su_user="$u" -e out="$T/a" >"$T/a.log" 2>&1 ||
		{ cat "$T/a.log"; fail "ansible-playbook"; }
	cmp "$T/a/h1" "$T/o/h1" || fail "ansible-playbook wrote $(cat "$T/a/h1")"
	cmp "$T/a/h1.root" "$T/o/h1.root" || fail "ansible-playbook (root)"
fi
# a become password with su: refused by name, the secret never shown
run_tend 3 apply "$T/pb.yml" -e su_user="$u" -e out="$T/o" \
	-e ansible_become_password=s3cr3t-pw
expect_in "$T/out" "become_method 'su' with a become password (ansible_become_password) is not supported yet"
expect_not_in "$T/out" "s3cr3t-pw"
expect_not_in "$T/err" "s3cr3t-pw"
# a method tend lacks: refused before anything runs
sed 's/become_method: su/become_method: doas/' "$T/pb.yml" >"$T/doas.yml"
run_tend 1 validate "$T/doas.yml"
expect_in "$T/err" "doas.yml:4:18: only 'sudo' and 'su' are supported as become_method"

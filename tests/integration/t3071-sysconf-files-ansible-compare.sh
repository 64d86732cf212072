#!/bin/sh
# The file formats of cron (cron_file), sysctl (sysctl_file) and mount
# (fstab) against ansible-playbook on the local connection, every file
# under the test's own directory (no crontab, kernel value or mount of
# this machine is touched: crontab is a stub, sysctl is only read, mount
# states are fstab-only). Seeded files hold what Ansible treats in its own
# way: an unnamed line equal to the job (named in place), a file without
# a final newline (a change), sysctl duplicates, spaces and comments (the
# file rewritten), a 4-field fstab line, and hostile values (%, \, quotes,
# {{ through !unsafe, spaces and & in fstab fields). Statuses, files and
# modes must be Ansible's, and a second run changes nothing for either.
. "$(dirname "$0")/../lib/lib-test.sh"
command -v ansible-playbook >/dev/null || fail "ansible-playbook is not installed (make test-deps)"
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCALHOST_WARNING=0 \
	ANSIBLE_HOME="$T/ansible-home" ANSIBLE_LOCAL_TEMP="$T/ansible-tmp" \
	ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3
mkdir -p "$T/bin"
printf '#!/bin/sh\necho "crontab stub: $*" >&2\nexit 1\n' >"$T/bin/crontab"
chmod 755 "$T/bin/crontab"
PATH=$T/bin:$PATH
export PATH
cat >"$T/pb.yml" <<'YML'
- hosts: localhost
  connection: local
  gather_facts: no
  tasks:
    - cron: { name: seen, user: root, cron_file: "{{ root }}/cron1", minute: "1", job: /bin/seen }
    - cron:
        name: hostile
        user: root
        cron_file: "{{ root }}/cron1"
        weekday: "1-5"
        job: !unsafe printf '%s\n' "it's 50%" \\ {{ nope }} >/tmp/out
    - cron: { name: SHELL, env: yes, user: root, cron_file: "{{ root }}/cron1", job: /bin/bash }
    - cron: { name: HOME, env: yes, insertbefore: SHELL, user: root, cron_file: "{{ root }}/cron1", job: /root }
    - cron: { name: off, user: nobody, cron_file: "{{ root }}/cron1", special_time: hourly, disabled: yes, job: /bin/off }
    - cron: { name: keep, user: root, cron_file: "{{ root }}/cron2", job: /bin/keep }
    - cron: { name: new, user: root, cron_file: "{{ root }}/cron3", hour: "4", job: /bin/new }
    - cron: { name: new, cron_file: "{{ root }}/cron3", state: absent }
    - ansible.posix.sysctl: { name: net.a, value: "5", sysctl_file: "{{ root }}/sysctl.conf", reload: no }
    - ansible.posix.sysctl: { name: net.c, value: yes, sysctl_file: "{{ root }}/sysctl.conf", reload: no }
    - ansible.posix.sysctl: { name: net.b, state: absent, sysctl_file: "{{ root }}/sysctl.conf", reload: no }
    - ansible.posix.sysctl: { name: net.w, value: " 1  2 ", sysctl_file: "{{ root }}/sysctl2.conf", reload: no }
    - ansible.posix.mount: { path: "/mnt/a b&c", src: "//srv/share x", fstype: cifs, opts: "ro,user=a\\b", state: present, fstab: "{{ root }}/fstab" }
    - ansible.posix.mount: { path: /mnt/b, src: tmpfs, fstype: tmpfs, opts: size=1m, state: present, fstab: "{{ root }}/fstab" }
    - ansible.posix.mount: { path: /data, src: /dev/sdb1, fstype: ext4, opts: rw, state: present, boot: no, fstab: "{{ root }}/fstab" }
    - ansible.posix.mount: { path: /old, state: absent_from_fstab, fstab: "{{ root }}/fstab" }
    - ansible.posix.mount: { path: /q, src: LABEL=q, fstype: xfs, state: present, fstab: "{{ root }}/new/fstab" }
YML
for w in ansible tend; do
	mkdir -p "$T/$w"
	printf '#Ansible: seen\n1 * * * * root /bin/seen\n17 * * * * root /bin/keep' >"$T/$w/cron2"
	printf 'MAILTO=""\n1 * * * * root /bin/seen\n' >"$T/$w/cron1"
	printf '# comment\n  net.a = 1 \nnet.b=2\nnet.a=3\n;x\n\n' >"$T/$w/sysctl.conf"
	printf '# x\nUUID=1 / ext4 errors=remount-ro 0 1\ntmpfs /mnt/b tmpfs size=1m\n/old /old none bind 0 0\n/dev/sdb1 /data ext4 defaults 0 2\n' >"$T/$w/fstab"
	chmod 600 "$T/$w/cron1" "$T/$w/fstab"
	chmod 640 "$T/$w/sysctl.conf"
done
ansible-playbook -i localhost, "$T/pb.yml" -e root="$T/ansible" >"$T/ansible.log" 2>&1 ||
	{ cat "$T/ansible.log"; fail "ansible-playbook failed"; }
run_tend 0 apply "$T/pb.yml" -e root="$T/tend"
statuses() { grep -E '^(ok|changed|fatal|skipping):' "$1" | sed 's/ =>.*//'; }
statuses "$T/ansible.log" >"$T/a.st"
statuses "$T/out" >"$T/t.st"
cmp -s "$T/a.st" "$T/t.st" || { diff -u "$T/a.st" "$T/t.st"; fail "statuses differ from ansible-playbook's"; }
snapshot "$T/ansible" >"$T/a.snap"
snapshot "$T/tend" >"$T/t.snap"
cmp -s "$T/a.snap" "$T/t.snap" || { diff -u "$T/a.snap" "$T/t.snap"; fail "tend and ansible-playbook left different files"; }
expect_in "$T/tend/cron1" "#Ansible: seen
1 * * * * root /bin/seen"
expect_in "$T/tend/fstab" '//srv/share\040x /mnt/a\040b\046c cifs ro,user=a\134b 0 0'
[ ! -e "$T/tend/cron3" ] || fail "the cron file left without a job is still there"
# a second run of each changes only cron3 (made, then removed again)
ansible-playbook -i localhost, "$T/pb.yml" -e root="$T/ansible" >"$T/ansible2.log" 2>&1 ||
	{ cat "$T/ansible2.log"; fail "ansible-playbook failed (second run)"; }
expect_in "$T/ansible2.log" "changed=2 "
run_tend 0 apply "$T/pb.yml" -e root="$T/tend"
statuses "$T/ansible2.log" >"$T/a.st"
statuses "$T/out" >"$T/t.st"
cmp -s "$T/a.st" "$T/t.st" || { diff -u "$T/a.st" "$T/t.st"; fail "second run: statuses differ"; }
snapshot "$T/ansible" >"$T/a.snap"
snapshot "$T/tend" >"$T/t.snap"
cmp -s "$T/a.snap" "$T/t.snap" || { diff -u "$T/a.snap" "$T/t.snap"; fail "second run: files differ"; }

#!/bin/sh
# user, group and authorized_key on real Debian 12 machines, against
# ansible-playbook (tests/lib/lib-ct-compare.sh: one fresh container
# each, the same set-up): accounts and groups made, changed and removed,
# groups with append yes and no, a password hash, an ssh key, an
# authorized_keys with key_options (quotes) and exclusive, a comment
# with %, \ and quotes. The statuses of every task are Ansible's, and so
# is the end state (getent passwd/group/shadow lines, the keys files'
# contents, homes and modes). tend's plan says what will change, in
# words, and never the hash; neither do its JSON output nor its state
# DB. A re-apply is all ok for both. An unknown group fails the task with
# Ansible's message, and changes nothing.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-container.sh"
. "$TOP/tests/lib/lib-ct-compare.sh"
command -v ansible-playbook >/dev/null || fail "ansible-playbook is not installed (make test-deps)"
# one ssh exec per Ansible task instead of four: the test's time is Ansible's
export ANSIBLE_PIPELINING=1
F=$TOP/tests/fixtures/users
HASH='$6$saltsalt$ZuHlsyPS01DTe6bDRk78bI0spHe1Ep.wZploRWA9GvWyfxV.qwTTdchjx/TxuucQLSO2yq9uCjPYbln3zc.NF.'
ct_pair u
ct_pair_exec u sh -c '
	groupadd -g 1601 oldgrp && groupadd stale && groupadd -g 1612 docker &&
	useradd -m -u 1500 -s /bin/sh -G audio deploy &&
	useradd -m gone && useradd -m -G sudo,audio bob &&
	useradd -m -c "E" erin && echo erin-file >/home/erin/f && useradd frank &&
	usermod -p "$0" frank && useradd -m -G audio,sudo -e 2031-01-01 gina &&
	useradd -M hank && useradd -m ivan &&
	mkdir -m 0755 /home/bob/.ssh &&
	printf "%s\n" "# kept by nobody" \
		"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA7sP53k0J7acPB8sqT65IhNeSyHTEaXbFsImGPE6Two old" \
		"no-pty ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBmCqwkscCsNxJ1ppdbFqooX8aRVEmpu5lH1J9El1+FG k2 two words" \
		>/home/bob/.ssh/authorized_keys && chmod 0644 /home/bob/.ssh/authorized_keys &&
	chown -R bob:bob /home/bob/.ssh' "$HASH" || fail "cannot set the machines up"

# the plan first: what will change, in words; never the hash
run_tend 2 plan --detailed-exitcode -i "$CT_DIR/u.tend.inv" "$F/site.yml"
for w in "set gid of group docker 1612 -> 1600" "create group ops (system)" \
	"set gid of group oldgrp 1601 -> 1650" "remove group stale" \
	"set shell /bin/sh -> /bin/bash" "add deploy to groups sudo,docker" \
	"set password of deploy (hidden)" "set expires never -> 2030-01-01" \
	"create user dave (uid 1800, shell /bin/bash)" \
	"carol new" "Group ops does not exist" "remove bob from groups sudo,audio" \
	"add bob to groups docker" "create user svc (shell /usr/sbin/nologin, system)" \
	"remove user gone and its home /home/gone" "remove key ssh-ed25519" \
	"update key ssh-ed25519" "set uid 1503 -> 1810" "move /home/erin to /srv/erin" \
	"set comment E -> Erin" "lock password of frank" "remove gina from groups sudo,audio" "set group erin -> users" \
	"set expires 2031-01-01 -> never" "create home /home/hank" "remove user ivan"; do
	expect_in "$T/out" "$w"
done
expect_not_in "$T/out" 'ZuHlsyPS01DTe6bDRk78bI0'
run_tend 2 plan --detailed-exitcode --format json --out "$T/plan.json" \
	-i "$CT_DIR/u.tend.inv" "$F/site.yml"
expect_not_in "$T/out" 'ZuHlsyPS01DTe6bDRk78bI0'
expect_not_in "$T/plan.json" 'ZuHlsyPS01DTe6bDRk78bI0'

# tend applies the saved plan; ansible-playbook the playbook (as
# ct_pair_run, with the plan file for tend): the same statuses
CT_TEND_PLAN=$T/plan.json ct_pair_run u apply "$F/site.yml"
expect_not_in "$T/u.apply.tend.json" 'ZuHlsyPS01DTe6bDRk78bI0'
expect_in "$T/u.apply.tend.json" 'NOT_LOGGING_PASSWORD'
if grep -raF 'ZuHlsyPS01DTe6bDRk78bI0' "$XDG_STATE_HOME"; then fail "the hash is in the state DB"; fi
STATE='getent passwd deploy carol bob svc gone dave erin frank gina hank ivan; getent group docker ops oldgrp stale sudo audio
	getent shadow deploy carol bob frank gina | cut -d: -f1,2,4-
	cd / && stat -c "%n %a %U %G" home/deploy home/bob srv/carol srv/carol/home \
		home/deploy/.ssh home/deploy/.ssh/authorized_keys home/bob/.ssh \
		home/bob/.ssh/authorized_keys srv/carol/home/.ssh \
		srv/carol/home/.ssh/id_ed25519 srv/carol/home/.ssh/id_ed25519.pub \
		srv/erin srv/erin/f home/hank home/hank/.bashrc 2>&1
	ls -A home srv/carol/home; cat home/deploy/.ssh/authorized_keys home/bob/.ssh/authorized_keys
	cut -d" " -f1,3- srv/carol/home/.ssh/id_ed25519.pub'
ct_pair_state u "$STATE"
expect_in "$T/u.state.tend" "deploy:x:1500:1500:50% \\ \"q\" 'x':/home/deploy:/bin/bash"
expect_in "$T/u.state.tend" "deploy:$HASH:0:99999:7::21915:"
expect_in "$T/u.state.tend" 'from="10.0.0.1",command="echo \"hi there\"" ssh-ed25519'
expect_in "$T/u.state.tend" "ssh-ed25519 carol key"

# a converged plan costs one round trip per task
run_tend 0 plan --detailed-exitcode --stats -i "$CT_DIR/u.tend.inv" "$F/site.yml"
grep '^stats:' "$T/err"
expect_in "$T/err" "(1.00 per task per host)"

# again, then bad input: site.yml is all ok for both; an unknown group
# fails its task with Ansible's words, an unknown user too; nothing changes
CT_RC=3 ct_pair_run u again "$F/again.yml"
[ "$(json_get "$T/u.again.ansible.json" "d['stats']['u']['changed']")" = 0 ] ||
	fail "ansible-playbook changed something on a re-apply"
[ "$(json_get "$T/u.again.tend.json" "d['hosts'][0]['stats']['changed']")" = 0 ] ||
	fail "tend changed something on a re-apply"
expect_in "$T/u.again.tend.json" "Group nosuchgroup does not exist"
expect_in "$T/u.again.tend.json" "Failed to lookup user nobody2: \\\"getpwnam(): name not found: 'nobody2'\\\""
cp "$T/u.state.tend" "$T/before"
ct_pair_state u "$STATE"
cmp -s "$T/before" "$T/u.state.tend" || fail "a failed task changed the machine"

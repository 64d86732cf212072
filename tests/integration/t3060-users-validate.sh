#!/bin/sh
# user, group and authorized_key refuse at load (`tend validate`, no host
# touched), at the place of the argument: arguments of other systems by
# name, contradictions (state=absent with what only an account to keep
# takes, remove with state=present...), a non-numeric expires, a key from
# a URL; an argument that only qualifies a missing one (append without
# groups, update_password without password...) is accepted, as Ansible
# runs it. A templated value is left for the run.
# `tend doc` shows each module's arguments, returns and example, and the
# collection name ansible.posix.authorized_key is the module.
. "$(dirname "$0")/../lib/lib-test.sh"
cat >"$T/bad.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - user: {name: a, state: absent, shell: /bin/sh}
    - user: {name: a, remove: true}
    - user: {name: a, append: true}
    - user: {name: a, ssh_key_type: ed25519}
    - user: {name: a, non_unique: true}
    - user: {name: a, move_home: true}
    - user: {name: a, force: true}
    - user: {name: a, update_password: on_create}
    - user: {name: a, expires: soon}
    - user: {name: a, create_home: false, skeleton: /etc/skel}
    - user: {name: a, hidden: true}
    - user: {name: a, login_class: x}
    - group: {name: g, state: absent, gid: 10}
    - group: {name: g, non_unique: true}
    - group: {name: g, local: true}
    - authorized_key: {user: a, key: "https://example.com/a.keys"}
    - ansible.posix.authorized_key: {user: a, key: "ssh-rsa AAAA", state: absent, exclusive: true}
    - authorized_key: {user: a, key: x, unique: true}
YML
run_tend 1 validate "$T/bad.yml"
for w in \
	"bad.yml:4:45: 'shell' is for an account to keep: it contradicts state=absent" \
	"bad.yml:5:31: 'remove' is for state=absent: it contradicts state=present" \
	"bad.yml:12:32: 'expires' must be a number of seconds since the epoch" \
	"bad.yml:13:53: 'skeleton' is for a new home: it contradicts create_home=no" \
	"bad.yml:14:23: unsupported parameter 'hidden'" \
	"bad.yml:15:23: unsupported parameter 'login_class'" \
	"bad.yml:16:44: 'gid' is for a group to keep: it contradicts state=absent" \
	"bad.yml:17:36: non_unique is True but all of the following are missing: gid" \
	"bad.yml:18:24: unsupported parameter 'local'" \
	"bad.yml:19:38: keys from a URL are not supported" \
	"bad.yml:20:94: 'exclusive' keeps only the keys given: it contradicts state=absent" \
	"bad.yml:21:41: unsupported parameter 'unique'"; do
	expect_in "$T/err" "$w"
done
# an argument that only qualifies another does nothing without it, as in
# Ansible, which runs such a task (lines 6 to 11): accepted
expect_not_in "$T/err" "bad.yml:6:"
expect_not_in "$T/err" "bad.yml:7:"
expect_not_in "$T/err" "bad.yml:8:"
expect_not_in "$T/err" "bad.yml:9:"
expect_not_in "$T/err" "bad.yml:10:"
expect_not_in "$T/err" "bad.yml:11:"
# templated values are left for the run
cat >"$T/ok.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - user: {name: a, state: "{{ st }}", shell: /bin/sh, expires: "{{ e }}"}
    - user: {name: a, uid: 1500, non_unique: true, groups: [x], append: true, password: "$6$x", update_password: on_create}
    - group: {name: g, state: "{{ st }}", gid: 10}
    - authorized_key: {user: a, key: "{{ k }}", exclusive: true}
YML
run_tend 0 validate "$T/ok.yml"

run_tend 0 doc user
for w in "password" "a secret: never shown" "update_password" "generate_ssh_key" \
	"NOT_LOGGING_PASSWORD" "ssh_fingerprint" "name: deploy"; do
	expect_in "$T/out" "$w"
done
run_tend 0 doc group
expect_in "$T/out" "gid"
run_tend 0 doc authorized_key
for w in "key_options" "exclusive" "manage_dir" "keyfile" "exclusive: true"; do
	expect_in "$T/out" "$w"
done
run_tend 0 doc ansible.posix.authorized_key
expect_in "$T/out" "keyfile"
run_tend 0 validate "$TOP/playbooks/accounts.yml"

#!/bin/sh
# git over ssh: host keys are checked by default (an unknown server fails
# the clone, nothing is written), accept_newhostkey takes a new server's
# key (and a changed key then still fails), accept_hostkey takes any,
# key_file logs in with that key; giving both accept options is refused
# at validate. The same playbook under ansible-playbook gives the same
# statuses. The git server is a real sshd on 127.0.0.1.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-sshd.sh"
sshd_start 1 "$T/sshd" >/dev/null
port=$(sshd_port "$T/sshd" h1)
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com \
	GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
git init -q -b main "$T/src"
echo one >"$T/src/f"
git -C "$T/src" add f && git -C "$T/src" commit -qm one
repo="ssh://$(id -un)@127.0.0.1:$port$T/src"
# ssh reads ~/.ssh from the passwd entry, not $HOME: both tools run in a
# mount namespace where an empty directory is bind-mounted over ~/.ssh
# (only there: the checkout itself may be under the home directory). A
# ~/.ssh made for this is removed afterwards.
pwdir=$(getent passwd "$(id -un)" | cut -d: -f6)
command -v unshare >/dev/null || fail "unshare (util-linux) is missing"
mkdir -p "$T/home/.ssh"
if [ ! -d "$pwdir/.ssh" ]; then
	mkdir -m 700 "$pwdir/.ssh" || fail "cannot make $pwdir/.ssh"
	rm_dotssh() { rmdir "$pwdir/.ssh" 2>/dev/null || true; }
	on_exit rm_dotssh
fi
cat >"$T/in-home" <<SH
#!/bin/sh
exec unshare -m --propagation private sh -c 'mount --bind "\$0" "\$1" && shift && exec "\$@"' "$T/home/.ssh" "$pwdir/.ssh" "\$@"
SH
chmod +x "$T/in-home"
"$T/in-home" true || fail "cannot bind-mount over ~/.ssh"
real_tend=$TEND
TEND=$T/tend-in-home
printf '#!/bin/sh
exec "%s" "%s" "$@"
' "$T/in-home" "$real_tend" >"$TEND"
chmod +x "$TEND"
cat >"$T/pb.yml" <<'YML'
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: clone
      git:
        repo: "{{ repo }}"
        dest: "{{ dest }}"
        key_file: "{{ key }}"
        accept_newhostkey: "{{ new | default(omit) }}"
        accept_hostkey: "{{ any | default(omit) }}"
YML
args() { echo -e repo="$repo" -e key="$T/sshd/client_key"; }
run_tend 3 apply "$T/pb.yml" $(args) -e dest="$T/co1"
expect_in "$T/out" "Host key verification failed"
[ ! -e "$T/co1" ] || fail "a clone from an unknown host was written"
run_tend 0 apply "$T/pb.yml" $(args) -e dest="$T/co1" -e new=true
[ "$(cat "$T/co1/f")" = one ] || fail "accept_newhostkey did not clone"
ssh-keygen -F "[127.0.0.1]:$port" -f "$T/home/.ssh/known_hosts" >/dev/null ||
	fail "the new key was not recorded"
# the server's key changes: accept_newhostkey refuses it, accept_hostkey takes it
ssh-keygen -q -t ed25519 -N '' -f "$T/other"
echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$T/other.pub")" >"$T/home/.ssh/known_hosts"
run_tend 3 apply "$T/pb.yml" $(args) -e dest="$T/co2" -e new=true
[ ! -e "$T/co2" ] || fail "a clone from a host with a changed key was written"
run_tend 0 apply "$T/pb.yml" $(args) -e dest="$T/co2" -e any=true
[ "$(cat "$T/co2/f")" = one ] || fail "accept_hostkey did not clone"

# both: refused at validate, as Ansible's mutually_exclusive
cat >"$T/both.yml" <<'YML'
- hosts: localhost
  tasks:
    - git: {repo: x, dest: /tmp/x, accept_hostkey: true, accept_newhostkey: true}
YML
run_tend 1 validate "$T/both.yml"
expect_in "$T/err" "both.yml:3:"
expect_in "$T/err" "mutually exclusive: accept_hostkey|accept_newhostkey"

# ansible-playbook: the same statuses (fresh HOME each)
command -v ansible-playbook >/dev/null || fail "ansible-playbook is not installed"
rm -rf "$T/home" && mkdir -p "$T/home/.ssh"
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCALHOST_WARNING=0 \
	ANSIBLE_HOME="$T/ansible-home" ANSIBLE_LOCAL_TEMP="$T/ansible-tmp" \
	ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3
set +e
"$T/in-home" ansible-playbook -i localhost, "$T/pb.yml" $(args) -e dest="$T/a1" >"$T/a.log" 2>&1; a1=$?
"$T/in-home" ansible-playbook -i localhost, "$T/pb.yml" $(args) -e dest="$T/a1" -e new=true >>"$T/a.log" 2>&1; a2=$?
set -e
[ "$a1:$a2" = "2:0" ] || { cat "$T/a.log"; fail "ansible-playbook exited $a1 and $a2, expected 2 and 0"; }
[ ! -e "$T/a1" ] || [ "$(cat "$T/a1/f")" = one ] || fail "ansible's clone differs"

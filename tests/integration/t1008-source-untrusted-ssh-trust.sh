#!/bin/sh
# Which SSH hosts the controller trusts, and with which key, is the
# operator's: an untrusted source (a pull request's branch) may not set
# host_key_checking, tend_known_hosts or ansible_ssh_private_key_file in
# its inventory or vars, nor their ssh options (ansible_ssh_common_args). Else a plan of it could send the controller's
# key and the --secrets its tasks render to any host the committer
# names (host key checking off), or make the controller record that
# host's key in the operator's known_hosts (accept-new). tend.yml's ssh:
# still sets them, and a trusted source keeps its inventory's.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-sshd.sh"
export XDG_CACHE_HOME="$T/cache" XDG_CONFIG_HOME="$T/config"
sshd_start 1
PORT=$(sshd_port "$T/sshd" h1)
# the operator's tend.yml: its key, its known_hosts (without h1: the
# committer's host)
: >"$T/operator_known_hosts"
mkdir -p "$T/config/tend"
printf 'ssh:\n  key_file: %s\n  known_hosts: %s\n  user: %s\n' \
	"$T/sshd/client_key" "$T/operator_known_hosts" "$(id -un)" \
	>"$T/config/tend/tend.yml"
printf 'db_password: Zx8Qw-secret\n' >"$T/secrets.yml"

git init -q -b main "$T/src"
cd "$T/src"
mkdir group_vars
printf 'evil ansible_host=127.0.0.1 ansible_port=%s host_key_checking=off\n' \
	"$PORT" >off.ini
printf 'evil ansible_host=127.0.0.1 ansible_port=%s host_key_checking=accept-new\n' \
	"$PORT" >new.ini
printf 'evil ansible_host=127.0.0.1 ansible_port=%s tend_known_hosts=%s\n' \
	"$PORT" "$T/sshd/known_hosts" >kh.ini
printf "evil ansible_host=127.0.0.1 ansible_port=%s ansible_ssh_common_args='-o UserKnownHostsFile=%s'\n" \
	"$PORT" "$T/sshd/known_hosts" >ck.ini
printf 'evil ansible_host=127.0.0.1 ansible_port=%s\n' "$PORT" >plain.ini
cat >site.yml <<'EOF'
- hosts: evil
  gather_facts: false
  tasks:
    - name: send the secret
      stat: { path: "/nonexistent/{{ db_password }}" }
EOF
git add .
git -c user.name=M -c user.email=m@example.org commit -q -m "a pull request"
cd "$T"

for inv in off new kh ck; do
	run_tend 3 plan --repo "$T/src" --ref main -i $inv.ini site.yml \
		--secrets "$T/secrets.yml"
	expect_in "$T/out" "from an untrusted source"
	expect_not_in "$T/out" "ok      send the secret"
	[ ! -s "$T/operator_known_hosts" ] || fail "known_hosts written ($inv)"
done
# the option is refused as the var it stands for
expect_in "$T/out" "refusing 'tend_known_hosts' from an untrusted source"
# the key file too (a path of the controller)
printf 'ansible_ssh_private_key_file: %s\n' "$T/sshd/client_key" \
	>"$T/src/group_vars/all.yml"
git -C "$T/src" add . && git -C "$T/src" -c user.name=M \
	-c user.email=m@example.org commit -q -m key
run_tend 3 plan --repo "$T/src" --ref main -i plain.ini site.yml \
	--secrets "$T/secrets.yml"
expect_in "$T/out" "refusing 'ansible_ssh_private_key_file' from an untrusted source"
git -C "$T/src" rm -q group_vars/all.yml && git -C "$T/src" -c user.name=M \
	-c user.email=m@example.org commit -q -m nokey

# the operator's own settings still reach the connection: unknown host
run_tend 3 plan --repo "$T/src" --ref main -i plain.ini site.yml \
	--secrets "$T/secrets.yml"
expect_not_in "$T/out" "untrusted source"
expect_in "$T/out" "unreachable"
# the operator trusts h1: the plan runs there
cp "$T/sshd/known_hosts" "$T/operator_known_hosts"
run_tend 0 plan --repo "$T/src" --ref main -i plain.ini site.yml \
	--secrets "$T/secrets.yml"
expect_in "$T/out" "ok      send the secret"
# a trusted source keeps its inventory's settings
: >"$T/operator_known_hosts"
run_tend 0 plan --repo "$T/src" --ref main -i kh.ini site.yml --secrets "$T/secrets.yml" \
	--trust-source
expect_in "$T/out" "ok      send the secret"

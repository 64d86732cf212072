#!/bin/sh
# ssh_config (-F FILE, --ssh-config, -F in ansible_ssh_common_args): a real
# sshd host reached only by an alias, whose HostName, Port, User,
# IdentityFile and UserKnownHostsFile come from the file; Host patterns
# with negation, first value wins, Include; the host's vars win over the
# file; Match and keywords tend cannot honour are refused by name with
# file:line where they apply, and not where they do not.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-sshd.sh"
sshd_start 1 "$T/sshd"
port=$(sshd_port "$T/sshd" h1)
me=$(id -un)
cat >"$T/p.yml" <<YML
- hosts: all
  gather_facts: false
  tasks:
    - command: id -un
      register: who
    - copy: {content: "{{ who.stdout }}\n", dest: "$T/out-{{ inventory_hostname }}"}
YML
printf 'webalias\n' >"$T/inv"
mkdir "$T/inc"
cat >"$T/cfg" <<CFG
# not for webalias: a ProxyCommand here stops nothing
Host other
    ProxyCommand nc %h %p
Host web* !webx
    HostName 127.0.0.1
    Port=$port
    User "$me"
    IdentityFile $T/no-such-key
    identityfile $T/sshd/client_key
    UserKnownHostsFile $T/sshd/known_hosts
    StrictHostKeyChecking yes
    ForwardAgent yes
Host *
    Port 1
    ServerAliveInterval 5
CFG
run_tend 0 apply -i "$T/inv" "$T/p.yml" -F "$T/cfg"
expect_content "$T/out-webalias" "$me
"
rm "$T/out-webalias"
# without the file the alias leads nowhere
run_tend 3 apply -i "$T/inv" "$T/p.yml" --ssh-config none
expect_in "$T/out" "webalias"
# negated: webx gets no HostName (only Host *'s Port 1)
printf 'webx\n' >"$T/invx"
run_tend 3 apply -i "$T/invx" "$T/p.yml" --ssh-config "$T/cfg"
expect_in "$T/out" "cannot resolve 'webx'"
# the host's own vars win over the file's
printf 'webalias ansible_port=1\n' >"$T/inv1"
run_tend 3 apply -i "$T/inv1" "$T/p.yml" -F "$T/cfg"
expect_in "$T/out" "port 1"
# -F in the inventory's ansible_ssh_common_args; Include of a glob
sed -n '/^Host web/,/^Host \*/p' "$T/cfg" | sed '$d' >"$T/inc/web.conf"
printf 'Include %s/inc/*.conf\n' "$T" >"$T/cfg2"
printf "webalias ansible_ssh_common_args='-F %s'\n" "$T/cfg2" >"$T/inv2"
run_tend 0 apply -i "$T/inv2" "$T/p.yml"
expect_content "$T/out-webalias" "$me
"
# Match is refused with file:line
printf 'Host *\n  User x\nMatch host web*\n  Port 2\n' >"$T/bad"
run_tend 3 apply -i "$T/inv" "$T/p.yml" -F "$T/bad"
expect_in "$T/out" "$T/bad:3: 'Match' is not supported"
# a keyword tend cannot honour, where it applies: refused by name
printf 'Host webalias\n  ProxyCommand nc %%h %%p\n' >"$T/pc"
run_tend 3 apply -i "$T/inv" "$T/p.yml" -F "$T/pc"
expect_in "$T/out" "$T/pc:2: 'ProxyCommand' applies to 'webalias'"
# a bad value: file:line
printf 'Host *\n  Port eleven\n' >"$T/bp"
run_tend 3 apply -i "$T/inv" "$T/p.yml" -F "$T/bp"
expect_in "$T/out" "$T/bp:2: Port 'eleven'"
# validate -F checks the file too
run_tend 1 validate -F "$T/bad" "$T/p.yml"
expect_in "$T/err" "$T/bad:3: 'Match' is not supported"
run_tend 0 validate -F "$T/cfg" "$T/p.yml"

#!/bin/sh
# ansible.cfg and ANSIBLE_* (docs/ansible-cfg.md), on this machine: the
# file is found as Ansible finds it (ANSIBLE_CONFIG, a directory's
# ansible.cfg, ./ansible.cfg, ~/.ansible.cfg; a world-writable current
# directory's is ignored with a warning) and the run names it; its
# inventory and roles_path give the same run as ansible-playbook with the
# same file; the variables beat the file and the command line beats
# them; vault_password_file and force_handlers are honoured; keys that
# would change what runs and tend lacks are refused with file:line.
. "$(dirname "$0")/../lib/lib-test.sh"
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCALHOST_WARNING=0 \
	ANSIBLE_HOME="$T/ansible-home" ANSIBLE_LOCAL_TEMP="$T/ansible-tmp" \
	ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3
export HOME="$T/home"
mkdir -p "$HOME"
unset ANSIBLE_CONFIG ANSIBLE_INVENTORY ANSIBLE_ROLES_PATH 2>/dev/null || true

P=$T/proj
mkdir -p "$P/inv" "$P/roles/local_role/tasks" "$P/shared/cfg_role/tasks" \
	"$P/other/cfg_role/tasks" "$P/sub"
cat >"$P/ansible.cfg" <<'CFG'
# the project's settings
[defaults]
inventory = inv/hosts   ; relative to this file
roles_path = shared:
    /nonexistent/roles
nocows = 1
stdout_callback = default
retry_files_enabled = False

[privilege_escalation]
become = false
CFG
cat >"$P/inv/hosts" <<'INV'
[web]
web1 ansible_connection=local color=red
web2 ansible_connection=local color=blue
INV
cat >"$P/inv/other" <<'INV'
[db]
db1 ansible_connection=local color=green
INV
printf -- '- copy: { content: "local {{ color }}\\n", dest: "{{ base }}/{{ inventory_hostname }}.local" }\n' \
	>"$P/roles/local_role/tasks/main.yml"
printf -- '- copy: { content: "shared {{ color }}\\n", dest: "{{ base }}/{{ inventory_hostname }}.cfg" }\n' \
	>"$P/shared/cfg_role/tasks/main.yml"
printf -- '- copy: { content: "other {{ color }}\\n", dest: "{{ base }}/{{ inventory_hostname }}.cfg" }\n' \
	>"$P/other/cfg_role/tasks/main.yml"
cat >"$P/site.yml" <<'YML'
- hosts: all
  gather_facts: false
  roles: [local_role, cfg_role]
YML

# the inventory and the roles path from ./ansible.cfg: the same as ansible-playbook
cd "$P"
mkdir "$T/a" "$T/t"
ansible-playbook site.yml -e base="$T/a" >"$T/ansible.log" 2>&1 ||
	{ cat "$T/ansible.log"; fail "ansible-playbook with ./ansible.cfg"; }
run_tend 0 apply site.yml -e base="$T/t"
expect_in "$T/err" "tend: using $P/ansible.cfg as config file"
(cd "$T/a" && for f in *; do printf '%s: %s' "$f" "$(cat "$f")"; echo; done) >"$T/a.list"
(cd "$T/t" && for f in *; do printf '%s: %s' "$f" "$(cat "$f")"; echo; done) >"$T/t.list"
cmp -s "$T/a.list" "$T/t.list" || { diff -u "$T/a.list" "$T/t.list"; fail "ansible.cfg run differs from ansible-playbook's"; }
expect_in "$T/t.list" "web2.cfg: shared blue"
# re-apply: all ok; a plan shows nothing to change
run_tend 0 apply site.yml -e base="$T/t" --format json
[ "$(json_get "$T/out" "d['summary']['changed']")" = 0 ] || fail "re-apply changed"
# a saved plan is bound to the ansible.cfg it was made with
run_tend 0 plan site.yml -e base="$T/t" --out "$T/p.json"
run_tend 0 apply "$T/p.json"
run_tend 0 plan site.yml -e base="$T/t" --out "$T/p.json"
printf '# changed\n' >>ansible.cfg
run_tend 4 apply "$T/p.json"
expect_in "$T/err" "ansible.cfg"

# ANSIBLE_INVENTORY and ANSIBLE_ROLES_PATH over the file; -i over both
rm -rf "$T/t" "$T/a" && mkdir "$T/t" "$T/a"
ANSIBLE_INVENTORY=inv/other ANSIBLE_ROLES_PATH="$P/other" run_tend 0 apply site.yml -e base="$T/t"
ANSIBLE_INVENTORY=inv/other ANSIBLE_ROLES_PATH="$P/other" ansible-playbook site.yml -e base="$T/a" >"$T/ansible.log" 2>&1 ||
	{ cat "$T/ansible.log"; fail "ansible-playbook with the variables"; }
[ "$(ls "$T/t")" = "$(ls "$T/a")" ] || fail "variables: $(ls "$T/t") vs $(ls "$T/a")"
expect_content "$T/t/db1.cfg" "other green
"
rm -rf "$T/t" && mkdir "$T/t"
ANSIBLE_INVENTORY=inv/other run_tend 0 apply site.yml -i inv/hosts -e base="$T/t"
[ "$(ls "$T/t" | tr '\n' ' ')" = "web1.cfg web1.local web2.cfg web2.local " ] || fail "-i over ANSIBLE_INVENTORY: $(ls "$T/t")"

# ANSIBLE_CONFIG: a file, a directory; paths relative to the file's directory
mkdir -p "$T/elsewhere" "$T/cfgdir"
cp "$P/ansible.cfg" "$T/cfgdir/ansible.cfg"
sed -i "s|^inventory = .*|inventory = ../proj/inv/other|" "$T/cfgdir/ansible.cfg"
cd "$T/elsewhere"
rm -rf "$T/t" && mkdir "$T/t"
ANSIBLE_CONFIG="$T/cfgdir" ANSIBLE_ROLES_PATH="$P/shared" run_tend 0 apply "$P/site.yml" -e base="$T/t"
expect_in "$T/err" "tend: using $T/cfgdir/ansible.cfg as config file"
expect_content "$T/t/db1.cfg" "shared green
"
export ANSIBLE_ROLES_PATH="$P/shared" # from here on
ANSIBLE_CONFIG="$T/cfgdir/ansible.cfg" run_tend 0 validate "$P/site.yml"
expect_in "$T/err" "using $T/cfgdir/ansible.cfg"
# ~/.ansible.cfg when no other
printf '[defaults]\nforks = 2\n' >"$HOME/.ansible.cfg"
run_tend 0 validate "$P/site.yml"
expect_in "$T/err" "using $HOME/.ansible.cfg as config file"
# no file: nothing said
rm "$HOME/.ansible.cfg"
run_tend 0 validate "$P/site.yml"
expect_not_in "$T/err" "config file"

# a world-writable current directory's ansible.cfg is ignored, with a warning
mkdir "$T/ww" && chmod 777 "$T/ww"
printf '[defaults]\nstrategy_plugins = /x\n' >"$T/ww/ansible.cfg"
cd "$T/ww"
run_tend 0 validate "$P/site.yml"
expect_in "$T/err" "is world-writable: ignoring its ansible.cfg"
expect_not_in "$T/err" "strategy_plugins"
cd "$T"

# vault_password_file and force_handlers from the file
printf 's3cret\n' >"$T/cfgdir/pw"
printf 'v: vaulted-value\n' >"$T/vars.yml"
"$TEND" vault encrypt "$T/vars.yml" --vault-password-file "$T/cfgdir/pw" >/dev/null
cat >"$T/vault.yml" <<YML
- hosts: localhost
  gather_facts: false
  vars_files: [$T/vars.yml]
  tasks:
    - copy: { content: "{{ v }}\n", dest: "$T/vaulted" }
YML
printf '[defaults]\nvault_password_file = pw\n' >"$T/cfgdir/ansible.cfg"
ANSIBLE_CONFIG="$T/cfgdir/ansible.cfg" run_tend 0 apply "$T/vault.yml"
expect_content "$T/vaulted" "vaulted-value
"
run_tend 1 apply "$T/vault.yml"   # without it: no password
cat >"$T/fh.yml" <<YML
- hosts: localhost
  gather_facts: false
  tasks:
    - command: "true"
      changed_when: true
      notify: h
    - fail: { msg: boom }
  handlers:
    - name: h
      copy: { content: "ran\n", dest: "$T/handler" }
YML
run_tend 3 apply "$T/fh.yml"
[ ! -e "$T/handler" ] || fail "handler ran without force_handlers"
printf '[defaults]\nforce_handlers = True\n' >"$T/cfgdir/ansible.cfg"
ANSIBLE_CONFIG="$T/cfgdir/ansible.cfg" run_tend 3 apply "$T/fh.yml"
expect_content "$T/handler" "ran
"

# vault_identity_list: LABEL@FILE, as --vault-id
printf 'dev-pass\n' >"$T/cfgdir/dev.pw"
printf 'v: dev-value\n' >"$T/vars.yml"
"$TEND" vault encrypt "$T/vars.yml" --vault-id "dev@$T/cfgdir/dev.pw" >/dev/null
printf '[defaults]\nvault_identity_list = dev@%s\n' "$T/cfgdir/dev.pw" >"$T/cfgdir/ansible.cfg"
ANSIBLE_CONFIG="$T/cfgdir/ansible.cfg" run_tend 0 apply "$T/vault.yml"
expect_content "$T/vaulted" "dev-value
"

# forks: with 1, the hosts run one after another (each sees only the
# markers of the hosts before it); the file's, ANSIBLE_FORKS over it, -f over that
cat >"$T/forks.yml" <<YML
- hosts: all
  gather_facts: false
  tasks:
    - shell: touch $T/fk/in-{{ inventory_hostname }}; sleep 0.2; ls $T/fk | grep -c '^in-' >$T/fk/seen-{{ inventory_hostname }}
YML
printf '[a]\nf1 ansible_connection=local\nf2 ansible_connection=local\nf3 ansible_connection=local\n' >"$T/fhosts"
serial() {
	[ "$(cat "$T/fk/seen-f1" "$T/fk/seen-f2" "$T/fk/seen-f3" | sort | tr '\n' ' ')" = "1 2 3 " ] ||
		fail "$1: the hosts did not run one at a time: $(cat "$T"/fk/seen-*)"
}
rm -rf "$T/fk" && mkdir "$T/fk"
printf '[defaults]\nforks = 1\n' >"$T/cfgdir/ansible.cfg"
ANSIBLE_CONFIG="$T/cfgdir/ansible.cfg" run_tend 0 apply "$T/forks.yml" -i "$T/fhosts"
serial "forks = 1"
rm -rf "$T/fk" && mkdir "$T/fk"
printf '[defaults]\nforks = 5\n' >"$T/cfgdir/ansible.cfg"
ANSIBLE_FORKS=1 ANSIBLE_CONFIG="$T/cfgdir/ansible.cfg" run_tend 0 apply "$T/forks.yml" -i "$T/fhosts"
serial "ANSIBLE_FORKS=1"
rm -rf "$T/fk" && mkdir "$T/fk"
ANSIBLE_FORKS=5 ANSIBLE_CONFIG="$T/cfgdir/ansible.cfg" run_tend 0 apply "$T/forks.yml" -i "$T/fhosts" -f 1
serial "-f 1"

# refusals, with file:line, at validate; nothing runs
cat >"$T/cfgdir/ansible.cfg" <<'CFG'
[defaults]
strategy_plugins = ./plugins
host_key_checking = False
gathering = eager
Forks = 5
not a setting

[privilege_escalation]
become_method = doas
[ssh_connection]
ssh_args = -o ProxyJump=bastion
[defaults]
CFG
ANSIBLE_CONFIG="$T/cfgdir/ansible.cfg" run_tend 1 validate "$P/site.yml"
C=$T/cfgdir/ansible.cfg
expect_in "$T/err" "$C:2:1: [defaults] strategy_plugins is not supported yet (plugins)"
expect_in "$T/err" "$C:3:1: [defaults] host_key_checking = False is not supported: tend always checks host keys"
expect_in "$T/err" "$C:4: gathering 'eager' is not one of implicit, explicit, smart"
expect_in "$T/err" "$C:6:1: expected 'key = value', got 'not a setting'"
expect_in "$T/err" "$C:11:1: [ssh_connection] ssh_args = -o ProxyJump=bastion is not supported: only -o ControlMaster"
expect_in "$T/err" "$C:12:1: section [defaults] given twice"
expect_in "$T/err" "$C:9: become_method 'doas' is not supported (only sudo and su)"
ANSIBLE_CONFIG="$T/cfgdir/ansible.cfg" run_tend 1 apply "$T/vault.yml"
# the variables too, by name
ANSIBLE_HOST_KEY_CHECKING=False run_tend 1 validate "$P/site.yml"
expect_in "$T/err" "ANSIBLE_HOST_KEY_CHECKING=False: not supported: tend always checks host keys"
ANSIBLE_STRATEGY_PLUGINS=/x run_tend 1 plan "$P/site.yml"
expect_in "$T/err" "ANSIBLE_STRATEGY_PLUGINS: not supported yet (plugins)"
ANSIBLE_FORKS=zero run_tend 1 validate "$P/site.yml"
expect_in "$T/err" "ANSIBLE_FORKS: expected a whole number from 1 to 65535 for forks, got 'zero'"
# a value with hostile characters is data: the key is still refused by name
printf '[defaults]\nansible_managed = {{ lookup("pipe", "touch %s/pwned") }} %%s\n' "$T" >"$C"
ANSIBLE_CONFIG="$C" run_tend 1 validate "$P/site.yml"
expect_in "$T/err" "[defaults] ansible_managed is not supported yet"
[ ! -e "$T/pwned" ] || fail "a config value was run"
# --untrusted: the current directory is the untrusted checkout; its
# ansible.cfg (which could name a vault password program) is not read
cd "$P"
run_tend 0 validate --untrusted site.yml
expect_in "$T/err" "not reading $P/ansible.cfg: the playbooks are untrusted"
expect_not_in "$T/err" "as config file"
echo ok

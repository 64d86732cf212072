#!/bin/sh
# ansible-playbook's -c: `-c local` is the connection of every host that
# sets none (a host's own ansible_connection wins, as in Ansible); the
# config file is --config or $TEND_CONFIG, and `-c FILE.yml` (tend's old
# meaning) is refused with a message that says so, on every command.
. "$(dirname "$0")/../lib/lib-test.sh"
mkdir -p "$T/out-dir"
cat >"$T/p.yml" <<YML
- hosts: all
  gather_facts: false
  tasks:
    - copy: {content: "{{ inventory_hostname }}\n", dest: "$T/out-dir/{{ inventory_hostname }}"}
YML
printf 'web1\nweb2 ansible_connection=ssh ansible_host=127.0.0.1 ansible_port=1\n' >"$T/inv"
# web1 runs here; web2 keeps its own ssh (nothing listens on port 1)
run_tend 3 apply -c local -i "$T/inv" "$T/p.yml"
expect_content "$T/out-dir/web1" "web1
"
[ ! -e "$T/out-dir/web2" ] || fail "-c local overrode web2's own ansible_connection"
grep -E "^web2 .*unreachable=1" "$T/out" >/dev/null || fail "web2 not unreachable"
run_tend 0 apply --connection=local -i "web1," "$T/p.yml"

# the old -c FILE: refused, naming --config
run_tend 1 plan -c "$T/tend.yml" -i "$T/inv" "$T/p.yml"
expect_in "$T/err" "-c is the connection type (local, ssh, lxd), as ansible-playbook's; give the config file"
run_tend 1 window list -c "$T/tend.yml"
expect_in "$T/err" "the config file is --config PATH (or \$TEND_CONFIG)"

# $TEND_CONFIG: its state.path is where the run is recorded
printf 'state:\n  path: %s\n' "$T/from-env.db" >"$T/tend.yml"
TEND_CONFIG=$T/tend.yml run_tend 0 apply -c local -i "web1," "$T/p.yml"
[ -s "$T/from-env.db" ] || fail "TEND_CONFIG's state path was not used"
# --config wins over it
printf 'state:\n  path: %s\n' "$T/from-flag.db" >"$T/other.yml"
TEND_CONFIG=$T/tend.yml run_tend 0 apply --config "$T/other.yml" -c local -i "web1," "$T/p.yml"
[ -s "$T/from-flag.db" ] || fail "--config did not win over TEND_CONFIG"

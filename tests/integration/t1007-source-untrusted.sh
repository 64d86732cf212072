#!/bin/sh
# An untrusted source (a git source whose signature is not verified, or
# --untrusted) may be planned safely, as CI plans a pull request: its plan
# runs nothing on this machine (tasks and facts on a local connection are
# refused by task), reads no file outside the checkout and no environment
# variable, tests no path there, and ignores the checkout's tend.yml. Applying it needs
# --trust-source (or --verify-signatures); without, nothing is touched.
. "$(dirname "$0")/../lib/lib-test.sh"
export XDG_CACHE_HOME="$T/cache"
export CI_TOKEN=TOPSECRET-env

echo "TOPSECRET-file" >"$T/controller-secret.txt"
git init -q -b main "$T/src"
g() { git -C "$T/src" -c user.name=Mallory -c user.email=m@example.org "$@"; }
cd "$T/src"
printf 'localhost ansible_connection=local\n' >hosts
printf 'web1 ansible_host=127.0.0.1 ansible_port=1\n' >remote-hosts
# the diff of a copy to a controller file would show that file
cat >diff-leak.yml <<EOF
- hosts: localhost
  gather_facts: false
  tasks:
    - debug: { msg: "controller-side modules still run" }
    - name: show me your secret
      copy: { dest: "$T/controller-secret.txt", content: "x" }
EOF
cat >facts.yml <<EOF
- hosts: localhost
  tasks:
    - debug: { msg: "{{ ansible_hostname }}" }
EOF
# connection: local on a play of remote hosts
cat >conn-local.yml <<EOF
- hosts: web1
  connection: local
  gather_facts: false
  tasks:
    - name: stat on the controller
      stat: { path: "$T/controller-secret.txt" }
EOF
cat >env.yml <<EOF
- hosts: localhost
  gather_facts: false
  tasks:
    - name: read the token
      debug: { msg: "{{ lookup('env', 'CI_TOKEN') }}" }
EOF
cat >path-test.yml <<EOF
- hosts: localhost
  gather_facts: false
  tasks:
    - name: probe a key
      debug: { msg: "{{ '$T/controller-secret.txt' is file }}" }
EOF
cat >pipe.yml <<EOF
- hosts: localhost
  gather_facts: false
  tasks:
    - name: run a command
      debug: { msg: "{{ lookup('pipe', 'touch $T/piped') }}" }
      ignore_errors: true
    - name: run a command per line
      debug: { msg: "{{ item }}" }
      with_lines: touch $T/lined
EOF
cat >apply-me.yml <<EOF
- hosts: localhost
  gather_facts: false
  tasks:
    - copy: { dest: "$T/applied", content: "x" }
EOF
# a tend.yml in the checkout would choose the state DB (and more)
printf 'state:\n  path: %s/evil.db\n' "$T" >tend.yml
g add .
g commit -q -m "a pull request"
cd "$T"

untrusted_plan() {
	want=$1; shift
	run_tend "$want" plan --repo "$T/src" --ref main "$@"
	expect_not_in "$T/out" "TOPSECRET"
	expect_not_in "$T/err" "TOPSECRET"
}

# a local connection: refused by task, and the diff shows nothing
untrusted_plan 3 -i hosts diff-leak.yml --diff
expect_in "$T/out" "controller-side modules still run"
expect_in "$T/out" "show me your secret"
expect_in "$T/out" "refusing to run on the controller (connection 'local') for an untrusted source"
untrusted_plan 3 -i hosts diff-leak.yml --diff --format json
untrusted_plan 3 -i hosts diff-leak.yml --diff --format markdown
# the implicit localhost (no inventory) is local too
untrusted_plan 3 diff-leak.yml --diff
expect_in "$T/out" "refusing to run on the controller"
# facts are gathered on the controller: refused
untrusted_plan 3 -i hosts facts.yml
expect_in "$T/out" "refusing to run on the controller"
# connection: local on a remote host's play
untrusted_plan 3 -i remote-hosts conn-local.yml
expect_in "$T/out" "stat on the controller"
expect_in "$T/out" "refusing to run on the controller (connection 'local')"
# the controller's environment
untrusted_plan 3 -i hosts env.yml
expect_in "$T/out" "read the token"
expect_in "$T/out" "refusing to read the controller's environment"
# nor probe its files
untrusted_plan 3 -i hosts path-test.yml
expect_in "$T/out" "probe a key"
expect_in "$T/out" "refusing to test paths of the controller"
# the pipe and lines lookups are refused: nothing runs
untrusted_plan 3 -i hosts pipe.yml
expect_in "$T/out" "lookup('pipe'): refusing to run a command on the controller for an untrusted source"
expect_in "$T/out" "lookup('lines'): refusing to run a command on the controller for an untrusted source"
[ ! -e "$T/piped" ] || fail "a pipe lookup ran a command"
[ ! -e "$T/lined" ] || fail "a with_lines loop ran a command"
# the checkout's tend.yml is not read
expect_in "$T/err" "not reading '"
expect_in "$T/err" "/tend.yml': the source is untrusted"
[ ! -e "$T/evil.db" ] || fail "the checkout's tend.yml chose the state DB"

# trusted, its tend.yml is layered on the operator's and may not choose
# the state DB (t1011): refused by line, nothing run
run_tend 1 plan --repo "$T/src" --ref main -i hosts diff-leak.yml --trust-source
expect_in "$T/err" "/tend.yml:1:1: 'state' is the operator's to set"
[ ! -e "$T/evil.db" ] || fail "the checkout's tend.yml chose the state DB"
g rm -q tend.yml
g commit -q -m "no tend.yml"

# trusted by the operator, the same plan runs on the controller
run_tend 0 plan --repo "$T/src" --ref main -i hosts diff-leak.yml --diff --trust-source
expect_in "$T/out" "TOPSECRET-file"
run_tend 0 plan --repo "$T/src" --ref main -i hosts env.yml --trust-source
expect_in "$T/out" "TOPSECRET-env"

# apply: refused before anything is touched, without --trust-source
run_tend 0 history --format json
runs=$(json_get "$T/out" "len(d['runs'])")
run_tend 1 apply --repo "$T/src" --ref main -i hosts apply-me.yml
expect_in "$T/err" "refusing to apply '$T/src' (ref 'main'): the source is untrusted"
expect_in "$T/err" "--trust-source"
[ ! -e "$T/applied" ] || fail "an untrusted source was applied"
run_tend 0 history --format json
[ "$(json_get "$T/out" "len(d['runs'])")" = "$runs" ] || fail "the refused apply was recorded as a run"
# apply --check is a plan: allowed (and confined)
run_tend 3 apply --check --repo "$T/src" --ref main -i hosts apply-me.yml
expect_in "$T/out" "refusing to run on the controller"
[ ! -e "$T/applied" ] || fail "apply --check applied"
run_tend 0 apply --repo "$T/src" --ref main -i hosts apply-me.yml --trust-source
[ -e "$T/applied" ] || fail "--trust-source did not apply"
rm "$T/applied"

# --untrusted: a local checkout (CI's own clone) planned from its top
cp -r "$T/src" "$T/pr"
cat >"$T/pr/outside.yml" <<EOF
- hosts: web1
  gather_facts: false
  tasks:
    - name: copy the secret
      copy: { src: "$T/controller-secret.txt", dest: /tmp/x }
EOF
cd "$T/pr"
run_tend 1 plan --untrusted -i remote-hosts outside.yml
expect_in "$T/err" "outside.yml:5:"
expect_in "$T/err" "refusing to read '$T/controller-secret.txt': it leads outside the source checkout"
printf 'state:\n  path: %s/evil.db\n' "$T" >tend.yml
run_tend 3 plan --untrusted -i hosts diff-leak.yml --diff
expect_in "$T/out" "refusing to run on the controller"
expect_in "$T/err" "/tend.yml': the source is untrusted"
[ ! -e "$T/evil.db" ] || fail "the --untrusted checkout's tend.yml chose the state DB"
rm tend.yml
expect_not_in "$T/out" "TOPSECRET"
run_tend 1 plan --untrusted "$T/src/apply-me.yml"
expect_in "$T/err" "leads outside the source checkout"
run_tend 1 apply --untrusted -i hosts apply-me.yml
expect_in "$T/err" "refusing to apply with --untrusted"
[ ! -e "$T/applied" ] || fail "--untrusted applied"
run_tend 1 plan --untrusted --trust-source -i hosts apply-me.yml
expect_in "$T/err" "--untrusted and --trust-source contradict each other"
# without --untrusted a local playbook is the operator's own, as before
run_tend 0 apply -i hosts apply-me.yml
[ -e "$T/applied" ] || fail "a local playbook did not apply"

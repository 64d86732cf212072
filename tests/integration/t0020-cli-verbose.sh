#!/bin/sh
# -v and -vv as ansible-playbook: -v prints each task's result (what
# register would store) after its status line, secrets masked and nothing
# under no_log; -vv adds "task path: FILE:LINE" under each task banner;
# -vvv adds the module's arguments to the result as Ansible's
# "invocation": {"module_args": ...}, secrets (and URLs' passwords)
# masked there too. Without -v
# none appears.
. "$(dirname "$0")/../lib/lib-test.sh"
mkdir "$T/r"
printf 'api_token: "tok-%s-secret"\n' "$$" >"$T/secrets.yml"
cat >"$T/pb.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - name: write a
      copy: { content: "a\n", dest: "{{ root }}/a" }
    - name: echo the token
      command: echo {{ api_token }}
    - name: quiet
      command: echo hush-{{ api_token }}
      no_log: true
    - name: a URL's password
      command: echo git clone https://deploy:pw9-$$@git.example/r.git
YML
run_tend 0 apply "$T/pb.yml" -e root="$T/r" --secrets "$T/secrets.yml"
expect_not_in "$T/out" "task path:"
expect_not_in "$T/out" '"checksum"'
rm -f "$T/r/a"
run_tend 0 apply "$T/pb.yml" -e root="$T/r" --secrets "$T/secrets.yml" -v
expect_not_in "$T/out" "task path:"
# the copy's result, as JSON, on its status line
line=$(grep '^changed: \[localhost\] => {' "$T/out" | head -1)
[ -n "$line" ] || { cat "$T/out"; fail "no result after the changed line"; }
echo "${line#*=> }" >"$T/res.json"
[ "$(json_get "$T/res.json" "(d['dest'], d['changed'], d['checksum'])")" = \
	"('$T/r/a', True, '3f786850e387550fdab836ed7e6dc881de23001b')" ] ||
	fail "the copy's result"
# the command's stdout is there, masked (a string that holds a secret)
expect_in "$T/out" '"stdout": "<secret>"'
expect_not_in "$T/out" "tok-$$-secret"
# no_log: a status line and nothing of its result
expect_not_in "$T/out" "hush"
grep -q '^changed: \[localhost\]$' "$T/out" || { cat "$T/out"; fail "no_log task's line"; }
run_tend 0 apply "$T/pb.yml" -e root="$T/r" --secrets "$T/secrets.yml" -vv
expect_in "$T/out" "task path: $T/pb.yml:4"
expect_in "$T/out" "task path: $T/pb.yml:6"
expect_in "$T/out" '=> {"dest": '
expect_not_in "$T/out" '"invocation"'
run_tend 0 apply "$T/pb.yml" -e root="$T/r" --secrets "$T/secrets.yml" -vvv
expect_in "$T/out" "task path: $T/pb.yml:4"
line=$(grep ' => {"dest": ' "$T/out" | head -1)
printf '%s\n' "${line#*=> }" >"$T/res3.json"
[ "$(json_get "$T/res3.json" "d['invocation']['module_args']")" = \
	"{'content': 'a\\n', 'dest': '$T/r/a'}" ] || { cat "$T/out"; fail "-vvv: the copy's module_args"; }
# the command's arguments hold the token: masked, never shown
expect_in "$T/out" '"invocation": {"module_args": {"_raw_params": "<secret>"}}'
expect_not_in "$T/out" "tok-$$-secret"
expect_not_in "$T/out" "hush"
# a URL's password is masked in module_args as Ansible's log sanitizer does
expect_in "$T/out" '"module_args": {"_raw_params": "echo git clone https://deploy:********@git.example/r.git"}'
# the JSON output keeps the registered value alone
run_tend 0 apply "$T/pb.yml" -e root="$T/r" --secrets "$T/secrets.yml" -vvv --format json
expect_not_in "$T/out" '"invocation"'

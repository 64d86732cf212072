#!/bin/sh
# pause side by side with ansible-playbook (tests/fixtures/langmods/
# pause.yml, stdin not a terminal: not a compat case, as Ansible's pause
# writes to stdout beside its JSON): a duration waits once per task,
# a prompt returns at once with a warning. Then on a terminal (script(1)
# gives tend a pty): the prompt waits for the answer and registers it,
# unechoed with echo: false. A plan neither waits nor asks.
. "$(dirname "$0")/../lib/lib-test.sh"
command -v ansible-playbook >/dev/null || fail "ansible-playbook is not installed (make test-deps)"
command -v script >/dev/null || fail "script(1) is not installed (bsdutils)"
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCALHOST_WARNING=0 \
	ANSIBLE_HOME="$T/ansible-home" ANSIBLE_LOCAL_TEMP="$T/ansible-tmp"
pb="$TOP/tests/fixtures/langmods/pause.yml"
for who in ansible tend; do
	mkdir -p "$T/$who/h1" "$T/$who/h2"
	printf 'h1 ansible_connection=local root=%s/h1\nh2 ansible_connection=local root=%s/h2\n' \
		"$T/$who" "$T/$who" >"$T/inv-$who"
done
ansible-playbook -i "$T/inv-ansible" "$pb" </dev/null >"$T/ansible.log" 2>&1 ||
	{ cat "$T/ansible.log"; fail "ansible-playbook failed"; }
start=$(date +%s)
run_tend 0 apply -i "$T/inv-tend" "$pb" </dev/null
took=$(( $(date +%s) - start ))
[ "$took" -ge 1 ] && [ "$took" -le 4 ] || fail "one pause of 1s for two hosts took ${took}s"
for h in h1 h2; do
	diff -u "$T/ansible/$h/pause.txt" "$T/tend/$h/pause.txt" || fail "$h: pause.txt differs"
done
expect_in "$T/tend/h1/pause.txt" "secs_delta=1"
expect_in "$T/tend/h1/pause.txt" "secs_stdout=True"
expect_in "$T/tend/h2/pause.txt" "secs_ran=False"
expect_in "$T/tend/h1/pause.txt" "prompt_stdout=Paused for 0.0 minutes"
expect_in "$T/err" "Not waiting for response to prompt as stdin is not interactive"

# on a terminal: the answer is read, and not echoed
cat >"$T/ask.yml" <<YML
- hosts: all
  gather_facts: false
  tasks:
    - pause: { prompt: "Type it", echo: false }
      register: p
    - copy: { content: "{{ p.user_input }}\n", dest: "$T/answer" }
YML
(sleep 1; printf 'typed 7731 answer\n') |
	script -qec "'$TEND' apply -i h1, -e ansible_connection=local '$T/ask.yml'" /dev/null >"$T/tty.log" 2>&1 ||
	{ cat "$T/tty.log"; fail "tend on a pty failed"; }
expect_content "$T/answer" 'typed 7731 answer
'
expect_in "$T/tty.log" "Type it:"
expect_not_in "$T/tty.log" "typed 7731"

# a plan does not wait
printf -- '- hosts: all\n  gather_facts: false\n  tasks:\n    - pause: { minutes: 5 }\n' >"$T/long.yml"
start=$(date +%s)
run_tend 0 plan -i h1, -e ansible_connection=local "$T/long.yml" </dev/null
[ $(( $(date +%s) - start )) -le 3 ] || fail "the plan waited"
printf -- '- hosts: all\n  tasks:\n    - pause: { minutes: 1, seconds: 2 }\n' >"$T/both.yml"
run_tend 3 apply -i h1, -e ansible_connection=local "$T/both.yml" </dev/null
expect_in "$T/out" "mutually exclusive: minutes|seconds"

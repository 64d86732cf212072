#!/bin/sh
# Issue 13's filters and tests, side by side with ansible-playbook: path
# tests on the controller (is_dir, is_link, link_exists, is_mount,
# same_file), result and set tests, hash/checksum, password_hash with a
# fixed salt (passlib's strings), random and shuffle with a seed (Python's
# Mersenne Twister), expanduser/expandvars, path_join, strftime, comment;
# values hold quotes, '$', '%', backslashes and '{{'. An untrusted source
# may not use the ones that read the controller.
. "$(dirname "$0")/../lib/lib-test.sh"
command -v ansible-playbook >/dev/null || fail "ansible-playbook is not installed (make test-deps)"
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCALHOST_WARNING=0 \
	ANSIBLE_HOME="$T/ansible-home" ANSIBLE_LOCAL_TEMP="$T/ansible-tmp" \
	ANSIBLE_DEPRECATION_WARNINGS=0
export TEND_T13_VAR='v$a"l%{{x}}\'
fx="$T/fx"
mkdir -p "$fx/d" "$T/ansible" "$T/tend"
: >"$fx/f"
ln -s f "$fx/l"
ln -s nope "$fx/dangling"
cat >"$T/pb.yml" <<'YML'
- hosts: all
  gather_facts: false
  vars:
    hostile: "it's \"q\" $HOME %s \\ {{ '{{' }} x"
    multi: "line one\n\nline 'two' $x\n"
    crlf: "\r\n"
    crlf_text: "one\r\ntwo\r\n\r\n"
    reg_ok: {changed: false, failed: false}
    reg_bad: {failed: true, msg: boom}
  tasks:
    - copy:
        dest: "{{ root }}/tests"
        content: |
          dir={{ fx ~ '/d' is is_dir }} {{ fx ~ '/f' is directory }} file={{ fx ~ '/f' is is_file }} {{ fx ~ '/l' is file }}
          link={{ fx ~ '/l' is is_link }} {{ fx ~ '/f' is link }} exists={{ fx ~ '/dangling' is exists }} {{ fx ~ '/dangling' is link_exists }}
          mount={{ '/' is is_mount }} {{ fx is mount }} abs={{ fx is is_abs }} {{ 'rel/x' is abs }}
          same={{ (fx ~ '/l') is same_file(fx ~ '/f') }} {{ (fx ~ '/d') is is_same_file(fx ~ '/f') }}
          result={{ reg_ok is successful }} {{ reg_bad is successful }} {{ reg_ok is succeeded }} {{ reg_bad is failure }} {{ reg_ok is change }} {{ reg_ok is skip }}
          async={{ reg_ok is finished }} {{ {'finished': 0} is finished }} {{ reg_ok is started }}
          sets={{ [1, 2] is issubset([1, 2, 3]) }} {{ [1, 2] is issuperset([3]) }} {{ [0, '', 'x'] is any }} {{ [0, '', 'x'] is all }}
    - copy:
        dest: "{{ root }}/filters"
        content: |
          {{ hostile | hash }} {{ hostile | hash('sha512') }} {{ hostile | checksum }} {{ hostile | md5 }}
          {{ hostile | password_hash('sha512', 'Fixed.Salt/0') }}
          {{ hostile | password_hash('sha256', 'abc', rounds=6000) }} {{ hostile | password_hash('md5', 'x.y') }}
          {{ 59 | random(seed=inventory_hostname) }} {{ 3600 | random(seed=hostile) }} {{ ['a', hostile, 'c'] | random(seed=7) }}
          {{ range(12) | shuffle(seed=hostile) }} {{ hostile | to_uuid }}
          {{ '~/x' | expanduser }} {{ '$TEND_T13_VAR/${TEND_T13_VAR}/$NO_SUCH_VAR_T13' | expandvars }}
          {{ [fx, 'a b', hostile] | path_join }} {{ ['x', '/abs', 'y/'] | path_join }}
          {{ '%Y-%m-%d %H:%M:%S %j %a %%' | strftime(1700000000, utc=true) }} {{ '%s' | strftime('86400') }}
          {{ multi | comment }}
          {{ hostile | comment('c') }}
          {{ multi | comment('cblock') }}
          {{ multi | comment('xml', prefix_count=2, postfix_count=0) }}
          {{ hostile | comment('erlang', decoration='%% ', beginning='{{ start }}', end='$end') }}
          {{ crlf_text | comment(newline=crlf, prefix='', postfix='-- ' ~ hostile) }}
YML
ansible-playbook -i localhost, -c local "$T/pb.yml" -e root="$T/ansible" -e fx="$fx" \
	>"$T/ansible.log" 2>&1 || { cat "$T/ansible.log"; fail "ansible-playbook failed"; }
run_tend 0 apply "$T/pb.yml" -e root="$T/tend" -e fx="$fx"
expect_in "$T/out" "ok=2"
for f in tests filters; do
	cmp -s "$T/ansible/$f" "$T/tend/$f" ||
		{ diff -u "$T/ansible/$f" "$T/tend/$f"; fail "tend and ansible-playbook wrote different '$f'"; }
done
expect_in "$T/tend/tests" "mount=True False"
expect_in "$T/tend/filters" '$6$rounds=656000$Fixed.Salt/0$'

# a bad salt or hash type is an error naming the filter, not a hash
cat >"$T/bad.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - debug: { msg: "{{ 'pw' | password_hash('sha512', 'bad$salt') }}" }
YML
run_tend 3 apply "$T/bad.yml"
expect_in "$T/out" "password_hash: invalid characters in salt"
printf -- "- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: { msg: \"{{ 'pw' | hash('nope') }}\" }\n" >"$T/bad2.yml"
run_tend 3 apply "$T/bad2.yml"
expect_in "$T/out" "unsupported hash type nope"
printf -- "- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: { msg: \"{{ 10 | random(seed=1.5) }}\" }\n" >"$T/bad3.yml"
run_tend 3 apply "$T/bad3.yml"
expect_in "$T/out" "random: a seed of type 'float' is not supported"

# an untrusted source may not read the controller through them
export XDG_CACHE_HOME="$T/cache"
git init -q -b main "$T/src"
printf 'web1 ansible_host=127.0.0.1 ansible_port=1\n' >"$T/src/hosts"
for probe in "'/' is is_mount" "'/etc/passwd' is same_file('/etc/passwd')" \
	"'$fx/dangling' is link_exists" "'~root' | expanduser" "'\$HOME' | expandvars" "'/etc/alternatives/x' | realpath"; do
	n=$((${n:-0} + 1))
	printf -- "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: probe %s\n      debug: { msg: \"{{ %s }}\" }\n" \
		"$n" "$probe" >"$T/src/p$n.yml"
done
git -C "$T/src" add . && git -C "$T/src" -c user.name=M -c user.email=m@x commit -q -m pr
for i in 1 2 3 4 5 6; do
	run_tend 3 plan --repo "$T/src" --ref main -i hosts "p$i.yml"
	expect_in "$T/out" "probe $i"
	expect_in "$T/out" "of the controller for an untrusted source"
done

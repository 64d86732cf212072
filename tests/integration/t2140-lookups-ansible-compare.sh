#!/bin/sh
# Lookups, with_<lookup> loops and loop_control, run by ansible-playbook
# and by tend on the same playbook: the files they write must be the same
# (each file holds what one lookup or loop item gave).
. "$(dirname "$0")/../lib/lib-test.sh"
command -v ansible-playbook >/dev/null || fail "ansible-playbook is not installed (make test-deps)"
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCALHOST_WARNING=0 \
	ANSIBLE_HOME="$T/ansible-home" ANSIBLE_LOCAL_TEMP="$T/ansible-tmp"
mkdir -p "$T/pb/files/conf.d" "$T/pb/templates" "$T/pb/vars"
printf '  hello\n\n' >"$T/pb/files/motd.txt"
printf 'A\n' >"$T/pb/files/conf.d/only.conf"
printf 'top\n' >"$T/pb/top.txt"
printf 'v=1\n' >"$T/pb/vars/main.yml"
printf '{{ greet }} {{ who }}\n{%% for x in xs %%}{{ x }},{%% endfor %%}\n' >"$T/pb/templates/t.j2"
printf 'stored-pw salt=xyz\n' >"$T/pb/stored-pw"
printf 'localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n' >"$T/pb/hosts"
cat >"$T/pb/site.yml" <<'EOF'
- hosts: all
  gather_facts: false
  vars:
    who: world
    xs: [1, 2]
    users: [{name: ann, keys: [k1, k2]}, {name: ben, keys: [k3]}, {name: cid}]
    qz_1: a
    qz_2: b
  tasks:
    - copy: { dest: "{{ out }}/file", content: "[{{ lookup('file', 'motd.txt') }}]" }
    - copy: { dest: "{{ out }}/file-top", content: "{{ lookup('file', 'top.txt') }}" }
    - copy: { dest: "{{ out }}/template", content: "{{ lookup('template', 't.j2', template_vars={'greet': 'hi'}) }}" }
    - copy: { dest: "{{ out }}/vars", content: "{{ lookup('vars', 'who') }} {{ query('vars', 'nope', default='d') }}" }
    - copy: { dest: "{{ out }}/varnames", content: "{{ query('varnames', '^qz_') | sort }}" }
    - copy: { dest: "{{ out }}/dict", content: "{{ lookup('dict', {'a': 1, 'b': 2}) }}" }
    - copy: { dest: "{{ out }}/items", content: "{{ lookup('items', ['x', 'y']) }} {{ query('items', [1, [2]], 3) }}" }
    - copy: { dest: "{{ out }}/nested", content: "{{ query('nested', ['a', 'b'], [1, 2]) }}" }
    - copy: { dest: "{{ out }}/together", content: "{{ query('together', [1, 2, 3], ['a']) }}" }
    - copy: { dest: "{{ out }}/indexed", content: "{{ query('indexed_items', ['a', 'b']) }}" }
    - copy: { dest: "{{ out }}/subelements", content: "{{ query('subelements', users, 'keys', {'skip_missing': True}) }}" }
    - copy: { dest: "{{ out }}/sequence", content: "{{ query('sequence', 'start=8 end=12 stride=2 format=n%03d', '3', '0x1f-0x21:%X') }}" }
    - copy: { dest: "{{ out }}/env", content: "{{ lookup('env', 'T2140_UNSET', default='dflt') }}" }
    - copy: { dest: "{{ out }}/first_found", content: "{{ lookup('first_found', {'files': ['nope', 'only.conf'], 'paths': ['files/conf.d']}) | basename }}" }
    - copy: { dest: "{{ out }}/fileglob", content: "{{ query('fileglob', 'conf.d/*.conf') | map('basename') | list }}" }
    - copy: { dest: "{{ out }}/pipe", content: "{{ lookup('pipe', 'cat top.txt; echo two') }}" }
    - copy: { dest: "{{ out }}/lines", content: "{{ query('lines', 'printf \"a\\nb\\n\"') }}" }
    - copy: { dest: "{{ out }}/password", content: "{{ lookup('password', 'stored-pw') }} {{ lookup('password', '/dev/null length=9 chars=digits') | length }} chars" }
    - copy: { dest: "{{ out }}/ignored", content: "{{ lookup('first_found', 'nope', errors='ignore') is none }} {{ query('first_found', 'nope', skip=True) }}" }
    - copy: { dest: "{{ out }}/seq-{{ item }}", content: "{{ item }}" }
      with_sequence: start=1 end={{ xs | length }}
    - copy: { dest: "{{ out }}/sub-{{ item.0.name }}-{{ item.1 }}", content: "{{ item.0 }}" }
      with_subelements: ["{{ users }}", keys, {skip_missing: true}]
    - copy: { dest: "{{ out }}/nest-{{ item.0 }}{{ item.1 }}", content: "{{ item }}" }
      with_nested: [[a, b], [1, 2]]
    - copy: { dest: "{{ out }}/tog-{{ item.0 }}", content: "{{ item }}" }
      with_together: [[1, 2], [x]]
    - copy: { dest: "{{ out }}/idx-{{ item.0 }}", content: "{{ item.1 }}" }
      with_indexed_items: [p, q]
    - copy: { dest: "{{ out }}/ff", src: "{{ item }}" }
      with_first_found: ["{{ undefined_name }}.txt", motd.txt]
    - copy: { dest: "{{ out }}/glob-{{ item | basename }}", src: "{{ item }}" }
      with_fileglob: conf.d/*.conf
    - copy: { dest: "{{ out }}/line-{{ item }}", content: "{{ item }}" }
      with_lines: printf 'l1\nl2\n'
    - copy: { dest: "{{ out }}/withfile-{{ idx }}", content: "{{ item }}" }
      with_file: [motd.txt, top.txt]
      loop_control: { index_var: idx }
    - copy:
        dest: "{{ out }}/ext-{{ ansible_loop.index }}"
        content: "{{ ansible_loop.index0 }} {{ ansible_loop.revindex }} {{ ansible_loop.revindex0 }} {{ ansible_loop.first }} {{ ansible_loop.last }} {{ ansible_loop.length }} {{ ansible_loop.previtem | default('-') }} {{ ansible_loop.nextitem | default('-') }} {{ ansible_loop.allitems }}"
      loop: [u, v, w]
      loop_control: { extended: true }
    - copy: { dest: "{{ out }}/noext-{{ el }}", content: "{{ ansible_loop | default('unset') }} {{ i }}" }
      loop: [u]
      loop_control: { loop_var: el, index_var: i }
EOF
mkdir "$T/ansible" "$T/tend"
ansible-playbook -i "$T/pb/hosts" "$T/pb/site.yml" -e "out=$T/ansible" >"$T/ansible.log" 2>&1 ||
	{ cat "$T/ansible.log"; fail "ansible-playbook failed"; }
(cd "$T/pb" && run_tend 0 apply -i hosts site.yml -e "out=$T/tend")
snapshot "$T/ansible" >"$T/a.snap"
snapshot "$T/tend" >"$T/t.snap"
cmp -s "$T/a.snap" "$T/t.snap" || {
	diff -u "$T/a.snap" "$T/t.snap" || true
	for f in $(diff "$T/a.snap" "$T/t.snap" | sed -n 's/^[<>] \.\/\([^ ]*\) file.*/\1/p' | sort -u); do
		echo "== $f"; cat "$T/ansible/$f" 2>/dev/null; echo; cat "$T/tend/$f" 2>/dev/null; echo
	done
	fail "tend and ansible-playbook wrote different files"
}
[ "$(wc -l <"$T/t.snap")" -ge 35 ] || fail "fewer files than the playbook writes"

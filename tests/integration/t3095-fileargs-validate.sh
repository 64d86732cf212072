#!/bin/sh
# Ansible's common file arguments (docs/file-args.md) on every module that
# takes them: seuser, serole, setype, selevel and unsafe_writes are
# accepted at load (templated too), attributes/attr is refused by name
# at its place, a bad unsafe_writes is a bool error; `tend doc` lists
# them for a file module and not for stat. On this machine (no SELinux)
# a plan with setype says what changes, the apply does it, a re-apply
# and a plan after it change nothing.
. "$(dirname "$0")/../lib/lib-test.sh"
cat >"$T/ok.yml" <<'YML'
- hosts: all
  gather_facts: false
  vars: {t: etc_t}
  tasks:
    - file: {path: /x, state: directory, setype: "{{ t }}", seuser: system_u, serole: object_r, selevel: s0, unsafe_writes: true}
    - copy: {dest: /x/a, content: a, setype: etc_t, attributes: ~}
    - template: {src: t.j2, dest: /x/b, setype: etc_t, unsafe_writes: "{{ false }}"}
    - lineinfile: {path: /x/c, line: a, setype: etc_t}
    - blockinfile: {path: /x/d, block: a, seuser: user_u}
    - replace: {path: /x/e, regexp: a, serole: object_r}
    - assemble: {src: /x, dest: /x/f, selevel: s0}
    - get_url: {url: "http://127.0.0.1/", dest: /x/g, setype: etc_t}
    - unarchive: {src: /x.tgz, dest: /x, remote_src: true, setype: etc_t}
    - ansible.builtin.copy: {dest: /x/h, content: a, selevel: "s0:c0.c1023"}
YML
run_tend 0 validate "$T/ok.yml"
cat >"$T/bad.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - file: {path: /x, attributes: +i}
    - copy: {dest: /x/a, content: a, attr: i}
    - lineinfile: {path: /x/c, line: a, unsafe_writes: maybe}
    - template: {src: t.j2, dest: /x/b, setyp: etc_t}
    - stat: {path: /x, setype: etc_t}
YML
run_tend 1 validate "$T/bad.yml"
for w in \
	"bad.yml:4:24: parameter 'attributes' is refused by module 'file': file attributes (lsattr/chattr): not supported yet" \
	"bad.yml:5:38: parameter 'attr' is refused by module 'copy'" \
	"bad.yml:6:56: expected a bool for 'unsafe_writes', got 'maybe'" \
	"bad.yml:7:41: unsupported parameter 'setyp' (did you mean 'setype'?)" \
	"bad.yml:8:24: unsupported parameter 'setype'"; do
	expect_in "$T/err" "$w"
done
expect_in "$T/err" "tend: 5 errors"

run_tend 0 doc copy
for w in "setype (str)" "seuser (str)" "serole (str)" "selevel (str)" \
	"attributes (str) aliases: attr" "unsafe_writes (bool)" \
	"mode (mode)" "owner (str)"; do
	expect_in "$T/out" "$w"
done
[ "$(grep -c '^  mode ' "$T/out")" = 1 ] || fail "mode listed twice"
run_tend 0 doc unarchive
expect_in "$T/out" "permissions of every extracted path"
run_tend 0 doc stat
expect_not_in "$T/out" "setype"

# a run on this machine, which has no SELinux: the args are ignored
if [ -e /sys/fs/selinux/enforce ]; then
	fail "this test needs a machine without SELinux"
fi
printf 'localhost ansible_connection=local\n' >"$T/inv"
cat >"$T/run.yml" <<YML
- hosts: all
  gather_facts: false
  tasks:
    - copy: {dest: "$T/-f %s {{ '{{' }}x", content: "a\\n", mode: "0640", setype: "-n %s \\\\ {{ '{{' }} x }}", seuser: system_u, unsafe_writes: true}
    - lineinfile: {path: "$T/l", line: b, create: true, selevel: s0}
YML
run_tend 2 plan --detailed-exitcode -i "$T/inv" "$T/run.yml"
expect_in "$T/out" "state: absent -> file"
expect_not_in "$T/out" "SELinux"
run_tend 0 apply -i "$T/inv" "$T/run.yml"
expect_content "$T/-f %s {{x" "a
"
expect_mode "$T/-f %s {{x" 0640
expect_content "$T/l" "b
"
run_tend 0 apply -i "$T/inv" "$T/run.yml"
expect_in "$T/out" "changed=0"
run_tend 0 plan --detailed-exitcode -i "$T/inv" "$T/run.yml"
# the SELinux question rides in the module's own probe: one round trip
run_tend 0 plan --stats -i "$T/inv" "$T/run.yml"
expect_in "$T/err" "stats: 2 round trips for 2 task results"

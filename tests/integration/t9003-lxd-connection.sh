#!/bin/sh
# The lxd connection (transport/lxd.h) on a real LXD (its own LXD_DIR, the
# busybox image): one playbook provisions two instances with lxd_instance,
# adds them with add_host (ansible_connection: lxd) and configures them
# in the same run with the ordinary modules. Checked inside the
# instances with `lxc exec`/`lxc file pull`:
# - files with hostile content (a leading '-', '%', '\', 0xff, '{{', a
#   NUL from a src file, 200 KiB), their modes and owners, a directory's
#   mode, a link;
# - command with stdin, a non-zero exit with its stdout and stderr apart
#   (failed_when), shell with an environment, slurp and fetch (the files
#   API read), a 200 KiB file both ways;
# - one round trip per task and host (--stats), no stdin file left in
#   the instances' /tmp;
# - a second apply changes nothing, and `tend plan` then finds nothing;
# - a stopped instance is unreachable (exit 3, the message names it),
#   the other one still converges;
# - an instance that does not exist: unreachable, named.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-lxd.sh"

lxd_start
mkdir -p "$T/files" "$T/fetched"
printf -- '-n x\n%%s %%d\\\\ \377\376 {{ not a template }}\n' >"$T/files/hostile"
printf 'a\000b\000\377\n' >"$T/files/nul.bin"
head -c 204800 /dev/urandom >"$T/files/big.bin"
printf '\001\002\377\000tail' >"$T/files/stdin.bin"

cat >"$T/site.yml" <<YML
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - lxd_instance:
        url: "unix:$LXD_SOCK"
        image: busybox
        count: 2
        hostname_pattern: "app-{{ '%02d' | format(index) }}"
      register: r
    - add_host:
        name: "{{ item.name }}"
        groups: app
        ansible_connection: lxd
        tend_lxd_url: "unix:$LXD_SOCK"
      loop: "{{ r.instances }}"
      changed_when: false

- hosts: app
  gather_facts: false
  tasks:
    - file: {path: /srv/app, state: directory, mode: "0750"}
    - copy: {src: "$T/files/hostile", dest: /srv/app/hostile, mode: "0640"}
    - copy: {src: "$T/files/nul.bin", dest: /srv/app/nul.bin}
    - copy: {src: "$T/files/big.bin", dest: /srv/app/big.bin}
    - copy: {content: "-x %s \\\\\\\\ {{ '{{' }} y }}\n", dest: /srv/app/content}
    - file: {src: /srv/app/content, dest: /srv/app/link, state: link}
    - lineinfile: {path: /srv/app/conf, line: "name={{ inventory_hostname }}", create: true}
    - command: cat
      args: {stdin: "{{ lookup('file', '$T/files/hostile') }}"}
      register: echoed
      changed_when: false
    - assert: {that: ["echoed.stdout == lookup('file', '$T/files/hostile')"]}
    - shell: echo "\$GREETING from \$(hostname)"
      environment: {GREETING: "hi %s"}
      register: greet
      changed_when: false
    - assert: {that: ["greet.stdout == 'hi %s from ' ~ inventory_hostname"]}
    - command: sh -c 'echo out; echo err >&2; exit 3'
      register: bad
      failed_when: bad.rc != 3
      changed_when: false
    - assert: {that: ["bad.stdout == 'out'", "bad.stderr == 'err'"]}
    - slurp: {src: /srv/app/conf}
      register: s
    - assert: {that: ["(s.content | b64decode) == 'name=' ~ inventory_hostname ~ '\n'"]}
    - fetch: {src: /srv/app/big.bin, dest: "$T/fetched/"}
YML

inside() { tlxc exec "$1" -- sh -c "$2"; }
run_tend 0 apply "$T/site.yml"
for h in app-01 app-02; do
	tlxc file pull "$h/srv/app/hostile" "$T/got" && cmp "$T/files/hostile" "$T/got" || fail "$h: hostile"
	tlxc file pull "$h/srv/app/nul.bin" "$T/got" && cmp "$T/files/nul.bin" "$T/got" || fail "$h: nul.bin"
	tlxc file pull "$h/srv/app/big.bin" "$T/got" && cmp "$T/files/big.bin" "$T/got" || fail "$h: big.bin"
	cmp "$T/files/big.bin" "$T/fetched/$h/srv/app/big.bin" || fail "$h: fetched big.bin"
	inside "$h" 'stat -c "%a %u:%g %n" /srv/app /srv/app/hostile /srv/app/nul.bin; readlink /srv/app/link; cat /srv/app/content /srv/app/conf' >"$T/st"
	expect_content "$T/st" "750 0:0 /srv/app
640 0:0 /srv/app/hostile
644 0:0 /srv/app/nul.bin
/srv/app/content
-x %s \\\\ {{ y }}
name=$h
"
done
# no exec output left behind in LXD
[ -z "$(ls "$LXD_DIR_T"/containers/app-01/rootfs/tmp/ 2>/dev/null | grep tend)" ] || fail "stdin files left in /tmp"

# again: nothing changes; a plan finds nothing
run_tend 0 apply "$T/site.yml"
expect_in "$T/out" "app-01                     : ok="
grep -E "^app-0[12] .*changed=0" "$T/out" | wc -l >"$T/n"
expect_content "$T/n" "2
"
run_tend 0 plan --detailed-exitcode "$T/site.yml"

# one round trip per task and host: 13 tasks with a transport on 2 hosts
run_tend 0 apply --stats "$T/site.yml"
expect_in "$T/err" "stats: "
python3 - "$T/err" <<'PY' || fail "round trips"
import re, sys
m = re.search(r"stats: (\d+) round trips for (\d+) task results", open(sys.argv[1]).read())
trips, tasks = int(m.group(1)), int(m.group(2))
# the app play: 14 tasks, 2 hosts; fetch reads the file once more to
# compare it (2 trips); the localhost play's two tasks make none
assert trips <= 2 * 15, (trips, tasks)
PY

# a stopped instance is unreachable, the other one converges
printf '[app]\napp-01\napp-02\n[app:vars]\nansible_connection=lxd\ntend_lxd_url=unix:%s\n' "$LXD_SOCK" >"$T/inv"
printf -- '- hosts: app\n  gather_facts: false\n  tasks:\n    - lineinfile: {path: /srv/app/conf, line: "name={{ inventory_hostname }}", create: true}\n' >"$T/conf.yml"
tlxc stop -f app-02 >/dev/null
inside app-01 'rm /srv/app/conf'
run_tend 3 apply -i "$T/inv" "$T/conf.yml"
grep -E "^app-02 .*unreachable=1" "$T/out" >/dev/null || fail "app-02 not unreachable"
grep -E "^app-01 .*changed=1" "$T/out" >/dev/null || fail "app-01 not converged"
expect_in "$T/out" "LXD instance 'app-02'"
inside app-01 'cat /srv/app/conf' >"$T/conf"
expect_content "$T/conf" "name=app-01
"

# an instance that does not exist, from an inventory
printf '[x]\nghost.example.org ansible_connection=lxd tend_lxd_url=unix:%s\n' "$LXD_SOCK" >"$T/inv1"
printf -- '- hosts: x\n  gather_facts: false\n  tasks:\n    - command: "true"\n' >"$T/ghost.yml"
run_tend 3 apply -i "$T/inv1" "$T/ghost.yml"
expect_in "$T/out" "LXD instance 'ghost'"
grep -E "^ghost.example.org .*unreachable=1" "$T/out" >/dev/null || fail "ghost not unreachable"
# a remote tend cannot read
printf '[x]\nh ansible_connection=lxd ansible_lxd_remote=prod\n' >"$T/inv2"
run_tend 3 apply -i "$T/inv2" "$T/ghost.yml"
expect_in "$T/out" "ansible_lxd_remote 'prod': tend reads no lxc remotes"

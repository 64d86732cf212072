#!/bin/sh
# The executor's order and failure rules: linear (a task on every host
# before the next), serial batches, strategy free, any_errors_fatal,
# max_fail_percentage, and become via sudo.
. "$(dirname "$0")/../lib/lib-test.sh"
cat >"$T/inv" <<'INI'
[all:vars]
ansible_connection=local
[web]
h1
h2
h3
INI
mkpb() { # mkpb NAME EXTRA_PLAY_KEYS
	cat >"$T/$1.yml" <<YML
- hosts: web
  gather_facts: false
$2
  tasks:
    - shell: echo "{{ inventory_hostname }} t1" >> {{ log }}
    - fail: { msg: down }
      when: inventory_hostname in (bad | default([]))
    - shell: echo "{{ inventory_hostname }} t2" >> {{ log }}
YML
}
L=$T/log
mkpb linear ""
run_tend 0 apply "$T/linear.yml" -i "$T/inv" -e log="$L" -f 1
expect_content "$L" "h1 t1
h2 t1
h3 t1
h1 t2
h2 t2
h3 t2
"
rm -f "$L"; mkpb serial "  serial: 2"
run_tend 0 apply "$T/serial.yml" -i "$T/inv" -e log="$L" -f 1
expect_content "$L" "h1 t1
h2 t1
h1 t2
h2 t2
h3 t1
h3 t2
"
rm -f "$L"; mkpb free "  strategy: free"
run_tend 0 apply "$T/free.yml" -i "$T/inv" -e log="$L" -f 1
expect_content "$L" "h1 t1
h1 t2
h2 t1
h2 t2
h3 t1
h3 t2
"
# a failed host stops alone ...
rm -f "$L"
run_tend 3 apply "$T/linear.yml" -i "$T/inv" -e log="$L" -e '{"bad": ["h2"]}' -f 1
expect_content "$L" "h1 t1
h2 t1
h3 t1
h1 t2
h3 t2
"
# ... unless any_errors_fatal
rm -f "$L"; mkpb fatal "  any_errors_fatal: true"
run_tend 3 apply "$T/fatal.yml" -i "$T/inv" -e log="$L" -e '{"bad": ["h2"]}' -f 1
expect_content "$L" "h1 t1
h2 t1
h3 t1
"
# max_fail_percentage: 1 of 3 failed (33%) is over 20, under 50
rm -f "$L"; mkpb pct20 "  max_fail_percentage: 20"
run_tend 3 apply "$T/pct20.yml" -i "$T/inv" -e log="$L" -e '{"bad": ["h2"]}' -f 1
expect_not_in "$L" "t2"
rm -f "$L"; mkpb pct50 "  max_fail_percentage: 50"
run_tend 3 apply "$T/pct50.yml" -i "$T/inv" -e log="$L" -e '{"bad": ["h2"]}' -f 1
expect_in "$L" "h3 t2"
# parallel forks give the same end state
rm -f "$L"
run_tend 0 apply "$T/linear.yml" -i "$T/inv" -e log="$L" -f 3
[ "$(sort "$L" | tr '\n' ' ')" = "h1 t1 h1 t2 h2 t1 h2 t2 h3 t1 h3 t2 " ] || fail "forks=3 result"

# become: sudo to another user
command -v sudo >/dev/null || fail "sudo is not installed (make test-deps)"
mkdir -p "$T/pub" && chmod 777 "$T/pub" && chmod 755 "$T"
cat >"$T/become.yml" <<'YML'
- hosts: h1
  gather_facts: false
  tasks:
    - command: id -un
      become: true
      become_user: nobody
      register: who
    - copy: { content: "{{ who.stdout }}\n", dest: "{{ out }}/who" }
    - shell: id -un > {{ out }}/who-file
      become: true
      become_user: nobody
YML
run_tend 0 apply "$T/become.yml" -i "$T/inv" -e out="$T/pub"
expect_content "$T/pub/who" "nobody
"
[ "$(stat -c %U "$T/pub/who-file")" = nobody ] || fail "file not written as nobody"

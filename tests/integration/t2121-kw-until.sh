#!/bin/sh
# until / retries / delay as ansible-playbook 2.14 runs them: the
# registered result is what until tests; `attempts` in the result (on
# running out: failed, attempts = retries, Ansible's count though it ran
# retries + 1 times); retries 3 by default; per loop item; templated
# retries and delay. Then a plan: the check is probed once, and what
# does not hold yet is unknown, nothing run.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-compare.sh"

cat >"$T/site.yml" <<'YML'
- hosts: all
  gather_facts: false
  vars:
    dir: "{{ base }}/{{ inventory_hostname }}"
    three: "3"
  tasks:
    - file: { path: "{{ dir }}", state: directory, mode: "0755" }
    - name: count to three, then stop
      shell: echo x >> {{ dir }}/count; wc -l < {{ dir }}/count
      register: r
      until: r.stdout | int >= 3
      retries: 5
      delay: 0
    - copy:
        dest: "{{ dir }}/r"
        content: "attempts={{ r.attempts }} out={{ r.stdout }}\n"
    - name: never holds; the default retries, ignored
      shell: echo y >> {{ dir }}/never
      register: n
      until: n.rc == 7
      delay: "{{ 0 }}"
      ignore_errors: true
    - copy:
        dest: "{{ dir }}/n"
        content: "attempts={{ n.attempts }} failed={{ n.failed }}\n"
    - name: per item, templated retries
      shell: echo {{ item }} >> {{ dir }}/items; grep -c {{ item }} {{ dir }}/items
      loop: [a, b]
      register: l
      until: l.stdout | int == 2
      retries: "{{ three }}"
      delay: 0
    - copy:
        dest: "{{ dir }}/l"
        content: "{{ l.results | map(attribute='attempts') | list }}\n"
    - name: a failing command retried until it passes
      shell: echo z >> {{ dir }}/fails; test $(wc -l < {{ dir }}/fails) -ge 2
      register: f
      until: f is succeeded
      retries: 2
      delay: 0
    - copy: { dest: "{{ dir }}/f", content: "{{ f.attempts }} {{ f.rc }}\n" }
YML
printf 'c1 ansible_connection=local\nc2 ansible_connection=local\n' >"$T/local.ini"
compare_run local "$T/site.yml" "$T/local.ini"
expect_content "$T/local-tend/c1/r" "attempts=3 out=3
"
expect_content "$T/local-tend/c1/n" "attempts=3 failed=True
"
[ "$(wc -l <"$T/local-tend/c2/never")" = 4 ] || fail "retries 3 must run 4 times"
expect_content "$T/local-tend/c1/l" "[2, 2]"

# delay is honoured: 2 tries 1 s apart take at least 1 s
cat >"$T/delay.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - command: "false"
      register: d
      until: d.rc == 0
      retries: 1
      delay: 1
YML
start=$(date +%s%N)
run_tend 3 apply "$T/delay.yml" -i "$T/local.ini"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$ms" -ge 1000 ] || fail "delay 1 took only ${ms} ms"

# a plan probes once and runs nothing: a file task whose until does not
# hold on its check is unknown
cat >"$T/plan.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - stat: { path: "{{ marker }}" }
      register: s
      until: s.stat.exists
      retries: 2
      delay: 3
YML
start=$(date +%s%N)
run_tend 0 plan "$T/plan.yml" -i "$T/local.ini" -e marker="$T/nothing-here"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$ms" -lt 3000 ] || fail "the plan waited ${ms} ms: it must probe once"
expect_in "$T/out" "'until' does not hold on the probe: the apply tries up to 3 times"
touch "$T/marker"
run_tend 0 plan "$T/plan.yml" -i "$T/local.ini" -e marker="$T/marker"
expect_not_in "$T/out" "does not hold"

#!/bin/sh
# Applying a saved plan: a file the run reads that changes after the plan
# was re-checked (while an earlier task runs) is not used: the task that
# reads it fails with a clear message and the new content reaches no host.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-fault.sh"
mkdir -p "$T/pb" "$T/r"
echo planned >"$T/pb/app.conf"
cat >"$T/pb/site.yml" <<'YML'
- hosts: localhost
  gather_facts: false
  tasks:
    - name: wait for the test
      shell: touch {{ r }}/started; while [ ! -e {{ r }}/go ]; do sleep 0.02; done
    - name: conf
      copy: { src: app.conf, dest: "{{ r }}/app.conf" }
YML
run_tend 0 plan "$T/pb/site.yml" -e r="$T/r" --out "$T/plan.json"
bg_tend apply apply "$T/plan.json"
wait_file "$T/r/started" 20000
echo "changed after the check" >"$T/pb/app.conf"
touch "$T/r/go"
bg_wait apply 20000
[ "$rc" = 3 ] || { cat "$T/apply.out" "$T/apply.err"; fail "apply exited $rc, expected 3"; }
expect_in "$T/apply.out" "changed since the plan was checked"
[ ! -e "$T/r/app.conf" ] || fail "the changed file was copied"

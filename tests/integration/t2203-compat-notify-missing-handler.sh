#!/bin/sh
# A notify that no handler of the play answers (by name or by a topic it
# listens to) stops ansible-playbook 2.14 ("The requested handler ... was
# not found"); tend refuses it at validate, with the notify's place,
# wherever the task is (a block, an imported file, a handler). Names and
# topics that exist validate.
. "$(dirname "$0")/../lib/lib-test.sh"
cd "$T"
cat >imported.yml <<'YML'
- command: "true"
  notify: not in the play
YML
cat >site.yml <<'YML'
- hosts: localhost
  gather_facts: false
  tasks:
    - command: "true"
      notify: [by name, a topic]
    - block:
        - command: "true"
          notify: nosuch
    - import_tasks: imported.yml
  handlers:
    - name: by name
      debug: {msg: h}
      notify: missing too
    - name: listener
      debug: {msg: l}
      listen: a topic
YML
run_tend 1 validate site.yml
expect_in err "site.yml:8:19: notify: no handler is named or listens to 'nosuch' in this play"
expect_in err "imported.yml:2:11: notify: no handler is named or listens to 'not in the play' in this play"
expect_in err "site.yml:13:15: notify: no handler is named or listens to 'missing too' in this play"
expect_not_in err "'by name'"
expect_not_in err "'a topic'"
sed -i 's/notify: nosuch/notify: by name/; s/notify: missing too/notify: listener/' site.yml
sed -i 's/notify: not in the play/notify: a topic/' imported.yml
run_tend 0 validate site.yml

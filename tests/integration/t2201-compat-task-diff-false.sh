#!/bin/sh
# A task's (or its block's) diff: false keeps its diff out of every
# output, --diff or not, as Ansible does: the content of the file it
# writes is not printed, in the text, the JSON or the plan. Other tasks'
# diffs still show.
. "$(dirname "$0")/../lib/lib-test.sh"
cd "$T"
cat >site.yml <<YML
- hosts: localhost
  gather_facts: false
  tasks:
    - copy: {dest: "$T/hidden", content: "HIDDEN-CONTENT\n"}
      diff: false
    - block:
        - copy: {dest: "$T/hidden2", content: "BLOCK-HIDDEN\n"}
      diff: false
    - copy: {dest: "$T/shown", content: "SHOWN-CONTENT\n"}
YML
run_tend 0 validate site.yml
run_tend 0 plan site.yml
expect_in out "SHOWN-CONTENT"
expect_not_in out "HIDDEN-CONTENT"
expect_not_in out "BLOCK-HIDDEN"
run_tend 0 plan --format json site.yml
expect_in out "SHOWN-CONTENT"
expect_not_in out "HIDDEN-CONTENT"
expect_not_in out "BLOCK-HIDDEN"
run_tend 0 apply --diff site.yml
expect_in out "SHOWN-CONTENT"
expect_not_in out "HIDDEN-CONTENT"
expect_not_in out "BLOCK-HIDDEN"
expect_content hidden "HIDDEN-CONTENT
"
expect_content hidden2 "BLOCK-HIDDEN
"

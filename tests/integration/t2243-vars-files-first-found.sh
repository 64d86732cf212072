#!/bin/sh
# vars_files entries that are lists (the first file that exists is
# loaded, as Ansible's "conditional includes"): validate accepts them;
# when no file of an entry exists the run stops before any task with
# Ansible's message, exit 1; a name that leads out of a git source's
# checkout is refused even as a later alternative.
. "$(dirname "$0")/../lib/lib-test.sh"
cd "$T"
mkdir vars
printf 'a: from-vars-dir\n' >vars/a.yml
cat >pb.yml <<'YML'
- hosts: localhost
  gather_facts: false
  vars_files:
    - [ "nope-{{ inventory_file | default('x') }}.yml", a.yml ]
  tasks:
    - copy: { dest: "{{ out }}/a", content: "{{ a }}" }
YML
cat >missing.yml <<'YML'
- hosts: localhost
  gather_facts: false
  vars_files:
    - [ missing-a.yml, missing-b.yml ]
  tasks:
    - copy: { dest: "{{ out }}/never", content: "x" }
YML
run_tend 0 validate pb.yml missing.yml
run_tend 0 apply -i localhost, -c local -e out="$T" pb.yml
[ "$(cat "$T/a")" = from-vars-dir ] || fail "the first existing vars file was not loaded"
run_tend 1 apply -i localhost, -c local -e out="$T" missing.yml
expect_in "$T/err" "vars file ['missing-a.yml', 'missing-b.yml'] was not found"
[ ! -e "$T/never" ] || fail "a task ran without its vars file"

# from a git source, an alternative that leads out is refused
git init -q -b main src
printf 'secret: s3cr3t-VF\n' >"$T/outside.yml"
cat >src/pb.yml <<YML
- hosts: localhost
  gather_facts: false
  vars_files:
    - [ missing.yml, "../outside.yml" ]
  tasks:
    - copy: { dest: "$T/leaked", content: "{{ secret }}" }
YML
git -C src add -A
git -C src -c user.name=T -c user.email=t@example.org commit -qm pb
export XDG_CACHE_HOME="$T/cache"
run_tend 1 apply --repo "$T/src" --ref main --trust-source -i localhost, -c local pb.yml
expect_in "$T/err" "leads out"
[ ! -e "$T/leaked" ] || fail "a vars file outside the checkout was read"
expect_not_in "$T/err" "s3cr3t-VF"

#!/bin/sh
# deb822_repository refuses at load (`tend validate`, no host touched),
# at the place of the argument: a name holding '/' (Ansible would drop it
# from the file name silently) or leaving no file name, types other than
# deb and deb-src, state=absent with what a present source holds (it is
# removed by its name), unknown states and arguments. Templated values are
# left for the run (and checked once rendered); install_python_debian is accepted (tend needs no
# python3-debian). `tend doc deb822_repository` shows the arguments,
# returns and example.
. "$(dirname "$0")/../lib/lib-test.sh"
cat >"$T/bad.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - deb822_repository: {name: "../etc/x", uris: "http://h/d", suites: x}
    - deb822_repository: {name: "%%!"}
    - deb822_repository: {name: x, types: [deb, rpm]}
    - deb822_repository: {name: x, state: absent, uris: "http://h/d"}
    - deb822_repository: {name: x, state: absent, signed_by: "http://h/k.asc"}
    - deb822_repository: {name: x, state: absent, mode: "0600"}
    - deb822_repository: {name: x, state: latest}
    - deb822_repository: {name: x, signedby: /k.gpg}
    - deb822_repository: {uris: "http://h/d"}
    - ansible.builtin.deb822_repository: {name: x, enabled: maybe}
YML
run_tend 1 validate "$T/bad.yml"
for w in \
	"bad.yml:4:33: name '../etc/x' holds a '/'" \
	"bad.yml:5:33: name '%%!' leaves no file name" \
	"bad.yml:6:43: value of types must be one or more of: deb, deb-src. Got no match for: rpm" \
	"bad.yml:7:57: 'uris' contradicts state=absent: the source is removed by its name" \
	"bad.yml:8:62: 'signed_by' contradicts state=absent" \
	"bad.yml:9:57: 'mode' contradicts state=absent" \
	"bad.yml:10:43: value of 'state' must be one of: present, absent, got 'latest'" \
	"bad.yml:11:36: unsupported parameter 'signedby' (did you mean 'signed_by'?)" \
	"bad.yml:12:7: missing required arguments: name" \
	"bad.yml:13:61: expected a bool for 'enabled', got 'maybe'"; do
	expect_in "$T/err" "$w"
done
expect_in "$T/err" "tend: 10 errors"

# templated values are left for the run; the rest is fine
cat >"$T/good.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - deb822_repository:
        name: "{{ n }}"
        types: ["{{ t }}", deb-src]
        uris: ["http://deb.debian.org/debian"]
        suites: [bookworm, bookworm-updates]
        components: main contrib
        signed_by: /usr/share/keyrings/debian-archive-keyring.gpg
        architectures: amd64
        enabled: yes
        date_max_future: 10
        mode: 0600
        install_python_debian: true
    - deb822_repository: {name: "Docker CE", state: "{{ s }}", uris: "http://h/d"}
    - deb822_repository: {name: "Docker CE", state: absent}
YML
run_tend 0 validate "$T/good.yml"

# a templated name or type is checked once rendered: the task fails
# before its check reads anything (the local connection: a plan)
cat >"$T/late.yml" <<'YML'
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - deb822_repository: {name: "{{ 'x/../y' }}", uris: "http://h/d"}
      ignore_errors: true
    - deb822_repository: {name: x, types: ["{{ 'rpm' }}"], uris: "http://h/d"}
      ignore_errors: true
YML
run_tend 0 plan -i localhost, "$T/late.yml"
expect_in "$T/out" "name 'x/../y' holds a '/'"
expect_in "$T/out" "value of types must be one or more of: deb, deb-src. Got no match for: rpm"

run_tend 0 doc deb822_repository
for w in "signed_by (str)" "types (list)" "default: deb" "mode (mode)" \
	"install_python_debian (bool)" "choices: present, absent" "returns:" \
	"repo: the file's text" "key_filename:" "dest:" "example:"; do
	expect_in "$T/out" "$w"
done
run_tend 0 modules
expect_in "$T/out" "deb822_repository"

#!/bin/sh
# apt_key refuses at load (`tend validate`, no host touched), at the place
# of the argument: Ansible's mutually_exclusive (data, file, keyserver,
# url), and what Ansible refuses only at run time (a keyserver without
# an id, an id that is not 8, 16 or more hex digits, no key named at
# all); keyserver with state=absent (a key is removed by its id); unknown
# states and arguments. Templated values are left for the run. `tend doc
# apt_key` shows the arguments, returns and example.
. "$(dirname "$0")/../lib/lib-test.sh"
cat >"$T/bad.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - apt_key: {data: x, file: /k.gpg}
    - apt_key: {id: 0x12345678, url: "http://h/k.asc", keyserver: hkp://k}
    - apt_key: {keyserver: hkp://k, keyring: /etc/apt/trusted.gpg.d/k.gpg}
    - apt_key: {id: 12345678, keyserver: hkp://k, state: absent}
    - apt_key: {id: 0x1234567G}
    - apt_key: {id: "123456789", data: x}
    - apt_key: {state: present}
    - apt_key: {id: 12345678, state: latest}
    - apt_key: {id: 12345678, validate_cert: false}
    - ansible.builtin.apt_key: {url: "http://h/k.asc", file: /k.gpg}
YML
run_tend 1 validate "$T/bad.yml"
for w in \
	"bad.yml:4:32: parameters are mutually exclusive: data|file" \
	"bad.yml:5:38: parameters are mutually exclusive: keyserver|url" \
	"bad.yml:6:28: Missing key_id, required with keyserver." \
	"bad.yml:7:42: 'keyserver' contradicts state=absent" \
	"bad.yml:8:21: Invalid key_id '0x1234567G': 8, 16 or more hex digits" \
	"bad.yml:9:21: Invalid key_id '123456789'" \
	"bad.yml:10:7: one of the following is required: id, data, file, url" \
	"bad.yml:11:38: value of 'state' must be one of: present, absent, got 'latest'" \
	"bad.yml:12:31: unsupported parameter 'validate_cert' (did you mean 'validate_certs'?)" \
	"bad.yml:13:38: parameters are mutually exclusive: file|url"; do
	expect_in "$T/err" "$w"
done
expect_in "$T/err" "tend: 10 errors"
# templated values are left for the run; 8, 16 and 40 digits, 0x
cat >"$T/ok.yml" <<'YML'
- hosts: all
  gather_facts: false
  vars: {k: 0x1234, st: absent}
  tasks:
    - apt_key: {id: "{{ k }}", keyserver: hkp://k, state: "{{ st }}"}
    - apt_key: {id: 1234abCD}
    - apt_key: {id: "0x0123456789ABCDEF", state: absent, keyring: "/etc/apt/trusted.gpg.d/a b%.gpg"}
    - apt_key: {id: 0123456789abcdef0123456789abcdef01234567, url: "https://h/k.asc", validate_certs: no}
    - apt_key: {data: "{{ lookup('env', 'HOME') }}", keyring: /etc/apt/keyrings/x.gpg}
YML
run_tend 0 validate "$T/ok.yml"
run_tend 0 doc apt_key
for w in "keyserver (str)" "keyring (path)" "choices: present, absent" \
	"validate_certs (bool)" "returns:" "short_id: its last 8 digits" \
	"fp: its last 16 digits" "example:" "- apt_key:"; do
	expect_in "$T/out" "$w"
done
# a name Ansible knows and tend now has: no more "not supported yet"
cat >"$T/mod.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - ansible.builtin.apt_key: {id: 12345678}
YML
run_tend 0 validate "$T/mod.yml"

#!/bin/sh
# pip refuses at load (`tend validate`, no host touched), at the place of
# the argument: Ansible's mutually_exclusive (name|requirements,
# executable|virtualenv) and required_one_of, Ansible's own refusals
# (version with latest, with several packages, with a specifier in name;
# virtualenv_python with venv; a umask that is not octal), version with
# state=absent (pip removes whatever version is there), unknown states and
# arguments. A templated value is left for the run. `tend doc pip` shows
# the arguments, returns and example.
. "$(dirname "$0")/../lib/lib-test.sh"
cat >"$T/bad.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - pip: {name: foo, state: absent, version: "1.0"}
    - pip: {name: foo, requirements: r.txt}
    - pip: {name: foo, virtualenv: /v, executable: pip3}
    - pip: {name: foo, state: latest, version: "2"}
    - pip: {state: present}
    - pip: {name: foo, umask: "0x22"}
    - pip: {name: foo, virtualenv: /v, virtualenv_command: python3 -m venv, virtualenv_python: python3.11}
    - pip: {name: [foo, bar], version: "1.0"}
    - pip: {name: "foo>=1", version: "1.0"}
    - pip: {name: foo, state: installed}
    - pip: {name: foo, break_system_packages: true}
    - ansible.builtin.pip: {name: "foo>=1,<2", version: "1.0"}
YML
run_tend 1 validate "$T/bad.yml"
for w in \
	"bad.yml:4:48: 'version' contradicts state=absent" \
	"bad.yml:5:38: parameters are mutually exclusive: name|requirements" \
	"bad.yml:6:36: parameters are mutually exclusive: executable|virtualenv" \
	"bad.yml:7:48: version is incompatible with state=latest" \
	"bad.yml:8:7: one of the following is required: name, requirements" \
	"bad.yml:9:31: umask must be an octal integer" \
	"bad.yml:10:96: virtualenv_python should not be used when using the venv module or pyvenv as virtualenv_command" \
	"bad.yml:11:40: 'version' argument is ambiguous when installing multiple package distributions" \
	"bad.yml:12:38: The 'version' argument conflicts with any version specifier" \
	"bad.yml:13:31: value of 'state' must be one of: present, absent, latest, forcereinstall, got 'installed'" \
	"bad.yml:14:24: unsupported parameter 'break_system_packages'" \
	"bad.yml:15:57: The 'version' argument conflicts"; do
	expect_in "$T/err" "$w"
done
expect_in "$T/err" "tend: 12 errors"
# templated values are left for the run; a specifier split on commas is
# joined back to its package (Ansible's _recover_package_name)
cat >"$T/ok.yml" <<'YML'
- hosts: all
  gather_facts: false
  vars: {st: absent}
  tasks:
    - pip: {name: foo, state: "{{ st }}", version: "1.0"}
    - pip: {name: "foo>=1,<2", extra_args: "--no-index -f '/srv/w x'"}
    - pip: {name: ["foo[a,b]>=1", "<2", bar], state: forcereinstall}
    - pip: {requirements: r.txt, virtualenv: v, chdir: /srv, umask: "0022"}
YML
run_tend 0 validate "$T/ok.yml"
run_tend 0 doc pip
for w in "virtualenv_command (str)" "default: virtualenv" \
	"choices: present, absent, latest, forcereinstall" "returns:" \
	"cmd: the pip command run" "example:"; do
	expect_in "$T/out" "$w"
done
run_tend 0 validate "$TOP/playbooks/python.yml"

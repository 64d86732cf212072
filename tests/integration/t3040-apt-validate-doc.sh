#!/bin/sh
# apt and package: what tend refuses is refused by `tend validate`, by
# name, at the place of the value (file:line:col), before any host is
# touched: a version with state=absent, build-dep, upgrade beside name or
# deb, clean/autoclean, a deb from a URL or with another state, name
# patterns, "a=1=2", deb with name, package's use= of another manager; dnf
# and yum are Ansible modules tend says it does not support. An upgrade of
# everything, policy_rc_d and an apt task with none of Ansible's
# required_one_of (which always holds there) pass. `tend doc` shows the
# args, returns and an example. apt_repository refuses ppa: and unknown
# args.
. "$(dirname "$0")/../lib/lib-test.sh"
cat >"$T/bad.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - apt: {name: "hello=2.10-3", state: absent}
    - apt: {name: hello, state: build-dep}
    - apt: {name: hello, upgrade: "no"}
    - apt: {name: hello, clean: true}
    - apt: {name: hello, upgrade: dist}
    - apt: {deb: "http://example.com/x.deb"}
    - apt: {deb: /tmp/x.deb, state: latest}
    - apt: {name: "hello*"}
    - apt: {name: "hello=1=2"}
    - apt: {deb: /tmp/x.deb, upgrade: safe}
    - apt: {deb: /tmp/x.deb, name: hello}
    - package: {name: hello, state: present, use: dnf}
    - package: {name: "hello=1.0", state: absent}
    - package: {name: hello}
    - dnf: {name: hello}
    - ansible.builtin.yum: {name: hello}
    - apt: {name: hello, autoclean: yes}
    - apt_repository: {repo: "ppa:foo/bar"}
    - apt_repository: {repo: "deb http://x.example/ bookworm main", codename: x, bogus: 1}
YML
run_tend 1 validate "$T/bad.yml"
expect_in "$T/err" "bad.yml:4:"
expect_in "$T/err" "state=absent with a version ('hello=2.10-3') is not supported"
expect_in "$T/err" "bad.yml:5:"
expect_in "$T/err" "state=build-dep is not supported"
expect_in "$T/err" "bad.yml:6:"
expect_in "$T/err" "parameters are mutually exclusive: name|upgrade"
expect_in "$T/err" "bad.yml:7:"
expect_in "$T/err" "clean=yes is not supported"
expect_in "$T/err" "bad.yml:8:"
[ "$(grep -c 'name|upgrade' "$T/err")" = 2 ] || fail "name with upgrade is refused twice"
expect_in "$T/err" "bad.yml:9:"
expect_in "$T/err" "deb from a URL is not supported"
expect_in "$T/err" "bad.yml:10:"
expect_in "$T/err" "deb only supports state=present"
expect_in "$T/err" "bad.yml:11:"
expect_in "$T/err" "package name patterns ('hello*') are not supported"
expect_in "$T/err" "bad.yml:12:"
expect_in "$T/err" "invalid package spec: hello=1=2"
expect_in "$T/err" "bad.yml:13:"
expect_in "$T/err" "parameters are mutually exclusive: deb|upgrade"
expect_in "$T/err" "parameters are mutually exclusive: deb|name"
expect_in "$T/err" "bad.yml:15:"
expect_in "$T/err" "use=dnf is not supported"
expect_in "$T/err" "bad.yml:16:"
expect_in "$T/err" "state=absent with a version ('hello=1.0') is not supported"
expect_in "$T/err" "bad.yml:17:"
expect_in "$T/err" "missing required arguments: state"
expect_in "$T/err" "bad.yml:18:"
expect_in "$T/err" "'dnf' is an Ansible module tend does not support yet"
expect_in "$T/err" "bad.yml:19:"
expect_in "$T/err" "'ansible.builtin.yum' is an Ansible module tend does not support yet"
expect_in "$T/err" "bad.yml:20:"
expect_in "$T/err" "autoclean=yes is not supported"
expect_in "$T/err" "bad.yml:21:"
expect_in "$T/err" "ppa: sources (Ubuntu's Launchpad) are not supported"
expect_in "$T/err" "bad.yml:22:"
expect_in "$T/err" "bogus"
# templated values are left for the run; the good forms pass
cat >"$T/ok.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - apt: {name: "{{ pkgs }}", state: absent}
    - apt: {name: "hello=2.*", state: present, allow_downgrade: yes}
    - apt: {name: [hello, "sl>=5"], state: latest, update_cache: yes, cache_valid_time: 3600}
    - apt: {update_cache: yes}
    - apt: {autoremove: yes, purge: yes}
    - apt: {deb: /tmp/x.deb}
    - ansible.builtin.package: {name: hello, state: absent, use: apt}
    - apt: {upgrade: dist, update_cache: true, autoremove: true}
    - apt: {upgrade: "yes", force_apt_get: true}
    - apt: {name: hello, policy_rc_d: 101}
    - apt: {purge: true}
    - apt: {}
YML
run_tend 0 validate "$T/ok.yml"
run_tend 0 doc apt
for w in update_cache cache_valid_time install_recommends dpkg_options allow_downgrade cache_updated cache_update_time "update_cache: true" dist-upgrade policy-rc.d; do
	expect_in "$T/out" "$w"
done
run_tend 0 doc package
expect_in "$T/out" "apt only"
run_tend 0 doc apt_repository
expect_in "$T/out" "filename"

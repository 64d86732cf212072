#!/bin/sh
# lxd_instance's bad input, refused by tend validate before any API is
# asked, each at its file:line:col: an expires_at that is no time, a ttl
# that is no duration, neither name nor count + hostname_pattern, a url
# that is neither unix: nor https:, name with count.
. "$(dirname "$0")/../lib/lib-test.sh"

cat >"$T/bad.yml" <<'YML'
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - lxd_instance: {name: a, image: x, expires_at: "next tuesday"}
    - lxd_instance: {name: b, image: x, ttl: forever}
    - lxd_instance: {image: x, count: 2}
    - lxd_instance: {name: c, url: "http://x"}
    - lxd_instance: {name: d, count: 2, hostname_pattern: "x{{ index }}"}
    - lxd_instance: {name: e, expires_at: "2030-01-01", ttl: 1d}
YML
run_tend 1 validate "$T/bad.yml"
expect_in "$T/err" "bad.yml:5:53: expires_at: expected a UTC time like 2026-11-20T10:00Z"
expect_in "$T/err" "bad.yml:6:46: ttl: bad duration 'forever'"
expect_in "$T/err" "bad.yml:7:39: lxd_instance: expected name, or count with hostname_pattern"
expect_in "$T/err" "bad.yml:8:36: url: expected unix:/path/to/unix.socket or https://host:port, got 'http://x'"
expect_in "$T/err" "bad.yml:9:38: parameters are mutually exclusive: name|count"
expect_in "$T/err" "parameters are mutually exclusive: expires_at|ttl"
expect_in "$T/err" "tend: 6 errors"

# templated values wait for the run; a good task passes
cat >"$T/good.yml" <<'YML'
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - lxd_instance:
        name: web
        image: busybox
        expires_at: "{{ until }}"
        url: "{{ where }}"
    - lxd_instance:
        count: 2
        hostname_pattern: "db-{{ index }}"
        image: busybox
        ttl: 7d
        expires_at: ~
YML
run_tend 0 validate "$T/good.yml"
echo ok

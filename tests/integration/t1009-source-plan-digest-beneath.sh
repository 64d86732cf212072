#!/bin/sh
# A saved plan's digest of a playbook and the files beside it (templates/,
# files/, ...) reads nothing outside a git source's checkout: a symlink
# there that leads out is bound by where it points, not followed. Before,
# `plan --out` of an untrusted pull request read whatever controller file
# a link in templates/ named, and put an Argon2id digest of it (a
# dictionary attack on a short secret) in the plan file. /proc/self/mem
# makes that read visible: reading it fails.
. "$(dirname "$0")/../lib/lib-test.sh"
export XDG_CACHE_HOME="$T/cache"

echo "TOPSECRET-file" >"$T/controller-secret.txt"
git init -q -b main "$T/src"
cd "$T/src"
printf 'web1 ansible_host=127.0.0.1 ansible_port=1\n' >hosts
mkdir templates files
cat >pb.yml <<'YML'
- hosts: web1
  gather_facts: false
  tasks: []
YML
ln -s /proc/self/mem templates/mem.j2
ln -s "$T/controller-secret.txt" files/secret.txt
git add -A
git -c user.name=Mallory -c user.email=m@example.org commit -q -m pr
cd "$T"

run_tend 0 plan --repo "$T/src" --ref main -i hosts pb.yml --out "$T/plan.json"
expect_not_in "$T/err" "mem.j2"
expect_not_in "$T/err" "cannot read"
[ -s "$T/plan.json" ] || fail "no plan file"

#!/bin/sh
# A git source's checkout holds the commit's bytes exactly: .gitattributes
# filters (eol=crlf) are not applied, so what runs is what was signed and
# the cache's verification does not find a changed tree on every run.
. "$(dirname "$0")/../lib/lib-test.sh"
export XDG_CACHE_HOME="$T/cache"
git init -q -b main "$T/src"
printf '*.txt text eol=crlf\n' >"$T/src/.gitattributes"
printf 'localhost ansible_connection=local\n' >"$T/src/hosts"
mkdir "$T/src/files"
printf 'line one\nline two\n' >"$T/src/files/data.txt"
cat >"$T/src/site.yml" <<YML
- hosts: localhost
  gather_facts: false
  tasks:
    - copy: { src: data.txt, dest: "$T/out.txt" }
YML
git -C "$T/src" add .
git -C "$T/src" -c user.name=Ada -c user.email=ada@example.org commit -q -m one
for i in 1 2; do
	run_tend 0 apply --repo "$T/src" --ref main --trust-source -i hosts site.yml
	expect_not_in "$T/err" "checked it out again"
	expect_content "$T/out.txt" "line one
line two
"
done

#!/bin/sh
# Roles from a git source read only beneath its checkout, as the
# playbook's own includes do: a role directory, a role's tasks file, its
# copy src in files/ and its lookup('file') that lead out by a symlink
# are refused naming the file; a roles path outside the checkout
# (ANSIBLE_ROLES_PATH) is not searched for a git source. Every role file
# the run reads is in a saved plan's `files`, and a role changed after the
# plan makes the plan stale.
. "$(dirname "$0")/../lib/lib-test.sh"
export XDG_CACHE_HOME="$T/cache"
echo "TOPSECRET-file" >"$T/secret.txt"
mkdir -p "$T/outside/evil/tasks" "$T/rp/far/tasks"
printf -- '- copy: { dest: "%s/outside-ran", content: x }\n' "$T" >"$T/outside/evil/tasks/main.yml"
cp "$T/outside/evil/tasks/main.yml" "$T/rp/far/tasks/main.yml"

git init -q -b main "$T/src"
cd "$T/src"
printf 'localhost ansible_connection=local\n' >hosts
mkdir -p roles/good/tasks roles/good/files roles/link/tasks roles/cp/tasks \
	roles/cp/files roles/lk/tasks
printf -- '- copy: { src: in.txt, dest: "%s/in-copy" }\n' "$T" >roles/good/tasks/main.yml
echo "inside content" >roles/good/files/in.txt
ln -s "$T/outside/evil" roles/evil
ln -s "$T/outside/evil/tasks/main.yml" roles/link/tasks/main.yml
printf -- '- copy: { src: s.txt, dest: "%s/d" }\n' "$T" >roles/cp/tasks/main.yml
ln -s "$T/secret.txt" roles/cp/files/s.txt
printf -- "- name: read the secret\n  debug: { msg: \"{{ lookup('file', 's.txt') }}\" }\n" >roles/lk/tasks/main.yml
mkdir roles/lk/files && ln -s "$T/secret.txt" roles/lk/files/s.txt
for r in good evil link cp lk far; do
	printf -- '- hosts: localhost\n  gather_facts: false\n  pre_tasks:\n    - copy: { dest: "%s/applied-%s", content: x }\n  roles: [%s]\n' \
		"$T" "$r" "$r" >"$r.yml"
done
git add . && git -c user.name=A -c user.email=a@example.org commit -qm roles
cd "$T"
src() { run_tend "$@" --repo "$T/src" --ref main --trust-source -i hosts; }
nothing_leaked() {
	expect_not_in "$T/out" "TOPSECRET"
	expect_not_in "$T/err" "TOPSECRET"
	[ ! -e "$T/outside-ran" ] || fail "a file outside the checkout ran"
	[ ! -e "$T/d" ] || fail "an outside file was copied"
}

src 0 apply good.yml
expect_content "$T/in-copy" "inside content
"
for case in evil:evil.yml:5 link:link.yml:5 cp:roles/cp/tasks/main.yml:1; do
	name=${case%%:*}
	where=${case#*:}
	src 1 apply "$name.yml"
	expect_in "$T/err" "$where:"
	expect_in "$T/err" "it leads outside the source checkout"
	[ ! -e "$T/applied-$name" ] || fail "$name: a task ran before the refusal"
	nothing_leaked
done
src 3 apply lk.yml
expect_in "$T/out" "lk : read the secret"
expect_in "$T/out" "it leads outside the source checkout"
nothing_leaked
ANSIBLE_ROLES_PATH="$T/rp" src 1 validate far.yml
expect_in "$T/err" "the role 'far' was not found in"
nothing_leaked

# a saved plan names the role files it read, and a changed role is stale
rm -f "$T/in-copy" "$T/applied-good"
run_tend 2 plan "$T/src/good.yml" -i "$T/src/hosts" --out "$T/plan.json" --detailed-exitcode
json_get "$T/plan.json" "[f['path'] for f in d['files']]" >"$T/files"
expect_in "$T/files" "'roles/good/tasks/main.yml'"
expect_in "$T/files" "'roles/good/files/in.txt'"
echo "changed" >"$T/src/roles/good/files/in.txt"
run_tend 4 apply "$T/plan.json"

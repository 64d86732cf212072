#!/bin/sh
# A playbook from a git source reads only beneath its checkout, signed or
# not: a playbook that is a symlink out, copy/template `src:` absolute, with
# '..' or through an in-repo symlink, vars_files, include_tasks,
# import_tasks, lookup('file') and group_vars that lead out are refused
# with an error naming the file and the path, before any task runs; the
# outside file's content shows nowhere. Paths that stay inside still work.
. "$(dirname "$0")/../lib/lib-test.sh"
export XDG_CACHE_HOME="$T/cache"

ssh-keygen -q -t ed25519 -N '' -C alice -f "$T/alice"
printf 'alice@example.org namespaces="git" %s\n' \
	"$(cut -d' ' -f1,2 "$T/alice.pub")" >"$T/allowed_signers"

# controller files outside the checkout
echo "TOPSECRET-file" >"$T/secret.txt"
printf 'leak: TOPSECRET-yaml\n' >"$T/outside.yml"
cat >"$T/outside-tasks.yml" <<EOF
- copy: { dest: "$T/outside-ran", content: "x" }
EOF
cat >"$T/outside-play.yml" <<EOF
- hosts: localhost
  gather_facts: false
  tasks:
    - copy: { dest: "$T/outside-ran", content: "x" }
EOF
# '..' enough to climb from any checkout to /, then down to $T
up=../../../../../../../../../../../../../../../..$T

git init -q -b main "$T/src"
g() { git -C "$T/src" -c user.name=Ada -c user.email=ada@example.org \
	-c gpg.format=ssh -c user.signingkey="$T/alice" "$@"; }
cd "$T/src"
printf 'localhost ansible_connection=local\n' >hosts
mkdir files templates tasks
# every playbook first applies a file, to show nothing ran before the refusal
pb() {
	name=$1; shift
	{
		printf -- '- hosts: localhost\n  gather_facts: false\n'
		[ -z "${VARS_FILES:-}" ] || printf '  vars_files: ["%s"]\n' "$VARS_FILES"
		printf '  tasks:\n'
		printf '    - copy: { dest: "%s/applied-%s", content: "x" }\n' "$T" "$name"
		printf '%s\n' "$@"
	} >"$name.yml"
}
pb src-abs "    - name: copy the secret" \
	"      copy: { src: \"$T/secret.txt\", dest: \"$T/d\" }"
pb src-dotdot "    - name: copy the secret" \
	"      copy: { src: \"$up/secret.txt\", dest: \"$T/d\" }"
ln -s "$T/secret.txt" files/link.txt
pb src-link "    - name: copy through a link" \
	"      copy: { src: link.txt, dest: \"$T/d\" }"
ln -s "$T/secret.txt" templates/t.j2
pb template-link "    - name: template through a link" \
	"      template: { src: t.j2, dest: \"$T/d\" }"
VARS_FILES="$up/outside.yml" pb vars-files "    - debug: { msg: '{{ leak }}' }"
pb include-out "    - include_tasks: $up/outside-tasks.yml"
ln -s "$T/outside-tasks.yml" tasks/inc.yml
pb import-link "    - import_tasks: tasks/inc.yml"
pb lookup-out "    - name: read the secret" \
	"      debug: { msg: \"{{ lookup('file', '$up/secret.txt') }}\" }"
pb src-templated "    - name: templated src" \
	"      copy: { src: \"{{ where }}\", dest: \"$T/d\" }"
ln -s "$T/outside-play.yml" evil.yml
# what stays inside works, through relative links and '..' too
echo "inside content" >files/in.txt
ln -s ../files/in.txt templates/in-link.j2
printf 'inside: yes\n' >vars.yml
printf -- '- copy: { dest: "%s/inside-task", content: "x" }\n' "$T" >tasks/ok.yml
VARS_FILES=vars.yml pb inside \
	"    - copy: { src: in.txt, dest: \"$T/in-copy\" }" \
	"    - template: { src: in-link.j2, dest: \"$T/in-template\" }" \
	"    - import_tasks: tasks/../tasks/ok.yml" \
	"    - debug: { msg: \"{{ inside }} {{ lookup('file', 'files/in.txt') }}\" }"
g add .
g commit -q -S -m "signed by alice"
cd "$T"

signed() { run_tend "$@" --repo "$T/src" --ref main --verify-signatures \
	--allowed-signers "$T/allowed_signers" -i hosts; }
nothing_leaked() {
	expect_not_in "$T/out" "TOPSECRET"
	expect_not_in "$T/err" "TOPSECRET"
	[ ! -e "$T/outside-ran" ] || fail "a file outside the checkout ran"
	[ ! -e "$T/d" ] || fail "an outside file was copied"
}

# the control: inside paths apply
signed 0 apply inside.yml
expect_content "$T/in-copy" "inside content
"
expect_content "$T/in-template" "inside content
"
[ -e "$T/inside-task" ] || fail "the inside include did not run"
expect_in "$T/out" "True inside content"

# the playbook itself is a symlink out
signed 1 apply evil.yml --diff
expect_in "$T/err" "refusing to read 'evil.yml': it leads outside the source checkout"
nothing_leaked

# refused as the playbook loads: named by file:line:col, nothing applied
for case in src-abs:src-abs.yml:6 src-dotdot:src-dotdot.yml:6 \
	src-link:src-link.yml:6 template-link:template-link.yml:6 \
	vars-files:vars-files.yml:3 include-out:include-out.yml:5 \
	import-link:import-link.yml:5; do
	name=${case%%:*}
	where=${case#*:}
	signed 1 apply "$name.yml" --diff
	expect_in "$T/err" "/$where:"
	expect_in "$T/err" "it leads outside the source checkout"
	[ ! -e "$T/applied-$name" ] || fail "$name: a task was applied before the refusal"
	nothing_leaked
	signed 1 plan "$name.yml" --diff
	nothing_leaked
done
expect_in "$T/err" "refusing to read 'tasks/inc.yml'"
signed 1 validate src-abs.yml
expect_in "$T/err" "src: refusing to read '$T/secret.txt'"

# known only at run time: refused at the read, naming the task
signed 3 plan lookup-out.yml --diff
expect_in "$T/out" "read the secret"
expect_in "$T/out" "lookup('file'"
expect_in "$T/out" "it leads outside the source checkout"
nothing_leaked
signed 3 apply src-templated.yml --diff -e where="$T/secret.txt"
expect_in "$T/out" "templated src"
expect_in "$T/out" "refusing to read '$T/secret.txt'"
nothing_leaked

# group_vars beside the playbook: a link out is refused
cd "$T/src"
mkdir group_vars
ln -s "$T/outside.yml" group_vars/all.yml
g add group_vars
g commit -q -S -m "group_vars link"
cd "$T"
signed 1 plan inside.yml
expect_in "$T/err" "refusing to read 'group_vars/all.yml'"
nothing_leaked

# any git source, not only a signed one: --trust-source confines reads too
run_tend 1 apply --repo "$T/src" --ref main --trust-source -i hosts src-abs.yml
expect_in "$T/err" "it leads outside the source checkout"
nothing_leaked

# a local playbook keeps Ansible's behaviour: it reads anywhere
cat >"$T/local.yml" <<EOF
- hosts: localhost
  gather_facts: false
  tasks:
    - copy: { src: "$T/secret.txt", dest: "$T/local-copy" }
EOF
run_tend 0 apply "$T/local.yml"
expect_content "$T/local-copy" "TOPSECRET-file
"

#!/bin/sh
# pip's scripts on the local connection, with a stand-in pip (a shell
# script that records its arguments and answers from files): the words a
# plan says (install, upgrade, downgrade, reinstall, remove), the exact
# command the apply runs (state words, extra_args split as a shell does
# with quotes, %, \ and a leading -, editable's -e, packages normalised
# as str(Requirement)), the probe's dry run beside it, changed as
# Ansible decides it from pip's words, requirements files for absent,
# and a pip without --dry-run judged from its freeze list. No python and
# no network: the real pip is t4050's.
. "$(dirname "$0")/../lib/lib-test.sh"
D=$T/fake
mkdir -p "$D/bin" "$D/wd"
cat >"$D/bin/pip" <<'SH'
#!/bin/sh
D=${0%/bin/pip}
for a in "$@"; do printf '[%s]' "$a"; done >>"$D/log"; echo >>"$D/log"
case $1 in
list) cat "$D/freeze" ;;
install)
	for a in "$@"; do
		[ "$a" = --dry-run ] || continue
		[ -e "$D/old" ] && { printf '\nno such option: --dry-run\n' >&2; exit 2; }
		cat "$D/would"
		exit 0
	done
	sed 's/^Would install/Successfully installed/' "$D/would"
	cp "$D/freeze.after" "$D/freeze" ;;
uninstall) echo "  Successfully uninstalled $3" ;;
esac
SH
chmod +x "$D/bin/pip"
printf 'localhost ansible_connection=local\n' >"$T/inv"
printf 'Foo_Bar==1.0\nbaz==2.0\n' >"$D/freeze"
printf 'foo-bar==2.0\nbaz==2.0\nnew==0.3\n' >"$D/freeze.after"
printf 'Would install Foo_Bar-2.0 new-0.3\n' >"$D/would"
printf 'baz>=1 # kept\n-r other.txt\n\nnot-there\n' >"$D/wd/req.txt"
cat >"$T/pb.yml" <<YML
- hosts: all
  gather_facts: false
  vars: {pip: "$D/bin/pip"}
  tasks:
    - pip:
        name: ["foo_bar >= 1", "< 3", "new[b, a]"]
        state: latest
        executable: "{{ pip }}"
        extra_args: "--index-url 'http://x/%s \\\\ \"q\"' -v"
        editable: true
      register: r
    - pip: {requirements: req.txt, chdir: "$D/wd", state: absent, executable: "{{ pip }}"}
    - pip: {name: nothere, state: absent, executable: "{{ pip }}"}
    - debug: {var: r.cmd}
YML
run_tend 2 plan --detailed-exitcode -i "$T/inv" "$T/pb.yml"
expect_in "$T/out" "upgrade foo-bar 1.0 -> 2.0"
expect_in "$T/out" "install new 0.3"
expect_in "$T/out" "remove baz"
expect_not_in "$T/out" "remove not-there"
# the dry run is the apply's command, with --dry-run --no-cache-dir
expect_in "$D/log" "[install][--dry-run][--no-cache-dir][-U][--index-url][http://x/%s \\ \"q\"][-v][-e][foo_bar<3,>=1][new[a,b]]"
: >"$D/log"
run_tend 0 apply -i "$T/inv" "$T/pb.yml"
expect_in "$D/log" "[install][-U][--index-url][http://x/%s \\ \"q\"][-v][-e][foo_bar<3,>=1][new[a,b]]"
expect_in "$D/log" "[uninstall][-y][-r][req.txt]"
expect_in "$T/out" "\"$D/bin/pip\","
expect_in "$T/out" "\"foo_bar<3,>=1\","
# changed from pip's words: 2 (Successfully ...), the absent nothere ok
expect_in "$T/out" "changed=2"
# a pip without --dry-run: present is judged from the freeze list
touch "$D/old"
cat >"$T/old.yml" <<YML
- hosts: all
  gather_facts: false
  tasks:
    - pip: {name: "foo-bar>=2", executable: "$D/bin/pip"}
    - pip: {name: "baz==1.0", executable: "$D/bin/pip"}
    - pip: {name: baz, state: forcereinstall, executable: "$D/bin/pip"}
YML
run_tend 2 plan --detailed-exitcode -i "$T/inv" "$T/old.yml"
expect_in "$T/out" "install baz==1.0 (over baz 2.0)"
expect_in "$T/out" "this pip has no --dry-run"
expect_in "$T/out" "1 to change, 1 ok, 1 unknown"

#!/bin/sh
# raw and script locally (their results, side by side with Ansible, are
# compat-raw-script's): a script's bytes arrive as they are (NUL, 0xff),
# its directory under ~/.ansible/tmp is gone after it; a plan runs
# neither and says it would; what they do not take is refused at
# validate, by name.
. "$(dirname "$0")/../lib/lib-test.sh"
mkdir -p "$T/files" "$T/home"
printf '#!/bin/sh\nprintf "a\\000b\\377c" > "$1/out"; printf "%%s|" "$@"; echo "$0" > "$1/path"\n' >"$T/files/s.sh"
printf 'localhost ansible_connection=local\n' >"$T/inv"
cat >"$T/pb.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - raw: printf '%s\n' "$0" > {{ base }}/raw
    - script: s.sh {{ base }} '-n' "50%" 'a\b'
      register: s
    - copy: {dest: "{{ base }}/stdout", content: "{{ s.stdout }}"}
YML
mkdir "$T/b"
HOME=$T/home run_tend 0 plan --detailed-exitcode -i "$T/inv" "$T/pb.yml" -e base="$T/b"
expect_in "$T/out" "would run the text"
expect_in "$T/out" "would run the script"
[ ! -e "$T/b/raw" ] && [ ! -e "$T/b/out" ] || fail "a plan ran raw or script"
HOME=$T/home run_tend 0 apply -i "$T/inv" "$T/pb.yml" -e base="$T/b"
expect_content "$T/b/raw" "/bin/sh
"
printf 'a\000b\377c' >"$T/want"
cmp -s "$T/want" "$T/b/out" || fail "the script's bytes changed on the way"
expect_content "$T/b/stdout" "$T/b|-n|50%|a\\b|"
case $(cat "$T/b/path") in
"$T"/home/.ansible/tmp/tend-script.*/s.sh) ;;
*) fail "the script ran as $(cat "$T/b/path")" ;;
esac
[ -z "$(ls "$T/home/.ansible/tmp")" ] || fail "the script's directory was left behind"

cat >"$T/bad.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - raw: "true"
      args: {chdir: /tmp}
    - script: s.sh
      args: {stdin: x}
YML
run_tend 1 validate "$T/bad.yml"
expect_in "$T/err" "bad.yml:5:"
expect_in "$T/err" "chdir"
expect_in "$T/err" "bad.yml:7:"
expect_in "$T/err" "stdin"

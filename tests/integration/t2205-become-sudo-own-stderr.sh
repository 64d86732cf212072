#!/bin/sh
# With become, what sudo itself says on stderr ("unable to resolve host",
# seen on a fresh container whose hostname does not resolve) is not the
# command's stderr: Ansible's results do not hold it, and tend's registered
# stderr is the command's only. When sudo refuses to run, its words stay:
# they say why. Locally (a sudo on PATH that talks first) and over SSH.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-sshd.sh"
command -v sudo >/dev/null || fail "sudo is not installed (make test-deps)"
real=$(command -v sudo)
mkdir -p "$T/bin" "$T/refuse"
printf '#!/bin/sh\necho "sudo: unable to resolve host x: Name or service not known" >&2\nexec %s "$@"\n' "$real" >"$T/bin/sudo"
printf '#!/bin/sh\necho "sudo: a password is required" >&2\nexit 1\n' >"$T/refuse/sudo"
chmod +x "$T/bin/sudo" "$T/refuse/sudo"
cat >"$T/pb.yml" <<'YML'
- hosts: all
  gather_facts: false
  become: true
  tasks:
    - shell: 'printf "%s\n" -out%; printf "%s\n" "\err" >&2'
      register: r
    - copy: {dest: "{{ out }}", content: "{{ r.stdout }}|{{ r.stderr }}"}
YML
PATH="$T/bin:$PATH" run_tend 0 apply "$T/pb.yml" -e out="$T/local"
expect_content "$T/local" '-out%|\err'
PATH="$T/refuse:$PATH" run_tend 3 apply -v "$T/pb.yml" -e out="$T/never"
expect_in "$T/out" "a password is required"
# over SSH (the host's own sudo): the command's stderr, nothing of the
# marker that tells sudo's words from the command's
sshd_start 1 "$T/sshd"
run_tend 0 apply -i "$T/sshd/inventory" "$T/pb.yml" -e out="$T/ssh"
expect_content "$T/ssh" '-out%|\err'

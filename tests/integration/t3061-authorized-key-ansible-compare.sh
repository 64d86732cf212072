#!/bin/sh
# authorized_key as ansible.posix's, on this machine's root account but
# only in files under the test's directory (path): a file with comments,
# a line it cannot parse, a key written twice, `\#`, options with quoted
# commas; key_options and comment replacing a key's own; state=absent;
# exclusive with several keys (one a "#" line, one blank); a new file
# with manage_dir on and off. The files and directories (content, modes)
# are ansible-playbook's, and a second run changes nothing.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-compare.sh"
K1='ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA7sP53k0J7acPB8sqT65IhNeSyHTEaXbFsImGPE6Two k1@laptop'
K2='ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBmCqwkscCsNxJ1ppdbFqooX8aRVEmpu5lH1J9El1+FG k2 two words'
K3='ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAiKU7m4zKqAOgHcvbk1keanJOrGJ9zi2LN+ISglSF/C k3'
K4='ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIz2l19olVUsbxfVo0QUliUWwHLcgslniLd3/kuT/uom k4'
cat >"$T/pb.yml" <<YML
- hosts: localhost
  connection: local
  gather_facts: false
  vars:
    k1: "$K1"
    k2: "$K2"
    k3: "$K3"
    k4: "$K4"
  tasks:
    - file: { path: "{{ base }}/a", state: directory, mode: "0700" }
    - name: a file with everything
      copy:
        dest: "{{ base }}/a/keys"
        mode: "0644"
        force: false
        content: |
          # a comment
          no-pty,from="1.2.3.4"   $K1
          garbage that is no key
          $K3
          $K3 again
          $K4
          environment="A=b\\#c" $K2
    - name: k1 without options (moves to the end)
      authorized_key: { user: root, path: "{{ base }}/a/keys", key: "{{ k1 }}" }
    - name: k2 options with a quoted comma
      authorized_key:
        user: root
        path: "{{ base }}/a/keys"
        key: "{{ k2 }}"
        key_options: 'command="echo \"a,b\" 50%",no-agent-forwarding'
    - name: k3 new comment
      authorized_key: { user: root, path: "{{ base }}/a/keys", key: "{{ k3 }}", comment: "new % \\\\ 'c'" }
    - name: k4 absent
      authorized_key: { user: root, path: "{{ base }}/a/keys", key: "{{ k4 }}", state: absent }
    - file: { path: "{{ base }}/d", state: directory, mode: "0700" }
    - name: other keys before exclusive
      copy: { dest: "{{ base }}/d/keys", mode: "0600", force: false, content: "$K3\n# old\n$K2\n" }
    - name: exclusive, several keys
      authorized_key:
        user: root
        path: "{{ base }}/d/keys"
        key: "{{ k1 }}\n# not a key\n\n{{ k2 }}\n"
        exclusive: true
    - name: a new file, manage_dir
      authorized_key: { user: root, path: "{{ base }}/b/keys", key: "{{ k4 }}" }
    - name: a new file, no manage_dir
      authorized_key: { user: root, path: "{{ base }}/c/sub/keys", key: "{{ k4 }}", manage_dir: false }
YML
compare_run ak "$T/pb.yml" localhost,
run_tend 0 apply "$T/pb.yml" -i localhost, -e base="$T/ak-tend"
expect_in "$T/out" "changed=0"

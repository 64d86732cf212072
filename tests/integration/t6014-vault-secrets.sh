#!/bin/sh
# Vault-decrypted values (a !vault var, an encrypted vars_files, encrypted
# group_vars) reach the host as themselves but never stdout, stderr, any
# --format, the plan file or the state DB (and its WAL), even when a
# command echoes one back. Then `tend vault edit`: the plaintext lives in
# a private file only while the editor runs.
. "$(dirname "$0")/../lib/lib-test.sh"
S1=Inline-S3cret-9zq S2=VarsFile-S3cret-4qx S3=GroupVars-S3cret-7kw
printf 'vault pw\n' >"$T/pw"
mkdir -p "$T/pb/group_vars/all" "$T/r"
printf 'local1 ansible_connection=local\n' >"$T/pb/inventory.ini"
printf 'vf_secret: "%s"\nvf_port: 8443\n' "$S2" >"$T/pb/vf.yml"
printf 'gv_secret: "%s"\n' "$S3" >"$T/pb/group_vars/all/vault.yml"
for f in vf.yml group_vars/all/vault.yml; do
	run_tend 0 vault encrypt --vault-password-file "$T/pw" "$T/pb/$f"
done
"$TEND" vault encrypt_string --vault-password-file "$T/pw" --name inl "$S1" >"$T/inl.yml" ||
	fail "encrypt_string"
{
	printf -- '- hosts: all\n  gather_facts: false\n  vars_files: [vf.yml]\n  vars:\n'
	sed 's/^/    /' "$T/inl.yml"
	cat <<'YML'
  tasks:
    - copy: { content: "a={{ inl }} b={{ vf_secret }} c={{ gv_secret }} p={{ vf_port }}\n", dest: "{{ root }}/all", mode: "0600" }
    - copy: { content: "{{ inl }}", dest: "{{ root }}/inl" }
    - debug: { var: inl }
    - debug: { msg: "{{ vf_secret }}" }
    - debug: { var: gv_secret }
    - command: echo {{ inl }} {{ vf_secret }} {{ gv_secret }}
      register: echoed
    - debug: { var: echoed.stdout }
    - fail: { msg: "{{ gv_secret }}" }
      ignore_errors: true
YML
} >"$T/pb/site.yml"
no_secret() {
	for s in "$S1" "$S2" "$S3"; do
		! grep -rqaF -- "$s" "$@" || fail "secret '$s' found in $*"
	done
}
for fmt in text json markdown junit; do
	run_tend 0 plan "$T/pb/site.yml" -i "$T/pb/inventory.ini" -e root="$T/r" \
		--vault-password-file "$T/pw" --format $fmt --out "$T/plan.json"
	no_secret "$T/out" "$T/err" "$T/plan.json"
	run_tend 0 apply "$T/pb/site.yml" -i "$T/pb/inventory.ini" -e root="$T/r" \
		--vault-password-file "$T/pw" --format $fmt --diff
	no_secret "$T/out" "$T/err"
done
expect_content "$T/r/all" "a=$S1 b=$S2 c=$S3 p=8443
"
expect_content "$T/r/inl" "$S1"
run_tend 0 apply "$T/plan.json" --vault-password-file "$T/pw"
no_secret "$T/out" "$T/err"
ls "$T/state/tend/" | grep -q 'tend.db' || fail "no state DB"
no_secret "$T/state"
# the host's file is the only place that holds them
grep -qF "$S2" "$T/r/all" || fail "the host did not get the secret"

# tend vault edit: the editor sees the plaintext in a 0600 file inside a
# 0700 directory; what it saves is encrypted back; nothing is left behind
cat >"$T/editor.sh" <<'SH'
#!/bin/sh
stat -c '%a' "$1" >"$EDIT_LOG"
stat -c '%a' "$(dirname "$1")" >>"$EDIT_LOG"
echo "$1" >>"$EDIT_LOG"
printf 'added: "line"\n' >>"$1"
SH
chmod +x "$T/editor.sh"
EDITOR="$T/editor.sh" EDIT_LOG="$T/edit.log" TMPDIR="$T" \
	run_tend 0 vault edit --vault-password-file "$T/pw" "$T/pb/vf.yml"
[ "$(sed -n 1p "$T/edit.log")" = 600 ] || fail "the plaintext file was not 0600"
[ "$(sed -n 2p "$T/edit.log")" = 700 ] || fail "its directory was not 0700"
tmpf=$(sed -n 3p "$T/edit.log")
[ ! -e "$tmpf" ] && [ ! -e "$(dirname "$tmpf")" ] || fail "the plaintext was left in $tmpf"
head -n 1 "$T/pb/vf.yml" | grep -qx '\$ANSIBLE_VAULT;1.1;AES256' || fail "not encrypted back"
no_secret "$T/pb/vf.yml"
run_tend 0 vault view --vault-password-file "$T/pw" "$T/pb/vf.yml"
expect_content "$T/out" "vf_secret: \"$S2\"
vf_port: 8443
added: \"line\"
"
# an editor that fails leaves the file as it was, and no plaintext
cp "$T/pb/vf.yml" "$T/before"
printf '#!/bin/sh\necho "$1" >"$EDIT_LOG"\nexit 1\n' >"$T/editor.sh"
EDITOR="$T/editor.sh" EDIT_LOG="$T/edit.log" TMPDIR="$T" \
	run_tend 1 vault edit --vault-password-file "$T/pw" "$T/pb/vf.yml"
cmp -s "$T/before" "$T/pb/vf.yml" || fail "a failed edit changed the file"
[ ! -e "$(cat "$T/edit.log")" ] || fail "a failed edit left the plaintext"

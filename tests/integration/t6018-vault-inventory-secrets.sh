#!/bin/sh
# An inventory encrypted whole with ansible-vault (INI or YAML) is secret
# as an encrypted vars file is: its host and group vars reach the host as
# themselves but never stdout, stderr, the plan file or the state DB.
# Before, its values were plain once decrypted and printed as they are.
. "$(dirname "$0")/../lib/lib-test.sh"
HS=HostVar-S3cret-8rt GS=GroupVar-S3cret-2mv YS=YamlInv-S3cret-5pd
printf 'vault pw\n' >"$T/pw"
mkdir -p "$T/pb" "$T/r"
printf 'local1 ansible_connection=local host_secret=%s\n[all:vars]\ngroup_secret=%s\n' \
	"$HS" "$GS" >"$T/pb/inv.ini"
printf 'all:\n  hosts:\n    local2:\n      ansible_connection: local\n      host_secret: %s\n  vars:\n    group_secret: %s\n' \
	"$YS" "$GS" >"$T/pb/inv.yml"
for f in inv.ini inv.yml; do
	run_tend 0 vault encrypt --vault-password-file "$T/pw" "$T/pb/$f"
done
cat >"$T/pb/site.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - copy: { content: "{{ host_secret }} {{ group_secret }}\n", dest: "{{ root }}/{{ inventory_hostname }}" }
    - debug: { msg: "h={{ host_secret }} g={{ group_secret }}" }
    - debug: { var: host_secret }
YML
no_secret() {
	for s in "$HS" "$GS" "$YS"; do
		! grep -rqaF -- "$s" "$@" || fail "secret '$s' found in $*"
	done
}
for inv in inv.ini inv.yml; do
	run_tend 0 plan "$T/pb/site.yml" -i "$T/pb/$inv" -e root="$T/r" \
		--vault-password-file "$T/pw" --format json --out "$T/plan.json"
	no_secret "$T/out" "$T/err" "$T/plan.json"
	run_tend 0 apply "$T/pb/site.yml" -i "$T/pb/$inv" -e root="$T/r" \
		--vault-password-file "$T/pw" --diff
	no_secret "$T/out" "$T/err"
done
expect_content "$T/r/local1" "$HS $GS
"
expect_content "$T/r/local2" "$YS $GS
"
no_secret "$T/state"

#!/bin/sh
# deb822_repository on a real Debian 12 machine, read by apt itself. The
# test builds a small apt repository signed with gpg key a (and a key b
# that did not sign it), served inside the container by python3's
# http.server, and adds it as deb822 sources: the key fetched by URL
# (armored -> /etc/apt/keyrings/NAME.asc, binary -> .gpg), as a key
# block in Signed-By, as a keyring path, fetched by the controller on a
# host without curl or wget (its URL's password never shown), and a
# disabled source of hostile values (%, spaces, quotes, $(...), `...`,
# {{, leading -). The files are
# Ansible 2.19's bytes (tests/fixtures/deb822/*.sources, recorded from
# ansible-core 2.19's ansible-playbook, docs/packages.md), `tend plan`
# says what will change with the file's diff, `apt-get update` reads
# them all with no NO_PUBKEY and `apt-cache policy` lists the repository;
# a re-apply is all ok, one round trip a check. The source signed by the
# wrong key fails apt-get update's signature check until it is removed
# (state=absent removes the file and NAME's key). A key URL that answers
# 404, or no server, fails its task with Ansible's words and writes
# nothing.
#
# ansible-core 2.14 (CI's) has no deb822_repository, so the comparison
# with ansible-playbook is not run here; DEB822_ANSIBLE=DIR (a directory
# where ansible-core 2.19's .deb was unpacked, with python3-debian and
# python3-chardet unpacked beside it) runs it side by side with that
# ansible-playbook on a pair of containers: statuses and the machines'
# files compared (by hand only: docs/packages.md).
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-container.sh"
. "$TOP/tests/lib/lib-ct-compare.sh"
. "$TOP/tests/lib/lib-serve.sh"
command -v gpg >/dev/null || fail "gpg is not installed here (make test-deps)"
t0=$(date +%s)
step() { echo "t4080: $1 at $(($(date +%s) - t0)) s" >&2; }
F=$TOP/tests/fixtures/deb822
P=$T/pb
W=$T/www
mkdir -p "$P" "$W/repo" "$W/keys" "$T/ctl"
cp "$F"/*.yml "$P/"

# keys a (signs the repository) and b; the repository: one package, a
# flat index, an InRelease signed by a
export GNUPGHOME="$T/gnupg"
mkdir -m 700 "$GNUPGHOME"
for k in a b; do
	gpg -q --batch --passphrase '' --quick-gen-key "Tend Repo $k <$k@example.com>" \
		ed25519 sign never 2>/dev/null || fail "gpg cannot make key $k"
	gpg --armor --export "$k@example.com" >"$T/$k.asc"
	gpg --export "$k@example.com" >"$T/$k.gpg"
done
cp "$T/a.asc" "$P/a.asc"
cp "$T/a.asc" "$T/a.gpg" "$W/keys/"
cp "$T/a.asc" "$T/ctl/a.asc"
d=$T/build
mkdir -p "$d/DEBIAN"
printf 'Package: tendpkg\nVersion: 1.0-1\nArchitecture: all\nMaintainer: tend <tend@example.com>\nDescription: tend test package\n' \
	>"$d/DEBIAN/control"
dpkg-deb -Zgzip --root-owner-group --build "$d" "$W/repo/tendpkg_1.0-1_all.deb" >/dev/null ||
	fail "dpkg-deb failed"
f=$W/repo/tendpkg_1.0-1_all.deb
{
	dpkg-deb -f "$f"
	echo "Filename: ./${f##*/}"
	echo "Size: $(stat -c %s "$f")"
	echo "SHA256: $(sha256sum "$f" | cut -d' ' -f1)"
} >"$W/repo/Packages"
{
	echo "Origin: tend"
	echo "Label: tend"
	echo "Date: $(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S UTC')"
	echo "SHA256:"
	echo " $(sha256sum "$W/repo/Packages" | cut -d' ' -f1) $(stat -c %s "$W/repo/Packages") Packages"
} >"$W/repo/Release"
gpg -q --batch --local-user a@example.com --digest-algo SHA256 --clearsign \
	-o "$W/repo/InRelease" "$W/repo/Release" || fail "gpg cannot sign the Release"
unset GNUPGHOME
tar -C "$W" -cf "$T/www.tar" .

# the machines: tend's (dt) alone, or a pair with Ansible 2.19's (da)
if [ -n "${DEB822_ANSIBLE:-}" ]; then
	mkdir -p "$T/bin"
	cat >"$T/bin/ansible-playbook" <<EOF
#!/bin/sh
# 2.19's json callback is ansible.posix's: the system's collections
ANSIBLE_COLLECTIONS_PATH=/usr/lib/python3/dist-packages \
PYTHONPATH="$DEB822_ANSIBLE/usr/lib/python3/dist-packages" exec python3 "$DEB822_ANSIBLE/usr/bin/ansible-playbook" "\$@"
EOF
	chmod +x "$T/bin/ansible-playbook"
	PATH=$T/bin:$PATH
	export ANSIBLE_PIPELINING=1
	ct_pair d
	MACHINES="da dt"
	ct_exec da sh -c 'apt-get -q update && apt-get -qy install python3-debian' \
		>/dev/null 2>&1 || fail "cannot install python3-debian on da"
else
	ct_launch dt
	{
		sed "1s/^dt /d /" "$CT_DIR/dt/line"
	} >"$CT_DIR/d.tend.inv"
	MACHINES=dt
fi
serve_start "$T/ctl"
for c in $MACHINES; do
	ct_push "$c" "$T/www.tar" /root/www.tar
	# only the test's sources: apt-get update reads nothing else
	ct_exec "$c" sh -c 'rm -f /etc/apt/sources.list /etc/apt/sources.list.d/* &&
		printf "%s\n" "Acquire::http::Proxy::127.0.0.1 \"DIRECT\";" \
			"Acquire::http::Proxy::localhost \"DIRECT\";" \
			>/etc/apt/apt.conf.d/99tend-direct &&
		mkdir -p /srv/www && tar -C /srv/www -xf /root/www.tar &&
		for r in r2 r3 r4; do ln -s repo /srv/www/$r; done &&
		rm -rf /etc/apt/keyrings &&
		mkdir /opt/nc && for f in /usr/bin/* /usr/sbin/*; do
		case ${f##*/} in curl | wget) ;; *) ln -sf "$f" /opt/nc/ ;; esac; done' ||
		fail "cannot set up $c"
	ct_exec "$c" mkdir -p /srv/keys
	ct_push "$c" "$T/a.gpg" /srv/keys/a.gpg
	ct_push "$c" "$T/b.gpg" /srv/keys/b.gpg
	_ct_lxc config device add "$(_ct_name "$c")" ctl proxy bind=instance \
		listen="tcp:127.0.0.1:$HTTP_PORT" connect="tcp:127.0.0.1:$HTTP_PORT" \
		>/dev/null || fail "cannot add the proxy to this machine's server"
	ct_exec "$c" systemd-run -q --unit www python3 -m http.server 8080 \
		--bind 127.0.0.1 --directory /srv/www || fail "cannot start the server"
done
for c in $MACHINES; do
	ct_exec "$c" sh -c 'for i in $(seq 50); do curl -fs -o /dev/null http://127.0.0.1:8080/keys/a.asc && exit 0; sleep 0.1; done; exit 1' ||
		fail "the server does not answer on $c"
done
step "machine up"

# run STEP PLAYBOOK [RC]: tend (and Ansible 2.19's, paired) applies it
run() {
	if [ -n "${DEB822_ANSIBLE:-}" ]; then
		CT_RC=${3:-0} ct_pair_run d "$1" "$P/$2" -e ctl_port=$HTTP_PORT
	else
		run_tend "${3:-0}" apply --stats --format json -i "$CT_DIR/d.tend.inv" \
			"$P/$2" -e ctl_port=$HTTP_PORT
		cp "$T/out" "$T/d.$1.tend.json"
		grep "stats:" "$T/err" | sed "s/^/t4080: $1 /" >&2 || true
	fi
}
changed() {
	json_get "$T/d.$1.tend.json" "d['hosts'][0]['stats']['changed']"
}
STATE='cd /etc/apt && stat -c "%n %a %U:%G" keyrings; for f in sources.list.d/* keyrings/*; do
	[ -e "$f" ] && echo "$f $(stat -c "%a %U:%G" "$f") $(sha256sum <"$f" | cut -c1-16)"; done;
	ls /tmp/pwned 2>&1; true'

# the plan: the files' diffs, the keys to fetch
run_tend 2 plan --detailed-exitcode -i "$CT_DIR/d.tend.inv" "$P/site.yml" -e ctl_port=$HTTP_PORT
for w in "create directory /etc/apt/keyrings (0755)" \
	"write key /etc/apt/keyrings/tend-repo.asc (" \
	"bytes from http://127.0.0.1:8080/keys/a.asc)" \
	"write key /etc/apt/keyrings/tend-bin.gpg" \
	"write key /etc/apt/keyrings/tend-ctl.asc (" \
	"bytes from http://127.0.0.1:$HTTP_PORT/a.asc)" \
	"+++ after: /etc/apt/sources.list.d/tend-repo.sources" \
	"+Signed-By: /etc/apt/keyrings/tend-repo.asc" \
	"+X-Repolib-Name: Tend Repo" \
	"+    -----BEGIN PGP PUBLIC KEY BLOCK-----" \
	"+Components: c \"d\" \$(touch /tmp/pwned) \`touch /tmp/pwned\` {{ x }}" \
	"+X-Repolib-Name: Odd %s 'q' \"d\" \\ x" \
	"state: absent -> file"; do
	expect_in "$T/out" "$w"
done
expect_not_in "$T/out" "s3cret"
ct_exec dt sh -c "$STATE" >"$T/before"
expect_not_in "$T/before" "tend"

step plan
run site site.yml
[ "$(changed site)" = 6 ] || fail "site: $(changed site) changed, expected 6"
for f in tend-repo tend-bin tend-inline tend-path tend-ctl odd-s-q-d--x; do
	ct_exec dt cat "/etc/apt/sources.list.d/$f.sources" >"$T/$f.sources"
	# @KEY@: key a's armored lines, as Signed-By's continuation lines
	awk -v kf="$T/a.asc" '$0 == "@KEY@" { while ((getline l < kf) > 0) {
		if (l == "") l = "."; print "    " l }; next } { print }' \
		"$F/$f.sources" >"$T/$f.want"
	cmp -s "$T/$f.sources" "$T/$f.want" || {
		diff -u "$T/$f.want" "$T/$f.sources" || true
		fail "$f.sources is not Ansible 2.19's"
	}
done
ct_exec dt sh -c "$STATE" >"$T/machine"
for w in "keyrings 755 root:root" "sources.list.d/tend-path.sources 600 root:root" \
	"sources.list.d/tend-repo.sources 644 root:root" \
	"keyrings/tend-repo.asc 644 root:root" "keyrings/tend-bin.gpg 644" \
	"keyrings/tend-ctl.asc 644" "No such file or directory"; do
	expect_in "$T/machine" "$w"
done
expect_not_in "$T/machine" "tend-inline.asc"
ct_exec dt cmp /etc/apt/keyrings/tend-bin.gpg /srv/keys/a.gpg || fail "tend-bin.gpg is not key a"
expect_in "$T/d.site.tend.json" "/etc/apt/sources.list.d/tend-repo.sources /etc/apt/keyrings/tend-repo.asc"
expect_in "$T/d.site.tend.json" "\" /srv/keys/a.gpg\""
expect_in "$T/d.site.tend.json" "/etc/apt/sources.list.d/odd-s-q-d--x.sources"
[ -z "${DEB822_ANSIBLE:-}" ] || ct_pair_state d "$STATE"

# apt reads them: every source signed, the repository listed
ct_exec dt apt-get update >"$T/update" 2>&1 || { cat "$T/update"; fail "apt-get update failed"; }
expect_not_in "$T/update" "NO_PUBKEY"
expect_not_in "$T/update" "W:"
ct_exec dt apt-cache policy >"$T/policy" 2>&1
for u in "http://127.0.0.1:8080/repo ./ Packages" "http://127.0.0.1:8080/r2 ./ Packages" \
	"file:/srv/www/repo ./ Packages" "http://localhost:8080/repo ./ Packages" \
	"http://127.0.0.1:8080/r3 ./ Packages"; do
	expect_in "$T/policy" "$u"
done
expect_not_in "$T/policy" "127.0.0.1:9"
ct_exec dt apt-cache policy tendpkg >"$T/policy" 2>&1
expect_in "$T/policy" "Candidate: 1.0-1"
step "apt read them"

# drift: a file's mode and text, a key's mode; the plan says what, the
# apply puts them back
for c in $MACHINES; do
	ct_exec "$c" sh -c 'chmod 0640 /etc/apt/sources.list.d/tend-bin.sources &&
		chmod 0600 /etc/apt/keyrings/tend-bin.gpg &&
		sed -i "s,^URIs: .*,URIs: http://127.0.0.1:8080/old," /etc/apt/sources.list.d/tend-ctl.sources'
done
run_tend 2 plan --detailed-exitcode -i "$CT_DIR/d.tend.inv" "$P/site.yml" -e ctl_port=$HTTP_PORT
for w in "mode: 0640 -> 0644" "/etc/apt/keyrings/tend-bin.gpg: mode 0600 -> 0644" \
	"-URIs: http://127.0.0.1:8080/old" "+URIs: http://127.0.0.1:8080/r3"; do
	expect_in "$T/out" "$w"
done
run drift site.yml
[ "$(changed drift)" = 2 ] || fail "drift: $(changed drift) changed, expected 2"
ct_exec dt sh -c "$STATE" >"$T/machine"
expect_in "$T/machine" "sources.list.d/tend-bin.sources 644"
expect_in "$T/machine" "keyrings/tend-bin.gpg 644"
[ -z "${DEB822_ANSIBLE:-}" ] || ct_pair_state d "$STATE"

# again: nothing to change, one round trip a check
run again site.yml
[ "$(changed again)" = 0 ] || fail "the re-apply changed something"
run_tend 0 plan --detailed-exitcode --stats -i "$CT_DIR/d.tend.inv" "$P/site.yml" -e ctl_port=$HTTP_PORT
expect_in "$T/err" "stats: 6 round trips for 7 task results"

# the wrong key: apt's signature check fails, until it is removed
run wrong wrong.yml
[ "$(changed wrong)" = 1 ] || fail "wrong: not changed"
set +e
ct_exec dt apt-get update >"$T/update" 2>&1
rc=$?
set -e
[ "$rc" != 0 ] || { cat "$T/update"; fail "apt-get update took a repository signed by another key"; }
expect_in "$T/update" "NO_PUBKEY"
expect_in "$T/update" "http://127.0.0.1:8080/r4"
run_tend 2 plan --detailed-exitcode -i "$CT_DIR/d.tend.inv" "$P/absent.yml"
expect_in "$T/out" "remove /etc/apt/sources.list.d/tend-wrong.sources"
expect_in "$T/out" "remove /etc/apt/keyrings/tend-repo.asc"
run absent absent.yml
[ "$(changed absent)" = 2 ] || fail "absent: $(changed absent) changed, expected 2"
expect_in "$T/d.absent.tend.json" "/etc/apt/sources.list.d/tend-repo.sources /etc/apt/keyrings/tend-repo.gpg \""
ct_exec dt sh -c "$STATE" >"$T/machine"
expect_not_in "$T/machine" "tend-wrong"
expect_not_in "$T/machine" "tend-repo"
expect_in "$T/machine" "keyrings/tend-bin.gpg"
ct_exec dt apt-get update >"$T/update" 2>&1 || { cat "$T/update"; fail "apt-get update failed after the removal"; }
[ -z "${DEB822_ANSIBLE:-}" ] || ct_pair_state d "$STATE"
run absent-again absent.yml
[ "$(changed absent-again)" = 0 ] || fail "absent again changed something"

# bad input: Ansible's words, nothing written
run bad bad.yml
expect_in "$T/d.bad.tend.json" "Could not fetch signed_by key: HTTP Error 404: File not found"
expect_in "$T/d.bad.tend.json" "Could not fetch signed_by key: "
[ "$(json_get "$T/d.bad.tend.json" "d['hosts'][0]['stats']['ignored']")" = 2 ] ||
	fail "bad: two tasks should have failed"
ct_exec dt sh -c "$STATE" >"$T/machine.bad"
expect_not_in "$T/machine.bad" "tend-missing"
expect_not_in "$T/machine.bad" "tend-noserver"
if [ -n "${DEB822_ANSIBLE:-}" ]; then
	ct_pair_state d "$STATE"
	expect_in "$T/d.bad.ansible.json" "Could not fetch signed_by key: HTTP Error 404: File not found"
	grep -ho '"msg": "Could not fetch[^"]*"' "$T/d.bad.ansible.json" "$T/d.bad.tend.json" >&2
	[ "$(json_get "$T/d.site.ansible.json" "d['stats']['d']['changed']")" = 6 ] ||
		fail "ansible-playbook did not change 6"
fi
step done

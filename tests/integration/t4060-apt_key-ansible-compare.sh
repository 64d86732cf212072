#!/bin/sh
# apt_key on real Debian 12 machines, against ansible-playbook
# (tests/lib/lib-ct-compare.sh: one fresh container each, the same set-up).
# Keys are made here with gpg in a scratch GNUPGHOME and served in each
# container by python3's http.server on 127.0.0.1:8080 (keys, and
# /pks/lookup for hkp). Added by data (apt's keyring), by a binary file
# on the host and into a keyring whose names hold % and $, by url (a
# query with quotes, %, ;, $), by url with its 40-digit id already there,
# from a keyserver, by a short id with data, by an id alone, and by url
# on a host with neither curl nor wget (the controller fetches: two
# round trips; the URL's password never shown); then removed by id, by
# data from one keyring, by short id, and one that is not there. The
# statuses of every task are Ansible's, and so are the registered id,
# key_id, short_id, fp, before, after and changed, and the end state
# (apt-key's list and the keyring files' sizes). tend's plan says what
# will change; a re-apply is all ok for both, one round trip per check;
# bad input (data that is no key, a missing URL or file, a key the
# keyserver lacks, no apt-key on the PATH, a wrong id for the data)
# fails for both, with the tools' words, and leaves the same machines.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-container.sh"
. "$TOP/tests/lib/lib-ct-compare.sh"
. "$TOP/tests/lib/lib-serve.sh"
command -v ansible-playbook >/dev/null || fail "ansible-playbook is not installed (make test-deps)"
command -v gpg >/dev/null || fail "gpg is not installed here (make test-deps)"
export ANSIBLE_PIPELINING=1
P=$T/pb
mkdir -p "$P" "$T/keys/pks"
cp "$TOP"/tests/fixtures/apt_key/*.yml "$P/"
export GNUPGHOME="$T/gnupg"
mkdir -m 700 "$GNUPGHOME"
for k in a b c d e f g h i; do
	gpg -q --batch --passphrase '' --quick-gen-key "Tend Test $k <$k@example.com>" \
		ed25519 sign never 2>/dev/null || fail "gpg cannot make key $k"
	fpr=$(gpg --with-colons --list-keys "$k@example.com" 2>/dev/null | awk -F: '$1 == "fpr" { print $10; exit }')
	echo "$fpr" >"$P/$k.fpr"
	echo "$fpr" | cut -c25-40 >"$P/$k.id"
	gpg --armor --export "$fpr" >"$P/$k.asc"
done
# a with an encryption subkey (a "sub" line)
gpg -q --batch --passphrase '' --quick-add-key "$(cat "$P/a.fpr")" cv25519 encr never 2>/dev/null
gpg --armor --export "$(cat "$P/a.fpr")" >"$P/a.asc"
gpg --export "$(cat "$P/b.fpr")" >"$T/b.gpg"
cp "$P/c.asc" "$T/keys/c.asc"
cp "$P/d.asc" "$T/keys/pks/lookup"
mkdir "$T/ctl"
cp "$P/i.asc" "$T/ctl/i.asc"
unset GNUPGHOME

ct_pair k
for c in ka kt; do
	ct_push "$c" "$T/b.gpg" '/root/k%e$y.gpg'
	ct_exec "$c" mkdir -p /srv/keys/pks
	ct_push "$c" "$T/keys/c.asc" /srv/keys/c.asc
	ct_push "$c" "$T/keys/pks/lookup" /srv/keys/pks/lookup
done
# i.asc from this machine, at the same address in the containers; a PATH
# without curl and wget (/opt/nc) for the task that fetches it
serve_start "$T/ctl"
for c in ka kt; do
	_ct_lxc config device add "$(_ct_name "$c")" ctl proxy bind=instance \
		listen="tcp:127.0.0.1:$HTTP_PORT" connect="tcp:127.0.0.1:$HTTP_PORT" \
		>/dev/null || fail "cannot add the proxy to this machine's server"
done
ct_pair_exec k sh -c 'mkdir /opt/nc && for f in /usr/bin/* /usr/sbin/*; do
	case ${f##*/} in curl | wget) ;; *) ln -sf "$f" /opt/nc/ ;; esac; done' ||
	fail "cannot make /opt/nc"
ct_pair_exec k systemd-run -q --unit keys python3 -m http.server 8080 \
	--bind 127.0.0.1 --directory /srv/keys || fail "cannot start the key server"
ct_pair_exec k sh -c 'for i in $(seq 50); do curl -fsS -o /dev/null http://127.0.0.1:8080/c.asc && exit 0; sleep 0.1; done; exit 1' ||
	fail "the key server does not answer"
STATE='apt-key list 2>/dev/null; cd /etc/apt && for f in trusted.gpg trusted.gpg.d/*; do
	[ -e "$f" ] && echo "$f $(stat -c %s "$f")"; done; true'

# the registered values both registered (the `results` task's msg)
results() {
	python3 - "$T/k.$1.ansible.json" "$T/k.$1.tend.json" <<'PY' || fail "k $1: registered values differ"
import json, sys
a = json.load(open(sys.argv[1])); t = json.load(open(sys.argv[2]))
am = [h["msg"] for p in a["plays"] for x in p["tasks"] if x["task"]["name"] == "results" for h in x["hosts"].values()]
tm = [x["msg"] for h in t["hosts"] for x in h["tasks"] if x["task"] == "results"]
if am != tm or len(am) != 1:
    print("ansible:", am); print("tend:   ", tm); sys.exit(1)
PY
}

# the plan first: what will change, in words
A=$(cat "$P/a.id") B=$(cat "$P/b.id") C=$(cat "$P/c.id") D=$(cat "$P/d.id") E=$(cat "$P/e.id")
run_tend 2 plan --detailed-exitcode -i "$CT_DIR/k.tend.inv" "$P/site.yml" -e ctl_port=$HTTP_PORT
for w in "add key $A to /etc/apt/trusted.gpg" \
	"add key $B from /root/k%e\$y.gpg to /etc/apt/trusted.gpg.d/b%\$x.gpg" \
	"add key $C from http://127.0.0.1:8080/c.asc?x='a'&y=%41;\$z to /etc/apt/trusted.gpg.d/c.gpg" \
	"add key $D from keyserver hkp://127.0.0.1:8080 to /etc/apt/trusted.gpg.d/d.gpg" \
	"add key $(echo "$E" | cut -c9-16) to /etc/apt/trusted.gpg" \
	"add key $(cat "$P/i.id") from http://127.0.0.1:$HTTP_PORT/i.asc to /etc/apt/trusted.gpg.d/i.gpg"; do
	expect_in "$T/out" "$w"
done
expect_not_in "$T/out" "s3cret"
ct_pair_run k site "$P/site.yml" -e ctl_port=$HTTP_PORT
results site
ct_pair_state k "$STATE"
for k in "$A" "$B" "$C" "$D" "$E"; do
	expect_in "$T/k.state.tend" "$(echo "$k" | sed 's/..../& /g; s/ $//')"
done

# again: all ok for both, one round trip a task
ct_pair_run k again "$P/site.yml" -e ctl_port=$HTTP_PORT
results again
[ "$(json_get "$T/k.again.ansible.json" "d['stats']['k']['changed']")" = 0 ] ||
	fail "ansible-playbook changed something on a re-apply"
[ "$(json_get "$T/k.again.tend.json" "d['hosts'][0]['stats']['changed']")" = 0 ] ||
	fail "tend changed something on a re-apply"
run_tend 0 plan --detailed-exitcode --stats -i "$CT_DIR/k.tend.inv" "$P/site.yml" -e ctl_port=$HTTP_PORT
expect_in "$T/err" "stats: 9 round trips for 9 task results"

# absent, then bad input: the failures are Ansible's (five ignored,
# then a wrong id for the data fails the host, after adding the key), the
# machines the same after; the plan fails the tasks it can tell are bad
run_tend 0 plan -i "$CT_DIR/k.tend.inv" "$P/absent.yml"
expect_in "$T/out" "Unable to extract key from '/root/missing.gpg': gpg: can't open '/root/missing.gpg'"
expect_in "$T/out" "remove key $A from every apt keyring that has it"
expect_in "$T/out" "remove key $B from /etc/apt/trusted.gpg.d/b%\$x.gpg"
expect_in "$T/out" "add key $(cat "$P/f.id") to /etc/apt/trusted.gpg"
CT_RC=3 ct_pair_run k absent "$P/absent.yml"
results absent
[ "$(json_get "$T/k.absent.ansible.json" "d['stats']['k']['ignored']")" = 5 ] ||
	fail "ansible-playbook did not fail the five bad tasks"
ct_pair_state k "$STATE"
expect_not_in "$T/k.state.tend" "$(echo "$A" | sed 's/..../& /g; s/ $//')"
expect_in "$T/k.state.tend" "Tend Test g"
expect_not_in "$T/k.state.tend" "m.gpg"
for w in "apt-key did not return an error, but failed to add the key" \
	"Unable to extract key from 'inline data'" \
	"Failed to download key at http://127.0.0.1:8080/missing.asc: HTTP Error 404: File not found" \
	"Unable to extract key from '/root/missing.gpg'" \
	"Error fetching key $(cat "$P/h.id") from keyserver: hkp://127.0.0.1:8080" \
	'Failed to find required executable \"apt-key\" in paths: /nonexistent:/sbin:/usr/sbin:/usr/local/sbin'; do
	expect_in "$T/k.absent.tend.json" "$w"
	expect_in "$T/k.absent.ansible.json" "$w"
done

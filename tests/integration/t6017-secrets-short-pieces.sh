#!/bin/sh
# A piece of a secret shorter than four characters (a slice such as
# `pw[0:3]`, one character, or a whole secret that short: a PIN) is too
# short to be scrubbed from text, yet modules quote their arguments:
# fail's and assert's msg, an attribute change ("owner: root -> Qz7"),
# copy's "cannot find 'Qz7'". Such a message is hidden whole, in every
# --format, the plan file and the state DB; the host still gets the
# value, and messages without a secret are shown as before.
. "$(dirname "$0")/../lib/lib-test.sh"
printf 'pw: "Qz7Wv9Kx2Jm"\npin: "8Yk"\n' >"$T/secrets.yml"
FORMS="Qz7 v9K x2J 8Yk"

cat >"$T/site.yml" <<EOF
- hosts: localhost
  gather_facts: false
  tasks:
    - name: fail with a slice
      fail: { msg: "{{ pw[0:3] }}" }
      ignore_errors: true
    - name: fail with one character after text
      fail: { msg: "char: {{ pw[1] }}{{ pw[4:7] }}" }
      ignore_errors: true
    - name: assert with a slice
      assert: { that: false, fail_msg: "{{ pw[7:10] }}" }
      ignore_errors: true
    - name: an attribute change names the pin
      file: { path: "$T", owner: "{{ pin }}" }
      ignore_errors: true
    - name: copy names its src
      copy: { src: "{{ pw[0:3] }}", dest: "$T/nowhere" }
      ignore_errors: true
    - name: the host gets the piece
      copy: { dest: "$T/piece", content: "{{ pw[0:3] }}" }
    - name: no secret here
      fail: { msg: "plain failure text" }
      ignore_errors: true
EOF

no_leak() {
	for f in "$@"; do
		for form in $FORMS; do
			! grep -qaF -- "$form" "$f" ||
				{ grep -aF -- "$form" "$f" | head -3; fail "'$form' in $f"; }
		done
	done
}

for fmt in text json markdown junit; do
	run_tend 0 plan "$T/site.yml" --secrets "$T/secrets.yml" --format $fmt \
		--out "$T/plan-$fmt.json"
	no_leak "$T/out" "$T/err" "$T/plan-$fmt.json"
done
run_tend 0 plan "$T/site.yml" --secrets "$T/secrets.yml"
expect_in "$T/out" "hidden: it may quote a piece of a secret"
expect_in "$T/out" "plain failure text"

run_tend 0 apply "$T/site.yml" --secrets "$T/secrets.yml" --diff
no_leak "$T/out" "$T/err"
expect_content "$T/piece" "Qz7"
expect_in "$T/out" "plain failure text"
for f in "$XDG_STATE_HOME"/tend/tend.db*; do no_leak "$f"; done
# the DB's text as SQL (python3's sqlite3: the CLI is not a test dependency)
/usr/bin/python3 -c 'import sqlite3, sys
print("\n".join(sqlite3.connect(sys.argv[1]).iterdump()))' "$XDG_STATE_HOME/tend/tend.db" >"$T/dump"
[ -s "$T/dump" ] || fail "empty dump of the state DB"
no_leak "$T/dump"

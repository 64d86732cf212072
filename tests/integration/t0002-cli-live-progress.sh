#!/bin/sh
# On a terminal, apply shows one line per busy host with its current task
# under the log, erased before the recap; on a pipe, plain lines only.
. "$(dirname "$0")/../lib/lib-test.sh"
command -v script >/dev/null || fail "script(1) is missing (bsdutils)"
printf '[all:vars]\nansible_connection=local\n[w]\nh1\nh2\nh3\n' >"$T/inv"
cat >"$T/pb.yml" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - name: a slow step
      shell: sleep 1.2
    - name: a quick step
      shell: "true"
YML
TERM=xterm script -qfec "$TEND apply $T/pb.yml -i $T/inv" "$T/tty" >/dev/null
tr -d '\r' <"$T/tty" >"$T/screen"
for h in h1 h2 h3; do
	grep -q "^  $h  *a slow step$" "$T/screen" || { cat -v "$T/screen"; fail "no progress line for $h"; }
done
# the block is erased (cursor up, clear) before the recap is printed
/usr/bin/python3 - "$T/screen" <<'PY'
import sys
s = open(sys.argv[1], 'rb').read().decode()
recap = s.index('PLAY RECAP')
last_line = s.rindex('a slow step\n', 0, recap)
assert '\x1b[J' in s[last_line:recap], 'block not erased before the recap'
assert 'a slow step\n' not in s[recap:], 'progress after the recap'
PY
# not a terminal: no escape sequences
run_tend 0 apply "$T/pb.yml" -i "$T/inv"
! grep -q "$(printf '\033')" "$T/out" || fail "escape codes on a pipe"

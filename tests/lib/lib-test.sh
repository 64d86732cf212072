# Sourced by every integration test (tests/integration/tNNNN-*.sh).
#
# Gives: $TEND (the binary), $TOP (repo root), $T (a fresh scratch dir,
# removed on exit), and small assertions that print what went wrong.
# Tests are POSIX sh with `set -eu`; a failing assertion exits 1.

set -eu
: "${TEND:?set TEND to the tend binary}"
TOP=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/tend-test.XXXXXX")
export NO_COLOR=1
export XDG_STATE_HOME="$T/state"   # each test its own state DB
cleanup_hooks=""
cleanup() {
	for h in $cleanup_hooks; do "$h" || true; done
	chmod -R u+w "$T" 2>/dev/null || true # cached git trees are read-only
	rm -rf "$T"
}
trap cleanup EXIT
on_exit() { cleanup_hooks="$cleanup_hooks $1"; }

fail() { echo "FAIL: $*" >&2; exit 1; }

# run_tend EXPECTED_RC ARGS...: run tend, keep stdout in $T/out and
# stderr in $T/err, and check its exit code.
run_tend() {
	want=$1; shift
	set +e
	"$TEND" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	if [ "$rc" != "$want" ]; then
		echo "--- stdout"; cat "$T/out"; echo "--- stderr"; cat "$T/err"
		fail "tend $* exited $rc, expected $want"
	fi
}

# expect_in FILE TEXT: FILE contains the fixed string TEXT.
expect_in() {
	grep -qF -- "$2" "$1" || { echo "--- $1:"; cat "$1"; fail "expected '$2' in $1"; }
}
expect_not_in() {
	! grep -qF -- "$2" "$1" || { echo "--- $1:"; cat "$1"; fail "did not expect '$2' in $1"; }
}

# expect_content FILE TEXT: FILE holds exactly TEXT (printf %s).
expect_content() {
	printf '%s' "$2" >"$T/.want"
	cmp -s "$1" "$T/.want" || { diff -u "$T/.want" "$1" || true; fail "content of $1"; }
}

# expect_mode PATH 0644
expect_mode() {
	got=$(stat -c '%a' "$1")
	[ "$(printf '%04o' "0$got")" = "$2" ] || fail "mode of $1 is $got, expected $2"
}

# snapshot DIR: a listing of every path with type, owner, mode, link
# target and content hash, to compare trees.
snapshot() {
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort | while read -r p; do
		o=$(stat -c %U:%G "$p")
		if [ -L "$p" ]; then echo "$p link $o $(readlink "$p")"
		elif [ -d "$p" ]; then echo "$p dir $o $(stat -c %a "$p")"
		else echo "$p file $o $(stat -c %a "$p") $(sha1sum <"$p" | cut -c1-40)"; fi
	done)
}

# json_get FILE EXPR: evaluate a python expression on the parsed JSON `d`.
json_get() {
	/usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}

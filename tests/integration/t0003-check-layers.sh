#!/bin/sh
# make check-layers and check-size can fail: on a copy of the tree, an
# upward include, a sibling include, an include cycle, a hidden (symbol)
# cycle, a file over 1,000 lines and a function over 120 lines are each
# named; the real tree passes.
. "$(dirname "$0")/../lib/lib-test.sh"
cd "$TOP"
python3 scripts/check-layers.py . >"$T/ok.out" 2>&1 || { cat "$T/ok.out"; fail "the tree itself fails check-layers"; }
python3 scripts/check-size.py . >"$T/size.out" 2>&1 || { cat "$T/size.out"; fail "the tree itself fails check-size"; }
mkdir "$T/tree"
cp -r include runner modules scripts "$T/tree/"
cd "$T/tree"
expect_fail() { # WHAT CHECK EXPECTED-TEXT
	if python3 "scripts/$2" . >"$T/bad.out" 2>&1; then cat "$T/bad.out"; fail "$1 was not caught"; fi
	expect_in "$T/bad.out" "$3"
}
cp runner/util/buf.c "$T/buf.c"
printf '#include "tend/engine/run.h"\n' >>runner/util/buf.c
expect_fail "an upward include" check-layers.py "runner/util/buf.c includes tend/engine/run.h: upward (util -> engine)"
cp "$T/buf.c" runner/util/buf.c
cp runner/store/store.c "$T/store.c"
printf '#include "tend/report/report.h"\n' >>runner/store/store.c
expect_fail "a sibling include" check-layers.py "runner/store/store.c includes tend/report/report.h: sibling (store -> report)"
cp "$T/store.c" runner/store/store.c
printf '#include "tend/util/buf.h"\n' >include/tend/util/cyc.h
printf '#include "tend/util/cyc.h"\n' >>include/tend/util/buf.h
expect_fail "an include cycle" check-layers.py "cycle util/buf -> util/cyc -> util/buf"
rm include/tend/util/cyc.h
printf '#include "tend/nope.h"\n' >>runner/util/alloc.c
expect_fail "a header outside the layers" check-layers.py "not a layer header"
# a dependency no include shows: the object pass reads the symbols
mkdir -p "$T/obj/runner/util"
printf 'int cyc_a(void);\nint cyc_b(void) { return cyc_a(); }\n' >"$T/b.c"
printf 'int cyc_b(void);\nint cyc_a(void) { return cyc_b(); }\n' >"$T/a.c"
cc -c -o "$T/obj/runner/util/one.o" "$T/a.c" && cc -c -o "$T/obj/runner/util/two.o" "$T/b.c"
git -C "$TOP" show HEAD:runner/util/alloc.c >runner/util/alloc.c 2>/dev/null || cp "$TOP/runner/util/alloc.c" runner/util/alloc.c
if python3 scripts/check-layers.py . "$T/obj" >"$T/bad.out" 2>&1; then cat "$T/bad.out"; fail "a symbol cycle was not caught"; fi
expect_in "$T/bad.out" "cycle util/one -> util/two -> util/one"
# sizes
awk 'BEGIN { for (i = 0; i < 1001; i++) print "int x" i ";" }' >runner/util/big.c
expect_fail "a file over 1,000 lines" check-size.py "runner/util/big.c: 1001 lines"
rm runner/util/big.c
{ echo "static int long_one(void)"; echo "{"; awk 'BEGIN { for (i = 0; i < 120; i++) print "\t;" }'; echo "}"; } >runner/util/long.c
expect_fail "a function over 120 lines" check-size.py "long_one() is 123 lines"

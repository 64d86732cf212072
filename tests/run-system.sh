#!/bin/sh
# make test-system: the system tests (tests/integration/t4NNN-*.sh), each
# against Debian 12 system containers (tests/lib/lib-container.sh). One
# LXD daemon serves the whole run; the image is built once per machine and
# cached outside the checkout. Set T=PATTERN for a subset. A machine where
# LXD cannot start fails the run with a message: it does not skip it.
: "${TEND:?TEND must point at the tend binary}"
export TEND
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/tests/lib/lib-container.sh"
started=
trap 'rc=$?; ct_lxd_stop
[ -n "$started" ] || echo "system: 0 passed, 1 failed (no LXD or no image: see above)"
exit $rc' EXIT
s=$(date +%s)
ct_lxd_start
started=1
echo "system: LXD and image ready in $(($(date +%s) - s)) s"
TEND_CT_SHARED=1 SUITE=system T="${T:-t4*}" sh "$TOP/tests/run-integration.sh"

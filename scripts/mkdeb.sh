#!/bin/sh
# make deb: a Debian package of tend, built with dpkg-deb alone (no
# debhelper): `make install install-systemd` with PREFIX=/usr into a
# staging tree, the manual pages compressed as Debian's policy asks, the
# copyright file, and a control file whose Depends dpkg-shlibdeps
# computes from the libraries the binary links (it wants a
# debian/control beside the staging tree, so one is written there).
# Out: $BUILD/tend_VERSION_ARCH.deb, its path printed. DEB_MAINTAINER
# names who builds it (the Maintainer field).
set -eu
: "${INSTALL_TEND:?}" "${BUILD:?}"
version=$(sed -n 's/^#define TEND_VERSION "\(.*\)"$/\1/p' include/tend/common.h)
arch=$(dpkg --print-architecture)
work=$BUILD/deb
root=$work/debian/tend
rm -rf "$work"
mkdir -p "$root"

# Debian's paths: completion where bash-completion and zsh look for a
# package's, units in /lib (bookworm's dh_installsystemd does the same).
make --no-print-directory -s install install-systemd DESTDIR="$root" \
	PREFIX=/usr INSTALL_TEND="$INSTALL_TEND" BUILD="$BUILD" \
	ZSHCOMPDIR=/usr/share/zsh/vendor-completions \
	SYSTEMDUNITDIR=/lib/systemd/system SYSUSERSDIR=/usr/lib/sysusers.d
gzip -9n "$root"/usr/share/man/man1/*.1 "$root"/usr/share/man/man5/*.5
doc=$root/usr/share/doc/tend
rm "$doc/LICENSE"
{
	echo 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/'
	echo 'Upstream-Name: tend'
	echo
	echo 'Files: *'
	echo 'License: Apache-2.0'
	echo ' On Debian systems the full text of the Apache License 2.0 is in'
	echo ' /usr/share/common-licenses/Apache-2.0.'
} >"$doc/copyright"

mkdir -p "$work/debian" "$root/DEBIAN"
printf 'Source: tend\n\nPackage: tend\nArchitecture: any\n' \
	>"$work/debian/control"
# (its warning that the binary is not "installed in its package's
# directory" is about debhelper's layout, which this is not)
depends=$(cd "$work" && dpkg-shlibdeps -O -e debian/tend/usr/bin/tend \
	2>"$work/shlibdeps.err" | sed -n 's/^shlibs:Depends=//p')
grep -v 'should already be installed' "$work/shlibdeps.err" >&2 || :
[ -n "$depends" ] || { echo "mkdeb: dpkg-shlibdeps found no Depends" >&2; exit 1; }
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<EOF
Package: tend
Version: $version
Architecture: $arch
Maintainer: ${DEB_MAINTAINER:-tend developers <tend@localhost>}
Installed-Size: $size
Depends: $depends
Recommends: openssh-client, git
Suggests: systemd
Section: admin
Priority: optional
Description: GitOps infrastructure runner: Ansible-syntax plan and apply
 tend turns a commit of Ansible-syntax playbooks into converged hosts: a
 plan first (what every task would change, with diffs), then an apply
 inside a maintenance window, every run recorded in a state DB. It reaches
 hosts over SSH (libssh2), follows git sources, and has a daemon for
 schedules, webhooks and drift checks.
EOF
# The system user the units run as; the units are installed, not enabled.
cat >"$root/DEBIAN/postinst" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = configure ] && command -v systemd-sysusers >/dev/null; then
	systemd-sysusers tend.conf
fi
EOF
chmod 0755 "$root/DEBIAN/postinst"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -print |
	sed 's|^\./||' | sort | xargs md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
out=$BUILD/tend_${version}_$arch.deb
dpkg-deb --root-owner-group -Zgzip --build "$root" "$out" >/dev/null
echo "$out"

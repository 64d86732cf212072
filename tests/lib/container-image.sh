#!/bin/sh
# Build the Debian 12 system-container image the system tests (t4xxx)
# run against: `sh container-image.sh OUTDIR MIRROR_URL PACKAGES`.
# Writes OUTDIR/meta.tar and OUTDIR/rootfs.tar (LXD's split image format,
# uncompressed: compressing 300 MB would take longer than importing it).
#
# lib-container.sh caches the result keyed by a hash of this file and the
# package list: change either and the next run builds a new image.
#
# The image: debootstrap minbase from the mirror plus PACKAGES (systemd as
# PID 1, openssh-server, sudo, iproute2, python3 only so that ansible-playbook can
# run on it for comparisons, curl); the host's apt sources; apt through a
# proxy on the container's 127.0.0.1:3142 (lib-container.sh adds the
# proxy device that forwards it to the mirror); root logs in by key only.
set -eu
out=$1 mirror=$2 pkgs=$3
root=$out/rootfs
rm -rf "$root"
mkdir -p "$root"
debootstrap --variant=minbase --include="$pkgs" bookworm "$root" "$mirror" \
	>"$out/debootstrap.log" 2>&1 || {
	tail -n 30 "$out/debootstrap.log" >&2
	echo "container-image: debootstrap failed (log: $out/debootstrap.log)" >&2
	exit 1
}

# apt: the host's sources (same mirror), through the proxy device
rm -f "$root/etc/apt/sources.list"
if [ -r /etc/apt/sources.list.d/debian.sources ]; then
	cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/"
else
	echo "deb $mirror bookworm main" >"$root/etc/apt/sources.list"
fi
echo 'Acquire::http::Proxy "http://127.0.0.1:3142";' \
	>"$root/etc/apt/apt.conf.d/01tend-test-proxy"
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb

# a plain /etc/hosts (lib-container.sh adds the container's own name) and
# no host name of the build machine
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' \
	>"$root/etc/hosts"
echo localhost >"$root/etc/hostname"
: >"$root/etc/resolv.conf"

# ssh: root by key only; the host keys are made per container at boot
rm -f "$root"/etc/ssh/ssh_host_*
mkdir -p "$root/root/.ssh" "$root/etc/systemd/system"
chmod 700 "$root/root/.ssh"
cat >"$root/etc/systemd/system/tend-test-hostkeys.service" <<'EOF'
[Unit]
Description=host keys for a tend test container
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=multi-user.target
EOF
chroot "$root" systemctl enable ssh.service tend-test-hostkeys.service \
	>/dev/null 2>&1
# units that cannot work in a container and only slow the boot
chroot "$root" systemctl mask systemd-timesyncd.service \
	apt-daily.timer apt-daily-upgrade.timer e2scrub_reap.service \
	>/dev/null 2>&1 || true

arch=$(dpkg --print-architecture)
case $arch in amd64) larch=x86_64 ;; arm64) larch=aarch64 ;; *) larch=$arch ;; esac
mkdir -p "$out/meta"
cat >"$out/meta/metadata.yaml" <<EOF
architecture: $larch
creation_date: $(date +%s)
properties:
  description: Debian 12 (bookworm) for tend system tests
  os: debian
  release: bookworm
EOF
tar -C "$out/meta" -cf "$out/meta.tar" metadata.yaml
tar -C "$root" --numeric-owner -cf "$out/rootfs.tar" .
rm -rf "$root" "$out/meta"

#!/bin/sh
# apt and package on real Debian 12 machines, side by side with
# ansible-playbook (tests/lib/lib-ct-compare.sh): install from the Debian
# mirror (hello, sl) and from a local apt repository the test builds (two
# versions of a small .deb made with dpkg-deb, a file: source), upgrade
# to a pinned version, downgrade with allow_downgrade, install a .deb file
# on the host, remove and purge, upgrade every package (upgrade=dist,
# full, yes, safe), apt_repository. Every task's status is Ansible's, the
# packages (dpkg-query -W) end the same on both machines, the registered
# values agree, a re-apply is all ok, `tend plan` says what will change
# ("install tendpkg 1.0-1", "upgrade tendpkg 1.0-1 -> 2.0-1"), and an
# unknown or hostile package name fails its task with Ansible's message
# and changes nothing.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-container.sh"
. "$TOP/tests/lib/lib-ct-compare.sh"
command -v ansible-playbook >/dev/null || fail "ansible-playbook is not installed (make test-deps)"
t0=$(date +%s)
step() { echo "t4010: $1 at $(($(date +%s) - t0)) s" >&2; }

# the local repository: tendpkg 1.0-1 and 2.0-1, a flat Packages index
R=$T/repo
mkdir -p "$R"
for v in 1.0-1 2.0-1; do
	d=$T/build-$v
	mkdir -p "$d/DEBIAN" "$d/usr/share/tendpkg"
	printf 'Package: tendpkg\nVersion: %s\nArchitecture: all\nMaintainer: tend <tend@example.com>\nDescription: tend test package\n' \
		"$v" >"$d/DEBIAN/control"
	echo "$v" >"$d/usr/share/tendpkg/version"
	# what /usr/sbin/policy-rc.d (apt's policy_rc_d) answers while it installs
	printf '#!/bin/sh\nif [ -x /usr/sbin/policy-rc.d ]; then /usr/sbin/policy-rc.d tendpkg start; echo "policy $?"; else echo "no policy"; fi >/var/tmp/tendpkg-policy\n' \
		>"$d/DEBIAN/postinst"
	chmod 0755 "$d/DEBIAN/postinst"
	dpkg-deb -Zgzip --root-owner-group --build "$d" "$R/tendpkg_${v}_all.deb" >/dev/null ||
		fail "dpkg-deb failed"
done
for f in "$R"/*.deb; do
	dpkg-deb -f "$f"
	echo "Filename: ./${f##*/}"
	echo "Size: $(stat -c %s "$f")"
	echo "SHA256: $(sha256sum "$f" | cut -d' ' -f1)"
	echo
done >"$R/Packages"
echo 'deb [trusted=yes] file:/opt/tendrepo ./' >"$T/tendrepo.list"

ct_pair p
ct_pair_exec p mkdir -p /opt/tendrepo
for w in a t; do
	for f in "$R"/*; do ct_push "p$w" "$f" "/opt/tendrepo/${f##*/}"; done
	ct_push "p$w" "$T/tendrepo.list" /etc/apt/sources.list.d/tendrepo.list
done
# both at once: the mirror's indexes are the slow part
step "containers up"
ct_exec pa sh -c 'apt-get -q update >/dev/null' & u=$!
ct_exec pt sh -c 'apt-get -q update >/dev/null' || fail "apt-get update failed"
wait "$u" || fail "apt-get update failed"
step "apt-get update"

state='dpkg-query -W -f="\${Package} \${Version} \${db:Status-Abbrev}\n" hello sl tendpkg 2>&1 | sort
cat /root/reg.txt 2>/dev/null; true'

cat >"$T/install.yml" <<'YML'
- hosts: p
  gather_facts: false
  tasks:
    - apt: {name: [hello, "tendpkg=1.0-1"], update_cache: true, cache_valid_time: 3600}
      register: r1
    - package: {name: sl, state: present}
    - apt: {update_cache: true, cache_valid_time: 3600}
      register: r2
    - copy:
        dest: /root/reg.txt
        content: |
          {{ r1.cache_updated }} {{ r1.cache_update_time is number }}
          {{ r2.changed }} {{ r2.cache_updated }} {{ r2.cache_update_time == r1.cache_update_time }}
YML
# the plan says what will change, with versions
run_tend 0 plan -i "$CT_DIR/p.tend.inv" "$T/install.yml"
expect_in "$T/out" "install tendpkg 1.0-1"
expect_in "$T/out" "install hello 2.10-3"
expect_in "$T/out" "install sl "
step install
ct_pair_run p install "$T/install.yml"
ct_pair_state p "$state"
expect_in "$T/p.state.tend" "tendpkg 1.0-1 ii"
expect_in "$T/p.state.tend" "False True"
step install-again
ct_pair_run p install-again "$T/install.yml"
grep -q '"changed": true' "$T/p.install-again.tend.json" && { tail -n 40 "$T/p.install-again.tend.json"; fail "the re-apply changed something"; }

# upgrade to a pinned version, downgrade, a .deb on the host; then bad
# input: each task fails with Ansible's message and changes nothing (the
# last one, a downgrade without allow_downgrade, with apt-get's)
cat >"$T/upgrade.yml" <<'YML'
- hosts: p
  gather_facts: false
  tasks:
    - apt: {name: [hello, "tendpkg=2.0-1"], update_cache: true}
    - apt: {name: hello, state: latest}
    - apt: {name: "tendpkg=1.0-1", allow_downgrade: true}
    - apt: {deb: /opt/tendrepo/tendpkg_2.0-1_all.deb}
    - apt: {name: "tendpkg>=2.0"}
    - apt: {name: [tendpkg, no-such-package-xyz], state: latest}
      ignore_errors: true
    - apt: {name: "-x 'q' %s \\ {{ '{{' }} y"}
      ignore_errors: true
    - apt: {name: "tendpkg=9.9-9"}
      ignore_errors: true
    - apt: {name: "tendpkg=1.0-1"}
YML
run_tend 0 plan -i "$CT_DIR/p.tend.inv" "$T/upgrade.yml"
expect_in "$T/out" "upgrade tendpkg 1.0-1 -> 2.0-1"
expect_in "$T/out" "update the apt cache"
step upgrade
CT_RC=3 ct_pair_run p upgrade "$T/upgrade.yml"
ct_pair_state p "$state"
expect_in "$T/p.state.tend" "tendpkg 2.0-1 ii"
expect_in "$T/p.upgrade.tend.json" "No package matching 'no-such-package-xyz' is available"
expect_in "$T/p.upgrade.tend.json" "No package matching '-x 'q' %s"
expect_in "$T/p.upgrade.tend.json" "no available installation candidate for tendpkg=9.9-9"
expect_in "$T/p.upgrade.tend.json" "Packages were downgraded and -y was used without --allow-downgrades"

cat >"$T/remove.yml" <<'YML'
- hosts: p
  gather_facts: false
  tasks:
    - package: {name: [hello, sl, no-such-package-xyz], state: absent}
    - apt: {name: [tendpkg, sl], state: absent, purge: true}
YML
run_tend 0 plan -i "$CT_DIR/p.tend.inv" "$T/remove.yml"
expect_in "$T/out" "remove hello 2.10-3"
expect_in "$T/out" "purge tendpkg 2.0-1"
step remove
ct_pair_run p remove "$T/remove.yml"
ct_pair_state p "$state"
expect_not_in "$T/p.state.tend" "ii"

# upgrade every package (upgrade=dist|full|yes|safe) with only the local
# repository as a source, so that what an upgrade finds is tendpkg alone;
# check mode reports the --simulate run; policy_rc_d answers the package's
# postinst, and the policy-rc.d that was there is back after; an apt task
# with nothing to do is ok, as in Ansible (whose required_one_of always
# holds)
ct_pair_exec p sh -c 'mkdir -p /root/srcs/d && cd /etc/apt &&
	{ [ ! -e sources.list ] || mv sources.list /root/srcs/; } &&
	for f in sources.list.d/*; do case $f in *tendrepo*) ;; *) mv "$f" /root/srcs/d/ ;; esac; done &&
	apt-get -q update >/dev/null'
cat >"$T/pin.yml" <<'YML'
- hosts: p
  gather_facts: false
  tasks:
    - apt: {name: "tendpkg=1.0-1"}
YML
cat >"$T/dist.yml" <<'YML'
- hosts: p
  gather_facts: false
  tasks:
    - apt: {upgrade: dist}
YML
cat >"$T/all.yml" <<'YML'
- hosts: p
  gather_facts: false
  tasks:
    - apt: {upgrade: dist}
      check_mode: true
      register: c
    - apt: {upgrade: dist}
      register: u1
    - apt: {upgrade: dist}
      register: u2
    - apt: {name: "tendpkg=1.0-1", allow_downgrade: true}
    - apt: {upgrade: "yes", autoremove: true, force_apt_get: true}
      register: u3
    - apt: {name: "tendpkg=1.0-1", allow_downgrade: true}
    - apt: {upgrade: full, update_cache: true}
      register: u4
    - apt: {upgrade: safe}
      register: u5
    - apt: {name: "tendpkg=1.0-1", allow_downgrade: true, policy_rc_d: 101}
    - apt: {state: present}
      register: nothing
    - apt: {upgrade: "no"}
    - copy:
        dest: /root/reg.txt
        content: |
          {{ c.changed }} {{ c.msg == c.stdout }} {{ 'Inst tendpkg [1.0-1] (2.0-1' in c.stdout }} {{ c.cache_updated is defined }}
          {{ u1.changed }} {{ u1.msg == u1.stdout }} {{ u1.stdout_lines | length > 3 }} {{ u1.cache_updated is defined }} {{ u1.stderr_lines is defined }}
          {{ u2.changed }} {{ '0 upgraded, 0 newly installed' in u2.stdout }}
          {{ u3.changed }} {{ u4.changed }} {{ u5.changed }}
          {{ nothing.changed }} {{ nothing.cache_updated }} {{ nothing.cache_update_time is number }}
YML
step "upgrade-all set-up"
ct_pair_run p pin "$T/pin.yml"
run_tend 0 plan -i "$CT_DIR/p.tend.inv" "$T/dist.yml"
expect_in "$T/out" "upgrade tendpkg 1.0-1 -> 2.0-1"
ct_pair_exec p sh -c 'printf "#!/bin/sh\nexit 0\n" >/usr/sbin/policy-rc.d && chmod 0700 /usr/sbin/policy-rc.d'
ct_pair_run p upgrade-all "$T/all.yml"
ct_pair_state p "$state
cat /var/tmp/tendpkg-policy; stat -c %a /usr/sbin/policy-rc.d; cat /usr/sbin/policy-rc.d
ls /tmp | grep -c ansible; true"
expect_in "$T/p.state.tend" "tendpkg 1.0-1 ii"
expect_in "$T/p.state.tend" "policy 101"
expect_in "$T/p.state.tend" "700"
expect_in "$T/p.state.tend" "True True True False"
ct_pair_run p upgrade-all-dist "$T/dist.yml"
ct_pair_state p "$state"
expect_in "$T/p.state.tend" "tendpkg 2.0-1 ii"
ct_pair_run p upgrade-all-again "$T/dist.yml"
grep -q '"changed": true' "$T/p.upgrade-all-again.tend.json" && fail "the re-apply of upgrade=dist changed something"
ct_pair_exec p sh -c 'cd /etc/apt && { [ ! -e /root/srcs/sources.list ] || mv /root/srcs/sources.list .; } &&
	for f in /root/srcs/d/*; do [ ! -e "$f" ] || mv "$f" sources.list.d/; done'
step upgrade-all

# apt_repository: one-line sources as Ansible 2.14 writes them (file
# names from the URI, whitespace collapsed, a commented-out copy enabled,
# absent removes the line and a file left empty; no update: the
# container reaches only its own mirror, not deb.debian.org)
ct_pair_exec p sh -c 'printf "# deb http://deb.debian.org/debian bookworm-updates main\n" >/etc/apt/sources.list.d/upd.list'
cat >"$T/repos.yml" <<'YML'
- hosts: p
  gather_facts: false
  tasks:
    - apt_repository: {repo: "deb  http://deb.debian.org/debian   bookworm-backports main", update_cache: false}
    - apt_repository: {repo: "deb-src http://deb.debian.org/debian bookworm main", filename: src, mode: "0600", update_cache: false}
    - apt_repository: {repo: "deb http://deb.debian.org/debian bookworm-updates main", update_cache: false}
    - apt_repository: {repo: "deb [trusted=yes] file:/opt/tendrepo ./", state: absent, update_cache: false}
YML
run_tend 0 plan -i "$CT_DIR/p.tend.inv" "$T/repos.yml"
expect_in "$T/out" "add to /etc/apt/sources.list.d/deb_debian_org_debian.list: deb http://deb.debian.org/debian bookworm-backports main"
expect_in "$T/out" "enable in /etc/apt/sources.list.d/upd.list"
step repos
ct_pair_run p repos "$T/repos.yml"
ct_pair_state p 'cd /etc/apt/sources.list.d && stat -c "%n %a" * && cat *.list'
expect_not_in "$T/p.state.tend" "tendrepo"
expect_in "$T/p.state.tend" "src.list 600"
ct_pair_run p repos-again "$T/repos.yml"
grep -q '"changed": true' "$T/p.repos-again.tend.json" && { grep '"task"\|"action"' "$T/p.repos-again.tend.json"; fail "the re-apply changed something"; }
step done

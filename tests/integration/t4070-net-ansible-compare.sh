#!/bin/sh
# get_url, unarchive and git on real Debian 12 machines, side by side with
# ansible-playbook (tests/lib/lib-ct-compare.sh). Each machine serves the
# test's files over HTTP on its own 127.0.0.1 (python3's http.server,
# logging each request's headers; /auth/ asks for credentials) and holds
# a bare git repository the test builds there with fixed dates (so both
# have the same commits). get_url: a sha256 checksum that matches, one
# that does not (the task fails, nothing is written), mode, owner and
# group, a dest directory, headers, credentials (on a 401, and at once
# with force_basic_auth), force over a local edit, a missing URL;
# unarchive: tar.gz from the controller, tar.xz and zip on the host
# (remote_src), creates, extra_opts, owner and mode, a symbolic link in
# each; git: clone at HEAD, a tag, a branch, a commit, depth, a branch
# that moved on, force over a local change, update: no, an unknown
# version. Hostile names where they reach a shell: dests with spaces and
# %, an archive member and a served file with a leading -, `{{` in
# contents, a password with quotes. Every task's status and the stable
# registered values (checksums, before/after, dest, mode...) are
# Ansible's; the machines end the same (contents, types, modes, owners,
# links, the extracted files' times, the checkouts' HEAD, the server's
# request log); `tend plan` first says what will change and changes
# nothing; a re-apply is all ok for both tools; a converged plan costs
# one round trip per check.
. "$(dirname "$0")/../lib/lib-test.sh"
. "$TOP/tests/lib/lib-container.sh"
. "$TOP/tests/lib/lib-ct-compare.sh"
command -v ansible-playbook >/dev/null || fail "ansible-playbook is not installed (make test-deps)"
export ANSIBLE_PIPELINING=1
t0=$(date +%s)
step() { echo "t4070: $1 at $(($(date +%s) - t0)) s" >&2; }
# the registered values a step's `debug: var=stable` printed, compared
same_stable() {
	python3 "$TOP/tests/lib/compare-results.py" "$T/n.$1.ansible.json" \
		"$T/n.$1.tend.json" stable >"$T/n.$1.stable" 2>&1 ||
		{ cat "$T/n.$1.stable"; fail "$1: registered values differ"; }
}

# what both machines get: the served files, the archives, the repository
S=$T/srv
mkdir -p "$S/www/sub" "$S/tree/top/sub dir" "$S/arch"
printf 'alpha {{ nope }} 100%% "q" \\\n' >"$S/www/a.txt"
printf 'odd\n' >"$S/www/-odd name%.txt"
printf 'beta\n' >"$S/www/sub/b.txt"
mkdir "$S/www/auth"
printf 'gamma\n' >"$S/www/auth/c.txt"
printf 'lead {{ x }}\n' >"$S/tree/top/-lead"
printf 'space %%\n' >"$S/tree/top/sub dir/sp ace %.txt"
ln -s -- -lead "$S/tree/top/link"
(cd "$S/tree" &&
	tar --owner=0 --group=0 --mtime=2020-01-01 -czf "$S/arch/t.tar.gz" top &&
	tar --owner=0 --group=0 --mtime=2020-01-01 -cJf "$S/arch/t.tar.xz" top &&
	touch -d 2020-01-01 top top/-lead "top/sub dir" "top/sub dir/sp ace %.txt" &&
	zip -qry "$S/arch/t.zip" top) || fail "cannot make the archives"
cp "$S/arch/t.tar.gz" "$S/www/t.tar.gz"
sum_a=$(sha256sum "$S/www/a.txt" | cut -d' ' -f1)
cat >"$S/setup.sh" <<'SH'
set -e
export GIT_AUTHOR_DATE=2020-01-01T00:00:00Z GIT_COMMITTER_DATE=2020-01-01T00:00:00Z
export GIT_AUTHOR_NAME=T GIT_AUTHOR_EMAIL=t@example.com
export GIT_COMMITTER_NAME=T GIT_COMMITTER_EMAIL=t@example.com
mkdir -p /srv/out /srv/un/gz /srv/un/xz "/srv/un/zip %" /srv/git
git init -q -b main /tmp/w
cd /tmp/w
printf 'x {{ y }} 100%% "q"\n' >./-lead
git add -- -lead && git commit -qm one && git tag -a v1 -m one
printf 'two\n' >'sp ace %.txt'
git add -- 'sp ace %.txt' && git commit -qm two
git checkout -qb feature
printf 'three\n' >feat.txt
git add feat.txt && git commit -qm three
git checkout -q main
git clone -q --bare /tmp/w /srv/repo.git
git rev-parse v1^{commit} >/srv/v1.sha
systemd-run -q --unit=tendhttp python3 /srv/serve.py
for i in $(seq 50); do curl -sf http://127.0.0.1:8000/a.txt >/dev/null && exit 0; sleep 0.1; done
exit 1
SH
# http.server, and a log of each request and its headers (compared)
cat >"$S/serve.py" <<'PY'
import base64
import functools
import http.server


class Handler(http.server.SimpleHTTPRequestHandler):
    # /auth/ asks for Basic credentials (a 401 first, as a server does)
    def do_GET(self):
        want = "Basic " + base64.b64encode(b"u:p w%'\"").decode()
        if self.path.startswith("/auth/") and \
                self.headers.get("Authorization") != want:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="t"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()

    def log_request(self, code="-", size="-"):
        h = self.headers
        with open("/srv/requests.log", "a") as f:
            # (a time: whether it was sent)
            f.write("%s %s %s %r\n" % (self.command, self.path, code, sorted(
                (k.lower(), "(set)" if k.lower() == "if-modified-since" else v)
                for k, v in h.items() if k.lower() not in ("host", "connection"))))


http.server.ThreadingHTTPServer(
    ("127.0.0.1", 8000),
    functools.partial(Handler, directory="/srv/www")).serve_forever()
PY
tar -C "$S" -cf "$T/srv.tar" www arch setup.sh serve.py

ct_pair n
step "containers up"
for c in na nt; do
	ct_push $c "$T/srv.tar" /tmp/srv.tar
	ct_exec $c sh -c 'mkdir -p /srv && tar -C /srv -xf /tmp/srv.tar &&
		sh /srv/setup.sh' >"$T/$c.setup" 2>&1 ||
		{ cat "$T/$c.setup"; fail "$c: set-up failed"; }
done
v1=$(ct_exec nt cat /srv/v1.sha)
step "set up"

state='cd /srv && find out un git -path "*/.git" -prune -o \
		-printf "%p %y %m %u %g %s %l\n" | sort
	find out un -type f -exec sha256sum {} + | sort -k2
	find un -mindepth 2 ! -type l -printf "%p %TY-%Tm-%Td %TH:%TM\n" | sort
	for d in git/*; do [ -d "$d/.git" ] || continue; echo "== $d"
		git -C "$d" rev-parse HEAD
		git -C "$d" symbolic-ref -q HEAD || echo detached
		git -C "$d" rev-parse --is-shallow-repository
		git -C "$d" status --porcelain; done
	systemctl is-active tendhttp; sort /srv/requests.log'

cat >"$T/main.yml" <<'YML'
- hosts: n
  gather_facts: false
  vars:
    base: http://127.0.0.1:8000
    gdir: "/srv/out/dl dir %"
  tasks:
    - file: { path: "{{ gdir }}", state: directory, mode: "0750" }
    - name: a matching checksum, mode, owner, group
      get_url:
        url: "{{ base }}/a.txt"
        dest: "{{ gdir }}/a copy %.txt"
        checksum: "sha256:{{ sum_a }}"
        mode: "0640"
        owner: nobody
        group: nogroup
      register: g1
    - name: into a directory, with headers
      get_url:
        url: "{{ base }}/-odd%20name%25.txt"
        dest: "{{ gdir }}/"
        headers: { X-Test: "a 'b' \"c\" %d", Accept: "*/*" }
      register: g2
    - name: a sub path, no checksum
      get_url: { url: "{{ base }}/sub/b.txt", dest: /srv/out/b.txt, mode: "u=rw,go=r" }
      register: g3
    - name: credentials when the server asks
      get_url: { url: "{{ base }}/auth/c.txt", dest: /srv/out/c.txt, url_username: u, url_password: "p w%'\"" }
      register: ga
    - name: credentials at once
      get_url: { url: "{{ base }}/auth/c.txt", dest: /srv/out/c2.txt, url_username: u, url_password: "p w%'\"", force_basic_auth: true }
      register: gb
    - name: the download of an archive
      get_url: { url: "{{ base }}/t.tar.gz", dest: /srv/out/t.tar.gz, checksum: "sha1:{{ sum_gz }}" }
      register: g4
    - name: tar.gz from the controller, owner and mode
      unarchive: { src: "{{ arch }}/t.tar.gz", dest: /srv/un/gz, owner: nobody, mode: "u+rwX,go-w" }
      register: u1
    - name: tar.xz on the host, extra_opts
      unarchive:
        src: /srv/arch/t.tar.xz
        dest: /srv/un/xz
        remote_src: true
        extra_opts: [--strip-components=1]
      register: u2
    - name: zip on the host
      unarchive: { src: /srv/arch/t.zip, dest: "/srv/un/zip %", remote_src: true, group: nogroup }
      register: u3
    - name: creates
      unarchive: { src: /srv/arch/t.zip, dest: /srv/un/xz, remote_src: true, creates: /srv/un/xz/-lead }
      register: u4
    - name: clone at HEAD
      git: { repo: /srv/repo.git, dest: "/srv/git/co %x" }
      register: r1
    - name: a tag, file://
      git: { repo: file:///srv/repo.git, dest: /srv/git/tag, version: v1 }
      register: r2
    - name: a branch
      git: { repo: /srv/repo.git, dest: /srv/git/branch, version: feature }
      register: r3
    - name: a commit
      git: { repo: /srv/repo.git, dest: /srv/git/sha, version: "{{ v1 }}" }
      register: r4
    - name: shallow
      git: { repo: file:///srv/repo.git, dest: /srv/git/shallow, depth: 1 }
      register: r5
    - set_fact:
        stable:
          - "{{ [g1.dest, g1.checksum_dest | default(none), g1.checksum_src | default(none), g1.mode | default(none), g1.owner | default(none), g1.group | default(none), g1.status_code | default(none)] }}"
          - "{{ [g2.dest, g2.checksum_dest | default(none), g2.checksum_src | default(none)] }}"
          - "{{ [g3.dest, g3.checksum_dest | default(none), g3.mode | default(none)] }}"
          - "{{ [g4.dest, g4.checksum_dest | default(none)] }}"
          - "{{ [u1.dest, u2.dest, u3.dest, u4.skipped | default(false), u4.msg | default(none)] }}"
          - "{{ [u1, u2, u3] | map('dict2items') | map('selectattr', 'key', 'in', ['handler', 'mode', 'owner', 'group', 'uid', 'gid', 'state', 'size']) | map('items2dict') | list }}"
          - "{{ [g1, g2, g3, g4, ga, gb] | map('dict2items') | map('selectattr', 'key', 'in', ['msg', 'size', 'uid', 'gid', 'state', 'status_code', 'url']) | map('items2dict') | list }}"
          - "{{ [r1, r2, r3, r4, r5] | map('dict2items') | map('selectattr', 'key', 'in', ['remote_url_changed', 'warnings']) | map('items2dict') | list }}"
          - "{{ [r1.before, r1.after, r2.before, r2.after, r3.after, r4.after, r5.after] }}"
    - debug: var=stable
YML

# the checks of main.yml whose plan can be ok (a controller src is sent
# only at apply, and a get_url without checksum must download to know)
sed -n '1,/^  tasks:/p' "$T/main.yml" >"$T/conv.yml"
cat >>"$T/conv.yml" <<'YML'
    - get_url: { url: "{{ base }}/a.txt", dest: "{{ gdir }}/a copy %.txt", checksum: "sha256:{{ sum_a }}", mode: "0640", owner: nobody, group: nogroup }
    - get_url: { url: "{{ base }}/t.tar.gz", dest: /srv/out/t.tar.gz, checksum: "sha1:{{ sum_gz }}" }
    - unarchive: { src: /srv/arch/t.tar.xz, dest: /srv/un/xz, remote_src: true, extra_opts: [--strip-components=1] }
    - unarchive: { src: /srv/arch/t.zip, dest: "/srv/un/zip %", remote_src: true, group: nogroup }
    - git: { repo: /srv/repo.git, dest: "/srv/git/co %x" }
    - git: { repo: file:///srv/repo.git, dest: /srv/git/tag, version: v1 }
    - git: { repo: /srv/repo.git, dest: /srv/git/branch, version: feature }
    - git: { repo: /srv/repo.git, dest: /srv/git/sha, version: "{{ v1 }}" }
    - git: { repo: file:///srv/repo.git, dest: /srv/git/shallow, depth: 1 }
YML

cat >"$T/edit.yml" <<'YML'
- hosts: n
  gather_facts: false
  vars:
    base: http://127.0.0.1:8000
  tasks:
    - name: a checksum that does not match
      get_url:
        url: "{{ base }}/a.txt"
        dest: /srv/out/bad.txt
        checksum: sha256:0000000000000000000000000000000000000000000000000000000000000000
      ignore_errors: true
    - name: a missing file
      get_url: { url: "{{ base }}/no-such.txt", dest: /srv/out/none.txt }
      ignore_errors: true
    - name: local edits
      copy: { dest: "{{ item }}", content: "local\n" }
      loop: [/srv/out/b.txt, "/srv/git/co %x/-lead", /srv/un/xz/-lead]
    - name: no force keeps a local edit
      get_url: { url: "{{ base }}/sub/b.txt", dest: /srv/out/b.txt }
      register: g5
    - name: force puts it back
      get_url: { url: "{{ base }}/sub/b.txt", dest: /srv/out/b.txt, force: true }
      register: g6
    - name: git force over a local change
      git: { repo: /srv/repo.git, dest: "/srv/git/co %x", version: feature, force: true }
      register: r6
    - name: a branch that moved on
      git: { repo: /srv/repo.git, dest: /srv/git/branch, version: feature }
      register: r8
    - name: update no
      git: { repo: /srv/repo.git, dest: /srv/git/tag, version: main, update: false }
      register: r7
    - name: an unknown version
      git: { repo: /srv/repo.git, dest: /srv/git/unknown, version: no-such-rev }
      ignore_errors: true
    - name: the archive again over the edit
      unarchive: { src: /srv/arch/t.tar.xz, dest: /srv/un/xz, remote_src: true, extra_opts: [--strip-components=1] }
    - set_fact:
        stable:
          - "{{ [g5.checksum_dest | default(none), g6.checksum_dest, r6.before, r6.after, r7.before, r7.after, r8.before, r8.after] }}"
          - "{{ [g5, g6, r6, r7, r8] | map('dict2items') | map('selectattr', 'key', 'in', ['msg', 'size', 'mode', 'status_code', 'remote_url_changed']) | map('items2dict') | list }}"
    - debug: var=stable
YML

ev="-e arch=$S/arch -e sum_a=$sum_a -e sum_gz=$(sha1sum "$S/arch/t.tar.gz" | cut -d' ' -f1) -e v1=$v1"
# the plan says what will change, and changes nothing
# shellcheck disable=SC2086
run_tend 2 plan --detailed-exitcode -i "$CT_DIR/n.tend.inv" "$T/main.yml" $ev
cp "$T/out" "$T/n.plan.main"
for line in "download: http://127.0.0.1:8000/a.txt -> /srv/out/dl dir %/a copy %.txt" \
	"download: http://127.0.0.1:8000/-odd%20name%25.txt -> /srv/out/dl dir %/" \
	"send $S/arch/t.tar.gz to the host and extract it into /srv/un/gz where it differs" \
	"extract: /srv/arch/t.tar.xz -> /srv/un/xz" \
	"differs: /usr/bin/tar: -lead: Warning: Cannot stat: No such file or directory" \
	"extract: /srv/arch/t.zip -> /srv/un/zip %" "differs: differs top/-lead" \
	"clone: file:///srv/repo.git at HEAD (133962bb2426) -> /srv/git/co %x" \
	"clone: file:///srv/repo.git at v1 (1d14778e3472) -> /srv/git/tag" \
	"clone: file:///srv/repo.git at feature (8b3961114e4b) -> /srv/git/branch" \
	"clone: file:///srv/repo.git at $v1 (1d14778e3472) -> /srv/git/sha" \
	"Plan: 15 to change,"; do
	expect_in "$T/out" "$line"
done
expect_not_in "$T/out" "p w%"
ct_exec nt sh -c "$state" >"$T/after-plan" 2>&1
expect_not_in "$T/after-plan" "out/dl dir"
expect_not_in "$T/after-plan" "git/co"
expect_not_in "$T/after-plan" "ansible-httpget"
step "plan"

# shellcheck disable=SC2086
ct_pair_run n main "$T/main.yml" $ev
same_stable main
ct_pair_state n "$state"
expect_not_in "$T/n.main.tend.json" "p w%"
step "main"
# shellcheck disable=SC2086
ct_pair_run n again "$T/main.yml" $ev
same_stable again
expect_in "$T/n.again.ansible.json" '"changed": 0,'
# a converged plan: one round trip per check, git's ls-remote included
# shellcheck disable=SC2086
run_tend 0 plan --detailed-exitcode --stats -i "$CT_DIR/n.tend.inv" "$T/conv.yml" $ev
expect_in "$T/out" "Plan: 0 to change, 9 ok, 0 unknown on 1 host."
expect_in "$T/err" "stats: 9 round trips for 9 task results (1.00 per task per host)"
step "again"
# the branch moves on in the repository (the same commit on both)
ct_pair_exec n sh -c 'export GIT_AUTHOR_DATE=2020-01-02T00:00:00Z \
	GIT_COMMITTER_DATE=2020-01-02T00:00:00Z GIT_AUTHOR_NAME=T \
	GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=T \
	GIT_COMMITTER_EMAIL=t@example.com && cd /tmp/w &&
	git checkout -q feature && echo four >feat.txt && git commit -qam four &&
	git push -q /srv/repo.git feature' || fail "cannot move the branch on"
four=$(ct_exec nt git -C /tmp/w rev-parse --short=12 HEAD)
# shellcheck disable=SC2086
run_tend 2 plan --detailed-exitcode -i "$CT_DIR/n.tend.inv" "$T/edit.yml" $ev
expect_in "$T/out" "update: /srv/git/branch 8b3961114e4b -> $four (feature)"
# shellcheck disable=SC2086
ct_pair_run n edit "$T/edit.yml" $ev
same_stable edit
ct_pair_state n "$state"
expect_not_in "$T/n.state.tend" bad.txt
expect_not_in "$T/n.state.tend" none.txt
expect_in "$T/n.edit.tend.json" "The checksum for /srv/out/bad.txt did not match"
expect_in "$T/n.edit.tend.json" "Failed to checkout no-such-rev"
step "edit"

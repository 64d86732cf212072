#!/bin/sh
# make install, install-systemd, uninstall and deb, with this tend
# (INSTALL_TEND, a scratch BUILD: nothing is compiled): every file where
# the GNU conventions put it, with its mode; each manual page renders
# without a groff warning and names every option `tend help` lists; bash
# completion (its function called as bash calls it) and zsh completion (an
# interactive zsh on a pty, compinit, TAB) complete commands, options,
# modules and the inventory's hosts for --limit; uninstall leaves no file;
# the .deb holds the same tree and depends on the libraries tend links.
. "$(dirname "$0")/../lib/lib-test.sh"
for t in groff man zsh dpkg-deb dpkg-shlibdeps; do
	command -v "$t" >/dev/null || fail "'$t' is missing (make test-deps)"
done
cd "$T"
dest=$T/dest
mk() { make -s --no-print-directory -C "$TOP" BUILD="$T/build" \
	INSTALL_TEND="$TEND" "$@" >"$T/make.out" 2>&1 ||
	{ cat "$T/make.out"; fail "make $*"; }; }
mk install install-systemd DESTDIR="$dest" PREFIX=/usr

# --- the files, by name and mode
"$TEND" help | sed -n 's/^  \([a-z]*\) .*/\1/p' >cmds
[ "$(wc -l <cmds)" -gt 10 ] || fail "no commands in 'tend help'"
{
	echo "0755 usr/bin/tend"
	echo "0644 usr/share/man/man1/tend.1"
	sed 's|.*|0644 usr/share/man/man1/tend-&.1|' cmds
	echo "0644 usr/share/man/man5/tend.yml.5"
	echo "0644 usr/share/bash-completion/completions/tend"
	echo "0644 usr/share/zsh/site-functions/_tend"
	for f in README.md SECURITY.md LICENSE; do
		echo "0644 usr/share/doc/tend/$f"
	done
	(cd "$TOP" && ls docs/*.md) | sed 's|.*|0644 usr/share/doc/tend/&|'
	echo "0644 usr/share/doc/tend/examples/tend.yml"
	echo "0644 usr/share/doc/tend/examples/tend-apply.env"
	for u in tend.service tend-apply@.service tend-apply@.timer; do
		echo "0644 usr/lib/systemd/system/$u"
	done
	echo "0644 usr/lib/sysusers.d/tend.conf"
} | sort >want
(cd "$dest" && find . -type f -printf '%m %P\n' | sed 's/^/0/' | sort) >got
diff -u want got || fail "installed files differ"
find "$dest" -type d ! -perm 0755 | grep . && fail "a directory not 0755"
cmp -s "$TEND" "$dest/usr/bin/tend" || fail "the installed binary is not TEND"
grep -q '^ExecStart=/usr/bin/tend daemon' "$dest/usr/lib/systemd/system/tend.service" ||
	fail "tend.service does not run /usr/bin/tend"
"$dest/usr/bin/tend" daemon --check --config "$dest/usr/share/doc/tend/examples/tend.yml" ||
	fail "the example tend.yml is refused"
cmp -s /usr/share/common-licenses/Apache-2.0 "$TOP/LICENSE" ||
	fail "LICENSE is not Debian's Apache-2.0 text"

# --- the manual pages: no warning from groff or man, every option there
man1=$dest/usr/share/man/man1
# (groff with every warning on renders each; man -l, slower, the first
# and the last)
render() { LC_ALL=C MANWIDTH=200 man --warnings=w -l "$1" 2>"$T/warn" | col -b; }
for p in "$man1"/*.1 "$dest/usr/share/man/man5/tend.yml.5"; do
	groff -man -Tascii -rLL=200n -ww "$p" 2>"$T/warn" | col -b >"page.${p##*/}"
	[ ! -s "$T/warn" ] || { cat "$T/warn"; fail "groff warns on $p"; }
done
for p in "$man1/tend.1" "$dest/usr/share/man/man5/tend.yml.5"; do
	render "$p" | grep -q '^NAME' || fail "man -l $p"
	[ ! -s "$T/warn" ] || { cat "$T/warn"; fail "man warns on $p"; }
done
mv page.tend.1 page
while read -r c; do
	grep -qE "^ *$c( |$)" page || fail "tend(1) does not list '$c'"
	grep -qF "tend-$c(1)" page || fail "tend(1) does not refer to tend-$c(1)"
	mv "page.tend-$c.1" page.$c
	"$TEND" help "$c" >help.$c
	grep -q "^NAME" page.$c || fail "tend-$c(1) has no NAME"
	head -1 help.$c | sed 's/^usage: //; s/ *$//' >usage
	grep -qF "$(cat usage)" page.$c || fail "tend-$c(1) lacks its usage"
	# every option of the help, spelled as there ("-i, --inventory PATH",
	# the first 28 columns after the indent: args.c's %-28s)
	grep '^  -' help.$c | cut -c3-30 | sed 's/ *$//' | sort >opts.$c
	grep -oF -f opts.$c page.$c | sort -u >found.$c || :
	comm -23 opts.$c found.$c | grep . && fail "tend-$c(1) lacks those"
done <cmds
[ "$(wc -l <opts.plan)" -gt 40 ] || fail "only $(wc -l <opts.plan) options of plan"
mv page.tend.yml.5 page.yml
# the sections: the rows of docs/config.md's first table
awk '/^\| section /{ t = 1; next } t && !/^\|/{ exit } t' "$TOP/docs/config.md" |
	sed -n 's/^| `\([a-z_]*\)` | .*/\1/p' >sections
[ "$(wc -l <sections)" -ge 8 ] || fail "no sections in docs/config.md"
while read -r s; do
	grep -q "^   $s\$" page.yml || fail "tend.yml(5) has no section '$s'"
done <sections
grep -q 'fetch_timeout' page.yml || fail "tend.yml(5) lacks the sources' keys"
run_tend 0 help tend.yml
while read -r s; do expect_in "$T/out" "$s: "; done <sections
expect_in "$T/out" " fetch_timeout "
run_tend 1 help --man nosuch
expect_in "$T/err" "no manual page for 'nosuch'"

# --- bash completion
printf '[web]\nweb1\nweb2\n[db]\ndb1 ansible_connection=local\n' >inv.ini
PATH=$dest/usr/bin:$PATH
export PATH
cat >bash-comp.sh <<'EOF'
. "$1"
c() {
	COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()
	_tend
	echo "${COMP_WORDS[*]}|${COMPREPLY[*]}"
}
c tend pl
c tend plan --inv
c tend apply --format j
c tend doc comm
c tend help ansi
c tend plan -i inv.ini --limit ''
c tend plan -i inv.ini -l d
c tend vault en
c tend plan -i in
c tend completion ''
EOF
bash bash-comp.sh "$dest/usr/share/bash-completion/completions/tend" >bash.out
cat >bash.want <<'EOF'
tend pl|plan
tend plan --inv|--inventory
tend apply --format j|json junit
tend doc comm|command
tend help ansi|ansible.cfg
tend plan -i inv.ini --limit |web1 web2 db1
tend plan -i inv.ini -l d|db1
tend vault en|encrypt encrypt_string
tend plan -i in|inv.ini
tend completion |bash zsh
EOF
diff -u bash.want bash.out || fail "bash completion"

# --- zsh completion: the installed _tend on fpath, compinit, then each
# line typed with TAB and ^X, a widget that writes the line as it is now
cat >zsh-drive.zsh <<'EOF'
zmodload zsh/zpty
fdir=$1 out=$2; shift 2
zpty z "zsh -f -i"
zpty -w z "fpath=($fdir \$fpath); autoload -Uz compinit; compinit -u -d \$ZDOTDIR/.zcompdump"
zpty -w z 'show() { print -r -- "$BUFFER|" >>'$out'; BUFFER=; }; zle -N show; bindkey "^X" show'
n=0
for l in "$@"; do
	zpty -n -w z "$l"$'\t\x18'
	(( n++ ))
	for i in {1..100}; do
		while zpty -rt z line; do :; done
		[[ -f $out ]] && (( $(wc -l <$out) >= n )) && break
		sleep 0.1
	done
done
zpty -d z
EOF
mkdir zdot
zsh -n "$dest/usr/share/zsh/site-functions/_tend" || fail "_tend: zsh -n"
ZDOTDIR=$T/zdot zsh -f zsh-drive.zsh "$dest/usr/share/zsh/site-functions" \
	"$T/zsh.out" 'tend pl' 'tend plan --inv' 'tend doc comm' \
	'tend plan -i inv.ini --limit d' 'tend apply --format mar' \
	'tend completion z'
cat >zsh.want <<'EOF'
tend plan |
tend plan --inventory=|
tend doc command |
tend plan -i inv.ini --limit db1 |
tend apply --format markdown |
tend completion zsh |
EOF
diff -u zsh.want zsh.out || fail "zsh completion"

# --- uninstall: no file left, the doc directory gone
mk uninstall DESTDIR="$dest" PREFIX=/usr
find "$dest" ! -type d | grep . && fail "uninstall left files"
[ ! -e "$dest/usr/share/doc/tend" ] || fail "uninstall left the doc directory"

# --- a prefix of one's own: the units run the tend installed there
mk install install-systemd DESTDIR="$dest" PREFIX=/opt/tend
grep -q '^ExecStart=/opt/tend/bin/tend daemon' "$dest/opt/tend/lib/systemd/system/tend.service" ||
	fail "tend.service does not run /opt/tend/bin/tend"
[ -x "$dest/opt/tend/bin/tend" ] && [ -f "$dest/opt/tend/share/man/man5/tend.yml.5" ] ||
	fail "PREFIX=/opt/tend"
mk uninstall DESTDIR="$dest" PREFIX=/opt/tend
find "$dest" ! -type d | grep . && fail "uninstall left files"

# --- make deb
mk deb
deb=$(ls "$T"/build/tend_*_"$(dpkg --print-architecture)".deb)
dpkg-deb -I "$deb" control >control
for lib in libc6 libgit2 libssh2-1 libcurl4 libsqlite3-0 libyaml-0-2; do
	grep -q "^Depends:.* $lib" control || fail "the .deb does not depend on $lib"
done
dpkg-deb -c "$deb" | awk '{ print $1, $6 }' >contents
for f in '-rwxr-xr-x ./usr/bin/tend' '-rw-r--r-- ./usr/share/man/man1/tend-plan.1.gz' \
	'-rw-r--r-- ./usr/share/man/man5/tend.yml.5.gz' \
	'-rw-r--r-- ./usr/share/zsh/vendor-completions/_tend' \
	'-rw-r--r-- ./usr/share/bash-completion/completions/tend' \
	'-rw-r--r-- ./usr/share/doc/tend/copyright' \
	'-rw-r--r-- ./lib/systemd/system/tend.service'; do
	grep -qxF -- "$f" contents || { cat contents; fail "the .deb lacks '$f'"; }
done
dpkg-deb -c "$deb" | awk '$2 != "root/root"' | grep . && fail "a file of the .deb not owned by root"
echo ok

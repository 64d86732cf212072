# tend — one Makefile, no generators.
#
#   make              build bin/tend
#   make deps         install the Debian packages it needs (no-op when present)
#   make test         build, then run the unit and integration tests (under
#                     AddressSanitizer + UBSan), the system and compat tests
#   make test-system  only the system tests: Debian 12 containers (LXD)
#   make test-compat  only the compat suite: ansible-playbook vs tend
#   make check-asan   only the unit and integration tests, under ASan + UBSan
#   make bench        tend vs ansible-playbook on real sshd hosts (not in CI)
#   make bench-system the same on a Debian 12 container: packages, services,
#                     users, cron, a download (not in CI)
#   make fuzz         each libFuzzer harness for FUZZ_SECONDS (docs/fuzzing.md)
#   make install      bin/tend, its manual pages, bash and zsh completion,
#                     the docs and an example tend.yml under PREFIX
#                     (/usr/local; DESTDIR stages); make uninstall removes
#                     them; make install-systemd the units (contrib/systemd)
#   make deb          a Debian package of all that (scripts/mkdeb.sh)

CC ?= cc
PKGS = libgit2 yaml-0.1 libssh2 libcurl sqlite3 jansson libsodium libpcre2-8 \
	libcrypto libxcrypt libmicrohttpd
DEB_PKGS = build-essential pkg-config libgit2-dev libyaml-dev libssh2-1-dev \
	libcurl4-openssl-dev libsqlite3-dev libjansson-dev libcmocka-dev \
	libsodium-dev libpcre2-dev libssl-dev libcrypt-dev libmicrohttpd-dev

BUILD ?= build
# The second builds (sanitized, fuzz) use every CPU unless make was given
# a -j of its own.
SUBMAKE_J = $(if $(filter -j%,$(MAKEFLAGS)),,-j$(shell getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1))
SANITIZE ?=
OPT ?= -O2 -g

# clang (the fuzz build) has no -Wshadow=local; its -Wshadow is the
# stricter superset, and the tree is clean under it.
CC_IS_CLANG := $(findstring clang,$(shell $(CC) --version 2>/dev/null | head -n 1))
WARN = -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes -Wvla \
	-Wwrite-strings -Wformat-security \
	$(if $(CC_IS_CLANG),-Wshadow,-Wshadow=local)
# pkg-config runs when a recipe first needs its answer, not when make reads
# this file: `make deps demo` on a fresh machine installs the packages first
# (the answer is then cached for the rest of the run).
PKG_CFLAGS = $(eval PKG_CFLAGS := $$(shell pkg-config --cflags $(PKGS)))$(PKG_CFLAGS)
PKG_LIBS = $(eval PKG_LIBS := $$(shell pkg-config --libs $(PKGS)))$(PKG_LIBS)
CFLAGS_ALL = -std=c11 $(OPT) $(WARN) -Iinclude $(PKG_CFLAGS) -pthread -MMD -MP \
	$(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all) \
	$(CFLAGS)
LDFLAGS_ALL = -pthread $(if $(SANITIZE),-fsanitize=$(SANITIZE)) $(LDFLAGS)
LIBS = $(PKG_LIBS) -lm

# runner/<layer>/*.c and modules/*.c (docs/architecture.md has the map)
LIB_SRC = $(filter-out runner/cli/main.c,$(wildcard runner/*/*.c)) \
	$(wildcard modules/*.c)
LIB_OBJ = $(LIB_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
# Small programs integration tests run, built beside the tend they test:
# tests/helpers/NAME.c -> $(BUILD)/tests/helpers/NAME.
HELPER_SRC = $(wildcard tests/helpers/*.c)
HELPER_BIN = $(HELPER_SRC:tests/helpers/%.c=$(BUILD)/tests/helpers/%)

ifeq ($(BUILD),build)
TEND = bin/tend
else
TEND = $(BUILD)/bin/tend
endif

all: $(TEND)

# With `deps` (or `test-deps`) among the goals, nothing compiles before the
# packages are in, even under -j.
DEPS_FIRST = $(filter deps test-deps,$(MAKECMDGOALS))
$(LIB_OBJ) $(BUILD)/runner/cli/main.o: | $(DEPS_FIRST)

$(TEND): $(BUILD)/runner/cli/main.o $(BUILD)/libtend.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

$(BUILD)/libtend.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h $(BUILD)/libtend.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests/unit -o $@ $< $(BUILD)/libtend.a \
		$(LDFLAGS_ALL) $(LIBS) -lcmocka

$(BUILD)/tests/helpers/%: tests/helpers/%.c $(BUILD)/libtend.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(BUILD)/libtend.a $(LDFLAGS_ALL) $(LIBS)

deps:
	@missing=""; for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	else echo "deps: all present"; fi

# What the tests need beyond the build: real sshd, ansible-core for the
# comparison tests and ansible (its collections: the json stdout callback
# they read is ansible.posix's; apt brought it only as a Recommends), git for fixtures, clang and its libFuzzer runtime for
# `make fuzz`; zip and unzip for the unarchive tests, python3-distro for
# the facts tests; systemd for systemd-analyze and systemd-sysusers (the
# shipped units' test); time for GNU time's peak RSS (t3036, the benches);
# groff-base, man-db and zsh to render the manual pages and drive the
# completion scripts (t0016); iproute2 for the network namespaces of the
# ProxyJump test (t5005: a minimal Debian lacks `ip`).
TEST_DEB_PKGS = openssh-server openssh-client ansible-core ansible git python3 sudo \
	prometheus-alertmanager curl clang libclang-rt-14-dev \
	debootstrap lxd lxd-client busybox-static zip unzip python3-distro gpg sqlite3 \
	systemd openssl time groff-base man-db zsh iproute2
test-deps: deps
	@missing=""; for p in $(TEST_DEB_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

test-unit: $(UNIT_BIN)
	@sh tests/run-unit.sh $(UNIT_BIN)

test-integration: $(TEND) $(HELPER_BIN)
	@TEND=$(abspath $(TEND)) sh tests/run-integration.sh

# The system tests (t4NNN) against Debian 12 containers: LXD, image
# cached in /var/cache/tend-test (tests/run-system.sh). Also in `make test`,
# never under check-asan.
test-system: $(TEND)
	@TEND=$(abspath $(TEND)) sh tests/run-system.sh

# ansible-playbook and tend side by side on tests/compat/cases/ (run.sh
# says what is compared); CASES=DIR... for some of them.
test-compat: $(TEND)
	@TEND=$(abspath $(TEND)) sh tests/compat/run.sh $(CASES)

# The unit and integration tests run once, on the sanitized build
# (build-asan/: ASan + UBSan, -O1): every memory error or undefined
# behaviour they reach fails them. The system and compat tests, and the
# demo, run the release build bin/tend (they compare behaviour, and their C
# paths are the integration tests' too).
ASAN_BUILD = build-asan
ASAN_MAKE = $(MAKE) $(SUBMAKE_J) --no-print-directory BUILD=$(ASAN_BUILD) \
	SANITIZE=address,undefined OPT="-O1 -g"
ASAN_UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(ASAN_BUILD)/tests/%)

unit-bin: $(UNIT_BIN)

helper-bin: $(HELPER_BIN)

test: $(TEND)
	@$(ASAN_MAKE) all unit-bin helper-bin
	@TEND=$(abspath $(TEND)) TEND_ASAN=$(abspath $(ASAN_BUILD)/bin/tend) \
		sh tests/run-all.sh $(ASAN_UNIT_BIN)

check-asan:
	$(ASAN_MAKE) test-unit test-integration

# The include graph follows the layers (scripts/check-layers.py says how).
check-layers: $(BUILD)/libtend.a
	@python3 scripts/check-layers.py . $(BUILD)

# No .c over 1,000 lines, no function over 120 (scripts/check-size.py).
check-size:
	@python3 scripts/check-size.py

# Fuzzing (docs/fuzzing.md): tests/fuzz/fuzz_NAME.c are libFuzzer harnesses,
# linked against the library built by clang with coverage, ASan and UBSan
# in its own BUILD dir. `make fuzz` replays tests/fuzz/regress/NAME/ and
# runs each harness FUZZ_SECONDS on a scratch copy of tests/fuzz/corpus/NAME/.
FUZZ_SECONDS ?= 10
FUZZ_BUILD = build-fuzz
FUZZ_NAMES = $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN = $(FUZZ_NAMES:%=$(BUILD)/fuzz/fuzz_%)

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(BUILD)/tests/fuzz/fuzz.o $(BUILD)/libtend.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -fsanitize=fuzzer -Itests/fuzz -o $@ $< \
		$(BUILD)/tests/fuzz/fuzz.o $(BUILD)/libtend.a $(LDFLAGS_ALL) \
		-fsanitize=fuzzer $(LIBS)

fuzz-bin: $(FUZZ_BIN)

fuzz-build: | $(DEPS_FIRST)
	@$(MAKE) $(SUBMAKE_J) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang \
		SANITIZE=fuzzer-no-link,address,undefined OPT="-O1 -g" fuzz-bin

fuzz: fuzz-build
	@sh tests/fuzz/run.sh $(FUZZ_BUILD)/fuzz $(FUZZ_SECONDS) $(FUZZ_NAMES)

# The manual pages and completion scripts are printed by the freshly built
# tend from the tables behind --help (runner/cli/manual.c, completion.c),
# so they cannot drift from it. INSTALL_TEND: another tend binary to
# install and generate them with (the tests give theirs, with a scratch
# BUILD; make then builds nothing).
INSTALL_TEND ?= $(TEND)
$(BUILD)/man/.stamp: $(INSTALL_TEND)
	@rm -rf $(BUILD)/man && mkdir -p $(BUILD)
	$(INSTALL_TEND) help --man-dir $(BUILD)/man >/dev/null
	@touch $@

$(BUILD)/completion/tend.bash: $(INSTALL_TEND)
	@mkdir -p $(dir $@)
	$(INSTALL_TEND) completion bash >$@.tmp && mv $@.tmp $@

$(BUILD)/completion/_tend: $(INSTALL_TEND)
	@mkdir -p $(dir $@)
	$(INSTALL_TEND) completion zsh >$@.tmp && mv $@.tmp $@

man: $(BUILD)/man/.stamp

completion: $(BUILD)/completion/tend.bash $(BUILD)/completion/_tend

# Installation, by the GNU conventions: PREFIX, BINDIR, MANDIR, DATADIR,
# DOCDIR..., all overridable, and DESTDIR to stage. The units' config
# directory is /etc/tend whatever the prefix (systemd's
# ConfigurationDirectory=), so there is no SYSCONFDIR to choose.
PREFIX ?= /usr/local
EXEC_PREFIX ?= $(PREFIX)
BINDIR ?= $(EXEC_PREFIX)/bin
LIBDIR ?= $(EXEC_PREFIX)/lib
DATAROOTDIR ?= $(PREFIX)/share
DATADIR ?= $(DATAROOTDIR)
MANDIR ?= $(DATAROOTDIR)/man
DOCDIR ?= $(DATAROOTDIR)/doc/tend
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
ZSHCOMPDIR ?= $(DATADIR)/zsh/site-functions
SYSTEMDUNITDIR ?= $(LIBDIR)/systemd/system
SYSUSERSDIR ?= $(LIBDIR)/sysusers.d
INSTALL ?= install
INSTALL_PROGRAM ?= $(INSTALL) -m 0755
INSTALL_DATA ?= $(INSTALL) -m 0644
DOC_FILES = README.md SECURITY.md LICENSE
UNITS = tend.service tend-apply@.service tend-apply@.timer

install: $(INSTALL_TEND) man completion
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(DOCDIR)/docs \
		$(DESTDIR)$(DOCDIR)/examples
	$(INSTALL_PROGRAM) $(INSTALL_TEND) $(DESTDIR)$(BINDIR)/tend
	$(INSTALL_DATA) $(BUILD)/man/*.1 $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL_DATA) $(BUILD)/man/*.5 $(DESTDIR)$(MANDIR)/man5/
	$(INSTALL_DATA) $(BUILD)/completion/tend.bash $(DESTDIR)$(BASHCOMPDIR)/tend
	$(INSTALL_DATA) $(BUILD)/completion/_tend $(DESTDIR)$(ZSHCOMPDIR)/_tend
	$(INSTALL_DATA) $(DOC_FILES) $(DESTDIR)$(DOCDIR)/
	$(INSTALL_DATA) docs/*.md $(DESTDIR)$(DOCDIR)/docs/
	$(INSTALL_DATA) contrib/tend.yml.example $(DESTDIR)$(DOCDIR)/examples/tend.yml
	$(INSTALL_DATA) contrib/systemd/tend-apply.env.example \
		$(DESTDIR)$(DOCDIR)/examples/tend-apply.env

# The units run $(BINDIR)/tend: their /usr/bin/tend is rewritten.
install-systemd:
	$(INSTALL) -d $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSUSERSDIR)
	for u in $(UNITS); do \
		sed 's|/usr/bin/tend|$(BINDIR)/tend|g' contrib/systemd/$$u \
			>$(DESTDIR)$(SYSTEMDUNITDIR)/$$u.tmp && \
		chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$u.tmp && \
		mv $(DESTDIR)$(SYSTEMDUNITDIR)/$$u.tmp \
			$(DESTDIR)$(SYSTEMDUNITDIR)/$$u || exit 1; \
	done
	$(INSTALL_DATA) contrib/systemd/tend.sysusers $(DESTDIR)$(SYSUSERSDIR)/tend.conf

# Everything install and install-systemd put in, by name (the manual pages
# by tend's own prefix), and the directories that are tend's alone.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/tend $(DESTDIR)$(MANDIR)/man1/tend.1 \
		$(DESTDIR)$(MANDIR)/man1/tend-*.1 \
		$(DESTDIR)$(MANDIR)/man5/tend.yml.5 \
		$(DESTDIR)$(BASHCOMPDIR)/tend $(DESTDIR)$(ZSHCOMPDIR)/_tend \
		$(UNITS:%=$(DESTDIR)$(SYSTEMDUNITDIR)/%) \
		$(DESTDIR)$(SYSUSERSDIR)/tend.conf
	rm -rf $(DESTDIR)$(DOCDIR)

# A Debian package of `make install` and `make install-systemd` with
# PREFIX=/usr, its Depends computed by dpkg-shlibdeps (scripts/mkdeb.sh).
deb: $(INSTALL_TEND) man completion
	@INSTALL_TEND=$(INSTALL_TEND) BUILD=$(BUILD) sh scripts/mkdeb.sh

demo: $(TEND)
	@sh playbooks/demo.sh $(TEND)

# tend vs ansible-playbook on real sshd hosts: bench/run.sh (BENCH_HOSTS,
# BENCH_RUNS override). Not part of `make test` or CI.
$(BUILD)/bench/rtt: bench/rtt.c $(BUILD)/libtend.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(BUILD)/libtend.a $(LDFLAGS_ALL) $(LIBS)

bench: $(TEND) $(BUILD)/bench/rtt
	@TEND=$(abspath $(TEND)) RTT=$(abspath $(BUILD)/bench/rtt) sh bench/run.sh

# tend vs ansible-playbook on a Debian 12 container: packages, services,
# users, cron, a download (bench/system.sh; LXD as the system tests).
bench-system: $(TEND)
	@TEND=$(abspath $(TEND)) sh bench/system.sh

clean:
	rm -rf build $(ASAN_BUILD) $(FUZZ_BUILD) bin

.PHONY: all deps test-deps test unit-bin man completion install \
	install-systemd uninstall deb helper-bin test-unit test-integration test-system test-compat check-asan check-layers check-size demo clean bench bench-system \
	fuzz fuzz-build fuzz-bin

-include $(LIB_OBJ:.o=.d) $(BUILD)/runner/cli/main.d $(FUZZ_BIN:=.d) \
	$(HELPER_BIN:=.d) \
	$(BUILD)/tests/fuzz/fuzz.d

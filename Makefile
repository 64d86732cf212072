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
# comparison tests, git for fixtures, clang and its libFuzzer runtime for
# `make fuzz`; zip and unzip for the unarchive tests, python3-distro for
# the facts tests; systemd for systemd-analyze and systemd-sysusers (the
# shipped units' test); time for GNU time's peak RSS (t3036, the benches).
TEST_DEB_PKGS = openssh-server openssh-client ansible-core git python3 sudo \
	prometheus-alertmanager curl clang libclang-rt-14-dev \
	debootstrap lxd lxd-client busybox-static zip unzip python3-distro gpg sqlite3 \
	systemd openssl time
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

.PHONY: all deps test-deps test unit-bin helper-bin test-unit test-integration test-system test-compat check-asan check-layers check-size demo clean bench bench-system \
	fuzz fuzz-build fuzz-bin

-include $(LIB_OBJ:.o=.d) $(BUILD)/runner/cli/main.d $(FUZZ_BIN:=.d) \
	$(HELPER_BIN:=.d) \
	$(BUILD)/tests/fuzz/fuzz.d

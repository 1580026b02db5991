# cpr-intake build. `make` builds bin/cpr-intake; `make check` installs missing
# Debian packages, builds with sanitizers and runs every test; `make demo` runs the
# main job end to end. See README.

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc

PKGS := gmime-3.0 libetpan sqlite3 libcurl json-glib-1.0 gnutls glib-2.0

# Debian 12 package names for everything the build, the tests and the demo use.
DEB_PKGS := build-essential pkg-config libglib2.0-dev libgmime-3.0-dev libetpan-dev \
            libsqlite3-dev libcurl4-gnutls-dev libjson-glib-dev libgnutls28-dev \
            dovecot-imapd isync gnutls-bin sqlite3 python3 procps clang libclang-rt-14-dev

# libetpan's .pc carries a dpkg -specs= flag that has no business in our link line.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(filter-out -specs=%,$(shell pkg-config --libs $(PKGS) 2>/dev/null))

WARN     := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wformat=2 -Wshadow -Werror \
            -Wno-unused-parameter -Wno-missing-field-initializers
CFLAGS   ?= -O2 -g
# Where `make install` puts the report templates; drafts look there last.
SHARE_DIR ?= $(PREFIX)/share/cpr-intake
ALL_CFLAGS = $(WARN) $(CFLAGS) -Iinclude $(PKG_CFLAGS) -DCPR_SHARE_DIR='"$(SHARE_DIR)"'
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

PARSER_SRC := $(wildcard parsers/*.c)
AGENT_SRC  := $(filter-out agent/main.c,$(wildcard agent/*.c))
LIB_SRC    := $(PARSER_SRC) $(AGENT_SRC)
TEST_SRC   := $(wildcard tests/test_*.c)
HDRS       := $(wildcard include/*.h) $(wildcard tests/*.h)

REL_OBJ := $(LIB_SRC:%.c=build/rel/%.o)
SAN_OBJ := $(LIB_SRC:%.c=build/san/%.o)
TEST_BIN := $(TEST_SRC:tests/%.c=build/san/tests/%)

.PHONY: all deps check demo bench soak install clean test-bins fuzz fuzz-bins fuzz-smoke
all: bin/cpr-intake

deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi; \
	  $$sudo apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing \
	    || { echo "deps: apt-get install failed for:$$missing" >&2; exit 1; }; \
	fi

build/rel/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

build/san/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) -c $< -o $@

build/rel/libcpr.a: $(REL_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

build/san/libcpr.a: $(SAN_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

bin/cpr-intake: build/rel/agent/main.o build/rel/libcpr.a
	@mkdir -p bin
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) -lm

build/san/cpr-intake: build/san/agent/main.o build/san/libcpr.a
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(PKG_LIBS) -lm

# Tests link the archive: each pulls in only the modules it uses.
build/san/tests/%: build/san/tests/%.o build/san/libcpr.a
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(PKG_LIBS) -lm

test-bins: build/san/cpr-intake $(TEST_BIN)

check: deps
	$(MAKE) test-bins
	tests/run-tests.sh build/san

demo: deps
	$(MAKE) bin/cpr-intake
	tests/demo.sh

bench: deps
	$(MAKE) bin/cpr-intake
	tests/bench.sh

# The daemon under a steady stream of mail, server restarts and receiver
# failures; prints RSS, descriptors and database size at start and end.
SOAK_SECONDS ?= 120
soak: deps
	$(MAKE) bin/cpr-intake
	SOAK_SECONDS=$(SOAK_SECONDS) tests/soak.sh

# libFuzzer targets tests/fuzz/fuzz_*.c (see tests/fuzz/README.md): clang with
# ASan+UBSan, the library compiled again with the same flags into build/fuzz.
# Clang-only warnings in the library do not stop the fuzz build (gcc is the
# strict one). `make fuzz FUZZ_SECONDS=N` runs each target N seconds.
FUZZ_CC      ?= clang
FUZZ_CFLAGS  ?= -O1 -g
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_SECONDS ?= 60
FUZZ_BIN     := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_LIB_SRC := $(filter-out agent/cli_%.c agent/imap_cli.c,$(LIB_SRC)) # no CLI is fuzzed

build/fuzz/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(WARN) -Wno-error $(FUZZ_CFLAGS) -Iinclude $(PKG_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c $< -o $@

build/fuzz/libcpr.a: $(FUZZ_LIB_SRC:%.c=build/fuzz/%.o)
	rm -f $@ && ar rcs $@ $^

build/fuzz/fuzz_%: build/fuzz/tests/fuzz/fuzz_%.o build/fuzz/libcpr.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS) -lm

fuzz-bins: $(FUZZ_BIN)

fuzz: deps
	$(MAKE) fuzz-bins
	tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BIN)

fuzz-smoke: fuzz-bins
	sh tests/t_fuzz.sh

install: bin/cpr-intake
	install -D -m 0755 bin/cpr-intake $(DESTDIR)$(PREFIX)/bin/cpr-intake
	install -d $(DESTDIR)$(SHARE_DIR)/templates
	install -m 0644 conf/cpr-intake.conf conf/cpr-intake.service $(DESTDIR)$(SHARE_DIR)/
	install -m 0644 conf/templates/*.md $(DESTDIR)$(SHARE_DIR)/templates/
	install -m 0644 conf/rules.conf $(DESTDIR)$(SHARE_DIR)/

clean:
	rm -rf build bin

# connectord: one GNU make file.
#   make            build/connectord (optimized, with debug info)
#   make run        install missing packages, build, start a dev server on 127.0.0.1:8080
#   make test       install missing packages, build the sanitizer binaries, run unit + e2e tests
#                   on SQLite, then the store's unit tests and e2e again on PostgreSQL
#   make test-pg    only the PostgreSQL pass of `make test`
#   make bench      HTTP benchmark against nginx (bench/http.sh)
#   make fuzz       libFuzzer (clang) over what reads outside bytes, FUZZ_SECONDS=60 each
#   make crash      the crash-consistency proofs' long form (tests/crash/, CRASH_CYCLES=20)
#   make install    the binary, connectord(8), the systemd unit and an example configuration
#                   under $(DESTDIR)$(PREFIX) (PREFIX=/usr/local by default)
#   make deb        the Debian package (packaging/build-deb): build/deb/connectord_*.deb
# Sources are found by wildcard per module, so a new file needs no edit here.

PKGS      := libmicrohttpd jansson sqlite3 libcrypto libcurl libpq cairo fontconfig libsystemd \
             libxml-2.0
# Headers only: src/documents/libs.c loads these with dlopen when the first document comes,
# so a process that reads none does not carry them (about 8 MB of resident memory).
DLOPEN_PKGS := poppler-glib tesseract lept
CC        ?= cc
VERSION   := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
GIT_REV   := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) $(DLOPEN_PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS)) -lpthread

WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
BASE      := -std=c11 -D_GNU_SOURCE -Isrc -Ibuild -DCONNECTORD_VERSION='"$(VERSION)"' \
             -DCONNECTORD_REVISION='"$(GIT_REV)"' $(WARN)
OPT       := -O2 -g
SAN       := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all

SRC       := $(sort $(wildcard src/*.c src/*/*.c src/*/*/*.c))
LIB_SRC   := $(filter-out src/main.c,$(SRC))
# The connector store page (web/) is compiled in: tools/web_embed writes build/gen/web_assets.c.
WEB       := $(sort $(wildcard web/*))
# The connector manifests (connectors/) too, once tools/manifest_embed has checked each
# against their JSON Schema: a manifest that does not fit fails the build. The catalog's
# order is connectors/catalog.list.
MANIFESTS := $(sort $(wildcard connectors/*.json))
MANIFEST_SCHEMA := connectors/schema/connector-manifest.json
MANIFEST_ORDER := connectors/catalog.list
# The OpenAPI document (openapi/): tools/openapi_embed assembles it into build/gen/openapi.c.
OPENAPI   := openapi/base.json $(sort $(wildcard openapi/paths/*.json))
OBJ       := $(patsubst src/%.c,build/obj/%.o,$(SRC)) build/obj/gen/web_assets.o \
             build/obj/gen/manifests.o build/obj/gen/openapi.o
SAN_OBJ   := $(patsubst src/%.c,build/san/%.o,$(SRC)) build/san/gen/web_assets.o \
             build/san/gen/manifests.o build/san/gen/openapi.o
SAN_LIB   := $(filter-out build/san/main.o,$(SAN_OBJ))
# tests/unit/ mirrors src/ folder by folder (tests/unit/core/test_json.c tests src/core/json.c);
# shared helpers are in tests/unit/lib/. Binaries keep flat names: build/test/test_json.
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c tests/unit/*/test_*.c))
UNIT_BIN  := $(sort $(addprefix build/test/,$(basename $(notdir $(UNIT_SRC)))))
vpath test_%.c $(sort $(dir $(UNIT_SRC)))
# The releases whose stores the upgrade test (tests/e2e/upgrade.test.js) opens with this
# build, one per landing since the first kept store (tests/e2e/upgrade-releases.json). Each
# is built once from git history (scripts/build-release).
UPGRADE_RELEASES := $(shell sed -n 's/.*"rev": *"\([0-9a-f]*\)".*/\1/p' tests/e2e/upgrade-releases.json)
UPGRADE_BIN  := $(foreach rev,$(UPGRADE_RELEASES),build/upgrade/$(rev)/connectord)

.PHONY: all run test test-pg unit e2e bench fuzz crash clean deps deps-test install deb FORCE
all: build/connectord

deps:
	@scripts/setup
deps-test:
	@scripts/setup test

build/connectord: $(OBJ)
	@echo '  LINK   $@'
	@$(CC) $(OPT) -o $@ $^ $(PKG_LIBS)

build/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	@echo '  CC     $<'
	@$(CC) $(BASE) $(OPT) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

build/san/%.o: src/%.c
	@mkdir -p $(dir $@)
	@echo '  CC san $<'
	@$(CC) $(BASE) $(SAN) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

build/tools/web_embed: tools/web_embed.c
	@mkdir -p $(dir $@)
	@echo '  CC     $<'
	@$(CC) -std=c11 -O2 $(WARN) -o $@ $<

# Rebuilt when a file of web/ changes or one is added or removed (the list is a prerequisite).
build/gen/web_assets.c: build/tools/web_embed $(WEB) build/gen/web.list
	@echo '  EMBED  web/'
	@build/tools/web_embed $@ $(WEB)

build/gen/web.list: FORCE
	@mkdir -p $(dir $@)
	@echo '$(WEB)' | cmp -s - $@ || echo '$(WEB)' > $@

build/obj/gen/web_assets.o build/san/gen/web_assets.o: src/api/web_assets.h

# The tool checks with the server's own schema validator (src/catalog/schema.c).
build/tools/manifest_embed: tools/manifest_embed.c src/catalog/schema.c src/catalog/schema.h
	@mkdir -p $(dir $@)
	@echo '  CC     $<'
	@$(CC) -std=c11 -D_GNU_SOURCE -Isrc -O2 $(WARN) $(shell pkg-config --cflags jansson) -o $@ \
		$< src/catalog/schema.c $(shell pkg-config --libs jansson)

build/gen/manifests.c: build/tools/manifest_embed $(MANIFEST_SCHEMA) $(MANIFEST_ORDER) \
		$(MANIFESTS) build/gen/manifests.list
	@echo '  CHECK  connectors/ against $(MANIFEST_SCHEMA)'
	@build/tools/manifest_embed $@ $(MANIFEST_ORDER) $(MANIFEST_SCHEMA) $(MANIFESTS)

build/gen/manifests.list: FORCE
	@mkdir -p $(dir $@)
	@echo '$(MANIFESTS)' | cmp -s - $@ || echo '$(MANIFESTS)' > $@

build/obj/gen/manifests.o build/san/gen/manifests.o build/fuzz/obj/gen/manifests.o: \
	src/catalog/manifest_texts.h

build/tools/openapi_embed: tools/openapi_embed.c
	@mkdir -p $(dir $@)
	@echo '  CC     $<'
	@$(CC) -std=c11 -D_GNU_SOURCE -O2 $(WARN) $(shell pkg-config --cflags jansson) -o $@ $< \
		$(shell pkg-config --libs jansson)

build/gen/openapi.c: build/tools/openapi_embed src/core/errors.def VERSION $(OPENAPI) \
		build/gen/openapi.list
	@echo '  EMBED  openapi/'
	@build/tools/openapi_embed $@ $(VERSION) src/core/errors.def $(OPENAPI)

build/gen/openapi.list: FORCE
	@mkdir -p $(dir $@)
	@echo '$(OPENAPI)' | cmp -s - $@ || echo '$(OPENAPI)' > $@

build/obj/gen/openapi.o build/san/gen/openapi.o build/fuzz/obj/gen/openapi.o: src/api/openapi.h

build/obj/gen/%.o: build/gen/%.c
	@mkdir -p $(dir $@)
	@echo '  CC     $<'
	@$(CC) $(BASE) $(OPT) $(PKG_CFLAGS) -c -o $@ $<

build/san/gen/%.o: build/gen/%.c
	@mkdir -p $(dir $@)
	@echo '  CC san $<'
	@$(CC) $(BASE) $(SAN) $(PKG_CFLAGS) -c -o $@ $<

# The binary the end-to-end tests drive: the real server, under ASan and UBSan.
build/test/connectord: $(SAN_OBJ)
	@mkdir -p $(dir $@)
	@echo '  LINK   $@'
	@$(CC) $(SAN) -o $@ $^ $(PKG_LIBS)

build/test/test_%: test_%.c $(SAN_LIB)
	@mkdir -p $(dir $@)
	@echo '  TEST   $@'
	@$(CC) $(BASE) -Itests/unit/lib $(SAN) $(PKG_CFLAGS) $(shell pkg-config --cflags cmocka) \
		-o $@ $< $(SAN_LIB) \
		$(PKG_LIBS) $(shell pkg-config --libs cmocka)

run: deps
	@$(MAKE) --no-print-directory build/connectord
	@mkdir -p var
	./build/connectord serve --dev

test: deps-test tests/e2e/node_modules/.installed
	@$(MAKE) --no-print-directory build/test/connectord $(UNIT_BIN) $(UPGRADE_BIN) $(CRASH_DEPS) $(FUZZ_BIN) $(DEB)
	@CONNECTORD_DEB=$(DEB) tests/run $(UNIT_BIN) $(FUZZ_BIN)

# The PostgreSQL pass alone (tests/run, tests/pg/cluster): the unit tests that open a store
# and the end-to-end suite, on a throwaway cluster.
test-pg: deps-test tests/e2e/node_modules/.installed
	@$(MAKE) --no-print-directory build/test/connectord $(UNIT_BIN)
	@TEST_BACKENDS=postgres tests/run $(UNIT_BIN)

# The crash-consistency proofs (tests/crash/): SIGKILL cycles, fsync order, power cuts and a
# full disk, on the release and the sanitizer build. `make test` runs their short form
# (5 cycles each, tests/run); `make crash` the long one. The shim is preloaded into the server.
CRASH_CYCLES ?= 20
CRASH_DEPS   := build/connectord build/test/connectord build/crash/shim.so
build/crash/shim.so: tests/crash/shim.c
	@mkdir -p $(dir $@)
	@echo '  SHIM   $@'
	@$(CC) -std=c11 -O2 -g $(WARN) -fPIC -shared -o $@ $< -ldl -lpthread

crash: deps-test tests/e2e/node_modules/.installed
	@$(MAKE) --no-print-directory $(CRASH_DEPS)
	CRASH_CYCLES=$(CRASH_CYCLES) node --test --test-concurrency=1 tests/crash/*.test.js

# The providers' official SDKs the end-to-end tests sign with (npm, pinned by the lock file).
tests/e2e/node_modules/.installed: tests/e2e/package.json tests/e2e/package-lock.json
	cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

build/upgrade/%/connectord:
	@mkdir -p $(dir $@)
	@echo '  BUILD  $* (a release the upgrade test starts from)'
	@scripts/build-release $* $@ 2>$@.log || { cat $@.log >&2; exit 1; }

# libFuzzer harnesses (tests/fuzz/, README there): one per parser that takes outside bytes,
# and one per payment provider (a line of providers.def is a harness). Built with clang
# against the product's own sources, compiled once into build/fuzz/obj/ with coverage for
# libFuzzer. `make fuzz` runs each for FUZZ_SECONDS (new inputs go to build/fuzz/corpus/,
# crashes to build/fuzz/crashes/); `make test` replays each committed corpus once.
FUZZ_SECONDS ?= 60
FUZZ_CC      := clang
FUZZ_SAN     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
                -fno-sanitize-recover=all
FUZZ_PROVIDERS := $(shell sed -n 's/^PROVIDER(\(.*\))$$/\1/p' src/inbound/providers.def)
FUZZ_NAMES   := $(addprefix provider_,$(FUZZ_PROVIDERS)) \
                $(patsubst tests/fuzz/fuzz_%.c,%,$(filter-out tests/fuzz/fuzz_provider.c,\
                $(sort $(wildcard tests/fuzz/fuzz_*.c))))
FUZZ_BIN     := $(addprefix build/fuzz/fuzz_,$(FUZZ_NAMES))
FUZZ_OBJ     := $(patsubst src/%.c,build/fuzz/obj/%.o,$(LIB_SRC)) build/fuzz/obj/gen/web_assets.o \
                build/fuzz/obj/gen/manifests.o build/fuzz/obj/gen/openapi.o

# Kept: only pattern rules name them, which would make them intermediate.
.SECONDARY: $(FUZZ_OBJ)

build/fuzz/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	@echo '  CC fuzz $<'
	@$(FUZZ_CC) $(BASE) $(FUZZ_SAN) -fsanitize=fuzzer-no-link $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

build/fuzz/obj/gen/%.o: build/gen/%.c
	@mkdir -p $(dir $@)
	@echo '  CC fuzz $<'
	@$(FUZZ_CC) $(BASE) $(FUZZ_SAN) $(PKG_CFLAGS) -c -o $@ $<

# The provider harness answers fetch-backs from its input: httpc_perform is wrapped.
build/fuzz/fuzz_provider_%: tests/fuzz/fuzz_provider.c tests/fuzz/fuzz.h $(FUZZ_OBJ)
	@echo '  FUZZ   $@'
	@$(FUZZ_CC) $(BASE) -Itests/fuzz $(FUZZ_SAN) -fsanitize=fuzzer $(PKG_CFLAGS) \
		-DFUZZ_PROVIDER=$* -Wl,--wrap=httpc_perform -o $@ $< $(FUZZ_OBJ) $(PKG_LIBS)

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_OBJ)
	@echo '  FUZZ   $@'
	@$(FUZZ_CC) $(BASE) -Itests/fuzz $(FUZZ_SAN) -fsanitize=fuzzer $(PKG_CFLAGS) \
		$(FUZZ_WRAP_$*) -o $@ $< $(FUZZ_OBJ) $(PKG_LIBS)

# The router harness answers http_request_query() from its input (no libmicrohttpd
# connection behind it).
FUZZ_WRAP_router := -Wl,--wrap=http_request_query

fuzz:
	@scripts/setup fuzz
	@$(MAKE) --no-print-directory $(FUZZ_BIN)
	@tests/fuzz/run $(FUZZ_SECONDS) $(FUZZ_BIN)

bench:
	bench/http.sh

# Installing: the layout a distribution expects, relocatable with PREFIX and DESTDIR. The
# unit names the binary where it was installed.
PREFIX  ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR  ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
DOCDIR  ?= $(PREFIX)/share/doc/connectord
install: build/connectord
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR)
	install -m 0755 build/connectord $(DESTDIR)$(SBINDIR)/connectord
	tools/man.sh build/connectord > $(DESTDIR)$(MANDIR)/man8/connectord.8
	sed 's|/usr/sbin/connectord|$(SBINDIR)/connectord|' packaging/connectord.service \
		> $(DESTDIR)$(UNITDIR)/connectord.service
	install -m 0644 packaging/connectord.conf $(DESTDIR)$(DOCDIR)/connectord.conf.example
	install -m 0644 docs/operating.md $(DESTDIR)$(DOCDIR)/operating.md

# The Debian package, from the optimized binary (packaging/build-deb, dpkg-deb).
DEB := build/deb/connectord_$(VERSION)_$(shell dpkg --print-architecture 2>/dev/null || echo amd64).deb
deb: $(DEB)
$(DEB): build/connectord packaging/build-deb packaging/connectord.service packaging/connectord.conf \
        $(wildcard packaging/debian/*) tools/man.sh VERSION
	@echo '  DEB    $@'
	@packaging/build-deb build/connectord $(dir $@) >/dev/null

clean:
	rm -rf build

-include $(OBJ:.o=.d) $(SAN_OBJ:.o=.d) $(FUZZ_OBJ:.o=.d)

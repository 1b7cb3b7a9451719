# connectord: one GNU make file.
#   make            build/connectord (optimized, with debug info)
#   make run        install missing packages, build, start a dev server on 127.0.0.1:8080
#   make test       install missing packages, build the sanitizer binaries, run unit + e2e tests
#   make bench      HTTP benchmark against nginx (bench/http.sh)
#   make fuzz       libFuzzer (clang) over what reads outside bytes, FUZZ_SECONDS=60
# Sources are found by wildcard per module, so a new file needs no edit here.

PKGS      := libmicrohttpd jansson sqlite3 libcrypto libcurl libpq
CC        ?= cc
VERSION   := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
GIT_REV   := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS)) -lpthread

WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
BASE      := -std=c11 -D_GNU_SOURCE -Isrc -DCONNECTORD_VERSION='"$(VERSION)"' \
             -DCONNECTORD_REVISION='"$(GIT_REV)"' $(WARN)
OPT       := -O2 -g
SAN       := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all

SRC       := $(sort $(wildcard src/*.c src/*/*.c src/*/*/*.c))
LIB_SRC   := $(filter-out src/main.c,$(SRC))
# The connector store page (web/) is compiled in: tools/web_embed writes build/gen/web_assets.c.
WEB       := $(sort $(wildcard web/*))
OBJ       := $(patsubst src/%.c,build/obj/%.o,$(SRC)) build/obj/gen/web_assets.o
SAN_OBJ   := $(patsubst src/%.c,build/san/%.o,$(SRC)) build/san/gen/web_assets.o
SAN_LIB   := $(filter-out build/san/main.o,$(SAN_OBJ))
# tests/unit/ mirrors src/ folder by folder (tests/unit/core/test_json.c tests src/core/json.c);
# shared helpers are in tests/unit/lib/. Binaries keep flat names: build/test/test_json.
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c tests/unit/*/test_*.c))
UNIT_BIN  := $(sort $(addprefix build/test/,$(basename $(notdir $(UNIT_SRC)))))
vpath test_%.c $(sort $(dir $(UNIT_SRC)))
# The release whose stores the upgrade test (tests/e2e/upgrade.test.js) opens with this build:
# the last commit before the schema changes that followed it. Built once from git history.
UPGRADE_FROM := 35aedfb
UPGRADE_BIN  := build/upgrade/$(UPGRADE_FROM)/connectord

.PHONY: all run test unit e2e bench fuzz fuzz-rates clean deps deps-test FORCE
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
	@$(MAKE) --no-print-directory build/test/connectord $(UNIT_BIN) $(UPGRADE_BIN)
	@CONNECTORD_UPGRADE_BIN=$(UPGRADE_BIN) tests/run $(UNIT_BIN)

# The providers' official SDKs the end-to-end tests sign with (npm, pinned by the lock file).
tests/e2e/node_modules/.installed: tests/e2e/package.json tests/e2e/package-lock.json
	cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(UPGRADE_BIN):
	@mkdir -p $(dir $@)
	@echo '  BUILD  $(UPGRADE_FROM) (the release the upgrade test starts from)'
	@scripts/build-release $(UPGRADE_FROM) $@ 2>$@.log || { cat $@.log >&2; exit 1; }

# libFuzzer (clang) over tests/fuzz/fuzz_inbound.c: make fuzz [FUZZ_SECONDS=60]. Inputs it
# finds go into tests/fuzz/corpus/inbound/, which tests/unit/inbound/test_fuzz_replay.c
# replays in `make test` (no clang needed there).
FUZZ_SECONDS ?= 60
build/fuzz/fuzz_inbound: tests/fuzz/fuzz_inbound.c $(LIB_SRC) build/gen/web_assets.c
	@mkdir -p $(dir $@)
	@echo '  FUZZ   $@'
	@clang $(BASE) -O1 -g -fsanitize=fuzzer,address,undefined $(PKG_CFLAGS) -o $@ $^ $(PKG_LIBS)

fuzz:
	@scripts/setup fuzz
	@$(MAKE) --no-print-directory build/fuzz/fuzz_inbound
	build/fuzz/fuzz_inbound -max_total_time=$(FUZZ_SECONDS) tests/fuzz/corpus/inbound

# The ECB rates file reader (tests/fuzz/fuzz_rates.c): make fuzz-rates [FUZZ_SECONDS=60]; its
# corpus tests/fuzz/corpus/rates/ is replayed by tests/unit/core/test_fx_fuzz_replay.c.
build/fuzz/fuzz_rates: tests/fuzz/fuzz_rates.c $(LIB_SRC) build/gen/web_assets.c
	@mkdir -p $(dir $@)
	@echo '  FUZZ   $@'
	@clang $(BASE) -O1 -g -fsanitize=fuzzer,address,undefined $(PKG_CFLAGS) -o $@ $^ $(PKG_LIBS)

fuzz-rates:
	@scripts/setup fuzz
	@$(MAKE) --no-print-directory build/fuzz/fuzz_rates
	build/fuzz/fuzz_rates -max_total_time=$(FUZZ_SECONDS) tests/fuzz/corpus/rates

bench:
	bench/http.sh

clean:
	rm -rf build

-include $(OBJ:.o=.d) $(SAN_OBJ:.o=.d)

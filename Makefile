# solodyno: build, test, lint, fuzz, bench, demo.
#
# Source layout, by the phase the code runs in (bin/compile and bin/build
# compile the same set: bin/lib/build_solodyno.sh):
#   src/main.c, src/commands.h   solodyno's entry point and its sub-commands
#   src/common/    shared by the phases: Procfile grammar, files, strings,
#                  allocation, logging, quoting, the app-facts and stamp formats
#   src/build/     once per build: the layout, app scan, stamp, .git, .profile,
#                  CNB files, .slugignore
#   src/dyno/      at every dyno start: solodyno env (tuning, cgroup, role,
#                  ImageMagick policy) and solodyno run
#   src/slug/      solodyno-slug only (links libarchive and zlib), a workstation tool
#   test/fuzz/fuzz_*.c   one libFuzzer target per parser of outside input
#   test/unit/test_*.c   unit tests of C functions (run by test/unit.bats)

CC      ?= cc
CLANG   ?= clang
# -Os, as bin/lib/build_solodyno.sh builds the helper for the dyno.
OPT     ?= -Os -g
STD     := -std=c11 -D_GNU_SOURCE -Isrc
WARN    := -Wall -Wextra
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

ifeq ($(SANITIZE),1)
BUILD   ?= build/sanitize
EXTRA   := $(SAN_FLAGS)
else
BUILD   ?= build
EXTRA   :=
endif

CFLAGS_ALL := $(STD) $(WARN) $(OPT) $(EXTRA) $(CFLAGS)
LDFLAGS_ALL := $(EXTRA) $(LDFLAGS)

PHASES   := common build dyno
LIB_SRC  := $(sort $(foreach d,$(PHASES),$(wildcard src/$(d)/*.c)))
SLUG_SRC := $(sort $(wildcard src/slug/*.c))
HEADERS  := $(wildcard src/*.h src/*/*.h)
FUZZ_SRC := $(sort $(wildcard test/fuzz/fuzz_*.c))
UNIT_SRC := $(sort $(wildcard test/unit/test_*.c))

LIB_OBJ  := $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o)
SLUG_OBJ := $(SLUG_SRC:src/%.c=$(BUILD)/obj/%.o)

# solodyno-slug needs libarchive's headers; skip it where they are missing.
HAVE_LIBARCHIVE := $(shell printf '\#include <archive.h>\n' | $(CC) -E -x c - >/dev/null 2>&1 && echo 1)
PROGRAMS := $(BUILD)/solodyno $(if $(HAVE_LIBARCHIVE),$(if $(SLUG_SRC),$(BUILD)/solodyno-slug))

.PHONY: all test check-packages lint fuzz fuzz-build bench demo clean unit

all: $(PROGRAMS)

$(BUILD)/obj/%.o: src/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(BUILD)/libsolodyno.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/solodyno: $(BUILD)/obj/main.o $(BUILD)/libsolodyno.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^

$(BUILD)/solodyno-slug: $(SLUG_OBJ) $(BUILD)/libsolodyno.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ -larchive -lz -lpthread

# Unit tests: one binary per test/unit/test_*.c, linked with the library (and
# the slug code's libc-only parts: its SHA-256).
UNIT_BIN := $(UNIT_SRC:test/unit/%.c=$(BUILD)/unit/%)
$(BUILD)/unit/%: test/unit/%.c test/unit/unit.h $(BUILD)/libsolodyno.a $(BUILD)/obj/slug/sha256.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< $(BUILD)/libsolodyno.a $(BUILD)/obj/slug/sha256.o
unit: $(UNIT_BIN)

# The test command of the README: installs what is missing (as root), builds,
# runs every bats suite, ends with "N passed, N failed". SANITIZE=1 runs the
# same suite with every C program (including the one bin/compile builds) under
# ASan and UBSan.
test: check-packages all unit
	SOLODYNO_BUILD_DIR=$(abspath $(BUILD)) SOLODYNO_EXTRA_CFLAGS='$(EXTRA)' test/run-suite $(TESTS)

check-packages:
	@test/ensure-packages

# -Werror here and in CI only: a user's build never fails on a new warning.
lint: check-packages
	shellcheck -x $$(test/shell-files)
	$(MAKE) --no-print-directory BUILD=build/lint-gcc CC=gcc CFLAGS=-Werror all unit
	$(MAKE) --no-print-directory BUILD=build/lint-clang CC=clang CFLAGS=-Werror all unit

# libFuzzer targets; FUZZ_SECONDS per target (CI gives each a short smoke run).
# fuzz_slug_* targets fuzz solodyno-slug's code, so they also link its sources
# (all but its main) with libarchive and zlib, and are left out where
# libarchive's headers are missing.
# The sources are compiled once for all targets (coverage-instrumented with
# -fsanitize=fuzzer-no-link), then each target is linked with libFuzzer.
FUZZ_SECONDS ?= 20
FUZZ_SAN := address,undefined -fno-sanitize-recover=all
FUZZ_FLAGS := $(STD) $(WARN) -g -O1 -fsanitize=fuzzer,$(FUZZ_SAN)
FUZZ_LIB_FLAGS := $(STD) $(WARN) -g -O1 -fsanitize=fuzzer-no-link,$(FUZZ_SAN)
SLUG_LIB_SRC := $(filter-out src/slug/slug_main.c,$(SLUG_SRC))
FUZZ_LIB_OBJ := $(LIB_SRC:src/%.c=build/fuzz/obj/%.o)
FUZZ_SLUG_OBJ := $(SLUG_LIB_SRC:src/%.c=build/fuzz/obj/%.o)
FUZZ_BIN := $(FUZZ_SRC:test/fuzz/%.c=build/fuzz/%)
ifneq ($(HAVE_LIBARCHIVE),1)
FUZZ_BIN := $(filter-out build/fuzz/fuzz_slug_%,$(FUZZ_BIN))
endif
# A static pattern rule: the objects are targets of their own, so make keeps
# them and picks the fuzz_slug_ rule below for the slug's targets.
$(FUZZ_LIB_OBJ) $(FUZZ_SLUG_OBJ): build/fuzz/obj/%.o: src/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_LIB_FLAGS) -c -o $@ $<
build/fuzz/%: test/fuzz/%.c $(FUZZ_LIB_OBJ) $(HEADERS) $(wildcard test/fuzz/*.h)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_LIB_OBJ)
build/fuzz/fuzz_slug_%: test/fuzz/fuzz_slug_%.c $(FUZZ_LIB_OBJ) $(FUZZ_SLUG_OBJ) $(HEADERS) $(wildcard test/fuzz/*.h)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_LIB_OBJ) $(FUZZ_SLUG_OBJ) -larchive -lz -lpthread
fuzz-build: $(FUZZ_BIN)
fuzz: fuzz-build
	test/fuzz/run-all $(FUZZ_SECONDS) $(FUZZ_BIN)

bench: check-packages all
	test/bench/run-all

demo: check-packages all
	test/demo

clean:
	rm -rf build

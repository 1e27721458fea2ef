# perfmon - build, test, demo, install.
#   make            the viewer and the examples
#   make test       the whole test suite; last line "N passed, N failed, N skipped"
#   make demo       build, run the demo server, watch it with perfmon-view
#   make bench      the benchmarks, one table (bench/README.md); bench-check gates on goals
#   make install    PREFIX=/usr/local (DESTDIR honoured)
#   make test-asan, test-ubsan, test-tsan   the suite built with a sanitizer
#   make test-valgrind  C tests and the viewer under valgrind; make fuzz; make soak
#   O=DIR           build the viewer, examples and tests/bin out of the tree,
#                   in DIR (the sanitizer targets use build/<name>)

CC      ?= cc
CXX     ?= c++
PREFIX  ?= /usr/local
STB_INC ?= /usr/include/stb
OPT     ?= -O2 -g
WARN     = -Wall -Wextra -Wpedantic -Wshadow
# What the build needs lives in PM_CFLAGS; CPPFLAGS, CFLAGS and LDFLAGS are
# the user's (make CFLAGS=-O3 adds to it, after OPT, so it wins).
CFLAGS  ?=
PM_CFLAGS = -std=c11 $(OPT) $(WARN) -D_GNU_SOURCE -I. -Iviewer $(CPPFLAGS) $(CFLAGS) $(EXTRA_CFLAGS)
LDFLAGS += $(EXTRA_LDFLAGS)
LDLIBS   = -pthread -lm
VIEWER_LIBS = -lsqlite3 -lm -ldl

O          ?=
OUT         = $(if $(O),$(O)/)
TB          = $(OUT)tests/bin
VIEWER      = $(OUT)viewer/perfmon-view
VIEWER_SRC  = $(sort $(wildcard viewer/*/*.c))
VIEWER_HDR  = $(wildcard viewer/*/*.h)
EXAMPLES    = $(OUT)examples/demo $(OUT)examples/bench_parse
TEST_SRC    = $(sort $(wildcard tests/test_*.c))
TEST_BINS   = $(patsubst tests/%.c,$(TB)/%,$(TEST_SRC))
TEST_TOOLS  = $(TB)/forge_segment $(TB)/writer $(TB)/steady $(TB)/stress $(TB)/segcheck \
              $(TB)/mistakes $(TB)/execer $(TB)/forker $(TB)/copies $(TB)/phases $(TB)/history_size \
              $(TB)/libfake_nvml.so
HEADERS     = perfmon.h perfmon_shm.h

.PHONY: all test demo deps bench install uninstall clean stb-check

all: $(VIEWER) $(EXAMPLES)

# stb_ds comes from Debian's libstb-dev, never from a copy in this tree.
# A build never changes the system: it says what is missing. `make deps`
# installs what `make test` needs (root, apt-get); so do `make demo` and
# `make test` themselves, the README's two set-up commands, unless DEPS=no.
stb-check: $(if $(filter test demo,$(MAKECMDGOALS)),$(SETUP))
	@STB_INC="$(STB_INC)" sh scripts/deps.sh build

DEPS ?= yes
deps:
	@STB_INC="$(STB_INC)" sh scripts/deps.sh --install test

SETUP = $(if $(filter yes,$(DEPS)),deps)

$(VIEWER): $(VIEWER_SRC) $(VIEWER_HDR) perfmon_shm.h | stb-check
	@mkdir -p $(@D)
	$(CC) $(PM_CFLAGS) -I$(STB_INC) $(LDFLAGS) -o $@ $(VIEWER_SRC) $(VIEWER_LIBS)

$(OUT)examples/%: examples/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(PM_CFLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS)

$(TB)/%: tests/%.c tests/harness.h $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(PM_CFLAGS) -I$(STB_INC) $(LDFLAGS) -o $@ $< $(LDLIBS)

# Tests named tests/test_viewer_*.c exercise viewer modules: they link every
# viewer source but main.c (stb_ds included).
VIEWER_LIB  = $(filter-out viewer/cmd/main.c,$(VIEWER_SRC))
$(TB)/test_viewer_%: tests/test_viewer_%.c tests/harness.h $(VIEWER_LIB) $(VIEWER_HDR) $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(PM_CFLAGS) -I$(STB_INC) $(LDFLAGS) -o $@ $< $(VIEWER_LIB) $(VIEWER_LIBS) $(LDLIBS)

$(TB)/test_mannwhitney: tests/test_mannwhitney.c tests/harness.h viewer/analyze/mannwhitney.c viewer/analyze/mannwhitney.h
	@mkdir -p $(@D)
	$(CC) $(PM_CFLAGS) $(LDFLAGS) -o $@ tests/test_mannwhitney.c viewer/analyze/mannwhitney.c $(LDLIBS)

$(TB)/forge_segment: tests/forge/forge_segment.c perfmon_shm.h
	@mkdir -p $(@D)
	$(CC) $(PM_CFLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS)

$(TB)/writer: tests/tools/writer.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(PM_CFLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS)

$(TB)/steady: tests/tools/steady.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(PM_CFLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS)

# stress: 8-thread load that publishes its completed operations (tests of
# kills and readers, soak); segcheck: a separate-process reader built on the
# viewer's own parser, checking invariants snapshot after snapshot.
$(TB)/stress: tests/tools/stress.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(PM_CFLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS)

$(TB)/segcheck: tests/tools/segcheck.c $(VIEWER_LIB) $(VIEWER_HDR) perfmon_shm.h | stb-check
	@mkdir -p $(@D)
	$(CC) $(PM_CFLAGS) -I$(STB_INC) $(LDFLAGS) -o $@ $< $(VIEWER_LIB) $(VIEWER_LIBS) $(LDLIBS)

# mistakes, execer, copies: the writer-side cases the viewer must name
# (rejected names, exec, fork children ended by _exit(), two copies of the implementation in one process).
$(TB)/mistakes $(TB)/execer $(TB)/forker $(TB)/phases: $(TB)/%: tests/tools/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(PM_CFLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS)

# copies: an executable and a shared library built with hidden visibility,
# each with its own PERFMON_IMPLEMENTATION.
$(TB)/libcopies.so: tests/tools/copies_lib.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(PM_CFLAGS) -fPIC -fvisibility=hidden -shared $(LDFLAGS) -o $@ $< $(LDLIBS)

# libfake_nvml.so: NVML's few entry points with fixed figures (the GPU path
# of viewer/read/nvml.c, tested without a GPU).
$(TB)/libfake_nvml.so: tests/tools/fake_nvml.c
	@mkdir -p $(@D)
	$(CC) $(PM_CFLAGS) -fPIC -shared $(LDFLAGS) -o $@ $< $(LDLIBS)

$(TB)/copies: tests/tools/copies_main.c $(TB)/libcopies.so $(HEADERS)
	$(CC) $(PM_CFLAGS) $(LDFLAGS) -o $@ $< -L$(TB) -lcopies -Wl,-rpath,'$$ORIGIN' $(LDLIBS)

# With O set, the scripts are told where the binaries are.
TEST_ENV = $(if $(O),TEST_BIN=$(TB) VIEW=$(VIEWER) WRITER=$(TB)/writer FORGE=$(TB)/forge_segment \
           STEADY=$(TB)/steady STRESS=$(TB)/stress SEGCHECK=$(TB)/segcheck \
           MISTAKES=$(TB)/mistakes EXECER=$(TB)/execer FORKER=$(TB)/forker COPIES=$(TB)/copies PHASES=$(TB)/phases HISTORY_SIZE=$(TB)/history_size \
           DEMO=$(OUT)examples/demo BENCH=$(OUT)examples/bench_parse)

test: $(SETUP) all $(TEST_BINS) $(TEST_TOOLS)
	@$(TEST_ENV) sh tests/run.sh

# ---- sanitizers, valgrind, fuzzing, soak (README.md, "Safety")
# Each sanitizer builds into its own build/<name> (O=...), so the normal
# build is never clobbered; build/<name>/.flags remembers the flags and a
# change of them (or of CC) empties that directory first: no stale objects.
SAN_asan  = -fsanitize=address -fno-omit-frame-pointer
SAN_ubsan = -fsanitize=undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_tsan  = -fsanitize=thread -Wno-tsan
SAN_OPT   = -O1 -g
.PHONY: test-asan test-ubsan test-tsan test-valgrind fuzz fuzz-corpus soak
test-asan test-ubsan test-tsan: test-%:
	@mkdir -p build/$*
	@echo "$(CC) $(SAN_OPT) $(SAN_$*) $(EXTRA_CFLAGS)" > build/$*/.flags.new
	@cmp -s build/$*/.flags.new build/$*/.flags || { rm -rf build/$*/viewer build/$*/examples build/$*/tests; }
	@mv build/$*/.flags.new build/$*/.flags
	+@PM_SANITIZER=$* ASAN_OPTIONS=$${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
	  UBSAN_OPTIONS=$${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	  TSAN_OPTIONS=$${TSAN_OPTIONS:-halt_on_error=0:exitcode=66:second_deadlock_stack=1:suppressions=$(CURDIR)/tests/tsan.supp} \
	  $(MAKE) --no-print-directory O=build/$* OPT="$(SAN_OPT)" \
	  EXTRA_CFLAGS="$(SAN_$*) $(EXTRA_CFLAGS)" EXTRA_LDFLAGS="$(SAN_$*) $(EXTRA_LDFLAGS)" test

test-valgrind: all $(TEST_BINS) $(TEST_TOOLS)
	@sh tests/valgrind.sh

# libFuzzer targets (clang): the segment parser and every consumer of a
# snapshot; the rules, JSON and baseline readers. FUZZ_SECONDS per target.
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_FLAGS    = -std=c11 -g -O1 -D_GNU_SOURCE -I. -Iviewer -I$(STB_INC) \
                -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
build/fuzz/%: tests/fuzz/%.c $(VIEWER_LIB) $(VIEWER_HDR) perfmon_shm.h | stb-check
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(VIEWER_LIB) $(VIEWER_LIBS)

fuzz: build/fuzz/fuzz_segment build/fuzz/fuzz_text
	@FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run.sh

# Regenerates tests/fuzz/corpus/segment from the forge (committed; small).
fuzz-corpus: $(TB)/forge_segment
	@sh tests/fuzz/make_corpus.sh $(TB)/forge_segment

SOAK_SECONDS ?= 600
soak: all $(TB)/stress $(TB)/segcheck
	@SOAK_SECONDS=$(SOAK_SECONDS) $(TEST_ENV) sh tests/soak.sh

demo: $(SETUP) all
	@sh examples/run_demo.sh

# bench/: not part of `make test`. `make bench` prints one table (and keeps
# it in bench/bin/last.txt); `make bench-check` also exits non-zero when a
# goal is missed beyond its noise margin; `make bench-quick` the short one.
# -falign-loops=64: loops under a cycle per op are otherwise dominated by
# their alignment on this machine.
.PHONY: bench-check bench-quick mmv-check
BENCH_BINS  = bench/bin/hot_path bench/bin/compiled_out bench/bin/scaling bench/bin/peers \
              bench/bin/reader bench/bin/memory bench/bin/accuracy bench/bin/resource_span
BENCH_FLAGS = $(PM_CFLAGS) -O2 -falign-loops=64
BENCH_VIEWER_SRC = viewer/read/segment.c viewer/read/extents.c viewer/read/labels.c viewer/base/hist.c viewer/base/stb_ds_impl.c

bench: $(BENCH_BINS) $(VIEWER)
	@sh bench/run.sh

bench-check: $(BENCH_BINS) $(VIEWER)
	@sh bench/run.sh --check

bench-quick: bench/bin/quick
	@bench/bin/quick

# instructions per hot-path operation (callgrind), BASE's perfmon.h against
# the working tree's: deterministic on a noisy machine
BASE ?= HEAD
.PHONY: bench-instructions
bench-instructions:
	@sh bench/instructions.sh $(BASE)

# PCP's MMV library, for bench/peers only (`sh scripts/deps.sh --install bench`).
mmv-check:
	@sh scripts/deps.sh bench

bench/bin/%: bench/%.c bench/bench.h $(HEADERS)
	@mkdir -p bench/bin
	$(CC) $(BENCH_FLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS)

bench/bin/compiled_out: bench/compiled_out.c bench/bench.h $(HEADERS)
	@mkdir -p bench/bin
	$(CC) $(BENCH_FLAGS) -DPM_ENABLED=0 $(LDFLAGS) -o $@ $< $(LDLIBS)

bench/bin/peers: bench/peers.c bench/bench.h $(HEADERS) | mmv-check
	@mkdir -p bench/bin
	$(CC) $(BENCH_FLAGS) $(LDFLAGS) -o $@ $< -lpcp_mmv -lpcp $(LDLIBS)

bench/bin/reader: bench/reader.c bench/bench.h $(HEADERS) $(BENCH_VIEWER_SRC) $(VIEWER_HDR) | stb-check
	@mkdir -p bench/bin
	$(CC) $(BENCH_FLAGS) -I$(STB_INC) $(LDFLAGS) -o $@ bench/reader.c $(BENCH_VIEWER_SRC) $(LDLIBS)

# the simulated month (bench/history_size.c), also a test tool
$(TB)/history_size: bench/history_size.c $(VIEWER_LIB) $(VIEWER_HDR) perfmon_shm.h | stb-check
	@mkdir -p $(@D)
	$(CC) $(PM_CFLAGS) -I$(STB_INC) $(LDFLAGS) -o $@ $< $(VIEWER_LIB) $(VIEWER_LIBS) $(LDLIBS)

# a process of N busy series, for bench/record_cost.sh
bench/bin/many_series: bench/many_series.c $(HEADERS)
	@mkdir -p bench/bin
	$(CC) $(BENCH_FLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS)

# the history's size over a simulated month, and the recorder's CPU per series
bench/bin/history_size: bench/history_size.c $(VIEWER_LIB) $(VIEWER_HDR) perfmon_shm.h | stb-check
	@mkdir -p bench/bin
	$(CC) $(BENCH_FLAGS) -I$(STB_INC) $(LDFLAGS) -o $@ $< $(VIEWER_LIB) $(VIEWER_LIBS) $(LDLIBS)

bench/bin/accuracy: bench/accuracy.c bench/bench.h perfmon_shm.h viewer/base/hist.c viewer/base/hist.h
	@mkdir -p bench/bin
	$(CC) $(BENCH_FLAGS) $(LDFLAGS) -o $@ bench/accuracy.c viewer/base/hist.c $(LDLIBS)

bench/bin/quick: bench/quick.c bench/bench.h $(HEADERS)
	@mkdir -p bench/bin
	$(CC) $(BENCH_FLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS)

install: $(VIEWER)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/include
	install -m 755 $(VIEWER) $(DESTDIR)$(PREFIX)/bin/perfmon-view
	install -m 644 $(HEADERS) $(DESTDIR)$(PREFIX)/include/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/perfmon-view $(DESTDIR)$(PREFIX)/include/perfmon.h $(DESTDIR)$(PREFIX)/include/perfmon_shm.h

clean:
	rm -rf $(VIEWER) $(EXAMPLES) tests/bin bench/bin build

# perfmon - build, test, demo, install.
#   make            the viewer and the examples
#   make test       the whole test suite; last line "N passed, N failed"
#   make demo       build, run the demo server, watch it with perfmon-view
#   make bench      the benchmarks, one table (bench/README.md); bench-check gates on goals
#   make install    PREFIX=/usr/local (DESTDIR honoured)

CC      ?= cc
CXX     ?= c++
PREFIX  ?= /usr/local
STB_INC ?= /usr/include/stb
OPT     ?= -O2 -g
WARN     = -Wall -Wextra -Wpedantic -Wshadow
CFLAGS  ?=
CFLAGS  += -std=c11 $(OPT) $(WARN) -D_GNU_SOURCE -I. $(EXTRA_CFLAGS)
LDFLAGS += $(EXTRA_LDFLAGS)
LDLIBS   = -pthread -lm

VIEWER      = viewer/perfmon-view
VIEWER_SRC  = $(sort $(wildcard viewer/*.c))
VIEWER_HDR  = $(wildcard viewer/*.h)
EXAMPLES    = examples/demo examples/bench_parse
TEST_SRC    = $(sort $(wildcard tests/test_*.c))
TEST_BINS   = $(patsubst tests/%.c,tests/bin/%,$(TEST_SRC))
TEST_TOOLS  = tests/bin/forge_segment tests/bin/writer tests/bin/steady
HEADERS     = perfmon.h perfmon_shm.h

.PHONY: all test demo bench install uninstall clean stb-check check-headers

all: $(VIEWER) $(EXAMPLES)

# stb_ds comes from Debian's libstb-dev, never from a copy in this tree.
stb-check:
	@sh scripts/need-stb.sh "$(STB_INC)"

$(VIEWER): $(VIEWER_SRC) $(VIEWER_HDR) perfmon_shm.h | stb-check
	$(CC) $(CFLAGS) -I$(STB_INC) $(LDFLAGS) -o $@ $(VIEWER_SRC) -lm

examples/%: examples/%.c $(HEADERS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS)

tests/bin/%: tests/%.c tests/harness.h $(HEADERS)
	@mkdir -p tests/bin
	$(CC) $(CFLAGS) -I$(STB_INC) $(LDFLAGS) -o $@ $< $(LDLIBS)

# Tests named tests/test_viewer_*.c exercise viewer modules: they link every
# viewer source but main.c (stb_ds included).
VIEWER_LIB  = $(filter-out viewer/main.c,$(VIEWER_SRC))
tests/bin/test_viewer_%: tests/test_viewer_%.c tests/harness.h $(VIEWER_LIB) $(VIEWER_HDR) $(HEADERS)
	@mkdir -p tests/bin
	$(CC) $(CFLAGS) -I$(STB_INC) $(LDFLAGS) -o $@ $< $(VIEWER_LIB) $(LDLIBS)

tests/bin/test_mannwhitney: tests/test_mannwhitney.c tests/harness.h viewer/mannwhitney.c viewer/mannwhitney.h
	@mkdir -p tests/bin
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ tests/test_mannwhitney.c viewer/mannwhitney.c $(LDLIBS)

tests/bin/forge_segment: tests/forge/forge_segment.c perfmon_shm.h
	@mkdir -p tests/bin
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS)

tests/bin/writer: tests/tools/writer.c $(HEADERS)
	@mkdir -p tests/bin
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS)

tests/bin/steady: tests/tools/steady.c $(HEADERS)
	@mkdir -p tests/bin
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS)

test: all $(TEST_BINS) $(TEST_TOOLS)
	@sh tests/run.sh

demo: all
	@sh examples/run_demo.sh

# bench/: not part of `make test`. `make bench` prints one table (and keeps
# it in bench/bin/last.txt); `make bench-check` also exits non-zero when a
# goal is missed beyond its noise margin; `make bench-quick` the short one.
# -falign-loops=64: loops under a cycle per op are otherwise dominated by
# their alignment on this machine.
.PHONY: bench-check bench-quick mmv-check
BENCH_BINS  = bench/bin/hot_path bench/bin/compiled_out bench/bin/scaling bench/bin/peers \
              bench/bin/reader bench/bin/memory bench/bin/accuracy
BENCH_FLAGS = $(CFLAGS) -O2 -falign-loops=64
BENCH_VIEWER_SRC = viewer/segment.c viewer/labels.c viewer/stats.c viewer/stb_ds_impl.c

bench: $(BENCH_BINS) $(VIEWER)
	@sh bench/run.sh

bench-check: $(BENCH_BINS) $(VIEWER)
	@sh bench/run.sh --check

bench-quick: bench/bin/quick
	@bench/bin/quick

# PCP's MMV library, for bench/peers only (installed when root with apt).
mmv-check:
	@sh scripts/need-mmv.sh

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

bench/bin/accuracy: bench/accuracy.c bench/bench.h perfmon_shm.h viewer/stats.c viewer/stats.h
	@mkdir -p bench/bin
	$(CC) $(BENCH_FLAGS) $(LDFLAGS) -o $@ bench/accuracy.c viewer/stats.c $(LDLIBS)

bench/bin/quick: bench/quick.c $(HEADERS)
	@mkdir -p bench/bin
	$(CC) $(BENCH_FLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS)

install: $(VIEWER)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/include
	install -m 755 $(VIEWER) $(DESTDIR)$(PREFIX)/bin/perfmon-view
	install -m 644 $(HEADERS) $(DESTDIR)$(PREFIX)/include/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/perfmon-view $(DESTDIR)$(PREFIX)/include/perfmon.h $(DESTDIR)$(PREFIX)/include/perfmon_shm.h

clean:
	rm -rf $(VIEWER) $(EXAMPLES) tests/bin bench/bin

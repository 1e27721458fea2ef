# perfmon - build, test, demo, install.
#   make            the viewer and the examples
#   make test       the whole test suite; last line "N passed, N failed"
#   make demo       build, run the demo server, watch it with perfmon-view
#   make bench      quick hot-path benchmark (ratios against same-run baselines)
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
TEST_TOOLS  = tests/bin/forge_segment tests/bin/writer
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

test: all $(TEST_BINS) $(TEST_TOOLS)
	@sh tests/run.sh

demo: all
	@sh examples/run_demo.sh

bench: bench/bin/quick
	@bench/bin/quick

bench/bin/quick: bench/quick.c $(HEADERS)
	@mkdir -p bench/bin
	$(CC) $(CFLAGS) -O2 -falign-loops=64 $(LDFLAGS) -o $@ $< $(LDLIBS)

install: $(VIEWER)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/include
	install -m 755 $(VIEWER) $(DESTDIR)$(PREFIX)/bin/perfmon-view
	install -m 644 $(HEADERS) $(DESTDIR)$(PREFIX)/include/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/perfmon-view $(DESTDIR)$(PREFIX)/include/perfmon.h $(DESTDIR)$(PREFIX)/include/perfmon_shm.h

clean:
	rm -rf $(VIEWER) $(EXAMPLES) tests/bin bench/bin

# mpc: a compiler for process programs, and libmpr, its runtime.
#   make            build build/mpc and build/libmpr.a
#   make demo       build and run one example
#   make check      build and run every test
#   make bless      rewrite expected outputs of the golden suites
#   make install    PREFIX=/usr/local DESTDIR=

VERSION := 0.1.0
SHELL := /bin/bash
BUILD   := build
PREFIX  ?= /usr/local

CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Wpedantic -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes
# flex and bison output cannot avoid a few of these.
GENWARN := -Wall -Wextra -Werror -Wno-unused-function -Wno-sign-compare \
           -Wno-unused-parameter
ifneq ($(SANITIZE),)
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
# A sanitizer build lives apart from build/ (BUILD=... on the command line
# still wins), and the programs the test suites build with `mpc build` get
# the same instrumentation through $CC $CFLAGS $LDFLAGS.
BUILD := build-san
TESTENV := CC='$(CC)' CFLAGS='-O1 -g $(SANFLAGS)' LDFLAGS='$(SANFLAGS)'
endif
ALLCFLAGS = -std=c11 $(CFLAGS) $(SANFLAGS) -MMD -MP

# Builds that the test targets start themselves use every CPU (the test
# scripts run JOBS checks at a time, the same default).
NPROC := $(shell nproc 2>/dev/null || echo 1)

CMOCKA_CFLAGS = $(shell pkg-config --cflags cmocka 2>/dev/null)
CMOCKA_LIBS   = $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

DEPS_OK := $(BUILD)/.deps-ok

# Objects depend on the flags they were built with: changing CC, CFLAGS or
# SANITIZE rebuilds them instead of mixing old and new objects.
FLAGS_STAMP := $(BUILD)/.flags
FLAGS_NOW   := $(CC) $(ALLCFLAGS)
$(shell mkdir -p $(BUILD) && { [ -f $(FLAGS_STAMP) ] && [ "$$(cat $(FLAGS_STAMP))" = '$(FLAGS_NOW)' ] || echo '$(FLAGS_NOW)' > $(FLAGS_STAMP); })

COMPILER_SRC := $(filter-out compiler/main.c,$(wildcard compiler/*.c))
COMPILER_OBJ := $(COMPILER_SRC:%.c=$(BUILD)/%.o) \
                $(BUILD)/gen/parser.o $(BUILD)/gen/lexer.o \
                $(BUILD)/runtime/fmtspec_parse.o
RUNTIME_SRC  := $(wildcard runtime/*.c)
RUNTIME_OBJ  := $(RUNTIME_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC     := $(wildcard tests/unit/test_*.c)
UNIT_BIN     := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all demo check unit golden bless repeat clean install uninstall \
        faults fuzz fuzz-build valgrind format format-check python-parity
all: $(BUILD)/mpc $(BUILD)/libmpr.a

$(DEPS_OK): scripts/deps.sh
	@mkdir -p $(@D)
	@sh scripts/deps.sh
	@touch $@

$(BUILD)/gen/parser.c $(BUILD)/gen/parser.h &: grammar/parser.y | $(DEPS_OK)
	@mkdir -p $(@D)
	bison -Wall -Werror -d -o $(BUILD)/gen/parser.c $<

$(BUILD)/gen/lexer.c $(BUILD)/gen/lexer.h &: grammar/lexer.l | $(DEPS_OK)
	@mkdir -p $(@D)
	flex --header-file=$(BUILD)/gen/lexer.h -o $(BUILD)/gen/lexer.c $<

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c $(BUILD)/gen/parser.h $(BUILD)/gen/lexer.h $(FLAGS_STAMP)
	$(CC) $(ALLCFLAGS) $(GENWARN) -D_POSIX_C_SOURCE=200809L -Icompiler -I$(BUILD)/gen -c -o $@ $<

$(BUILD)/compiler/%.o: compiler/%.c $(BUILD)/gen/parser.h $(BUILD)/gen/lexer.h $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) $(WARN) -D_POSIX_C_SOURCE=200809L -Icompiler -I$(BUILD)/gen \
	    -DMPC_VERSION='"$(VERSION)"' -c -o $@ $<

$(BUILD)/runtime/%.o: runtime/%.c $(FLAGS_STAMP) | $(DEPS_OK)
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) $(WARN) -Iruntime -c -o $@ $<

$(BUILD)/libmpc.a: $(COMPILER_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/libmpr.a: $(RUNTIME_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/mpc: $(BUILD)/compiler/main.o $(BUILD)/libmpc.a
	$(CC) $(CFLAGS) $(SANFLAGS) $(LDFLAGS) -o $@ $^ -lm

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libmpc.a $(BUILD)/libmpr.a
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) $(WARN) $(CMOCKA_CFLAGS) -Icompiler -I$(BUILD)/gen \
	    -Iruntime -o $@ $< $(BUILD)/libmpc.a $(BUILD)/libmpr.a \
	    $(CMOCKA_LIBS) $(LDFLAGS) -lm

demo: all
	$(BUILD)/mpc run examples/05_pipe.mp

unit: $(UNIT_BIN)
	@bash tests/run-unit.sh $(UNIT_BIN)

golden: all
	@status=0; for suite in errors codegen run; do \
	    MPC=$(BUILD)/mpc $(TESTENV) bash tests/golden.sh $$suite || status=1; \
	done; exit $$status

bless: all
	@bash tests/golden.sh errors bless
	@bash tests/golden.sh codegen bless
	@bash tests/golden.sh run bless
	@bash tests/python/run.sh bless

# The CPython parity suite (docs/parity.md): tests/python/NAME.py and its
# translation NAME.mp must print the same; ONLY=NAME runs one program.
python-parity: all
	@MPC=$(BUILD)/mpc $(TESTENV) bash tests/python/run.sh $(ONLY)

# The program suite and the parity suite, many times in a row (each
# program built once, then run REPEAT times; the program suite to a file, a
# pipe and a terminal): output must never vary.
REPEAT ?= 200
repeat: all
	@status=0; REPEAT=$(REPEAT) bash tests/golden.sh run || status=1; \
	MPC=$(BUILD)/mpc $(TESTENV) REPEAT=$(REPEAT) bash tests/python/run.sh || status=1; \
	exit $$status

# Benchmarks against Python multiprocessing and plain C (bench/README.md).
# QUICK=1: smaller sizes, fewer repetitions; REPS=N repetitions.
.PHONY: bench
bench: all
	@python3 bench/run.py $(if $(filter-out 0,$(QUICK)),--quick) $(if $(REPS),--reps $(REPS))

# Cost curves (spawn, queue, message size) with plots in bench/curves/.
.PHONY: bench-curves
bench-curves: all
	@sh scripts/deps.sh plot
	@python3 bench/curves.py $(if $(filter-out 0,$(QUICK)),--quick) $(if $(REPS),--reps $(REPS))

# Every suite runs even when an earlier one fails; the last line adds
# them up. The compiler, the runtime and the unit tests are built first,
# on every CPU.
check:
	@$(MAKE) --no-print-directory -j$(NPROC) all $(UNIT_BIN)
	@rm -f $(BUILD)/check.log; status=0; \
	for suite in format-check unit golden faults python-parity; do \
	    $(MAKE) --no-print-directory $$suite 2>&1 | tee -a $(BUILD)/check.log; \
	    [ "$${PIPESTATUS[0]}" -eq 0 ] || status=1; \
	done; \
	$(if $(SANITIZE),MAKEFLAGS= MFLAGS=) $(TESTENV) bash tests/make/run.sh 2>&1 | tee -a $(BUILD)/check.log; \
	[ "$${PIPESTATUS[0]}" -eq 0 ] || status=1; \
	sh tests/summary.sh $(BUILD)/check.log && exit $$status

# One style for every C file (.clang-format); make check runs the check.
format: | $(DEPS_OK)
	@sh tests/format.sh fix
format-check: | $(DEPS_OK)
	@sh tests/format.sh

clean:
	rm -rf $(BUILD)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig \
	    $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/share/mpc \
	    $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(BUILD)/mpc $(DESTDIR)$(PREFIX)/bin/mpc
	install -m 644 $(BUILD)/libmpr.a $(DESTDIR)$(PREFIX)/lib/libmpr.a
	install -m 644 runtime/mpr.h $(DESTDIR)$(PREFIX)/include/mpr.h
	install -m 644 runtime/mpr_api.h $(DESTDIR)$(PREFIX)/include/mpr_api.h
	install -m 644 compiler/mpc.mk $(DESTDIR)$(PREFIX)/share/mpc/mpc.mk
	install -m 644 docs/mpc.1 $(DESTDIR)$(PREFIX)/share/man/man1/mpc.1
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' runtime/mpr.pc.in \
	    > $(DESTDIR)$(PREFIX)/lib/pkgconfig/mpr.pc

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/mpc $(DESTDIR)$(PREFIX)/lib/libmpr.a \
	    $(DESTDIR)$(PREFIX)/include/mpr.h $(DESTDIR)$(PREFIX)/include/mpr_api.h \
	    $(DESTDIR)$(PREFIX)/share/mpc/mpc.mk \
	    $(DESTDIR)$(PREFIX)/share/man/man1/mpc.1 \
	    $(DESTDIR)$(PREFIX)/lib/pkgconfig/mpr.pc
	-rmdir $(DESTDIR)$(PREFIX)/share/mpc 2>/dev/null

# ---- reliability: fault injection, fuzzing, valgrind (docs/reliability.md)

# Fault-injection suite: programs built by mpc, killed, signalled and
# starved of fds, memory and processes; deterministic, seeded.
faults: all
	@MPC=$(BUILD)/mpc BUILD=$(BUILD) $(TESTENV) bash tests/faults/run.sh

# libFuzzer targets (clang): the front end and the runtime's frame decoder,
# against objects built with -fsanitize=fuzzer-no-link,address,undefined in
# $(FUZZ_BUILD). `make fuzz FUZZ_SECONDS=N` fuzzes each target N seconds.
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_LINK    := -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer \
                -fno-sanitize-recover=all -g -O1
fuzz-build:
	@sh scripts/deps.sh fuzz
	@$(MAKE) --no-print-directory -j$(NPROC) BUILD=$(FUZZ_BUILD) CC=clang CFLAGS='-O1 -g' \
	    SANITIZE=fuzzer-no-link,address,undefined \
	    $(FUZZ_BUILD)/libmpc.a $(FUZZ_BUILD)/libmpr.a
	clang $(FUZZ_LINK) -Icompiler -I$(FUZZ_BUILD)/gen -o $(FUZZ_BUILD)/fuzz_front \
	    tests/fuzz/fuzz_front.c $(FUZZ_BUILD)/libmpc.a -lm
	clang $(FUZZ_LINK) -Iruntime -o $(FUZZ_BUILD)/fuzz_frame \
	    tests/fuzz/fuzz_frame.c $(FUZZ_BUILD)/libmpr.a -lm
fuzz: fuzz-build
	@bash tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# valgrind memcheck over mpc for every input of the golden suites.
valgrind: all
	@sh scripts/deps.sh valgrind
	@MPC=$(BUILD)/mpc bash tests/valgrind.sh

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

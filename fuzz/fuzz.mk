# fuzz.mk - the libFuzzer build and run (GNU make), started by `make fuzz`
# (fuzz/fuzz.am) in the build tree's fuzz-build/ directory.
#
# The stack's sources (CORE_SOURCES: what Makefile.am gives libskbos_core and libskbos_stack),
# the test harness and the targets are compiled here with clang, with
# coverage for libFuzzer and ASan+UBSan, apart from the gcc build.  Each
# target then runs FUZZ_SECONDS on its corpus: new inputs go to
# corpus/<target>/ here, the seeds in $(SRCDIR)/fuzz/corpus/<target>/ are only
# read, and a crash leaves crashes/<target>-crash-* and fails the run.
SRCDIR ?= ..
CLANG ?= clang
FUZZ_SECONDS ?= 60
FUZZ_FLAGS ?=
TARGETS = fuzz_input fuzz_options fuzz_skb

SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
CFLAGS = -std=gnu11 -g -O1 $(SAN) -fsanitize=fuzzer-no-link -Wall -Wextra
CPPFLAGS = -I$(SRCDIR)/fuzz/include -I$(SRCDIR)/fuzz -I$(SRCDIR)/libos/include \
	-I$(SRCDIR)/libos/core -I$(SRCDIR)/libos/ipv4 -I$(SRCDIR)/libos/ipv6 -I$(SRCDIR)/libos/runtime \
	-I$(SRCDIR)/netdev \
	-I$(SRCDIR)/netdev/afpacket -I$(SRCDIR)/netd -I$(SRCDIR)/tests/harness -I$(SRCDIR)/tests/devices -D_GNU_SOURCE
LIBS = -luring -lev -lpcap -lm -lpthread

HARNESS = tests/harness/world.c tests/harness/inet.c tests/harness/socks.c \
	tests/harness/frames.c tests/harness/capture.c
STACK_OBJS = $(patsubst %.c,obj/%.o,$(filter %.c,$(CORE_SOURCES)) $(HARNESS) fuzz/netfeed.c)

all: tools $(TARGETS) gen_corpus

# Say which Debian package is missing instead of failing somewhere below.
tools:
	@command -v $(CLANG) >/dev/null 2>&1 || \
		{ echo "make fuzz: $(CLANG) not found: install the Debian package clang" >&2; exit 1; }
	@echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; return (int)n * 0; }' \
		> tools-probe.c
	@$(CLANG) -fsanitize=fuzzer,address,undefined tools-probe.c -o tools-probe 2>/dev/null || \
		{ echo "make fuzz: $(CLANG) cannot link libFuzzer: install the Debian package" \
		  "libclang-rt-$$($(CLANG) -dumpversion | cut -d. -f1)-dev" >&2; exit 1; }
	@rm -f tools-probe.c tools-probe

obj/%.o: $(SRCDIR)/%.c
	@mkdir -p $(@D)
	@echo "  CLANG    $*.c"
	@$(CLANG) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

libfuzzstack.a: $(STACK_OBJS)
	@rm -f $@
	@ar rcs $@ $^

fuzz_%: obj/fuzz/fuzz_%.o libfuzzstack.a
	@echo "  LINK     $@"
	@$(CLANG) $(SAN) -fsanitize=fuzzer $^ $(LIBS) -o $@

# The seed generator: the scenario's own frames, written as records.
gen_corpus: obj/fuzz/gen_corpus.o libfuzzstack.a
	@echo "  LINK     $@"
	@$(CLANG) $(SAN) -fsanitize=fuzzer-no-link $^ $(LIBS) -o $@

run: all
	@mkdir -p crashes; fail=0; \
	for t in $(TARGETS); do \
		mkdir -p corpus/$$t; \
		echo "== $$t: $(FUZZ_SECONDS) s"; \
		./$$t -max_total_time=$(FUZZ_SECONDS) -timeout=20 -print_final_stats=1 \
			-artifact_prefix=crashes/$$t- $(FUZZ_FLAGS) corpus/$$t $(SRCDIR)/fuzz/corpus/$$t \
			> $$t.log 2>&1 || { fail=1; echo "== $$t FAILED: see fuzz-build/$$t.log"; tail -40 $$t.log; }; \
		grep -E '^#[0-9]+.*(DONE|pulse)|stat::(number_of_executed_units|average_exec_per_sec)' \
			$$t.log | tail -3; \
	done; \
	exit $$fail

.PHONY: all tools run
.SECONDARY:
-include $(STACK_OBJS:.o=.d) $(TARGETS:%=obj/fuzz/%.d) obj/fuzz/gen_corpus.d

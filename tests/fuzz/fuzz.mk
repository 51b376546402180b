# Fuzz targets (docs/security.md), -included by the top Makefile.
#
# Every tests/fuzz/fuzz_NAME.c is one libFuzzer target: it defines
# LLVMFuzzerTestOneInput and calls the code the VMM runs (the library
# objects, rebuilt by clang with the fuzzer's coverage, ASan and UBSan).
# Its seed corpus is tests/fuzz/corpus/NAME/, inputs that once failed are
# tests/fuzz/regress/NAME/, and tests/fuzz/NAME.options (optional) holds
# extra libFuzzer flags (-max_len=...). The same sources also join the
# Criterion unit tests (entry points renamed fuzz_NAME_one), which replay
# every corpus and regression input under gcc's ASan.
#
#   make fuzz [FUZZ_SECONDS=60]   build every target and run each
#   make fuzz-build               build them only
#   make fuzz-coverage            line coverage each reached (tests/fuzz/NAME.cover)

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SRCS    := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES   := $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRCS))
FUZZ_BINS    := $(patsubst %,$(B)/fuzz/fuzz_%,$(FUZZ_NAMES))
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1
FUZZ_CFLAGS  := -std=gnu11 $(WARN) -Wno-unknown-warning-option -Wno-missing-field-initializers -Wno-gnu-variable-sized-type-not-at-end -I. -D_GNU_SOURCE -DMICROVM_FUZZ -MMD -MP $(FUZZ_SAN)
FUZZ_LIB_OBJS := $(patsubst %.c,$(B)/fuzz/obj/%.o,$(LIB_SRCS) $(FIRMWARE_HOST_SRCS))

.PHONY: fuzz fuzz-build fuzz-check
fuzz-build: $(FUZZ_BINS)

$(B)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(PKG_CFLAGS) -c $< -o $@

$(B)/libmicrovm-fuzz.a: $(FUZZ_LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(B)/fuzz/fuzz_%: $(B)/fuzz/obj/tests/fuzz/fuzz_%.o $(B)/libmicrovm-fuzz.a $(BLOB_OBJ)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< $(BLOB_OBJ) $(B)/libmicrovm-fuzz.a $(PKG_LIBS) $(LDLIBS)

fuzz: deps fuzz-build
	tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_NAMES)

# A few seconds each on the corpus: the targets keep building and the corpus keeps passing.
fuzz-check: fuzz-build
	tests/fuzz/run.sh --check $(FUZZ_NAMES)

# The unit tests replay every corpus and regression input: each target's
# entry point is renamed for the Criterion binary, and one generated header
# lists them all.
FUZZ_UNIT_OBJS := $(patsubst %.c,$(B)/asan/%.o,$(FUZZ_SRCS))
$(B)/asan/tests/fuzz/fuzz_%.o: tests/fuzz/fuzz_%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(ASAN_FLAGS) $(PKG_CFLAGS) -DMICROVM_FUZZ_REPLAY \
		-DLLVMFuzzerTestOneInput=fuzz_$*_one -DLLVMFuzzerInitialize=fuzz_$*_init \
		-DLLVMFuzzerCustomMutator=fuzz_$*_mutator -c $< -o $@

$(B)/fuzz_targets.h: $(FUZZ_SRCS) tests/fuzz/fuzz.mk
	@mkdir -p $(dir $@)
	@{ for n in $(FUZZ_NAMES); do echo "FUZZ_TARGET($$n)"; done; } > $@.tmp && mv $@.tmp $@

# Line coverage each target reaches from its corpus (docs/security.md):
# the targets rebuilt with clang's source-based coverage, every input of
# build/fuzz/work/NAME, the seed corpus and the regressions run once, and
# llvm-cov's report for the files tests/fuzz/NAME.cover lists.
FUZZ_COV_CFLAGS := -std=gnu11 -w -I. -D_GNU_SOURCE -DMICROVM_FUZZ -g -O1 -fprofile-instr-generate -fcoverage-mapping
FUZZ_COV_LIB_OBJS := $(patsubst %.c,$(B)/fuzz-cov/obj/%.o,$(LIB_SRCS) $(FIRMWARE_HOST_SRCS))
.PHONY: fuzz-coverage
$(B)/fuzz-cov/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_COV_CFLAGS) -fsanitize=fuzzer-no-link $(PKG_CFLAGS) -c $< -o $@

$(B)/libmicrovm-fuzz-cov.a: $(FUZZ_COV_LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(B)/fuzz-cov/fuzz_%: $(B)/fuzz-cov/obj/tests/fuzz/fuzz_%.o $(B)/libmicrovm-fuzz-cov.a $(BLOB_OBJ)
	$(FUZZ_CC) -fprofile-instr-generate -fsanitize=fuzzer -o $@ $< $(BLOB_OBJ) $(B)/libmicrovm-fuzz-cov.a $(PKG_LIBS) $(LDLIBS)

fuzz-coverage: $(patsubst %,$(B)/fuzz-cov/fuzz_%,$(FUZZ_NAMES))
	tests/fuzz/coverage.sh $(FUZZ_NAMES)

# Keep the targets' own objects (make would delete them as intermediates).
.PRECIOUS: $(B)/fuzz/obj/tests/fuzz/%.o $(B)/fuzz-cov/obj/tests/fuzz/%.o

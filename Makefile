# microvm — top-level build.
#
#   make            build build/microvm, the firmware and the test guests
#   make run        install what is missing, build, boot the default guest
#   make check      install what is missing, build, run every test
#   make bench      dump/snapshot throughput benchmarks (docs/performance.md)
#   make install    PREFIX=/usr/local, DESTDIR honoured
#
# Sources are found by wildcard: a new .c file in vmm/, devices/ or acpi/
# joins the binary, a new tests/unit/test_*.c joins the unit tests, a new
# tests/integration/*.sh joins the integration tests. Modules with special
# rules bring their own fragment (firmware/firmware.mk, guest-images/*.mk).

SHELL   := /bin/bash
CC      ?= gcc
PREFIX  ?= /usr/local
DESTDIR ?=
B       := build

# Debian packages the build and the tests need; `make deps` installs missing ones.
DEB_PKGS := gcc make binutils pkg-config libc6-dev linux-libc-dev libfdt-dev liburing-dev libjansson-dev zlib1g-dev socat \
	libcriterion-dev acpica-tools elfutils gdb makedumpfile crash device-tree-compiler \
	qemu-system-x86 busybox-static cpio xz-utils zstd lz4 python3 coreutils \
	clang libclang-rt-14-dev llvm libseccomp-dev

WARN    := -Wall -Wextra -Werror -Wformat=2 -Wmissing-prototypes -Wno-unused-parameter
CFLAGS  ?= -O2 -g
BASE_CFLAGS := -std=gnu11 $(WARN) -I. -D_GNU_SOURCE -MMD -MP
PKG_CFLAGS = $(shell pkg-config --cflags liburing jansson zlib libseccomp 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs liburing 2>/dev/null || echo -luring) \
             $(shell pkg-config --libs libfdt 2>/dev/null || echo -lfdt) \
             $(shell pkg-config --libs jansson 2>/dev/null || echo -ljansson) \
             $(shell pkg-config --libs zlib 2>/dev/null || echo -lz) \
             $(shell pkg-config --libs libseccomp 2>/dev/null || echo -lseccomp)
CRIT_CFLAGS = $(shell pkg-config --cflags criterion 2>/dev/null)
CRIT_LIBS   = $(shell pkg-config --libs criterion 2>/dev/null || echo -lcriterion)
LDLIBS  := -lpthread

MAIN_SRC  := vmm/main.c
LIB_SRCS  := $(filter-out $(MAIN_SRC),$(wildcard vmm/*.c devices/*.c acpi/*.c))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)

.DEFAULT_GOAL := all

# Fragments may add FIRMWARE_HOST_SRCS (firmware logic also built for the host),
# FIRMWARE_BIN (the image embedded in microvm) and GUEST_IMAGES.
FIRMWARE_HOST_SRCS :=
FIRMWARE_BIN :=
GUEST_IMAGES :=
-include firmware/firmware.mk
-include guest-images/guest.mk
-include guest-images/linux.mk

LIB_OBJS  := $(patsubst %.c,$(B)/obj/%.o,$(LIB_SRCS) $(FIRMWARE_HOST_SRCS))
MAIN_OBJ  := $(B)/obj/vmm/main.o
ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -O1 -g

ifneq ($(FIRMWARE_BIN),)
BLOB_OBJ := $(B)/obj/firmware_blob.o
else
BLOB_OBJ :=
endif
-include tests/fuzz/fuzz.mk

.PHONY: all deps run check unit integration bench install clean tables-check
all: $(B)/microvm $(GUEST_IMAGES)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(B)/asan/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(ASAN_FLAGS) $(PKG_CFLAGS) $(CRIT_CFLAGS) -DUNIT_TEST -c $< -o $@

ifneq ($(FIRMWARE_BIN),)
$(BLOB_OBJ): $(FIRMWARE_BIN)
	@mkdir -p $(dir $@)
	printf '.section .rodata\n.balign 16\n.globl firmware_image\nfirmware_image:\n.incbin "%s"\n.globl firmware_image_end\nfirmware_image_end:\n.section .note.GNU-stack,"",@progbits\n' $(FIRMWARE_BIN) > $(B)/obj/firmware_blob.S
	$(CC) -c $(B)/obj/firmware_blob.S -o $@
endif

$(B)/libmicrovm.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(B)/microvm: $(MAIN_OBJ) $(B)/libmicrovm.a $(BLOB_OBJ)
	$(CC) $(CFLAGS) -o $@ $(MAIN_OBJ) $(BLOB_OBJ) $(B)/libmicrovm.a $(PKG_LIBS) $(LDLIBS)

# Unit tests: one Criterion binary, built with ASan and UBSan. Library objects
# go through an archive so a test pulls in only the modules it uses.
ASAN_LIB_OBJS := $(patsubst %.c,$(B)/asan/%.o,$(LIB_SRCS) $(FIRMWARE_HOST_SRCS))
ASAN_UNIT_OBJS := $(patsubst %.c,$(B)/asan/%.o,$(UNIT_SRCS))
# The fuzz inputs' replay test (tests/fuzz/fuzz.mk) needs the list of targets.
$(B)/asan/tests/unit/test_fuzz_inputs.o: $(B)/fuzz_targets.h
$(B)/asan/tests/unit/test_fuzz_inputs.o: BASE_CFLAGS += -I$(B) -DMICROVM_SRC_DIR='"$(CURDIR)"'
$(B)/asan/tests/unit/test_snapshot_parse.o: BASE_CFLAGS += -DMICROVM_SRC_DIR='"$(CURDIR)"'
# The seccomp test checks the KVM ioctls the sources name against the filters' lists.
$(B)/asan/tests/unit/test_seccomp.o: BASE_CFLAGS += -DMICROVM_SRC_DIR='"$(CURDIR)"'
$(B)/libmicrovm-asan.a: $(ASAN_LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(B)/unit-tests: $(ASAN_UNIT_OBJS) $(FUZZ_UNIT_OBJS) $(B)/libmicrovm-asan.a $(BLOB_OBJ)
	$(CC) $(ASAN_FLAGS) -o $@ $(ASAN_UNIT_OBJS) $(FUZZ_UNIT_OBJS) $(BLOB_OBJ) $(B)/libmicrovm-asan.a $(CRIT_LIBS) $(PKG_LIBS) $(LDLIBS)

# microvm itself under ASan and UBSan, for the hostile-guest test (tests/integration/hostile.sh).
$(B)/microvm-asan: $(B)/asan/vmm/main.o $(B)/libmicrovm-asan.a $(BLOB_OBJ)
	$(CC) $(ASAN_FLAGS) -o $@ $(B)/asan/vmm/main.o $(BLOB_OBJ) $(B)/libmicrovm-asan.a $(PKG_LIBS) $(LDLIBS)

deps:
	@missing=""; for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "deps: installing:$$missing"; \
		if [ "$$(id -u)" != 0 ]; then \
			echo "deps: not root; run: sudo apt-get install$$missing" >&2; exit 1; fi; \
		apt-get update -q >/dev/null && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing >/dev/null || \
		{ echo "deps: apt-get install$$missing failed" >&2; exit 1; }; \
	fi

# Guests run where a KVM works: here, or in tests/with-kvm's nested VM when
# this host has no usable /dev/kvm (docs/testing.md).
run: deps
	$(MAKE) all
	tests/with-kvm guest-images/demo.sh

unit: $(B)/unit-tests
	$(B)/unit-tests --jobs 2

integration: all
	tests/with-kvm tests/integration/run.sh

check: deps
	$(MAKE) all $(B)/unit-tests $(B)/microvm-asan fuzz-build linux-image
	tests/run-all.sh

bench: all
	tests/bench/run.sh

install: $(B)/microvm
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(B)/microvm $(DESTDIR)$(PREFIX)/bin/microvm
	install -m 0644 docs/microvm.1 $(DESTDIR)$(PREFIX)/share/man/man1/microvm.1

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)

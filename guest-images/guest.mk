# guest-images/guest.mk — the freestanding test guest (docs/testguest.md).
#
#   build/guest-images/testguest.elf      PVH ELF (XEN_ELFNOTE_PHYS32_ENTRY)
#   build/guest-images/testguest.bzImage  the same image as a bzImage
#
# Every guest-images/testguest/*.c and *.S joins the image. The bzImage is
# the ELF's PT_LOAD bytes behind a small real-mode setup (bzimage/setup.S),
# put together by the host tool bzimage/mkbzimage.c.

# The fragments are included before the top Makefile's `all:` rule, so
# the first rule of a fragment would become the default goal; `make` with
# no target must build `all`, as the Makefile's header says.
.DEFAULT_GOAL := all

TG_SRC := guest-images/testguest
TG_BZ  := guest-images/bzimage
TG_OUT := $(B)/guest-images

TG_SRCS := $(wildcard $(TG_SRC)/*.c $(TG_SRC)/*.S)
TG_OBJS := $(patsubst $(TG_SRC)/%,$(TG_OUT)/obj/%.o,$(TG_SRCS))
# Firmware code the guest runs as it is (the loader scenario): the same
# sources, built with the guest's flags.
TG_SHARED_SRCS := firmware/loader_exec.c
TG_OBJS += $(patsubst %,$(TG_OUT)/obj/shared/%.o,$(TG_SHARED_SRCS))

# Freestanding, no SSE (the emulated CPL0 of this host lacks it), no red
# zone (interrupts use the same stack), no CET endbr64, no PIC: the image
# is linked at 1 MiB. The loop-pattern pass would turn memset into a call
# to itself.
TG_CFLAGS := -std=gnu11 $(WARN) -I. -MMD -MP -O2 -g -ffreestanding -nostdlib \
	-mgeneral-regs-only -mno-red-zone -fno-pic -fno-pie -fno-stack-protector \
	-fcf-protection=none -fno-asynchronous-unwind-tables -fno-tree-loop-distribute-patterns \
	-mcmodel=small
TG_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=4096 \
	-Wl,-z,noexecstack -Wl,--no-warn-rwx-segments

GUEST_IMAGES += $(TG_OUT)/testguest.elf $(TG_OUT)/testguest.bzImage

$(TG_OUT)/obj/%.c.o: $(TG_SRC)/%.c
	@mkdir -p $(dir $@)
	$(CC) $(TG_CFLAGS) -c $< -o $@

$(TG_OUT)/obj/%.S.o: $(TG_SRC)/%.S
	@mkdir -p $(dir $@)
	$(CC) $(TG_CFLAGS) -c $< -o $@

$(TG_OUT)/obj/shared/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(TG_CFLAGS) -c $< -o $@

$(TG_OUT)/testguest.elf: $(TG_OBJS) $(TG_SRC)/guest.ld
	$(CC) $(TG_LDFLAGS) -Wl,-T,$(TG_SRC)/guest.ld -o $@ $(TG_OBJS)

$(TG_OUT)/obj/setup.o: $(TG_BZ)/setup.S
	@mkdir -p $(dir $@)
	$(CC) $(TG_CFLAGS) -c $< -o $@

$(TG_OUT)/setup.bin: $(TG_OUT)/obj/setup.o
	ld -m elf_x86_64 -Ttext=0 -e 0 --no-warn-rwx-segments -o $(TG_OUT)/obj/setup.elf $<
	objcopy -O binary -j .text $(TG_OUT)/obj/setup.elf $@

$(TG_OUT)/mkbzimage: $(TG_BZ)/mkbzimage.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $<

$(TG_OUT)/testguest.bzImage: $(TG_OUT)/mkbzimage $(TG_OUT)/setup.bin $(TG_OUT)/testguest.elf
	$(TG_OUT)/mkbzimage $(TG_OUT)/setup.bin $(TG_OUT)/testguest.elf $@

.PHONY: testguest
testguest: $(TG_OUT)/testguest.elf $(TG_OUT)/testguest.bzImage

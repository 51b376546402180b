# Firmware build fragment, -included by the top Makefile.
#
# The firmware is freestanding 32-bit code linked to run at LAYOUT_FIRMWARE
# (firmware/fw_layout.h) and embedded in microvm as firmware_image. The
# linker/loader executor and the fw_cfg/hand-off parsers also build for the
# host (FIRMWARE_HOST_SRCS) so unit tests drive them.

FIRMWARE_BIN := $(B)/firmware/firmware.bin
FIRMWARE_HOST_SRCS := firmware/loader_exec.c firmware/fw_info.c

FW_SRCS := firmware/entry.S firmware/main.c firmware/fwcfg_io.c firmware/console.c \
	firmware/libc.c firmware/loader_exec.c firmware/fw_info.c
FW_OBJS := $(patsubst firmware/%,$(B)/firmware/obj/%.o,$(FW_SRCS))
FW_CFLAGS := -std=gnu11 $(WARN) -I. -MMD -MP -m32 -march=i686 -O2 -ffreestanding -fno-pic \
	-fno-pie -fno-stack-protector -mgeneral-regs-only -fno-asynchronous-unwind-tables \
	-fcf-protection=none -fno-strict-aliasing
FW_LDFLAGS := -m elf_i386 -nostdlib -static --build-id=none -z noexecstack --no-warn-rwx-segments

.PHONY: firmware
firmware: $(FIRMWARE_BIN)

$(B)/firmware/obj/%.c.o: firmware/%.c
	@mkdir -p $(dir $@)
	$(CC) $(FW_CFLAGS) -c $< -o $@

$(B)/firmware/obj/%.S.o: firmware/%.S
	@mkdir -p $(dir $@)
	$(CC) $(FW_CFLAGS) -c $< -o $@

# -undef: keep cpp from turning "i386" in OUTPUT_ARCH into "1".
$(B)/firmware/firmware.ld: firmware/firmware.ld.S firmware/fw_layout.h
	@mkdir -p $(dir $@)
	$(CC) -E -P -undef -x c -I. $< -o $@

$(B)/firmware/firmware.elf: $(FW_OBJS) $(B)/firmware/firmware.ld
	$(LD) $(FW_LDFLAGS) -T $(B)/firmware/firmware.ld -o $@ $(FW_OBJS)

$(FIRMWARE_BIN): $(B)/firmware/firmware.elf
	objcopy -O binary $< $@

/* SPDX-License-Identifier: MIT */
#include "vmm/firmware.h"

#include <errno.h>
#include <string.h>

#include "devices/fw_cfg.h"
#include "firmware/boot_abi.h"
#include "vmm/layout.h"
#include "vmm/log.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

/* The flat firmware image, embedded by the Makefile (build/obj/firmware_blob.S). */
extern const unsigned char firmware_image[];
extern const unsigned char firmware_image_end[];

int firmware_power_on(struct vm *vm, struct errbuf *err)
{
	size_t size = (size_t)(firmware_image_end - firmware_image);
	uint32_t flags = log_level >= LOG_INFO ? MVBOOT_FLAG_VERBOSE : 0;
	int r;

	if (size == 0 || size > LAYOUT_FIRMWARE_MAX)
		return errf(err, -EINVAL, "embedded firmware is %zu bytes, expected 1..%llu", size,
			    (unsigned long long)LAYOUT_FIRMWARE_MAX);
	if (gm_write(&vm->mem, LAYOUT_FIRMWARE, firmware_image, size))
		return errf(err, -EFAULT, "cannot place the firmware at 0x%llx",
			    (unsigned long long)LAYOUT_FIRMWARE);
	r = fwcfg_set_boot(vm->fwcfg, &vm->image, flags);
	if (r)
		return errf(err, r, "fw_cfg: cannot publish %s: %s", MVBOOT_FILE, strerror(-r));
	return vcpu_set_entry_state(&vm->vcpus[0], (uint32_t)LAYOUT_FIRMWARE, 0, 0, err);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * microvm_vmcoreinfo: the guest side of microvm's vmcoreinfo device
 * (shared/DESIGN.md §6, docs/vmcoreinfo.md, docs/linux-guests.md).
 *
 * The firmware ALLOCATEs a 4 KiB page in reserved RAM and patches its
 * address into the SSDT "VMCOREIN". Device \_SB.VMCI (_HID "QEMUVMCI")
 * returns, from its method ADDR, the page's address + 40 as a package of
 * two 32-bit halves. This driver writes there the version-0 record that
 * tells the VMM where this kernel's VMCOREINFO ELF note lies:
 *
 *   le32 version (0), le64 paddr, le32 size       16 bytes, packed
 *
 * after which the VMM's dump of a panicked guest carries the note, and
 * crash and makedumpfile can read the dump. One line is logged on success
 * and on each failure.
 */
#include <linux/acpi.h>
#include <linux/crash_core.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <asm/unaligned.h>

#define VMCI_VERSION 0
#define VMCI_RECORD_SIZE 16

static int vmci_read_addr(struct device *dev, u64 *addr)
{
	struct acpi_buffer buf = { ACPI_ALLOCATE_BUFFER, NULL };
	union acpi_object *obj;
	acpi_status status;
	int ret = -EINVAL;

	status = acpi_evaluate_object(ACPI_HANDLE(dev), "ADDR", NULL, &buf);
	if (ACPI_FAILURE(status)) {
		dev_err(dev, "evaluating ADDR failed: %s\n", acpi_format_exception(status));
		return -ENODEV;
	}
	obj = buf.pointer;
	if (!obj || obj->type != ACPI_TYPE_PACKAGE || obj->package.count != 2 ||
	    obj->package.elements[0].type != ACPI_TYPE_INTEGER ||
	    obj->package.elements[1].type != ACPI_TYPE_INTEGER) {
		dev_err(dev, "ADDR is not a package of two integers\n");
		goto out;
	}
	*addr = (obj->package.elements[0].integer.value & 0xffffffffULL) |
		(obj->package.elements[1].integer.value << 32);
	ret = 0;
out:
	kfree(buf.pointer);
	return ret;
}

static int vmci_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	phys_addr_t note = paddr_vmcoreinfo_note();
	u8 record[VMCI_RECORD_SIZE];
	void *p;
	u64 addr;
	int ret;

	ret = vmci_read_addr(dev, &addr);
	if (ret)
		return ret;
	if (!addr || addr % 4 || addr > U64_MAX - VMCI_RECORD_SIZE) {
		dev_err(dev, "ADDR gave an unusable address 0x%llx\n", addr);
		return -EINVAL;
	}
	p = memremap(addr, VMCI_RECORD_SIZE, MEMREMAP_WB);
	if (!p) {
		dev_err(dev, "cannot map the vmcoreinfo record at 0x%llx\n", addr);
		return -ENOMEM;
	}
	put_unaligned_le32(VMCI_VERSION, record);
	put_unaligned_le64(note, record + 4);
	put_unaligned_le32(VMCOREINFO_NOTE_SIZE, record + 12);
	memcpy(p, record, sizeof(record));
	memunmap(p);
	dev_info(dev, "published the VMCOREINFO note (0x%llx, %lu bytes) at 0x%llx\n",
		 (unsigned long long)note, (unsigned long)VMCOREINFO_NOTE_SIZE, addr);
	return 0;
}

static const struct acpi_device_id vmci_ids[] = {
	{ "QEMUVMCI", 0 },
	{}
};
MODULE_DEVICE_TABLE(acpi, vmci_ids);

static struct platform_driver vmci_driver = {
	.probe = vmci_probe,
	.driver = {
		.name = "microvm_vmcoreinfo",
		.acpi_match_table = vmci_ids,
	},
};

static int __init vmci_init(void)
{
	int ret;

	if (!acpi_dev_present("QEMUVMCI", NULL, -1)) {
		pr_err("microvm_vmcoreinfo: no QEMUVMCI device: this VM has no vmcoreinfo device "
		       "(microvm run --vmcoreinfo)\n");
		return -ENODEV;
	}
	ret = platform_driver_register(&vmci_driver);

	if (ret)
		pr_err("microvm_vmcoreinfo: cannot register the driver: %d\n", ret);
	return ret;
}

static void __exit vmci_exit(void)
{
	platform_driver_unregister(&vmci_driver);
}

module_init(vmci_init);
module_exit(vmci_exit);
MODULE_DESCRIPTION("Publishes the VMCOREINFO note to microvm's vmcoreinfo device (QEMUVMCI)");
MODULE_LICENSE("GPL");

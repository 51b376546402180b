/* SPDX-License-Identifier: MIT */
#include "vmm/vmcoreinfo_note.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vmm/dump_elf.h"
#include "vmm/util.h"

_Static_assert(VMCI_HDR_SIZE_OFF + 4 == VMCI_HDR_SIZE, "vmcoreinfo header is 16 packed bytes");
_Static_assert(VMCI_SIZE_MIN == DUMP_NHDR_SIZE, "the smallest note is a bare header");

/* A guest-chosen name made printable for a one-line message (escaped, truncated with "..."). */
static void name_printable(char *out, size_t out_len, const uint8_t *name, size_t len)
{
	size_t o = 0, i;

	for (i = 0; i < len && name[i] && o + 8 < out_len; i++) {
		uint8_t c = name[i];
		if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, out_len - o, "\\x%02x", c);
	}
	if (i < len && name[i])
		o += (size_t)snprintf(out + o, out_len - o, "...");
	out[o] = '\0';
}

int vmcoreinfo_note_check(const uint8_t *buf, size_t size, struct vmcoreinfo_note *out,
			  struct errbuf *why)
{
	static const char want[] = VMCI_NOTE_NAME;
	struct dump_note n;
	char shown[64];

	if (dump_note_parse(buf, size, &n)) {
		if (size < DUMP_NHDR_SIZE)
			return errf(why, -EINVAL, "vmcoreinfo: note of %zu bytes is shorter than its header", size);
		return errf(why, -EINVAL,
			    "vmcoreinfo: note namesz %" PRIu32 " descsz %" PRIu32 " do not fit in its %zu bytes",
			    get_le32(buf), get_le32(buf + 4), size);
	}
	if (n.namesz != sizeof(want) || memcmp(n.name, want, sizeof(want))) {
		name_printable(shown, sizeof(shown), n.name, n.namesz);
		return errf(why, -EINVAL, "vmcoreinfo: note name is \"%s\", expected %s", shown, want);
	}
	if (n.type != 0)
		return errf(why, -EINVAL, "vmcoreinfo: note type %" PRIu32 ", expected 0", n.type);
	out->note = buf;
	out->note_size = n.size;
	out->text = (const char *)n.desc;
	out->text_len = n.descsz;
	return 0;
}

/* The note the guest says is at [paddr, paddr + size): size, range, then format. */
static int note_at(const struct guest_mem *gm, uint64_t paddr, uint32_t size,
		   struct vmcoreinfo_note *out, struct errbuf *why)
{
	const uint8_t *note;

	if (size < VMCI_SIZE_MIN || size > VMCI_SIZE_MAX)
		return errf(why, -ERANGE, "vmcoreinfo: size %" PRIu32 " out of range %u..%u", size,
			    VMCI_SIZE_MIN, VMCI_SIZE_MAX);
	if (paddr > UINT64_MAX - size)
		return errf(why, -EFAULT,
			    "vmcoreinfo: paddr 0x%" PRIx64 " + size %" PRIu32 " overflows 64 bits",
			    paddr, size);
	note = gm_ptr(gm, paddr, size);
	if (!note)
		return errf(why, -EFAULT, "vmcoreinfo: paddr 0x%" PRIx64 " + size %" PRIu32 " beyond RAM",
			    paddr, size);
	out->paddr = paddr;
	out->size = size;
	return vmcoreinfo_note_check(note, size, out, why);
}

int vmcoreinfo_note_find(const struct guest_mem *gm, uint64_t addr, struct vmcoreinfo_note *out,
			 struct errbuf *why)
{
	const uint8_t *hdr;
	uint32_t version, size;
	uint64_t paddr;

	memset(out, 0, sizeof(*out));
	if (!addr)
		return errf(why, -ENOENT,
			    "vmcoreinfo: address is zero (no WRITE_POINTER filled etc/vmcoreinfo-addr since power-on or the last reset, or the guest wrote 0 there)");
	hdr = gm_ptr(gm, addr, VMCI_HDR_SIZE);
	if (!hdr)
		return errf(why, -EFAULT, "vmcoreinfo: address 0x%" PRIx64 " is not in RAM", addr);
	version = get_le32(hdr + VMCI_HDR_VERSION);
	paddr = get_le64(hdr + VMCI_HDR_PADDR);
	size = get_le32(hdr + VMCI_HDR_SIZE_OFF);
	if (version == VMCI_VERSION && paddr == 0 && size == 0)
		return errf(why, -ENOENT,
			    "vmcoreinfo: the page at 0x%" PRIx64 " is still empty (the guest has not published its note since power-on or the last reset)",
			    addr - 40);
	if (version != VMCI_VERSION)
		return errf(why, -EPROTO, "vmcoreinfo: version %" PRIu32 " unsupported", version);
	return note_at(gm, paddr, size, out, why);
}

int vmcoreinfo_note_from_fwcfg(const struct guest_mem *gm, const struct vmci_fwcfg_rec *rec,
			       struct vmcoreinfo_note *out, struct errbuf *why)
{
	memset(out, 0, sizeof(*out));
	if (!rec->written)
		return errf(why, -ENOENT,
			    "vmcoreinfo: etc/vmcoreinfo was not written (the guest has not published its note since power-on or the last reset; Linux does it when its qemu_fw_cfg driver probes)");
	if (rec->guest_format == VMCI_FWCFG_FORMAT_NONE)
		return errf(why, -ENOENT, "vmcoreinfo: the guest wrote guest_format 0 (NONE): it offers no note");
	if (rec->guest_format != VMCI_FWCFG_FORMAT_ELF)
		return errf(why, -EPROTO, "vmcoreinfo: guest format %u unsupported (1 = ELF)",
			    rec->guest_format);
	return note_at(gm, rec->paddr, rec->size, out, why);
}

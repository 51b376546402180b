/* SPDX-License-Identifier: MIT */
/* vmm/vmcoreinfo_note.c: each way a guest can publish a bad note, and the one-line reason. */
#include <criterion/criterion.h>
#include <errno.h>

#include "tests/unit/dump_fake.h"

static int find(struct fake_guest *g, uint64_t addr, struct vmcoreinfo_note *n, struct errbuf *why)
{
	why->msg[0] = '\0';
	return vmcoreinfo_note_find(&g->gm, addr, n, why);
}

Test(vmcoreinfo_note, valid_linux_note)
{
	struct fake_guest g;
	struct vmcoreinfo_note n;
	struct errbuf why;

	fake_init(&g);
	cr_assert_eq(find(&g, FAKE_VMCI_ADDR, &n, &why), 0, "%s", why.msg);
	cr_assert_eq(n.paddr, FAKE_NOTE_GPA);
	cr_assert_eq(n.size, FAKE_NOTE_SIZE);
	cr_assert_eq(n.note, g.low + FAKE_NOTE_GPA, "the note is read in place, through gm_ptr");
	cr_assert_eq(n.note_size, 12 + 12 + align_up(strlen(FAKE_TEXT), 4), "first note only");
	cr_assert_eq(n.text_len, strlen(FAKE_TEXT));
	cr_assert_eq(memcmp(n.text, FAKE_TEXT, n.text_len), 0);
	fake_fini(&g);
}

Test(vmcoreinfo_note, note_in_high_ram)
{
	struct fake_guest g;
	struct vmcoreinfo_note n;
	struct errbuf why;

	fake_init(&g);
	fake_note_at(g.high + 0x1000, VMCI_NOTE_NAME, 0, FAKE_TEXT);
	fake_publish(&g, 0, FAKE_HIGH_GPA + 0x1000, FAKE_NOTE_SIZE);
	cr_assert_eq(find(&g, FAKE_VMCI_ADDR, &n, &why), 0, "%s", why.msg);
	cr_assert_eq(n.note, g.high + 0x1000);
	fake_fini(&g);
}

Test(vmcoreinfo_note, address_zero)
{
	struct fake_guest g;
	struct vmcoreinfo_note n;
	struct errbuf why;

	fake_init(&g);
	cr_assert_eq(find(&g, 0, &n, &why), -ENOENT);
	cr_assert_str_eq(why.msg, "vmcoreinfo: address is zero (no WRITE_POINTER filled "
				  "etc/vmcoreinfo-addr since power-on or the last reset, or the guest "
				  "wrote 0 there)");
	fake_fini(&g);
}

/* The firmware published the page but the guest's driver never wrote it. */
Test(vmcoreinfo_note, page_still_empty)
{
	struct fake_guest g;
	struct vmcoreinfo_note n;
	struct errbuf why;

	fake_init(&g);
	fake_publish(&g, 0, 0, 0);
	cr_assert_eq(find(&g, FAKE_VMCI_ADDR, &n, &why), -ENOENT);
	cr_assert(strstr(why.msg, "is still empty (the guest has not published its note since power-on or the last reset)"),
		  "%s", why.msg);
	fake_fini(&g);
}

Test(vmcoreinfo_note, address_outside_ram)
{
	struct fake_guest g;
	struct vmcoreinfo_note n;
	struct errbuf why;

	fake_init(&g);
	cr_assert_eq(find(&g, 0xC0000000, &n, &why), -EFAULT, "in the MMIO hole");
	cr_assert_str_eq(why.msg, "vmcoreinfo: address 0xc0000000 is not in RAM");
	/* The 16-byte header straddles the end of low RAM. */
	cr_assert_eq(find(&g, FAKE_LOW_SIZE - 8, &n, &why), -EFAULT);
	cr_assert_eq(find(&g, UINT64_MAX - 3, &n, &why), -EFAULT, "wraps");
	fake_fini(&g);
}

Test(vmcoreinfo_note, version_one)
{
	struct fake_guest g;
	struct vmcoreinfo_note n;
	struct errbuf why;

	fake_init(&g);
	fake_publish(&g, 1, FAKE_NOTE_GPA, FAKE_NOTE_SIZE);
	cr_assert_eq(find(&g, FAKE_VMCI_ADDR, &n, &why), -EPROTO);
	cr_assert_str_eq(why.msg, "vmcoreinfo: version 1 unsupported");
	fake_fini(&g);
}

Test(vmcoreinfo_note, size_out_of_range)
{
	struct fake_guest g;
	struct vmcoreinfo_note n;
	struct errbuf why;

	fake_init(&g);
	fake_publish(&g, 0, FAKE_NOTE_GPA, 2097152);
	cr_assert_eq(find(&g, FAKE_VMCI_ADDR, &n, &why), -ERANGE);
	cr_assert_str_eq(why.msg, "vmcoreinfo: size 2097152 out of range 12..1048576");
	fake_publish(&g, 0, FAKE_NOTE_GPA, 11);
	cr_assert_eq(find(&g, FAKE_VMCI_ADDR, &n, &why), -ERANGE);
	cr_assert_str_eq(why.msg, "vmcoreinfo: size 11 out of range 12..1048576");
	fake_publish(&g, 0, FAKE_NOTE_GPA, 0);
	cr_assert_eq(find(&g, FAKE_VMCI_ADDR, &n, &why), -ERANGE);
	/* The bounds themselves are accepted as sizes (the note inside must still be right). */
	fake_note_at(g.high, VMCI_NOTE_NAME, 0, FAKE_TEXT);
	fake_publish(&g, 0, FAKE_HIGH_GPA, 1048576);
	cr_assert_eq(find(&g, FAKE_VMCI_ADDR, &n, &why), 0, "%s", why.msg);
	fake_note_at(g.low + FAKE_NOTE_GPA, VMCI_NOTE_NAME, 0, FAKE_TEXT);
	fake_publish(&g, 0, FAKE_NOTE_GPA, 12 + 12 + 4);
	put_le32(g.low + FAKE_NOTE_GPA + 4, 4);
	cr_assert_eq(find(&g, FAKE_VMCI_ADDR, &n, &why), 0, "%s", why.msg);
	fake_fini(&g);
}

Test(vmcoreinfo_note, paddr_beyond_ram)
{
	struct fake_guest g;
	struct vmcoreinfo_note n;
	struct errbuf why;

	fake_init(&g);
	fake_publish(&g, 0, FAKE_LOW_SIZE - 100, FAKE_NOTE_SIZE);
	cr_assert_eq(find(&g, FAKE_VMCI_ADDR, &n, &why), -EFAULT);
	cr_assert_str_eq(why.msg, "vmcoreinfo: paddr 0xfff9c + size 4132 beyond RAM");
	fake_publish(&g, 0, UINT64_MAX - 16, 4096);
	cr_assert_eq(find(&g, FAKE_VMCI_ADDR, &n, &why), -EFAULT, "paddr + size wraps");
	cr_assert_str_eq(why.msg, "vmcoreinfo: paddr 0xffffffffffffffef + size 4096 overflows 64 bits");
	fake_publish(&g, 0, 0xC0000000, 4096);
	cr_assert_eq(find(&g, FAKE_VMCI_ADDR, &n, &why), -EFAULT, "MMIO hole");
	fake_publish(&g, 0, FAKE_HIGH_GPA + FAKE_HIGH_SIZE - 12, 13);
	cr_assert_eq(find(&g, FAKE_VMCI_ADDR, &n, &why), -EFAULT, "one byte past the top");
	fake_fini(&g);
}

Test(vmcoreinfo_note, wrong_name)
{
	struct fake_guest g;
	struct vmcoreinfo_note n;
	struct errbuf why;

	fake_init(&g);
	fake_note_at(g.low + FAKE_NOTE_GPA, "FOO", 0, FAKE_TEXT);
	cr_assert_eq(find(&g, FAKE_VMCI_ADDR, &n, &why), -EINVAL);
	cr_assert_str_eq(why.msg, "vmcoreinfo: note name is \"FOO\", expected VMCOREINFO");
	/* Same letters without the NUL (namesz 10), and a longer name sharing the prefix. */
	fake_note_at(g.low + FAKE_NOTE_GPA, VMCI_NOTE_NAME, 0, FAKE_TEXT);
	put_le32(g.low + FAKE_NOTE_GPA, 10);
	cr_assert_eq(find(&g, FAKE_VMCI_ADDR, &n, &why), -EINVAL);
	fake_note_at(g.low + FAKE_NOTE_GPA, "VMCOREINFOX", 0, FAKE_TEXT);
	cr_assert_eq(find(&g, FAKE_VMCI_ADDR, &n, &why), -EINVAL);
	cr_assert_str_eq(why.msg, "vmcoreinfo: note name is \"VMCOREINFOX\", expected VMCOREINFO");
	fake_fini(&g);
}

Test(vmcoreinfo_note, hostile_name_is_escaped)
{
	struct fake_guest g;
	struct vmcoreinfo_note n;
	struct errbuf why;
	char name[300];

	fake_init(&g);
	memset(name, 'A', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	name[0] = '\n';
	name[1] = '"';
	fake_note_at(g.low + FAKE_NOTE_GPA, name, 0, "X");
	cr_assert_eq(find(&g, FAKE_VMCI_ADDR, &n, &why), -EINVAL);
	cr_assert(!strchr(why.msg, '\n'), "one line: %s", why.msg);
	cr_assert(strstr(why.msg, "vmcoreinfo: note name is \"\\x0a\\x22AAA") == why.msg, "%s", why.msg);
	cr_assert(strstr(why.msg, "AAA...\", expected VMCOREINFO"), "%s", why.msg);
	cr_assert_lt(strlen(why.msg), 120, "truncated: %s", why.msg);
	fake_fini(&g);
}

Test(vmcoreinfo_note, wrong_type)
{
	struct fake_guest g;
	struct vmcoreinfo_note n;
	struct errbuf why;

	fake_init(&g);
	fake_note_at(g.low + FAKE_NOTE_GPA, VMCI_NOTE_NAME, 1, FAKE_TEXT);
	cr_assert_eq(find(&g, FAKE_VMCI_ADDR, &n, &why), -EINVAL);
	cr_assert_str_eq(why.msg, "vmcoreinfo: note type 1, expected 0");
	fake_fini(&g);
}

Test(vmcoreinfo_note, sizes_inside_the_note)
{
	struct fake_guest g;
	struct vmcoreinfo_note n;
	struct errbuf why;
	uint8_t *p;

	fake_init(&g);
	p = g.low + FAKE_NOTE_GPA;
	/* descsz runs past the announced size. */
	put_le32(p + 4, FAKE_NOTE_SIZE);
	cr_assert_eq(find(&g, FAKE_VMCI_ADDR, &n, &why), -EINVAL);
	cr_assert_str_eq(why.msg, "vmcoreinfo: note namesz 11 descsz 4132 do not fit in its 4132 bytes");
	/* descsz padding to 4 runs one byte past: 12 + 12 + 4108 rounds to 4132 + ... */
	put_le32(p + 4, FAKE_NOTE_SIZE - 24 + 1);
	cr_assert_eq(find(&g, FAKE_VMCI_ADDR, &n, &why), -EINVAL, "padding counts");
	put_le32(p + 4, FAKE_NOTE_SIZE - 24);
	cr_assert_eq(find(&g, FAKE_VMCI_ADDR, &n, &why), 0, "exactly fills: %s", why.msg);
	cr_assert_eq(n.note_size, FAKE_NOTE_SIZE);
	/* u32 sizes that would wrap 32-bit arithmetic. */
	put_le32(p, 0xFFFFFFFC);
	put_le32(p + 4, 0x10);
	cr_assert_eq(find(&g, FAKE_VMCI_ADDR, &n, &why), -EINVAL);
	put_le32(p, 11);
	put_le32(p + 4, 0xFFFFFFFF);
	cr_assert_eq(find(&g, FAKE_VMCI_ADDR, &n, &why), -EINVAL);
	/* A bare header (size 12) cannot hold the name. */
	fake_note_at(p, VMCI_NOTE_NAME, 0, FAKE_TEXT);
	fake_publish(&g, 0, FAKE_NOTE_GPA, 12);
	cr_assert_eq(find(&g, FAKE_VMCI_ADDR, &n, &why), -EINVAL);
	fake_fini(&g);
}

Test(vmcoreinfo_note, check_buffer_directly)
{
	uint8_t b[64] = { 0 };
	struct vmcoreinfo_note n;
	struct errbuf why;

	cr_assert_eq(vmcoreinfo_note_check(b, 8, &n, &why), -EINVAL);
	cr_assert_str_eq(why.msg, "vmcoreinfo: note of 8 bytes is shorter than its header");
	put_le32(b, 11);
	put_le32(b + 4, 4);
	memcpy(b + 12, "VMCOREINFO", 11);
	memcpy(b + 24, "A=1\n", 4);
	cr_assert_eq(vmcoreinfo_note_check(b, 28, &n, &why), 0, "%s", why.msg);
	cr_assert_eq(n.text_len, 4);
	cr_assert_eq(vmcoreinfo_note_check(b, 27, &n, &why), -EINVAL);
}

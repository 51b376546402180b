/* SPDX-License-Identifier: MIT */
/*
 * Just enough of the 8042 keyboard controller for the guest to reset the
 * machine (command 0xFE, or clearing bit 0 of the output port with 0xD1) and
 * for probing code to see a controller that answers its self-tests. There is
 * no keyboard or mouse behind it. One range 0x60..0x64 covers data (offset 0)
 * and command/status (offset 4); 0x61 is the PC speaker port, which KVM's
 * in-kernel PIT handles before it reaches user space.
 */
#include "devices/i8042.h"

#include <errno.h>
#include <stdlib.h>

#include "vmm/log.h"
#include "vmm/state.h"
#include "vmm/vm.h"

#define STATUS_OBF 0x01	   /* output buffer full */
#define STATUS_SYS 0x04	   /* system flag: passed self-test */
#define STATUS_CMD 0x08	   /* last write was a command */
#define STATUS_UNLOCK 0x10 /* keyboard not inhibited */

#define CMD_READ_CTR 0x20
#define CMD_WRITE_CTR 0x60
#define CMD_SELF_TEST 0xaa
#define CMD_KBD_TEST 0xab
#define CMD_READ_OUTPORT 0xd0
#define CMD_WRITE_OUTPORT 0xd1
#define CMD_PULSE_RESET 0xfe

struct i8042 {
	uint8_t ctr;	   /* controller configuration byte */
	uint8_t out;	   /* output buffer */
	bool out_full;
	uint8_t pending;   /* command waiting for its data byte */
	bool last_was_cmd;
};

static void i8042_reset(struct device *dev)
{
	struct i8042 *k = dev->priv;

	k->ctr = 0x45; /* keyboard interrupt, system flag, translation */
	k->out_full = false;
	k->pending = 0;
	k->last_was_cmd = false;
}

static void reply(struct i8042 *k, uint8_t v)
{
	k->out = v;
	k->out_full = true;
}

static void guest_reset(struct device *dev, const char *how)
{
	log_info("i8042: %s: guest requested a reset", how);
	vm_request(dev->vm, VM_REQ_RESET, 0);
}

static uint64_t i8042_read(struct device *dev, uint64_t off, unsigned len)
{
	struct i8042 *k = dev->priv;

	if (off == 0) {
		k->out_full = false;
		return k->out;
	}
	if (off == 4)
		return (k->out_full ? STATUS_OBF : 0) | STATUS_SYS | STATUS_UNLOCK |
		       (k->last_was_cmd ? STATUS_CMD : 0);
	return 0xff;
}

static void write_command(struct device *dev, struct i8042 *k, uint8_t cmd)
{
	k->last_was_cmd = true;
	switch (cmd) {
	case CMD_READ_CTR:
		reply(k, k->ctr);
		break;
	case CMD_WRITE_CTR:
	case CMD_WRITE_OUTPORT:
		k->pending = cmd;
		break;
	case CMD_SELF_TEST:
		reply(k, 0x55);
		break;
	case CMD_KBD_TEST:
		reply(k, 0x00);
		break;
	case CMD_READ_OUTPORT:
		reply(k, 0x03); /* A20 enabled, not in reset */
		break;
	default:
		/* 0xF0-0xFF pulse output-port bits low; bit 0 is the CPU reset line. */
		if (cmd >= 0xf0 && !(cmd & 1))
			guest_reset(dev, cmd == CMD_PULSE_RESET ? "command 0xFE" : "pulse reset line");
		break;
	}
}

static void write_data(struct device *dev, struct i8042 *k, uint8_t v)
{
	k->last_was_cmd = false;
	switch (k->pending) {
	case CMD_WRITE_CTR:
		k->ctr = v;
		break;
	case CMD_WRITE_OUTPORT:
		if (!(v & 1))
			guest_reset(dev, "output port bit 0 cleared");
		break;
	default:
		/* A keyboard command: no keyboard, so answer with "resend" like an absent device. */
		reply(k, 0xfe);
		break;
	}
	k->pending = 0;
}

static void i8042_write(struct device *dev, uint64_t off, unsigned len, uint64_t val)
{
	struct i8042 *k = dev->priv;

	if (off == 4)
		write_command(dev, k, (uint8_t)val);
	else if (off == 0)
		write_data(dev, k, (uint8_t)val);
}

/* Record "i8042" v1: the controller's registers and the command awaiting its data byte. */
static int i8042_save(struct device *dev, struct state_writer *w)
{
	struct i8042 *k = dev->priv;

	state_record_begin(w, "i8042", 1);
	state_put_u8(w, "ctr", k->ctr);
	state_put_u8(w, "out", k->out);
	state_put_bool(w, "out_full", k->out_full);
	state_put_u8(w, "pending", k->pending);
	state_put_bool(w, "last_was_cmd", k->last_was_cmd);
	return state_record_end(w);
}

static int i8042_load(struct device *dev, struct state_reader *r)
{
	struct i8042 *k = dev->priv, t;
	uint32_t version;
	int rc;

	if ((rc = state_record_open(r, "i8042", 1, &version)) ||
	    (rc = state_get_u8(r, "ctr", &t.ctr)) || (rc = state_get_u8(r, "out", &t.out)) ||
	    (rc = state_get_bool(r, "out_full", &t.out_full)) ||
	    (rc = state_get_u8(r, "pending", &t.pending)) ||
	    (rc = state_get_bool(r, "last_was_cmd", &t.last_was_cmd)))
		return rc;
	/* Only these two commands wait for a data byte (write_command). */
	if (t.pending && t.pending != CMD_WRITE_CTR && t.pending != CMD_WRITE_OUTPORT)
		return state_invalid(r, "pending command 0x%02x takes no data byte", t.pending);
	*k = t;
	return 0;
}

static int i8042_create(struct vm *vm, struct device *dev)
{
	int r;

	dev->priv = calloc(1, sizeof(struct i8042));
	if (!dev->priv)
		return -ENOMEM;
	i8042_reset(dev);
	r = vm_register_pio(vm, dev, I8042_DATA_PORT, I8042_CMD_PORT - I8042_DATA_PORT + 1);
	if (r) {
		free(dev->priv);
		dev->priv = NULL;
	}
	return r;
}

static void i8042_destroy(struct device *dev)
{
	free(dev->priv);
	dev->priv = NULL;
}

const struct device_ops i8042_ops = {
	.name = "i8042",
	.create = i8042_create,
	.destroy = i8042_destroy,
	.reset = i8042_reset,
	.io_read = i8042_read,
	.io_write = i8042_write,
	.save = i8042_save,
	.load = i8042_load,
};

/* SPDX-License-Identifier: MIT */
#ifndef MICROVM_SERIAL_H
#define MICROVM_SERIAL_H

#include <stdint.h>

#include "vmm/device.h"

#define SERIAL_BASE 0x3f8
#define SERIAL_IRQ 4

extern const struct device_ops serial_ops;

/* Where transmitted bytes go (default: standard output). */
void serial_set_output(struct device *dev, int fd);

/* Console input from the main loop (called with the VM's I/O lock held). */
unsigned serial_rx_space(struct device *dev);
void serial_rx(struct device *dev, const uint8_t *buf, unsigned n);

#endif

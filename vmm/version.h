/* SPDX-License-Identifier: MIT */
#ifndef MICROVM_VERSION_H
#define MICROVM_VERSION_H

#define MICROVM_VERSION "0.1.0"

#endif

/* SPDX-License-Identifier: MIT */
/* `microvm ctl SOCK COMMAND [ARGS]`: a client for the control socket (vmm/ctl.c). */
#ifndef MICROVM_CTL_H
#define MICROVM_CTL_H

/* argv[0] is "ctl"; returns the process exit status. */
int ctl_main(int argc, char **argv);

#endif

/* SPDX-License-Identifier: MIT */
#include "vmm/devstate.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

#include "vmm/device.h"
#include "vmm/state.h"
#include "vmm/vm.h"

int devices_save(struct vm *vm, struct state_writer *w)
{
	int rc = state_node_begin(w, "devices");

	for (unsigned i = 0; !rc && i < vm->nr_devices; i++) {
		struct device *dev = &vm->devices[i];

		if (dev->ops->save)
			rc = dev->ops->save(dev, w);
	}
	return rc ? rc : state_node_end(w);
}

static struct device *saved_device(struct vm *vm, const char *name)
{
	for (unsigned i = 0; i < vm->nr_devices; i++)
		if (vm->devices[i].ops->save && strcmp(vm->devices[i].ops->name, name) == 0)
			return &vm->devices[i];
	return NULL;
}

/* Every record in the file is a device of this VM, and every device of this VM with state has one. */
static int devices_match(struct vm *vm, struct state_reader *r, struct errbuf *err)
{
	const char *name;
	int iter = 0;

	while (state_child_next(r, &iter, &name)) {
		if (!state_node_name_ok(name))
			return errf(err, -EINVAL, "state: devices: a record with a malformed name");
		if (!saved_device(vm, name))
			return errf(err, -EINVAL,
				    "state: the file has state for device %s, which this VM does not have (started with other options?)",
				    name);
	}
	for (unsigned i = 0; i < vm->nr_devices; i++) {
		const struct device_ops *ops = vm->devices[i].ops;
		bool found = false;

		if (!ops->save)
			continue;
		for (iter = 0; !found && state_child_next(r, &iter, &name);)
			found = strcmp(name, ops->name) == 0;
		if (!found)
			return errf(err, -EINVAL,
				    "state: the file has no state for device %s of this VM (saved with other options?)",
				    ops->name);
	}
	return 0;
}

int devices_load(struct vm *vm, struct state_reader *r, struct errbuf *err)
{
	int rc = state_node_enter(r, "devices");

	if (rc)
		return errf(err, rc, "%s", r->err.msg);
	rc = devices_match(vm, r, err);
	for (unsigned i = 0; !rc && i < vm->nr_devices; i++) {
		struct device *dev = &vm->devices[i];

		if (!dev->ops->save)
			continue;
		assert(dev->ops->load);
		rc = dev->ops->load(dev, r);
		if (rc)
			errf(err, rc, "%s", r->err.msg);
	}
	state_node_leave(r);
	return rc;
}

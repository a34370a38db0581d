/* linux.netDevices: host network interfaces moved into the container's network namespace at
 * create, renamed when asked, with their permanent global addresses and set up (runtime-spec
 * config-linux.md "Network Devices", as runc 1.3 does). Nothing moves them back: when the
 * namespace goes, the kernel returns physical devices to the initial namespace and destroys
 * virtual ones. */
#pragma once

#include "lib/error.h"
#include "lib/spec.h"

/* Move every device of l->net_devices from the caller's network namespace into the one at
 * netns_fd. Errors name linux.netDevices.NAME and the reason (no such interface, the name is
 * taken in the container, the namespace is the caller's own). A failure part way leaves the
 * devices moved so far in the container's namespace, for the kernel to return when it goes. */
int rq_netdev_move_all(const rq_spec_linux *l, int netns_fd, rq_error **reterr);

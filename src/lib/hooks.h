/* OCI hooks (config.md "POSIX-platform Hooks", runtime.md "Lifecycle"): each hook is run with
 * the container's state JSON on its standard input, waited for (up to its timeout, then
 * killed), and its failure is an error naming it ("hooks.createRuntime[1] (/usr/bin/x): exit
 * status 2"). Who runs which kind, and where:
 *   prestart, createRuntime  the runtime, in its namespaces, once the container's exist
 *   createContainer          the init, in the container's namespaces, before pivot_root
 *   startContainer           the init, in the container, just before the program
 *   poststart                the runtime, after the program started (failure: a warning)
 *   poststop                 the runtime, when the container is deleted (failure: a warning) */
#pragma once

#include "lib/error.h"
#include "lib/spec.h"

/* Run the hooks of one kind, in order; stop at the first failure. No hooks: 0. */
int rq_hooks_run(const rq_spec *spec, rq_hook_kind kind, const char *state_json, rq_error **reterr);
/* Does the config have any hook of these kinds (a bit per rq_hook_kind)? */
bool rq_hooks_any(const rq_spec *spec, unsigned kinds);

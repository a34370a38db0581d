/* libsystemd's sd-bus, loaded with dlopen() the first time the --systemd-cgroup driver needs it:
 * every container start would otherwise pay for loading libsystemd and what it links (libgcrypt,
 * liblzma, libzstd, liblz4; ~3 ms here) although only containers under systemd use it.
 *
 * After including this header, the sd_bus_* names used by cgroup-systemd.c are the loaded
 * function pointers. The header's inline cleanup helpers (sd_bus_message_unrefp, …) call the
 * real symbols, so use the rq_bus_* ones below instead. */
#pragma once

#include <systemd/sd-bus.h>

#include "lib/dl.h"
#include "lib/error.h"

#define RQ_SDBUS_SYMBOLS(X)                                                                        \
        X(sd_bus_call)                                                                             \
        X(sd_bus_call_method)                                                                      \
        X(sd_bus_error_free)                                                                       \
        X(sd_bus_error_has_name)                                                                   \
        X(sd_bus_error_is_set)                                                                     \
        X(sd_bus_flush_close_unref)                                                                \
        X(sd_bus_get_property_string)                                                              \
        X(sd_bus_match_signal)                                                                     \
        X(sd_bus_message_append)                                                                   \
        X(sd_bus_message_append_basic)                                                             \
        X(sd_bus_message_close_container)                                                          \
        X(sd_bus_message_new_method_call)                                                          \
        X(sd_bus_message_open_container)                                                           \
        X(sd_bus_message_read)                                                                     \
        X(sd_bus_message_unref)                                                                    \
        X(sd_bus_new)                                                                              \
        X(sd_bus_open_system)                                                                      \
        X(sd_bus_open_user)                                                                        \
        X(sd_bus_process)                                                                          \
        X(sd_bus_set_address)                                                                      \
        X(sd_bus_slot_unref)                                                                       \
        X(sd_bus_start)                                                                            \
        X(sd_bus_unref)                                                                            \
        X(sd_bus_wait)

typedef struct rq_sdbus {
        RQ_SDBUS_SYMBOLS(RQ_DL_FIELD)
} rq_sdbus;

extern rq_sdbus rq_sdbus_fn;

/* Load libsystemd.so.0 and resolve every symbol (once per process). */
int rq_sdbus_load(rq_error **reterr);

static inline void rq_bus_message_unrefp(sd_bus_message **m)
{
        if (*m)
                rq_sdbus_fn.sd_bus_message_unref(*m);
}
static inline void rq_bus_slot_unrefp(sd_bus_slot **s)
{
        if (*s)
                rq_sdbus_fn.sd_bus_slot_unref(*s);
}

#ifndef RQ_SDBUS_DL_IMPL
#define sd_bus_call rq_sdbus_fn.sd_bus_call
#define sd_bus_call_method rq_sdbus_fn.sd_bus_call_method
#define sd_bus_error_free rq_sdbus_fn.sd_bus_error_free
#define sd_bus_error_has_name rq_sdbus_fn.sd_bus_error_has_name
#define sd_bus_error_is_set rq_sdbus_fn.sd_bus_error_is_set
#define sd_bus_flush_close_unref rq_sdbus_fn.sd_bus_flush_close_unref
#define sd_bus_get_property_string rq_sdbus_fn.sd_bus_get_property_string
#define sd_bus_match_signal rq_sdbus_fn.sd_bus_match_signal
#define sd_bus_message_append rq_sdbus_fn.sd_bus_message_append
#define sd_bus_message_append_basic rq_sdbus_fn.sd_bus_message_append_basic
#define sd_bus_message_close_container rq_sdbus_fn.sd_bus_message_close_container
#define sd_bus_message_new_method_call rq_sdbus_fn.sd_bus_message_new_method_call
#define sd_bus_message_open_container rq_sdbus_fn.sd_bus_message_open_container
#define sd_bus_message_read rq_sdbus_fn.sd_bus_message_read
#define sd_bus_message_unref rq_sdbus_fn.sd_bus_message_unref
#define sd_bus_new rq_sdbus_fn.sd_bus_new
#define sd_bus_open_system rq_sdbus_fn.sd_bus_open_system
#define sd_bus_open_user rq_sdbus_fn.sd_bus_open_user
#define sd_bus_process rq_sdbus_fn.sd_bus_process
#define sd_bus_set_address rq_sdbus_fn.sd_bus_set_address
#define sd_bus_slot_unref rq_sdbus_fn.sd_bus_slot_unref
#define sd_bus_start rq_sdbus_fn.sd_bus_start
#define sd_bus_unref rq_sdbus_fn.sd_bus_unref
#define sd_bus_wait rq_sdbus_fn.sd_bus_wait
#endif

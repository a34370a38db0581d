/* libarchive, loaded with dlopen() the first time an archive is read or written: its shared
 * library pulls in libxml2, ICU and libstdc++ (for the xar format, never used here), about 8 ms
 * of loading that every rongqi command, the namespace tools included, would otherwise pay.
 *
 * Files that use libarchive include this header instead of <archive.h>; the archive_* names
 * they call are then the loaded function pointers. rq_archive_load() must have succeeded
 * before any of them is called: the entry points of layer.c, load.c, save.c and busybox.c
 * call it. */
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include "lib/dl.h"
#include "lib/error.h"

#define RQ_ARCHIVE_SYMBOLS(X)                                                                      \
        X(archive_bzlib_version)                                                                   \
        X(archive_entry_atime)                                                                     \
        X(archive_entry_atime_is_set)                                                              \
        X(archive_entry_atime_nsec)                                                                \
        X(archive_entry_clear)                                                                     \
        X(archive_entry_filetype)                                                                  \
        X(archive_entry_free)                                                                      \
        X(archive_entry_gid)                                                                       \
        X(archive_entry_hardlink)                                                                  \
        X(archive_entry_mtime)                                                                     \
        X(archive_entry_mtime_is_set)                                                              \
        X(archive_entry_mtime_nsec)                                                                \
        X(archive_entry_new)                                                                       \
        X(archive_entry_pathname)                                                                  \
        X(archive_entry_pathname_utf8)                                                             \
        X(archive_entry_perm)                                                                      \
        X(archive_entry_rdevmajor)                                                                 \
        X(archive_entry_rdevminor)                                                                 \
        X(archive_entry_set_filetype)                                                              \
        X(archive_entry_set_gid)                                                                   \
        X(archive_entry_set_hardlink)                                                              \
        X(archive_entry_set_mtime)                                                                 \
        X(archive_entry_set_pathname)                                                              \
        X(archive_entry_set_perm)                                                                  \
        X(archive_entry_set_size)                                                                  \
        X(archive_entry_set_symlink)                                                               \
        X(archive_entry_set_uid)                                                                   \
        X(archive_entry_size)                                                                      \
        X(archive_entry_size_is_set)                                                               \
        X(archive_entry_symlink)                                                                   \
        X(archive_entry_uid)                                                                       \
        X(archive_entry_xattr_next)                                                                \
        X(archive_entry_xattr_reset)                                                               \
        X(archive_errno)                                                                           \
        X(archive_error_string)                                                                    \
        X(archive_filter_code)                                                                     \
        X(archive_filter_count)                                                                    \
        X(archive_liblzma_version)                                                                 \
        X(archive_libzstd_version)                                                                 \
        X(archive_read_data)                                                                       \
        X(archive_read_data_block)                                                                 \
        X(archive_read_free)                                                                       \
        X(archive_read_new)                                                                        \
        X(archive_read_next_header)                                                                \
        X(archive_read_open)                                                                       \
        X(archive_read_open_fd)                                                                    \
        X(archive_read_support_filter_all)                                                         \
        X(archive_read_support_filter_bzip2)                                                       \
        X(archive_read_support_filter_gzip)                                                        \
        X(archive_read_support_filter_xz)                                                          \
        X(archive_read_support_filter_zstd)                                                        \
        X(archive_read_support_format_gnutar)                                                      \
        X(archive_read_support_format_raw)                                                         \
        X(archive_read_support_format_tar)                                                         \
        X(archive_set_error)                                                                       \
        X(archive_write_add_filter_none)                                                           \
        X(archive_write_close)                                                                     \
        X(archive_write_data)                                                                      \
        X(archive_write_free)                                                                      \
        X(archive_write_header)                                                                    \
        X(archive_write_new)                                                                       \
        X(archive_write_open2)                                                                     \
        X(archive_write_open_fd)                                                                   \
        X(archive_write_set_bytes_in_last_block)                                                   \
        X(archive_write_set_format_pax_restricted)                                                 \
        X(archive_write_set_format_ustar)                                                          \
        X(archive_zlib_version)

typedef struct rq_archive_api {
        RQ_ARCHIVE_SYMBOLS(RQ_DL_FIELD)
} rq_archive_api;

extern rq_archive_api rq_archive_fn;

/* Load libarchive.so.13 and resolve every symbol (once per process). */
int rq_archive_load(rq_error **reterr);

#ifndef RQ_ARCHIVE_DL_IMPL
#define archive_bzlib_version rq_archive_fn.archive_bzlib_version
#define archive_entry_atime rq_archive_fn.archive_entry_atime
#define archive_entry_atime_is_set rq_archive_fn.archive_entry_atime_is_set
#define archive_entry_atime_nsec rq_archive_fn.archive_entry_atime_nsec
#define archive_entry_clear rq_archive_fn.archive_entry_clear
#define archive_entry_filetype rq_archive_fn.archive_entry_filetype
#define archive_entry_free rq_archive_fn.archive_entry_free
#define archive_entry_gid rq_archive_fn.archive_entry_gid
#define archive_entry_hardlink rq_archive_fn.archive_entry_hardlink
#define archive_entry_mtime rq_archive_fn.archive_entry_mtime
#define archive_entry_mtime_is_set rq_archive_fn.archive_entry_mtime_is_set
#define archive_entry_mtime_nsec rq_archive_fn.archive_entry_mtime_nsec
#define archive_entry_new rq_archive_fn.archive_entry_new
#define archive_entry_pathname rq_archive_fn.archive_entry_pathname
#define archive_entry_pathname_utf8 rq_archive_fn.archive_entry_pathname_utf8
#define archive_entry_perm rq_archive_fn.archive_entry_perm
#define archive_entry_rdevmajor rq_archive_fn.archive_entry_rdevmajor
#define archive_entry_rdevminor rq_archive_fn.archive_entry_rdevminor
#define archive_entry_set_filetype rq_archive_fn.archive_entry_set_filetype
#define archive_entry_set_gid rq_archive_fn.archive_entry_set_gid
#define archive_entry_set_hardlink rq_archive_fn.archive_entry_set_hardlink
#define archive_entry_set_mtime rq_archive_fn.archive_entry_set_mtime
#define archive_entry_set_pathname rq_archive_fn.archive_entry_set_pathname
#define archive_entry_set_perm rq_archive_fn.archive_entry_set_perm
#define archive_entry_set_size rq_archive_fn.archive_entry_set_size
#define archive_entry_set_symlink rq_archive_fn.archive_entry_set_symlink
#define archive_entry_set_uid rq_archive_fn.archive_entry_set_uid
#define archive_entry_size rq_archive_fn.archive_entry_size
#define archive_entry_size_is_set rq_archive_fn.archive_entry_size_is_set
#define archive_entry_symlink rq_archive_fn.archive_entry_symlink
#define archive_entry_uid rq_archive_fn.archive_entry_uid
#define archive_entry_xattr_next rq_archive_fn.archive_entry_xattr_next
#define archive_entry_xattr_reset rq_archive_fn.archive_entry_xattr_reset
#define archive_errno rq_archive_fn.archive_errno
#define archive_error_string rq_archive_fn.archive_error_string
#define archive_filter_code rq_archive_fn.archive_filter_code
#define archive_filter_count rq_archive_fn.archive_filter_count
#define archive_liblzma_version rq_archive_fn.archive_liblzma_version
#define archive_libzstd_version rq_archive_fn.archive_libzstd_version
#define archive_read_data rq_archive_fn.archive_read_data
#define archive_read_data_block rq_archive_fn.archive_read_data_block
#define archive_read_free rq_archive_fn.archive_read_free
#define archive_read_new rq_archive_fn.archive_read_new
#define archive_read_next_header rq_archive_fn.archive_read_next_header
#define archive_read_open rq_archive_fn.archive_read_open
#define archive_read_open_fd rq_archive_fn.archive_read_open_fd
#define archive_read_support_filter_all rq_archive_fn.archive_read_support_filter_all
#define archive_read_support_filter_bzip2 rq_archive_fn.archive_read_support_filter_bzip2
#define archive_read_support_filter_gzip rq_archive_fn.archive_read_support_filter_gzip
#define archive_read_support_filter_xz rq_archive_fn.archive_read_support_filter_xz
#define archive_read_support_filter_zstd rq_archive_fn.archive_read_support_filter_zstd
#define archive_read_support_format_gnutar rq_archive_fn.archive_read_support_format_gnutar
#define archive_read_support_format_raw rq_archive_fn.archive_read_support_format_raw
#define archive_read_support_format_tar rq_archive_fn.archive_read_support_format_tar
#define archive_set_error rq_archive_fn.archive_set_error
#define archive_write_add_filter_none rq_archive_fn.archive_write_add_filter_none
#define archive_write_close rq_archive_fn.archive_write_close
#define archive_write_data rq_archive_fn.archive_write_data
#define archive_write_free rq_archive_fn.archive_write_free
#define archive_write_header rq_archive_fn.archive_write_header
#define archive_write_new rq_archive_fn.archive_write_new
#define archive_write_open2 rq_archive_fn.archive_write_open2
#define archive_write_open_fd rq_archive_fn.archive_write_open_fd
#define archive_write_set_bytes_in_last_block rq_archive_fn.archive_write_set_bytes_in_last_block
#define archive_write_set_format_pax_restricted                                                    \
        rq_archive_fn.archive_write_set_format_pax_restricted
#define archive_write_set_format_ustar rq_archive_fn.archive_write_set_format_ustar
#define archive_zlib_version rq_archive_fn.archive_zlib_version
#endif

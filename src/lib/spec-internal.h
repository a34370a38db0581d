/* Internal to the spec parser: the table-driven reader the spec-*.c files describe config.json
 * with. An object is a table of fields; each field names its JSON key, its kind, where it goes
 * in the C struct and how it is checked. The reader walks the document, keeps the JSON path of
 * the value it is on ("linux.resources.memory.limit") and puts it in front of every error, so no
 * check has to build a path by hand. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "basic/macro.h"
#include "lib/error.h"
#include "lib/spec.h"

#define SPEC_PATH_MAX 512
#define SPEC_NO_AUX SIZE_MAX

/* A uint64 literal above INT64_MAX, which jansson cannot hold: the text is rewritten to a
 * negative sentinel of the same length before parsing and mapped back here. */
typedef struct spec_wide {
        int64_t sentinel;
        uint64_t value;
} spec_wide;

typedef struct spec_ctx {
        rq_spec *spec; /* allocations go here */
        rq_error **reterr;
        const spec_wide *wide;
        size_t n_wide;
        size_t path_len;
        char path[SPEC_PATH_MAX];
} spec_ctx;

typedef enum spec_kind {
        SPEC_STRING, /* char * */
        SPEC_BOOL, /* bool */
        SPEC_INT, /* an integer of .size bytes, .is_signed, range-checked */
        SPEC_ENUM, /* int: a name looked up in .names */
        SPEC_FLAGS, /* uint64_t: an array of names from .names, or'ed */
        SPEC_OBJECT, /* pointer to a new struct read with .object */
        SPEC_INLINE, /* a struct in place, read with .object */
        SPEC_ARRAY, /* pointer to .size-byte elements read with .elem; count at .aux */
        SPEC_MAP, /* like ARRAY, from an object: each element starts with its char *key */
        SPEC_CUSTOM, /* .fn reads the value */
        _SPEC_KIND_MAX,
} spec_kind;

typedef enum spec_flag {
        SPEC_REQUIRED = 1 << 0, /* absent or null is an error */
        SPEC_ABSOLUTE = 1 << 1, /* STRING: must be an absolute path */
        SPEC_NONEMPTY = 1 << 2, /* STRING, ARRAY: must not be empty */
        SPEC_BITNO = 1 << 3, /* FLAGS: a name's value is a bit number, not a mask */
        SPEC_RANGED = 1 << 4, /* INT: .min and .max replace the range of the C type */
        SPEC_ANY_OF = 1 << 5, /* of the fields of an object with this flag, one must be present */
        SPEC_UNIQUE = 1 << 6, /* ENUM in an array element: no two elements have the same value */
} spec_flag;

typedef struct spec_field spec_field;

/* Reads value v into dst (the field's address). */
typedef int (*spec_read_fn)(spec_ctx *c, json_t *v, void *dst);
/* Runs after a field was read; base is the struct holding it. */
typedef int (*spec_post_fn)(spec_ctx *c, const spec_field *f, void *base);
/* Cross-field rules of an object, after all its fields were read from json into obj. */
typedef int (*spec_check_fn)(spec_ctx *c, json_t *json, void *obj);

typedef struct spec_name {
        const char *name;
        int64_t value;
} spec_name;

/* { "RLIMIT_CORE", RLIMIT_CORE } */
#define SPEC_NAME_AS(s, v)                                                                         \
        {                                                                                          \
                .name = s, .value = v                                                              \
        }
#define SPEC_NAME(x) SPEC_NAME_AS(#x, x)

typedef struct spec_enum {
        const char *what; /* for "unknown <what> "x"" */
        const spec_name *names; /* NULL-terminated; or NULL and lookup */
        int (*lookup)(const char *name, int64_t *ret); /* -EINVAL when unknown */
        const char *hint; /* for an unknown name; NULL: list the names */
} spec_enum;

typedef struct spec_object {
        const spec_field *fields;
        size_t n_fields;
        size_t size; /* of the C struct, for SPEC_OBJECT */
        spec_check_fn check;
} spec_object;

struct spec_field {
        const char *name; /* JSON key; NULL for array and map elements */
        spec_kind kind;
        unsigned flags; /* spec_flag */
        size_t offset; /* where the value goes in the struct */
        size_t aux; /* STRING/BOOL/INT/FLAGS: offset of a bool set to true when present;
                     * ARRAY/MAP: offset of the size_t count */
        size_t size; /* INT: width in bytes; ARRAY/MAP: element size */
        bool is_signed; /* INT */
        int64_t min; /* INT with SPEC_RANGED */
        uint64_t max;
        const spec_object *object; /* OBJECT, INLINE */
        const spec_field *elem; /* ARRAY, MAP */
        const spec_enum *names; /* ENUM, FLAGS */
        spec_read_fn fn; /* CUSTOM */
        spec_post_fn post; /* any kind, may be NULL */
};

#define SPEC_MEMBER(type, m) (((type *)0)->m)
/* -1 converted to the type stays below 1 only in a signed type ("< 0" would warn for unsigned). */
#define SPEC_IS_SIGNED(x) ((__typeof__(x))-1 < 1)

/* Every field descriptor: the JSON key, kind, flags, offset, aux, then designators of the rest. */
#define F_AT(json, k, fl, off, aux_, ...)                                                          \
        {                                                                                          \
                .name = json, .kind = k, .flags = fl, .offset = off, .aux = aux_, __VA_ARGS__      \
        }
#define F_STRING(json, type, m, fl) F_AT(json, SPEC_STRING, fl, offsetof(type, m), SPEC_NO_AUX)
#define F_STRING_POST(json, type, m, fl, post_)                                                    \
        F_AT(json, SPEC_STRING, fl, offsetof(type, m), SPEC_NO_AUX, .post = post_)
#define F_BOOL(json, type, m) F_AT(json, SPEC_BOOL, 0, offsetof(type, m), SPEC_NO_AUX)
#define F_OPT_BOOL(json, type, m)                                                                  \
        F_AT(json, SPEC_BOOL, 0, offsetof(type, m.value), offsetof(type, m.set))
#define F_INT_AT(json, fl, off, aux_, member, lo, hi)                                              \
        F_AT(json, SPEC_INT, fl, off, aux_, .size = sizeof(member),                                \
             .is_signed = SPEC_IS_SIGNED(member), .min = lo, .max = hi)
#define F_INT(json, type, m, fl)                                                                   \
        F_INT_AT(json, fl, offsetof(type, m), SPEC_NO_AUX, SPEC_MEMBER(type, m), 0, 0)
#define F_INT_RANGE(json, type, m, fl, lo, hi)                                                     \
        F_INT_AT(json, (fl) | SPEC_RANGED, offsetof(type, m), SPEC_NO_AUX, SPEC_MEMBER(type, m),   \
                 lo, hi)
#define F_OPT_INT_FL(json, type, m, fl, lo, hi)                                                    \
        F_INT_AT(json, fl, offsetof(type, m.value), offsetof(type, m.set),                         \
                 SPEC_MEMBER(type, m.value), lo, hi)
#define F_OPT_INT(json, type, m) F_OPT_INT_FL(json, type, m, 0, 0, 0)
#define F_OPT_INT_ANY(json, type, m) F_OPT_INT_FL(json, type, m, SPEC_ANY_OF, 0, 0)
#define F_OPT_INT_RANGE(json, type, m, lo, hi) F_OPT_INT_FL(json, type, m, SPEC_RANGED, lo, hi)
#define F_ENUM(json, type, m, fl, e)                                                               \
        F_AT(json, SPEC_ENUM, fl, offsetof(type, m), SPEC_NO_AUX, .names = &(e))
#define F_FLAGS(json, type, m, fl, e, aux_)                                                        \
        F_AT(json, SPEC_FLAGS, fl, offsetof(type, m), aux_, .names = &(e))
#define F_OBJECT(json, type, m, obj)                                                               \
        F_AT(json, SPEC_OBJECT, 0, offsetof(type, m), SPEC_NO_AUX, .object = &(obj))
#define F_INLINE(json, type, m, obj)                                                               \
        F_AT(json, SPEC_INLINE, 0, offsetof(type, m), SPEC_NO_AUX, .object = &(obj))
#define F_LIST(json, k, type, m, n, e, fl, post_)                                                  \
        F_AT(json, k, fl, offsetof(type, m), offsetof(type, n),                                    \
             .size = sizeof(*SPEC_MEMBER(type, m)), .elem = &(e), .post = post_)
#define F_ARRAY(json, type, m, e, fl) F_LIST(json, SPEC_ARRAY, type, m, n_##m, e, fl, NULL)
#define F_ARRAY_POST(json, type, m, e, fl, post_)                                                  \
        F_LIST(json, SPEC_ARRAY, type, m, n_##m, e, fl, post_)
#define F_MAP(json, type, m, e) F_LIST(json, SPEC_MAP, type, m, n_##m, e, 0, NULL)
#define F_CUSTOM(json, type, m, fl, fn_)                                                           \
        F_AT(json, SPEC_CUSTOM, fl, offsetof(type, m), SPEC_NO_AUX, .fn = fn_)

/* Element descriptors for arrays and maps (no key; offset within the element). */
#define E_OF(k, fl, off) F_AT(NULL, k, fl, off, SPEC_NO_AUX)
#define E_INLINE(obj) F_AT(NULL, SPEC_INLINE, 0, 0, SPEC_NO_AUX, .object = &(obj))
#define E_INT(ctype)                                                                               \
        F_AT(NULL, SPEC_INT, 0, 0, SPEC_NO_AUX, .size = sizeof(ctype),                             \
             .is_signed = SPEC_IS_SIGNED((ctype)0))

#define SPEC_OBJECT_STORAGE(storage, var, type, check_, ...)                                       \
        static const spec_field var##_fields[] = { __VA_ARGS__ };                                  \
        storage const spec_object var = { var##_fields, ELEMENTSOF(var##_fields), sizeof(type),    \
                                          check_ }
/* An object table of this file, and one the other spec-*.c files use. */
#define SPEC_OBJECT_DEF(var, type, check_, ...)                                                    \
        SPEC_OBJECT_STORAGE(static, var, type, check_, __VA_ARGS__)
#define SPEC_OBJECT_EXPORT(var, type, check_, ...)                                                 \
        SPEC_OBJECT_STORAGE(, var, type, check_, __VA_ARGS__)

/* A name table and its enum: SPEC_ENUM_DEF(rlimit_enum, "rlimit", SPEC_NAME(RLIMIT_AS), …). */
#define SPEC_ENUM_DEF(var, what, ...)                                                              \
        static const spec_name var##_names[] = { __VA_ARGS__, {} };                                \
        static const spec_enum var = { what, var##_names, NULL }

/* Elements shared by several files. */
extern const spec_field spec_string_elem; /* char * */
extern const spec_field spec_abspath_elem; /* char *, an absolute path */
extern const spec_field spec_idmap_elem; /* rq_spec_idmap */
extern const spec_field spec_kv_elem; /* rq_spec_kv (map of strings) */
extern const spec_object spec_linux_object;
extern const spec_object spec_resources_object;

/* The name of an enum value, "?" when it has none. */
const char *spec_name_of(const spec_enum *e, int64_t value);

/* Walking: read obj (a JSON object) into dst with the table o. */
int spec_read_object(spec_ctx *c, const spec_object *o, json_t *obj, void *dst);

/* "<path>: <message>" as an -EINVAL rq_error. */
int spec_error(spec_ctx *c, const char *fmt, ...) _printf_(2, 3);
/* The same at <path>.member, and at <path>.array[i].member (array and member may be NULL). */
int spec_error_at(spec_ctx *c, const char *member, const char *fmt, ...) _printf_(3, 4);
int spec_error_elem(spec_ctx *c, const char *array, size_t i, const char *member, const char *fmt,
                    ...) _printf_(5, 6);
int spec_oom(spec_ctx *c);

void *spec_alloc(spec_ctx *c, size_t size);
static inline void *spec_at(void *base, size_t offset)
{
        return (char *)base + offset;
}

/* Checks shared by several files. */
bool spec_list_valid(const char *s, size_t *ret_count); /* "0-3,7" CPU and node lists */
int spec_post_list(spec_ctx *c, const spec_field *f, void *base); /* a STRING is such a list */
int spec_post_idmaps(spec_ctx *c, const spec_field *f, void *base); /* size > 0, no overlap */
/* When used, field (below the current path) needs a namespace of this type in l (may be NULL). */
int spec_needs_ns(spec_ctx *c, const rq_spec_linux *l, bool used, const char *field,
                  rq_ns_type type);

/* Rewrite the uint64 literals jansson cannot read (see spec_wide); *ret_text is NULL when
 * there were none (then parse the original). */
int spec_wide_prepare(const char *json, size_t len, char **ret_text, spec_wide **ret_wide,
                      size_t *ret_n);

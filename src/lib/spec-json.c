/* The table-driven JSON reader under the spec parser: typed readers per field kind, the JSON
 * path kept while walking, errors that start with that path, and the uint64 literals above
 * INT64_MAX that jansson cannot hold (RLIM_INFINITY is written as 18446744073709551615). */
#include "lib/spec-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/string-util.h"

/* ---- path and errors --------------------------------------------------------------------- */

/* The path grows while walking into a value and is cut back after: push returns the length to
 * pop back to. A path longer than the buffer is cut short, never overrun. */
static size_t path_append(spec_ctx *c, const char *s)
{
        size_t saved = c->path_len;
        size_t room = sizeof(c->path) - c->path_len;
        int n = snprintf(c->path + c->path_len, room, "%s", s);
        c->path_len = n < 0               ? c->path_len
                      : (size_t)n >= room ? sizeof(c->path) - 1
                                          : c->path_len + (size_t)n;
        return saved;
}

static bool is_identifier(const char *s)
{
        if (!*s || (*s >= '0' && *s <= '9'))
                return false;
        for (; *s; s++)
                if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                      (*s >= '0' && *s <= '9')))
                        return false;
        return true;
}

static size_t path_push(spec_ctx *c, const char *key)
{
        char buf[SPEC_PATH_MAX];
        if (!is_identifier(key))
                snprintf(buf, sizeof(buf), "[\"%s\"]", key);
        else
                snprintf(buf, sizeof(buf), "%s%s", c->path_len > 0 ? "." : "", key);
        return path_append(c, buf);
}

static size_t path_push_index(spec_ctx *c, size_t i)
{
        char buf[32];
        snprintf(buf, sizeof(buf), "[%zu]", i);
        return path_append(c, buf);
}

static void path_pop(spec_ctx *c, size_t saved)
{
        c->path_len = saved;
        c->path[saved] = 0;
}

_printf_(2, 0) static int verror(spec_ctx *c, const char *fmt, va_list ap)
{
        _cleanup_free_ char *msg = NULL;
        if (vasprintf(&msg, fmt, ap) < 0) {
                msg = NULL; /* undefined after a failure */
                return spec_oom(c);
        }
        if (c->path_len == 0)
                return rq_error_invalid(c->reterr, "%s", msg);
        return rq_error_invalid(c->reterr, "%s: %s", c->path, msg);
}

int spec_error(spec_ctx *c, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = verror(c, fmt, ap);
        va_end(ap);
        return r;
}

/* The error at <path>.array[i].member; each of the three parts may be left out. */
_printf_(5, 0) static int verror_below(spec_ctx *c, const char *array, size_t i, const char *member,
                                       const char *fmt, va_list ap)
{
        size_t saved = c->path_len;
        if (array)
                path_push(c, array);
        if (i != SIZE_MAX)
                path_push_index(c, i);
        if (member)
                path_push(c, member);
        int r = verror(c, fmt, ap);
        path_pop(c, saved);
        return r;
}

int spec_error_at(spec_ctx *c, const char *member, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = verror_below(c, NULL, SIZE_MAX, member, fmt, ap);
        va_end(ap);
        return r;
}

int spec_error_elem(spec_ctx *c, const char *array, size_t i, const char *member, const char *fmt,
                    ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = verror_below(c, array, i, member, fmt, ap);
        va_end(ap);
        return r;
}

int spec_oom(spec_ctx *c)
{
        return rq_error_set(c->reterr, ENOMEM, "parse config.json");
}

void *spec_alloc(spec_ctx *c, size_t size)
{
        return rq_spec_alloc(c->spec, size);
}

static const char *type_name(const json_t *v)
{
        switch (json_typeof(v)) {
        case JSON_OBJECT:
                return "an object";
        case JSON_ARRAY:
                return "an array";
        case JSON_STRING:
                return "a string";
        case JSON_INTEGER:
                return "an integer";
        case JSON_REAL:
                return "a real number";
        case JSON_TRUE:
        case JSON_FALSE:
                return "a boolean";
        case JSON_NULL:
                return "null";
        }
        return "an unknown JSON value";
}

static int expect(spec_ctx *c, const json_t *v, bool ok, const char *what)
{
        if (ok)
                return 0;
        return spec_error(c, "expected %s, got %s", what, type_name(v));
}

/* ---- readers, one per kind ---------------------------------------------------------------- */

typedef int (*kind_reader)(spec_ctx *c, const spec_field *f, json_t *v, void *base);

static int read_value(spec_ctx *c, const spec_field *f, json_t *v, void *base);

static int read_string(spec_ctx *c, const spec_field *f, json_t *v, void *base)
{
        int r = expect(c, v, json_is_string(v), "a string");
        if (r < 0)
                return r;
        const char *s = json_string_value(v);
        if ((f->flags & SPEC_NONEMPTY) && !*s)
                return spec_error(c, "must not be empty");
        if ((f->flags & SPEC_ABSOLUTE) && s[0] != '/')
                return spec_error(c, "must be an absolute path, got \"%s\"", s);
        char *copy = rq_spec_strdup(c->spec, s);
        if (!copy)
                return spec_oom(c);
        *(char **)spec_at(base, f->offset) = copy;
        return 0;
}

static int read_bool(spec_ctx *c, const spec_field *f, json_t *v, void *base)
{
        int r = expect(c, v, json_is_boolean(v), "a boolean");
        if (r < 0)
                return r;
        *(bool *)spec_at(base, f->offset) = json_is_true(v);
        return 0;
}

static void int_range(const spec_field *f, int64_t *ret_min, uint64_t *ret_max)
{
        unsigned bits = (unsigned)f->size * 8;
        if (f->flags & SPEC_RANGED) {
                *ret_min = f->min;
                *ret_max = f->max;
        } else if (f->is_signed) {
                *ret_min = bits == 64 ? INT64_MIN : -(int64_t)(UINT64_C(1) << (bits - 1));
                *ret_max = (UINT64_C(1) << (bits - 1)) - 1;
        } else {
                *ret_min = 0;
                *ret_max = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
        }
}

static void store_int(void *dst, size_t size, uint64_t bits)
{
        uint8_t u8 = (uint8_t)bits;
        uint16_t u16 = (uint16_t)bits;
        uint32_t u32 = (uint32_t)bits;
        const void *src = size == 1   ? (const void *)&u8
                          : size == 2 ? (const void *)&u16
                          : size == 4 ? (const void *)&u32
                                      : (const void *)&bits;
        memcpy(dst, src, size);
}

static int read_int(spec_ctx *c, const spec_field *f, json_t *v, void *base)
{
        int r = expect(c, v, json_is_integer(v), "an integer");
        if (r < 0)
                return r;
        int64_t i = json_integer_value(v);
        uint64_t u = (uint64_t)i;
        bool negative = i < 0;
        for (size_t k = 0; k < c->n_wide; k++)
                if (c->wide[k].sentinel == i) {
                        u = c->wide[k].value;
                        negative = false;
                }

        int64_t min;
        uint64_t max;
        int_range(f, &min, &max);
        bool ok = negative ? i >= min : u <= max && (min <= 0 || u >= (uint64_t)min);
        if (!ok) {
                if (negative)
                        return spec_error(
                                c, "%" PRId64 " is out of range (%" PRId64 " to %" PRIu64 ")", i,
                                min, max);
                return spec_error(c, "%" PRIu64 " is out of range (%" PRId64 " to %" PRIu64 ")", u,
                                  min, max);
        }
        store_int(spec_at(base, f->offset), f->size, u);
        return 0;
}

/* Append ", name" (or "name" first) to buf, truncating at its end. */
static void append_name(char *buf, size_t size, size_t *len, const char *name)
{
        int w = snprintf(buf + *len, size - *len, "%s%s", *len ? ", " : "", name);
        if (w >= 0)
                *len = *len + (size_t)w < size ? *len + (size_t)w : size - 1;
}

static void names_hint(spec_ctx *c, const spec_enum *e)
{
        char buf[1024] = "";
        size_t len = 0;
        for (const spec_name *n = e->names; n && n->name; n++)
                append_name(buf, sizeof(buf), &len, n->name);
        if (e->hint)
                rq_error_hint(c->reterr, "%s", e->hint);
        else if (buf[0])
                rq_error_hint(c->reterr, "valid values: %s", buf);
        else
                rq_error_hint(c->reterr, "no %s is defined by the runtime-spec yet", e->what);
}

const char *spec_name_of(const spec_enum *e, int64_t value)
{
        for (const spec_name *n = e->names; n && n->name; n++)
                if (n->value == value)
                        return n->name;
        return "?";
}

/* Look a name up in an enum; on failure the error names the current path. */
static int lookup_name(spec_ctx *c, const spec_enum *e, json_t *v, int64_t *ret)
{
        int r = expect(c, v, json_is_string(v), "a string");
        if (r < 0)
                return r;
        const char *s = json_string_value(v);
        if (e->lookup) {
                if (e->lookup(s, ret) >= 0)
                        return 0;
        } else
                for (const spec_name *n = e->names; n->name; n++)
                        if (streq(n->name, s)) {
                                *ret = n->value;
                                return 0;
                        }
        r = spec_error(c, "unknown %s \"%s\"", e->what, s);
        names_hint(c, e);
        return r;
}

static int read_enum(spec_ctx *c, const spec_field *f, json_t *v, void *base)
{
        int64_t value;
        int r = lookup_name(c, f->names, v, &value);
        if (r < 0)
                return r;
        *(int *)spec_at(base, f->offset) = (int)value;
        return 0;
}

static int read_flags(spec_ctx *c, const spec_field *f, json_t *v, void *base)
{
        int r = expect(c, v, json_is_array(v), "an array");
        if (r < 0)
                return r;
        uint64_t mask = 0;
        for (size_t i = 0; i < json_array_size(v); i++) {
                int64_t value;
                size_t saved = path_push_index(c, i);
                r = lookup_name(c, f->names, json_array_get(v, i), &value);
                path_pop(c, saved);
                if (r < 0)
                        return r;
                if (!(f->flags & SPEC_BITNO))
                        mask |= (uint64_t)value;
                else if (value >= 0 && value < 64)
                        mask |= UINT64_C(1) << value;
        }
        *(uint64_t *)spec_at(base, f->offset) = mask;
        return 0;
}

static int read_object(spec_ctx *c, const spec_field *f, json_t *v, void *base)
{
        void *obj = spec_alloc(c, f->object->size);
        if (!obj)
                return spec_oom(c);
        *(void **)spec_at(base, f->offset) = obj;
        return spec_read_object(c, f->object, v, obj);
}

static int read_inline(spec_ctx *c, const spec_field *f, json_t *v, void *base)
{
        return spec_read_object(c, f->object, v, spec_at(base, f->offset));
}

/* The SPEC_UNIQUE enum fields of array elements: the same value twice is an error. */
static int check_unique(spec_ctx *c, const spec_field *f, const char *elems, size_t n)
{
        const spec_object *o = f->elem->kind == SPEC_INLINE ? f->elem->object : NULL;
        for (size_t k = 0; o && k < o->n_fields; k++) {
                const spec_field *u = &o->fields[k];
                if (!(u->flags & SPEC_UNIQUE))
                        continue;
                for (size_t i = 0; i < n; i++)
                        for (size_t j = 0; j < i; j++) {
                                int a = *(const int *)(elems + i * f->size + u->offset);
                                int b = *(const int *)(elems + j * f->size + u->offset);
                                if (a == b)
                                        return spec_error_elem(
                                                c, NULL, i, u->name,
                                                "%s \"%s\" is already listed at [%zu]",
                                                u->names->what, spec_name_of(u->names, a), j);
                        }
        }
        return 0;
}

/* ARRAY and MAP: one allocation with room for a NULL after the last element. */
static int read_list(spec_ctx *c, const spec_field *f, json_t *v, void *base)
{
        bool map = f->kind == SPEC_MAP;
        int r = expect(c, v, map ? json_is_object(v) : json_is_array(v),
                       map ? "an object" : "an array");
        if (r < 0)
                return r;
        size_t n = map ? json_object_size(v) : json_array_size(v);
        if ((f->flags & SPEC_NONEMPTY) && n == 0)
                return spec_error(c, "must have at least one entry");
        char *elems = spec_alloc(c, (n + 1) * f->size);
        if (!elems)
                return spec_oom(c);
        *(void **)spec_at(base, f->offset) = elems;
        *(size_t *)spec_at(base, f->aux) = n;

        if (!map) {
                for (size_t i = 0; i < n; i++) {
                        size_t saved = path_push_index(c, i);
                        r = read_value(c, f->elem, json_array_get(v, i), elems + i * f->size);
                        path_pop(c, saved);
                        if (r < 0)
                                return r;
                }
                return check_unique(c, f, elems, n);
        }
        char *elem = elems;
        for (void *it = json_object_iter(v); it; it = json_object_iter_next(v, it)) {
                const char *key = json_object_iter_key(it);
                *(char **)elem = rq_spec_strdup(c->spec, key);
                if (!*(char **)elem)
                        return spec_oom(c);
                size_t saved = path_push(c, key);
                r = read_value(c, f->elem, json_object_iter_value(it), elem);
                elem += f->size;
                path_pop(c, saved);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int read_custom(spec_ctx *c, const spec_field *f, json_t *v, void *base)
{
        return f->fn(c, v, spec_at(base, f->offset));
}

static const kind_reader readers[_SPEC_KIND_MAX] = {
        [SPEC_STRING] = read_string, [SPEC_BOOL] = read_bool,   [SPEC_INT] = read_int,
        [SPEC_ENUM] = read_enum,     [SPEC_FLAGS] = read_flags, [SPEC_OBJECT] = read_object,
        [SPEC_INLINE] = read_inline, [SPEC_ARRAY] = read_list,  [SPEC_MAP] = read_list,
        [SPEC_CUSTOM] = read_custom,
};

static int read_value(spec_ctx *c, const spec_field *f, json_t *v, void *base)
{
        int r = readers[f->kind](c, f, v, base);
        if (r < 0)
                return r;
        bool has_count = f->kind == SPEC_ARRAY || f->kind == SPEC_MAP;
        if (f->aux != SPEC_NO_AUX && !has_count)
                *(bool *)spec_at(base, f->aux) = true;
        return f->post ? f->post(c, f, base) : 0;
}

static int required_error(spec_ctx *c, size_t parent_len)
{
        if (parent_len == 0 || c->path[parent_len - 1] == ']')
                return spec_error(c, "required");
        return spec_error(c, "required when %.*s is present", (int)parent_len, c->path);
}

/* "needs at least one of weight, leafWeight": none of the SPEC_ANY_OF fields was there. */
static int any_of_error(spec_ctx *c, const spec_object *o)
{
        char names[256] = "";
        size_t len = 0;
        for (size_t i = 0; i < o->n_fields; i++)
                if (o->fields[i].flags & SPEC_ANY_OF)
                        append_name(names, sizeof(names), &len, o->fields[i].name);
        return spec_error(c, "needs at least one of %s", names);
}

int spec_read_object(spec_ctx *c, const spec_object *o, json_t *obj, void *dst)
{
        int r = expect(c, obj, json_is_object(obj), "an object");
        if (r < 0)
                return r;
        bool any_of = false, any_present = false;
        for (size_t i = 0; i < o->n_fields; i++) {
                const spec_field *f = &o->fields[i];
                json_t *v = json_object_get(obj, f->name);
                bool present = v && !json_is_null(v);
                any_of = any_of || (f->flags & SPEC_ANY_OF);
                any_present = any_present || (present && (f->flags & SPEC_ANY_OF));
                size_t saved = path_push(c, f->name);
                if (!present)
                        r = (f->flags & SPEC_REQUIRED) ? required_error(c, saved) : 0;
                else
                        r = read_value(c, f, v, dst);
                path_pop(c, saved);
                if (r < 0)
                        return r;
        }
        if (any_of && !any_present)
                return any_of_error(c, o);
        return o->check ? o->check(c, obj, dst) : 0;
}

const spec_field spec_string_elem = E_OF(SPEC_STRING, 0, 0);
const spec_field spec_abspath_elem = E_OF(SPEC_STRING, SPEC_ABSOLUTE, 0);
const spec_field spec_kv_elem = E_OF(SPEC_STRING, 0, offsetof(rq_spec_kv, value));

/* ---- uint64 literals above INT64_MAX ------------------------------------------------------ */

typedef struct wide_scan {
        size_t *pos; /* offsets of the literals to rewrite */
        uint64_t *value;
        size_t n;
        uint64_t *taken; /* magnitudes of negative literals in the text: not usable as sentinels */
        size_t n_taken;
} wide_scan;

static void wide_scan_done(wide_scan *s)
{
        free(s->pos);
        free(s->value);
        free(s->taken);
}

static int push_u64(uint64_t **v, size_t n, uint64_t x)
{
        uint64_t *nv = realloc(*v, (n + 1) * sizeof(**v));
        if (!nv)
                return -ENOMEM;
        nv[n] = x;
        *v = nv;
        return 0;
}

static bool is_number_char(char ch)
{
        return (ch >= '0' && ch <= '9') || ch == '-' || ch == '+' || ch == '.' || ch == 'e' ||
               ch == 'E';
}

/* Looks at one number token: a plain integer of 19 or 20 digits above INT64_MAX is to be
 * rewritten; a negative one of 18 or 19 digits could collide with a sentinel. */
static int wide_scan_token(wide_scan *s, const char *tok, size_t n, size_t pos)
{
        bool negative = tok[0] == '-';
        const char *digits = tok + negative;
        size_t nd = n - negative;
        if (nd < 18 || nd > 20 || digits[0] == '0' || strspn(digits, "0123456789") < nd)
                return 0;
        char buf[32];
        memcpy(buf, digits, nd);
        buf[nd] = 0;
        errno = 0;
        uint64_t u = strtoull(buf, NULL, 10);
        if (errno == ERANGE)
                return 0;
        if (negative) {
                int r = push_u64(&s->taken, s->n_taken, u);
                s->n_taken += r >= 0;
                return r;
        }
        if (u <= INT64_MAX)
                return 0;
        int r = push_u64(&s->value, s->n, u);
        if (r < 0)
                return r;
        size_t *np = realloc(s->pos, (s->n + 1) * sizeof(*np));
        if (!np)
                return -ENOMEM;
        np[s->n++] = pos;
        s->pos = np;
        return 0;
}

static int wide_scan_text(wide_scan *s, const char *json, size_t len)
{
        for (size_t i = 0; i < len;) {
                if (json[i] == '"') {
                        for (i++; i < len && json[i] != '"'; i++)
                                if (json[i] == '\\')
                                        i++;
                        i++;
                } else if (json[i] == '-' || (json[i] >= '0' && json[i] <= '9')) {
                        size_t start = i;
                        while (i < len && is_number_char(json[i]))
                                i++;
                        int r = wide_scan_token(s, json + start, i - start, start);
                        if (r < 0)
                                return r;
                } else
                        i++;
        }
        return 0;
}

static bool taken(const wide_scan *s, uint64_t magnitude)
{
        for (size_t i = 0; i < s->n_taken; i++)
                if (s->taken[i] == magnitude)
                        return true;
        return false;
}

int spec_wide_prepare(const char *json, size_t len, char **ret_text, spec_wide **ret_wide,
                      size_t *ret_n)
{
        _cleanup_(wide_scan_done) wide_scan s = { 0 };
        *ret_text = NULL;
        *ret_wide = NULL;
        *ret_n = 0;
        int r = wide_scan_text(&s, json, len);
        if (r < 0 || s.n == 0)
                return r;

        _cleanup_free_ char *text = malloc(len + 1);
        _cleanup_free_ spec_wide *wide = calloc(s.n, sizeof(*wide));
        if (!text || !wide)
                return -ENOMEM;
        memcpy(text, json, len);
        text[len] = 0;
        uint64_t next[2] = { 0, 0 };
        for (size_t k = 0; k < s.n; k++) {
                /* "-" and one digit fewer: the sentinel has the length of the literal, so
                 * jansson's line and column of any later error stay right. */
                bool long_form = s.value[k] >= UINT64_C(10000000000000000000);
                uint64_t base =
                        long_form ? UINT64_C(1000000000000000000) : UINT64_C(100000000000000000);
                uint64_t magnitude;
                do
                        magnitude = base + next[long_form]++;
                while (taken(&s, magnitude));
                char buf[32];
                int w = snprintf(buf, sizeof(buf), "-%" PRIu64, magnitude);
                memcpy(text + s.pos[k], buf, (size_t)w);
                wide[k] = (spec_wide){ .sentinel = -(int64_t)magnitude, .value = s.value[k] };
        }
        *ret_text = TAKE_PTR(text);
        *ret_wide = TAKE_PTR(wide);
        *ret_n = s.n;
        return 0;
}

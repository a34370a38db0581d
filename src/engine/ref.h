/* Image references ("busybox", "user/app:1", "localhost:5000/a/b@sha256:…") parsed and normalised
 * the way Docker does it (distribution/reference's ParseNormalizedNamed): the same inputs are
 * accepted and rejected, and the same domain, path, tag and digest come out. Docker Hub names
 * get the domain "docker.io" and, for one-component paths, the "library/" namespace;
 * "index.docker.io" is written "docker.io". Deliberate differences: a digest must be sha256
 * (the store knows no other algorithm; Docker also takes sha384/sha512), and when neither tag
 * nor digest is given the tag "latest" is filled in (Docker's TagNameOnly).
 *
 * Errors are -EINVAL with a message naming the reference and the reason:
 * `invalid reference "Busybox": repository name must be lowercase`. */
#pragma once

#include <stdbool.h>

#include "lib/error.h"

/* A repository name longer than this (the path, without the domain) is refused, as by Docker. */
#define RQ_REF_PATH_MAX 255
#define RQ_REF_TAG_MAX 128

typedef struct rq_ref {
        /* "docker.io", "localhost:5000", "quay.io", "[::1]:5000"; never NULL. "" only in one
         * corner Docker keeps: a first component that looks like a host ("a_b.com/x") but is
         * no valid host name yet is a valid path component; the whole name is then the path. */
        char *domain;
        char *path; /* "library/busybox", "user/app" */
        char *tag; /* "latest", "1"; NULL when a digest and no tag was given */
        char *digest; /* "sha256:<64 hex>" or NULL */
} rq_ref;

/* Parse and normalise s into *ret (which the caller releases with rq_ref_done). On failure *ret
 * is left zeroed and -EINVAL is returned with the reason in *reterr. */
int rq_ref_parse(const char *s, rq_ref *ret, rq_error **reterr);
void rq_ref_done(rq_ref *r);

/* The functions below return malloc'd strings, NULL on allocation failure. */

/* The fully qualified repository: "docker.io/library/busybox". */
char *rq_ref_name(const rq_ref *r);
/* The fully qualified reference: name[:tag][@digest], "docker.io/library/busybox:latest". */
char *rq_ref_string(const rq_ref *r);
/* Docker's short form, as `docker images` shows it: "docker.io/" and a "library/" before a
 * one-component path are dropped: "busybox:latest", "user/app:1", "localhost/x:latest". */
char *rq_ref_familiar(const rq_ref *r);

/* true when s is 12 to 64 lowercase hex digits: what a user types for an image id or id
 * prefix. Such a string is also a valid repository name; a caller decides the ambiguity the
 * way Docker does: look s up as a name first, then as an id prefix. 64 hex digits are never a
 * name (rq_ref_parse refuses them). */
bool rq_ref_looks_like_id(const char *s);

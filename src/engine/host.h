/* Facts about the host in the image spec's terms. */
#pragma once

/* The host's architecture as OCI image configs and indexes name it (GOARCH): "amd64",
 * "arm64", … */
const char *rq_host_oci_arch(void);

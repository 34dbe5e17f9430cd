/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Per-remote encapsulation (STT or GUE, docs/GUE.md) over a desired-state document: which a
 * remote gets, and the one check of what GUE cannot carry, which sttctl attach, remote, fdb
 * and apply all call (encap.c). Pure, like apply_doc.c: the callers make the document (the
 * maps read by apply_read.c, with their change made in it, or the document given).
 */
#ifndef STT_ENCAP_H
#define STT_ENCAP_H

#include <stddef.h>
#include "apply.h"

#define STT_COOKIE_HEX 16 /* a cookie is written as exactly 16 hex digits (64 bits) */

/* A cookie: exactly 16 hex digits (either case), into network order. 0, or -1. */
int cookie_parse(const char *s, __be32 out[2]);
/* "stt", "gue", or "default" (STT_ENCAP_DEFAULT, or a value this build does not know). */
const char *encap_name(__u8 encap);

/* The remote's own entry in d (d->remotes sorted, as ap_doc_sort leaves them), or NULL. */
const struct ap_remote *ap_remote_find(const struct ap_doc *d, const struct stt_addr6 *a);
/* How frames to a are encapsulated: its own entry's, else the attachment's default. */
__u8 ap_encap_of(const struct ap_doc *d, const struct stt_addr6 *a);

/* What GUE cannot carry, one problem at a time. */
enum {
	GUE_CONTEXT, /* a Context ID >= 2^32 to a GUE remote: the GRE key has 32 bits */
	GUE_IPV6,    /* GUE to an IPv6 remote: not supported yet */
	GUE_OFF,     /* GUE asked for while the endpoint's GUE port is 0 */
};

struct gue_bad {
	int kind;
	__u64 context;                  /* GUE_CONTEXT */
	const struct stt_addr6 *remote; /* NULL: the attachment's default (GUE_OFF) */
	char path[96];                  /* where in the document ($.fdb[3].context) */
	char msg[256];
};

typedef void (*gue_bad_fn)(void *arg, const struct gue_bad *b);

/*
 * Every fdb entry and flood target of d whose remote is sent GUE, and every GUE setting (a
 * remote's, the default), checked: a Context ID >= 2^32 is refused, never truncated (two
 * tenants on one key would break isolation silently, GUE.md section 4), as is GUE to an
 * IPv6 remote and GUE while it is off. fn (if not NULL) gets each problem; returns how many.
 */
size_t ap_gue_check(const struct ap_doc *d, gue_bad_fn fn, void *arg);

#endif

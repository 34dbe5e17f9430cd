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
/*
 * r's zero-checksum consent as remote list and apply --dry-run print it after the cookie:
 * " udp6-zero-csum yes|no" for an IPv6 remote, "" for an IPv4 one (it means nothing there).
 */
const char *udp6_words(const struct ap_remote *r);

/* The remote's own entry in d (d->remotes sorted, as ap_doc_sort leaves them), or NULL. */
const struct ap_remote *ap_remote_find(const struct ap_doc *d, const struct stt_addr6 *a);
/* How frames to a are encapsulated: its own entry's, else the attachment's default. */
__u8 ap_encap_of(const struct ap_doc *d, const struct stt_addr6 *a);

/*
 * What GUE cannot carry, one problem at a time. GUE over IPv6 carries a zero UDP checksum
 * (a BPF program cannot ask GSO to checksum each segment of a TSO burst), which RFC 6936
 * section 5 allows only where configured, narrowly: the remote's own entry says
 * udp6_zero_csum (STT_RCFG_UDP6_ZERO). Only an IPv6 remote set to GUE by its own entry may
 * say it, as only a remote set to GUE by its own entry may have a cookie: so every entry
 * sttctl makes is one the apply document can say (never "encap": "default" with it), and
 * no attachment change can leave it meaningless. docs/GUE.md section 5.
 */
enum {
	GUE_CONTEXT,  /* a Context ID >= 2^32 to a GUE remote: the GRE key has 32 bits */
	GUE_IPV6,     /* GUE to an IPv6 remote without its udp6_zero_csum */
	GUE_OFF,      /* GUE asked for while the endpoint's GUE port is 0 */
	UDP6_IPV4,    /* udp6_zero_csum for an IPv4 remote: it means nothing there */
	UDP6_NOT_GUE, /* udp6_zero_csum for a remote whose own encap is not GUE */
};

struct gue_bad {
	int kind;
	__u64 context;                  /* GUE_CONTEXT */
	const struct stt_addr6 *remote; /* NULL: the attachment's default (GUE_OFF) */
	char path[96];                  /* where in the document ($.fdb[3].context) */
	char msg[512];
};

typedef void (*gue_bad_fn)(void *arg, const struct gue_bad *b);

/*
 * Every fdb entry and flood target of d whose remote is sent GUE, and every GUE setting (a
 * remote's, the default), checked: a Context ID >= 2^32 is refused, never truncated (two
 * tenants on one key would break isolation silently, GUE.md section 4), as is GUE to an
 * IPv6 remote without its udp6_zero_csum, udp6_zero_csum where it does not belong (above),
 * and GUE while it is off. fn (if not NULL) gets each problem; returns how many.
 */
size_t ap_gue_check(const struct ap_doc *d, gue_bad_fn fn, void *arg);

#endif

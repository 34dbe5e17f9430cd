/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The desired-state document of `sttctl apply` and `sttctl show --json` (docs/API.md).
 *
 * apply_doc.c parses and validates a document WITHOUT touching the system (no interface
 * lookups, no maps), so that the fuzz target (tests/fuzz/fuzz_apply.c) can run it; the
 * checks against the system and the changes themselves are in the apply engine
 * (apply_engine.h).
 */
#ifndef STTCTL_APPLY_H
#define STTCTL_APPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <net/if.h>
#include <json-c/json.h>
#include "stt_maps.h"
#include "remote.h"

#define APPLY_VERSION 1

enum { AP_XDP_AUTO = -1, AP_XDP_OFF = 0, AP_XDP_ON = 1 };

struct ap_attach {
	char device[IF_NAMESIZE];
	__be32 local4;
	bool have_local; /* "local" (IPv4) */
	struct stt_addr6 local6;
	bool have_local6; /* "local6"; neither: the device's addresses of both families */
	__u16 port;
	__u8 ttl;
	int xdp;        /* AP_XDP_* */
	__u8 dscp;      /* as in stt_cfg: STT_DSCP_INHERIT or STT_DSCP_FIXED(0..63) */
	bool strict;    /* peers "strict" */
	__u16 gue_port; /* GUE destination port; 0: GUE off */
	bool gue;       /* "encap": "gue": remotes without their own setting are sent GUE */
};

/* Limits of a vport's learning table, as `vport add --learn-cap/--learn-age` take them. */
#define AP_LEARN_CAP_MAX (1u << 20)
#define AP_LEARN_AGE_MAX (86400u * 7)
#define AP_VLAN_MAX      4094

struct ap_vport {
	char ifname[IF_NAMESIZE];
	__u64 context;
	bool xdp;
	bool strict;
	bool learn;       /* "learn": an object */
	__u32 learn_cap;  /* with learn: 1 .. AP_LEARN_CAP_MAX (installed: 0 if no table) */
	__u32 learn_age;  /* with learn: 1 .. AP_LEARN_AGE_MAX seconds */
	__u16 vid;        /* "vlan": 1 .. 4094, 0: a plain vport */
	__u32 ifindex;    /* filled by the system checks (0 in apply_doc.c) */
	__u32 flags;      /* installed STT_VPORT_* (0 in apply_doc.c) */
	unsigned int pos; /* index in the document's $.vports */
};

/* Remotes by address (remote.h): IPv4 as ::ffff:a.b.c.d, or IPv6. */
struct ap_fdb {
	__u64 context;
	__u8 mac[6];
	struct stt_addr6 remote;
	unsigned int pos; /* index in the document's $.fdb (0 when read from the maps) */
};

struct ap_flood {
	__u64 context;
	__u32 count;
	struct stt_addr6 remote[STT_MAX_FLOOD]; /* all of one family */
	unsigned int pos;                       /* index in $.flood */
};

struct ap_peer {
	__u64 context;
	struct stt_addr6 remote;
};

/*
 * A remote's own encapsulation (stt_remote_cfg). The cookie is a secret: show --json prints
 * only whether there is one ("cookie": true), and a document that says true keeps the
 * installed one (AP_COOKIE_KEEP, resolved against the maps before the difference).
 * udp6_zero_csum is STT_RCFG_UDP6_ZERO: the remote's consent to GUE over IPv6 with a zero
 * UDP checksum (encap.h says where it is allowed).
 */
enum { AP_COOKIE_NONE, AP_COOKIE_SET, AP_COOKIE_KEEP };

struct ap_remote {
	struct stt_addr6 address;
	__u8 encap;  /* STT_ENCAP_STT or _GUE (_DEFAULT or other: only as read from the map) */
	__u8 cookie; /* AP_COOKIE_* */
	__be32 cookie_val[2]; /* with AP_COOKIE_SET: network order, as in the map */
	bool udp6_zero_csum;  /* "udp6_zero_csum" (STT_RCFG_UDP6_ZERO) */
	unsigned int pos;     /* index in $.remotes */
};

struct ap_doc {
	bool have_attach;
	struct ap_attach att;
	struct ap_vport *vports;
	size_t nvports;
	struct ap_fdb *fdb;
	size_t nfdb;
	struct ap_flood *flood;
	size_t nflood;
	struct ap_peer *peers;
	size_t npeers;
	struct ap_remote *remotes; /* sorted by address */
	size_t nremotes;
};

/* Every error found: "PATH: reason", in document order. */
struct ap_errs {
	char **msg;
	size_t n, cap;
};

void ap_err(struct ap_errs *e, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ap_errs_free(struct ap_errs *e);

/*
 * Parse and validate a document (len bytes, need not be NUL-terminated). Returns 0 and fills
 * doc if it is valid; otherwise returns -1 with every error in errs, and doc holds the parts
 * that were valid (so that the system checks can report their errors too). Either way the
 * caller frees doc. Touches nothing outside memory.
 */
int ap_parse(const char *text, size_t len, struct ap_doc *doc, struct ap_errs *errs);
void ap_doc_free(struct ap_doc *doc);

/* Sort every list into the canonical order (the order show --json prints). */
void ap_doc_sort(struct ap_doc *doc);
int ap_fdb_cmp(const void *a, const void *b);
int ap_peer_cmp(const void *a, const void *b);
int ap_flood_cmp(const void *a, const void *b);
int ap_remote_cmp(const void *a, const void *b);

/* The document as JSON (the schema of docs/API.md, canonical order). */
struct json_object *ap_doc_to_json(const struct ap_doc *doc);

/* Whether two flood lists name the same remotes (order does not matter). */
bool ap_flood_same(const struct ap_flood *a, const struct ap_flood *b);

/*
 * apply_read.c (system side). The installed state of this network namespace as a document
 * (vports' ifindex and flags filled); cfg gets the raw configuration (zero if none).
 * Returns 0, or -1 if there is no pinned state (doc then empty).
 */
int ap_read_installed(struct ap_doc *doc, struct stt_cfg *cfg);
/* The installed stt_cfg6 (zero if none). */
int ap_read_cfg6(struct stt_cfg6 *cfg6);

#endif

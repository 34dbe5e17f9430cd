// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * sttctl apply FILE|-: make this network namespace's state what a document says
 * (docs/API.md). Steps: parse and validate the whole document (apply_doc.c, no system
 * access), check it against the system (interfaces exist), read what is installed, compute
 * the difference, then apply only that, in an order where a vport and its entries become
 * visible together: entries first and the binding last, and on removal the binding first.
 * Every map write is journaled; if a step fails, the journal is undone in reverse.
 *
 * The attachment itself goes through cmd_attach/cmd_detach (argv built here): loading and
 * attaching the programs is long and already careful about undoing itself. vports, fdb,
 * flood and peers entries are written here directly, so that every write can be journaled
 * and undone and a document with thousands of entries costs one process, not thousands.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "cli.h"
#include "apply.h"
#include "fdb.h"
#include "txn.h"
#include "vport.h"

/* ---- the installed state as a document ---- */

/* The size (max_entries) of the learning table installed for ctx; 0 if there is none. */
static __u32 learn_cap_of(int learn_fd, __u64 ctx)
{
	struct bpf_map_info info = {};
	__u32 id, len = sizeof(info);
	int fd;

	if (learn_fd < 0 || bpf_map_lookup_elem(learn_fd, &ctx, &id))
		return 0;
	fd = bpf_map_get_fd_by_id(id);
	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.max_entries = 0;
	close(fd);
	return info.max_entries;
}

/* Append one installed vport (a plain one: vid 0) to doc->vports. */
static int read_vport(struct stt_state *st, struct ap_doc *doc, size_t *cap, __u32 ifindex,
		      __u16 vid, const struct stt_vport *vp)
{
	char name[IF_NAMESIZE];
	struct ap_vport *v;

	if (doc->nvports == *cap) {
		void *p = realloc(doc->vports, (*cap *= 2) * sizeof(*doc->vports));

		if (!p)
			return -1;
		doc->vports = p;
	}
	v = &doc->vports[doc->nvports++];
	memset(v, 0, sizeof(*v));
	snprintf(v->ifname, sizeof(v->ifname), "%s", dev_name(ifindex, name));
	v->ifindex = ifindex;
	v->vid = vid;
	v->context = vp->context;
	v->flags = vp->flags;
	v->xdp = vp->flags & STT_VPORT_XDP;
	v->strict = vp->flags & STT_VPORT_PEERS_STRICT;
	if (vp->flags & STT_VPORT_LEARN) {
		v->learn = true;
		v->learn_age = vp->learn_age ? vp->learn_age : STT_LEARN_AGE_DEFAULT;
		v->learn_cap = learn_cap_of(st->learn_fd, vp->context);
	}
	return 0;
}

static int read_state(struct stt_state *st, struct ap_doc *doc, struct stt_cfg *cfg)
{
	int peers_fd = st->peers_fd;
	char name[IF_NAMESIZE];
	size_t cap;

	memset(doc, 0, sizeof(*doc));
	if (state_get_cfg(st, cfg) == 0 && cfg->ifindex) {
		struct ap_attach *a = &doc->att;

		doc->have_attach = true;
		snprintf(a->device, sizeof(a->device), "%s", dev_name(cfg->ifindex, name));
		struct stt_cfg6 c6;

		a->local4 = cfg->local4;
		a->have_local = cfg->local4 != 0;
		if (state_get_cfg6(st, &c6) == 0 && (c6.flags & STT_CFG6_LOCAL)) {
			a->local6 = c6.local6;
			a->have_local6 = true;
		}
		a->port = cfg->port;
		a->ttl = cfg->ttl;
		a->xdp = cfg->flags & STT_CFG_XDP ? AP_XDP_ON : AP_XDP_OFF;
		a->dscp = cfg->dscp;
		a->strict = cfg->opts & STT_OPT_PEERS_STRICT;
	}
	cap = 16;
	doc->vports = calloc(cap, sizeof(*doc->vports));
	{
		__u32 key, next, *prev = NULL;
		struct stt_vport vp;

		while (doc->vports && bpf_map_get_next_key(st->vports_fd, prev, &next) == 0) {
			key = next;
			prev = &key;
			if (bpf_map_lookup_elem(st->vports_fd, &key, &vp))
				continue;
			if (read_vport(st, doc, &cap, key, 0, &vp))
				return -1;
		}
	}
	if (st->vlan_fd >= 0) {
		struct stt_vlan_key key, next, *prev = NULL;
		struct stt_vport vp;

		while (doc->vports && bpf_map_get_next_key(st->vlan_fd, prev, &next) == 0) {
			key = next;
			prev = &key;
			if (bpf_map_lookup_elem(st->vlan_fd, &key, &vp))
				continue;
			if (read_vport(st, doc, &cap, key.ifindex, key.vid, &vp))
				return -1;
		}
	}
	{
		struct stt_fdb_key key, next, *prev = NULL;
		struct stt_fdb_val val;

		cap = 256;
		doc->fdb = malloc(cap * sizeof(*doc->fdb));
		while (doc->fdb && bpf_map_get_next_key(st->fdb_fd, prev, &next) == 0) {
			key = next;
			prev = &key;
			if (bpf_map_lookup_elem(st->fdb_fd, &key, &val))
				continue;
			if (doc->nfdb == cap) {
				void *p = realloc(doc->fdb, (cap *= 2) * sizeof(*doc->fdb));

				if (!p)
					return -1;
				doc->fdb = p;
			}
			doc->fdb[doc->nfdb].context = key.context;
			memcpy(doc->fdb[doc->nfdb].mac, key.mac, 6);
			/* An IPv6 index with no address reads as "ipv6#N" (apply removes it). */
			remote_addr(val.remote4, &doc->fdb[doc->nfdb++].remote);
		}
	}
	{
		__u64 key, next, *prev = NULL;
		struct stt_flood_val fv;

		cap = 16;
		doc->flood = malloc(cap * sizeof(*doc->flood));
		while (doc->flood && bpf_map_get_next_key(st->flood_fd, prev, &next) == 0) {
			struct ap_flood *f;

			key = next;
			prev = &key;
			if (bpf_map_lookup_elem(st->flood_fd, &key, &fv) || !fv.count)
				continue;
			if (doc->nflood == cap) {
				void *p = realloc(doc->flood, (cap *= 2) * sizeof(*doc->flood));

				if (!p)
					return -1;
				doc->flood = p;
			}
			f = &doc->flood[doc->nflood++];
			memset(f, 0, sizeof(*f));
			f->context = key;
			f->count = fv.count < STT_MAX_FLOOD ? fv.count : STT_MAX_FLOOD;
			for (__u32 i = 0; i < f->count; i++)
				remote_addr(fv.remote4[i], &f->remote[i]);
		}
	}
	if (peers_fd >= 0) {
		struct stt_peer_key key, next, *prev = NULL;

		cap = 16;
		doc->peers = malloc(cap * sizeof(*doc->peers));
		while (doc->peers && bpf_map_get_next_key(peers_fd, prev, &next) == 0) {
			key = next;
			prev = &key;
			if (doc->npeers == cap) {
				void *p = realloc(doc->peers, (cap *= 2) * sizeof(*doc->peers));

				if (!p)
					return -1;
				doc->peers = p;
			}
			doc->peers[doc->npeers].context = key.context;
			remote_addr(key.remote4, &doc->peers[doc->npeers++].remote);
		}
	}
	if (!doc->vports || !doc->fdb || !doc->flood || (peers_fd >= 0 && !doc->peers))
		return -1;
	ap_doc_sort(doc);
	return 0;
}

int ap_read_cfg6(struct stt_cfg6 *cfg6)
{
	struct stt_state st;
	int rc;

	memset(cfg6, 0, sizeof(*cfg6));
	if (state_open(&st, false))
		return -1;
	rc = state_get_cfg6(&st, cfg6);
	state_close(&st);
	return rc;
}

int ap_read_installed(struct ap_doc *doc, struct stt_cfg *cfg)
{
	struct stt_state st;
	int rc;

	memset(doc, 0, sizeof(*doc));
	memset(cfg, 0, sizeof(*cfg));
	if (state_open(&st, false))
		return -1;
	rc = read_state(&st, doc, cfg);
	state_close(&st);
	return rc;
}

/* ---- changes ---- */

enum op_kind {
	OP_ATTACH,   /* attach (not attached before) */
	OP_REATTACH, /* same device, other local/port/ttl/xdp */
	OP_REPLACE,  /* another device: detach, attach */
	OP_CFG,	     /* dscp / peers mode only: written into stt_cfg */
	OP_DETACH,
	OP_VPORT_DEL,
	OP_VPORT_MOD,
	OP_VPORT_ADD,
	OP_FDB_DEL,
	OP_FDB_ADD,
	OP_FDB_MOD,
	OP_FLOOD_DEL,
	OP_FLOOD_SET,
	OP_PEER_DEL,
	OP_PEER_ADD,
};

struct op {
	int kind;
	int phase;
	size_t seq;
	struct ap_vport vp, old_vp;
	struct ap_fdb fdb;
	struct stt_addr6 old_remote;
	struct ap_flood fl, old_fl;
	bool have_old_fl;
	struct ap_peer peer;
};

struct ops {
	struct op *v;
	size_t n, cap;
};

static struct op *op_new(struct ops *o, int kind, int phase)
{
	struct op *p;

	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 64;
		void *m = realloc(o->v, cap * sizeof(*o->v));

		if (!m)
			return NULL;
		o->v = m;
		o->cap = cap;
	}
	p = &o->v[o->n];
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->phase = phase;
	p->seq = o->n++;
	return p;
}

static int op_cmp(const void *a, const void *b)
{
	const struct op *x = a, *y = b;

	if (x->phase != y->phase)
		return x->phase - y->phase;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * Phases: 0 attachment (creates the pins); 1 vports removed, vport changes that loosen,
 * peers mode loosened; 2 entries removed; 3 entries added or changed; 4 vport changes that
 * tighten, vports added, dscp and peers mode; 5 detach.
 */
enum { PH_ATTACH, PH_UNBIND, PH_REMOVE, PH_ADD, PH_BIND, PH_DETACH };

/* "local A", "local6 B", or both. */
static void local_words(const struct ap_attach *a, char *buf, size_t len)
{
	char l4[INET_ADDRSTRLEN] = "", l6[INET6_ADDRSTRLEN] = "";

	if (a->have_local)
		fmt_ipv4(a->local4, l4, sizeof(l4));
	if (a->have_local6)
		raddr_fmt(&a->local6, l6, sizeof(l6));
	if (!a->have_local6)
		snprintf(buf, len, "local %s", a->have_local ? l4 : "none");
	else if (!a->have_local)
		snprintf(buf, len, "local6 %s", l6);
	else
		snprintf(buf, len, "local %s local6 %s", l4, l6);
}

static bool locals_differ(const struct ap_attach *w, const struct ap_attach *h)
{
	return w->have_local != h->have_local || w->have_local6 != h->have_local6 ||
	       (w->have_local && w->local4 != h->local4) ||
	       (w->have_local6 && !raddr_eq(&w->local6, &h->local6));
}

static const char *xdp_word(int x)
{
	return x == AP_XDP_ON ? "on" : x == AP_XDP_OFF ? "off" : "auto";
}

static void dscp_word(__u8 d, char *buf, size_t len)
{
	if (d == STT_DSCP_INHERIT)
		snprintf(buf, len, "inherit");
	else
		snprintf(buf, len, "%u", STT_DSCP_VALUE(d));
}

static void flood_words(const struct ap_flood *f, char *buf, size_t len)
{
	size_t o = 0;

	o += snprintf(buf + o, len - o, "[");
	for (__u32 i = 0; i < f->count && o < len; i++) {
		char a[REMOTE_STRLEN];

		raddr_fmt(&f->remote[i], a, sizeof(a));
		o += snprintf(buf + o, len - o, "%s%s", i ? ", " : "", a);
	}
	if (o < len)
		snprintf(buf + o, len - o, "]");
}

/* " vlan VID" for a VLAN vport, "" for a plain one. */
static void vlan_words(const struct ap_vport *v, char *buf, size_t len)
{
	if (v->vid)
		snprintf(buf, len, " vlan %u", v->vid);
	else
		buf[0] = 0;
}

/* A vport's learning settings as the diff prints them: "off" or "cap N age SECONDS". */
static void learn_words(const struct ap_vport *v, char *buf, size_t len)
{
	if (!v->learn)
		snprintf(buf, len, "off");
	else if (!v->learn_cap)
		snprintf(buf, len, "(no table) age %u", v->learn_age);
	else
		snprintf(buf, len, "cap %u age %u", v->learn_cap, v->learn_age);
}

/* Whether two vports are the same binding: one interface, same VLAN (0: the plain one). */
static bool same_port(const struct ap_vport *a, const struct ap_vport *b)
{
	return a->ifindex == b->ifindex && a->vid == b->vid;
}

/* Whether the learning settings differ (the age only counts while learning is on). */
static bool learn_differs(const struct ap_vport *n, const struct ap_vport *o)
{
	if (n->learn != o->learn)
		return true;
	return n->learn && (n->learn_cap != o->learn_cap || n->learn_age != o->learn_age);
}

static void op_describe(const struct op *p, const struct ap_doc *want, const struct ap_doc *have,
			char *buf, size_t len)
{
	char m[24], a[REMOTE_STRLEN + 32], b[REMOTE_STRLEN + 32], d1[16], d2[16];
	char l1[320], l2[320];
	const struct ap_attach *w = &want->att, *h = &have->att;

	switch (p->kind) {
	case OP_ATTACH:
	case OP_REPLACE:
		local_words(w, a, sizeof(a));
		dscp_word(w->dscp, d1, sizeof(d1));
		if (p->kind == OP_REPLACE)
			snprintf(l1, sizeof(l1), "- attachment %s\n", h->device);
		else
			l1[0] = 0;
		snprintf(buf, len,
			 "%s+ attachment %s %s port %u ttl %u xdp %s dscp %s peers %s", l1,
			 w->device, a, w->port, w->ttl, xdp_word(w->xdp), d1,
			 w->strict ? "strict" : "open");
		break;
	case OP_REATTACH:
	case OP_CFG: {
		size_t o = 0;

		o += snprintf(buf + o, len - o, "~ attachment %s:", w->device);
		if (locals_differ(w, h)) {
			local_words(h, a, sizeof(a));
			local_words(w, b, sizeof(b));
			o += snprintf(buf + o, len - o, " %s -> %s", a, b);
		}
		if (w->port != h->port)
			o += snprintf(buf + o, len - o, " port %u -> %u", h->port, w->port);
		if (w->ttl != h->ttl)
			o += snprintf(buf + o, len - o, " ttl %u -> %u", h->ttl, w->ttl);
		if (w->xdp != h->xdp)
			o += snprintf(buf + o, len - o, " xdp %s -> %s", xdp_word(h->xdp),
				      xdp_word(w->xdp));
		if (w->dscp != h->dscp) {
			dscp_word(h->dscp, d1, sizeof(d1));
			dscp_word(w->dscp, d2, sizeof(d2));
			o += snprintf(buf + o, len - o, " dscp %s -> %s", d1, d2);
		}
		if (w->strict != h->strict && o < len)
			snprintf(buf + o, len - o, " peers %s -> %s", h->strict ? "strict" : "open",
				 w->strict ? "strict" : "open");
		break;
	}
	case OP_DETACH:
		snprintf(buf, len, "- attachment %s", h->device);
		break;
	case OP_VPORT_ADD:
		vlan_words(&p->vp, d1, sizeof(d1));
		learn_words(&p->vp, l1, sizeof(l1));
		snprintf(buf, len, "+ vport %s%s context %llu xdp %s peers %s%s%s", p->vp.ifname,
			 d1, (unsigned long long)p->vp.context, p->vp.xdp ? "on" : "off",
			 p->vp.strict ? "strict" : "open", p->vp.learn ? " learn " : "",
			 p->vp.learn ? l1 : "");
		break;
	case OP_VPORT_DEL:
		vlan_words(&p->old_vp, d1, sizeof(d1));
		snprintf(buf, len, "- vport %s%s context %llu", p->old_vp.ifname, d1,
			 (unsigned long long)p->old_vp.context);
		break;
	case OP_VPORT_MOD: {
		char l3[64], l4[64], l5[160];

		snprintf(l1, sizeof(l1), " xdp %s -> %s", p->old_vp.xdp ? "on" : "off",
			 p->vp.xdp ? "on" : "off");
		snprintf(l2, sizeof(l2), " peers %s -> %s", p->old_vp.strict ? "strict" : "open",
			 p->vp.strict ? "strict" : "open");
		learn_words(&p->old_vp, l3, sizeof(l3));
		learn_words(&p->vp, l4, sizeof(l4));
		snprintf(l5, sizeof(l5), " learn %s -> %s", l3, l4);
		vlan_words(&p->vp, d1, sizeof(d1));
		snprintf(buf, len, "~ vport %s%s context %llu:%s%s%s", p->vp.ifname, d1,
			 (unsigned long long)p->vp.context, p->vp.xdp != p->old_vp.xdp ? l1 : "",
			 p->vp.strict != p->old_vp.strict ? l2 : "", strcmp(l3, l4) ? l5 : "");
		break;
	}
	case OP_FDB_ADD:
	case OP_FDB_DEL:
	case OP_FDB_MOD:
		fmt_mac(p->fdb.mac, m, sizeof(m));
		raddr_fmt(&p->fdb.remote, a, sizeof(a));
		raddr_fmt(&p->old_remote, b, sizeof(b));
		if (p->kind == OP_FDB_MOD)
			snprintf(buf, len, "~ fdb context %llu %s: %s -> %s",
				 (unsigned long long)p->fdb.context, m, b, a);
		else
			snprintf(buf, len, "%c fdb context %llu %s -> %s",
				 p->kind == OP_FDB_ADD ? '+' : '-',
				 (unsigned long long)p->fdb.context, m,
				 p->kind == OP_FDB_ADD ? a : b);
		break;
	case OP_FLOOD_SET:
		flood_words(&p->fl, l1, sizeof(l1));
		if (p->have_old_fl) {
			flood_words(&p->old_fl, l2, sizeof(l2));
			snprintf(buf, len, "~ flood context %llu: %s -> %s",
				 (unsigned long long)p->fl.context, l2, l1);
		} else {
			snprintf(buf, len, "+ flood context %llu %s",
				 (unsigned long long)p->fl.context, l1);
		}
		break;
	case OP_FLOOD_DEL:
		flood_words(&p->old_fl, l2, sizeof(l2));
		snprintf(buf, len, "- flood context %llu %s", (unsigned long long)p->old_fl.context,
			 l2);
		break;
	case OP_PEER_ADD:
	case OP_PEER_DEL:
		raddr_fmt(&p->peer.remote, a, sizeof(a));
		snprintf(buf, len, "%c peer context %llu %s", p->kind == OP_PEER_ADD ? '+' : '-',
			 (unsigned long long)p->peer.context, a);
		break;
	}
}

/* Compute the changes from have to want. have_vp_gone: installed maps will be re-created. */
static int diff(const struct ap_doc *want, const struct ap_doc *have, struct ops *ops)
{
	const struct ap_attach *w = &want->att, *h = &have->att;
	struct op *p;
	size_t i, j;

#define NEW(k, ph)                                                                                 \
	do {                                                                                       \
		if (!(p = op_new(ops, k, ph)))                                                     \
			return -1;                                                                 \
	} while (0)

	/* Attachment. */
	if (want->have_attach && !have->have_attach) {
		NEW(OP_ATTACH, PH_ATTACH);
	} else if (want->have_attach && strcmp(w->device, h->device)) {
		NEW(OP_REPLACE, PH_ATTACH);
	} else if (want->have_attach) {
		if (locals_differ(w, h) || w->port != h->port || w->ttl != h->ttl ||
		    w->xdp != h->xdp)
			NEW(OP_REATTACH, PH_ATTACH);
		else if (w->dscp != h->dscp || w->strict != h->strict)
			NEW(OP_CFG, h->strict && !w->strict ? PH_UNBIND : PH_BIND);
	} else if (have->have_attach) {
		NEW(OP_DETACH, PH_DETACH);
	}

	/*
	 * vports, by (ifindex, VLAN): both lists hold the ifindex. Another context or VLAN is
	 * another binding (removed and added); xdp, peers and learning change in place.
	 */
	for (i = 0; i < have->nvports; i++) {
		const struct ap_vport *o = &have->vports[i], *n = NULL;

		for (j = 0; j < want->nvports && !n; j++)
			if (same_port(&want->vports[j], o))
				n = &want->vports[j];
		if (!n || n->context != o->context) {
			NEW(OP_VPORT_DEL, PH_UNBIND);
			p->old_vp = *o;
		} else if (n->xdp != o->xdp || n->strict != o->strict || learn_differs(n, o)) {
			/* Loosening (strict -> open) before peers go, tightening after they come.
			 */
			NEW(OP_VPORT_MOD, o->strict && !n->strict ? PH_UNBIND : PH_BIND);
			p->vp = *n;
			p->old_vp = *o;
		}
	}
	for (j = 0; j < want->nvports; j++) {
		const struct ap_vport *n = &want->vports[j], *o = NULL;

		for (i = 0; i < have->nvports && !o; i++)
			if (same_port(&have->vports[i], n))
				o = &have->vports[i];
		if (!o || o->context != n->context) {
			NEW(OP_VPORT_ADD, PH_BIND);
			p->vp = *n;
		}
	}

	/* fdb: both sorted by (context, MAC). */
	for (i = j = 0; i < have->nfdb || j < want->nfdb;) {
		int c = i == have->nfdb	  ? 1
			: j == want->nfdb ? -1
					  : ap_fdb_cmp(&have->fdb[i], &want->fdb[j]);

		if (c < 0) {
			NEW(OP_FDB_DEL, PH_REMOVE);
			p->fdb = have->fdb[i];
			p->old_remote = have->fdb[i++].remote;
		} else if (c > 0) {
			NEW(OP_FDB_ADD, PH_ADD);
			p->fdb = want->fdb[j++];
		} else {
			if (!raddr_eq(&have->fdb[i].remote, &want->fdb[j].remote)) {
				NEW(OP_FDB_MOD, PH_ADD);
				p->fdb = want->fdb[j];
				p->old_remote = have->fdb[i].remote;
			}
			i++, j++;
		}
	}

	/* flood lists: sorted by context; a list is the same whatever its order. */
	for (i = j = 0; i < have->nflood || j < want->nflood;) {
		int c = i == have->nflood   ? 1
			: j == want->nflood ? -1
					    : ap_flood_cmp(&have->flood[i], &want->flood[j]);

		if (c < 0) {
			NEW(OP_FLOOD_DEL, PH_REMOVE);
			p->old_fl = have->flood[i++];
		} else if (c > 0) {
			NEW(OP_FLOOD_SET, PH_ADD);
			p->fl = want->flood[j++];
		} else {
			if (!ap_flood_same(&have->flood[i], &want->flood[j])) {
				NEW(OP_FLOOD_SET, PH_ADD);
				p->fl = want->flood[j];
				p->old_fl = have->flood[i];
				p->have_old_fl = true;
			}
			i++, j++;
		}
	}

	/* peers: sorted (context, remote) pairs. */
	for (i = j = 0; i < have->npeers || j < want->npeers;) {
		int c = i == have->npeers   ? 1
			: j == want->npeers ? -1
					    : ap_peer_cmp(&have->peers[i], &want->peers[j]);

		if (c < 0) {
			NEW(OP_PEER_DEL, PH_REMOVE);
			p->peer = have->peers[i++];
		} else if (c > 0) {
			NEW(OP_PEER_ADD, PH_ADD);
			p->peer = want->peers[j++];
		} else {
			i++, j++;
		}
	}
#undef NEW
	if (ops->n)
		qsort(ops->v, ops->n, sizeof(*ops->v), op_cmp);
	return 0;
}

/* ---- executing one change ---- */

struct apply_ctx {
	struct stt_state st;
	bool have_st;
	int peers_fd;
	struct stt_txn run;
	bool attached; /* the attachment step ran (it is undone apart from the journal) */
	const struct ap_doc *want, *have;
};

static int cfg_write(struct apply_ctx *a)
{
	struct stt_cfg cfg;
	__u32 zero = 0;

	if (state_get_cfg(&a->st, &cfg))
		return -1;
	cfg.dscp = a->want->att.dscp;
	cfg.opts =
	    (cfg.opts & ~STT_OPT_PEERS_STRICT) | (a->want->att.strict ? STT_OPT_PEERS_STRICT : 0);
	return txn_map(&a->run, a->st.cfg_fd, &zero, sizeof(zero), &cfg, sizeof(cfg), BPF_EXIST);
}

static int run_attach(const struct ap_attach *w)
{
	char local[INET_ADDRSTRLEN], local6[INET6_ADDRSTRLEN], port[8], ttl[8];
	char *argv[16] = {(char *)w->device};
	bool json = g_opts.json;
	int rc, n = 1;

	/* check_system filled in the device's addresses where the document gave none. */
	if (w->have_local) {
		fmt_ipv4(w->local4, local, sizeof(local));
		argv[n++] = "--local";
		argv[n++] = local;
	}
	if (w->have_local6) {
		raddr_fmt(&w->local6, local6, sizeof(local6));
		argv[n++] = "--local";
		argv[n++] = local6;
	}
	snprintf(port, sizeof(port), "%u", w->port);
	snprintf(ttl, sizeof(ttl), "%u", w->ttl);
	argv[n++] = "--port";
	argv[n++] = port;
	argv[n++] = "--ttl";
	argv[n++] = ttl;
	argv[n++] = "--xdp";
	argv[n++] = w->xdp == AP_XDP_ON ? "on" : "off";
	argv[n] = NULL;
	g_opts.json = false; /* its success output is not ours */
	rc = cmd_attach(n, argv);
	g_opts.json = json;
	return rc;
}

static int run_detach(const char *dev)
{
	char *argv[] = {(char *)dev, NULL};
	bool json = g_opts.json;
	int rc;

	g_opts.json = false;
	rc = cmd_detach(1, argv);
	g_opts.json = json;
	return rc;
}

static int open_state(struct apply_ctx *a)
{

	if (a->have_st)
		return 0;
	if (state_open(&a->st, true))
		return -1;
	a->have_st = true;
	a->peers_fd = a->st.peers_fd; /* state_close() closes it */
	a->run.prog_fd = open_pin(a->st.dir, "prog_tc_tx");
	return 0;
}

static void close_state(struct apply_ctx *a)
{
	if (!a->have_st)
		return;
	if (a->run.prog_fd >= 0)
		close(a->run.prog_fd);
	a->peers_fd = a->run.prog_fd = -1;
	state_close(&a->st);
	a->have_st = false;
}

static int exec_op(struct apply_ctx *a, const struct op *p)
{
	const struct ap_attach *w = &a->want->att;

	switch (p->kind) {
	case OP_ATTACH:
	case OP_REATTACH:
	case OP_REPLACE:
		if (txn_step(&a->run))
			return -1;
		close_state(a);
		if (p->kind == OP_REPLACE && run_detach(a->have->att.device))
			return -1;
		if (run_attach(w))
			return -1;
		a->attached = true;
		if (open_state(a))
			return -1;
		/* attach writes the whole stt_cfg: put dscp and the peers mode back in. */
		return cfg_write(a);
	case OP_CFG:
		return cfg_write(a);
	case OP_DETACH:
		return 0; /* done by the caller, after everything else */
	case OP_VPORT_ADD:
		return vport_bind(&a->st, &a->run, &p->vp);
	case OP_VPORT_DEL:
		return vport_unbind(&a->st, &a->run, &p->old_vp);
	case OP_VPORT_MOD:
		return vport_change(&a->st, &a->run, &p->vp, &p->old_vp);
	case OP_FDB_ADD:
	case OP_FDB_MOD:
	case OP_FDB_DEL: {
		__be32 r;

		if (p->kind == OP_FDB_DEL)
			return fdb_clear(&a->st, &a->run, p->fdb.context, p->fdb.mac);
		/* An IPv6 remote by its index (given one if new: not journaled, see remote.h). */
		if (remote_get(&p->fdb.remote, &r, true))
			return errno = ENOSPC, -1;
		/* A changed remote is one update: readers see the old remote or the new one. */
		return fdb_set(&a->st, &a->run, p->fdb.context, p->fdb.mac, r,
			       p->kind == OP_FDB_ADD ? BPF_NOEXIST : BPF_EXIST);
	}
	case OP_FLOOD_SET: {
		struct stt_flood_val fv = {.count = p->fl.count};

		for (__u32 i = 0; i < p->fl.count && i < STT_MAX_FLOOD; i++)
			if (remote_get(&p->fl.remote[i], &fv.remote4[i], true))
				return errno = ENOSPC, -1;
		return flood_set(&a->st, &a->run, p->fl.context, &fv);
	}
	case OP_FLOOD_DEL:
		return flood_clear(&a->st, &a->run, p->old_fl.context);
	case OP_PEER_ADD:
	case OP_PEER_DEL: {
		__be32 r;

		if (a->peers_fd < 0) {
			errno = ENOENT;
			return -1;
		}
		if (remote_get(&p->peer.remote, &r, true))
			return errno = ENOSPC, -1;
		return p->kind == OP_PEER_ADD
			   ? peer_set(&a->st, &a->run, p->peer.context, r, BPF_NOEXIST)
			   : peer_clear(&a->st, &a->run, p->peer.context, r);
	}
	}
	return 0;
}

/* ---- system checks: what the pure validator cannot know ---- */

static int check_system(struct ap_doc *want, struct ap_errs *errs)
{
	size_t before = errs->n;
	char p[64];

	if (want->have_attach && want->att.device[0]) {
		struct ap_attach *a = &want->att;
		unsigned int idx = if_nametoindex(a->device);

		if (!idx) {
			ap_err(errs, "$.attachment.device", "%s: no such interface", a->device);
		} else {
			/* Neither address given: the device's, of each family it has. */
			if (!a->have_local && !a->have_local6) {
				a->have_local = dev_ipv4(a->device, &a->local4) == 0 && a->local4;
				a->have_local6 = dev_ipv6(a->device, &a->local6) == 0;
				if (!a->have_local && !a->have_local6)
					ap_err(errs, "$.attachment.local",
					       "missing (and local6 too), and %s has no IPv4 "
					       "address and no global IPv6 address to take",
					       a->device);
			}
			if (a->xdp == AP_XDP_AUTO) {
				char drv[64] = "";

				dev_driver(a->device, drv, sizeof(drv));
				a->xdp = strcmp(drv, "veth") ? AP_XDP_ON : AP_XDP_OFF;
			}
		}
	}
	/* vports are in canonical order now: report by name, the path names the list. */
	for (size_t i = 0; i < want->nvports; i++) {
		struct ap_vport *v = &want->vports[i];

		v->ifindex = if_nametoindex(v->ifname);
		if (!v->ifindex) {
			snprintf(p, sizeof(p), "$.vports[%u].ifname", v->pos);
			ap_err(errs, p, "%s: no such interface", v->ifname);
		}
	}
	return errs->n > before ? -1 : 0;
}

/* ---- remotes and their managed neighbours ---- */

static int addr_cmp(const void *a, const void *b)
{
	return raddr_cmp(a, b);
}

/* The distinct remotes of a document's fdb and flood lists, sorted; NULL on no memory. */
static struct stt_addr6 *remotes_of(const struct ap_doc *d, size_t *n)
{
	struct stt_addr6 *r = malloc((d->nfdb + d->nflood * STT_MAX_FLOOD + 1) * sizeof(*r));
	size_t k = 0, o = 0;

	if (!r)
		return NULL;
	for (size_t i = 0; i < d->nfdb; i++)
		r[k++] = d->fdb[i].remote;
	for (size_t i = 0; i < d->nflood; i++)
		for (__u32 j = 0; j < d->flood[i].count; j++)
			r[k++] = d->flood[i].remote[j];
	qsort(r, k, sizeof(*r), addr_cmp);
	for (size_t i = 0; i < k; i++)
		if (!o || !raddr_eq(&r[o - 1], &r[i]))
			r[o++] = r[i];
	*n = o;
	return r;
}

/* Managed neighbours (IPv4 and IPv6) follow the remotes in use; none for groups. */
static void update_neighbours(const struct ap_doc *want, const struct ap_doc *have, int ifindex)
{
	size_t nw = 0, nh = 0, i = 0, j = 0;
	struct stt_addr6 *w = remotes_of(want, &nw), *h = remotes_of(have, &nh);

	if (w && h) {
		while (i < nh || j < nw) {
			int c = i == nh ? 1 : j == nw ? -1 : raddr_cmp(&h[i], &w[j]);

			if (c < 0)
				neigh_addr_del(ifindex, &h[i++]);
			else if (c > 0)
				neigh_addr_add(ifindex, &w[j++]);
			else
				i++, j++;
		}
	}
	free(w);
	free(h);
}

/* ---- the command ---- */

static void apply_usage(void)
{
	fprintf(stderr,
		"Usage: sttctl apply [--dry-run] FILE|-\n"
		"  Make this network namespace's stt state what the JSON document FILE (- for\n"
		"  standard input) says: attachment, vports, forwarding entries, flood lists and\n"
		"  peers (schema: docs/API.md; 'sttctl show --json' prints the same schema).\n"
		"  Only the difference to what is installed is applied; an invalid document is\n"
		"  rejected whole with every error listed, and nothing changes. A step that fails\n"
		"  while applying undoes what was done. Prints the number of changes.\n"
		"  --dry-run  print the changes, apply nothing\n");
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	size_t cap = 65536, n = 0;
	char *buf;

	if (!f)
		return NULL;
	buf = malloc(cap);
	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, f);

		n += got;
		if (n < cap) {
			if (ferror(f)) {
				free(buf);
				buf = NULL;
			}
			break;
		}
		if (cap >= (256u << 20)) { /* 256 MiB: far beyond any valid document */
			free(buf);
			buf = NULL;
			errno = EFBIG;
			break;
		}
		char *nb = realloc(buf, cap *= 2);

		if (!nb) {
			free(buf);
			buf = NULL;
		}
		buf = nb;
	}
	if (f != stdin)
		fclose(f);
	*len = n;
	return buf;
}

/*
 * One apply at a time on this host: the difference is computed from what is installed, so
 * two applies must not interleave. Locks the pin base directory (all namespaces: an apply
 * takes well under a second). Single sttctl commands do not take the lock.
 */
static int apply_lock(void)
{
	int fd;

	if (ensure_bpffs())
		return -1;
	if (mkdir(STT_PIN_BASE, 0700) && errno != EEXIST) {
		err_msg("cannot create %s: %s", STT_PIN_BASE, strerror(errno));
		return -1;
	}
	fd = open(STT_PIN_BASE, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX)) {
		err_msg("cannot lock %s: %s", STT_PIN_BASE, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void print_errors(const struct ap_errs *errs, const char *what)
{
	if (g_opts.json) {
		struct json_object *o = json_object_new_object(), *arr = json_object_new_array();

		for (size_t i = 0; i < errs->n; i++)
			json_object_array_add(arr, json_object_new_string(errs->msg[i]));
		json_object_object_add(o, "errors", arr);
		json_out(o);
		return;
	}
	for (size_t i = 0; i < errs->n; i++)
		fprintf(stderr, "sttctl: %s\n", errs->msg[i]);
	fprintf(stderr, "sttctl: %s: %zu error%s, nothing applied\n", what, errs->n,
		errs->n == 1 ? "" : "s");
}

/* detach keeps the pinned maps while stt_vports has an entry (VLAN vports do not count). */
static size_t plain_vports(const struct ap_doc *d)
{
	size_t n = 0;

	for (size_t i = 0; i < d->nvports; i++)
		n += !d->vports[i].vid;
	return n;
}

int cmd_apply(int argc, char **argv)
{
	struct ap_doc want = {}, have = {};
	struct ap_errs errs = {};
	struct stt_cfg cfg;
	struct ops ops = {};
	struct apply_ctx a = {.peers_fd = -1, .run = {.prog_fd = -1, .fail_after = -1}};
	const char *file = NULL, *env;
	bool dry = false, pins;
	size_t len, done = 0;
	char *text;
	int rc = 1, lock_fd = -1;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "help") || !strcmp(argv[i], "--help") ||
		    !strcmp(argv[i], "-h")) {
			apply_usage();
			return 0;
		} else if (!strcmp(argv[i], "--dry-run")) {
			dry = true;
		} else if (!file && (strcmp(argv[i], "-") == 0 || argv[i][0] != '-')) {
			file = argv[i];
		} else {
			err_msg("apply: unexpected argument '%s'", argv[i]);
			return 1;
		}
	}
	if (!file) {
		apply_usage();
		return 1;
	}
	text = read_all(file, &len);
	if (!text) {
		err_msg("cannot read %s: %s", strcmp(file, "-") ? file : "standard input",
			strerror(errno));
		return 1;
	}
	/* 1. The document alone. 2. Against the system. Nothing changes before both pass. */
	if ((ap_parse(text, len, &want, &errs) | check_system(&want, &errs)) != 0) {
		print_errors(&errs, strcmp(file, "-") ? file : "standard input");
		goto out;
	}
	/* 3. What is installed, and the difference. */
	lock_fd = apply_lock();
	if (lock_fd < 0)
		goto out;
	pins = ap_read_installed(&have, &cfg) == 0;
	if (!pins)
		ap_doc_free(&have);
	/*
	 * Another underlay device: detach removes the pinned maps when no vport is left, and
	 * attach creates empty ones; every entry is then installed again.
	 */
	if (want.have_attach && have.have_attach && strcmp(want.att.device, have.att.device) &&
	    !plain_vports(&have))
		have.nfdb = have.nflood = have.npeers = 0;
	if (diff(&want, &have, &ops)) {
		err_msg("apply: out of memory");
		goto out;
	}
	if (dry || g_opts.verbose) {
		struct json_object *arr = json_object_new_array();

		for (size_t i = 0; i < ops.n; i++) {
			char line[1024];

			op_describe(&ops.v[i], &want, &have, line, sizeof(line));
			if (g_opts.json)
				json_object_array_add(arr, json_object_new_string(line));
			else
				printf("%s\n", line);
		}
		if (g_opts.json && dry) {
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "changes", json_object_new_int64(ops.n));
			json_object_object_add(o, "dry_run", json_object_new_boolean(true));
			json_object_object_add(o, "diff", arr);
			json_out(o);
			rc = 0;
			goto out;
		}
		json_object_put(arr);
	}
	if (dry) {
		printf("%zu change%s (dry run, nothing applied)\n", ops.n, ops.n == 1 ? "" : "s");
		rc = 0;
		goto out;
	}

	/* 4. Apply, journaled. */
	env = getenv("STT_APPLY_FAIL_AFTER");
	if (env && *env)
		a.run.fail_after = strtol(env, NULL, 10);
	a.want = &want;
	a.have = &have;
	if (pins && open_state(&a))
		goto out;
	for (done = 0; done < ops.n; done++) {
		const struct op *p = &ops.v[done];

		if (p->kind == OP_DETACH)
			continue;
		if (exec_op(&a, p)) {
			char line[1024];
			int e = errno;

			op_describe(p, &want, &have, line, sizeof(line));
			err_msg(
			    "apply: change %zu of %zu failed (%s): %s; undoing the %zu before it",
			    done + 1, ops.n, line, strerror(e), done);
			goto fail;
		}
	}
	/* Detach last: every vport and entry is gone by now. */
	if (ops.n && ops.v[ops.n - 1].kind == OP_DETACH) {
		/*
		 * The entries are gone already, so detach would not find their remotes: remove
		 * their managed neighbours here. The journal's map descriptors stay open
		 * (cmd_detach opens its own).
		 */
		if (state_get_cfg(&a.st, &cfg) == 0 && cfg.ifindex)
			update_neighbours(&want, &have, cfg.ifindex);
		if (txn_step(&a.run) || run_detach(have.att.device)) {
			err_msg("apply: detaching %s failed; undoing the other changes",
				have.att.device);
			goto fail;
		}
		close_state(&a);
	} else if (!want.have_attach && pins && a.have_st) {
		/* Detached earlier, and the last vport is gone: remove the pinned state. */
		struct stt_vlan_key vk;
		__u32 k;

		if (bpf_map_get_next_key(a.st.vports_fd, NULL, &k) &&
		    (a.st.vlan_fd < 0 || bpf_map_get_next_key(a.st.vlan_fd, NULL, &vk))) {
			char dir[sizeof(a.st.dir)];

			memcpy(dir, a.st.dir, sizeof(dir));
			close_state(&a);
			state_remove_pins(dir);
		}
	}
	if (want.have_attach && a.have_st && state_get_cfg(&a.st, &cfg) == 0 && cfg.ifindex)
		update_neighbours(&want, &have, cfg.ifindex);
	if (g_opts.json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "changes", json_object_new_int64(ops.n));
		json_object_object_add(o, "dry_run", json_object_new_boolean(false));
		json_out(o);
	} else {
		printf("%zu change%s\n", ops.n, ops.n == 1 ? "" : "s");
	}
	rc = 0;
	goto out;
fail:
	txn_undo(&a.run);
	/* The attachment step is not in the map journal: take it back too. */
	if (a.attached) {
		close_state(&a);
		if (ops.v[0].kind == OP_ATTACH) {
			run_detach(want.att.device);
		} else {
			if (ops.v[0].kind == OP_REPLACE)
				run_detach(want.att.device);
			run_attach(&have.att);
			if (open_state(&a) == 0) {
				struct stt_cfg c;
				__u32 zero = 0;

				if (state_get_cfg(&a.st, &c) == 0) {
					c.dscp = have.att.dscp;
					c.opts = (c.opts & ~STT_OPT_PEERS_STRICT) |
						 (have.att.strict ? STT_OPT_PEERS_STRICT : 0);
					bpf_map_update_elem(a.st.cfg_fd, &zero, &c, 0);
				}
			}
		}
	}
	fprintf(stderr, "sttctl: apply failed; the state is back to what it was\n");
out:
	close_state(&a);
	if (lock_fd >= 0)
		close(lock_fd);
	txn_free(&a.run);
	free(ops.v);
	free(text);
	ap_doc_free(&want);
	ap_doc_free(&have);
	ap_errs_free(&errs);
	return rc;
}

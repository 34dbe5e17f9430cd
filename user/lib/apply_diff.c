// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The changes from the installed state to a desired-state document, and their wording. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "apply_engine.h"
#include "encap.h"

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

/* + attachment (after - attachment for another device). */
static void describe_attach(const struct op *p, const struct ap_attach *w,
                            const struct ap_attach *h, char *buf, size_t len)
{
	char a[REMOTE_STRLEN + 32], d1[16], l1[320];

	local_words(w, a, sizeof(a));
	dscp_word(w->dscp, d1, sizeof(d1));
	if (p->kind == OP_REPLACE)
		snprintf(l1, sizeof(l1), "- attachment %s\n", h->device);
	else
		l1[0] = 0;
	snprintf(buf, len,
	         "%s+ attachment %s %s port %u ttl %u xdp %s dscp %s peers %s gue_port %u encap %s",
	         l1, w->device, a, w->port, w->ttl, xdp_word(w->xdp), d1,
	         w->strict ? "strict" : "open", w->gue_port, w->gue ? "gue" : "stt");
}

/* ~ attachment: what differs. */
static void describe_reattach(const struct ap_attach *w, const struct ap_attach *h, char *buf,
                              size_t len)
{
	char a[REMOTE_STRLEN + 32], b[REMOTE_STRLEN + 32], d1[16], d2[16];
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
		o +=
		    snprintf(buf + o, len - o, " xdp %s -> %s", xdp_word(h->xdp), xdp_word(w->xdp));
	if (w->dscp != h->dscp) {
		dscp_word(h->dscp, d1, sizeof(d1));
		dscp_word(w->dscp, d2, sizeof(d2));
		o += snprintf(buf + o, len - o, " dscp %s -> %s", d1, d2);
	}
	if (w->strict != h->strict && o < len)
		o += snprintf(buf + o, len - o, " peers %s -> %s", h->strict ? "strict" : "open",
		              w->strict ? "strict" : "open");
	if (w->gue_port != h->gue_port && o < len)
		o += snprintf(buf + o, len - o, " gue_port %u -> %u", h->gue_port, w->gue_port);
	if (w->gue != h->gue && o < len)
		snprintf(buf + o, len - o, " encap %s -> %s", h->gue ? "gue" : "stt",
		         w->gue ? "gue" : "stt");
}

static void describe_vport(const struct op *p, char *buf, size_t len)
{
	char d1[16], l1[320], l2[320], l3[64], l4[64], l5[160];

	switch (p->kind) {
	case OP_VPORT_ADD:
		vlan_words(&p->vp, d1, sizeof(d1));
		learn_words(&p->vp, l1, sizeof(l1));
		snprintf(buf, len, "+ vport %s%s context %llu xdp %s peers %s%s%s", p->vp.ifname,
		         d1, (unsigned long long)p->vp.context, p->vp.xdp ? "on" : "off",
		         p->vp.strict ? "strict" : "open", p->vp.learn ? " learn " : "",
		         p->vp.learn ? l1 : "");
		return;
	case OP_VPORT_DEL:
		vlan_words(&p->old_vp, d1, sizeof(d1));
		snprintf(buf, len, "- vport %s%s context %llu", p->old_vp.ifname, d1,
		         (unsigned long long)p->old_vp.context);
		return;
	}
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
}

/* A remote's own encapsulation, whether it has a cookie (never the cookie itself), udp6. */
static void remote_words(const struct ap_remote *r, char *buf, size_t len)
{
	snprintf(buf, len, "encap %s cookie %s%s", encap_name(r->encap),
	         r->cookie == AP_COOKIE_NONE ? "no" : "yes", udp6_words(r));
}

static void describe_remote(const struct op *p, char *buf, size_t len)
{
	char a[REMOTE_STRLEN], w1[64], w2[64];
	bool new_cookie =
	    p->rem.cookie != AP_COOKIE_NONE && p->old_rem.cookie != AP_COOKIE_NONE &&
	    memcmp(p->rem.cookie_val, p->old_rem.cookie_val, sizeof(p->rem.cookie_val));

	raddr_fmt(p->kind == OP_REMOTE_DEL ? &p->old_rem.address : &p->rem.address, a, sizeof(a));
	remote_words(&p->rem, w1, sizeof(w1));
	remote_words(&p->old_rem, w2, sizeof(w2));
	if (p->kind == OP_REMOTE_DEL)
		snprintf(buf, len, "- remote %s %s", a, w2);
	else if (!p->have_old_rem)
		snprintf(buf, len, "+ remote %s %s", a, w1);
	else if (!strcmp(w1, w2))
		snprintf(buf, len, "~ remote %s: %s, another cookie", a, w1);
	else
		snprintf(buf, len, "~ remote %s: %s -> %s%s", a, w2, w1,
		         new_cookie ? " (another cookie)" : "");
}

/* fdb entries, flood lists, peers. */
static void describe_entry(const struct op *p, char *buf, size_t len)
{
	char m[24], a[REMOTE_STRLEN + 32], b[REMOTE_STRLEN + 32], l1[320], l2[320];

	switch (p->kind) {
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

void ap_op_describe(const struct op *p, const struct ap_doc *want, const struct ap_doc *have,
                    char *buf, size_t len)
{
	switch (p->kind) {
	case OP_ATTACH:
	case OP_REPLACE:
		describe_attach(p, &want->att, &have->att, buf, len);
		break;
	case OP_REATTACH:
	case OP_CFG:
		describe_reattach(&want->att, &have->att, buf, len);
		break;
	case OP_DETACH:
		snprintf(buf, len, "- attachment %s", have->att.device);
		break;
	case OP_VPORT_ADD:
	case OP_VPORT_DEL:
	case OP_VPORT_MOD:
		describe_vport(p, buf, len);
		break;
	case OP_REMOTE_SET:
	case OP_REMOTE_DEL:
		describe_remote(p, buf, len);
		break;
	default:
		describe_entry(p, buf, len);
	}
}

#define NEW(k, ph)                                                                                 \
	do {                                                                                       \
		if (!(p = op_new(ops, k, ph)))                                                     \
			return -1;                                                                 \
	} while (0)

static int diff_attach(const struct ap_doc *want, const struct ap_doc *have, struct ops *ops)
{
	const struct ap_attach *w = &want->att, *h = &have->att;
	struct op *p;

	if (want->have_attach && !have->have_attach) {
		NEW(OP_ATTACH, PH_ATTACH);
	} else if (want->have_attach && strcmp(w->device, h->device)) {
		NEW(OP_REPLACE, PH_ATTACH);
	} else if (want->have_attach) {
		if (locals_differ(w, h) || w->port != h->port || w->ttl != h->ttl ||
		    w->xdp != h->xdp)
			NEW(OP_REATTACH, PH_ATTACH);
		else if (w->dscp != h->dscp || w->strict != h->strict ||
		         w->gue_port != h->gue_port || w->gue != h->gue)
			/* Loosening before entries go, tightening after they come. */
			NEW(OP_CFG,
			    (h->strict && !w->strict) || (h->gue && !w->gue) ? PH_UNBIND : PH_BIND);
	} else if (have->have_attach) {
		NEW(OP_DETACH, PH_DETACH);
	}
	return 0;
}

/*
 * vports, by (ifindex, VLAN): both lists hold the ifindex. Another context or VLAN is
 * another binding (removed and added); xdp, peers and learning change in place.
 */
static int diff_vports(const struct ap_doc *want, const struct ap_doc *have, struct ops *ops)
{
	struct op *p;
	size_t i, j;

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
	return 0;
}

/* fdb: both sorted by (context, MAC). */
static int diff_fdb(const struct ap_doc *want, const struct ap_doc *have, struct ops *ops)
{
	struct op *p;
	size_t i, j;

	for (i = j = 0; i < have->nfdb || j < want->nfdb;) {
		int c = i == have->nfdb   ? 1
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
	return 0;
}

/* flood lists: sorted by context; a list is the same whatever its order. */
static int diff_flood(const struct ap_doc *want, const struct ap_doc *have, struct ops *ops)
{
	struct op *p;
	size_t i, j;

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
	return 0;
}

/* peers: sorted (context, remote) pairs. */
static int diff_peers(const struct ap_doc *want, const struct ap_doc *have, struct ops *ops)
{
	struct op *p;
	size_t i, j;

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
	return 0;
}
/* Whether two entries of one remote differ (cookies resolved: no AP_COOKIE_KEEP). */
static bool remote_differs(const struct ap_remote *w, const struct ap_remote *h)
{
	if (w->encap != h->encap || w->cookie != h->cookie ||
	    w->udp6_zero_csum != h->udp6_zero_csum)
		return true;
	return w->cookie == AP_COOKIE_SET &&
	       memcmp(w->cookie_val, h->cookie_val, sizeof(w->cookie_val));
}

/*
 * Remotes' own encapsulation, sorted by address; in PH_ADD before the fdb entries: a remote
 * that goes back to STT does so before entries GUE cannot carry come, and one that goes to
 * GUE after such entries went (PH_REMOVE).
 */
static int diff_remotes(const struct ap_doc *want, const struct ap_doc *have, struct ops *ops)
{
	struct op *p;
	size_t i, j;

	for (i = j = 0; i < have->nremotes || j < want->nremotes;) {
		int c = i == have->nremotes   ? 1
		        : j == want->nremotes ? -1
		                              : ap_remote_cmp(&have->remotes[i], &want->remotes[j]);

		if (c < 0) {
			NEW(OP_REMOTE_DEL, PH_ADD);
			p->old_rem = have->remotes[i++];
		} else if (c > 0) {
			NEW(OP_REMOTE_SET, PH_ADD);
			p->rem = want->remotes[j++];
		} else {
			if (remote_differs(&want->remotes[j], &have->remotes[i])) {
				NEW(OP_REMOTE_SET, PH_ADD);
				p->rem = want->remotes[j];
				p->old_rem = have->remotes[i];
				p->have_old_rem = true;
			}
			i++, j++;
		}
	}
	return 0;
}
#undef NEW

int ap_resolve_cookies(struct ap_doc *want, const struct ap_doc *have, struct ap_errs *errs)
{
	size_t before = errs->n;

	for (size_t i = 0; i < want->nremotes; i++) {
		struct ap_remote *w = &want->remotes[i];
		const struct ap_remote *h;
		char p[64], a[REMOTE_STRLEN];

		if (w->cookie != AP_COOKIE_KEEP)
			continue;
		h = ap_remote_find(have, &w->address);
		if (h && h->cookie == AP_COOKIE_SET) {
			w->cookie = AP_COOKIE_SET;
			memcpy(w->cookie_val, h->cookie_val, sizeof(w->cookie_val));
			continue;
		}
		raddr_fmt(&w->address, a, sizeof(a));
		snprintf(p, sizeof(p), "$.remotes[%u].cookie", w->pos);
		ap_err(errs, p,
		       "true keeps the installed cookie, but %s has none: give the cookie (%d hex "
		       "digits)",
		       a, STT_COOKIE_HEX);
	}
	return errs->n > before ? -1 : 0;
}

int ap_diff(const struct ap_doc *want, const struct ap_doc *have, struct ops *ops)
{
	if (diff_attach(want, have, ops) || diff_vports(want, have, ops) ||
	    diff_remotes(want, have, ops) || diff_fdb(want, have, ops) ||
	    diff_flood(want, have, ops) || diff_peers(want, have, ops))
		return -1;
	if (ops->n)
		qsort(ops->v, ops->n, sizeof(*ops->v), op_cmp);
	return 0;
}

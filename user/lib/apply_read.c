// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The installed state of this network namespace as a desired-state document (apply.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "apply_engine.h"

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

/* The attachment (stt_cfg, stt_cfg6) as the document's "attachment". */
static void read_attach(struct stt_state *st, struct ap_doc *doc, const struct stt_cfg *cfg)
{
	struct ap_attach *a = &doc->att;
	char name[IF_NAMESIZE];
	struct stt_cfg6 c6;

	doc->have_attach = true;
	snprintf(a->device, sizeof(a->device), "%s", dev_name(cfg->ifindex, name));
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
	a->gue_port = cfg->gue_port; /* 0 from a build without GUE: off */
	a->gue = cfg->opts & STT_OPT_ENCAP_GUE;
}

/* Room for one more of n elements of size sz in *v (capacity *cap); -1 if out of memory. */
static int grow(void **v, size_t n, size_t *cap, size_t sz)
{
	void *p;

	if (n < *cap)
		return 0;
	p = realloc(*v, (*cap *= 2) * sz);
	if (!p)
		return -1;
	*v = p;
	return 0;
}

/* Plain vports (stt_vports), then VLAN ones (stt_vlan_vports). */
static int read_vports(struct stt_state *st, struct ap_doc *doc)
{
	size_t cap = 16;
	struct stt_vport vp;

	doc->vports = calloc(cap, sizeof(*doc->vports));
	{
		__u32 key, next, *prev = NULL;

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

		while (doc->vports && bpf_map_get_next_key(st->vlan_fd, prev, &next) == 0) {
			key = next;
			prev = &key;
			if (bpf_map_lookup_elem(st->vlan_fd, &key, &vp))
				continue;
			if (read_vport(st, doc, &cap, key.ifindex, key.vid, &vp))
				return -1;
		}
	}
	return 0;
}

static int read_fdb(struct stt_state *st, struct ap_doc *doc)
{
	struct stt_fdb_key key, next, *prev = NULL;
	struct stt_fdb_val val;
	size_t cap = 256;

	doc->fdb = malloc(cap * sizeof(*doc->fdb));
	while (doc->fdb && bpf_map_get_next_key(st->fdb_fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(st->fdb_fd, &key, &val))
			continue;
		if (grow((void **)&doc->fdb, doc->nfdb, &cap, sizeof(*doc->fdb)))
			return -1;
		doc->fdb[doc->nfdb].context = key.context;
		memcpy(doc->fdb[doc->nfdb].mac, key.mac, 6);
		/* An IPv6 index with no address reads as "ipv6#N" (apply removes it). */
		remote_addr(val.remote4, &doc->fdb[doc->nfdb++].remote);
	}
	return 0;
}

static int read_flood(struct stt_state *st, struct ap_doc *doc)
{
	__u64 key, next, *prev = NULL;
	struct stt_flood_val fv;
	size_t cap = 16;

	doc->flood = malloc(cap * sizeof(*doc->flood));
	while (doc->flood && bpf_map_get_next_key(st->flood_fd, prev, &next) == 0) {
		struct ap_flood *f;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(st->flood_fd, &key, &fv) || !fv.count)
			continue;
		if (grow((void **)&doc->flood, doc->nflood, &cap, sizeof(*doc->flood)))
			return -1;
		f = &doc->flood[doc->nflood++];
		memset(f, 0, sizeof(*f));
		f->context = key;
		f->count = fv.count < STT_MAX_FLOOD ? fv.count : STT_MAX_FLOOD;
		for (__u32 i = 0; i < f->count; i++)
			remote_addr(fv.remote4[i], &f->remote[i]);
	}
	return 0;
}

static int read_peers(struct stt_state *st, struct ap_doc *doc)
{
	struct stt_peer_key key, next, *prev = NULL;
	size_t cap = 16;

	doc->peers = malloc(cap * sizeof(*doc->peers));
	while (doc->peers && bpf_map_get_next_key(st->peers_fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (grow((void **)&doc->peers, doc->npeers, &cap, sizeof(*doc->peers)))
			return -1;
		doc->peers[doc->npeers].context = key.context;
		remote_addr(key.remote4, &doc->peers[doc->npeers++].remote);
	}
	return 0;
}

/* stt_remote_cfg: with the cookie itself, which only the comparison uses (never printed). */
static int read_remotes(struct stt_state *st, struct ap_doc *doc)
{
	__u32 key, next, *prev = NULL;
	struct stt_remote_cfg v;
	size_t cap = 16;

	doc->remotes = malloc(cap * sizeof(*doc->remotes));
	while (doc->remotes && bpf_map_get_next_key(st->remote_cfg_fd, prev, &next) == 0) {
		struct ap_remote *r;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(st->remote_cfg_fd, &key, &v))
			continue;
		if (grow((void **)&doc->remotes, doc->nremotes, &cap, sizeof(*doc->remotes)))
			return -1;
		r = &doc->remotes[doc->nremotes++];
		memset(r, 0, sizeof(*r));
		remote_addr(key, &r->address);
		r->encap = v.encap;
		if (v.flags & STT_RCFG_COOKIE) {
			r->cookie = AP_COOKIE_SET;
			memcpy(r->cookie_val, v.cookie, sizeof(r->cookie_val));
		}
		r->udp6_zero_csum = v.flags & STT_RCFG_UDP6_ZERO;
	}
	return doc->remotes ? 0 : -1;
}

static int read_state(struct stt_state *st, struct ap_doc *doc, struct stt_cfg *cfg)
{
	int peers_fd = st->peers_fd;

	memset(doc, 0, sizeof(*doc));
	if (state_get_cfg(st, cfg) == 0 && cfg->ifindex)
		read_attach(st, doc, cfg);
	if (read_vports(st, doc) || read_fdb(st, doc) || read_flood(st, doc) ||
	    (peers_fd >= 0 && read_peers(st, doc)))
		return -1;
	if (!doc->vports || !doc->fdb || !doc->flood || (peers_fd >= 0 && !doc->peers))
		return -1;
	if (st->remote_cfg_fd >= 0 && read_remotes(st, doc))
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

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Executing the changes of an apply (apply_engine.h), and the checks against the system. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "apply_engine.h"
#include "fdb.h"
#include "vport.h"

static int cfg_write(struct apply_ctx *a)
{
	struct stt_cfg cfg;
	__u32 zero = 0;

	if (state_get_cfg(&a->st, &cfg))
		return -1;
	cfg.dscp = a->want->att.dscp;
	cfg.opts = (cfg.opts & ~(STT_OPT_PEERS_STRICT | STT_OPT_ENCAP_GUE)) |
	           (a->want->att.strict ? STT_OPT_PEERS_STRICT : 0) |
	           (a->want->att.gue ? STT_OPT_ENCAP_GUE : 0);
	cfg.gue_port = a->want->att.gue_port;
	return txn_map(&a->run, a->st.cfg_fd, &zero, sizeof(zero), &cfg, sizeof(cfg), BPF_EXIST);
}

int ap_open_state(struct apply_ctx *a)
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

void ap_close_state(struct apply_ctx *a)
{
	if (!a->have_st)
		return;
	if (a->run.prog_fd >= 0)
		close(a->run.prog_fd);
	a->peers_fd = a->run.prog_fd = -1;
	state_close(&a->st);
	a->have_st = false;
}

/* A remote's own encapsulation written (one update) or removed, journaled. */
static int remote_op(struct apply_ctx *a, const struct op *p)
{
	struct stt_remote_cfg v = {.encap = p->rem.encap};
	__be32 r;
	int rc;

	if (a->st.remote_cfg_fd < 0)
		return errno = ENOENT, -1; /* an endpoint attached by a build without GUE */
	if (p->kind == OP_REMOTE_DEL) {
		rc = remote_get(&p->old_rem.address, &r, false);
		if (rc)
			return rc > 0 ? 0 : (errno = ENOENT, -1); /* no index: no entry */
		return txn_map(&a->run, a->st.remote_cfg_fd, &r, sizeof(r), NULL, 0, 0);
	}
	if (remote_get(&p->rem.address, &r, true))
		return errno = ENOSPC, -1;
	if (p->rem.cookie == AP_COOKIE_SET) {
		v.flags = STT_RCFG_COOKIE;
		memcpy(v.cookie, p->rem.cookie_val, sizeof(v.cookie));
	}
	if (p->rem.udp6_zero_csum)
		v.flags |= STT_RCFG_UDP6_ZERO;
	return txn_map(&a->run, a->st.remote_cfg_fd, &r, sizeof(r), &v, sizeof(v), BPF_ANY);
}

int ap_exec_op(struct apply_ctx *a, const struct op *p)
{
	const struct ap_attach *w = &a->want->att;

	switch (p->kind) {
	case OP_ATTACH:
	case OP_REATTACH:
	case OP_REPLACE:
		if (txn_step(&a->run))
			return -1;
		ap_close_state(a);
		if (p->kind == OP_REPLACE && a->detach(a->have->att.device))
			return -1;
		if (a->attach(w))
			return -1;
		a->attached = true;
		if (ap_open_state(a))
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
	case OP_REMOTE_SET:
	case OP_REMOTE_DEL:
		return remote_op(a, p);
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

int ap_check_system(struct ap_doc *want, struct ap_errs *errs)
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
void ap_update_neighbours(const struct ap_doc *want, const struct ap_doc *have, int ifindex)
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

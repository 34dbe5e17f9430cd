// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Binding, unbinding and changing a vport, and a context's learning table: the one
 * implementation that sttctl vport, sttctl apply (and a fleet agent) call (vport.h).
 */
#include <errno.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "common.h"
#include "vport.h"

/* A new learning table of cap entries, installed for ctx (journaled). */
int learn_install(struct stt_state *st, struct stt_txn *t, __u64 ctx, __u32 cap)
{
	int fd, rc;

	fd = learn_table_create(cap);
	if (fd < 0)
		return -1;
	rc = txn_learn(t, st->learn_fd, ctx, fd);
	close(fd); /* the outer map holds it */
	return rc;
}

/* The maps a vport needs that an endpoint attached by an older sttctl may lack. */
int vport_maps_ok(const struct stt_state *st, const struct ap_vport *v)
{
	const char *what = v->vid && st->vlan_fd < 0      ? "VLAN"
	                   : v->learn && st->learn_fd < 0 ? "learning"
	                                                  : NULL;

	if (!what)
		return 0;
	err_msg("vport %s: this endpoint has no %s map yet: re-run 'sttctl attach DEV' with this "
	        "build",
	        v->ifname, what);
	errno = EOPNOTSUPP;
	return -1;
}

__u32 vport_flags(const struct ap_vport *v)
{
	return (v->xdp ? STT_VPORT_XDP : 0) | (v->strict ? STT_VPORT_PEERS_STRICT : 0) |
	       (v->learn ? STT_VPORT_LEARN : 0) | (v->vid ? STT_VPORT_VLAN : 0);
}

__u32 ctx_flags(__u32 vport_flags, __u16 vid)
{
	return vport_flags | (vid ? (__u32)vid << STT_CTX_VID_SHIFT : 0);
}

/* Write the transmit side of a vport: stt_vports, or stt_vlan_vports for a VLAN. */
static int vport_write(struct stt_state *st, struct stt_txn *t, const struct ap_vport *v,
                       const struct stt_vport *vp, __u64 flags)
{
	struct stt_vlan_key vk = {.ifindex = v->ifindex, .vid = v->vid};
	__u32 key = v->ifindex;

	if (v->vid)
		return txn_map(t, st->vlan_fd, &vk, sizeof(vk), vp, vp ? sizeof(*vp) : 0, flags);
	return txn_map(t, st->vports_fd, &key, sizeof(key), vp, vp ? sizeof(*vp) : 0, flags);
}

int vport_bind(struct stt_state *st, struct stt_txn *t, const struct ap_vport *v)
{
	struct stt_vport vp = {.context = v->context, .flags = vport_flags(v)};
	struct stt_ctx_val cv = {.ifindex = v->ifindex};
	bool created = false;
	int err;

	/* The age is stored even without learning. */
	vp.learn_age = v->learn_age ? v->learn_age : STT_LEARN_AGE_DEFAULT;
	if (t->prog_fd < 0) {
		errno = ENOENT;
		return -1;
	}
	if (vport_maps_ok(st, v))
		return -1;
	/* The interface may carry stt's program already (its own vport, or other VLANs). */
	if (!ifindex_in_use(st, v->ifindex)) {
		if (txn_step(t))
			return -1;
		err = tc_attach_ingress(v->ifindex, t->prog_fd, &created);
		if (err) {
			errno = -err;
			return -1;
		}
		if (txn_tc_attached(t, v->ifindex, created))
			return -1;
	}
	if (created)
		vp.flags |= STT_VPORT_CREATED_CLSACT;
	cv.flags = ctx_flags(vp.flags, v->vid);
	/* Its learning table, then receive mapping, then transmit. */
	if (v->learn && learn_install(st, t, v->context, v->learn_cap))
		return -1;
	if (txn_map(t, st->contexts_fd, &v->context, sizeof(__u64), &cv, sizeof(cv), BPF_NOEXIST))
		return -1;
	return vport_write(st, t, v, &vp, BPF_NOEXIST);
}

int vport_unbind(struct stt_state *st, struct stt_txn *t, const struct ap_vport *v)
{
	struct stt_ctx_val cv;

	/* Stop transmit, then receive, then remove the program. */
	if ((!v->vid || st->vlan_fd >= 0) && vport_write(st, t, v, NULL, 0))
		return -1;
	if (bpf_map_lookup_elem(st->contexts_fd, &v->context, &cv) == 0 &&
	    cv.ifindex == v->ifindex &&
	    txn_map(t, st->contexts_fd, &v->context, sizeof(__u64), NULL, 0, 0))
		return -1;
	/* Its learning table goes with it (kept in the journal, for undo). */
	if (st->learn_fd >= 0 && txn_learn(t, st->learn_fd, v->context, -1))
		return -1;
	/* Its OAM counters go too (not journaled): the map holds one entry per vport at most. */
	if (st->ctx_stats_fd >= 0)
		bpf_map_delete_elem(st->ctx_stats_fd, &v->context);
	/* The program stays while the interface carries other VLANs (or its own vport). */
	if (ifindex_in_use(st, v->ifindex))
		return 0;
	if (txn_step(t))
		return -1;
	tc_detach_ingress(v->ifindex, v->flags & STT_VPORT_CREATED_CLSACT);
	return txn_tc_detached(t, v->ifindex);
}

/*
 * xdp, peers and learning of a vport, in place. Learning turned on or resized: a new table
 * is installed first (one update of stt_learn: the datapath sees the old table or the new
 * one; a new table starts empty); turned off: the flag goes first, then the table.
 */
int vport_change(struct stt_state *st, struct stt_txn *t, const struct ap_vport *n,
                 const struct ap_vport *o)
{
	__u32 keep = STT_VPORT_CREATED_CLSACT | STT_VPORT_VLAN;
	__u32 flags = (o->flags & keep) | vport_flags(n);
	struct stt_vport vp = {.context = n->context, .flags = flags};
	struct stt_ctx_val cv = {.ifindex = n->ifindex, .flags = ctx_flags(flags, n->vid)};

	vp.learn_age = n->learn_age ? n->learn_age : STT_LEARN_AGE_DEFAULT;
	if (vport_maps_ok(st, n))
		return -1;
	if (n->learn && (!o->learn || n->learn_cap != o->learn_cap) &&
	    learn_install(st, t, n->context, n->learn_cap))
		return -1;
	if (txn_map(t, st->contexts_fd, &n->context, sizeof(__u64), &cv, sizeof(cv), BPF_EXIST))
		return -1;
	if (vport_write(st, t, n, &vp, BPF_EXIST))
		return -1;
	if (!n->learn && o->learn && txn_learn(t, st->learn_fd, n->context, -1))
		return -1;
	return 0;
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * stt_tc_tx: TC ingress of a vport (the host end of a tenant's interface). Each tenant
 * frame is encapsulated as one STT frame and redirected out of the underlay, to the remote
 * its forwarding entry names, or to every flood target of the context: one segment, one
 * GSO frame for a TSO burst (lib/gso.h), or a frame cut into segments (lib/cut.h).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "stt_proto.h"
#define STT_MAPS_TX
#include "lib/maps.h"
#include "lib/defs.h"
#include "lib/drop.h"
#include "lib/inner.h"
#include "lib/outer.h"
#include "lib/gso.h"
#include "lib/cut.h"
#include "lib/flood.h"
#include "lib/learn.h"
#include "lib/oam.h"
#include "lib/pmtu.h"

/* A tenant frame's vport, and its VLAN: a tagged frame from a trunk may have its own. */
struct stt_tx_src {
	const struct stt_vport *vp;
	int trunk;  /* vp is a trunk VLAN's (stt_vlan_vports) */
	__u16 vlan; /* the STT header's PCP/V/VID, host order */
};

/* The vport of a frame: a trunk's VLAN (stt_vlan_vports), else the interface's. */
static __always_inline const struct stt_vport *stt_tx_vport(struct __sk_buff *skb, int *trunk)
{
	__u32 ifindex = skb->ifindex;
	const struct stt_vport *vp = NULL;

	if (skb->vlan_present || skb->protocol == bpf_htons(ETH_P_8021Q)) {
		struct stt_vlan_key vk = {.ifindex = ifindex};
		__be16 tci = 0;

		if (skb->vlan_present)
			vk.vid = skb->vlan_tci & STT_VLAN_VID_MASK;
		else if (!bpf_skb_load_bytes(skb, 14, &tci, 2))
			vk.vid = bpf_ntohs(tci) & STT_VLAN_VID_MASK;
		vp = bpf_map_lookup_elem(&stt_vlan_vports, &vk);
		*trunk = vp != NULL;
	}
	if (!vp)
		vp = bpf_map_lookup_elem(&stt_vports, &ifindex);
	return vp;
}

/*
 * A tagged tenant frame travels untagged, its tag in the STT header (draft 3.1): PCP(3)
 * V(1) VID(12). The tag may be skb metadata or in the frame (802.1Q); left on the skb, it
 * would end up on the outer frame. A trunk VLAN's own context: the tag is the context's,
 * only its PCP travels (V=0). Returns 0 or a drop.
 */
static __always_inline int stt_tx_untag(struct __sk_buff *skb, int trunk, __u16 *vlan)
{
	__be16 tci;

	if ((skb->vlan_present && (skb->protocol == bpf_htons(ETH_P_8021Q) ||
				   skb->protocol == bpf_htons(ETH_P_8021AD))) ||
	    stt_inner_qinq(skb))
		return stt_ret_drop(STT_DROP_TX_QINQ);
	if (skb->vlan_present) {
		*vlan = skb->vlan_tci;
		if (bpf_skb_vlan_pop(skb))
			return stt_ret_drop(STT_DROP_TX_ERROR);
		*vlan = (*vlan & STT_VLAN_PCP_MASK) | STT_VLAN_V | (*vlan & STT_VLAN_VID_MASK);
	} else if (skb->protocol == bpf_htons(ETH_P_8021Q)) {
		if (bpf_skb_load_bytes(skb, 14, &tci, 2) || bpf_skb_vlan_pop(skb))
			return stt_ret_drop(STT_DROP_TX_ERROR);
		*vlan = bpf_ntohs(tci);
		*vlan = (*vlan & STT_VLAN_PCP_MASK) | STT_VLAN_V | (*vlan & STT_VLAN_VID_MASK);
	}
	if (trunk)
		*vlan &= STT_VLAN_PCP_MASK;
	return 0;
}

/*
 * Where a frame goes: its unicast remote (forwarding entry, or learned), else the
 * context's flood list (*flood). Returns the remote, 0 to flood, or a drop.
 */
static __always_inline long stt_tx_route(struct __sk_buff *skb, const struct stt_vport *vp,
					 const struct stt_flood_val **flood)
{
	void *data = stt_skb_data(skb), *data_end = stt_skb_data_end(skb);
	const struct stt_fdb_val *fdb;
	struct stt_fdb_key key = {};
	__be32 uc_remote = 0;

	if (data + sizeof(struct stt_eth) > data_end)
		return stt_ret_drop(STT_DROP_TX_ERROR);
	key.context = vp->context;
	__builtin_memcpy(key.mac, ((struct stt_eth *)data)->dst, 6);
	if (stt_is_oam_mac(key.mac))
		return stt_ret_drop(STT_DROP_TX_OAM);
	if (!(key.mac[0] & 1)) {
		fdb = bpf_map_lookup_elem(&stt_fdb, &key);
		if (fdb)
			uc_remote = fdb->remote4;
		else if (vp->flags & STT_VPORT_LEARN)
			uc_remote = stt_tx_learned(key.context, key.mac, vp->learn_age);
	}
	if (uc_remote)
		return uc_remote;
	*flood = bpf_map_lookup_elem(&stt_flood, &key.context);
	if (!*flood || !(*flood)->count)
		return stt_ret_drop(STT_DROP_TX_NO_REMOTE);
	return 0;
}

/*
 * A frame to be cut (lib/cut.h): complete its inner checksum, put the outer headers of
 * each remote in front and send it back into the vport's ingress, where stt_tx_cut takes
 * it pass by pass.
 */
static __always_inline int stt_tx_to_cut(struct __sk_buff *skb, struct stt_tx_state *st,
					 const struct stt_inner *in, const struct stt_cfg *cfg,
					 __u64 context, __be32 uc_remote,
					 const struct stt_flood_val *flood, __u32 len)
{
	struct stt_encap4 *hp = &st->h;
	__u32 ifindex = skb->ifindex;

	if ((in->flags & STT_F_CSUM_PARTIAL) && stt_tx_complete_csum(skb))
		return stt_ret_drop(STT_DROP_TX_ERROR);
	hp->stt.flags &= ~STT_F_CSUM_PARTIAL;
	hp->stt.l4_offset = 0;
	st->h6.stt = hp->stt;
	if (bpf_skb_change_head(skb, st->v6 ? sizeof(struct stt_encap6) : sizeof(struct stt_encap4),
				0))
		return stt_ret_drop(STT_DROP_TX_ERROR);
	stt_count(STT_C_TX_FRAMES, 1);
	stt_count(STT_C_TX_BYTES, len);
	stt_count(STT_C_TX_CUT_FRAMES, 1);
	if (st->v6)
		stt_count(STT_C_TX_FRAMES6, 1);
	stt_ctx_account(context, STT_DIR_TX | STT_ACC_FRAME, 0, len);
	if (!uc_remote)
		return stt_tx_flood(skb, st, flood, cfg, context, ifindex, 0, len, 1);
	if (stt_is_drop(stt_tx_cut_hdr(skb, st, uc_remote)))
		return stt_ret_drop(st->v6 ? STT_DROP_TX_NO_REMOTE6 : STT_DROP_TX_ERROR);
	stt_remote_account(uc_remote, STT_DIR_TX | STT_ACC_FRAME, 0, len);
	skb->mark = STT_MARK_FRESH;
	return bpf_redirect(ifindex, BPF_F_INGRESS);
}

/* Send a frame whose outer headers are built: to its remote, or to every flood target. */
static __always_inline int stt_tx_out(struct __sk_buff *skb, struct stt_tx_state *st,
				      const struct stt_cfg *cfg, struct stt_drop_ctx *d,
				      __be32 uc_remote, const struct stt_flood_val *flood,
				      __u32 segs, __u32 len)
{
	long rc;

	stt_count(STT_C_TX_FRAMES, 1);
	stt_count(STT_C_TX_BYTES, len);
	if (st->v6)
		stt_count(STT_C_TX_FRAMES6, 1);
	if (!uc_remote) {
		stt_ctx_account(d->context, STT_DIR_TX | STT_ACC_FRAME, 0, len);
		return stt_tx_flood(skb, st, flood, cfg, d->context, 0, segs, len, 0);
	}
	/* The context's counters: one update for the frame, sent or dropped. */
	rc = stt_tx_one(skb, st, uc_remote, 1, cfg);
	if (stt_is_drop(rc)) {
		d->what = STT_DIR_TX | STT_ACC_FRAME | STT_ACC_DROP;
		d->bytes = len;
		return rc;
	}
	stt_count(STT_C_TX_SEGMENTS, 1);
	stt_ctx_account(d->context, STT_DIR_TX | STT_ACC_FRAME, segs, len);
	stt_remote_account(uc_remote, STT_DIR_TX | STT_ACC_FRAME, segs, len);
	return rc;
}

/* Encapsulate a tenant frame and send it. Returns a verdict or a drop (counted by d). */
static __always_inline int stt_tx_frame(struct __sk_buff *skb, const struct stt_cfg *cfg,
					struct stt_drop_ctx *d)
{
	const struct stt_flood_val *flood = NULL;
	struct stt_inner in = {};
	struct stt_tx_state *st;
	const struct stt_vport *vp;
	__u32 zero = 0, len, mtu, ovh, segs;
	__be32 uc_remote;
	__u16 vlan = 0;
	int trunk = 0, gso, ret;
	long r;

	vp = stt_tx_vport(skb, &trunk);
	if (!vp)
		return stt_ret_drop(STT_DROP_TX_NO_VPORT);
	d->context = vp->context;
	d->what = STT_DIR_TX | STT_ACC_DROP;
	/* The outer headers under construction: a per-CPU slot, the call chain's stack is full. */
	st = bpf_map_lookup_elem(&stt_tx_scratch, &zero);
	if (!st)
		return stt_ret_drop(STT_DROP_TX_ERROR);
	__builtin_memset(st, 0, sizeof(*st));
	ret = stt_tx_untag(skb, trunk, &vlan);
	if (ret)
		return ret;
	len = skb->len;
	gso = skb->gso_size != 0;
	segs = gso && skb->gso_segs ? skb->gso_segs : 1; /* adjusting room zeroes gso_segs */
	/*
	 * Every frame must fit STT's 16-bit length and the outer IPv4 total length (the IPv6
	 * payload length is looser); frames we cut ourselves are summed in full, so they are
	 * bounded by STT_SUM_MAX. GSO segments are made to fit the path MTU (stt_tx_gso_fit).
	 */
	if (len < sizeof(struct stt_eth) ||
	    sizeof(struct stt_ipv4) + sizeof(struct stt_tcp) + sizeof(struct stt_hdr) + len >
		0xffff)
		return stt_ret_drop(STT_DROP_TX_TOO_BIG);
	if (stt_tx_inner(skb, &in))
		return stt_ret_drop(STT_DROP_TX_ERROR);
	r = stt_tx_route(skb, vp, &flood);
	if (stt_is_drop(r))
		return r;
	uc_remote = r;
	mtu = stt_tx_path_mtu(cfg, uc_remote, flood);
	/* The outer family is the remote's; a flood list is one family (sttctl refuses to mix
	 * them), the first target's, and a copy to the other family is dropped and counted. */
	st->v6 = stt_remote_is6(uc_remote ? uc_remote : flood->remote4[0]);
	ovh = st->v6 ? STT_ENCAP6_OVERHEAD : STT_ENCAP4_OVERHEAD;
	/* Larger than the path (or the underlay): cut by this program, bounded by the sum. */
	if (!gso && len + ovh > mtu && len > STT_SUM_MAX)
		return stt_ret_drop(STT_DROP_TX_TOO_BIG);
	st->is_ip = skb->protocol == bpf_htons(ETH_P_IP) || skb->protocol == bpf_htons(ETH_P_IPV6);
	ret = stt_tx_build(skb, st, &in, cfg, d->context, vlan, len, gso);
	if (ret)
		return ret;
	if (!gso && len + ovh > mtu)
		return stt_tx_to_cut(skb, st, &in, cfg, d->context, uc_remote, flood, len);
	if (gso) {
		if ((ret = stt_tx_gso(skb, st)) || (ret = stt_tx_gso_fit(skb, ovh, mtu)))
			return ret;
		stt_count(STT_C_TX_GSO_FRAMES, 1);
	} else if (bpf_skb_change_head(
		       skb, st->v6 ? sizeof(struct stt_encap6) : sizeof(struct stt_encap4), 0)) {
		return stt_ret_drop(STT_DROP_TX_ERROR);
	}
	return stt_tx_out(skb, st, cfg, d, uc_remote, flood, segs, len);
}

SEC("tc")
int stt_tc_tx(struct __sk_buff *skb)
{
	const struct stt_cfg *cfg = stt_get_cfg();
	struct stt_drop_ctx d = {};
	int ret;

	if (!cfg || !cfg->ifindex) {
		ret = stt_ret_drop(STT_DROP_TX_NO_UNDERLAY);
	} else if (skb->mark == STT_MARK_FRESH || skb->mark == STT_MARK_ADVANCE) {
		/* A pass of a frame this program is cutting: every drop counts for its context. */
		d.what = STT_DIR_TX | STT_ACC_DROP;
		ret = stt_tx_cut(skb, cfg, &d.context);
	} else {
		ret = stt_tx_frame(skb, cfg, &d);
	}
	if (stt_is_drop(ret))
		return stt_drop_exit(ret, &d, TC_ACT_SHOT);
	return ret;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

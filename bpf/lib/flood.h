/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Sending an encapsulated frame: to its remote or, one copy each, to every flood target of
 * its context (unknown unicast, broadcast, multicast); now (stt_tx_out) or, for a frame to
 * be cut, through the vport (stt_tx_to_cut).
 */
#ifndef STT_BPF_FLOOD_H
#define STT_BPF_FLOOD_H

#include "cut.h"
#include "outer.h"

/*
 * Send a copy to every flood target. A frame to be cut (cut) gets each target's headers
 * and goes back into the vport's ingress (ifindex) to be cut; any other is sent. A copy
 * that cannot go is dropped and counted, the others still go. segs, len: the frame's
 * segments and bytes. Returns the last copy's verdict, TC_ACT_SHOT when it did not go, or
 * a drop for the whole frame (a failed header write of a frame to be cut).
 */
static __always_inline int stt_tx_flood(struct __sk_buff *skb, struct stt_tx_state *st,
                                        const struct stt_flood_val *flood,
                                        const struct stt_cfg *cfg, __u64 context, __u32 ifindex,
                                        __u32 segs, __u32 len, int cut)
{
	__u32 count = flood->count, i;
	__be32 remote;
	long rc;

	if (count > STT_MAX_FLOOD)
		count = STT_MAX_FLOOD;
	for (i = 0; i < STT_MAX_FLOOD; i++) {
		int last = i + 1 >= count;

		if (i >= count)
			break;
		remote = flood->remote4[i];
		if (cut) {
			rc = stt_tx_cut_hdr(skb, st, remote);
			if (rc == stt_ret_drop(STT_DROP_TX_ERROR))
				return rc;
		} else if (stt_remote_is6(remote) != st->v6) {
			rc = stt_ret_drop(STT_DROP_TX_FAMILY);
		} else {
			rc = stt_tx_one(skb, st, remote, last, cfg);
		}
		if (stt_is_drop(rc)) {
			stt_drop_count(rc);
			if (!cut)
				stt_ctx_account(context, STT_DIR_TX | STT_ACC_DROP, 0, 0);
			if (!cut && rc != stt_ret_drop(STT_DROP_TX_FAMILY))
				stt_remote_account(remote, STT_DIR_TX | STT_ACC_DROP, 0, 0);
			continue;
		}
		stt_count(STT_C_TX_FLOOD_COPIES, 1);
		if (cut) {
			stt_remote_account(remote, STT_DIR_TX | STT_ACC_FRAME, 0, len);
			skb->mark = STT_MARK_FRESH;
			if (last)
				return bpf_redirect(ifindex, BPF_F_INGRESS);
			bpf_clone_redirect(skb, ifindex, BPF_F_INGRESS);
			skb->mark = 0;
			continue;
		}
		stt_count(STT_C_TX_SEGMENTS, 1);
		stt_ctx_account(context, STT_DIR_TX, segs, 0);
		stt_remote_account(remote, STT_DIR_TX | STT_ACC_FRAME, segs, len);
		if (last)
			return rc;
	}
	return TC_ACT_SHOT;
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

#endif

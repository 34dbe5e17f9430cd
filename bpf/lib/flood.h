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
#include "gue_tx.h"

/*
 * One copy to one remote: GUE (a GUE pass, st->kind says which) or STT. gue is a constant
 * at every call site, so that the verifier walks only the one that can happen.
 */
static __always_inline long stt_tx_copy(struct __sk_buff *skb, struct stt_tx_state *st,
                                        __be32 remote, int last, const struct stt_cfg *cfg, int gue)
{
	if (gue)
		return stt_tx_gue_one(skb, st, remote, last, cfg);
	return stt_tx_one(skb, st, remote, last, cfg);
}

/* Whether copies of a kind after this pass's are still to go: then no copy here is last. */
static __always_inline int stt_tx_more(const struct stt_tx_state *st)
{
	return !st->one_kind && (st->kinds & ~(st->kind | (st->kind - 1)));
}

#define STT_FC_CUT 0x1 /* the frame is to be cut: headers written, back into the vport */
#define STT_FC_GUE 0x2 /* a GUE pass (st->kind) */

/*
 * The copy of a frame to flood target i of st->flood (how: STT_FC_*). A copy that cannot go
 * is dropped and counted (STT_CONTINUE), and so is one of another kind than the pass's in a
 * GSO frame (types.h); one of another kind in a frame with more passes is left to its pass.
 * Returns STT_CONTINUE (a clone went, or the copy was dropped), the verdict of the last
 * copy (the skb itself went), or a drop for the whole frame (a failed header write of a frame to be
 * cut). A global function: the verifier checks it once, not once per target and per path of its
 * callers.
 */
__noinline int stt_tx_flood_copy(struct __sk_buff *skb, struct stt_tx_state *st,
                                 const struct stt_cfg *cfg, __u32 i, __u32 how)
{
	int cut = how & STT_FC_CUT, last;
	__u8 kind;
	__be32 remote;
	long rc;

	if (!st || !cfg || i >= STT_MAX_FLOOD)
		return STT_CONTINUE;
	kind = (how & STT_FC_GUE) ? st->kind : STT_KIND_STT;
	last = i == st->last_of[kind & 7] && !stt_tx_more(st);
	remote = st->flood.remote4[i];
	if (st->kind_of[i] != kind) {
		if (!st->one_kind)
			return STT_CONTINUE;
		rc = stt_ret_drop(STT_DROP_TX_FLOOD_ENCAP);
	} else if (cut) {
		rc = stt_tx_cut_hdr(skb, st, remote);
		if (rc == stt_ret_drop(STT_DROP_TX_ERROR))
			return rc;
	} else if (stt_remote_is6(remote) != st->v6) {
		rc = stt_ret_drop(STT_DROP_TX_FAMILY);
	} else if (how & STT_FC_GUE) {
		rc = stt_tx_gue_one(skb, st, remote, last, cfg);
	} else {
		rc = stt_tx_one(skb, st, remote, last, cfg);
	}
	if (stt_is_drop(rc)) {
		stt_drop_count(rc);
		if (!cut)
			stt_ctx_account(st->context, STT_DIR_TX | STT_ACC_DROP, 0, 0);
		if (!cut && rc != stt_ret_drop(STT_DROP_TX_FAMILY))
			stt_remote_account(remote, STT_DIR_TX | STT_ACC_DROP, 0, 0);
		return STT_CONTINUE;
	}
	stt_count(STT_C_TX_FLOOD_COPIES, 1);
	if (cut) {
		stt_remote_account(remote, STT_DIR_TX | STT_ACC_FRAME, 0, st->len);
		skb->mark = STT_MARK_FRESH;
		if (last)
			return bpf_redirect(skb->ifindex, BPF_F_INGRESS);
		bpf_clone_redirect(skb, skb->ifindex, BPF_F_INGRESS);
		skb->mark = 0;
		return STT_CONTINUE;
	}
	stt_count(STT_C_TX_SEGMENTS, 1);
	stt_ctx_account(st->context, STT_DIR_TX, st->segs, 0);
	stt_remote_account(remote, STT_DIR_TX | STT_ACC_FRAME, st->segs, st->len);
	return last ? rc : STT_CONTINUE;
}

/*
 * Send a copy to every flood target of st->flood in the pass's encapsulation (gue: a GUE
 * pass). A frame to be cut (cut) gets each target's headers and goes back into the vport's
 * ingress to be cut; any other is sent. Returns the last copy's verdict, TC_ACT_SHOT when
 * it did not go, or a drop for the whole frame.
 */
static __always_inline int stt_tx_flood(struct __sk_buff *skb, struct stt_tx_state *st,
                                        const struct stt_cfg *cfg, int cut, int gue)
{
	__u32 count = st->flood.count, how = (cut ? STT_FC_CUT : 0) | (gue ? STT_FC_GUE : 0), i;
	int rc;

	for (i = 0; i < STT_MAX_FLOOD; i++) {
		if (i >= count)
			break;
		rc = stt_tx_flood_copy(skb, st, cfg, i, how);
		if (rc != STT_CONTINUE)
			return rc;
	}
	return TC_ACT_SHOT;
}

/*
 * Room in front of a non-GSO frame for the headers of a pass of kind k: the head grows
 * by what the previous pass did not already add. Returns 0 or nonzero on failure.
 */
static __always_inline long stt_tx_grow_head(struct __sk_buff *skb, struct stt_tx_state *st, __u8 k)
{
	__u32 hlen = stt_kind_hlen(k, st->v6);

	if (hlen < st->head || hlen - st->head > 128)
		return -1;
	if (hlen > st->head && bpf_skb_change_head(skb, hlen - st->head, 0))
		return -1;
	st->head = hlen;
	st->kind = k;
	return 0;
}

/* A frame's own counters, once whatever passes it takes. */
static __always_inline void stt_tx_account_frame(const struct stt_tx_state *st, __u64 context,
                                                 int ctx_now, __u32 len)
{
	stt_count(STT_C_TX_FRAMES, 1);
	stt_count(STT_C_TX_BYTES, len);
	if (st->v6)
		stt_count(STT_C_TX_FRAMES6, 1);
	if (st->kinds & (STT_KIND_GUE | STT_KIND_GUEC))
		stt_count(STT_C_TX_GUE_FRAMES, 1);
	/* Else the context counts once the frame went (stt_tx_out), with its segments. */
	if (ctx_now)
		stt_ctx_account(context, STT_DIR_TX | STT_ACC_FRAME, 0, len);
}

/*
 * A frame to be cut (lib/cut.h): complete its inner checksum, put the outer headers of
 * each remote in front and send it back into the vport's ingress, where stt_tx_cut takes
 * it pass by pass. A checksum completed here is one the sender vouches for: the STT header
 * says "checksum verified" (draft 3.1), which lets the receiver deliver the pieces of a TCP
 * segment on their own (piece.h); one the tenant completed itself is not flagged.
 */
static __always_inline int stt_tx_to_cut(struct __sk_buff *skb, struct stt_tx_state *st,
                                         const struct stt_inner *in, const struct stt_cfg *cfg,
                                         __be32 uc_remote, __u32 len)
{
	struct stt_encap4 *hp = &st->h;
	__u32 ifindex = skb->ifindex;

	if (in->flags & STT_F_CSUM_PARTIAL) {
		if (stt_tx_complete_csum(skb))
			return stt_ret_drop(STT_DROP_TX_ERROR);
		hp->stt.flags = (hp->stt.flags & ~STT_F_CSUM_PARTIAL) | STT_F_CSUM_VERIFIED;
	}
	hp->stt.l4_offset = 0;
	st->h6.stt = hp->stt;
	if (stt_tx_grow_head(skb, st, STT_KIND_STT))
		return stt_ret_drop(STT_DROP_TX_ERROR);
	stt_count(STT_C_TX_CUT_FRAMES, 1);
	if (!uc_remote)
		return stt_tx_flood(skb, st, cfg, 1, 0);
	if (stt_is_drop(stt_tx_cut_hdr(skb, st, uc_remote)))
		return stt_ret_drop(st->v6 ? STT_DROP_TX_NO_REMOTE6 : STT_DROP_TX_ERROR);
	stt_remote_account(uc_remote, STT_DIR_TX | STT_ACC_FRAME, 0, len);
	skb->mark = STT_MARK_FRESH;
	return bpf_redirect(ifindex, BPF_F_INGRESS);
}

/* Send a frame whose outer headers are built: to its remote, or to every flood target. */
static __always_inline int stt_tx_out(struct __sk_buff *skb, struct stt_tx_state *st,
                                      const struct stt_cfg *cfg, struct stt_drop_ctx *d,
                                      __be32 uc_remote, __u32 segs, __u32 len, int gue)
{
	long rc;

	if (!uc_remote)
		return stt_tx_flood(skb, st, cfg, 0, gue);
	/* The context's counters: one update for the frame, sent or dropped. */
	rc = stt_tx_copy(skb, st, uc_remote, 1, cfg, gue);
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

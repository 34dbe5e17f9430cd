/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Flooding at transmit: one copy of a frame to every flood target of its context (unknown
 * unicast, broadcast, multicast), sent now or, for a frame to be cut, through the vport.
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

#endif

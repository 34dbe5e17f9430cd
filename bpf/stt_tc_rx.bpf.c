// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * stt_tc_rx: TC ingress of the underlay, after XDP and GRO. It decapsulates whole frames to
 * the vport of their Context ID (lib/deliver.h), delivers pieces of TSO frames or hands
 * other pieces to sttd (lib/piece.h), answers OAM probes (lib/oam.h), and consumes every
 * STT segment, so that none ever reaches the host's TCP stack (which would answer it with
 * a RST). What is not STT goes on (STT_TC_PASS), ICMP about our segments read on the way.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "stt_proto.h"
#define STT_MAPS_TC_RX
#include "lib/maps.h"
#include "lib/defs.h"
#include "lib/drop.h"
#include "lib/parse.h"
#include "lib/deliver.h"
#include "lib/learn.h"
#include "lib/oam.h"
#include "lib/piece.h"
#include "lib/pmtu.h"

/*
 * Classify an underlay packet (lib/parse.h). Returns STT_RX_NOT_STT, _SEGMENT, _FRAME or
 * a drop. Without the XDP program (a veth underlay), this counts what XDP would have.
 */
static __always_inline int stt_tc_rx_parse(struct __sk_buff *skb, const struct stt_cfg *cfg,
                                           struct stt_rx *rx)
{
	void *data = stt_skb_data(skb), *data_end = stt_skb_data_end(skb);
	enum stt_drop reason = STT_DROP_RX_ERROR;
	int v = stt_rx_parse(data, data_end, skb->len, cfg, rx, &reason);

	if (!(cfg->flags & STT_CFG_XDP)) {
		if (v == STT_RX_NOT_STT)
			stt_count(STT_C_PASS, 1);
		else
			stt_count(STT_C_RX_SEGMENTS, skb->gso_segs ? skb->gso_segs : 1);
	}
	return v == STT_RX_DROP ? stt_ret_drop(reason) : v;
}

/*
 * A segment GRO did not make a whole frame of: delivered as a TCP segment if it is a
 * piece of a TSO frame (stt_rx_piece), else handed to sttd. Returns a verdict or a drop.
 */
static __always_inline int stt_rx_segment(struct __sk_buff *skb, struct stt_rx *rx,
                                          const struct stt_cfg *cfg)
{
	int to = stt_rx_piece(skb, rx, cfg);

	if (to > 0) {
		stt_remote_account(rx->saddr, STT_DIR_RX, 1, 0);
		return bpf_redirect(to, 0);
	}
	if (stt_is_drop(to))
		return to;
	return stt_rx_to_sttd(skb, rx);
}

/*
 * What a whole frame's encapsulation says: its context, MSS (a TSO frame's; GUE: nonzero
 * for a GSO skb, which only a TCP burst can be) and VLAN field. Returns 0 or a drop.
 */
static __always_inline int stt_rx_encap_fields(struct __sk_buff *skb, struct stt_rx *rx,
                                               __u64 *context, __be16 *mss, __u16 *vlan)
{
	void *data = stt_skb_data(skb), *data_end = stt_skb_data_end(skb);
	struct stt_hdr *stt = stt_rx_hdr(data, rx);

	if (rx->gue) {
		/* A nonzero UDP checksum counts only if the stack verified it (the NIC or GRO). */
		if (rx->gue_csum && bpf_csum_level(skb, BPF_CSUM_LEVEL_QUERY) < 0)
			return stt_ret_drop(STT_DROP_GUE_UDP_CSUM);
		*context = rx->gue_key;
		*mss = skb->gso_size ? 1 : 0;
		*vlan = 0;
		return stt_rx_gue_gso_ok(skb, rx);
	}
	if ((void *)(stt + 1) > data_end)
		return stt_ret_drop(STT_DROP_TRUNCATED);
	*context = bpf_be64_to_cpu(stt->context_id);
	*mss = stt->mss;
	*vlan = bpf_ntohs(stt->vlan_tci);
	return 0;
}

/*
 * A whole frame: to its context's vport, unless the sender is not a peer, it is OAM, or
 * its ECN says drop. Returns a verdict or a drop (counted for the context by d).
 */
static __always_inline int stt_rx_frame(struct __sk_buff *skb, struct stt_rx *rx,
                                        const struct stt_cfg *cfg, struct stt_drop_ctx *d)
{
	__u32 inner_off = stt_rx_inner_off(rx), inner_len = stt_rx_inner_len(rx), segs;
	const struct stt_ctx_val *vp;
	struct stt_eth inner_eth;
	__u64 context;
	__be16 mss;
	__u16 vlan;
	int ret;

	ret = stt_rx_encap_fields(skb, rx, &context, &mss, &vlan);
	if (ret)
		return ret;
	if (inner_off > 128 || bpf_skb_load_bytes(skb, inner_off, &inner_eth, sizeof(inner_eth)))
		return stt_ret_drop(STT_DROP_TRUNCATED);
	vp = stt_rx_context(cfg, context, rx->saddr, d, &ret);
	if (!vp)
		return ret;
	if (stt_is_oam(&inner_eth))
		return rx->gue ? stt_ret_drop(STT_DROP_OAM_BAD) : stt_rx_oam(skb, rx, cfg);
	segs = skb->gso_segs ? skb->gso_segs : 1; /* before adjusting room zeroes it */
	if (stt_learns(vp->flags, inner_eth.src, rx->saddr))
		stt_learn_mac(context, inner_eth.src, rx->saddr);
	/* GRO merges only segments with the same TOS: one CE segment keeps its frame apart. */
	if (inner_len >= STT_SMALL_INNER) {
		ret = stt_rx_tos(skb, inner_off + sizeof(inner_eth), inner_eth.proto, rx->tos,
		                 cfg->dscp);
		if (ret)
			return stt_ret_drop_ctx(d, ret, context, STT_DIR_RX | STT_ACC_DROP);
	}
	ret = stt_rx_decap(skb, rx, &inner_eth, inner_len, mss);
	if (ret)
		return ret;
	if (stt_rx_vlan(skb, vp->flags, vlan))
		return stt_ret_drop(STT_DROP_RX_ERROR);
	if (rx->gue)
		stt_count(STT_C_RX_GUE_FRAMES, 1);
	stt_rx_account_frame(context, rx->saddr, rx->v6, segs, inner_len);
	return bpf_redirect(vp->ifindex, 0);
}

SEC("tc")
int stt_tc_rx(struct __sk_buff *skb)
{
	const struct stt_cfg *cfg = stt_get_cfg();
	struct stt_drop_ctx d = {};
	struct stt_rx rx = {};
	__u32 len = skb->len;
	int ret;

	if (!cfg || !cfg->ifindex)
		return STT_TC_PASS;
	if (bpf_skb_pull_data(skb, len < STT_RX_PULL ? len : STT_RX_PULL))
		return STT_TC_PASS;
	ret = stt_tc_rx_parse(skb, cfg, &rx);
	if (ret == STT_RX_NOT_STT) {
		stt_rx_not_stt(skb, cfg);
		return STT_TC_PASS;
	}
	if (ret == STT_RX_SEGMENT)
		ret = stt_rx_segment(skb, &rx, cfg);
	else if (ret == STT_RX_FRAME)
		ret = stt_rx_frame(skb, &rx, cfg, &d);
	if (stt_is_drop(ret))
		return stt_drop_exit(ret, &d, TC_ACT_SHOT);
	return ret;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * stt_xdp_rx: the first look at every packet on the underlay.
 *
 * Non-STT traffic passes untouched. Malformed STT is dropped here, before the stack spends
 * anything on it. A whole single-segment frame for a vport that allows it (STT_VPORT_XDP) is
 * decapsulated and redirected straight to that vport; everything else that is STT goes on to
 * GRO and the TC program (stt_tc_rx), which never lets it reach the host's TCP.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "stt_proto.h"
#include "lib/maps.h"
#include "lib/defs.h"
#include "lib/drop.h"
#include "lib/learn.h"
#include "lib/oam.h"
#include "lib/parse.h"
#include "stt_tos.h"

/*
 * What decapsulation must do to the inner TOS (include/stt_tos.h): STT_CONTINUE nothing,
 * a drop (CE outside a Not-ECT packet), XDP_PASS to rewrite it (left to TC, which fixes
 * the IPv4 checksum).
 */
static __always_inline int stt_xdp_tos(struct stt_eth *eth, void *data_end, __u8 outer, __u8 dscp)
{
	__u8 *ip = (void *)(eth + 1), tos;
	int t;

	if ((void *)(ip + 2) > data_end || !stt_ip_tos_get(bpf_ntohs(eth->proto), ip, &tos))
		return STT_CONTINUE;
	t = stt_decap_tos(outer, tos, dscp);
	return t < 0 ? stt_ret_drop(STT_DROP_ECN_CE_NOT_ECT) : t != tos ? XDP_PASS : STT_CONTINUE;
}

/*
 * Whether XDP may deliver the frame itself, or leaves it to TC: TC decapsulates whatever
 * the vport's peer does, keeps a partial inner checksum's skb state (a local veth keeps
 * CHECKSUM_PARTIAL; XDP would lose it and the tenant would drop the packet as corrupt),
 * restores VLAN tags (skb metadata), and judges a GUE datagram's UDP checksum.
 */
static __always_inline int stt_xdp_can_deliver(struct xdp_md *ctx, const struct stt_ctx_val *vp,
                                               const struct stt_rx *rx, const struct stt_hdr *stt,
                                               void *data, void *data_end)
{
	if (!(vp->flags & STT_VPORT_XDP) || (vp->flags & STT_VPORT_VLAN) ||
	    (void *)data_end - data != bpf_xdp_get_buff_len(ctx))
		return 0;
	if (rx->gue)
		return !rx->gue_csum;
	return !(stt->flags & STT_F_CSUM_PARTIAL) && !(stt->vlan_tci & bpf_htons(STT_VLAN_V));
}

/* A whole frame (STT or GUE): checks as TC makes them, then delivered here or left to TC. */
static __always_inline int stt_xdp_frame(struct xdp_md *ctx, const struct stt_cfg *cfg,
                                         struct stt_rx *rx, struct stt_drop_ctx *d)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct stt_hdr *stt = stt_rx_hdr(data, rx);
	const struct stt_ctx_val *vp;
	struct stt_eth *ie;
	__u64 context;
	int ret;

	if (rx->gue) {
		context = rx->gue_key;
		ie = data + (rx->outer_len & 0x7f);
	} else {
		if ((void *)(stt + 1) > data_end)
			return XDP_PASS;
		context = bpf_be64_to_cpu(stt->context_id);
		ie = (void *)(stt + 1);
	}
	if ((void *)(ie + 1) > data_end)
		return XDP_PASS;
	vp = stt_rx_context(cfg, context, rx->saddr, d, &ret);
	if (!vp)
		return ret;
	/* OAM (sttctl ping): TC answers or consumes it; never a tenant's. */
	if (stt_is_oam(ie))
		return XDP_PASS;
	if (stt_learns(vp->flags, ie->src, rx->saddr))
		stt_learn_mac(context, ie->src, rx->saddr);
	ret = stt_xdp_tos(ie, data_end, rx->tos, cfg->dscp);
	if (stt_is_drop(ret))
		return stt_ret_drop_ctx(d, ret, context, STT_DIR_RX | STT_ACC_DROP);
	if (ret != STT_CONTINUE || !stt_xdp_can_deliver(ctx, vp, rx, stt, data, data_end))
		return XDP_PASS;
	if (bpf_xdp_adjust_head(ctx, stt_rx_inner_off(rx)))
		return stt_ret_drop(STT_DROP_RX_ERROR);
	stt_count(STT_C_RX_XDP_FRAMES, 1);
	if (rx->gue)
		stt_count(STT_C_RX_GUE_FRAMES, 1);
	stt_rx_account_frame(context, rx->saddr, rx->v6, 1, stt_rx_inner_len(rx));
	return bpf_redirect(vp->ifindex, 0);
}

SEC("xdp.frags")
int stt_xdp_rx(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	const struct stt_cfg *cfg = stt_get_cfg();
	enum stt_drop reason = STT_DROP_RX_ERROR;
	struct stt_drop_ctx d = {};
	struct stt_rx rx = {};
	int ret;

	if (!cfg || !cfg->ifindex)
		return XDP_PASS;
	/* Multi-buffer packets (xdp.frags): the headers are in the first buffer. */
	ret = stt_rx_parse(data, data_end, bpf_xdp_get_buff_len(ctx), cfg, &rx, &reason);
	if (ret == STT_RX_NOT_STT) {
		stt_count(STT_C_PASS, 1);
		return XDP_PASS;
	}
	if (ret == STT_RX_DROP)
		return stt_drop_exit(stt_ret_drop(reason), &d, XDP_DROP);
	stt_count(STT_C_RX_SEGMENTS, 1);
	if (ret == STT_RX_SEGMENT)
		return XDP_PASS; /* GRO and TC take it from here */
	ret = stt_xdp_frame(ctx, cfg, &rx, &d);
	if (stt_is_drop(ret))
		return stt_drop_exit(ret, &d, XDP_DROP);
	return ret;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

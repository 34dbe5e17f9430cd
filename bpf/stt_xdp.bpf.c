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
#include "lib/parse.h"
#include "stt_tos.h"

/*
 * What decapsulation must do to the inner TOS (include/stt_tos.h): 0 nothing, 1 drop (CE
 * outside a Not-ECT packet), 2 rewrite it (left to TC, which fixes the IPv4 checksum).
 */
static __always_inline int stt_xdp_tos(struct stt_hdr *stt, void *data_end, __u8 outer,
				       __u8 dscp)
{
	struct stt_eth *eth = (void *)(stt + 1);
	__u8 *ip = (void *)(eth + 1), tos;
	int t;

	if ((void *)(ip + 2) > data_end || !stt_ip_tos_get(bpf_ntohs(eth->proto), ip, &tos))
		return 0;
	t = stt_decap_tos(outer, tos, dscp);
	return t < 0 ? 1 : t != tos ? 2 : 0;
}

SEC("xdp.frags")
int stt_xdp_rx(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	const struct stt_cfg *cfg = stt_get_cfg();
	enum stt_drop reason = STT_DROP_RX_ERROR;
	const struct stt_ctx_val *vp;
	struct stt_hdr *stt;
	struct stt_rx rx = {};
	__u64 context;
	int v;

	if (!cfg || !cfg->ifindex)
		return XDP_PASS;

	/* Multi-buffer packets (xdp.frags): the headers are in the first buffer. */
	v = stt_rx_parse(data, data_end, bpf_xdp_get_buff_len(ctx), cfg, &rx, &reason);
	switch (v) {
	case STT_RX_NOT_STT:
		stt_count(STT_C_PASS, 1);
		return XDP_PASS;
	case STT_RX_DROP:
		stt_drop(reason);
		return XDP_DROP;
	case STT_RX_SEGMENT:
		stt_count(STT_C_RX_SEGMENTS, 1);
		return XDP_PASS; /* GRO and TC take it from here */
	}

	stt_count(STT_C_RX_SEGMENTS, 1);
	stt = stt_rx_hdr(data, &rx);
	if ((void *)(stt + 1) > data_end)
		return XDP_PASS;
	context = bpf_be64_to_cpu(stt->context_id);
	vp = bpf_map_lookup_elem(&stt_contexts, &context);
	if (!vp) {
		stt_drop(STT_DROP_UNKNOWN_CTX);
		return XDP_DROP;
	}
	if (stt_peer_denied(cfg, vp, context, rx.saddr)) {
		stt_drop(STT_DROP_PEER_DENIED);
		stt_ctx_account(context, STT_DIR_RX | STT_ACC_DROP, 0, 0);
		return XDP_DROP;
	}
	{
		/* OAM (sttctl ping): TC answers or consumes it; never a tenant's. */
		struct stt_eth *ie = (void *)(stt + 1);

		if ((void *)(ie + 1) <= data_end && stt_is_oam(ie))
			return XDP_PASS;
	}
	if (vp->flags & STT_VPORT_LEARN) {
		struct stt_eth *ie = (void *)(stt + 1);

		if ((void *)(ie + 1) <= data_end)
			stt_learn_mac(context, ie->src, rx.saddr);
	}
	switch (stt_xdp_tos(stt, data_end, rx.tos, cfg->dscp)) {
	case 1:
		stt_drop(STT_DROP_ECN_CE_NOT_ECT);
		stt_ctx_account(context, STT_DIR_RX | STT_ACC_DROP, 0, 0);
		return XDP_DROP;
	case 2:
		return XDP_PASS; /* TC rewrites the inner TOS */
	}
	if (!(vp->flags & STT_VPORT_XDP) || (vp->flags & STT_VPORT_VLAN) ||
	    (void *)data_end - data != bpf_xdp_get_buff_len(ctx))
		return XDP_PASS; /* TC decapsulates: works whatever the vport's peer does */
	/*
	 * An inner checksum the sender left partial may still be partial here (a local veth
	 * keeps the skb's CHECKSUM_PARTIAL state; XDP would lose it and the tenant would drop
	 * the packet as corrupt). TC keeps that state: let it deliver.
	 */
	if (stt->flags & STT_F_CSUM_PARTIAL)
		return XDP_PASS;
	/* A VLAN tag to restore (V=1) is skb metadata: TC does that. */
	if (stt->vlan_tci & bpf_htons(STT_VLAN_V))
		return XDP_PASS;

	if (bpf_xdp_adjust_head(ctx, rx.outer_len + sizeof(struct stt_hdr))) {
		stt_drop(STT_DROP_RX_ERROR);
		return XDP_DROP;
	}
	stt_count(STT_C_RX_FRAMES, 1);
	stt_count(STT_C_RX_XDP_FRAMES, 1);
	if (rx.v6)
		stt_count(STT_C_RX_FRAMES6, 1);
	stt_count(STT_C_RX_BYTES, rx.frame_len - sizeof(struct stt_hdr));
	stt_ctx_account(context, STT_DIR_RX | STT_ACC_FRAME, 1, rx.frame_len - sizeof(struct stt_hdr));
	stt_remote_account(rx.saddr, STT_DIR_RX | STT_ACC_FRAME, 1, rx.frame_len - sizeof(struct stt_hdr));
	return bpf_redirect(vp->ifindex, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

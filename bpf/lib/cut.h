/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Cut frames: frames that are not GSO but do not fit one segment, cut into segments by
 * stt_tc_tx itself, one pass per segment (stt_tx_cut).
 */
#ifndef STT_BPF_CUT_H
#define STT_BPF_CUT_H

#include "defs.h"
#include "cfg.h"
#include "drop.h"
#include "gso.h"
#include "outer.h"
#include "pmtu.h"

/*
 * A tenant with MTU 1500 sends 1514-byte frames over a 1500-byte underlay. BPF cannot turn
 * a skb into a GSO skb nor emit two packets from one, so each segment is a pass: the
 * encapsulated frame is redirected back into the vport's ingress marked STT_MARK_FRESH; a
 * pass sends one segment and, while bytes remain, re-injects a clone marked
 * STT_MARK_ADVANCE, whose pass first drops the bytes already sent. Each pass computes its
 * segment's outer checksum in full. The inner checksum is completed first (no segment
 * could complete it later).
 */
#define STT_MARK_FRESH   0x53545446 /* "STTF" */
#define STT_MARK_ADVANCE 0x53545441 /* "STTA" */

/* Segment payload of cut frames: what fits the MTU behind iplen + TCP, a multiple of 8. */
static __always_inline __u32 stt_seg_payload(__u32 mtu, __u32 iplen)
{
	return (mtu - iplen - sizeof(struct stt_tcp)) & ~7U;
}

/*
 * Complete a partial inner TCP/UDP checksum (IPv4 or IPv6) and leave the skb CHECKSUM_NONE.
 * Returns 0 or a drop (tx_error).
 */
static __noinline int stt_tx_complete_csum(struct __sk_buff *skb)
{
	void *data, *data_end;
	struct stt_ipv4 *ip;
	__u32 ihl, l4len, coff, h;
	__u8 proto;
	__u16 c;

	if (bpf_skb_pull_data(skb, skb->len < STT_TX_PULL ? skb->len : STT_TX_PULL))
		return stt_ret_drop(STT_DROP_TX_ERROR);
	data = stt_skb_data(skb);
	data_end = stt_skb_data_end(skb);
	ip = data + sizeof(struct stt_eth);
	if ((void *)(ip + 1) > data_end)
		return stt_ret_drop(STT_DROP_TX_ERROR);
	if (((struct stt_eth *)data)->proto == bpf_htons(ETH_P_IPV6)) {
		struct stt_ipv6 *ip6 = (void *)ip;

		if ((void *)(ip6 + 1) > data_end)
			return stt_ret_drop(STT_DROP_TX_ERROR);
		ihl = sizeof(*ip6);
		proto = ip6->nexthdr;
	} else {
		ihl = (ip->ver_ihl & 0x0f) * 4;
		proto = ip->protocol;
	}
	if (ihl < 20 || ihl > 60 || skb->len < sizeof(struct stt_eth) + ihl + 20)
		return stt_ret_drop(STT_DROP_TX_ERROR);
	l4len = skb->len - sizeof(struct stt_eth) - ihl;
	coff = sizeof(struct stt_eth) + ihl + (proto == IPPROTO_TCP ? 16 : 6);
	h = ihl + 20; /* enough to move past csum_start (stt_tx_to_none) */
	if (stt_tx_to_none(skb, h, 0, 0, 0) || bpf_skb_pull_data(skb, skb->len))
		return stt_ret_drop(STT_DROP_TX_ERROR);
	/* The field holds the pseudo-header seed: summing the span as it is completes it. */
	c = ~stt_csum_fold(stt_sum_bytes(skb, sizeof(struct stt_eth) + ihl, l4len));
	if (proto == IPPROTO_UDP && !c)
		c = 0xffff;
	if (bpf_skb_store_bytes(skb, coff & 0xff, &c, sizeof(c), 0))
		return stt_ret_drop(STT_DROP_TX_ERROR);
	return 0;
}

/*
 * Write the outer headers of a frame about to be cut (stt_tx_cut reads them back) for one
 * remote. Returns 0 or a drop: tx_family for a remote of the other family, tx_no_remote6
 * for an IPv6 index with no address behind it, tx_error when the write failed.
 */
static __noinline long stt_tx_cut_hdr(struct __sk_buff *skb, struct stt_tx_state *st, __be32 remote)
{
	const struct stt_addr6 *a;

	if (stt_remote_is6(remote) != st->v6)
		return stt_ret_drop(STT_DROP_TX_FAMILY);
	if (!st->v6) {
		st->h.ip.daddr = remote;
		if (bpf_skb_store_bytes(skb, 0, &st->h, sizeof(st->h), 0))
			return stt_ret_drop(STT_DROP_TX_ERROR);
		return 0;
	}
	if (!(a = stt_remote6_addr(remote)))
		return stt_ret_drop(STT_DROP_TX_NO_REMOTE6);
	__builtin_memcpy(st->h6.ip.daddr, a->a, 16);
	if (bpf_skb_store_bytes(skb, 0, &st->h6, sizeof(st->h6), 0))
		return stt_ret_drop(STT_DROP_TX_ERROR);
	return 0;
}

/*
 * Read back the outer headers stt_tc_tx wrote into c and check them (only frames this
 * program encapsulated come back marked; check anyway), and the frame's context (0 when
 * unreadable) for its counters. Returns 0 or a drop.
 */
static __always_inline int stt_cut_read(struct __sk_buff *skb, const struct stt_cfg *cfg,
                                        struct stt_cut_hdrs *c, __u64 *context, int *v6)
{
	__u32 zero = 0, hoff;
	__be16 proto;

	if (bpf_skb_load_bytes(skb, 12, &proto, 2))
		return stt_ret_drop(STT_DROP_TX_ERROR);
	*v6 = proto == bpf_htons(ETH_P_IPV6);
	hoff = *v6 ? offsetof(struct stt_encap6, stt) : offsetof(struct stt_encap4, stt);
	if (*v6 ? bpf_skb_load_bytes(skb, 0, &c->h6, offsetof(struct stt_encap6, stt))
	        : bpf_skb_load_bytes(skb, 0, &c->h4, offsetof(struct stt_encap4, stt)))
		return stt_ret_drop(STT_DROP_TX_ERROR);
	/* The context, for its counters: from the STT header this program wrote. */
	if (!bpf_skb_load_bytes(skb, hoff + 8, context, 8))
		*context = bpf_be64_to_cpu(*context);
	if (*v6) {
		const struct stt_cfg6 *c6 = bpf_map_lookup_elem(&stt_cfg6, &zero);

		if (!c6 || (c->h6.ip.ver_tc_flow[0] >> 4) != 6 || c->h6.ip.nexthdr != IPPROTO_TCP ||
		    !stt_addr6_eq(c->h6.ip.saddr, c6->local6.a))
			return stt_ret_drop(STT_DROP_TX_ERROR);
	} else if (proto != bpf_htons(ETH_P_IP) || c->h4.ip.ver_ihl != 0x45 ||
	           c->h4.ip.protocol != IPPROTO_TCP || c->h4.ip.saddr != cfg->local4) {
		return stt_ret_drop(STT_DROP_TX_ERROR);
	}
	return 0;
}

/*
 * An ADVANCE pass: drop the bytes the previous pass sent and put the IP/TCP headers, with
 * the new offset (a clone made later copies them), back in front. adjust_room moves at
 * most 0xfff bytes a call: jumbo underlays need up to three. Returns 0 or a drop.
 */
static __always_inline int stt_cut_advance(struct __sk_buff *skb, struct stt_cut_hdrs *c,
                                           struct stt_tcp *tcp, int v6, __u32 hoff, __u32 seg_max,
                                           __u32 *seq)
{
	__u32 left = seg_max;

	if (skb->len <= hoff + seg_max)
		return stt_ret_drop(STT_DROP_TX_ERROR);
	for (int i = 0; i < 4 && left; i++) {
		__u32 step = left > 0xfff ? 0xfff : left;

		if (bpf_skb_adjust_room(skb, -(__s32)step, BPF_ADJ_ROOM_MAC, 0))
			return stt_ret_drop(STT_DROP_TX_ERROR);
		left -= step;
	}
	*seq += seg_max;
	tcp->seq = bpf_htonl(*seq);
	if (left || (v6 ? bpf_skb_store_bytes(skb, sizeof(struct stt_eth), &c->h6.ip,
	                                      sizeof(c->h6.ip) + sizeof(c->h6.tcp), 0)
	                : bpf_skb_store_bytes(skb, sizeof(struct stt_eth), &c->h4.ip,
	                                      sizeof(c->h4.ip) + sizeof(c->h4.tcp), 0)))
		return stt_ret_drop(STT_DROP_TX_ERROR);
	return 0;
}

/* This pass's segment (seg bytes at hoff) behind its IP and TCP headers, checksums set. */
static __always_inline void stt_cut_seal(struct __sk_buff *skb, struct stt_cut_hdrs *c,
                                         struct stt_tcp *tcp, int v6, __u32 hoff, __u32 seg,
                                         __u32 seq, int last)
{
	const __u16 *w = (const __u16 *)tcp;
	__u64 sum;

	tcp->seq = bpf_htonl(seq);
	tcp->flags = STT_TCP_ACK | (last ? STT_TCP_PSH : 0);
	tcp->check = 0;
	if (v6) {
		c->h6.ip.payload_len = bpf_htons(sizeof(*tcp) + seg);
		sum = stt_sum6(c->h6.ip.saddr) + stt_sum6(c->h6.ip.daddr);
	} else {
		c->h4.ip.tot_len = bpf_htons(sizeof(c->h4.ip) + sizeof(*tcp) + seg);
		c->h4.ip.check = 0;
		c->h4.ip.check = stt_ipv4_csum(&c->h4.ip);
		sum = (__u64)c->h4.ip.saddr + c->h4.ip.daddr;
	}
	sum += stt_pseudo4_tail(IPPROTO_TCP, sizeof(*tcp) + seg);
#pragma unroll
	for (int i = 0; i < (int)sizeof(*tcp) / 2; i++)
		sum += w[i];
	sum += stt_sum_bytes(skb, hoff, seg);
	tcp->check = ~stt_csum_fold(sum);
}

/*
 * One pass of a cut frame (see STT_MARK_FRESH); the outer header is IPv4 or IPv6. Sets
 * *context (the caller's, for counting a drop) as soon as it is known.
 */
static __noinline int stt_tx_cut(struct __sk_buff *skb, const struct stt_cfg *cfg, __u64 *context)
{
	__u32 adv = skb->mark == STT_MARK_ADVANCE, zero = 0, seg_max, seq, rem, seg, hoff;
	struct stt_cut_hdrs *c;
	struct stt_tcp *tcp;
	__be32 remote;
	int last, v6, ret;
	long rc;

	skb->mark = 0;
	/* The headers live in a per-CPU scratch slot: this call chain's stack is full. */
	c = bpf_map_lookup_elem(&stt_cut_scratch, &zero);
	if (!c)
		return stt_ret_drop(STT_DROP_TX_ERROR);
	ret = stt_cut_read(skb, cfg, c, context, &v6);
	if (ret)
		return ret;
	hoff = v6 ? offsetof(struct stt_encap6, stt) : offsetof(struct stt_encap4, stt);
	tcp = v6 ? &c->h6.tcp : &c->h4.tcp;
	remote = v6 ? stt_remote6_of(c->h6.ip.daddr) : c->h4.ip.daddr;
	seg_max = stt_seg_payload(stt_remote_mtu(cfg, remote),
	                          v6 ? sizeof(struct stt_ipv6) : sizeof(struct stt_ipv4));
	if (tcp->dest != bpf_htons(cfg->port) || seg_max < 512 || skb->len <= hoff)
		return stt_ret_drop(STT_DROP_TX_ERROR);
	seq = bpf_ntohl(tcp->seq);
	if (adv && (ret = stt_cut_advance(skb, c, tcp, v6, hoff, seg_max, &seq)))
		return ret;
	rem = skb->len - hoff;
	last = rem <= seg_max;
	if (!last) {
		skb->mark = STT_MARK_ADVANCE;
		rc = bpf_clone_redirect(skb, skb->ifindex, BPF_F_INGRESS);
		skb->mark = 0;
		if (rc || bpf_skb_change_tail(skb, hoff + seg_max, 0))
			return stt_ret_drop(STT_DROP_TX_ERROR);
	}
	seg = last ? rem : seg_max;
	if (seg > STT_SUM_MAX || bpf_skb_pull_data(skb, skb->len))
		return stt_ret_drop(STT_DROP_TX_ERROR);
	stt_cut_seal(skb, c, tcp, v6, hoff, seg, seq, last);
	/* The skb's protocol is the outer one here (it re-entered as one): the kernel can resolve.
	 */
	if (v6)
		rc = stt_tx_send(skb, &c->h6, offsetof(struct stt_encap6, stt), cfg,
		                 STT_SEND_LAST | STT_SEND_IP);
	else
		rc = stt_tx_send(skb, &c->h4, offsetof(struct stt_encap4, stt), cfg,
		                 STT_SEND_LAST | STT_SEND_IP);
	rc = stt_tx_sent(rc);
	if (stt_is_drop(rc))
		return rc;
	stt_count(STT_C_TX_SEGMENTS, 1);
	stt_ctx_account(*context, STT_DIR_TX, 1, 0);
	stt_remote_account(remote, STT_DIR_TX, 1, 0);
	return rc;
}

#endif

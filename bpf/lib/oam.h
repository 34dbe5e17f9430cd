/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * OAM frames (sttctl ping, include/stt_proto.h): recognising them, both directions, and
 * answering probes at TC receive (stt_rx_oam, rate limited per CPU).
 */
#ifndef STT_BPF_OAM_H
#define STT_BPF_OAM_H

#include "defs.h"
#include "drop.h"
#include "parse.h"
#include "skb.h"

/* The reserved OAM MAC (include/stt_proto.h): only sttctl ping sends to it. */
static __always_inline int stt_is_oam_mac(const __u8 *m)
{
	const __u8 oam[6] = STT_OAM_MAC;

	return m[0] == oam[0] && m[1] == oam[1] && m[2] == oam[2] && m[3] == oam[3] &&
	       m[4] == oam[4] && m[5] == oam[5];
}

/* An OAM frame: CFM to the reserved MAC, answered or consumed by TC, never delivered. */
static __always_inline int stt_is_oam(const struct stt_eth *e)
{
	return e->proto == bpf_htons(STT_OAM_ETHERTYPE) && stt_is_oam_mac(e->dst);
}

#ifdef STT_MAPS_TC_RX
/* True when this CPU may send one more OAM reply this second (STT_OAM_RATE). */
static __always_inline int stt_oam_allowed(void)
{
	__u32 zero = 0;
	struct stt_oam_rate *r = bpf_map_lookup_elem(&stt_oam_rate, &zero);
	__u64 now = bpf_ktime_get_ns() / 1000000000ULL;

	if (!r)
		return 0;
	if (r->second != now) {
		r->second = now;
		r->sent = 0;
	}
	if (r->sent >= STT_OAM_RATE)
		return 0;
	r->sent++;
	return 1;
}

/* The outer headers of an answer: MACs and addresses swapped, a fresh TTL. */
static __always_inline int stt_oam_swap(struct __sk_buff *skb, const struct stt_rx *rx,
                                        const struct stt_cfg *cfg, struct stt_eth *eth,
                                        struct stt_ipv4 *ip, struct stt_ipv6 *ip6)
{
	__u8 mac[6];
	__be32 a;

	__builtin_memcpy(mac, eth->dst, 6);
	__builtin_memcpy(eth->dst, eth->src, 6);
	__builtin_memcpy(eth->src, mac, 6);
	if (rx->v6) {
		for (int k = 0; k < 4; k++) {
			a = ip6->saddr[k];
			ip6->saddr[k] = ip6->daddr[k];
			ip6->daddr[k] = a;
		}
		ip6->hop_limit = cfg->ttl ? cfg->ttl : 64;
		return bpf_skb_store_bytes(skb, 14, ip6, sizeof(*ip6), 0);
	}
	a = ip->saddr;
	ip->saddr = ip->daddr;
	ip->daddr = a;
	ip->ttl = cfg->ttl ? cfg->ttl : 64;
	ip->check = 0;
	ip->check = stt_ipv4_csum(ip);
	return bpf_skb_store_bytes(skb, 14, ip, sizeof(*ip), 0);
}

/*
 * An OAM frame: a CFM Loopback Message is answered in place (outer MACs and addresses
 * swapped, opcode 3 -> 2, sent back out of the underlay); a Loopback Reply is consumed
 * (sttctl ping saw it on its packet socket). Nothing reaches a tenant. Only a whole
 * one-segment frame whose outer TCP checksum is right gets an answer.
 */
static __noinline int stt_rx_oam(struct __sk_buff *skb, struct stt_rx *rx,
                                 const struct stt_cfg *cfg)
{
	__u32 iplen = rx->v6 ? sizeof(struct stt_ipv6) : sizeof(struct stt_ipv4);
	__u32 l4 = sizeof(struct stt_eth) + iplen;
	__u32 cfm = l4 + sizeof(struct stt_tcp) + sizeof(struct stt_hdr) + sizeof(struct stt_eth);
	__u32 tcp_len = rx->payload_len + sizeof(struct stt_tcp);
	struct stt_eth eth;
	struct stt_ipv4 ip;
	struct stt_ipv6 ip6;
	__u8 w[2], nw[2];
	__u64 sum;

	if (skb->gso_size || rx->seg_off || rx->payload_len != rx->frame_len ||
	    rx->outer_len != l4 + sizeof(struct stt_tcp) || rx->frame_len < 18 + 14 + 9 ||
	    tcp_len > 256 || bpf_skb_load_bytes(skb, cfm & 0xff, w, 2) || (w[0] >> 5) != 0)
		return stt_ret_drop(STT_DROP_OAM_BAD);
	if (w[1] == STT_CFM_LBR) {
		stt_count(STT_C_OAM_REPLIES, 1);
		return TC_ACT_SHOT;
	}
	if (w[1] != STT_CFM_LBM || bpf_skb_load_bytes(skb, 0, &eth, sizeof(eth)))
		return stt_ret_drop(STT_DROP_OAM_BAD);
	/* The whole segment must sum right: never answer a forged or damaged probe. */
	if (rx->v6) {
		if (bpf_skb_load_bytes(skb, 14, &ip6, sizeof(ip6)))
			return stt_ret_drop(STT_DROP_OAM_BAD);
		sum = stt_sum6(ip6.saddr) + stt_sum6(ip6.daddr);
	} else {
		if (bpf_skb_load_bytes(skb, 14, &ip, sizeof(ip)))
			return stt_ret_drop(STT_DROP_OAM_BAD);
		sum = (__u64)ip.saddr + ip.daddr;
	}
	sum += stt_pseudo4_tail(IPPROTO_TCP, tcp_len);
	sum += stt_sum_bytes(skb, l4, tcp_len);
	if (stt_csum_fold(sum) != 0xffff)
		return stt_ret_drop(STT_DROP_OAM_BAD);
	if (!stt_oam_allowed())
		return stt_ret_drop(STT_DROP_OAM_RATE);
	if (stt_oam_swap(skb, rx, cfg, &eth, &ip, &ip6))
		return stt_ret_drop(STT_DROP_OAM_BAD);
	nw[0] = w[0];
	nw[1] = STT_CFM_LBR;
	/* Swapped addresses leave the pseudo header's sum as it was: only the opcode moves. */
	if (bpf_skb_store_bytes(skb, 0, &eth, sizeof(eth), 0) ||
	    bpf_l4_csum_replace(skb, (l4 + 16) & 0xff, *(__u16 *)w, *(__u16 *)nw, 2) ||
	    bpf_skb_store_bytes(skb, cfm & 0xff, nw, 2, 0))
		return stt_ret_drop(STT_DROP_OAM_BAD);
	stt_count(STT_C_OAM_REPLIED, 1);
	return bpf_redirect(skb->ifindex, 0);
}
#endif /* STT_MAPS_TC_RX */

#endif

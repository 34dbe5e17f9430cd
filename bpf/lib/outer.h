/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The outer headers at transmit: built once per frame (stt_tx_build), finished per remote
 * (stt_tx_one) and sent toward the next hop (stt_tx_send).
 */
#ifndef STT_BPF_OUTER_H
#define STT_BPF_OUTER_H

#include "defs.h"
#include "cfg.h"
#include "drop.h"
#include "inner.h"
#include "stt_tos.h"

static const __u32 stt_key0; /* key 0 of a one-slot array, not on the stack */

#define STT_SEND_LAST 0x1 /* the last copy: redirect rather than clone */
#define STT_SEND_IP   0x2 /* the skb's protocol is IP: bpf_redirect_neigh can take it */

static __always_inline __u32 stt_next_frame_id(void)
{
	__u32 zero = 0, *ctr = bpf_map_lookup_elem(&stt_frame_ids, &zero);
	__u32 id;

	if (!ctr)
		return 0;
	id = (*ctr)++;
	return (bpf_get_smp_processor_id() << 24) | (id & 0x00ffffff);
}

/*
 * How long a next hop found by bpf_fib_lookup is used before it is asked again: a route or
 * neighbour change reaches transmit within this time (docs/DESIGN.md, next hops).
 */
#define STT_NH_TTL_NS (100ULL * 1000 * 1000)

/*
 * The next hop of s->fib (family, ifindex, addresses set): its device and MACs in s->fib,
 * as bpf_fib_lookup finds them, remembered per source, destination and underlay for
 * STT_NH_TTL_NS in stt_nexthops (the lookup was a third of a small frame's transmit cost,
 * docs/BENCH.md). Like the kernel's tunnels with their dst_cache, the route is then one per
 * destination, not per flow. tot_len stays 0: with a length the helper refuses a GSO frame
 * as larger than the MTU, which is this program's own business (pmtu.h). Returns the
 * lookup's verdict; only a success is remembered.
 */
static __always_inline long stt_next_hop(struct __sk_buff *skb, struct stt_nh_scratch *s)
{
	struct bpf_fib_lookup *fib = &s->fib;
	__u64 now = bpf_ktime_get_coarse_ns();
	struct stt_nh_val *c;
	long rc;

	__builtin_memset(&s->k, 0, sizeof(s->k));
	s->k.ifindex = fib->ifindex;
	s->k.family = fib->family;
	if (fib->family == AF_INET6) {
		__builtin_memcpy(s->k.src, fib->ipv6_src, 16);
		__builtin_memcpy(s->k.dst, fib->ipv6_dst, 16);
	} else {
		s->k.src[0] = fib->ipv4_src;
		s->k.dst[0] = fib->ipv4_dst;
	}
	c = bpf_map_lookup_elem(&stt_nexthops, &s->k);
	if (c && now - c->since_ns < STT_NH_TTL_NS) {
		fib->ifindex = c->ifindex;
		__builtin_memcpy(fib->dmac, c->dmac, 6);
		__builtin_memcpy(fib->smac, c->smac, 6);
		return BPF_FIB_LKUP_RET_SUCCESS;
	}
	rc = bpf_fib_lookup(skb, fib, sizeof(*fib), BPF_FIB_LOOKUP_OUTPUT);
	if (rc == BPF_FIB_LKUP_RET_SUCCESS) {
		s->v.since_ns = now;
		s->v.ifindex = fib->ifindex;
		__builtin_memcpy(s->v.dmac, fib->dmac, 6);
		__builtin_memcpy(s->v.smac, fib->smac, 6);
		bpf_map_update_elem(&stt_nexthops, &s->k, &s->v, BPF_ANY);
	}
	return rc;
}

/*
 * Write the first hdr_len bytes of h (struct stt_encap4, stt_encap6, stt_gue_encap4 or 6, by
 * its Ethernet type) with the next hop's MACs and send. Returns 0 when a clone left, the redirect's
 * verdict when the skb itself goes, -1 when this copy was dropped (stt_tx_sent says which).
 * A multicast group (draft 3.4) needs no FIB or neighbour: the MAC is the group's (RFC
 * 1112: 01:00:5e + low 23 bits; RFC 2464: 33:33 + low 32 bits), the device the underlay.
 * The FIB helper needs forwarding on the underlay (sttctl attach turns it on). Without a
 * neighbour entry only bpf_redirect_neigh can send, and only a last copy whose skb
 * protocol is the outer family (it reads the destination from where that family's
 * header would be); sttctl keeps every remote's neighbour entry managed, so this is rare
 * (docs/DESIGN.md: outer Ethernet addresses, and the IPv6 transmit notes).
 */
static __noinline long stt_tx_send(struct __sk_buff *skb, void *h, __u32 hdr_len,
                                   const struct stt_cfg *cfg, __u32 flags)
{
	struct stt_eth *eth = h;
	struct stt_encap4 *h4 = h;
	struct stt_encap6 *h6 = h;
	int v6 = eth->proto == bpf_htons(ETH_P_IPV6);
	/* Keys from .rodata: a key on the stack here shared hdr_len's slot, and the verifier
	 * forgot hdr_len's bounds when the key was written. */
	struct stt_nh_scratch *s = bpf_map_lookup_elem(&stt_nh_scratch, &stt_key0);
	__u32 ifindex;
	struct bpf_fib_lookup *fib;
	long rc;

	if (hdr_len < sizeof(*eth) || hdr_len > (v6 ? sizeof(*h6) : sizeof(*h4)))
		return -1;
	if (!s)
		return -1;
	fib = &s->fib;
	__builtin_memset(fib, 0, sizeof(*fib));
	/* STT's TCP and GUE's UDP: the ports sit where the TCP header's do. */
	fib->l4_protocol = v6 ? h6->ip.nexthdr : h4->ip.protocol;
	fib->ifindex = cfg->ifindex;
	if (v6) {
		fib->family = AF_INET6;
		fib->sport = h6->tcp.source;
		fib->dport = h6->tcp.dest;
		__builtin_memcpy(fib->ipv6_src, h6->ip.saddr, 16);
		__builtin_memcpy(fib->ipv6_dst, h6->ip.daddr, 16);
	} else {
		fib->family = AF_INET;
		fib->sport = h4->tcp.source;
		fib->dport = h4->tcp.dest;
		fib->ipv4_src = cfg->local4;
		fib->ipv4_dst = h4->ip.daddr;
	}
	if (v6 ? STT_IS_MCAST6(h6->ip.daddr) : STT_IS_MCAST4(h4->ip.daddr)) {
		const struct stt_underlay *ul = bpf_map_lookup_elem(&stt_underlay, &stt_key0);

		if (!ul)
			return -1;
		if (v6) {
			const __u8 *g = (const __u8 *)h6->ip.daddr;

			eth->dst[0] = 0x33, eth->dst[1] = 0x33, eth->dst[2] = g[12];
			eth->dst[3] = g[13], eth->dst[4] = g[14], eth->dst[5] = g[15];
		} else {
			const __u8 *g = (const __u8 *)&h4->ip.daddr;

			eth->dst[0] = 0x01, eth->dst[1] = 0x00, eth->dst[2] = 0x5e;
			eth->dst[3] = g[1] & 0x7f, eth->dst[4] = g[2], eth->dst[5] = g[3];
		}
		__builtin_memcpy(eth->src, ul->mac, 6);
		rc = BPF_FIB_LKUP_RET_SUCCESS;
		ifindex = cfg->ifindex;
	} else {
		rc = stt_next_hop(skb, s);
		if (rc == BPF_FIB_LKUP_RET_SUCCESS) {
			__builtin_memcpy(eth->dst, fib->dmac, 6);
			__builtin_memcpy(eth->src, fib->smac, 6);
		} else {
			__builtin_memset(eth->dst, 0, 6);
			__builtin_memset(eth->src, 0, 6);
		}
		ifindex = fib->ifindex;
	}
	if (bpf_skb_store_bytes(skb, 0, h, hdr_len, 0))
		return -1;
	if (rc == BPF_FIB_LKUP_RET_SUCCESS) {
		if (!(flags & STT_SEND_LAST))
			return bpf_clone_redirect(skb, ifindex, 0) ? -1 : 0;
		return bpf_redirect(ifindex, 0);
	}
	if (!(flags & STT_SEND_LAST))
		return -1;
	if (v6 ? skb->protocol == bpf_htons(ETH_P_IPV6) : (flags & STT_SEND_IP) != 0)
		return bpf_redirect_neigh(cfg->ifindex, NULL, 0, 0);
	return -1;
}

/* What stt_tx_send returned, as a verdict or a drop (tx_no_neigh: the copy did not go). */
static __always_inline long stt_tx_sent(long rc)
{
	return rc < 0 || rc == TC_ACT_SHOT ? stt_ret_drop(STT_DROP_TX_NO_NEIGH) : rc;
}

/*
 * Finish the outer headers for one remote (IPv4, or IPv6 in index form, by st->v6) and
 * send (stt_tx_send). A drop (tx_no_remote6) when an IPv6 index has no address behind it.
 */
static __noinline long stt_tx_one(struct __sk_buff *skb, struct stt_tx_state *st, __be32 remote,
                                  int last, const struct stt_cfg *cfg)
{
	__u32 flags = (last ? STT_SEND_LAST : 0) | (st->is_ip ? STT_SEND_IP : 0);

	if (st->v6) {
		struct stt_encap6 *h = &st->h6;
		const struct stt_addr6 *a = stt_remote6_addr(remote);

		if (!a)
			return stt_ret_drop(STT_DROP_TX_NO_REMOTE6);
		__builtin_memcpy(h->ip.daddr, a->a, 16);
		h->tcp.check = ~stt_csum_fold(st->base_sum + stt_sum6(a->a));
		return stt_tx_sent(stt_tx_send(skb, h, sizeof(*h), cfg, flags));
	}
	st->h.ip.daddr = remote;
	st->h.ip.check = 0;
	st->h.ip.check = stt_ipv4_csum(&st->h.ip);
	st->h.tcp.check = ~stt_csum_fold(st->base_sum + remote);
	return stt_tx_sent(stt_tx_send(skb, &st->h, sizeof(st->h), cfg, flags));
}

/*
 * An outer IPv6 header but its payload length and destination: traffic class the IPv4
 * TOS, flow label the inner flow's hash (RFC 6438: entropy for the underlay's ECMP, like
 * the source port), hop limit the TTL. No extension headers. STT's and GUE's alike.
 */
static __always_inline void stt_ip6_hdr(struct stt_ipv6 *ip, __u8 tos, __u32 hash, __u8 ttl,
                                        __u8 nexthdr, const struct stt_cfg6 *c6)
{
	__u32 fl = hash & 0xfffff;

	ip->ver_tc_flow[0] = 0x60 | (tos >> 4);
	ip->ver_tc_flow[1] = (tos << 4) | (fl >> 16);
	ip->ver_tc_flow[2] = fl >> 8;
	ip->ver_tc_flow[3] = fl;
	ip->nexthdr = nexthdr;
	ip->hop_limit = ttl;
	__builtin_memcpy(ip->saddr, c6->local6.a, 16);
}

/* The IPv6 outer headers of STT: the IPv4 ones' TCP and STT behind an IPv6 header. */
static __always_inline int stt_tx_build6(struct stt_tx_state *st, __u32 hash, __u32 frame_len)
{
	__u32 zero = 0;
	const struct stt_cfg6 *c6 = bpf_map_lookup_elem(&stt_cfg6, &zero);
	struct stt_encap4 *hp = &st->h;
	struct stt_encap6 *h6 = &st->h6;

	if (!c6 || !(c6->flags & STT_CFG6_LOCAL))
		return stt_ret_drop(STT_DROP_TX_NO_REMOTE6);
	h6->eth.proto = bpf_htons(ETH_P_IPV6);
	stt_ip6_hdr(&h6->ip, hp->ip.tos, hash, hp->ip.ttl, IPPROTO_TCP, c6);
	h6->ip.payload_len = bpf_htons(sizeof(hp->tcp) + frame_len);
	h6->tcp = hp->tcp;
	h6->stt = hp->stt;
	st->base_sum += stt_sum6(c6->local6.a);
	return 0;
}

/*
 * Build the outer headers of a frame of len bytes in st (IPv4 always, IPv6 too for IPv6
 * remotes), and the outer TCP checksum of all but the destination address (it varies per
 * flood copy). Returns 0 or a drop.
 */
static __always_inline int stt_tx_build(struct __sk_buff *skb, struct stt_tx_state *st,
                                        const struct stt_inner *in, const struct stt_cfg *cfg,
                                        __u64 context, __u16 vlan, __u32 len, int gso)
{
	struct stt_encap4 *hp = &st->h;
	__u32 frame_len = len + sizeof(struct stt_hdr), frame_id, i;

	hp->eth.proto = bpf_htons(ETH_P_IP);
	hp->ip.ver_ihl = 0x45;
	hp->ip.tos = stt_encap_tos(in->tos, cfg->dscp);
	hp->ip.tot_len = bpf_htons(STT_ENCAP4_OVERHEAD + len);
	hp->ip.frag_off = bpf_htons(IP_DF); /* STT segments are never fragmented */
	hp->ip.ttl = cfg->ttl ? cfg->ttl : 64;
	hp->ip.protocol = IPPROTO_TCP;
	hp->ip.saddr = cfg->local4;
	hp->tcp.source = bpf_htons(STT_SPORT_BASE | (in->hash & STT_SPORT_MASK));
	hp->tcp.dest = bpf_htons(cfg->port);
	hp->tcp.seq = bpf_htonl(STT_SEQ(frame_len, 0));
	frame_id = stt_next_frame_id();
	hp->tcp.ack_seq = bpf_htonl(frame_id);
	hp->ip.id = bpf_htons(frame_id & 0xffff);
	hp->tcp.doff_res = 5 << 4;
	hp->tcp.flags = STT_TCP_ACK | (gso ? 0 : STT_TCP_PSH);
	hp->stt.version = STT_VERSION;
	hp->stt.flags = in->flags;
	hp->stt.l4_offset = in->l4_off;
	/* A multi-segment frame: the MSS tells the receiver how the sender cut it. */
	hp->stt.mss = gso ? bpf_htons(skb->gso_size) : 0;
	hp->stt.context_id = bpf_cpu_to_be64(context);
	hp->stt.vlan_tci = bpf_htons(vlan);

	st->base_sum = stt_pseudo4_tail(IPPROTO_TCP, sizeof(hp->tcp) + frame_len);
	{
		const __u16 *w = (const __u16 *)&hp->tcp;

#pragma unroll
		for (i = 0; i < (sizeof(hp->tcp) + sizeof(hp->stt)) / 2; i++)
			st->base_sum += w[i];
	}
	st->base_sum += in->csum;
	if (st->v6)
		return stt_tx_build6(st, in->hash, frame_len);
	st->base_sum += cfg->local4;
	return 0;
}

#endif

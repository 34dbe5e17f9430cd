/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * GUE at transmit (docs/GUE.md): which encapsulation each remote gets (stt_remote_kind),
 * the GUE outer headers of a frame (stt_tx_gue_build), one remote's copy of them
 * (stt_tx_gue_one), and a TSO burst as one UDP-tunnel GSO skb (stt_tx_gue_gso).
 */
#ifndef STT_BPF_GUE_TX_H
#define STT_BPF_GUE_TX_H

#include "defs.h"
#include "cfg.h"
#include "csum.h"
#include "drop.h"
#include "inner.h"
#include "gso.h"
#include "outer.h"
#include "stt_policy.h"
#include "stt_tos.h"

/* Outer Ethernet to inner Ethernet header of a GUE frame, without the cookie option. */
#define STT_GUE_HLEN  (sizeof(struct stt_eth) + STT_GUE4_OVERHEAD)
#define STT_GUE6_HLEN (sizeof(struct stt_eth) + STT_GUE6_OVERHEAD)

/* The encapsulation of a remote (STT_KIND_*): its own setting, else the endpoint's. */
static __always_inline __u8 stt_remote_kind(const struct stt_cfg *cfg, __be32 remote)
{
	const struct stt_remote_cfg *rc = bpf_map_lookup_elem(&stt_remote_cfg, &remote);
	__u8 enc = stt_encap_of(rc ? rc->encap : STT_ENCAP_DEFAULT, cfg->opts & STT_OPT_ENCAP_GUE);

	if (enc != STT_ENCAP_GUE)
		return STT_KIND_STT;
	return rc && (rc->flags & STT_RCFG_COOKIE) ? STT_KIND_GUEC : STT_KIND_GUE;
}

/*
 * The kinds of a frame's remotes (st->kinds), each flood target's (st->kind_of) and the
 * last target of each kind (st->last_of), so that every pass knows which copy is its last;
 * the flood list is copied into st->flood, which every pass then reads. A global function:
 * the verifier walks its loop once, not once per path that reaches it.
 */
__noinline int stt_tx_kinds(struct stt_tx_state *st, const struct stt_cfg *cfg, __u32 uc_remote,
                            const struct stt_flood_val *flood)
{
	__u32 i;

	if (!st || !cfg)
		return -1;
	if (uc_remote) {
		st->kinds = stt_remote_kind(cfg, uc_remote);
		st->first_kind = st->kinds;
		return 0;
	}
	if (!flood)
		return -1;
	st->flood = *flood;
	for (i = 0; i < STT_MAX_FLOOD; i++) {
		__u8 k;

		if (i >= st->flood.count)
			break;
		k = stt_remote_kind(cfg, st->flood.remote4[i]);
		st->kind_of[i] = k;
		st->kinds |= k;
		if (i == 0)
			st->first_kind = k;
		st->last_of[k & 7] = i;
	}
	return 0;
}

/*
 * The GUE headers every copy of a frame of len bytes shares: variant 0 with GRE-TEB, the
 * key the Context ID; the source port from the inner flow's hash as Linux's
 * udp_flow_src_port() makes it; UDP checksum 0 (over IPv4 what Linux sends by default, RFC
 * 768; over IPv6 by the remote's consent, stt_tx_gue_one). UDP and GUE go in st->g for both
 * families, the IP header in st->g or st->g6. Returns 0 or a drop.
 */
static __noinline int stt_tx_gue_build(struct stt_tx_state *st, const struct stt_inner *in,
                                       const struct stt_cfg *cfg, __u64 context, __u32 len)
{
	struct stt_gue_encap4 *g = &st->g;
	__u32 h = in->hash ^ (in->hash << 16), zero = 0;
	__u8 tos = stt_encap_tos(in->tos, cfg->dscp), ttl = cfg->ttl ? cfg->ttl : 64;

	if (context > 0xffffffffULL)
		return stt_ret_drop(STT_DROP_TX_GUE_CONTEXT);
	if (!cfg->gue_port)
		return stt_ret_drop(STT_DROP_TX_GUE_UNSUPPORTED);
	g->udp.source =
	    bpf_htons((__u16)((((__u64)h * (STT_GUE_SPORT_MAX - STT_GUE_SPORT_MIN)) >> 32) +
	                      STT_GUE_SPORT_MIN));
	g->udp.dest = bpf_htons(cfg->gue_port);
	g->gue.proto = STT_GUE_PROTO_GRE;
	st->gre.flags = bpf_htons(STT_GRE_FLAG_K);
	st->gre.proto = bpf_htons(STT_GRE_PROTO_TEB);
	st->gre.key = bpf_htonl((__u32)context);
	if (st->v6) {
		const struct stt_cfg6 *c6 = bpf_map_lookup_elem(&stt_cfg6, &zero);

		if (!c6 || !(c6->flags & STT_CFG6_LOCAL))
			return stt_ret_drop(STT_DROP_TX_NO_REMOTE6);
		st->g6.eth.proto = bpf_htons(ETH_P_IPV6);
		stt_ip6_hdr(&st->g6.ip, tos, in->hash, ttl, IPPROTO_UDP, c6);
		st->gue_ip_len = STT_GUE6_OVERHEAD + len;
		return 0;
	}
	if (!cfg->local4)
		return stt_ret_drop(STT_DROP_TX_GUE_UNSUPPORTED);
	g->eth.proto = bpf_htons(ETH_P_IP);
	g->ip.ver_ihl = 0x45;
	g->ip.tos = tos;
	g->ip.frag_off = bpf_htons(IP_DF);
	g->ip.ttl = ttl;
	g->ip.protocol = IPPROTO_UDP;
	g->ip.saddr = cfg->local4;
	st->gue_ip_len = STT_GUE4_OVERHEAD + len;
	return 0;
}

/* Bytes from the outer Ethernet header to the inner one for a copy of kind k. */
static __always_inline __u32 stt_kind_hlen(__u8 k, int v6)
{
	__u32 gue = v6 ? STT_GUE6_HLEN : STT_GUE_HLEN;

	if (k == STT_KIND_GUE)
		return gue;
	if (k == STT_KIND_GUEC)
		return gue + STT_GUE_COOKIE_LEN;
	return v6 ? sizeof(struct stt_encap6) : sizeof(struct stt_encap4);
}

/*
 * Finish the GUE headers for one remote (its address, its cookie option in a GUEC pass)
 * and send (stt_tx_send). Over IPv6 only to a remote that consented to a zero UDP
 * checksum (STT_RCFG_UDP6_ZERO; sttctl refuses GUE to the others, this counts what the
 * endpoint's default sends them). Returns what stt_tx_one does.
 */
static __noinline long stt_tx_gue_one(struct __sk_buff *skb, struct stt_tx_state *st, __be32 remote,
                                      int last, const struct stt_cfg *cfg)
{
	__u32 flags = (last ? STT_SEND_LAST : 0) | (st->is_ip ? STT_SEND_IP : 0);
	const struct stt_remote_cfg *rc = NULL;
	struct stt_gue_encap4 *g = &st->g;
	__u32 opt = 0, ip_len;

	if (st->kind == STT_KIND_GUEC || st->v6)
		rc = bpf_map_lookup_elem(&stt_remote_cfg, &remote);
	if (st->kind == STT_KIND_GUEC) {
		struct stt_gue_cookie *c = (void *)g->opt_gre;

		if (!rc || !(rc->flags & STT_RCFG_COOKIE))
			return stt_ret_drop(STT_DROP_TX_ERROR); /* changed since stt_tx_kinds */
		c->pflags = bpf_htonl(STT_GUE_PFLAG_COOKIE);
		c->cookie[0] = rc->cookie[0];
		c->cookie[1] = rc->cookie[1];
		opt = sizeof(*c);
	}
	__builtin_memcpy(g->opt_gre + opt, &st->gre, sizeof(st->gre));
	g->gue.ver_c_hlen = opt / 4;
	g->gue.flags = opt ? bpf_htons(STT_GUE_FLAG_P) : 0;
	ip_len = st->gue_ip_len + opt;
	if (st->v6) {
		struct stt_gue_encap6 *g6 = &st->g6;
		const struct stt_addr6 *a;

		if (!rc || !(rc->flags & STT_RCFG_UDP6_ZERO))
			return stt_ret_drop(STT_DROP_TX_GUE_UNSUPPORTED);
		a = stt_remote6_addr(remote);
		if (!a)
			return stt_ret_drop(STT_DROP_TX_NO_REMOTE6);
		__builtin_memcpy(g6->ip.daddr, a->a, 16);
		g6->ip.payload_len = bpf_htons(ip_len - sizeof(struct stt_ipv6));
		__builtin_memcpy(&g6->udp, &g->udp,
		                 sizeof(g->udp) + sizeof(g->gue) + sizeof(g->opt_gre));
		g6->udp.len = g6->ip.payload_len;
		return stt_tx_sent(stt_tx_send(skb, g6, STT_GUE6_HLEN + opt, cfg, flags));
	}
	g->ip.tot_len = bpf_htons(ip_len);
	g->udp.len = bpf_htons(ip_len - sizeof(struct stt_ipv4));
	g->ip.daddr = remote;
	g->ip.check = 0;
	g->ip.check = stt_ipv4_csum(&g->ip);
	return stt_tx_sent(stt_tx_send(skb, g, STT_GUE_HLEN + opt, cfg, flags));
}

/*
 * A tagged frame of a plain vport (stt_tx_untag took the tag) toward GUE, which has no
 * place for it outside the frame: the tag goes back in-band, as Linux's gretap carries it.
 * For a frame that is not GSO; stt_tx_gue_gso does it for TSO bursts. Returns 0 or -1.
 */
static __noinline int stt_tx_tag_inband(struct __sk_buff *skb, __u16 vlan)
{
	__be16 tag[2] = {bpf_htons(ETH_P_8021Q), bpf_htons(vlan & ~STT_VLAN_V)};
	__u8 macs[12];

	if (bpf_skb_load_bytes(skb, 0, macs, sizeof(macs)) || bpf_skb_change_head(skb, 4, 0) ||
	    bpf_skb_store_bytes(skb, 0, macs, sizeof(macs), 0) ||
	    bpf_skb_store_bytes(skb, sizeof(macs), tag, sizeof(tag), 0))
		return -1;
	return 0;
}

/*
 * A tenant's TSO burst as ONE GUE frame: bpf_skb_adjust_room's encapsulation flags make it
 * a UDP-tunnel GSO skb (inner protocol TEB), which GSO or a NIC with UDP tunnel offload
 * segments at the inner TCP header, copying the outer headers (constant per frame) into
 * every segment. The room goes behind the tenant's Ethernet header, which becomes the
 * outer one; a copy of it goes at the end of the room, with the tag stt_tx_untag took if
 * vlan says so (STT_VLAN_V). hlen: outer Ethernet to inner Ethernet (v6: over IPv6). The
 * segments are made to fit the path MTU. Returns 0 or a drop.
 */
static __noinline int stt_tx_gue_gso(struct __sk_buff *skb, __u32 hlen, __u32 mtu, __u16 vlan,
                                     int v6)
{
	__u32 l2 = (vlan & STT_VLAN_V) ? sizeof(struct stt_eth) + 4 : sizeof(struct stt_eth);
	__u64 flags = (v6 ? BPF_F_ADJ_ROOM_ENCAP_L3_IPV6 : BPF_F_ADJ_ROOM_ENCAP_L3_IPV4) |
	              BPF_F_ADJ_ROOM_ENCAP_L4_UDP | BPF_F_ADJ_ROOM_ENCAP_L2_ETH |
	              BPF_F_ADJ_ROOM_ENCAP_L2(l2) | BPF_F_ADJ_ROOM_FIXED_GSO;
	struct {
		__u8 macs[12];
		__be16 tag[2];
		__be16 proto;
	} eth;
	int inner6;
	__u32 h = stt_inner_tcp_hlen(skb, &inner6);

	if (!h || hlen > STT_GUE6_HLEN + STT_GUE_COOKIE_LEN)
		return stt_ret_drop(STT_DROP_TX_TOO_BIG); /* only TCP is segmented this way */
	eth.tag[0] = bpf_htons(ETH_P_8021Q);
	eth.tag[1] = bpf_htons(vlan & ~STT_VLAN_V);
	if (bpf_skb_load_bytes(skb, 0, eth.macs, sizeof(eth.macs)) ||
	    bpf_skb_load_bytes(skb, 12, &eth.proto, sizeof(eth.proto)) ||
	    bpf_skb_adjust_room(skb, hlen + l2 - sizeof(struct stt_eth), BPF_ADJ_ROOM_MAC, flags) ||
	    bpf_skb_store_bytes(skb, hlen, eth.macs, sizeof(eth.macs), 0))
		return stt_ret_drop(STT_DROP_TX_ERROR);
	if (l2 > sizeof(struct stt_eth) && bpf_skb_store_bytes(skb, hlen + 12, eth.tag, 4, 0))
		return stt_ret_drop(STT_DROP_TX_ERROR);
	if (bpf_skb_store_bytes(skb, hlen + l2 - 2, &eth.proto, sizeof(eth.proto), 0))
		return stt_ret_drop(STT_DROP_TX_ERROR);
	/* Each segment: outer IP, UDP, GUE, GRE, inner Ethernet, IP and TCP, then payload. */
	return stt_tx_gso_fit(skb, hlen + l2 + h - sizeof(struct stt_eth), mtu);
}

#endif

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Receive-side classification of an underlay packet, shared by XDP (which sees single
 * segments) and TC (which sees what GRO merged). It works on a linear [data, data_end)
 * window, so the caller must make the outer headers linear first.
 */
#ifndef STT_BPF_PARSE_H
#define STT_BPF_PARSE_H

#include "defs.h"
#include "cfg.h"
#include "csum.h"
#include "stt_check.h"

/* UDP and GUE headers: what must be in the window before GUE is parsed. */
#define STT_GUE_L4_MIN (sizeof(struct stt_udp) + sizeof(struct stt_gue))

enum stt_rx_verdict {
	STT_RX_NOT_STT, /* leave it to the stack */
	STT_RX_DROP,    /* STT, malformed or not for us: drop and count */
	STT_RX_FRAME,   /* a whole STT frame in this packet */
	STT_RX_SEGMENT, /* one segment of a larger frame */
};

struct stt_rx {
	__u32 outer_len;   /* bytes from the start of the packet to the STT header */
	__u32 frame_len;   /* STT frame length from SEQ (STT header + inner frame) */
	__u32 seg_off;     /* offset of this segment in the frame */
	__u32 payload_len; /* TCP payload bytes in this packet */
	__be32 saddr;      /* the sender: IPv4 address, or IPv6 remote (0: none) */
	__be32 frame_id;
	__u16 sport;
	__u8 tos;
	__u8 v6;  /* the outer header is IPv6; saddr is the sender's remote (index form) */
	__u8 gue; /* GUE, not STT: outer_len is the inner frame's offset, frame_len its length */
	__u8 gue_csum; /* GUE with a nonzero UDP checksum, which parsing did not verify */
	__u16 pad;
	__u32 gue_key; /* GUE: the GRE key, the frame's Context ID */
};

/* The first STT_CHECK_INNER bytes at p into out (zeroed by the caller), as many as the window has.
 */
static __always_inline void stt_inner_head(const __u8 *p, void *data_end, __u8 *out)
{
	if ((void *)(p + STT_CHECK_INNER) <= data_end) {
		__builtin_memcpy(out, p, STT_CHECK_INNER);
		return;
	}
#pragma unroll
	for (int i = 0; i < STT_CHECK_INNER; i++) {
		if ((void *)(p + i + 1) > data_end)
			break;
		out[i] = p[i];
	}
}

/*
 * What both outer families share once the TCP header is in the window: the TCP checks,
 * SEQ/ACK and the frame's lengths. l4_len is the outer IP payload length (TCP + STT data).
 */
static __always_inline int stt_rx_tcp(struct stt_tcp *tcp, void *data_end, __u32 l3_len,
                                      __u32 l4_len, struct stt_rx *rx, enum stt_drop *reason)
{
	if ((tcp->doff_res >> 4) != 5) {
		*reason = STT_DROP_TCP_HDR;
		return STT_RX_DROP;
	}
	rx->outer_len = sizeof(struct stt_eth) + l3_len + sizeof(*tcp);
	rx->payload_len = l4_len - sizeof(*tcp);
	rx->frame_len = STT_SEQ_LEN(bpf_ntohl(tcp->seq));
	rx->seg_off = STT_SEQ_OFF(bpf_ntohl(tcp->seq));
	rx->frame_id = tcp->ack_seq;
	rx->sport = bpf_ntohs(tcp->source);

	if (rx->payload_len == 0 || rx->frame_len < sizeof(struct stt_hdr) ||
	    rx->seg_off + rx->payload_len > rx->frame_len) {
		*reason = STT_DROP_LENGTH;
		return STT_RX_DROP;
	}
	if (rx->frame_len < sizeof(struct stt_hdr) + sizeof(struct stt_eth)) {
		*reason = STT_DROP_INNER_SHORT;
		return STT_RX_DROP;
	}
	if (rx->seg_off == 0 && rx->payload_len == rx->frame_len) {
		struct stt_hdr *stt = (void *)(tcp + 1);
		__u8 inner[STT_CHECK_INNER] = {};

		if ((void *)(stt + 1) > data_end) {
			*reason = STT_DROP_TRUNCATED;
			return STT_RX_DROP;
		}
		/* The window ends where the frame does: the whole inner head is in it. */
		stt_inner_head((void *)(stt + 1), data_end, inner);
		if (!stt_hdr_ok(stt, inner, rx->frame_len - sizeof(*stt), reason))
			return STT_RX_DROP;
		return STT_RX_FRAME;
	}
	return STT_RX_SEGMENT;
}

/*
 * What a GUE remote's entry asks of its datagrams (docs/GUE.md sections 5 and 7): a remote
 * with a cookie must send it, one without must not (c: the packet's option, or NULL); over
 * IPv6 (v6) a zero UDP checksum (zero) only from a remote that consented to it (RFC 6936).
 * Returns 0 or the drop reason.
 */
static __always_inline enum stt_drop stt_rx_gue_remote(__be32 saddr, const struct stt_gue_cookie *c,
                                                       int v6, int zero)
{
	const struct stt_remote_cfg *rc = bpf_map_lookup_elem(&stt_remote_cfg, &saddr);
	__u8 flags = rc ? rc->flags : 0;

	if (!(flags & STT_RCFG_COOKIE)
	        ? c != NULL
	        : !c || c->cookie[0] != rc->cookie[0] || c->cookie[1] != rc->cookie[1])
		return STT_DROP_GUE_COOKIE;
	if (v6 && zero && !(flags & STT_RCFG_UDP6_ZERO))
		return STT_DROP_GUE_UDP6_ZERO;
	return 0;
}

/*
 * GUE once its UDP and GUE headers are in the window (docs/GUE.md section 8): variant 0,
 * no control message, no flags but P with stt's cookie option, GRE with exactly the K bit
 * and protocol TEB. l4_len is the outer IP payload length. A whole frame: outer_len is
 * the inner frame's offset, frame_len its length, gue_key the GRE key.
 */
static __always_inline int stt_rx_gue(struct stt_udp *udp, void *data_end, __u32 l3_len,
                                      __u32 l4_len, struct stt_rx *rx, enum stt_drop *reason)
{
	struct stt_gue *g = (void *)(udp + 1);
	struct stt_gue_cookie *c = NULL;
	struct stt_gre_key *gre;
	__u32 opt = 0, hdrs;
	__u16 flags = bpf_ntohs(g->flags);

	rx->gue = 1;
	*reason = STT_DROP_IP_HDR;
	if (bpf_ntohs(udp->len) != l4_len)
		return STT_RX_DROP;
	*reason = STT_DROP_GUE_VERSION;
	if (g->ver_c_hlen >> 6)
		return STT_RX_DROP;
	*reason = STT_DROP_GUE_CONTROL;
	if (g->ver_c_hlen & 0x20)
		return STT_RX_DROP;
	if (flags == STT_GUE_FLAG_P) {
		c = (void *)(g + 1);
		*reason = STT_DROP_GUE_HLEN;
		if ((g->ver_c_hlen & 0x1f) * 4 != sizeof(*c))
			return STT_RX_DROP;
		*reason = STT_DROP_TRUNCATED;
		if ((void *)(c + 1) > data_end)
			return STT_RX_DROP;
		*reason = STT_DROP_GUE_FLAGS;
		if (c->pflags != bpf_htonl(STT_GUE_PFLAG_COOKIE))
			return STT_RX_DROP;
		gre = (void *)(c + 1);
		opt = sizeof(*c);
	} else {
		*reason = STT_DROP_GUE_FLAGS;
		if (flags)
			return STT_RX_DROP;
		*reason = STT_DROP_GUE_HLEN;
		if (g->ver_c_hlen & 0x1f)
			return STT_RX_DROP;
		gre = (void *)(g + 1);
	}
	*reason = STT_DROP_GUE_PROTO;
	if (g->proto != STT_GUE_PROTO_GRE)
		return STT_RX_DROP;
	*reason = STT_DROP_TRUNCATED;
	if ((void *)(gre + 1) > data_end)
		return STT_RX_DROP;
	*reason = STT_DROP_GRE_HDR;
	if (gre->flags != bpf_htons(STT_GRE_FLAG_K) || gre->proto != bpf_htons(STT_GRE_PROTO_TEB))
		return STT_RX_DROP;
	hdrs = sizeof(*udp) + sizeof(*g) + opt + sizeof(*gre);
	*reason = STT_DROP_INNER_SHORT;
	if (l4_len < hdrs + sizeof(struct stt_eth))
		return STT_RX_DROP;
	*reason = stt_rx_gue_remote(rx->saddr, c, rx->v6, udp->check == 0);
	if (*reason)
		return STT_RX_DROP;
	rx->outer_len = sizeof(struct stt_eth) + l3_len + hdrs;
	rx->frame_len = rx->payload_len = l4_len - hdrs;
	rx->gue_key = bpf_ntohl(gre->key);
	rx->gue_csum = udp->check != 0;
	rx->sport = bpf_ntohs(udp->source);
	return STT_RX_FRAME;
}

/*
 * IPv6 with something else than TCP or UDP behind its header: STT or GUE behind up to two
 * extension headers is dropped (ipv6_outer), anything else is not ours.
 */
static __always_inline int stt_rx_ext6(struct stt_ipv6 *ip6, void *data_end,
                                       const struct stt_cfg *cfg, enum stt_drop *reason)
{
	__u8 *h = (void *)ip6, nh = ip6->nexthdr;
	__u32 off = 40;
	__u16 port;

	for (int i = 0; i < 2; i++) {
		__u8 *x = h + off;

		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING && nh != IPPROTO_DSTOPTS &&
		    nh != IPPROTO_FRAGMENT)
			break;
		if ((void *)(x + 8) > data_end)
			return STT_RX_NOT_STT;
		if (nh == IPPROTO_FRAGMENT && (x[2] << 8 | x[3]) & IP6_OFFSET)
			return STT_RX_NOT_STT; /* a later fragment: no ports */
		off += nh == IPPROTO_FRAGMENT ? 8 : (x[1] + 1) * 8;
		nh = x[0];
		if (off > 40 + 2 * 2048)
			return STT_RX_NOT_STT;
	}
	if (nh == IPPROTO_TCP || (nh == IPPROTO_UDP && cfg->gue_port)) {
		__u8 *t = h + (off & 0x1fff);

		port = nh == IPPROTO_TCP ? cfg->port : cfg->gue_port;
		if ((void *)(t + 4) <= data_end && (t[2] << 8 | t[3]) == port) {
			*reason = STT_DROP_IPV6_OUTER;
			return STT_RX_DROP;
		}
	}
	return STT_RX_NOT_STT;
}

/*
 * STT or GUE over IPv6: TCP to the STT port, or UDP to the GUE port, right behind the IPv6
 * header. Endpoints send no extension headers, so either behind hop-by-hop, routing,
 * destination options or fragment headers (up to two) is dropped and counted (ipv6_outer)
 * rather than left to the host, which would answer it with a RST or a port unreachable.
 * Later fragments carry no ports: they go on, and never reassemble without their first.
 */
static __always_inline int stt_rx_parse6(void *data, void *data_end, __u32 pkt_len,
                                         const struct stt_cfg *cfg, struct stt_rx *rx,
                                         enum stt_drop *reason)
{
	struct stt_ipv6 *ip6 = data + sizeof(struct stt_eth);
	const struct stt_cfg6 *c6;
	__be16 *ports;
	__u32 zero = 0, plen, l4_min;
	__u16 port;
	__u8 nh;

	if ((void *)(ip6 + 1) > data_end || (ip6->ver_tc_flow[0] >> 4) != 6)
		return STT_RX_NOT_STT;
	nh = ip6->nexthdr;
	if (nh != IPPROTO_TCP && (nh != IPPROTO_UDP || !cfg->gue_port))
		return stt_rx_ext6(ip6, data_end, cfg, reason);
	ports = (void *)(ip6 + 1);
	if ((void *)(ports + 2) > data_end)
		return STT_RX_NOT_STT;
	if (nh == IPPROTO_TCP) {
		port = cfg->port;
		l4_min = sizeof(struct stt_tcp);
	} else {
		port = cfg->gue_port;
		l4_min = STT_GUE_L4_MIN;
	}
	if (ports[1] != bpf_htons(port))
		return STT_RX_NOT_STT;

	/* From here on it is ours: it is consumed, never left to the host's TCP or UDP. */
	c6 = bpf_map_lookup_elem(&stt_cfg6, &zero);
	if (!c6 || !(c6->flags & STT_CFG6_LOCAL)) {
		*reason = STT_DROP_IPV6_OUTER; /* no IPv6 address: not an IPv6 endpoint */
		return STT_RX_DROP;
	}
	if (!stt_addr6_eq(ip6->daddr, c6->local6.a)) {
		__be32 g = 0;

		/* A multicast group this endpoint floods to is ours too (stt_groups). */
		if (STT_IS_MCAST6(ip6->daddr))
			g = stt_remote6_of(ip6->daddr);
		if (!g || !bpf_map_lookup_elem(&stt_groups, &g)) {
			*reason = STT_DROP_NOT_LOCAL;
			return STT_RX_DROP;
		}
	}
	/* Each protocol's own constant: the verifier loses a bound merged from two. */
	if (nh == IPPROTO_UDP ? (void *)ports + STT_GUE_L4_MIN > data_end
	                      : (void *)ports + sizeof(struct stt_tcp) > data_end) {
		*reason = STT_DROP_TRUNCATED;
		return STT_RX_DROP;
	}
	plen = bpf_ntohs(ip6->payload_len);
	if (plen + sizeof(struct stt_eth) + sizeof(*ip6) > pkt_len) {
		*reason = STT_DROP_TRUNCATED; /* the packet ends before IPv6 says it does */
		return STT_RX_DROP;
	}
	if (plen < l4_min || plen + sizeof(struct stt_eth) + sizeof(*ip6) != pkt_len) {
		*reason = STT_DROP_IP_HDR;
		return STT_RX_DROP;
	}
	rx->saddr = stt_remote6_of(ip6->saddr);
	rx->tos = (ip6->ver_tc_flow[0] << 4) | (ip6->ver_tc_flow[1] >> 4);
	rx->v6 = 1;
	if (nh == IPPROTO_UDP)
		return stt_rx_gue((void *)ports, data_end, sizeof(*ip6), plen, rx, reason);
	/* Checked above; 6.1's verifier kept only the smaller of the two bounds. */
	if ((void *)ports + sizeof(struct stt_tcp) > data_end) {
		*reason = STT_DROP_TRUNCATED;
		return STT_RX_DROP;
	}
	return stt_rx_tcp((void *)ports, data_end, sizeof(*ip6), plen, rx, reason);
}

/*
 * pkt_len is the length of the whole packet (XDP: data_end - data; TC: skb->len), which can
 * exceed the linear window in TC. TCP to the STT port is STT, UDP to the GUE port (when
 * GUE is on) is GUE, over IPv4 or IPv6: both are consumed from here on, whatever their state.
 */
static __always_inline int stt_rx_parse(void *data, void *data_end, __u32 pkt_len,
                                        const struct stt_cfg *cfg, struct stt_rx *rx,
                                        enum stt_drop *reason)
{
	struct stt_eth *eth = data;
	struct stt_ipv4 *ip;
	__u32 ihl, tot_len, l4_min;
	__be16 *ports;
	__u16 port;

	if ((void *)(eth + 1) > data_end)
		return STT_RX_NOT_STT;
	if (eth->proto == bpf_htons(ETH_P_IPV6))
		return stt_rx_parse6(data, data_end, pkt_len, cfg, rx, reason);
	if (eth->proto != bpf_htons(ETH_P_IP))
		return STT_RX_NOT_STT;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end || (ip->ver_ihl >> 4) != 4)
		return STT_RX_NOT_STT;
	if (ip->protocol == IPPROTO_TCP) {
		port = cfg->port;
		l4_min = sizeof(struct stt_tcp);
	} else if (ip->protocol == IPPROTO_UDP && cfg->gue_port) {
		port = cfg->gue_port;
		l4_min = STT_GUE_L4_MIN;
	} else {
		return STT_RX_NOT_STT;
	}
	ihl = (ip->ver_ihl & 0x0f) * 4;
	if (ihl < sizeof(*ip))
		return STT_RX_NOT_STT;
	ports = (void *)ip + ihl;
	/* A non-first fragment carries no ports; its first fragment is dropped below. */
	if (ip->frag_off & bpf_htons(IP_OFFSET))
		return STT_RX_NOT_STT;
	if ((void *)(ports + 2) > data_end)
		return STT_RX_NOT_STT;
	if (ports[1] != bpf_htons(port))
		return STT_RX_NOT_STT;

	/* From here on it is ours: it is consumed, never left to the host's TCP or UDP. */
	if (!cfg->local4 || ip->daddr != cfg->local4) {
		__u32 group = ip->daddr;

		/* A multicast group this endpoint floods to is ours too (stt_groups). */
		if (!STT_IS_MCAST4(group) || !bpf_map_lookup_elem(&stt_groups, &group)) {
			*reason = STT_DROP_NOT_LOCAL;
			return STT_RX_DROP;
		}
	}
	if (ip->frag_off & bpf_htons(IP_MF)) {
		*reason = STT_DROP_IP_FRAGMENT;
		return STT_RX_DROP;
	}
	if (ihl != sizeof(*ip)) {
		/* Endpoints send no IP options; refuse rather than parse them. */
		*reason = STT_DROP_IP_HDR;
		return STT_RX_DROP;
	}
	/* Each protocol's own constant: the verifier loses a bound merged from two. */
	if (ip->protocol == IPPROTO_UDP ? (void *)ports + STT_GUE_L4_MIN > data_end
	                                : (void *)ports + sizeof(struct stt_tcp) > data_end) {
		*reason = STT_DROP_TRUNCATED;
		return STT_RX_DROP;
	}
	tot_len = bpf_ntohs(ip->tot_len);
	if (tot_len + sizeof(*eth) > pkt_len) {
		*reason = STT_DROP_TRUNCATED; /* the packet ends before IP says it does */
		return STT_RX_DROP;
	}
	if (tot_len < ihl + l4_min || tot_len + sizeof(*eth) != pkt_len) {
		*reason = STT_DROP_IP_HDR;
		return STT_RX_DROP;
	}
	rx->saddr = ip->saddr;
	rx->tos = ip->tos;
	if (ip->protocol == IPPROTO_UDP)
		return stt_rx_gue((void *)ports, data_end, ihl, tot_len - ihl, rx, reason);
	return stt_rx_tcp((void *)ports, data_end, ihl, tot_len - ihl, rx, reason);
}

/* Where a whole frame's inner Ethernet header starts, and its length: STT or GUE. */
static __always_inline __u32 stt_rx_inner_off(const struct stt_rx *rx)
{
	return rx->gue ? rx->outer_len : rx->outer_len + sizeof(struct stt_hdr);
}

static __always_inline __u32 stt_rx_inner_len(const struct stt_rx *rx)
{
	return rx->gue ? rx->frame_len : rx->frame_len - sizeof(struct stt_hdr);
}

/* The STT header of a whole frame; the caller checked it lies inside the window. */
static __always_inline struct stt_hdr *stt_rx_hdr(void *data, const struct stt_rx *rx)
{
	return data + (rx->outer_len & 0x7f);
}

#endif

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
	__u8 v6; /* the outer header is IPv6; saddr is the sender's remote (index form) */
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
 * STT over IPv6: TCP to the STT port right behind the IPv6 header. STT endpoints send no
 * extension headers, so TCP to the STT port behind hop-by-hop, routing, destination
 * options or fragment headers (up to two) is dropped and counted (ipv6_outer) rather than
 * left to the host's TCP, which would answer it with a RST. Later fragments carry no
 * ports: they go on, and never reassemble without their first.
 */
static __always_inline int stt_rx_parse6(void *data, void *data_end, __u32 pkt_len,
                                         const struct stt_cfg *cfg, struct stt_rx *rx,
                                         enum stt_drop *reason)
{
	struct stt_ipv6 *ip6 = data + sizeof(struct stt_eth);
	const struct stt_cfg6 *c6;
	struct stt_tcp *tcp;
	__u32 zero = 0, plen;
	__u8 nh;

	if ((void *)(ip6 + 1) > data_end || (ip6->ver_tc_flow[0] >> 4) != 6)
		return STT_RX_NOT_STT;
	nh = ip6->nexthdr;
	if (nh != IPPROTO_TCP) {
		__u8 *h = (void *)ip6;
		__u32 off = 40;

		for (int i = 0; i < 2; i++) {
			__u8 *x = h + off;

			if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING &&
			    nh != IPPROTO_DSTOPTS && nh != IPPROTO_FRAGMENT)
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
		if (nh == IPPROTO_TCP) {
			__u8 *t = h + (off & 0x1fff);

			if ((void *)(t + 4) <= data_end && (t[2] << 8 | t[3]) == cfg->port) {
				*reason = STT_DROP_IPV6_OUTER;
				return STT_RX_DROP;
			}
		}
		return STT_RX_NOT_STT;
	}
	tcp = (void *)(ip6 + 1);
	if ((void *)tcp + 4 > data_end)
		return STT_RX_NOT_STT;
	if (tcp->dest != bpf_htons(cfg->port))
		return STT_RX_NOT_STT;

	/* From here on it is STT: it is consumed, never left to the host's TCP. */
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
	if ((void *)(tcp + 1) > data_end) {
		*reason = STT_DROP_TRUNCATED;
		return STT_RX_DROP;
	}
	plen = bpf_ntohs(ip6->payload_len);
	if (plen + sizeof(struct stt_eth) + sizeof(*ip6) > pkt_len) {
		*reason = STT_DROP_TRUNCATED; /* the packet ends before IPv6 says it does */
		return STT_RX_DROP;
	}
	if (plen < sizeof(*tcp) || plen + sizeof(struct stt_eth) + sizeof(*ip6) != pkt_len) {
		*reason = STT_DROP_IP_HDR;
		return STT_RX_DROP;
	}
	rx->saddr = stt_remote6_of(ip6->saddr);
	rx->tos = (ip6->ver_tc_flow[0] << 4) | (ip6->ver_tc_flow[1] >> 4);
	rx->v6 = 1;
	return stt_rx_tcp(tcp, data_end, sizeof(*ip6), plen, rx, reason);
}

/*
 * pkt_len is the length of the whole packet (XDP: data_end - data; TC: skb->len), which can
 * exceed the linear window in TC.
 */
static __always_inline int stt_rx_parse(void *data, void *data_end, __u32 pkt_len,
                                        const struct stt_cfg *cfg, struct stt_rx *rx,
                                        enum stt_drop *reason)
{
	struct stt_eth *eth = data;
	struct stt_ipv4 *ip;
	struct stt_tcp *tcp;
	__u32 ihl, tot_len;

	if ((void *)(eth + 1) > data_end)
		return STT_RX_NOT_STT;
	if (eth->proto == bpf_htons(ETH_P_IPV6))
		return stt_rx_parse6(data, data_end, pkt_len, cfg, rx, reason);
	if (eth->proto != bpf_htons(ETH_P_IP))
		return STT_RX_NOT_STT;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return STT_RX_NOT_STT;
	if (ip->protocol != IPPROTO_TCP || (ip->ver_ihl >> 4) != 4)
		return STT_RX_NOT_STT;
	ihl = (ip->ver_ihl & 0x0f) * 4;
	if (ihl < sizeof(*ip))
		return STT_RX_NOT_STT;
	tcp = (void *)ip + ihl;
	/* A non-first fragment carries no ports; its first fragment is dropped below. */
	if (ip->frag_off & bpf_htons(IP_OFFSET))
		return STT_RX_NOT_STT;
	if ((void *)tcp + 4 > data_end)
		return STT_RX_NOT_STT;
	if (tcp->dest != bpf_htons(cfg->port))
		return STT_RX_NOT_STT;

	/* From here on it is STT: it is consumed, never left to the host's TCP. */
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
		/* STT endpoints send no IP options; refuse rather than parse them. */
		*reason = STT_DROP_IP_HDR;
		return STT_RX_DROP;
	}
	if ((void *)(tcp + 1) > data_end) {
		*reason = STT_DROP_TRUNCATED;
		return STT_RX_DROP;
	}
	tot_len = bpf_ntohs(ip->tot_len);
	if (tot_len + sizeof(*eth) > pkt_len) {
		*reason = STT_DROP_TRUNCATED; /* the packet ends before IP says it does */
		return STT_RX_DROP;
	}
	if (tot_len < ihl + sizeof(*tcp) || tot_len + sizeof(*eth) != pkt_len) {
		*reason = STT_DROP_IP_HDR;
		return STT_RX_DROP;
	}
	rx->saddr = ip->saddr;
	rx->tos = ip->tos;
	return stt_rx_tcp(tcp, data_end, ihl, tot_len - ihl, rx, reason);
}

/* The STT header of a whole frame; the caller checked it lies inside the window. */
static __always_inline struct stt_hdr *stt_rx_hdr(void *data, const struct stt_rx *rx)
{
	return data + (rx->outer_len & 0x7f);
}

#endif

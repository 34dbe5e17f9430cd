/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Receive-side classification of an underlay packet, shared by XDP (which sees single
 * segments) and TC (which sees what GRO merged). It works on a linear [data, data_end)
 * window, so the caller must make the outer headers linear first.
 */
#ifndef STT_BPF_PARSE_H
#define STT_BPF_PARSE_H

#include "csum.h"

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
	__be32 saddr;
	__be32 frame_id;
	__u16 sport;
	__u8 tos;
};

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
	if (eth->proto == bpf_htons(0x86dd)) {
		/*
		 * The underlay is IPv4 only: STT over IPv6 (TCP to the STT port, directly or
		 * behind up to two hop-by-hop, routing, destination-options or fragment
		 * headers) is dropped and counted rather than left to the host's TCP, which
		 * would answer it with a RST. Later fragments carry no ports: they go on, and
		 * never reassemble without their first.
		 */
		__u8 *h = (void *)(eth + 1);
		__u8 nh;
		__u32 off = 40;

		if ((void *)(h + 40) > data_end)
			return STT_RX_NOT_STT;
		nh = h[6];
		for (int i = 0; i < 2; i++) {
			__u8 *x = h + off;

			if (nh != 0 && nh != 43 && nh != 60 && nh != 44)
				break;
			if ((void *)(x + 8) > data_end)
				return STT_RX_NOT_STT;
			if (nh == 44 && (x[2] << 8 | x[3]) & 0xfff8)
				return STT_RX_NOT_STT; /* a later fragment: no ports */
			off += nh == 44 ? 8 : (x[1] + 1) * 8;
			nh = x[0];
			if (off > 40 + 2 * 2048)
				return STT_RX_NOT_STT;
		}
		if (nh == 6) {
			__u8 *t = h + (off & 0x1fff);

			if ((void *)(t + 4) <= data_end && (t[2] << 8 | t[3]) == cfg->port) {
				*reason = STT_DROP_IPV6_OUTER;
				return STT_RX_DROP;
			}
		}
		return STT_RX_NOT_STT;
	}
	if (eth->proto != bpf_htons(0x0800))
		return STT_RX_NOT_STT;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return STT_RX_NOT_STT;
	if (ip->protocol != 6 || (ip->ver_ihl >> 4) != 4)
		return STT_RX_NOT_STT;
	ihl = (ip->ver_ihl & 0x0f) * 4;
	if (ihl < sizeof(*ip))
		return STT_RX_NOT_STT;
	tcp = (void *)ip + ihl;
	/* A non-first fragment carries no ports; its first fragment is dropped below. */
	if (ip->frag_off & bpf_htons(0x1fff))
		return STT_RX_NOT_STT;
	if ((void *)tcp + 4 > data_end)
		return STT_RX_NOT_STT;
	if (tcp->dest != bpf_htons(cfg->port))
		return STT_RX_NOT_STT;

	/* From here on it is STT: it is consumed, never left to the host's TCP. */
	if (ip->daddr != cfg->local4) {
		__u32 group = ip->daddr;

		/* A multicast group this endpoint floods to is ours too (stt_groups). */
		if (!STT_IS_MCAST4(group) || !bpf_map_lookup_elem(&stt_groups, &group)) {
			*reason = STT_DROP_NOT_LOCAL;
			return STT_RX_DROP;
		}
	}
	if (ip->frag_off & bpf_htons(0x2000)) {
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
	if ((tcp->doff_res >> 4) != 5) {
		*reason = STT_DROP_TCP_HDR;
		return STT_RX_DROP;
	}

	rx->outer_len = sizeof(*eth) + ihl + sizeof(*tcp);
	rx->payload_len = tot_len - ihl - sizeof(*tcp);
	rx->frame_len = STT_SEQ_LEN(bpf_ntohl(tcp->seq));
	rx->seg_off = STT_SEQ_OFF(bpf_ntohl(tcp->seq));
	rx->saddr = ip->saddr;
	rx->frame_id = tcp->ack_seq;
	rx->sport = bpf_ntohs(tcp->source);
	rx->tos = ip->tos;

	if (rx->payload_len == 0 || rx->frame_len < sizeof(struct stt_hdr) ||
	    rx->seg_off + rx->payload_len > rx->frame_len) {
		*reason = STT_DROP_LENGTH;
		return STT_RX_DROP;
	}
	if (rx->frame_len < sizeof(struct stt_hdr) + sizeof(*eth)) {
		*reason = STT_DROP_INNER_SHORT;
		return STT_RX_DROP;
	}
	if (rx->seg_off == 0 && rx->payload_len == rx->frame_len) {
		struct stt_hdr *stt = (void *)(tcp + 1);

		if ((void *)(stt + 1) > data_end) {
			*reason = STT_DROP_TRUNCATED;
			return STT_RX_DROP;
		}
		if (stt->version != STT_VERSION) {
			*reason = STT_DROP_VERSION;
			return STT_RX_DROP;
		}
		return STT_RX_FRAME;
	}
	return STT_RX_SEGMENT;
}

/* The STT header of a whole frame; the caller checked it lies inside the window. */
static __always_inline struct stt_hdr *stt_rx_hdr(void *data, const struct stt_rx *rx)
{
	return data + sizeof(struct stt_eth) + sizeof(struct stt_ipv4) + sizeof(struct stt_tcp);
}

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

#endif

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The tenant's frame at transmit: its vport and VLAN tag (stt_tx_vport, stt_tx_untag), its
 * flow hash (source port and flow label entropy), its TOS and the sum it adds to the outer
 * TCP checksum (stt_tx_inner).
 */
#ifndef STT_BPF_INNER_H
#define STT_BPF_INNER_H

#include "defs.h"
#include "hash.h"
#include "skb.h"
#include "types.h"
#include "drop.h"

/* Headers we read at transmit: inner Ethernet, IPv4 with options, TCP up to its checksum. */
#define STT_TX_PULL (14 + 60 + 20)

/* How stt_tx_inner sums the frame: in full, or only its headers (over IPv4 or IPv6). */
#define STT_SUM_FULL  0
#define STT_SUM_HDRS4 1
#define STT_SUM_HDRS6 2

/*
 * A second VLAN tag behind the first (QinQ): popping the first would move the second into
 * the skb's tag, which would then ride the outer frame. STT has room for one tag.
 */
static __always_inline int stt_inner_qinq(struct __sk_buff *skb)
{
	__be16 et;

	if (skb->protocol != bpf_htons(ETH_P_8021Q) || bpf_skb_load_bytes(skb, 16, &et, 2))
		return 0;
	return et == bpf_htons(ETH_P_8021Q) || et == bpf_htons(ETH_P_8021AD);
}

/* The vport of a frame: a trunk's VLAN (stt_vlan_vports), else the interface's. */
static __always_inline const struct stt_vport *stt_tx_vport(struct __sk_buff *skb, int *trunk)
{
	__u32 ifindex = skb->ifindex;
	const struct stt_vport *vp = NULL;

	if (skb->vlan_present || skb->protocol == bpf_htons(ETH_P_8021Q)) {
		struct stt_vlan_key vk = {.ifindex = ifindex};
		__be16 tci = 0;

		if (skb->vlan_present)
			vk.vid = skb->vlan_tci & STT_VLAN_VID_MASK;
		else if (!bpf_skb_load_bytes(skb, 14, &tci, 2))
			vk.vid = bpf_ntohs(tci) & STT_VLAN_VID_MASK;
		vp = bpf_map_lookup_elem(&stt_vlan_vports, &vk);
		*trunk = vp != NULL;
	}
	if (!vp)
		vp = bpf_map_lookup_elem(&stt_vports, &ifindex);
	return vp;
}

/*
 * A tagged tenant frame travels untagged, its tag in the STT header (draft 3.1): PCP(3)
 * V(1) VID(12). The tag may be skb metadata or in the frame (802.1Q); left on the skb, it
 * would end up on the outer frame. A trunk VLAN's own context: the tag is the context's,
 * only its PCP travels (V=0). Returns 0 or a drop.
 */
static __always_inline int stt_tx_untag(struct __sk_buff *skb, int trunk, __u16 *vlan)
{
	__be16 tci;

	if ((skb->vlan_present && (skb->protocol == bpf_htons(ETH_P_8021Q) ||
	                           skb->protocol == bpf_htons(ETH_P_8021AD))) ||
	    stt_inner_qinq(skb))
		return stt_ret_drop(STT_DROP_TX_QINQ);
	if (skb->vlan_present) {
		*vlan = skb->vlan_tci;
		if (bpf_skb_vlan_pop(skb))
			return stt_ret_drop(STT_DROP_TX_ERROR);
		*vlan = (*vlan & STT_VLAN_PCP_MASK) | STT_VLAN_V | (*vlan & STT_VLAN_VID_MASK);
	} else if (skb->protocol == bpf_htons(ETH_P_8021Q)) {
		if (bpf_skb_load_bytes(skb, 14, &tci, 2) || bpf_skb_vlan_pop(skb))
			return stt_ret_drop(STT_DROP_TX_ERROR);
		*vlan = bpf_ntohs(tci);
		*vlan = (*vlan & STT_VLAN_PCP_MASK) | STT_VLAN_V | (*vlan & STT_VLAN_VID_MASK);
	}
	if (trunk)
		*vlan &= STT_VLAN_PCP_MASK;
	return 0;
}

/*
 * Inner IPv4: flags, TOS, hash of addresses, protocol and ports. *tot_len and *ihl are set;
 * returns STT_SUM_HDRS4 when the L4 checksum lets the headers stand for the frame.
 */
static __always_inline int stt_inner_ip4(struct stt_ipv4 *ip, void *data_end, __u32 len,
                                         struct stt_inner *in, __u32 *h, __u8 *proto, __u32 *ihl,
                                         __u32 *tot_len)
{
	*ihl = (ip->ver_ihl & 0x0f) * 4;
	*tot_len = bpf_ntohs(ip->tot_len);
	*proto = ip->protocol;
	in->tos = ip->tos;
	in->flags |= STT_F_IPV4;
	if (*proto == IPPROTO_TCP)
		in->flags |= STT_F_TCP;
	*h = stt_mix(*h, ip->saddr);
	*h = stt_mix(*h, ip->daddr);
	*h = stt_mix(*h, *proto);
	if (*ihl >= sizeof(*ip) && !(ip->frag_off & bpf_htons(IP_MF | IP_OFFSET)) &&
	    (*proto == IPPROTO_TCP || *proto == IPPROTO_UDP)) {
		__be32 *ports = (void *)ip + *ihl;

		if (*ihl <= 60 && (void *)(ports + 1) <= data_end) {
			*h = stt_mix(*h, *ports);
			/* UDP checksum 0 means "none": the span does not sum to anything known. */
			if (sizeof(struct stt_eth) + *tot_len == len && *tot_len >= *ihl + 8) {
				__u16 *udp_check = (void *)ports + 6;

				if (*proto == IPPROTO_TCP ||
				    ((void *)(udp_check + 1) <= data_end && *udp_check))
					return STT_SUM_HDRS4;
			}
		}
	}
	return STT_SUM_FULL;
}

/*
 * IPv6 inside: addresses, next header and, when the next header is TCP or UDP (no
 * extension headers in between), the ports. The IPv4 flag stays clear (IPv6 by the
 * draft); TCP and a partial checksum are said as for IPv4, with the L4 offset after the
 * 40-byte header. Returns STT_SUM_HDRS6 as stt_inner_ip4 does.
 */
static __always_inline int stt_inner_ip6(struct stt_ipv6 *ip6, void *data_end, __u32 len,
                                         struct stt_inner *in, __u32 *h, __u8 *proto, __u32 *ihl,
                                         __u32 *tot_len)
{
	__be32 *ports = (void *)(ip6 + 1);
	__u16 *udp_check = (void *)ports + 6;

	in->tos = (ip6->ver_tc_flow[0] << 4) | (ip6->ver_tc_flow[1] >> 4);
#pragma unroll
	for (int k = 0; k < 4; k++) {
		*h = stt_mix(*h, ip6->saddr[k]);
		*h = stt_mix(*h, ip6->daddr[k]);
	}
	*proto = ip6->nexthdr;
	*h = stt_mix(*h, *proto);
	if (*proto == IPPROTO_TCP)
		in->flags |= STT_F_TCP;
	if (*proto != IPPROTO_TCP && *proto != IPPROTO_UDP)
		return STT_SUM_FULL;
	*ihl = sizeof(*ip6);
	*tot_len = sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
	if ((void *)(ports + 1) > data_end)
		return STT_SUM_FULL;
	*h = stt_mix(*h, *ports);
	if (sizeof(struct stt_eth) + *tot_len == len && *tot_len >= *ihl + 8 &&
	    (*proto == IPPROTO_TCP || ((void *)(udp_check + 1) <= data_end && *udp_check)))
		return STT_SUM_HDRS6;
	return STT_SUM_FULL;
}

/*
 * The headers' share of the outer checksum when the L4 span's own checksum stands for it
 * (see stt_tx_inner): the inner headers' sum plus the complement of the pseudo header.
 */
static __always_inline int stt_inner_hdr_sum(struct __sk_buff *skb, struct stt_inner *in, int how,
                                             __u8 proto, __u32 ihl, __u32 tot_len)
{
	void *data = stt_skb_data(skb), *data_end = stt_skb_data_end(skb);
	struct stt_ipv4 *ip = data + sizeof(struct stt_eth);
	__u64 pseudo = 0;

	if (how == STT_SUM_HDRS6) {
		struct stt_ipv6 *ip6 = (void *)ip;

		if ((void *)(ip6 + 1) > data_end)
			return -1;
#pragma unroll
		for (int k = 0; k < 4; k++)
			pseudo += (__u64)ip6->saddr[k] + ip6->daddr[k];
		ihl = sizeof(*ip6);
	} else {
		if ((void *)(ip + 1) > data_end)
			return -1;
		pseudo = (__u64)ip->saddr + ip->daddr;
	}
	pseudo += stt_pseudo4_tail(proto, tot_len - ihl);
	/*
	 * A checksum field equal to the pseudo-header seed is one the tenant's stack left for
	 * offload (CHECKSUM_PARTIAL; a complete checksum matches 1 time in 65536, and is then
	 * only treated more carefully). The STT header says so: the receiver must not hand
	 * such a frame to a path that loses the skb's checksum state (the XDP redirect).
	 */
	if (ihl <= 60) {
		__u16 *check = (void *)ip + ihl + (proto == IPPROTO_TCP ? 16 : 6);

		if ((void *)(check + 1) <= data_end && *check == stt_csum_fold(pseudo)) {
			in->flags |= STT_F_CSUM_PARTIAL;
			in->l4_off = sizeof(struct stt_eth) + ihl;
		}
	}
	in->csum = stt_sum_bytes(skb, 0, sizeof(struct stt_eth) + ihl);
	in->csum += (__u16)~stt_csum_fold(pseudo);
	return 0;
}

/*
 * What the inner frame contributes to the outer TCP checksum, without summing its payload
 * where that can be avoided. Once an inner TCP or UDP checksum is complete, its L4 span sums
 * to the complement of the inner pseudo header, whether the tenant stack left the checksum
 * partial (the device or skb_checksum_help completes it before the wire) or filled it in.
 * So the outer checksum needs only the inner headers: local checksum offload
 * (Documentation/networking/checksum-offloads.rst). Anything else is summed in full.
 */
static __always_inline int stt_tx_inner(struct __sk_buff *skb, struct stt_inner *in)
{
	__u32 len = skb->len, ihl = 0, tot_len = 0;
	void *data, *data_end;
	struct stt_eth *eth;
	struct stt_ipv4 *ip;
	__u32 h = 0x5354;
	__u8 proto = 0;
	int how = STT_SUM_FULL;

	if (bpf_skb_pull_data(skb, len < STT_TX_PULL ? len : STT_TX_PULL))
		return -1;
	data = stt_skb_data(skb);
	data_end = stt_skb_data_end(skb);
	eth = data;
	if ((void *)(eth + 1) > data_end)
		return -1;

	in->flags = 0;
	ip = (void *)(eth + 1);
	if (eth->proto == bpf_htons(ETH_P_IP) && (void *)(ip + 1) <= data_end &&
	    (ip->ver_ihl >> 4) == 4) {
		how = stt_inner_ip4(ip, data_end, len, in, &h, &proto, &ihl, &tot_len);
	} else if (eth->proto == bpf_htons(ETH_P_IPV6)) {
		struct stt_ipv6 *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) <= data_end)
			how = stt_inner_ip6(ip6, data_end, len, in, &h, &proto, &ihl, &tot_len);
	} else {
		__u32 *w = (void *)eth;

		if ((void *)(w + 3) <= data_end) {
			h = stt_mix(h, w[0]);
			h = stt_mix(h, w[1]);
			h = stt_mix(h, w[2]);
		}
	}
	in->hash = stt_final(h);

	if (how != STT_SUM_FULL)
		return stt_inner_hdr_sum(skb, in, how, proto, ihl, tot_len);

	/* Everything else: make the whole frame linear and sum it. */
	if (len > STT_SUM_MAX || bpf_skb_pull_data(skb, len))
		return -1;
	in->csum = stt_sum_bytes(skb, 0, len);
	return 0;
}

/*
 * Length of the inner IP + TCP headers of a frame, or 0 when it is not TCP over IPv4 or
 * IPv6 (without extension headers); *v6 says which.
 */
static __always_inline __u32 stt_inner_tcp_hlen(struct __sk_buff *skb, int *v6)
{
	void *data, *data_end;
	struct stt_ipv4 *ip;
	__u32 ihl, thl;
	__u8 *doff;

	if (bpf_skb_pull_data(skb, skb->len < STT_GSO_HDRS ? skb->len : STT_GSO_HDRS))
		return 0;
	data = stt_skb_data(skb);
	data_end = stt_skb_data_end(skb);
	ip = data + sizeof(struct stt_eth);
	*v6 = 0;
	if ((void *)(ip + 1) > data_end)
		return 0;
	if (((struct stt_eth *)data)->proto == bpf_htons(ETH_P_IPV6)) {
		struct stt_ipv6 *ip6 = (void *)ip;

		if ((void *)(ip6 + 1) > data_end || ip6->nexthdr != IPPROTO_TCP)
			return 0;
		*v6 = 1;
		ihl = sizeof(*ip6);
	} else {
		if (((struct stt_eth *)data)->proto != bpf_htons(ETH_P_IP) ||
		    ip->protocol != IPPROTO_TCP)
			return 0;
		ihl = (ip->ver_ihl & 0x0f) * 4;
	}
	if (ihl < 20 || ihl > 60)
		return 0;
	doff = (void *)ip + ihl + 12;
	if ((void *)(doff + 1) > data_end)
		return 0;
	thl = (*doff >> 4) * 4;
	if (thl < 20)
		return 0;
	return ihl + thl;
}

#endif

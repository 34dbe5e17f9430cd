/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Delivery at TC receive: a whole frame's outer headers off (stt_rx_decap, stt_rx_small),
 * its inner ECN/DSCP (stt_rx_tos) and VLAN tag (stt_rx_vlan) set as decapsulation says.
 */
#ifndef STT_BPF_DELIVER_H
#define STT_BPF_DELIVER_H

#include "defs.h"
#include "drop.h"
#include "parse.h"
#include "stt_tos.h"
#include "stt_policy.h"

/* Inner headers the receive side reads: outer IPv4 + TCP + STT + inner Ethernet. */
#define STT_RX_PULL (14 + 60 + 20 + 18 + 14)

/* Inner frames shorter than this are decapsulated by copying (stt_rx_small). */
#define STT_SMALL_INNER 34

/*
 * ECN and DSCP at decapsulation (include/stt_tos.h) for the inner IP header at off, whose
 * Ethernet type is proto. Returns 0 (done or nothing to do) or a drop: ecn_ce_not_ect (CE
 * on the outside of a Not-ECT packet), rx_error (a helper failed).
 */
static __noinline int stt_rx_tos(struct __sk_buff *skb, __u32 off, __be16 proto, __u8 outer,
                                 __u8 dscp)
{
	__u16 et = bpf_ntohs(proto);
	__u8 b[2], nb[2], tos;
	int t;

	if (off > 0xffff || bpf_skb_load_bytes(skb, off, b, sizeof(b)) ||
	    !stt_ip_tos_get(et, b, &tos))
		return 0;
	t = stt_decap_tos(outer, tos, dscp);
	if (t < 0)
		return stt_ret_drop(STT_DROP_ECN_CE_NOT_ECT);
	if (t == tos)
		return 0;
	nb[0] = b[0];
	nb[1] = b[1];
	stt_ip_tos_set(et, nb, t);
	if ((et == ETH_P_IP && bpf_l3_csum_replace(skb, off + 10, *(__u16 *)b, *(__u16 *)nb, 2)) ||
	    bpf_skb_store_bytes(skb, off, nb, sizeof(nb), 0))
		return stt_ret_drop(STT_DROP_RX_ERROR);
	return 0;
}

/*
 * Tag a decapsulated frame as the policy says (stt_rx_vlan_tag, include/stt_policy.h);
 * vlan is the STT header's PCP/V/VID in host order. Returns non-zero when the push failed.
 */
static __always_inline long stt_rx_vlan(struct __sk_buff *skb, __u32 vflags, __u16 vlan)
{
	__u16 tci;

	if (!stt_rx_vlan_tag(vflags, vlan, &tci))
		return 0;
	return bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), tci);
}

/*
 * Move a short inner frame (14 .. STT_SMALL_INNER - 1 bytes at off) to the front of the
 * packet and cut the rest. Its own function so that the length reaches the helpers in one
 * register the verifier bounded: older verifiers (6.1) lose the bound of a spilled copy.
 */
static __noinline int stt_rx_small(struct __sk_buff *skb, __u32 off, __u32 inner_len)
{
	__u8 buf[64];
	__u32 n;

	if (inner_len < sizeof(struct stt_eth) || inner_len >= STT_SMALL_INNER || off > 128)
		return -1;
	n = ((inner_len - 1) & 63) + 1; /* inner_len, and 1..64 to the verifier */
	if (bpf_skb_load_bytes(skb, off, buf, n) || bpf_skb_store_bytes(skb, 0, buf, n, 0) ||
	    bpf_skb_change_tail(skb, n, 0))
		return -1;
	return 0;
}

/*
 * How many bytes stt_rx_decap takes from behind the MAC header, after retyping the skb
 * where the families differ. Returns 0 or a drop.
 */
static __always_inline int stt_rx_retype(struct __sk_buff *skb, const struct stt_rx *rx,
                                         __be16 inner_proto, __u32 inner_len, int gso, __u32 *strip)
{
	if (rx->v6 && (inner_proto != bpf_htons(ETH_P_IPV6) || inner_len < 14 + 40)) {
		/*
		 * IPv6 outside, anything but IPv6 inside (or an "IPv6" frame too short for
		 * the header). bpf_skb_adjust_room() leaves at least a header of the skb's
		 * protocol behind the MAC header, 40 bytes for IPv6, and an ARP is 28; and a
		 * frame merged from IPv6 segments is typed TCPv6 GSO, wrong for IPv4 inside.
		 * The 6-to-4 translation fixes both: it retypes the skb IPv4 (TCPv4 GSO) and
		 * takes 20 bytes from behind the MAC header, which were outer bytes anyway.
		 */
		if (bpf_skb_change_proto(skb, bpf_htons(ETH_P_IP), 0))
			return stt_ret_drop(STT_DROP_RX_ERROR);
		*strip -= 20;
	} else if (gso && !rx->v6 && inner_proto == bpf_htons(ETH_P_IPV6)) {
		/*
		 * IPv6 inside a merged frame: GRO typed the skb IPv4 and TCPv4 GSO from the
		 * outer headers, and anything that segments it (a veth, a forwarding tenant)
		 * would take the inner IPv6 packet for IPv4 and drop it. The 4-to-6
		 * translation retypes it IPv6 / TCPv6 GSO, adding 20 bytes behind the MAC
		 * header, which go with the outer headers.
		 */
		if (bpf_skb_change_proto(skb, bpf_htons(ETH_P_IPV6), 0))
			return stt_ret_drop(STT_DROP_RX_ERROR);
		*strip += 20;
	}
	return 0;
}

/*
 * A GUE datagram that is a GSO skb must be one tenant TCP burst (a UDP-tunnel GSO skb from
 * a local sender): its inner IP packet ends where the datagram does. Anything else, such as
 * datagrams merged by UDP GRO forwarding, would reach the tenant as one corrupt frame.
 * Returns 0 or a drop (bad_length).
 */
static __noinline int stt_rx_gue_gso_ok(struct __sk_buff *skb, const struct stt_rx *rx)
{
	__u32 off = rx->outer_len + sizeof(struct stt_eth), len = rx->frame_len;
	__u8 ip[6];

	if (!skb->gso_size)
		return 0;
	if (off > 128 || bpf_skb_load_bytes(skb, off, ip, sizeof(ip)))
		return stt_ret_drop(STT_DROP_LENGTH);
	if ((ip[0] >> 4) == 4 && (__u32)(ip[2] << 8 | ip[3]) + sizeof(struct stt_eth) == len)
		return 0;
	if ((ip[0] >> 4) == 6 && (__u32)(ip[4] << 8 | ip[5]) + 40 + sizeof(struct stt_eth) == len)
		return 0;
	return stt_ret_drop(STT_DROP_LENGTH);
}

/*
 * Remove outer IP + TCP + STT + inner Ethernet from behind the outer Ethernet header, then
 * write the inner Ethernet header in its place. Two steps: the second pull's
 * skb_postpull_rcsum() finds a csum_start (outer TCP, set by GRO or a local sender) before
 * the data and drops the skb to CHECKSUM_NONE, so the tenant verifies the inner checksum
 * itself instead of trusting a partial one. Returns 0 or a drop.
 */
static __always_inline int stt_rx_decap(struct __sk_buff *skb, const struct stt_rx *rx,
                                        const struct stt_eth *inner_eth, __u32 inner_len,
                                        __be16 mss)
{
	__u32 strip = stt_rx_inner_off(rx) - sizeof(struct stt_eth) + sizeof(*inner_eth);
	int gso = skb->gso_size != 0, ret;
	__u64 flags;

	if (!gso && inner_len < STT_SMALL_INNER) {
		/*
		 * bpf_skb_adjust_room() will not leave less than an IPv4 header behind the MAC
		 * header, and legal inner frames can be shorter (a PPPoE PADI is 24 bytes):
		 * move the inner frame to the front and cut the tail instead.
		 */
		if (stt_rx_small(skb, stt_rx_inner_off(rx), inner_len))
			return stt_ret_drop(STT_DROP_RX_ERROR);
		return 0;
	}
	flags = gso ? BPF_F_ADJ_ROOM_FIXED_GSO : 0;
	ret = stt_rx_retype(skb, rx, inner_eth->proto, inner_len, gso, &strip);
	if (ret)
		return ret;
	if (bpf_skb_adjust_room(skb, -(__s32)(strip - 4), BPF_ADJ_ROOM_MAC, flags) ||
	    bpf_skb_adjust_room(skb, -4, BPF_ADJ_ROOM_MAC, flags) ||
	    bpf_skb_store_bytes(skb, 0, inner_eth, sizeof(*inner_eth), 0))
		return stt_ret_drop(STT_DROP_RX_ERROR);
	if (!gso)
		return 0;
	/*
	 * A GSO skb here is a frame GRO merged (GRO verified every segment's outer checksum
	 * before merging) or one a local sender handed over whole (trusted, as veth trusts
	 * CHECKSUM_PARTIAL). Its inner TCP checksum is still the sender's partial seed, so
	 * mark the inner packet verified: the kernel re-seeds and recomputes checksums if the
	 * tenant forwards it on, because forwarding a GSO skb segments it again. A single
	 * segment is never marked: the tenant checks it (or its CHECKSUM_PARTIAL state from
	 * a local sender is kept).
	 */
	bpf_csum_level(skb, BPF_CSUM_LEVEL_INC);
	if (!rx->gue && rx->payload_len > skb->gso_size)
		stt_count(STT_C_RX_GRO_FRAMES, 1);
	/*
	 * GRO typed the merged skb as TCPv4 GSO. That is right for a tenant TSO frame (the
	 * STT MSS says so), but any other frame the sender had to cut (ICMP, UDP, a lone
	 * full-size TCP segment) must stop being GSO, or the kernel tries to segment its
	 * inner packet as TCP and drops it. bpf_skb_change_tail() linearizes and resets the
	 * GSO state (skb_gso_reset), even at the same length.
	 */
	if (!mss && bpf_skb_change_tail(skb, skb->len, 0))
		return stt_ret_drop(STT_DROP_RX_ERROR);
	return 0;
}

#endif

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * GSO frames: a tenant's TSO burst sent as ONE STT frame that the kernel segments late
 * (stt_tx_gso), and the move to CHECKSUM_NONE with room for outer headers it rests on.
 */
#ifndef STT_BPF_GSO_H
#define STT_BPF_GSO_H

#include "defs.h"
#include "drop.h"
#include "inner.h"

#define STT_RETYPE_4 4
#define STT_RETYPE_6 6

/*
 * Make a CHECKSUM_PARTIAL skb CHECKSUM_NONE, and make room for outer headers in front of
 * the inner ones (kernel-facts.md, "Transmit"): copy the first 14 + h bytes (inner Ethernet,
 * IP, L4 header), pull h bytes from behind the MAC header in two steps (the second pull's
 * skb_postpull_rcsum() finds csum_start before the data and sets CHECKSUM_NONE; that needs
 * h > 14 + ihl + 4, which any TCP header or 20 bytes past the IP header give), then grow
 * room for outer + h bytes and write the copy back at offset outer.
 * retype: STT_RETYPE_4 when the inner packet is IPv6 and the outer IPv4, STT_RETYPE_6 for
 * the reverse, 0 when they are one family (or there is no outer header).
 * Returns 0, or a drop: tx_too_big when the frame is not one this can handle.
 */
static __noinline int stt_tx_to_none(struct __sk_buff *skb, __u32 h, __u32 outer, __u64 flags,
                                     int retype)
{
	__u8 hdrs[STT_GSO_HDRS];
	__u32 hlen = sizeof(struct stt_eth) + h, pull = h;

	if (h < 24 || hlen > STT_GSO_HDRS || hlen > skb->len || outer > 128)
		return stt_ret_drop(STT_DROP_TX_TOO_BIG);
	if (bpf_skb_load_bytes(skb, 0, hdrs, hlen & 0xff))
		return stt_ret_drop(STT_DROP_TX_ERROR);
	if (retype == STT_RETYPE_4) {
		/*
		 * IPv6 inside a TSO burst: the skb is typed TCPv6 GSO, and the kernel's TCPv4
		 * segmentation of the outer header refuses that type. bpf_skb_change_proto()
		 * retypes it TCPv4 (its 6-to-4 translation), taking 20 bytes of the IPv6
		 * header away; the rest of the headers go below, and the copy puts them back.
		 */
		if (bpf_skb_change_proto(skb, bpf_htons(ETH_P_IP), 0))
			return stt_ret_drop(STT_DROP_TX_ERROR);
		pull = h - 20;
	} else if (retype == STT_RETYPE_6) {
		/*
		 * IPv4 inside, IPv6 outside: the other way round. The 4-to-6 translation
		 * retypes the skb IPv6 / TCPv6 GSO (what tcp6_gso_segment wants of the outer
		 * header) and adds 20 bytes behind the MAC header, pulled off with the rest.
		 */
		if (bpf_skb_change_proto(skb, bpf_htons(ETH_P_IPV6), 0))
			return stt_ret_drop(STT_DROP_TX_ERROR);
		pull = h + 20;
	}
	if (bpf_skb_adjust_room(skb, -(__s32)(pull - 4), BPF_ADJ_ROOM_MAC, flags) ||
	    bpf_skb_adjust_room(skb, -4, BPF_ADJ_ROOM_MAC, flags))
		return stt_ret_drop(STT_DROP_TX_ERROR);
	if (bpf_skb_adjust_room(skb, outer + h, BPF_ADJ_ROOM_MAC, flags))
		return stt_ret_drop(STT_DROP_TX_ERROR);
	if (bpf_skb_store_bytes(skb, outer, hdrs, hlen & 0xff, 0))
		return stt_ret_drop(STT_DROP_TX_ERROR);
	return 0;
}

/*
 * A TSO burst from the tenant (a GSO skb, up to 64 KB) becomes ONE STT frame that the
 * kernel segments as late as it can: the NIC's TSO, or software GSO at the underlay.
 * The tenant's skb is CHECKSUM_PARTIAL with csum_start on the inner TCP header, and the
 * kernel's TCP segmentation drops any skb whose csum_start is not the header it segments;
 * no helper writes csum_start. So the skb is made CHECKSUM_NONE with room for the outer
 * headers in front of the inner ones (stt_tx_to_none), and at transmit tcp4_gso_segment()
 * seeds the checksum on the OUTER TCP header and segments (or hands the whole skb to a
 * device that segments). SEQ offsets step by gso_size, which is exactly STT's SEQ. The
 * inner TCP checksum stays the partial seed: the STT header says so (checksum partial,
 * L4 offset, MSS). tests/netns/test_large.sh fails loudly if either behaviour changes.
 */
static __noinline int stt_tx_gso(struct __sk_buff *skb, struct stt_tx_state *st)
{
	int v6;
	__u32 h = stt_inner_tcp_hlen(skb, &v6);

	if (!h)
		return stt_ret_drop(STT_DROP_TX_TOO_BIG); /* only TCP is segmented this way */
	if (st->v6)
		return stt_tx_to_none(skb, h, sizeof(struct stt_encap6), BPF_F_ADJ_ROOM_FIXED_GSO,
		                      v6 ? 0 : STT_RETYPE_6);
	return stt_tx_to_none(skb, h, sizeof(struct stt_encap4), BPF_F_ADJ_ROOM_FIXED_GSO,
	                      v6 ? STT_RETYPE_4 : 0);
}

/*
 * Make a GSO frame fit the path MTU: segments of hdr + gso_size bytes (hdr: what each
 * segment carries in front of its share of the payload, from the outer IP header on) that
 * would not fit get a smaller gso_size. Growing room without BPF_F_ADJ_ROOM_FIXED_GSO lowers
 * it by the bytes added; taking them away again with the flag keeps it there. An STT header
 * keeps the tenant's MSS (the inner TCP's), only the outer cut changes. Returns 0 or a drop.
 */
static __noinline int stt_tx_gso_fit(struct __sk_buff *skb, __u32 hdr, __u32 mtu)
{
	__u32 seg_len = skb->gso_size + hdr, d;

	if (seg_len <= mtu)
		return 0;
	d = seg_len - mtu;
	if (d > 0xfff || skb->gso_size < d + 256 ||
	    bpf_skb_adjust_room(skb, d, BPF_ADJ_ROOM_MAC, 0) ||
	    bpf_skb_adjust_room(skb, -(__s32)d, BPF_ADJ_ROOM_MAC, BPF_F_ADJ_ROOM_FIXED_GSO))
		return stt_ret_drop(STT_DROP_TX_TOO_BIG);
	stt_count(STT_C_TX_MSS_LOWERED, 1);
	return 0;
}

#endif

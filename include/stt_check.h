/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The STT frame header checked whole on receive (draft-davie-stt-03 3.1), shared by the
 * BPF programs (XDP, TC, pieces) and sttd: pure C, like stt_tos.h, so that every path that
 * delivers a frame applies the same rules.
 *
 * - version 0;
 * - flags: the reserved bits 4-7 clear, and never "checksum verified" with "checksum
 *   partial" (the draft: both cannot be set). The draft says to ignore reserved bits on
 *   receipt; no sender sets them, and a frame that does is refused rather than guessed at;
 * - without "checksum partial": L4 offset 0 and MSS 0 (they describe a partial checksum
 *   and a segmentation that are not there; tshark flags both);
 * - with it: the inner frame is IPv4 (flag set) or IPv6 (flag clear) by its EtherType and
 *   version, the L4 offset is where the inner IP header ends (14 + IHL, or 54: no IPv6
 *   extension headers), the inner protocol is TCP (flag set) or UDP (clear), and the L4
 *   header (20 or 8 bytes) lies inside the frame;
 * - an MSS only on a partial TCP frame, and at least STT_MIN_MSS: it becomes the gso_size
 *   of what is delivered, and a tiny one would make a forwarding tenant cut 64 KB into
 *   thousands of segments.
 * The IPv4/TCP flags of a frame without a partial checksum are hints that no receive path
 * uses; other senders (Open vSwitch) leave them clear then, so they are not checked.
 */
#ifndef STT_CHECK_H
#define STT_CHECK_H

/* Inner bytes the check reads: Ethernet, then IPv4 up to its protocol or IPv6 up to next header. */
#define STT_CHECK_INNER 24

/* Linux's smallest TCP MSS (TCP_MIN_SND_MSS). */
#define STT_MIN_MSS 48

/*
 * Is the header h of a frame whose inner frame is inner_len bytes long acceptable?
 * inner holds the first STT_CHECK_INNER bytes of that inner frame (zeros past its end).
 * Returns 1, or 0 with *reason set.
 */
static inline int stt_hdr_ok(const struct stt_hdr *h, const __u8 *inner, __u32 inner_len,
                             enum stt_drop *reason)
{
	__u16 mss = ((__u16)((const __u8 *)&h->mss)[0] << 8) | ((const __u8 *)&h->mss)[1];
	__u8 f = h->flags, l4 = h->l4_offset, proto, want;
	__u32 l4_end;

	if (h->version != STT_VERSION) {
		*reason = STT_DROP_VERSION;
		return 0;
	}
	if ((f & STT_F_RESERVED) || (f & (STT_F_CSUM_VERIFIED | STT_F_CSUM_PARTIAL)) ==
	                                (STT_F_CSUM_VERIFIED | STT_F_CSUM_PARTIAL)) {
		*reason = STT_DROP_FLAGS;
		return 0;
	}
	if (!(f & STT_F_CSUM_PARTIAL)) {
		*reason = l4 ? STT_DROP_L4_OFFSET : STT_DROP_MSS;
		return !l4 && !mss;
	}
	want = (f & STT_F_TCP) ? 6 : 17;
	if (f & STT_F_IPV4) {
		if (inner[12] != 0x08 || inner[13] != 0x00 || (inner[14] >> 4) != 4 ||
		    (inner[14] & 0x0f) < 5 || l4 != 14 + (inner[14] & 0x0f) * 4)
			goto bad_l4;
		proto = inner[14 + 9];
	} else {
		if (inner[12] != 0x86 || inner[13] != 0xdd || (inner[14] >> 4) != 6 || l4 != 54)
			goto bad_l4;
		proto = inner[14 + 6];
	}
	l4_end = (__u32)l4 + (want == 6 ? 20 : 8);
	if (proto != want || l4_end > inner_len)
		goto bad_l4;
	if (mss && (want != 6 || mss < STT_MIN_MSS)) {
		*reason = STT_DROP_MSS;
		return 0;
	}
	return 1;
bad_l4:
	*reason = STT_DROP_L4_OFFSET;
	return 0;
}

#endif /* STT_CHECK_H */

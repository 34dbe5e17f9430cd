/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * DSCP and ECN across the tunnel, shared by the BPF programs and sttd (pure C).
 *
 * Encapsulation: ECN in normal mode (RFC 6040 4.1: the inner ECN field is copied to the
 * outer header); DSCP by the endpoint's model (stt_cfg.dscp, RFC 2983): uniform copies the
 * inner DSCP out, pipe writes a fixed one.
 * Decapsulation (RFC 6040 4.2, and draft-davie-stt 3.3.1: CE on any segment of a frame is
 * CE for the whole frame, so the caller passes the outer ECN OR-ed over the frame's
 * segments):
 *
 *   inner \ outer | Not-ECT  ECT(0)  ECT(1)  CE
 *   Not-ECT       | Not-ECT  Not-ECT Not-ECT drop
 *   ECT(0)        | ECT(0)   ECT(0)  ECT(1)  CE
 *   ECT(1)        | ECT(1)   ECT(1)  ECT(1)  CE
 *   CE            | CE       CE      CE      CE
 *
 * Uniform model: the outer DSCP of the frame's first segment replaces the inner one.
 */
#ifndef STT_TOS_H
#define STT_TOS_H

#define STT_ECN_MASK    0x03
#define STT_ECN_NOT_ECT 0x00
#define STT_ECN_ECT1    0x01
#define STT_ECN_ECT0    0x02
#define STT_ECN_CE      0x03

/* Outer TOS for an inner TOS (0 for non-IP frames). dscp is stt_cfg.dscp. */
static inline __u8 stt_encap_tos(__u8 inner, __u8 dscp)
{
	__u8 d = dscp == STT_DSCP_INHERIT ? (inner & 0xfc) : (__u8)(STT_DSCP_VALUE(dscp) << 2);

	return d | (inner & STT_ECN_MASK);
}

/* New inner TOS after decapsulation, or -1: drop the frame (CE outside, Not-ECT inside). */
static inline int stt_decap_tos(__u8 outer, __u8 inner, __u8 dscp)
{
	__u8 o = outer & STT_ECN_MASK, ecn = inner & STT_ECN_MASK;
	__u8 d = dscp == STT_DSCP_INHERIT ? (outer & 0xfc) : (inner & 0xfc);

	if (o == STT_ECN_CE) {
		if (ecn == STT_ECN_NOT_ECT)
			return -1;
		ecn = STT_ECN_CE;
	} else if (o == STT_ECN_ECT1 && ecn == STT_ECN_ECT0) {
		ecn = STT_ECN_ECT1;
	}
	return d | ecn;
}

/*
 * The TOS of an IP header from its first two bytes b, under EtherType et (host order):
 * IPv4's TOS byte, IPv6's traffic class. Returns 0 (and leaves *tos) for anything else.
 */
static inline int stt_ip_tos_get(__u16 et, const __u8 *b, __u8 *tos)
{
	if (et == 0x0800 && (b[0] >> 4) == 4)
		*tos = b[1];
	else if (et == 0x86dd && (b[0] >> 4) == 6)
		*tos = (__u8)(b[0] << 4) | (b[1] >> 4);
	else
		return 0;
	return 1;
}

/* Write tos into those two bytes (an IPv4 header checksum is the caller's to fix). */
static inline void stt_ip_tos_set(__u16 et, __u8 *b, __u8 tos)
{
	if (et == 0x0800) {
		b[1] = tos;
	} else {
		b[0] = (b[0] & 0xf0) | (tos >> 4);
		b[1] = (b[1] & 0x0f) | (__u8)(tos << 4);
	}
}

#endif /* STT_TOS_H */

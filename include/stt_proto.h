/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * STT wire format (draft-davie-stt-03), shared by the BPF programs and userspace.
 *
 * Types are the kernel's __u8/__be16/... so this header builds both against vmlinux.h
 * (BPF side) and against <linux/types.h> (userspace).
 */
#ifndef STT_PROTO_H
#define STT_PROTO_H

#define STT_DEFAULT_PORT 7471
#define STT_VERSION      0

/* Flags (draft 3.1). Bit numbers as in the draft, bit 0 the least significant. */
#define STT_F_CSUM_VERIFIED 0x01
#define STT_F_CSUM_PARTIAL  0x02
#define STT_F_IPV4          0x04
#define STT_F_TCP           0x08
#define STT_F_RESERVED      0xf0

/* PCP(3) V(1) VLAN ID(12), host order once ntohs'd. */
#define STT_VLAN_PCP_SHIFT 13
#define STT_VLAN_PCP_MASK  0xe000
#define STT_VLAN_V         0x1000
#define STT_VLAN_VID_MASK  0x0fff

/* Source ports come from the ephemeral range (draft 3.2). */
#define STT_SPORT_BASE 49152
#define STT_SPORT_MASK 0x3fff

/* A frame's length travels in the upper 16 bits of SEQ: 64 KB - 1 at most. */
#define STT_MAX_FRAME 65535

/*
 * OAM (sttctl ping): a probe is a valid STT frame of the context under test whose inner
 * frame is an IEEE 802.1ag CFM Loopback Message (EtherType 0x8902, opcode 3) to a reserved,
 * locally administered MAC. The receiving endpoint never delivers it: it answers with a
 * Loopback Reply (opcode 2) to the sender, which consumes it (sttctl reads it from a
 * packet socket on the underlay, ahead of TC).
 */
#define STT_OAM_ETHERTYPE 0x8902
#define STT_OAM_MAC                                                                                \
	{                                                                                          \
		0x02, 0x53, 0x54, 0x54, 0x4f, 0x41                                                 \
	} /* "STTOA" */
#define STT_CFM_LBR 2
#define STT_CFM_LBM 3

struct stt_hdr {
	__u8 version;
	__u8 flags;
	__u8 l4_offset;
	__u8 reserved;
	__be16 mss;
	__be16 vlan_tci;
	__be64 context_id;
	__be16 pad;
} __attribute__((packed));

_Static_assert(sizeof(struct stt_hdr) == 18, "STT frame header is 18 bytes");

/* Minimal header shapes, so that userspace and BPF share one definition of the encap. */
struct stt_eth {
	__u8 dst[6];
	__u8 src[6];
	__be16 proto;
} __attribute__((packed));

struct stt_ipv4 {
	__u8 ver_ihl;
	__u8 tos;
	__be16 tot_len;
	__be16 id;
	__be16 frag_off;
	__u8 ttl;
	__u8 protocol;
	__sum16 check;
	__be32 saddr;
	__be32 daddr;
} __attribute__((packed));

struct stt_ipv6 {
	__u8 ver_tc_flow[4]; /* version(4) traffic class(8) flow label(20) */
	__be16 payload_len;
	__u8 nexthdr;
	__u8 hop_limit;
	__be32 saddr[4];
	__be32 daddr[4];
} __attribute__((packed));

struct stt_tcp {
	__be16 source;
	__be16 dest;
	__be32 seq;
	__be32 ack_seq;
	__u8 doff_res; /* data offset << 4 */
	__u8 flags;    /* CWR ECE URG ACK PSH RST SYN FIN */
	__be16 window;
	__sum16 check;
	__be16 urg_ptr;
} __attribute__((packed));

#define STT_TCP_FIN 0x01
#define STT_TCP_SYN 0x02
#define STT_TCP_RST 0x04
#define STT_TCP_PSH 0x08
#define STT_TCP_ACK 0x10
#define STT_TCP_CWR 0x80

/*
 * Everything an STT segment carries in front of the tenant's frame, as one struct: it is
 * bounds-checked once and written once.
 */
struct stt_encap4 {
	struct stt_eth eth;
	struct stt_ipv4 ip;
	struct stt_tcp tcp;
	struct stt_hdr stt;
} __attribute__((packed));

/* The same over an IPv6 underlay (draft 3.3: STT runs over IPv4 or IPv6). */
struct stt_encap6 {
	struct stt_eth eth;
	struct stt_ipv6 ip;
	struct stt_tcp tcp;
	struct stt_hdr stt;
} __attribute__((packed));

_Static_assert(sizeof(struct stt_eth) == 14, "Ethernet header");
_Static_assert(sizeof(struct stt_ipv4) == 20, "IPv4 header without options");
_Static_assert(sizeof(struct stt_ipv6) == 40, "IPv6 header");
_Static_assert(sizeof(struct stt_tcp) == 20, "TCP header without options");
_Static_assert(sizeof(struct stt_encap4) == 72, "outer headers + STT header");
_Static_assert(sizeof(struct stt_encap6) == 92, "outer IPv6 headers + STT header");

/* Bytes added in front of an inner frame, not counting the outer Ethernet header. */
#define STT_ENCAP4_OVERHEAD                                                                        \
	(sizeof(struct stt_ipv4) + sizeof(struct stt_tcp) + sizeof(struct stt_hdr))

#define STT_ENCAP6_OVERHEAD                                                                        \
	(sizeof(struct stt_ipv6) + sizeof(struct stt_tcp) + sizeof(struct stt_hdr))

/*
 * GUE (draft-ietf-intarea-gue, issue 13, docs/GUE.md): what Linux's fou + gretap send,
 * UDP to the GUE port, GUE variant 0 with proto_ctype 47, then GRE with only the K bit and
 * protocol 0x6558 (transparent Ethernet bridging), the key the tenant network, then the
 * tenant's Ethernet frame. stt-to-stt only: an optional private option (P flag, hlen 3)
 * carrying a 64-bit security cookie, which Linux's GUE drops.
 */
#define STT_GUE_DEFAULT_PORT 6080
#define STT_GUE_PROTO_GRE    47
#define STT_GUE_FLAG_P       0x0001     /* in the 16-bit flags, host order once ntohs'd */
#define STT_GUE_PFLAG_COOKIE 0x40000000 /* private flag (bit 31 is Linux's REMCSUM) */
#define STT_GRE_FLAG_K       0x2000
#define STT_GRE_PROTO_TEB    0x6558
#define STT_GUE_SPORT_MIN    32768 /* Linux's ip_local_port_range, as udp_flow_src_port */
#define STT_GUE_SPORT_MAX    60999

struct stt_udp {
	__be16 source;
	__be16 dest;
	__be16 len;
	__sum16 check;
} __attribute__((packed));

struct stt_gue {
	__u8 ver_c_hlen; /* version(2) C(1) hlen(5): hlen counts 32-bit option words */
	__u8 proto;      /* proto_ctype */
	__be16 flags;
} __attribute__((packed));

struct stt_gue_cookie {
	__be32 pflags; /* STT_GUE_PFLAG_COOKIE */
	__be32 cookie[2];
} __attribute__((packed));

struct stt_gre_key {
	__be16 flags; /* STT_GRE_FLAG_K, version 0 */
	__be16 proto; /* STT_GRE_PROTO_TEB */
	__be32 key;
} __attribute__((packed));

/* Outer headers of a GUE frame over IPv4, with room for the cookie option. */
struct stt_gue_encap4 {
	struct stt_eth eth;
	struct stt_ipv4 ip;
	struct stt_udp udp;
	struct stt_gue gue;
	__u8 opt_gre[sizeof(struct stt_gue_cookie) + sizeof(struct stt_gre_key)];
} __attribute__((packed));

/* Bytes GUE adds in front of an inner frame over IPv4, not counting the outer Ethernet. */
#define STT_GUE4_OVERHEAD                                                                          \
	(sizeof(struct stt_ipv4) + sizeof(struct stt_udp) + sizeof(struct stt_gue) +               \
	 sizeof(struct stt_gre_key))
#define STT_GUE_COOKIE_LEN sizeof(struct stt_gue_cookie)

/* The same over IPv6 (docs/GUE.md section 5: the UDP checksum is 0, by the remote's consent). */
struct stt_gue_encap6 {
	struct stt_eth eth;
	struct stt_ipv6 ip;
	struct stt_udp udp;
	struct stt_gue gue;
	__u8 opt_gre[sizeof(struct stt_gue_cookie) + sizeof(struct stt_gre_key)];
} __attribute__((packed));

#define STT_GUE6_OVERHEAD                                                                          \
	(sizeof(struct stt_ipv6) + sizeof(struct stt_udp) + sizeof(struct stt_gue) +               \
	 sizeof(struct stt_gre_key))

/* SEQ = frame length << 16 | offset of this segment in the frame (draft 3.2). */
#define STT_SEQ(len, off) ((((__u32)(len)) << 16) | ((__u32)(off)&0xffff))
#define STT_SEQ_LEN(seq)  ((__u32)(seq) >> 16)
#define STT_SEQ_OFF(seq)  ((__u32)(seq)&0xffff)

#endif /* STT_PROTO_H */

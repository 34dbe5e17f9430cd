/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Layouts of the programs' private (unpinned) maps, see maps.h; the pinned maps' layouts
 * are in include/stt_maps.h.
 */
#ifndef STT_BPF_TYPES_H
#define STT_BPF_TYPES_H

#include "stt_proto.h"
#include "stt_maps.h"

/* Inner Ethernet + IPv4 + L4 headers we move around, at most. */
#define STT_GSO_HDRS (14 + 60 + 60)

/* What transmit learns of a tenant frame (inner.h: stt_tx_inner). */
struct stt_inner {
	__u64 csum;  /* ones' complement sum the inner frame adds to the outer TCP checksum */
	__u32 hash;  /* flow hash: source port entropy */
	__u8 flags;  /* STT_F_* */
	__u8 l4_off; /* STT L4 offset: set with STT_F_CSUM_PARTIAL */
	__u8 tos;    /* inner IPv4 TOS or IPv6 traffic class; 0 for non-IP frames */
};

/*
 * The encapsulation of a copy (gue_tx.h): copies go out in passes of one kind each, in
 * order of their header length, because the skb's head can grow between passes but not
 * shrink (bpf_skb_change_head; adjust_room refuses non-IP frames).
 */
#define STT_KIND_GUE  0x1 /* GUE */
#define STT_KIND_GUEC 0x2 /* GUE with the security cookie option */
#define STT_KIND_STT  0x4

/* The outer headers of a frame under construction (outer.h, gue_tx.h). */
struct stt_tx_state {
	struct stt_encap4 h;
	struct stt_encap6 h6;     /* the same headers for IPv6 remotes */
	struct stt_gue_encap4 g;  /* GUE over IPv4; over IPv6, its UDP and GUE headers */
	struct stt_gue_encap6 g6; /* GUE over IPv6: g's headers behind an IPv6 one */
	struct stt_gre_key gre;   /* the GRE header that ends g's, behind its option if any */
	__u64 base_sum;           /* outer TCP checksum of all but the destination address */
	__u32 is_ip;              /* the skb's protocol is IPv4 or IPv6 */
	__u32 v6;                 /* this frame goes to IPv6 remotes */
	__u32 gue_ip_len;         /* outer IP header + payload of a GUE copy without the option */
	__u32 head;               /* outer header bytes already in front of the inner frame */
	__u8 kinds;               /* STT_KIND_* of the frame's remotes */
	__u8 first_kind;          /* the first flood target's (or the remote's) */
	__u8 kind;                /* the pass being sent */
	__u8 one_kind;            /* a GSO frame: one pass; other kinds' copies are dropped */
	__u8 kind_of[STT_MAX_FLOOD];
	__u8 last_of[8]; /* by kind: index of its last flood target */
	/* The frame, for stt_tx_gue (a function of its own: five arguments at most). */
	struct stt_flood_val flood; /* a copy: the list the kinds were read from */
	__be32 uc_remote;
	__u32 segs, len, gso, mtu, cut;
	__u16
	    vlan; /* the tag stt_tx_untag took off (STT_VLAN_V: a plain vport's frame was tagged) */
	__u16 pad;
	__u64 context;
	struct stt_inner in;
};

/* The outer headers a pass of a cut frame reads back (cut.h). */
struct stt_cut_hdrs {
	struct stt_encap4 h4;
	struct stt_encap6 h6;
};

/* A next hop (outer.h, stt_next_hop): what bpf_fib_lookup was asked, and what it said. */
struct stt_nh_key {
	__be32 src[4]; /* outer source and destination (IPv4: the first word, the rest 0) */
	__be32 dst[4];
	__u32 ifindex; /* the underlay the lookup starts from */
	__u32 family;
};

struct stt_nh_val {
	__u64 since_ns; /* when bpf_fib_lookup said it (bpf_ktime_get_coarse_ns) */
	__u32 ifindex;  /* where to send */
	__u8 dmac[6];
	__u8 smac[6];
};

/* A FIB lookup and its next hop's key and value: the transmit call chain's stack is full. */
struct stt_nh_scratch {
	struct bpf_fib_lookup fib;
	struct stt_nh_key k;
	struct stt_nh_val v;
};

/* Per CPU: the second the OAM replies are counted in, and how many were sent in it. */
struct stt_oam_rate {
	__u64 second;
	__u32 sent;
	__u32 pad;
};

/* A TSO frame whose pieces are delivered one by one (piece.h). */
struct stt_piece_key {
	__be32 saddr[4]; /* the sender's whole address (IPv4: the first word, the rest 0) */
	__be32 frame_id;
	__u16 sport;
	__u16 v6;
};

struct stt_piece_hdrs {
	__u32 ifindex; /* vport of the frame's context */
	__u32 seq0;    /* inner TCP sequence number of the frame's first payload byte */
	__u16 hlen;    /* inner Ethernet + IPv4 + TCP */
	__u16 ihl;
	__u8 tcp_flags;
	__u8 to_sttd; /* a piece of this frame went to sttd first: all of it goes there */
	__u8 pad[2];
	__u32 frame_len; /* the frame's length (SEQ): a later piece must say the same */
	__u32 got;       /* bytes of the frame delivered so far */
	__u64 born_ns;   /* when the first piece came: entries live STT_PIECE_AGE_NS */
	__u8 hdrs[STT_GSO_HDRS + 2];
};

#endif

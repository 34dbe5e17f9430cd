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

/* The outer headers of a frame under construction (outer.h). */
struct stt_tx_state {
	struct stt_encap4 h;
	struct stt_encap6 h6; /* the same headers for IPv6 remotes */
	__u64 base_sum;       /* outer TCP checksum of all but the destination address */
	__u32 is_ip;          /* the skb's protocol is IPv4 or IPv6 */
	__u32 v6;             /* this frame goes to IPv6 remotes */
};

/* The outer headers a pass of a cut frame reads back (cut.h). */
struct stt_cut_hdrs {
	struct stt_encap4 h4;
	struct stt_encap6 h6;
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

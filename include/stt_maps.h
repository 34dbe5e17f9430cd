/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Pinned map layout: keys, values and counters shared by the BPF programs and sttctl.
 * Maps are pinned by name under /sys/fs/bpf/stt/<netns inode>/ (see docs/DESIGN.md).
 */
#ifndef STT_MAPS_H
#define STT_MAPS_H

#define STT_PIN_BASE "/sys/fs/bpf/stt"

#define STT_MAX_VPORTS    4096
#define STT_MAX_FDB       65536
#define STT_MAX_FLOOD_CTX 4096
#define STT_MAX_FLOOD     16

/* stt_cfg (array, one entry): the underlay attachment of this network namespace. */
struct stt_cfg {
	__u32 ifindex; /* underlay device; 0 = not attached */
	__be32 local4; /* outer source address */
	__u16 port;    /* STT destination port, host order */
	__u8 ttl;
	__u8 flags;     /* STT_CFG_* */
	__u32 mtu;      /* underlay MTU: largest outer IP packet */
	__u8 dscp;      /* outer DSCP: STT_DSCP_INHERIT (uniform model) or STT_DSCP_FIXED(d) */
	__u8 opts;      /* STT_OPT_* */
	__u16 gue_port; /* GUE destination port, host order; 0: GUE off (was padding) */
};

/*
 * Uniform model (RFC 2983), the default: the inner DSCP is copied out at encapsulation and
 * the outer DSCP back in at decapsulation. Pipe model: a fixed outer DSCP d (0..63) is
 * stored as d + 1, and the inner DSCP is never touched. Zero is the default so that a
 * stt_cfg written by an older sttctl means "uniform".
 */
#define STT_DSCP_INHERIT     0
#define STT_DSCP_FIXED(d)    ((__u8)((d) + 1))
#define STT_DSCP_VALUE(v)    ((__u8)((v)-1)) /* the fixed DSCP of a value that is not INHERIT */
#define STT_OPT_PEERS_STRICT 0x01            /* every context accepts only the peers in stt_peers */
#define STT_OPT_ENCAP_GUE    0x02 /* remotes without an stt_remote_cfg entry are sent GUE */

#define STT_CFG_CREATED_CLSACT 0x01 /* sttctl created the clsact qdisc on the underlay */
#define STT_CFG_XDP            0x02 /* the XDP program is attached */
#define STT_CFG_FWD_ENABLED    0x04 /* sttctl turned IPv4 forwarding on for the underlay */
#define STT_CFG_GRO_ENABLED    0x08 /* sttctl turned GRO on for the underlay */
#define STT_CFG_TCX            0x10 /* TC programs attached through tcx links, not clsact */

/* stt_vports (hash): vport ifindex -> its context (transmit side). */
struct stt_vport {
	__u64 context;
	__u32 flags;     /* STT_VPORT_* */
	__u32 learn_age; /* with STT_VPORT_LEARN: seconds a learned entry lives (0: 300) */
};

#define STT_VPORT_CREATED_CLSACT 0x01
#define STT_VPORT_XDP            0x02 /* receive may redirect from XDP straight to this vport */
#define STT_VPORT_PEERS_STRICT   0x04 /* this context accepts only the peers in stt_peers */
#define STT_VPORT_LEARN          0x08 /* receive learns inner source MAC -> sender (stt_learn) */
#define STT_VPORT_VLAN           0x10 /* one VLAN of a trunk vport (stt_vlan_vports) */
/* In stt_ctx_val.flags of a VLAN vport: the VLAN ID its frames are tagged with. */
#define STT_CTX_VID_SHIFT  16
#define STT_CTX_VID(flags) (((flags) >> STT_CTX_VID_SHIFT) & STT_VLAN_VID_MASK)

/*
 * stt_vlan_vports (hash): (trunk ifindex, VLAN ID) -> the vport of one VLAN of a trunk
 * ('vport add IFNAME --context ID --vlan VID'). A frame tagged VID from IFNAME is sent in
 * context ID without its tag (its PCP travels in the STT header, V=0), and a frame of
 * context ID is delivered to IFNAME tagged VID. Untagged frames (and other VLANs) follow
 * IFNAME's own stt_vports entry, if it has one.
 */
struct stt_vlan_key {
	__u32 ifindex;
	__u16 vid;
	__u16 pad; /* must be zero */
};

/*
 * Learning (per context, STT_VPORT_LEARN): stt_learn (hash of maps) maps a context to its
 * own LRU hash of struct stt_learn_key -> struct stt_learn_val, created by sttctl with the
 * context's cap as max_entries. A context full of entries (a MAC flood) evicts its own
 * oldest, never another context's. Static stt_fdb entries win over learned ones; a learned
 * entry is used only while now - seen_ns < the vport's learn_age.
 */
#define STT_LEARN_AGE_DEFAULT 300
#define STT_LEARN_CAP_DEFAULT 1024
#define STT_MAX_LEARN_CTX     STT_MAX_VPORTS

struct stt_learn_key {
	__u8 mac[6];
	__u16 pad; /* must be zero */
};

struct stt_learn_val {
	__be32 remote4;
	__u32 pad;
	__u64 seen_ns; /* bpf_ktime_get_ns() of the last frame from that MAC */
};

/* stt_contexts (hash): context ID -> vport (receive side). */
struct stt_ctx_val {
	__u32 ifindex;
	__u32 flags; /* copy of the vport's STT_VPORT_* */
};

/* stt_fdb (hash): (context, inner destination MAC) -> remote endpoint. */
struct stt_fdb_key {
	__u64 context;
	__u8 mac[6];
	__u16 pad; /* must be zero */
};

struct stt_fdb_val {
	__be32 remote4;
	__u32 flags;
};

/*
 * stt_flood (hash): context -> head-end replication list, replaced as a whole. A remote may
 * be an IPv4 multicast group: one copy goes to the group and the underlay delivers it to
 * every member (draft 3.4). An endpoint accepts STT sent to the groups in stt_groups.
 */
struct stt_flood_val {
	__u32 count;
	__be32 remote4[STT_MAX_FLOOD];
};

/*
 * stt_pmtu (LRU hash): remote (__be32 in a __u32) -> path MTU learned from an ICMP
 * "fragmentation needed" about an STT segment sent to it. Transmit uses the smaller of it
 * and stt_cfg.mtu until STT_PMTU_EXPIRE seconds after it was learned (as the kernel does,
 * net.ipv4.route.mtu_expires). Values below STT_PMTU_MIN are ignored (RFC 1191's 576 floor
 * keeps a forged ICMP from shrinking segments to nothing).
 */
struct stt_pmtu_val {
	__u32 mtu;
	__u32 pad;
	__u64 learned_ns;
};

#define STT_MAX_PMTU    4096
#define STT_PMTU_EXPIRE 600
#define STT_PMTU_MIN    576

/* stt_groups (hash): IPv4 multicast group (__be32 in a __u32) -> 1: STT to it is for us. */
#define STT_MAX_GROUPS   256
#define STT_IS_MCAST4(a) ((((const __u8 *)&(a))[0] & 0xf0) == 0xe0) /* a: __be32 */

/*
 * IPv6 underlay (draft 3.3). Every map that names a remote keeps a __be32 for it, so map
 * layouts are those of an IPv4-only endpoint. A remote is an IPv4 address, or an IPv6
 * remote by index: 0.0.0.0/8 is never a destination (RFC 1122 3.2.1.3), so a remote whose
 * first octet is 0 (and that is not 0) is the address at index 1..STT_MAX_REMOTES6-1 of
 * stt_remotes6 (array of struct stt_addr6); stt_remote6_ids (hash) maps an address back to
 * its remote. sttctl gives an IPv6 address its index the first time it is named (fdb,
 * flood, peer, ping, apply) and reclaims only indexes that no map names. The datapath
 * never allocates one: a sender over IPv6 without an index is remote 0 (strict peers
 * refuse it, learning skips it, its counters are not kept per remote).
 * A multicast group (ff00::/8) as a flood target is in stt_groups by its remote too.
 */
#define STT_MAX_REMOTES6 4096

struct stt_addr6 {
	__be32 a[4];
};

static inline int stt_remote_is6(__be32 r)
{
	const __u8 *b = (const __u8 *)&r;

	return r != 0 && b[0] == 0;
}

static inline __u32 stt_remote6_idx(__be32 r)
{
	const __u8 *b = (const __u8 *)&r;

	return (__u32)b[1] << 16 | (__u32)b[2] << 8 | b[3];
}

static inline __be32 stt_remote6_make(__u32 idx)
{
	union {
		__be32 r;
		__u8 b[4];
	} u = {.b = {0, (__u8)(idx >> 16), (__u8)(idx >> 8), (__u8)idx}};

	return u.r;
}

#define STT_IS_MCAST6(a6) ((((const __u8 *)(a6))[0]) == 0xff) /* a6: struct stt_addr6 * */

/*
 * stt_cfg6 (array, one entry): the IPv6 side of the attachment. With STT_CFG6_LOCAL the
 * endpoint sends to IPv6 remotes from local6 and accepts STT to local6. An endpoint may
 * have an IPv4 address (stt_cfg.local4), an IPv6 one, or both.
 */
struct stt_cfg6 {
	struct stt_addr6 local6;
	__u32 flags; /* STT_CFG6_* */
	__u32 pad;
};

#define STT_CFG6_LOCAL       0x01 /* local6 is set */
#define STT_CFG6_FWD_ENABLED 0x02 /* sttctl turned IPv6 forwarding on for the underlay */
#define STT_PMTU6_MIN        1280 /* IPv6 minimum link MTU (RFC 8200) */

/* stt_underlay (array, one entry): what transmit needs of the underlay device. */
struct stt_underlay {
	__u8 mac[6]; /* source MAC of frames sent to a multicast group */
	__u16 pad;
};

/*
 * stt_peers (hash): (context, remote) pairs allowed to send to a context in strict mode
 * (STT_OPT_PEERS_STRICT for all contexts, STT_VPORT_PEERS_STRICT for one). Value: flags, 0.
 */
struct stt_peer_key {
	__u64 context;
	__be32 remote4;
	__u32 pad; /* must be zero */
};

#define STT_MAX_PEERS 65536

/*
 * stt_remote_cfg (hash): remote (as in every map: IPv4 address or IPv6 index form) -> how
 * frames to it are encapsulated and what GUE from it must carry. A remote without an entry
 * gets the endpoint's default (STT_OPT_ENCAP_GUE) and no cookie. GUE carries Context IDs
 * below 2^32 only (the GRE key has 32 bits); sttctl refuses the rest, the datapath drops and
 * counts them (tx_gue_context).
 */
struct stt_remote_cfg {
	__u8 encap; /* STT_ENCAP_* */
	__u8 flags; /* STT_RCFG_* */
	__u16 pad;
	__u32 pad2;
	__be32 cookie[2]; /* with STT_RCFG_COOKIE: sent in, and required of, its GUE frames */
};

/*
 * STT_RCFG_UDP6_ZERO: the remote's consent to GUE over IPv6 with a zero UDP checksum (RFC
 * 6935), explicit and per remote as RFC 6936 section 5 asks: sent to it, accepted only from
 * it. Without it an IPv6 remote gets no GUE: a BPF program cannot ask GSO for per-segment
 * UDP checksums (docs/GUE.md section 5).
 */

#define STT_ENCAP_DEFAULT  0 /* the endpoint's default */
#define STT_ENCAP_STT      1
#define STT_ENCAP_GUE      2
#define STT_RCFG_COOKIE    0x01
#define STT_RCFG_UDP6_ZERO 0x02
#define STT_MAX_REMOTE_CFG 4096

/*
 * Per-context and per-remote counters (OAM): per-CPU hashes that the datapath fills on its
 * own. stt_ctx_stats is keyed by context ID (__u64) and gets an entry for each context that
 * has a vport; stt_remote_stats (LRU) is keyed by the remote's IPv4 address (__be32 in a
 * __u32) and gets one for every remote sent to, and every peer a frame was accepted from.
 * sttctl sums the per-CPU values.
 */
struct stt_flow_stats {
	__u64 tx_frames;
	__u64 tx_segments;
	__u64 tx_bytes; /* inner bytes */
	__u64 tx_drops;
	__u64 rx_frames;
	__u64 rx_segments;
	__u64 rx_bytes; /* inner bytes */
	__u64 rx_drops;
};

#define STT_MAX_CTX_STATS    STT_MAX_VPORTS
#define STT_MAX_REMOTE_STATS 4096

/*
 * stt_reasm_events (perf event array): segments of frames that reached TC incomplete,
 * for sttd to reassemble. Each sample is struct stt_piece followed by the packet as it
 * was at the underlay's TC ingress (outer Ethernet header first).
 */
struct stt_piece {
	__be32 saddr;
	__be32 daddr;
	__u16 sport;       /* host order */
	__u16 flags;       /* STT_PIECE_* */
	__u32 frame_id;    /* host order */
	__u32 frame_len;   /* from SEQ */
	__u32 seg_off;     /* offset of this piece in the frame */
	__u32 payload_off; /* where the piece's payload starts in the packet bytes */
	__u32 payload_len;
	__u32 pkt_len; /* packet bytes that follow this struct */
	__u32 ifindex; /* underlay device */
	__u8 tos;
	__u8 pad[3];
};

#define STT_PIECE_GRO 0x01 /* GRO merged it: the outer checksums were verified */
/*
 * The outer header is IPv6: saddr is the sender's remote (its stt_remotes6 index form, 0
 * when it has none), daddr is 0; the addresses themselves are in the packet bytes (outer
 * Ethernet, then the IPv6 header), which is where sttd reads them from.
 */
#define STT_PIECE_V6 0x02

/* stt_reasm_stats (array of __u64, written by sttd only), indexed by enum stt_reasm_counter. */
#define STT_REASM_COUNTERS(X)                                                                      \
	X(PIECES, "reasm_pieces", "pieces handed to sttd")                                         \
	X(FRAMES, "reasm_frames", "frames reassembled and delivered")                              \
	X(DUPLICATES, "reasm_duplicates", "pieces whose bytes were all there already")             \
	X(OVERLAPS, "reasm_overlaps", "pieces that overlapped others with the same bytes")         \
	X(CONFLICTS, "reasm_conflicts", "frames dropped: overlapping pieces disagreed")            \
	X(TIMEOUTS, "reasm_timeouts", "frames dropped: incomplete when their time ran out")        \
	X(EVICTED, "reasm_evicted",                                                                \
	  "frames dropped: evicted (oldest first) to stay under the cap")                          \
	X(REUSED, "reasm_id_reuse",                                                                \
	  "frames dropped: their frame ID came back with another length")                          \
	X(INVALID, "reasm_invalid", "pieces dropped: lengths or offsets out of bounds")            \
	X(BAD_CSUM, "reasm_bad_csum", "pieces dropped: outer TCP checksum wrong")                  \
	X(BAD_FRAME, "reasm_bad_frame",                                                            \
	  "frames dropped: shorter than an inner Ethernet header, or unknown context")             \
	X(TX_ERRORS, "reasm_tx_errors", "frames dropped: the vport refused the frame")             \
	X(LOST, "reasm_lost", "pieces lost in the perf buffer (sttd too slow)")                    \
	X(MEM, "reasm_mem_bytes", "bytes held for incomplete frames now")                          \
	X(MEM_PEAK, "reasm_mem_peak", "most bytes ever held")                                      \
	X(INFLIGHT, "reasm_inflight", "incomplete frames held now")                                \
	X(ECN_DROPS, "reasm_ecn_ce_not_ect",                                                       \
	  "frames dropped: CE on a piece, inner packet not ECT")                                   \
	X(PEER_DENIED, "reasm_peer_denied", "frames dropped: strict peers, sender not a peer")     \
	X(LEARNED, "reasm_learned",                                                                \
	  "MACs learned (or moved) from frames sttd delivered (vport --learn)")                    \
	X(BAD_VERSION, "reasm_bad_version", "frames dropped: STT version is not 0")                \
	X(BAD_FLAGS, "reasm_bad_flags",                                                            \
	  "frames dropped: reserved STT flags, or checksum verified and partial")                  \
	X(BAD_L4_OFFSET, "reasm_bad_l4_offset",                                                    \
	  "frames dropped: STT L4 offset disagrees with the flags or inner headers")               \
	X(BAD_MSS, "reasm_bad_mss",                                                                \
	  "frames dropped: STT MSS without a partial TCP checksum, or below 48")

#define STT_REASM_ENUM(name, str, help) STT_R_##name,
enum stt_reasm_counter { STT_REASM_COUNTERS(STT_REASM_ENUM) STT_R_MAX };
#undef STT_REASM_ENUM

/*
 * Counters: one per-CPU array of __u64, indexed by enum stt_counter.
 * Drops by reason sit at STT_C_DROP_BASE + enum stt_drop.
 */
#define STT_COUNTERS(X)                                                                            \
	X(TX_FRAMES, "tx_frames", "tenant frames encapsulated and sent")                           \
	X(TX_SEGMENTS, "tx_segments", "STT segments sent (GSO frames count one per frame here)")   \
	X(TX_BYTES, "tx_bytes", "inner bytes sent")                                                \
	X(TX_FLOOD_COPIES, "tx_flood_copies", "copies sent to flood targets")                      \
	X(RX_FRAMES, "rx_frames", "frames delivered to a vport")                                   \
	X(RX_SEGMENTS, "rx_segments", "STT segments seen on the underlay")                         \
	X(RX_BYTES, "rx_bytes", "inner bytes delivered")                                           \
	X(RX_XDP_FRAMES, "rx_xdp_frames", "frames delivered by the XDP fast path")                 \
	X(PASS, "pass", "packets that are not STT, left to the stack")                             \
	X(TX_GSO_FRAMES, "tx_gso_frames", "frames sent as one GSO skb, segmented by GSO/TSO")      \
	X(RX_GRO_FRAMES, "rx_gro_frames", "frames that GRO merged from several segments")          \
	X(TX_CUT_FRAMES, "tx_cut_frames",                                                          \
	  "frames larger than a segment, cut by the transmit program")                             \
	X(RX_TO_STTD, "rx_to_sttd", "pieces handed to sttd for reassembly")                        \
	X(RX_PIECES_DIRECT, "rx_pieces_direct", "pieces of TSO frames delivered as TCP segments")  \
	X(LEARNED, "learned", "MACs learned, or moved to another remote (vport --learn)")          \
	X(TX_LEARNED, "tx_learned", "frames sent unicast by a learned entry")                      \
	X(OAM_REPLIED, "oam_replied", "OAM probes (sttctl ping) answered")                         \
	X(OAM_REPLIES, "oam_replies", "OAM replies received (for sttctl ping), consumed")          \
	X(PMTU_LEARNED, "pmtu_learned",                                                            \
	  "ICMP fragmentation-needed for STT that lowered a path MTU")                             \
	X(PMTU_IGNORED, "pmtu_ignored", "ICMP fragmentation-needed for STT with an MTU not taken") \
	X(TX_MSS_LOWERED, "tx_mss_lowered",                                                        \
	  "GSO frames sent in smaller segments to fit the path MTU")                               \
	X(TX_FRAMES6, "tx_frames6", "frames sent to IPv6 remotes (also counted in tx_frames)")     \
	X(RX_FRAMES6, "rx_frames6", "frames received over IPv6 (also counted in rx_frames)")       \
	X(TX_GUE_FRAMES, "tx_gue_frames", "frames sent as GUE (also counted in tx_frames)")        \
	X(RX_GUE_FRAMES, "rx_gue_frames", "GUE frames delivered (also counted in rx_frames)")

#define STT_COUNTER_ENUM(name, str, help) STT_C_##name,
enum stt_counter { STT_COUNTERS(STT_COUNTER_ENUM) STT_C_DROP_BASE };
#undef STT_COUNTER_ENUM

/* X-macro so that the names sttctl prints come from the same list as the numbers. */
#define STT_DROP_REASONS(X)                                                                        \
	X(TRUNCATED, "truncated", "packet ends inside the outer IP, TCP or STT header")            \
	X(IP_FRAGMENT, "ip_fragment", "outer IP fragment addressed to the STT port")               \
	X(IP_HDR, "ip_header", "outer IP header length or total length is inconsistent")           \
	X(TCP_HDR, "tcp_header", "TCP data offset is not 5 (STT segments carry no options)")       \
	X(VERSION, "bad_version", "STT version is not 0")                                          \
	X(LENGTH, "bad_length", "SEQ frame length or offset disagrees with the segment")           \
	X(INNER_SHORT, "inner_short", "inner frame shorter than an Ethernet header")               \
	X(UNKNOWN_CTX, "unknown_context", "no vport is bound to the frame's Context ID")           \
	X(MULTI_SEG, "multi_segment",                                                              \
	  "piece of a frame GRO left incomplete, and no sttd to take it")                          \
	X(NOT_LOCAL, "not_local", "STT segment for an address that is not this endpoint's")        \
	X(TX_NO_UNDERLAY, "tx_no_underlay", "tenant frame while no underlay is attached")          \
	X(TX_NO_VPORT, "tx_no_vport", "frame from an interface that is not a vport")               \
	X(TX_TOO_BIG, "tx_too_big", "tenant frame does not fit one STT segment")                   \
	X(TX_NO_REMOTE, "tx_no_remote", "unknown unicast and no flood target for the context")     \
	X(TX_NO_NEIGH, "tx_no_neigh", "flood copy to a remote whose neighbour is unresolved")      \
	X(TX_ERROR, "tx_error", "a helper failed while encapsulating")                             \
	X(TX_QINQ, "tx_qinq", "tenant frame with two VLAN tags (STT carries one)")                 \
	X(RX_ERROR, "rx_error", "a helper failed while decapsulating")                             \
	X(PEER_DENIED, "peer_denied", "strict peers: the sender is not a peer of the context")     \
	X(ECN_CE_NOT_ECT, "ecn_ce_not_ect", "outer CE on a frame whose inner packet is not ECT")   \
	X(IPV6_OUTER, "ipv6_outer",                                                                \
	  "STT or GUE over IPv6 with extension headers, or with no IPv6 local address")            \
	X(OAM_BAD, "oam_bad", "OAM frame that is not a well-formed, checksummed CFM loopback")     \
	X(TX_OAM, "tx_oam", "tenant frame to the reserved OAM MAC (only sttctl ping sends those)") \
	X(TX_NO_REMOTE6, "tx_no_remote6",                                                          \
	  "IPv6 remote with no address behind its index, or no IPv6 local address")                \
	X(TX_FAMILY, "tx_family",                                                                  \
	  "flood copy whose family differs from the first target's (lists are one family)")        \
	X(OAM_RATE, "oam_rate",                                                                    \
	  "OAM probe not answered: this CPU already sent 100 replies this second")                 \
	X(FLAGS, "bad_flags",                                                                      \
	  "STT flags with reserved bits set, or checksum verified and partial together")           \
	X(L4_OFFSET, "bad_l4_offset",                                                              \
	  "STT L4 offset without a partial checksum, or not where the inner L4 header is")         \
	X(MSS, "bad_mss", "STT MSS without a partial TCP checksum, or below 48")                   \
	X(GUE_VERSION, "gue_bad_version", "GUE version is not 0")                                  \
	X(GUE_CONTROL, "gue_control", "GUE control message (C bit): none is defined")              \
	X(GUE_FLAGS, "gue_bad_flags", "GUE flags other than P with stt's cookie flag")             \
	X(GUE_HLEN, "gue_bad_hlen", "GUE header length is not what its flags imply")               \
	X(GUE_PROTO, "gue_bad_proto", "GUE proto_ctype is not 47 (GRE)")                           \
	X(GRE_HDR, "gre_bad_header", "GRE flags are not exactly K, or protocol is not 0x6558")     \
	X(GUE_UDP_CSUM, "gue_udp_csum", "GUE with a nonzero UDP checksum no one verified")         \
	X(GUE_COOKIE, "gue_cookie",                                                                \
	  "GUE security cookie missing, wrong, or sent by a remote that has none")                 \
	X(TX_GUE_CONTEXT, "tx_gue_context",                                                        \
	  "frame to a GUE remote in a context whose ID does not fit the 32-bit GRE key")           \
	X(TX_GUE_UNSUPPORTED, "tx_gue_unsupported",                                                \
	  "frame to a GUE remote over IPv6 without zero-checksum consent, or while GUE is off "    \
	  "(gue port 0)")                                                                          \
	X(TX_FLOOD_ENCAP, "tx_flood_encap",                                                        \
	  "flood copy of a TSO burst to a remote of another encapsulation than the first target")  \
	X(TX_GUE_VLAN, "tx_gue_vlan",                                                              \
	  "GUE copies of a tagged frame flooded to GUE and STT remotes (one frame, one tag "       \
	  "place)")                                                                                \
	X(GUE_UDP6_ZERO, "gue_udp6_zero_csum",                                                     \
	  "GUE over IPv6 with a zero UDP checksum from a remote not configured for it (RFC 6936)")

#define STT_DROP_ENUM(name, str, help) STT_DROP_##name,
enum stt_drop { STT_DROP_REASONS(STT_DROP_ENUM) STT_DROP_MAX };
#undef STT_DROP_ENUM

#define STT_NR_COUNTERS (STT_C_DROP_BASE + STT_DROP_MAX)

/*
 * Replies to OAM probes (sttctl ping) a second, per CPU, at most. A reply goes to the
 * probe's source address, which only strict peers check: the limit bounds what forged
 * probes can make an endpoint send to a third party (one reply per probe, no larger).
 */
#define STT_OAM_RATE 100 /* the oam_rate help text says 100 too */

/*
 * The stats map has room to spare, so that a build with more counters can reuse the pinned
 * map of an older one (attach replaces programs in place and keeps the maps).
 */
#define STT_STATS_SLOTS 256
_Static_assert(STT_NR_COUNTERS <= STT_STATS_SLOTS, "counters fit the stats map");

#endif /* STT_MAPS_H */

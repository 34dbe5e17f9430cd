/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Pieces: segments of frames GRO left incomplete, delivered one by one as TCP segments
 * when they are pieces of a TSO frame or of a TCP segment the sender cut (stt_rx_piece),
 * else handed to sttd (stt_rx_to_sttd).
 */
#ifndef STT_BPF_PIECE_H
#define STT_BPF_PIECE_H

#include "defs.h"
#include "drop.h"
#include "deliver.h"
#include "learn.h"
#include "parse.h"
#include "skb.h"

/*
 * Pieces of TSO frames, delivered as they come (draft 3.3.2: a receiver may deliver a
 * partial frame to a TCP consumer). A frame that the sender's TSO cut (STT MSS > 0, inner
 * TCP over IPv4), or one TCP segment cut by the sender's program (lib/cut.h), is a run of
 * TCP payload behind one set of inner headers. The first piece
 * carries those headers: they are kept per frame (sender, port, frame ID, stt_piece_hdrs),
 * and every later piece is delivered as a TCP segment of its own, the headers put back in
 * front with the sequence number of its first byte. No reassembly, no trip through sttd,
 * nothing out of order. Only pieces with a good outer checksum take this path (GRO
 * merged them, the skb is CHECKSUM_UNNECESSARY, or stt_piece_csum_ok sums it); anything
 * else goes to sttd.
 *
 * How long a frame's kept headers serve its later pieces: frame IDs come back (2^24 per
 * CPU of the sender) and LRU entries outlive their frame. A later piece is matched only to
 * a first piece of the same length seen this recently, never to an older frame (of
 * perhaps another context); anything else goes to sttd, which checks the whole frame.
 */
#define STT_PIECE_AGE_NS 1000000000ULL

/* Outer lengths of the pieces taken here: Ethernet + IPv4 or IPv6 + TCP. */
#define STT_PIECE_OUTER4 54
#define STT_PIECE_OUTER6 74

/*
 * The first piece: check its STT header as sttd would, keep its inner headers in
 * stt_piece_hdrs and leave them alone at the front. Returns the kept entry, or NULL to
 * leave the piece to sttd (*err: a helper failed after the packet changed).
 */
static __always_inline struct stt_piece_hdrs *
stt_piece_first(struct __sk_buff *skb, struct stt_rx *rx, const struct stt_cfg *cfg,
                struct stt_piece_key *k, __u64 flags, __u32 *hlen_out, __u32 *ihl_out, int *err)
{
	__u32 zero = 0, outer = rx->outer_len, ihl, thl, hlen;
	const struct stt_ctx_val *vp;
	struct stt_piece_hdrs *h;
	struct stt_hdr sh;
	enum stt_drop why;
	__u8 hb[34], doff;
	__u64 ctx;

	h = bpf_map_lookup_elem(&stt_piece_hdr_scratch, &zero);
	if (!h || bpf_skb_load_bytes(skb, outer, &sh, sizeof(sh)) ||
	    bpf_skb_load_bytes(skb, outer + sizeof(sh), hb, sizeof(hb)))
		return NULL;
	/*
	 * A header sttd would refuse goes there, to be refused and counted once. Past
	 * stt_hdr_ok(), an MSS means a partial TCP checksum, and the IPv4 flag an inner IPv4
	 * packet: a TSO frame over IPv4. So is one TCP segment that the sender cut because it
	 * was larger than the path, with the checksum the sender completed ("verified", no
	 * MSS): its pieces are segments of it, each checksummed here anew. One whose checksum
	 * the tenant completed goes to sttd, which checks it rather than writing a new one.
	 */
	if (!stt_hdr_ok(&sh, hb, rx->frame_len - sizeof(sh), &why) || !(sh.flags & STT_F_IPV4) ||
	    !(sh.mss ||
	      (sh.flags & (STT_F_TCP | STT_F_CSUM_VERIFIED)) == (STT_F_TCP | STT_F_CSUM_VERIFIED)))
		return NULL;
	ctx = bpf_be64_to_cpu(sh.context_id);
	vp = bpf_map_lookup_elem(&stt_contexts, &ctx);
	/* Not a peer: sttd refuses it too, and counts it there. */
	if (!vp || stt_peer_denied(cfg, vp, ctx, rx->saddr))
		return NULL;
	if (stt_learns(vp->flags, hb + 6, rx->saddr))
		stt_learn_mac(ctx, hb + 6, rx->saddr);
	/* A trunk VLAN's frames are tagged on delivery: sttd does that for pieces. */
	if (vp->flags & STT_VPORT_VLAN)
		return NULL;
	ihl = (hb[14] & 0x0f) * 4;
	if (ihl < 20 || ihl > 60 || bpf_skb_load_bytes(skb, outer + 18 + 14 + ihl + 12, &doff, 1))
		return NULL;
	thl = (doff >> 4) * 4;
	if (thl < 20)
		return NULL;
	hlen = 14 + ihl + thl;
	if (hlen < 54 || hlen > STT_GSO_HDRS || 18 + hlen >= rx->payload_len ||
	    bpf_skb_load_bytes(skb, outer + 18, h->hdrs, hlen))
		return NULL;
	h->ifindex = vp->ifindex;
	h->to_sttd = 0;
	h->frame_len = rx->frame_len;
	h->got = 0;
	h->born_ns = bpf_ktime_get_ns();
	h->hlen = hlen;
	h->ihl = ihl;
	h->seq0 = bpf_ntohl(*(__be32 *)&h->hdrs[(14 + ihl + 4) & 0x7f]);
	h->tcp_flags = h->hdrs[(14 + ihl + 13) & 0x7f];
	if (bpf_map_update_elem(&stt_piece_hdrs, k, h, BPF_ANY))
		return NULL;
	h = bpf_map_lookup_elem(&stt_piece_hdrs, k);
	if (!h)
		return NULL;
	*hlen_out = hlen;
	*ihl_out = ihl;
	/* Outer IP + TCP + STT + inner Ethernet off, inner Ethernet back in front. */
	if ((outer == STT_PIECE_OUTER6 && bpf_skb_change_proto(skb, bpf_htons(ETH_P_IP), 0)) ||
	    bpf_skb_adjust_room(skb, -(40 + 18 + 14 - 4), BPF_ADJ_ROOM_MAC, flags) ||
	    bpf_skb_adjust_room(skb, -4, BPF_ADJ_ROOM_MAC, flags) ||
	    bpf_skb_store_bytes(skb, 0, h->hdrs, 14, 0))
		*err = 1;
	return h;
}

/*
 * A later piece: its frame's kept headers (h, NULL when none) put back in front. Returns
 * 1 to go on, 0 to leave the piece to sttd, or a drop.
 */
static __always_inline int stt_piece_later(struct __sk_buff *skb, struct stt_rx *rx,
                                           struct stt_piece_key *k, struct stt_piece_hdrs *h,
                                           __u64 flags, __u32 *hlen_out, __u32 *ihl_out)
{
	__u32 zero = 0, hlen, ihl;

	if (!h || h->frame_len != rx->frame_len ||
	    bpf_ktime_get_ns() - h->born_ns > STT_PIECE_AGE_NS) {
		/*
		 * The first piece has not been seen (GRO can deliver the last segment first),
		 * or what is kept belongs to an older frame with the same ID: this frame goes
		 * to sttd, all of it, the first piece included.
		 */
		h = bpf_map_lookup_elem(&stt_piece_hdr_scratch, &zero);
		if (h) {
			h->to_sttd = 1;
			h->frame_len = rx->frame_len;
			h->born_ns = bpf_ktime_get_ns();
			bpf_map_update_elem(&stt_piece_hdrs, k, h, BPF_ANY);
		}
		return 0;
	}
	hlen = h->hlen;
	ihl = h->ihl;
	if (hlen > STT_GSO_HDRS || hlen < 54 || ihl > 60 || rx->seg_off < 18 + hlen)
		return 0;
	/* Outer IP + TCP off (two steps: CHECKSUM_NONE), the frame's headers in front. */
	if ((rx->outer_len == STT_PIECE_OUTER6 &&
	     bpf_skb_change_proto(skb, bpf_htons(ETH_P_IP), 0)) ||
	    bpf_skb_adjust_room(skb, -(40 - 4), BPF_ADJ_ROOM_MAC, flags) ||
	    bpf_skb_adjust_room(skb, -4, BPF_ADJ_ROOM_MAC, flags) ||
	    bpf_skb_adjust_room(skb, hlen - 14, BPF_ADJ_ROOM_MAC, flags) ||
	    bpf_skb_store_bytes(skb, 0, h->hdrs, hlen, 0))
		return stt_ret_drop(STT_DROP_RX_ERROR);
	*hlen_out = hlen;
	*ihl_out = ihl;
	return 1;
}

/*
 * This piece as a TCP segment of dlen payload bytes, d bytes into the frame's payload: IP
 * length and checksum, sequence number, flags, and a lone segment's TCP checksum.
 * Returns 0 or a drop.
 */
static __always_inline int stt_piece_seal(struct __sk_buff *skb, struct stt_rx *rx,
                                          struct stt_piece_hdrs *h, __u32 hlen, __u32 ihl, __u32 d,
                                          __u32 dlen)
{
	__u32 o = rx->seg_off, last = o + rx->payload_len == rx->frame_len;
	__be16 old_len, new_len;
	__be32 seq;
	__u8 tflags;

	if (bpf_skb_load_bytes(skb, 14 + 2, &old_len, 2))
		return stt_ret_drop(STT_DROP_RX_ERROR);
	new_len = bpf_htons(ihl + (hlen - 14 - ihl) + dlen);
	seq = bpf_htonl(h->seq0 + d);
	tflags = h->tcp_flags;
	if (!last)
		tflags &= ~(STT_TCP_PSH | STT_TCP_FIN);
	if (o)
		tflags &= ~STT_TCP_CWR; /* CWR only on the first */
	if (bpf_skb_store_bytes(skb, 14 + 2, &new_len, 2, 0) ||
	    bpf_l3_csum_replace(skb, 14 + 10, old_len, new_len, 2) ||
	    bpf_skb_store_bytes(skb, (14 + ihl + 4) & 0xff, &seq, 4, 0) ||
	    bpf_skb_store_bytes(skb, (14 + ihl + 13) & 0xff, &tflags, 1, 0))
		return stt_ret_drop(STT_DROP_RX_ERROR);
	if (skb->gso_size) {
		/* GRO verified the segments; resegmenting (if forwarded) recomputes checksums. */
		bpf_csum_level(skb, BPF_CSUM_LEVEL_INC);
	} else {
		/* A lone segment: give it its complete checksum; the tenant checks it. */
		__u32 tcp_len = (hlen - 14 - ihl) + dlen;
		__u16 zero16 = 0, c;
		__be32 addrs[2];
		__u64 sum;

		if (tcp_len > STT_SUM_MAX ||
		    bpf_skb_store_bytes(skb, (14 + ihl + 16) & 0xff, &zero16, 2, 0) ||
		    bpf_skb_load_bytes(skb, 14 + 12, addrs, sizeof(addrs)))
			return stt_ret_drop(STT_DROP_RX_ERROR);
		sum = (__u64)addrs[0] + addrs[1] + stt_pseudo4_tail(IPPROTO_TCP, tcp_len);
		sum += stt_sum_bytes(skb, (14 + ihl) & 0xff, tcp_len);
		c = ~stt_csum_fold(sum);
		if (bpf_skb_store_bytes(skb, (14 + ihl + 16) & 0xff, &c, 2, 0))
			return stt_ret_drop(STT_DROP_RX_ERROR);
	}
	return 0;
}

/*
 * The outer TCP checksum of a lone segment the kernel did not verify, checked here as
 * sttd checks it (reasm_outer_csum_ok): a veth sender's segment arrives CHECKSUM_PARTIAL,
 * which no helper reveals, its field still the offload seed (the pseudo header's sum) and
 * counted as not computed yet. Returns 1 when the checksum holds.
 */
static __noinline int stt_piece_csum_ok(struct __sk_buff *skb, __u32 outer_len)
{
	__u32 tcp_off = outer_len - 20, tcp_len = skb->len - tcp_off;
	__be32 a[8];
	__u16 field;
	__u64 pseudo;

	if (tcp_len < 20 || tcp_len > STT_SUM_MAX ||
	    bpf_skb_load_bytes(skb, tcp_off + 16, &field, 2))
		return 0;
	if (outer_len == STT_PIECE_OUTER4) {
		if (bpf_skb_load_bytes(skb, 14 + 12, a, 8))
			return 0;
		pseudo = (__u64)a[0] + a[1];
	} else {
		if (outer_len != STT_PIECE_OUTER6 || bpf_skb_load_bytes(skb, 14 + 8, a, 32))
			return 0;
		pseudo = stt_sum6(a) + stt_sum6(a + 4);
	}
	/* IPv6's 32-bit length and next header fold to what IPv4's 16-bit fields add. */
	pseudo += stt_pseudo4_tail(IPPROTO_TCP, tcp_len);
	return stt_csum_fold(pseudo + stt_sum_bytes(skb, tcp_off, tcp_len)) == 0xffff ||
	       field == stt_csum_fold(pseudo);
}

/*
 * A piece of a TSO frame delivered on its own (see STT_PIECE_AGE_NS). Returns the vport to
 * redirect to, 0 to leave the piece to sttd, or a drop.
 */
static __noinline int stt_rx_piece(struct __sk_buff *skb, struct stt_rx *rx,
                                   const struct stt_cfg *cfg)
{
	struct stt_piece_key k = {.frame_id = rx->frame_id, .sport = rx->sport, .v6 = rx->v6};
	__u32 o = rx->seg_off, outer = rx->outer_len, hlen, ihl, dlen, d, to;
	__u64 flags = skb->gso_size ? BPF_F_ADJ_ROOM_FIXED_GSO : 0;
	struct stt_piece_hdrs *h;
	int ret, err = 0;

	if (!skb->gso_size && bpf_csum_level(skb, BPF_CSUM_LEVEL_QUERY) < 0 &&
	    !stt_piece_csum_ok(skb, outer))
		return 0; /* a bad outer checksum: sttd checks it again, and counts it */
	/*
	 * The same over IPv6: keyed by the sender's whole address (an IPv6 sender need not
	 * have a remote index, and two such must never share a frame), and retyped 6-to-4
	 * before the outer headers go, after which the offsets are IPv4's.
	 */
	if (outer == STT_PIECE_OUTER4)
		k.saddr[0] = rx->saddr;
	else if (outer != STT_PIECE_OUTER6 || bpf_skb_load_bytes(skb, 14 + 8, k.saddr, 16))
		return 0;
	h = bpf_map_lookup_elem(&stt_piece_hdrs, &k);
	if (h && h->to_sttd && h->frame_len == rx->frame_len &&
	    bpf_ktime_get_ns() - h->born_ns <= STT_PIECE_AGE_NS)
		return 0;
	if (o == 0) {
		h = stt_piece_first(skb, rx, cfg, &k, flags, &hlen, &ihl, &err);
		if (!h)
			return 0;
		if (err)
			return stt_ret_drop(STT_DROP_RX_ERROR);
		dlen = rx->payload_len - 18 - hlen;
		d = 0;
	} else {
		ret = stt_piece_later(skb, rx, &k, h, flags, &hlen, &ihl);
		if (ret <= 0)
			return ret;
		d = o - 18 - hlen;
		dlen = rx->payload_len;
	}
	/* ECN/DSCP of this piece, by its own outer header (the inner one is IPv4 here). */
	ret = stt_rx_tos(skb, 14, bpf_htons(ETH_P_IP), rx->tos, cfg->dscp);
	if (!ret)
		ret = stt_piece_seal(skb, rx, h, hlen, ihl, d, dlen);
	if (ret)
		return ret;
	stt_count(STT_C_RX_PIECES_DIRECT, 1);
	stt_count(STT_C_RX_BYTES, 14 + ihl + (hlen - 14 - ihl) + dlen);
	to = h->ifindex;
	/* Every byte of the frame delivered: forget it, so its ID can serve a new one. */
	if (__sync_fetch_and_add(&h->got, rx->payload_len) + rx->payload_len >= rx->frame_len)
		bpf_map_delete_elem(&stt_piece_hdrs, &k);
	return to;
}

/*
 * A piece GRO left incomplete and not delivered on its own: to sttd, which reassembles and
 * delivers (docs/DESIGN.md), through stt_reasm_events with a struct stt_piece in front.
 * Never to the host's TCP. Returns TC_ACT_SHOT (the skb's copy went) or a drop.
 */
static __always_inline int stt_rx_to_sttd(struct __sk_buff *skb, const struct stt_rx *rx)
{
	void *data = stt_skb_data(skb), *data_end = stt_skb_data_end(skb);
	struct stt_ipv4 *ip = data + sizeof(struct stt_eth);
	__u32 zero = 0, len = skb->len;
	/* The sample header lives in a per-CPU slot: this call chain's stack is full. */
	struct stt_piece *pp = bpf_map_lookup_elem(&stt_piece_scratch, &zero);

	if (!pp)
		return stt_ret_drop(STT_DROP_RX_ERROR);
	__builtin_memset(pp, 0, sizeof(*pp));
	pp->saddr = rx->saddr;
	pp->sport = rx->sport;
	pp->flags = (skb->gso_size ? STT_PIECE_GRO : 0) | (rx->v6 ? STT_PIECE_V6 : 0);
	pp->frame_id = bpf_ntohl(rx->frame_id);
	pp->frame_len = rx->frame_len;
	pp->seg_off = rx->seg_off;
	pp->payload_off = rx->outer_len;
	pp->payload_len = rx->payload_len;
	pp->pkt_len = len;
	pp->ifindex = skb->ifindex;
	pp->tos = rx->tos;
	if (!rx->v6 && (void *)(ip + 1) <= data_end)
		pp->daddr = ip->daddr;
	if (len > 0xff00 ||
	    bpf_perf_event_output(skb, &stt_reasm_events, BPF_F_CURRENT_CPU | ((__u64)len << 32),
	                          pp, sizeof(*pp)))
		return stt_ret_drop(STT_DROP_MULTI_SEG);
	stt_count(STT_C_RX_TO_STTD, 1);
	return TC_ACT_SHOT;
}

#endif

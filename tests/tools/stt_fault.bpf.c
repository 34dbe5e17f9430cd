// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * stt_fault: a test-only fault injector for STT segments, for the egress of an underlay
 * device (tests/tools/stt_fault.c loads it; tests/netns/test_faults.sh uses it).
 * It is not part of the endpoint.
 *
 * What it does to chosen STT segments (TCP to the STT port):
 *   drop       TC_ACT_SHOT.
 *   duplicate  bpf_clone_redirect() of the segment to the same device's egress, before the
 *              original. The clone re-enters this program marked FAULT_MARK_CLONE and is
 *              passed unchanged (the mark is cleared), so a clone is never cloned again.
 *   reorder    BPF can neither hold a packet back nor store an skb to send it later, and
 *              this kernel has no qdisc that honours an EDT timestamp (no fq, etf, netem),
 *              so "send segment N after N+1" cannot be done directly. What is done instead
 *              is real reordering by a detour: the segment is redirected to the INGRESS
 *              of the same device (bpf_redirect BPF_F_INGRESS, marked FAULT_MARK_BOUNCE).
 *              That goes through netif_rx(), i.e. to the TAIL of this CPU's backlog queue,
 *              behind every packet already queued there; the companion program
 *              stt_fault_ingress (at the device's ingress, running before any other
 *              filter) sends it back to the device's egress marked FAULT_MARK_RETURN, and
 *              it leaves without being touched again. When the segments of a frame reach
 *              this device through a backlog (a veth peer without NAPI, e.g. a bridge
 *              port in a "wire" namespace, fed by a sender that segments in software),
 *              the whole burst of the frame is already queued, so the chosen segment goes
 *              out after the rest of its frame. The distance is "whatever was queued",
 *              not a fixed count; the counters and a capture show what happened.
 *   ce         set ECN CE in the outer IPv4 header (an AQM's mark: this kernel has no RED
 *              nor fq_codel), only on ECT segments, as an AQM would. On a GSO skb the
 *              mark reaches every segment it becomes.
 *   delay      Not feasible here: a fixed delay needs a qdisc that holds packets until
 *              skb->tstamp (fq/etf) or netem; none is built, and BPF cannot hold packets.
 *              The reorder detour is the only delay available (one backlog pass).
 *
 * Which segments: every STT segment, or only those with a non-zero offset in their frame
 * (FAULT_F_ONLY_OFFSET_NONZERO), or only segments of multi-segment frames
 * (FAULT_F_ONLY_MULTI); then either by a seeded rate or by the segment's index in its
 * frame (offset / segment size; the size of the last segment's siblings comes from an
 * LRU map keyed by the frame). The "random" choice is a hash of the seed, the fault kind
 * and the segment's identity (addresses, ports, frame ID = ACK, SEQ): the same segment
 * always gets the same fate for a given seed, independent of CPU or arrival order, and a
 * TCP retransmission (a new STT frame ID) is an independent draw.
 *
 * An STT frame that is still one GSO skb here (the device will segment it later, e.g. the
 * sending underlay itself: TC egress runs before GSO) is treated as ONE unit and counted
 * in c_gso_skbs; faults on individual segments need a hook after segmentation (the port
 * of a bridge that carries the segments, as the tests do).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "stt_proto.h"
#include "lib/defs.h"
#include "lib/hash.h"

#define FAULT_MARK_CLONE 0x53464331  /* "SFC1": a duplicate, pass it */
#define FAULT_MARK_BOUNCE 0x53464231 /* "SFB1": on its detour through the ingress */
#define FAULT_MARK_RETURN 0x53464232 /* "SFB2": back from the detour, pass it */

#define FAULT_F_ONLY_OFFSET_NONZERO 0x01
#define FAULT_F_ONLY_MULTI 0x02

/* Configuration, fixed at load time by the loader. Rates are thresholds out of 2^32. */
const volatile __u32 cfg_ifindex = 0;
const volatile __u16 cfg_port = STT_DEFAULT_PORT;
const volatile __u32 cfg_flags = 0;
const volatile __u32 cfg_seed = 0;
const volatile __u32 cfg_drop_thresh = 0;
const volatile __u32 cfg_dup_thresh = 0;
const volatile __u32 cfg_reorder_thresh = 0;
const volatile __u32 cfg_ce_thresh = 0;
const volatile __s32 cfg_drop_index = -1; /* segment index in its frame; -1 = off */
const volatile __s32 cfg_dup_index = -1;
const volatile __s32 cfg_reorder_index = -1;
const volatile __u32 cfg_every = 1; /* index faults: only frames with hash % every == 0 */

/* Counters (the loader pins .bss and reads them). */
__u64 c_packets = 0;          /* everything seen at egress, clones and returns excluded */
__u64 c_stt = 0;              /* STT packets (TCP to the STT port) */
__u64 c_stt_first = 0;        /* ... with offset 0 (the frame's first segment) */
__u64 c_stt_multi = 0;        /* ... belonging to a frame of more than one segment */
__u64 c_gso_skbs = 0;         /* ... still one GSO skb here (acted on as a whole) */
__u64 c_eligible = 0;         /* ... that passed the offset/multi filters */
__u64 c_dropped = 0;
__u64 c_dropped_nonzero = 0;  /* dropped segments with a non-zero offset */
__u64 c_dropped_multi = 0;    /* dropped segments of multi-segment frames */
__u64 c_duplicated = 0;
__u64 c_duplicated_multi = 0;
__u64 c_dup_failed = 0;
__u64 c_reordered = 0;        /* sent on the detour */
__u64 c_reordered_multi = 0;
__u64 c_ce_marked = 0;        /* segments (or GSO skbs) given CE */
__u64 c_reorder_failed = 0;
__u64 c_reorder_returned = 0; /* came back from the detour and left */
__u64 c_clones_passed = 0;    /* duplicates that left */
__u64 c_index_unknown = 0;    /* index faults configured, segment size of the frame unknown */
__u32 loader_flags = 0;       /* written by the loader (clsact ownership) */

struct frame_key {
	__be32 saddr;
	__be32 daddr;
	__be32 ports;
	__be32 frame_id;
};

/* Segment size of recently seen multi-segment frames, to give their last segment an index. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct frame_key);
	__type(value, __u32);
} fault_seg_size SEC(".maps");


enum { KIND_DROP = 1, KIND_DUP = 2, KIND_REORDER = 3, KIND_FRAME = 4, KIND_CE = 5 };

/* Decide by seeded hash: true with probability thresh / 2^32. */
static __always_inline int draw(const struct frame_key *k, __u32 seq, __u32 kind, __u32 thresh)
{
	__u32 h;

	if (!thresh)
		return 0;
	h = stt_mix(cfg_seed, kind);
	h = stt_mix(h, k->saddr);
	h = stt_mix(h, k->daddr);
	h = stt_mix(h, k->ports);
	h = stt_mix(h, k->frame_id);
	h = stt_mix(h, seq);
	return stt_final(h) < thresh || thresh == 0xffffffff;
}

static __always_inline int frame_selected(const struct frame_key *k)
{
	__u32 h;

	if (cfg_every <= 1)
		return 1;
	h = stt_mix(cfg_seed, KIND_FRAME);
	h = stt_mix(h, k->saddr);
	h = stt_mix(h, k->ports);
	h = stt_mix(h, k->frame_id);
	return stt_final(h) % cfg_every == 0;
}

SEC("tc")
int stt_fault_egress(struct __sk_buff *skb)
{
	struct stt_ipv4 ip;
	struct stt_tcp tcp;
	struct frame_key key = {};
	__be16 proto;
	__u32 ihl, len, payload, seq, frame_len, seg_off, mark = skb->mark;
	int multi, first, last, gso, idx = -1, act_drop, act_dup, act_reorder;
	long rc;

	if (mark == FAULT_MARK_CLONE) {
		skb->mark = 0;
		__sync_fetch_and_add(&c_clones_passed, 1);
		return TC_ACT_UNSPEC;
	}
	if (mark == FAULT_MARK_RETURN) {
		skb->mark = 0;
		__sync_fetch_and_add(&c_reorder_returned, 1);
		return TC_ACT_UNSPEC;
	}
	__sync_fetch_and_add(&c_packets, 1);

	if (bpf_skb_load_bytes(skb, 12, &proto, sizeof(proto)) || proto != bpf_htons(ETH_P_IP))
		return TC_ACT_UNSPEC;
	if (bpf_skb_load_bytes(skb, 14, &ip, sizeof(ip)) || (ip.ver_ihl >> 4) != 4 ||
	    ip.protocol != 6 || (ip.frag_off & bpf_htons(0x1fff)))
		return TC_ACT_UNSPEC;
	ihl = (ip.ver_ihl & 0x0f) * 4;
	if (ihl < 20)
		return TC_ACT_UNSPEC;
	if (bpf_skb_load_bytes(skb, 14 + (ihl & 0x3c), &tcp, sizeof(tcp)) ||
	    tcp.dest != bpf_htons(cfg_port))
		return TC_ACT_UNSPEC;

	__sync_fetch_and_add(&c_stt, 1);
	len = skb->len;
	if (len < 14 + ihl + (tcp.doff_res >> 4) * 4)
		return TC_ACT_UNSPEC;
	payload = len - 14 - ihl - (tcp.doff_res >> 4) * 4;
	seq = bpf_ntohl(tcp.seq);
	frame_len = STT_SEQ_LEN(seq);
	seg_off = STT_SEQ_OFF(seq);
	first = seg_off == 0;
	last = seg_off + payload >= frame_len;
	multi = !(first && last);
	key.saddr = ip.saddr;
	key.daddr = ip.daddr;
	key.ports = ((__u32)tcp.source << 16) | tcp.dest;
	key.frame_id = tcp.ack_seq;

	/*
	 * A GSO skb (segmented later by GSO/TSO). Its gso_segs may be 0 (bpf_skb_adjust_room
	 * resets it when the encap grows the headers), so look at gso_size.
	 */
	gso = skb->gso_size != 0;
	if (first)
		__sync_fetch_and_add(&c_stt_first, 1);
	if (gso)
		__sync_fetch_and_add(&c_gso_skbs, 1);
	else if (multi)
		__sync_fetch_and_add(&c_stt_multi, 1);

	if ((cfg_flags & FAULT_F_ONLY_OFFSET_NONZERO) && first)
		return TC_ACT_UNSPEC;
	if ((cfg_flags & FAULT_F_ONLY_MULTI) && (!multi || gso))
		return TC_ACT_UNSPEC;
	__sync_fetch_and_add(&c_eligible, 1);

	/* Index of the segment in its frame, when index faults are configured. */
	if ((cfg_drop_index >= 0 || cfg_dup_index >= 0 || cfg_reorder_index >= 0) &&
	    !gso && frame_selected(&key)) {
		__u32 *sz;

		if (!last) {
			/* Every segment but the last carries the frame's segment size. */
			if (first)
				bpf_map_update_elem(&fault_seg_size, &key, &payload, BPF_ANY);
			idx = payload ? seg_off / payload : -1;
		} else if (first) {
			idx = 0;
		} else {
			sz = bpf_map_lookup_elem(&fault_seg_size, &key);
			if (sz && *sz)
				idx = seg_off / *sz;
			else
				__sync_fetch_and_add(&c_index_unknown, 1);
		}
		if (last && !first)
			bpf_map_delete_elem(&fault_seg_size, &key);
	}

	act_drop = (idx >= 0 && idx == cfg_drop_index) || draw(&key, seq, KIND_DROP, cfg_drop_thresh);
	if (act_drop) {
		__sync_fetch_and_add(&c_dropped, 1);
		if (!first)
			__sync_fetch_and_add(&c_dropped_nonzero, 1);
		if (multi)
			__sync_fetch_and_add(&c_dropped_multi, 1);
		return TC_ACT_SHOT;
	}

	if ((ip.tos & 3) && (ip.tos & 3) != 3 && draw(&key, seq, KIND_CE, cfg_ce_thresh)) {
		__u16 old_w = bpf_htons((__u16)ip.ver_ihl << 8 | ip.tos);
		__u16 new_w = bpf_htons((__u16)ip.ver_ihl << 8 | ip.tos | 3);
		__u8 tos = ip.tos | 3;

		if (!bpf_l3_csum_replace(skb, 14 + 10, old_w, new_w, 2) &&
		    !bpf_skb_store_bytes(skb, 14 + 1, &tos, 1, 0))
			__sync_fetch_and_add(&c_ce_marked, 1);
	}

	act_dup = (idx >= 0 && idx == cfg_dup_index) || draw(&key, seq, KIND_DUP, cfg_dup_thresh);
	act_reorder = (idx >= 0 && idx == cfg_reorder_index) ||
		      draw(&key, seq, KIND_REORDER, cfg_reorder_thresh);
	if (act_dup) {
		skb->mark = FAULT_MARK_CLONE;
		rc = bpf_clone_redirect(skb, cfg_ifindex, 0);
		skb->mark = mark;
		if (rc)
			__sync_fetch_and_add(&c_dup_failed, 1);
		else
			__sync_fetch_and_add(&c_duplicated, 1);
		if (!rc && multi)
			__sync_fetch_and_add(&c_duplicated_multi, 1);
	}
	if (act_reorder) {
		skb->mark = FAULT_MARK_BOUNCE;
		rc = bpf_redirect(cfg_ifindex, BPF_F_INGRESS);
		if (rc == TC_ACT_SHOT) {
			skb->mark = mark;
			__sync_fetch_and_add(&c_reorder_failed, 1);
			return TC_ACT_UNSPEC;
		}
		__sync_fetch_and_add(&c_reordered, 1);
		if (multi)
			__sync_fetch_and_add(&c_reordered_multi, 1);
		return rc;
	}
	return TC_ACT_UNSPEC;
}

/*
 * At the device's ingress, ahead of any other filter: a segment back from the detour
 * leaves through the egress again; everything else goes on to the next filter untouched.
 */
SEC("tc")
int stt_fault_ingress(struct __sk_buff *skb)
{
	if (skb->mark != FAULT_MARK_BOUNCE)
		return TC_ACT_UNSPEC;
	skb->mark = FAULT_MARK_RETURN;
	return bpf_redirect(cfg_ifindex, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

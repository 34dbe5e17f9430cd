// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * TC programs of the STT endpoint.
 *
 * stt_tc_tx: ingress of a vport (the host end of a tenant's interface). Each tenant frame
 *   is encapsulated as one STT segment and redirected out of the underlay, to the remote
 *   its forwarding entry names, or to every flood target of the context.
 * stt_tc_rx: ingress of the underlay, after XDP and GRO. It decapsulates whole frames to
 *   the vport of their Context ID and consumes every other STT segment, so that none ever
 *   reaches the host's TCP stack (which would answer it with a RST).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "stt_proto.h"
#include "lib/maps.h"
#include "lib/parse.h"
#include "lib/encap.h"
#include "stt_tos.h"

#define TC_ACT_UNSPEC -1
#define TC_ACT_OK 0
#define TC_ACT_SHOT 2
/*
 * What stt_tc_rx returns for a packet it does not consume: TC_ACT_UNSPEC, which is tcx's
 * TCX_NEXT and, for a clsact filter, "no verdict". Either way the next program on the device
 * (tcx or clsact, attached by someone else) still sees the packet, and the stack gets it
 * after the last one. TC_ACT_OK would end the chain at stt.
 */
#define STT_TC_PASS TC_ACT_UNSPEC
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86dd
#define AF_INET 2
#define AF_INET6 10

/*
 * A second VLAN tag behind the first (QinQ): popping the first would move the second into
 * the skb's tag, which would then ride the outer frame. STT has room for one tag.
 */
static __always_inline int stt_inner_qinq(struct __sk_buff *skb)
{
	__be16 et;

	if (skb->protocol != bpf_htons(0x8100) || bpf_skb_load_bytes(skb, 16, &et, 2))
		return 0;
	return et == bpf_htons(0x8100) || et == bpf_htons(0x88a8);
}

/* Headers we read at transmit: inner Ethernet, IPv4 with options, TCP up to its checksum. */
#define STT_TX_PULL (14 + 60 + 20)

static __always_inline int stt_tx_drop(enum stt_drop reason)
{
	stt_drop(reason);
	return TC_ACT_SHOT;
}

/* A drop once the vport, and so the context, is known: counted for the context too. */
static __always_inline int stt_tx_drop_ctx(enum stt_drop reason, __u64 context)
{
	stt_drop(reason);
	stt_ctx_account(context, STT_DIR_TX | STT_ACC_DROP, 0, 0);
	return TC_ACT_SHOT;
}

/*
 * What the inner frame contributes to the outer TCP checksum, without summing its payload
 * where that can be avoided. Once an inner TCP or UDP checksum is complete, its L4 span sums
 * to the complement of the inner pseudo header, whether the tenant stack left the checksum
 * partial (the device or skb_checksum_help completes it before the wire) or filled it in.
 * So the outer checksum needs only the inner headers: local checksum offload
 * (Documentation/networking/checksum-offloads.rst). Anything else is summed in full.
 */
static __always_inline int stt_tx_inner(struct __sk_buff *skb, struct stt_inner *in)
{
	__u32 len = skb->len, ihl = 0, tot_len = 0;
	void *data, *data_end;
	struct stt_eth *eth;
	struct stt_ipv4 *ip;
	__u32 h = 0x5354;
	__u8 proto = 0;
	int l4_shortcut = 0;

	if (bpf_skb_pull_data(skb, len < STT_TX_PULL ? len : STT_TX_PULL))
		return -1;
	data = stt_skb_data(skb);
	data_end = stt_skb_data_end(skb);
	eth = data;
	if ((void *)(eth + 1) > data_end)
		return -1;

	in->flags = 0;
	ip = (void *)(eth + 1);
	if (eth->proto == bpf_htons(ETH_P_IP) && (void *)(ip + 1) <= data_end &&
	    (ip->ver_ihl >> 4) == 4) {
		ihl = (ip->ver_ihl & 0x0f) * 4;
		tot_len = bpf_ntohs(ip->tot_len);
		proto = ip->protocol;
		in->tos = ip->tos;
		in->flags |= STT_F_IPV4;
		if (proto == 6)
			in->flags |= STT_F_TCP;
		h = stt_mix(h, ip->saddr);
		h = stt_mix(h, ip->daddr);
		h = stt_mix(h, proto);
		if (ihl >= sizeof(*ip) && !(ip->frag_off & bpf_htons(0x3fff)) &&
		    (proto == 6 || proto == 17)) {
			__be32 *ports = (void *)ip + ihl;

			if (ihl <= 60 && (void *)(ports + 1) <= data_end) {
				h = stt_mix(h, *ports);
				/* UDP checksum 0 means "none": the span does not sum to anything known. */
				if (sizeof(*eth) + tot_len == len && tot_len >= ihl + 8) {
					__u16 *udp_check = (void *)ports + 6;

					if (proto == 6 ||
					    ((void *)(udp_check + 1) <= data_end && *udp_check))
						l4_shortcut = 1;
				}
			}
		}
	} else if (eth->proto == bpf_htons(ETH_P_IPV6)) {
		/*
		 * IPv6 inside: addresses, next header and, when the next header is TCP or UDP
		 * (no extension headers in between), the ports. The IPv4 flag stays clear
		 * (IPv6 by the draft); TCP and a partial checksum are said as for IPv4, with
		 * the L4 offset after the 40-byte header.
		 */
		struct stt_ipv6 *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) <= data_end) {
			in->tos = (ip6->ver_tc_flow[0] << 4) | (ip6->ver_tc_flow[1] >> 4);
#pragma unroll
			for (int k = 0; k < 4; k++) {
				h = stt_mix(h, ip6->saddr[k]);
				h = stt_mix(h, ip6->daddr[k]);
			}
			proto = ip6->nexthdr;
			h = stt_mix(h, proto);
			if (proto == 6)
				in->flags |= STT_F_TCP;
			if (proto == 6 || proto == 17) {
				__be32 *ports = (void *)(ip6 + 1);

				ihl = sizeof(*ip6);
				tot_len = sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
				if ((void *)(ports + 1) <= data_end) {
					__u16 *udp_check = (void *)ports + 6;

					h = stt_mix(h, *ports);
					if (sizeof(*eth) + tot_len == len && tot_len >= ihl + 8 &&
					    (proto == 6 ||
					     ((void *)(udp_check + 1) <= data_end && *udp_check)))
						l4_shortcut = 2;
				}
			}
		}
	} else {
		__u32 *w = (void *)eth;

		if ((void *)(w + 3) <= data_end) {
			h = stt_mix(h, w[0]);
			h = stt_mix(h, w[1]);
			h = stt_mix(h, w[2]);
		}
	}
	in->hash = stt_final(h);

	if (l4_shortcut) {
		__u64 pseudo = 0;

		data = stt_skb_data(skb);
		data_end = stt_skb_data_end(skb);
		ip = data + sizeof(*eth);
		if (l4_shortcut == 2) {
			struct stt_ipv6 *ip6 = (void *)ip;

			if ((void *)(ip6 + 1) > data_end)
				return -1;
#pragma unroll
			for (int k = 0; k < 4; k++)
				pseudo += (__u64)ip6->saddr[k] + ip6->daddr[k];
			ihl = sizeof(*ip6);
		} else {
			if ((void *)(ip + 1) > data_end)
				return -1;
			pseudo = (__u64)ip->saddr + ip->daddr;
		}
		pseudo += stt_pseudo4_tail(proto, tot_len - ihl);
		/*
		 * A checksum field that equals the pseudo-header seed is one the tenant's stack
		 * left for offload (CHECKSUM_PARTIAL; a complete checksum matches it 1 time in
		 * 65536, and then is only treated more carefully). Say so in the STT header:
		 * the receiver must not hand such a frame to a path that loses the skb's
		 * checksum state (the XDP redirect).
		 */
		if (ihl <= 60) {
			__u16 *check = (void *)ip + ihl + (proto == 6 ? 16 : 6);

			if ((void *)(check + 1) <= data_end && *check == stt_csum_fold(pseudo)) {
				in->flags |= STT_F_CSUM_PARTIAL;
				in->l4_off = sizeof(*eth) + ihl;
			}
		}
		in->csum = stt_sum_bytes(skb, 0, sizeof(*eth) + ihl);
		in->csum += (__u16)~stt_csum_fold(pseudo);
		return 0;
	}

	/* Everything else: make the whole frame linear and sum it. */
	if (len > STT_SUM_MAX || bpf_skb_pull_data(skb, len))
		return -1;
	data = stt_skb_data(skb);
	data_end = stt_skb_data_end(skb);
	in->csum = stt_sum_bytes(skb, 0, len);
	return 0;
}

/*
 * Write the outer headers for one remote and send. Returns 0 when a copy left (or the
 * last copy was handed to bpf_redirect*), -1 when this copy was dropped.
 */
struct stt_tx_state {
	struct stt_encap4 h;
	struct stt_encap6 h6; /* the same headers for IPv6 remotes */
	__u64 base_sum;
	__u32 is_ip;
	__u32 v6;             /* this frame goes to IPv6 remotes */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stt_tx_state);
} stt_tx_scratch SEC(".maps");

#define STT_SEND_LAST 0x1  /* the last copy: redirect rather than clone */
#define STT_SEND_IP 0x2    /* the skb's protocol is IP: bpf_redirect_neigh can take it */

/*
 * Write the first hdr_len bytes of h (struct stt_encap4 or stt_encap6, by the Ethernet type
 * in it: outer Ethernet and what follows) with the next hop's MAC addresses from the FIB
 * and neighbour table, and send. Returns 0 when a clone left, TC_ACT_REDIRECT when the skb
 * itself goes, -1 when this copy was dropped.
 * A multicast group (draft 3.4) needs no FIB or neighbour: the MAC is the group's (RFC
 * 1112: 01:00:5e + low 23 bits; RFC 2464: 33:33 + low 32 bits) and the device the
 * underlay. The FIB helper needs forwarding on the underlay (sttctl attach turns it on).
 * Without a usable neighbour entry, bpf_redirect_neigh resolves the neighbour itself, but
 * it cannot clone, and it picks its IPv4 or IPv6 path by the skb's protocol, the inner
 * frame's, reading the destination from the header it thinks is there: so only a frame
 * whose inner family is the outer one can take it (seen over IPv6: with an explicit next
 * hop, IPv4 and ARP inner frames vanished and no neighbour entry was ever made). Anything
 * else is dropped and counted until the neighbour is known; sttctl keeps every remote's
 * entry managed (NTF_MANAGED), so the kernel resolves it as soon as the remote is named.
 */
static __noinline long stt_tx_send(struct __sk_buff *skb, void *h, __u32 hdr_len,
				   const struct stt_cfg *cfg, __u32 flags)
{
	struct stt_eth *eth = h;
	struct stt_encap4 *h4 = h;
	struct stt_encap6 *h6 = h;
	int v6 = eth->proto == bpf_htons(ETH_P_IPV6);
	struct bpf_fib_lookup fib = {};
	__u32 zero = 0, ifindex;
	long rc;

	if (hdr_len < sizeof(*eth) || hdr_len > (v6 ? sizeof(*h6) : sizeof(*h4)))
		return -1;
	fib.l4_protocol = 6;
	fib.ifindex = cfg->ifindex;
	if (v6) {
		fib.family = AF_INET6;
		fib.sport = h6->tcp.source;
		fib.dport = h6->tcp.dest;
		fib.tot_len = sizeof(h6->ip) + bpf_ntohs(h6->ip.payload_len);
		__builtin_memcpy(fib.ipv6_src, h6->ip.saddr, 16);
		__builtin_memcpy(fib.ipv6_dst, h6->ip.daddr, 16);
	} else {
		fib.family = AF_INET;
		fib.sport = h4->tcp.source;
		fib.dport = h4->tcp.dest;
		fib.tot_len = bpf_ntohs(h4->ip.tot_len);
		fib.ipv4_src = cfg->local4;
		fib.ipv4_dst = h4->ip.daddr;
	}
	if (v6 ? STT_IS_MCAST6(h6->ip.daddr) : STT_IS_MCAST4(h4->ip.daddr)) {
		const struct stt_underlay *ul = bpf_map_lookup_elem(&stt_underlay, &zero);

		if (!ul)
			return -1;
		if (v6) {
			const __u8 *g = (const __u8 *)h6->ip.daddr;

			eth->dst[0] = 0x33, eth->dst[1] = 0x33, eth->dst[2] = g[12];
			eth->dst[3] = g[13], eth->dst[4] = g[14], eth->dst[5] = g[15];
		} else {
			const __u8 *g = (const __u8 *)&h4->ip.daddr;

			eth->dst[0] = 0x01, eth->dst[1] = 0x00, eth->dst[2] = 0x5e;
			eth->dst[3] = g[1] & 0x7f, eth->dst[4] = g[2], eth->dst[5] = g[3];
		}
		__builtin_memcpy(eth->src, ul->mac, 6);
		rc = BPF_FIB_LKUP_RET_SUCCESS;
		ifindex = cfg->ifindex;
	} else {
		rc = bpf_fib_lookup(skb, &fib, sizeof(fib), BPF_FIB_LOOKUP_OUTPUT);
		if (rc == BPF_FIB_LKUP_RET_SUCCESS) {
			__builtin_memcpy(eth->dst, fib.dmac, 6);
			__builtin_memcpy(eth->src, fib.smac, 6);
		} else {
			__builtin_memset(eth->dst, 0, 6);
			__builtin_memset(eth->src, 0, 6);
		}
		ifindex = fib.ifindex;
	}
	if (bpf_skb_store_bytes(skb, 0, h, hdr_len, 0))
		return -1;
	if (rc == BPF_FIB_LKUP_RET_SUCCESS) {
		if (!(flags & STT_SEND_LAST))
			return bpf_clone_redirect(skb, ifindex, 0) ? -1 : 0;
		return bpf_redirect(ifindex, 0);
	}
	if (!(flags & STT_SEND_LAST))
		return -1;
	if (v6 ? skb->protocol == bpf_htons(ETH_P_IPV6) : (flags & STT_SEND_IP) != 0)
		return bpf_redirect_neigh(cfg->ifindex, NULL, 0, 0);
	return -1;
}

/* Finish the outer headers for one remote and send (see stt_tx_send). */
static __noinline long stt_tx_one(struct __sk_buff *skb, struct stt_tx_state *st, __be32 remote,
				  int last, const struct stt_cfg *cfg)
{
	struct stt_encap4 *h = &st->h;

	h->ip.daddr = remote;
	h->ip.check = 0;
	h->ip.check = stt_ipv4_csum(&h->ip);
	h->tcp.check = ~stt_csum_fold(st->base_sum + remote);
	return stt_tx_send(skb, h, sizeof(*h), cfg,
			   (last ? STT_SEND_LAST : 0) | (st->is_ip ? STT_SEND_IP : 0));
}

/*
 * Finish the IPv6 outer headers for one remote (index form) and send. -3: the index has no
 * address behind it (sttctl writes the address before any map names the index).
 */
static __noinline long stt_tx_one6(struct __sk_buff *skb, struct stt_tx_state *st, __be32 remote,
				   int last, const struct stt_cfg *cfg)
{
	struct stt_encap6 *h = &st->h6;
	const struct stt_addr6 *a = stt_remote6_addr(remote);

	if (!a)
		return -3;
	__builtin_memcpy(h->ip.daddr, a->a, 16);
	h->tcp.check = ~stt_csum_fold(st->base_sum + stt_sum6(a->a));
	return stt_tx_send(skb, h, sizeof(*h), cfg,
			    (last ? STT_SEND_LAST : 0) | (st->is_ip ? STT_SEND_IP : 0));
}

/* Inner Ethernet + IPv4 + L4 headers we move around, at most. */
#define STT_GSO_HDRS (14 + 60 + 60)

/*
 * Make a CHECKSUM_PARTIAL skb CHECKSUM_NONE, and make room for outer headers in front of
 * the inner ones (kernel-facts.md, "Transmit"): copy the first 14 + h bytes (inner Ethernet,
 * IP, L4 header), pull h bytes from behind the MAC header in two steps (the second pull's
 * skb_postpull_rcsum() finds csum_start before the data and sets CHECKSUM_NONE; that needs
 * h > 14 + ihl + 4, which any TCP header or 20 bytes past the IP header give), then grow
 * room for outer + h bytes and write the copy back at offset outer.
 * retype: STT_RETYPE_4 when the inner packet is IPv6 and the outer IPv4, STT_RETYPE_6 for
 * the reverse, 0 when they are one family (or there is no outer header).
 * Returns -2 when the frame is not one this can handle.
 */
#define STT_RETYPE_4 4
#define STT_RETYPE_6 6
static __noinline int stt_tx_to_none(struct __sk_buff *skb, __u32 h, __u32 outer, __u64 flags,
				     int retype)
{
	__u8 hdrs[STT_GSO_HDRS];
	__u32 hlen = sizeof(struct stt_eth) + h, pull = h;

	if (h < 24 || hlen > STT_GSO_HDRS || hlen > skb->len || outer > 128)
		return -2;
	if (bpf_skb_load_bytes(skb, 0, hdrs, hlen & 0xff))
		return -1;
	if (retype == STT_RETYPE_4) {
		/*
		 * IPv6 inside a TSO burst: the skb is typed TCPv6 GSO, and the kernel's TCPv4
		 * segmentation of the outer header refuses that type. bpf_skb_change_proto()
		 * retypes it TCPv4 (its 6-to-4 translation), taking 20 bytes of the IPv6
		 * header away; the rest of the headers go below, and the copy puts them back.
		 */
		if (bpf_skb_change_proto(skb, bpf_htons(ETH_P_IP), 0))
			return -1;
		pull = h - 20;
	} else if (retype == STT_RETYPE_6) {
		/*
		 * IPv4 inside, IPv6 outside: the other way round. The 4-to-6 translation
		 * retypes the skb IPv6 / TCPv6 GSO (what tcp6_gso_segment wants of the outer
		 * header) and adds 20 bytes behind the MAC header, pulled off with the rest.
		 */
		if (bpf_skb_change_proto(skb, bpf_htons(ETH_P_IPV6), 0))
			return -1;
		pull = h + 20;
	}
	if (bpf_skb_adjust_room(skb, -(__s32)(pull - 4), BPF_ADJ_ROOM_MAC, flags) ||
	    bpf_skb_adjust_room(skb, -4, BPF_ADJ_ROOM_MAC, flags))
		return -1;
	if (bpf_skb_adjust_room(skb, outer + h, BPF_ADJ_ROOM_MAC, flags))
		return -1;
	if (bpf_skb_store_bytes(skb, outer, hdrs, hlen & 0xff, 0))
		return -1;
	return 0;
}

/*
 * Length of the inner IP + TCP headers of a frame, or 0 when it is not TCP over IPv4 or
 * IPv6 (without extension headers); *v6 says which.
 */
static __always_inline __u32 stt_inner_tcp_hlen(struct __sk_buff *skb, int *v6)
{
	void *data, *data_end;
	struct stt_ipv4 *ip;
	__u32 ihl, thl;
	__u8 *doff;

	if (bpf_skb_pull_data(skb, skb->len < STT_GSO_HDRS ? skb->len : STT_GSO_HDRS))
		return 0;
	data = stt_skb_data(skb);
	data_end = stt_skb_data_end(skb);
	ip = data + sizeof(struct stt_eth);
	*v6 = 0;
	if ((void *)(ip + 1) > data_end)
		return 0;
	if (((struct stt_eth *)data)->proto == bpf_htons(ETH_P_IPV6)) {
		struct stt_ipv6 *ip6 = (void *)ip;

		if ((void *)(ip6 + 1) > data_end || ip6->nexthdr != 6)
			return 0;
		*v6 = 1;
		ihl = sizeof(*ip6);
	} else {
		if (((struct stt_eth *)data)->proto != bpf_htons(ETH_P_IP) || ip->protocol != 6)
			return 0;
		ihl = (ip->ver_ihl & 0x0f) * 4;
	}
	if (ihl < 20 || ihl > 60)
		return 0;
	doff = (void *)ip + ihl + 12;
	if ((void *)(doff + 1) > data_end)
		return 0;
	thl = (*doff >> 4) * 4;
	if (thl < 20)
		return 0;
	return ihl + thl;
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
		return -2; /* only TCP over IPv4 or IPv6 is segmented this way */
	if (st->v6)
		return stt_tx_to_none(skb, h, sizeof(struct stt_encap6), BPF_F_ADJ_ROOM_FIXED_GSO,
				      v6 ? 0 : STT_RETYPE_6);
	return stt_tx_to_none(skb, h, sizeof(struct stt_encap4), BPF_F_ADJ_ROOM_FIXED_GSO,
			      v6 ? STT_RETYPE_4 : 0);
}

/*
 * Frames that are not GSO but do not fit one segment (a tenant with MTU 1500 sends
 * 1514-byte frames over a 1500-byte underlay) are cut by this program itself. BPF cannot
 * turn a skb into a GSO skb nor emit two packets from one, so each segment is a pass:
 * the encapsulated frame is redirected back into the vport's ingress marked
 * STT_MARK_FRESH; a pass sends one segment and, while bytes remain, re-injects a clone
 * marked STT_MARK_ADVANCE, whose pass first drops the bytes already sent. Each pass
 * computes its segment's outer checksum in full. The inner checksum is completed first
 * (no segment could complete it later).
 */
#define STT_MARK_FRESH 0x53545446   /* "STTF" */
#define STT_MARK_ADVANCE 0x53545441 /* "STTA" */

/* The MTU toward a remote: the underlay's, or a smaller path MTU learned (stt_pmtu). */
static __noinline __u32 stt_remote_mtu(const struct stt_cfg *cfg, __u32 remote)
{
	const struct stt_pmtu_val *p = bpf_map_lookup_elem(&stt_pmtu, &remote);
	__u32 mtu = cfg->mtu;

	if (p && p->mtu < mtu &&
	    bpf_ktime_get_ns() - p->learned_ns < (__u64)STT_PMTU_EXPIRE * 1000000000ULL)
		mtu = p->mtu;
	return mtu;
}

/* Segment payload of cut frames: what fits the MTU behind iplen + TCP, a multiple of 8. */
static __always_inline __u32 stt_seg_payload(__u32 mtu, __u32 iplen)
{
	return (mtu - iplen - sizeof(struct stt_tcp)) & ~7U;
}

/* Complete a partial inner TCP/UDP checksum (IPv4 or IPv6) and leave the skb CHECKSUM_NONE. */
static __noinline int stt_tx_complete_csum(struct __sk_buff *skb)
{
	void *data, *data_end;
	struct stt_ipv4 *ip;
	__u32 ihl, l4len, coff, h;
	__u8 proto;
	__u16 c;

	if (bpf_skb_pull_data(skb, skb->len < STT_TX_PULL ? skb->len : STT_TX_PULL))
		return -1;
	data = stt_skb_data(skb);
	data_end = stt_skb_data_end(skb);
	ip = data + sizeof(struct stt_eth);
	if ((void *)(ip + 1) > data_end)
		return -1;
	if (((struct stt_eth *)data)->proto == bpf_htons(ETH_P_IPV6)) {
		struct stt_ipv6 *ip6 = (void *)ip;

		if ((void *)(ip6 + 1) > data_end)
			return -1;
		ihl = sizeof(*ip6);
		proto = ip6->nexthdr;
	} else {
		ihl = (ip->ver_ihl & 0x0f) * 4;
		proto = ip->protocol;
	}
	if (ihl < 20 || ihl > 60 || skb->len < sizeof(struct stt_eth) + ihl + 20)
		return -1;
	l4len = skb->len - sizeof(struct stt_eth) - ihl;
	coff = sizeof(struct stt_eth) + ihl + (proto == 6 ? 16 : 6);
	h = ihl + 20; /* enough to move past csum_start (stt_tx_to_none) */
	if (stt_tx_to_none(skb, h, 0, 0, 0))
		return -1;
	if (bpf_skb_pull_data(skb, skb->len))
		return -1;
	/* The field holds the pseudo-header seed: summing the span as it is completes it. */
	c = ~stt_csum_fold(stt_sum_bytes(skb, sizeof(struct stt_eth) + ihl, l4len));
	if (proto == 17 && !c)
		c = 0xffff;
	return bpf_skb_store_bytes(skb, coff & 0xff, &c, sizeof(c), 0) ? -1 : 0;
}


struct stt_cut_hdrs {
	struct stt_encap4 h4;
	struct stt_encap6 h6;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stt_cut_hdrs);
} stt_cut_scratch SEC(".maps");

/* One pass of a cut frame (see STT_MARK_FRESH); the outer header is IPv4 or IPv6. */
static __noinline int stt_tx_cut(struct __sk_buff *skb, const struct stt_cfg *cfg)
{
	__u64 context = 0;
	struct stt_cut_hdrs *c;
	struct stt_tcp *tcp;
	__u32 zero = 0;
	__u32 seg_max, seq, rem, seg, adv = skb->mark == STT_MARK_ADVANCE;
	__u32 hoff, iplen;
	__be32 remote;
	__be16 proto;
	__u64 sum;
	long rc;
	int last, v6;

	skb->mark = 0;
	/* The headers live in a per-CPU scratch slot: this call chain's stack is full. */
	c = bpf_map_lookup_elem(&stt_cut_scratch, &zero);
	if (!c || bpf_skb_load_bytes(skb, 12, &proto, 2))
		return stt_tx_drop_ctx(STT_DROP_TX_ERROR, context);
	v6 = proto == bpf_htons(ETH_P_IPV6);
	hoff = v6 ? offsetof(struct stt_encap6, stt) : offsetof(struct stt_encap4, stt);
	iplen = v6 ? sizeof(struct stt_ipv6) : sizeof(struct stt_ipv4);
	if (v6 ? bpf_skb_load_bytes(skb, 0, &c->h6, offsetof(struct stt_encap6, stt))
	       : bpf_skb_load_bytes(skb, 0, &c->h4, offsetof(struct stt_encap4, stt)))
		return stt_tx_drop_ctx(STT_DROP_TX_ERROR, context);
	/* The context, for its counters: from the STT header this program wrote. */
	if (!bpf_skb_load_bytes(skb, hoff + 8, &context, 8))
		context = bpf_be64_to_cpu(context);
	/* Only frames this program encapsulated come back marked; check anyway. */
	if (v6) {
		const struct stt_cfg6 *c6 = bpf_map_lookup_elem(&stt_cfg6, &zero);

		tcp = &c->h6.tcp;
		remote = stt_remote6_of(c->h6.ip.daddr);
		if (!c6 || (c->h6.ip.ver_tc_flow[0] >> 4) != 6 || c->h6.ip.nexthdr != 6 ||
		    !stt_addr6_eq(c->h6.ip.saddr, c6->local6.a))
			return stt_tx_drop_ctx(STT_DROP_TX_ERROR, context);
	} else {
		tcp = &c->h4.tcp;
		remote = c->h4.ip.daddr;
		if (proto != bpf_htons(ETH_P_IP) || c->h4.ip.ver_ihl != 0x45 ||
		    c->h4.ip.protocol != 6 || c->h4.ip.saddr != cfg->local4)
			return stt_tx_drop_ctx(STT_DROP_TX_ERROR, context);
	}
	seg_max = stt_seg_payload(stt_remote_mtu(cfg, remote), iplen);
	if (tcp->dest != bpf_htons(cfg->port) || seg_max < 512 || skb->len <= hoff)
		return stt_tx_drop_ctx(STT_DROP_TX_ERROR, context);
	seq = bpf_ntohl(tcp->seq);
	if (adv) {
		/*
		 * Drop the bytes the previous pass sent and put the IP/TCP headers, with the
		 * new offset (a clone made below copies them), back in front. adjust_room
		 * moves at most 0xfff bytes a call: jumbo underlays need up to three.
		 */
		__u32 left = seg_max;

		if (skb->len <= hoff + seg_max)
			return stt_tx_drop_ctx(STT_DROP_TX_ERROR, context);
		for (int i = 0; i < 4 && left; i++) {
			__u32 step = left > 0xfff ? 0xfff : left;

			if (bpf_skb_adjust_room(skb, -(__s32)step, BPF_ADJ_ROOM_MAC, 0))
				return stt_tx_drop_ctx(STT_DROP_TX_ERROR, context);
			left -= step;
		}
		seq += seg_max;
		tcp->seq = bpf_htonl(seq);
		if (left ||
		    (v6 ? bpf_skb_store_bytes(skb, sizeof(struct stt_eth), &c->h6.ip,
					      sizeof(c->h6.ip) + sizeof(c->h6.tcp), 0)
			: bpf_skb_store_bytes(skb, sizeof(struct stt_eth), &c->h4.ip,
					      sizeof(c->h4.ip) + sizeof(c->h4.tcp), 0)))
			return stt_tx_drop_ctx(STT_DROP_TX_ERROR, context);
	}
	rem = skb->len - hoff;
	last = rem <= seg_max;
	if (!last) {
		skb->mark = STT_MARK_ADVANCE;
		rc = bpf_clone_redirect(skb, skb->ifindex, BPF_F_INGRESS);
		skb->mark = 0;
		if (rc || bpf_skb_change_tail(skb, hoff + seg_max, 0))
			return stt_tx_drop_ctx(STT_DROP_TX_ERROR, context);
	}
	seg = last ? rem : seg_max;
	if (seg > STT_SUM_MAX || bpf_skb_pull_data(skb, skb->len))
		return stt_tx_drop_ctx(STT_DROP_TX_ERROR, context);

	tcp->seq = bpf_htonl(seq);
	tcp->flags = STT_TCP_ACK | (last ? STT_TCP_PSH : 0);
	tcp->check = 0;
	if (v6) {
		c->h6.ip.payload_len = bpf_htons(sizeof(*tcp) + seg);
		sum = stt_sum6(c->h6.ip.saddr) + stt_sum6(c->h6.ip.daddr);
	} else {
		c->h4.ip.tot_len = bpf_htons(sizeof(c->h4.ip) + sizeof(*tcp) + seg);
		c->h4.ip.check = 0;
		c->h4.ip.check = stt_ipv4_csum(&c->h4.ip);
		sum = (__u64)c->h4.ip.saddr + c->h4.ip.daddr;
	}
	sum += stt_pseudo4_tail(6, sizeof(*tcp) + seg);
	{
		const __u16 *w = (const __u16 *)tcp;

#pragma unroll
		for (int i = 0; i < (int)sizeof(*tcp) / 2; i++)
			sum += w[i];
	}
	sum += stt_sum_bytes(skb, hoff, seg);
	tcp->check = ~stt_csum_fold(sum);

	/* The skb's protocol is the outer one here (it re-entered as one): the kernel can resolve. */
	if (v6)
		rc = stt_tx_send(skb, &c->h6, offsetof(struct stt_encap6, stt), cfg,
				  STT_SEND_LAST | STT_SEND_IP);
	else
		rc = stt_tx_send(skb, &c->h4, offsetof(struct stt_encap4, stt), cfg,
				 STT_SEND_LAST | STT_SEND_IP);
	if (rc < 0 || rc == TC_ACT_SHOT)
		return stt_tx_drop_ctx(STT_DROP_TX_NO_NEIGH, context);
	stt_count(STT_C_TX_SEGMENTS, 1);
	stt_ctx_account(context, STT_DIR_TX, 1, 0);
	stt_remote_account(remote, STT_DIR_TX, 1, 0);
	return rc;
}

/* A learned, unexpired remote for (context, MAC), or 0 (see stt_learn in stt_maps.h). */
static __noinline __be32 stt_tx_learned(__u64 context, const __u8 *mac, __u32 age_s)
{
	struct stt_learn_key k = {};
	struct stt_learn_val *v;
	__u64 age_ns = (__u64)(age_s ? age_s : STT_LEARN_AGE_DEFAULT) * 1000000000ULL;
	void *tbl = bpf_map_lookup_elem(&stt_learn, &context);

	if (!tbl)
		return 0;
	__builtin_memcpy(k.mac, mac, 6);
	v = bpf_map_lookup_elem(tbl, &k);
	if (!v || bpf_ktime_get_ns() - v->seen_ns >= age_ns)
		return 0;
	stt_count(STT_C_TX_LEARNED, 1);
	return v->remote4;
}

/*
 * Write the outer headers of a frame about to be cut (stt_tx_cut reads them back) for one
 * remote. -3: a remote of the other family, or an IPv6 index with no address behind it.
 */
static __noinline long stt_tx_cut_hdr(struct __sk_buff *skb, struct stt_tx_state *st,
				      __be32 remote)
{
	if (!st->v6) {
		if (stt_remote_is6(remote))
			return -3;
		st->h.ip.daddr = remote;
		return bpf_skb_store_bytes(skb, 0, &st->h, sizeof(st->h), 0) ? -1 : 0;
	} else {
		const struct stt_addr6 *a;

		if (!stt_remote_is6(remote) || !(a = stt_remote6_addr(remote)))
			return -3;
		__builtin_memcpy(st->h6.ip.daddr, a->a, 16);
		return bpf_skb_store_bytes(skb, 0, &st->h6, sizeof(st->h6), 0) ? -1 : 0;
	}
}

SEC("tc")
int stt_tc_tx(struct __sk_buff *skb)
{
	const struct stt_cfg *cfg = stt_get_cfg();
	const struct stt_flood_val *flood = NULL;
	const struct stt_fdb_val *fdb = NULL;
	struct stt_fdb_key key = {};
	const struct stt_vport *vp = NULL;
	struct stt_inner in = {};
	struct stt_tx_state *st;
	struct stt_encap4 *hp;
	__u32 ifindex = skb->ifindex;
	__u32 len = skb->len, frame_len, count, i, frame_id, segs;
	__be32 remote, uc_remote = 0;
	__u64 context;
	__u32 zero = 0, vflags, learn_age, mtu;
	int trunk = 0;
	int gso, cut, v6;
	__u32 ovh;
	__u16 vlan = 0;
	void *data, *data_end;
	long rc;

	if (!cfg || !cfg->ifindex)
		return stt_tx_drop(STT_DROP_TX_NO_UNDERLAY);
	/* A pass of a frame this program is cutting (it checks the frame is ours). */
	if (skb->mark == STT_MARK_FRESH || skb->mark == STT_MARK_ADVANCE)
		return stt_tx_cut(skb, cfg);
	/* A tagged frame from a trunk: its VLAN may be a vport of its own (stt_vlan_vports). */
	if (skb->vlan_present || skb->protocol == bpf_htons(0x8100)) {
		struct stt_vlan_key vk = { .ifindex = ifindex };
		__be16 tci = 0;

		if (skb->vlan_present)
			vk.vid = skb->vlan_tci & STT_VLAN_VID_MASK;
		else if (!bpf_skb_load_bytes(skb, 14, &tci, 2))
			vk.vid = bpf_ntohs(tci) & STT_VLAN_VID_MASK;
		vp = bpf_map_lookup_elem(&stt_vlan_vports, &vk);
		trunk = vp != NULL;
	}
	if (!vp)
		vp = bpf_map_lookup_elem(&stt_vports, &ifindex);
	if (!vp)
		return stt_tx_drop(STT_DROP_TX_NO_VPORT);
	context = vp->context;
	vflags = vp->flags;
	learn_age = vp->learn_age;
	/* The outer headers under construction: a per-CPU slot, the call chain's stack is full. */
	st = bpf_map_lookup_elem(&stt_tx_scratch, &zero);
	if (!st)
		return stt_tx_drop_ctx(STT_DROP_TX_ERROR, context);
	__builtin_memset(st, 0, sizeof(*st));
	hp = &st->h;
	/*
	 * A tagged tenant frame travels untagged, its tag in the STT header (draft 3.1):
	 * PCP(3) V(1) VID(12). The tag may be skb metadata or in the frame (802.1Q).
	 * Left on the skb, it would end up on the outer frame, on the underlay.
	 */
	if ((skb->vlan_present && (skb->protocol == bpf_htons(0x8100) ||
				   skb->protocol == bpf_htons(0x88a8))) ||
	    stt_inner_qinq(skb))
		return stt_tx_drop_ctx(STT_DROP_TX_QINQ, context);
	if (skb->vlan_present) {
		vlan = skb->vlan_tci;
		if (bpf_skb_vlan_pop(skb))
			return stt_tx_drop_ctx(STT_DROP_TX_ERROR, context);
		vlan = (vlan & 0xe000) | STT_VLAN_V | (vlan & STT_VLAN_VID_MASK);
	} else if (skb->protocol == bpf_htons(0x8100)) {
		__be16 tci;

		if (bpf_skb_load_bytes(skb, 14, &tci, 2) || bpf_skb_vlan_pop(skb))
			return stt_tx_drop_ctx(STT_DROP_TX_ERROR, context);
		vlan = bpf_ntohs(tci);
		vlan = (vlan & 0xe000) | STT_VLAN_V | (vlan & STT_VLAN_VID_MASK);
	}
	/* A trunk VLAN's own context: the tag is the context's, only its PCP travels (V=0). */
	if (trunk)
		vlan &= 0xe000;
	len = skb->len;
	frame_len = len + sizeof(struct stt_hdr);
	gso = skb->gso_size != 0;
	segs = gso && skb->gso_segs ? skb->gso_segs : 1;
	/*
	 * Every frame must fit STT's 16-bit length and the outer IPv4 total length (the IPv6
	 * payload length is looser); frames we cut ourselves are summed in full, so they are
	 * bounded by STT_SUM_MAX (below, once the path is known). GSO segments (gso_size of
	 * payload each) are made to fit the path MTU below.
	 */
	if (len < sizeof(struct stt_eth) ||
	    sizeof(struct stt_ipv4) + sizeof(struct stt_tcp) + frame_len > 0xffff)
		return stt_tx_drop_ctx(STT_DROP_TX_TOO_BIG, context);

	if (stt_tx_inner(skb, &in))
		return stt_tx_drop_ctx(STT_DROP_TX_ERROR, context);

	data = stt_skb_data(skb);
	data_end = stt_skb_data_end(skb);
	if (data + sizeof(struct stt_eth) > data_end)
		return stt_tx_drop_ctx(STT_DROP_TX_ERROR, context);
	key.context = context;
	__builtin_memcpy(key.mac, ((struct stt_eth *)data)->dst, 6);
	if (stt_is_oam_mac(key.mac))
		return stt_tx_drop_ctx(STT_DROP_TX_OAM, context);
	if (!(key.mac[0] & 1)) {
		fdb = bpf_map_lookup_elem(&stt_fdb, &key);
		if (fdb)
			uc_remote = fdb->remote4;
		else if (vflags & STT_VPORT_LEARN)
			uc_remote = stt_tx_learned(context, key.mac, learn_age);
	}
	if (!uc_remote) {
		flood = bpf_map_lookup_elem(&stt_flood, &key.context);
		if (!flood || !flood->count)
			return stt_tx_drop_ctx(STT_DROP_TX_NO_REMOTE, context);
	}
	/* The path MTU: toward the remote, or the smallest toward any flood target. */
	if (uc_remote) {
		mtu = stt_remote_mtu(cfg, uc_remote);
	} else {
		mtu = cfg->mtu;
		for (i = 0; i < STT_MAX_FLOOD; i++) {
			__u32 m;

			if (i >= flood->count)
				break;
			m = stt_remote_mtu(cfg, flood->remote4[i]);
			if (m < mtu)
				mtu = m;
		}
	}
	if (mtu < STT_PMTU_MIN)
		mtu = STT_PMTU_MIN;
	/*
	 * The outer family is the remote's; a flood list is one family (sttctl refuses to mix
	 * them), the first target's, and a copy to the other family is dropped and counted.
	 */
	v6 = stt_remote_is6(uc_remote ? uc_remote : flood->remote4[0]);
	ovh = v6 ? STT_ENCAP6_OVERHEAD : STT_ENCAP4_OVERHEAD;
	/* Larger than the path (or the underlay): cut by this program, bounded by the sum. */
	cut = !gso && len + ovh > mtu;
	if (cut && len > STT_SUM_MAX)
		return stt_tx_drop_ctx(STT_DROP_TX_TOO_BIG, context);
	st->is_ip = skb->protocol == bpf_htons(ETH_P_IP) || skb->protocol == bpf_htons(0x86dd);
	st->v6 = v6;

	hp->eth.proto = bpf_htons(ETH_P_IP);
	hp->ip.ver_ihl = 0x45;
	hp->ip.tos = stt_encap_tos(in.tos, cfg->dscp);
	hp->ip.tot_len = bpf_htons(STT_ENCAP4_OVERHEAD + len);
	hp->ip.frag_off = bpf_htons(0x4000); /* DF: STT segments are never fragmented */
	hp->ip.ttl = cfg->ttl ? cfg->ttl : 64;
	hp->ip.protocol = 6;
	hp->ip.saddr = cfg->local4;
	hp->tcp.source = bpf_htons(STT_SPORT_BASE | (in.hash & STT_SPORT_MASK));
	hp->tcp.dest = bpf_htons(cfg->port);
	hp->tcp.seq = bpf_htonl(STT_SEQ(frame_len, 0));
	frame_id = stt_next_frame_id();
	hp->tcp.ack_seq = bpf_htonl(frame_id);
	hp->ip.id = bpf_htons(frame_id & 0xffff);
	hp->tcp.doff_res = 5 << 4;
	hp->tcp.flags = STT_TCP_ACK | (gso ? 0 : STT_TCP_PSH);
	hp->stt.version = STT_VERSION;
	hp->stt.flags = in.flags;
	hp->stt.l4_offset = in.l4_off;
	/* A multi-segment frame: the MSS tells the receiver how the sender cut it. */
	hp->stt.mss = gso ? bpf_htons(skb->gso_size) : 0;
	hp->stt.context_id = bpf_cpu_to_be64(context);
	hp->stt.vlan_tci = bpf_htons(vlan);

	/* Outer TCP checksum, all but the destination address (it varies per flood copy). */
	st->base_sum = stt_pseudo4_tail(6, sizeof(hp->tcp) + frame_len);
	{
		const __u16 *w = (const __u16 *)&hp->tcp;

#pragma unroll
		for (i = 0; i < (sizeof(hp->tcp) + sizeof(hp->stt)) / 2; i++)
			st->base_sum += w[i];
	}
	st->base_sum += in.csum;
	if (v6) {
		/*
		 * The same headers behind an IPv6 one: traffic class as the IPv4 TOS, the flow
		 * label from the inner flow's hash (RFC 6438: entropy for the underlay's ECMP,
		 * like the source port), hop limit as the TTL. No extension headers.
		 */
		const struct stt_cfg6 *c6 = bpf_map_lookup_elem(&stt_cfg6, &zero);
		struct stt_encap6 *h6 = &st->h6;
		__u32 fl = in.hash & 0xfffff;

		if (!c6 || !(c6->flags & STT_CFG6_LOCAL))
			return stt_tx_drop_ctx(STT_DROP_TX_NO_REMOTE6, context);
		h6->eth.proto = bpf_htons(ETH_P_IPV6);
		h6->ip.ver_tc_flow[0] = 0x60 | (hp->ip.tos >> 4);
		h6->ip.ver_tc_flow[1] = (hp->ip.tos << 4) | (fl >> 16);
		h6->ip.ver_tc_flow[2] = fl >> 8;
		h6->ip.ver_tc_flow[3] = fl;
		h6->ip.payload_len = bpf_htons(sizeof(hp->tcp) + frame_len);
		h6->ip.nexthdr = 6;
		h6->ip.hop_limit = hp->ip.ttl;
		__builtin_memcpy(h6->ip.saddr, c6->local6.a, 16);
		h6->tcp = hp->tcp;
		h6->stt = hp->stt;
		st->base_sum += stt_sum6(c6->local6.a);
	} else {
		st->base_sum += cfg->local4;
	}

	if (cut) {
		/* Cut by stt_tx_cut: the inner checksum must be complete before cutting. */
		if ((in.flags & STT_F_CSUM_PARTIAL) && stt_tx_complete_csum(skb))
			return stt_tx_drop_ctx(STT_DROP_TX_ERROR, context);
		hp->stt.flags &= ~STT_F_CSUM_PARTIAL;
		hp->stt.l4_offset = 0;
		st->h6.stt = hp->stt;
		if (bpf_skb_change_head(skb, v6 ? sizeof(struct stt_encap6) : sizeof(struct stt_encap4),
					0))
			return stt_tx_drop_ctx(STT_DROP_TX_ERROR, context);
		stt_count(STT_C_TX_FRAMES, 1);
		stt_count(STT_C_TX_BYTES, len);
		stt_count(STT_C_TX_CUT_FRAMES, 1);
		if (v6)
			stt_count(STT_C_TX_FRAMES6, 1);
		stt_ctx_account(context, STT_DIR_TX | STT_ACC_FRAME, 0, len);
		if (uc_remote) {
			if (stt_tx_cut_hdr(skb, st, uc_remote))
				return stt_tx_drop_ctx(v6 ? STT_DROP_TX_NO_REMOTE6 : STT_DROP_TX_ERROR,
						       context);
			stt_remote_account(uc_remote, STT_DIR_TX | STT_ACC_FRAME, 0, len);
			skb->mark = STT_MARK_FRESH;
			return bpf_redirect(ifindex, BPF_F_INGRESS);
		}
		count = flood->count;
		if (count > STT_MAX_FLOOD)
			count = STT_MAX_FLOOD;
		for (i = 0; i < STT_MAX_FLOOD; i++) {
			long r;

			if (i >= count)
				break;
			remote = flood->remote4[i];
			r = stt_tx_cut_hdr(skb, st, remote);
			if (r == -3) {
				stt_drop(stt_remote_is6(remote) != v6 ? STT_DROP_TX_FAMILY
								      : STT_DROP_TX_NO_REMOTE6);
				continue;
			}
			if (r)
				return stt_tx_drop_ctx(STT_DROP_TX_ERROR, context);
			stt_remote_account(remote, STT_DIR_TX | STT_ACC_FRAME, 0, len);
			stt_count(STT_C_TX_FLOOD_COPIES, 1);
			skb->mark = STT_MARK_FRESH;
			if (i + 1 >= count)
				return bpf_redirect(ifindex, BPF_F_INGRESS);
			bpf_clone_redirect(skb, ifindex, BPF_F_INGRESS);
			skb->mark = 0;
		}
		return TC_ACT_SHOT;
	}
	if (gso) {
		__u32 seg_len;

		rc = stt_tx_gso(skb, st);
		if (rc == -2)
			return stt_tx_drop_ctx(STT_DROP_TX_TOO_BIG, context);
		if (rc)
			return stt_tx_drop_ctx(STT_DROP_TX_ERROR, context);
		seg_len = skb->gso_size + (ovh - sizeof(struct stt_hdr));
		if (seg_len > mtu) {
			/*
			 * Segments of gso_size would not fit the path: lower gso_size. Growing
			 * room without BPF_F_ADJ_ROOM_FIXED_GSO lowers it by the bytes added;
			 * taking them away again with the flag keeps it there. The STT header
			 * keeps the tenant's MSS (the inner TCP's), only the outer cut changes.
			 */
			__u32 d = seg_len - mtu;

			if (d > 0xfff || skb->gso_size < d + 256 ||
			    bpf_skb_adjust_room(skb, d, BPF_ADJ_ROOM_MAC, 0) ||
			    bpf_skb_adjust_room(skb, -(__s32)d, BPF_ADJ_ROOM_MAC,
						BPF_F_ADJ_ROOM_FIXED_GSO))
				return stt_tx_drop_ctx(STT_DROP_TX_TOO_BIG, context);
			stt_count(STT_C_TX_MSS_LOWERED, 1);
		}
		stt_count(STT_C_TX_GSO_FRAMES, 1);
	} else if (bpf_skb_change_head(skb, v6 ? sizeof(struct stt_encap6)
					      : sizeof(struct stt_encap4), 0)) {
		return stt_tx_drop_ctx(STT_DROP_TX_ERROR, context);
	}

	stt_count(STT_C_TX_FRAMES, 1);
	stt_count(STT_C_TX_BYTES, len);
	if (v6)
		stt_count(STT_C_TX_FRAMES6, 1);
	if (uc_remote) {
		__be32 remote = uc_remote;

		/* The context's counters: one update for the frame, sent or dropped. */
		rc = v6 ? stt_tx_one6(skb, st, remote, 1, cfg) : stt_tx_one(skb, st, remote, 1, cfg);
		if (rc == TC_ACT_SHOT || rc < 0) {
			stt_drop(rc == -3 ? STT_DROP_TX_NO_REMOTE6 : STT_DROP_TX_NO_NEIGH);
			stt_ctx_account(context, STT_DIR_TX | STT_ACC_FRAME | STT_ACC_DROP, 0, len);
			return TC_ACT_SHOT;
		}
		stt_count(STT_C_TX_SEGMENTS, 1);
		stt_ctx_account(context, STT_DIR_TX | STT_ACC_FRAME, segs, len);
		stt_remote_account(remote, STT_DIR_TX | STT_ACC_FRAME, segs, len);
		return rc;
	}
	stt_ctx_account(context, STT_DIR_TX | STT_ACC_FRAME, 0, len);

	count = flood->count;
	if (count > STT_MAX_FLOOD)
		count = STT_MAX_FLOOD;
	for (i = 0; i < STT_MAX_FLOOD; i++) {
		int last = i + 1 >= count;

		if (i >= count)
			break;
		remote = flood->remote4[i];
		if (stt_remote_is6(remote) != v6) {
			stt_drop(STT_DROP_TX_FAMILY);
			stt_ctx_account(context, STT_DIR_TX | STT_ACC_DROP, 0, 0);
			continue;
		}
		rc = v6 ? stt_tx_one6(skb, st, remote, last, cfg)
			: stt_tx_one(skb, st, remote, last, cfg);
		if (rc == TC_ACT_SHOT || rc < 0) {
			stt_drop(rc == -3 ? STT_DROP_TX_NO_REMOTE6 : STT_DROP_TX_NO_NEIGH);
			stt_ctx_account(context, STT_DIR_TX | STT_ACC_DROP, 0, 0);
			stt_remote_account(remote, STT_DIR_TX | STT_ACC_DROP, 0, 0);
			continue;
		}
		stt_count(STT_C_TX_SEGMENTS, 1);
		stt_count(STT_C_TX_FLOOD_COPIES, 1);
		stt_ctx_account(context, STT_DIR_TX, segs, 0);
		stt_remote_account(remote, STT_DIR_TX | STT_ACC_FRAME, segs, len);
		if (last)
			return rc;
	}
	return TC_ACT_SHOT;
}

/*
 * ECN and DSCP at decapsulation (include/stt_tos.h) for the inner IP header at off, whose
 * Ethernet type is proto. Returns 0 (done or nothing to do), 1 to drop the frame (CE on
 * the outside of a Not-ECT packet), -1 on a helper error.
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
		return 1;
	if (t == tos)
		return 0;
	nb[0] = b[0];
	nb[1] = b[1];
	stt_ip_tos_set(et, nb, t);
	if (et == ETH_P_IP && bpf_l3_csum_replace(skb, off + 10, *(__u16 *)b, *(__u16 *)nb, 2))
		return -1;
	return bpf_skb_store_bytes(skb, off, nb, sizeof(nb), 0) ? -1 : 0;
}

/*
 * An OAM frame (include/stt_proto.h): a CFM Loopback Message is answered in place (outer
 * MACs and addresses swapped, opcode 3 -> 2, sent back out of the underlay); a Loopback
 * Reply is consumed (sttctl ping saw it on its packet socket). Nothing reaches a tenant.
 * Only a whole one-segment frame whose outer TCP checksum is right gets an answer.
 */
/* Per CPU: the second the OAM replies are counted in, and how many were sent in it. */
struct stt_oam_rate {
	__u64 second;
	__u32 sent;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stt_oam_rate);
} stt_oam_rate SEC(".maps");

/* True when this CPU may send one more OAM reply this second (STT_OAM_RATE). */
static __always_inline int stt_oam_allowed(void)
{
	__u32 zero = 0;
	struct stt_oam_rate *r = bpf_map_lookup_elem(&stt_oam_rate, &zero);
	__u64 now = bpf_ktime_get_ns() / 1000000000ULL;

	if (!r)
		return 0;
	if (r->second != now) {
		r->second = now;
		r->sent = 0;
	}
	if (r->sent >= STT_OAM_RATE)
		return 0;
	r->sent++;
	return 1;
}

static __noinline int stt_rx_oam(struct __sk_buff *skb, struct stt_rx *rx,
				 const struct stt_cfg *cfg)
{
	__u32 iplen = rx->v6 ? sizeof(struct stt_ipv6) : sizeof(struct stt_ipv4);
	__u32 l4 = sizeof(struct stt_eth) + iplen;
	__u32 cfm = l4 + sizeof(struct stt_tcp) + sizeof(struct stt_hdr) + sizeof(struct stt_eth);
	__u32 tcp_len = rx->payload_len + sizeof(struct stt_tcp);
	struct stt_eth eth;
	struct stt_ipv4 ip;
	struct stt_ipv6 ip6;
	__u8 w[2], nw[2], mac[6];
	__be32 a;
	__u64 sum;

	if (skb->gso_size || rx->seg_off || rx->payload_len != rx->frame_len ||
	    rx->outer_len != l4 + sizeof(struct stt_tcp) || rx->frame_len < 18 + 14 + 9 ||
	    tcp_len > 256 || bpf_skb_load_bytes(skb, cfm & 0xff, w, 2) || (w[0] >> 5) != 0)
		goto bad;
	if (w[1] == STT_CFM_LBR) {
		stt_count(STT_C_OAM_REPLIES, 1);
		return TC_ACT_SHOT;
	}
	if (w[1] != STT_CFM_LBM || bpf_skb_load_bytes(skb, 0, &eth, sizeof(eth)))
		goto bad;
	/* The whole segment must sum right: never answer a forged or damaged probe. */
	if (rx->v6) {
		if (bpf_skb_load_bytes(skb, 14, &ip6, sizeof(ip6)))
			goto bad;
		sum = stt_sum6(ip6.saddr) + stt_sum6(ip6.daddr);
	} else {
		if (bpf_skb_load_bytes(skb, 14, &ip, sizeof(ip)))
			goto bad;
		sum = (__u64)ip.saddr + ip.daddr;
	}
	sum += stt_pseudo4_tail(6, tcp_len);
	sum += stt_sum_bytes(skb, l4, tcp_len);
	if (stt_csum_fold(sum) != 0xffff)
		goto bad;
	if (!stt_oam_allowed()) {
		stt_drop(STT_DROP_OAM_RATE);
		return TC_ACT_SHOT;
	}

	__builtin_memcpy(mac, eth.dst, 6);
	__builtin_memcpy(eth.dst, eth.src, 6);
	__builtin_memcpy(eth.src, mac, 6);
	if (rx->v6) {
		for (int k = 0; k < 4; k++) {
			a = ip6.saddr[k];
			ip6.saddr[k] = ip6.daddr[k];
			ip6.daddr[k] = a;
		}
		ip6.hop_limit = cfg->ttl ? cfg->ttl : 64;
		if (bpf_skb_store_bytes(skb, 14, &ip6, sizeof(ip6), 0))
			goto bad;
	} else {
		a = ip.saddr;
		ip.saddr = ip.daddr;
		ip.daddr = a;
		ip.ttl = cfg->ttl ? cfg->ttl : 64;
		ip.check = 0;
		ip.check = stt_ipv4_csum(&ip);
		if (bpf_skb_store_bytes(skb, 14, &ip, sizeof(ip), 0))
			goto bad;
	}
	nw[0] = w[0];
	nw[1] = STT_CFM_LBR;
	/* Swapped addresses leave the pseudo header's sum as it was: only the opcode moves. */
	if (bpf_skb_store_bytes(skb, 0, &eth, sizeof(eth), 0) ||
	    bpf_l4_csum_replace(skb, (l4 + 16) & 0xff, *(__u16 *)w, *(__u16 *)nw, 2) ||
	    bpf_skb_store_bytes(skb, cfm & 0xff, nw, 2, 0))
		goto bad;
	stt_count(STT_C_OAM_REPLIED, 1);
	return bpf_redirect(skb->ifindex, 0);
bad:
	stt_drop(STT_DROP_OAM_BAD);
	return TC_ACT_SHOT;
}

/*
 * The tag a decapsulated frame gets back: with V=1, PCP and VLAN ID as sent (DEI 0); a
 * trunk VLAN's vport gets its own VLAN ID instead, with the PCP as sent. vlan is the STT
 * header's PCP/V/VID in host order. Returns non-zero when the push failed.
 */
static __always_inline long stt_rx_vlan(struct __sk_buff *skb, __u32 vflags, __u16 vlan)
{
	if (vflags & STT_VPORT_VLAN)
		vlan = STT_VLAN_V | (vlan & 0xe000) | STT_CTX_VID(vflags);
	if (!(vlan & STT_VLAN_V))
		return 0;
	return bpf_skb_vlan_push(skb, bpf_htons(0x8100), (vlan & 0xe000) | (vlan & STT_VLAN_VID_MASK));
}

/* Inner frames shorter than this are decapsulated by copying (see stt_tc_rx). */
#define STT_SMALL_INNER 34

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

/* Inner headers the receive side reads: outer IPv4 + TCP + STT + inner Ethernet. */
#define STT_RX_PULL (14 + 60 + 20 + 18 + 14)

/*
 * Pieces of TSO frames, delivered as they come (draft 3.3.2: a receiver may deliver a
 * partial frame to a TCP consumer). A frame that the sender's TSO cut (STT MSS > 0, inner
 * TCP over IPv4) is a run of TCP payload behind one set of inner headers. The first piece
 * carries those headers: they are kept per frame (sender, port, frame ID), and every later
 * piece is delivered as a TCP segment of its own, the headers put back in front with the
 * sequence number of its first byte. No reassembly, no trip through sttd, nothing out of
 * order. Only pieces whose outer checksum the kernel verified (GRO merged them, or the
 * skb is CHECKSUM_UNNECESSARY) take this path; anything else still goes to sttd.
 */
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

/*
 * How long a frame's kept headers serve its later pieces. Frame IDs come back (2^24 per
 * CPU of the sender) and LRU entries outlive their frame: a later piece is matched only to
 * a first piece of the same length seen this recently, never to an older frame (of
 * perhaps another context); anything else goes to sttd, which checks the whole frame.
 */
#define STT_PIECE_AGE_NS 1000000000ULL

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct stt_piece_key);
	__type(value, struct stt_piece_hdrs);
} stt_piece_hdrs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stt_piece_hdrs);
} stt_piece_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stt_piece);
} stt_piece_hdr_scratch SEC(".maps");

/* Returns the vport to redirect to, 0 to leave the piece to sttd, -1 on a helper error. */
static __noinline int stt_rx_piece(struct __sk_buff *skb, struct stt_rx *rx,
				   const struct stt_cfg *cfg)
{
	struct stt_piece_key k = { .frame_id = rx->frame_id, .sport = rx->sport, .v6 = rx->v6 };
	__u32 zero = 0, o = rx->seg_off, outer = rx->outer_len, hlen, ihl, dlen, d, last;
	__u64 flags = skb->gso_size ? BPF_F_ADJ_ROOM_FIXED_GSO : 0;
	struct stt_piece_hdrs *h;
	__be16 old_len, new_len;
	__be32 seq;
	__u8 tflags;

	if (!skb->gso_size && bpf_csum_level(skb, BPF_CSUM_LEVEL_QUERY) < 0)
		return 0; /* outer checksum not verified by the kernel: sttd checks it */
	/*
	 * The same over IPv6 (outer 74): keyed by the sender's whole address (an IPv6 sender
	 * need not have a remote index, and two such must never share a frame), and retyped
	 * 6-to-4 before the outer headers go (see below), after which the offsets are IPv4's.
	 */
	if (outer == 54) {
		k.saddr[0] = rx->saddr;
	} else if (outer != 74 || bpf_skb_load_bytes(skb, 14 + 8, k.saddr, 16)) {
		return 0;
	}

	h = bpf_map_lookup_elem(&stt_piece_hdrs, &k);
	if (h && h->to_sttd && h->frame_len == rx->frame_len &&
	    bpf_ktime_get_ns() - h->born_ns <= STT_PIECE_AGE_NS)
		return 0;
	if (o == 0) {
		struct stt_hdr sh;
		const struct stt_ctx_val *vp;
		enum stt_drop why;
		__u8 hb[34];
		__u64 ctx;
		__u32 thl;

		h = bpf_map_lookup_elem(&stt_piece_scratch, &zero);
		if (!h || bpf_skb_load_bytes(skb, outer, &sh, sizeof(sh)) ||
		    bpf_skb_load_bytes(skb, outer + sizeof(sh), hb, sizeof(hb)))
			return 0;
		/*
		 * A header sttd would refuse goes there, to be refused and counted once. Past
		 * stt_hdr_ok(), an MSS means a partial TCP checksum, and the IPv4 flag an inner
		 * IPv4 packet: a TSO frame over IPv4, the only kind delivered piece by piece.
		 */
		if (!stt_hdr_ok(&sh, hb, rx->frame_len - sizeof(sh), &why) || !sh.mss ||
		    !(sh.flags & STT_F_IPV4))
			return 0;
		ctx = bpf_be64_to_cpu(sh.context_id);
		vp = bpf_map_lookup_elem(&stt_contexts, &ctx);
		if (!vp)
			return 0;
		/* Not a peer: sttd refuses it too, and counts it there. */
		if (stt_peer_denied(cfg, vp, ctx, rx->saddr))
			return 0;
		if (vp->flags & STT_VPORT_LEARN)
			stt_learn_mac(ctx, hb + 6, rx->saddr);
		/* A trunk VLAN's frames are tagged on delivery: sttd does that for pieces. */
		if (vp->flags & STT_VPORT_VLAN)
			return 0;
		ihl = (hb[14] & 0x0f) * 4;
		if (ihl < 20 || ihl > 60)
			return 0;
		{
			__u8 doff;

			if (bpf_skb_load_bytes(skb, outer + 18 + 14 + ihl + 12, &doff, 1))
				return 0;
			thl = (doff >> 4) * 4;
		}
		if (thl < 20)
			return 0;
		hlen = 14 + ihl + thl;
		if (hlen < 54 || hlen > STT_GSO_HDRS || 18 + hlen >= rx->payload_len)
			return 0;
		if (bpf_skb_load_bytes(skb, outer + 18, h->hdrs, hlen))
			return 0;
		h->ifindex = vp->ifindex;
		h->to_sttd = 0;
		h->frame_len = rx->frame_len;
		h->got = 0;
		h->born_ns = bpf_ktime_get_ns();
		h->hlen = hlen;
		h->ihl = ihl;
		h->seq0 = bpf_ntohl(*(__be32 *)&h->hdrs[(14 + ihl + 4) & 0x7f]);
		h->tcp_flags = h->hdrs[(14 + ihl + 13) & 0x7f];
		if (bpf_map_update_elem(&stt_piece_hdrs, &k, h, BPF_ANY))
			return 0;
		h = bpf_map_lookup_elem(&stt_piece_hdrs, &k);
		if (!h)
			return 0;
		dlen = rx->payload_len - 18 - hlen;
		d = 0;
		/* Outer IP + TCP + STT + inner Ethernet off, inner Ethernet back in front. */
		if ((outer == 74 && bpf_skb_change_proto(skb, bpf_htons(ETH_P_IP), 0)) ||
		    bpf_skb_adjust_room(skb, -(40 + 18 + 14 - 4), BPF_ADJ_ROOM_MAC, flags) ||
		    bpf_skb_adjust_room(skb, -4, BPF_ADJ_ROOM_MAC, flags) ||
		    bpf_skb_store_bytes(skb, 0, h->hdrs, 14, 0))
			return -1;
	} else {
		if (!h || h->frame_len != rx->frame_len ||
		    bpf_ktime_get_ns() - h->born_ns > STT_PIECE_AGE_NS) {
			/*
			 * The first piece has not been seen (GRO can deliver the last segment
			 * first), or what is kept belongs to an older frame with the same ID:
			 * this frame goes to sttd, all of it, the first piece included.
			 */
			h = bpf_map_lookup_elem(&stt_piece_scratch, &zero);
			if (h) {
				h->to_sttd = 1;
				h->frame_len = rx->frame_len;
				h->born_ns = bpf_ktime_get_ns();
				bpf_map_update_elem(&stt_piece_hdrs, &k, h, BPF_ANY);
			}
			return 0;
		}
		hlen = h->hlen;
		ihl = h->ihl;
		if (hlen > STT_GSO_HDRS || hlen < 54 || ihl > 60 || o < 18 + hlen)
			return 0;
		d = o - 18 - hlen;
		dlen = rx->payload_len;
		/* Outer IP + TCP off (two steps: CHECKSUM_NONE), the frame's headers in front. */
		if ((outer == 74 && bpf_skb_change_proto(skb, bpf_htons(ETH_P_IP), 0)) ||
		    bpf_skb_adjust_room(skb, -(40 - 4), BPF_ADJ_ROOM_MAC, flags) ||
		    bpf_skb_adjust_room(skb, -4, BPF_ADJ_ROOM_MAC, flags) ||
		    bpf_skb_adjust_room(skb, hlen - 14, BPF_ADJ_ROOM_MAC, flags) ||
		    bpf_skb_store_bytes(skb, 0, h->hdrs, hlen, 0))
			return -1;
	}

	/* ECN/DSCP of this piece, by its own outer header (the inner one is IPv4 here). */
	{
		int t = stt_rx_tos(skb, 14, bpf_htons(ETH_P_IP), rx->tos, cfg->dscp);

		if (t)
			return t > 0 ? -2 : -1;
	}

	/* This piece as a TCP segment: IP length and checksum, sequence number, flags. */
	last = o + rx->payload_len == rx->frame_len;
	if (bpf_skb_load_bytes(skb, 14 + 2, &old_len, 2))
		return -1;
	new_len = bpf_htons(ihl + (hlen - 14 - ihl) + dlen);
	seq = bpf_htonl(h->seq0 + d);
	tflags = h->tcp_flags;
	if (!last)
		tflags &= ~(STT_TCP_PSH | STT_TCP_FIN);
	if (o)
		tflags &= ~0x80; /* CWR only on the first */
	if (bpf_skb_store_bytes(skb, 14 + 2, &new_len, 2, 0) ||
	    bpf_l3_csum_replace(skb, 14 + 10, old_len, new_len, 2) ||
	    bpf_skb_store_bytes(skb, (14 + ihl + 4) & 0xff, &seq, 4, 0) ||
	    bpf_skb_store_bytes(skb, (14 + ihl + 13) & 0xff, &tflags, 1, 0))
		return -1;
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
			return -1;
		sum = (__u64)addrs[0] + addrs[1] + stt_pseudo4_tail(6, tcp_len);
		sum += stt_sum_bytes(skb, (14 + ihl) & 0xff, tcp_len);
		c = ~stt_csum_fold(sum);
		if (bpf_skb_store_bytes(skb, (14 + ihl + 16) & 0xff, &c, 2, 0))
			return -1;
	}
	stt_count(STT_C_RX_PIECES_DIRECT, 1);
	stt_count(STT_C_RX_BYTES, 14 + ihl + (hlen - 14 - ihl) + dlen);
	{
		__u32 to = h->ifindex;

		/* Every byte of the frame delivered: forget it, so its ID can serve a new one. */
		if (__sync_fetch_and_add(&h->got, rx->payload_len) + rx->payload_len >=
		    rx->frame_len)
			bpf_map_delete_elem(&stt_piece_hdrs, &k);
		return to;
	}
}

/*
 * An ICMP "fragmentation needed" about an STT segment this endpoint sent (the quoted
 * header: from our address, TCP to the STT port) lowers the path MTU toward that remote
 * (stt_pmtu). The ICMP itself goes on to the stack.
 */
static __noinline void stt_rx_icmp(struct __sk_buff *skb, const struct stt_cfg *cfg)
{
	struct stt_ipv4 ip, in;
	struct stt_pmtu_val v = {};
	__u8 icmp[8];
	__be16 dport;
	__u32 ihl, remote, mtu;

	if (bpf_skb_load_bytes(skb, 14, &ip, sizeof(ip)) || (ip.ver_ihl >> 4) != 4 ||
	    ip.protocol != 1 || (ip.frag_off & bpf_htons(0x3fff)))
		return;
	ihl = (ip.ver_ihl & 0x0f) * 4;
	if (ihl < 20 || bpf_skb_load_bytes(skb, (14 + ihl) & 0x7f, icmp, sizeof(icmp)) ||
	    icmp[0] != 3 || icmp[1] != 4 ||
	    bpf_skb_load_bytes(skb, (14 + ihl + 8) & 0x7f, &in, sizeof(in)) ||
	    in.ver_ihl != 0x45 || in.protocol != 6 || in.saddr != cfg->local4 ||
	    bpf_skb_load_bytes(skb, (14 + ihl + 8 + 20 + 2) & 0xff, &dport, sizeof(dport)) ||
	    dport != bpf_htons(cfg->port))
		return;
	mtu = (__u32)icmp[6] << 8 | icmp[7];
	if (mtu < STT_PMTU_MIN || mtu >= cfg->mtu) {
		stt_count(STT_C_PMTU_IGNORED, 1);
		return;
	}
	remote = in.daddr;
	v.mtu = mtu;
	v.learned_ns = bpf_ktime_get_ns();
	bpf_map_update_elem(&stt_pmtu, &remote, &v, BPF_ANY);
	stt_count(STT_C_PMTU_LEARNED, 1);
}

/*
 * The same for an ICMPv6 "packet too big" (RFC 4443 3.2) about an STT segment sent from
 * this endpoint's IPv6 address to a remote it has an index for. Values below the IPv6
 * minimum MTU (1280) are not taken.
 */
static __noinline void stt_rx_icmp6(struct __sk_buff *skb, const struct stt_cfg *cfg)
{
	const struct stt_cfg6 *c6;
	struct stt_ipv6 in;
	struct stt_pmtu_val v = {};
	__u8 icmp[8];
	__be16 dport;
	__u32 zero = 0, mtu;
	__be32 remote;

	c6 = bpf_map_lookup_elem(&stt_cfg6, &zero);
	if (!c6 || !(c6->flags & STT_CFG6_LOCAL) ||
	    bpf_skb_load_bytes(skb, 14 + 40, icmp, sizeof(icmp)) || icmp[0] != 2 || icmp[1] != 0 ||
	    bpf_skb_load_bytes(skb, 14 + 40 + 8, &in, sizeof(in)) || in.nexthdr != 6 ||
	    !stt_addr6_eq(in.saddr, c6->local6.a) ||
	    bpf_skb_load_bytes(skb, 14 + 40 + 8 + 40 + 2, &dport, sizeof(dport)) ||
	    dport != bpf_htons(cfg->port))
		return;
	mtu = (__u32)icmp[4] << 24 | (__u32)icmp[5] << 16 | (__u32)icmp[6] << 8 | icmp[7];
	remote = stt_remote6_of(in.daddr);
	if (mtu < STT_PMTU6_MIN || mtu >= cfg->mtu || !remote) {
		stt_count(STT_C_PMTU_IGNORED, 1);
		return;
	}
	v.mtu = mtu;
	v.learned_ns = bpf_ktime_get_ns();
	bpf_map_update_elem(&stt_pmtu, &remote, &v, BPF_ANY);
	stt_count(STT_C_PMTU_LEARNED, 1);
}

SEC("tc")
int stt_tc_rx(struct __sk_buff *skb)
{
	const struct stt_cfg *cfg = stt_get_cfg();
	enum stt_drop reason = STT_DROP_RX_ERROR;
	const struct stt_ctx_val *vp;
	struct stt_rx rx = {};
	struct stt_eth inner_eth;
	void *data, *data_end;
	struct stt_hdr *stt;
	__u32 len = skb->len, strip, inner_len, segs;
	__be16 mss;
	__u16 vlan;
	__u64 flags;
	int gso;
	__u64 context;
	int v;

	if (!cfg || !cfg->ifindex)
		return STT_TC_PASS;
	if (bpf_skb_pull_data(skb, len < STT_RX_PULL ? len : STT_RX_PULL))
		return STT_TC_PASS;
	data = stt_skb_data(skb);
	data_end = stt_skb_data_end(skb);

	v = stt_rx_parse(data, data_end, len, cfg, &rx, &reason);
	/* Without the XDP program (a veth underlay), TC counts what XDP would have. */
	if (!(cfg->flags & STT_CFG_XDP)) {
		if (v == STT_RX_NOT_STT)
			stt_count(STT_C_PASS, 1);
		else
			stt_count(STT_C_RX_SEGMENTS, skb->gso_segs ? skb->gso_segs : 1);
	}
	switch (v) {
	case STT_RX_NOT_STT: {
		struct stt_ipv4 *ip = data + sizeof(struct stt_eth);

		struct stt_ipv6 *ip6 = data + sizeof(struct stt_eth);

		/* Only ICMP and ICMPv6 can say the path to a remote is smaller. */
		if ((void *)(ip + 1) <= data_end &&
		    ((struct stt_eth *)data)->proto == bpf_htons(ETH_P_IP) && ip->protocol == 1)
			stt_rx_icmp(skb, cfg);
		else if ((void *)(ip6 + 1) <= data_end &&
			 ((struct stt_eth *)data)->proto == bpf_htons(ETH_P_IPV6) &&
			 ip6->nexthdr == 58)
			stt_rx_icmp6(skb, cfg);
		return STT_TC_PASS;
	}
	case STT_RX_DROP:
		stt_drop(reason);
		return TC_ACT_SHOT;
	case STT_RX_SEGMENT: {
		/*
		 * GRO did not make a whole frame of it: deliver it as TCP segment if it is a
		 * piece of a TSO frame (stt_rx_piece), else hand it to sttd, which reassembles
		 * and delivers (docs/DESIGN.md). Never to the host's TCP.
		 */
		int to = stt_rx_piece(skb, &rx, cfg);

		if (to > 0) {
			stt_remote_account(rx.saddr, STT_DIR_RX, 1, 0);
			return bpf_redirect(to, 0);
		}
		if (to < 0) {
			stt_drop(to == -2 ? STT_DROP_ECN_CE_NOT_ECT : STT_DROP_RX_ERROR);
			return TC_ACT_SHOT;
		}
		data = stt_skb_data(skb);
		data_end = stt_skb_data_end(skb);
		/* The sample header lives in a per-CPU slot: this call chain's stack is full. */
		__u32 zero = 0;
		struct stt_piece *pp = bpf_map_lookup_elem(&stt_piece_hdr_scratch, &zero);

		if (!pp) {
			stt_drop(STT_DROP_RX_ERROR);
			return TC_ACT_SHOT;
		}
		__builtin_memset(pp, 0, sizeof(*pp));
		pp->saddr = rx.saddr;
		pp->sport = rx.sport;
		pp->flags = (skb->gso_size ? STT_PIECE_GRO : 0) | (rx.v6 ? STT_PIECE_V6 : 0);
		pp->frame_id = bpf_ntohl(rx.frame_id);
		pp->frame_len = rx.frame_len;
		pp->seg_off = rx.seg_off;
		pp->payload_off = rx.outer_len;
		pp->payload_len = rx.payload_len;
		pp->pkt_len = len;
		pp->ifindex = skb->ifindex;
		pp->tos = rx.tos;
		struct stt_ipv4 *ip = data + sizeof(struct stt_eth);

		if (!rx.v6 && (void *)(ip + 1) <= data_end)
			pp->daddr = ip->daddr;
		if (len > 0xff00 || bpf_perf_event_output(skb, &stt_reasm_events,
							  BPF_F_CURRENT_CPU | ((__u64)len << 32),
							  pp, sizeof(*pp))) {
			stt_drop(STT_DROP_MULTI_SEG);
			return TC_ACT_SHOT;
		}
		stt_count(STT_C_RX_TO_STTD, 1);
		return TC_ACT_SHOT;
	}
	}

	stt = stt_rx_hdr(data, &rx);
	if ((void *)(stt + 1) + sizeof(inner_eth) > data_end) {
		stt_drop(STT_DROP_TRUNCATED);
		return TC_ACT_SHOT;
	}
	context = bpf_be64_to_cpu(stt->context_id);
	vp = bpf_map_lookup_elem(&stt_contexts, &context);
	if (!vp) {
		stt_drop(STT_DROP_UNKNOWN_CTX);
		return TC_ACT_SHOT;
	}
	if (stt_peer_denied(cfg, vp, context, rx.saddr)) {
		stt_drop(STT_DROP_PEER_DENIED);
		stt_ctx_account(context, STT_DIR_RX | STT_ACC_DROP, 0, 0);
		return TC_ACT_SHOT;
	}
	__builtin_memcpy(&inner_eth, stt + 1, sizeof(inner_eth));
	if (stt_is_oam(&inner_eth))
		return stt_rx_oam(skb, &rx, cfg);
	mss = stt->mss;
	vlan = bpf_ntohs(stt->vlan_tci);
	segs = skb->gso_segs ? skb->gso_segs : 1;
	inner_len = rx.frame_len - sizeof(struct stt_hdr);
	if (vp->flags & STT_VPORT_LEARN)
		stt_learn_mac(context, inner_eth.src, rx.saddr);
	/* GRO merges only segments with the same TOS: one CE segment keeps its frame apart. */
	if (inner_len >= STT_SMALL_INNER) {
		int t = stt_rx_tos(skb, rx.outer_len + sizeof(struct stt_hdr) + sizeof(inner_eth),
				   inner_eth.proto, rx.tos, cfg->dscp);

		if (t) {
			stt_drop(t > 0 ? STT_DROP_ECN_CE_NOT_ECT : STT_DROP_RX_ERROR);
			stt_ctx_account(context, STT_DIR_RX | STT_ACC_DROP, 0, 0);
			return TC_ACT_SHOT;
		}
	}

	/*
	 * Remove outer IP + TCP + STT + inner Ethernet from behind the outer Ethernet header,
	 * then write the inner Ethernet header in its place. Two steps: the second pull's
	 * skb_postpull_rcsum() finds a csum_start (outer TCP, set by GRO or a local sender)
	 * before the data and drops the skb to CHECKSUM_NONE, so the tenant verifies the inner
	 * checksum itself instead of trusting a partial one.
	 */
	strip = rx.outer_len - sizeof(struct stt_eth) + sizeof(struct stt_hdr) + sizeof(inner_eth);
	gso = skb->gso_size != 0;
	if (!gso && inner_len < STT_SMALL_INNER) {
		/*
		 * bpf_skb_adjust_room() will not leave less than an IPv4 header behind the MAC
		 * header, and legal inner frames can be shorter (a PPPoE PADI is 24 bytes):
		 * move the inner frame to the front and cut the tail instead.
		 */
		if (stt_rx_small(skb, rx.outer_len + sizeof(struct stt_hdr), inner_len)) {
			stt_drop(STT_DROP_RX_ERROR);
			return TC_ACT_SHOT;
		}
		if (stt_rx_vlan(skb, vp->flags, vlan)) {
			stt_drop(STT_DROP_RX_ERROR);
			return TC_ACT_SHOT;
		}
		stt_count(STT_C_RX_FRAMES, 1);
		stt_count(STT_C_RX_BYTES, inner_len);
		if (rx.v6)
			stt_count(STT_C_RX_FRAMES6, 1);
		stt_ctx_account(context, STT_DIR_RX | STT_ACC_FRAME, segs, inner_len);
		stt_remote_account(rx.saddr, STT_DIR_RX | STT_ACC_FRAME, segs, inner_len);
		return bpf_redirect(vp->ifindex, 0);
	}
	flags = gso ? BPF_F_ADJ_ROOM_FIXED_GSO : 0;
	if (rx.v6 && (inner_eth.proto != bpf_htons(ETH_P_IPV6) || inner_len < 14 + 40)) {
		/*
		 * IPv6 outside, anything but IPv6 inside (or an "IPv6" frame too short to
		 * hold the header). bpf_skb_adjust_room() leaves at least a header of the
		 * skb's protocol behind the MAC header, 40 bytes for IPv6, and an ARP is 28. And a frame merged from IPv6 segments is typed
		 * TCPv6 GSO, wrong for IPv4 inside. The 6-to-4 translation fixes both: it
		 * retypes the skb IPv4 (TCPv4 GSO) and takes 20 bytes from behind the MAC
		 * header, which were outer bytes anyway.
		 */
		if (bpf_skb_change_proto(skb, bpf_htons(ETH_P_IP), 0)) {
			stt_drop(STT_DROP_RX_ERROR);
			return TC_ACT_SHOT;
		}
		strip -= 20;
	} else if (gso && !rx.v6 && inner_eth.proto == bpf_htons(ETH_P_IPV6)) {
		/*
		 * IPv6 inside a merged frame: GRO typed the skb IPv4 and TCPv4 GSO from the
		 * outer headers, and anything that segments it (a veth, a forwarding tenant)
		 * would take the inner IPv6 packet for IPv4 and drop it. bpf_skb_change_proto()
		 * retypes it IPv6 / TCPv6 GSO, adding 20 bytes behind the MAC header, which go
		 * with the outer headers.
		 */
		if (bpf_skb_change_proto(skb, bpf_htons(ETH_P_IPV6), 0)) {
			stt_drop(STT_DROP_RX_ERROR);
			return TC_ACT_SHOT;
		}
		strip += 20;
	}
	if (bpf_skb_adjust_room(skb, -(__s32)(strip - 4), BPF_ADJ_ROOM_MAC, flags) ||
	    bpf_skb_adjust_room(skb, -4, BPF_ADJ_ROOM_MAC, flags) ||
	    bpf_skb_store_bytes(skb, 0, &inner_eth, sizeof(inner_eth), 0)) {
		stt_drop(STT_DROP_RX_ERROR);
		return TC_ACT_SHOT;
	}
	/*
	 * A GSO skb here is a frame GRO merged (GRO verified every segment's outer checksum
	 * before merging) or one a local sender handed over whole (trusted, as veth trusts
	 * CHECKSUM_PARTIAL). Its inner TCP checksum is still the sender's partial seed, so
	 * mark the inner packet verified: the kernel re-seeds and recomputes checksums if the
	 * tenant forwards it on, because forwarding a GSO skb segments it again. A single
	 * segment is never marked: the tenant checks it (or its CHECKSUM_PARTIAL state from
	 * a local sender is kept).
	 */
	if (gso) {
		bpf_csum_level(skb, BPF_CSUM_LEVEL_INC);
		if (rx.payload_len > skb->gso_size)
			stt_count(STT_C_RX_GRO_FRAMES, 1);
		/*
		 * GRO typed the merged skb as TCPv4 GSO. That is right for a tenant TSO frame
		 * (the STT MSS says so), but any other frame the sender had to cut (ICMP, UDP,
		 * a lone full-size TCP segment) must stop being GSO, or the kernel tries to
		 * segment its inner packet as TCP and drops it. bpf_skb_change_tail()
		 * linearizes and resets the GSO state (skb_gso_reset), even at the same length.
		 */
		if (!mss && bpf_skb_change_tail(skb, skb->len, 0)) {
			stt_drop(STT_DROP_RX_ERROR);
			return TC_ACT_SHOT;
		}
	}
	if (stt_rx_vlan(skb, vp->flags, vlan)) {
		stt_drop(STT_DROP_RX_ERROR);
		return TC_ACT_SHOT;
	}
	stt_count(STT_C_RX_FRAMES, 1);
	stt_count(STT_C_RX_BYTES, inner_len);
	if (rx.v6)
		stt_count(STT_C_RX_FRAMES6, 1);
	stt_ctx_account(context, STT_DIR_RX | STT_ACC_FRAME, segs, inner_len);
	stt_remote_account(rx.saddr, STT_DIR_RX | STT_ACC_FRAME, segs, inner_len);
	return bpf_redirect(vp->ifindex, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

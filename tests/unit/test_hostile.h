/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Hostile input, isolation and entropy tests of the datapath (issue 6, part of issue 4).
 * Included by test_datapath.c after its fixture, its packet builders and its decapsulation
 * and malformed-input helpers; its tests are listed by HOSTILE_TESTS in that file's table.
 *
 * Every case states one expectation for stt_xdp_rx and one for stt_tc_rx (h_expect):
 *  - H_PASS:    not STT for the parser: both programs leave the packet untouched (XDP counts
 *               it as pass; TC returns TC_ACT_UNSPEC, tcx's "next"). Where a packet to the STT port ends up here, the kernel's stack
 *               gets it; the namespace test tests/netns/test_hostile.sh shows that no tenant
 *               does.
 *  - H_DROP:    dropped by both, counted once under the reason given, nothing else moves.
 *  - H_SEGMENT: a piece of a larger frame: XDP passes it on (counted as a segment), TC hands
 *               it to sttd; no sttd listens in the unit tests, so TC drops it as multi_segment.
 *  - H_DELIVER: a whole frame for a bound context: both deliver exactly the expected inner
 *               frame (XDP only when nothing forces it to leave the frame to TC).
 */
#ifndef STT_TEST_HOSTILE_H
#define STT_TEST_HOSTILE_H

enum h_expect { H_PASS, H_DROP, H_SEGMENT, H_DELIVER };

struct h_case {
	enum h_expect e;
	int reason;	      /* STT_DROP_* for H_DROP */
	bool xdp_to_tc;	      /* H_DELIVER: XDP must leave it to TC (csum partial, V=1) */
	bool keep_ctx;	      /* leave stt_contexts as it is (else CTX gets STT_VPORT_XDP) */
	bool xdp_only;	      /* TC's test run refuses an IPv4 frame without a whole IP header */
	const struct pkt *inner; /* H_DELIVER: the frame the tenant must get */
};

/*
 * h_tc_only: stt_cfg without STT_CFG_XDP, as sttctl attaches on a veth: only TC runs (XDP is
 * not run), and TC counts what XDP would have: pass for what is not STT, one segment for
 * every STT packet (dropped ones included).
 */
static bool h_tc_only;

/* Runs seg through XDP (context flagged STT_VPORT_XDP) and TC; what: assertion prefix. */
static bool h_check(const struct pkt *seg, const struct h_case *c, const char *what)
{
	struct counters before;
	struct run r;
	bool ok = true;

	if (!c->keep_ctx && !ASSERT_OK(set_ctx_flags(STT_VPORT_XDP), "context flags"))
		return false;

	if (h_tc_only)
		goto tc;
	/* XDP */
	if (!read_counters(&before) || !run_prog(fd_xdp_rx, seg, 0, &r))
		return false;
	switch (c->e) {
	case H_PASS:
		ok &= ASSERT_EQ(r.retval, XDP_PASS, nm(what, "XDP verdict (not STT: pass)"));
		ok &= ASSERT_MEM_EQ(r.out, r.len, seg->d, seg->len, nm(what, "XDP: unchanged"));
		ok &= CHECK_DELTAS(&before, {STT_C_PASS, 1});
		break;
	case H_DROP:
		ok &= ASSERT_EQ(r.retval, XDP_DROP, nm(what, "XDP verdict (drop)"));
		if (c->reason == STT_DROP_UNKNOWN_CTX)
			ok &= CHECK_DELTAS(&before, {STT_C_DROP_BASE + c->reason, 1},
					   {STT_C_RX_SEGMENTS, 1});
		else
			ok &= CHECK_DELTAS(&before, {STT_C_DROP_BASE + c->reason, 1});
		break;
	case H_SEGMENT:
		ok &= ASSERT_EQ(r.retval, XDP_PASS, nm(what, "XDP verdict (segment: to TC)"));
		ok &= ASSERT_MEM_EQ(r.out, r.len, seg->d, seg->len, nm(what, "XDP: unchanged"));
		ok &= CHECK_DELTAS(&before, {STT_C_RX_SEGMENTS, 1});
		break;
	case H_DELIVER:
		if (c->xdp_to_tc) {
			ok &= ASSERT_EQ(r.retval, XDP_PASS, nm(what, "XDP verdict (left to TC)"));
			ok &= ASSERT_MEM_EQ(r.out, r.len, seg->d, seg->len,
					    nm(what, "XDP: unchanged"));
			ok &= CHECK_DELTAS(&before, {STT_C_RX_SEGMENTS, 1});
		} else {
			ok &= ASSERT_EQ(r.retval, XDP_REDIRECT, nm(what, "XDP verdict (deliver)"));
			ok &= ASSERT_MEM_EQ(r.out, r.len, c->inner->d, c->inner->len,
					    nm(what, "XDP: the inner frame"));
			ok &= CHECK_DELTAS(&before, {STT_C_RX_SEGMENTS, 1}, {STT_C_RX_FRAMES, 1},
					   {STT_C_RX_XDP_FRAMES, 1},
					   {STT_C_RX_BYTES, c->inner->len});
		}
		break;
	}

tc:
	/* TC (the baseline stt_cfg says XDP is attached: TC counts no segments or passes) */
	if (c->xdp_only)
		return ok;
	if (!read_counters(&before) || !run_prog(fd_tc_rx, seg, 0, &r))
		return false;
	/* Without XDP, TC counts what XDP would have (see h_tc_only). */
	const struct cdelta xc = {h_tc_only ? (c->e == H_PASS ? STT_C_PASS : STT_C_RX_SEGMENTS) : 0,
				  h_tc_only ? 1 : 0};
	switch (c->e) {
	case H_PASS:
		/* TC_ACT_UNSPEC (TCX_NEXT): left to the next program and the stack */
		ok &= ASSERT_EQ(r.retval, (__u32)TC_ACT_UNSPEC, nm(what, "TC verdict (not STT: next)"));
		ok &= ASSERT_MEM_EQ(r.out, r.len, seg->d, seg->len, nm(what, "TC: unchanged"));
		ok &= CHECK_DELTAS(&before, xc);
		break;
	case H_DROP:
		ok &= ASSERT_EQ(r.retval, TC_ACT_SHOT, nm(what, "TC verdict (drop)"));
		ok &= CHECK_DELTAS(&before, {STT_C_DROP_BASE + c->reason, 1}, xc);
		break;
	case H_SEGMENT:
		ok &= ASSERT_EQ(r.retval, TC_ACT_SHOT, nm(what, "TC verdict (piece, no sttd)"));
		ok &= CHECK_DELTAS(&before, {DROP(MULTI_SEG), 1}, xc);
		break;
	case H_DELIVER:
		ok &= ASSERT_EQ(r.retval, TC_ACT_REDIRECT, nm(what, "TC verdict (deliver)"));
		ok &= ASSERT_MEM_EQ(r.out, r.len, c->inner->d, c->inner->len,
				    nm(what, "TC: the inner frame"));
		ok &= CHECK_DELTAS(&before, {STT_C_RX_FRAMES, 1}, {STT_C_RX_BYTES, c->inner->len},
				   xc);
		break;
	}
	return ok;
}

static struct t_stt *h_stt(struct pkt *p)
{
	return (struct t_stt *)(p->d + STT_OFF);
}

/* The valid segment every malformation starts from: inner IPv4/TCP, 64 bytes of payload. */
static void h_segment(struct pkt *inner, struct pkt *seg)
{
	build_inner(inner, IN_TCP, vm_a, 64, 40000);
	build_segment(seg, inner, STT_F_IPV4 | STT_F_TCP);
}

/* ------------------------------------------------------------------------------------------ */
/* Isolation: a frame reaches only the vport of its own Context ID                           */

static const __u64 h_bound[] = {0, 1ULL << 63, ~0ULL, CTX};
#define H_NBOUND (sizeof(h_bound) / sizeof(h_bound[0]))

static bool h_is_bound(__u64 c, const __u64 *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == c)
			return true;
	return false;
}

/* Every ID one bit away from a bound one, and IDs a careless lookup could confuse. */
static size_t h_candidates(__u64 *out, size_t max)
{
	const __u64 special[] = {
	    0, ~0ULL, 1ULL << 63, (1ULL << 63) | 1, (1ULL << 63) - 1, 1, CTX_UNKNOWN,
	    __builtin_bswap64(CTX),	      /* byte order confused */
	    CTX & 0xffffffffULL,		      /* truncated to 32 bits */
	    CTX >> 32, CTX << 32, CTX | (1ULL << 63), 0xffffffffULL, 0x100000000ULL,
	};
	size_t n = 0;

	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]) && n < max; i++)
		if (!h_is_bound(special[i], out, n))
			out[n++] = special[i];
	for (size_t b = 0; b < H_NBOUND; b++)
		for (int bit = 0; bit < 64 && n < max; bit++) {
			__u64 c = h_bound[b] ^ (1ULL << bit);

			if (!h_is_bound(c, out, n))
				out[n++] = c;
		}
	return n;
}

static int h_bind(__u64 c, bool on)
{
	struct stt_ctx_val cv = {.ifindex = LO_IFINDEX, .flags = STT_VPORT_XDP};

	if (on)
		return bpf_map_update_elem(fd_contexts, &c, &cv, BPF_ANY);
	return bpf_map_delete_elem(fd_contexts, &c) && errno != ENOENT ? -errno : 0;
}

/* The frame for context c carries c in its payload, so that a delivered frame shows whose it is. */
static void h_ctx_frame(__u64 c, struct pkt *inner, struct pkt *seg)
{
	__u64 be = htobe64(c);

	inner->len = 0;
	put_eth(inner, vm_a, vm_b, 0x88b5);
	pkt_append(inner, &be, sizeof(be));
	fill_payload(pkt_put(inner, 40), 40, (uint8_t)c);
	build_segment(seg, inner, 0);
	h_stt(seg)->context = htobe64(c);
	stt_refresh_csums(seg);
}

/* One run of one context against the bound set: deliver iff bound, else unknown_context. */
static bool h_iso_one(__u64 c, const __u64 *bound, size_t nb)
{
	struct pkt inner = {}, seg = {};
	struct h_case hc = {.inner = &inner, .keep_ctx = true};
	char what[80];
	bool ok;

	h_ctx_frame(c, &inner, &seg);
	if (h_is_bound(c, bound, nb)) {
		hc.e = H_DELIVER;
	} else {
		hc.e = H_DROP;
		hc.reason = STT_DROP_UNKNOWN_CTX;
	}
	snprintf(what, sizeof(what), "context %#llx (%s)", (unsigned long long)c,
		 hc.e == H_DELIVER ? "bound" : "not bound");
	ok = h_check(&seg, &hc, what);
	return ok;
}

static void test_h_isolation(const void *arg)
{
	__u64 cand[512];
	size_t n = h_candidates(cand, 512), delivered = 0, dropped = 0;
	struct counters before, after;

	/* 1: all four bound at once; every other ID is dropped as unknown_context. */
	for (size_t b = 0; b < H_NBOUND; b++)
		if (!ASSERT_OK(h_bind(h_bound[b], true), "bind"))
			goto out;
	if (!read_counters(&before))
		goto out;
	for (size_t b = 0; b < H_NBOUND; b++)
		if (!h_iso_one(h_bound[b], h_bound, H_NBOUND))
			goto out;
		else
			delivered++;
	for (size_t i = 0; i < n; i++) {
		if (h_is_bound(cand[i], h_bound, H_NBOUND))
			continue;
		if (!h_iso_one(cand[i], h_bound, H_NBOUND))
			goto out;
		dropped++;
	}
	if (!read_counters(&after))
		goto out;
	ASSERT_EQ(after.c[DROP(UNKNOWN_CTX)] - before.c[DROP(UNKNOWN_CTX)], 2 * dropped,
		  "unknown_context: one per unbound ID and program");
	ASSERT_EQ(after.c[STT_C_RX_FRAMES] - before.c[STT_C_RX_FRAMES], 2 * delivered,
		  "rx_frames: only the bound IDs");
	ASSERT_TRUE(dropped >= 4 * 64 - 4, "at least every single-bit flip was tried");
	test_note("%zu bound IDs delivered, %zu unbound IDs dropped", delivered, dropped);

	/*
	 * 2: each bound ID alone. A frame is delivered only by the entry of exactly its own ID:
	 * with one entry in the map, the frame of every other bound ID and of every one-bit
	 * neighbour of this one is dropped. (The unit tests cannot see which ifindex a redirect
	 * chose; this exactness is what makes a delivery to another vport impossible, and the
	 * namespace test shows it with real vports.)
	 */
	for (size_t b = 0; b < H_NBOUND; b++)
		h_bind(h_bound[b], false);
	for (size_t b = 0; b < H_NBOUND; b++) {
		__u64 one = h_bound[b];

		if (!ASSERT_OK(h_bind(one, true), "bind one"))
			goto out;
		for (size_t o = 0; o < H_NBOUND; o++)
			if (!h_iso_one(h_bound[o], &one, 1))
				goto out;
		for (int bit = 0; bit < 64; bit++)
			if (!h_iso_one(one ^ (1ULL << bit), &one, 1))
				goto out;
		h_bind(one, false);
	}
out:
	for (size_t b = 0; b < H_NBOUND; b++)
		h_bind(h_bound[b], false);
	/* reset_maps() puts CTX back for the next test. */
}

/* ------------------------------------------------------------------------------------------ */
/* Transmit: a tenant cannot pick the remote nor the Context ID                              */

#define CTX_OTHER 0x00000000000000c8ULL /* context 200: another tenant of this host */

static void test_h_tx_forged(const void *arg)
{
	struct stt_fdb_key fk = {.context = CTX_OTHER};
	struct stt_fdb_val fv = {.remote4 = remote4b};
	struct stt_flood_val fl = {.count = 1, .remote4 = {remote4b}};
	__u64 other = CTX_OTHER;
	uint64_t seed = 0x5354485354ULL;
	int sent = 0;

	/* Context 200 names remote4b for vm_unknown and floods to it: context CTX must not. */
	memcpy(fk.mac, vm_unknown, 6);
	if (!ASSERT_OK(bpf_map_update_elem(fd_fdb, &fk, &fv, BPF_ANY), "fdb of context 200") ||
	    !ASSERT_OK(bpf_map_update_elem(fd_flood, &other, &fl, BPF_ANY), "flood of context 200"))
		goto out;

	for (int i = 0; i < 200; i++) {
		struct pkt in = {};
		uint8_t dmac[6], smac[6];
		struct run r;
		struct t_stt *stt;
		struct t_ip4 *ip;
		struct flow f;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		for (int k = 0; k < 6; k++) {
			dmac[k] = (uint8_t)(seed >> (8 * k));
			smac[k] = (uint8_t)(seed >> (8 * k + 16));
		}
		switch (i % 8) {
		case 0:
			memcpy(dmac, vm_unknown, 6); /* another context's FDB entry */
			break;
		case 1:
			memcpy(dmac, bcast, 6);
			break;
		case 2:
			dmac[0] |= 1; /* multicast */
			break;
		case 3:
			memcpy(smac, vm_b, 6); /* forged source: a remote tenant's MAC */
			break;
		default:
			dmac[0] &= ~1; /* unknown unicast */
			break;
		}
		inner_flow(&f, dmac, 40000 + i);
		f.smac = smac;
		if (i % 4 == 3) {
			/* An inner packet that looks like STT of another context, to port 7471. */
			struct outer o = {
			    .dmac = dmac, .smac = smac, .saddr = remote4, .daddr = remote4b,
			    .frag = T_IP_DF, .sport = 50000, .dport = STT_PORT,
			    .seq = STT_SEQ(18 + 60, 0), .ack = 1, .context = CTX_OTHER,
			};
			struct pkt x = {};

			fill_payload(pkt_put(&x, 60), 60, 0x99);
			build_stt(&in, &o, &x);
		} else if (i % 2) {
			build_udp(&in, &f, 30 + i % 50, true);
		} else {
			build_tcp(&in, &f, 10 + i % 70);
		}
		if (!run_tx(&in, &r))
			goto out;
		if (!ASSERT_EQ(r.len, in.len + INNER_OFF, "encapsulated") ||
		    !ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "verdict"))
			goto out;
		ip = (struct t_ip4 *)(r.out + IP_OFF);
		stt = (struct t_stt *)(r.out + STT_OFF);
		if (!ASSERT_EQ(be64toh(stt->context), CTX, "context is the vport's") ||
		    !ASSERT_EQ(ntohl(ip->daddr), ntohl(remote4),
			       "remote: the FDB entry or the flood target of the vport's context") ||
		    !ASSERT_EQ(ntohl(ip->saddr), ntohl(local4), "source: this endpoint"))
			goto out;
		sent++;
	}
	ASSERT_EQ(sent, 200, "frames checked");
out:
	bpf_map_delete_elem(fd_fdb, &fk);
	bpf_map_delete_elem(fd_flood, &other);
}

/* ------------------------------------------------------------------------------------------ */
/* Malformed STT: each case by its exact input                                              */

static void h_tcp_doff(struct pkt *p, int doff)
{
	/* doff > 5: the options are really there (NOPs), the lengths agree */
	if (doff > 5) {
		pkt_insert(p, TCP_OFF + 20, (doff - 5) * 4, 0x01);
		ip_of(p)->tot_len = htons(ntohs(ip_of(p)->tot_len) + (doff - 5) * 4);
	}
	tcp_of(p)->doff = doff << 4;
	stt_refresh_csums(p);
}

static void h_ihl(struct pkt *p, int ihl)
{
	if (ihl < 5) {
		ip_of(p)->ver_ihl = 0x40 | ihl;
		ip4_set_csum(ip_of(p));
		return;
	}
	if (ihl > 5) {
		pkt_insert(p, IP_OFF + 20, (ihl - 5) * 4, 0x01);
		ip_of(p)->tot_len = htons(ntohs(ip_of(p)->tot_len) + (ihl - 5) * 4);
	}
	ip_of(p)->ver_ihl = 0x40 | ihl;
	stt_refresh_csums(p);
}

/* A segment with an inner frame of n bytes (0 .. 13: shorter than an Ethernet header). */
static void h_inner_n(struct pkt *inner, struct pkt *seg, size_t n)
{
	inner->len = 0;
	fill_payload(pkt_put(inner, n), n, 0x55);
	build_segment(seg, inner, 0);
}

enum h_mal {
	HM_DOFF_0, HM_DOFF_4, HM_DOFF_15,
	HM_VERSION_2, HM_VERSION_255,
	HM_FRAME_LEN_0, HM_FRAME_LEN_14, HM_FRAME_LEN_17,
	HM_INNER_0, HM_INNER_13,
	HM_OFF_EQ_LEN, HM_OFF_BEYOND, HM_OVERRUN_1, HM_OVERRUN_SEG,
	HM_PAYLOAD_0,
	HM_IHL_15, HM_IHL_4,
	HM_FRAG_OFF, HM_FRAG_OFF_MF, HM_FRAG_MF_DF,
	HM_L4OFF_OUTSIDE, HM_L4OFF_255, HM_PARTIAL_OFF_0, HM_PARTIAL_OFF_ODD,
	HM_PARTIAL_OK, HM_PARTIAL_MSS_OK, HM_PARTIAL_AS_IPV6, HM_PARTIAL_AS_UDP,
	HM_PARTIAL_VERIFIED, HM_L4OFF_NOT_PARTIAL, HM_MSS_NOT_PARTIAL, HM_MSS_TINY,
	HM_VLAN_BITS_V0, HM_VLAN_V1, HM_RESERVED_BITS, HM_RESERVED_BYTE,
	HM_OUTER_IPV6, HM_OUTER_IPV6_FRAG_HDR,
	HM_MAX
};

/* Every case by its own number: the argument of test_h_malformed. */
static const enum h_mal h_mal_args[HM_MAX] = {
    HM_DOFF_0, HM_DOFF_4, HM_DOFF_15, HM_VERSION_2, HM_VERSION_255, HM_FRAME_LEN_0,
    HM_FRAME_LEN_14, HM_FRAME_LEN_17, HM_INNER_0, HM_INNER_13, HM_OFF_EQ_LEN, HM_OFF_BEYOND,
    HM_OVERRUN_1, HM_OVERRUN_SEG, HM_PAYLOAD_0, HM_IHL_15, HM_IHL_4, HM_FRAG_OFF,
    HM_FRAG_OFF_MF, HM_FRAG_MF_DF, HM_L4OFF_OUTSIDE, HM_L4OFF_255, HM_PARTIAL_OFF_0,
    HM_PARTIAL_OFF_ODD, HM_PARTIAL_OK, HM_PARTIAL_MSS_OK, HM_PARTIAL_AS_IPV6,
    HM_PARTIAL_AS_UDP, HM_PARTIAL_VERIFIED, HM_L4OFF_NOT_PARTIAL, HM_MSS_NOT_PARTIAL,
    HM_MSS_TINY, HM_VLAN_BITS_V0, HM_VLAN_V1, HM_RESERVED_BITS, HM_RESERVED_BYTE,
    HM_OUTER_IPV6, HM_OUTER_IPV6_FRAG_HDR,
};

/* IPv6 + TCP to the STT port carrying an STT frame: the datapath is IPv4-only. */
static void h_outer_ipv6(struct pkt *p, const struct pkt *inner, bool frag_hdr)
{
	size_t l4 = sizeof(struct t_tcp) + sizeof(struct t_stt) + inner->len;
	uint8_t *ip6;
	struct t_tcp *tcp;
	struct t_stt *stt;
	uint64_t sum = 0;

	p->len = 0;
	put_eth(p, ul_local, ul_remote, 0x86dd);
	ip6 = pkt_put(p, 40);
	ip6[0] = 0x60;
	ip6[4] = (uint8_t)((l4 + (frag_hdr ? 8 : 0)) >> 8);
	ip6[5] = (uint8_t)(l4 + (frag_hdr ? 8 : 0));
	ip6[6] = frag_hdr ? 44 : 6;
	ip6[7] = 64;
	/* 2001:db8::2 -> 2001:db8::1 */
	ip6[8] = 0x20, ip6[9] = 0x01, ip6[10] = 0x0d, ip6[11] = 0xb8, ip6[23] = 2;
	ip6[24] = 0x20, ip6[25] = 0x01, ip6[26] = 0x0d, ip6[27] = 0xb8, ip6[39] = 1;
	if (frag_hdr) {
		uint8_t *fh = pkt_put(p, 8);

		fh[0] = 6; /* next header TCP, offset 0, M=0: an atomic fragment */
		fh[7] = 1;
	}
	tcp = pkt_put(p, sizeof(*tcp));
	tcp->sport = htons(51234);
	tcp->dport = htons(STT_PORT);
	tcp->seq = htonl(STT_SEQ(18 + inner->len, 0));
	tcp->ack = htonl(7);
	tcp->doff = 5 << 4;
	tcp->flags = T_TCP_ACK | T_TCP_PSH;
	stt = pkt_put(p, sizeof(*stt));
	stt->context = htobe64(CTX);
	pkt_append(p, inner->d, inner->len);
	/* TCP checksum over the IPv6 pseudo header */
	sum = sum16(ip6 + 8, 32, 0) + 6 + l4;
	sum = sum16(tcp, l4, sum);
	tcp->csum = htons(~fold16(sum) & 0xffff);
}

static void test_h_malformed(const void *arg)
{
	enum h_mal m = *(const enum h_mal *)arg;
	struct pkt inner = {}, seg = {}, small = {};
	struct h_case c = {.e = H_DROP, .inner = &inner};
	size_t plen;

	h_segment(&inner, &seg);
	plen = seg.len - STT_OFF; /* STT payload of the whole frame */
	switch (m) {
	case HM_DOFF_0:
		h_tcp_doff(&seg, 0);
		c.reason = STT_DROP_TCP_HDR;
		break;
	case HM_DOFF_4:
		h_tcp_doff(&seg, 4);
		c.reason = STT_DROP_TCP_HDR;
		break;
	case HM_DOFF_15:
		h_tcp_doff(&seg, 15);
		c.reason = STT_DROP_TCP_HDR;
		break;
	case HM_VERSION_2:
	case HM_VERSION_255:
		h_stt(&seg)->version = m == HM_VERSION_2 ? 2 : 255;
		stt_refresh_csums(&seg);
		c.reason = STT_DROP_VERSION;
		break;
	case HM_FRAME_LEN_0:
		set_seq(&seg, 0, 0);
		c.reason = STT_DROP_LENGTH;
		break;
	case HM_FRAME_LEN_14:
	case HM_FRAME_LEN_17: {
		size_t n = m == HM_FRAME_LEN_14 ? 14 : 17;

		/* The packet carries exactly n bytes of payload, and SEQ says n. */
		seg.len = STT_OFF + n;
		ip_of(&seg)->tot_len = htons(40 + n);
		set_seq(&seg, n, 0);
		c.reason = STT_DROP_LENGTH;
		break;
	}
	case HM_INNER_0:
	case HM_INNER_13:
		h_inner_n(&small, &seg, m == HM_INNER_0 ? 0 : 13);
		c.reason = STT_DROP_INNER_SHORT;
		break;
	case HM_OFF_EQ_LEN:
		set_seq(&seg, plen, plen);
		c.reason = STT_DROP_LENGTH;
		break;
	case HM_OFF_BEYOND:
		set_seq(&seg, plen, 65000);
		c.reason = STT_DROP_LENGTH;
		break;
	case HM_OVERRUN_1:
		set_seq(&seg, plen - 1, 0);
		c.reason = STT_DROP_LENGTH;
		break;
	case HM_OVERRUN_SEG:
		/* A later piece of a 1000-byte frame, at offset 1000 - plen + 1. */
		set_seq(&seg, 1000, 1000 - plen + 1);
		c.reason = STT_DROP_LENGTH;
		break;
	case HM_PAYLOAD_0:
		seg.len = STT_OFF;
		ip_of(&seg)->tot_len = htons(40);
		stt_refresh_csums(&seg);
		c.reason = STT_DROP_LENGTH;
		break;
	case HM_IHL_15:
		h_ihl(&seg, 15);
		c.reason = STT_DROP_IP_HDR;
		break;
	case HM_IHL_4:
		/* Not parsed (the stack drops a header shorter than 20 bytes). */
		h_ihl(&seg, 4);
		c.e = H_PASS;
		break;
	case HM_FRAG_OFF:
	case HM_FRAG_OFF_MF:
		/*
		 * A non-first fragment carries no ports: the parser cannot tell it is STT and
		 * leaves it to the stack, whose reassembly never completes (the first fragment,
		 * which has the ports, is dropped as ip_fragment).
		 */
		ip_of(&seg)->frag = htons(1 | (m == HM_FRAG_OFF_MF ? T_IP_MF : 0));
		stt_refresh_csums(&seg);
		c.e = H_PASS;
		break;
	case HM_FRAG_MF_DF:
		ip_of(&seg)->frag = htons(T_IP_MF | T_IP_DF);
		stt_refresh_csums(&seg);
		c.reason = STT_DROP_IP_FRAGMENT;
		break;
	case HM_L4OFF_OUTSIDE:
	case HM_L4OFF_255:
	case HM_PARTIAL_OFF_0:
	case HM_PARTIAL_OFF_ODD:
		/* The inner frame is IPv4 + TCP: a partial checksum's L4 offset must be 34. */
		h_stt(&seg)->flags |= STT_F_CSUM_PARTIAL;
		h_stt(&seg)->l4_offset = m == HM_L4OFF_OUTSIDE ? 200 :
					 m == HM_L4OFF_255     ? 255 :
					 m == HM_PARTIAL_OFF_0 ? 0 :
								 35;
		stt_refresh_csums(&seg);
		c.reason = STT_DROP_L4_OFFSET;
		break;
	case HM_PARTIAL_OK:
	case HM_PARTIAL_MSS_OK:
		/* Right: delivered, by TC (XDP would lose the skb's checksum state). */
		h_stt(&seg)->flags |= STT_F_CSUM_PARTIAL;
		h_stt(&seg)->l4_offset = 34;
		h_stt(&seg)->mss = htons(m == HM_PARTIAL_MSS_OK ? STT_MIN_MSS : 0);
		stt_refresh_csums(&seg);
		c.e = H_DELIVER;
		c.xdp_to_tc = true;
		break;
	case HM_PARTIAL_AS_IPV6:
	case HM_PARTIAL_AS_UDP:
		/* The flags say IPv6 (or UDP) of an IPv4 TCP frame: the offset means nothing. */
		h_stt(&seg)->flags = STT_F_CSUM_PARTIAL |
				     (m == HM_PARTIAL_AS_IPV6 ? STT_F_TCP : STT_F_IPV4);
		h_stt(&seg)->l4_offset = m == HM_PARTIAL_AS_IPV6 ? 54 : 34;
		stt_refresh_csums(&seg);
		c.reason = STT_DROP_L4_OFFSET;
		break;
	case HM_PARTIAL_VERIFIED:
		h_stt(&seg)->flags |= STT_F_CSUM_PARTIAL | STT_F_CSUM_VERIFIED;
		h_stt(&seg)->l4_offset = 34;
		stt_refresh_csums(&seg);
		c.reason = STT_DROP_FLAGS;
		break;
	case HM_L4OFF_NOT_PARTIAL:
		h_stt(&seg)->l4_offset = 34;
		stt_refresh_csums(&seg);
		c.reason = STT_DROP_L4_OFFSET;
		break;
	case HM_MSS_NOT_PARTIAL:
	case HM_MSS_TINY:
		if (m == HM_MSS_TINY) {
			h_stt(&seg)->flags |= STT_F_CSUM_PARTIAL;
			h_stt(&seg)->l4_offset = 34;
		}
		h_stt(&seg)->mss = htons(m == HM_MSS_TINY ? STT_MIN_MSS - 1 : 1448);
		stt_refresh_csums(&seg);
		c.reason = STT_DROP_MSS;
		break;
	case HM_VLAN_BITS_V0:
		/* V=0: the VLAN ID and PCP are not valid and must be ignored: delivered untagged. */
		h_stt(&seg)->vlan = htons(0xefff & ~STT_VLAN_V);
		stt_refresh_csums(&seg);
		c.e = H_DELIVER;
		break;
	case HM_VLAN_V1:
		/* V=1: TC restores the tag (skb metadata, not in the bytes a test run returns). */
		h_stt(&seg)->vlan = htons(0xffff);
		stt_refresh_csums(&seg);
		c.e = H_DELIVER;
		c.xdp_to_tc = true;
		break;
	case HM_RESERVED_BITS:
		/* Set by no sender: refused (include/stt_check.h says why). */
		h_stt(&seg)->flags |= 0x80;
		stt_refresh_csums(&seg);
		c.reason = STT_DROP_FLAGS;
		break;
	case HM_RESERVED_BYTE:
		/* The reserved byte and the padding: ignored on receive (draft 3.1). */
		h_stt(&seg)->reserved = 0xff;
		h_stt(&seg)->pad = 0xffff;
		stt_refresh_csums(&seg);
		c.e = H_DELIVER;
		break;
	case HM_OUTER_IPV6:
	case HM_OUTER_IPV6_FRAG_HDR:
		/*
		 * IPv4-only underlay: STT over IPv6 is dropped and counted, never left to the
		 * host's TCP (which would answer with a RST); so is a first fragment of it.
		 */
		h_outer_ipv6(&seg, &inner, m == HM_OUTER_IPV6_FRAG_HDR);
		c.e = H_DROP;
		c.reason = STT_DROP_IPV6_OUTER;
		break;
	case HM_MAX:
		break;
	}
	h_check(&seg, &c, "case");
}

/*
 * A segment cut at every length from 14 bytes (an Ethernet header: less is refused by
 * BPF_PROG_TEST_RUN; for TC, which refuses an IPv4 skb without a whole IP header, from 34)
 * to one byte short of whole, in three ways:
 *  kept:  the IP total length still says the whole segment;
 *  fixed: the IP total length (and checksum) says what is there, SEQ still the whole frame;
 *  both:  SEQ's frame length made to match too (a whole, shorter frame).
 * Every length gets its one expected outcome, from the boundaries of the headers.
 */
static void test_h_truncate_all(const void *arg)
{
	struct pkt inner = {}, full = {};
	size_t n_pass = 0, n_drop = 0, n_seg = 0, n_deliver = 0;

	h_segment(&inner, &full);
	for (int mode = 0; mode < 3; mode++) {
		for (size_t len = ETH_LEN; len < full.len; len++) {
			static const char *const mname[] = {"IP length kept", "IP length fixed",
							    "IP and SEQ lengths fixed"};
			struct pkt seg = full, cut_inner = {};
			struct h_case c = {.e = H_DROP, .inner = &cut_inner};
			char what[96];

			seg.len = len;
			if (mode >= 1 && len >= IP_OFF + 20) {
				ip_of(&seg)->tot_len = htons(len - ETH_LEN);
				ip4_set_csum(ip_of(&seg));
			}
			if (mode == 2 && len > STT_OFF)
				tcp_of(&seg)->seq = htonl(STT_SEQ(len - STT_OFF, 0));
			if (mode >= 1)
				stt_refresh_csums(&seg);

			/* BPF_PROG_TEST_RUN refuses an skb with EtherType IPv4 and < 34 bytes */
			c.xdp_only = len < IP_OFF + 20;
			if (len < TCP_OFF + 4) {
				c.e = H_PASS; /* no destination port yet: not STT */
			} else if (mode == 0 || len < STT_OFF) {
				c.reason = STT_DROP_TRUNCATED;
			} else if (len == STT_OFF) {
				c.reason = STT_DROP_LENGTH; /* no payload */
			} else if (mode == 1) {
				c.e = H_SEGMENT; /* SEQ says more is to come */
			} else if (len < INNER_OFF) {
				c.reason = STT_DROP_LENGTH; /* frame length < 18 */
			} else if (len < INNER_OFF + ETH_LEN) {
				c.reason = STT_DROP_INNER_SHORT;
			} else {
				/* a whole frame whose inner frame is shorter: its first bytes */
				c.e = H_DELIVER;
				pkt_append(&cut_inner, inner.d, len - INNER_OFF);
			}
			snprintf(what, sizeof(what), "%s, %zu of %zu bytes", mname[mode], len,
				 full.len);
			if (!h_check(&seg, &c, what))
				return; /* the first failing length says enough */
			n_pass += c.e == H_PASS;
			n_drop += c.e == H_DROP;
			n_seg += c.e == H_SEGMENT;
			n_deliver += c.e == H_DELIVER;
		}
	}
	test_note("%zu left to the stack, %zu dropped, %zu pieces, %zu delivered", n_pass, n_drop,
		  n_seg, n_deliver);
}


/*
 * The same inputs with stt_cfg as sttctl attaches on a veth (no XDP): TC alone classifies,
 * drops and counts. Every malformed case, then every truncation.
 */
static void test_h_tc_only(const void *arg)
{
	struct stt_cfg cfg;
	__u32 zero = 0;

	if (!ASSERT_OK(bpf_map_lookup_elem(fd_cfg, &zero, &cfg), "cfg") )
		return;
	cfg.flags &= ~STT_CFG_XDP;
	if (!ASSERT_OK(bpf_map_update_elem(fd_cfg, &zero, &cfg, BPF_ANY), "cfg without XDP"))
		return;
	h_tc_only = true;
	for (int m = 0; m < HM_MAX && !T.failed; m++)
		test_h_malformed(&h_mal_args[m]);
	if (!T.failed)
		test_h_truncate_all(NULL);
	h_tc_only = false;
	/* reset_maps() restores stt_cfg for the next test */
}

/* ------------------------------------------------------------------------------------------ */
/* Entropy: the source port of 10,000 synthetic flows                                        */

static uint64_t h_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

#define H_FLOWS 10000
#define H_BUCKETS 64
#define H_CHI2_CRIT_63 92.01 /* chi-square, 63 degrees of freedom, 1% level */

/* Flow i (deterministic from the seed): TCP, UDP, or a non-IP frame. */
static void h_flow_frame(uint64_t seed, int i, int variant, struct pkt *p, int *kind)
{
	uint64_t s = seed + (uint64_t)i * 0x1000193ULL, a = h_rand(&s), b = h_rand(&s);
	static uint8_t dmac[6], smac[6];
	struct flow f;

	*kind = i % 5 < 2 ? 0 : i % 5 < 4 ? 1 : 2;
	if (*kind == 2) {
		for (int k = 0; k < 6; k++) {
			dmac[k] = (uint8_t)(a >> (8 * k));
			smac[k] = (uint8_t)(b >> (8 * k));
		}
		dmac[0] &= ~1; /* unicast: unknown, flooded */
		smac[0] &= ~1;
		p->len = 0;
		put_eth(p, dmac, smac, 0x88b5);
		fill_payload(pkt_put(p, 46 + variant * 10), 46 + variant * 10, (uint8_t)i);
		return;
	}
	inner_flow(&f, vm_b, (uint16_t)(a >> 32));
	f.saddr = (uint32_t)a;
	f.daddr = (uint32_t)b;
	f.dport = (uint16_t)(b >> 32);
	if (*kind == 0)
		build_tcp(p, &f, 20 + (i + variant * 13) % 40);
	else
		build_udp(p, &f, 20 + (i + variant * 13) % 40, true);
}

static bool h_sport_of(const struct pkt *in, uint16_t *sport)
{
	struct run r;

	if (!run_tx(in, &r) || !ASSERT_EQ(r.len, in->len + INNER_OFF, "encapsulated"))
		return false;
	*sport = ntohs(((const struct t_tcp *)(r.out + TCP_OFF))->sport);
	return true;
}

static double h_chi2(const unsigned *cnt, int nb, unsigned total)
{
	double e = (double)total / nb, x = 0;

	for (int i = 0; i < nb; i++)
		x += ((double)cnt[i] - e) * ((double)cnt[i] - e) / e;
	return x;
}

static void test_h_entropy(const void *arg)
{
	unsigned cnt[H_BUCKETS] = {0}, kind_cnt[3][16] = {{0}}, kind_n[3] = {0};
	const uint64_t seed = 0x7471;
	int unstable = 0, out_of_range = 0;
	double chi2, kchi2[3];

	for (int i = 0; i < H_FLOWS; i++) {
		struct pkt in = {};
		uint16_t p1, p2;
		int kind;

		h_flow_frame(seed, i, 0, &in, &kind);
		if (!h_sport_of(&in, &p1))
			return;
		/* The same flow again, with another payload length: the same port. */
		h_flow_frame(seed, i, 1, &in, &kind);
		if (!h_sport_of(&in, &p2))
			return;
		unstable += p1 != p2;
		out_of_range += p1 < 49152;
		cnt[(p1 - 49152) >> 8 & (H_BUCKETS - 1)]++;
		kind_cnt[kind][(p1 - 49152) >> 10 & 15]++;
		kind_n[kind]++;
	}
	chi2 = h_chi2(cnt, H_BUCKETS, H_FLOWS);
	for (int k = 0; k < 3; k++)
		kchi2[k] = h_chi2(kind_cnt[k], 16, kind_n[k]);
	printf("#   %d flows (%u TCP, %u UDP, %u non-IP): chi-square over %d buckets %.2f "
	       "(critical %.2f at 1%%, 63 dof); per kind over 16 buckets: %.1f %.1f %.1f "
	       "(critical 30.58)\n",
	       H_FLOWS, kind_n[0], kind_n[1], kind_n[2], H_BUCKETS, chi2, H_CHI2_CRIT_63,
	       kchi2[0], kchi2[1], kchi2[2]);
	ASSERT_EQ(out_of_range, 0, "source ports outside 49152..65535");
	ASSERT_EQ(unstable, 0, "flows whose second frame got another port");
	ASSERT_TRUE(chi2 < H_CHI2_CRIT_63, "uniform over 64 buckets at the 1% level");
	/* 15 dof at 1%: 30.58 */
	for (int k = 0; k < 3; k++)
		ASSERT_TRUE(kchi2[k] < 30.58, "each kind uniform over 16 buckets at the 1% level");
}

/*
 * Inner IPv6: the flow hash only knows IPv4, so every IPv6 flow between the same two MAC
 * addresses gets the same source port (no spreading by ECMP or RSS on the underlay). A
 * limitation rather than a wrong result: reported as TODO while it holds.
 */
static void test_h_entropy_ipv6(const void *arg)
{
	uint16_t first = 0;
	int distinct = 0;
	uint16_t seen[64];

	for (int i = 0; i < 64; i++) {
		struct pkt in = {};
		uint8_t *ip6;
		struct t_udp *udp;
		uint16_t p;

		put_eth(&in, vm_b, vm_a, 0x86dd);
		ip6 = pkt_put(&in, 40);
		ip6[0] = 0x60;
		ip6[5] = 8 + 16;
		ip6[6] = 17;
		ip6[7] = 64;
		ip6[8] = 0x20, ip6[9] = 0x01, ip6[10] = 0x0d, ip6[11] = 0xb8, ip6[23] = (uint8_t)i;
		ip6[24] = 0x20, ip6[25] = 0x01, ip6[26] = 0x0d, ip6[27] = 0xb8, ip6[39] = 0x99;
		udp = pkt_put(&in, sizeof(*udp));
		udp->sport = htons(30000 + i * 7);
		udp->dport = htons(53);
		udp->len = htons(8 + 16);
		fill_payload(pkt_put(&in, 16), 16, (uint8_t)i);
		if (!h_sport_of(&in, &p))
			return;
		if (!ASSERT_TRUE(p >= 49152, "source port in range"))
			return;
		if (i == 0)
			first = p;
		bool dup = false;
		for (int k = 0; k < distinct; k++)
			dup |= seen[k] == p;
		if (!dup)
			seen[distinct++] = p;
	}
	printf("#   64 inner IPv6/UDP flows (other addresses and ports, same MACs): %d distinct "
	       "source port(s), first %u\n",
	       distinct, first);
	if (distinct == 1)
		test_todo("inner IPv6 flows are hashed on MAC addresses only: one source port for "
			  "all 64 flows");
	else
		ASSERT_TRUE(distinct > 48, "IPv6 flows spread over source ports");
}

/* ------------------------------------------------------------------------------------------ */


/*
 * include/stt_check.h on its own (the rule every receive path applies): each field at and
 * next to its limits, IPv4 and IPv6 inside, TCP and UDP, against the reason it must give.
 */
static void test_h_hdr_check(const void *arg)
{
	static const struct {
		const char *what;
		bool v6, udp;
		__u8 flags, l4, ihl;
		__u16 mss;
		__u32 ilen;
		int want; /* -1: accepted, else STT_DROP_* */
	} t[] = {
		{"plain frame", 0, 0, 0, 0, 5, 0, 60, -1},
		{"IPv4/TCP hints without partial", 0, 0, STT_F_IPV4 | STT_F_TCP, 0, 5, 0, 60, -1},
		{"verified", 0, 0, STT_F_CSUM_VERIFIED, 0, 5, 0, 60, -1},
		{"reserved bit 4", 0, 0, 0x10, 0, 5, 0, 60, STT_DROP_FLAGS},
		{"verified + partial", 0, 0, 0x03 | STT_F_IPV4 | STT_F_TCP, 34, 5, 0, 60,
		 STT_DROP_FLAGS},
		{"L4 offset alone", 0, 0, 0, 34, 5, 0, 60, STT_DROP_L4_OFFSET},
		{"MSS alone", 0, 0, 0, 0, 5, 1448, 60, STT_DROP_MSS},
		{"v4 TCP partial", 0, 0, 0x02 | STT_F_IPV4 | STT_F_TCP, 34, 5, 1448, 60, -1},
		{"v4 TCP partial, IP options", 0, 0, 0x02 | STT_F_IPV4 | STT_F_TCP, 38, 6, 0, 60, -1},
		{"v4 TCP partial, offset skips the options", 0, 0, 0x02 | STT_F_IPV4 | STT_F_TCP, 34,
		 6, 0, 60, STT_DROP_L4_OFFSET},
		{"v4 TCP partial, TCP header ends at the frame's end", 0, 0,
		 0x02 | STT_F_IPV4 | STT_F_TCP, 34, 5, 0, 54, -1},
		{"v4 TCP partial, TCP header one byte past the end", 0, 0,
		 0x02 | STT_F_IPV4 | STT_F_TCP, 34, 5, 0, 53, STT_DROP_L4_OFFSET},
		{"v4 UDP partial", 0, 1, 0x02 | STT_F_IPV4, 34, 5, 0, 42, -1},
		{"v4 UDP partial, 7 bytes of UDP", 0, 1, 0x02 | STT_F_IPV4, 34, 5, 0, 41,
		 STT_DROP_L4_OFFSET},
		{"v4 UDP partial with an MSS", 0, 1, 0x02 | STT_F_IPV4, 34, 5, 1448, 60, STT_DROP_MSS},
		{"v4 UDP said TCP", 0, 1, 0x02 | STT_F_IPV4 | STT_F_TCP, 34, 5, 0, 60,
		 STT_DROP_L4_OFFSET},
		{"v4 said IPv6", 0, 0, 0x02 | STT_F_TCP, 54, 5, 0, 80, STT_DROP_L4_OFFSET},
		{"MSS 48", 0, 0, 0x02 | STT_F_IPV4 | STT_F_TCP, 34, 5, 48, 60, -1},
		{"MSS 47", 0, 0, 0x02 | STT_F_IPV4 | STT_F_TCP, 34, 5, 47, 60, STT_DROP_MSS},
		{"v6 TCP partial", 1, 0, 0x02 | STT_F_TCP, 54, 0, 1440, 74, -1},
		{"v6 TCP partial, 19 bytes of TCP", 1, 0, 0x02 | STT_F_TCP, 54, 0, 0, 73,
		 STT_DROP_L4_OFFSET},
		{"v6 UDP partial", 1, 1, 0x02, 54, 0, 0, 62, -1},
		{"v6 partial, offset 34", 1, 0, 0x02 | STT_F_TCP, 34, 0, 0, 74, STT_DROP_L4_OFFSET},
		{"v6 said IPv4", 1, 0, 0x02 | STT_F_IPV4 | STT_F_TCP, 54, 0, 0, 74,
		 STT_DROP_L4_OFFSET},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct stt_hdr h = {.version = 0, .flags = t[i].flags, .l4_offset = t[i].l4,
				    .mss = htons(t[i].mss)};
		__u8 in[STT_CHECK_INNER] = {0};
		enum stt_drop why = STT_DROP_MAX;
		int ok;

		in[12] = t[i].v6 ? 0x86 : 0x08;
		in[13] = t[i].v6 ? 0xdd : 0x00;
		in[14] = t[i].v6 ? 0x60 : 0x40 | t[i].ihl;
		in[t[i].v6 ? 20 : 23] = t[i].udp ? 17 : 6;
		ok = stt_hdr_ok(&h, in, t[i].ilen, &why);
		ASSERT_EQ(ok, t[i].want < 0, t[i].what);
		if (t[i].want >= 0)
			ASSERT_EQ(why, t[i].want, t[i].what);
	}
	/* Version: any but 0, before anything else. */
	for (int v = 1; v < 256; v++) {
		struct stt_hdr h = {.version = v};
		__u8 in[STT_CHECK_INNER] = {0};
		enum stt_drop why = STT_DROP_MAX;

		if (!ASSERT_EQ(stt_hdr_ok(&h, in, 60, &why), 0, "version") ||
		    !ASSERT_EQ(why, STT_DROP_VERSION, "version: bad_version"))
			break;
	}
}

#define HM(m, str) {"hostile rx: " str, test_h_malformed, &h_mal_args[m]}

/* The block of the tests[] table in test_datapath.c. */
#define HOSTILE_TESTS                                                                              \
	{"hostile isolation: only the exact Context ID delivers (0, 2^63, 2^64-1 bound; "        \
	 "every one-bit neighbour dropped)",                                                      \
	 test_h_isolation, NULL},                                                                 \
	{"hostile tx: forged MACs, another context's FDB, inner STT: vport's context and "       \
	 "remote only",                                                                           \
	 test_h_tx_forged, NULL},                                                                 \
	{"hostile rx: truncated at every length (3 ways)", test_h_truncate_all, NULL},           \
	{"hostile rx: the STT header check (stt_check.h) field by field", test_h_hdr_check, NULL}, \
	{"hostile rx, TC only (veth underlay): every malformed case and truncation, counted by TC", \
	 test_h_tc_only, NULL},                                                                   \
	HM(HM_DOFF_0, "TCP data offset 0: tcp_header"),	\
	HM(HM_DOFF_4, "TCP data offset 4: tcp_header"),	\
	HM(HM_DOFF_15, "TCP data offset 15 (40 bytes of options): tcp_header"),	\
	HM(HM_VERSION_2, "STT version 2: bad_version"),	\
	HM(HM_VERSION_255, "STT version 255: bad_version"),	\
	HM(HM_FRAME_LEN_0, "SEQ frame length 0: bad_length"),	\
	HM(HM_FRAME_LEN_14, "SEQ frame length 14, payload 14: bad_length"),	\
	HM(HM_FRAME_LEN_17, "SEQ frame length 17, payload 17: bad_length"),	\
	HM(HM_INNER_0, "frame length 18 (no inner frame): inner_short"),	\
	HM(HM_INNER_13, "inner frame of 13 bytes: inner_short"),	\
	HM(HM_OFF_EQ_LEN, "SEQ offset == frame length: bad_length"),	\
	HM(HM_OFF_BEYOND, "SEQ offset 65000 beyond the frame length: bad_length"),	\
	HM(HM_OVERRUN_1, "payload one byte longer than the SEQ frame length: bad_length"),	\
	HM(HM_OVERRUN_SEG, "later segment overruns the end of its frame by one byte: bad_length"),	\
	HM(HM_PAYLOAD_0, "no TCP payload (IP total length 40): bad_length"),	\
	HM(HM_IHL_15, "IP options, ihl 15: ip_header"),	\
	HM(HM_IHL_4, "IP ihl 4 (< 5): not STT, left to the stack"),	\
	HM(HM_FRAG_OFF, "IP fragment offset 8, last: not STT (no ports), left to the stack"),	\
	HM(HM_FRAG_OFF_MF, "IP fragment offset 8 with MF: not STT (no ports), left to the stack"),	\
	HM(HM_FRAG_MF_DF, "IP MF and DF both set: ip_fragment"),	\
	HM(HM_L4OFF_OUTSIDE, "checksum partial, L4 offset 200 past the inner frame: bad_l4_offset"),	\
	HM(HM_L4OFF_255, "checksum partial, L4 offset 255: bad_l4_offset"),	\
	HM(HM_PARTIAL_OFF_0, "checksum partial, L4 offset 0: bad_l4_offset"),	\
	HM(HM_PARTIAL_OFF_ODD, "checksum partial, L4 offset 35 (odd, in the IP header): bad_l4_offset"),	\
	HM(HM_PARTIAL_OK, "checksum partial, L4 offset 34 of an IPv4 TCP frame: delivered by TC"),	\
	HM(HM_PARTIAL_MSS_OK, "checksum partial with MSS 48 (TCP): delivered by TC"),	\
	HM(HM_PARTIAL_AS_IPV6, "checksum partial, flags say IPv6 of an IPv4 frame: bad_l4_offset"),	\
	HM(HM_PARTIAL_AS_UDP, "checksum partial, flags say UDP of a TCP frame: bad_l4_offset"),	\
	HM(HM_PARTIAL_VERIFIED, "checksum partial and verified together: bad_flags"),	\
	HM(HM_L4OFF_NOT_PARTIAL, "L4 offset without a partial checksum: bad_l4_offset"),	\
	HM(HM_MSS_NOT_PARTIAL, "MSS without a partial checksum: bad_mss"),	\
	HM(HM_MSS_TINY, "checksum partial with MSS 47: bad_mss"),	\
	HM(HM_VLAN_BITS_V0, "VLAN ID and PCP bits set with V=0: ignored, delivered (XDP too)"),	\
	HM(HM_VLAN_V1, "V=1: XDP leaves it to TC, TC delivers"),	\
	HM(HM_RESERVED_BITS, "reserved flag bit 7 set: bad_flags"),	\
	HM(HM_RESERVED_BYTE, "reserved byte and padding set: ignored, delivered"),	\
	HM(HM_OUTER_IPV6, "outer IPv6 to TCP port 7471: dropped (ipv6_outer), never to the stack"),	\
	HM(HM_OUTER_IPV6_FRAG_HDR, "outer IPv6 + fragment header to TCP 7471: dropped (ipv6_outer)"),	\
	{"hostile entropy: 10,000 flows, ports in range, stable, chi-square uniform",            \
	 test_h_entropy, NULL},                                                                   \
	{"hostile entropy: inner IPv6 flows get distinct source ports", test_h_entropy_ipv6,     \
	 NULL}

#endif /* STT_TEST_HOSTILE_H */

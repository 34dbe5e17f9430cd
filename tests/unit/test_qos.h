/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Unit tests of ECN and DSCP across the tunnel (RFC 6040, RFC 2983, draft-davie-stt 3.3.1),
 * strict peers, and the per-context / per-remote OAM counters. Included by test_datapath.c
 * (it uses that file's fixture); the expectations here are written out by hand, not
 * computed with include/stt_tos.h, so that a wrong table there fails.
 */

#include <time.h>

static int fd_peers(void)
{
	return bpf_map__fd(tc_skel->maps.stt_peers);
}

static bool set_cfg_qos(__u8 dscp, __u8 opts)
{
	struct stt_cfg cfg;
	__u32 zero = 0;

	if (!ASSERT_OK(bpf_map_lookup_elem(fd_cfg, &zero, &cfg), "cfg lookup"))
		return false;
	cfg.dscp = dscp;
	cfg.opts = opts;
	return ASSERT_OK(bpf_map_update_elem(fd_cfg, &zero, &cfg, BPF_ANY), "cfg update");
}

/* Set the TOS of an inner IPv4 frame (Ethernet first) and fix its header checksum. */
static void inner_set_tos(struct pkt *p, uint8_t tos)
{
	struct t_ip4 *ip = (struct t_ip4 *)(p->d + ETH_LEN);

	ip->tos = tos;
	ip4_set_csum(ip);
}

/* A minimal inner IPv6/UDP frame with traffic class tc. */
static void build_inner6(struct pkt *p, uint8_t tc, size_t payload)
{
	uint8_t *h;

	p->len = 0;
	put_eth(p, vm_b, vm_a, 0x86dd);
	h = pkt_put(p, 40);
	memset(h, 0, 40);
	h[0] = 0x60 | (tc >> 4);
	h[1] = (uint8_t)(tc << 4) | 0x01; /* flow label 0x1xxxx */
	h[4] = (uint8_t)((8 + payload) >> 8);
	h[5] = (uint8_t)(8 + payload);
	h[6] = 17;
	h[7] = 64;
	h[8] = 0x20, h[9] = 0x01, h[10] = 0x0d, h[11] = 0xb8, h[23] = 1; /* 2001:db8::1 */
	h[24] = 0x20, h[25] = 0x01, h[26] = 0x0d, h[27] = 0xb8, h[39] = 2;
	h = pkt_put(p, 8 + payload);
	memset(h, 0, 8 + payload);
	h[0] = 0x9c, h[1] = 0x40, h[2] = 0x00, h[3] = 0x35;
	h[4] = (uint8_t)((8 + payload) >> 8);
	h[5] = (uint8_t)(8 + payload);
	fill_payload(h + 8, payload, 0x33);
}

static uint8_t tc6_of(const uint8_t *ip6)
{
	return (uint8_t)(ip6[0] << 4) | (ip6[1] >> 4);
}

/* A single-segment frame carrying inner, with the outer TOS set (checksums refreshed). */
static void segment_with_tos(struct pkt *seg, const struct pkt *inner, uint8_t stt_flags,
			     uint8_t outer_tos)
{
	build_segment(seg, inner, stt_flags);
	ip_of(seg)->tos = outer_tos;
	stt_refresh_csums(seg);
}

/* Encapsulation: the outer TOS for a given inner TOS and DSCP model. */
struct tos_tx_arg {
	int kind; /* IN_UDP, IN_ARP, or -1 for IPv6 */
	uint8_t inner_tos, cfg_dscp, want;
};

static const struct tos_tx_arg tt_uniform = {IN_UDP, 0xb9, STT_DSCP_INHERIT, 0xb9};
static const struct tos_tx_arg tt_uniform_ce = {IN_UDP, 0x03, STT_DSCP_INHERIT, 0x03};
static const struct tos_tx_arg tt_pipe = {IN_UDP, 0xb9, STT_DSCP_FIXED(10), 0x29};
static const struct tos_tx_arg tt_pipe_arp = {IN_ARP, 0, STT_DSCP_FIXED(46), 0xb8};
static const struct tos_tx_arg tt_uniform_arp = {IN_ARP, 0, STT_DSCP_INHERIT, 0x00};
static const struct tos_tx_arg tt_ipv6 = {-1, 0xba, STT_DSCP_INHERIT, 0xba};

static void test_tos_encap(const void *arg)
{
	const struct tos_tx_arg *a = arg;
	struct pkt in = {};
	struct run r;

	if (a->kind < 0) {
		build_inner6(&in, a->inner_tos, 64);
	} else {
		build_inner(&in, a->kind, vm_b, 64, 40000);
		if (a->kind != IN_ARP)
			inner_set_tos(&in, a->inner_tos);
	}
	if (!set_cfg_qos(a->cfg_dscp, 0) || !run_tx(&in, &r))
		return;
	if (!ASSERT_TRUE(r.len >= INNER_OFF, "output holds the outer headers"))
		return;
	ASSERT_EQ(r.out[IP_OFF + 1], a->want, "outer TOS");
	ASSERT_TRUE(ip4_csum_ok((const struct t_ip4 *)(r.out + IP_OFF)), "outer IP checksum");
	ASSERT_MEM_EQ(r.out + INNER_OFF, r.len - INNER_OFF, in.d, in.len, "inner frame untouched");
}

/*
 * RFC 6040 section 4.2, with ECN field values Not-ECT 0, ECT(1) 1, ECT(0) 2, CE 3:
 * want[inner][outer], -1 = drop.
 */
static const int ecn_table[4][4] = {
    /* inner Not-ECT */ {0, 0, 0, -1},
    /* inner ECT(1)  */ {1, 1, 1, 3},
    /* inner ECT(0)  */ {2, 1, 2, 3},
    /* inner CE      */ {3, 3, 3, 3},
};

/* Every (inner, outer) ECN pair through stt_tc_rx, uniform model: DSCP 20 comes in. */
static void test_ecn_decap_tc(const void *arg)
{
	for (int i = 0; i < 4; i++) {
		for (int o = 0; o < 4; o++) {
			struct pkt inner = {}, seg = {};
			struct counters before;
			struct run r;
			char what[64];

			build_inner(&inner, IN_UDP, vm_a, 64, 40000);
			inner_set_tos(&inner, (10 << 2) | i);
			segment_with_tos(&seg, &inner, STT_F_IPV4, (20 << 2) | o);
			if (!read_counters(&before) || !run_prog(fd_tc_rx, &seg, 0, &r))
				return;
			snprintf(what, sizeof(what), "inner ECN %d, outer ECN %d: verdict", i, o);
			if (ecn_table[i][o] < 0) {
				ASSERT_EQ(r.retval, TC_ACT_SHOT, what);
				CHECK_DELTAS(&before, {DROP(ECN_CE_NOT_ECT), 1});
				continue;
			}
			if (!ASSERT_EQ(r.retval, TC_ACT_REDIRECT, what) ||
			    !ASSERT_EQ(r.len, inner.len, "output length"))
				continue;
			snprintf(what, sizeof(what), "inner ECN %d, outer ECN %d: inner TOS", i, o);
			ASSERT_EQ(r.out[ETH_LEN + 1], (20 << 2) | ecn_table[i][o], what);
			ASSERT_TRUE(ip4_csum_ok((const struct t_ip4 *)(r.out + ETH_LEN)),
				    "inner IPv4 header checksum after the rewrite");
			/* Nothing else of the frame changed. */
			ASSERT_MEM_EQ(r.out + ETH_LEN + 12, r.len - ETH_LEN - 12,
				      inner.d + ETH_LEN + 12, inner.len - ETH_LEN - 12,
				      "rest of the frame");
		}
	}
}

/*
 * XDP (vport with the fast path): it delivers only frames whose inner TOS stays as it is,
 * drops CE-on-Not-ECT itself, and leaves rewrites to TC.
 */
static void test_ecn_decap_xdp(const void *arg)
{
	struct {
		uint8_t inner, outer;
		__u32 verdict;
	} c[] = {
	    {(10 << 2) | 2, (10 << 2) | 2, XDP_REDIRECT}, /* same DSCP, same ECN */
	    {(10 << 2) | 0, (10 << 2) | 3, XDP_DROP},     /* CE outside Not-ECT */
	    {(10 << 2) | 2, (10 << 2) | 3, XDP_PASS},     /* CE to set: TC */
	    {(10 << 2) | 2, (11 << 2) | 2, XDP_PASS},     /* DSCP to copy in: TC */
	};

	for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		struct pkt inner = {}, seg = {};
		struct counters before;
		struct run r;

		build_inner(&inner, IN_UDP, vm_a, 64, 40000);
		inner_set_tos(&inner, c[k].inner);
		segment_with_tos(&seg, &inner, STT_F_IPV4, c[k].outer);
		if (!ASSERT_OK(set_ctx_flags(STT_VPORT_XDP), "context flags") ||
		    !read_counters(&before) || !run_prog(fd_xdp_rx, &seg, 0, &r))
			return;
		ASSERT_EQ(r.retval, c[k].verdict, "XDP verdict");
		if (c[k].verdict == XDP_DROP)
			CHECK_DELTAS(&before, {STT_C_RX_SEGMENTS, 1}, {DROP(ECN_CE_NOT_ECT), 1});
		else if (c[k].verdict == XDP_PASS)
			ASSERT_MEM_EQ(r.out, r.len, seg.d, seg.len, "passed unchanged");
		else
			ASSERT_MEM_EQ(r.out, r.len, inner.d, inner.len, "delivered unchanged");
	}
}

/* Pipe model at the receiver: the inner DSCP stays, ECN still follows RFC 6040. */
static void test_dscp_pipe_decap(const void *arg)
{
	struct pkt inner = {}, seg = {};
	struct run r;

	build_inner(&inner, IN_TCP, vm_a, 100, 40000);
	inner_set_tos(&inner, (10 << 2) | 2);
	segment_with_tos(&seg, &inner, STT_F_IPV4 | STT_F_TCP, (46 << 2) | 2);
	if (!set_cfg_qos(STT_DSCP_FIXED(46), 0) || !run_prog(fd_tc_rx, &seg, 0, &r))
		return;
	ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "verdict");
	ASSERT_MEM_EQ(r.out, r.len, inner.d, inner.len, "inner frame untouched");

	segment_with_tos(&seg, &inner, STT_F_IPV4 | STT_F_TCP, (46 << 2) | 3);
	if (!run_prog(fd_tc_rx, &seg, 0, &r))
		return;
	ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "verdict (outer CE)");
	ASSERT_EQ(r.out[ETH_LEN + 1], (10 << 2) | 3, "inner TOS: DSCP kept, CE set");
	ASSERT_TRUE(ip4_csum_ok((const struct t_ip4 *)(r.out + ETH_LEN)), "inner IP checksum");
}

/* IPv6 inside: the traffic class is rewritten (no header checksum in IPv6). */
static void test_ecn_decap_ipv6(const void *arg)
{
	struct pkt inner = {}, seg = {};
	struct run r;

	build_inner6(&inner, (10 << 2) | 2, 64);
	segment_with_tos(&seg, &inner, 0, (20 << 2) | 3);
	if (!run_prog(fd_tc_rx, &seg, 0, &r))
		return;
	if (!ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "verdict") ||
	    !ASSERT_EQ(r.len, inner.len, "output length"))
		return;
	ASSERT_EQ(tc6_of(r.out + ETH_LEN), (20 << 2) | 3, "inner traffic class");
	ASSERT_EQ(r.out[ETH_LEN + 1] & 0x0f, inner.d[ETH_LEN + 1] & 0x0f, "flow label kept");
	ASSERT_MEM_EQ(r.out + ETH_LEN + 2, r.len - ETH_LEN - 2, inner.d + ETH_LEN + 2,
		      inner.len - ETH_LEN - 2, "rest of the frame");

	build_inner6(&inner, 0, 64); /* Not-ECT, outer CE: dropped */
	segment_with_tos(&seg, &inner, 0, 3);
	if (run_prog(fd_tc_rx, &seg, 0, &r))
		ASSERT_EQ(r.retval, TC_ACT_SHOT, "Not-ECT IPv6 with outer CE");
}

/* Strict peers, endpoint-wide and per context. */
static void test_peers_strict(const void *arg)
{
	struct stt_peer_key k = {.context = CTX, .remote4 = remote4};
	struct stt_peer_key other = {.context = CTX + 1, .remote4 = remote4};
	struct pkt inner = {}, seg = {};
	struct counters before;
	__u32 one = 1;
	struct run r;

	build_inner(&inner, IN_UDP, vm_a, 64, 40000);
	build_segment(&seg, &inner, STT_F_IPV4);
	bpf_map_delete_elem(fd_peers(), &k);

	/* Open (the default): anyone may send. */
	if (!run_prog(fd_tc_rx, &seg, 0, &r))
		return;
	ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "open: delivered");

	/* Strict for the endpoint, the sender is a peer of another context only. */
	if (!set_cfg_qos(STT_DSCP_INHERIT, STT_OPT_PEERS_STRICT) ||
	    !ASSERT_OK(bpf_map_update_elem(fd_peers(), &other, &one, BPF_ANY), "peer add") ||
	    !ASSERT_OK(set_ctx_flags(STT_VPORT_XDP), "context flags") || !read_counters(&before))
		goto out;
	if (run_prog(fd_tc_rx, &seg, 0, &r))
		ASSERT_EQ(r.retval, TC_ACT_SHOT, "strict, not a peer: TC verdict");
	if (run_prog(fd_xdp_rx, &seg, 0, &r))
		ASSERT_EQ(r.retval, XDP_DROP, "strict, not a peer: XDP verdict");
	CHECK_DELTAS(&before, {STT_C_RX_SEGMENTS, 1}, {DROP(PEER_DENIED), 2});

	/* The sender becomes a peer of this context. */
	if (!ASSERT_OK(bpf_map_update_elem(fd_peers(), &k, &one, BPF_ANY), "peer add"))
		goto out;
	if (run_prog(fd_tc_rx, &seg, 0, &r))
		ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "strict, a peer: TC verdict");
	if (run_prog(fd_xdp_rx, &seg, 0, &r))
		ASSERT_EQ(r.retval, XDP_REDIRECT, "strict, a peer: XDP verdict");

	/* Strict for this context only (vport flag), endpoint open. */
	bpf_map_delete_elem(fd_peers(), &k);
	if (!set_cfg_qos(STT_DSCP_INHERIT, 0) ||
	    !ASSERT_OK(set_ctx_flags(STT_VPORT_PEERS_STRICT), "context flags"))
		goto out;
	if (run_prog(fd_tc_rx, &seg, 0, &r))
		ASSERT_EQ(r.retval, TC_ACT_SHOT, "context strict, not a peer");
	if (!ASSERT_OK(bpf_map_update_elem(fd_peers(), &k, &one, BPF_ANY), "peer add"))
		goto out;
	if (run_prog(fd_tc_rx, &seg, 0, &r))
		ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "context strict, a peer");
out:
	bpf_map_delete_elem(fd_peers(), &k);
	bpf_map_delete_elem(fd_peers(), &other);
}

/* Sum of one per-CPU struct stt_flow_stats entry; false if there is none. */
static bool flow_stats(int fd, const void *key, struct stt_flow_stats *sum)
{
	struct stt_flow_stats v[ncpus];

	memset(sum, 0, sizeof(*sum));
	if (bpf_map_lookup_elem(fd, key, v))
		return false;
	for (int c = 0; c < ncpus; c++) {
		sum->tx_frames += v[c].tx_frames;
		sum->tx_segments += v[c].tx_segments;
		sum->tx_bytes += v[c].tx_bytes;
		sum->tx_drops += v[c].tx_drops;
		sum->rx_frames += v[c].rx_frames;
		sum->rx_segments += v[c].rx_segments;
		sum->rx_bytes += v[c].rx_bytes;
		sum->rx_drops += v[c].rx_drops;
	}
	return true;
}

/* OAM: per-context and per-remote frames, segments, bytes and drops. */
static void test_oam_counters(const void *arg)
{
	int fd_ctx = bpf_map__fd(tc_skel->maps.stt_ctx_stats);
	int fd_rem = bpf_map__fd(tc_skel->maps.stt_remote_stats);
	struct pkt inner = {}, seg = {}, tx = {}, unk = {};
	struct stt_flow_stats c, m;
	__u64 ctx = CTX;
	__u32 rem = remote4;
	struct run r;

	bpf_map_delete_elem(fd_ctx, &ctx);
	bpf_map_delete_elem(fd_rem, &rem);

	build_inner(&inner, IN_UDP, vm_a, 64, 40000);
	build_segment(&seg, &inner, STT_F_IPV4);
	if (!run_prog(fd_tc_rx, &seg, 0, &r) || !ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "rx"))
		return;
	build_inner(&tx, IN_UDP, vm_b, 100, 40000); /* fdb: remote4 */
	if (!run_tx(&tx, &r) || !ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "tx"))
		return;
	/* Unknown unicast without a flood entry: a drop of the context. */
	bpf_map_delete_elem(fd_flood, &ctx);
	build_inner(&unk, IN_UDP, vm_unknown, 10, 40000);
	if (!run_tx(&unk, &r) || !ASSERT_EQ(r.retval, TC_ACT_SHOT, "tx without remote"))
		return;

	if (!ASSERT_TRUE(flow_stats(fd_ctx, &ctx, &c), "context entry exists") ||
	    !ASSERT_TRUE(flow_stats(fd_rem, &rem, &m), "remote entry exists"))
		return;
	ASSERT_EQ(c.rx_frames, 1, "context rx_frames");
	ASSERT_EQ(c.rx_segments, 1, "context rx_segments");
	ASSERT_EQ(c.rx_bytes, inner.len, "context rx_bytes");
	ASSERT_EQ(c.rx_drops, 0, "context rx_drops");
	ASSERT_EQ(c.tx_frames, 1, "context tx_frames");
	ASSERT_EQ(c.tx_segments, 1, "context tx_segments");
	ASSERT_EQ(c.tx_bytes, tx.len, "context tx_bytes");
	ASSERT_EQ(c.tx_drops, 1, "context tx_drops");
	ASSERT_EQ(m.rx_frames, 1, "remote rx_frames");
	ASSERT_EQ(m.rx_bytes, inner.len, "remote rx_bytes");
	ASSERT_EQ(m.tx_frames, 1, "remote tx_frames");
	ASSERT_EQ(m.tx_segments, 1, "remote tx_segments");
	ASSERT_EQ(m.tx_bytes, tx.len, "remote tx_bytes");
	ASSERT_EQ(m.tx_drops, 0, "remote tx_drops");

	/* A frame for an unknown context creates no entry: senders cannot fill the map. */
	{
		__u64 unknown = CTX_UNKNOWN;
		struct stt_flow_stats u;

		build_segment(&seg, &inner, STT_F_IPV4);
		{
			__u64 be = htobe64(CTX_UNKNOWN);

			memcpy(seg.d + STT_OFF + 8, &be, 8);
		}
		stt_refresh_csums(&seg);
		if (run_prog(fd_tc_rx, &seg, 0, &r))
			ASSERT_EQ(r.retval, TC_ACT_SHOT, "unknown context dropped");
		ASSERT_TRUE(!flow_stats(fd_ctx, &unknown, &u), "no entry for an unknown context");
	}
}

/* Learning: receive learns inner source MAC -> sender; transmit uses it; static wins; aging. */
static void test_learning(const void *arg)
{
	int outer = bpf_map__fd(tc_skel->maps.stt_learn), tbl;
	struct stt_vport vp = {.context = CTX, .flags = STT_VPORT_LEARN, .learn_age = 300};
	struct stt_fdb_key fk = {.context = CTX};
	struct stt_fdb_val fv = {.remote4 = remote4};
	struct stt_learn_key lk = {};
	struct stt_learn_val lv;
	struct pkt inner = {}, seg = {}, tx = {};
	struct counters before;
	__u64 ctx = CTX;
	__u32 lo = LO_IFINDEX;
	struct run r;

	tbl = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "t_learn", sizeof(struct stt_learn_key),
			     sizeof(struct stt_learn_val), 16, NULL);
	if (!ASSERT_TRUE(tbl >= 0, "create a learning table") ||
	    !ASSERT_OK(bpf_map_update_elem(outer, &ctx, &tbl, BPF_ANY), "install it") ||
	    !ASSERT_OK(bpf_map_update_elem(fd_vports, &lo, &vp, BPF_ANY), "vport flags") ||
	    !ASSERT_OK(set_ctx_flags(STT_VPORT_LEARN), "context flags"))
		goto out;

	/* A frame from vm_unknown arrives from remote4b. */
	build_inner(&inner, IN_UDP, vm_a, 64, 40000);
	memcpy(inner.d + 6, vm_unknown, 6);
	build_segment(&seg, &inner, STT_F_IPV4);
	ip_of(&seg)->saddr = remote4b;
	stt_refresh_csums(&seg);
	if (!read_counters(&before) || !run_prog(fd_tc_rx, &seg, 0, &r) ||
	    !ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "rx verdict"))
		goto out;
	CHECK_DELTAS(&before, {STT_C_RX_FRAMES, 1}, {STT_C_RX_BYTES, inner.len}, {STT_C_LEARNED, 1});
	memcpy(lk.mac, vm_unknown, 6);
	if (!ASSERT_OK(bpf_map_lookup_elem(tbl, &lk, &lv), "entry learned"))
		goto out;
	ASSERT_EQ(lv.remote4, remote4b, "learned remote");

	/* Unicast to vm_unknown now goes to remote4b alone, even with a flood list. */
	build_inner(&tx, IN_UDP, vm_unknown, 64, 40000);
	if (!read_counters(&before) || !run_tx(&tx, &r) || !ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "tx"))
		goto out;
	ASSERT_EQ(((struct t_ip4 *)(r.out + IP_OFF))->daddr, remote4b, "outer destination");
	CHECK_DELTAS(&before, {STT_C_TX_FRAMES, 1}, {STT_C_TX_BYTES, tx.len}, {STT_C_TX_SEGMENTS, 1},
		     {STT_C_TX_LEARNED, 1});

	/* A static entry wins. */
	memcpy(fk.mac, vm_unknown, 6);
	if (!ASSERT_OK(bpf_map_update_elem(fd_fdb, &fk, &fv, BPF_ANY), "static entry") ||
	    !run_tx(&tx, &r))
		goto out;
	ASSERT_EQ(((struct t_ip4 *)(r.out + IP_OFF))->daddr, remote4, "static entry wins");
	bpf_map_delete_elem(fd_fdb, &fk);

	/* Aged out: seen 301 s ago with a 300 s age: flooded again (to remote4). */
	{
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		lv.seen_ns = (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec - 301ull * 1000000000ull;
	}
	if (!ASSERT_OK(bpf_map_update_elem(tbl, &lk, &lv, BPF_ANY), "age the entry") ||
	    !read_counters(&before) || !run_tx(&tx, &r))
		goto out;
	ASSERT_EQ(((struct t_ip4 *)(r.out + IP_OFF))->daddr, remote4, "aged entry not used");
	CHECK_DELTAS(&before, {STT_C_TX_FRAMES, 1}, {STT_C_TX_BYTES, tx.len}, {STT_C_TX_SEGMENTS, 1},
		     {STT_C_TX_FLOOD_COPIES, 1});

	/* The cap: 16 entries; 20 more MACs evict the oldest, the table never grows past it. */
	for (int i = 0; i < 20; i++) {
		build_inner(&inner, IN_UDP, vm_a, 64, 40000);
		inner.d[6] = 0x02, inner.d[10] = 0x77, inner.d[11] = (uint8_t)i;
		build_segment(&seg, &inner, STT_F_IPV4);
		run_prog(fd_tc_rx, &seg, 0, &r);
	}
	{
		struct stt_learn_key k, next, *prev = NULL;
		int n = 0;

		while (bpf_map_get_next_key(tbl, prev, &next) == 0) {
			k = next;
			prev = &k;
			n++;
		}
		ASSERT_TRUE(n <= 16, "learning table within its cap");
	}
out:
	bpf_map_delete_elem(outer, &ctx);
	if (tbl >= 0)
		close(tbl);
}

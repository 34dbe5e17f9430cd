/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Unit tests of GUE, the second encapsulation (docs/GUE.md sections 2, 7, 8): transmit to a
 * GUE remote (stt_remote_cfg, or the endpoint default STT_OPT_ENCAP_GUE) byte for byte, with
 * and without the security cookie; receive in XDP and TC byte for byte; every malformed
 * case dropped and counted by reason in both programs; strict peers, the cookie rules, the
 * UDP checksum, OAM inside GUE, the GUE port. Included by test_datapath.c after
 * test_ipv6.h (it uses that file's fixture and builders); its tests are listed by GUE_TESTS
 * in that file's table.
 *
 * The GUE/GRE headers are built and checked here from the test's own wire structs, with
 * the layout Linux 6.1 sends (docs/GUE.md section 2: `00 2f 00 00`, `20 00 65 58` + key),
 * not with the datapath's structs. reset_maps() leaves GUE off (stt_cfg.gue_port 0) and the
 * vport in context CTX, which does not fit a GRE key; g_setup() turns GUE on (port 6080),
 * moves the vport to G_CTX (< 2^32) and makes remote4 a GUE remote; g_teardown() removes
 * every entry these tests add to maps reset_maps() does not rewrite.
 */
#ifndef STT_TEST_GUE_H
#define STT_TEST_GUE_H

struct t_gue {
	uint8_t ver_c_hlen; /* version(2) C(1) hlen(5) */
	uint8_t proto;
	uint16_t flags;
} __attribute__((packed));

_Static_assert(sizeof(struct t_gue) == 4, "gue");

#define G_PORT        6080
#define G_CTX         0x89abcdefULL /* a Context ID that fits the GRE key, high bit set */
#define G_CTX_UNKNOWN 0x89abcdeeULL
#define G_UDP_OFF     (IP_OFF + 20)           /* 34 */
#define G_GUE_OFF     (G_UDP_OFF + 8)         /* 42 */
#define G_GRE_OFF     (G_GUE_OFF + 4)         /* 46, without GUE options */
#define G_INNER_OFF   (G_GRE_OFF + 8)         /* 54: outer eth + ip + udp + gue + gre */
#define G_OVERHEAD    (G_INNER_OFF - ETH_LEN) /* 40: what counts against the MTU */
#define G_COOKIE_LEN  12                      /* private flags + 8-byte cookie */

static const uint8_t g_cookie[8] = {0xc0, 0x0c, 0x1e, 0x5e, 0xc2, 0xe7, 0x01, 0x02};
/* The outer TOS g_check_encap expects (uniform model: the inner one; 0 for non-IP). */
static uint8_t g_exp_tos;

static const uint8_t g_cookie_other[8] = {0xc0, 0x0c, 0x1e, 0x5e, 0xc2, 0xe7, 0x01, 0x03};

/* 239.1.2.3: a multicast group the GUE tests put in stt_groups (g_teardown removes it). */
static uint32_t g_group;

static int fd_groups(void)
{
	return bpf_map__fd(tc_skel->maps.stt_groups);
}

static int fd_remote_cfg(void)
{
	return bpf_map__fd(tc_skel->maps.stt_remote_cfg);
}

/* ------------------------------------------------------------------------------------------ */
/* Packets                                                                                    */

/* Everything of a GUE datagram (IPv4 underlay) that a test may want to vary. */
struct g_outer {
	const uint8_t *dmac, *smac;
	uint32_t saddr, daddr;
	uint16_t ip_id; /* host order */
	uint8_t tos, ttl;
	uint16_t sport, dport;
	bool udp_csum; /* compute the UDP checksum (else 0) */
	uint8_t ver_c_hlen, proto;
	uint16_t flags;     /* host order */
	const uint8_t *opt; /* GUE option bytes (hlen * 4 of them, or not: malformed cases) */
	size_t opt_len;
	uint16_t gre_flags, gre_proto; /* host order; C, K and S make their fields appear */
	uint32_t key;                  /* host order */
};

/* The defaults: a well-formed datagram from remote4 to this endpoint, key G_CTX. */
static void g_outer_init(struct g_outer *o)
{
	*o = (struct g_outer){
	    .dmac = ul_local,
	    .smac = ul_remote,
	    .saddr = remote4,
	    .daddr = local4,
	    .ip_id = 0x4242,
	    .ttl = 64,
	    .sport = 39486, /* what Linux chose in docs/GUE.md section 2 */
	    .dport = G_PORT,
	    .proto = 47,
	    .gre_flags = 0x2000,
	    .gre_proto = 0x6558,
	    .key = (uint32_t)G_CTX,
	};
}

/* The cookie option of docs/GUE.md section 7: P, hlen 3, private flags 0x40000000, cookie. */
static void g_outer_cookie(struct g_outer *o, uint8_t *opt, uint32_t pflags, const uint8_t *cookie)
{
	uint32_t pf = htonl(pflags);

	memcpy(opt, &pf, 4);
	memcpy(opt + 4, cookie, 8);
	o->ver_c_hlen = 3;
	o->flags = 0x0001;
	o->opt = opt;
	o->opt_len = G_COOKIE_LEN;
}

static void build_gue(struct pkt *p, const struct g_outer *o, const struct pkt *inner)
{
	size_t gre_len = 4 + ((o->gre_flags & 0x8000) ? 4 : 0) + ((o->gre_flags & 0x2000) ? 4 : 0) +
	                 ((o->gre_flags & 0x1000) ? 4 : 0);
	size_t udp_len = 8 + 4 + o->opt_len + gre_len + inner->len;
	struct t_ip4 *ip;
	struct t_udp *udp;
	struct t_gue *g;
	uint16_t w[2];

	p->len = 0;
	put_eth(p, o->dmac, o->smac, 0x0800);
	ip = put_ip4(p, o->saddr, o->daddr, 17, udp_len, o->ip_id);
	ip->tos = o->tos;
	ip->ttl = o->ttl;
	ip4_set_csum(ip);
	udp = pkt_put(p, sizeof(*udp));
	udp->sport = htons(o->sport);
	udp->dport = htons(o->dport);
	udp->len = htons(udp_len);
	g = pkt_put(p, sizeof(*g));
	g->ver_c_hlen = o->ver_c_hlen;
	g->proto = o->proto;
	g->flags = htons(o->flags);
	if (o->opt_len)
		pkt_append(p, o->opt, o->opt_len);
	w[0] = htons(o->gre_flags);
	w[1] = htons(o->gre_proto);
	pkt_append(p, w, 4);
	if (o->gre_flags & 0x8000) {
		uint8_t csum_res[4] = {0xab, 0xcd, 0, 0};

		pkt_append(p, csum_res, 4);
	}
	if (o->gre_flags & 0x2000) {
		uint32_t k = htonl(o->key);

		pkt_append(p, &k, 4);
	}
	if (o->gre_flags & 0x1000) {
		uint32_t seq = htonl(7);

		pkt_append(p, &seq, 4);
	}
	pkt_append(p, inner->d, inner->len);
	if (o->udp_csum)
		l4_set_csum(ip, udp, udp_len, offsetof(struct t_udp, csum));
}

/* A well-formed datagram carrying inner, from remote4, key G_CTX. */
static void g_datagram(struct pkt *p, const struct pkt *inner)
{
	struct g_outer o;

	g_outer_init(&o);
	build_gue(p, &o, inner);
}

/* Recompute the outer IPv4 header checksum of a mutated datagram. */
static void g_refresh_ip(struct pkt *p)
{
	ip4_set_csum(ip_of(p));
}

/* ------------------------------------------------------------------------------------------ */
/* Map setup                                                                                  */

static bool g_set_cfg(uint16_t gue_port, uint8_t opts, uint32_t mtu)
{
	struct stt_cfg cfg;
	__u32 zero = 0;

	if (!ASSERT_OK(bpf_map_lookup_elem(fd_cfg, &zero, &cfg), "cfg lookup"))
		return false;
	cfg.gue_port = gue_port;
	cfg.opts = opts;
	if (mtu)
		cfg.mtu = mtu;
	return ASSERT_OK(bpf_map_update_elem(fd_cfg, &zero, &cfg, BPF_ANY), "cfg update");
}

/* remote's stt_remote_cfg entry: encap, and the cookie when one is given. */
static bool g_set_remote(uint32_t remote, __u8 encap, const uint8_t *cookie)
{
	struct stt_remote_cfg rc = {.encap = encap};

	if (cookie) {
		rc.flags = STT_RCFG_COOKIE;
		memcpy(rc.cookie, cookie, 8);
	}
	return ASSERT_OK(bpf_map_update_elem(fd_remote_cfg(), &remote, &rc, BPF_ANY),
	                 "stt_remote_cfg update");
}

/* The vport (lo) in context ctx, with its FDB entry for vm_b and flood list. */
static bool g_set_vport(__u64 ctx, const struct stt_flood_val *fl)
{
	struct stt_vport vp = {.context = ctx};
	struct stt_fdb_key fk = {.context = ctx};
	struct stt_fdb_val fv = {.remote4 = remote4};
	struct stt_flood_val one = {.count = 1, .remote4 = {remote4}};
	__u32 lo = LO_IFINDEX;

	memcpy(fk.mac, vm_b, 6);
	return ASSERT_OK(bpf_map_update_elem(fd_vports, &lo, &vp, BPF_ANY), "vport update") &&
	       ASSERT_OK(bpf_map_update_elem(fd_fdb, &fk, &fv, BPF_ANY), "fdb update") &&
	       ASSERT_OK(bpf_map_update_elem(fd_flood, &ctx, fl ? fl : &one, BPF_ANY),
	                 "flood update");
}

static bool g_bind(__u64 ctx, __u32 flags)
{
	struct stt_ctx_val cv = {.ifindex = LO_IFINDEX, .flags = flags};

	return ASSERT_OK(bpf_map_update_elem(fd_contexts, &ctx, &cv, BPF_ANY), "context bind");
}

/* Context IDs these tests give the vport or bind (removed by g_teardown). */
static const __u64 g_ctxs[] = {G_CTX, 0, 1, 0x80000000ULL, 0xffffffffULL, 0x100000000ULL};

static void g_teardown(void)
{
	uint32_t remotes[] = {remote4, remote4b, local4, r6(R6_IDX_A)};
	struct stt_fdb_key fk = {};

	for (size_t i = 0; i < sizeof(g_ctxs) / sizeof(g_ctxs[0]); i++) {
		__u64 c = g_ctxs[i];
		struct stt_peer_key pk = {.context = c, .remote4 = remote4};

		bpf_map_delete_elem(fd_contexts, &c);
		bpf_map_delete_elem(fd_flood, &c);
		fk.context = c;
		memcpy(fk.mac, vm_b, 6);
		bpf_map_delete_elem(fd_fdb, &fk);
		bpf_map_delete_elem(fd_peers(), &pk);
	}
	for (size_t i = 0; i < sizeof(remotes) / sizeof(remotes[0]); i++)
		bpf_map_delete_elem(fd_remote_cfg(), &remotes[i]);
	bpf_map_delete_elem(fd_groups(), &g_group);
	g_exp_tos = 0;
}

/*
 * GUE on (port 6080), the vport in context G_CTX (bound for receive, STT_VPORT_XDP),
 * remote4 a GUE remote without a cookie.
 */
static bool g_setup(void)
{
	g_group = htonl(0xef010203);
	g_teardown();
	return g_set_cfg(G_PORT, 0, 0) && g_set_vport(G_CTX, NULL) &&
	       g_bind(G_CTX, STT_VPORT_XDP) && g_set_remote(remote4, STT_ENCAP_GUE, NULL);
}

/* Each test body runs between g_setup() and g_teardown(), whatever it returns from. */
#define G_TEST(fn)                                                                                 \
	static void fn##_body(const void *arg);                                                    \
	static void fn(const void *arg)                                                            \
	{                                                                                          \
		if (g_setup())                                                                     \
			fn##_body(arg);                                                            \
		g_teardown();                                                                      \
	}                                                                                          \
	static void fn##_body(const void *arg)

/* ------------------------------------------------------------------------------------------ */
/* Transmit                                                                                   */

/*
 * One stt_tc_tx output against a GUE datagram built here: outer IPv4 (version/ihl, DF, TTL
 * 64, protocol 17, total length, header checksum), UDP (destination 6080, source in
 * 32768..60999, length, checksum 0), GUE 00 2f 00 00 (or the cookie option), GRE 20 00 65 58
 * + key, then the inner frame unchanged. The IP ID (any value: DF is set, RFC 6864) and
 * the source port (flow hash, after its range check) are copied from the output.
 */
static bool g_check_encap(const struct pkt *inner, const struct run *r, uint32_t remote,
                          uint32_t key, const uint8_t *cookie, uint16_t *sport)
{
	size_t hlen = G_INNER_OFF + (cookie ? G_COOKIE_LEN : 0);
	uint8_t opt[G_COOKIE_LEN];
	struct pkt got = {}, exp = {};
	const struct t_ip4 *ip;
	const struct t_udp *udp;
	struct g_outer o;
	bool ok = true;

	if (!ASSERT_EQ(r->len, inner->len + hlen, "output length"))
		return false;
	memcpy(got.d, r->out, r->len);
	got.len = r->len;
	ip = ip_of(&got);
	udp = (const struct t_udp *)(got.d + G_UDP_OFF);

	/* Field by field first, so that a failure names the field. */
	ok &= ASSERT_EQ(ntohs(((const struct t_eth *)got.d)->proto), 0x0800, "outer EtherType");
	ok &= ASSERT_EQ(ip->ver_ihl, 0x45, "outer IPv4 version/ihl");
	ok &= ASSERT_EQ(ntohs(ip->frag), T_IP_DF, "outer DF, no fragment");
	ok &= ASSERT_EQ(ip->ttl, 64, "outer TTL");
	ok &= ASSERT_EQ(ip->tos, g_exp_tos, "outer TOS");
	ok &= ASSERT_EQ(ip->proto, 17, "outer protocol UDP");
	ok &= ASSERT_EQ(ntohs(ip->tot_len), got.len - ETH_LEN, "outer total length");
	ok &= ASSERT_TRUE(ip4_csum_ok(ip), "outer IPv4 header checksum");
	ok &= ASSERT_EQ(ip->saddr, local4, "outer source");
	ok &= ASSERT_EQ(ip->daddr, remote, "outer destination");
	ok &= ASSERT_EQ(ntohs(udp->dport), G_PORT, "UDP destination port");
	ok &= ASSERT_TRUE(ntohs(udp->sport) >= 32768 && ntohs(udp->sport) <= 60999,
	                  "UDP source port in 32768..60999");
	ok &= ASSERT_EQ(ntohs(udp->len), got.len - G_UDP_OFF, "UDP length");
	ok &= ASSERT_EQ(udp->csum, 0, "UDP checksum 0");
	*sport = ntohs(udp->sport);
	if (private_netns) {
		ok &= ASSERT_MEM_EQ(got.d, 6, zero_mac, 6, "outer dst MAC (FIB lookup fails)");
		ok &= ASSERT_MEM_EQ(got.d + 6, 6, zero_mac, 6, "outer src MAC (FIB lookup fails)");
	}

	g_outer_init(&o);
	o.dmac = got.d;
	o.smac = got.d + 6;
	o.saddr = local4;
	o.daddr = remote;
	o.ip_id = ntohs(ip->id);
	o.sport = *sport;
	o.key = key;
	o.tos = g_exp_tos;
	if (cookie)
		g_outer_cookie(&o, opt, 0x40000000, cookie);
	build_gue(&exp, &o, inner);
	ok &= ASSERT_MEM_EQ(got.d, got.len, exp.d, exp.len, "GUE datagram");
	if (cookie)
		ok &= ASSERT_MEM_EQ(
		    got.d + G_GUE_OFF, 16,
		    ((const uint8_t[]){0x03, 0x2f, 0x00, 0x01, 0x40, 0x00, 0x00, 0x00, 0xc0, 0x0c,
		                       0x1e, 0x5e, 0xc2, 0xe7, 0x01, 0x02}),
		    16, "GUE with the cookie option, literally");
	else
		ok &=
		    ASSERT_MEM_EQ(got.d + G_GUE_OFF, 4, ((const uint8_t[]){0x00, 0x2f, 0x00, 0x00}),
		                  4, "GUE word 00 2f 00 00, literally");
	{
		uint32_t k = htonl(key);
		uint8_t gre[8] = {0x20, 0x00, 0x65, 0x58};

		memcpy(gre + 4, &k, 4);
		ok &=
		    ASSERT_MEM_EQ(got.d + hlen - 8, 8, gre, 8, "GRE 20 00 65 58 + key, literally");
	}
	ok &= ASSERT_MEM_EQ(got.d + hlen, got.len - hlen, inner->d, inner->len,
	                    "inner frame unchanged");
	test_note("sport %u ip id 0x%04x", *sport, ntohs(ip->id));
	return ok;
}

enum g_remote_how {
	G_BY_REMOTE,  /* stt_remote_cfg: encap GUE */
	G_BY_DEFAULT, /* no entry, stt_cfg.opts STT_OPT_ENCAP_GUE */
	G_BY_COOKIE,  /* stt_remote_cfg: encap GUE with the cookie */
};

struct g_encap_arg {
	enum inner_kind kind;
	const uint8_t *dmac; /* vm_b: FDB hit; bcast: flood */
	size_t payload;
	enum g_remote_how how;
};

G_TEST(test_g_encap)
{
	const struct g_encap_arg *a = arg;
	bool flood = memcmp(a->dmac, vm_b, 6) != 0;
	bool is_ip = a->kind != IN_ARP;
	const uint8_t *cookie = a->how == G_BY_COOKIE ? g_cookie : NULL;
	struct counters before;
	struct pkt in = {};
	uint16_t sport;
	struct run r;
	bool sent;

	if (a->how == G_BY_DEFAULT &&
	    (!g_set_cfg(G_PORT, STT_OPT_ENCAP_GUE, 0) ||
	     !ASSERT_OK(bpf_map_delete_elem(fd_remote_cfg(), &remote4), "remote cfg delete")))
		return;
	if (a->how == G_BY_COOKIE && !g_set_remote(remote4, STT_ENCAP_GUE, g_cookie))
		return;
	build_inner(&in, a->kind, a->dmac, a->payload, 40000);
	if (!read_counters(&before) || !run_tx(&in, &r))
		return;
	g_check_encap(&in, &r, remote4, (uint32_t)G_CTX, cookie, &sport);
	/* As for STT (test_encap): without a neighbour only an IP skb can leave. */
	sent = is_ip || !private_netns;
	if (!private_netns && !is_ip)
		sent = memcmp(r.out, zero_mac, 6) != 0;
	ASSERT_EQ(r.retval, sent ? TC_ACT_REDIRECT : TC_ACT_SHOT, "verdict");
	if (sent)
		CHECK_DELTAS(&before, {STT_C_TX_FRAMES, 1}, {STT_C_TX_BYTES, in.len},
		             {STT_C_TX_GUE_FRAMES, 1}, {STT_C_TX_SEGMENTS, 1},
		             {STT_C_TX_FLOOD_COPIES, flood ? 1 : 0});
	else
		CHECK_DELTAS(&before, {STT_C_TX_FRAMES, 1}, {STT_C_TX_BYTES, in.len},
		             {STT_C_TX_GUE_FRAMES, 1}, {DROP(TX_NO_NEIGH), 1});
}

/* The GRE key is the Context ID itself, K always set: 0 and 2^32 - 1 too. */
G_TEST(test_g_encap_keys)
{
	static const __u64 ids[] = {0, 0xffffffffULL, 1, 0x80000000ULL};
	struct pkt in = {};
	uint16_t sport;
	struct run r;

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		char what[64];

		if (!g_set_vport(ids[i], NULL))
			return;
		build_inner(&in, IN_UDP, vm_b, 40, 40000);
		if (!run_tx(&in, &r))
			return;
		snprintf(what, sizeof(what), "context 0x%llx: verdict", (unsigned long long)ids[i]);
		ASSERT_EQ(r.retval, TC_ACT_REDIRECT, what);
		g_check_encap(&in, &r, remote4, (uint32_t)ids[i], NULL, &sport);
		bpf_map_delete_elem(fd_flood, &ids[i]);
	}
}

/* Same flow, same port; another flow, another port (the flow hash, as Linux's). */
G_TEST(test_g_encap_sport)
{
	struct pkt in = {};
	uint16_t sp1, sp2, sp3;
	struct run r;

	build_inner(&in, IN_UDP, vm_b, 10, 40000);
	if (!run_tx(&in, &r) || !g_check_encap(&in, &r, remote4, (uint32_t)G_CTX, NULL, &sp1))
		return;
	build_inner(&in, IN_UDP, vm_b, 500, 40000);
	if (!run_tx(&in, &r) || !g_check_encap(&in, &r, remote4, (uint32_t)G_CTX, NULL, &sp2))
		return;
	ASSERT_EQ(sp2, sp1, "source port of a second packet of the same flow");
	build_inner(&in, IN_UDP, vm_b, 10, 40001);
	if (!run_tx(&in, &r) || !g_check_encap(&in, &r, remote4, (uint32_t)G_CTX, NULL, &sp3))
		return;
	ASSERT_NEQ(sp3, sp1, "source port of another flow");
}

/* A remote with an entry that says STT gets STT even when the endpoint default is GUE. */
G_TEST(test_g_encap_stt_override)
{
	struct counters before;
	struct pkt in = {};
	uint32_t ack;
	uint16_t sport;
	struct run r;

	if (!g_set_cfg(G_PORT, STT_OPT_ENCAP_GUE, 0) ||
	    !g_set_remote(remote4, STT_ENCAP_STT, NULL) || !g_set_vport(CTX, NULL))
		return;
	build_inner(&in, IN_UDP, vm_b, 64, 40000);
	if (!read_counters(&before) || !run_tx(&in, &r))
		return;
	ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "verdict");
	check_encap(&in, &r, remote4, STT_F_IPV4, &ack, &sport);
	CHECK_DELTAS(&before, {STT_C_TX_FRAMES, 1}, {STT_C_TX_BYTES, in.len},
	             {STT_C_TX_SEGMENTS, 1});
}

/* A Context ID >= 2^32 toward a GUE remote: dropped, never truncated. */
G_TEST(test_g_encap_context_too_big)
{
	static const __u64 ids[] = {0x100000000ULL, CTX};
	struct pkt in = {};

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		struct counters before;
		struct run r;

		if (!g_set_vport(ids[i], NULL))
			return;
		build_inner(&in, IN_UDP, vm_b, 64, 40000);
		if (!read_counters(&before) || !run_tx(&in, &r))
			return;
		ASSERT_EQ(r.retval, TC_ACT_SHOT, "unicast: verdict");
		CHECK_DELTAS(&before, {DROP(TX_GUE_CONTEXT), 1});
		/* Flooded (broadcast) too. */
		build_inner(&in, IN_UDP, bcast, 64, 40000);
		if (!read_counters(&before) || !run_tx(&in, &r))
			return;
		ASSERT_EQ(r.retval, TC_ACT_SHOT, "flood: verdict");
		CHECK_DELTAS(&before, {DROP(TX_GUE_CONTEXT), 1});
	}
	/* The same context toward an STT remote goes. */
	if (!g_set_remote(remote4, STT_ENCAP_STT, NULL))
		return;
	{
		struct run r;

		build_inner(&in, IN_UDP, vm_b, 64, 40000);
		if (run_tx(&in, &r))
			ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "STT remote: verdict");
	}
}

/* GUE off (gue_port 0) and a remote configured GUE, by entry or by default: dropped. */
G_TEST(test_g_encap_gue_off)
{
	struct counters before;
	struct pkt in = {};
	struct run r;

	if (!g_set_cfg(0, 0, 0))
		return;
	build_inner(&in, IN_UDP, vm_b, 64, 40000);
	if (!read_counters(&before) || !run_tx(&in, &r))
		return;
	ASSERT_EQ(r.retval, TC_ACT_SHOT, "remote entry: verdict");
	CHECK_DELTAS(&before, {DROP(TX_GUE_UNSUPPORTED), 1});

	if (!g_set_cfg(0, STT_OPT_ENCAP_GUE, 0) ||
	    !ASSERT_OK(bpf_map_delete_elem(fd_remote_cfg(), &remote4), "remote cfg delete"))
		return;
	build_inner(&in, IN_ARP, bcast, 0, 0);
	if (!read_counters(&before) || !run_tx(&in, &r))
		return;
	ASSERT_EQ(r.retval, TC_ACT_SHOT, "endpoint default, flood: verdict");
	CHECK_DELTAS(&before, {DROP(TX_GUE_UNSUPPORTED), 1});
}

/*
 * GUE cannot cut a frame: one whose outer IP packet would exceed the MTU is dropped
 * (tx_too_big); one that makes exactly the MTU goes.
 */
G_TEST(test_g_encap_mtu)
{
	struct counters before;
	struct pkt in = {};
	uint16_t sport;
	struct run r;

	build_inner(&in, IN_UDP, vm_b, MTU - G_OVERHEAD - 42, 40000);
	if (!read_counters(&before) || !run_tx(&in, &r))
		return;
	ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "outer IP = MTU: verdict");
	g_check_encap(&in, &r, remote4, (uint32_t)G_CTX, NULL, &sport);
	CHECK_DELTAS(&before, {STT_C_TX_FRAMES, 1}, {STT_C_TX_BYTES, in.len},
	             {STT_C_TX_GUE_FRAMES, 1}, {STT_C_TX_SEGMENTS, 1});

	build_inner(&in, IN_UDP, vm_b, MTU - G_OVERHEAD - 42 + 1, 40000);
	if (!read_counters(&before) || !run_tx(&in, &r))
		return;
	ASSERT_EQ(r.retval, TC_ACT_SHOT, "outer IP = MTU + 1: verdict");
	CHECK_DELTAS(&before, {STT_C_TX_FRAMES, 1}, {STT_C_TX_BYTES, in.len},
	             {STT_C_TX_GUE_FRAMES, 1}, {DROP(TX_TOO_BIG), 1});
}

/*
 * A flood list of a GUE remote (first) and an STT remote: the GUE copy is a clone, which
 * cannot leave without a neighbour (tx_no_neigh); the STT copy is the skb itself, byte for
 * byte the STT encapsulation.
 */
G_TEST(test_g_encap_flood_mixed)
{
	struct stt_flood_val fl = {.count = 2, .remote4 = {remote4, remote4b}};
	struct counters before;
	struct pkt in = {};
	uint32_t ack;
	uint16_t sport;
	struct run r;

	if (!private_netns) {
		test_skip("needs a private network namespace");
		return;
	}
	/* STT needs a context of 64 bits, GUE one of 32: G_CTX is both. */
	if (!g_set_vport(G_CTX, &fl))
		return;
	build_inner(&in, IN_UDP, bcast, 33, 40000);
	if (!read_counters(&before) || !run_tx(&in, &r))
		return;
	ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "verdict");
	if (ASSERT_EQ(r.len, in.len + INNER_OFF, "output length (STT)")) {
		struct t_stt *stt = (struct t_stt *)(r.out + STT_OFF);
		struct t_ip4 *ip = (struct t_ip4 *)(r.out + IP_OFF);

		ASSERT_TRUE(l4_csum_ok(ip, r.out + TCP_OFF, r.len - TCP_OFF),
		            "outer TCP checksum as sent");
		ASSERT_EQ(be64toh(stt->context), G_CTX, "STT context");
		/* check_encap expects CTX: a copy with CTX in it, its TCP checksum redone. */
		stt->context = htobe64(CTX);
		l4_set_csum(ip, r.out + TCP_OFF, r.len - TCP_OFF, offsetof(struct t_tcp, csum));
		check_encap(&in, &r, remote4b, STT_F_IPV4, &ack, &sport);
	}
	CHECK_DELTAS(&before, {STT_C_TX_FRAMES, 1}, {STT_C_TX_BYTES, in.len},
	             {STT_C_TX_GUE_FRAMES, 1}, {STT_C_TX_SEGMENTS, 1}, {STT_C_TX_FLOOD_COPIES, 1},
	             {DROP(TX_NO_NEIGH), 1});
}

/* An IPv4/ICMP tenant frame with an 802.1Q tag (PCP 5, VID 100) in the frame. */
static void g_tagged_frame(struct pkt *tagged, struct pkt *plain)
{
	static const uint8_t tag[4] = {0x81, 0x00, 0xa0, 0x64};

	build_inner(plain, IN_ICMP, vm_b, 56, 0);
	tagged->len = 0;
	pkt_append(tagged, plain->d, 12);
	pkt_append(tagged, tag, 4);
	pkt_append(tagged, plain->d + 12, plain->len - 12);
}

/*
 * A tagged frame from a plain vport (not a trunk VLAN): STT carries its tag in the STT
 * header (V=1); GUE has no such field, so the tag goes back in the frame (what a Linux
 * gretap carries). Never sent without its tag.
 */
G_TEST(test_g_encap_vlan_tagged)
{
	struct pkt tagged = {}, plain = {};
	struct counters before;
	struct run r;

	g_tagged_frame(&tagged, &plain);
	if (!read_counters(&before) || !run_tx(&tagged, &r))
		return;
	test_note("verdict %u, output %zu bytes (tagged frame %zu, untagged %zu)", r.retval, r.len,
	          tagged.len, plain.len);
	{
		uint16_t sport;

		ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "verdict");
		g_check_encap(&tagged, &r, remote4, (uint32_t)G_CTX, NULL, &sport);
	}
}

/* Uniform model: the inner TOS (DSCP 46, ECT(1)) goes out; the checksum covers it. */
G_TEST(test_g_encap_tos)
{
	struct pkt in = {};
	uint16_t sport;
	struct run r;

	build_inner(&in, IN_UDP, vm_b, 64, 40000);
	inner_set_tos(&in, (46 << 2) | 1);
	g_exp_tos = (46 << 2) | 1;
	if (!run_tx(&in, &r))
		return;
	ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "verdict");
	g_check_encap(&in, &r, remote4, (uint32_t)G_CTX, NULL, &sport);
	/* Pipe model: the fixed DSCP, the inner ECN. */
	{
		struct stt_cfg cfg;
		__u32 zero = 0;

		if (!ASSERT_OK(bpf_map_lookup_elem(fd_cfg, &zero, &cfg), "cfg lookup"))
			return;
		cfg.dscp = STT_DSCP_FIXED(10);
		if (!ASSERT_OK(bpf_map_update_elem(fd_cfg, &zero, &cfg, BPF_ANY), "cfg update"))
			return;
	}
	g_exp_tos = (10 << 2) | 1;
	if (!run_tx(&in, &r))
		return;
	ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "pipe: verdict");
	g_check_encap(&in, &r, remote4, (uint32_t)G_CTX, NULL, &sport);
}

/* ------------------------------------------------------------------------------------------ */
/* GUE over IPv6 (docs/GUE.md section 5)                                                      */

/* Everything of a GUE datagram over IPv6 that a test may want to vary. */
struct g6_outer {
	const uint8_t *dmac, *smac, *saddr, *daddr;
	uint8_t tc;
	uint32_t flow;
	uint16_t sport;
	uint32_t key;
	const uint8_t *cookie; /* the cookie option, or none */
	bool udp_csum;         /* compute the UDP checksum (else 0) */
	bool dstopts;          /* an 8-byte Destination Options header before UDP, as Linux's */
};

static void g6_outer_init(struct g6_outer *o)
{
	*o = (struct g6_outer){.dmac = ul_local,
	                       .smac = ul_remote,
	                       .saddr = remote6a,
	                       .daddr = local6,
	                       .sport = 39486,
	                       .key = (uint32_t)G_CTX};
}

static void build_gue6(struct pkt *p, const struct g6_outer *o, const struct pkt *inner)
{
	size_t udp_len = 8 + 4 + (o->cookie ? G_COOKIE_LEN : 0) + 8 + inner->len;
	uint8_t gre[8] = {0x20, 0x00, 0x65, 0x58};
	/* Tunnel Encapsulation Limit 4 and a PadN, as Linux's ip6gretap sends (GUE.md 2). */
	uint8_t dst[8] = {17, 0, 4, 1, 4, 1, 0, 0};
	uint32_t k = htonl(o->key);
	struct t_ip6 *ip6;
	struct t_udp *udp;
	struct t_gue *g;

	p->len = 0;
	put_eth(p, o->dmac, o->smac, 0x86dd);
	ip6 = put_ip6(p, o->saddr, o->daddr, o->dstopts ? 60 : 17, udp_len + (o->dstopts ? 8 : 0),
	              o->tc, o->flow, 64);
	if (o->dstopts)
		pkt_append(p, dst, sizeof(dst));
	udp = pkt_put(p, sizeof(*udp));
	udp->sport = htons(o->sport);
	udp->dport = htons(G_PORT);
	udp->len = htons(udp_len);
	g = pkt_put(p, sizeof(*g));
	g->proto = 47;
	if (o->cookie) {
		uint32_t pf = htonl(0x40000000);

		g->ver_c_hlen = 3;
		g->flags = htons(0x0001);
		pkt_append(p, &pf, 4);
		pkt_append(p, o->cookie, 8);
	}
	memcpy(gre + 4, &k, 4);
	pkt_append(p, gre, sizeof(gre));
	pkt_append(p, inner->d, inner->len);
	if (o->udp_csum) {
		ip6->nh = 17; /* the pseudo header's next header is UDP's, whatever comes between */
		l4_set_csum6(ip6, udp, udp_len, offsetof(struct t_udp, csum));
		ip6->nh = o->dstopts ? 60 : 17;
	}
}

/* remote's stt_remote_cfg entry with the flags given (STT_RCFG_*), cookie g_cookie. */
static bool g_set_remote_flags(uint32_t remote, __u8 encap, __u8 flags)
{
	struct stt_remote_cfg rc = {.encap = encap, .flags = flags};

	if (flags & STT_RCFG_COOKIE)
		memcpy(rc.cookie, g_cookie, 8);
	return ASSERT_OK(bpf_map_update_elem(fd_remote_cfg(), &remote, &rc, BPF_ANY),
	                 "stt_remote_cfg update");
}

struct g6_encap_arg {
	enum v6_inner kind; /* V6I_IPV6: unicast, leaves by redirect_neigh; V6I_UDP_BC: flood */
	bool cookie;
};

/*
 * To an IPv6 remote that consented to zero UDP checksums: IPv6 (traffic class as over
 * IPv4, flow label the flow hash, hop limit 64, next header UDP, no extension header),
 * UDP to 6080 with checksum 0, then GUE, GRE and the frame as over IPv4, byte for byte.
 */
G_TEST(test_g6_encap)
{
	const struct g6_encap_arg *a = arg;
	size_t hlen = 14 + 40 + 8 + 4 + (a->cookie ? G_COOKIE_LEN : 0) + 8;
	__u8 flags = STT_RCFG_UDP6_ZERO | (a->cookie ? STT_RCFG_COOKIE : 0);
	bool v6inner = a->kind == V6I_IPV6;
	struct pkt in = {}, got = {}, exp = {};
	struct counters before;
	struct g6_outer o;
	const struct t_ip6 *ip6;
	const struct t_udp *udp;
	struct run r;

	struct stt_fdb_key fk = {.context = G_CTX};
	struct stt_fdb_val fv;
	struct stt_flood_val fl = {.count = 1};

	if (!v6_setup(true) || !v6_need_netns() ||
	    !g_set_remote_flags(r6(R6_IDX_A), STT_ENCAP_GUE, flags))
		return;
	/* The vport's context, G_CTX, sends vm_b and floods to remote A. */
	fv = (struct stt_fdb_val){.remote4 = r6(R6_IDX_A)};
	fl.remote4[0] = r6(R6_IDX_A);
	memcpy(fk.mac, vm_b, 6);
	if (!ASSERT_OK(bpf_map_update_elem(fd_fdb, &fk, &fv, BPF_ANY), "fdb update") ||
	    !ASSERT_OK(bpf_map_update_elem(fd_flood, &fk.context, &fl, BPF_ANY), "flood update"))
		return;
	v6_build_inner(&in, a->kind, 0, 64, 40000);
	if (!read_counters(&before) || !run_tx(&in, &r) ||
	    !ASSERT_EQ(r.len, in.len + hlen, "output length"))
		return;
	memcpy(got.d, r.out, r.len);
	got.len = r.len;
	ip6 = (const struct t_ip6 *)(got.d + ETH_LEN);
	udp = (const struct t_udp *)(got.d + ETH_LEN + 40);
	ASSERT_EQ(ntohs(((const struct t_eth *)got.d)->proto), 0x86dd, "outer EtherType");
	ASSERT_EQ(ip6->vtf[0] >> 4, 6, "outer IPv6 version");
	ASSERT_EQ(ip6->nh, 17, "next header UDP, no extension header");
	ASSERT_EQ(ip6->hlim, 64, "hop limit");
	ASSERT_EQ(ntohs(ip6->plen), got.len - ETH_LEN - 40, "payload length");
	ASSERT_MEM_EQ(ip6->saddr, 16, local6, 16, "outer source");
	ASSERT_MEM_EQ(ip6->daddr, 16, remote6a, 16, "outer destination");
	ASSERT_EQ(ntohs(udp->dport), G_PORT, "UDP destination port");
	ASSERT_TRUE(ntohs(udp->sport) >= 32768 && ntohs(udp->sport) <= 60999,
	            "UDP source port in 32768..60999");
	ASSERT_EQ(ntohs(udp->len), ntohs(ip6->plen), "UDP length");
	ASSERT_EQ(udp->csum, 0, "UDP checksum 0 (the remote's consent)");
	g6_outer_init(&o);
	o.dmac = got.d;
	o.smac = got.d + 6;
	o.saddr = local6;
	o.daddr = remote6a;
	o.flow = ip6_flow(ip6);
	o.sport = ntohs(udp->sport);
	o.cookie = a->cookie ? g_cookie : NULL;
	build_gue6(&exp, &o, &in);
	ASSERT_MEM_EQ(got.d, got.len, exp.d, exp.len, "GUE datagram over IPv6");
	/* Only an IPv6 skb can leave without a neighbour entry (test_ipv6.h, top). */
	ASSERT_EQ(r.retval, v6inner ? TC_ACT_REDIRECT : TC_ACT_SHOT, "verdict");
	if (v6inner)
		CHECK_DELTAS(&before, {STT_C_TX_FRAMES, 1}, {STT_C_TX_BYTES, in.len},
		             {STT_C_TX_FRAMES6, 1}, {STT_C_TX_GUE_FRAMES, 1},
		             {STT_C_TX_SEGMENTS, 1});
	else
		CHECK_DELTAS(&before, {STT_C_TX_FRAMES, 1}, {STT_C_TX_BYTES, in.len},
		             {STT_C_TX_FRAMES6, 1}, {STT_C_TX_GUE_FRAMES, 1},
		             {DROP(TX_NO_NEIGH), 1});
}

/*
 * An IPv6 remote that did not consent to zero UDP checksums gets no GUE (a BPF program
 * cannot have each GSO segment checksummed): dropped, tx_gue_unsupported, whether by its
 * own entry or by the endpoint's default.
 */
G_TEST(test_g_encap_ipv6_remote)
{
	struct stt_fdb_key fk = {.context = G_CTX};
	struct stt_fdb_val fv;
	struct counters before;
	struct pkt in = {};
	__be32 a;
	struct run r;

	if (!v6_setup(true))
		return;
	a = r6(R6_IDX_A);
	fv = (struct stt_fdb_val){.remote4 = a};
	memcpy(fk.mac, vm_b, 6);
	if (!ASSERT_OK(bpf_map_update_elem(fd_fdb, &fk, &fv, BPF_ANY), "fdb update") ||
	    !g_set_remote(a, STT_ENCAP_GUE, NULL))
		return;
	build_inner(&in, IN_UDP, vm_b, 64, 40000);
	if (!read_counters(&before) || !run_tx(&in, &r))
		return;
	ASSERT_EQ(r.retval, TC_ACT_SHOT, "remote entry: verdict");
	CHECK_DELTAS(&before, {STT_C_TX_FRAMES, 1}, {STT_C_TX_BYTES, in.len}, {STT_C_TX_FRAMES6, 1},
	             {STT_C_TX_GUE_FRAMES, 1}, {DROP(TX_GUE_UNSUPPORTED), 1});
	/* By the endpoint default. */
	if (!ASSERT_OK(bpf_map_delete_elem(fd_remote_cfg(), &a), "remote cfg delete") ||
	    !g_set_cfg(G_PORT, STT_OPT_ENCAP_GUE, 0))
		return;
	if (!read_counters(&before) || !run_tx(&in, &r))
		return;
	ASSERT_EQ(r.retval, TC_ACT_SHOT, "endpoint default: verdict");
	CHECK_DELTAS(&before, {STT_C_TX_FRAMES, 1}, {STT_C_TX_BYTES, in.len}, {STT_C_TX_FRAMES6, 1},
	             {STT_C_TX_GUE_FRAMES, 1}, {DROP(TX_GUE_UNSUPPORTED), 1});
}

/* ------------------------------------------------------------------------------------------ */
/* Receive                                                                                    */

struct g_decap_arg {
	enum inner_kind kind;
	size_t payload;
};

/* A whole GUE frame: XDP delivers it (STT_VPORT_XDP), TC does, byte for byte. */
G_TEST(test_g_decap)
{
	const struct g_decap_arg *a = arg;
	struct pkt inner = {}, dg = {};
	struct counters before;
	struct run r;

	build_inner(&inner, a->kind, vm_a, a->payload, 40000);
	g_datagram(&dg, &inner);
	if (!read_counters(&before) || !run_prog(fd_xdp_rx, &dg, 0, &r))
		return;
	ASSERT_EQ(r.retval, XDP_REDIRECT, "XDP verdict");
	ASSERT_MEM_EQ(r.out, r.len, inner.d, inner.len, "XDP: decapsulated frame");
	CHECK_DELTAS(&before, {STT_C_RX_SEGMENTS, 1}, {STT_C_RX_FRAMES, 1},
	             {STT_C_RX_XDP_FRAMES, 1}, {STT_C_RX_GUE_FRAMES, 1},
	             {STT_C_RX_BYTES, inner.len});

	if (!read_counters(&before) || !run_prog(fd_tc_rx, &dg, 0, &r))
		return;
	ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "TC verdict");
	ASSERT_MEM_EQ(r.out, r.len, inner.d, inner.len, "TC: decapsulated frame");
	CHECK_DELTAS(&before, {STT_C_RX_FRAMES, 1}, {STT_C_RX_GUE_FRAMES, 1},
	             {STT_C_RX_BYTES, inner.len});
}

/* The exact first frame of docs/GUE.md section 2 (Linux 6.1's ARP request), key 4242. */
G_TEST(test_g_decap_linux_frame)
{
	static const uint8_t wire[] = {
	    0x1e, 0x02, 0x2e, 0x9f, 0x13, 0xdc, 0x9a, 0x69, 0xc2, 0xa0, 0xfa, 0xb0, 0x08, 0x00,
	    0x45, 0x00, 0x00, 0x52, 0xcc, 0x9e, 0x40, 0x00, 0x40, 0x11, 0xe1, 0xd4, 0xc6, 0x12,
	    0x00, 0x01, 0xc6, 0x12, 0x00, 0x02, 0x9a, 0x3e, 0x17, 0xc0, 0x00, 0x3e, 0x00, 0x00,
	    0x00, 0x2f, 0x00, 0x00, 0x20, 0x00, 0x65, 0x58, 0x00, 0x00, 0x10, 0x92, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0x32, 0x89, 0x9f, 0xdd, 0x55, 0x63, 0x08, 0x06, 0x00, 0x01,
	    0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x32, 0x89, 0x9f, 0xdd, 0x55, 0x63, 0xc6, 0x12,
	    0x64, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc6, 0x12, 0x64, 0x02,
	};
	struct stt_cfg cfg = {
	    .ifindex = LO_IFINDEX,
	    .local4 = remote4, /* 198.18.0.2: B, the receiver of A's frame */
	    .port = STT_PORT,
	    .ttl = 64,
	    .mtu = MTU,
	    .flags = STT_CFG_XDP,
	    .gue_port = G_PORT,
	};
	struct pkt dg = {};
	struct counters before;
	__u32 zero = 0;
	struct run r;

	pkt_append(&dg, wire, sizeof(wire));
	if (!ASSERT_OK(bpf_map_update_elem(fd_cfg, &zero, &cfg, BPF_ANY), "cfg update") ||
	    !g_bind(4242, STT_VPORT_XDP))
		return;
	if (read_counters(&before) && run_prog(fd_xdp_rx, &dg, 0, &r)) {
		ASSERT_EQ(r.retval, XDP_REDIRECT, "XDP verdict");
		ASSERT_MEM_EQ(r.out, r.len, wire + 54, sizeof(wire) - 54, "XDP: the ARP request");
		CHECK_DELTAS(&before, {STT_C_RX_SEGMENTS, 1}, {STT_C_RX_FRAMES, 1},
		             {STT_C_RX_XDP_FRAMES, 1}, {STT_C_RX_GUE_FRAMES, 1},
		             {STT_C_RX_BYTES, sizeof(wire) - 54});
	}
	if (read_counters(&before) && run_prog(fd_tc_rx, &dg, 0, &r)) {
		ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "TC verdict");
		ASSERT_MEM_EQ(r.out, r.len, wire + 54, sizeof(wire) - 54, "TC: the ARP request");
		CHECK_DELTAS(&before, {STT_C_RX_FRAMES, 1}, {STT_C_RX_GUE_FRAMES, 1},
		             {STT_C_RX_BYTES, sizeof(wire) - 54});
	}
	{
		__u64 c = 4242;

		bpf_map_delete_elem(fd_contexts, &c);
	}
}

/* A vport without STT_VPORT_XDP: XDP passes the datagram to TC unchanged. */
G_TEST(test_g_decap_xdp_noflag)
{
	struct pkt inner = {}, dg = {};
	struct counters before;
	struct run r;

	build_inner(&inner, IN_UDP, vm_a, 64, 40000);
	g_datagram(&dg, &inner);
	if (!g_bind(G_CTX, 0) || !read_counters(&before) || !run_prog(fd_xdp_rx, &dg, 0, &r))
		return;
	ASSERT_EQ(r.retval, XDP_PASS, "XDP verdict");
	ASSERT_MEM_EQ(r.out, r.len, dg.d, dg.len, "XDP: datagram left to TC unchanged");
	CHECK_DELTAS(&before, {STT_C_RX_SEGMENTS, 1});
	if (!read_counters(&before) || !run_prog(fd_tc_rx, &dg, 0, &r))
		return;
	ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "TC verdict");
	ASSERT_MEM_EQ(r.out, r.len, inner.d, inner.len, "TC: decapsulated frame");
	CHECK_DELTAS(&before, {STT_C_RX_FRAMES, 1}, {STT_C_RX_GUE_FRAMES, 1},
	             {STT_C_RX_BYTES, inner.len});
}

/* XDP and TC deliver inner exactly, from dg (the counters of a GUE frame delivered). */
static void g_expect_delivered(const struct pkt *dg, const struct pkt *inner)
{
	int v6 = dg->d[12] == 0x86 && dg->d[13] == 0xdd;
	struct counters before;
	struct run r;

	if (!read_counters(&before) || !run_prog(fd_xdp_rx, dg, 0, &r))
		return;
	ASSERT_EQ(r.retval, XDP_REDIRECT, "XDP verdict");
	ASSERT_MEM_EQ(r.out, r.len, inner->d, inner->len, "XDP: decapsulated frame");
	CHECK_DELTAS(&before, {STT_C_RX_SEGMENTS, 1}, {STT_C_RX_FRAMES, 1},
	             {STT_C_RX_XDP_FRAMES, 1}, {STT_C_RX_GUE_FRAMES, 1},
	             {STT_C_RX_BYTES, inner->len}, {STT_C_RX_FRAMES6, v6});
	if (!read_counters(&before) || !run_prog(fd_tc_rx, dg, 0, &r))
		return;
	ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "TC verdict");
	ASSERT_MEM_EQ(r.out, r.len, inner->d, inner->len, "TC: decapsulated frame");
	CHECK_DELTAS(&before, {STT_C_RX_FRAMES, 1}, {STT_C_RX_GUE_FRAMES, 1},
	             {STT_C_RX_BYTES, inner->len}, {STT_C_RX_FRAMES6, v6});
}

struct g_small_arg {
	size_t n;
	bool cookie;
};

/* The shortest inner frames (TC copies those under 34 bytes to the front), with and
 * without the cookie option in front of them. */
G_TEST(test_g_decap_small)
{
	const struct g_small_arg *a = arg;
	uint8_t opt[G_COOKIE_LEN];
	struct pkt inner = {}, dg = {};
	struct g_outer o;

	put_eth(&inner, vm_a, vm_b, 0x88b5);
	fill_payload(pkt_put(&inner, a->n - ETH_LEN), a->n - ETH_LEN, 0x44);
	g_outer_init(&o);
	if (a->cookie) {
		if (!g_set_remote(remote4, STT_ENCAP_GUE, g_cookie))
			return;
		g_outer_cookie(&o, opt, 0x40000000, g_cookie);
	}
	build_gue(&dg, &o, &inner);
	g_expect_delivered(&dg, &inner);
}

/* GUE to a multicast group this endpoint floods to (stt_groups): delivered; another: not. */
G_TEST(test_g_decap_group)
{
	struct pkt inner = {}, dg = {};
	struct counters before;
	struct g_outer o;
	__u32 one = 1;
	struct run r;

	build_inner(&inner, IN_UDP, bcast, 64, 40000);
	g_outer_init(&o);
	o.dmac = (const uint8_t[]){0x01, 0x00, 0x5e, 0x01, 0x02, 0x03};
	o.daddr = g_group;
	build_gue(&dg, &o, &inner);
	if (!read_counters(&before) || !run_prog(fd_xdp_rx, &dg, 0, &r))
		return;
	ASSERT_EQ(r.retval, XDP_DROP, "not in stt_groups: XDP verdict");
	CHECK_DELTAS(&before, {DROP(NOT_LOCAL), 1});
	if (!ASSERT_OK(bpf_map_update_elem(fd_groups(), &g_group, &one, BPF_ANY), "group add"))
		return;
	g_expect_delivered(&dg, &inner);
}

/* ECN across GUE (RFC 6040), uniform model: as for STT, TC rewrites, XDP leaves it to TC. */
G_TEST(test_g_decap_ecn)
{
	struct pkt inner = {}, dg = {};
	struct counters before;
	struct g_outer o;
	struct run r;

	/* Outer CE, inner ECT(0): delivered with CE, by TC. */
	build_inner(&inner, IN_UDP, vm_a, 64, 40000);
	inner_set_tos(&inner, (10 << 2) | 2);
	g_outer_init(&o);
	o.tos = (10 << 2) | 3;
	build_gue(&dg, &o, &inner);
	if (!read_counters(&before) || !run_prog(fd_xdp_rx, &dg, 0, &r))
		return;
	ASSERT_EQ(r.retval, XDP_PASS, "CE to set: XDP leaves it to TC");
	CHECK_DELTAS(&before, {STT_C_RX_SEGMENTS, 1});
	if (!run_prog(fd_tc_rx, &dg, 0, &r) ||
	    !ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "TC verdict") ||
	    !ASSERT_EQ(r.len, inner.len, "TC: length"))
		return;
	ASSERT_EQ(r.out[ETH_LEN + 1], (10 << 2) | 3, "inner TOS: CE");
	ASSERT_TRUE(ip4_csum_ok((const struct t_ip4 *)(r.out + ETH_LEN)), "inner IPv4 checksum");
	ASSERT_MEM_EQ(r.out + ETH_LEN + 12, r.len - ETH_LEN - 12, inner.d + ETH_LEN + 12,
	              inner.len - ETH_LEN - 12, "rest of the frame");

	/* Outer CE, inner Not-ECT: dropped by both. */
	inner_set_tos(&inner, 10 << 2);
	build_gue(&dg, &o, &inner);
	if (!read_counters(&before))
		return;
	if (run_prog(fd_xdp_rx, &dg, 0, &r))
		ASSERT_EQ(r.retval, XDP_DROP, "CE on Not-ECT: XDP verdict");
	if (run_prog(fd_tc_rx, &dg, 0, &r))
		ASSERT_EQ(r.retval, TC_ACT_SHOT, "CE on Not-ECT: TC verdict");
	CHECK_DELTAS(&before, {STT_C_RX_SEGMENTS, 1}, {DROP(ECN_CE_NOT_ECT), 2});
}

/* The security cookie: a remote configured with one sends it, and it is delivered. */
G_TEST(test_g_decap_cookie)
{
	struct pkt inner = {}, dg = {};
	uint8_t opt[G_COOKIE_LEN];
	struct counters before;
	struct g_outer o;
	struct run r;

	if (!g_set_remote(remote4, STT_ENCAP_GUE, g_cookie))
		return;
	build_inner(&inner, IN_ICMP, vm_a, 56, 0);
	g_outer_init(&o);
	g_outer_cookie(&o, opt, 0x40000000, g_cookie);
	build_gue(&dg, &o, &inner);
	if (!read_counters(&before) || !run_prog(fd_xdp_rx, &dg, 0, &r))
		return;
	ASSERT_EQ(r.retval, XDP_REDIRECT, "XDP verdict");
	ASSERT_MEM_EQ(r.out, r.len, inner.d, inner.len, "XDP: decapsulated frame");
	CHECK_DELTAS(&before, {STT_C_RX_SEGMENTS, 1}, {STT_C_RX_FRAMES, 1},
	             {STT_C_RX_XDP_FRAMES, 1}, {STT_C_RX_GUE_FRAMES, 1},
	             {STT_C_RX_BYTES, inner.len});
	if (!read_counters(&before) || !run_prog(fd_tc_rx, &dg, 0, &r))
		return;
	ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "TC verdict");
	ASSERT_MEM_EQ(r.out, r.len, inner.d, inner.len, "TC: decapsulated frame");
	CHECK_DELTAS(&before, {STT_C_RX_FRAMES, 1}, {STT_C_RX_GUE_FRAMES, 1},
	             {STT_C_RX_BYTES, inner.len});
}

/* What stt_tc_tx sends to a GUE remote decapsulates back to the tenant frame there. */
G_TEST(test_g_roundtrip)
{
	struct stt_cfg cfg = {
	    .ifindex = LO_IFINDEX,
	    .local4 = remote4,
	    .port = STT_PORT,
	    .ttl = 64,
	    .mtu = MTU,
	    .flags = STT_CFG_XDP,
	    .gue_port = G_PORT,
	};
	const bool with_cookie = arg != NULL;
	struct pkt in = {}, dg = {};
	__u32 zero = 0;
	struct run r;

	if (with_cookie && !g_set_remote(remote4, STT_ENCAP_GUE, g_cookie))
		return;
	build_inner(&in, IN_UDP, vm_b, 200, 40000);
	if (!run_tx(&in, &r) || !ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "encap verdict"))
		return;
	memcpy(dg.d, r.out, r.len);
	dg.len = r.len;
	/* Now be the remote endpoint; the sender (local4) is its GUE remote, same cookie. */
	if (!ASSERT_OK(bpf_map_update_elem(fd_cfg, &zero, &cfg, BPF_ANY), "cfg update") ||
	    !g_set_remote(local4, STT_ENCAP_GUE, with_cookie ? g_cookie : NULL))
		return;
	if (run_prog(fd_xdp_rx, &dg, 0, &r)) {
		ASSERT_EQ(r.retval, XDP_REDIRECT, "XDP verdict");
		ASSERT_MEM_EQ(r.out, r.len, in.d, in.len, "XDP: tenant frame");
	}
	if (run_prog(fd_tc_rx, &dg, 0, &r)) {
		ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "TC verdict");
		ASSERT_MEM_EQ(r.out, r.len, in.d, in.len, "TC: tenant frame");
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Receive: malformed, refused, not ours                                                     */

enum g_expect {
	G_DROP,     /* both drop, counted once under the reason, nothing else moves ... */
	G_DROP_SEG, /* ... but XDP counts the segment first (dropped after the parse) */
	G_PASS,     /* not GUE for the parser: both leave it untouched (XDP counts a pass) */
	G_XDP_PASS_TC_DROP, /* XDP leaves it to TC (counts the segment), TC drops it */
};

struct g_case {
	void (*make)(struct pkt *dg);
	enum g_expect e;
	int reason;     /* STT_DROP_* */
	bool gue_off;   /* stt_cfg.gue_port 0 */
	uint8_t opts;   /* stt_cfg.opts */
	bool tc_unsafe; /* TC's test run refuses the packet (shorter than an IPv4 header) */
};

/* Runs dg through XDP and TC with the expectation of c; nothing may be delivered. */
static void g_check(const struct pkt *dg, const struct g_case *c)
{
	struct counters before;
	struct run r;

	if (!read_counters(&before) || !run_prog(fd_xdp_rx, dg, 0, &r))
		return;
	switch (c->e) {
	case G_DROP:
		ASSERT_EQ(r.retval, XDP_DROP, "XDP verdict (drop)");
		CHECK_DELTAS(&before, {STT_C_DROP_BASE + c->reason, 1});
		break;
	case G_DROP_SEG:
		ASSERT_EQ(r.retval, XDP_DROP, "XDP verdict (drop)");
		CHECK_DELTAS(&before, {STT_C_DROP_BASE + c->reason, 1}, {STT_C_RX_SEGMENTS, 1});
		break;
	case G_PASS:
		ASSERT_EQ(r.retval, XDP_PASS, "XDP verdict (not GUE: pass)");
		ASSERT_MEM_EQ(r.out, r.len, dg->d, dg->len, "XDP: unchanged");
		CHECK_DELTAS(&before, {STT_C_PASS, 1});
		break;
	case G_XDP_PASS_TC_DROP:
		ASSERT_EQ(r.retval, XDP_PASS, "XDP verdict (left to TC)");
		ASSERT_MEM_EQ(r.out, r.len, dg->d, dg->len, "XDP: unchanged");
		CHECK_DELTAS(&before, {STT_C_RX_SEGMENTS, 1});
		break;
	}
	if (c->tc_unsafe || !read_counters(&before) || !run_prog(fd_tc_rx, dg, 0, &r))
		return;
	if (c->e == G_PASS) {
		/* TC_ACT_UNSPEC (TCX_NEXT): left to the next program and the stack */
		ASSERT_EQ(r.retval, (__u32)TC_ACT_UNSPEC, "TC verdict (not GUE: next)");
		ASSERT_MEM_EQ(r.out, r.len, dg->d, dg->len, "TC: unchanged");
		CHECK_DELTAS(&before, {0, 0});
	} else {
		ASSERT_EQ(r.retval, TC_ACT_SHOT, "TC verdict (drop)");
		CHECK_DELTAS(&before, {STT_C_DROP_BASE + c->reason, 1});
	}
}

G_TEST(test_g_case)
{
	const struct g_case *c = arg;
	struct pkt dg = {};

	if ((c->gue_off || c->opts) && !g_set_cfg(c->gue_off ? 0 : G_PORT, c->opts, 0))
		return;
	c->make(&dg);
	g_check(&dg, c);
}

/* The inner frame of every malformed case: IPv4/UDP, 64 bytes of payload. */
static void g_inner(struct pkt *inner)
{
	build_inner(inner, IN_UDP, vm_a, 64, 40000);
}

/* A datagram from o's fields with the default inner frame. */
static void g_make(struct pkt *dg, const struct g_outer *o)
{
	struct pkt inner = {};

	g_inner(&inner);
	build_gue(dg, o, &inner);
}

#define G_MAKE(name, ...)                                                                          \
	static void name(struct pkt *dg)                                                           \
	{                                                                                          \
		struct g_outer o;                                                                  \
		uint8_t opt[64] = {0};                                                             \
                                                                                                   \
		(void)opt;                                                                         \
		g_outer_init(&o);                                                                  \
		__VA_ARGS__;                                                                       \
		g_make(dg, &o);                                                                    \
	}

G_MAKE(gm_version1, o.ver_c_hlen = 0x40)
G_MAKE(gm_version2, o.ver_c_hlen = 0x80)
G_MAKE(gm_version3, o.ver_c_hlen = 0xc0)
G_MAKE(gm_control, o.ver_c_hlen = 0x20)
G_MAKE(gm_control_ctype0, o.ver_c_hlen = 0x20; o.proto = 0)
G_MAKE(gm_flags_8000, o.flags = 0x8000)
G_MAKE(gm_flags_0002, o.flags = 0x0002)
G_MAKE(gm_flags_p_and_8000, g_outer_cookie(&o, opt, 0x40000000, g_cookie); o.flags = 0x8001)
G_MAKE(gm_pflag_remcsum, g_outer_cookie(&o, opt, 0x80000000, g_cookie))
G_MAKE(gm_pflag_1, g_outer_cookie(&o, opt, 0x00000001, g_cookie))
G_MAKE(gm_pflag_both, g_outer_cookie(&o, opt, 0xc0000000, g_cookie))
G_MAKE(gm_pflag_0, g_outer_cookie(&o, opt, 0, g_cookie))
/* Linux delivers hlen 1 without flags (docs/GUE.md 3.2 (b)); stt's rule is stricter. */
G_MAKE(gm_hlen1_noflags, memset(opt, 0xde, 4); o.ver_c_hlen = 1; o.opt = opt; o.opt_len = 4)
G_MAKE(gm_p_hlen0, o.flags = 0x0001)
G_MAKE(gm_p_hlen2, g_outer_cookie(&o, opt, 0x40000000, g_cookie); o.ver_c_hlen = 2; o.opt_len = 8)
G_MAKE(gm_p_hlen4, g_outer_cookie(&o, opt, 0x40000000, g_cookie); o.ver_c_hlen = 4; o.opt_len = 16)
G_MAKE(gm_p_hlen1, opt[0] = 0x40; o.flags = 0x0001; o.ver_c_hlen = 1; o.opt = opt; o.opt_len = 4)
G_MAKE(gm_proto4, o.proto = 4)
G_MAKE(gm_proto0, o.proto = 0)
G_MAKE(gm_gre_nokey, o.gre_flags = 0x0000)
G_MAKE(gm_gre_c, o.gre_flags = 0xa000)
G_MAKE(gm_gre_s, o.gre_flags = 0x3000)
G_MAKE(gm_gre_version1, o.gre_flags = 0x2001)
G_MAKE(gm_gre_proto_ip, o.gre_proto = 0x0800)
G_MAKE(gm_unknown_key, o.key = (uint32_t)G_CTX_UNKNOWN)
G_MAKE(gm_key_of_ctx_low32, o.key = (uint32_t)CTX) /* CTX's low 32 bits: not CTX */
G_MAKE(gm_not_local, o.daddr = remote4b)
G_MAKE(gm_other_port, o.dport = G_PORT + 1)
G_MAKE(gm_stt_port_udp, o.dport = STT_PORT)
G_MAKE(gm_valid, o.dport = G_PORT)
G_MAKE(gm_udp_csum, o.udp_csum = true)
G_MAKE(gm_missing_cookie, (void)0)
G_MAKE(gm_cookie, g_outer_cookie(&o, opt, 0x40000000, g_cookie))
G_MAKE(gm_wrong_cookie, g_outer_cookie(&o, opt, 0x40000000, g_cookie_other))
G_MAKE(gm_peer, (void)0)

/* UDP length disagreeing with the IP length, both ways. */
static void gm_udp_len_short(struct pkt *dg)
{
	struct t_udp *udp;

	gm_valid(dg);
	udp = (struct t_udp *)(dg->d + G_UDP_OFF);
	udp->len = htons(ntohs(udp->len) - 1);
}

static void gm_udp_len_long(struct pkt *dg)
{
	struct t_udp *udp;

	gm_valid(dg);
	udp = (struct t_udp *)(dg->d + G_UDP_OFF);
	udp->len = htons(ntohs(udp->len) + 2);
}

/* Ethernet padding after the datagram: IP total length < packet length. */
static void gm_padded(struct pkt *dg)
{
	gm_valid(dg);
	pkt_put(dg, 4);
}

/* IP first fragment (MF) to the GUE port. */
static void gm_fragment(struct pkt *dg)
{
	gm_valid(dg);
	ip_of(dg)->frag = htons(T_IP_MF);
	g_refresh_ip(dg);
}

/* IP options. */
static void gm_ip_options(struct pkt *dg)
{
	struct t_ip4 *ip;

	gm_valid(dg);
	pkt_insert(dg, IP_OFF + 20, 4, 0x01);
	ip = ip_of(dg);
	ip->ver_ihl = 0x46;
	ip->tot_len = htons(ntohs(ip->tot_len) + 4);
	g_refresh_ip(dg);
}

/* Cut to n bytes after the outer Ethernet header, IP and UDP lengths fixed up to say so. */
static void g_cut_fixed(struct pkt *dg, size_t n)
{
	struct t_udp *udp = (struct t_udp *)(dg->d + G_UDP_OFF);

	dg->len = ETH_LEN + n;
	ip_of(dg)->tot_len = htons(n);
	udp->len = htons(n - 20);
	g_refresh_ip(dg);
}

/* The datagram (lengths right) ends 4 bytes into GRE: before the key. */
static void gm_end_in_gre(struct pkt *dg)
{
	gm_valid(dg);
	g_cut_fixed(dg, 20 + 8 + 4 + 4);
}

/* The datagram (lengths right) ends right after the GUE header. */
static void gm_end_after_gue(struct pkt *dg)
{
	gm_valid(dg);
	g_cut_fixed(dg, 20 + 8 + 4);
}

/* With the cookie: ends inside the option. */
static void gm_end_in_cookie(struct pkt *dg)
{
	gm_cookie(dg);
	g_cut_fixed(dg, 20 + 8 + 4 + 6);
}

/* Ends right after GRE: no inner Ethernet header. */
static void gm_end_after_gre(struct pkt *dg)
{
	gm_valid(dg);
	g_cut_fixed(dg, G_OVERHEAD);
}

/* 13 bytes of inner frame. */
static void gm_inner_13(struct pkt *dg)
{
	gm_valid(dg);
	g_cut_fixed(dg, G_OVERHEAD + 13);
}

/* The packet ends inside GRE while IP says the whole datagram is there. */
static void gm_trunc_in_gre(struct pkt *dg)
{
	gm_valid(dg);
	dg->len = G_GRE_OFF + 4;
}

/* The packet ends inside the inner frame while IP says more. */
static void gm_trunc_in_inner(struct pkt *dg)
{
	gm_valid(dg);
	dg->len -= 10;
}

/* UDP to 6080 with only 2 bytes of payload (docs/GUE.md 3.2's last case). */
static void gm_2_bytes(struct pkt *dg)
{
	gm_valid(dg);
	g_cut_fixed(dg, 20 + 8 + 2);
}

/* OAM inside GUE: a well-formed CFM Loopback Message (or Reply) to the reserved MAC. */
static void g_oam(struct pkt *dg, uint8_t opcode)
{
	static const uint8_t oam_mac[6] = STT_OAM_MAC;
	struct pkt inner = {};
	struct g_outer o;
	uint8_t *cfm;

	put_eth(&inner, oam_mac, vm_a, STT_OAM_ETHERTYPE);
	cfm = pkt_put(&inner, 12);
	cfm[0] = 0;      /* MD level 0, version 0 */
	cfm[1] = opcode; /* LBM 3 / LBR 2 */
	cfm[3] = 4;      /* first TLV offset */
	cfm[7] = 1;      /* transaction ID */
	/* cfm[8] End TLV */
	g_outer_init(&o);
	build_gue(dg, &o, &inner);
}

static void gm_oam_lbm(struct pkt *dg)
{
	g_oam(dg, STT_CFM_LBM);
}

static void gm_oam_lbr(struct pkt *dg)
{
	g_oam(dg, STT_CFM_LBR);
}

#define GD(fn, reason)                                                                             \
	{                                                                                          \
		fn, G_DROP, STT_DROP_##reason, false, 0, false                                     \
	}
#define GDS(fn, reason)                                                                            \
	{                                                                                          \
		fn, G_DROP_SEG, STT_DROP_##reason, false, 0, false                                 \
	}

static const struct g_case gc_version1 = GD(gm_version1, GUE_VERSION);
static const struct g_case gc_version2 = GD(gm_version2, GUE_VERSION);
static const struct g_case gc_version3 = GD(gm_version3, GUE_VERSION);
static const struct g_case gc_control = GD(gm_control, GUE_CONTROL);
static const struct g_case gc_control_ctype0 = GD(gm_control_ctype0, GUE_CONTROL);
static const struct g_case gc_flags_8000 = GD(gm_flags_8000, GUE_FLAGS);
static const struct g_case gc_flags_0002 = GD(gm_flags_0002, GUE_FLAGS);
static const struct g_case gc_flags_p_8000 = GD(gm_flags_p_and_8000, GUE_FLAGS);
static const struct g_case gc_pflag_remcsum = GD(gm_pflag_remcsum, GUE_FLAGS);
static const struct g_case gc_pflag_1 = GD(gm_pflag_1, GUE_FLAGS);
static const struct g_case gc_pflag_both = GD(gm_pflag_both, GUE_FLAGS);
static const struct g_case gc_pflag_0 = GD(gm_pflag_0, GUE_FLAGS);
static const struct g_case gc_hlen1 = GD(gm_hlen1_noflags, GUE_HLEN);
static const struct g_case gc_p_hlen0 = GD(gm_p_hlen0, GUE_HLEN);
static const struct g_case gc_p_hlen1 = GD(gm_p_hlen1, GUE_HLEN);
static const struct g_case gc_p_hlen2 = GD(gm_p_hlen2, GUE_HLEN);
static const struct g_case gc_p_hlen4 = GD(gm_p_hlen4, GUE_HLEN);
static const struct g_case gc_proto4 = GD(gm_proto4, GUE_PROTO);
static const struct g_case gc_proto0 = GD(gm_proto0, GUE_PROTO);
static const struct g_case gc_gre_nokey = GD(gm_gre_nokey, GRE_HDR);
static const struct g_case gc_gre_c = GD(gm_gre_c, GRE_HDR);
static const struct g_case gc_gre_s = GD(gm_gre_s, GRE_HDR);
static const struct g_case gc_gre_ver1 = GD(gm_gre_version1, GRE_HDR);
static const struct g_case gc_gre_proto_ip = GD(gm_gre_proto_ip, GRE_HDR);
static const struct g_case gc_unknown_key = GDS(gm_unknown_key, UNKNOWN_CTX);
static const struct g_case gc_key_low32 = GDS(gm_key_of_ctx_low32, UNKNOWN_CTX);
static const struct g_case gc_udp_len_short = GD(gm_udp_len_short, IP_HDR);
static const struct g_case gc_udp_len_long = GD(gm_udp_len_long, IP_HDR);
static const struct g_case gc_padded = GD(gm_padded, IP_HDR);
static const struct g_case gc_fragment = GD(gm_fragment, IP_FRAGMENT);
static const struct g_case gc_ip_options = GD(gm_ip_options, IP_HDR);
static const struct g_case gc_end_in_gre = GD(gm_end_in_gre, TRUNCATED);
static const struct g_case gc_end_after_gue = GD(gm_end_after_gue, TRUNCATED);
static const struct g_case gc_end_in_cookie = GD(gm_end_in_cookie, TRUNCATED);
static const struct g_case gc_end_after_gre = GD(gm_end_after_gre, INNER_SHORT);
static const struct g_case gc_inner_13 = GD(gm_inner_13, INNER_SHORT);
static const struct g_case gc_trunc_in_gre = GD(gm_trunc_in_gre, TRUNCATED);
static const struct g_case gc_trunc_in_inner = GD(gm_trunc_in_inner, TRUNCATED);
static const struct g_case gc_2_bytes = GD(gm_2_bytes, TRUNCATED);
static const struct g_case gc_not_local = GD(gm_not_local, NOT_LOCAL);
static const struct g_case gc_cookie_unexpected = GD(gm_cookie, GUE_COOKIE);
static const struct g_case gc_wrong_cookie_none = GD(gm_wrong_cookie, GUE_COOKIE);
static const struct g_case gc_peer_denied = {gm_peer, G_DROP_SEG,           STT_DROP_PEER_DENIED,
                                             false,   STT_OPT_PEERS_STRICT, false};
static const struct g_case gc_udp_csum = {
    gm_udp_csum, G_XDP_PASS_TC_DROP, STT_DROP_GUE_UDP_CSUM, false, 0, false};
static const struct g_case gc_oam_lbm = {gm_oam_lbm, G_XDP_PASS_TC_DROP, STT_DROP_OAM_BAD, false, 0,
                                         false};
static const struct g_case gc_oam_lbr = {gm_oam_lbr, G_XDP_PASS_TC_DROP, STT_DROP_OAM_BAD, false, 0,
                                         false};
static const struct g_case gc_other_port = {gm_other_port, G_PASS, 0, false, 0, false};
static const struct g_case gc_stt_port_udp = {gm_stt_port_udp, G_PASS, 0, false, 0, false};
static const struct g_case gc_gue_off = {gm_valid, G_PASS, 0, true, 0, false};
static const struct g_case gc_gue_off_malformed = {gm_version3, G_PASS, 0, true, 0, false};

struct g6_rx_arg {
	__u8 flags;    /* the sender's stt_remote_cfg flags (STT_RCFG_*); 0: no entry */
	bool cookie;   /* the datagram carries g_cookie */
	bool udp_csum; /* the datagram's UDP checksum is computed (else 0) */
	bool dstopts;  /* a Destination Options header before UDP */
	bool stranger; /* from an IPv6 address with no remote index */
	bool gue_off;  /* stt_cfg.gue_port 0 */
	int reason;    /* the drop expected (STT_DROP_*), or -1: delivered */
	enum g_expect e;
};

/*
 * GUE over IPv6 on receive (docs/GUE.md section 5): a zero UDP checksum only from a remote
 * that consented to it, a nonzero one only as verified by the stack (TC), no extension
 * header before UDP, the cookie as over IPv4; nothing when GUE is off.
 */
G_TEST(test_g6_rx)
{
	const struct g6_rx_arg *a = arg;
	struct g_case c = {NULL, a->e, a->reason, a->gue_off, 0, false};
	struct pkt inner = {}, dg = {};
	struct g6_outer o;

	if (!v6_setup(true) || (a->gue_off && !g_set_cfg(0, 0, 0)) ||
	    (a->flags && !g_set_remote_flags(r6(R6_IDX_A), STT_ENCAP_GUE, a->flags)))
		return;
	build_inner(&inner, IN_UDP, vm_a, 64, 40000);
	g6_outer_init(&o);
	o.cookie = a->cookie ? g_cookie : NULL;
	o.udp_csum = a->udp_csum;
	o.dstopts = a->dstopts;
	if (a->stranger)
		o.saddr = stranger6;
	build_gue6(&dg, &o, &inner);
	if (a->reason < 0)
		g_expect_delivered(&dg, &inner);
	else
		g_check(&dg, &c);
}

static const struct g6_rx_arg g6r_zero_ok = {
    STT_RCFG_UDP6_ZERO, false, false, false, false, false, -1, G_DROP};
static const struct g6_rx_arg g6r_zero_cookie_ok = {
    STT_RCFG_UDP6_ZERO | STT_RCFG_COOKIE, true, false, false, false, false, -1, G_DROP};
static const struct g6_rx_arg g6r_zero_noentry = {
    0, false, false, false, false, false, STT_DROP_GUE_UDP6_ZERO, G_DROP};
static const struct g6_rx_arg g6r_zero_noconsent = {
    STT_RCFG_COOKIE, true, false, false, false, false, STT_DROP_GUE_UDP6_ZERO, G_DROP};
static const struct g6_rx_arg g6r_zero_stranger = {
    STT_RCFG_UDP6_ZERO, false, false, false, true, false, STT_DROP_GUE_UDP6_ZERO, G_DROP};
static const struct g6_rx_arg g6r_cookie_missing = {STT_RCFG_UDP6_ZERO | STT_RCFG_COOKIE,
                                                    false,
                                                    false,
                                                    false,
                                                    false,
                                                    false,
                                                    STT_DROP_GUE_COOKIE,
                                                    G_DROP};
static const struct g6_rx_arg g6r_csum = {
    0, false, true, false, false, false, STT_DROP_GUE_UDP_CSUM, G_XDP_PASS_TC_DROP};
static const struct g6_rx_arg g6r_dstopts = {STT_RCFG_UDP6_ZERO,  false, false, true, false, false,
                                             STT_DROP_IPV6_OUTER, G_DROP};
static const struct g6_rx_arg g6r_off = {
    STT_RCFG_UDP6_ZERO, false, false, false, false, true, 0, G_PASS};

/* The cookie rules need the remote's configuration: a test each. */
struct g_cookie_arg {
	void (*make)(struct pkt *dg);
	const uint8_t *configured; /* the remote's cookie, or NULL: a GUE remote without one */
	bool entry;                /* else remote4 has no stt_remote_cfg entry at all */
};

G_TEST(test_g_cookie_case)
{
	const struct g_cookie_arg *a = arg;
	struct g_case c = {a->make, G_DROP, STT_DROP_GUE_COOKIE, false, 0, false};
	struct pkt dg = {};

	if (a->entry && !g_set_remote(remote4, STT_ENCAP_GUE, a->configured))
		return;
	if (!a->entry &&
	    !ASSERT_OK(bpf_map_delete_elem(fd_remote_cfg(), &remote4), "remote cfg delete"))
		return;
	a->make(&dg);
	g_check(&dg, &c);
}

static const struct g_cookie_arg gk_unexpected = {gm_cookie, NULL, true};
static const struct g_cookie_arg gk_unexpected_noentry = {gm_cookie, NULL, false};
static const struct g_cookie_arg gk_missing = {gm_missing_cookie, g_cookie, true};
static const struct g_cookie_arg gk_wrong = {gm_wrong_cookie, g_cookie, true};

/* A cookie configured for another remote is not this one's. */
G_TEST(test_g_cookie_other_remote)
{
	struct g_case c = {gm_cookie, G_DROP, STT_DROP_GUE_COOKIE, false, 0, false};
	struct pkt dg = {};

	if (!g_set_remote(remote4b, STT_ENCAP_GUE, g_cookie))
		return;
	gm_cookie(&dg);
	g_check(&dg, &c);
}

/* Strict peers: a peer of the context is delivered, a peer of another context is not. */
G_TEST(test_g_peers)
{
	struct stt_peer_key k = {.context = G_CTX, .remote4 = remote4};
	struct stt_peer_key other = {.context = 0xffffffffULL, .remote4 = remote4};
	struct pkt inner = {}, dg = {};
	struct counters before;
	__u32 one = 1;
	struct run r;

	build_inner(&inner, IN_UDP, vm_a, 64, 40000);
	g_datagram(&dg, &inner);
	if (!g_set_cfg(G_PORT, STT_OPT_PEERS_STRICT, 0) ||
	    !ASSERT_OK(bpf_map_update_elem(fd_peers(), &other, &one, BPF_ANY), "peer add") ||
	    !read_counters(&before))
		return;
	if (run_prog(fd_xdp_rx, &dg, 0, &r))
		ASSERT_EQ(r.retval, XDP_DROP, "not a peer of this context: XDP verdict");
	if (run_prog(fd_tc_rx, &dg, 0, &r))
		ASSERT_EQ(r.retval, TC_ACT_SHOT, "not a peer of this context: TC verdict");
	CHECK_DELTAS(&before, {STT_C_RX_SEGMENTS, 1}, {DROP(PEER_DENIED), 2});

	if (!ASSERT_OK(bpf_map_update_elem(fd_peers(), &k, &one, BPF_ANY), "peer add"))
		return;
	if (run_prog(fd_xdp_rx, &dg, 0, &r)) {
		ASSERT_EQ(r.retval, XDP_REDIRECT, "a peer: XDP verdict");
		ASSERT_MEM_EQ(r.out, r.len, inner.d, inner.len, "a peer: XDP frame");
	}
	if (run_prog(fd_tc_rx, &dg, 0, &r)) {
		ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "a peer: TC verdict");
		ASSERT_MEM_EQ(r.out, r.len, inner.d, inner.len, "a peer: TC frame");
	}
	/* Strict for this context only (vport flag), endpoint open. */
	bpf_map_delete_elem(fd_peers(), &k);
	if (!g_set_cfg(G_PORT, 0, 0) || !g_bind(G_CTX, STT_VPORT_PEERS_STRICT))
		return;
	if (run_prog(fd_tc_rx, &dg, 0, &r))
		ASSERT_EQ(r.retval, TC_ACT_SHOT, "context strict, not a peer: TC verdict");
}

/*
 * A nonzero UDP checksum: XDP cannot verify it and leaves the datagram to TC; TC drops it
 * unless the stack verified it (test_run's skb is CHECKSUM_NONE: nobody did). A correct
 * and a wrong checksum alike.
 */
G_TEST(test_g_udp_csum_wrong)
{
	struct g_case c = {gm_udp_csum, G_XDP_PASS_TC_DROP, STT_DROP_GUE_UDP_CSUM, false, 0, false};
	struct pkt dg = {};
	struct t_udp *udp;

	gm_udp_csum(&dg);
	udp = (struct t_udp *)(dg.d + G_UDP_OFF);
	udp->csum ^= htons(0x0101);
	g_check(&dg, &c);
}

#define GM(name, arg)                                                                              \
	{                                                                                          \
		"gue rx refused: " name, test_g_case, &(arg)                                       \
	}

static const struct g_encap_arg ge_arp_bc = {IN_ARP, bcast, 0, G_BY_REMOTE};
static const struct g_encap_arg ge_arp_uc = {IN_ARP, vm_b, 0, G_BY_REMOTE};
static const struct g_encap_arg ge_icmp_uc = {IN_ICMP, vm_b, 56, G_BY_REMOTE};
static const struct g_encap_arg ge_icmp_bc = {IN_ICMP, bcast, 56, G_BY_REMOTE};
static const struct g_encap_arg ge_udp_uc = {IN_UDP, vm_b, 64, G_BY_REMOTE};
static const struct g_encap_arg ge_tcp_odd = {IN_TCP, vm_b, 333, G_BY_REMOTE};
static const struct g_encap_arg ge_udp_default = {IN_UDP, vm_b, 64, G_BY_DEFAULT};
static const struct g_encap_arg ge_arp_default = {IN_ARP, bcast, 0, G_BY_DEFAULT};
static const struct g_encap_arg ge_icmp_cookie = {IN_ICMP, vm_b, 56, G_BY_COOKIE};
static const struct g_encap_arg ge_arp_cookie = {IN_ARP, bcast, 0, G_BY_COOKIE};
static const struct g6_encap_arg g6e_ipv6 = {V6I_IPV6, false};
static const struct g6_encap_arg g6e_bcast = {V6I_UDP_BC, false};
static const struct g6_encap_arg g6e_cookie = {V6I_IPV6, true};
static const struct g_decap_arg gd_udp = {IN_UDP, 64};
static const struct g_decap_arg gd_icmp = {IN_ICMP, 56};
static const struct g_decap_arg gd_tcp = {IN_TCP, 100};
static const struct g_decap_arg gd_arp = {IN_ARP, 0};
static const struct g_decap_arg gd_big = {IN_TCP, MTU - G_OVERHEAD - 54};
static const int g_with_cookie = 1;
static const struct g_small_arg gs_14 = {14, false}, gs_33 = {33, false}, gs_34 = {34, false};
static const struct g_small_arg gs_14c = {14, true}, gs_33c = {33, true};

#define GUE_TESTS                                                                                  \
	{"gue tx encap: ARP request, broadcast (flood), remote entry", test_g_encap, &ge_arp_bc},  \
	    {"gue tx encap: ARP reply, unicast (fdb)", test_g_encap, &ge_arp_uc},                  \
	    {"gue tx encap: ICMP echo, unicast (fdb)", test_g_encap, &ge_icmp_uc},                 \
	    {"gue tx encap: ICMP echo, broadcast (flood)", test_g_encap, &ge_icmp_bc},             \
	    {"gue tx encap: IPv4/UDP, unicast", test_g_encap, &ge_udp_uc},                         \
	    {"gue tx encap: IPv4/TCP, odd length, unicast", test_g_encap, &ge_tcp_odd},            \
	    {"gue tx encap: IPv4/UDP, endpoint default (STT_OPT_ENCAP_GUE)", test_g_encap,         \
	     &ge_udp_default},                                                                     \
	    {"gue tx encap: ARP broadcast, endpoint default", test_g_encap, &ge_arp_default},      \
	    {"gue tx encap: ICMP echo with the security cookie", test_g_encap, &ge_icmp_cookie},   \
	    {"gue tx encap: ARP broadcast with the security cookie", test_g_encap,                 \
	     &ge_arp_cookie},                                                                      \
	    {"gue tx encap: GRE key = context 0, 2^32-1, 1, 2^31", test_g_encap_keys, NULL},       \
	    {"gue tx encap: source port per flow", test_g_encap_sport, NULL},                      \
	    {"gue tx encap: remote entry STT wins over the GUE default",                           \
	     test_g_encap_stt_override, NULL},                                                     \
	    {"gue tx drop: context >= 2^32 to a GUE remote (tx_gue_context)",                      \
	     test_g_encap_context_too_big, NULL},                                                  \
	    {"gue tx drop: gue_port 0 with a GUE remote (tx_gue_unsupported)",                     \
	     test_g_encap_gue_off, NULL},                                                          \
	    {"gue tx: outer IP = MTU goes, MTU + 1 dropped (tx_too_big)", test_g_encap_mtu, NULL}, \
	    {"gue tx: flood to a GUE and an STT remote", test_g_encap_flood_mixed, NULL},          \
	    {"gue tx tos: uniform and pipe model", test_g_encap_tos, NULL},                        \
	    {"gue tx drop: IPv6 remote without zero-checksum consent (tx_gue_unsupported)",        \
	     test_g_encap_ipv6_remote, NULL},                                                      \
	    {"gue6 tx encap: IPv6 tenant frame to a consenting IPv6 remote", test_g6_encap,        \
	     &g6e_ipv6},                                                                           \
	    {"gue6 tx encap: broadcast flooded to a consenting IPv6 remote", test_g6_encap,        \
	     &g6e_bcast},                                                                          \
	    {"gue6 tx encap: with the security cookie", test_g6_encap, &g6e_cookie},               \
	    {"gue tx: 802.1Q-tagged frame from a plain vport keeps its tag",                       \
	     test_g_encap_vlan_tagged, NULL},                                                      \
	    {"gue rx decap: IPv4/UDP (XDP and TC)", test_g_decap, &gd_udp},                        \
	    {"gue rx decap: ICMP (XDP and TC)", test_g_decap, &gd_icmp},                           \
	    {"gue rx decap: IPv4/TCP (XDP and TC)", test_g_decap, &gd_tcp},                        \
	    {"gue rx decap: ARP (XDP and TC)", test_g_decap, &gd_arp},                             \
	    {"gue rx decap: 1446-byte inner frame (XDP and TC)", test_g_decap, &gd_big},           \
	    {"gue rx decap: Linux 6.1's frame of docs/GUE.md, key 4242", test_g_decap_linux_frame, \
	     NULL},                                                                                \
	    {"gue rx: no STT_VPORT_XDP: XDP passes to TC, TC decapsulates",                        \
	     test_g_decap_xdp_noflag, NULL},                                                       \
	    {"gue rx decap: with the right security cookie", test_g_decap_cookie, NULL},           \
	    {"gue rx decap: 14-byte inner frame", test_g_decap_small, &gs_14},                     \
	    {"gue rx decap: 33-byte inner frame", test_g_decap_small, &gs_33},                     \
	    {"gue rx decap: 34-byte inner frame", test_g_decap_small, &gs_34},                     \
	    {"gue rx decap: 14-byte inner frame behind the cookie", test_g_decap_small, &gs_14c},  \
	    {"gue rx decap: 33-byte inner frame behind the cookie", test_g_decap_small, &gs_33c},  \
	    {"gue rx decap: to a multicast group in stt_groups; not in it: not_local",             \
	     test_g_decap_group, NULL},                                                            \
	    {"gue rx ecn: outer CE sets inner CE (TC), CE on Not-ECT dropped", test_g_decap_ecn,   \
	     NULL},                                                                                \
	    {"gue6 rx: zero checksum from a consenting remote (XDP and TC)", test_g6_rx,           \
	     &g6r_zero_ok},                                                                        \
	    {"gue6 rx: zero checksum and the cookie from a consenting remote", test_g6_rx,         \
	     &g6r_zero_cookie_ok},                                                                 \
	    {"gue6 rx: zero checksum, sender without an entry: gue_udp6_zero_csum", test_g6_rx,    \
	     &g6r_zero_noentry},                                                                   \
	    {"gue6 rx: zero checksum, sender without consent: gue_udp6_zero_csum", test_g6_rx,     \
	     &g6r_zero_noconsent},                                                                 \
	    {"gue6 rx: zero checksum from an unindexed address: gue_udp6_zero_csum", test_g6_rx,   \
	     &g6r_zero_stranger},                                                                  \
	    {"gue6 rx: consenting remote without its cookie: gue_cookie", test_g6_rx,              \
	     &g6r_cookie_missing},                                                                 \
	    {"gue6 rx: nonzero checksum: XDP passes, TC gue_udp_csum (unverified)", test_g6_rx,    \
	     &g6r_csum},                                                                           \
	    {"gue6 rx: Destination Options before UDP to 6080: ipv6_outer", test_g6_rx,            \
	     &g6r_dstopts},                                                                        \
	    {"gue6 rx: gue_port 0: UDP to 6080 over IPv6 passes untouched", test_g6_rx, &g6r_off}, \
	    {"gue round trip: tx output decapsulates to the tenant frame", test_g_roundtrip,       \
	     NULL},                                                                                \
	    {"gue round trip: with the security cookie", test_g_roundtrip, &g_with_cookie},        \
	    GM("version 1: gue_bad_version", gc_version1),                                         \
	    GM("version 2: gue_bad_version", gc_version2),                                         \
	    GM("version 3: gue_bad_version", gc_version3), GM("C bit: gue_control", gc_control),   \
	    GM("C bit, ctype 0: gue_control", gc_control_ctype0),                                  \
	    GM("flags 0x8000: gue_bad_flags", gc_flags_8000),                                      \
	    GM("flags 0x0002: gue_bad_flags", gc_flags_0002),                                      \
	    GM("flags P|0x8000 with the cookie option: gue_bad_flags", gc_flags_p_8000),           \
	    GM("P, private flag 0x80000000 (REMCSUM): gue_bad_flags", gc_pflag_remcsum),           \
	    GM("P, private flag 0x00000001: gue_bad_flags", gc_pflag_1),                           \
	    GM("P, private flags 0xc0000000: gue_bad_flags", gc_pflag_both),                       \
	    GM("P, private flags 0: gue_bad_flags", gc_pflag_0),                                   \
	    GM("no flags, hlen 1: gue_bad_hlen", gc_hlen1),                                        \
	    GM("P, hlen 0: gue_bad_hlen", gc_p_hlen0), GM("P, hlen 1: gue_bad_hlen", gc_p_hlen1),  \
	    GM("P, hlen 2: gue_bad_hlen", gc_p_hlen2), GM("P, hlen 4: gue_bad_hlen", gc_p_hlen4),  \
	    GM("proto_ctype 4: gue_bad_proto", gc_proto4),                                         \
	    GM("proto_ctype 0: gue_bad_proto", gc_proto0),                                         \
	    GM("GRE without K: gre_bad_header", gc_gre_nokey),                                     \
	    GM("GRE with C: gre_bad_header", gc_gre_c),                                            \
	    GM("GRE with S: gre_bad_header", gc_gre_s),                                            \
	    GM("GRE version 1: gre_bad_header", gc_gre_ver1),                                      \
	    GM("GRE protocol 0x0800: gre_bad_header", gc_gre_proto_ip),                            \
	    GM("unknown key: unknown_context", gc_unknown_key),                                    \
	    GM("key = low 32 bits of a bound 64-bit context: unknown_context", gc_key_low32),      \
	    GM("UDP length 1 short of IP's: ip_header", gc_udp_len_short),                         \
	    GM("UDP length 2 over IP's: ip_header", gc_udp_len_long),                              \
	    GM("Ethernet padding after the datagram: ip_header", gc_padded),                       \
	    GM("first IP fragment (MF) to the GUE port: ip_fragment", gc_fragment),                \
	    GM("IP options: ip_header", gc_ip_options),                                            \
	    GM("datagram ends after the GUE header: truncated", gc_end_after_gue),                 \
	    GM("datagram ends inside the cookie option: truncated", gc_end_in_cookie),             \
	    GM("datagram ends inside GRE: truncated", gc_end_in_gre),                              \
	    GM("datagram ends after GRE: inner_short", gc_end_after_gre),                          \
	    GM("13-byte inner frame: inner_short", gc_inner_13),                                   \
	    GM("packet ends inside GRE, IP length says more: truncated", gc_trunc_in_gre),         \
	    GM("packet ends inside the inner frame, IP length says more: truncated",               \
	       gc_trunc_in_inner),                                                                 \
	    GM("2 bytes of UDP payload: truncated", gc_2_bytes),                                   \
	    GM("not addressed to the endpoint: not_local", gc_not_local),                          \
	    GM("cookie from a remote without one: gue_cookie", gc_cookie_unexpected),              \
	    GM("wrong cookie from a remote without one: gue_cookie", gc_wrong_cookie_none),        \
	    GM("strict peers, not a peer: peer_denied", gc_peer_denied),                           \
	    GM("nonzero (correct) UDP checksum: XDP passes, TC gue_udp_csum", gc_udp_csum),        \
	    GM("OAM loopback message inside GUE: XDP passes, TC oam_bad", gc_oam_lbm),             \
	    GM("OAM loopback reply inside GUE: XDP passes, TC oam_bad", gc_oam_lbr),               \
	    GM("UDP to port 6081: pass", gc_other_port),                                           \
	    GM("UDP to the STT port: pass", gc_stt_port_udp),                                      \
	    GM("gue_port 0: UDP to 6080 passes untouched", gc_gue_off),                            \
	    GM("gue_port 0: malformed GUE to 6080 passes untouched", gc_gue_off_malformed),        \
	    {"gue rx refused: nonzero wrong UDP checksum: XDP passes, TC gue_udp_csum",            \
	     test_g_udp_csum_wrong, NULL},                                                         \
	    {"gue rx refused: cookie from a GUE remote configured without one: gue_cookie",        \
	     test_g_cookie_case, &gk_unexpected},                                                  \
	    {"gue rx refused: cookie from a remote with no stt_remote_cfg entry: gue_cookie",      \
	     test_g_cookie_case, &gk_unexpected_noentry},                                          \
	    {"gue rx refused: no cookie from a remote configured with one: gue_cookie",            \
	     test_g_cookie_case, &gk_missing},                                                     \
	    {"gue rx refused: wrong cookie: gue_cookie", test_g_cookie_case, &gk_wrong},           \
	    {"gue rx refused: cookie configured for another remote only: gue_cookie",              \
	     test_g_cookie_other_remote, NULL},                                                    \
	{                                                                                          \
		"gue rx peers: strict, endpoint-wide and per context", test_g_peers, NULL          \
	}

#endif /* STT_TEST_GUE_H */

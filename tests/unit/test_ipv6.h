/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Unit tests of STT over an IPv6 underlay (draft-davie-stt-03 section 3.3): transmit to an
 * IPv6 remote (index form, include/stt_maps.h "IPv6 underlay"), flood lists and families,
 * receive in XDP and TC, strict peers, learning, ICMPv6 packet too big, OAM. Included by
 * test_datapath.c after test_hostile.h (it uses that file's fixture, builders and h_check());
 * its tests are listed by IPV6_TESTS in that file's table.
 *
 * The IPv6 header, its pseudo header and every checksum are built and checked here, from
 * the test's own wire struct, not with the datapath's code. reset_maps() leaves the endpoint
 * without an IPv6 address and without IPv6 remotes; v6_setup() gives it both.
 *
 * Transmit in the test's network namespace: the AF_INET6 FIB lookup fails (no route, IPv6
 * forwarding off), so the datapath has no next hop. It then sends the last copy with
 * bpf_redirect_neigh() when the skb is IPv6 (an IPv6 tenant frame: TC_ACT_REDIRECT), and
 * drops it as tx_no_neigh otherwise (IPv4 and ARP tenant frames: TC_ACT_SHOT) -- after
 * writing the outer headers, which the tests check either way.
 */
#ifndef STT_TEST_IPV6_H
#define STT_TEST_IPV6_H

struct t_ip6 {
	uint8_t vtf[4]; /* version(4) traffic class(8) flow label(20) */
	uint16_t plen;
	uint8_t nh;
	uint8_t hlim;
	uint8_t saddr[16];
	uint8_t daddr[16];
} __attribute__((packed));

_Static_assert(sizeof(struct t_ip6) == 40, "ipv6");

#define IP6_OFF	   ETH_LEN
#define TCP6_OFF   (IP6_OFF + 40)	  /* 54 */
#define STT6_OFF   (TCP6_OFF + 20)	  /* 74 */
#define INNER6_OFF (STT6_OFF + 18)	  /* 92: outer eth + ipv6 + tcp + stt */
#define OVERHEAD6  (INNER6_OFF - ETH_LEN) /* 78: what counts against the MTU */

/* Remote indexes (stt_remotes6) the tests use: all below T_REMOTES6_USED (reset_maps6). */
#define R6_IDX_A     1	  /* 2001:db8:5::2 */
#define R6_IDX_B     2	  /* 2001:db8:5::3 */
#define R6_IDX_GROUP 3	  /* ff05::5:1, a multicast group */
#define R6_IDX_EMPTY 5	  /* no address behind it */
#define R6_IDX_HUGE  5000 /* past the end of stt_remotes6 */
_Static_assert(R6_IDX_EMPTY < T_REMOTES6_USED, "reset_maps6 zeroes the indexes used");

static uint8_t local6[16], remote6a[16], remote6b[16], stranger6[16], other6[16], router6[16],
    group6[16];

static void addr6(uint8_t a[16], uint8_t last)
{
	static const uint8_t pfx[16] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x05}; /* 2001:db8:5:: */

	memcpy(a, pfx, 16);
	a[15] = last;
}

static void v6_addrs(void)
{
	addr6(local6, 1);
	addr6(remote6a, 2);
	addr6(remote6b, 3);
	addr6(stranger6, 0x99); /* a sender with no index */
	addr6(other6, 0x77);	/* an address that is not this endpoint's */
	addr6(router6, 0xfe);
	memset(group6, 0, 16);
	group6[0] = 0xff, group6[1] = 0x05, group6[13] = 0x05, group6[15] = 0x01;
}

static __be32 r6(__u32 idx)
{
	return stt_remote6_make(idx);
}

/* ------------------------------------------------------------------------------------------ */
/* Map setup                                                                                  */

static bool v6_set_cfg6(bool with_local)
{
	struct stt_cfg6 c6 = {};
	__u32 zero = 0;

	if (with_local) {
		memcpy(&c6.local6, local6, 16);
		c6.flags = STT_CFG6_LOCAL;
	}
	return ASSERT_OK(bpf_map_update_elem(fd_cfg6, &zero, &c6, BPF_ANY), "stt_cfg6 update");
}

static bool v6_add_remote(__u32 idx, const uint8_t addr[16])
{
	struct stt_addr6 a;
	__be32 r = r6(idx);

	memcpy(&a, addr, 16);
	return ASSERT_OK(bpf_map_update_elem(fd_remotes6, &idx, &a, BPF_ANY), "stt_remotes6") &&
	       ASSERT_OK(bpf_map_update_elem(fd_remote6_ids, &a, &r, BPF_ANY), "stt_remote6_ids");
}

static bool v6_set_fdb(const uint8_t *mac, __be32 remote)
{
	struct stt_fdb_key fk = {.context = CTX};
	struct stt_fdb_val fv = {.remote4 = remote};

	memcpy(fk.mac, mac, 6);
	return ASSERT_OK(bpf_map_update_elem(fd_fdb, &fk, &fv, BPF_ANY), "fdb update");
}

static bool v6_set_flood(int n, const __be32 *remotes)
{
	struct stt_flood_val fl = {.count = n};
	__u64 ctx = CTX;

	for (int i = 0; i < n; i++)
		fl.remote4[i] = remotes[i];
	return ASSERT_OK(bpf_map_update_elem(fd_flood, &ctx, &fl, BPF_ANY), "flood update");
}

/*
 * An IPv6 endpoint (local6, or no IPv6 address), remotes A and B indexed, vm_b behind A in
 * the FDB and the context flooding to A alone.
 */
static bool v6_setup(bool with_local)
{
	__be32 a = r6(R6_IDX_A);

	v6_addrs();
	return v6_set_cfg6(with_local) && v6_add_remote(R6_IDX_A, remote6a) &&
	       v6_add_remote(R6_IDX_B, remote6b) && v6_set_fdb(vm_b, a) && v6_set_flood(1, &a);
}

/* The transmit tests read outer MACs and verdicts that only the private namespace fixes. */
static bool v6_need_netns(void)
{
	if (private_netns)
		return true;
	test_skip("needs a private network namespace (FIB results depend on the host)");
	return false;
}

/* ------------------------------------------------------------------------------------------ */
/* Packets                                                                                    */

/* IPv6 pseudo header (RFC 8200 8.1): addresses, 32-bit upper-layer length, next header. */
static uint64_t pseudo6(const uint8_t *saddr, const uint8_t *daddr, uint8_t nh, size_t len)
{
	return sum16(saddr, 16, 0) + sum16(daddr, 16, 0) + (len >> 16) + (len & 0xffff) + nh;
}

static bool l4_csum6_ok(const struct t_ip6 *ip, const void *l4, size_t len)
{
	return fold16(sum16(l4, len, pseudo6(ip->saddr, ip->daddr, ip->nh, len))) == 0xffff;
}

static void l4_set_csum6(const struct t_ip6 *ip, void *l4, size_t len, size_t csum_off)
{
	uint16_t *c = (uint16_t *)((uint8_t *)l4 + csum_off), v;

	*c = 0;
	v = ~fold16(sum16(l4, len, pseudo6(ip->saddr, ip->daddr, ip->nh, len))) & 0xffff;
	*c = htons(v);
}

static struct t_ip6 *put_ip6(struct pkt *p, const uint8_t *saddr, const uint8_t *daddr,
			     uint8_t nh, size_t plen, uint8_t tc, uint32_t flow, uint8_t hlim)
{
	struct t_ip6 *ip = pkt_put(p, sizeof(*ip));

	ip->vtf[0] = 0x60 | (tc >> 4);
	ip->vtf[1] = (uint8_t)(tc << 4) | ((flow >> 16) & 0x0f);
	ip->vtf[2] = (uint8_t)(flow >> 8);
	ip->vtf[3] = (uint8_t)flow;
	ip->plen = htons(plen);
	ip->nh = nh;
	ip->hlim = hlim;
	memcpy(ip->saddr, saddr, 16);
	memcpy(ip->daddr, daddr, 16);
	return ip;
}

static uint8_t ip6_tc(const struct t_ip6 *ip)
{
	return (uint8_t)(ip->vtf[0] << 4) | (ip->vtf[1] >> 4);
}

static uint32_t ip6_flow(const struct t_ip6 *ip)
{
	return (uint32_t)(ip->vtf[1] & 0x0f) << 16 | (uint32_t)ip->vtf[2] << 8 | ip->vtf[3];
}

static struct t_ip6 *ip6_of(struct pkt *p)
{
	return (struct t_ip6 *)(p->d + IP6_OFF);
}

static struct t_tcp *tcp6_of(struct pkt *p)
{
	return (struct t_tcp *)(p->d + TCP6_OFF);
}

/* Outer headers of one STT segment over IPv6. */
struct outer6 {
	const uint8_t *dmac, *smac;
	const uint8_t *saddr, *daddr;
	uint8_t tc, hlim;
	uint32_t flow;
	uint16_t sport, dport;
	uint32_t seq, ack;   /* host order */
	uint8_t tcp_flags;   /* 0: ACK | PSH */
	uint8_t stt_flags;
	uint8_t l4_off;
	uint64_t context;
};

/* STT segment over IPv6 carrying bytes [0, n) of stt_payload (STT header + inner frame). */
static void build_stt6_raw(struct pkt *p, const struct outer6 *o, const uint8_t *payload,
			   size_t n)
{
	size_t l4 = sizeof(struct t_tcp) + n;
	struct t_ip6 *ip;
	struct t_tcp *tcp;

	p->len = 0;
	put_eth(p, o->dmac, o->smac, 0x86dd);
	ip = put_ip6(p, o->saddr, o->daddr, 6, l4, o->tc, o->flow, o->hlim);
	tcp = pkt_put(p, sizeof(*tcp));
	tcp->sport = htons(o->sport);
	tcp->dport = htons(o->dport);
	tcp->seq = htonl(o->seq);
	tcp->ack = htonl(o->ack);
	tcp->doff = 5 << 4;
	tcp->flags = o->tcp_flags ? o->tcp_flags : T_TCP_ACK | T_TCP_PSH;
	pkt_append(p, payload, n);
	l4_set_csum6(ip, tcp, l4, offsetof(struct t_tcp, csum));
}

static void build_stt6(struct pkt *p, const struct outer6 *o, const struct pkt *inner)
{
	struct pkt pl = {};
	struct t_stt *stt = pkt_put(&pl, sizeof(*stt));

	stt->version = 0;
	stt->flags = o->stt_flags;
	stt->l4_offset = o->l4_off;
	stt->context = htobe64(o->context);
	pkt_append(&pl, inner->d, inner->len);
	build_stt6_raw(p, o, pl.d, pl.len);
}

/* A whole single-segment frame from saddr to daddr (local6 unless said otherwise). */
static void build_segment6_to(struct pkt *p, const struct pkt *inner, uint8_t stt_flags,
			      const uint8_t *saddr, const uint8_t *daddr)
{
	struct outer6 o = {
	    .dmac = ul_local,
	    .smac = ul_remote,
	    .saddr = saddr,
	    .daddr = daddr,
	    .tc = 0,
	    .hlim = 64,
	    .flow = 0x12345,
	    .sport = 51234,
	    .dport = STT_PORT,
	    .seq = STT_SEQ(18 + inner->len, 0),
	    .ack = 0x01000005,
	    .stt_flags = stt_flags,
	    .context = CTX,
	};

	build_stt6(p, &o, inner);
}

static void build_segment6(struct pkt *p, const struct pkt *inner, uint8_t stt_flags,
			   const uint8_t *saddr)
{
	build_segment6_to(p, inner, stt_flags, saddr, local6);
}

/* Recompute the outer TCP checksum of a (mutated) segment where it is whole. */
static void stt6_refresh_csum(struct pkt *p)
{
	struct t_ip6 *ip = ip6_of(p);
	size_t plen = ntohs(ip->plen);

	if (ip->nh == 6 && plen + TCP6_OFF == p->len && plen >= sizeof(struct t_tcp))
		l4_set_csum6(ip, p->d + TCP6_OFF, plen, offsetof(struct t_tcp, csum));
}

/* ------------------------------------------------------------------------------------------ */
/* Transmit                                                                                   */

/*
 * Checks one stt_tc_tx output for an IPv6 remote against an independently built packet:
 * own checks of every outer field first, then the whole packet. *flow and *sport return what
 * the datapath chose (copied into the expectation after their checks).
 */
static bool check_encap6(const struct pkt *inner, const struct run *r, const uint8_t *daddr,
			 uint8_t stt_flags, uint8_t tc, uint8_t hlim, uint32_t *flow,
			 uint16_t *sport)
{
	struct pkt got = {}, exp = {};
	const struct t_eth *eth;
	struct t_ip6 *ip;
	struct t_tcp *tcp;
	struct t_stt *stt;
	struct outer6 o;
	bool ok = true;

	if (!ASSERT_EQ(r->len, inner->len + INNER6_OFF, "output length (inner + 92)"))
		return false;
	memcpy(got.d, r->out, r->len);
	got.len = r->len;
	eth = (const struct t_eth *)got.d;
	ip = ip6_of(&got);
	tcp = tcp6_of(&got);
	stt = (struct t_stt *)(got.d + STT6_OFF);

	ok &= ASSERT_EQ(ntohs(eth->proto), 0x86dd, "outer EtherType");
	ok &= ASSERT_EQ(ip->vtf[0] >> 4, 6, "IPv6 version");
	ok &= ASSERT_EQ(ip6_tc(ip), tc, "traffic class");
	ok &= ASSERT_NEQ(ip6_flow(ip), 0, "flow label");
	ok &= ASSERT_EQ(ntohs(ip->plen), 20 + 18 + inner->len, "payload length");
	ok &= ASSERT_EQ(ip->nh, 6, "next header");
	ok &= ASSERT_EQ(ip->hlim, hlim, "hop limit");
	ok &= ASSERT_MEM_EQ(ip->saddr, 16, local6, 16, "source address = local6");
	ok &= ASSERT_MEM_EQ(ip->daddr, 16, daddr, 16, "destination address = the remote's");
	ok &= ASSERT_EQ(ntohs(tcp->dport), STT_PORT, "TCP destination port");
	ok &= ASSERT_TRUE(ntohs(tcp->sport) >= 49152, "source port in 49152..65535");
	ok &= ASSERT_EQ(ntohl(tcp->seq), (uint32_t)(18 + inner->len) << 16, "SEQ = frame length << 16");
	ok &= ASSERT_EQ(tcp->doff, 5 << 4, "TCP data offset");
	ok &= ASSERT_EQ(tcp->flags, T_TCP_ACK | T_TCP_PSH, "TCP flags");
	ok &= ASSERT_TRUE(l4_csum6_ok(ip, tcp, got.len - TCP6_OFF),
			  "outer TCP checksum over the IPv6 pseudo header (own check)");
	ok &= ASSERT_EQ(stt->version, 0, "STT version");
	ok &= ASSERT_EQ(stt->flags, stt_flags, "STT flags");
	ok &= ASSERT_EQ(be64toh(stt->context), CTX, "STT context");
	ok &= ASSERT_MEM_EQ(got.d + INNER6_OFF, got.len - INNER6_OFF, inner->d, inner->len,
			    "inner frame");
	if (private_netns) {
		ok &= ASSERT_MEM_EQ(eth->dst, 6, zero_mac, 6, "outer dst MAC (FIB lookup fails)");
		ok &= ASSERT_MEM_EQ(eth->src, 6, zero_mac, 6, "outer src MAC (FIB lookup fails)");
	}
	*flow = ip6_flow(ip);
	*sport = ntohs(tcp->sport);

	o = (struct outer6){
	    .dmac = eth->dst,
	    .smac = eth->src,
	    .saddr = local6,
	    .daddr = daddr,
	    .tc = tc,
	    .hlim = hlim,
	    .flow = *flow,   /* flow hash: copied after the check */
	    .sport = *sport, /* flow hash: copied after the check */
	    .dport = STT_PORT,
	    .seq = (uint32_t)(18 + inner->len) << 16,
	    .ack = ntohl(tcp->ack), /* per-CPU frame ID */
	    .stt_flags = stt_flags,
	    .context = CTX,
	};
	build_stt6(&exp, &o, inner);
	ok &= ASSERT_MEM_EQ(got.d, got.len, exp.d, exp.len, "encapsulated packet");
	return ok;
}

static bool is_ipv6_frame(const struct pkt *in)
{
	return in->d[12] == 0x86 && in->d[13] == 0xdd;
}

/*
 * Verdict and counters of one frame sent to an IPv6 remote in the test's namespace (see the
 * top): an IPv6 tenant frame leaves by bpf_redirect_neigh, any other is dropped as
 * tx_no_neigh after its headers were written.
 */
static bool check_tx6_sent(const struct counters *before, const struct pkt *in,
			   const struct run *r, bool flood)
{
	bool ok;

	if (is_ipv6_frame(in)) {
		ok = ASSERT_EQ(r->retval, TC_ACT_REDIRECT, "verdict (IPv6 tenant frame: redirect_neigh)");
		return ok & CHECK_DELTAS(before, {STT_C_TX_FRAMES, 1}, {STT_C_TX_BYTES, in->len},
					 {STT_C_TX_FRAMES6, 1}, {STT_C_TX_SEGMENTS, 1},
					 {STT_C_TX_FLOOD_COPIES, flood ? 1 : 0});
	}
	ok = ASSERT_EQ(r->retval, TC_ACT_SHOT, "verdict (no next hop, not an IPv6 skb)");
	return ok & CHECK_DELTAS(before, {STT_C_TX_FRAMES, 1}, {STT_C_TX_BYTES, in->len},
				 {STT_C_TX_FRAMES6, 1}, {DROP(TX_NO_NEIGH), 1});
}

enum v6_inner { V6I_TCP, V6I_ARP, V6I_IPV6, V6I_UDP_BC };

struct v6_encap_arg {
	enum v6_inner kind;
	uint8_t tos; /* inner TOS / traffic class */
};

static void v6_build_inner(struct pkt *in, enum v6_inner kind, uint8_t tos, size_t payload,
			   uint16_t sport)
{
	switch (kind) {
	case V6I_TCP:
		build_inner(in, IN_TCP, vm_b, payload, sport);
		inner_set_tos(in, tos);
		/* inner_set_tos fixed the IP checksum; the TCP checksum does not cover the TOS */
		break;
	case V6I_ARP:
		build_inner(in, IN_ARP, vm_b, 0, 0);
		break;
	case V6I_IPV6:
		build_inner6(in, tos, payload); /* to vm_b */
		in->d[ETH_LEN + 40 + 1] = (uint8_t)sport; /* the UDP source port's low byte */
		break;
	case V6I_UDP_BC:
		build_inner(in, IN_UDP, bcast, payload, sport);
		inner_set_tos(in, tos);
		break;
	}
}

static uint8_t v6_stt_flags(enum v6_inner kind)
{
	switch (kind) {
	case V6I_TCP:
		return STT_F_IPV4 | STT_F_TCP;
	case V6I_UDP_BC:
		return STT_F_IPV4;
	default:
		return 0;
	}
}

/* 1. Encapsulation to an IPv6 remote (FDB entry, or the flood list for a broadcast). */
static void test_v6_encap(const void *arg)
{
	const struct v6_encap_arg *a = arg;
	struct counters before;
	struct pkt in = {};
	uint32_t flow;
	uint16_t sport;
	struct run r;

	if (!v6_need_netns() || !v6_setup(true))
		return;
	v6_build_inner(&in, a->kind, a->tos, 100, 40000);
	if (!read_counters(&before) || !run_tx(&in, &r))
		return;
	check_encap6(&in, &r, remote6a, v6_stt_flags(a->kind), a->kind == V6I_ARP ? 0 : a->tos,
		     64, &flow, &sport);
	check_tx6_sent(&before, &in, &r, a->kind == V6I_UDP_BC);
}

/* Flow label and source port: per inner flow, stable; hop limit and pipe DSCP from stt_cfg. */
static void test_v6_encap_flow(const void *arg)
{
	struct pkt in = {};
	uint32_t fl1, fl2, fl3, fl4, fl5;
	uint16_t sp1, sp2, sp3, sp4, sp5;
	struct stt_cfg cfg;
	__u32 zero = 0;
	struct run r;

	if (!v6_need_netns() || !v6_setup(true))
		return;
	v6_build_inner(&in, V6I_TCP, 0xb9, 10, 40000);
	if (!run_tx(&in, &r) ||
	    !check_encap6(&in, &r, remote6a, STT_F_IPV4 | STT_F_TCP, 0xb9, 64, &fl1, &sp1))
		return;
	/* The same packet again, then the same flow with another payload. */
	if (!run_tx(&in, &r) ||
	    !check_encap6(&in, &r, remote6a, STT_F_IPV4 | STT_F_TCP, 0xb9, 64, &fl2, &sp2))
		return;
	ASSERT_EQ(fl2, fl1, "flow label of a repeated frame");
	ASSERT_EQ(sp2, sp1, "source port of a repeated frame");
	v6_build_inner(&in, V6I_TCP, 0xb9, 700, 40000);
	if (!run_tx(&in, &r) ||
	    !check_encap6(&in, &r, remote6a, STT_F_IPV4 | STT_F_TCP, 0xb9, 64, &fl3, &sp3))
		return;
	ASSERT_EQ(fl3, fl1, "flow label of another packet of the same flow");
	ASSERT_EQ(sp3, sp1, "source port of another packet of the same flow");
	/* Another inner flow. */
	v6_build_inner(&in, V6I_TCP, 0xb9, 10, 40001);
	if (!run_tx(&in, &r) ||
	    !check_encap6(&in, &r, remote6a, STT_F_IPV4 | STT_F_TCP, 0xb9, 64, &fl4, &sp4))
		return;
	ASSERT_NEQ(fl4, fl1, "flow label of another flow");

	/* Hop limit from stt_cfg.ttl; pipe model: fixed DSCP 10, ECN still copied (0x29). */
	if (!ASSERT_OK(bpf_map_lookup_elem(fd_cfg, &zero, &cfg), "cfg lookup"))
		return;
	cfg.ttl = 37;
	cfg.dscp = STT_DSCP_FIXED(10);
	if (!ASSERT_OK(bpf_map_update_elem(fd_cfg, &zero, &cfg, BPF_ANY), "cfg update"))
		return;
	v6_build_inner(&in, V6I_TCP, 0xb9, 10, 40000);
	if (!run_tx(&in, &r))
		return;
	check_encap6(&in, &r, remote6a, STT_F_IPV4 | STT_F_TCP, 0x29, 37, &fl5, &sp5);
	ASSERT_EQ(fl5, fl1, "flow label does not depend on the TOS or hop limit");
}

/* 2. IPv6 remotes without an address, and an endpoint without an IPv6 address. */
static void test_v6_no_remote6(const void *arg)
{
	const __be32 empty = r6(R6_IDX_EMPTY), huge = r6(R6_IDX_HUGE);
	struct counters before;
	struct pkt in = {};
	struct run r;

	if (!v6_setup(true))
		return;
	build_inner(&in, IN_TCP, vm_b, 100, 40000);

	/* Unicast to an index with nothing behind it, and to one past the array. */
	for (int k = 0; k < 2; k++) {
		const char *what = k ? "index past stt_remotes6" : "index with no address";

		if (!v6_set_fdb(vm_b, k ? huge : empty) || !read_counters(&before) ||
		    !run_tx(&in, &r))
			return;
		ASSERT_EQ(r.retval, TC_ACT_SHOT, nm(what, "verdict"));
		CHECK_DELTAS(&before, {STT_C_TX_FRAMES, 1}, {STT_C_TX_BYTES, in.len},
			     {STT_C_TX_FRAMES6, 1}, {DROP(TX_NO_REMOTE6), 1});
	}

	/* The only flood target has no address. */
	build_inner(&in, IN_UDP, bcast, 64, 40000);
	if (!v6_set_flood(1, &empty) || !read_counters(&before) || !run_tx(&in, &r))
		return;
	ASSERT_EQ(r.retval, TC_ACT_SHOT, "flood: verdict");
	CHECK_DELTAS(&before, {STT_C_TX_FRAMES, 1}, {STT_C_TX_BYTES, in.len},
		     {STT_C_TX_FRAMES6, 1}, {DROP(TX_NO_REMOTE6), 1});

	/* No IPv6 local address: an IPv6 remote cannot be sent to, nothing is counted sent. */
	build_inner(&in, IN_TCP, vm_b, 100, 40000);
	if (!v6_set_fdb(vm_b, r6(R6_IDX_A)) || !v6_set_cfg6(false) || !read_counters(&before) ||
	    !run_tx(&in, &r))
		return;
	ASSERT_EQ(r.retval, TC_ACT_SHOT, "no local6: verdict");
	CHECK_DELTAS(&before, {DROP(TX_NO_REMOTE6), 1});
}

/*
 * 3. A flood list is one family, its first target's: a copy to the other family is dropped
 * (tx_family). Without a next hop only the last copy can leave (see test_encap_flood_two), so
 * each case puts the target whose copy must (or must not) be the output last.
 */
static void test_v6_flood_family(const void *arg)
{
	struct counters before;
	struct pkt in = {};
	uint32_t flow;
	uint16_t sport;
	struct run r;

	if (!v6_need_netns() || !v6_setup(true))
		return;
	/* An IPv6 tenant frame: an IPv6 copy that is last leaves by redirect_neigh. */
	build_inner6(&in, 0, 64);
	memcpy(in.d, bcast, 6);

	/* [A, IPv4, B]: A cannot leave (not last), the IPv4 target is refused, B leaves. */
	{
		const __be32 l[3] = {r6(R6_IDX_A), remote4, r6(R6_IDX_B)};

		if (!v6_set_flood(3, l) || !read_counters(&before) || !run_tx(&in, &r))
			return;
		ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "[A, v4, B]: verdict");
		check_encap6(&in, &r, remote6b, 0, 0, 64, &flow, &sport);
		CHECK_DELTAS(&before, {STT_C_TX_FRAMES, 1}, {STT_C_TX_BYTES, in.len},
			     {STT_C_TX_FRAMES6, 1}, {STT_C_TX_SEGMENTS, 1},
			     {STT_C_TX_FLOOD_COPIES, 1}, {DROP(TX_NO_NEIGH), 1},
			     {DROP(TX_FAMILY), 1});
	}
	/*
	 * [A, IPv4]: the IPv4 target is last. Were it sent, its IPv4 headers would be the
	 * output and the verdict a redirect; it must be refused, A's copy stays the last one
	 * written (and could not leave: not the last target).
	 */
	{
		const __be32 l[2] = {r6(R6_IDX_A), remote4};

		if (!v6_set_flood(2, l) || !read_counters(&before) || !run_tx(&in, &r))
			return;
		ASSERT_EQ(r.retval, TC_ACT_SHOT, "[A, v4]: verdict");
		check_encap6(&in, &r, remote6a, 0, 0, 64, &flow, &sport);
		CHECK_DELTAS(&before, {STT_C_TX_FRAMES, 1}, {STT_C_TX_BYTES, in.len},
			     {STT_C_TX_FRAMES6, 1}, {DROP(TX_NO_NEIGH), 1}, {DROP(TX_FAMILY), 1});
	}
	/* [IPv4, A]: an IPv4 frame; the IPv6 target last is refused, nothing IPv6 is counted. */
	{
		const __be32 l[2] = {remote4, r6(R6_IDX_A)};

		if (!v6_set_flood(2, l) || !read_counters(&before) || !run_tx(&in, &r))
			return;
		ASSERT_EQ(r.retval, TC_ACT_SHOT, "[v4, A]: verdict");
		if (ASSERT_EQ(r.len, in.len + INNER_OFF, "[v4, A]: IPv4 encapsulation")) {
			ASSERT_EQ(r.out[12] << 8 | r.out[13], 0x0800, "[v4, A]: outer EtherType");
			ASSERT_EQ(((struct t_ip4 *)(r.out + IP_OFF))->daddr, remote4,
				  "[v4, A]: outer IPv4 destination");
		}
		CHECK_DELTAS(&before, {STT_C_TX_FRAMES, 1}, {STT_C_TX_BYTES, in.len},
			     {DROP(TX_NO_NEIGH), 1}, {DROP(TX_FAMILY), 1});
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Receive                                                                                    */

enum v6_rx_inner { V6R_TCP, V6R_UDP, V6R_ARP, V6R_IPV6, V6R_BIG };

static void v6_rx_inner(struct pkt *inner, enum v6_rx_inner k, uint8_t *stt_flags)
{
	switch (k) {
	case V6R_TCP:
		build_inner(inner, IN_TCP, vm_a, 100, 40000);
		*stt_flags = STT_F_IPV4 | STT_F_TCP;
		break;
	case V6R_UDP:
		build_inner(inner, IN_UDP, vm_a, 64, 40000);
		*stt_flags = STT_F_IPV4;
		break;
	case V6R_ARP: /* 42 bytes, unpadded as from a veth */
		build_inner(inner, IN_ARP, bcast, 0, 0);
		*stt_flags = 0;
		break;
	case V6R_IPV6:
		build_inner6(inner, 0, 64);
		*stt_flags = 0;
		break;
	case V6R_BIG: /* outer IPv6 packet = 1500 */
		build_inner(inner, IN_TCP, vm_a, MTU - OVERHEAD6 - 54, 40000);
		*stt_flags = STT_F_IPV4 | STT_F_TCP;
		break;
	}
}

/* 4a. A whole frame over IPv6 to local6 from an indexed sender, through TC. */
static void test_v6_decap_tc(const void *arg)
{
	int fd_rem = bpf_map__fd(tc_skel->maps.stt_remote_stats);
	__u32 rem = r6(R6_IDX_A);
	struct pkt inner = {}, seg = {};
	struct stt_flow_stats m;
	struct counters before;
	uint8_t fl;
	struct run r;

	if (!v6_setup(true))
		return;
	bpf_map_delete_elem(fd_rem, &rem);
	v6_rx_inner(&inner, *(const enum v6_rx_inner *)arg, &fl);
	build_segment6(&seg, &inner, fl, remote6a);
	if (!read_counters(&before) || !run_prog(fd_tc_rx, &seg, 0, &r))
		return;
	ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "verdict");
	ASSERT_MEM_EQ(r.out, r.len, inner.d, inner.len, "decapsulated frame");
	CHECK_DELTAS(&before, {STT_C_RX_FRAMES, 1}, {STT_C_RX_BYTES, inner.len},
		     {STT_C_RX_FRAMES6, 1});
	/* The sender's counters are kept under its remote (index form). */
	if (ASSERT_TRUE(flow_stats(fd_rem, &rem, &m), "per-remote entry of the sender's index"))
		ASSERT_EQ(m.rx_frames, 1, "per-remote rx_frames");
}

/* 4b. The same through XDP, to a vport with STT_VPORT_XDP. */
static void test_v6_decap_xdp(const void *arg)
{
	struct pkt inner = {}, seg = {};
	struct counters before;
	uint8_t fl;
	struct run r;

	if (!v6_setup(true))
		return;
	v6_rx_inner(&inner, *(const enum v6_rx_inner *)arg, &fl);
	build_segment6(&seg, &inner, fl, remote6a);
	if (!ASSERT_OK(set_ctx_flags(STT_VPORT_XDP), "context flags") || !read_counters(&before) ||
	    !run_prog(fd_xdp_rx, &seg, 0, &r))
		return;
	ASSERT_EQ(r.retval, XDP_REDIRECT, "verdict");
	ASSERT_MEM_EQ(r.out, r.len, inner.d, inner.len, "decapsulated frame");
	CHECK_DELTAS(&before, {STT_C_RX_SEGMENTS, 1}, {STT_C_RX_FRAMES, 1},
		     {STT_C_RX_XDP_FRAMES, 1}, {STT_C_RX_BYTES, inner.len}, {STT_C_RX_FRAMES6, 1});
}

/*
 * 4c. Short inner frames over IPv6 through TC. Over IPv4, 34 bytes and more are stripped
 * with bpf_skb_adjust_room(), which leaves no less than a network header behind the MAC
 * header: 20 bytes for an IPv4 skb, 40 for an IPv6 one.
 */
static void test_v6_decap_short(const void *arg)
{
	static const size_t lens[] = {14, 33, 34, 42, 53, 54, 60};

	if (!v6_setup(true))
		return;
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct pkt inner = {}, seg = {};
		struct counters before;
		char what[48];
		struct run r;

		snprintf(what, sizeof(what), "%zu-byte inner frame", lens[i]);
		put_eth(&inner, vm_a, vm_b, 0x88b5);
		fill_payload(pkt_put(&inner, lens[i] - ETH_LEN), lens[i] - ETH_LEN, 0x44);
		build_segment6(&seg, &inner, 0, remote6a);
		if (!read_counters(&before) || !run_prog(fd_tc_rx, &seg, 0, &r))
			return;
		ASSERT_EQ(r.retval, TC_ACT_REDIRECT, nm(what, "TC verdict"));
		ASSERT_MEM_EQ(r.out, r.len, inner.d, inner.len, nm(what, "decapsulated frame"));
		CHECK_DELTAS(&before, {STT_C_RX_FRAMES, 1}, {STT_C_RX_BYTES, inner.len},
			     {STT_C_RX_FRAMES6, 1});
	}
}

/* IPv6 packets the parser must refuse or leave alone; run through XDP and TC by h_check(). */
enum v6_bad {
	V6B_NOT_LOCAL,
	V6B_NO_LOCAL6,
	V6B_HOP_BY_HOP,
	V6B_FRAG_HDR,
	V6B_LATER_FRAGMENT,
	V6B_PLEN_LONG,
	V6B_PLEN_SHORT,
	V6B_TRUNC_TCP,
	V6B_TCP_OPTS,
	V6B_UNKNOWN_CTX,
	V6B_GROUP_NOT_JOINED,
	V6B_NOT_STT_TCP80,
	V6B_NOT_STT_ICMP6,
};

/* An extension header (8 bytes) in front of the TCP header of seg. */
static void v6_insert_ext(struct pkt *seg, uint8_t type, uint16_t frag_off_field)
{
	struct t_ip6 *ip;
	uint8_t *x;

	pkt_insert(seg, TCP6_OFF, 8, 0);
	ip = ip6_of(seg);
	x = seg->d + TCP6_OFF;
	x[0] = 6; /* next: TCP */
	if (type == 44) {
		x[2] = frag_off_field >> 8, x[3] = (uint8_t)frag_off_field;
		x[7] = 9; /* identification */
	} else {
		x[2] = 1, x[3] = 4; /* PadN, 4 bytes */
	}
	ip->nh = type;
	ip->plen = htons(ntohs(ip->plen) + 8);
}

/* An underlay IPv6 packet that is not STT: TCP to port 80, or an ICMPv6 echo request. */
static void v6_build_not_stt(struct pkt *p, bool icmp)
{
	struct t_ip6 *ip;
	size_t l4 = icmp ? 8 + 32 : 20 + 30;

	p->len = 0;
	put_eth(p, ul_local, ul_remote, 0x86dd);
	ip = put_ip6(p, remote6a, local6, icmp ? 58 : 6, l4, 0, 0, 64);
	if (icmp) {
		uint8_t *h = pkt_put(p, l4);

		h[0] = 128; /* echo request */
		h[5] = 1;
		fill_payload(h + 8, 32, 0x12);
		l4_set_csum6(ip, h, l4, 2);
	} else {
		struct t_tcp *tcp = pkt_put(p, sizeof(*tcp));

		tcp->sport = htons(51000);
		tcp->dport = htons(80);
		tcp->seq = htonl(STT_SEQ(48, 0));
		tcp->doff = 5 << 4;
		tcp->flags = T_TCP_ACK | T_TCP_PSH;
		tcp->window = htons(512);
		fill_payload(pkt_put(p, 30), 30, 0x66);
		l4_set_csum6(ip, tcp, l4, offsetof(struct t_tcp, csum));
	}
}

static void test_v6_rx_bad(const void *arg)
{
	enum v6_bad b = *(const enum v6_bad *)arg;
	struct h_case c = {.e = H_DROP};
	struct pkt inner = {}, seg = {};

	if (!v6_setup(true))
		return;
	build_inner(&inner, IN_TCP, vm_a, 64, 40000);
	build_segment6(&seg, &inner, STT_F_IPV4 | STT_F_TCP, remote6a);
	switch (b) {
	case V6B_NOT_LOCAL:
		build_segment6_to(&seg, &inner, STT_F_IPV4 | STT_F_TCP, remote6a, other6);
		c.reason = STT_DROP_NOT_LOCAL;
		break;
	case V6B_NO_LOCAL6:
		if (!v6_set_cfg6(false))
			return;
		c.reason = STT_DROP_IPV6_OUTER;
		break;
	case V6B_HOP_BY_HOP:
		v6_insert_ext(&seg, 0, 0);
		stt6_refresh_csum(&seg); /* (nh is not TCP: the checksum stays as built) */
		c.reason = STT_DROP_IPV6_OUTER;
		break;
	case V6B_FRAG_HDR: /* an atomic fragment (offset 0, M=0) */
		v6_insert_ext(&seg, 44, 0);
		c.reason = STT_DROP_IPV6_OUTER;
		break;
	case V6B_LATER_FRAGMENT: /* offset 1480: no ports, left to the stack */
		v6_insert_ext(&seg, 44, 1480);
		c.e = H_PASS;
		break;
	case V6B_PLEN_LONG: /* IPv6 says 2 bytes more than the packet has */
		ip6_of(&seg)->plen = htons(ntohs(ip6_of(&seg)->plen) + 2);
		c.reason = STT_DROP_TRUNCATED;
		break;
	case V6B_PLEN_SHORT: /* 2 bytes behind what IPv6 says */
		ip6_of(&seg)->plen = htons(ntohs(ip6_of(&seg)->plen) - 2);
		c.reason = STT_DROP_IP_HDR;
		break;
	case V6B_TRUNC_TCP:
		seg.len = TCP6_OFF + 10; /* payload length as sent */
		c.reason = STT_DROP_TRUNCATED;
		break;
	case V6B_TCP_OPTS:
		pkt_insert(&seg, STT6_OFF, 4, 0x01); /* four NOPs */
		tcp6_of(&seg)->doff = 6 << 4;
		ip6_of(&seg)->plen = htons(ntohs(ip6_of(&seg)->plen) + 4);
		stt6_refresh_csum(&seg);
		c.reason = STT_DROP_TCP_HDR;
		break;
	case V6B_UNKNOWN_CTX:
		((struct t_stt *)(seg.d + STT6_OFF))->context = htobe64(CTX_UNKNOWN);
		stt6_refresh_csum(&seg);
		c.reason = STT_DROP_UNKNOWN_CTX;
		break;
	case V6B_GROUP_NOT_JOINED: /* a multicast group with an index, not in stt_groups */
		if (!v6_add_remote(R6_IDX_GROUP, group6))
			return;
		build_segment6_to(&seg, &inner, STT_F_IPV4 | STT_F_TCP, remote6a, group6);
		c.reason = STT_DROP_NOT_LOCAL;
		break;
	case V6B_NOT_STT_TCP80:
		v6_build_not_stt(&seg, false);
		c.e = H_PASS;
		break;
	case V6B_NOT_STT_ICMP6:
		v6_build_not_stt(&seg, true);
		c.e = H_PASS;
		break;
	}
	h_check(&seg, &c, "IPv6");
}

/* STT to an IPv6 multicast group this endpoint floods to (stt_groups): delivered. */
static void test_v6_rx_group(const void *arg)
{
	int fd_groups = bpf_map__fd(tc_skel->maps.stt_groups);
	__u32 g = r6(R6_IDX_GROUP), one = 1;
	struct pkt inner = {}, seg = {};
	struct counters before;
	struct run r;

	if (!v6_setup(true) || !v6_add_remote(R6_IDX_GROUP, group6) ||
	    !ASSERT_OK(bpf_map_update_elem(fd_groups, &g, &one, BPF_ANY), "group add"))
		goto out;
	build_inner(&inner, IN_UDP, vm_a, 64, 40000);
	build_segment6_to(&seg, &inner, STT_F_IPV4, remote6a, group6);
	if (!read_counters(&before) || !run_prog(fd_tc_rx, &seg, 0, &r))
		goto out;
	ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "verdict");
	ASSERT_MEM_EQ(r.out, r.len, inner.d, inner.len, "decapsulated frame");
	CHECK_DELTAS(&before, {STT_C_RX_FRAMES, 1}, {STT_C_RX_BYTES, inner.len},
		     {STT_C_RX_FRAMES6, 1});
out:
	bpf_map_delete_elem(fd_groups, &g);
}

/* 5. Strict peers over IPv6: a sender is a peer by its remote index. */
static void test_v6_peers(const void *arg)
{
	struct stt_peer_key k = {.context = CTX, .remote4 = r6(R6_IDX_A)};
	struct pkt inner = {}, from_a = {}, from_b = {}, from_stranger = {};
	struct counters before;
	__u32 one = 1;
	struct run r;

	if (!v6_setup(true))
		return;
	build_inner(&inner, IN_UDP, vm_a, 64, 40000);
	build_segment6(&from_a, &inner, STT_F_IPV4, remote6a);
	build_segment6(&from_b, &inner, STT_F_IPV4, remote6b);
	build_segment6(&from_stranger, &inner, STT_F_IPV4, stranger6);
	if (!set_cfg_qos(STT_DSCP_INHERIT, STT_OPT_PEERS_STRICT) ||
	    !ASSERT_OK(bpf_map_update_elem(fd_peers(), &k, &one, BPF_ANY), "peer add") ||
	    !ASSERT_OK(set_ctx_flags(STT_VPORT_XDP), "context flags"))
		goto out;

	/* A (index 1) is a peer (XDP's counters: test_v6_decap_xdp). */
	if (!read_counters(&before))
		goto out;
	if (run_prog(fd_tc_rx, &from_a, 0, &r)) {
		ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "peer A: TC verdict");
		ASSERT_MEM_EQ(r.out, r.len, inner.d, inner.len, "peer A: TC frame");
	}
	CHECK_DELTAS(&before, {STT_C_RX_FRAMES, 1}, {STT_C_RX_BYTES, inner.len},
		     {STT_C_RX_FRAMES6, 1});
	if (run_prog(fd_xdp_rx, &from_a, 0, &r)) {
		ASSERT_EQ(r.retval, XDP_REDIRECT, "peer A: XDP verdict");
		ASSERT_MEM_EQ(r.out, r.len, inner.d, inner.len, "peer A: XDP frame");
	}

	/* B has an index but is no peer; the stranger has no index at all (remote 0). */
	for (int i = 0; i < 2; i++) {
		const struct pkt *seg = i ? &from_stranger : &from_b;
		const char *what = i ? "sender without an index" : "indexed sender, not a peer";

		if (!read_counters(&before))
			goto out;
		if (run_prog(fd_tc_rx, seg, 0, &r))
			ASSERT_EQ(r.retval, TC_ACT_SHOT, nm(what, "TC verdict"));
		if (run_prog(fd_xdp_rx, seg, 0, &r))
			ASSERT_EQ(r.retval, XDP_DROP, nm(what, "XDP verdict"));
		CHECK_DELTAS(&before, {STT_C_RX_SEGMENTS, 1}, {DROP(PEER_DENIED), 2});
	}

	/* Open again: the stranger is delivered (its frames just have no remote). */
	if (!set_cfg_qos(STT_DSCP_INHERIT, 0))
		goto out;
	if (run_prog(fd_tc_rx, &from_stranger, 0, &r))
		ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "open: sender without an index delivered");
out:
	bpf_map_delete_elem(fd_peers(), &k);
}

/* 6. Learning over IPv6: a sender's index is learned; a sender without one teaches nothing. */
static void test_v6_learning(const void *arg)
{
	static const uint8_t mac_x[6] = {0x02, 0x00, 0x00, 0x00, 0x0d, 0x04};
	int outer = bpf_map__fd(tc_skel->maps.stt_learn), tbl;
	struct stt_vport vp = {.context = CTX, .flags = STT_VPORT_LEARN, .learn_age = 300};
	struct stt_learn_key lk = {};
	struct stt_learn_val lv;
	struct pkt inner = {}, seg = {}, tx = {};
	struct counters before;
	uint32_t flow;
	uint16_t sport;
	__u64 ctx = CTX;
	__u32 lo = LO_IFINDEX;
	struct run r;

	tbl = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "t_learn6", sizeof(struct stt_learn_key),
			     sizeof(struct stt_learn_val), 16, NULL);
	if (!ASSERT_TRUE(tbl >= 0, "create a learning table") || !v6_setup(true) ||
	    !ASSERT_OK(bpf_map_update_elem(outer, &ctx, &tbl, BPF_ANY), "install it") ||
	    !ASSERT_OK(bpf_map_update_elem(fd_vports, &lo, &vp, BPF_ANY), "vport flags") ||
	    !ASSERT_OK(set_ctx_flags(STT_VPORT_LEARN), "context flags"))
		goto out;

	/* vm_unknown speaks from B (index 2). */
	build_inner(&inner, IN_UDP, vm_a, 64, 40000);
	memcpy(inner.d + 6, vm_unknown, 6);
	build_segment6(&seg, &inner, STT_F_IPV4, remote6b);
	if (!read_counters(&before) || !run_prog(fd_tc_rx, &seg, 0, &r) ||
	    !ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "rx verdict"))
		goto out;
	CHECK_DELTAS(&before, {STT_C_RX_FRAMES, 1}, {STT_C_RX_BYTES, inner.len},
		     {STT_C_RX_FRAMES6, 1}, {STT_C_LEARNED, 1});
	memcpy(lk.mac, vm_unknown, 6);
	if (ASSERT_OK(bpf_map_lookup_elem(tbl, &lk, &lv), "entry learned"))
		ASSERT_EQ(lv.remote4, r6(R6_IDX_B), "learned remote: B's index form");

	/* Unicast to vm_unknown goes to B over IPv6 (the flood list names A). */
	build_inner6(&tx, 0, 64);
	memcpy(tx.d, vm_unknown, 6);
	if (!read_counters(&before) || !run_tx(&tx, &r))
		goto out;
	if (private_netns) {
		ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "tx verdict");
		check_encap6(&tx, &r, remote6b, 0, 0, 64, &flow, &sport);
		CHECK_DELTAS(&before, {STT_C_TX_FRAMES, 1}, {STT_C_TX_BYTES, tx.len},
			     {STT_C_TX_FRAMES6, 1}, {STT_C_TX_SEGMENTS, 1}, {STT_C_TX_LEARNED, 1});
	}

	/* mac_x speaks from a sender without an index: nothing learned (TC nor XDP). */
	memcpy(inner.d + 6, mac_x, 6);
	build_segment6(&seg, &inner, STT_F_IPV4, stranger6);
	if (!read_counters(&before) || !run_prog(fd_tc_rx, &seg, 0, &r) ||
	    !ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "rx verdict (no index)"))
		goto out;
	CHECK_DELTAS(&before, {STT_C_RX_FRAMES, 1}, {STT_C_RX_BYTES, inner.len},
		     {STT_C_RX_FRAMES6, 1});
	if (!read_counters(&before) ||
	    !ASSERT_OK(set_ctx_flags(STT_VPORT_LEARN | STT_VPORT_XDP), "context flags") ||
	    !run_prog(fd_xdp_rx, &seg, 0, &r) ||
	    !ASSERT_EQ(r.retval, XDP_REDIRECT, "XDP verdict (no index)"))
		goto out;
	{
		struct counters after;

		/* Only "learned" here: XDP's frame counters are test_v6_decap_xdp's. */
		if (read_counters(&after))
			ASSERT_EQ(after.c[STT_C_LEARNED] - before.c[STT_C_LEARNED], 0,
				  "XDP: nothing learned from remote 0");
	}
	memcpy(lk.mac, mac_x, 6);
	ASSERT_TRUE(bpf_map_lookup_elem(tbl, &lk, &lv) != 0, "nothing learned from remote 0");
out:
	bpf_map_delete_elem(outer, &ctx);
	if (tbl >= 0)
		close(tbl);
}

/* ------------------------------------------------------------------------------------------ */
/* ICMPv6 packet too big                                                                      */

/*
 * ICMPv6 packet too big (RFC 4443 3.2) from a router to local6, quoting the start of an STT
 * segment from quoted_src to quoted_dst, TCP to dport.
 */
static void build_ptb6(struct pkt *p, uint32_t mtu, const uint8_t *quoted_src,
		       const uint8_t *quoted_dst, uint16_t dport)
{
	size_t l4 = 8 + 40 + 20;
	struct t_ip6 *ip;
	uint8_t *icmp, *t;

	p->len = 0;
	put_eth(p, ul_local, ul_remote, 0x86dd);
	ip = put_ip6(p, router6, local6, 58, l4, 0, 0, 255);
	icmp = pkt_put(p, 8);
	icmp[0] = 2; /* packet too big */
	icmp[4] = mtu >> 24, icmp[5] = (uint8_t)(mtu >> 16);
	icmp[6] = (uint8_t)(mtu >> 8), icmp[7] = (uint8_t)mtu;
	put_ip6(p, quoted_src, quoted_dst, 6, 20 + 1400, 0, 0x12345, 64);
	t = pkt_put(p, 20);
	t[0] = 0xc3, t[1] = 0x50; /* source port 50000 */
	t[2] = dport >> 8, t[3] = (uint8_t)dport;
	t[12] = 5 << 4;
	l4_set_csum6(ip, icmp, l4, 2);
}

/* The expected segment at STT payload offset off of a frame cut over IPv6. */
struct cut6 {
	struct pkt stt; /* STT header + inner frame */
	uint32_t ack, flow;
	uint16_t sport;
	uint8_t tc;
	size_t seg_max;
};

static bool check_cut6_segment(const struct run *r, const struct cut6 *f, size_t off,
			       const char *what, struct pkt *joined)
{
	size_t n = f->stt.len - off < f->seg_max ? f->stt.len - off : f->seg_max;
	bool last = off + n == f->stt.len, ok = true;
	struct pkt got = {}, exp = {};
	struct outer6 o;

	ok &= ASSERT_EQ(r->retval, TC_ACT_REDIRECT, nm(what, "verdict"));
	ok &= ASSERT_EQ(r->ctx.mark, 0, nm(what, "skb mark cleared"));
	if (!ASSERT_EQ(r->len, STT6_OFF + n, nm(what, "segment length")))
		return false;
	memcpy(got.d, r->out, r->len);
	got.len = r->len;
	ok &= ASSERT_EQ(ntohs(ip6_of(&got)->plen), 20 + n, nm(what, "IPv6 payload length"));
	ok &= ASSERT_TRUE(l4_csum6_ok(ip6_of(&got), tcp6_of(&got), 20 + n),
			  nm(what, "outer TCP checksum over this segment (own check)"));
	ok &= ASSERT_EQ(ntohl(tcp6_of(&got)->seq), STT_SEQ(f->stt.len, off), nm(what, "SEQ"));
	o = (struct outer6){
	    .dmac = zero_mac,
	    .smac = zero_mac,
	    .saddr = local6,
	    .daddr = remote6a,
	    .tc = f->tc,
	    .hlim = 64,
	    .flow = f->flow,
	    .sport = f->sport,
	    .dport = STT_PORT,
	    .seq = STT_SEQ(f->stt.len, off),
	    .ack = f->ack,
	    .tcp_flags = T_TCP_ACK | (last ? T_TCP_PSH : 0),
	};
	build_stt6_raw(&exp, &o, f->stt.d + off, n);
	ok &= ASSERT_MEM_EQ(got.d, got.len, exp.d, exp.len, nm(what, "segment"));
	if (joined)
		pkt_append(joined, got.d + STT6_OFF, got.len - STT6_OFF);
	return ok;
}

/*
 * 7. An ICMPv6 packet too big for an STT segment of ours lowers the path MTU toward that
 * remote (by index); then a frame that fits 1500 but not 1300 is cut, in 1300-byte
 * segments.
 */
static void test_v6_pmtu(const void *arg)
{
	int fd = bpf_map__fd(tc_skel->maps.stt_pmtu);
	struct pkt icmp = {}, in = {}, frame = {}, clone = {}, joined = {};
	__u32 rem = r6(R6_IDX_A);
	struct stt_pmtu_val pv;
	struct counters before;
	struct cut_env env = {.cap_adv = -1, .cap_fresh = -1};
	bool env_open = false;
	struct cut6 f = {};
	struct run r;

	if (!v6_need_netns() || !v6_setup(true))
		return;
	bpf_map_delete_elem(fd, &rem);
	/* 1300 + 78 = 1378 bytes: fits the 1500-byte underlay, not a 1300-byte path. */
	build_inner(&in, IN_UDP, vm_b, 1300 - 42, 40000);
	if (!ASSERT_EQ(in.len, 1300, "inner frame length") || !read_counters(&before) ||
	    !run_tx_mark(&in, 0, &r))
		return;
	ASSERT_EQ(r.ctx.mark, 0, "before: not marked to be cut");
	CHECK_DELTAS(&before, {STT_C_TX_FRAMES, 1}, {STT_C_TX_BYTES, in.len},
		     {STT_C_TX_FRAMES6, 1}, {DROP(TX_NO_NEIGH), 1});

	/* Not ours: quoted from another address, to another port, to a remote without index. */
	if (!read_counters(&before))
		return;
	build_ptb6(&icmp, 1300, remote6b, remote6a, STT_PORT);
	if (run_prog(fd_tc_rx, &icmp, 0, &r))
		ASSERT_EQ(r.retval, (__u32)TC_ACT_UNSPEC, "ICMPv6 goes on (TC_ACT_UNSPEC)");
	build_ptb6(&icmp, 1300, local6, remote6a, 80);
	if (run_prog(fd_tc_rx, &icmp, 0, &r))
		ASSERT_EQ(r.retval, (__u32)TC_ACT_UNSPEC, "ICMPv6 goes on (TC_ACT_UNSPEC)");
	CHECK_DELTAS(&before, {0, 0});
	build_ptb6(&icmp, 1300, local6, stranger6, STT_PORT);
	if (!read_counters(&before) || !run_prog(fd_tc_rx, &icmp, 0, &r))
		return;
	CHECK_DELTAS(&before, {STT_C_PMTU_IGNORED, 1});
	ASSERT_TRUE(bpf_map_lookup_elem(fd, &rem, &pv) != 0, "no path MTU from ICMPv6 not ours");

	/* Below the IPv6 minimum (a forged ICMPv6), and not below the underlay's: ignored. */
	build_ptb6(&icmp, 1000, local6, remote6a, STT_PORT);
	if (!read_counters(&before) || !run_prog(fd_tc_rx, &icmp, 0, &r))
		return;
	ASSERT_EQ(r.retval, (__u32)TC_ACT_UNSPEC, "MTU 1000: verdict");
	CHECK_DELTAS(&before, {STT_C_PMTU_IGNORED, 1});
	build_ptb6(&icmp, 1500, local6, remote6a, STT_PORT);
	if (!read_counters(&before) || !run_prog(fd_tc_rx, &icmp, 0, &r))
		return;
	CHECK_DELTAS(&before, {STT_C_PMTU_IGNORED, 1});
	ASSERT_TRUE(bpf_map_lookup_elem(fd, &rem, &pv) != 0, "no path MTU from MTU 1000 or 1500");

	/* Ours: learned, keyed by the remote's index form. */
	build_ptb6(&icmp, 1300, local6, remote6a, STT_PORT);
	if (!read_counters(&before) || !run_prog(fd_tc_rx, &icmp, 0, &r))
		goto out;
	ASSERT_EQ(r.retval, (__u32)TC_ACT_UNSPEC, "verdict");
	ASSERT_MEM_EQ(r.out, r.len, icmp.d, icmp.len, "ICMPv6 unchanged");
	CHECK_DELTAS(&before, {STT_C_PMTU_LEARNED, 1});
	if (!ASSERT_OK(bpf_map_lookup_elem(fd, &rem, &pv), "path MTU learned for A's index"))
		goto out;
	ASSERT_EQ(pv.mtu, 1300, "path MTU");

	/* The same frame is now encapsulated whole, marked to be cut (pass 1). */
	env_open = true;
	if (!cut_env_open(&env) || !read_counters(&before) || !run_tx_mark(&in, 0, &r))
		goto out;
	ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "pass 1: verdict (to the vport's ingress)");
	ASSERT_EQ(r.ctx.mark, T_MARK_FRESH, "pass 1: marked to be cut");
	CHECK_DELTAS(&before, {STT_C_TX_FRAMES, 1}, {STT_C_TX_BYTES, in.len},
		     {STT_C_TX_CUT_FRAMES, 1}, {STT_C_TX_FRAMES6, 1});
	if (!ASSERT_EQ(r.len, INNER6_OFF + in.len, "pass 1: output length"))
		goto out;
	memcpy(frame.d, r.out, r.len);
	frame.len = r.len;
	ASSERT_EQ(ntohs(((struct t_eth *)frame.d)->proto), 0x86dd, "pass 1: outer EtherType");
	ASSERT_MEM_EQ(ip6_of(&frame)->daddr, 16, remote6a, 16, "pass 1: destination");
	ASSERT_MEM_EQ(frame.d + INNER6_OFF, frame.len - INNER6_OFF, in.d, in.len,
		      "pass 1: inner frame");
	f.ack = ntohl(tcp6_of(&frame)->ack);
	f.sport = ntohs(tcp6_of(&frame)->sport);
	f.flow = ip6_flow(ip6_of(&frame));
	f.tc = 0;
	f.seg_max = (1300 - 40 - 20) & ~7u;
	build_stt_payload(&f.stt, STT_F_IPV4, &in);
	if (!ASSERT_TRUE(f.stt.len > f.seg_max && f.stt.len <= 2 * f.seg_max, "two segments"))
		goto out;

	/* FRESH: the first 1240 bytes, and the frame again as a clone marked ADVANCE. */
	if (!read_counters(&before) || !run_tx_mark(&frame, T_MARK_FRESH, &r))
		goto out;
	check_cut6_segment(&r, &f, 0, "segment 1", &joined);
	ASSERT_TRUE(STT6_OFF + f.seg_max <= 1300 + ETH_LEN, "segment 1 fits the path MTU");
	CHECK_DELTAS(&before, {STT_C_TX_SEGMENTS, 1});
	if (ASSERT_TRUE(capture_next(env.cap_adv, &clone, 1000),
			"segment 1: a clone marked ADVANCE entered lo"))
		ASSERT_MEM_EQ(clone.d, clone.len, frame.d, frame.len,
			      "segment 1: the clone is pass 1's frame");

	/* ADVANCE: the rest. */
	if (!read_counters(&before) || !run_tx_mark(&frame, T_MARK_ADVANCE, &r))
		goto out;
	check_cut6_segment(&r, &f, f.seg_max, "segment 2", &joined);
	CHECK_DELTAS(&before, {STT_C_TX_SEGMENTS, 1});
	ASSERT_MEM_EQ(joined.d, joined.len, f.stt.d, f.stt.len,
		      "segment payloads joined = STT header + inner frame");
out:
	if (env_open)
		cut_env_close(&env);
	bpf_map_delete_elem(fd, &rem);
}

/* ------------------------------------------------------------------------------------------ */
/* OAM                                                                                        */

/* The inner frame of a probe (user/cli/cmd_ping.c): CFM to the reserved MAC, 23 bytes. */
static void build_cfm(struct pkt *p, uint8_t opcode)
{
	static const uint8_t oam[6] = STT_OAM_MAC;
	uint8_t *c;

	p->len = 0;
	put_eth(p, oam, oam, STT_OAM_ETHERTYPE);
	c = pkt_put(p, 9);
	c[0] = 0;      /* MD level 0, version 0 */
	c[1] = opcode; /* 3: loopback message, 2: reply */
	c[3] = 4;      /* first TLV offset */
	c[4] = 0xde, c[5] = 0xad, c[6] = 0xbe, c[7] = 0xef; /* transaction ID; c[8]: End TLV */
}

/*
 * OAM replies are limited to STT_OAM_RATE a second per CPU (a reply goes to the probe's
 * source, which open peers do not check). 250 good probes back to back on this one CPU
 * span at most two seconds of the counter: 100 to 200 are answered, the rest counted
 * oam_rate, never answered.
 */
static void test_oam_rate(const void *arg)
{
	struct pkt lbm = {}, probe = {};
	struct outer6 o = {
	    .dmac = ul_local, .smac = ul_remote, .saddr = remote6a, .daddr = local6,
	    .hlim = 64, .sport = 50123, .dport = STT_PORT, .ack = 0x0200000a, .context = CTX,
	};
	struct counters before, after;
	unsigned int redirected = 0, shot = 0, i;
	__u64 replied, limited;
	struct run r;

	if (!v6_setup(true))
		return;
	build_cfm(&lbm, STT_CFM_LBM);
	o.seq = STT_SEQ(18 + lbm.len, 0);
	build_stt6(&probe, &o, &lbm);
	if (!read_counters(&before))
		return;
	for (i = 0; i < 250; i++) {
		if (!run_prog(fd_tc_rx, &probe, 0, &r))
			return;
		redirected += r.retval == TC_ACT_REDIRECT;
		shot += r.retval == TC_ACT_SHOT;
	}
	if (!read_counters(&after))
		return;
	replied = after.c[STT_C_OAM_REPLIED] - before.c[STT_C_OAM_REPLIED];
	limited = after.c[DROP(OAM_RATE)] - before.c[DROP(OAM_RATE)];
	printf("# 250 probes: %llu answered, %llu over the rate (oam_rate)\n",
	       (unsigned long long)replied, (unsigned long long)limited);
	ASSERT_TRUE(replied >= 1 && replied <= 2 * STT_OAM_RATE && limited >= 50,
		    "answered: at most two seconds' worth, the rest limited");
	ASSERT_EQ(replied + limited, 250, "every probe answered or counted oam_rate");
	ASSERT_EQ(redirected, replied, "answered = redirected");
	ASSERT_EQ(shot, limited, "over the rate = dropped");
}

/* 8. A CFM loopback message over IPv6 is answered: addresses swapped, opcode 2. */
static void test_v6_oam(const void *arg)
{
	struct pkt lbm = {}, lbr = {}, probe = {}, exp = {};
	struct outer6 o = {
	    .dmac = ul_local,
	    .smac = ul_remote,
	    .saddr = remote6a,
	    .daddr = local6,
	    .tc = 0x20,
	    .hlim = 57,
	    .flow = 0xabcde,
	    .sport = 50123,
	    .dport = STT_PORT,
	    .ack = 0x02000009,
	    .context = CTX,
	};
	struct counters before;
	struct run r;

	if (!v6_setup(true))
		return;
	build_cfm(&lbm, STT_CFM_LBM);
	build_cfm(&lbr, STT_CFM_LBR);
	o.seq = STT_SEQ(18 + lbm.len, 0);
	build_stt6(&probe, &o, &lbm);

	/* XDP leaves it to TC. */
	if (!ASSERT_OK(set_ctx_flags(STT_VPORT_XDP), "context flags") || !read_counters(&before) ||
	    !run_prog(fd_xdp_rx, &probe, 0, &r))
		return;
	ASSERT_EQ(r.retval, XDP_PASS, "XDP verdict");
	CHECK_DELTAS(&before, {STT_C_RX_SEGMENTS, 1});

	if (!read_counters(&before) || !run_prog(fd_tc_rx, &probe, 0, &r))
		return;
	ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "TC verdict (answered out of the underlay)");
	CHECK_DELTAS(&before, {STT_C_OAM_REPLIED, 1});
	if (ASSERT_EQ(r.len, probe.len, "reply length")) {
		struct pkt got = {.len = r.len};

		memcpy(got.d, r.out, r.len);
		ASSERT_MEM_EQ(ip6_of(&got)->saddr, 16, local6, 16, "reply source = local6");
		ASSERT_MEM_EQ(ip6_of(&got)->daddr, 16, remote6a, 16, "reply destination = prober");
		ASSERT_EQ(got.d[INNER6_OFF + 15], STT_CFM_LBR, "CFM opcode 2 (loopback reply)");
		ASSERT_TRUE(l4_csum6_ok(ip6_of(&got), tcp6_of(&got), got.len - TCP6_OFF),
			    "reply TCP checksum over the IPv6 pseudo header (own check)");
	}
	/* The whole reply: MACs and addresses swapped, hop limit ours, opcode 2. */
	o.dmac = ul_remote, o.smac = ul_local;
	o.saddr = local6, o.daddr = remote6a;
	o.hlim = 64;
	build_stt6(&exp, &o, &lbr);
	ASSERT_MEM_EQ(r.out, r.len, exp.d, exp.len, "reply");

	/* A reply is consumed. */
	o = (struct outer6){.dmac = ul_local, .smac = ul_remote, .saddr = remote6a,
			    .daddr = local6, .hlim = 64, .sport = 50123, .dport = STT_PORT,
			    .seq = STT_SEQ(18 + lbr.len, 0), .ack = 7, .context = CTX};
	build_stt6(&exp, &o, &lbr);
	if (!read_counters(&before) || !run_prog(fd_tc_rx, &exp, 0, &r))
		return;
	ASSERT_EQ(r.retval, TC_ACT_SHOT, "a reply: consumed");
	CHECK_DELTAS(&before, {STT_C_OAM_REPLIES, 1});

	/* A probe with a wrong TCP checksum is never answered. */
	tcp6_of(&probe)->csum ^= htons(0x0101);
	if (!read_counters(&before) || !run_prog(fd_tc_rx, &probe, 0, &r))
		return;
	ASSERT_EQ(r.retval, TC_ACT_SHOT, "bad checksum: verdict");
	CHECK_DELTAS(&before, {DROP(OAM_BAD), 1});
}

/* ------------------------------------------------------------------------------------------ */

static const struct v6_encap_arg v6e_tcp = {V6I_TCP, 0xb9};
static const struct v6_encap_arg v6e_arp = {V6I_ARP, 0};
static const struct v6_encap_arg v6e_ipv6 = {V6I_IPV6, 0xba};
static const struct v6_encap_arg v6e_udp_bc = {V6I_UDP_BC, 0x48};
static const enum v6_rx_inner v6r_tcp = V6R_TCP, v6r_udp = V6R_UDP, v6r_arp = V6R_ARP,
			      v6r_ipv6 = V6R_IPV6, v6r_big = V6R_BIG;
static const enum v6_bad v6b_not_local = V6B_NOT_LOCAL, v6b_no_local6 = V6B_NO_LOCAL6,
			 v6b_hbh = V6B_HOP_BY_HOP, v6b_frag = V6B_FRAG_HDR,
			 v6b_later_frag = V6B_LATER_FRAGMENT, v6b_plen_long = V6B_PLEN_LONG,
			 v6b_plen_short = V6B_PLEN_SHORT, v6b_trunc_tcp = V6B_TRUNC_TCP,
			 v6b_tcp_opts = V6B_TCP_OPTS, v6b_unknown_ctx = V6B_UNKNOWN_CTX,
			 v6b_group = V6B_GROUP_NOT_JOINED, v6b_tcp80 = V6B_NOT_STT_TCP80,
			 v6b_icmp6 = V6B_NOT_STT_ICMP6;

#define IPV6_TESTS                                                                                 \
	{"ipv6 tx encap: inner IPv4/TCP to an IPv6 remote (fdb)", test_v6_encap, &v6e_tcp},      \
	{"ipv6 tx encap: inner ARP to an IPv6 remote (fdb)", test_v6_encap, &v6e_arp},            \
	{"ipv6 tx encap: inner IPv6 to an IPv6 remote (fdb)", test_v6_encap, &v6e_ipv6},          \
	{"ipv6 tx encap: inner IPv4/UDP broadcast, flood list [IPv6 remote]", test_v6_encap,     \
	 &v6e_udp_bc},                                                                            \
	{"ipv6 tx encap: flow label and source port per flow, stable; hop limit and pipe DSCP",   \
	 test_v6_encap_flow, NULL},                                                               \
	{"ipv6 tx drop: remote index without address, past the array; no local6: tx_no_remote6", \
	 test_v6_no_remote6, NULL},                                                               \
	{"ipv6 tx flood: one family per list, the other family's copies dropped (tx_family)",    \
	 test_v6_flood_family, NULL},                                                             \
	{"ipv6 rx tc decap: inner IPv4/TCP", test_v6_decap_tc, &v6r_tcp},                         \
	{"ipv6 rx tc decap: inner IPv4/UDP", test_v6_decap_tc, &v6r_udp},                         \
	{"ipv6 rx tc decap: inner ARP (42 bytes)", test_v6_decap_tc, &v6r_arp},                   \
	{"ipv6 rx tc decap: inner IPv6", test_v6_decap_tc, &v6r_ipv6},                            \
	{"ipv6 rx tc decap: outer IPv6 packet of 1500 bytes", test_v6_decap_tc, &v6r_big},        \
	{"ipv6 rx xdp decap: inner IPv4/TCP", test_v6_decap_xdp, &v6r_tcp},                       \
	{"ipv6 rx xdp decap: inner ARP (42 bytes)", test_v6_decap_xdp, &v6r_arp},                 \
	{"ipv6 rx tc decap: short inner frames, 14 to 60 bytes", test_v6_decap_short, NULL},      \
	{"ipv6 rx: to a multicast group in stt_groups: delivered", test_v6_rx_group, NULL},       \
	{"ipv6 rx drop: to another IPv6 address (not_local)", test_v6_rx_bad, &v6b_not_local},    \
	{"ipv6 rx drop: no IPv6 local address (ipv6_outer)", test_v6_rx_bad, &v6b_no_local6},     \
	{"ipv6 rx drop: hop-by-hop header before TCP to 7471 (ipv6_outer)", test_v6_rx_bad,       \
	 &v6b_hbh},                                                                               \
	{"ipv6 rx drop: atomic fragment header before TCP to 7471 (ipv6_outer)", test_v6_rx_bad, \
	 &v6b_frag},                                                                              \
	{"ipv6 rx: later fragment (no ports): passed", test_v6_rx_bad, &v6b_later_frag},          \
	{"ipv6 rx drop: payload length 2 past the packet (truncated)", test_v6_rx_bad,            \
	 &v6b_plen_long},                                                                         \
	{"ipv6 rx drop: payload length 2 short of the packet (ip_header)", test_v6_rx_bad,        \
	 &v6b_plen_short},                                                                        \
	{"ipv6 rx drop: truncated inside the TCP header", test_v6_rx_bad, &v6b_trunc_tcp},        \
	{"ipv6 rx drop: TCP data offset 6 (tcp_header)", test_v6_rx_bad, &v6b_tcp_opts},          \
	{"ipv6 rx drop: unknown context", test_v6_rx_bad, &v6b_unknown_ctx},                      \
	{"ipv6 rx drop: multicast group not in stt_groups (not_local)", test_v6_rx_bad,           \
	 &v6b_group},                                                                             \
	{"ipv6 rx not STT: TCP to port 80: passed", test_v6_rx_bad, &v6b_tcp80},                  \
	{"ipv6 rx not STT: ICMPv6 echo: passed", test_v6_rx_bad, &v6b_icmp6},                     \
	{"ipv6 rx peers: strict, a peer by its index; no index or not a peer: peer_denied",      \
	 test_v6_peers, NULL},                                                                    \
	{"ipv6 learning: learns a sender's index, unicast over IPv6; no index: nothing",          \
	 test_v6_learning, NULL},                                                                 \
	{"ipv6 pmtu: ICMPv6 packet too big lowers the path MTU by index, frames are cut",         \
	 test_v6_pmtu, NULL},                                                                     \
	{"ipv6 oam: CFM loopback over IPv6 answered, reply consumed, bad checksum refused",      \
	 test_v6_oam, NULL},                                                                      \
	{"oam: replies limited to STT_OAM_RATE a second per CPU (oam_rate)", test_oam_rate, NULL}

#endif /* STT_TEST_IPV6_H */

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Unit tests of the STT datapath through BPF_PROG_TEST_RUN.
 *
 *   build/stt_unit [-v] [FILTER]    run the tests (FILTER: substring of the test names)
 *   build/stt_unit --bench [-v]     ns per packet of encap and decap
 *
 * Both skeletons are opened with a private pin_root_path (/sys/fs/bpf/stt-unit-<pid>), so
 * their LIBBPF_PIN_BY_NAME maps are shared with each other and with nothing else; the pins
 * and the directory are removed at exit, on failure paths and on fatal signals.
 *
 * The process moves to a network namespace of its own first (when it can), so that nothing
 * of the host's routing reaches the datapath's FIB lookups: in that namespace the lookup
 * for the remote always fails. The encap output then carries zero outer MAC addresses, IP
 * frames leave through bpf_redirect_neigh() (TC_ACT_REDIRECT) and non-IP frames are dropped
 * as tx_no_neigh -- the datapath's documented behaviour with an unresolved neighbour. Every
 * other byte of the output is deterministic except the frame ID (TCP ACK, a per-CPU counter),
 * the outer IP ID derived from it and the flow-hash source port: those three are copied
 * from the output into the expected packet after their own checks.
 *
 * Frames too big for one segment are cut by stt_tc_tx in passes (pass 1 redirects the
 * encapsulated frame to the vport's ingress marked FRESH; each later pass sends a segment and
 * re-injects the rest as a clone marked ADVANCE). The tests run each pass themselves, with
 * the mark in ctx_in, and read the mark back from ctx_out. The clones are real: they enter lo
 * of the private namespace, which the cut tests bring up for their duration and capture
 * from with packet sockets (see lo_set_up()).
 *
 * Packets are built from the packed header structs below, with checksums computed here,
 * independently of the datapath's ones' complement code.
 *
 * A test that reproduces a known, reported datapath bug in exactly its known form is
 * reported "not ok ... # TODO" (test_todo()): counted neither as passed nor as failed.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/magic.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "stt_proto.h"
#include "stt_maps.h"
#include "stt_check.h"
#include "stt_tx.skel.h"
#include "stt_tc_rx.skel.h"
#include "stt_xdp.skel.h"
#include "test.h"
#include "pins.h"

/* ------------------------------------------------------------------------------------------ */
/* Wire structs of the test's own, so that the expected packets do not share the datapath's.   */

struct t_eth {
	uint8_t dst[6];
	uint8_t src[6];
	uint16_t proto;
} __attribute__((packed));

struct t_ip4 {
	uint8_t ver_ihl;
	uint8_t tos;
	uint16_t tot_len;
	uint16_t id;
	uint16_t frag;
	uint8_t ttl;
	uint8_t proto;
	uint16_t csum;
	uint32_t saddr;
	uint32_t daddr;
} __attribute__((packed));

struct t_tcp {
	uint16_t sport;
	uint16_t dport;
	uint32_t seq;
	uint32_t ack;
	uint8_t doff; /* data offset in the high nibble */
	uint8_t flags;
	uint16_t window;
	uint16_t csum;
	uint16_t urg;
} __attribute__((packed));

struct t_udp {
	uint16_t sport;
	uint16_t dport;
	uint16_t len;
	uint16_t csum;
} __attribute__((packed));

struct t_icmp {
	uint8_t type;
	uint8_t code;
	uint16_t csum;
	uint16_t id;
	uint16_t seq;
} __attribute__((packed));

struct t_arp {
	uint16_t htype;
	uint16_t ptype;
	uint8_t hlen;
	uint8_t plen;
	uint16_t op;
	uint8_t sha[6];
	uint32_t spa;
	uint8_t tha[6];
	uint32_t tpa;
} __attribute__((packed));

/* draft-davie-stt-03 section 3.1 */
struct t_stt {
	uint8_t version;
	uint8_t flags;
	uint8_t l4_offset;
	uint8_t reserved;
	uint16_t mss;
	uint16_t vlan;
	uint64_t context;
	uint16_t pad;
} __attribute__((packed));

_Static_assert(sizeof(struct t_eth) == 14, "eth");
_Static_assert(sizeof(struct t_ip4) == 20, "ipv4");
_Static_assert(sizeof(struct t_tcp) == 20, "tcp");
_Static_assert(sizeof(struct t_arp) == 28, "arp");
_Static_assert(sizeof(struct t_stt) == 18, "stt");

#define ETH_LEN	  14
#define IP_OFF	  ETH_LEN
#define TCP_OFF	  (IP_OFF + 20)
#define STT_OFF	  (TCP_OFF + 20)
#define INNER_OFF (STT_OFF + 18)	/* 72: outer eth + ip + tcp + stt */
#define OVERHEAD  (INNER_OFF - ETH_LEN) /* 58: what counts against the MTU */

#define T_TCP_ACK 0x10
#define T_TCP_PSH 0x08
#define T_IP_DF	  0x4000
#define T_IP_MF	  0x2000

/* ------------------------------------------------------------------------------------------ */
/* Test topology                                                                              */

#define LO_IFINDEX  1
#define STT_PORT    7471
#define MTU	    1500
#define CTX	    0x1122334455667788ULL
#define CTX_UNKNOWN 0x0badc0ffee000001ULL

static uint32_t local4, remote4, remote4b; /* 198.18.0.1, .2, .3, network order */
static const uint8_t vm_a[6] = {0x02, 0x00, 0x00, 0x00, 0x0a, 0x01}; /* local tenant */
static const uint8_t vm_b[6] = {0x02, 0x00, 0x00, 0x00, 0x0b, 0x02}; /* in the FDB */
static const uint8_t vm_unknown[6] = {0x02, 0x00, 0x00, 0x00, 0x0c, 0x03};
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t zero_mac[6];
static const uint8_t ul_local[6] = {0x02, 0x55, 0x00, 0x00, 0x00, 0x01}; /* underlay */
static const uint8_t ul_remote[6] = {0x02, 0x55, 0x00, 0x00, 0x00, 0x02};

/* ------------------------------------------------------------------------------------------ */
/* Packets                                                                                    */

#define PKT_MAX 16384 /* room for a frame of STT_SUM_MAX + 1 bytes */

struct pkt {
	size_t len;
	uint8_t d[PKT_MAX];
};

static void *pkt_put(struct pkt *p, size_t n)
{
	void *r;

	if (p->len + n > PKT_MAX) {
		fprintf(stderr, "pkt_put: %zu + %zu bytes do not fit\n", p->len, n);
		abort();
	}
	r = p->d + p->len;
	memset(r, 0, n);
	p->len += n;
	return r;
}

static void pkt_append(struct pkt *p, const void *src, size_t n)
{
	memcpy(pkt_put(p, n), src, n);
}

/* Insert n bytes of fill at off. */
static void pkt_insert(struct pkt *p, size_t off, size_t n, uint8_t fill)
{
	pkt_put(p, n);
	memmove(p->d + off + n, p->d + off, p->len - n - off);
	memset(p->d + off, fill, n);
}

static void fill_payload(uint8_t *b, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(seed + i * 7 + (i >> 8));
}

/* Ones' complement sum of big-endian 16-bit words; an odd last byte is padded with zero. */
static uint64_t sum16(const void *buf, size_t len, uint64_t sum)
{
	const uint8_t *b = buf;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	return sum;
}

static uint16_t fold16(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static uint64_t pseudo4(uint32_t saddr, uint32_t daddr, uint8_t proto, size_t l4_len)
{
	uint32_t s = ntohl(saddr), d = ntohl(daddr);

	return (uint64_t)(s >> 16) + (s & 0xffff) + (d >> 16) + (d & 0xffff) + proto + l4_len;
}

static void ip4_set_csum(struct t_ip4 *ip)
{
	ip->csum = 0;
	ip->csum = htons(~fold16(sum16(ip, (ip->ver_ihl & 15) * 4, 0)) & 0xffff);
}

static bool ip4_csum_ok(const struct t_ip4 *ip)
{
	return fold16(sum16(ip, (ip->ver_ihl & 15) * 4, 0)) == 0xffff;
}

/* The L4 checksum field sits at csum_off inside the L4 header. */
static void l4_set_csum(const struct t_ip4 *ip, void *l4, size_t l4_len, size_t csum_off)
{
	uint16_t *c = (uint16_t *)((uint8_t *)l4 + csum_off), v;

	*c = 0;
	v = ~fold16(sum16(l4, l4_len, pseudo4(ip->saddr, ip->daddr, ip->proto, l4_len))) & 0xffff;
	if (ip->proto == 17 && v == 0)
		v = 0xffff; /* UDP: 0 means "no checksum" */
	*c = htons(v);
}

static bool l4_csum_ok(const struct t_ip4 *ip, const void *l4, size_t l4_len)
{
	return fold16(sum16(l4, l4_len, pseudo4(ip->saddr, ip->daddr, ip->proto, l4_len))) ==
	       0xffff;
}

static struct t_eth *put_eth(struct pkt *p, const uint8_t *dst, const uint8_t *src, uint16_t proto)
{
	struct t_eth *e = pkt_put(p, sizeof(*e));

	memcpy(e->dst, dst, 6);
	memcpy(e->src, src, 6);
	e->proto = htons(proto);
	return e;
}

static struct t_ip4 *put_ip4(struct pkt *p, uint32_t saddr, uint32_t daddr, uint8_t proto,
			     size_t l4_len, uint16_t id)
{
	struct t_ip4 *ip = pkt_put(p, sizeof(*ip));

	ip->ver_ihl = 0x45;
	ip->tot_len = htons(sizeof(*ip) + l4_len);
	ip->id = htons(id);
	ip->frag = htons(T_IP_DF);
	ip->ttl = 64;
	ip->proto = proto;
	ip->saddr = saddr;
	ip->daddr = daddr;
	ip4_set_csum(ip);
	return ip;
}

/* A tenant flow. */
struct flow {
	const uint8_t *dmac, *smac;
	uint32_t saddr, daddr;
	uint16_t sport, dport;
};

static void inner_flow(struct flow *f, const uint8_t *dmac, uint16_t sport)
{
	f->dmac = dmac;
	f->smac = vm_a;
	f->saddr = htonl(0x0a000001); /* 10.0.0.1 */
	f->daddr = htonl(0x0a000002);
	f->sport = sport;
	f->dport = 80;
}

/* Tenant frames, each with complete IP and L4 checksums. */
static void build_tcp(struct pkt *p, const struct flow *f, size_t payload)
{
	struct t_ip4 *ip;
	struct t_tcp *tcp;
	size_t l4 = sizeof(*tcp) + payload;

	p->len = 0;
	put_eth(p, f->dmac, f->smac, 0x0800);
	ip = put_ip4(p, f->saddr, f->daddr, 6, l4, 0x1234);
	tcp = pkt_put(p, sizeof(*tcp));
	tcp->sport = htons(f->sport);
	tcp->dport = htons(f->dport);
	tcp->seq = htonl(1000);
	tcp->ack = htonl(2000);
	tcp->doff = 5 << 4;
	tcp->flags = T_TCP_ACK | T_TCP_PSH;
	tcp->window = htons(65535);
	fill_payload(pkt_put(p, payload), payload, 0x11);
	l4_set_csum(ip, tcp, l4, offsetof(struct t_tcp, csum));
}

static void build_udp(struct pkt *p, const struct flow *f, size_t payload, bool with_csum)
{
	struct t_ip4 *ip;
	struct t_udp *udp;
	size_t l4 = sizeof(*udp) + payload;

	p->len = 0;
	put_eth(p, f->dmac, f->smac, 0x0800);
	ip = put_ip4(p, f->saddr, f->daddr, 17, l4, 0x2345);
	udp = pkt_put(p, sizeof(*udp));
	udp->sport = htons(f->sport);
	udp->dport = htons(f->dport);
	udp->len = htons(l4);
	fill_payload(pkt_put(p, payload), payload, 0x22);
	if (with_csum)
		l4_set_csum(ip, udp, l4, offsetof(struct t_udp, csum));
}

static void build_icmp(struct pkt *p, const struct flow *f, size_t payload)
{
	struct t_icmp *icmp;
	size_t l4 = sizeof(*icmp) + payload;

	p->len = 0;
	put_eth(p, f->dmac, f->smac, 0x0800);
	put_ip4(p, f->saddr, f->daddr, 1, l4, 0x3456);
	icmp = pkt_put(p, sizeof(*icmp));
	icmp->type = 8; /* echo request */
	icmp->id = htons(0x77);
	icmp->seq = htons(1);
	fill_payload(pkt_put(p, payload), payload, 0x33);
	icmp->csum = htons(~fold16(sum16(icmp, l4, 0)) & 0xffff);
}

/* ARP request (to the broadcast MAC) or reply (unicast to dmac). */
static void build_arp(struct pkt *p, const uint8_t *dmac, const uint8_t *smac, uint32_t spa,
		      uint32_t tpa)
{
	bool request = !memcmp(dmac, bcast, 6);
	struct t_arp *a;

	p->len = 0;
	put_eth(p, dmac, smac, 0x0806);
	a = pkt_put(p, sizeof(*a));
	a->htype = htons(1);
	a->ptype = htons(0x0800);
	a->hlen = 6;
	a->plen = 4;
	a->op = htons(request ? 1 : 2);
	memcpy(a->sha, smac, 6);
	a->spa = spa;
	if (!request)
		memcpy(a->tha, dmac, 6);
	a->tpa = tpa;
}

/* Outer headers of one STT segment (draft-davie-stt-03 sections 3.1, 3.2). */
struct outer {
	const uint8_t *dmac, *smac;
	uint32_t saddr, daddr;
	uint16_t ip_id; /* host order */
	uint16_t frag;	/* host order */
	uint16_t sport, dport;
	uint32_t seq, ack; /* host order */
	uint8_t stt_flags;
	uint8_t l4_off;
	uint64_t context;
};

static void build_stt(struct pkt *p, const struct outer *o, const struct pkt *inner)
{
	size_t l4 = sizeof(struct t_tcp) + sizeof(struct t_stt) + inner->len;
	struct t_ip4 *ip;
	struct t_tcp *tcp;
	struct t_stt *stt;

	p->len = 0;
	put_eth(p, o->dmac, o->smac, 0x0800);
	ip = put_ip4(p, o->saddr, o->daddr, 6, l4, o->ip_id);
	ip->frag = htons(o->frag);
	ip4_set_csum(ip);
	tcp = pkt_put(p, sizeof(*tcp));
	tcp->sport = htons(o->sport);
	tcp->dport = htons(o->dport);
	tcp->seq = htonl(o->seq);
	tcp->ack = htonl(o->ack);
	tcp->doff = 5 << 4;
	tcp->flags = T_TCP_ACK | T_TCP_PSH;
	stt = pkt_put(p, sizeof(*stt));
	stt->version = 0;
	stt->flags = o->stt_flags;
	stt->l4_offset = o->l4_off;
	stt->context = htobe64(o->context);
	pkt_append(p, inner->d, inner->len);
	l4_set_csum(ip, tcp, l4, offsetof(struct t_tcp, csum));
}

static struct t_ip4 *ip_of(struct pkt *p)
{
	return (struct t_ip4 *)(p->d + IP_OFF);
}

static struct t_tcp *tcp_of(struct pkt *p)
{
	return (struct t_tcp *)(p->d + IP_OFF + (ip_of(p)->ver_ihl & 15) * 4);
}

/* Recompute the outer IP and TCP checksums of a (mutated) segment, where they are whole. */
static void stt_refresh_csums(struct pkt *p)
{
	struct t_ip4 *ip = ip_of(p);
	size_t ihl = (ip->ver_ihl & 15) * 4, tot = ntohs(ip->tot_len);

	if (p->len < IP_OFF + ihl)
		return;
	ip4_set_csum(ip);
	if (tot + ETH_LEN == p->len && tot >= ihl + sizeof(struct t_tcp))
		l4_set_csum(ip, tcp_of(p), tot - ihl, offsetof(struct t_tcp, csum));
}

/* ------------------------------------------------------------------------------------------ */
/* BPF fixture                                                                                */

static struct stt_tx_bpf *tc_skel; /* the transmit object: its maps are every pinned map */
static struct stt_tc_rx_bpf *rx_skel;
static struct stt_xdp_bpf *xdp_skel;
static int ncpus;
static bool private_netns;
static int netns_errno;
static int fd_cfg, fd_vports, fd_contexts, fd_fdb, fd_flood, fd_stats;
static int fd_cfg6, fd_remotes6, fd_remote6_ids; /* IPv6 underlay (tests/unit/test_ipv6.h) */
static int fd_tx, fd_tc_rx, fd_xdp_rx;


static void cleanup(void)
{
	if (xdp_skel)
		stt_xdp_bpf__destroy(xdp_skel);
	if (rx_skel)
		stt_tc_rx_bpf__destroy(rx_skel);
	if (tc_skel)
		stt_tx_bpf__destroy(tc_skel);
	rx_skel = NULL;
	xdp_skel = NULL;
	tc_skel = NULL;
	remove_pin_dir();
}




/*
 * Returns 0 on success, 1 to skip (with T.skip set), -1 on failure (message printed).
 */
static int setup(void)
{
	struct statfs sfs;
	cpu_set_t cpus;
	int err, cpu;

	if (geteuid() != 0) {
		test_skip("not root");
		return 1;
	}
	if (statfs("/sys/fs/bpf", &sfs) || sfs.f_type != BPF_FS_MAGIC) {
		test_skip("no bpffs at /sys/fs/bpf");
		return 1;
	}

	/* A network namespace of our own: FIB lookups that see no host routes (see the top). */
	private_netns = unshare(CLONE_NEWNET) == 0;
	netns_errno = private_netns ? 0 : errno;
	/* One CPU: the per-CPU frame ID counter then advances by one per frame. */
	cpu = sched_getcpu();
	if (cpu >= 0) {
		CPU_ZERO(&cpus);
		CPU_SET(cpu, &cpus);
		sched_setaffinity(0, sizeof(cpus), &cpus);
	}

	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0) {
		printf("# setup: libbpf_num_possible_cpus: %d\n", ncpus);
		return -1;
	}

	err = load_skels("stt-unit", cleanup, &tc_skel, &rx_skel, &xdp_skel);
	if (err)
		return err;

	fd_cfg = bpf_map__fd(tc_skel->maps.stt_cfg);
	fd_vports = bpf_map__fd(tc_skel->maps.stt_vports);
	fd_contexts = bpf_map__fd(tc_skel->maps.stt_contexts);
	fd_fdb = bpf_map__fd(tc_skel->maps.stt_fdb);
	fd_flood = bpf_map__fd(tc_skel->maps.stt_flood);
	fd_stats = bpf_map__fd(tc_skel->maps.stt_stats);
	fd_cfg6 = bpf_map__fd(tc_skel->maps.stt_cfg6);
	fd_remotes6 = bpf_map__fd(tc_skel->maps.stt_remotes6);
	fd_remote6_ids = bpf_map__fd(tc_skel->maps.stt_remote6_ids);
	fd_tx = bpf_program__fd(tc_skel->progs.stt_tc_tx);
	fd_tc_rx = bpf_program__fd(rx_skel->progs.stt_tc_rx);
	fd_xdp_rx = bpf_program__fd(xdp_skel->progs.stt_xdp_rx);
	return 0;
}

/*
 * The IPv6 side of the baseline: no IPv6 local address (stt_cfg6 zero), no IPv6 remotes
 * (the indexes the tests use zeroed, stt_remote6_ids empty). test_ipv6.h sets its own.
 */
#define T_REMOTES6_USED 16
static int reset_maps6(void)
{
	struct stt_cfg6 c6 = {};
	struct stt_addr6 a = {}, k, next;
	__u32 zero = 0;
	int err = 0;

	err |= bpf_map_update_elem(fd_cfg6, &zero, &c6, BPF_ANY);
	for (__u32 i = 0; i < T_REMOTES6_USED; i++)
		err |= bpf_map_update_elem(fd_remotes6, &i, &a, BPF_ANY);
	while (bpf_map_get_next_key(fd_remote6_ids, NULL, &next) == 0) {
		k = next;
		if (bpf_map_delete_elem(fd_remote6_ids, &k))
			return -1;
	}
	return err;
}

/* The baseline map contents; each test starts from them. */
static int reset_maps(void)
{
	struct stt_cfg cfg = {
	    .ifindex = LO_IFINDEX,
	    .local4 = local4,
	    .port = STT_PORT,
	    .ttl = 64,
	    .mtu = MTU,
	    /* As attached on a NIC: XDP counts segments and passes, TC does not. */
	    .flags = STT_CFG_XDP,
	};
	struct stt_vport vp = {.context = CTX};
	struct stt_ctx_val cv = {.ifindex = LO_IFINDEX, .flags = 0};
	struct stt_fdb_key fk = {.context = CTX};
	struct stt_fdb_val fv = {.remote4 = remote4};
	struct stt_flood_val fl = {.count = 1, .remote4 = {remote4}};
	__u32 zero = 0, lo = LO_IFINDEX;
	__u64 ctx = CTX, unknown = CTX_UNKNOWN;
	int err = 0;

	memcpy(fk.mac, vm_b, 6);
	err |= bpf_map_update_elem(fd_cfg, &zero, &cfg, BPF_ANY);
	err |= bpf_map_update_elem(fd_vports, &lo, &vp, BPF_ANY);
	err |= bpf_map_update_elem(fd_contexts, &ctx, &cv, BPF_ANY);
	err |= bpf_map_update_elem(fd_fdb, &fk, &fv, BPF_ANY);
	err |= bpf_map_update_elem(fd_flood, &ctx, &fl, BPF_ANY);
	bpf_map_delete_elem(fd_contexts, &unknown);
	err |= reset_maps6();
	return err;
}

static int set_ctx_flags(__u32 flags)
{
	struct stt_ctx_val cv = {.ifindex = LO_IFINDEX, .flags = flags};
	__u64 ctx = CTX;

	return bpf_map_update_elem(fd_contexts, &ctx, &cv, BPF_ANY);
}

/* ------------------------------------------------------------------------------------------ */
/* Counters                                                                                   */

struct counters {
	__u64 c[STT_NR_COUNTERS];
};

#define DROP(reason) (STT_C_DROP_BASE + STT_DROP_##reason)

static const char *counter_name(int i)
{
	#define STT_COUNTER_NAME(name, str, help) [STT_C_##name] = str,
	static const char *const base[STT_C_DROP_BASE] = {STT_COUNTERS(STT_COUNTER_NAME)};
#undef STT_COUNTER_NAME
#define STT_DROP_NAME(name, str, help) "drop " str,
	static const char *const drops[] = {STT_DROP_REASONS(STT_DROP_NAME)};
#undef STT_DROP_NAME
	static char other[32];

	if (i >= STT_C_DROP_BASE)
		return drops[i - STT_C_DROP_BASE];
	if (base[i])
		return base[i];
	snprintf(other, sizeof(other), "#%d", i); /* a counter added after these tests */
	return other;
}

static bool read_counters(struct counters *c)
{
	__u64 v[ncpus];

	for (__u32 i = 0; i < STT_NR_COUNTERS; i++) {
		if (!ASSERT_OK(bpf_map_lookup_elem(fd_stats, &i, v), "stt_stats lookup"))
			return false;
		c->c[i] = 0;
		for (int cpu = 0; cpu < ncpus; cpu++)
			c->c[i] += v[cpu];
	}
	return true;
}

struct cdelta {
	int idx;
	__u64 n;
};

/*
 * Every counter moved by exactly what the list says, and every other counter (every drop
 * reason included) did not move.
 */
static bool check_deltas(const struct counters *before, const struct cdelta *d, int nd)
{
	struct counters after;
	bool ok = true;

	if (!read_counters(&after))
		return false;
	for (int i = 0; i < STT_NR_COUNTERS; i++) {
		__u64 want = 0, got = after.c[i] - before->c[i];
		char name[64];

		for (int j = 0; j < nd; j++)
			if (d[j].idx == i)
				want += d[j].n;
		snprintf(name, sizeof(name), "counter %s", counter_name(i));
		ok &= ASSERT_EQ(got, want, name);
	}
	return ok;
}

#define CHECK_DELTAS(before, ...)                                                                  \
	({                                                                                         \
		const struct cdelta ___d[] = {__VA_ARGS__};                                        \
		check_deltas((before), ___d, sizeof(___d) / sizeof(___d[0]));                      \
	})

/* ------------------------------------------------------------------------------------------ */
/* Running a program                                                                          */

struct run {
	int err;
	__u32 retval;
	__u32 duration;
	size_t len;
	struct __sk_buff ctx; /* ctx_out, for run_skb() */
	uint8_t out[PKT_MAX + 512];
};

/* ctx_ifindex: 0 = no ctx_in; otherwise the skb's ifindex (TC programs only). */
static bool run_prog(int prog_fd, const struct pkt *in, __u32 ctx_ifindex, struct run *r)
{
	struct __sk_buff skb = {.ifindex = ctx_ifindex};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in->d, .data_size_in = in->len,
		    .data_out = r->out, .repeat = 1);

	if (ctx_ifindex) {
		o.ctx_in = &skb;
		o.ctx_size_in = sizeof(skb);
	}
	o.data_size_out = sizeof(r->out); /* in: room, out: bytes written; reset every run */
	r->err = bpf_prog_test_run_opts(prog_fd, &o);
	if (r->err)
		r->err = -errno;
	r->retval = o.retval;
	r->duration = o.duration;
	r->len = o.data_size_out;
	return ASSERT_OK(r->err, "bpf_prog_test_run_opts");
}

static bool run_tx(const struct pkt *in, struct run *r)
{
	return run_prog(fd_tx, in, LO_IFINDEX, r);
}

/*
 * A run with a whole __sk_buff in (the kernel takes mark, ifindex, gso_size, ... from it)
 * and out: r->ctx is what the skb looked like at the end (its mark, for one).
 */
static bool run_skb(int prog_fd, const struct pkt *in, const struct __sk_buff *ctx_in,
		    struct run *r)
{
	struct __sk_buff cin = *ctx_in;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in->d, .data_size_in = in->len,
		    .data_out = r->out, .repeat = 1, .ctx_in = &cin, .ctx_size_in = sizeof(cin),
		    .ctx_out = &r->ctx, .ctx_size_out = sizeof(r->ctx));

	memset(&r->ctx, 0, sizeof(r->ctx));
	o.data_size_out = sizeof(r->out);
	r->err = bpf_prog_test_run_opts(prog_fd, &o);
	if (r->err)
		r->err = -errno;
	r->retval = o.retval;
	r->duration = o.duration;
	r->len = o.data_size_out;
	return ASSERT_OK(r->err, "bpf_prog_test_run_opts");
}

/* stt_tc_tx on the vport (lo) with skb->mark set: a pass of a cut frame. */
static bool run_tx_mark(const struct pkt *in, __u32 mark, struct run *r)
{
	struct __sk_buff skb = {.ifindex = LO_IFINDEX, .mark = mark};

	return run_skb(fd_tx, in, &skb, r);
}

/* ------------------------------------------------------------------------------------------ */
/* Tests: fixture                                                                             */

static __u32 map_id(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.id;
}

static void test_shared_maps(const void *arg)
{
	char path[PATH_MAX + 32];
	struct stat st;

	ASSERT_EQ(map_id(bpf_map__fd(xdp_skel->maps.stt_stats)), map_id(fd_stats),
		  "stt_stats shared");
	ASSERT_EQ(map_id(bpf_map__fd(xdp_skel->maps.stt_contexts)), map_id(fd_contexts),
		  "stt_contexts shared");
	ASSERT_EQ(map_id(bpf_map__fd(xdp_skel->maps.stt_cfg)), map_id(fd_cfg), "stt_cfg shared");
	snprintf(path, sizeof(path), "%s/stt_stats", pin_dir);
	ASSERT_OK(stat(path, &st), "stt_stats pinned in the private directory");
	snprintf(path, sizeof(path), "%s/stt_frame_ids", pin_dir);
	ASSERT_TRUE(stat(path, &st) && errno == ENOENT, "stt_frame_ids is not pinned");
}

static void test_ctx_ifindex(const void *arg)
{
	/*
	 * The kernel accepts __sk_buff.ifindex in ctx_in (convert___skb_to_skb() lets it
	 * through); test_run looks the device up only for ifindex > 1 and otherwise uses the
	 * namespace's loopback, which is ifindex 1: skb->ifindex reads 1 either way. What must
	 * hold is that the run is accepted and the program sees lo as the vport: encap happens.
	 */
	struct pkt in = {};
	struct flow f;
	struct run r;

	inner_flow(&f, vm_b, 40000);
	build_tcp(&in, &f, 10);
	if (!run_tx(&in, &r))
		return;
	ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "verdict");
	ASSERT_EQ(r.len, in.len + INNER_OFF, "encapsulated length");

	/* An ifindex > 1 is looked up in the caller's netns: one that does not exist is -ENODEV. */
	{
		struct __sk_buff skb = {.ifindex = 100000};
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in.d, .data_size_in = in.len,
			    .data_out = r.out, .data_size_out = sizeof(r.out), .ctx_in = &skb,
			    .ctx_size_in = sizeof(skb), .repeat = 1);
		int err = bpf_prog_test_run_opts(fd_tx, &o);

		ASSERT_EQ(err ? -errno : 0, -ENODEV, "test run with a nonexistent ifindex");
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Tests: encapsulation                                                                       */

enum inner_kind { IN_TCP, IN_UDP, IN_UDP_NOCSUM, IN_ICMP, IN_ARP };

struct encap_arg {
	enum inner_kind kind;
	const uint8_t *dmac; /* vm_b: FDB hit; bcast or vm_unknown: flood */
	size_t payload;	     /* L4 payload bytes */
	size_t pad;	     /* Ethernet padding after the IP packet */
};

static void build_inner(struct pkt *p, enum inner_kind kind, const uint8_t *dmac, size_t payload,
			uint16_t sport)
{
	struct flow f;

	inner_flow(&f, dmac, sport);
	switch (kind) {
	case IN_TCP:
		build_tcp(p, &f, payload);
		break;
	case IN_UDP:
		build_udp(p, &f, payload, true);
		break;
	case IN_UDP_NOCSUM:
		build_udp(p, &f, payload, false);
		break;
	case IN_ICMP:
		build_icmp(p, &f, payload);
		break;
	case IN_ARP:
		build_arp(p, dmac, vm_a, f.saddr, f.daddr);
		if (payload)
			pkt_put(p, payload); /* trailing padding */
		break;
	}
}

static uint8_t stt_flags_of(enum inner_kind kind)
{
	switch (kind) {
	case IN_TCP:
		return STT_F_IPV4 | STT_F_TCP;
	case IN_ARP:
		return 0;
	default:
		return STT_F_IPV4;
	}
}

/*
 * Checks one stt_tc_tx output against an independently built expectation. On return *ack
 * holds the frame ID and *sport the source port the datapath chose.
 */
static bool check_encap_l4(const struct pkt *inner, const struct run *r, uint32_t remote,
			   uint8_t stt_flags, uint8_t l4_off, uint32_t *ack, uint16_t *sport)
{
	struct pkt got = {}, exp = {};
	const struct t_eth *eth;
	struct t_ip4 *ip;
	struct outer o;
	bool ok = true;

	if (!ASSERT_EQ(r->len, inner->len + INNER_OFF, "output length"))
		return false;
	memcpy(got.d, r->out, r->len);
	got.len = r->len;
	eth = (const struct t_eth *)got.d;
	ip = ip_of(&got);

	/* Own checks of the outer checksums, before any comparison. */
	ok &= ASSERT_TRUE(ip4_csum_ok(ip), "outer IPv4 header checksum");
	ok &= ASSERT_TRUE(l4_csum_ok(ip, got.d + TCP_OFF, got.len - TCP_OFF),
			  "outer TCP checksum (pseudo header + TCP + STT + inner frame)");

	*sport = ntohs(tcp_of(&got)->sport);
	*ack = ntohl(tcp_of(&got)->ack);
	ok &= ASSERT_TRUE(*sport >= 49152, "source port in 49152..65535");

	/* Outer MACs: zero when the FIB lookup failed, which it must in our own netns. */
	if (private_netns) {
		ok &= ASSERT_MEM_EQ(eth->dst, 6, zero_mac, 6, "outer dst MAC (FIB lookup fails)");
		ok &= ASSERT_MEM_EQ(eth->src, 6, zero_mac, 6, "outer src MAC (FIB lookup fails)");
	}

	o = (struct outer){
	    .dmac = eth->dst, /* see above */
	    .smac = eth->src,
	    .saddr = local4,
	    .daddr = remote,
	    .ip_id = ntohs(ip->id), /* derived from the frame ID: copied */
	    .frag = T_IP_DF,
	    .sport = *sport, /* flow hash: copied after the range check */
	    .dport = STT_PORT,
	    .seq = (uint32_t)(18 + inner->len) << 16,
	    .ack = *ack, /* per-CPU frame ID: copied */
	    .stt_flags = stt_flags,
	    .l4_off = l4_off,
	    .context = CTX,
	};
	build_stt(&exp, &o, inner);
	ok &= ASSERT_MEM_EQ(got.d, got.len, exp.d, exp.len, "encapsulated packet");
	test_note("sport %u ack 0x%08x ip id 0x%04x", *sport, *ack, ntohs(ip->id));
	return ok;
}

static bool check_encap(const struct pkt *inner, const struct run *r, uint32_t remote,
			uint8_t stt_flags, uint32_t *ack, uint16_t *sport)
{
	return check_encap_l4(inner, r, remote, stt_flags, 0, ack, sport);
}

static void test_encap(const void *arg)
{
	const struct encap_arg *a = arg;
	bool flood = memcmp(a->dmac, vm_b, 6) != 0;
	bool is_ip = a->kind != IN_ARP;
	struct counters before;
	struct pkt in = {};
	uint32_t ack;
	uint16_t sport;
	struct run r;
	bool sent;

	build_inner(&in, a->kind, a->dmac, a->payload, 40000);
	pkt_put(&in, a->pad);
	if (!read_counters(&before) || !run_tx(&in, &r))
		return;
	check_encap(&in, &r, remote4, stt_flags_of(a->kind), &ack, &sport);

	/*
	 * With the FIB lookup failing, an IP frame goes out through bpf_redirect_neigh()
	 * (TC_ACT_REDIRECT); bpf_redirect_neigh() needs an IP skb, so a non-IP frame is
	 * dropped as tx_no_neigh (its encapsulation was still written, and checked above).
	 */
	sent = is_ip || !private_netns;
	if (!private_netns && !is_ip)
		sent = memcmp(r.out, zero_mac, 6) != 0; /* FIB lookup succeeded on the host */
	ASSERT_EQ(r.retval, sent ? TC_ACT_REDIRECT : TC_ACT_SHOT, "verdict");
	if (sent)
		CHECK_DELTAS(&before, {STT_C_TX_FRAMES, 1}, {STT_C_TX_BYTES, in.len},
			     {STT_C_TX_SEGMENTS, 1}, {STT_C_TX_FLOOD_COPIES, flood ? 1 : 0});
	else
		CHECK_DELTAS(&before, {STT_C_TX_FRAMES, 1}, {STT_C_TX_BYTES, in.len},
			     {DROP(TX_NO_NEIGH), 1});
}

static void test_encap_frame_id(const void *arg)
{
	struct pkt in = {};
	uint32_t ack1, ack2;
	uint16_t sp1, sp2;
	struct run r;
	int cpu = sched_getcpu();

	build_inner(&in, IN_TCP, vm_b, 100, 40000);
	if (!run_tx(&in, &r) || !check_encap(&in, &r, remote4, STT_F_IPV4 | STT_F_TCP, &ack1, &sp1))
		return;
	if (!run_tx(&in, &r) || !check_encap(&in, &r, remote4, STT_F_IPV4 | STT_F_TCP, &ack2, &sp2))
		return;
	ASSERT_NEQ(ack2, ack1, "frame ID (TCP ACK) of the next frame");
	/* Pinned to one CPU: the CPU number in the top byte, a counter below it. */
	ASSERT_EQ(ack1 >> 24, (uint32_t)cpu, "CPU number in the frame ID");
	ASSERT_EQ(ack2, ack1 + 1, "frame ID advances by one on the same CPU");
}

static void test_encap_sport(const void *arg)
{
	struct pkt in = {};
	uint32_t ack;
	uint16_t sp1, sp2, sp3, sp4;
	struct run r;

	/* Same flow, different payload: same port. */
	build_inner(&in, IN_TCP, vm_b, 10, 40000);
	if (!run_tx(&in, &r) || !check_encap(&in, &r, remote4, STT_F_IPV4 | STT_F_TCP, &ack, &sp1))
		return;
	build_inner(&in, IN_TCP, vm_b, 700, 40000);
	if (!run_tx(&in, &r) || !check_encap(&in, &r, remote4, STT_F_IPV4 | STT_F_TCP, &ack, &sp2))
		return;
	ASSERT_EQ(sp2, sp1, "source port of a second packet of the same flow");
	/* Another inner source port: another flow. */
	build_inner(&in, IN_TCP, vm_b, 10, 40001);
	if (!run_tx(&in, &r) || !check_encap(&in, &r, remote4, STT_F_IPV4 | STT_F_TCP, &ack, &sp3))
		return;
	ASSERT_NEQ(sp3, sp1, "source port of another flow");
	/* Non-IP frames hash on their MAC addresses: stable too. */
	build_inner(&in, IN_ARP, bcast, 0, 0);
	if (!run_tx(&in, &r) || !check_encap(&in, &r, remote4, 0, &ack, &sp4))
		return;
	if (!run_tx(&in, &r) || !check_encap(&in, &r, remote4, 0, &ack, &sp1))
		return;
	ASSERT_EQ(sp1, sp4, "source port of a repeated ARP frame");
}

static void test_encap_flood_two(const void *arg)
{
	struct stt_flood_val fl = {.count = 2, .remote4 = {remote4, remote4b}};
	struct counters before;
	__u64 ctx = CTX;
	struct pkt in = {};
	uint32_t ack;
	uint16_t sport;
	struct run r;

	if (!private_netns) {
		/* On the host a successful FIB lookup would really clone a copy out. */
		test_skip("needs a private network namespace");
		return;
	}
	if (!ASSERT_OK(bpf_map_update_elem(fd_flood, &ctx, &fl, BPF_ANY), "flood update"))
		return;
	build_inner(&in, IN_UDP, bcast, 33, 40000);
	if (!read_counters(&before) || !run_tx(&in, &r))
		return;
	/*
	 * Without a neighbour only the last copy can leave (bpf_redirect_neigh cannot
	 * clone): the first is counted as tx_no_neigh, the packet is the one for the second
	 * remote, with its own IP and TCP checksums.
	 */
	check_encap(&in, &r, remote4b, STT_F_IPV4, &ack, &sport);
	ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "verdict");
	CHECK_DELTAS(&before, {STT_C_TX_FRAMES, 1}, {STT_C_TX_BYTES, in.len},
		     {STT_C_TX_SEGMENTS, 1}, {STT_C_TX_FLOOD_COPIES, 1}, {DROP(TX_NO_NEIGH), 1});
}

/*
 * A tenant stack with checksum offload leaves the inner L4 checksum as the pseudo-header
 * seed (CHECKSUM_PARTIAL); the device completes it after the encapsulation. The STT header
 * then says "checksum partial" with the L4 offset, and the outer TCP checksum must be right
 * for the frame as it will be on the wire, with the inner checksum completed.
 */
static void test_encap_partial(const void *arg)
{
	enum inner_kind kind = *(const enum inner_kind *)arg;
	size_t csum_off =
	    ETH_LEN + 20 +
	    (kind == IN_TCP ? offsetof(struct t_tcp, csum) : offsetof(struct t_udp, csum));
	struct pkt in = {}, partial = {};
	struct counters before;
	uint16_t seed, sport;
	struct t_ip4 *ip;
	uint32_t ack;
	struct run r;

	build_inner(&in, kind, vm_b, 100, 40000);
	ip = ip_of(&in);
	seed = htons(fold16(pseudo4(ip->saddr, ip->daddr, ip->proto, ntohs(ip->tot_len) - 20)));
	partial = in;
	memcpy(partial.d + csum_off, &seed, 2);
	if (!read_counters(&before) || !run_tx(&partial, &r))
		return;
	ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "verdict");
	if (!ASSERT_EQ(r.len, in.len + INNER_OFF, "output length"))
		return;
	ASSERT_MEM_EQ(r.out + INNER_OFF + csum_off, 2, &seed, 2, "inner checksum left partial");
	/* Complete it, as the device will, and compare with the completed frame. */
	memcpy(r.out + INNER_OFF + csum_off, in.d + csum_off, 2);
	check_encap_l4(&in, &r, remote4, stt_flags_of(kind) | STT_F_CSUM_PARTIAL, ETH_LEN + 20,
		       &ack, &sport);
	CHECK_DELTAS(&before, {STT_C_TX_FRAMES, 1}, {STT_C_TX_BYTES, in.len},
		     {STT_C_TX_SEGMENTS, 1});
}

static void tx_drop_case(const struct pkt *in, __u32 ifindex, int reason)
{
	struct counters before;
	struct run r;

	if (!read_counters(&before) || !run_prog(fd_tx, in, ifindex, &r))
		return;
	ASSERT_EQ(r.retval, TC_ACT_SHOT, "verdict");
	CHECK_DELTAS(&before, {STT_C_DROP_BASE + reason, 1});
}

static void test_encap_no_remote(const void *arg)
{
	__u64 ctx = CTX;
	struct pkt in = {};

	if (!ASSERT_OK(bpf_map_delete_elem(fd_flood, &ctx), "flood delete"))
		return;
	build_inner(&in, IN_TCP, vm_unknown, 10, 40000);
	tx_drop_case(&in, LO_IFINDEX, STT_DROP_TX_NO_REMOTE);
}

static void test_encap_no_vport(const void *arg)
{
	__u32 lo = LO_IFINDEX;
	struct pkt in = {};

	/* The only device of the test's netns is lo: take it out of stt_vports instead. */
	if (!ASSERT_OK(bpf_map_delete_elem(fd_vports, &lo), "vport delete"))
		return;
	build_inner(&in, IN_TCP, vm_b, 10, 40000);
	tx_drop_case(&in, LO_IFINDEX, STT_DROP_TX_NO_VPORT);
}

static int load_null_prog(enum bpf_prog_type type, int ret);

/* ------------------------------------------------------------------------------------------ */
/* Tests: frames too big for one segment                                                      */

/* From bpf/lib/cut.h and bpf/lib/skb.h; copied, like the wire structs. */
#define T_MARK_FRESH   0x53545446 /* "STTF": encapsulated whole, to be cut */
#define T_MARK_ADVANCE 0x53545441 /* "STTA": drop the bytes an earlier pass sent, then cut */
#define T_SUM_MAX      9216	  /* largest frame the datapath sums (and so cuts) */
/* STT payload bytes of each segment but the last: what fits the MTU, a multiple of 8. */
#define SEG_PAYLOAD(mtu) (((mtu)-20 - 20) & ~7u)

/* Assertion names with a prefix ("segment 2: SEQ"); a few rotating buffers. */
static const char *nm(const char *prefix, const char *what)
{
	static char buf[4][160];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s: %s", prefix, what);
	return buf[i];
}

/* The largest data_size_in BPF_PROG_TEST_RUN takes for a TC program (one that only returns). */
static int skb_test_run_limit(void)
{
	static struct pkt big;
	int fd = load_null_prog(BPF_PROG_TYPE_SCHED_CLS, TC_ACT_OK), lo = ETH_LEN, hi = PKT_MAX;

	if (fd < 0)
		return -1;
	memset(big.d, 0, sizeof(big.d));
	big.d[12] = 0x08; /* IPv4 */
	while (lo < hi) {
		int mid = (lo + hi + 1) / 2;
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = big.d, .data_size_in = mid,
			    .repeat = 1);

		if (bpf_prog_test_run_opts(fd, &o))
			hi = mid - 1;
		else
			lo = mid;
	}
	close(fd);
	return lo;
}

/*
 * Own check of an inner IPv4 frame's checksums: the IP header's, and the TCP or UDP one
 * (with the pseudo header) or the ICMP one.
 */
static bool inner_csums_ok(const uint8_t *d, size_t len)
{
	const struct t_ip4 *ip = (const struct t_ip4 *)(d + ETH_LEN);
	size_t ihl, tot;

	if (len < ETH_LEN + sizeof(*ip))
		return false;
	ihl = (ip->ver_ihl & 15) * 4;
	tot = ntohs(ip->tot_len);
	if (ETH_LEN + tot > len || tot < ihl || !ip4_csum_ok(ip))
		return false;
	switch (ip->proto) {
	case 6:
	case 17:
		return l4_csum_ok(ip, d + ETH_LEN + ihl, tot - ihl);
	case 1:
		return fold16(sum16(d + ETH_LEN + ihl, tot - ihl, 0)) == 0xffff;
	}
	return false;
}

/* The pseudo-header seed a stack leaves in a checksum it hands to offload (CHECKSUM_PARTIAL). */
static void set_partial_seed(struct pkt *p)
{
	struct t_ip4 *ip = ip_of(p);
	size_t off = ETH_LEN + 20 +
		     (ip->proto == 6 ? offsetof(struct t_tcp, csum) : offsetof(struct t_udp, csum));
	uint16_t seed =
	    htons(fold16(pseudo4(ip->saddr, ip->daddr, ip->proto, ntohs(ip->tot_len) - 20)));

	memcpy(p->d + off, &seed, 2);
}

/*
 * bpf_clone_redirect() in a test run is real: the cut passes inject their clone into the
 * ingress of lo (the vport of these tests) of the test's network namespace. lo is down in a
 * new namespace, and a down device refuses the clone (NET_RX_DROP), which the datapath counts
 * as tx_error. So the cut tests bring lo up for their own duration and set it down after:
 * the other tests see the namespace as before. In lo, a clone is an IPv4 packet to
 * 198.18.0.x, which the namespace has no route for: IP drops it, no program runs on it.
 * To check the clones, packet sockets on lo capture them, one per mark (a classic BPF filter
 * reads skb->mark); each test takes every clone it expects and fails on any other.
 */
#include "lo_capture.h"

struct cut_env {
	int cap_adv;   /* clones marked ADVANCE: the rest of a frame, for the next pass */
	int cap_fresh; /* clones marked FRESH: flood copies of a frame to cut */
};

static bool cut_env_open(struct cut_env *e)
{
	e->cap_adv = e->cap_fresh = -1;
	if (!private_netns) {
		/* Clones would enter the host's lo, where forwarding may route them on. */
		test_skip(
		    "needs a private network namespace (the cut passes inject clones into lo)");
		return false;
	}
	if (!ASSERT_TRUE(lo_set_up(true), "bring lo up (clones need an up device)"))
		return false;
	e->cap_adv = capture_open(T_MARK_ADVANCE);
	e->cap_fresh = capture_open(T_MARK_FRESH);
	return ASSERT_TRUE(e->cap_adv >= 0 && e->cap_fresh >= 0, "packet sockets on lo");
}

static void cut_env_close(struct cut_env *e)
{
	struct pkt p;

	if (e->cap_adv >= 0) {
		if (!T.skipped)
			ASSERT_TRUE(!capture_next(e->cap_adv, &p, 50),
				    "no clone marked ADVANCE left unexpected");
		close(e->cap_adv);
	}
	if (e->cap_fresh >= 0) {
		if (!T.skipped)
			ASSERT_TRUE(!capture_next(e->cap_fresh, &p, 50),
				    "no clone marked FRESH left unexpected");
		close(e->cap_fresh);
	}
	e->cap_adv = e->cap_fresh = -1;
	if (private_netns)
		ASSERT_TRUE(lo_set_up(false), "set lo down again");
}

/* A frame being cut: what every segment of it must carry. */
struct cut_frame {
	struct pkt stt; /* the STT payload: STT header + inner frame (complete checksums) */
	uint32_t remote;
	uint32_t ack; /* frame ID: chosen by pass 1, copied after its checks */
	uint16_t ip_id, sport;
};

static void build_stt_payload(struct pkt *p, uint8_t stt_flags, const struct pkt *inner)
{
	struct t_stt *stt;

	p->len = 0;
	stt = pkt_put(p, sizeof(*stt));
	stt->version = 0;
	stt->flags = stt_flags;
	stt->context = htobe64(CTX);
	pkt_append(p, inner->d, inner->len);
}

/*
 * One expected segment: STT payload bytes [off, off + n) with SEQ offset seq_off (off, but
 * for the known-bug signature below), ACK, PSH on the last, both checksums over this segment.
 * No neighbour in the test's netns: the outer MACs are zero.
 */
static void build_cut_segment(struct pkt *p, const struct cut_frame *f, size_t off, size_t n,
			      size_t seq_off)
{
	bool last = off + n == f->stt.len;
	struct t_ip4 *ip;
	struct t_tcp *tcp;

	p->len = 0;
	put_eth(p, zero_mac, zero_mac, 0x0800);
	ip = put_ip4(p, local4, f->remote, 6, sizeof(*tcp) + n, f->ip_id);
	tcp = pkt_put(p, sizeof(*tcp));
	tcp->sport = htons(f->sport);
	tcp->dport = htons(STT_PORT);
	tcp->seq = htonl(STT_SEQ(f->stt.len, seq_off));
	tcp->ack = htonl(f->ack);
	tcp->doff = 5 << 4;
	tcp->flags = T_TCP_ACK | (last ? T_TCP_PSH : 0);
	pkt_append(p, f->stt.d + off, n);
	l4_set_csum(ip, tcp, sizeof(*tcp) + n, offsetof(struct t_tcp, csum));
}

static size_t cut_seg_len(const struct cut_frame *f, size_t off)
{
	size_t seg_max = SEG_PAYLOAD(MTU);

	return f->stt.len - off < seg_max ? f->stt.len - off : seg_max;
}

/*
 * Checks one cut pass's output: the segment at STT payload offset off. Own checks first (IP
 * total length, IP and TCP checksums over this segment alone, SEQ, flags, frame ID), then
 * the whole packet against the expected one. Appends the payload to *joined.
 */
static bool check_cut_segment(const struct run *r, const struct cut_frame *f, size_t off,
			      const char *what, struct pkt *joined)
{
	size_t n = cut_seg_len(f, off);
	bool last = off + n == f->stt.len, ok = true;
	struct pkt got = {}, exp = {};
	struct t_ip4 *ip;
	struct t_tcp *tcp;

	ok &= ASSERT_EQ(r->retval, TC_ACT_REDIRECT, nm(what, "verdict"));
	ok &= ASSERT_EQ(r->ctx.mark, 0, nm(what, "skb mark cleared"));
	if (!ASSERT_EQ(r->len, STT_OFF + n, nm(what, "segment length")))
		return false;
	memcpy(got.d, r->out, r->len);
	got.len = r->len;
	ip = ip_of(&got);
	tcp = tcp_of(&got);
	ok &= ASSERT_EQ(ntohs(ip->tot_len), 40 + n, nm(what, "IP total length"));
	ok &= ASSERT_TRUE(ip4_csum_ok(ip), nm(what, "outer IP header checksum"));
	ok &= ASSERT_TRUE(l4_csum_ok(ip, tcp, sizeof(*tcp) + n),
			  nm(what, "outer TCP checksum over this segment"));
	ok &= ASSERT_EQ(ntohl(tcp->seq), STT_SEQ(f->stt.len, off),
			nm(what, "SEQ (length << 16 | offset)"));
	ok &= ASSERT_EQ(tcp->flags, T_TCP_ACK | (last ? T_TCP_PSH : 0), nm(what, "TCP flags"));
	ok &= ASSERT_EQ(ntohl(tcp->ack), f->ack, nm(what, "frame ID (ACK) of the frame"));
	if (off == 0)
		ok &= ASSERT_MEM_EQ(got.d + STT_OFF, sizeof(struct t_stt), f->stt.d,
				    sizeof(struct t_stt), nm(what, "STT header"));
	build_cut_segment(&exp, f, off, n, off);
	ok &= ASSERT_MEM_EQ(got.d, got.len, exp.d, exp.len, nm(what, "segment"));
	if (joined)
		pkt_append(joined, got.d + STT_OFF, got.len - STT_OFF);
	return ok;
}

/*
 * Pass 1: stt_tc_tx encapsulates a frame too big for one segment whole (outer headers for
 * the remote, the STT header without checksum-partial) and redirects it to the vport's own
 * ingress, marked FRESH. sent: the frame as the tenant sent it; inner: the same frame with
 * complete checksums, which is what must be inside. On success *frame is pass 1's output
 * and *f describes the frame for the segment checks.
 */
static bool cut_pass1(const struct pkt *sent, const struct pkt *inner, uint8_t stt_flags,
		      struct cut_frame *f, struct pkt *frame)
{
	struct __sk_buff skb = {.ifindex = LO_IFINDEX};
	struct counters before;
	struct pkt exp = {};
	struct outer o;
	struct run r;
	bool ok = true;

	if (!read_counters(&before) || !run_skb(fd_tx, sent, &skb, &r))
		return false;
	ok &= ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "pass 1: verdict (to the vport's ingress)");
	ok &= ASSERT_EQ(r.ctx.mark, T_MARK_FRESH, "pass 1: skb mark");
	ok &= CHECK_DELTAS(&before, {STT_C_TX_FRAMES, 1}, {STT_C_TX_BYTES, sent->len},
			   {STT_C_TX_CUT_FRAMES, 1});
	if (!ASSERT_EQ(r.len, INNER_OFF + inner->len, "pass 1: output length"))
		return false;
	memcpy(frame->d, r.out, r.len);
	frame->len = r.len;

	f->remote = remote4;
	f->ack = ntohl(tcp_of(frame)->ack);
	f->sport = ntohs(tcp_of(frame)->sport);
	f->ip_id = ntohs(ip_of(frame)->id);
	ok &= ASSERT_TRUE(f->sport >= 49152, "pass 1: source port in 49152..65535");
	ok &= ASSERT_EQ(f->ip_id, f->ack & 0xffff, "pass 1: IP ID from the frame ID");
	build_stt_payload(&f->stt, stt_flags, inner);

	ok &= ASSERT_TRUE(inner_csums_ok(frame->d + INNER_OFF, frame->len - INNER_OFF),
			  "pass 1: inner checksums complete and correct (own check)");
	o = (struct outer){
	    .dmac = zero_mac,
	    .smac = zero_mac,
	    .saddr = local4,
	    .daddr = f->remote,
	    .ip_id = f->ip_id,
	    .frag = T_IP_DF,
	    .sport = f->sport,
	    .dport = STT_PORT,
	    .seq = STT_SEQ(f->stt.len, 0),
	    .ack = f->ack,
	    .stt_flags = stt_flags,
	    .context = CTX,
	};
	build_stt(&exp, &o, inner);
	/* Pass 1's outer checksums are not final (each pass computes its own): not compared. */
	memcpy(exp.d + IP_OFF + offsetof(struct t_ip4, csum),
	       frame->d + IP_OFF + offsetof(struct t_ip4, csum), 2);
	memcpy(exp.d + TCP_OFF + offsetof(struct t_tcp, csum),
	       frame->d + TCP_OFF + offsetof(struct t_tcp, csum), 2);
	ok &= ASSERT_MEM_EQ(frame->d, frame->len, exp.d, exp.len, "pass 1: encapsulated frame");
	return ok;
}

struct cut_arg {
	enum inner_kind kind;
	size_t len;   /* the inner frame */
	bool partial; /* its L4 checksum left as the pseudo-header seed (offload) */
};

static size_t inner_hdrs(enum inner_kind kind)
{
	return ETH_LEN + 20 + (kind == IN_TCP ? sizeof(struct t_tcp) : 8);
}

/*
 * A non-GSO frame that does not fit one segment (outer IP = inner + 58 > MTU), in two:
 * pass 1, then the pass on the FRESH frame (segment 1; a clone marked ADVANCE enters lo),
 * then the pass on that clone (segment 2).
 */
static void test_cut(const void *arg)
{
	const struct cut_arg *a = arg;
	size_t seg_max = SEG_PAYLOAD(MTU);
	struct pkt inner = {}, sent = {}, frame = {}, clone = {}, joined = {};
	struct cut_frame f = {};
	struct counters before;
	struct cut_env env;
	struct run r;

	build_inner(&inner, a->kind, vm_b, a->len - inner_hdrs(a->kind), 40000);
	if (!ASSERT_EQ(inner.len, a->len, "inner frame length") ||
	    !ASSERT_TRUE(inner.len + OVERHEAD > MTU, "the frame does not fit one segment"))
		return;
	sent = inner;
	if (a->partial)
		set_partial_seed(&sent);
	/* A checksum stt_tc_tx completed is flagged "verified" (bpf/lib/flood.h). */
	if (!cut_env_open(&env) ||
	    !cut_pass1(&sent, &inner, stt_flags_of(a->kind) | (a->partial ? STT_F_CSUM_VERIFIED : 0),
		       &f, &frame))
		goto out;
	if (!ASSERT_TRUE(f.stt.len > seg_max && f.stt.len <= 2 * seg_max, "two segments"))
		goto out;

	/* FRESH: the first seg_max bytes, and the whole frame again as a clone marked ADVANCE. */
	if (!read_counters(&before) || !run_tx_mark(&frame, T_MARK_FRESH, &r))
		goto out;
	check_cut_segment(&r, &f, 0, "segment 1", &joined);
	CHECK_DELTAS(&before, {STT_C_TX_SEGMENTS, 1});
	if (ASSERT_TRUE(capture_next(env.cap_adv, &clone, 1000),
			"segment 1: a clone marked ADVANCE entered lo"))
		ASSERT_MEM_EQ(clone.d, clone.len, frame.d, frame.len,
			      "segment 1: the clone is pass 1's frame");

	/* ADVANCE (pass 1's frame again, as the clone is): the rest, no further clone. */
	if (!read_counters(&before) || !run_tx_mark(&frame, T_MARK_ADVANCE, &r))
		goto out;
	check_cut_segment(&r, &f, seg_max, "segment 2", &joined);
	CHECK_DELTAS(&before, {STT_C_TX_SEGMENTS, 1});

	ASSERT_MEM_EQ(joined.d, joined.len, f.stt.d, f.stt.len,
		      "segment payloads joined = STT header + inner frame");
	if (joined.len > sizeof(struct t_stt))
		ASSERT_TRUE(inner_csums_ok(joined.d + sizeof(struct t_stt),
					   joined.len - sizeof(struct t_stt)),
			    "joined inner frame: checksums (own check)");
out:
	cut_env_close(&env);
}

/*
 * A tenant with a jumbo MTU: a 3000-byte frame in three segments. Each pass runs on the clone
 * the previous one injected (captured from lo): FRESH, ADVANCE, ADVANCE.
 */
static void test_cut_three(const void *arg)
{
	size_t seg_max = SEG_PAYLOAD(MTU);
	struct pkt inner = {}, frame = {}, clone1 = {}, clone2 = {}, joined = {};
	struct cut_frame f = {};
	struct counters before;
	struct cut_env env;
	struct run r;

	build_inner(&inner, IN_TCP, vm_b, 3000 - inner_hdrs(IN_TCP), 40000);
	if (!cut_env_open(&env) || !cut_pass1(&inner, &inner, STT_F_IPV4 | STT_F_TCP, &f, &frame))
		goto out;
	if (!ASSERT_TRUE(f.stt.len > 2 * seg_max && f.stt.len <= 3 * seg_max, "three segments"))
		goto out;

	if (!read_counters(&before) || !run_tx_mark(&frame, T_MARK_FRESH, &r))
		goto out;
	check_cut_segment(&r, &f, 0, "segment 1", &joined);
	CHECK_DELTAS(&before, {STT_C_TX_SEGMENTS, 1});
	if (!ASSERT_TRUE(capture_next(env.cap_adv, &clone1, 1000),
			 "segment 1: clone marked ADVANCE"))
		goto out;
	ASSERT_MEM_EQ(clone1.d, clone1.len, frame.d, frame.len,
		      "segment 1: the clone is pass 1's frame");

	if (!read_counters(&before) || !run_tx_mark(&clone1, T_MARK_ADVANCE, &r))
		goto out;
	check_cut_segment(&r, &f, seg_max, "segment 2", &joined);
	CHECK_DELTAS(&before, {STT_C_TX_SEGMENTS, 1});
	if (!ASSERT_TRUE(capture_next(env.cap_adv, &clone2, 1000),
			 "segment 2: clone marked ADVANCE"))
		goto out;

	if (!read_counters(&before) || !run_tx_mark(&clone2, T_MARK_ADVANCE, &r))
		goto out;
	/*
	 * Known datapath bug (reported): an ADVANCE pass writes the IP/TCP headers it read back
	 * in front of the remaining bytes and clones before it advances SEQ, so its clone still
	 * carries the SEQ offset of the frame it received (0), not that of its first byte
	 * (seg_max). The third pass then sends the right bytes (from 2 * seg_max) under SEQ
	 * offset seg_max. Recognised only in exactly that form (the expected segment with SEQ
	 * offset seg_max, checksums right for it); anything else fails.
	 */
	{
		size_t off = 2 * seg_max, n = cut_seg_len(&f, off);
		struct pkt bug = {};

		build_cut_segment(&bug, &f, off, n, seg_max);
		if (r.retval == TC_ACT_REDIRECT && r.len == bug.len &&
		    !memcmp(r.out, bug.d, bug.len)) {
			test_todo("known datapath bug: segment 3 sent with SEQ offset %zu, not %zu "
				  "(the clone of pass 2 carries SEQ offset %u)",
				  seg_max, off, ntohl(tcp_of(&clone2)->seq) & 0xffff);
			pkt_append(&joined, r.out + STT_OFF, r.len - STT_OFF);
		} else {
			check_cut_segment(&r, &f, off, "segment 3", &joined);
		}
	}
	CHECK_DELTAS(&before, {STT_C_TX_SEGMENTS, 1});

	ASSERT_MEM_EQ(joined.d, joined.len, f.stt.d, f.stt.len,
		      "segment payloads joined = STT header + inner frame");
out:
	cut_env_close(&env);
}

/*
 * Flooding a frame to cut: pass 1 writes the headers for each remote; every copy but the
 * last enters lo as a clone marked FRESH, the last is the redirect.
 */
static void test_cut_flood_two(const void *arg)
{
	struct stt_flood_val fl = {.count = 2, .remote4 = {remote4, remote4b}};
	struct pkt inner = {}, clone = {};
	struct counters before;
	struct cut_env env;
	__u64 ctx = CTX;
	struct run r;

	build_inner(&inner, IN_UDP, bcast, 1514 - inner_hdrs(IN_UDP), 40000);
	if (!cut_env_open(&env) ||
	    !ASSERT_OK(bpf_map_update_elem(fd_flood, &ctx, &fl, BPF_ANY), "flood update") ||
	    !read_counters(&before) || !run_tx(&inner, &r))
		goto out;
	ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "verdict");
	CHECK_DELTAS(&before, {STT_C_TX_FRAMES, 1}, {STT_C_TX_BYTES, inner.len},
		     {STT_C_TX_CUT_FRAMES, 1}, {STT_C_TX_FLOOD_COPIES, 2});
	if (!ASSERT_EQ(r.len, INNER_OFF + inner.len, "output length"))
		goto out;
	{
		struct pkt got = {.len = r.len};

		memcpy(got.d, r.out, r.len);
		ASSERT_EQ(ip_of(&got)->daddr, remote4b, "redirected copy: for the second remote");
		if (ASSERT_TRUE(capture_next(env.cap_fresh, &clone, 1000),
				"a clone marked FRESH entered lo")) {
			ASSERT_EQ(clone.len, got.len, "clone length");
			ASSERT_EQ(ip_of(&clone)->daddr, remote4, "clone: for the first remote");
			/* Apart from the destination, the two copies are the same frame. */
			ip_of(&clone)->daddr = remote4b;
			ASSERT_MEM_EQ(clone.d, clone.len, got.d, got.len,
				      "clone = redirected copy but for the destination");
		}
	}
out:
	cut_env_close(&env);
}

/* Only frames this program encapsulated come back marked; anything else marked is dropped. */
static void test_cut_foreign(const void *arg)
{
	struct pkt in = {}, frame = {};
	struct counters before;
	struct run r;

	/* A tenant frame that carries the FRESH mark. */
	build_inner(&in, IN_TCP, vm_b, 100, 40000);
	if (!read_counters(&before) || !run_tx_mark(&in, T_MARK_FRESH, &r))
		return;
	ASSERT_EQ(r.retval, TC_ACT_SHOT, "tenant frame marked FRESH: verdict");
	CHECK_DELTAS(&before, {DROP(TX_ERROR), 1});

	/* ADVANCE on an encapsulated frame that has nothing after its first segment. */
	build_inner(&in, IN_TCP, vm_b, 100, 40000);
	if (!run_tx(&in, &r) || !ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "encap verdict"))
		return;
	memcpy(frame.d, r.out, r.len);
	frame.len = r.len;
	if (!read_counters(&before) || !run_tx_mark(&frame, T_MARK_ADVANCE, &r))
		return;
	ASSERT_EQ(r.retval, TC_ACT_SHOT, "one-segment frame marked ADVANCE: verdict");
	CHECK_DELTAS(&before, {DROP(TX_ERROR), 1});
}

/*
 * Too big now means a non-GSO frame larger than STT_SUM_MAX (9216 bytes): the cut passes sum
 * each segment, and would not sum more. BPF_PROG_TEST_RUN builds its skb in one page and
 * refuses more input than fits there (PAGE_SIZE - NET_SKB_PAD - NET_IP_ALIGN - the aligned
 * skb_shared_info: 3712 bytes on x86-64 with 4 KB pages) with EINVAL; it builds no
 * non-linear skbs. Where the kernel refuses, this test shows that, finds its limit with a
 * program that only returns, and checks that the largest frame it takes is cut, not dropped:
 * the drop is out of a test run's reach. The next test shows tx_too_big on the GSO bound.
 */
static void test_encap_too_big(const void *arg)
{
	struct __sk_buff skb = {.ifindex = LO_IFINDEX};
	struct counters before;
	struct pkt in = {};
	struct run r;
	int err, limit;

	build_inner(&in, IN_TCP, vm_b, T_SUM_MAX + 1 - inner_hdrs(IN_TCP), 40000);
	if (!ASSERT_EQ(in.len, T_SUM_MAX + 1, "inner frame length") || !read_counters(&before))
		return;
	{
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in.d, .data_size_in = in.len,
			    .data_out = r.out, .data_size_out = sizeof(r.out), .ctx_in = &skb,
			    .ctx_size_in = sizeof(skb), .repeat = 1);

		err = bpf_prog_test_run_opts(fd_tx, &o) ? -errno : 0;
		r.retval = o.retval;
	}
	if (!err) {
		ASSERT_EQ(r.retval, TC_ACT_SHOT, "verdict");
		CHECK_DELTAS(&before, {DROP(TX_TOO_BIG), 1});
		return;
	}
	if (!ASSERT_EQ(err, -EINVAL, "test run of a 9217-byte skb: taken, or refused with EINVAL"))
		return;
	CHECK_DELTAS(&before, {0, 0});
	limit = skb_test_run_limit();
	printf("#   BPF_PROG_TEST_RUN takes at most %d bytes for a TC program: the %zu-byte frame "
	       "cannot be run, the drop is untestable here\n",
	       limit, in.len);
	if (!ASSERT_TRUE(limit >= 1514 && limit <= T_SUM_MAX, "test run limit in 1514..9216"))
		return;

	/* The largest frame a test run takes: cut, not dropped. */
	build_inner(&in, IN_TCP, vm_b, limit - inner_hdrs(IN_TCP), 40000);
	if (!read_counters(&before) || !run_skb(fd_tx, &in, &skb, &r))
		return;
	ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "largest frame: verdict (cut)");
	ASSERT_EQ(r.ctx.mark, T_MARK_FRESH, "largest frame: mark");
	ASSERT_EQ(r.len, INNER_OFF + in.len, "largest frame: output length");
	CHECK_DELTAS(&before, {STT_C_TX_FRAMES, 1}, {STT_C_TX_BYTES, in.len},
		     {STT_C_TX_CUT_FRAMES, 1});
}

/*
 * The largest case that shows tx_too_big through a test run: a frame of the most bytes a
 * test run takes, as a GSO skb (ctx_in gso_size) whose segments do not fit the MTU
 * (gso_size + 40 > MTU).
 */
/*
 * A GSO frame whose segments would not fit the path gets a smaller gso_size (stt_tc_tx);
 * BPF_PROG_TEST_RUN cannot make a GSO skb (no gso_type), so that is tested with real TSO
 * traffic in tests/netns/test_qos.sh ("pmtu").
 */

/* ------------------------------------------------------------------------------------------ */
/* Tests: decapsulation                                                                       */

/* A whole single-segment STT frame for us, carrying inner. */
static void build_segment(struct pkt *p, const struct pkt *inner, uint8_t stt_flags)
{
	struct outer o = {
	    .dmac = ul_local,
	    .smac = ul_remote,
	    .saddr = remote4,
	    .daddr = local4,
	    .ip_id = 0x0001,
	    .frag = T_IP_DF,
	    .sport = 51234,
	    .dport = STT_PORT,
	    .seq = STT_SEQ(18 + inner->len, 0),
	    .ack = 0x01000005,
	    .stt_flags = stt_flags,
	    .context = CTX,
	};

	build_stt(p, &o, inner);
}

struct decap_arg {
	enum inner_kind kind;
	size_t payload;
};

static void decap_inner(const struct decap_arg *a, struct pkt *inner, struct pkt *seg)
{
	build_inner(inner, a->kind, vm_a, a->payload, 40000);
	build_segment(seg, inner, stt_flags_of(a->kind));
}

static void test_decap_xdp(const void *arg)
{
	struct pkt inner = {}, seg = {};
	struct counters before;
	struct run r;

	decap_inner(arg, &inner, &seg);
	if (!ASSERT_OK(set_ctx_flags(STT_VPORT_XDP), "context flags") || !read_counters(&before) ||
	    !run_prog(fd_xdp_rx, &seg, 0, &r))
		return;
	ASSERT_EQ(r.retval, XDP_REDIRECT, "verdict");
	ASSERT_MEM_EQ(r.out, r.len, inner.d, inner.len, "decapsulated frame");
	CHECK_DELTAS(&before, {STT_C_RX_SEGMENTS, 1}, {STT_C_RX_FRAMES, 1},
		     {STT_C_RX_XDP_FRAMES, 1}, {STT_C_RX_BYTES, inner.len});
}

static void test_decap_xdp_noflag(const void *arg)
{
	struct pkt inner = {}, seg = {};
	struct counters before;
	struct run r;

	decap_inner(arg, &inner, &seg);
	if (!read_counters(&before) || !run_prog(fd_xdp_rx, &seg, 0, &r))
		return;
	ASSERT_EQ(r.retval, XDP_PASS, "verdict");
	ASSERT_MEM_EQ(r.out, r.len, seg.d, seg.len, "packet left to TC");
	CHECK_DELTAS(&before, {STT_C_RX_SEGMENTS, 1});
}

static void test_decap_tc(const void *arg)
{
	struct pkt inner = {}, seg = {};
	struct counters before;
	struct run r;

	decap_inner(arg, &inner, &seg);
	if (!read_counters(&before) || !run_prog(fd_tc_rx, &seg, 0, &r))
		return;
	ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "verdict");
	ASSERT_MEM_EQ(r.out, r.len, inner.d, inner.len, "decapsulated frame");
	CHECK_DELTAS(&before, {STT_C_RX_FRAMES, 1}, {STT_C_RX_BYTES, inner.len});
}

/*
 * The smallest inner frames the parser accepts (inner_short is only < 14 bytes): a bare
 * Ethernet header plus a few bytes of an experimental EtherType. Unpadded frames this short
 * are legal on virtual links (a PPPoE PADI is 24 bytes), and XDP delivers them.
 * bpf_skb_adjust_room() refuses to shrink an IPv4 skb below 20 bytes after the network
 * offset (bpf_skb_net_base_len()), so stt_tc_rx copies inner frames shorter than 64 bytes to
 * the front and cuts the tail instead: 14, 33 and 34 bytes cover both sides of that limit.
 */
static void test_decap_small_inner(const void *arg)
{
	size_t n = *(const size_t *)arg;
	struct pkt inner = {}, seg = {};
	struct counters before;
	struct run r;

	put_eth(&inner, vm_a, vm_b, 0x88b5);
	fill_payload(pkt_put(&inner, n - ETH_LEN), n - ETH_LEN, 0x44);
	build_segment(&seg, &inner, 0);

	if (!ASSERT_OK(set_ctx_flags(STT_VPORT_XDP), "context flags") || !read_counters(&before) ||
	    !run_prog(fd_xdp_rx, &seg, 0, &r))
		return;
	ASSERT_EQ(r.retval, XDP_REDIRECT, "XDP verdict");
	ASSERT_MEM_EQ(r.out, r.len, inner.d, inner.len, "XDP: decapsulated frame");
	CHECK_DELTAS(&before, {STT_C_RX_SEGMENTS, 1}, {STT_C_RX_FRAMES, 1},
		     {STT_C_RX_XDP_FRAMES, 1}, {STT_C_RX_BYTES, inner.len});

	if (!read_counters(&before) || !run_prog(fd_tc_rx, &seg, 0, &r))
		return;
	ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "TC verdict");
	ASSERT_MEM_EQ(r.out, r.len, inner.d, inner.len, "TC: decapsulated frame");
	CHECK_DELTAS(&before, {STT_C_RX_FRAMES, 1}, {STT_C_RX_BYTES, inner.len});
}

/*
 * A frame whose inner checksum the sender left partial: XDP leaves it to TC (an XDP
 * redirect loses the skb's checksum state), TC decapsulates it.
 */
static void test_decap_partial(const void *arg)
{
	struct pkt inner = {}, seg = {};
	struct counters before;
	struct t_stt *stt;
	struct run r;

	build_inner(&inner, IN_TCP, vm_a, 100, 40000);
	build_segment(&seg, &inner, STT_F_IPV4 | STT_F_TCP | STT_F_CSUM_PARTIAL);
	stt = (struct t_stt *)(seg.d + STT_OFF);
	stt->l4_offset = ETH_LEN + 20;
	stt_refresh_csums(&seg);

	if (!ASSERT_OK(set_ctx_flags(STT_VPORT_XDP), "context flags") || !read_counters(&before) ||
	    !run_prog(fd_xdp_rx, &seg, 0, &r))
		return;
	ASSERT_EQ(r.retval, XDP_PASS, "XDP verdict");
	ASSERT_MEM_EQ(r.out, r.len, seg.d, seg.len, "XDP: packet left to TC unchanged");
	CHECK_DELTAS(&before, {STT_C_RX_SEGMENTS, 1});

	if (!read_counters(&before) || !run_prog(fd_tc_rx, &seg, 0, &r))
		return;
	ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "TC verdict");
	ASSERT_MEM_EQ(r.out, r.len, inner.d, inner.len, "TC: decapsulated frame");
	CHECK_DELTAS(&before, {STT_C_RX_FRAMES, 1}, {STT_C_RX_BYTES, inner.len});
}

/* What stt_tc_tx sends decapsulates back to the tenant's frame on the remote endpoint. */
static void test_roundtrip(const void *arg)
{
	struct stt_cfg cfg = {
	    .ifindex = LO_IFINDEX,
	    .local4 = remote4,
	    .port = STT_PORT,
	    .ttl = 64,
	    .mtu = MTU,
	    .flags = STT_CFG_XDP,
	};
	struct pkt in = {}, seg = {};
	struct run r;
	__u32 zero = 0;

	build_inner(&in, IN_UDP, vm_b, 200, 40000);
	if (!run_tx(&in, &r) || !ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "encap verdict"))
		return;
	memcpy(seg.d, r.out, r.len);
	seg.len = r.len;
	/* Now be the remote endpoint. */
	if (!ASSERT_OK(bpf_map_update_elem(fd_cfg, &zero, &cfg, BPF_ANY), "cfg update") ||
	    !ASSERT_OK(set_ctx_flags(STT_VPORT_XDP), "context flags"))
		return;
	if (run_prog(fd_xdp_rx, &seg, 0, &r)) {
		ASSERT_EQ(r.retval, XDP_REDIRECT, "XDP verdict");
		ASSERT_MEM_EQ(r.out, r.len, in.d, in.len, "XDP: tenant frame");
	}
	if (run_prog(fd_tc_rx, &seg, 0, &r)) {
		ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "TC verdict");
		ASSERT_MEM_EQ(r.out, r.len, in.d, in.len, "TC: tenant frame");
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Tests: malformed STT                                                                        */

static void set_seq(struct pkt *p, uint32_t len, uint32_t off)
{
	tcp_of(p)->seq = htonl(STT_SEQ(len, off));
	stt_refresh_csums(p);
}

static void m_trunc_tcp(struct pkt *p)
{
	p->len = TCP_OFF + 10; /* IP total length as sent */
}

/*
 * The packet ends inside the STT header while the IP total length still says the whole
 * segment: stt_rx_parse() counts a packet shorter than its IP total length as truncated,
 * before any other length check.
 */
static void m_trunc_stt(struct pkt *p)
{
	p->len = STT_OFF + 9; /* IP total length as sent */
}

static void m_version(struct pkt *p)
{
	p->d[STT_OFF] = 1;
	stt_refresh_csums(p);
}

static void m_seq_len_short(struct pkt *p)
{
	set_seq(p, 17, 0);
}

static void m_multi_seg(struct pkt *p)
{
	/* The first segment of a frame 1000 bytes longer than this packet carries. */
	set_seq(p, p->len - STT_OFF + 1000, 0);
}

static void m_offset(struct pkt *p)
{
	set_seq(p, p->len - STT_OFF, 10);
}

static void m_tot_len(struct pkt *p)
{
	struct t_ip4 *ip = ip_of(p);

	ip->tot_len = htons(ntohs(ip->tot_len) - 2);
	ip4_set_csum(ip);
}

static void m_ip_options(struct pkt *p)
{
	struct t_ip4 *ip;

	pkt_insert(p, IP_OFF + 20, 4, 0x01); /* four NOPs */
	ip = ip_of(p);
	ip->ver_ihl = 0x46;
	ip->tot_len = htons(ntohs(ip->tot_len) + 4);
	stt_refresh_csums(p);
}

static void m_tcp_options(struct pkt *p)
{
	struct t_ip4 *ip;

	pkt_insert(p, TCP_OFF + 20, 4, 0x01); /* four NOPs */
	ip = ip_of(p);
	ip->tot_len = htons(ntohs(ip->tot_len) + 4);
	tcp_of(p)->doff = 6 << 4;
	stt_refresh_csums(p);
}

static void m_fragment(struct pkt *p)
{
	ip_of(p)->frag = htons(T_IP_MF); /* first fragment: offset 0, more fragments */
	stt_refresh_csums(p);
}

static void m_unknown_ctx(struct pkt *p)
{
	((struct t_stt *)(p->d + STT_OFF))->context = htobe64(CTX_UNKNOWN);
	stt_refresh_csums(p);
}

static void m_not_local(struct pkt *p)
{
	ip_of(p)->daddr = remote4b;
	stt_refresh_csums(p);
}

static void m_inner_short(struct pkt *p)
{
	struct pkt inner = {};

	fill_payload(pkt_put(&inner, 10), 10, 0x55);
	build_segment(p, &inner, 0);
}

struct malformed_arg {
	void (*mutate)(struct pkt *p);
	int xdp_verdict;
	int xdp_counter; /* the counter that must move by one, and nothing else ... */
	int xdp_extra;	 /* ... but this one (or -1) */
	int tc_verdict;
	int tc_counter;
};

#define MALFORMED_DROP(fn, reason)                                                                 \
	{                                                                                          \
		fn, XDP_DROP, DROP(reason), -1, TC_ACT_SHOT, DROP(reason)                          \
	}

static const struct malformed_arg mal_trunc_tcp = MALFORMED_DROP(m_trunc_tcp, TRUNCATED);
static const struct malformed_arg mal_trunc_stt = MALFORMED_DROP(m_trunc_stt, TRUNCATED);
static const struct malformed_arg mal_version = MALFORMED_DROP(m_version, VERSION);
static const struct malformed_arg mal_seq_short = MALFORMED_DROP(m_seq_len_short, LENGTH);
static const struct malformed_arg mal_multi_seg = {
    m_multi_seg, XDP_PASS, STT_C_RX_SEGMENTS, -1, TC_ACT_SHOT, DROP(MULTI_SEG),
};
static const struct malformed_arg mal_offset = MALFORMED_DROP(m_offset, LENGTH);
static const struct malformed_arg mal_tot_len = MALFORMED_DROP(m_tot_len, IP_HDR);
static const struct malformed_arg mal_ip_opts = MALFORMED_DROP(m_ip_options, IP_HDR);
static const struct malformed_arg mal_tcp_opts = MALFORMED_DROP(m_tcp_options, TCP_HDR);
static const struct malformed_arg mal_fragment = MALFORMED_DROP(m_fragment, IP_FRAGMENT);
/* XDP counts the segment before it looks the context up. */
static const struct malformed_arg mal_unknown_ctx = {
    m_unknown_ctx, XDP_DROP, DROP(UNKNOWN_CTX), STT_C_RX_SEGMENTS, TC_ACT_SHOT, DROP(UNKNOWN_CTX),
};
static const struct malformed_arg mal_not_local = MALFORMED_DROP(m_not_local, NOT_LOCAL);
static const struct malformed_arg mal_inner_short = MALFORMED_DROP(m_inner_short, INNER_SHORT);

static void malformed_segment(const struct malformed_arg *a, struct pkt *seg)
{
	struct pkt inner = {};

	build_inner(&inner, IN_TCP, vm_a, 64, 40000);
	build_segment(seg, &inner, STT_F_IPV4 | STT_F_TCP);
	a->mutate(seg);
}

static void test_malformed_xdp(const void *arg)
{
	const struct malformed_arg *a = arg;
	struct counters before;
	struct pkt seg = {};
	struct run r;

	malformed_segment(a, &seg);
	/* With the XDP flag set, so that nothing but the malformation stops a redirect. */
	if (!ASSERT_OK(set_ctx_flags(STT_VPORT_XDP), "context flags") || !read_counters(&before) ||
	    !run_prog(fd_xdp_rx, &seg, 0, &r))
		return;
	ASSERT_EQ(r.retval, a->xdp_verdict, "XDP verdict");
	if (a->xdp_extra >= 0)
		CHECK_DELTAS(&before, {a->xdp_counter, 1}, {a->xdp_extra, 1});
	else
		CHECK_DELTAS(&before, {a->xdp_counter, 1});
	if (a->xdp_verdict == XDP_PASS)
		ASSERT_MEM_EQ(r.out, r.len, seg.d, seg.len, "packet passed unchanged");
}

static void test_malformed_tc(const void *arg)
{
	const struct malformed_arg *a = arg;
	struct counters before;
	struct pkt seg = {};
	struct run r;

	malformed_segment(a, &seg);
	if (!read_counters(&before) || !run_prog(fd_tc_rx, &seg, 0, &r))
		return;
	ASSERT_EQ(r.retval, a->tc_verdict, "TC verdict");
	CHECK_DELTAS(&before, {a->tc_counter, 1});
}

/*
 * The first piece of a TCP segment the sender cut (flags IPv4, TCP and checksum verified,
 * no MSS: bpf/lib/flood.h), its outer checksum good but not verified by the kernel (a test
 * run's skb, like a veth sender's CHECKSUM_PARTIAL one): stt_tc_rx sums the outer checksum
 * itself and delivers the piece as a TCP segment of its own (bpf/lib/piece.h), its IP
 * length the piece's, its TCP checksum complete, PSH off (not the last piece). With the
 * outer checksum broken, or without the verified flag, the piece goes to sttd, and with
 * no sttd listening it is dropped as multi_segment.
 */
struct cut_piece_arg {
	uint8_t stt_flags;
	bool bad_outer_csum;
	bool direct;
};

static const struct cut_piece_arg cp_direct = {STT_F_IPV4 | STT_F_TCP | STT_F_CSUM_VERIFIED,
					       false, true};
static const struct cut_piece_arg cp_bad_csum = {STT_F_IPV4 | STT_F_TCP | STT_F_CSUM_VERIFIED,
						 true, false};
static const struct cut_piece_arg cp_unverified = {STT_F_IPV4 | STT_F_TCP, false, false};

static void test_cut_piece(const void *arg)
{
	const struct cut_piece_arg *a = arg;
	const size_t later = 600; /* payload bytes the segment's next piece would carry */
	struct pkt inner = {}, sent, seg = {};
	struct counters before;
	struct t_ip4 *ip;
	struct run r;

	build_inner(&inner, IN_TCP, vm_a, 800, 40000); /* ACK and PSH set */
	sent = inner;
	ip = (struct t_ip4 *)(sent.d + ETH_LEN);
	ip->tot_len = htons(ntohs(ip->tot_len) + later); /* the whole segment's, as sent */
	ip4_set_csum(ip);
	build_segment(&seg, &sent, a->stt_flags);
	set_seq(&seg, seg.len - STT_OFF + later, 0);
	if (a->bad_outer_csum)
		tcp_of(&seg)->csum ^= htons(0x0101);
	if (!read_counters(&before) || !run_prog(fd_tc_rx, &seg, 0, &r))
		return;
	if (!a->direct) {
		ASSERT_EQ(r.retval, TC_ACT_SHOT, "verdict (to sttd; none listens)");
		CHECK_DELTAS(&before, {DROP(MULTI_SEG), 1}); /* XDP counts the segment */
		return;
	}
	ASSERT_EQ(r.retval, TC_ACT_REDIRECT, "verdict (delivered as a piece)");
	if (!ASSERT_EQ(r.len, inner.len, "piece length: the inner headers and 800 payload bytes"))
		return;
	ASSERT_MEM_EQ(r.out, ETH_LEN, inner.d, ETH_LEN, "inner Ethernet header");
	ASSERT_EQ(ntohs(((const struct t_ip4 *)(r.out + ETH_LEN))->tot_len), inner.len - ETH_LEN,
		  "IP length: the piece's");
	ASSERT_TRUE(inner_csums_ok(r.out, r.len), "IP and TCP checksums complete and right");
	ASSERT_EQ(((const struct t_tcp *)(r.out + ETH_LEN + 20))->flags & T_TCP_PSH, 0,
		  "PSH only on the last piece");
	ASSERT_MEM_EQ(r.out + ETH_LEN + 40, r.len - ETH_LEN - 40, inner.d + ETH_LEN + 40,
		      inner.len - ETH_LEN - 40, "payload");
	CHECK_DELTAS(&before, {STT_C_RX_PIECES_DIRECT, 1}, {STT_C_RX_BYTES, inner.len});
}

#include "test_qos.h"

/* ------------------------------------------------------------------------------------------ */
/* Tests: underlay traffic that is not STT                                                    */

static void build_underlay_tcp80(struct pkt *p)
{
	struct t_ip4 *ip;
	struct t_tcp *tcp;

	p->len = 0;
	put_eth(p, ul_local, ul_remote, 0x0800);
	ip = put_ip4(p, remote4, local4, 6, sizeof(*tcp) + 30, 9);
	tcp = pkt_put(p, sizeof(*tcp));
	tcp->sport = htons(51000);
	tcp->dport = htons(80);
	tcp->seq = htonl(STT_SEQ(48, 0)); /* looks like STT but for the port */
	tcp->doff = 5 << 4;
	tcp->flags = T_TCP_ACK | T_TCP_PSH;
	tcp->window = htons(512);
	fill_payload(pkt_put(p, 30), 30, 0x66);
	l4_set_csum(ip, tcp, sizeof(*tcp) + 30, offsetof(struct t_tcp, csum));
}

static void build_underlay_udp7471(struct pkt *p)
{
	struct t_ip4 *ip;
	struct t_udp *udp;

	p->len = 0;
	put_eth(p, ul_local, ul_remote, 0x0800);
	ip = put_ip4(p, remote4, local4, 17, sizeof(*udp) + 40, 10);
	udp = pkt_put(p, sizeof(*udp));
	udp->sport = htons(51000);
	udp->dport = htons(STT_PORT);
	udp->len = htons(sizeof(*udp) + 40);
	fill_payload(pkt_put(p, 40), 40, 0x77);
	l4_set_csum(ip, udp, sizeof(*udp) + 40, offsetof(struct t_udp, csum));
}

static void build_underlay_arp(struct pkt *p)
{
	build_arp(p, bcast, ul_remote, remote4, local4);
	pkt_put(p, 60 - p->len); /* padded to the Ethernet minimum, as on a wire */
}

static void test_not_stt(const void *arg)
{
	void (*build)(struct pkt *) = (void (*)(struct pkt *))arg;
	struct counters before;
	struct pkt p = {};
	struct run r;

	build(&p);
	if (!ASSERT_OK(set_ctx_flags(STT_VPORT_XDP), "context flags") || !read_counters(&before))
		return;
	if (run_prog(fd_xdp_rx, &p, 0, &r)) {
		ASSERT_EQ(r.retval, XDP_PASS, "XDP verdict");
		ASSERT_MEM_EQ(r.out, r.len, p.d, p.len, "XDP: packet unchanged");
		CHECK_DELTAS(&before, {STT_C_PASS, 1});
	}
	if (!read_counters(&before))
		return;
	if (run_prog(fd_tc_rx, &p, 0, &r)) {
		/* TC_ACT_UNSPEC (TCX_NEXT): the next tcx or clsact program still sees it. */
		ASSERT_EQ(r.retval, (__u32)TC_ACT_UNSPEC, "TC verdict");
		ASSERT_MEM_EQ(r.out, r.len, p.d, p.len, "TC: packet unchanged");
		CHECK_DELTAS(&before, {0, 0});
	}
}

/* Hostile input, isolation, entropy: tests/unit/test_hostile.h (HOSTILE_TESTS below). */
#include "test_hostile.h"

/* IPv6 underlay: tests/unit/test_ipv6.h (IPV6_TESTS below). */
#include "test_ipv6.h"

/* GUE, the second encapsulation: tests/unit/test_gue.h (GUE_TESTS below). */
#include "test_gue.h"

/* ------------------------------------------------------------------------------------------ */
/* Test table                                                                                 */

static const struct encap_arg e_tcp_uc = {IN_TCP, vm_b, 100, 0};
static const struct encap_arg e_tcp_bc = {IN_TCP, bcast, 100, 0};
static const struct encap_arg e_tcp_odd = {IN_TCP, vm_b, 333, 0};
static const struct encap_arg e_tcp_padded = {IN_TCP, vm_b, 0, 6};
static const struct encap_arg e_tcp_unknown = {IN_TCP, vm_unknown, 50, 0};
static const struct encap_arg e_udp_uc = {IN_UDP, vm_b, 64, 0};
static const struct encap_arg e_udp_bc = {IN_UDP, bcast, 64, 0};
static const struct encap_arg e_udp0_uc = {IN_UDP_NOCSUM, vm_b, 77, 0};
static const struct encap_arg e_icmp_uc = {IN_ICMP, vm_b, 56, 0};
static const struct encap_arg e_icmp_bc = {IN_ICMP, bcast, 56, 0};
static const struct encap_arg e_icmp_odd = {IN_ICMP, vm_b, 1001, 0};
static const struct encap_arg e_icmp_mtu = {IN_ICMP, vm_b, MTU - OVERHEAD - 42, 0};
static const struct encap_arg e_tcp_mtu = {IN_TCP, vm_b, MTU - OVERHEAD - 54, 0};
static const struct encap_arg e_arp_uc = {IN_ARP, vm_b, 0, 0};
static const struct encap_arg e_arp_bc = {IN_ARP, bcast, 0, 0};

static const enum inner_kind k_tcp = IN_TCP, k_udp = IN_UDP;
static const struct cut_arg c_tcp_1443 = {IN_TCP, MTU - OVERHEAD + 1, false};
static const struct cut_arg c_tcp_1514 = {IN_TCP, 1514, false};
static const struct cut_arg c_tcp_1514_partial = {IN_TCP, 1514, true};
static const struct cut_arg c_udp_1514_partial = {IN_UDP, 1514, true};
static const struct cut_arg c_icmp_1514 = {IN_ICMP, 1514, false};
static const struct decap_arg d_tcp = {IN_TCP, 100};
static const struct decap_arg d_udp = {IN_UDP, 64};
static const struct decap_arg d_icmp = {IN_ICMP, 56};
static const struct decap_arg d_arp = {IN_ARP, 0};
static const struct decap_arg d_big = {IN_TCP, MTU - OVERHEAD - 54};
static const size_t small_14 = 14, small_33 = 33, small_34 = 34;

struct test {
	const char *name;
	void (*fn)(const void *arg);
	const void *arg;
};

#define MAL(name, arg)                                                                             \
	{"rx xdp malformed: " name, test_malformed_xdp, &(arg)},                                   \
	{                                                                                          \
		"rx tc malformed: " name, test_malformed_tc, &(arg)                                \
	}

static const struct test tests[] = {
    {"fixture: skeletons share the maps pinned in a private directory", test_shared_maps, NULL},
    {"fixture: __sk_buff.ifindex = 1 (lo) in ctx_in is accepted", test_ctx_ifindex, NULL},

    {"tx encap: inner IPv4/TCP, unicast (fdb)", test_encap, &e_tcp_uc},
    {"tx encap: inner IPv4/TCP, broadcast (flood)", test_encap, &e_tcp_bc},
    {"tx encap: inner IPv4/TCP, odd length, unicast", test_encap, &e_tcp_odd},
    {"tx encap: inner IPv4/TCP with Ethernet padding, unicast", test_encap, &e_tcp_padded},
    {"tx encap: inner IPv4/TCP, unknown unicast (flood)", test_encap, &e_tcp_unknown},
    {"tx encap: inner IPv4/UDP, unicast (fdb)", test_encap, &e_udp_uc},
    {"tx encap: inner IPv4/UDP, broadcast (flood)", test_encap, &e_udp_bc},
    {"tx encap: inner IPv4/UDP without checksum, unicast", test_encap, &e_udp0_uc},
    {"tx encap: inner ICMP, unicast (fdb)", test_encap, &e_icmp_uc},
    {"tx encap: inner ICMP, broadcast (flood)", test_encap, &e_icmp_bc},
    {"tx encap: inner ICMP, odd length 1043, unicast", test_encap, &e_icmp_odd},
    {"tx encap: inner ARP reply, unicast (fdb)", test_encap, &e_arp_uc},
    {"tx encap: inner ARP request, broadcast (flood)", test_encap, &e_arp_bc},
    {"tx encap: 1442-byte inner ICMP (outer IP = MTU)", test_encap, &e_icmp_mtu},
    {"tx encap: 1442-byte inner TCP (outer IP = MTU)", test_encap, &e_tcp_mtu},
    {"tx encap: inner TCP checksum left partial (offload)", test_encap_partial, &k_tcp},
    {"tx encap: inner UDP checksum left partial (offload)", test_encap_partial, &k_udp},
    {"tx encap: frame ID differs per frame", test_encap_frame_id, NULL},
    {"tx encap: source port per flow", test_encap_sport, NULL},
    {"tx encap: flood to two remotes", test_encap_flood_two, NULL},
    {"tx too big: 9217-byte non-GSO frame (> STT_SUM_MAX): dropped, or refused by test_run",
     test_encap_too_big, NULL},
    {"tx drop: unknown unicast, no flood entry", test_encap_no_remote, NULL},
    {"tx drop: ifindex not a vport", test_encap_no_vport, NULL},

    {"tx cut: 1443-byte inner TCP (outer IP = MTU + 1), two segments", test_cut, &c_tcp_1443},
    {"tx cut: 1514-byte inner TCP, two segments", test_cut, &c_tcp_1514},
    {"tx cut: 1514-byte inner TCP, checksum left partial (completed first)", test_cut,
     &c_tcp_1514_partial},
    {"tx cut: 1514-byte inner UDP, checksum left partial (completed first)", test_cut,
     &c_udp_1514_partial},
    {"tx cut: 1514-byte ICMP echo (ping -s 1472), two segments", test_cut, &c_icmp_1514},
    {"tx cut: 3000-byte inner TCP (jumbo tenant), three segments", test_cut_three, NULL},
    {"tx cut: flood to two remotes", test_cut_flood_two, NULL},
    {"tx cut: marked frames this program did not make are dropped", test_cut_foreign, NULL},

    {"rx xdp decap: inner IPv4/TCP", test_decap_xdp, &d_tcp},
    {"rx xdp decap: inner IPv4/UDP", test_decap_xdp, &d_udp},
    {"rx xdp decap: inner ICMP", test_decap_xdp, &d_icmp},
    {"rx xdp decap: inner ARP", test_decap_xdp, &d_arp},
    {"rx xdp decap: 1442-byte inner frame", test_decap_xdp, &d_big},
    {"rx xdp: no STT_VPORT_XDP, passed to TC unchanged", test_decap_xdp_noflag, &d_tcp},
    {"rx tc decap: inner IPv4/TCP", test_decap_tc, &d_tcp},
    {"rx tc decap: inner IPv4/UDP", test_decap_tc, &d_udp},
    {"rx tc decap: inner ICMP", test_decap_tc, &d_icmp},
    {"rx tc decap: inner ARP", test_decap_tc, &d_arp},
    {"rx tc decap: 1442-byte inner frame", test_decap_tc, &d_big},
    {"rx decap: 14-byte inner frame", test_decap_small_inner, &small_14},
    {"rx decap: 33-byte inner frame", test_decap_small_inner, &small_33},
    {"rx decap: 34-byte inner frame", test_decap_small_inner, &small_34},
    {"rx decap: inner checksum partial: XDP passes, TC decapsulates", test_decap_partial, NULL},
    {"round trip: tx output decapsulates to the tenant frame", test_roundtrip, NULL},

    HOSTILE_TESTS,

    IPV6_TESTS,

    GUE_TESTS,

    MAL("truncated inside the TCP header", mal_trunc_tcp),
    MAL("truncated inside the STT header", mal_trunc_stt),
    MAL("STT version 1", mal_version),
    MAL("SEQ frame length 17 < 18", mal_seq_short),
    MAL("SEQ length > payload, offset 0 (multi-segment)", mal_multi_seg),
    MAL("offset + payload > SEQ length", mal_offset),
    MAL("IP total length != packet length", mal_tot_len),
    MAL("IP options (ihl 6)", mal_ip_opts),
    MAL("TCP data offset 6", mal_tcp_opts),
    MAL("first IP fragment (MF) to the STT port", mal_fragment),
    MAL("unknown context", mal_unknown_ctx),
    MAL("destination not local", mal_not_local),
    MAL("inner frame shorter than 14 bytes", mal_inner_short),
    {"rx piece: first piece of a cut TCP segment (checksum verified), outer checksum summed in TC",
     test_cut_piece, &cp_direct},
    {"rx piece: the same with a bad outer checksum goes to sttd", test_cut_piece, &cp_bad_csum},
    {"rx piece: the same without the verified flag goes to sttd", test_cut_piece,
     &cp_unverified},

    {"rx not STT: TCP to port 80", test_not_stt, (const void *)build_underlay_tcp80},
    {"rx not STT: UDP to port 7471", test_not_stt, (const void *)build_underlay_udp7471},
    {"rx not STT: ARP on the underlay", test_not_stt, (const void *)build_underlay_arp},

    {"tx tos: uniform model copies inner DSCP and ECN out", test_tos_encap, &tt_uniform},
    {"tx tos: uniform model, inner CE copied out (RFC 6040 normal mode)", test_tos_encap,
     &tt_uniform_ce},
    {"tx tos: pipe model writes the fixed DSCP, ECN still copied", test_tos_encap, &tt_pipe},
    {"tx tos: pipe model on a non-IP frame", test_tos_encap, &tt_pipe_arp},
    {"tx tos: uniform model on a non-IP frame: 0", test_tos_encap, &tt_uniform_arp},
    {"tx tos: inner IPv6 traffic class copied out", test_tos_encap, &tt_ipv6},
    {"rx ecn: RFC 6040 decapsulation table, all 16 pairs (TC)", test_ecn_decap_tc, NULL},
    {"rx ecn: XDP delivers unchanged TOS, drops CE on Not-ECT, leaves rewrites to TC",
     test_ecn_decap_xdp, NULL},
    {"rx dscp: pipe model leaves the inner DSCP", test_dscp_pipe_decap, NULL},
    {"rx ecn: inner IPv6 traffic class", test_ecn_decap_ipv6, NULL},
    {"rx peers: strict for the endpoint and per context", test_peers_strict, NULL},
    {"oam: per-context and per-remote counters", test_oam_counters, NULL},
    {"learning: learn on receive, unicast on transmit, static wins, aging, cap",
     test_learning, NULL},
    {"pmtu: ICMP fragmentation-needed for our STT lowers the path MTU, frames are cut",
     test_pmtu, NULL},
};

/* ------------------------------------------------------------------------------------------ */
/* Benchmark                                                                                  */

#define BENCH_N 100000

struct bench_res {
	__u32 repeat_ns;  /* one run with repeat = BENCH_N: opts.duration (average ns) */
	__u32 repeat_ret; /* the verdict of the last of those runs */
	double fresh_ns;  /* BENCH_N runs with repeat = 1, each on a fresh copy of the packet */
	int fresh_ok;	  /* how many of those returned the expected verdict */
};

static int bench_one(int prog_fd, const struct pkt *in, __u32 ctx_ifindex, __u32 want,
		     struct bench_res *b)
{
	static uint8_t out[PKT_MAX + 512];
	struct __sk_buff skb = {.ifindex = ctx_ifindex};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in->d, .data_size_in = in->len,
		    .data_out = out);
	unsigned long long total = 0;

	if (ctx_ifindex) {
		o.ctx_in = &skb;
		o.ctx_size_in = sizeof(skb);
	}
	o.repeat = BENCH_N;
	o.data_size_out = sizeof(out);
	if (bpf_prog_test_run_opts(prog_fd, &o))
		return -errno;
	b->repeat_ns = o.duration;
	b->repeat_ret = o.retval;

	b->fresh_ok = 0;
	for (int i = 0; i < BENCH_N; i++) {
		o.repeat = 1;
		o.data_size_out = sizeof(out);
		if (bpf_prog_test_run_opts(prog_fd, &o))
			return -errno;
		total += o.duration;
		b->fresh_ok += o.retval == want;
	}
	b->fresh_ns = (double)total / BENCH_N;
	return 0;
}

/* "r0 = ret; exit": what a run costs around the program itself (timer, bh, skb). */
static int load_null_prog(enum bpf_prog_type type, int ret)
{
	const struct bpf_insn insns[] = {
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = ret},
	    {.code = BPF_JMP | BPF_EXIT},
	};

	return bpf_prog_load(type, "stt_unit_null", "GPL", insns, 2, NULL);
}

static int bench(void)
{
	enum { TX, XDP_RX, TC_RX, NULL_XDP, NULL_TC };
	static const struct {
		const char *path;
		int which;
		size_t inner;
	} cases[] = {
	    {"encap stt_tc_tx", TX, 64},       {"encap stt_tc_tx", TX, MTU - OVERHEAD},
	    {"decap stt_xdp_rx", XDP_RX, 64},  {"decap stt_xdp_rx", XDP_RX, MTU - OVERHEAD},
	    {"decap stt_tc_rx", TC_RX, 64},    {"decap stt_tc_rx", TC_RX, MTU - OVERHEAD},
	    {"null xdp (pass)", NULL_XDP, 64}, {"null xdp (pass)", NULL_XDP, MTU - OVERHEAD},
	    {"null tc (ok)", NULL_TC, 64},     {"null tc (ok)", NULL_TC, MTU - OVERHEAD},
	};
	int null_xdp = load_null_prog(BPF_PROG_TYPE_XDP, XDP_PASS);
	int null_tc = load_null_prog(BPF_PROG_TYPE_SCHED_CLS, TC_ACT_OK);
	int err = 0;

	if (null_xdp < 0 || null_tc < 0 || set_ctx_flags(STT_VPORT_XDP)) {
		printf("# bench: setup failed: %s\n", strerror(errno));
		err = -1;
		goto out;
	}
	printf("# ns per packet (opts.duration), %d packets per cell; inner frame IPv4/TCP,\n"
	       "# outer = inner + 72 bytes (1514 = outer IP packet of 1500 = MTU)\n",
	       BENCH_N);
	printf("# fresh:  %d runs with repeat=1, each on a new copy of the packet: the real path\n",
	       BENCH_N);
	printf("# repeat: one run with repeat=%d (duration = average). The kernel runs every\n"
	       "#         repetition on the same buffer, so from the 2nd on the program sees its\n"
	       "#         own output (see \"last\": the verdict of the final repetition)\n",
	       BENCH_N);
	printf("# null:   a program that only returns: the cost of a run around any program\n");
	printf("%-18s %6s %6s %8s %8s %14s %5s\n", "path", "inner", "outer", "fresh", "repeat",
	       "fresh verdict", "last");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pkt inner = {}, seg = {};
		const struct pkt *in = &seg;
		struct bench_res b = {};
		__u32 want = TC_ACT_REDIRECT, ifx = 0;
		int fd = -1;

		build_inner(&inner, IN_TCP, cases[i].which == TX ? vm_b : vm_a, cases[i].inner - 54,
			    40000);
		build_segment(&seg, &inner, STT_F_IPV4 | STT_F_TCP);
		switch (cases[i].which) {
		case TX:
			fd = fd_tx, in = &inner, ifx = LO_IFINDEX;
			break;
		case XDP_RX:
			fd = fd_xdp_rx, want = XDP_REDIRECT;
			break;
		case TC_RX:
			fd = fd_tc_rx;
			break;
		case NULL_XDP:
			fd = null_xdp, want = XDP_PASS;
			break;
		case NULL_TC:
			fd = null_tc, want = TC_ACT_OK;
			break;
		}
		err = bench_one(fd, in, ifx, want, &b);
		if (err) {
			printf("# %s: test run failed: %s\n", cases[i].path, strerror(-err));
			break;
		}
		printf("%-18s %6zu %6zu %8.1f %8u %7d/%-6d %5u\n", cases[i].path, inner.len,
		       inner.len + INNER_OFF, b.fresh_ns, b.repeat_ns, b.fresh_ok, BENCH_N,
		       b.repeat_ret);
	}
out:
	if (null_xdp >= 0)
		close(null_xdp);
	if (null_tc >= 0)
		close(null_tc);
	return err;
}

/* ------------------------------------------------------------------------------------------ */

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-v] [--bench] [FILTER]\n", prog);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *filter = NULL;
	int passed = 0, failed = 0, skipped = 0, todo = 0, n = 0, rc;
	bool do_bench = false;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-v"))
			T.verbose = 1;
		else if (!strcmp(argv[i], "--bench"))
			do_bench = true;
		else if (argv[i][0] == '-' || filter)
			usage(argv[0]);
		else
			filter = argv[i];
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(libbpf_print);
	local4 = htonl(0xc6120001);   /* 198.18.0.1 */
	remote4 = htonl(0xc6120002);  /* 198.18.0.2 */
	remote4b = htonl(0xc6120003); /* 198.18.0.3 */

	rc = setup();
	if (rc > 0) {
		printf("ok 1 - setup # SKIP %s\n", T.skip);
		printf("0 passed, 0 failed, 1 skipped\n");
		return 0;
	}
	if (rc < 0) {
		printf("not ok 1 - setup\n");
		printf("0 passed, 1 failed\n");
		return 1;
	}
	if (!private_netns)
		printf("# no private network namespace (%s): FIB results depend on the host\n",
		       strerror(netns_errno));

	if (do_bench) {
		if (reset_maps()) {
			printf("# bench: cannot populate the maps\n");
			return 1;
		}
		return bench() ? 1 : 0;
	}

	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		const struct test *t = &tests[i];

		if (filter && !strstr(t->name, filter))
			continue;
		n++;
		T.failed = false;
		T.skipped = false;
		T.todo = false;
		if (ASSERT_OK(reset_maps(), "populate the maps"))
			t->fn(t->arg);
		if (T.failed) {
			printf("not ok %d - %s\n", n, t->name);
			failed++;
		} else if (T.todo) {
			printf("not ok %d - %s # TODO %s\n", n, t->name, T.todo_why);
			todo++;
		} else if (T.skipped) {
			printf("ok %d - %s # SKIP %s\n", n, t->name, T.skip);
			skipped++;
		} else {
			printf("ok %d - %s\n", n, t->name);
			passed++;
		}
	}
	if (todo)
		printf("# %d test(s) reproduce a known bug of the datapath (TODO, see above): "
		       "counted neither as passed nor as failed\n",
		       todo);
	if (skipped)
		printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	else
		printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

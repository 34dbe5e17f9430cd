// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Fuzz harness for the STT BPF programs, through BPF_PROG_TEST_RUN.
 *
 *   build/stt_bpf_fuzz [-n N] [-s SEED] [-k] [-v]
 *
 *   -n N     random iterations (default 5000); each feeds one underlay packet to stt_xdp_rx
 *            and stt_tc_rx, and one tenant frame to stt_tc_tx
 *   -s SEED  seed of the generator (default fixed: the same N and SEED feed the same inputs)
 *   -k       known datapath bugs (known[] below) fail like anything else, instead of a TODO
 *   -v       libbpf warnings and every failure in full
 *
 * The fixture is the unit tests' (tests/unit/test_datapath.c): both skeletons opened with a
 * private pin_root_path (/sys/fs/bpf/stt-fuzz-<pid>) so that they share their maps with each
 * other and nothing else, a network namespace of our own (the FIB lookup for a remote fails
 * there, deterministically), the process pinned to one CPU, lo (ifindex 1) as the underlay and
 * the vport. lo is up, so that the passes of a cut frame can re-inject their clones into it.
 *
 * Every run has its expected result computed here, from the input alone:
 *  - a reference model of the receive classification (the order of checks of
 *    bpf/lib/parse.h, re-derived from the drop reasons), of XDP's fast path, of TC's
 *    decapsulation and hand-off to sttd, and of stt_tc_tx's encapsulation (STT flags, the
 *    checksum shortcut, cut frames, FDB/flood, neighbour fallback): the verdict and the exact
 *    change of every counter of stt_stats;
 *  - properties that do not depend on the model: verdict sets; "REDIRECT only for a
 *    well-formed single-segment frame of a known context, and the output is its inner frame";
 *    "never TC_ACT_UNSPEC (pass) for TCP to the STT port"; PASS/UNSPEC leave the packet unchanged; the outer
 *    headers of every encapsulated frame and the tenant frame inside it, byte for byte; the
 *    outer checksums; the perf sample sttd would get; every FRESH/ADVANCE pass of a cut frame
 *    (clones captured from lo with a packet socket), segment by segment;
 *  - counters that add up over the whole run, per program.
 *
 * IPv6 underlay (draft 3.3): the endpoint has local4 and, in most runs, local6
 * (STT_CFG6_LOCAL); IPv6 remotes are stt_remotes6 indexes (include/stt_maps.h). Receive:
 * STT over IPv6 to local6, to a group in stt_groups or not, from senders with and without an
 * index, behind extension headers, later fragments, every STT-level mutation, ICMPv6 packet
 * too big. Transmit: FDB entries and flood lists naming IPv6 remotes (an address, an index
 * without one, a group, lists of mixed families), the outer IPv6 header (traffic class, flow
 * label = inner hash & 0xfffff, payload length, hop limit, TCP checksum over the IPv6 pseudo
 * header) and the cut passes over IPv6.
 *
 * GUE (docs/GUE.md) on receive, over IPv4 and IPv6 (stt_cfg.gue_port 6080 in most runs): the
 * model of section 8 behind either family's outer checks, UDP to 6080 behind extension
 * headers, and over IPv6 the zero UDP checksum only from a remote with STT_RCFG_UDP6_ZERO
 * (2001:db8::2 in most runs: stt_remote_cfg varies with the env).
 *
 * Inputs: a deterministic phase (seed packets as they are, then each truncated at every
 * length, with the IP total length kept and fixed up), then N random iterations: valid STT
 * segments (single-segment frames carrying TCP, UDP, UDP without checksum, ICMP, ARP, VLAN,
 * IPv6, IP fragments, IP options, 14..33-byte frames and runts; known, second and unknown
 * contexts; checksum-partial; pieces of larger frames), underlay traffic that is not STT,
 * garbage, and tenant frames of the same kinds (some with their L4 checksum left as the
 * pseudo-header seed, some around the MTU so that they are cut), each mutated 0..n times (bit
 * flips, bytes and 16-bit fields overwritten at header offsets, SEQ, IP ihl/tot_len/frag/
 * protocol/address, TCP doff/flags/ports, STT version/flags/l4 offset/MSS/VLAN/context,
 * truncation, extension, insertion, removal). The maps vary per input: the context's
 * STT_VPORT_XDP flag, STT_CFG_XDP in stt_cfg, whether sttd listens on the perf buffer, the
 * flood list (one, two or sixteen remotes, none, count 0), the underlay MTU and TTL.
 *
 * Output: `ok N - group` per check group, per-verdict histograms, the number of executions,
 * the first failures of each group (input in hex), a minimised input for each failing group
 * with what was expected and what came out, and `N passed, N failed`. Exit status 1 on failure.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/magic.h>
#include <linux/pkt_cls.h>
/* stt_tc_rx's verdict for what it does not consume (TCX_NEXT for tcx, "no verdict" for clsact). */
#define TC_PASS ((__u32)TC_ACT_UNSPEC)
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "stt_proto.h"
#include "stt_maps.h"
#include "stt_tos.h"
#include "stt_tx.skel.h"
#include "stt_tc_rx.skel.h"
#include "stt_xdp.skel.h"
#include "test.h"
#include "pins.h"

/* ------------------------------------------------------------------------------------------ */
/* Topology and wire constants (copied, not shared with the datapath)                         */

#define LO_IFINDEX  1
#define STT_PORT    7471
#define CTX	    0x1122334455667788ULL /* lo's context: STT_VPORT_XDP varies per input */
#define CTX2	    0x0000000000000002ULL /* a second context bound to lo, always XDP */
#define CTX_UNKNOWN 0x0badc0ffee000001ULL

#define ETH_LEN	  14
#define IP_OFF	  14
#define TCP_OFF	  34
#define STT_OFF	  54
#define INNER_OFF 72 /* outer eth + ip + tcp + stt */
#define OVERHEAD  58 /* what the encapsulation adds against the MTU */
#define SUM_MAX	  9216

#define T_MARK_FRESH	 0x53545446 /* "STTF": encapsulated whole, to be cut */
#define T_MARK_ADVANCE 0x53545441 /* "STTA": the rest of a frame being cut */

#define T_TCP_ACK 0x10
#define T_TCP_PSH 0x08

/* The same over an IPv6 underlay: the outer IPv6 header is 20 bytes longer. */
/* GUE (docs/GUE.md): UDP to 6080, 00 2f 00 00, GRE 20 00 65 58 + key = context, inner. */
#define GUE_PORT       6080
#define GUE_INNER_OFF  54 /* outer eth + ip + udp + gue + gre */
#define GUE_INNER_OFF6 74 /* the same over IPv6 (no extension header: anything else is refused) */

#define TCP_OFF6   54
#define STT_OFF6   74
#define INNER_OFF6 92
#define OVERHEAD6  78

#define PKT_MAX 16384
#define OUT_MAX (PKT_MAX + 512)

static uint32_t local4, remote4, remote4b; /* 198.18.0.1, .2, .3, network order */
static uint32_t group4, group4b;          /* 239.1.2.3 (in stt_groups), 239.1.2.4 (not) */

/*
 * IPv6 addresses of the fixture and the remote (stt_remotes6 index) each has in
 * stt_remote6_ids, 0 for none: the local address, two unicast remotes, a sender with no
 * index, a group in stt_groups, a group with an index but not in stt_groups, a group with
 * no index. Index IDX6_NOADDR is named by the FDB and flood lists but has no address behind
 * it (stt_remotes6 all zero there).
 */
enum { A6_LOCAL, A6_REMOTE, A6_REMOTE_B, A6_UNKNOWN, A6_GROUP, A6_GROUP_OUT, A6_GROUP_NOIDX, A6_MAX };
static const uint8_t addr6[A6_MAX][16] = {
    [A6_LOCAL] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x01},
    [A6_REMOTE] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x02},
    [A6_REMOTE_B] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x03},
    [A6_UNKNOWN] = {0x20, 0x01, 0x0d, 0xb8, [14] = 0x01, [15] = 0x99},
    [A6_GROUP] = {0xff, 0x0e, [12] = 0x0d, [13] = 0xb8, [15] = 0x01},
    [A6_GROUP_OUT] = {0xff, 0x0e, [12] = 0x0d, [13] = 0xb8, [15] = 0x02},
    [A6_GROUP_NOIDX] = {0xff, 0x0e, [12] = 0x0d, [13] = 0xb8, [15] = 0x03},
};
static const uint32_t addr6_idx[A6_MAX] = {
    [A6_REMOTE] = 1, [A6_REMOTE_B] = 2, [A6_GROUP] = 3, [A6_GROUP_OUT] = 4,
};
#define IDX6_NOADDR 5

/* A remote in the index form of include/stt_maps.h, as the maps hold it (network order). */
static uint32_t r6(uint32_t idx)
{
	return htonl(idx);
}
static const uint8_t vm_a[6] = {0x02, 0x00, 0x00, 0x00, 0x0a, 0x01};
static const uint8_t vm_b[6] = {0x02, 0x00, 0x00, 0x00, 0x0b, 0x02}; /* in the FDB */
static const uint8_t vm_unknown[6] = {0x02, 0x00, 0x00, 0x00, 0x0c, 0x03};
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
static const uint8_t vm_b_group[6] = {0x03, 0x00, 0x00, 0x00, 0x0b, 0x02};
/* In the FDB with IPv6 remotes: an address, an index with no address, a group. */
static const uint8_t vm_c6[6] = {0x02, 0x00, 0x00, 0x00, 0x0c, 0x06};
static const uint8_t vm_d6[6] = {0x02, 0x00, 0x00, 0x00, 0x0d, 0x06};
static const uint8_t vm_g6[6] = {0x02, 0x00, 0x00, 0x00, 0x0e, 0x06};
static const uint8_t ul_local[6] = {0x02, 0x55, 0x00, 0x00, 0x00, 0x01};
static const uint8_t ul_remote[6] = {0x02, 0x55, 0x00, 0x00, 0x00, 0x02};
static const uint8_t zero6[6];

/* ------------------------------------------------------------------------------------------ */
/* Random numbers: splitmix64, so that a seed gives the same inputs everywhere                 */

static uint64_t rng_state;

static uint64_t rnd64(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t rnd(uint32_t n)
{
	return n ? (uint32_t)(rnd64() % n) : 0;
}

static bool chance(unsigned int pct)
{
	return rnd(100) < pct;
}

/* ------------------------------------------------------------------------------------------ */
/* Packets                                                                                    */

struct pkt {
	size_t len;
	uint8_t d[PKT_MAX];
};

static uint16_t get16(const uint8_t *p, size_t off)
{
	return (uint16_t)(p[off] << 8 | p[off + 1]);
}

static uint32_t get32(const uint8_t *p, size_t off)
{
	return (uint32_t)p[off] << 24 | (uint32_t)p[off + 1] << 16 | (uint32_t)p[off + 2] << 8 |
	       p[off + 3];
}

static uint64_t get64(const uint8_t *p, size_t off)
{
	return (uint64_t)get32(p, off) << 32 | get32(p, off + 4);
}

/* Field writers that ignore what lies past the end of the packet. */
static void set8(struct pkt *p, size_t off, uint8_t v)
{
	if (off < p->len)
		p->d[off] = v;
}

static void set16(struct pkt *p, size_t off, uint16_t v)
{
	set8(p, off, v >> 8);
	set8(p, off + 1, v & 0xff);
}

static void set32(struct pkt *p, size_t off, uint32_t v)
{
	set16(p, off, v >> 16);
	set16(p, off + 2, v & 0xffff);
}

static void set64(struct pkt *p, size_t off, uint64_t v)
{
	set32(p, off, v >> 32);
	set32(p, off + 4, v & 0xffffffff);
}

static void *pkt_put(struct pkt *p, size_t n)
{
	void *r;

	if (p->len + n > PKT_MAX)
		n = PKT_MAX - p->len;
	r = p->d + p->len;
	memset(r, 0, n);
	p->len += n;
	return r;
}

static void pkt_append(struct pkt *p, const void *src, size_t n)
{
	if (p->len + n > PKT_MAX)
		n = PKT_MAX - p->len;
	memcpy(pkt_put(p, n), src, n);
}

static void pkt_insert(struct pkt *p, size_t off, size_t n, int fill)
{
	if (off > p->len)
		off = p->len;
	if (p->len + n > PKT_MAX)
		n = PKT_MAX - p->len;
	memmove(p->d + off + n, p->d + off, p->len - off);
	for (size_t i = 0; i < n; i++)
		p->d[off + i] = fill >= 0 ? (uint8_t)fill : (uint8_t)rnd(256);
	p->len += n;
}

static void pkt_remove(struct pkt *p, size_t off, size_t n)
{
	if (off >= p->len)
		return;
	if (off + n > p->len)
		n = p->len - off;
	memmove(p->d + off, p->d + off + n, p->len - off - n);
	p->len -= n;
}

static void fill_payload(uint8_t *b, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(seed + i * 7 + (i >> 8));
}

/* Ones' complement sum of big-endian 16-bit words; an odd last byte is padded with zero. */
static uint64_t sum16(const uint8_t *b, size_t len, uint64_t sum)
{
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

/* IPv4 pseudo header; the addresses as they are on the wire. */
static uint64_t pseudo4(const uint8_t *saddr, const uint8_t *daddr, uint8_t proto, size_t l4_len)
{
	return sum16(saddr, 4, 0) + sum16(daddr, 4, 0) + proto + l4_len;
}

/* IPv6 pseudo header: addresses at ip + 8 and ip + 24 (32 bytes), length, next header. */
static uint64_t pseudo6(const uint8_t *ip, uint8_t proto, size_t l4_len)
{
	return sum16(ip + 8, 32, 0) + proto + l4_len;
}

/* IPv4 header checksum, for the header at off (ihl from the header). */
static void ip4_set_csum(struct pkt *p, size_t off)
{
	size_t ihl = (p->d[off] & 15) * 4;

	if (off + ihl > p->len || ihl < 20)
		return;
	set16(p, off + 10, 0);
	set16(p, off + 10, ~fold16(sum16(p->d + off, ihl, 0)) & 0xffff);
}

/* L4 checksum (TCP: field at 16, UDP: at 6) of the IPv4 packet at ip, over its total length. */
static void l4_set_csum(struct pkt *p, size_t ip)
{
	size_t ihl = (p->d[ip] & 15) * 4, tot = get16(p->d, ip + 2), l4 = ip + ihl;
	uint8_t proto = p->d[ip + 9];
	size_t coff = l4 + (proto == 6 ? 16 : 6);
	uint16_t v;

	if (ip + tot > p->len || tot < ihl || coff + 2 > ip + tot)
		return;
	set16(p, coff, 0);
	v = ~fold16(sum16(p->d + l4, tot - ihl,
			  pseudo4(p->d + ip + 12, p->d + ip + 16, proto, tot - ihl))) &
	    0xffff;
	if (proto == 17 && !v)
		v = 0xffff;
	set16(p, coff, v);
}

/* TCP/UDP checksum of the IPv6 packet at ip whose next header is TCP or UDP, over its payload. */
static void l4_set_csum6(struct pkt *p, size_t ip)
{
	size_t plen = get16(p->d, ip + 4), l4 = ip + 40;
	uint8_t proto = p->d[ip + 6];
	size_t coff = l4 + (proto == 6 ? 16 : 6);
	uint16_t v;

	if (l4 + plen > p->len || coff + 2 > l4 + plen)
		return;
	set16(p, coff, 0);
	v = ~fold16(sum16(p->d + l4, plen, pseudo6(p->d + ip, proto, plen))) & 0xffff;
	if (proto == 17 && !v)
		v = 0xffff;
	set16(p, coff, v);
}

/* The pseudo-header seed a stack leaves in a checksum it hands to offload (CHECKSUM_PARTIAL). */
static void l4_set_seed(struct pkt *p, size_t ip)
{
	size_t ihl = (p->d[ip] & 15) * 4, tot = get16(p->d, ip + 2);
	uint8_t proto = p->d[ip + 9];

	if (ip + 20 > p->len || tot < ihl)
		return;
	set16(p, ip + ihl + (proto == 6 ? 16 : 6),
	      fold16(pseudo4(p->d + ip + 12, p->d + ip + 16, proto, tot - ihl)));
}

static void put_eth(struct pkt *p, const uint8_t *dst, const uint8_t *src, uint16_t proto)
{
	uint8_t *e = pkt_put(p, 14);

	memcpy(e, dst, 6);
	memcpy(e + 6, src, 6);
	e[12] = proto >> 8;
	e[13] = proto & 0xff;
}

/* IPv4 header at the end of p, without options; returns its offset. */
static size_t put_ip4(struct pkt *p, uint32_t saddr, uint32_t daddr, uint8_t proto, size_t l4_len,
		      uint16_t id, uint16_t frag)
{
	size_t off = p->len;
	uint8_t *ip = pkt_put(p, 20);

	ip[0] = 0x45;
	ip[2] = (20 + l4_len) >> 8;
	ip[3] = (20 + l4_len) & 0xff;
	ip[4] = id >> 8;
	ip[5] = id & 0xff;
	ip[6] = frag >> 8;
	ip[7] = frag & 0xff;
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, &saddr, 4);
	memcpy(ip + 16, &daddr, 4);
	ip4_set_csum(p, off);
	return off;
}

/* ------------------------------------------------------------------------------------------ */
/* Tenant frames                                                                              */

enum inner_kind {
	K_TCP,
	K_UDP,
	K_UDP0, /* UDP without checksum */
	K_ICMP,
	K_ARP,
	K_SHORT, /* 14..33 bytes, an experimental EtherType */
	K_VLAN,	 /* 802.1Q-tagged IPv4/UDP */
	K_IPV6,	 /* IPv6/UDP */
	K_FRAG,	 /* first fragment of an IPv4/UDP datagram */
	K_IPOPT, /* IPv4 with 4 bytes of options, TCP */
	K_MAX
};

static const char *const kind_names[K_MAX] = {
    "tcp", "udp", "udp-nocsum", "icmp", "arp", "short", "vlan", "ipv6", "ip-frag", "ip-options",
};

static void build_inner(struct pkt *p, int kind, const uint8_t *dmac, const uint8_t *smac,
			size_t payload, uint16_t sport)
{
	uint32_t sa = htonl(0x0a000001), da = htonl(0x0a000002);
	size_t ip;
	uint8_t *l4;

	p->len = 0;
	switch (kind) {
	case K_TCP:
	case K_IPOPT:
		put_eth(p, dmac, smac, 0x0800);
		ip = put_ip4(p, sa, da, 6, 20 + payload + (kind == K_IPOPT ? 4 : 0), 0x1234, 0x4000);
		if (kind == K_IPOPT) {
			p->d[ip] = 0x46;
			memset(pkt_put(p, 4), 1, 4); /* four NOPs */
			ip4_set_csum(p, ip);
		}
		l4 = pkt_put(p, 20);
		l4[0] = sport >> 8, l4[1] = sport & 0xff;
		l4[3] = 80;
		l4[4] = 0, l4[5] = 0, l4[6] = 0x03, l4[7] = 0xe8;
		l4[11] = 0x07;
		l4[12] = 5 << 4;
		l4[13] = T_TCP_ACK | T_TCP_PSH;
		l4[14] = 0xff, l4[15] = 0xff;
		fill_payload(pkt_put(p, payload), payload, 0x11);
		l4_set_csum(p, ip);
		break;
	case K_UDP:
	case K_UDP0:
	case K_FRAG:
		put_eth(p, dmac, smac, 0x0800);
		ip = put_ip4(p, sa, da, 17, 8 + payload, 0x2345, kind == K_FRAG ? 0x2000 : 0x4000);
		l4 = pkt_put(p, 8);
		l4[0] = sport >> 8, l4[1] = sport & 0xff;
		l4[3] = 53;
		l4[4] = (8 + payload) >> 8, l4[5] = (8 + payload) & 0xff;
		fill_payload(pkt_put(p, payload), payload, 0x22);
		if (kind != K_UDP0)
			l4_set_csum(p, ip);
		break;
	case K_ICMP:
		put_eth(p, dmac, smac, 0x0800);
		ip = put_ip4(p, sa, da, 1, 8 + payload, 0x3456, 0x4000);
		l4 = pkt_put(p, 8);
		l4[0] = 8;
		l4[5] = 0x77;
		l4[7] = 1;
		fill_payload(pkt_put(p, payload), payload, 0x33);
		set16(p, ip + 22, ~fold16(sum16(p->d + ip + 20, 8 + payload, 0)) & 0xffff);
		break;
	case K_ARP: {
		bool request = !memcmp(dmac, bcast, 6);
		uint8_t *a;

		put_eth(p, dmac, smac, 0x0806);
		a = pkt_put(p, 28);
		a[1] = 1, a[2] = 0x08, a[4] = 6, a[5] = 4, a[7] = request ? 1 : 2;
		memcpy(a + 8, smac, 6);
		memcpy(a + 14, &sa, 4);
		if (!request)
			memcpy(a + 18, dmac, 6);
		memcpy(a + 24, &da, 4);
		pkt_put(p, payload % 32); /* padding */
		break;
	}
	case K_SHORT:
		put_eth(p, dmac, smac, 0x88b5);
		fill_payload(pkt_put(p, payload % 20), payload % 20, 0x44);
		break;
	case K_VLAN:
		put_eth(p, dmac, smac, 0x8100);
		l4 = pkt_put(p, 4);
		l4[1] = 42, l4[2] = 0x08, l4[3] = 0x00;
		ip = put_ip4(p, sa, da, 17, 8 + payload, 0x4567, 0x4000);
		l4 = pkt_put(p, 8);
		l4[0] = sport >> 8, l4[1] = sport & 0xff;
		l4[3] = 53;
		l4[4] = (8 + payload) >> 8, l4[5] = (8 + payload) & 0xff;
		fill_payload(pkt_put(p, payload), payload, 0x55);
		l4_set_csum(p, ip);
		break;
	case K_IPV6:
		put_eth(p, dmac, smac, 0x86dd);
		l4 = pkt_put(p, 40);
		l4[0] = 0x60;
		l4[4] = (8 + payload) >> 8, l4[5] = (8 + payload) & 0xff;
		l4[6] = 17, l4[7] = 64;
		l4[8] = 0xfd, l4[23] = 1, l4[24] = 0xfd, l4[39] = 2;
		l4 = pkt_put(p, 8);
		l4[0] = sport >> 8, l4[1] = sport & 0xff;
		l4[3] = 53;
		l4[4] = (8 + payload) >> 8, l4[5] = (8 + payload) & 0xff;
		fill_payload(pkt_put(p, payload), payload, 0x66);
		break;
	}
}

/*
 * Adjust the last two bytes of a UDP datagram (at ip) so that its complete checksum is 0,
 * which UDP must send as 0xffff (0 means "no checksum").
 */
static void udp_make_csum_zero(struct pkt *p, size_t ip)
{
	size_t ihl = (p->d[ip] & 15) * 4, tot = get16(p->d, ip + 2), l4 = ip + ihl;
	size_t w = ip + tot - 2 - (tot & 1);
	uint16_t s, v;

	if (ip + tot > p->len || tot < ihl + 10)
		return;
	set16(p, l4 + 6, 0);
	s = fold16(sum16(p->d + l4, tot - ihl, pseudo4(p->d + ip + 12, p->d + ip + 16, 17, tot - ihl)));
	v = fold16((uint64_t)get16(p->d, w) + (uint16_t)(0xffff - s));
	set16(p, w, v);
	set16(p, l4 + 6, 0xffff);
}

/* Headers a kind puts in front of its payload. */
static size_t inner_hdrs(int kind)
{
	switch (kind) {
	case K_TCP:
		return 54;
	case K_IPOPT:
		return 58;
	case K_UDP:
	case K_UDP0:
	case K_FRAG:
	case K_ICMP:
		return 42;
	case K_VLAN:
		return 46;
	case K_IPV6:
		return 62;
	default:
		return 14;
	}
}

static uint8_t stt_flags_of(const struct pkt *inner)
{
	uint8_t f = 0;

	if (inner->len >= 34 && get16(inner->d, 12) == 0x0800 && (inner->d[14] >> 4) == 4) {
		f |= STT_F_IPV4;
		if (inner->d[23] == 6)
			f |= STT_F_TCP;
	}
	return f;
}

/* ------------------------------------------------------------------------------------------ */
/* Underlay packets                                                                           */

/* A whole single-segment STT frame for us, carrying inner (draft-davie-stt-03 3.1, 3.2). */
static void build_segment(struct pkt *p, const struct pkt *inner, uint8_t stt_flags,
			  uint8_t l4_off, uint64_t context)
{
	size_t ip;
	uint8_t *t, *s;

	p->len = 0;
	put_eth(p, ul_local, ul_remote, 0x0800);
	ip = put_ip4(p, remote4, local4, 6, 20 + 18 + inner->len, 0x0001, 0x4000);
	t = pkt_put(p, 20);
	t[0] = 51234 >> 8, t[1] = 51234 & 0xff;
	t[2] = STT_PORT >> 8, t[3] = STT_PORT & 0xff;
	set32(p, TCP_OFF + 4, STT_SEQ(18 + inner->len, 0));
	set32(p, TCP_OFF + 8, 0x01000005);
	t = p->d + TCP_OFF;
	t[12] = 5 << 4;
	t[13] = T_TCP_ACK | T_TCP_PSH;
	s = pkt_put(p, 18);
	s[1] = stt_flags;
	s[2] = l4_off;
	set64(p, STT_OFF + 8, context);
	pkt_append(p, inner->d, inner->len);
	l4_set_csum(p, ip);
}

/*
 * UDP to the GUE port, GUE, GRE with key key and inner at the end of p (docs/GUE.md section
 * 2); with cookie, the stt-only option (P, hlen 3, private flag 0x40000000, 8 bytes). The
 * UDP checksum is left 0, as Linux sends it.
 */
static void put_gue(struct pkt *p, const struct pkt *inner, uint32_t key, bool cookie)
{
	size_t u = p->len, opt = cookie ? 12 : 0, l4 = 8 + 4 + opt + 8 + inner->len;
	uint8_t *b = pkt_put(p, 8);

	b[0] = 39486 >> 8, b[1] = 39486 & 0xff;
	b[2] = GUE_PORT >> 8, b[3] = GUE_PORT & 0xff;
	set16(p, u + 4, (uint16_t)l4);
	b = pkt_put(p, 4);
	b[0] = cookie ? 3 : 0;
	b[1] = 47;
	b[3] = cookie ? 1 : 0;
	if (cookie) {
		pkt_put(p, 12);
		set32(p, u + 12, 0x40000000);
		set32(p, u + 16, 0xc00c1e5e);
		set32(p, u + 20, 0xc2e70102);
	}
	pkt_put(p, 8);
	set32(p, u + 12 + opt, 0x20006558);
	set32(p, u + 16 + opt, key);
	pkt_append(p, inner->d, inner->len);
}

/*
 * A GUE datagram carrying inner, from remote4 to daddr, GRE key key (put_gue); with csum, a
 * correct UDP checksum (else 0, as Linux sends).
 */
static void build_gue(struct pkt *p, const struct pkt *inner, uint32_t key, uint32_t daddr,
		      bool cookie, bool csum)
{
	size_t l4 = 8 + 4 + (cookie ? 12 : 0) + 8 + inner->len, ip;

	p->len = 0;
	put_eth(p, ul_local, ul_remote, 0x0800);
	ip = put_ip4(p, remote4, daddr, 17, l4, 0x4242, 0x4000);
	put_gue(p, inner, key, cookie);
	if (csum)
		l4_set_csum(p, ip);
}

/*
 * The same frame over an IPv6 underlay, from saddr to daddr (draft 3.3): traffic class 0,
 * a flow label, next header TCP right behind the IPv6 header.
 */
static void build_segment6(struct pkt *p, const struct pkt *inner, uint8_t stt_flags,
			   uint8_t l4_off, uint64_t context, const uint8_t *saddr,
			   const uint8_t *daddr)
{
	uint8_t *ip, *t, *s;
	size_t plen = 20 + 18 + inner->len;

	p->len = 0;
	put_eth(p, ul_local, ul_remote, 0x86dd);
	ip = pkt_put(p, 40);
	ip[0] = 0x60, ip[1] = 0x0a, ip[2] = 0xbc, ip[3] = 0xde;
	ip[4] = plen >> 8, ip[5] = plen & 0xff;
	ip[6] = 6, ip[7] = 64;
	memcpy(ip + 8, saddr, 16);
	memcpy(ip + 24, daddr, 16);
	t = pkt_put(p, 20);
	t[0] = 51234 >> 8, t[1] = 51234 & 0xff;
	t[2] = STT_PORT >> 8, t[3] = STT_PORT & 0xff;
	set32(p, TCP_OFF6 + 4, STT_SEQ(18 + inner->len, 0));
	set32(p, TCP_OFF6 + 8, 0x01000006);
	t = p->d + TCP_OFF6;
	t[12] = 5 << 4;
	t[13] = T_TCP_ACK | T_TCP_PSH;
	s = pkt_put(p, 18);
	s[1] = stt_flags;
	s[2] = l4_off;
	set64(p, STT_OFF6 + 8, context);
	pkt_append(p, inner->d, inner->len);
	l4_set_csum6(p, IP_OFF);
}

/* Recompute the outer IP and TCP checksums where they are whole (the datapath checks neither). */
static void refresh_outer(struct pkt *p)
{
	if (p->len >= 54 && get16(p->d, 12) == 0x86dd) {
		if (p->d[20] == 6 && get16(p->d, 18) + 54u == p->len)
			l4_set_csum6(p, IP_OFF);
		return;
	}
	if (p->len < 34 || get16(p->d, 12) != 0x0800)
		return;
	ip4_set_csum(p, IP_OFF);
	if (p->d[IP_OFF + 9] == 6 && get16(p->d, IP_OFF + 2) + 14u == p->len)
		l4_set_csum(p, IP_OFF);
}

enum ul_kind {
	UL_TCP80,
	UL_UDP7471,
	UL_ARP,
	UL_ICMP,
	UL_IPV6,
	UL_TCP6_80,
	UL_ICMP6_PTB,
	UL_GUE6, /* GUE over IPv6 as stt sends it: remote A to local6, checksum 0, key CTX2 */
	UL_MAX
};

/* Outer IPv6 header at the end of p, from saddr to daddr; returns its offset. */
static size_t put_ip6(struct pkt *p, const uint8_t *saddr, const uint8_t *daddr, uint8_t nh,
		      size_t plen)
{
	size_t off = p->len;
	uint8_t *ip = pkt_put(p, 40);

	ip[0] = 0x60;
	ip[4] = plen >> 8, ip[5] = plen & 0xff;
	ip[6] = nh, ip[7] = 64;
	memcpy(ip + 8, saddr, 16);
	memcpy(ip + 24, daddr, 16);
	return off;
}

/*
 * The GUE datagram of build_gue over an IPv6 underlay (docs/GUE.md section 5), from saddr
 * to daddr: a flow label, UDP right behind the IPv6 header; with csum, a correct UDP
 * checksum, else 0 (what a remote with STT_RCFG_UDP6_ZERO may send).
 */
static void build_gue6(struct pkt *p, const struct pkt *inner, uint32_t key, const uint8_t *saddr,
		       const uint8_t *daddr, bool cookie, bool csum)
{
	size_t l4 = 8 + 4 + (cookie ? 12 : 0) + 8 + inner->len, ip;

	p->len = 0;
	put_eth(p, ul_local, ul_remote, 0x86dd);
	ip = put_ip6(p, saddr, daddr, 17, l4);
	p->d[ip + 1] = 0x06, p->d[ip + 2] = 0x0e, p->d[ip + 3] = 0x60;
	put_gue(p, inner, key, cookie);
	if (csum)
		l4_set_csum6(p, ip);
}

/* The MTU an ICMPv6 packet too big of build_underlay says (set before building one). */
static uint32_t ptb_mtu;
static int ptb_about; /* A6_* of the remote its quoted segment went to */

static void build_underlay(struct pkt *p, int kind, size_t payload)
{
	size_t ip;
	uint8_t *l4;

	p->len = 0;
	switch (kind) {
	case UL_TCP80:
		put_eth(p, ul_local, ul_remote, 0x0800);
		ip = put_ip4(p, remote4, local4, 6, 20 + payload, 9, 0x4000);
		l4 = pkt_put(p, 20);
		l4[0] = 0xc7, l4[1] = 0x38, l4[3] = 80;
		l4[12] = 5 << 4, l4[13] = T_TCP_ACK;
		set32(p, ip + 24, STT_SEQ(payload, 0)); /* looks like STT but for the port */
		fill_payload(pkt_put(p, payload), payload, 0x66);
		l4_set_csum(p, ip);
		break;
	case UL_UDP7471:
		put_eth(p, ul_local, ul_remote, 0x0800);
		ip = put_ip4(p, remote4, local4, 17, 8 + payload, 10, 0x4000);
		l4 = pkt_put(p, 8);
		l4[0] = 0xc7, l4[1] = 0x38;
		l4[2] = STT_PORT >> 8, l4[3] = STT_PORT & 0xff;
		l4[4] = (8 + payload) >> 8, l4[5] = (8 + payload) & 0xff;
		fill_payload(pkt_put(p, payload), payload, 0x77);
		l4_set_csum(p, ip);
		break;
	case UL_ARP:
		build_inner(p, K_ARP, bcast, ul_remote, 0, 0);
		pkt_put(p, p->len < 60 ? 60 - p->len : 0);
		break;
	case UL_ICMP:
		put_eth(p, ul_local, ul_remote, 0x0800);
		ip = put_ip4(p, remote4, local4, 1, 8 + payload, 11, 0);
		l4 = pkt_put(p, 8);
		l4[0] = 8;
		fill_payload(pkt_put(p, payload), payload, 0x88);
		set16(p, ip + 22, ~fold16(sum16(p->d + ip + 20, 8 + payload, 0)) & 0xffff);
		break;
	case UL_IPV6:
		build_inner(p, K_IPV6, ul_local, ul_remote, payload, 7471);
		break;
	case UL_TCP6_80: /* IPv6 TCP that looks like STT but for the port */
		put_eth(p, ul_local, ul_remote, 0x86dd);
		ip = put_ip6(p, addr6[A6_REMOTE], addr6[A6_LOCAL], 6, 20 + payload);
		l4 = pkt_put(p, 20);
		l4[0] = 0xc7, l4[1] = 0x38, l4[3] = 80;
		l4[12] = 5 << 4, l4[13] = T_TCP_ACK;
		set32(p, ip + 44, STT_SEQ(payload, 0));
		fill_payload(pkt_put(p, payload), payload, 0x5a);
		l4_set_csum6(p, ip);
		break;
	case UL_ICMP6_PTB: { /* ICMPv6 packet too big quoting an STT segment we sent (RFC 4443 3.2) */
		size_t q = 40 + 20 + 18 + (payload < 64 ? payload : 64);

		put_eth(p, ul_local, ul_remote, 0x86dd);
		ip = put_ip6(p, addr6[A6_REMOTE], addr6[A6_LOCAL], 58, 8 + q);
		l4 = pkt_put(p, 8);
		l4[0] = 2;
		set32(p, ip + 44, ptb_mtu);
		put_ip6(p, addr6[A6_LOCAL], addr6[ptb_about], 6, 20 + 18 + payload);
		l4 = pkt_put(p, 20);
		l4[0] = 0xc1, l4[1] = 0x05;
		l4[2] = STT_PORT >> 8, l4[3] = STT_PORT & 0xff;
		l4[12] = 5 << 4, l4[13] = T_TCP_ACK | T_TCP_PSH;
		fill_payload(pkt_put(p, q - 60), q - 60, 0x4b);
		set16(p, ip + 42, ~fold16(sum16(p->d + ip + 40, 8 + q, pseudo6(p->d + ip, 58, 8 + q))));
		break;
	}
	case UL_GUE6: { /* GUE over IPv6 from a remote that consents to checksum 0 (some envs) */
		static struct pkt in6;

		build_inner(&in6, K_UDP, vm_a, vm_b, payload, 40000);
		build_gue6(p, &in6, (uint32_t)CTX2, addr6[A6_REMOTE], addr6[A6_LOCAL], false,
			   false);
		break;
	}
	}
}

/* ------------------------------------------------------------------------------------------ */
/* BPF fixture                                                                                */

static struct stt_tx_bpf *tc_skel; /* the transmit object: its maps are every pinned map */
static struct stt_tc_rx_bpf *rx_skel;
static struct stt_xdp_bpf *xdp_skel;
static struct perf_buffer *pb;
static int ncpus, cur_cpu = -1, perf_fd = -1;
static int fd_cfg, fd_vports, fd_contexts, fd_fdb, fd_flood, fd_stats, fd_events;
static int fd_cfg6, fd_remotes6, fd_remote6_ids, fd_groups, fd_underlay, fd_pmtu, fd_remote_cfg;
static int fd_tx, fd_tc_rx, fd_xdp_rx;
static size_t tc_limit, xdp_linear;
static bool batch_ok = true;
static int cap_adv = -1; /* packet socket on lo: clones marked ADVANCE (cut frames) */


static void cleanup(void)
{
	if (pb)
		perf_buffer__free(pb);
	pb = NULL;
	if (cap_adv >= 0)
		close(cap_adv);
	cap_adv = -1;
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




/* The perf sample sttd would read, for stt_tc_rx's pieces. */
static struct {
	int n;
	size_t size;
	__u64 lost;
	uint8_t data[PKT_MAX + 256];
} sample;

static void on_sample(void *ctx, int cpu, void *data, __u32 size)
{
	if (sample.n++ == 0) {
		sample.size = size < sizeof(sample.data) ? size : sizeof(sample.data);
		memcpy(sample.data, data, sample.size);
	}
}

static void on_lost(void *ctx, int cpu, __u64 cnt)
{
	sample.lost += cnt;
}

/* libbpf opens one perf buffer per online CPU, in order: the index of ours among them. */
static int online_index(int cpu)
{
	FILE *f = fopen("/sys/devices/system/cpu/online", "r");
	int idx = 0, a, b;
	char sep;

	if (!f)
		return cpu;
	while (fscanf(f, "%d", &a) == 1) {
		b = a;
		if (fscanf(f, "%c", &sep) == 1 && sep == '-') {
			if (fscanf(f, "%d", &b) != 1)
				break;
			if (fscanf(f, "%c", &sep) != 1)
				sep = '\n';
		}
		for (int c = a; c <= b; c++)
			if (c < cpu)
				idx++;
		if (sep != ',')
			break;
	}
	fclose(f);
	return idx;
}

static int load_null_prog(enum bpf_prog_type type, int ret)
{
	const struct bpf_insn insns[] = {
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = ret},
	    {.code = BPF_JMP | BPF_EXIT},
	};

	return bpf_prog_load(type, "stt_fuzz_null", "GPL", insns, 2, NULL);
}

/*
 * Cut frames: a pass re-injects the rest of the frame into the ingress of the vport (lo) as
 * a clone marked ADVANCE (bpf_clone_redirect). lo is brought up for that (a down device
 * refuses the clone); in our namespace IP drops the clones (no route to 198.18.0.x), and a
 * packet socket with a filter on the mark takes them for the next pass, as in the unit tests.
 */
#include "lo_capture.h"

/* The largest data_size_in BPF_PROG_TEST_RUN takes for a TC program (linear skbs only). */
static size_t probe_tc_limit(void)
{
	static uint8_t big[PKT_MAX];
	int fd = load_null_prog(BPF_PROG_TYPE_SCHED_CLS, TC_ACT_OK);
	size_t lo = ETH_LEN, hi = PKT_MAX;

	if (fd < 0)
		return 0;
	big[12] = 0x08;
	while (lo < hi) {
		size_t mid = (lo + hi + 1) / 2;
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = big, .data_size_in = mid, .repeat = 1);

		if (bpf_prog_test_run_opts(fd, &o))
			hi = mid - 1;
		else
			lo = mid;
	}
	close(fd);
	return lo;
}

/*
 * How much of a packet a test run of an xdp.frags program puts in the first buffer (the
 * rest goes to fragments): a probe returns data_end - data.
 */
static size_t probe_xdp_linear(void)
{
	static uint8_t big[PKT_MAX];
	const struct bpf_insn insns[] = {
	    {.code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = BPF_REG_2, .src_reg = BPF_REG_1, .off = 0},
	    {.code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = BPF_REG_0, .src_reg = BPF_REG_1, .off = 4},
	    {.code = BPF_ALU64 | BPF_SUB | BPF_X, .dst_reg = BPF_REG_0, .src_reg = BPF_REG_2},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	LIBBPF_OPTS(bpf_prog_load_opts, po, .prog_flags = BPF_F_XDP_HAS_FRAGS);
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = big, .data_size_in = sizeof(big),
		    .repeat = 1);
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "stt_fuzz_lin", "GPL", insns, 4, &po);
	size_t r = 0;

	if (fd < 0)
		return 0;
	if (!bpf_prog_test_run_opts(fd, &o))
		r = o.retval;
	close(fd);
	return r;
}

/* Returns 0 on success, 1 to skip (T.skip set), -1 on failure (message printed). */
static int setup(void)
{
	struct statfs sfs;
	cpu_set_t cpus;
	int err;

	if (geteuid() != 0) {
		test_skip("not root");
		return 1;
	}
	if (statfs("/sys/fs/bpf", &sfs) || sfs.f_type != BPF_FS_MAGIC) {
		test_skip("no bpffs at /sys/fs/bpf");
		return 1;
	}
	/* The expected results assume a FIB lookup that fails: only in a namespace of our own. */
	if (unshare(CLONE_NEWNET)) {
		test_skip("cannot create a network namespace: %s", strerror(errno));
		return 1;
	}
	/* One CPU: per-CPU counters, frame IDs and the perf buffer all on it. */
	cur_cpu = sched_getcpu();
	if (cur_cpu < 0) {
		printf("# setup: sched_getcpu: %s\n", strerror(errno));
		return -1;
	}
	CPU_ZERO(&cpus);
	CPU_SET(cur_cpu, &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus)) {
		printf("# setup: sched_setaffinity: %s\n", strerror(errno));
		return -1;
	}
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0) {
		printf("# setup: libbpf_num_possible_cpus: %d\n", ncpus);
		return -1;
	}

	err = load_skels("stt-fuzz", cleanup, &tc_skel, &rx_skel, &xdp_skel);
	if (err)
		return err;
	fd_cfg = bpf_map__fd(tc_skel->maps.stt_cfg);
	fd_vports = bpf_map__fd(tc_skel->maps.stt_vports);
	fd_contexts = bpf_map__fd(tc_skel->maps.stt_contexts);
	fd_fdb = bpf_map__fd(tc_skel->maps.stt_fdb);
	fd_flood = bpf_map__fd(tc_skel->maps.stt_flood);
	fd_stats = bpf_map__fd(tc_skel->maps.stt_stats);
	fd_events = bpf_map__fd(tc_skel->maps.stt_reasm_events);
	fd_cfg6 = bpf_map__fd(tc_skel->maps.stt_cfg6);
	fd_remotes6 = bpf_map__fd(tc_skel->maps.stt_remotes6);
	fd_remote6_ids = bpf_map__fd(tc_skel->maps.stt_remote6_ids);
	fd_groups = bpf_map__fd(tc_skel->maps.stt_groups);
	fd_underlay = bpf_map__fd(tc_skel->maps.stt_underlay);
	fd_pmtu = bpf_map__fd(tc_skel->maps.stt_pmtu);
	fd_remote_cfg = bpf_map__fd(tc_skel->maps.stt_remote_cfg);
	fd_tx = bpf_program__fd(tc_skel->progs.stt_tc_tx);
	fd_tc_rx = bpf_program__fd(rx_skel->progs.stt_tc_rx);
	fd_xdp_rx = bpf_program__fd(xdp_skel->progs.stt_xdp_rx);
	if (bpf_map__fd(xdp_skel->maps.stt_stats) < 0) {
		printf("# setup: stt_xdp has no stt_stats\n");
		return -1;
	}

	pb = perf_buffer__new(fd_events, 16, on_sample, on_lost, NULL, NULL);
	if (!pb) {
		printf("# setup: perf buffer on stt_reasm_events: %s\n", strerror(errno));
		return -1;
	}
	perf_fd = perf_buffer__buffer_fd(pb, online_index(cur_cpu));
	if (perf_fd < 0) {
		printf("# setup: perf buffer of CPU %d: %s\n", cur_cpu, strerror(-perf_fd));
		return -1;
	}

	if (!lo_set_up(true)) {
		printf("# setup: cannot bring lo up: %s\n", strerror(errno));
		return -1;
	}
	cap_adv = capture_open(T_MARK_ADVANCE);
	if (cap_adv < 0) {
		printf("# setup: packet socket on lo: %s\n", strerror(-cap_adv));
		return -1;
	}
	tc_limit = probe_tc_limit();
	xdp_linear = probe_xdp_linear();
	if (tc_limit < 1514 || xdp_linear < 1514) {
		printf("# setup: test run limits: tc %zu, xdp linear %zu\n", tc_limit, xdp_linear);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Map contents per input                                                                      */

/*
 * Flood lists of CTX. sttctl keeps a list one family; the datapath takes the first target's
 * and drops copies of the other (tx_family), so mixed lists are fuzzed too.
 */
enum flood_mode {
	FL_ONE,
	FL_NONE,
	FL_TWO,
	FL_ZERO,
	FL_SIXTEEN,
	FL_V6_ONE,
	FL_V6_TWO,
	FL_V6_GROUP,	  /* an IPv6 group first (copies to a group need no neighbour), a remote */
	FL_V6_GROUP_LAST, /* a remote, then the group */
	FL_V6_NOADDR,	  /* an index with no address behind it, then a remote */
	FL_V6_NOADDR_LAST,
	FL_MIX4, /* IPv4 first: the IPv6 copy is tx_family */
	FL_MIX6, /* IPv6 first: the IPv4 copy is tx_family */
	FL_MAX
};
static const char *const flood_names[FL_MAX] = {
    "1 remote",	      "no entry",	   "2 remotes",		   "count 0",
    "count 17 (16 used)", "1 IPv6 remote",	   "2 IPv6 remotes",	   "IPv6 group, remote",
    "IPv6 remote, group", "IPv6 no-address, remote", "IPv6 remote, no-address", "IPv4, IPv6, IPv4",
    "IPv6, IPv4, IPv6"};

/* The stt_flood value of a mode (count 0 for FL_NONE, which has no entry). */
static void flood_list(int mode, struct stt_flood_val *fl)
{
	memset(fl, 0, sizeof(*fl));
	switch (mode) {
	case FL_ONE:
		fl->count = 1, fl->remote4[0] = remote4;
		break;
	case FL_TWO:
		fl->count = 2, fl->remote4[0] = remote4, fl->remote4[1] = remote4b;
		break;
	case FL_ZERO:
		fl->count = 0, fl->remote4[0] = remote4;
		break;
	case FL_SIXTEEN:
		fl->count = 17;
		for (int i = 0; i < STT_MAX_FLOOD; i++)
			fl->remote4[i] = i == STT_MAX_FLOOD - 1 ? remote4b : remote4;
		break;
	case FL_V6_ONE:
		fl->count = 1, fl->remote4[0] = r6(1);
		break;
	case FL_V6_TWO:
		fl->count = 2, fl->remote4[0] = r6(1), fl->remote4[1] = r6(2);
		break;
	case FL_V6_GROUP:
		fl->count = 2, fl->remote4[0] = r6(3), fl->remote4[1] = r6(1);
		break;
	case FL_V6_GROUP_LAST:
		fl->count = 2, fl->remote4[0] = r6(1), fl->remote4[1] = r6(3);
		break;
	case FL_V6_NOADDR:
		fl->count = 2, fl->remote4[0] = r6(IDX6_NOADDR), fl->remote4[1] = r6(2);
		break;
	case FL_V6_NOADDR_LAST:
		fl->count = 2, fl->remote4[0] = r6(2), fl->remote4[1] = r6(IDX6_NOADDR);
		break;
	case FL_MIX4:
		fl->count = 3, fl->remote4[0] = remote4, fl->remote4[1] = r6(1);
		fl->remote4[2] = remote4b;
		break;
	case FL_MIX6:
		fl->count = 3, fl->remote4[0] = r6(1), fl->remote4[1] = remote4;
		fl->remote4[2] = r6(2);
		break;
	}
}

struct env {
	bool ctx_xdp;  /* STT_VPORT_XDP on CTX */
	bool cfg_xdp;  /* STT_CFG_XDP in stt_cfg: TC leaves pass/rx_segments to XDP */
	bool sttd;     /* a reader on the perf buffer of our CPU */
	int flood;     /* enum flood_mode */
	uint32_t mtu;  /* underlay MTU */
	uint8_t ttl;   /* cfg ttl (0: the datapath uses 64) */
	bool local6;   /* STT_CFG6_LOCAL in stt_cfg6: an IPv6 endpoint too (local6) */
	bool gue;      /* stt_cfg.gue_port 6080 (else 0: GUE off) */
	bool udp6_zero; /* A6_REMOTE's stt_remote_cfg entry has STT_RCFG_UDP6_ZERO (else none) */
};

static struct env cur_env;
static bool env_valid;

/* The maps as populate_maps leaves them, and the deterministic phase's starting point. */
static const struct env env_default = {.ctx_xdp = true,
				       .sttd = false,
				       .flood = FL_ONE,
				       .mtu = 1500,
				       .ttl = 64,
				       .local6 = true,
				       .gue = true,
				       .udp6_zero = true};

static bool apply_env(const struct env *e)
{
	int err = 0;

	if (!env_valid || e->mtu != cur_env.mtu || e->ttl != cur_env.ttl ||
	    e->cfg_xdp != cur_env.cfg_xdp || e->gue != cur_env.gue) {
		struct stt_cfg cfg = {.ifindex = LO_IFINDEX,
				      .local4 = local4,
				      .port = STT_PORT,
				      .ttl = e->ttl,
				      .mtu = e->mtu,
				      /* Without it, as on a veth underlay, TC counts pass and
				       * rx_segments itself. */
				      .flags = e->cfg_xdp ? STT_CFG_XDP : 0,
				      .gue_port = e->gue ? GUE_PORT : 0};
		__u32 zero = 0;

		err |= bpf_map_update_elem(fd_cfg, &zero, &cfg, BPF_ANY);
	}
	if (!env_valid || e->ctx_xdp != cur_env.ctx_xdp) {
		struct stt_ctx_val cv = {.ifindex = LO_IFINDEX, .flags = e->ctx_xdp ? STT_VPORT_XDP : 0};
		__u64 ctx = CTX;

		err |= bpf_map_update_elem(fd_contexts, &ctx, &cv, BPF_ANY);
	}
	if (!env_valid || e->sttd != cur_env.sttd) {
		__u32 key = cur_cpu;

		if (e->sttd)
			err |= bpf_map_update_elem(fd_events, &key, &perf_fd, BPF_ANY);
		else
			bpf_map_delete_elem(fd_events, &key);
	}
	if (!env_valid || e->local6 != cur_env.local6) {
		struct stt_cfg6 c6 = {.flags = e->local6 ? STT_CFG6_LOCAL : 0};
		__u32 zero = 0;

		/* Without the flag the address stays: the datapath must look at the flag. */
		memcpy(&c6.local6, addr6[A6_LOCAL], 16);
		err |= bpf_map_update_elem(fd_cfg6, &zero, &c6, BPF_ANY);
	}
	if (!env_valid || e->udp6_zero != cur_env.udp6_zero) {
		/* The consent alone: encap stays the default (STT here), transmit is unchanged. */
		struct stt_remote_cfg rc = {.encap = STT_ENCAP_DEFAULT,
					    .flags = STT_RCFG_UDP6_ZERO};
		__u32 key = r6(addr6_idx[A6_REMOTE]);

		if (e->udp6_zero)
			err |= bpf_map_update_elem(fd_remote_cfg, &key, &rc, BPF_ANY);
		else
			bpf_map_delete_elem(fd_remote_cfg, &key);
	}
	if (!env_valid || e->flood != cur_env.flood) {
		struct stt_flood_val fl;
		__u64 ctx = CTX;

		flood_list(e->flood, &fl);
		if (e->flood == FL_NONE)
			bpf_map_delete_elem(fd_flood, &ctx);
		else
			err |= bpf_map_update_elem(fd_flood, &ctx, &fl, BPF_ANY);
	}
	if (err) {
		env_valid = false;
		return false;
	}
	cur_env = *e;
	env_valid = true;
	return true;
}

static int populate_maps(void)
{
	struct stt_vport vp = {.context = CTX};
	struct stt_ctx_val cv2 = {.ifindex = LO_IFINDEX, .flags = STT_VPORT_XDP};
	struct stt_fdb_key fk = {.context = CTX};
	struct stt_fdb_val fv = {.remote4 = remote4};
	struct env e = env_default;
	struct stt_underlay ul = {};
	__u32 lo = LO_IFINDEX, one = 1, zero = 0;
	__u64 ctx2 = CTX2;
	int err = 0;

	memcpy(fk.mac, vm_b, 6);
	err |= bpf_map_update_elem(fd_vports, &lo, &vp, BPF_ANY);
	err |= bpf_map_update_elem(fd_contexts, &ctx2, &cv2, BPF_ANY);
	err |= bpf_map_update_elem(fd_fdb, &fk, &fv, BPF_ANY);
	/* IPv6 remotes: an address, an index with no address, a group (include/stt_maps.h). */
	{
		const struct {
			const uint8_t *mac;
			uint32_t remote;
		} f6[] = {{vm_c6, r6(1)}, {vm_d6, r6(IDX6_NOADDR)}, {vm_g6, r6(3)}};

		for (size_t i = 0; i < sizeof(f6) / sizeof(f6[0]); i++) {
			memcpy(fk.mac, f6[i].mac, 6);
			fv.remote4 = f6[i].remote;
			err |= bpf_map_update_elem(fd_fdb, &fk, &fv, BPF_ANY);
		}
	}
	for (int a = 0; a < A6_MAX; a++) {
		__u32 idx = addr6_idx[a], rem = r6(idx);
		struct stt_addr6 k;

		if (!idx)
			continue;
		memcpy(&k, addr6[a], 16);
		err |= bpf_map_update_elem(fd_remotes6, &idx, &k, BPF_ANY);
		err |= bpf_map_update_elem(fd_remote6_ids, &k, &rem, BPF_ANY);
	}
	{
		__u32 g6 = r6(addr6_idx[A6_GROUP]);

		err |= bpf_map_update_elem(fd_groups, &g6, &one, BPF_ANY);
		err |= bpf_map_update_elem(fd_groups, &group4, &one, BPF_ANY);
	}
	/* The source MAC of copies to a group. */
	memcpy(ul.mac, ul_local, 6);
	err |= bpf_map_update_elem(fd_underlay, &zero, &ul, BPF_ANY);
	return err || !apply_env(&e);
}

/* ------------------------------------------------------------------------------------------ */
/* Counters                                                                                   */

typedef __u64 counters_t[STT_NR_COUNTERS];

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
	snprintf(other, sizeof(other), "#%d", i);
	return other;
}

static bool read_counters(counters_t c)
{
	static __u64 vals[STT_NR_COUNTERS * 512];
	__u32 keys[STT_NR_COUNTERS], count = STT_NR_COUNTERS, out_batch;
	int err = -1;

	if (ncpus > 512)
		batch_ok = false;
	if (batch_ok) {
		LIBBPF_OPTS(bpf_map_batch_opts, bo);

		err = bpf_map_lookup_batch(fd_stats, NULL, &out_batch, keys, vals, &count, &bo);
		if ((err && errno != ENOENT) || count != STT_NR_COUNTERS) {
			batch_ok = false;
			err = -1;
		} else {
			err = 0;
		}
	}
	if (err) {
		for (__u32 i = 0; i < STT_NR_COUNTERS; i++) {
			keys[i] = i;
			if (bpf_map_lookup_elem(fd_stats, &i, vals + (size_t)i * ncpus))
				return false;
		}
	}
	for (__u32 i = 0; i < STT_NR_COUNTERS; i++) {
		c[keys[i]] = 0;
		for (int cpu = 0; cpu < ncpus; cpu++)
			c[keys[i]] += vals[(size_t)i * ncpus + cpu];
	}
	return true;
}

/* ------------------------------------------------------------------------------------------ */
/* Check groups                                                                               */

enum group {
	G_SETUP,
	G_ERRNO,
	G_XDP_VERDICT,
	G_XDP_REDIRECT,
	G_XDP_PASS,
	G_XDP_MODEL,
	G_TC_VERDICT,
	G_TC_OK,
	G_TC_REDIRECT,
	G_TC_STTD,
	G_TC_MODEL,
	G_TX_VERDICT,
	G_TX_HDR,
	G_TX_PAYLOAD,
	G_TX_CSUM,
	G_TX_MODEL,
	G_TX_CUT,
	G_SUMS,
	G_MAX
};

static const char *const group_names[G_MAX] = {
    [G_SETUP] = "setup: skeletons loaded (verifier), maps pinned privately, own netns",
    [G_ERRNO] = "test_run: no error, but EINVAL for what it cannot take (< 14 bytes; TC: > one "
		"page, IPv4 < 34, IPv6 < 54 bytes)",
    [G_XDP_VERDICT] = "stt_xdp_rx: verdict is XDP_PASS, XDP_DROP or XDP_REDIRECT",
    [G_XDP_REDIRECT] = "stt_xdp_rx: XDP_REDIRECT only for a well-formed single-segment frame of a "
		       "known XDP context; output = its inner frame; a well-formed GUE frame its "
		       "sender may send is redirected",
    [G_XDP_PASS] = "stt_xdp_rx: XDP_PASS leaves the packet unchanged",
    [G_XDP_MODEL] = "stt_xdp_rx: verdict and every counter as the reference model predicts",
    [G_TC_VERDICT] = "stt_tc_rx: verdict is TC_ACT_UNSPEC, TC_ACT_SHOT or TC_ACT_REDIRECT",
    [G_TC_OK] = "stt_tc_rx: TC_ACT_UNSPEC only for non-STT (never TCP to port 7471, nor UDP to "
		"6080 with GUE on), packet unchanged",
    [G_TC_REDIRECT] = "stt_tc_rx: TC_ACT_REDIRECT only for a well-formed single-segment frame of a "
		      "known context; output = its inner frame; a well-formed GUE frame its "
		      "sender may send is redirected",
    [G_TC_STTD] = "stt_tc_rx: pieces for sttd: one perf sample, header and packet bytes right",
    [G_TC_MODEL] = "stt_tc_rx: verdict and every counter as the reference model predicts",
    [G_TX_VERDICT] = "stt_tc_tx: verdict is TC_ACT_SHOT or TC_ACT_REDIRECT",
    [G_TX_HDR] = "stt_tc_tx: REDIRECT output: outer headers well-formed (IPv4 ihl 5, tot_len, DF; "
		 "IPv6 payload length, next header 6, local6; TCP doff 5, port 7471, SEQ, STT "
		 "version 0, context, frame ID)",
    [G_TX_PAYLOAD] = "stt_tc_tx: REDIRECT output: tenant frame after the 72-byte (IPv6: 92-byte) "
		     "header, byte for byte (partial checksum completed when cut)",
    [G_TX_CSUM] = "stt_tc_tx: single-segment output: outer IPv4 checksum, outer TCP checksum "
		  "over the IPv4 or IPv6 pseudo header (local checksum offload)",
    [G_TX_MODEL] = "stt_tc_tx: verdict, mark, STT flags, remote, TTL/hop limit, source port and "
		   "flow label (inner hash), MACs and every counter as the reference model predicts",
    [G_TX_CUT] = "stt_tc_tx: cut frames: each FRESH/ADVANCE pass sends a well-formed segment "
		 "(SEQ offset, PSH on the last, checksums) and re-injects the rest; the segments "
		 "join to the frame",
    [G_SUMS] = "counters add up over the run: drops + delivered + passed = inputs, per program",
};

struct group_state {
	unsigned long checks, fails;
	int printed;
};

static struct group_state G[G_MAX];

/* The run being checked: what to print with a failure, and the failures so far. */
enum prog_id { P_XDP, P_TC_RX, P_TX, P_CUT, P_MAX };
static const char *const prog_names[P_MAX] = {"stt_xdp_rx", "stt_tc_rx", "stt_tc_tx",
					      "stt_tc_tx (cut passes)"};

struct fcase {
	bool used;
	int prog;
	struct env env;
	char desc[200];
	struct pkt in;
};

enum run_mode {
	M_RECORD, /* a fuzz input: checks counted, failures printed and kept */
	M_QUIET,  /* a minimisation re-run: only which groups fail */
	M_REPLAY, /* a minimal input shown again: failures printed, nothing counted */
};

static struct {
	int mode;	  /* enum run_mode */
	uint32_t mask;	  /* groups that failed in this run */
	bool header_done; /* the run's description was printed */
	const char *desc;
	int prog;
	const struct env *env;
	const struct pkt *in;
} R;

static struct fcase first_fail[G_MAX];
#define MAX_PRINTED 6
#define RECORDING (R.mode == M_RECORD)

static void print_hex(const char *prefix, const uint8_t *d, size_t len, size_t max)
{
	size_t n = len < max ? len : max;
	bool skipping = false;

	for (size_t row = 0; row < n; row += 32) {
		/* Rows equal to the one before (and not the last) as one "*", as hexdump does. */
		if (row && row + 32 < n && !memcmp(d + row, d + row - 32, 32)) {
			if (!skipping)
				printf("%s*\n", prefix);
			skipping = true;
			continue;
		}
		skipping = false;
		printf("%s%04zx:", prefix, row);
		for (size_t i = row; i < row + 32 && i < n; i++)
			printf("%s%02x", (i - row) % 4 ? "" : " ", d[i]);
		putchar('\n');
	}
	if (n < len)
		printf("%s... (%zu more bytes)\n", prefix, len - n);
}

static void env_str(const struct env *e, int prog, char *buf, size_t n)
{
	switch (prog) {
	case P_XDP:
		snprintf(buf, n, "ctx 0x%llx %s XDP flag, local6 %s, gue port %d, udp6-zero %s",
			 (unsigned long long)CTX, e->ctx_xdp ? "with" : "without",
			 e->local6 ? "set" : "unset", e->gue ? GUE_PORT : 0,
			 e->udp6_zero ? "for ::2" : "none");
		break;
	case P_TC_RX:
		snprintf(buf, n,
			 "sttd %s, stt_cfg %s STT_CFG_XDP, local6 %s, mtu %u, gue port %d, "
			 "udp6-zero %s",
			 e->sttd ? "listening" : "absent", e->cfg_xdp ? "with" : "without",
			 e->local6 ? "set" : "unset", e->mtu, e->gue ? GUE_PORT : 0,
			 e->udp6_zero ? "for ::2" : "none");
		break;
	default:
		snprintf(buf, n, "flood %s, mtu %u, ttl %u, local6 %s", flood_names[e->flood], e->mtu,
			 e->ttl, e->local6 ? "set" : "unset");
	}
}

__attribute__((format(printf, 2, 3))) static void fail(int g, const char *fmt, ...)
{
	va_list ap;

	R.mask |= 1u << g;
	if (R.mode == M_QUIET)
		return;
	if (R.mode == M_REPLAY) {
		printf("#   [%s] ", group_names[g]);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		putchar('\n');
		return;
	}
	G[g].fails++;
	if (!first_fail[g].used && R.in) {
		struct fcase *c = &first_fail[g];

		c->used = true;
		c->prog = R.prog;
		c->env = *R.env;
		snprintf(c->desc, sizeof(c->desc), "%s", R.desc);
		c->in.len = R.in->len;
		memcpy(c->in.d, R.in->d, R.in->len);
	}
	if (G[g].printed >= MAX_PRINTED && !T.verbose)
		return;
	if (!R.header_done && R.in) {
		char e[192];

		env_str(R.env, R.prog, e, sizeof(e));
		printf("# FAIL %s, input %s (%zu bytes; %s):\n", prog_names[R.prog], R.desc,
		       R.in->len, e);
		print_hex("#     ", R.in->d, R.in->len, T.verbose ? PKT_MAX : 256);
		R.header_done = true;
	}
	G[g].printed++;
	printf("#   [%s] ", group_names[g]);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void check(int g)
{
	if (RECORDING)
		G[g].checks++;
}

/*
 * Known datapath bugs, reported and not fixed yet (tests/fuzz/README.md). A run that shows
 * exactly the known wrong behaviour is counted as a TODO, not a failure, unless -k: then it
 * fails like anything else. A run that behaves right passes either way, so a fix makes the
 * TODO disappear by itself.
 */
static bool known_strict;
static struct {
	const char *name, *what;
	unsigned long hits;
	char first[200];
} known[] = {
    /* None known now. ipv6-outer-short-ipv6-inner (IPv6 outside, a 34..53-byte "IPv6"
     * frame inside: rx_error in TC) was fixed in stt_tc_rx. */
};

/* True when the run is to be taken as known bug k (and counted). */
static __attribute__((unused)) bool known_bug(int k)
{
	if (known_strict)
		return false;
	if (RECORDING && known[k].hits++ == 0) {
		snprintf(known[k].first, sizeof(known[k].first), "%s", R.desc);
		printf("# TODO known bug %s: %s (first input: %s)\n", known[k].name, known[k].what,
		       R.desc);
	}
	return true;
}

/* ------------------------------------------------------------------------------------------ */
/* Running a program                                                                          */

struct run {
	int err; /* -errno of the test run */
	__u32 retval;
	size_t len;
	struct __sk_buff ctx_out;
	__u64 delta[STT_NR_COUNTERS];
	bool counters_ok;
	uint8_t out[OUT_MAX];
};

static void run_prog(int fd, const struct pkt *in, bool skb_ctx, __u32 mark, struct run *r)
{
	struct __sk_buff cin = {.ifindex = LO_IFINDEX, .mark = mark};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in->d, .data_size_in = in->len,
		    .data_out = r->out, .data_size_out = sizeof(r->out), .repeat = 1);
	counters_t before, after;

	if (skb_ctx) {
		o.ctx_in = &cin;
		o.ctx_size_in = sizeof(cin);
		o.ctx_out = &r->ctx_out;
		o.ctx_size_out = sizeof(r->ctx_out);
	}
	memset(&r->ctx_out, 0, sizeof(r->ctx_out));
	r->counters_ok = read_counters(before);
	r->err = bpf_prog_test_run_opts(fd, &o) ? -errno : 0;
	r->retval = o.retval;
	r->len = r->err ? 0 : o.data_size_out;
	r->counters_ok &= read_counters(after);
	for (int i = 0; i < STT_NR_COUNTERS; i++)
		r->delta[i] = after[i] - before[i];
}

/* Every counter moved by what exp says, and no other counter moved. */
static void check_deltas(int g, const struct run *r, const __u64 *exp)
{
	char got[512] = "", want[512] = "";
	size_t gl = 0, wl = 0;
	bool bad = false;

	if (!r->counters_ok) {
		fail(g, "reading stt_stats failed");
		return;
	}
	for (int i = 0; i < STT_NR_COUNTERS; i++) {
		if (r->delta[i] != exp[i])
			bad = true;
		if (r->delta[i] && gl < sizeof(got) - 64)
			gl += snprintf(got + gl, sizeof(got) - gl, " %s +%llu", counter_name(i),
				       (unsigned long long)r->delta[i]);
		if (exp[i] && wl < sizeof(want) - 64)
			wl += snprintf(want + wl, sizeof(want) - wl, " %s +%llu", counter_name(i),
				       (unsigned long long)exp[i]);
	}
	if (bad)
		fail(g, "counters moved:%s; expected:%s", gl ? got : " none", wl ? want : " none");
}

/* ------------------------------------------------------------------------------------------ */
/* Receive: reference model and properties                                                     */

enum rx_class { RX_NOT_STT, RX_DROP, RX_SEGMENT, RX_FRAME, RX_CLASSES };
static const char *const rx_class_names[RX_CLASSES] = {"not STT", "dropped by the parser",
							"segment of a larger frame", "whole frame"};

struct rx_model {
	int cls;
	int reason; /* enum stt_drop, for RX_DROP */
	uint32_t frame_len, seg_off, payload_len;
	uint64_t context;
	uint8_t stt_flags;
	bool v6;	/* the outer header is IPv6 */
	size_t stt;	/* offset of the STT header: 54, 74 over IPv6 */
	uint8_t tos;	/* outer TOS or traffic class */
	uint32_t saddr; /* the sender: IPv4 address, IPv6 remote (index form, 0: none) */
	bool gue;	/* GUE: stt is the inner frame's offset - 18, frame_len its length + 18 */
	bool gue_csum;	/* GUE with a nonzero UDP checksum */
};

/* The remote (index form) stt_remote6_ids holds for an IPv6 address, 0 for none. */
static uint32_t model_remote6(const uint8_t *a)
{
	for (int i = 0; i < A6_MAX; i++)
		if (addr6_idx[i] && !memcmp(a, addr6[i], 16))
			return r6(addr6_idx[i]);
	return 0;
}

/*
 * The STT header rules (include/stt_check.h), modelled from the draft on their own: the
 * drop reason, or -1 for a header to accept. stt: its offset; ilen: the inner frame's length.
 */
static int rx_model_hdr(const uint8_t *p, size_t lin, size_t stt, uint32_t ilen)
{
	uint8_t flags = p[stt + 1], l4 = p[stt + 2];
	uint16_t mss = p[stt + 4] << 8 | p[stt + 5];
	size_t in = stt + 18;
	bool partial = flags & 0x02, tcp = flags & 0x08, v4 = flags & 0x04;
	uint8_t b[24] = {0};

	for (size_t i = 0; i < sizeof(b) && i < ilen && in + i < lin; i++)
		b[i] = p[in + i];
	if (flags >> 4 || (flags & 0x03) == 0x03)
		return STT_DROP_FLAGS;
	if (!partial)
		return l4 ? STT_DROP_L4_OFFSET : mss ? STT_DROP_MSS : -1;
	if (v4 ? (get16(b, 12) != 0x0800 || b[14] >> 4 != 4 || (b[14] & 15) < 5 ||
		  l4 != 14 + 4 * (b[14] & 15) || b[23] != (tcp ? 6 : 17))
	       : (get16(b, 12) != 0x86dd || b[14] >> 4 != 6 || l4 != 54 || b[20] != (tcp ? 6 : 17)))
		return STT_DROP_L4_OFFSET;
	if (l4 + (tcp ? 20u : 8u) > ilen)
		return STT_DROP_L4_OFFSET;
	if (mss && (!tcp || mss < 48))
		return STT_DROP_MSS;
	return -1;
}

/*
 * What both families share once the outer TCP header is known (stt_rx_tcp): TCP data
 * offset, SEQ lengths, the STT header of a whole frame. tcp: its offset; l4: the outer IP
 * payload length.
 */
static void rx_classify_tcp(const uint8_t *p, size_t lin, size_t tcp, size_t l4,
			    struct rx_model *m)
{
	m->cls = RX_DROP;
	m->stt = tcp + 20;
	if ((p[tcp + 12] >> 4) != 5) {
		m->reason = STT_DROP_TCP_HDR;
		return;
	}
	m->payload_len = l4 - 20;
	m->frame_len = STT_SEQ_LEN(get32(p, tcp + 4));
	m->seg_off = STT_SEQ_OFF(get32(p, tcp + 4));
	if (m->payload_len == 0 || m->frame_len < 18 || m->seg_off + m->payload_len > m->frame_len)
		m->reason = STT_DROP_LENGTH;
	else if (m->frame_len < 18 + 14)
		m->reason = STT_DROP_INNER_SHORT;
	else if (m->seg_off == 0 && m->payload_len == m->frame_len) {
		if (lin < m->stt + 18)
			m->reason = STT_DROP_TRUNCATED;
		else if (p[m->stt] != STT_VERSION)
			m->reason = STT_DROP_VERSION;
		else if ((m->reason = rx_model_hdr(p, lin, m->stt, m->frame_len - 18)) >= 0)
			; /* a header field the draft pins down is wrong */
		else {
			m->cls = RX_FRAME;
			m->context = get64(p, m->stt + 8);
			m->stt_flags = p[m->stt + 1];
		}
	} else {
		m->cls = RX_SEGMENT;
	}
}

/*
 * GUE (docs/GUE.md section 8) once the outer checks passed, over either family: UDP at u, l4
 * the outer IP payload length, m->saddr the sender. The UDP length, GUE version 0, no C bit,
 * no flags and hlen 0 or P with hlen 3 and the private flag 0x40000000 (a cookie: no remote
 * has one here, so any is gue_cookie), proto_ctype 47, GRE exactly K + TEB, an inner
 * Ethernet header; then, over IPv6, a zero UDP checksum only from a remote that consented to
 * it (section 5, RFC 6936: here A6_REMOTE when the env gives it STT_RCFG_UDP6_ZERO), checked
 * after the cookie. Written from the note's rules, in the order they are listed.
 */
static void rx_classify_gue(const uint8_t *p, size_t len, size_t lin, const struct env *e, size_t u,
			    size_t l4, struct rx_model *m)
{
	size_t g = u + 8, gre;
	bool cookie = false;
	uint16_t flags;

	m->cls = RX_DROP;
	m->gue = true;
	if (get16(p, u + 4) != l4)
		m->reason = STT_DROP_IP_HDR;
	else if (p[g] >> 6)
		m->reason = STT_DROP_GUE_VERSION;
	else if (p[g] & 0x20)
		m->reason = STT_DROP_GUE_CONTROL;
	else if ((flags = get16(p, g + 2)) == 0x0001 && (p[g] & 0x1f) != 3)
		m->reason = STT_DROP_GUE_HLEN;
	else if (flags == 0x0001 && lin < g + 4 + 12)
		m->reason = STT_DROP_TRUNCATED;
	else if (flags == 0x0001 && get32(p, g + 4) != 0x40000000)
		m->reason = STT_DROP_GUE_FLAGS;
	else if (flags != 0x0001 && flags)
		m->reason = STT_DROP_GUE_FLAGS;
	else if (flags != 0x0001 && (p[g] & 0x1f))
		m->reason = STT_DROP_GUE_HLEN;
	else if (cookie = flags == 0x0001, gre = g + 4 + (cookie ? 12 : 0), p[g + 1] != 47)
		m->reason = STT_DROP_GUE_PROTO;
	else if (lin < gre + 8)
		m->reason = STT_DROP_TRUNCATED;
	else if (get16(p, gre) != 0x2000 || get16(p, gre + 2) != 0x6558)
		m->reason = STT_DROP_GRE_HDR;
	else if (l4 < gre + 8 - u + 14)
		m->reason = STT_DROP_INNER_SHORT;
	else if (cookie)
		m->reason = STT_DROP_GUE_COOKIE; /* no remote has a cookie here */
	else if (m->v6 && !get16(p, u + 6) &&
		 !(e->udp6_zero && m->saddr == r6(addr6_idx[A6_REMOTE])))
		m->reason = STT_DROP_GUE_UDP6_ZERO;
	else {
		m->cls = RX_FRAME;
		m->stt = gre + 8 - 18;
		m->frame_len = (uint32_t)(len - (gre + 8)) + 18;
		m->payload_len = m->frame_len;
		m->context = get32(p, gre + 4);
		m->gue_csum = get16(p, u + 6) != 0;
	}
}

/*
 * STT or GUE over IPv6 (stt_rx_parse6): TCP to the STT port, or with GUE on UDP to the GUE
 * port, right behind the IPv6 header is ours (with STT_CFG6_LOCAL: to local6 or to a group
 * in stt_groups by its index; the smallest L4 header TCP's 20 bytes, UDP + GUE's 12);
 * behind up to two extension headers (a first fragment among them) it is dropped as
 * ipv6_outer; later fragments and deeper chains are not ours.
 */
static void rx_classify6(const uint8_t *p, size_t len, size_t lin, const struct env *e,
			 struct rx_model *m)
{
	size_t off = 14 + 40, plen, l4_min;
	uint16_t port;
	uint8_t nh;

	m->v6 = true;
	if (lin < 14 + 40 || (p[14] >> 4) != 6)
		return;
	nh = p[14 + 6];
	if (nh != 6 && !(nh == 17 && e->gue)) {
		for (int i = 0; i < 2; i++) {
			size_t x = off;

			if (nh != 0 && nh != 43 && nh != 60 && nh != 44)
				break;
			if (x + 8 > lin)
				return;
			if (nh == 44 && (get16(p, x + 2) & 0xfff8))
				return;
			off += nh == 44 ? 8 : (p[x + 1] + 1) * 8u;
			nh = p[x];
			if (off > 14 + 40 + 2 * 2048)
				return;
		}
		if ((nh == 6 || (nh == 17 && e->gue)) && off + 4 <= lin &&
		    get16(p, off + 2) == (nh == 6 ? STT_PORT : GUE_PORT)) {
			m->cls = RX_DROP;
			m->reason = STT_DROP_IPV6_OUTER;
		}
		return;
	}
	port = nh == 6 ? STT_PORT : GUE_PORT;
	l4_min = nh == 6 ? 20 : 12;
	if (lin < TCP_OFF6 + 4 || get16(p, TCP_OFF6 + 2) != port)
		return;

	m->cls = RX_DROP;
	m->stt = STT_OFF6;
	m->gue = nh == 17;
	if (!e->local6)
		m->reason = STT_DROP_IPV6_OUTER;
	else if (memcmp(p + 38, addr6[A6_LOCAL], 16) &&
		 !(p[38] == 0xff && model_remote6(p + 38) == r6(addr6_idx[A6_GROUP])))
		m->reason = STT_DROP_NOT_LOCAL;
	else if (lin < TCP_OFF6 + l4_min)
		m->reason = STT_DROP_TRUNCATED;
	else if ((plen = get16(p, 18)) + 54 > len)
		m->reason = STT_DROP_TRUNCATED;
	else if (plen < l4_min || plen + 54 != len)
		m->reason = STT_DROP_IP_HDR;
	else {
		m->saddr = model_remote6(p + 22);
		m->tos = (uint8_t)(p[14] << 4) | (p[15] >> 4);
		if (m->gue)
			rx_classify_gue(p, len, lin, e, TCP_OFF6, plen, m);
		else
			rx_classify_tcp(p, lin, TCP_OFF6, plen, m);
	}
}

/*
 * The classification stt_rx_parse() must make of a packet of len bytes whose first lin
 * bytes are linear (XDP puts the rest in fragments), with the drop reasons in the order
 * their checks come. Written from the wire format and the reasons' descriptions. TCP to
 * the STT port is STT; with GUE on, UDP to the GUE port is GUE (docs/GUE.md section 8):
 * the same outer checks (not_local, ip_fragment, ip_header, truncated), with UDP + GUE (12
 * bytes) as the smallest L4 header.
 */
static void rx_classify(const uint8_t *p, size_t len, size_t lin, const struct env *e,
			struct rx_model *m)
{
	size_t ihl, tot, l4_min;
	uint16_t port;

	memset(m, 0, sizeof(*m));
	m->cls = RX_NOT_STT;
	m->stt = STT_OFF;
	if (lin > len)
		lin = len;
	if (lin >= 14 && get16(p, 12) == 0x86dd) {
		rx_classify6(p, len, lin, e, m);
		return;
	}
	/* Not ours: not IPv4 TCP or UDP, no ports (later fragment, truncated), another port. */
	if (lin < 34 || get16(p, 12) != 0x0800 || (p[14] >> 4) != 4)
		return;
	if (p[23] == 6)
		port = STT_PORT, l4_min = 20;
	else if (p[23] == 17 && e->gue)
		port = GUE_PORT, l4_min = 12;
	else
		return;
	ihl = (p[14] & 15) * 4;
	if (ihl < 20 || (get16(p, 20) & 0x1fff) || 14 + ihl + 4 > lin ||
	    get16(p, 14 + ihl + 2) != port)
		return;

	m->cls = RX_DROP;
	m->gue = p[23] == 17;
	/* To us: our address, or a multicast group in stt_groups. */
	if (memcmp(p + 30, &local4, 4) && memcmp(p + 30, &group4, 4))
		m->reason = STT_DROP_NOT_LOCAL;
	else if (get16(p, 20) & 0x2000)
		m->reason = STT_DROP_IP_FRAGMENT;
	else if (ihl != 20)
		m->reason = STT_DROP_IP_HDR;
	else if (lin < 34 + l4_min)
		m->reason = STT_DROP_TRUNCATED;
	else if ((tot = get16(p, 16)) + 14 > len)
		m->reason = STT_DROP_TRUNCATED;
	else if (tot < 20 + l4_min || tot + 14 != len)
		m->reason = STT_DROP_IP_HDR;
	else {
		memcpy(&m->saddr, p + 26, 4);
		m->tos = p[15];
		if (m->gue)
			rx_classify_gue(p, len, lin, e, TCP_OFF, tot - 20, m);
		else
			rx_classify_tcp(p, lin, TCP_OFF, tot - 20, m);
	}
}

/* STT_VPORT_* flags of a context, or -1 for one no vport is bound to. */
static int ctx_flags(uint64_t context, const struct env *e)
{
	if (context == CTX)
		return e->ctx_xdp ? STT_VPORT_XDP : 0;
	if (context == CTX2)
		return STT_VPORT_XDP;
	return -1;
}

/*
 * Property predicate, independent of the model: a well-formed single-segment STT frame
 * addressed to us (draft-davie-stt-03: IPv4 without options, not fragmented, or IPv6 with
 * TCP right behind its header; TCP without options to the STT port, SEQ = frame length << 16
 * with offset 0 and that length what the packet carries, STT version 0, an inner frame of at
 * least an Ethernet header). To us: our address or a group in stt_groups; over IPv6 only
 * with STT_CFG6_LOCAL. Returns the offset of the STT header, 0 if it is not one.
 */
static size_t wellformed_frame(const uint8_t *p, size_t len, const struct env *e)
{
	if (len >= INNER_OFF6 + 14 && get16(p, 12) == 0x86dd)
		return e->local6 && (p[14] >> 4) == 6 && p[20] == 6 && get16(p, 18) + 54u == len &&
			       (!memcmp(p + 38, addr6[A6_LOCAL], 16) ||
				!memcmp(p + 38, addr6[A6_GROUP], 16)) &&
			       get16(p, 56) == STT_PORT && (p[66] >> 4) == 5 &&
			       get32(p, 58) == (uint32_t)(len - STT_OFF6) << 16 && p[74] == 0
			   ? STT_OFF6
			   : 0;
	return len >= INNER_OFF + 14 && get16(p, 12) == 0x0800 && p[14] == 0x45 && p[23] == 6 &&
		       !(get16(p, 20) & 0x3fff) && get16(p, 16) + 14u == len &&
		       (!memcmp(p + 30, &local4, 4) || !memcmp(p + 30, &group4, 4)) &&
		       get16(p, 36) == STT_PORT && (p[46] >> 4) == 5 &&
		       get32(p, 38) == (uint32_t)(len - STT_OFF) << 16 && p[54] == 0
		   ? STT_OFF
		   : 0;
}

/*
 * Property predicate, independent of the model: a well-formed GUE frame as Linux sends it
 * (docs/GUE.md section 2) addressed to us, with GUE on: IPv4 without options, not
 * fragmented, or IPv6 with UDP right behind its header (with STT_CFG6_LOCAL, to local6 or
 * the group in stt_groups); UDP to 6080 whose length is the datagram's, GUE 00 2f 00 00,
 * GRE 20 00 65 58, an inner frame of at least an Ethernet header. Returns the inner frame's
 * offset (54, over IPv6 74: UDP 20 bytes before it, GRE 8), or 0.
 */
static size_t wellformed_gue(const uint8_t *p, size_t len, const struct env *e)
{
	size_t io;

	if (!e->gue)
		return 0;
	if (len >= GUE_INNER_OFF6 + 14 && get16(p, 12) == 0x86dd) {
		if (!e->local6 || (p[14] >> 4) != 6 || p[20] != 17 || get16(p, 18) + 54u != len ||
		    (memcmp(p + 38, addr6[A6_LOCAL], 16) && memcmp(p + 38, addr6[A6_GROUP], 16)))
			return 0;
		io = GUE_INNER_OFF6;
	} else if (len >= GUE_INNER_OFF + 14 && get16(p, 12) == 0x0800) {
		if (p[14] != 0x45 || p[23] != 17 || (get16(p, 20) & 0x3fff) ||
		    get16(p, 16) + 14u != len ||
		    (memcmp(p + 30, &local4, 4) && memcmp(p + 30, &group4, 4)))
			return 0;
		io = GUE_INNER_OFF;
	} else {
		return 0;
	}
	return get16(p, io - 18) == GUE_PORT && get16(p, io - 16) + io - 20 == len &&
		       get32(p, io - 12) == 0x002f0000 && get32(p, io - 8) == 0x20006558
		   ? io
		   : 0;
}

/*
 * Property predicate: a well-formed GUE frame (wellformed_gue) that its sender may send as
 * it is, to a key bound to a vport: UDP checksum 0 (a nonzero one nobody verified is refused
 * in TC, test_run's skb being CHECKSUM_NONE), over IPv6 only from the remote with
 * STT_RCFG_UDP6_ZERO (2001:db8::2 when the env gives it; RFC 6936). Returns the inner
 * frame's offset, 0 if not.
 */
static size_t gue_deliverable(const uint8_t *p, size_t len, const struct env *e)
{
	size_t io = wellformed_gue(p, len, e);

	if (!io || get16(p, io - 14) || ctx_flags(get32(p, io - 4), e) < 0)
		return 0;
	if (io == GUE_INNER_OFF6 && !(e->udp6_zero && !memcmp(p + 22, addr6[A6_REMOTE], 16)))
		return 0;
	return io;
}

/*
 * IPv6: the destination port of a proto (TCP, UDP) header right behind the IPv6 header or
 * behind up to two extension headers (hop-by-hop, routing, destination options, a first
 * fragment); -1 when there is none.
 */
static int ip6_dport(const uint8_t *p, size_t len, uint8_t proto)
{
	size_t off = 54;
	uint8_t nh = p[20];

	for (int i = 0; i < 2 && nh != proto; i++) {
		size_t x = off;

		if ((nh != 0 && nh != 43 && nh != 60 && nh != 44) || x + 8 > len ||
		    (nh == 44 && (get16(p, x + 2) & 0xfff8)))
			return -1;
		off += nh == 44 ? 8 : (p[x + 1] + 1) * 8u;
		nh = p[x];
	}
	return nh == proto && off + 4 <= len ? get16(p, off + 2) : -1;
}

/*
 * UDP to the GUE port with GUE on: never left to the host's UDP. IPv4: unless a later
 * fragment; IPv6: right behind the header or behind up to two extension headers.
 */
static bool udp_to_gue_port(const uint8_t *p, size_t len, const struct env *e)
{
	size_t ihl;

	if (!e->gue || len < 34)
		return false;
	if (len >= 54 && get16(p, 12) == 0x86dd && (p[14] >> 4) == 6)
		return ip6_dport(p, len, 17) == GUE_PORT;
	if (get16(p, 12) != 0x0800 || (p[14] >> 4) != 4 || p[23] != 17)
		return false;
	ihl = (p[14] & 15) * 4;
	if (ihl < 20 || (get16(p, 20) & 0x1fff) || 14 + ihl + 4 > len)
		return false;
	return get16(p, 14 + ihl + 2) == GUE_PORT;
}

/*
 * TCP to the STT port: what must never be left to the host's TCP (it would answer a RST).
 * IPv6: right behind the IPv6 header, or behind up to two extension headers (hop-by-hop,
 * routing, destination options, a first fragment).
 */
static bool tcp_to_stt_port(const uint8_t *p, size_t len)
{
	size_t ihl;

	if (len >= 54 && get16(p, 12) == 0x86dd && (p[14] >> 4) == 6)
		return ip6_dport(p, len, 6) == STT_PORT;
	if (len < 34 || get16(p, 12) != 0x0800 || (p[14] >> 4) != 4 || p[23] != 6)
		return false;
	ihl = (p[14] & 15) * 4;
	/* A later fragment carries no TCP header; ihl < 5 is not an IP header. */
	if (ihl < 20 || (get16(p, 20) & 0x1fff) || 14 + ihl + 4 > len)
		return false;
	return get16(p, 14 + ihl + 2) == STT_PORT;
}

static const char *xdp_verdict_name(__u32 v)
{
	static const char *const n[] = {"XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX",
					"XDP_REDIRECT"};
	static char buf[16];

	if (v < 5)
		return n[v];
	snprintf(buf, sizeof(buf), "%u", v);
	return buf;
}

static const char *tc_verdict_name(__u32 v)
{
	static char buf[16];

	switch (v) {
	case (__u32)TC_ACT_UNSPEC:
		return "TC_ACT_UNSPEC";
	case TC_ACT_OK:
		return "TC_ACT_OK";
	case TC_ACT_SHOT:
		return "TC_ACT_SHOT";
	case TC_ACT_REDIRECT:
		return "TC_ACT_REDIRECT";
	}
	snprintf(buf, sizeof(buf), "%d", (int)v);
	return buf;
}

/* Statistics */
static unsigned long execs[P_MAX], einval[P_MAX], min_execs;
static unsigned long verdicts[P_MAX][8];
static unsigned long rx_classes[2][RX_CLASSES], rx_v6_classes[2][RX_CLASSES];
static unsigned long rx_gue6_classes[2][RX_CLASSES], rx_gue6_delivered[2];
static unsigned long lco_premise_broken, xdp_multibuf, tx_cut_runs, tc_flag_runs, tc_flag_ok;
static unsigned long cut_chains_skipped, ptb_runs[2], tx_v6_runs[2], tx_copy_drops, tx_sum_bad;
static counters_t sums[P_MAX];
static unsigned long inputs_ran[P_MAX];
static size_t max_len_seen[P_MAX];

/* The model's classes of a receive run (i: 0 XDP, 1 TC), over IPv6, of GUE over IPv6. */
static void count_class(int i, const struct rx_model *m, bool redirected)
{
	if (!RECORDING)
		return;
	rx_classes[i][m->cls]++;
	rx_v6_classes[i][m->cls] += m->v6;
	rx_gue6_classes[i][m->cls] += m->v6 && m->gue;
	rx_gue6_delivered[i] += m->v6 && m->gue && redirected;
}

static void count_verdict(int prog, const struct run *r)
{
	if (!RECORDING)
		return;
	execs[prog]++;
	if (r->err) {
		einval[prog] += r->err == -EINVAL;
		return;
	}
	inputs_ran[prog]++;
	/* Bucket 0 of a TC program: TC_ACT_UNSPEC (stt_tc_rx's pass) or TC_ACT_OK. */
	verdicts[prog][r->retval < 8 ? r->retval : 0]++;
	for (int i = 0; i < STT_NR_COUNTERS; i++)
		sums[prog][i] += r->delta[i];
	if (max_len_seen[prog] < r->len)
		max_len_seen[prog] = r->len;
}

/*
 * A run refused by the kernel (EINVAL): only for what test_run cannot take. Any program:
 * less than an Ethernet header. TC: more than fits one linear skb, and an IPv4 (IPv6) frame
 * shorter than 14 + 20 (14 + 40) bytes (test_run wants the whole network header).
 * Returns true if it ran.
 */
static bool check_errno(const struct run *r, const struct pkt *in, bool skb)
{
	size_t len = in->len;
	bool may_refuse = len < ETH_LEN || len > (skb ? tc_limit : PKT_MAX);

	if (skb && len >= ETH_LEN)
		may_refuse |= (get16(in->d, 12) == 0x0800 && len < 34) ||
			      (get16(in->d, 12) == 0x86dd && len < 54);

	check(G_ERRNO);
	if (!r->err)
		return true;
	if (r->err != -EINVAL || !may_refuse)
		fail(G_ERRNO, "test run failed: %s (%d) for %zu bytes", strerror(-r->err), r->err,
		     len);
	return false;
}

/*
 * ECN and DSCP at decapsulation (include/stt_tos.h), uniform model (the fuzzed stt_cfg has
 * dscp 0): what the datapath must do to the inner IP header of a whole frame in p, whose
 * first lin bytes are readable and whose STT header is at so (54, or 74 over IPv6; GUE: the
 * inner frame's offset - 18; the outer TOS is the IPv4 TOS or, by the outer EtherType, the
 * IPv6 traffic class). 0: nothing; 1: drop (CE outside a
 * Not-ECT packet); 2: rewrite, and *out (when given) is the inner frame with the new TOS
 * (and, for IPv4, the header checksum updated the way bpf_l3_csum_replace does it).
 */
static int model_rx_tos(const uint8_t *p, size_t len, size_t lin, size_t so, struct pkt *out)
{
	size_t inner = so + 18, ip = inner + 14;
	uint8_t outer = get16(p, 12) == 0x86dd ? (uint8_t)(p[14] << 4) | (p[15] >> 4) : p[15];
	uint16_t proto;
	uint8_t tos, b0, b1;
	int t;

	if (lin < ip + 2 || len < ip + 2)
		return 0;
	proto = get16(p, inner + 12);
	b0 = p[ip];
	b1 = p[ip + 1];
	if (proto == 0x0800 && (b0 >> 4) == 4)
		tos = b1;
	else if (proto == 0x86dd && (b0 >> 4) == 6)
		tos = (uint8_t)(b0 << 4) | (b1 >> 4);
	else
		return 0;
	t = stt_decap_tos(outer, tos, STT_DSCP_INHERIT);
	if (t < 0)
		return 1;
	if (t == tos)
		return 0;
	if (out) {
		out->len = 0;
		pkt_append(out, p + inner, len - inner);
		if (proto == 0x0800) {
			uint16_t oldw = (uint16_t)(b0 << 8 | b1), neww = (uint16_t)(b0 << 8 | t);

			out->d[15] = (uint8_t)t;
			if (len >= ip + 12) {
				uint64_t sum = (uint16_t)~get16(out->d, 24) + (uint16_t)~oldw + neww;

				set16(out, 24, (uint16_t)~fold16(sum));
			}
		} else {
			out->d[14] = (b0 & 0xf0) | ((uint8_t)t >> 4);
			out->d[15] = (b1 & 0x0f) | (uint8_t)(t << 4);
		}
	}
	return 2;
}

/*
 * The converse of "REDIRECT only for a well-formed frame", for GUE (independent of the
 * model): a frame gue_deliverable() accepts is redirected, by XDP when it is linear, to a
 * vport with STT_VPORT_XDP and its ECN/DSCP leave the inner header as it is (else TC does
 * it), by TC unless its ECN says drop (CE on a Not-ECT inner packet of 34 bytes or more).
 */
static void check_gue_delivered(int prog, const struct pkt *in, size_t lin, const struct env *e,
				__u32 retval)
{
	size_t io = gue_deliverable(in->d, in->len, e);
	bool xdp = prog == P_XDP;
	int g = xdp ? G_XDP_REDIRECT : G_TC_REDIRECT;

	if (!io)
		return;
	if (xdp && (!(ctx_flags(get32(in->d, io - 4), e) & STT_VPORT_XDP) || in->len != lin ||
		    model_rx_tos(in->d, in->len, lin, io - 18, NULL)))
		return;
	if (!xdp && in->len - io >= 34 && model_rx_tos(in->d, in->len, lin, io - 18, NULL) == 1)
		return;
	check(g);
	if (retval != (xdp ? (__u32)XDP_REDIRECT : (__u32)TC_ACT_REDIRECT))
		fail(g,
		     "a well-formed GUE frame (over %s) from a sender that may send it, to a "
		     "bound key, was not redirected: %s",
		     io == GUE_INNER_OFF6 ? "IPv6" : "IPv4",
		     xdp ? xdp_verdict_name(retval) : tc_verdict_name(retval));
}

static void exec_xdp(const struct pkt *in, const struct env *e)
{
	static struct run r;
	struct rx_model m;
	size_t lin = in->len < xdp_linear ? in->len : xdp_linear;
	__u64 exp[STT_NR_COUNTERS] = {};
	int want;
	bool redirect_ok;

	if (!apply_env(e)) {
		fail(G_SETUP, "map update failed: %s", strerror(errno));
		return;
	}
	run_prog(fd_xdp_rx, in, false, 0, &r);
	count_verdict(P_XDP, &r);
	if (!check_errno(&r, in, false))
		return;
	if (!r.err && RECORDING && in->len > xdp_linear)
		xdp_multibuf++;

	check(G_XDP_VERDICT);
	if (r.retval != XDP_PASS && r.retval != XDP_DROP && r.retval != XDP_REDIRECT)
		fail(G_XDP_VERDICT, "verdict %s", xdp_verdict_name(r.retval));

	if (r.retval == XDP_REDIRECT) {
		size_t so = wellformed_frame(in->d, in->len, e), io = so + 18;
		int f = so ? ctx_flags(get64(in->d, so + 8), e) : -1;

		check(G_XDP_REDIRECT);
		redirect_ok = so && f >= 0 && (f & STT_VPORT_XDP) &&
			      !(in->d[so + 1] & STT_F_CSUM_PARTIAL) && !(in->d[so + 6] & 0x10) &&
			      in->len <= xdp_linear && !model_rx_tos(in->d, in->len, lin, so, NULL);
		if (!so && (io = gue_deliverable(in->d, in->len, e))) {
			/* GUE: a key bound to an XDP vport, UDP checksum 0 (XDP verifies none). */
			f = ctx_flags(get32(in->d, io - 4), e);
			redirect_ok = (f & STT_VPORT_XDP) && in->len <= xdp_linear &&
				      !model_rx_tos(in->d, in->len, lin, io - 18, NULL);
		}
		if (!redirect_ok)
			fail(G_XDP_REDIRECT, "XDP_REDIRECT of a packet that is not a well-formed, "
					     "linear, non-partial single-segment frame of a "
					     "context with STT_VPORT_XDP");
		else if (r.len != in->len - io || memcmp(r.out, in->d + io, r.len)) {
			fail(G_XDP_REDIRECT, "output is not the inner frame");
			if (R.mode != M_QUIET)
				hex_diff(r.out, r.len, in->d + io, in->len - io);
		}
	}
	if (r.retval == XDP_PASS) {
		check(G_XDP_PASS);
		if (r.len != in->len || memcmp(r.out, in->d, in->len)) {
			fail(G_XDP_PASS, "XDP_PASS changed the packet");
			if (R.mode != M_QUIET)
				hex_diff(r.out, r.len, in->d, in->len);
		}
	}
	check_gue_delivered(P_XDP, in, lin, e, r.retval);

	/* The model: one outcome per input, and exactly its counters. */
	rx_classify(in->d, in->len, lin, e, &m);
	count_class(0, &m, r.retval == XDP_REDIRECT);
	switch (m.cls) {
	case RX_NOT_STT:
		exp[STT_C_PASS] = 1;
		want = XDP_PASS;
		break;
	case RX_DROP:
		exp[STT_C_DROP_BASE + m.reason] = 1;
		want = XDP_DROP;
		break;
	case RX_SEGMENT:
		exp[STT_C_RX_SEGMENTS] = 1; /* GRO and TC take it from here */
		want = XDP_PASS;
		break;
	default: {
		int f = ctx_flags(m.context, e);

		exp[STT_C_RX_SEGMENTS] = 1;
		int tos = f < 0 ? 0 : model_rx_tos(in->d, in->len, lin, m.stt, NULL);

		if (f < 0) {
			/* Counted as a segment first, then dropped: two counters, one input. */
			exp[DROP(UNKNOWN_CTX)] = 1;
			want = XDP_DROP;
		} else if (tos == 1) {
			exp[DROP(ECN_CE_NOT_ECT)] = 1;
			want = XDP_DROP;
		} else if (tos == 2) {
			want = XDP_PASS; /* TC rewrites the inner TOS */
		} else if (!(f & STT_VPORT_XDP) || lin != in->len ||
			   (!m.gue && (m.stt_flags & STT_F_CSUM_PARTIAL)) ||
			   (!m.gue && (in->d[m.stt + 6] & 0x10)) || (m.gue && m.gue_csum)) {
			/* TC decapsulates (and restores a VLAN tag when V=1; judges a GUE
			 * datagram's UDP checksum). */
			want = XDP_PASS;
		} else {
			exp[STT_C_RX_FRAMES] = 1;
			exp[STT_C_RX_XDP_FRAMES] = 1;
			exp[STT_C_RX_GUE_FRAMES] = m.gue;
			exp[STT_C_RX_FRAMES6] = m.v6;
			exp[STT_C_RX_BYTES] = m.frame_len - 18;
			want = XDP_REDIRECT;
		}
	}
	}
	check(G_XDP_MODEL);
	if (r.retval != (__u32)want)
		fail(G_XDP_MODEL, "verdict %s, expected %s (%s%s%s)", xdp_verdict_name(r.retval),
		     xdp_verdict_name(want), rx_class_names[m.cls], m.cls == RX_DROP ? ": " : "",
		     m.cls == RX_DROP ? counter_name(STT_C_DROP_BASE + m.reason) : "");
	check_deltas(G_XDP_MODEL, &r, exp);
}

/*
 * stt_rx_icmp6: the counter an ICMPv6 packet too big quoting an STT segment from local6
 * moves (pmtu_learned or pmtu_ignored; -1: none), the remote whose path MTU it names (0:
 * an address with no index) and the MTU it says.
 */
static int model_icmp6(const uint8_t *p, size_t len, const struct env *e, uint32_t *remote,
		       uint32_t *mtu)
{
	*remote = 0;
	if (len < 54 || get16(p, 12) != 0x86dd || p[20] != 58 || !e->local6)
		return -1;
	if (len < 62 || p[54] != 2 || p[55] != 0 || len < 102 || p[62 + 6] != 6 ||
	    memcmp(p + 62 + 8, addr6[A6_LOCAL], 16) || len < 106 || get16(p, 104) != STT_PORT)
		return -1;
	*mtu = get32(p, 58);
	*remote = model_remote6(p + 62 + 24);
	if (*mtu < STT_PMTU6_MIN || *mtu >= e->mtu || !*remote)
		return STT_C_PMTU_IGNORED;
	return STT_C_PMTU_LEARNED;
}

static void exec_tc_rx(const struct pkt *in, const struct env *e)
{
	static struct run r;
	struct rx_model m;
	__u64 exp[STT_NR_COUNTERS] = {};
	uint32_t ptb_remote = 0, ptb_mtu_got = 0;
	int want, ptb = -1;

	if (!apply_env(e)) {
		fail(G_SETUP, "map update failed: %s", strerror(errno));
		return;
	}
	sample.n = 0;
	perf_buffer__consume(pb);
	sample.n = 0;
	run_prog(fd_tc_rx, in, true, 0, &r);
	count_verdict(P_TC_RX, &r);
	perf_buffer__consume(pb);
	if (!check_errno(&r, in, true))
		return;

	check(G_TC_VERDICT);
	if (r.retval != TC_PASS && r.retval != TC_ACT_SHOT && r.retval != TC_ACT_REDIRECT)
		fail(G_TC_VERDICT, "verdict %s", tc_verdict_name(r.retval));

	check(G_TC_OK);
	if (r.retval == TC_PASS) {
		if (tcp_to_stt_port(in->d, in->len))
			fail(G_TC_OK, "TC_ACT_UNSPEC for TCP to port %d: STT reached the host stack",
			     STT_PORT);
		if (udp_to_gue_port(in->d, in->len, e))
			fail(G_TC_OK, "TC_ACT_UNSPEC for UDP to port %d with GUE on: GUE reached "
				      "the host stack", GUE_PORT);
		if (r.len != in->len || memcmp(r.out, in->d, in->len)) {
			fail(G_TC_OK, "TC_ACT_UNSPEC changed the packet");
			if (R.mode != M_QUIET)
				hex_diff(r.out, r.len, in->d, in->len);
		}
	}
	if (r.retval == TC_ACT_REDIRECT) {
		check(G_TC_REDIRECT);
		static struct pkt tos_out;
		size_t so = wellformed_frame(in->d, in->len, e), io = so + 18;
		const uint8_t *want_d = in->d + io;

		bool known = so && ctx_flags(get64(in->d, so + 8), e) >= 0;

		if (!so && (io = gue_deliverable(in->d, in->len, e))) {
			/* GUE: a bound key; a nonzero UDP checksum nobody verified is dropped. */
			so = io - 18;
			want_d = in->d + io;
			known = true;
		}
		/* Inner frames of 34 bytes or more get ECN/DSCP applied (stt_tc_rx). */
		if (so && in->len >= io + 34 &&
		    model_rx_tos(in->d, in->len, in->len, so, &tos_out) == 2)
			want_d = tos_out.d;
		if (!known)
			fail(G_TC_REDIRECT, "TC_ACT_REDIRECT of a packet that is not a well-formed "
					    "single-segment frame of a known context");
		else if (r.len != in->len - io || memcmp(r.out, want_d, r.len)) {
			fail(G_TC_REDIRECT, "output is not the inner frame (ECN/DSCP applied)");
			if (R.mode != M_QUIET)
				hex_diff(r.out, r.len, want_d, in->len - io);
		}
	}
	check_gue_delivered(P_TC_RX, in, in->len, e, r.retval);

	rx_classify(in->d, in->len, in->len, e, &m);
	count_class(1, &m, r.retval == TC_ACT_REDIRECT);
	/* No XDP flag in stt_cfg: TC counts pass and rx_segments itself (gso_segs 0: one). */
	if (e->cfg_xdp)
		;
	else if (m.cls == RX_NOT_STT)
		exp[STT_C_PASS] = 1;
	else
		exp[STT_C_RX_SEGMENTS] = 1;
	if (RECORDING && e->cfg_xdp) {
		tc_flag_runs++;
		tc_flag_ok += r.retval == TC_PASS;
	}
	switch (m.cls) {
	case RX_NOT_STT:
		want = TC_ACT_UNSPEC;
		/* An ICMPv6 packet too big about one of our segments: a path MTU, or not. */
		ptb = model_icmp6(in->d, in->len, e, &ptb_remote, &ptb_mtu_got);
		if (ptb >= 0)
			exp[ptb] = 1;
		break;
	case RX_DROP:
		exp[STT_C_DROP_BASE + m.reason] = 1;
		want = TC_ACT_SHOT;
		break;
	case RX_SEGMENT:
		if (e->sttd)
			exp[STT_C_RX_TO_STTD] = 1;
		else
			exp[DROP(MULTI_SEG)] = 1;
		want = TC_ACT_SHOT;
		break;
	default:
		if (m.gue && m.gue_csum) {
			exp[DROP(GUE_UDP_CSUM)] = 1; /* test_run's skb: nobody verified it */
			want = TC_ACT_SHOT;
		} else if (ctx_flags(m.context, e) < 0) {
			exp[DROP(UNKNOWN_CTX)] = 1;
			want = TC_ACT_SHOT;
		} else if (m.frame_len - 18 >= 34 &&
			   model_rx_tos(in->d, in->len, in->len, m.stt, NULL) == 1) {
			exp[DROP(ECN_CE_NOT_ECT)] = 1;
			want = TC_ACT_SHOT;
		} else {
			exp[STT_C_RX_FRAMES] = 1;
			exp[STT_C_RX_FRAMES6] = m.v6;
			exp[STT_C_RX_GUE_FRAMES] = m.gue;
			exp[STT_C_RX_BYTES] = m.frame_len - 18;
			want = TC_ACT_REDIRECT;
		}
	}
	check(G_TC_MODEL);
	if (r.retval != (__u32)want)
		fail(G_TC_MODEL, "verdict %s, expected %s (%s%s%s)", tc_verdict_name(r.retval),
		     tc_verdict_name(want), rx_class_names[m.cls], m.cls == RX_DROP ? ": " : "",
		     m.cls == RX_DROP ? counter_name(STT_C_DROP_BASE + m.reason) : "");
	check_deltas(G_TC_MODEL, &r, exp);
	/* The path MTU it set, if any; then forgotten, so that transmit keeps the underlay's. */
	if (ptb >= 0 && ptb_remote) {
		struct stt_pmtu_val pv;
		bool have = !bpf_map_lookup_elem(fd_pmtu, &ptb_remote, &pv);

		if (RECORDING)
			ptb_runs[ptb == STT_C_PMTU_LEARNED]++;
		if (ptb == STT_C_PMTU_LEARNED && (!have || pv.mtu != ptb_mtu_got))
			fail(G_TC_MODEL, "packet too big (MTU %u): stt_pmtu %s %u", ptb_mtu_got,
			     have ? "holds" : "has no entry, expected", have ? pv.mtu : ptb_mtu_got);
		if (ptb == STT_C_PMTU_IGNORED && have)
			fail(G_TC_MODEL, "packet too big (MTU %u, ignored): stt_pmtu holds %u",
			     ptb_mtu_got, pv.mtu);
		bpf_map_delete_elem(fd_pmtu, &ptb_remote);
	}

	/* What sttd gets: struct stt_piece, then the packet as it was. */
	check(G_TC_STTD);
	if (sample.lost)
		fail(G_TC_STTD, "%llu perf samples lost", (unsigned long long)sample.lost);
	sample.lost = 0;
	if (r.delta[STT_C_RX_TO_STTD] != (__u64)sample.n)
		fail(G_TC_STTD, "%d perf samples, rx_to_sttd moved by %llu", sample.n,
		     (unsigned long long)r.delta[STT_C_RX_TO_STTD]);
	else if (sample.n == 1) {
		struct stt_piece pc;
		const uint8_t *p = in->d;

		if (sample.size < sizeof(pc) + in->len) {
			fail(G_TC_STTD, "sample of %zu bytes for a %zu-byte packet", sample.size,
			     in->len);
		} else {
			/* Over IPv6: the sender's remote (0: none), no daddr, STT_PIECE_V6. */
			size_t tcp = m.stt - 20;
			uint32_t daddr = 0;

			if (!m.v6)
				memcpy(&daddr, p + 30, 4);
			memcpy(&pc, sample.data, sizeof(pc));
			if (pc.saddr != m.saddr || pc.daddr != daddr || pc.sport != get16(p, tcp) ||
			    pc.flags != (m.v6 ? STT_PIECE_V6 : 0) ||
			    pc.frame_id != get32(p, tcp + 8) || pc.frame_len != m.frame_len ||
			    pc.seg_off != m.seg_off || pc.payload_off != m.stt ||
			    pc.payload_len != m.payload_len || pc.pkt_len != in->len ||
			    pc.ifindex != LO_IFINDEX || pc.tos != m.tos)
				fail(G_TC_STTD,
				     "piece header: saddr 0x%08x daddr 0x%08x sport %u flags %u "
				     "frame_id 0x%x frame_len %u seg_off %u payload_off %u "
				     "payload_len %u pkt_len %u ifindex %u tos %u; expected saddr "
				     "0x%08x daddr 0x%08x sport %u flags %u frame_id 0x%x frame_len %u "
				     "seg_off %u payload_off %zu payload_len %u pkt_len %zu tos %u",
				     ntohl(pc.saddr), ntohl(pc.daddr), pc.sport, pc.flags, pc.frame_id,
				     pc.frame_len, pc.seg_off, pc.payload_off, pc.payload_len,
				     pc.pkt_len, pc.ifindex, pc.tos, ntohl(m.saddr), ntohl(daddr),
				     get16(p, tcp), m.v6 ? STT_PIECE_V6 : 0, get32(p, tcp + 8),
				     m.frame_len, m.seg_off, m.stt, m.payload_len, in->len, m.tos);
			if (memcmp(sample.data + sizeof(pc), p, in->len))
				fail(G_TC_STTD, "sample bytes differ from the packet");
		}
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Transmit: reference model and checks                                                        */

struct tx_model {
	int verdict;
	bool encap; /* an outer header was written: the output carries one */
	bool cut;
	bool shortcut; /* outer checksum by local checksum offload: inner headers only */
	bool v6;       /* the inner packet is IPv6 (ihl 40, IPv6 pseudo header) */
	bool partial;
	bool outer6;   /* the outer header is IPv6: the remote is an IPv6 one */
	bool id_taken; /* a frame ID was drawn (the outer headers were begun) */
	bool hdr;      /* the outer headers of some copy were written into the output */
	uint8_t flags, l4_off;
	size_t ihl, tot;
	uint8_t proto;
	uint32_t daddr; /* remote of the copy whose headers the output carries (IPv6: index form) */
};

/* An IPv6 remote (index form, include/stt_maps.h), as stt_remote_is6() says. */
static bool is_remote6(uint32_t r)
{
	return r && !((const uint8_t *)&r)[0];
}

/* The address stt_remotes6 holds for an IPv6 remote, NULL for none (all zero). */
static const uint8_t *model_addr6(uint32_t r)
{
	for (int a = 0; a < A6_MAX; a++)
		if (addr6_idx[a] && r6(addr6_idx[a]) == r)
			return addr6[a];
	return NULL;
}

/* The FDB entry of (CTX, a unicast MAC): its remote, 0 for none. */
static uint32_t model_fdb(const uint8_t *mac)
{
	if (mac[0] & 1)
		return 0;
	if (!memcmp(mac, vm_b, 6))
		return remote4;
	if (!memcmp(mac, vm_c6, 6))
		return r6(1);
	if (!memcmp(mac, vm_d6, 6))
		return r6(IDX6_NOADDR);
	if (!memcmp(mac, vm_g6, 6))
		return r6(addr6_idx[A6_GROUP]);
	return 0;
}

/* murmur3's mixing (bpf/lib/hash.h), on words loaded as the datapath loads them. */
static uint32_t h_mix(uint32_t h, uint32_t v)
{
	v *= 0xcc9e2d51;
	v = (v << 15) | (v >> 17);
	v *= 0x1b873593;
	h ^= v;
	h = (h << 13) | (h >> 19);
	return h * 5 + 0xe6546b64;
}

static uint32_t h_word(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/*
 * The inner flow hash of stt_tx_inner (addresses, protocol and ports of IPv4 or IPv6
 * without extension headers, else the MAC addresses): the outer source port takes its low
 * 14 bits, the IPv6 flow label its low 20 (RFC 6438).
 */
static uint32_t model_tx_hash(const uint8_t *p, size_t len)
{
	uint16_t et = get16(p, 12);
	uint32_t h = 0x5354;

	if (et == 0x0800 && len >= 34 && (p[14] >> 4) == 4) {
		size_t ihl = (p[14] & 15) * 4;
		uint8_t proto = p[23];

		h = h_mix(h, h_word(p + 26));
		h = h_mix(h, h_word(p + 30));
		h = h_mix(h, proto);
		if (ihl >= 20 && !(get16(p, 20) & 0x3fff) && (proto == 6 || proto == 17) &&
		    14 + ihl + 4 <= len)
			h = h_mix(h, h_word(p + 14 + ihl));
	} else if (et == 0x86dd) {
		if (len >= 54) {
			for (int k = 0; k < 4; k++) {
				h = h_mix(h, h_word(p + 22 + 4 * k));
				h = h_mix(h, h_word(p + 38 + 4 * k));
			}
			h = h_mix(h, p[20]);
			if ((p[20] == 6 || p[20] == 17) && len >= 58)
				h = h_mix(h, h_word(p + 54));
		}
	} else {
		h = h_mix(h, h_word(p));
		h = h_mix(h, h_word(p + 4));
		h = h_mix(h, h_word(p + 8));
	}
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

static void tx_classify(const uint8_t *p, size_t len, const struct env *e, struct tx_model *x,
			__u64 *exp)
{
	struct stt_flood_val fl = {};
	uint32_t uc;
	bool is_ip, leaves;
	uint16_t ethertype = get16(p, 12);
	unsigned int n;

	memset(x, 0, sizeof(*x));
	x->verdict = TC_ACT_SHOT;
	if (40 + len + 18 > 0xffff) {
		exp[DROP(TX_TOO_BIG)] = 1;
		return;
	}
	/* Inner headers: STT flags and whether the L4 checksum lets the sum skip the payload. */
	if (ethertype == 0x0800 && len >= 34 && (p[14] >> 4) == 4) {
		x->ihl = (p[14] & 15) * 4;
		x->tot = get16(p, 16);
		x->proto = p[23];
		x->flags = STT_F_IPV4 | (x->proto == 6 ? STT_F_TCP : 0);
		if (x->ihl >= 20 && !(get16(p, 20) & 0x3fff) && (x->proto == 6 || x->proto == 17) &&
		    14 + x->ihl + 4 <= len && 14 + x->tot == len && x->tot >= x->ihl + 8 &&
		    (x->proto == 6 || get16(p, 14 + x->ihl + 6) != 0))
			x->shortcut = true;
	}
	/* IPv6 inside: the same, with the 40-byte header and its pseudo header. */
	if (ethertype == 0x86dd && len >= 54) {
		x->v6 = true;
		x->ihl = 40;
		x->proto = p[20];
		x->tot = 40 + get16(p, 18);
		x->flags = x->proto == 6 ? STT_F_TCP : 0;
		if ((x->proto == 6 || x->proto == 17) && 14 + 40 + 4 <= len && 14 + x->tot == len &&
		    x->tot >= 48 && (x->proto == 6 || get16(p, 14 + 40 + 6) != 0))
			x->shortcut = true;
	}
	if (x->shortcut) {
		size_t coff = 14 + x->ihl + (x->proto == 6 ? 16 : 6);
		uint64_t ps = x->v6 ? pseudo6(p + 14, x->proto, x->tot - x->ihl)
				    : pseudo4(p + 26, p + 30, x->proto, x->tot - x->ihl);

		if (coff + 2 <= len && get16(p, coff) == fold16(ps)) {
			x->partial = true;
			x->flags |= STT_F_CSUM_PARTIAL;
			x->l4_off = 14 + x->ihl;
		}
	}
	/* The remote: the FDB's for a known unicast MAC, else the flood list. */
	uc = model_fdb(p);
	if (!uc) {
		flood_list(e->flood, &fl);
		if (e->flood == FL_NONE || !fl.count) {
			exp[DROP(TX_NO_REMOTE)] = 1;
			return;
		}
	}
	/* The outer family is the remote's, or the first flood target's. */
	x->outer6 = is_remote6(uc ? uc : fl.remote4[0]);
	x->cut = len + (x->outer6 ? OVERHEAD6 : OVERHEAD) > e->mtu;
	if (x->cut && len > SUM_MAX) {
		exp[DROP(TX_TOO_BIG)] = 1;
		return;
	}
	x->id_taken = true;
	if (x->outer6 && !e->local6) {
		exp[DROP(TX_NO_REMOTE6)] = 1; /* no IPv6 address to send from */
		return;
	}
	x->encap = true;
	exp[STT_C_TX_FRAMES] = 1;
	exp[STT_C_TX_BYTES] = len;
	exp[STT_C_TX_FRAMES6] = x->outer6;
	if (x->cut) {
		/* Pass 1: encapsulated whole, inner checksum completed (and so flagged
		 * verified), back to the vport. */
		if (x->flags & STT_F_CSUM_PARTIAL)
			x->flags = (x->flags & ~STT_F_CSUM_PARTIAL) | STT_F_CSUM_VERIFIED;
		x->l4_off = 0;
		exp[STT_C_TX_CUT_FRAMES] = 1;
	}
	/*
	 * Each copy: one of the other family is tx_family, an IPv6 index with no address
	 * tx_no_remote6. Cut frames: every other copy goes back to the vport. Otherwise the FIB
	 * lookup fails in our namespace: a copy to an IPv6 group needs none (group MAC, the
	 * underlay), every other copy but the last is dropped as tx_no_neigh
	 * (bpf_redirect_neigh cannot clone), the last leaves through bpf_redirect_neigh if the
	 * skb's protocol lets it reach the outer header: IP for an IPv4 outer header, only IPv6
	 * for an IPv6 one (it picks its path by the inner frame's protocol).
	 */
	is_ip = ethertype == 0x0800 || ethertype == 0x86dd;
	leaves = x->outer6 ? ethertype == 0x86dd : is_ip;
	n = uc ? 1 : fl.count < STT_MAX_FLOOD ? fl.count : STT_MAX_FLOOD;
	for (unsigned int i = 0; i < n; i++) {
		uint32_t r = uc ? uc : fl.remote4[i];
		const uint8_t *a = is_remote6(r) ? model_addr6(r) : NULL;
		bool last = i + 1 == n;

		if (is_remote6(r) != x->outer6) {
			exp[DROP(TX_FAMILY)]++;
			continue;
		}
		if (x->outer6 && !a) {
			exp[DROP(TX_NO_REMOTE6)]++;
			continue;
		}
		x->hdr = true;
		if (!x->cut && !(a && a[0] == 0xff) && !(last && leaves)) {
			exp[DROP(TX_NO_NEIGH)]++;
			continue;
		}
		if (!uc)
			exp[STT_C_TX_FLOOD_COPIES]++;
		if (!x->cut)
			exp[STT_C_TX_SEGMENTS]++;
		x->daddr = r;
		if (last)
			x->verdict = TC_ACT_REDIRECT;
	}
}

/* The inner TOS stt_tc_tx reads: IPv4 TOS, IPv6 traffic class, else 0. */
static uint8_t model_tx_tos(const uint8_t *d, size_t len)
{
	if (len >= 14 + 20 && get16(d, 12) == 0x0800 && (d[14] >> 4) == 4)
		return d[15];
	if (len >= 14 + 40 && get16(d, 12) == 0x86dd)
		return (uint8_t)(d[14] << 4) | (d[15] >> 4);
	return 0;
}

static bool have_prev_ack;
static uint32_t prev_ack;

/*
 * The passes of a frame that stt_tc_tx cut (f: pass 1's output, marked FRESH): FRESH on f,
 * then ADVANCE on each clone the previous pass injected into lo, until the last segment.
 * Each pass must send the segment at its offset: the outer headers of f with IP total
 * length, SEQ offset and PSH for this segment, both checksums over it, the frame's bytes
 * from that offset (f's STT header + inner frame, whose checksum pass 1 completed).
 */
static void check_cut_chain(const uint8_t *f, size_t flen, const struct env *e)
{
	static struct run r;
	static struct pkt frame, stale;
	/* Over IPv6: 20 more bytes of header in each segment, each sent to the group's MAC. */
	bool v6 = get16(f, 12) == 0x86dd, group = v6 && f[38] == 0xff;
	size_t T = v6 ? TCP_OFF6 : TCP_OFF, S = T + 20;
	size_t L = flen - S, seg_max = (e->mtu - (S - 14)) & ~7u, off = 0;
	__u64 exp[STT_NR_COUNTERS] = {};
	__u32 mark = T_MARK_FRESH;
	int stale_n = 0;

	check(G_TX_CUT);
	while (capture_next(cap_adv, &stale, 0))
		stale_n++;
	if (stale_n)
		fail(G_TX_CUT, "%d clone(s) marked ADVANCE entered lo after a last segment", stale_n);
	frame.len = flen;
	memcpy(frame.d, f, flen);
	exp[STT_C_TX_SEGMENTS] = 1;
	for (int pass = 1;; pass++) {
		size_t n = L - off < seg_max ? L - off : seg_max;
		bool last = off + n == L;
		const uint8_t *o = r.out;
		char what[64];

		snprintf(what, sizeof(what), "pass %d (%s, offset %zu)", pass,
			 mark == T_MARK_FRESH ? "FRESH" : "ADVANCE", off);
		run_prog(fd_tx, &frame, true, mark, &r);
		count_verdict(P_CUT, &r);
		if (r.err) {
			fail(G_TX_CUT, "%s: test run failed: %s", what, strerror(-r.err));
			return;
		}
		if (r.retval != TC_ACT_REDIRECT) {
			fail(G_TX_CUT, "%s: verdict %s", what, tc_verdict_name(r.retval));
			check_deltas(G_TX_CUT, &r, exp);
			return;
		}
		check_deltas(G_TX_CUT, &r, exp);
		if (r.ctx_out.mark)
			fail(G_TX_CUT, "%s: skb mark 0x%x left", what, r.ctx_out.mark);
		if (r.len != S + n) {
			fail(G_TX_CUT, "%s: segment of %zu bytes, expected %zu", what, r.len, S + n);
			return;
		}
		if (v6) {
			uint8_t macs[14];
			struct {
				const char *what;
				uint64_t got, want;
			} c[] = {
			    {"MACs (zero, or the group's) and EtherType", 0, 0},
			    {"IPv6 version, traffic class, flow label", get32(o, 14), get32(f, 14)},
			    {"IPv6 payload length", get16(o, 18), 20 + n},
			    {"IPv6 next header, hop limit", get16(o, 20), get16(f, 20)},
			    {"IPv6 addresses", memcmp(o + 22, f + 22, 32), 0},
			    {"TCP ports and ACK (frame ID)", memcmp(o + T, f + T, 4) ||
				 memcmp(o + T + 8, f + T + 8, 4), 0},
			    {"SEQ", get32(o, T + 4), STT_SEQ(L, off)},
			    {"TCP data offset", o[T + 12], 5 << 4},
			    {"TCP flags", o[T + 13], T_TCP_ACK | (last ? T_TCP_PSH : 0)},
			    {"TCP checksum ok over this segment (IPv6 pseudo header)",
			     fold16(sum16(o + T, 20 + n, pseudo6(o + IP_OFF, 6, 20 + n))) == 0xffff, 1},
			    {"segment bytes = the frame's at this offset",
			     memcmp(o + S, f + S + off, n), 0},
			};

			memcpy(macs, f, 14);
			if (group) {
				macs[0] = 0x33, macs[1] = 0x33;
				memcpy(macs + 2, f + 38 + 12, 4);
				memcpy(macs + 6, ul_local, 6);
			}
			c[0].got = memcmp(o, macs, 14);
			for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
				if (c[i].got != c[i].want)
					fail(G_TX_CUT, "%s: %s: 0x%llx, expected 0x%llx", what, c[i].what,
					     (unsigned long long)c[i].got,
					     (unsigned long long)c[i].want);
		} else {
			struct {
				const char *what;
				uint64_t got, want;
			} c[] = {
			    {"MACs and EtherType", memcmp(o, f, 14), 0},
			    {"IP version/ihl", o[14], 0x45},
			    {"IP tos, ID, flags/fragment, TTL, protocol", memcmp(o + 15, f + 15, 1) ||
				 memcmp(o + 18, f + 18, 6), 0},
			    {"IP total length", get16(o, 16), 40 + n},
			    {"IP addresses", memcmp(o + 26, f + 26, 8), 0},
			    {"TCP ports and ACK (frame ID)", memcmp(o + 34, f + 34, 4) ||
				 memcmp(o + 42, f + 42, 4), 0},
			    {"SEQ", get32(o, 38), STT_SEQ(L, off)},
			    {"TCP data offset", o[46], 5 << 4},
			    {"TCP flags", o[47], T_TCP_ACK | (last ? T_TCP_PSH : 0)},
			    {"IP header checksum ok", fold16(sum16(o + IP_OFF, 20, 0)) == 0xffff, 1},
			    {"TCP checksum ok over this segment",
			     fold16(sum16(o + TCP_OFF, 20 + n, pseudo4(o + 26, o + 30, 6, 20 + n))) ==
				 0xffff,
			     1},
			    {"segment bytes = the frame's at this offset",
			     memcmp(o + STT_OFF, f + STT_OFF + off, n), 0},
			};

			for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
				if (c[i].got != c[i].want)
					fail(G_TX_CUT, "%s: %s: 0x%llx, expected 0x%llx", what, c[i].what,
					     (unsigned long long)c[i].got,
					     (unsigned long long)c[i].want);
		}
		if (last)
			break;
		if (!capture_next(cap_adv, &frame, 1000)) {
			fail(G_TX_CUT, "%s: no clone marked ADVANCE entered lo", what);
			return;
		}
		mark = T_MARK_ADVANCE;
		off += seg_max;
	}
	if (capture_next(cap_adv, &stale, 0))
		fail(G_TX_CUT, "a clone marked ADVANCE after the last segment");
}

static void exec_tx(const struct pkt *in, const struct env *e)
{
	static struct run r;
	static struct pkt exp_inner;
	struct tx_model x;
	static struct pkt untagged;
	const struct pkt *cmp = in;
	uint16_t exp_vlan = 0;
	__u64 exp[STT_NR_COUNTERS] = {};
	const uint8_t *o;
	size_t ol, T, S, I;

	if (!apply_env(e)) {
		fail(G_SETUP, "map update failed: %s", strerror(errno));
		return;
	}
	run_prog(fd_tx, in, true, 0, &r);
	count_verdict(P_TX, &r);
	if (!RECORDING)
		have_prev_ack = false;
	if (!check_errno(&r, in, true))
		return;
	o = r.out;
	ol = r.len;
	/*
	 * For the sums, from the counters alone: a frame not encapsulated is dropped with one
	 * drop counter; drops of a frame that was (tx_frames) are drops of its copies; a
	 * REDIRECT sent a copy or a frame to cut.
	 */
	if (RECORDING) {
		__u64 d = 0;

		for (int i = STT_C_DROP_BASE; i < STT_NR_COUNTERS; i++)
			d += r.delta[i];
		if (r.delta[STT_C_TX_FRAMES])
			tx_copy_drops += d;
		else if (d != 1 || r.retval != TC_ACT_SHOT)
			tx_sum_bad++;
		if (r.retval == TC_ACT_REDIRECT &&
		    !r.delta[STT_C_TX_SEGMENTS] && !r.delta[STT_C_TX_CUT_FRAMES])
			tx_sum_bad++;
	}

	/*
	 * An 802.1Q-tagged tenant frame leaves untagged, its tag in the STT header
	 * (PCP | V | VID): the model works on the frame without its tag.
	 */
	if (in->len >= 12 + 2 && get16(in->d, 12) == 0x8100) {
		bool qinq = in->len >= 18 && (get16(in->d, 16) == 0x8100 ||
					      get16(in->d, 16) == 0x88a8);

		if (in->len < 18 || qinq) {
			__u64 err[STT_NR_COUNTERS] = {};

			/* Two tags (QinQ): refused; one tag cut short: the pop fails. */
			err[qinq ? DROP(TX_QINQ) : DROP(TX_ERROR)] = 1;
			check(G_TX_MODEL);
			if (r.retval != TC_ACT_SHOT)
				fail(G_TX_MODEL, "tagged frame of %zu bytes: verdict %s, expected "
						 "TC_ACT_SHOT", (size_t)in->len,
				     tc_verdict_name(r.retval));
			check_deltas(G_TX_MODEL, &r, err);
			return;
		}
		{
			uint16_t tci = get16(in->d, 14);

			exp_vlan = (tci & 0xe000) | STT_VLAN_V | (tci & STT_VLAN_VID_MASK);
		}
		memcpy(untagged.d, in->d, 12);
		memcpy(untagged.d + 12, in->d + 16, in->len - 16);
		untagged.len = in->len - 4;
		cmp = &untagged;
	}

	check(G_TX_VERDICT);
	if (r.retval != TC_ACT_SHOT && r.retval != TC_ACT_REDIRECT)
		fail(G_TX_VERDICT, "verdict %s", tc_verdict_name(r.retval));

	tx_classify(cmp->d, cmp->len, e, &x, exp);
	if (RECORDING)
		tx_cut_runs += x.cut;
	/* Outer TCP, STT header and inner frame: 20 bytes further over IPv6. */
	T = x.outer6 ? TCP_OFF6 : TCP_OFF;
	S = T + 20;
	I = S + 18;
	check(G_TX_MODEL);
	if (r.retval != (__u32)x.verdict)
		fail(G_TX_MODEL, "verdict %s, expected %s", tc_verdict_name(r.retval),
		     tc_verdict_name(x.verdict));
	check_deltas(G_TX_MODEL, &r, exp);
	if (r.ctx_out.mark != (x.cut && x.verdict == TC_ACT_REDIRECT ? T_MARK_FRESH : 0))
		fail(G_TX_MODEL, "skb mark 0x%x, expected 0x%x", r.ctx_out.mark,
		     x.cut && x.verdict == TC_ACT_REDIRECT ? T_MARK_FRESH : 0);
	if (RECORDING && x.outer6)
		tx_v6_runs[x.verdict == TC_ACT_REDIRECT]++;

	/*
	 * Frame IDs: one per frame whose outer headers were begun, consecutive on our CPU
	 * (one drawn for a frame then dropped with no header written is not seen).
	 */
	if (x.id_taken && x.hdr && ol >= I && r.retval == (__u32)x.verdict) {
		uint32_t ack = get32(o, T + 8);

		if (have_prev_ack &&
		    ack != ((prev_ack & 0xff000000) | ((prev_ack + 1) & 0x00ffffff)))
			fail(G_TX_HDR, "frame ID 0x%08x after 0x%08x", ack, prev_ack);
		prev_ack = ack;
		have_prev_ack = RECORDING;
	} else if (x.id_taken && r.retval == (__u32)x.verdict) {
		prev_ack = (prev_ack & 0xff000000) | ((prev_ack + 1) & 0x00ffffff);
	}
	if (r.retval != TC_ACT_REDIRECT)
		return;

	/* Outer headers: what any REDIRECT output must be. */
	check(G_TX_HDR);
	if (ol != cmp->len + I) {
		fail(G_TX_HDR, "output of %zu bytes for a %zu-byte frame (+%zu expected)", ol,
		     cmp->len, I);
		return;
	}
	if (x.outer6) {
		struct {
			const char *what;
			uint64_t got, want;
		} f[] = {
		    {"EtherType", get16(o, 12), 0x86dd},
		    {"IPv6 version", o[14] >> 4, 6},
		    {"IPv6 traffic class (uniform DSCP, ECN copied)", (uint8_t)(o[14] << 4 | o[15] >> 4),
		     stt_encap_tos(model_tx_tos(cmp->d, cmp->len), STT_DSCP_INHERIT)},
		    {"IPv6 payload length", get16(o, 18), ol - 54},
		    {"IPv6 next header (no extension headers)", o[20], 6},
		    {"IPv6 source = local6", memcmp(o + 22, addr6[A6_LOCAL], 16), 0},
		    {"TCP destination port", get16(o, T + 2), STT_PORT},
		    {"TCP source port >= 49152", get16(o, T) >= 49152, 1},
		    {"SEQ (frame length << 16)", get32(o, T + 4), (uint64_t)(ol - S) << 16},
		    {"frame ID CPU byte", get32(o, T + 8) >> 24, (uint64_t)cur_cpu},
		    {"TCP data offset", o[T + 12], 5 << 4},
		    {"TCP flags", o[T + 13], T_TCP_ACK | T_TCP_PSH},
		    {"TCP window", get16(o, T + 14), 0},
		    {"TCP urgent pointer", get16(o, T + 18), 0},
		    {"STT version", o[S], 0},
		    {"STT reserved", o[S + 3], 0},
		    {"STT MSS", get16(o, S + 4), 0},
		    {"STT VLAN TCI", get16(o, S + 6), exp_vlan},
		    {"STT context", get64(o, S + 8), CTX},
		    {"STT padding", get16(o, S + 16), 0},
		};

		for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
			if (f[i].got != f[i].want)
				fail(G_TX_HDR, "%s: 0x%llx, expected 0x%llx", f[i].what,
				     (unsigned long long)f[i].got, (unsigned long long)f[i].want);
	} else {
		struct {
			const char *what;
			uint64_t got, want;
		} f[] = {
		    {"EtherType", get16(o, 12), 0x0800},
		    {"IP version/ihl", o[14], 0x45},
		    {"IP tos (uniform DSCP, ECN copied)", o[15],
		     stt_encap_tos(model_tx_tos(cmp->d, cmp->len), STT_DSCP_INHERIT)},
		    {"IP total length", get16(o, 16), ol - 14},
		    {"IP flags/fragment (DF)", get16(o, 20), 0x4000},
		    {"IP protocol", o[23], 6},
		    {"IP source", get32(o, 26), ntohl(local4)},
		    {"IP ID = frame ID & 0xffff", get16(o, 18), get32(o, 42) & 0xffff},
		    {"TCP destination port", get16(o, 36), STT_PORT},
		    {"TCP source port >= 49152", get16(o, 34) >= 49152, 1},
		    {"SEQ (frame length << 16)", get32(o, 38), (uint64_t)(ol - 54) << 16},
		    {"frame ID CPU byte", get32(o, 42) >> 24, (uint64_t)cur_cpu},
		    {"TCP data offset", o[46], 5 << 4},
		    {"TCP flags", o[47], T_TCP_ACK | T_TCP_PSH},
		    {"TCP window", get16(o, 48), 0},
		    {"TCP urgent pointer", get16(o, 52), 0},
		    {"STT version", o[54], 0},
		    {"STT reserved", o[57], 0},
		    {"STT MSS", get16(o, 58), 0},
		    {"STT VLAN TCI", get16(o, 60), exp_vlan},
		    {"STT context", get64(o, 62), CTX},
		    {"STT padding", get16(o, 70), 0},
		    {"outer MACs zero (no neighbour in our netns)", !memcmp(o, zero6, 6) &&
									 !memcmp(o + 6, zero6, 6),
		     1},
		};

		for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
			if (f[i].got != f[i].want)
				fail(G_TX_HDR, "%s: 0x%llx, expected 0x%llx", f[i].what,
				     (unsigned long long)f[i].got, (unsigned long long)f[i].want);
	}
	/* What depends on the frame and the maps. */
	{
		uint8_t ttl = e->ttl ? e->ttl : 64;
		uint32_t hash = model_tx_hash(cmp->d, cmp->len);

		if (get16(o, T) != (STT_SPORT_BASE | (hash & STT_SPORT_MASK)))
			fail(G_TX_MODEL, "TCP source port %u, expected %u (inner flow hash 0x%08x)",
			     get16(o, T), STT_SPORT_BASE | (hash & STT_SPORT_MASK), hash);
		if (o[S + 1] != x.flags || o[S + 2] != x.l4_off)
			fail(G_TX_MODEL, "STT flags 0x%02x l4 offset %u, expected 0x%02x and %u",
			     o[S + 1], o[S + 2], x.flags, x.l4_off);
		if (!x.outer6) {
			if (o[22] != ttl)
				fail(G_TX_MODEL, "IP TTL %u, expected %u", o[22], ttl);
			if (memcmp(o + 30, &x.daddr, 4))
				fail(G_TX_MODEL, "IP destination %u.%u.%u.%u, expected the remote %s",
				     o[30], o[31], o[32], o[33], x.daddr == remote4 ? ".2" : ".3");
		} else {
			const uint8_t *a = model_addr6(x.daddr);
			/* A copy to a group: its MAC (RFC 2464) from the underlay's; else no
			 * neighbour, zero MACs. Cut frames come back with zero MACs. */
			uint8_t mac[12] = {};

			if (a && a[0] == 0xff && !x.cut) {
				mac[0] = 0x33, mac[1] = 0x33;
				memcpy(mac + 2, a + 12, 4);
				memcpy(mac + 6, ul_local, 6);
			}
			if (o[21] != ttl)
				fail(G_TX_MODEL, "IPv6 hop limit %u, expected %u", o[21], ttl);
			if (!a || memcmp(o + 38, a, 16))
				fail(G_TX_MODEL, "IPv6 destination %02x%02x..%02x%02x, expected "
						 "the address of remote index %u",
				     o[38], o[39], o[52], o[53], ntohl(x.daddr));
			if ((get32(o, 14) & 0xfffff) != (hash & 0xfffff))
				fail(G_TX_MODEL, "IPv6 flow label 0x%05x, expected 0x%05x (inner "
						 "flow hash)", get32(o, 14) & 0xfffff, hash & 0xfffff);
			if (memcmp(o, mac, 12))
				fail(G_TX_MODEL, "outer MACs %02x:%02x:%02x:%02x:%02x:%02x > "
						 "%02x:%02x:%02x:%02x:%02x:%02x, expected %s",
				     o[6], o[7], o[8], o[9], o[10], o[11], o[0], o[1], o[2], o[3],
				     o[4], o[5], mac[0] ? "the group's from the underlay's" : "zero");
		}
	}

	/* The tenant frame, untouched but for a partial checksum completed before cutting. */
	check(G_TX_PAYLOAD);
	exp_inner.len = cmp->len;
	memcpy(exp_inner.d, cmp->d, cmp->len);
	if (x.cut && x.partial) {
		size_t l4 = 14 + x.ihl;
		uint16_t c = ~fold16(sum16(cmp->d + l4, cmp->len - l4, 0)) & 0xffff;

		if (x.proto == 17 && !c)
			c = 0xffff;
		set16(&exp_inner, l4 + (x.proto == 6 ? 16 : 6), c);
	}
	if (memcmp(o + I, exp_inner.d, cmp->len)) {
		fail(G_TX_PAYLOAD, "inner frame differs from the tenant's%s",
		     x.cut && x.partial ? " (with its partial checksum completed)" : "");
		if (R.mode != M_QUIET)
			hex_diff(o + I, cmp->len, exp_inner.d, cmp->len);
	}

	/* Checksums of a segment that leaves as it is (cut frames: each pass computes its own). */
	if (x.cut) {
		/* Pass 1's output is 72 bytes longer: the passes only run if test_run takes it. */
		if (r.ctx_out.mark == T_MARK_FRESH && ol <= tc_limit)
			check_cut_chain(o, ol, e);
		else if (RECORDING)
			cut_chains_skipped++;
		return;
	}
	check(G_TX_CSUM);
	if (!x.outer6 && fold16(sum16(o + IP_OFF, 20, 0)) != 0xffff)
		fail(G_TX_CSUM, "outer IPv4 header checksum 0x%04x is wrong", get16(o, 24));
	{
		/*
		 * Local checksum offload: the outer checksum counts an inner TCP/UDP span as
		 * the complement of its pseudo header (what it sums to once its checksum is
		 * complete), anything else byte by byte. That is exact for every frame. The
		 * outer pseudo header is IPv4's or IPv6's (RFC 8200 8.1).
		 */
		size_t end = x.shortcut ? I + 14 + x.ihl : ol;
		uint64_t s = (x.outer6 ? pseudo6(o + IP_OFF, 6, ol - T)
				       : pseudo4(o + 26, o + 30, 6, ol - T)) +
			     sum16(o + T, end - T, 0);
		const uint8_t *ip = cmp->d + 14;

		uint64_t ps = x.v6 ? pseudo6(ip, x.proto, x.tot - x.ihl)
				   : pseudo4(ip + 12, ip + 16, x.proto, x.tot - x.ihl);

		if (x.shortcut)
			s += ~fold16(ps) & 0xffff;
		if (fold16(s) != 0xffff)
			fail(G_TX_CSUM, "outer TCP checksum 0x%04x is wrong%s", get16(o, T + 16),
			     x.shortcut ? " (inner L4 span counted as complete)" : "");
		/* Informational: frames whose inner checksum is neither complete nor the seed. */
		if (x.shortcut && !x.partial && RECORDING &&
		    fold16(sum16(cmp->d + 14 + x.ihl, x.tot - x.ihl, ps)) != 0xffff)
			lco_premise_broken++;
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Mutations                                                                                  */

static void note(char *desc, size_t n, const char *fmt, ...)
{
	size_t l = strlen(desc);
	va_list ap;

	if (l + 4 >= n)
		return;
	va_start(ap, fmt);
	vsnprintf(desc + l, n - l, fmt, ap);
	va_end(ap);
}

static const uint8_t interesting8[] = {0x00, 0x01, 0x02, 0x04, 0x05, 0x06, 0x08, 0x10,
				       0x11, 0x1d, 0x20, 0x2f, 0x40, 0x44, 0x45, 0x46,
				       0x4f, 0x50, 0x60, 0x7f, 0x80, 0xf0, 0xfe, 0xff};

static uint16_t interesting16(size_t len)
{
	const uint16_t fixed[] = {0,	  1,	    17,		  18,		31,	32,
				  33,	  40,	    0x0800,	  0x0806,	0x86dd, 0x8100,
				  0x2000, 0x4000,   0x1fff,	  0x3fff,	0x8000, 0x7fff,
				  0xffff, STT_PORT, STT_PORT - 1, STT_PORT + 1, 0x2f1d, GUE_PORT};
	switch (rnd(4)) {
	case 0:
		return fixed[rnd(sizeof(fixed) / sizeof(fixed[0]))];
	case 1: /* lengths around what this packet has */
		return (uint16_t)(len - 14 + (int)rnd(9) - 4);
	case 2:
		return (uint16_t)(len - 54 + (int)rnd(9) - 4);
	default:
		return (uint16_t)rnd(0x10000);
	}
}

/* Fix the outer IP total length to the packet (as a sender would have). */
static void fix_tot_len(struct pkt *p)
{
	if (p->len >= 18)
		set16(p, IP_OFF + 2, (uint16_t)(p->len - 14));
}

/* Underlay header offsets worth hitting: eth type, IPv4, TCP, STT, inner Ethernet. */
static const uint8_t rx_offs8[] = {12, 13, 14, 15, 16, 17, 20, 21, 22, 23, 30, 33, 34, 35,
				   36, 37, 38, 39, 40, 41, 42, 45, 46, 47, 54, 55, 56, 57,
				   58, 59, 60, 61, 62, 69, 70, 71, 72, 78, 84, 85, 86};
static const uint8_t rx_offs16[] = {12, 16, 18, 20, 24, 34, 36, 38, 40, 42, 44, 46, 48, 50,
				    54, 56, 58, 60, 62, 68, 70, 84};

/* SEQ of the outer TCP header (STT header at so): frame length and offset. */
/*
 * GUE header fields of a datagram whose UDP header is at u (34, over IPv6 54): version, C,
 * hlen, proto, flags, private flags, GRE flags/proto/key; then maybe the UDP checksum and
 * length.
 */
static void mutate_gue(struct pkt *p, size_t u, char *desc, size_t dn)
{
	static const uint16_t gre_flags[] = {0x0000, 0x2000, 0xa000, 0x3000, 0x2001, 0x8000};
	static const uint16_t gre_protos[] = {0x6558, 0x0800, 0x86dd, 0x0000};
	static const uint32_t keys[] = {2, 0x55667788, 0x11223344, 0, 0xffffffff, 3};
	size_t g = u + 8, gre = p->len > g && (p->d[g] & 0x1f) == 3 ? g + 16 : g + 4;

	if (p->len < g + 8)
		return;
	switch (rnd(9)) {
	case 0:
		set8(p, g, (uint8_t)(rnd(4) << 6) | (p->d[g] & 0x3f));
		note(desc, dn, " gue-version%d", p->d[g] >> 6);
		break;
	case 1:
		set8(p, g, p->d[g] ^ 0x20);
		note(desc, dn, " gue-C");
		break;
	case 2:
		set8(p, g, (p->d[g] & 0xe0) | rnd(32));
		note(desc, dn, " gue-hlen%d", p->d[g] & 0x1f);
		break;
	case 3:
		set8(p, g + 1, chance(50) ? 47 : rnd(256));
		note(desc, dn, " gue-proto%d", p->d[g + 1]);
		break;
	case 4:
		set16(p, g + 2, chance(50) ? 1 : (uint16_t)(1u << rnd(16)));
		note(desc, dn, " gue-flags%04x", get16(p->d, g + 2));
		break;
	case 5:
		set32(p, g + 4, chance(50) ? 0x40000000 : (uint32_t)rnd64());
		note(desc, dn, " gue-pflags%08x", get32(p->d, g + 4));
		break;
	case 6:
		if (gre + 2 <= p->len)
			set16(p, gre, gre_flags[rnd(6)]);
		note(desc, dn, " gre-flags");
		break;
	case 7:
		if (gre + 4 <= p->len)
			set16(p, gre + 2, gre_protos[rnd(4)]);
		note(desc, dn, " gre-proto");
		break;
	default:
		if (gre + 8 <= p->len)
			set32(p, gre + 4, keys[rnd(6)]);
		note(desc, dn, " gre-key");
		break;
	}
	if (chance(30)) { /* the UDP checksum: made right, or any value (0 included) */
		if (!chance(50))
			set16(p, u + 6, chance(20) ? 0 : (uint16_t)rnd(0x10000));
		else if (u == 54)
			l4_set_csum6(p, 14);
		else
			l4_set_csum(p, 14);
		note(desc, dn, " udp-csum%04x", get16(p->d, u + 6));
	}
	if (chance(20)) { /* the UDP length */
		set16(p, u + 4, get16(p->d, u + 4) + (uint16_t)(rnd(5) - 2));
		note(desc, dn, " udp-len%u", get16(p->d, u + 4));
	}
}

static void mutate_seq(struct pkt *p, size_t so, char *desc, size_t dn)
{
	uint32_t pay = p->len > so ? p->len - so : 0, fl, o;
	const uint32_t fls[] = {pay, pay + 1, pay - 1, pay + 1000, 0, 17, 18, 31, 32, 33,
				0xffff, rnd(0x10000)};

	fl = fls[rnd(sizeof(fls) / sizeof(fls[0]))] & 0xffff;
	switch (rnd(6)) {
	case 0:
	case 1:
	case 2:
		o = 0;
		break;
	case 3:
		o = fl > pay ? fl - pay : 0;
		break;
	case 4:
		o = fl - pay + 1;
		break;
	default:
		o = rnd(0x10000);
	}
	note(desc, dn, " seq(%u,%u)", fl, o & 0xffff);
	set32(p, so - 16, STT_SEQ(fl, o));
}

/* A field of the STT header at so. */
static void mutate_stt(struct pkt *p, size_t so, char *desc, size_t dn)
{
	switch (rnd(6)) {
	case 0:
		note(desc, dn, " stt-version");
		set8(p, so, chance(50) ? 1 : rnd(256));
		break;
	case 1:
		note(desc, dn, " stt-flags");
		set8(p, so + 1,
		     chance(50) && p->len > so + 1 ? p->d[so + 1] ^ STT_F_CSUM_PARTIAL : rnd(256));
		break;
	case 2:
		note(desc, dn, " stt-l4off");
		set8(p, so + 2, rnd(256));
		break;
	case 3:
		note(desc, dn, " stt-mss");
		set16(p, so + 4, interesting16(p->len));
		break;
	case 4:
		note(desc, dn, " stt-vlan");
		set16(p, so + 6, chance(50) ? (uint16_t)(STT_VLAN_V | rnd(0x1000)) : rnd(0x10000));
		break;
	default: {
		const uint64_t c[] = {CTX, CTX2, CTX_UNKNOWN, 0, ~0ULL, rnd64()};

		note(desc, dn, " stt-context");
		set64(p, so + 8, c[rnd(6)]);
	}
	}
}

static void mutate_rx(struct pkt *p, char *desc, size_t dn)
{
	size_t off, n;

	switch (rnd(16)) {
	case 0:
		n = 1 + rnd(4);
		note(desc, dn, " flip%zu", n);
		for (size_t i = 0; i < n && p->len; i++)
			p->d[rnd(p->len)] ^= 1u << rnd(8);
		break;
	case 1:
		off = rx_offs8[rnd(sizeof(rx_offs8))];
		note(desc, dn, " byte@%zu", off);
		set8(p, off, chance(70) ? interesting8[rnd(sizeof(interesting8))] : rnd(256));
		break;
	case 2:
		off = rx_offs16[rnd(sizeof(rx_offs16))];
		note(desc, dn, " u16@%zu", off);
		set16(p, off, interesting16(p->len));
		break;
	case 3: /* SEQ: frame length and offset */
		mutate_seq(p, STT_OFF, desc, dn);
		break;
	case 4:
		if (p->len > 14) {
			n = 14 + rnd(p->len - 14);
			note(desc, dn, " trunc%zu", n);
			p->len = n;
			if (chance(50)) {
				note(desc, dn, "+totlen");
				fix_tot_len(p);
			}
		}
		break;
	case 5:
		n = 1 + rnd(chance(80) ? 64 : 2000);
		note(desc, dn, " extend%zu", n);
		pkt_insert(p, p->len, n, chance(50) ? 0 : -1);
		if (chance(60)) {
			note(desc, dn, "+totlen");
			fix_tot_len(p);
		}
		break;
	case 6:
		off = rnd(p->len + 1);
		n = 1 + rnd(16);
		if (chance(50)) {
			note(desc, dn, " ins%zu@%zu", n, off);
			pkt_insert(p, off, n, -1);
		} else {
			note(desc, dn, " del%zu@%zu", n, off);
			pkt_remove(p, off, n);
		}
		if (chance(50))
			fix_tot_len(p);
		break;
	case 7: /* STT header */
		mutate_stt(p, STT_OFF, desc, dn);
		break;
	case 8: { /* IP header length, with options inserted to match (or not) */
		unsigned int ihl = rnd(16);

		note(desc, dn, " ihl%u", ihl);
		set8(p, 14, 0x40 | ihl);
		if (ihl > 5 && chance(70)) {
			pkt_insert(p, 34, (ihl - 5) * 4, 1);
			fix_tot_len(p);
		}
		break;
	}
	case 9: { /* TCP data offset, with options inserted to match (or not) */
		unsigned int doff = rnd(16);

		note(desc, dn, " doff%u", doff);
		set8(p, 46, doff << 4);
		if (doff > 5 && chance(70)) {
			pkt_insert(p, 54, (doff - 5) * 4, 1);
			fix_tot_len(p);
		}
		break;
	}
	case 10: {
		const uint16_t et[] = {0x0800, 0x86dd, 0x8100, 0x0806, 0x0000, 0x05dc};
		const uint8_t pr[] = {6, 17, 1, 0, 255};

		if (chance(50)) {
			note(desc, dn, " ethertype");
			set16(p, 12, chance(80) ? et[rnd(6)] : rnd(0x10000));
		} else {
			note(desc, dn, " ip-proto");
			set8(p, 23, chance(80) ? pr[rnd(5)] : rnd(256));
		}
		break;
	}
	case 11: {
		const uint16_t fr[] = {0, 0x4000, 0x2000, 0x6000, 0x0001, 0x1fff, 0x8000, 0x2001};

		if (chance(50)) {
			note(desc, dn, " frag");
			set16(p, 20, fr[rnd(8)]);
		} else {
			uint32_t d[] = {local4, remote4, remote4b, rnd(0xffffffff), group4, group4b};

			note(desc, dn, " daddr");
			if (p->len >= 34)
				memcpy(p->d + 30, &d[rnd(6)], 4);
		}
		break;
	}
	case 12:
		if (chance(50)) {
			note(desc, dn, " tcp-flags");
			set8(p, 47, rnd(256));
		} else {
			/* ECN/DSCP: outer TOS (CE, ECT(1), ...) and the inner IP's. */
			note(desc, dn, " tos");
			set8(p, 15, chance(70) ? rnd(4) | (chance(50) ? 0 : rnd(64) << 2) : rnd(256));
			if (chance(70) && p->len > INNER_OFF + 16) {
				size_t ip = INNER_OFF + 14;

				if (get16(p->d, INNER_OFF + 12) == 0x86dd)
					set8(p, ip + 1, (p->d[ip + 1] & 0x0f) | (uint8_t)(rnd(16) << 4));
				else
					set8(p, ip + 1, rnd(256));
			}
			if (chance(70))
				refresh_outer(p);
		}
		break;
	case 13:
		note(desc, dn, " ports");
		set16(p, chance(50) ? 36 : 34, interesting16(p->len));
		break;
	case 14:
		if (p->len) {
			off = rnd(p->len);
			note(desc, dn, " rand@%zu", off);
			p->d[off] = rnd(256);
		}
		break;
	default:
		note(desc, dn, " csums");
		refresh_outer(p);
	}
}

/* Fix the outer IPv6 payload length to the packet (as a sender would have). */
static void fix_plen6(struct pkt *p)
{
	if (p->len >= 54)
		set16(p, 18, (uint16_t)(p->len - 54));
}

/*
 * n extension headers between the outer IPv6 header and what follows it: hop-by-hop (0),
 * routing (43), destination options (60) of 8..32 bytes, or a fragment header (44), a
 * first fragment or sometimes a later one (offset > 0). The chain of next headers is kept.
 */
static void insert_ext6(struct pkt *p, int n, char *desc, size_t dn)
{
	const uint8_t kinds[] = {0, 43, 60, 44};
	uint8_t nh;

	if (p->len < 54)
		return;
	nh = p->d[20];
	note(desc, dn, " ext6(");
	for (int i = 0; i < n; i++) {
		uint8_t k = kinds[rnd(4)];
		size_t l = k == 44 ? 8 : 8 * (1 + rnd(4));

		pkt_insert(p, 54, l, 0);
		set8(p, 54, nh);
		if (k == 44) {
			uint16_t fo = chance(75) ? 0 : (uint16_t)((1 + rnd(0x1fff)) << 3);

			set16(p, 56, fo | (chance(50) ? 1 : 0));
			set32(p, 58, 0x5354000 + i);
			note(desc, dn, "%sfrag%s", i ? "," : "", fo ? "-later" : "");
		} else {
			set8(p, 55, (uint8_t)(l / 8 - 1));
			/* PadN over the rest of the options */
			set8(p, 56, 1);
			set8(p, 57, (uint8_t)(l - 4));
			note(desc, dn, "%s%u", i ? "," : "", k);
		}
		nh = k;
	}
	set8(p, 20, nh);
	note(desc, dn, ")");
	if (chance(90))
		fix_plen6(p);
}

/* The outer header offsets of STT over IPv6: IPv6, TCP at 54, STT at 74, inner at 92. */
static const uint8_t rx6_offs8[] = {12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 37, 38,
				    39, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 65, 66,
				    67, 74, 75, 76, 77, 78, 79, 80, 81, 82, 89, 90, 91,
				    92, 98, 104, 105, 106};
static const uint8_t rx6_offs16[] = {12, 14, 16, 18, 20, 38, 52, 54, 56, 58, 60, 62,
				     64, 66, 68, 70, 74, 76, 78, 80, 82, 88, 90, 104};

static void mutate_rx6(struct pkt *p, char *desc, size_t dn)
{
	size_t off, n;

	switch (rnd(18)) {
	case 0:
		n = 1 + rnd(4);
		note(desc, dn, " flip%zu", n);
		for (size_t i = 0; i < n && p->len; i++)
			p->d[rnd(p->len)] ^= 1u << rnd(8);
		break;
	case 1:
		off = rx6_offs8[rnd(sizeof(rx6_offs8))];
		note(desc, dn, " byte@%zu", off);
		set8(p, off, chance(70) ? interesting8[rnd(sizeof(interesting8))] : rnd(256));
		break;
	case 2:
		off = rx6_offs16[rnd(sizeof(rx6_offs16))];
		note(desc, dn, " u16@%zu", off);
		set16(p, off, interesting16(p->len));
		break;
	case 3:
		mutate_seq(p, STT_OFF6, desc, dn);
		break;
	case 4:
		if (p->len > 14) {
			n = 14 + rnd(p->len - 14);
			note(desc, dn, " trunc%zu", n);
			p->len = n;
			if (chance(50)) {
				note(desc, dn, "+plen");
				fix_plen6(p);
			}
		}
		break;
	case 5:
		n = 1 + rnd(chance(80) ? 64 : 2000);
		note(desc, dn, " extend%zu", n);
		pkt_insert(p, p->len, n, chance(50) ? 0 : -1);
		if (chance(60)) {
			note(desc, dn, "+plen");
			fix_plen6(p);
		}
		break;
	case 6:
		off = rnd(p->len + 1);
		n = 1 + rnd(16);
		if (chance(50)) {
			note(desc, dn, " ins%zu@%zu", n, off);
			pkt_insert(p, off, n, -1);
		} else {
			note(desc, dn, " del%zu@%zu", n, off);
			pkt_remove(p, off, n);
		}
		if (chance(50))
			fix_plen6(p);
		break;
	case 7:
		mutate_stt(p, STT_OFF6, desc, dn);
		break;
	case 8:
		insert_ext6(p, 1 + rnd(3), desc, dn);
		break;
	case 9: { /* TCP data offset, with options inserted to match (or not) */
		unsigned int doff = rnd(16);

		note(desc, dn, " doff%u", doff);
		set8(p, TCP_OFF6 + 12, doff << 4);
		if (doff > 5 && chance(70)) {
			pkt_insert(p, STT_OFF6, (doff - 5) * 4, 1);
			fix_plen6(p);
		}
		break;
	}
	case 10: {
		const uint16_t et[] = {0x0800, 0x86dd, 0x8100, 0x0806, 0x0000, 0x05dc};
		const uint8_t nh[] = {6, 17, 58, 0, 43, 44, 60, 59, 255};

		if (chance(30)) {
			note(desc, dn, " ethertype");
			set16(p, 12, chance(80) ? et[rnd(6)] : rnd(0x10000));
		} else {
			note(desc, dn, " nexthdr");
			set8(p, 20, chance(80) ? nh[rnd(9)] : rnd(256));
		}
		break;
	}
	case 11: {
		const int d[] = {A6_LOCAL, A6_LOCAL, A6_GROUP, A6_GROUP_OUT, A6_GROUP_NOIDX,
				 A6_REMOTE, A6_UNKNOWN};
		const int sa[] = {A6_REMOTE, A6_REMOTE_B, A6_UNKNOWN, A6_LOCAL, A6_GROUP};

		if (p->len < 54)
			break;
		if (chance(50)) {
			note(desc, dn, " daddr6");
			memcpy(p->d + 38, addr6[d[rnd(7)]], 16);
			if (chance(10))
				p->d[38 + rnd(16)] ^= 1u << rnd(8);
		} else {
			note(desc, dn, " saddr6");
			memcpy(p->d + 22, addr6[sa[rnd(5)]], 16);
		}
		if (chance(50))
			refresh_outer(p);
		break;
	}
	case 12:
		if (chance(40)) {
			note(desc, dn, " tcp-flags");
			set8(p, TCP_OFF6 + 13, rnd(256));
		} else if (p->len >= 16) {
			/* ECN/DSCP: outer traffic class (CE, ECT(1), ...) and the inner IP's. */
			uint8_t tc = chance(70) ? rnd(4) | (chance(50) ? 0 : rnd(64) << 2) : rnd(256);

			note(desc, dn, " tclass");
			p->d[14] = (p->d[14] & 0xf0) | (tc >> 4);
			p->d[15] = (p->d[15] & 0x0f) | (uint8_t)(tc << 4);
			if (chance(70) && p->len > INNER_OFF6 + 16) {
				size_t ip = INNER_OFF6 + 14;

				if (get16(p->d, INNER_OFF6 + 12) == 0x86dd)
					set8(p, ip + 1, (p->d[ip + 1] & 0x0f) | (uint8_t)(rnd(16) << 4));
				else
					set8(p, ip + 1, rnd(256));
			}
		}
		break;
	case 13:
		note(desc, dn, " ports");
		set16(p, TCP_OFF6 + (chance(50) ? 2 : 0), interesting16(p->len));
		break;
	case 14:
		if (p->len) {
			off = rnd(p->len);
			note(desc, dn, " rand@%zu", off);
			p->d[off] = rnd(256);
		}
		break;
	case 15:
		note(desc, dn, " version");
		if (p->len > 14)
			p->d[14] = (p->d[14] & 0x0f) | (uint8_t)((chance(50) ? 4 : rnd(16)) << 4);
		break;
	case 16:
		note(desc, dn, " plen");
		set16(p, 18, chance(40) ? (uint16_t)(p->len - 54 + (int)rnd(9) - 4)
					: interesting16(p->len));
		break;
	default:
		note(desc, dn, " csums");
		refresh_outer(p);
	}
}

/* Tenant frame offsets: Ethernet, IPv4, L4 ports, checksums, TCP doff/flags. */
static const uint8_t tx_offs8[] = {0,  5,  6,  11, 12, 13, 14, 15, 16, 17, 20, 21, 22,
				   23, 26, 30, 33, 34, 35, 36, 37, 38, 39, 40, 41, 46, 47,
				   50, 51, 54, 55};
static const uint8_t tx_offs16[] = {12, 16, 18, 20, 24, 34, 36, 38, 40, 46, 50, 52};

static void mutate_tx(struct pkt *p, char *desc, size_t dn)
{
	size_t off, n;

	switch (rnd(14)) {
	case 0:
		n = 1 + rnd(4);
		note(desc, dn, " flip%zu", n);
		for (size_t i = 0; i < n && p->len; i++)
			p->d[rnd(p->len)] ^= 1u << rnd(8);
		break;
	case 1:
		off = tx_offs8[rnd(sizeof(tx_offs8))];
		note(desc, dn, " byte@%zu", off);
		set8(p, off, chance(70) ? interesting8[rnd(sizeof(interesting8))] : rnd(256));
		break;
	case 2:
		off = tx_offs16[rnd(sizeof(tx_offs16))];
		note(desc, dn, " u16@%zu", off);
		set16(p, off, interesting16(p->len + 40));
		break;
	case 3:
		note(desc, dn, " l4-seed");
		if (p->len >= 34)
			l4_set_seed(p, 14);
		break;
	case 4:
		note(desc, dn, " l4-csum");
		if (p->len >= 34)
			l4_set_csum(p, 14);
		break;
	case 5:
		note(desc, dn, " totlen");
		if (p->len >= 18)
			set16(p, 16, chance(50) ? (uint16_t)(p->len - 14) : interesting16(p->len + 40));
		break;
	case 6:
		if (p->len > 14) {
			n = 14 + rnd(p->len - 14);
			note(desc, dn, " trunc%zu", n);
			p->len = n;
			if (chance(50) && p->len >= 18) {
				note(desc, dn, "+totlen");
				set16(p, 16, (uint16_t)(p->len - 14));
			}
		}
		break;
	case 7:
		n = 1 + rnd(chance(80) ? 64 : 1600);
		note(desc, dn, " pad%zu", n);
		pkt_insert(p, p->len, n, chance(70) ? 0 : -1);
		break;
	case 8: {
		const uint8_t *m[] = {vm_b, bcast, mcast, vm_unknown, vm_b_group, vm_a, vm_c6, vm_d6,
				      vm_g6};

		note(desc, dn, " dmac");
		if (p->len >= 6)
			memcpy(p->d, m[rnd(9)], 6);
		break;
	}
	case 9: {
		const uint16_t et[] = {0x0800, 0x86dd, 0x8100, 0x0806, 0x88b5, 0x0000, 0x05dc};

		note(desc, dn, " ethertype");
		set16(p, 12, chance(80) ? et[rnd(7)] : rnd(0x10000));
		break;
	}
	case 10: {
		unsigned int ihl = rnd(16);

		note(desc, dn, " ihl%u", ihl);
		set8(p, 14, (chance(85) ? 0x40 : rnd(16) << 4) | ihl);
		if (ihl > 5 && chance(60)) {
			pkt_insert(p, 34, (ihl - 5) * 4, 1);
			set16(p, 16, (uint16_t)(p->len - 14));
		}
		break;
	}
	case 11: {
		const uint16_t fr[] = {0, 0x4000, 0x2000, 0x0001, 0x1fff, 0x8000};
		const uint8_t pr[] = {6, 17, 1, 0, 255};

		if (chance(50)) {
			note(desc, dn, " frag");
			set16(p, 20, fr[rnd(6)]);
		} else {
			note(desc, dn, " ip-proto");
			set8(p, 23, pr[rnd(5)]);
		}
		break;
	}
	case 12:
		off = rnd(p->len + 1);
		n = 1 + rnd(16);
		if (chance(50)) {
			note(desc, dn, " ins%zu@%zu", n, off);
			pkt_insert(p, off, n, -1);
		} else if (p->len > 14) {
			note(desc, dn, " del%zu@%zu", n, off);
			pkt_remove(p, off, n);
		}
		break;
	default:
		if (p->len) {
			off = rnd(p->len);
			note(desc, dn, " rand@%zu", off);
			p->d[off] = rnd(256);
		}
	}
	if (p->len < 14 && chance(90))
		pkt_put(p, 14 - p->len);
}

/* ------------------------------------------------------------------------------------------ */
/* Generators                                                                                 */

static const uint8_t *pick_dmac(void)
{
	unsigned int r = rnd(100);

	/* IPv6 remotes: vm_c6 (an address), vm_d6 (an index without one), vm_g6 (a group). */
	return r < 35	? vm_b
	       : r < 50 ? vm_c6
	       : r < 53 ? vm_d6
	       : r < 57 ? vm_g6
	       : r < 72 ? bcast
	       : r < 82 ? vm_unknown
	       : r < 90 ? mcast
	       : r < 95 ? vm_b_group
			: vm_a;
}

static size_t pick_payload(int kind, size_t max_frame)
{
	size_t h = inner_hdrs(kind), room = max_frame > h ? max_frame - h : 0;
	unsigned int r = rnd(100);

	if (r < 55)
		return rnd(room < 200 ? room + 1 : 201);
	if (r < 70)
		return rnd(room < 1500 ? room + 1 : 1501);
	return rnd(room + 1);
}

/*
 * GUE over IPv4 or (40%) IPv6: to a bound key (CTX2), an unbound one, the low half of CTX;
 * to local4 (local6) or a group; over IPv6 from the remote that may consent to checksum 0
 * (A6_REMOTE), another remote, or an address with no index, sometimes behind extension
 * headers; some with the cookie, some with a UDP checksum, some with an outer TOS or
 * traffic class; mutated in the GUE/GRE/UDP fields. Returns how many mutations of the outer
 * family to add.
 */
static int gen_rx_gue(struct pkt *p, struct env *e, char *desc, size_t dn)
{
	static struct pkt inner;
	const uint32_t keys[] = {(uint32_t)CTX2, (uint32_t)CTX2, (uint32_t)CTX2, (uint32_t)CTX, 7};
	const int srcs[] = {A6_REMOTE, A6_REMOTE, A6_REMOTE, A6_REMOTE, A6_REMOTE_B, A6_UNKNOWN};
	const int dsts[] = {A6_LOCAL, A6_LOCAL, A6_LOCAL, A6_LOCAL,	A6_LOCAL,
			    A6_LOCAL, A6_LOCAL, A6_GROUP, A6_GROUP_OUT, A6_GROUP_NOIDX};
	uint32_t key = keys[rnd(5)], daddr = chance(90) ? local4 : chance(50) ? group4 : group4b;
	int kind = rnd(K_MAX), sa = srcs[rnd(6)], da = dsts[rnd(10)];
	bool cookie = chance(10), csum = chance(15), v6 = chance(40);
	size_t io = v6 ? GUE_INNER_OFF6 : GUE_INNER_OFF;

	e->gue = chance(90);
	build_inner(&inner, kind, vm_a, vm_b, pick_payload(kind, tc_limit - io - 12),
		    40000 + rnd(100));
	if (chance(4)) {
		inner.len = rnd(ETH_LEN);
		note(desc, dn, "runt ");
	}
	if (v6) {
		build_gue6(p, &inner, key, addr6[sa], addr6[da], cookie, csum);
		note(desc, dn, "gue6(%s,%zu,key 0x%x%s%s,src %d,dst %d)", kind_names[kind],
		     inner.len, key, cookie ? ",cookie" : "", csum ? ",udp-csum" : "", sa, da);
	} else {
		build_gue(p, &inner, key, daddr, cookie, csum);
		note(desc, dn, "gue(%s,%zu,key 0x%x%s%s)", kind_names[kind], inner.len, key,
		     cookie ? ",cookie" : "", csum ? ",udp-csum" : "");
	}
	if (chance(10)) { /* an outer TOS or traffic class, ECN included */
		uint8_t tc = (uint8_t)rnd(256);

		if (v6) {
			p->d[14] = 0x60 | (tc >> 4);
			p->d[15] = (p->d[15] & 0x0f) | (uint8_t)(tc << 4);
		} else {
			set8(p, 15, tc);
			ip4_set_csum(p, 14);
		}
		note(desc, dn, " tos%02x", tc);
	}
	for (int i = chance(30) ? 0 : 1 + rnd(3); i > 0; i--)
		mutate_gue(p, io - 20, desc, dn);
	if (v6 && chance(8))
		insert_ext6(p, 1 + rnd(3), desc, dn);
	return chance(40) ? 1 + rnd(3) : 0;
}

static void gen_rx(struct pkt *p, struct env *e, char *desc, size_t dn)
{
	static struct pkt inner;
	unsigned int r = rnd(100);
	size_t max_frame = tc_limit - INNER_OFF;
	int nmut;

	desc[0] = 0;
	e->ctx_xdp = chance(70);
	e->sttd = chance(50);
	e->cfg_xdp = chance(20);
	e->local6 = chance(85);
	e->gue = chance(90);
	e->udp6_zero = chance(70);
	if (r < 60) {
		int kind = rnd(K_MAX);
		uint64_t ctxs[] = {CTX, CTX, CTX, CTX, CTX2, CTX_UNKNOWN};
		uint64_t c = ctxs[rnd(6)];
		uint8_t flags, l4off = 0;
		/* Over IPv6: from a remote with an index or without, to local6 or a group. */
		bool v6 = chance(40);
		const int srcs[] = {A6_REMOTE, A6_REMOTE, A6_REMOTE, A6_REMOTE_B, A6_UNKNOWN,
				    A6_UNKNOWN, A6_LOCAL};
		const int dsts[] = {A6_LOCAL, A6_LOCAL, A6_LOCAL, A6_LOCAL, A6_LOCAL, A6_LOCAL,
				    A6_LOCAL, A6_GROUP, A6_GROUP, A6_GROUP_OUT, A6_GROUP_NOIDX,
				    A6_REMOTE};
		int sa = srcs[rnd(7)], da = dsts[rnd(12)];

		if (chance(3))
			max_frame = PKT_MAX - INNER_OFF; /* multi-buffer for XDP, too big for TC */
		build_inner(&inner, kind, vm_a, vm_b, pick_payload(kind, max_frame), 40000 + rnd(100));
		if (chance(4)) { /* a runt: less than an Ethernet header inside */
			inner.len = rnd(ETH_LEN);
			note(desc, dn, "runt ");
		}
		flags = stt_flags_of(&inner);
		if ((kind == K_TCP || kind == K_UDP) && chance(20)) {
			flags |= STT_F_CSUM_PARTIAL;
			l4off = 34;
			l4_set_seed(&inner, 14);
		}
		if (v6) {
			build_segment6(p, &inner, flags, l4off, c, addr6[sa], addr6[da]);
			note(desc, dn, "segment6(%s,%zu,%s%s,src %d,dst %d)", kind_names[kind],
			     inner.len, c == CTX ? "ctx" : c == CTX2 ? "ctx2" : "unknown-ctx",
			     flags & STT_F_CSUM_PARTIAL ? ",partial" : "", sa, da);
		} else {
			build_segment(p, &inner, flags, l4off, c);
			note(desc, dn, "segment(%s,%zu,%s%s)", kind_names[kind], inner.len,
			     c == CTX ? "ctx" : c == CTX2 ? "ctx2" : "unknown-ctx",
			     flags & STT_F_CSUM_PARTIAL ? ",partial" : "");
		}
		if (chance(15)) { /* a segment of a larger frame */
			size_t so = v6 ? STT_OFF6 : STT_OFF;
			uint32_t pay = p->len - so, fl = pay + rnd(3000), o = rnd(fl - pay + 1);

			if (fl > 0xffff)
				fl = 0xffff;
			set32(p, so - 16, STT_SEQ(fl, o));
			note(desc, dn, " piece(%u@%u)", fl, o);
			if (v6)
				refresh_outer(p);
		}
		if (v6 && chance(10)) { /* a traffic class, ECN included */
			uint8_t tc = rnd(256);

			p->d[14] = 0x60 | (tc >> 4);
			p->d[15] = (p->d[15] & 0x0f) | (uint8_t)(tc << 4);
			note(desc, dn, " tclass%02x", tc);
		}
		if (v6 && chance(8))
			insert_ext6(p, 1 + rnd(3), desc, dn);
		nmut = chance(25) ? 0 : 1 + rnd(chance(70) ? 2 : 6);
	} else if (r < 70) {
		nmut = gen_rx_gue(p, e, desc, dn);
	} else if (r < 80) {
		int kind = rnd(UL_MAX);
		const int about[] = {A6_REMOTE, A6_REMOTE, A6_REMOTE_B, A6_UNKNOWN, A6_GROUP};
		const uint32_t mtus[] = {1000, 1279, 1280, 1281, 1400, e->mtu - 1, e->mtu, e->mtu + 1,
					 9000, (uint32_t)rnd64()};

		/* An ICMPv6 packet too big: a path MTU below, at or above what can be taken. */
		ptb_mtu = mtus[rnd(10)];
		ptb_about = about[rnd(5)];
		build_underlay(p, kind, rnd(chance(80) ? 200 : 1400));
		note(desc, dn, "underlay(%d,%zu)", kind, p->len);
		nmut = chance(30) ? 0 : 1 + rnd(4);
	} else {
		size_t n = 1 + rnd(chance(70) ? 200 : tc_limit + 100);

		p->len = 0;
		pkt_insert(p, 0, n, -1);
		note(desc, dn, "garbage(%zu)", n);
		if (chance(20) && p->len >= 60) { /* IPv6 garbage that gets past the first checks */
			/* Sometimes UDP to the GUE port instead. */
			bool udp = chance(25);

			set16(p, 12, 0x86dd);
			set8(p, 14, chance(80) ? 0x60 : rnd(256));
			set8(p, 20, udp ? 17 : chance(80) ? 6 : rnd(256));
			set16(p, 56, udp ? GUE_PORT : STT_PORT);
			if (chance(70))
				memcpy(p->d + 38, addr6[A6_LOCAL], 16);
			if (chance(50))
				fix_plen6(p);
			if (chance(50))
				set8(p, 66, 0x50);
			note(desc, dn, udp ? "+gue6-ish" : "+stt6-ish");
		} else if (chance(60) && p->len >= 40) { /* garbage that gets past the first checks */
			set16(p, 12, 0x0800);
			set8(p, 14, chance(70) ? 0x45 : 0x40 | rnd(16));
			set8(p, 23, 6);
			set16(p, 20, chance(70) ? 0x4000 : rnd(0x10000));
			set16(p, 36, STT_PORT);
			if (chance(70))
				memcpy(p->d + 30, &local4, 4);
			if (chance(50))
				fix_tot_len(p);
			if (chance(50))
				set8(p, 46, 0x50);
			note(desc, dn, "+stt-ish");
		}
		nmut = chance(50) ? 0 : 1 + rnd(3);
	}
	/* The mutations of the packet's outer family (IPv6: other offsets, extension headers). */
	for (int i = 0; i < nmut; i++) {
		if (p->len >= ETH_LEN && get16(p->d, 12) == 0x86dd)
			mutate_rx6(p, desc, dn);
		else
			mutate_rx(p, desc, dn);
	}
	if (chance(1)) { /* shorter than an Ethernet header: refused by test_run */
		p->len = rnd(ETH_LEN);
		note(desc, dn, " tiny%zu", p->len);
	}
}

static void gen_tx(struct pkt *p, struct env *e, char *desc, size_t dn)
{
	const uint32_t mtus[] = {1500, 1500, 1500, 1500, 1500, 1500, 1280, 9000, 600, 576};
	const int floods[] = {FL_ONE,	     FL_ONE,	       FL_ONE,	      FL_ONE,
			      FL_ONE,	     FL_TWO,	       FL_TWO,	      FL_NONE,
			      FL_ZERO,	     FL_SIXTEEN,       FL_V6_ONE,     FL_V6_ONE,
			      FL_V6_ONE,     FL_V6_TWO,	       FL_V6_GROUP,   FL_V6_GROUP_LAST,
			      FL_V6_NOADDR,  FL_V6_NOADDR_LAST, FL_MIX4,	      FL_MIX6};
	int kind = rnd(K_MAX), nmut;
	unsigned int r = rnd(100);
	size_t payload, h = inner_hdrs(kind);

	desc[0] = 0;
	e->mtu = mtus[rnd(10)];
	e->flood = floods[rnd(20)];
	e->ttl = chance(60) ? 64 : chance(50) ? 0 : rnd(256);
	e->local6 = chance(85);
	e->gue = chance(90);
	if (r < 25) { /* around the largest frame that fits one segment (IPv4 or IPv6 outside) */
		size_t fit = e->mtu - (chance(50) ? OVERHEAD : OVERHEAD6);
		long want = (long)fit + (long)rnd(33) - 16;

		if (want > (long)tc_limit)
			want = tc_limit;
		payload = want > (long)h ? (size_t)want - h : 0;
	} else {
		payload = pick_payload(kind, tc_limit);
	}
	build_inner(p, kind, pick_dmac(), vm_a, payload, 40000 + rnd(100));
	if (p->len > tc_limit)
		p->len = tc_limit;
	note(desc, dn, "frame(%s,%zu,%02x:..:%02x)", kind_names[kind], p->len, p->d[0], p->d[5]);
	if ((kind == K_TCP || kind == K_UDP || kind == K_IPOPT) && chance(25)) {
		l4_set_seed(p, 14);
		note(desc, dn, ",partial");
	}
	nmut = chance(30) ? 0 : 1 + rnd(chance(70) ? 2 : 5);
	for (int i = 0; i < nmut; i++)
		mutate_tx(p, desc, dn);
	if (chance(1)) {
		p->len = rnd(ETH_LEN);
		note(desc, dn, " tiny%zu", p->len);
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Running an input through its program(s)                                                    */

static uint32_t exec_one(int prog, const struct pkt *in, const struct env *e, const char *desc,
			 int mode)
{
	R.mode = mode;
	R.mask = 0;
	R.header_done = mode == M_REPLAY;
	R.desc = desc;
	R.prog = prog;
	R.env = e;
	R.in = in;
	switch (prog) {
	case P_XDP:
		exec_xdp(in, e);
		break;
	case P_TC_RX:
		exec_tc_rx(in, e);
		break;
	default:
		exec_tx(in, e);
	}
	R.in = NULL;
	return R.mask;
}

static void exec_rx_both(const struct pkt *in, const struct env *e, const char *desc)
{
	exec_one(P_XDP, in, e, desc, M_RECORD);
	exec_one(P_TC_RX, in, e, desc, M_RECORD);
}

/* A GUE seed of the deterministic phase: what is inside, the GRE key, cookie, UDP checksum. */
struct gue_seed {
	int kind; /* enum inner_kind; -1: a runt of payload bytes */
	size_t payload;
	uint32_t key;
	bool cookie, csum;
};

/*
 * One GUE seed over one family, in variants, then truncated at every length with the IP
 * length kept, fixed, and fixed with the UDP length. IPv4: as it is, twice (the XDP flag
 * cannot be taken from CTX2, and CTX's key does not fit), GUE off, to the group. IPv6: as it
 * is (from A6_REMOTE, which consents to checksum 0), without the consent, GUE off, to the
 * group, without local6, behind an extension header, from another remote, from an address
 * with no index.
 */
static void seed_gue(const struct pkt *inner, const struct gue_seed *g, bool v6)
{
	static struct pkt seg, t;
	struct env e = env_default;
	static const char *const vn4[] = {"", "", " gue-off", " to-group"};
	static const char *const vn6[] = {
	    "",		  " no-consent", " gue-off",	   " to-group",
	    " no-local6", " ext-header", " from-remote-b", " from-no-index"};
	static const int src6[] = {A6_REMOTE, A6_REMOTE, A6_REMOTE,   A6_REMOTE,
				   A6_REMOTE, A6_REMOTE, A6_REMOTE_B, A6_UNKNOWN};
	const char *kn = g->kind < 0 ? "runt" : kind_names[g->kind];
	size_t u = v6 ? 54 : 34;
	char desc[200] = "";

	for (int v = 0; v < (v6 ? 8 : 4); v++) {
		e.gue = v != 2;
		e.udp6_zero = !v6 || v != 1;
		e.local6 = !v6 || v != 4;
		if (v6)
			build_gue6(&seg, inner, g->key, addr6[src6[v]],
				   addr6[v == 3 ? A6_GROUP : A6_LOCAL], g->cookie, g->csum);
		else
			build_gue(&seg, inner, g->key, v == 3 ? group4 : local4, g->cookie,
				  g->csum);
		if (v6 && v == 5)
			insert_ext6(&seg, 1, desc, 0);
		snprintf(desc, sizeof(desc), "seed gue%s(%s,%zu,key 0x%x%s%s)%s", v6 ? "6" : "", kn,
			 inner->len, g->key, g->cookie ? ",cookie" : "", g->csum ? ",udp-csum" : "",
			 v6 ? vn6[v] : vn4[v]);
		exec_rx_both(&seg, &e, desc);
	}
	e.gue = e.udp6_zero = e.local6 = true;
	if (v6)
		build_gue6(&seg, inner, g->key, addr6[A6_REMOTE], addr6[A6_LOCAL], g->cookie,
			   g->csum);
	else
		build_gue(&seg, inner, g->key, local4, g->cookie, g->csum);
	for (size_t n = ETH_LEN; n < seg.len; n++) {
		for (int fix = 0; fix < 3; fix++) {
			t.len = n;
			memcpy(t.d, seg.d, n);
			e.sttd = n & 1;
			if (fix && v6)
				fix_plen6(&t);
			else if (fix)
				fix_tot_len(&t);
			if (fix == 2 && n >= u + 6)
				set16(&t, u + 4, (uint16_t)(n - u));
			snprintf(desc, sizeof(desc), "seed gue%s(%s) truncated to %zu%s",
				 v6 ? "6" : "", kn, n,
				 fix == 1   ? ", IP length fixed"
				 : fix == 2 ? ", IP and UDP lengths fixed"
					    : "");
			exec_rx_both(&t, &e, desc);
		}
	}
}

/*
 * GUE (docs/GUE.md), over IPv4 and IPv6: Linux's frame to a bound key, with an unbound key,
 * the cookie (no remote has one here: gue_cookie), a UDP checksum (TC cannot trust it:
 * gue_udp_csum), a runt inside (seed_gue: the variants and truncations of each).
 */
static void phase_seeds_gue(void)
{
	static struct pkt inner;
	static const struct gue_seed seeds[] = {
	    {K_ARP, 0, CTX2, false, false},   {K_UDP, 64, CTX2, false, false},
	    {K_TCP, 100, CTX2, false, false}, {K_SHORT, 0, CTX2, false, false},
	    {K_IPV6, 8, CTX2, false, false},  {K_UDP, 64, (uint32_t)CTX, false, false},
	    {K_UDP, 64, CTX2, true, false},   {K_ICMP, 56, CTX2, false, true},
	    {-1, 13, CTX2, false, false},
	};

	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		if (seeds[i].kind < 0) {
			inner.len = seeds[i].payload;
			fill_payload(inner.d, inner.len, 0x99);
		} else {
			build_inner(&inner, seeds[i].kind, vm_a, vm_b, seeds[i].payload, 40000);
		}
		seed_gue(&inner, &seeds[i], false);
		seed_gue(&inner, &seeds[i], true);
	}
}

/* Deterministic phase: the seeds as they are, then truncated at every length. */
static void phase_seeds(void)
{
	static struct pkt inner, seg, t;
	struct env e = env_default;
	char desc[200];
	struct {
		int kind;
		size_t payload;
		uint64_t ctx;
		bool partial;
	} rx_seeds[] = {
	    {K_TCP, 100, CTX, false},  {K_UDP, 64, CTX, false},	  {K_UDP0, 33, CTX, false},
	    {K_ICMP, 56, CTX, false},  {K_ARP, 0, CTX, false},	  {K_SHORT, 0, CTX, false},
	    {K_SHORT, 19, CTX, false}, {K_SHORT, 6, CTX2, false}, {K_VLAN, 20, CTX2, false},
	    {K_IPV6, 8, CTX, false},   {K_TCP, 40, CTX, true},	  {K_UDP, 10, CTX_UNKNOWN, false},
	    {-1, 13, CTX, false}, /* a 13-byte runt inside */
	};
	struct {
		int kind;
		size_t payload;
		const uint8_t *dmac;
		bool partial;
		uint32_t mtu;
		bool zero_csum; /* UDP whose complete checksum is 0 (sent as 0xffff) */
	} tx_seeds[] = {
	    {K_TCP, 100, vm_b, false, 1500, false},	{K_TCP, 0, bcast, false, 1500, false},
	    {K_UDP, 64, vm_b, false, 1500, false},	{K_UDP0, 77, vm_unknown, false, 1500, false},
	    {K_ICMP, 56, vm_b, false, 1500, false},	{K_ARP, 0, bcast, false, 1500, false},
	    {K_SHORT, 19, vm_b, false, 1500, false},	{K_VLAN, 30, vm_b, false, 1500, false},
	    {K_IPV6, 20, mcast, false, 1500, false},	{K_FRAG, 50, vm_b, false, 1500, false},
	    {K_IPOPT, 30, vm_b, false, 1500, false},	{K_TCP, 60, vm_b, true, 1500, false},
	    {K_UDP, 60, bcast, true, 1500, false},	{K_TCP, 1500 - OVERHEAD - 54 + 1, vm_b, false, 1500, false},
	    {K_UDP, 700, vm_b, true, 600, false},	{K_TCP, 1514 - 54, vm_b, true, 1500, false},
	    {K_UDP, 1514 - 42, vm_b, true, 1500, true},
	    {K_UDP, 301, bcast, true, 1500, true},
	    {K_UDP, 300, vm_b, false, 1500, true},
	    /* IPv6 remotes: an address, no address behind the index, a group; cut. */
	    {K_TCP, 100, vm_c6, false, 1500, false},	{K_IPV6, 40, vm_c6, false, 1500, false},
	    {K_TCP, 60, vm_c6, true, 1500, false},	{K_UDP, 30, vm_d6, false, 1500, false},
	    {K_ARP, 0, vm_g6, false, 1500, false},	{K_IPV6, 1500 - 78 - 62 + 1, vm_c6, false, 1500, false},
	    {K_UDP, 700, vm_c6, true, 600, false},	{K_IPV6, 700, vm_g6, false, 600, false},
	};
	/* IPv6 underlay: sender, destination (A6_*) and what is inside. */
	struct {
		int kind;
		size_t payload;
		int src, dst;
		uint64_t ctx;
	} rx6_seeds[] = {
	    {K_TCP, 100, A6_REMOTE, A6_LOCAL, CTX},	{K_IPV6, 20, A6_UNKNOWN, A6_LOCAL, CTX},
	    {K_ARP, 0, A6_REMOTE_B, A6_LOCAL, CTX2},	{K_SHORT, 6, A6_REMOTE, A6_LOCAL, CTX},
	    {K_UDP, 64, A6_REMOTE, A6_GROUP, CTX},	{K_UDP, 64, A6_REMOTE, A6_GROUP_OUT, CTX},
	    {K_UDP, 64, A6_REMOTE, A6_GROUP_NOIDX, CTX}, {K_ICMP, 56, A6_REMOTE, A6_REMOTE_B, CTX},
	    {K_TCP, 40, A6_REMOTE, A6_LOCAL, CTX_UNKNOWN},
	};

	for (size_t i = 0; i < sizeof(rx_seeds) / sizeof(rx_seeds[0]); i++) {
		uint8_t flags, l4off = 0;

		if (rx_seeds[i].kind < 0) {
			inner.len = rx_seeds[i].payload;
			fill_payload(inner.d, inner.len, 0x99);
		} else {
			build_inner(&inner, rx_seeds[i].kind, vm_a, vm_b, rx_seeds[i].payload, 40000);
		}
		flags = stt_flags_of(&inner);
		if (rx_seeds[i].partial) {
			l4_set_seed(&inner, 14);
			flags |= STT_F_CSUM_PARTIAL;
			l4off = 34;
		}
		build_segment(&seg, &inner, flags, l4off, rx_seeds[i].ctx);
		for (int xdp = 0; xdp < 2; xdp++) {
			e.ctx_xdp = xdp;
			e.sttd = xdp;
			snprintf(desc, sizeof(desc), "seed segment(%s,%zu)%s",
				 rx_seeds[i].kind < 0 ? "runt" : kind_names[rx_seeds[i].kind], inner.len,
				 xdp ? "" : " no-xdp-flag");
			exec_rx_both(&seg, &e, desc);
		}
		e.ctx_xdp = true;
		for (size_t n = ETH_LEN; n < seg.len; n++) {
			t.len = n;
			memcpy(t.d, seg.d, n);
			e.sttd = n & 1;
			snprintf(desc, sizeof(desc), "seed segment(%s) truncated to %zu",
				 rx_seeds[i].kind < 0 ? "runt" : kind_names[rx_seeds[i].kind], n);
			exec_rx_both(&t, &e, desc);
			fix_tot_len(&t);
			snprintf(desc, sizeof(desc), "seed segment(%s) truncated to %zu, IP length fixed",
				 rx_seeds[i].kind < 0 ? "runt" : kind_names[rx_seeds[i].kind], n);
			exec_rx_both(&t, &e, desc);
		}
	}
	for (size_t i = 0; i < sizeof(rx6_seeds) / sizeof(rx6_seeds[0]); i++) {
		build_inner(&inner, rx6_seeds[i].kind, vm_a, vm_b, rx6_seeds[i].payload, 40000);
		build_segment6(&seg, &inner, stt_flags_of(&inner), 0, rx6_seeds[i].ctx,
			       addr6[rx6_seeds[i].src], addr6[rx6_seeds[i].dst]);
		for (int v = 0; v < 3; v++) {
			/* As it is, without local6, and behind a first-fragment header. */
			e.local6 = v != 1;
			e.ctx_xdp = v != 2;
			t = seg;
			if (v == 2)
				insert_ext6(&t, 1, desc, 0);
			snprintf(desc, sizeof(desc), "seed segment6(%s,%zu,src %d,dst %d)%s",
				 kind_names[rx6_seeds[i].kind], inner.len, rx6_seeds[i].src,
				 rx6_seeds[i].dst, v == 1 ? " no-local6" : v == 2 ? " ext-header" : "");
			exec_rx_both(&t, &e, desc);
		}
		e.local6 = true;
		e.ctx_xdp = true;
		for (size_t n = ETH_LEN; n < seg.len; n++) {
			t.len = n;
			memcpy(t.d, seg.d, n);
			e.sttd = n & 1;
			snprintf(desc, sizeof(desc), "seed segment6(%s) truncated to %zu",
				 kind_names[rx6_seeds[i].kind], n);
			exec_rx_both(&t, &e, desc);
			fix_plen6(&t);
			snprintf(desc, sizeof(desc), "seed segment6(%s) truncated to %zu, payload "
				 "length fixed", kind_names[rx6_seeds[i].kind], n);
			exec_rx_both(&t, &e, desc);
		}
	}
	phase_seeds_gue();
	/*
	 * Inner frames cut to every length from 14 bytes, the outer lengths kept right, over
	 * both families: short IPv4, IPv6 and ARP frames behind a whole STT header.
	 */
	{
		const int kinds[] = {K_TCP, K_IPV6, K_ARP};

		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			build_inner(&t, kinds[k], vm_a, vm_b, 30, 40000);
			for (size_t n = ETH_LEN; n <= t.len; n++) {
				inner.len = n;
				memcpy(inner.d, t.d, n);
				for (int v6 = 0; v6 < 2; v6++) {
					if (v6)
						build_segment6(&seg, &inner, 0, 0, CTX, addr6[A6_REMOTE],
							       addr6[A6_LOCAL]);
					else
						build_segment(&seg, &inner, 0, 0, CTX);
					e.ctx_xdp = n & 1;
					snprintf(desc, sizeof(desc), "seed segment%s(%s cut to %zu)",
						 v6 ? "6" : "", kind_names[kinds[k]], n);
					exec_rx_both(&seg, &e, desc);
				}
			}
		}
		e.ctx_xdp = true;
	}
	for (int k = 0; k < UL_MAX; k++) {
		ptb_mtu = 1400;
		ptb_about = A6_REMOTE;
		build_underlay(&seg, k, 30);
		snprintf(desc, sizeof(desc), "seed underlay(%d)", k);
		exec_rx_both(&seg, &e, desc);
		for (size_t n = ETH_LEN; n < seg.len; n++) {
			t.len = n;
			memcpy(t.d, seg.d, n);
			snprintf(desc, sizeof(desc), "seed underlay(%d) truncated to %zu", k, n);
			exec_rx_both(&t, &e, desc);
		}
	}

	for (size_t i = 0; i < sizeof(tx_seeds) / sizeof(tx_seeds[0]); i++) {
		build_inner(&inner, tx_seeds[i].kind, tx_seeds[i].dmac, vm_a, tx_seeds[i].payload,
			    40000);
		if (tx_seeds[i].zero_csum)
			udp_make_csum_zero(&inner, 14);
		if (tx_seeds[i].partial)
			l4_set_seed(&inner, 14);
		e.mtu = tx_seeds[i].mtu;
		for (int fl = 0; fl < FL_MAX + 1; fl++) {
			/* Every flood list, then the first one without local6. */
			e.flood = fl < FL_MAX ? fl : FL_V6_ONE;
			e.local6 = fl < FL_MAX;
			snprintf(desc, sizeof(desc), "seed frame(%s,%zu)%s",
				 kind_names[tx_seeds[i].kind], inner.len,
				 tx_seeds[i].partial ? ",partial" : "");
			exec_one(P_TX, &inner, &e, desc, M_RECORD);
		}
		e.flood = FL_ONE;
		e.local6 = true;
		for (size_t n = ETH_LEN; n < inner.len; n++) {
			t.len = n;
			memcpy(t.d, inner.d, n);
			e.flood = n % 3 ? FL_ONE : (n & 1) ? FL_TWO : FL_V6_TWO;
			snprintf(desc, sizeof(desc), "seed frame(%s) truncated to %zu",
				 kind_names[tx_seeds[i].kind], n);
			exec_one(P_TX, &t, &e, desc, M_RECORD);
			if (n >= 18) {
				set16(&t, 16, (uint16_t)(n - 14));
				snprintf(desc, sizeof(desc),
					 "seed frame(%s) truncated to %zu, IP length fixed",
					 kind_names[tx_seeds[i].kind], n);
				exec_one(P_TX, &t, &e, desc, M_RECORD);
			}
		}
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Minimisation of a failing input                                                            */

#define MIN_BUDGET 20000

static bool still_fails(const struct fcase *c, const struct pkt *p, uint32_t want)
{
	min_execs++;
	return exec_one(c->prog, p, &c->env, c->desc, M_QUIET) & want;
}

/*
 * Cut n bytes off the end and keep the lengths that matched the packet matching it: the
 * outer (or tenant) IP total length, STT's SEQ frame length or GUE's UDP length, the inner
 * IP total length.
 */
static void shrink_tail(const struct pkt *old, struct pkt *t, size_t n, int prog)
{
	size_t len = old->len - n;

	*t = *old;
	t->len = len;
	if (prog != P_TX && len >= 54 && get16(old->d, 12) == 0x86dd) {
		/* Over IPv6: the payload length, SEQ behind the IPv6 header. */
		if (get16(old->d, 18) + 54u == old->len)
			set16(t, 18, (uint16_t)(len - 54));
		if (old->d[20] == 17 && len >= 60 && get16(old->d, 58) + 54u == old->len)
			set16(t, 58, (uint16_t)(len - 54));
		if (len >= 78 && old->len >= 74 && STT_SEQ_LEN(get32(old->d, 58)) == old->len - 74)
			set32(t, 58, STT_SEQ(len - 74, STT_SEQ_OFF(get32(old->d, 58))));
		return;
	}
	if (len >= 18 && get16(old->d, 16) + 14u == old->len)
		set16(t, 16, (uint16_t)(len - 14));
	if (prog == P_TX)
		return;
	if (len >= 40 && old->d[23] == 17 && get16(old->d, 38) + 34u == old->len)
		set16(t, 38, (uint16_t)(len - 34));
	if (len >= 58 && old->len >= 54 && STT_SEQ_LEN(get32(old->d, 38)) == old->len - 54)
		set32(t, 38, STT_SEQ(len - 54, STT_SEQ_OFF(get32(old->d, 38))));
	if (len >= 90 && get16(old->d, 12) == 0x0800 && get16(old->d, 84) == 0x0800 &&
	    get16(old->d, 88) + 86u == old->len)
		set16(t, 88, (uint16_t)(len - 86));
}

static void minimise(const struct fcase *c, uint32_t want, struct pkt *best)
{
	static struct pkt t;
	unsigned long start = min_execs;

	*best = c->in;
	/* Shorter, lengths kept consistent. */
	for (size_t chunk = 2048; chunk; chunk /= 2)
		while (best->len >= ETH_LEN + chunk && min_execs - start < MIN_BUDGET) {
			shrink_tail(best, &t, chunk, c->prog);
			if (!still_fails(c, &t, want))
				break;
			*best = t;
		}
	/* The shortest failing prefix. */
	for (size_t n = ETH_LEN; n < best->len && min_execs - start < MIN_BUDGET; n++) {
		t.len = n;
		memcpy(t.d, best->d, n);
		if (still_fails(c, &t, want)) {
			*best = t;
			break;
		}
	}
	/* Chunks removed. */
	for (size_t chunk = 64; chunk; chunk /= 4) {
		for (size_t off = 0; off + chunk <= best->len && min_execs - start < MIN_BUDGET;) {
			t = *best;
			pkt_remove(&t, off, chunk);
			if (t.len >= ETH_LEN && still_fails(c, &t, want))
				*best = t;
			else
				off += chunk;
		}
	}
	/* Bytes zeroed. */
	for (size_t i = 0; i < best->len && min_execs - start < MIN_BUDGET; i++) {
		if (!best->d[i])
			continue;
		t = *best;
		t.d[i] = 0;
		if (still_fails(c, &t, want))
			*best = t;
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Counters over the whole run                                                                 */

static void check_sums(void)
{
	__u64 drops[P_MAX] = {};

	for (int p = 0; p < P_MAX; p++)
		for (int i = STT_C_DROP_BASE; i < STT_NR_COUNTERS; i++)
			drops[p] += sums[p][i];

	R.mode = M_RECORD;
	R.in = NULL;
	check(G_SUMS);
	/*
	 * stt_xdp_rx: each input is passed as not STT (pass), dropped by the parser (a drop),
	 * or counted as a segment (rx_segments); a segment is then delivered (rx_frames =
	 * rx_xdp_frames), dropped for its context, its sender or ECN (unknown_context,
	 * peer_denied, ecn_ce_not_ect: a second counter for the same input) or passed on to TC.
	 * So drops + delivered + passed = inputs.
	 */
	{
		const __u64 *s = sums[P_XDP];
		/* Drops of a frame already counted as a segment (its context, its sender, ECN). */
		__u64 after_seg = s[DROP(UNKNOWN_CTX)] + s[DROP(RX_ERROR)] + s[DROP(PEER_DENIED)] +
				  s[DROP(ECN_CE_NOT_ECT)];
		__u64 delivered = s[STT_C_RX_XDP_FRAMES];
		__u64 passed = s[STT_C_PASS] + (s[STT_C_RX_SEGMENTS] - delivered - after_seg);

		printf("# stt_xdp_rx: %llu drops + %llu delivered + %llu passed (%llu not STT, %llu "
		       "STT left to TC) = %llu; %lu inputs ran\n",
		       (unsigned long long)drops[P_XDP], (unsigned long long)delivered,
		       (unsigned long long)passed, (unsigned long long)s[STT_C_PASS],
		       (unsigned long long)(passed - s[STT_C_PASS]),
		       (unsigned long long)(drops[P_XDP] + delivered + passed), inputs_ran[P_XDP]);
		if (drops[P_XDP] + delivered + passed != inputs_ran[P_XDP])
			fail(G_SUMS, "stt_xdp_rx: drops + delivered + passed != inputs");
		if (s[STT_C_RX_FRAMES] != delivered)
			fail(G_SUMS, "stt_xdp_rx: rx_frames %llu != rx_xdp_frames %llu",
			     (unsigned long long)s[STT_C_RX_FRAMES], (unsigned long long)delivered);
		if (drops[P_XDP] != verdicts[P_XDP][XDP_DROP] ||
		    delivered != verdicts[P_XDP][XDP_REDIRECT] ||
		    passed != verdicts[P_XDP][XDP_PASS])
			fail(G_SUMS, "stt_xdp_rx: counters disagree with the verdicts");
		if (s[STT_C_PASS] + s[STT_C_RX_SEGMENTS] + drops[P_XDP] - after_seg !=
		    inputs_ran[P_XDP])
			fail(G_SUMS, "stt_xdp_rx: pass + rx_segments + parser drops != inputs");
	}
	/*
	 * stt_tc_rx (no XDP flag in stt_cfg, as on a veth underlay): each input moves pass
	 * (not STT) or rx_segments (STT); an STT input is then delivered (rx_frames), handed
	 * to sttd (rx_to_sttd) or dropped (one drop counter).
	 */
	{
		const __u64 *s = sums[P_TC_RX];
		__u64 delivered = s[STT_C_RX_FRAMES], sttd = s[STT_C_RX_TO_STTD];

		printf("# stt_tc_rx: %llu drops + %llu delivered + %llu to sttd + %llu passed (%lu of "
		       "them uncounted: STT_CFG_XDP) = %llu; %lu inputs ran\n",
		       (unsigned long long)drops[P_TC_RX], (unsigned long long)delivered,
		       (unsigned long long)sttd, (unsigned long long)s[STT_C_PASS] + tc_flag_ok,
		       tc_flag_ok,
		       (unsigned long long)(drops[P_TC_RX] + delivered + sttd + s[STT_C_PASS] +
					    tc_flag_ok),
		       inputs_ran[P_TC_RX]);
		if (drops[P_TC_RX] + delivered + sttd + s[STT_C_PASS] + tc_flag_ok !=
		    inputs_ran[P_TC_RX])
			fail(G_SUMS, "stt_tc_rx: drops + delivered + to sttd + passed != inputs");
		if (s[STT_C_PASS] + s[STT_C_RX_SEGMENTS] + tc_flag_runs != inputs_ran[P_TC_RX])
			fail(G_SUMS, "stt_tc_rx: pass + rx_segments != inputs (without STT_CFG_XDP)");
		if (s[STT_C_PASS] + tc_flag_ok != verdicts[P_TC_RX][TC_ACT_OK] ||
		    delivered != verdicts[P_TC_RX][TC_ACT_REDIRECT] ||
		    drops[P_TC_RX] + sttd != verdicts[P_TC_RX][TC_ACT_SHOT])
			fail(G_SUMS, "stt_tc_rx: counters disagree with the verdicts");
	}
	/*
	 * stt_tc_tx: each frame is dropped before encapsulation (one drop counter) or
	 * encapsulated (tx_frames); an encapsulated frame is cut (tx_cut_frames, redirected to
	 * the vport for the passes) or sent as one segment per copy, each copy leaving
	 * (tx_segments) or dropped (a drop counter for an input already counted in tx_frames:
	 * tx_no_neigh for flood copies but the last and frames bpf_redirect_neigh cannot take,
	 * tx_family, tx_no_remote6 for an index with no address). A REDIRECT sent something.
	 */
	{
		const __u64 *s = sums[P_TX];
		__u64 early = drops[P_TX] - tx_copy_drops;
		__u64 frames = s[STT_C_TX_FRAMES], cut = s[STT_C_TX_CUT_FRAMES];
		__u64 segs = s[STT_C_TX_SEGMENTS];

		printf("# stt_tc_tx: %llu dropped before encapsulation + %llu encapsulated (%llu to "
		       "IPv6 remotes; %llu cut, %llu copies sent as a segment) = %llu; %lu inputs ran; "
		       "%llu drops of copies (%llu tx_no_neigh, %llu tx_family)\n",
		       (unsigned long long)early, (unsigned long long)frames,
		       (unsigned long long)s[STT_C_TX_FRAMES6], (unsigned long long)cut,
		       (unsigned long long)segs, (unsigned long long)(early + frames),
		       inputs_ran[P_TX], (unsigned long long)tx_copy_drops,
		       (unsigned long long)s[DROP(TX_NO_NEIGH)], (unsigned long long)s[DROP(TX_FAMILY)]);
		if (early + frames != inputs_ran[P_TX])
			fail(G_SUMS, "stt_tc_tx: early drops + tx_frames != inputs");
		if (tx_sum_bad)
			fail(G_SUMS, "stt_tc_tx: %lu runs whose counters disagree with the verdict",
			     tx_sum_bad);
		if (s[STT_C_TX_FRAMES6] > frames)
			fail(G_SUMS, "stt_tc_tx: tx_frames6 > tx_frames");
	}
	/* Cut passes: each sends one segment (tx_segments) or is dropped (one drop counter). */
	{
		const __u64 *s = sums[P_CUT];

		printf("# stt_tc_tx cut passes: %llu segments sent + %llu drops = %llu; %lu passes ran "
		       "for %llu cut frames\n",
		       (unsigned long long)s[STT_C_TX_SEGMENTS], (unsigned long long)drops[P_CUT],
		       (unsigned long long)(s[STT_C_TX_SEGMENTS] + drops[P_CUT]), inputs_ran[P_CUT],
		       (unsigned long long)sums[P_TX][STT_C_TX_CUT_FRAMES]);
		if (s[STT_C_TX_SEGMENTS] + drops[P_CUT] != inputs_ran[P_CUT] ||
		    s[STT_C_TX_SEGMENTS] != verdicts[P_CUT][TC_ACT_REDIRECT])
			fail(G_SUMS, "stt_tc_tx cut passes: segments + drops != passes");
	}
}

/* ------------------------------------------------------------------------------------------ */

/* What the receive model classified (per program), and the transmit side's cut and IPv6 runs. */
static void print_classes(void)
{
	printf("# model classes (xdp / tc): ");
	for (int c = 0; c < RX_CLASSES; c++)
		printf("%s%s %lu/%lu", c ? ", " : "", rx_class_names[c], rx_classes[0][c],
		       rx_classes[1][c]);
	printf("; tx frames cut: %lu (passes not run for %lu: pass 1's output exceeds what "
	       "test_run takes)\n",
	       tx_cut_runs, cut_chains_skipped);
	printf("# IPv6 underlay: model classes (xdp / tc): ");
	for (int c = 0; c < RX_CLASSES; c++)
		printf("%s%s %lu/%lu", c ? ", " : "", rx_class_names[c], rx_v6_classes[0][c],
		       rx_v6_classes[1][c]);
	printf("; packet too big: %lu taken, %lu ignored; tx to IPv6 remotes: %lu sent, %lu "
	       "dropped\n",
	       ptb_runs[1], ptb_runs[0], tx_v6_runs[1], tx_v6_runs[0]);
	/* GUE is never a segment, and "not ours" is not told from other UDP. */
	printf("# GUE over IPv6 (xdp / tc): dropped by the parser %lu/%lu, whole frames %lu/%lu, "
	       "delivered %lu/%lu\n",
	       rx_gue6_classes[0][RX_DROP], rx_gue6_classes[1][RX_DROP],
	       rx_gue6_classes[0][RX_FRAME], rx_gue6_classes[1][RX_FRAME], rx_gue6_delivered[0],
	       rx_gue6_delivered[1]);
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-n N] [-s SEED] [-k] [-v]\n", prog);
	exit(2);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned long n = 5000, seed = 0x5354545f46555aULL; /* "STT_FUZ" */
	static struct pkt in;
	struct env e;
	char desc[200];
	int rc, passed = 0, failed = 0, opt;
	double t0, t1, t2;
	counters_t total0, total1;

	while ((opt = getopt(argc, argv, "n:s:kvh")) != -1) {
		switch (opt) {
		case 'k':
			known_strict = true;
			break;
		case 'n':
			n = strtoul(optarg, NULL, 0);
			break;
		case 's':
			seed = strtoul(optarg, NULL, 0);
			break;
		case 'v':
			T.verbose = 1;
			break;
		default:
			usage(argv[0]);
		}
	}
	if (optind != argc)
		usage(argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(libbpf_print);
	local4 = htonl(0xc6120001);
	remote4 = htonl(0xc6120002);
	remote4b = htonl(0xc6120003);
	group4 = htonl(0xef010203);
	group4b = htonl(0xef010204);

	t0 = now();
	rc = setup();
	if (rc > 0) {
		printf("ok 1 - setup # SKIP %s\n", T.skip);
		printf("0 passed, 0 failed, 1 skipped\n");
		return 0;
	}
	if (rc < 0 || populate_maps() || !read_counters(total0)) {
		printf("not ok 1 - %s\n", group_names[G_SETUP]);
		printf("0 passed, 1 failed\n");
		return 1;
	}
	printf("# seed 0x%lx, %lu iterations; CPU %d; test_run limits: TC %zu bytes, XDP linear %zu "
	       "(more goes to fragments)\n",
	       seed, n, cur_cpu, tc_limit, xdp_linear);
	G[G_SETUP].checks++;

	phase_seeds();
	rng_state = seed;
	for (unsigned long i = 0; i < n; i++) {
		e = cur_env;
		gen_rx(&in, &e, desc, sizeof(desc));
		exec_rx_both(&in, &e, desc);
		gen_tx(&in, &e, desc, sizeof(desc));
		exec_one(P_TX, &in, &e, desc, M_RECORD);
		if (T.verbose && (i + 1) % 100000 == 0)
			printf("# %lu iterations, %.1f s\n", i + 1, now() - t0);
	}
	t1 = now();

	/* Everything the programs counted is what the runs saw. */
	if (!read_counters(total1))
		fail(G_SUMS, "reading stt_stats failed");
	for (int i = 0; i < STT_NR_COUNTERS; i++) {
		__u64 s = sums[P_XDP][i] + sums[P_TC_RX][i] + sums[P_TX][i] + sums[P_CUT][i];

		if (total1[i] - total0[i] != s)
			fail(G_SUMS, "%s moved by %llu in all, the runs saw %llu", counter_name(i),
			     (unsigned long long)(total1[i] - total0[i]), (unsigned long long)s);
	}
	check_sums();

	/* Minimal inputs for the first failure of each group. */
	for (int g = 0; g < G_MAX; g++) {
		static struct pkt best;
		const struct fcase *c = &first_fail[g];
		char e_s[192];

		if (!c->used)
			continue;
		minimise(c, 1u << g, &best);
		env_str(&c->env, c->prog, e_s, sizeof(e_s));
		printf("# minimal input for [%s]: %s, %s, %zu bytes (from %s, %zu bytes):\n",
		       group_names[g], prog_names[c->prog], e_s, best.len, c->desc, c->in.len);
		print_hex("#     ", best.d, best.len, PKT_MAX);
		/* Shown again: what was expected and what came out. */
		exec_one(c->prog, &best, &c->env, "minimal", M_REPLAY);
	}
	R.mode = M_RECORD;
	t2 = now();

	for (int g = 0; g < G_MAX; g++) {
		bool ok = G[g].fails == 0;

		printf("%s %d - %s (%lu checks", ok ? "ok" : "not ok", g + 1, group_names[g],
		       G[g].checks);
		if (!ok)
			printf(", %lu failed", G[g].fails);
		printf(")\n");
		if (ok)
			passed++;
		else
			failed++;
	}

	printf("# executions: %lu (stt_xdp_rx %lu, stt_tc_rx %lu, stt_tc_tx %lu + %lu cut passes), "
	       "%lu more to minimise; %.1f s fuzzing, %.1f s in all\n",
	       execs[P_XDP] + execs[P_TC_RX] + execs[P_TX] + execs[P_CUT], execs[P_XDP],
	       execs[P_TC_RX], execs[P_TX], execs[P_CUT], min_execs, t1 - t0, t2 - t0);
	printf("# stt_xdp_rx verdicts: XDP_PASS %lu, XDP_DROP %lu, XDP_REDIRECT %lu, other %lu, "
	       "EINVAL %lu (%lu multi-buffer inputs)\n",
	       verdicts[P_XDP][XDP_PASS], verdicts[P_XDP][XDP_DROP], verdicts[P_XDP][XDP_REDIRECT],
	       inputs_ran[P_XDP] - verdicts[P_XDP][XDP_PASS] - verdicts[P_XDP][XDP_DROP] -
		   verdicts[P_XDP][XDP_REDIRECT],
	       einval[P_XDP], xdp_multibuf);
	for (int p = P_TC_RX; p <= P_CUT; p++)
		printf("# %s verdicts: TC_ACT_UNSPEC/OK %lu, TC_ACT_SHOT %lu, TC_ACT_REDIRECT %lu, other "
		       "%lu, EINVAL %lu\n",
		       prog_names[p], verdicts[p][TC_ACT_OK], verdicts[p][TC_ACT_SHOT],
		       verdicts[p][TC_ACT_REDIRECT],
		       inputs_ran[p] - verdicts[p][TC_ACT_OK] - verdicts[p][TC_ACT_SHOT] -
			   verdicts[p][TC_ACT_REDIRECT],
		       einval[p]);
	print_classes();
	printf("# drops by reason (xdp / tc_rx / tc_tx):");
	for (int i = STT_C_DROP_BASE; i < STT_NR_COUNTERS; i++)
		if (sums[P_XDP][i] + sums[P_TC_RX][i] + sums[P_TX][i] + sums[P_CUT][i])
			printf(" %s %llu/%llu/%llu;", counter_name(i) + 5,
			       (unsigned long long)sums[P_XDP][i], (unsigned long long)sums[P_TC_RX][i],
			       (unsigned long long)(sums[P_TX][i] + sums[P_CUT][i]));
	putchar('\n');
	if (lco_premise_broken)
		printf("# %lu encapsulated frames had an inner TCP/UDP checksum that was neither "
		       "complete nor the offload seed: their outer TCP checksum is right for the "
		       "frame with a correct inner checksum, not for their bytes (local checksum "
		       "offload, docs/DESIGN.md)\n",
		       lco_premise_broken);
	for (size_t k = 0, n = sizeof(known) / sizeof(known[0]); k + 1 <= n; k++)
		if (known[k].hits)
			printf("# TODO known bug %s: %lu runs (first: %s); -k makes them failures\n",
			       known[k].name, known[k].hits, known[k].first);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

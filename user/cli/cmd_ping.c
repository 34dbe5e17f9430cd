// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * sttctl ping: reachability and round-trip time of a remote endpoint, for one context,
 * through the tunnel itself (OAM, include/stt_proto.h).
 *
 * Each probe is a valid one-segment STT frame of the context carrying an IEEE 802.1ag CFM
 * Loopback Message to the reserved OAM MAC, sent through a raw IP socket with the IP header
 * included (IPv4, or IPv6 to an IPv6 remote, from stt_cfg6's local6): the kernel routes it
 * and resolves the next hop (ARP or neighbour discovery) like any STT segment. The remote
 * endpoint's stt_tc_rx answers with a Loopback Reply (outer addresses swapped, opcode 3 ->
 * 2); this endpoint's stt_tc_rx consumes the reply, and this command reads it from a packet
 * socket on the underlay, which sees packets ahead of TC. No tenant ever sees either.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <json-c/json.h>
#include "cli.h"
#include "remote.h"

#define CFM_LEN     9 /* MD level/version, opcode, flags, TLV offset, transaction ID, End TLV */
#define PROBE_INNER (14 + CFM_LEN)
#define PROBE_STT   (sizeof(struct stt_hdr) + PROBE_INNER)
#define PROBE_LEN   (20 + 20 + PROBE_STT)
#define PROBE6_LEN  (40 + 20 + PROBE_STT)

static void ping_help(FILE *f)
{
	fprintf(
	    f, "  Send N (default 3) OAM probes of context ID to the endpoint ADDR through the\n"
	       "  tunnel and report each reply's round-trip time. A probe is a valid STT frame\n"
	       "  carrying an 802.1ag CFM loopback message to a reserved MAC: the remote endpoint\n"
	       "  answers it if it has a vport for the context (and, with strict peers, accepts\n"
	       "  this endpoint), and no tenant ever sees it. ADDR is an IPv4 or an IPv6\n"
	       "  address (IPv6: the endpoint needs an IPv6 local address). Exit status 0 if any\n"
	       "  probe was answered, 1 otherwise.\n");
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The checksum field for a sum (common.h's ones' complement helpers). */
static uint16_t fold(uint32_t sum)
{
	return (uint16_t)~csum_fold(sum);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, (uint16_t)v);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * What follows the IP header of a probe: TCP + STT + inner Ethernet + CFM LBM. pseudo is the
 * sum of the pseudo header's addresses (IPv4 or IPv6); the TCP checksum is complete.
 */
static void build_probe_tcp(uint8_t *tcp, uint32_t pseudo, const struct stt_cfg *cfg, __u64 ctx,
                            uint16_t sport, uint32_t frame_id, uint32_t xid)
{
	static const uint8_t oam[6] = STT_OAM_MAC;
	uint8_t *stt = tcp + 20, *in = stt + sizeof(struct stt_hdr);
	__u64 ctx_be = htobe64(ctx);

	memset(tcp, 0, 20 + PROBE_STT);
	put16(tcp, sport);
	put16(tcp + 2, cfg->port);
	put32(tcp + 4, STT_SEQ(PROBE_STT, 0));
	put32(tcp + 8, frame_id);
	tcp[12] = 5 << 4;
	tcp[13] = STT_TCP_ACK | STT_TCP_PSH;

	stt[0] = STT_VERSION; /* flags, L4 offset, MSS, VLAN: 0 (not IP) */
	memcpy(stt + 8, &ctx_be, 8);

	memcpy(in, oam, 6);
	memcpy(in + 6, oam, 6);
	put16(in + 12, STT_OAM_ETHERTYPE);
	in[14] = 0;           /* MD level 0, version 0 */
	in[15] = STT_CFM_LBM; /* opcode */
	in[16] = 0;           /* flags */
	in[17] = 4;           /* first TLV offset */
	put32(in + 18, xid);  /* transaction ID; in[22] = End TLV (0) */

	/* The pseudo header's length and protocol are the same sum for IPv4 and IPv6. */
	put16(tcp + 16, fold(csum_add(pseudo + IPPROTO_TCP + 20 + PROBE_STT, tcp, 20 + PROBE_STT)));
}

/* One probe: IPv4 + TCP + STT + inner Ethernet + CFM LBM, checksums complete. */
static void build_probe(uint8_t *b, const struct stt_cfg *cfg, __be32 remote, __u64 ctx,
                        uint16_t sport, uint32_t frame_id, uint32_t xid)
{
	uint8_t *ip = b;

	memset(b, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, PROBE_LEN);
	put16(ip + 4, (uint16_t)frame_id);
	put16(ip + 6, 0x4000); /* DF, like every STT segment */
	ip[8] = cfg->ttl ? cfg->ttl : 64;
	ip[9] = IPPROTO_TCP;
	memcpy(ip + 12, &cfg->local4, 4);
	memcpy(ip + 16, &remote, 4);
	put16(ip + 10, fold(csum_add(0, ip, 20)));
	build_probe_tcp(ip + 20, csum_add(0, ip + 12, 8), cfg, ctx, sport, frame_id, xid);
}

/*
 * One probe over IPv6: IPv6 (traffic class 0, flow label 0, next header TCP, hop limit the
 * endpoint's TTL or 64, from local6) + the same TCP + STT + CFM LBM.
 */
static void build_probe6(uint8_t *b, const struct stt_cfg *cfg, const struct stt_addr6 *local6,
                         const struct stt_addr6 *remote6, __u64 ctx, uint16_t sport,
                         uint32_t frame_id, uint32_t xid)
{
	uint8_t *ip = b;

	memset(b, 0, 40);
	ip[0] = 0x60;
	put16(ip + 4, 20 + PROBE_STT); /* payload length */
	ip[6] = IPPROTO_TCP;
	ip[7] = cfg->ttl ? cfg->ttl : 64;
	memcpy(ip + 8, local6, 16);
	memcpy(ip + 24, remote6, 16);
	build_probe_tcp(ip + 40, csum_add(0, ip + 8, 32), cfg, ctx, sport, frame_id, xid);
}

/* Whether TCP + STT + CFM (at tcp, the whole probe length there) answer probe (frame_id, xid). */
static bool is_reply_tcp(const uint8_t *tcp, const struct stt_cfg *cfg, __u64 ctx,
                         uint32_t frame_id, uint32_t xid)
{
	const uint8_t *stt = tcp + 20, *in = stt + sizeof(struct stt_hdr);
	__u64 ctx_be = htobe64(ctx);

	return tcp[2] == (cfg->port >> 8) && tcp[3] == (uint8_t)cfg->port &&
	       get32(tcp + 8) == frame_id && !memcmp(stt + 8, &ctx_be, 8) && in[12] == 0x89 &&
	       in[13] == 0x02 && in[15] == STT_CFM_LBR && get32(in + 18) == xid;
}

/* Whether an Ethernet frame is the reply to probe (frame_id, xid). */
static bool is_reply(const uint8_t *f, size_t len, const struct stt_cfg *cfg, __be32 remote,
                     __u64 ctx, uint32_t frame_id, uint32_t xid)
{
	const uint8_t *ip = f + 14;
	size_t ihl;

	if (len < 14 + PROBE_LEN || f[12] != 0x08 || f[13] != 0x00 || (ip[0] >> 4) != 4 ||
	    ip[9] != IPPROTO_TCP)
		return false;
	ihl = (ip[0] & 0x0f) * 4u;
	if (ihl != 20 || memcmp(ip + 12, &remote, 4) || memcmp(ip + 16, &cfg->local4, 4))
		return false;
	return is_reply_tcp(ip + ihl, cfg, ctx, frame_id, xid);
}

/* The same over IPv6: from remote6 to local6, no extension header. */
static bool is_reply6(const uint8_t *f, size_t len, const struct stt_cfg *cfg,
                      const struct stt_addr6 *local6, const struct stt_addr6 *remote6, __u64 ctx,
                      uint32_t frame_id, uint32_t xid)
{
	const uint8_t *ip = f + 14;

	if (len < 14 + PROBE6_LEN || f[12] != 0x86 || f[13] != 0xdd || (ip[0] >> 4) != 6 ||
	    ip[6] != IPPROTO_TCP || memcmp(ip + 8, remote6, 16) || memcmp(ip + 24, local6, 16))
		return false;
	return is_reply_tcp(ip + 40, cfg, ctx, frame_id, xid);
}

/*
 * The endpoint's IPv6 local address (pinned stt_cfg6), for probes to an IPv6 remote.
 * Returns 0, or -1 after saying why there is none.
 */
static int local6_get(struct stt_state *st, const char *raddr, struct stt_addr6 *local6)
{
	struct stt_cfg6 c6;

	if (st->cfg6_fd < 0) {
		err_msg("cannot ping %s: this attachment has no IPv6 underlay maps "
		        "(re-run 'sttctl attach')",
		        raddr);
		return -1;
	}
	if (state_get_cfg6(st, &c6) || !(c6.flags & STT_CFG6_LOCAL)) {
		err_msg("cannot ping %s: the endpoint has no IPv6 local address "
		        "(attach it with one)",
		        raddr);
		return -1;
	}
	*local6 = c6.local6;
	return 0;
}

/*
 * --remote: an IPv4 or IPv6 address (*v6 set) that can name another endpoint: the rules
 * every other command applies (remote.h), and no multicast group (a group does not answer).
 */
static int ping_parse_remote(const char *v, __be32 *remote, struct stt_addr6 *remote6, bool *v6)
{
	struct stt_addr6 a;
	const char *why = raddr_parse(v, &a);

	if (!why && raddr_is_mcast(&a))
		why = "a multicast group: ping one endpoint";
	if (why) {
		err_msg("cannot ping '%s': %s", v, why);
		return -1;
	}
	*v6 = !raddr_is4(&a);
	if (*v6)
		*remote6 = a;
	else
		*remote = a.a[3];
	return 0;
}

/* One ping run: its options, the underlay, the sockets, the tally. */
struct ping {
	unsigned long count;
	double interval, timeout;
	const char *raddr;
	bool have_ctx, v6;
	__u64 ctx;
	__be32 remote;
	struct stt_addr6 local6, remote6;
	struct stt_cfg cfg;
	int rx, tx;
	uint16_t sport;
	unsigned long sent, got;
	double min, max, total;
	struct json_object *replies;
};

/* --interval and --timeout: 0.01 .. 60 seconds. */
static int opt_secs(const char *opt, const char *v, double *out)
{
	char *end;
	double d = strtod(v, &end);

	if (!*v || *end || !(d >= 0.01 && d <= 60)) {
		err_msg("invalid %s '%s': expected 0.01 .. 60 seconds", opt, v);
		return -1;
	}
	*out = d;
	return 0;
}

static int ping_opt(struct ping *p, int o, const char *v)
{
	switch (o) {
	case 'c':
		p->have_ctx = true;
		return parse_context(v, &p->ctx);
	case 'r':
		p->raddr = v;
		return ping_parse_remote(v, &p->remote, &p->remote6, &p->v6);
	case 'n':
		return cmd_num(v, 100000, "invalid --count 0", &p->count);
	case 'i':
		return opt_secs("--interval", v, &p->interval);
	case 't':
		return opt_secs("--timeout", v, &p->timeout);
	case 'j':
		g_opts.json = true;
	}
	return 0;
}

static int ping_opts(const struct cmd *c, int argc, char **argv, struct ping *p)
{
	static const struct option opts[] = {
	    {"context", required_argument, NULL, 'c'},
	    {"remote", required_argument, NULL, 'r'},
	    {"count", required_argument, NULL, 'n'},
	    {"interval", required_argument, NULL, 'i'},
	    {"timeout", required_argument, NULL, 't'},
	    {"json", no_argument, NULL, 'j'},
	    CMD_OPT_HELP,
	    {},
	};
	int o;

	while ((o = cmd_getopt(c, argc, argv, "jh", opts)) != -1) {
		if (o == CMD_HELP || o == CMD_BAD)
			return o;
		if (ping_opt(p, o, optarg))
			return CMD_BAD;
	}
	if (cmd_args(c, argc, argv, NULL, 0))
		return CMD_BAD;
	if (!p->have_ctx || !p->raddr)
		return cmd_bad(c, "ping: --context ID and --remote ADDR are needed"), CMD_BAD;
	return 0;
}

/* The attachment (underlay, local IPv6 address) and the probe sockets. */
static int ping_setup(struct ping *p)
{
	/* ETH_P_ALL: only such taps run ahead of TC ingress, which consumes the reply. */
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL)};
	char ifname[IF_NAMESIZE];
	struct stt_state st;

	if (state_open(&st, true))
		return -1;
	if (state_get_cfg(&st, &p->cfg) || !p->cfg.ifindex) {
		err_msg("cannot ping: this namespace is not attached (run 'sttctl attach DEV')");
		state_close(&st);
		return -1;
	}
	if (p->v6 && local6_get(&st, p->raddr, &p->local6)) {
		state_close(&st);
		return -1;
	}
	state_close(&st);
	p->rx = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	/* IPPROTO_RAW: the IP header is ours (IP_HDRINCL; for IPv6, IPV6_HDRINCL implied). */
	p->tx = socket(p->v6 ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	sll.sll_ifindex = p->cfg.ifindex;
	if (p->rx < 0 || p->tx < 0 || bind(p->rx, (struct sockaddr *)&sll, sizeof(sll)) ||
	    !if_indextoname(p->cfg.ifindex, ifname) ||
	    setsockopt(p->tx, SOL_SOCKET, SO_BINDTODEVICE, ifname, strlen(ifname) + 1)) {
		err_msg("cannot ping: opening the probe sockets: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Probe seq sent; -1 (said) if it cannot be. */
static int ping_send(struct ping *p, unsigned long seq, uint32_t frame_id)
{
	struct sockaddr_in dst = {.sin_family = AF_INET, .sin_addr.s_addr = p->remote};
	struct sockaddr_in6 dst6 = {.sin6_family = AF_INET6};
	uint8_t probe[PROBE6_LEN];
	ssize_t sn;

	memcpy(&dst6.sin6_addr, &p->remote6, 16);
	dst6.sin6_scope_id = p->cfg.ifindex; /* used only for a link-local remote */
	if (p->v6) {
		build_probe6(probe, &p->cfg, &p->local6, &p->remote6, p->ctx, p->sport, frame_id,
		             (uint32_t)seq);
		sn = sendto(p->tx, probe, PROBE6_LEN, 0, (struct sockaddr *)&dst6, sizeof(dst6));
	} else {
		build_probe(probe, &p->cfg, p->remote, p->ctx, p->sport, frame_id, (uint32_t)seq);
		sn = sendto(p->tx, probe, PROBE_LEN, 0, (struct sockaddr *)&dst, sizeof(dst));
	}
	if (sn < 0) {
		err_msg("cannot ping %s: %s", p->raddr, strerror(errno));
		return -1;
	}
	p->sent++;
	return 0;
}

/* The reply to probe seq before the deadline: its round-trip time, or -1. */
static double ping_wait(struct ping *p, unsigned long seq, uint32_t frame_id, double t0)
{
	double deadline = t0 + p->timeout * 1e3;
	uint8_t buf[2048];

	for (;;) {
		struct pollfd pfd = {.fd = p->rx, .events = POLLIN};
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		double left = deadline - now_ms();
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)left + 1) <= 0)
			return -1;
		n = recvfrom(p->rx, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (n > 0 && from.sll_pkttype != PACKET_OUTGOING &&
		    (p->v6 ? is_reply6(buf, n, &p->cfg, &p->local6, &p->remote6, p->ctx, frame_id,
		                       (uint32_t)seq)
		           : is_reply(buf, n, &p->cfg, p->remote, p->ctx, frame_id, (uint32_t)seq)))
			return now_ms() - t0;
	}
}

/* One probe's result: counted, and printed (text) or kept (JSON). */
static void ping_result(struct ping *p, unsigned long seq, double rtt)
{
	if (rtt >= 0) {
		p->got++;
		p->total += rtt;
		p->min = p->got == 1 || rtt < p->min ? rtt : p->min;
		p->max = rtt > p->max ? rtt : p->max;
	}
	if (g_opts.json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "seq", json_object_new_int64(seq));
		json_object_object_add(o, "rtt_ms", rtt >= 0 ? json_object_new_double(rtt) : NULL);
		json_object_array_add(p->replies, o);
	} else if (rtt >= 0) {
		printf("reply from %s context %llu: seq=%lu time=%.3f ms\n", p->raddr,
		       (unsigned long long)p->ctx, seq, rtt);
	} else {
		printf("no reply from %s context %llu: seq=%lu (timeout %.2f s)\n", p->raddr,
		       (unsigned long long)p->ctx, seq, p->timeout);
	}
	fflush(stdout);
}

static void ping_summary(struct ping *p)
{
	struct json_object *o;
	char cbuf[24];

	if (!g_opts.json) {
		printf("%lu probes sent, %lu replies, %.0f%% loss", p->sent, p->got,
		       100.0 * (p->sent - p->got) / p->sent);
		if (p->got)
			printf(", rtt min/avg/max = %.3f/%.3f/%.3f ms", p->min, p->total / p->got,
			       p->max);
		putchar('\n');
		return;
	}
	o = json_object_new_object();
	snprintf(cbuf, sizeof(cbuf), "%llu", (unsigned long long)p->ctx);
	json_object_object_add(o, "remote", json_object_new_string(p->raddr));
	json_object_object_add(o, "context", json_object_new_string(cbuf));
	json_object_object_add(o, "sent", json_object_new_int64(p->sent));
	json_object_object_add(o, "received", json_object_new_int64(p->got));
	json_object_object_add(o, "loss_pct",
	                       json_object_new_double(100.0 * (p->sent - p->got) / p->sent));
	json_object_object_add(o, "rtt_min_ms", p->got ? json_object_new_double(p->min) : NULL);
	json_object_object_add(o, "rtt_avg_ms",
	                       p->got ? json_object_new_double(p->total / p->got) : NULL);
	json_object_object_add(o, "rtt_max_ms", p->got ? json_object_new_double(p->max) : NULL);
	json_object_object_add(o, "probes", p->replies);
	p->replies = NULL;
	json_out(o);
}

/* Every probe, a reply awaited for each, one per interval. */
static int ping_probes(struct ping *p)
{
	for (unsigned long seq = 1; seq <= p->count; seq++) {
		uint32_t frame_id = 0x4f000000u | ((getpid() & 0xff) << 16) | (seq & 0xffff);
		double t0 = now_ms();

		if (ping_send(p, seq, frame_id))
			return -1;
		ping_result(p, seq, ping_wait(p, seq, frame_id, t0));
		if (seq < p->count) {
			double wait = p->interval * 1e3 - (now_ms() - t0);

			if (wait > 0)
				usleep((useconds_t)(wait * 1e3));
		}
	}
	return 0;
}

static int ping_main(const struct cmd *c, int argc, char **argv)
{
	struct ping p = {
	    .count = 3,
	    .interval = 1.0,
	    .timeout = 1.0,
	    .rx = -1,
	    .tx = -1,
	    .sport = 49152 | (getpid() & 0x3fff),
	    .replies = json_object_new_array(),
	};
	int rc = ping_opts(c, argc, argv, &p);

	if (rc) {
		rc = rc == CMD_HELP ? 0 : 1;
	} else if (ping_setup(&p) || ping_probes(&p)) {
		rc = 1;
	} else {
		rc = p.got ? 0 : 1;
		ping_summary(&p);
	}
	if (p.replies)
		json_object_put(p.replies);
	if (p.rx >= 0)
		close(p.rx);
	if (p.tx >= 0)
		close(p.tx);
	return rc;
}

const struct cmd cmd_ping = {
    .name = "ping",
    .synopsis = "ping --context ID --remote ADDR [--count N] [--interval SECS]\n"
                "     [--timeout SECS]",
    .help = ping_help,
    .run = ping_main,
};

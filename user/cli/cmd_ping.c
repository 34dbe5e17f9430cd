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

#define CFM_LEN 9 /* MD level/version, opcode, flags, TLV offset, transaction ID, End TLV */
#define PROBE_INNER (14 + CFM_LEN)
#define PROBE_STT (sizeof(struct stt_hdr) + PROBE_INNER)
#define PROBE_LEN (20 + 20 + PROBE_STT)
#define PROBE6_LEN (40 + 20 + PROBE_STT)

static void ping_usage(void)
{
	fprintf(stderr,
		"Usage: sttctl ping --context ID --remote ADDR [--count N] [--interval SECS]\n"
		"                   [--timeout SECS]\n"
		"  Send N (default 3) OAM probes of context ID to the endpoint ADDR through the\n"
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
	in[14] = 0;	       /* MD level 0, version 0 */
	in[15] = STT_CFM_LBM; /* opcode */
	in[16] = 0;	       /* flags */
	in[17] = 4;	       /* first TLV offset */
	put32(in + 18, xid);   /* transaction ID; in[22] = End TLV (0) */

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
			"(re-run 'sttctl attach')", raddr);
		return -1;
	}
	if (state_get_cfg6(st, &c6) || !(c6.flags & STT_CFG6_LOCAL)) {
		err_msg("cannot ping %s: the endpoint has no IPv6 local address "
			"(attach it with one)", raddr);
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

int cmd_ping(int argc, char **argv)
{
	struct json_object *replies = json_object_new_array();
	/* ETH_P_ALL: only such taps run ahead of TC ingress, which consumes the reply. */
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	struct sockaddr_in dst = { .sin_family = AF_INET };
	struct sockaddr_in6 dst6 = { .sin6_family = AF_INET6 };
	struct stt_addr6 local6 = { 0 }, remote6 = { 0 };
	bool v6 = false;
	unsigned long count = 3;
	double interval = 1.0, timeout = 1.0, min = 0, max = 0, total = 0;
	const char *v, *raddr = NULL;
	bool have_ctx = false;
	struct stt_state st;
	struct stt_cfg cfg;
	__be32 remote = 0;
	__u64 ctx = 0;
	int rx = -1, tx = -1, rc = 1;
	unsigned long sent = 0, got = 0;
	char ifname[IF_NAMESIZE];
	uint16_t sport = 49152 | (getpid() & 0x3fff);

	for (int i = 0; i < argc; i++) {
		char *end;

		if (!strcmp(argv[i], "help") || !strcmp(argv[i], "--help")) {
			ping_usage();
			json_object_put(replies);
			return 0;
		} else if ((v = opt_value(argc, argv, &i, "--context"))) {
			if (parse_context(v, &ctx))
				goto out;
			have_ctx = true;
		} else if ((v = opt_value(argc, argv, &i, "--remote"))) {
			if (ping_parse_remote(v, &remote, &remote6, &v6))
				goto out;
			raddr = v;
		} else if ((v = opt_value(argc, argv, &i, "--count"))) {
			if (parse_uint(v, 100000, &count) || !count) {
				if (!count)
					err_msg("invalid --count 0");
				goto out;
			}
		} else if ((v = opt_value(argc, argv, &i, "--interval")) ||
			   (v = opt_value(argc, argv, &i, "--timeout"))) {
			double d = strtod(v, &end);

			if (!*v || *end || !(d >= 0.01 && d <= 60)) {
				err_msg("invalid %s '%s': expected 0.01 .. 60 seconds", argv[i - 1], v);
				goto out;
			}
			if (!strcmp(argv[i - 1], "--interval"))
				interval = d;
			else
				timeout = d;
		} else if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j")) {
			g_opts.json = true;
		} else {
			err_msg("ping: unexpected argument '%s'", argv[i]);
			goto out;
		}
	}
	if (!have_ctx || !raddr) {
		ping_usage();
		goto out;
	}
	if (state_open(&st, true))
		goto out;
	if (state_get_cfg(&st, &cfg) || !cfg.ifindex) {
		err_msg("cannot ping: this namespace is not attached (run 'sttctl attach DEV')");
		state_close(&st);
		goto out;
	}
	if (v6 && local6_get(&st, raddr, &local6)) {
		state_close(&st);
		goto out;
	}
	state_close(&st);

	rx = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	/* IPPROTO_RAW: the IP header is ours (IP_HDRINCL; for IPv6, IPV6_HDRINCL implied). */
	tx = socket(v6 ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	sll.sll_ifindex = cfg.ifindex;
	if (rx < 0 || tx < 0 || bind(rx, (struct sockaddr *)&sll, sizeof(sll)) ||
	    !if_indextoname(cfg.ifindex, ifname) ||
	    setsockopt(tx, SOL_SOCKET, SO_BINDTODEVICE, ifname, strlen(ifname) + 1)) {
		err_msg("cannot ping: opening the probe sockets: %s", strerror(errno));
		goto out;
	}
	dst.sin_addr.s_addr = remote;
	memcpy(&dst6.sin6_addr, &remote6, 16);
	dst6.sin6_scope_id = cfg.ifindex; /* used only for a link-local remote */

	for (unsigned long seq = 1; seq <= count; seq++) {
		uint8_t probe[PROBE6_LEN], buf[2048];
		uint32_t frame_id = 0x4f000000u | ((getpid() & 0xff) << 16) | (seq & 0xffff);
		double t0 = now_ms(), deadline = t0 + timeout * 1e3, rtt = -1;
		ssize_t sn;

		if (v6) {
			build_probe6(probe, &cfg, &local6, &remote6, ctx, sport, frame_id,
				     (uint32_t)seq);
			sn = sendto(tx, probe, PROBE6_LEN, 0, (struct sockaddr *)&dst6,
				    sizeof(dst6));
		} else {
			build_probe(probe, &cfg, remote, ctx, sport, frame_id, (uint32_t)seq);
			sn = sendto(tx, probe, PROBE_LEN, 0, (struct sockaddr *)&dst, sizeof(dst));
		}
		if (sn < 0) {
			err_msg("cannot ping %s: %s", raddr, strerror(errno));
			goto out;
		}
		sent++;
		for (;;) {
			struct pollfd pfd = { .fd = rx, .events = POLLIN };
			struct sockaddr_ll from;
			socklen_t fl = sizeof(from);
			double left = deadline - now_ms();
			ssize_t n;

			if (left <= 0 || poll(&pfd, 1, (int)left + 1) <= 0)
				break;
			n = recvfrom(rx, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
			if (n > 0 && from.sll_pkttype != PACKET_OUTGOING &&
			    (v6 ? is_reply6(buf, n, &cfg, &local6, &remote6, ctx, frame_id,
					    (uint32_t)seq)
				: is_reply(buf, n, &cfg, remote, ctx, frame_id, (uint32_t)seq))) {
				rtt = now_ms() - t0;
				break;
			}
		}
		if (rtt >= 0) {
			got++;
			total += rtt;
			min = got == 1 || rtt < min ? rtt : min;
			max = rtt > max ? rtt : max;
		}
		if (g_opts.json) {
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "seq", json_object_new_int64(seq));
			json_object_object_add(o, "rtt_ms", rtt >= 0 ? json_object_new_double(rtt) : NULL);
			json_object_array_add(replies, o);
		} else if (rtt >= 0) {
			printf("reply from %s context %llu: seq=%lu time=%.3f ms\n", raddr,
			       (unsigned long long)ctx, seq, rtt);
		} else {
			printf("no reply from %s context %llu: seq=%lu (timeout %.2f s)\n", raddr,
			       (unsigned long long)ctx, seq, timeout);
		}
		fflush(stdout);
		if (seq < count) {
			double wait = interval * 1e3 - (now_ms() - t0);

			if (wait > 0)
				usleep((useconds_t)(wait * 1e3));
		}
	}
	rc = got ? 0 : 1;
	if (g_opts.json) {
		struct json_object *o = json_object_new_object();
		char cbuf[24];

		snprintf(cbuf, sizeof(cbuf), "%llu", (unsigned long long)ctx);
		json_object_object_add(o, "remote", json_object_new_string(raddr));
		json_object_object_add(o, "context", json_object_new_string(cbuf));
		json_object_object_add(o, "sent", json_object_new_int64(sent));
		json_object_object_add(o, "received", json_object_new_int64(got));
		json_object_object_add(o, "loss_pct",
				       json_object_new_double(100.0 * (sent - got) / sent));
		json_object_object_add(o, "rtt_min_ms", got ? json_object_new_double(min) : NULL);
		json_object_object_add(o, "rtt_avg_ms",
				       got ? json_object_new_double(total / got) : NULL);
		json_object_object_add(o, "rtt_max_ms", got ? json_object_new_double(max) : NULL);
		json_object_object_add(o, "probes", replies);
		replies = NULL;
		json_out(o);
	} else {
		printf("%lu probes sent, %lu replies, %.0f%% loss", sent, got,
		       100.0 * (sent - got) / sent);
		if (got)
			printf(", rtt min/avg/max = %.3f/%.3f/%.3f ms", min, total / got, max);
		putchar('\n');
	}
out:
	if (replies)
		json_object_put(replies);
	if (rx >= 0)
		close(rx);
	if (tx >= 0)
		close(tx);
	return rc;
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * sttd: reassembles the STT frames that GRO left in pieces, and delivers them.
 *
 * stt_tc_rx hands every piece of an incomplete frame to a perf buffer (stt_reasm_events);
 * sttd feeds them to the reassembly engine (reasm.c) and writes each complete frame to the
 * vport of its Context ID through an AF_PACKET socket. With PACKET_VNET_HDR the frame keeps
 * what the sender said about it: a partial inner checksum stays partial (the kernel or the
 * tenant completes it) and a TSO frame stays one GSO skb of the sender's MSS.
 * The all-BPF paths keep working while sttd is down; pieces are then dropped and counted
 * (multi_segment), and TCP in the tenants recovers.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "common.h"
#include "reasm.h"
#include "metrics.h"
#include "stats_read.h"
#include "stt_tos.h"
#include "stt_check.h"

/*
 * What sttd keeps of the pieces' outer TOS, in reasm_add()'s flags (OR-ed over a frame's
 * pieces): CE on any piece, and the first piece's TOS (its DSCP goes in, uniform model).
 */
#define PIECE_CE 0x1
#define PIECE_FIRST 0x2
#define PIECE_TOS_SHIFT 8

struct sttd {
	struct reasm *r;
	int contexts_fd, stats_fd, pkt_fd, cfg_fd, peers_fd, learn_fd;
	struct stt_cfg cfg; /* read again with every stats update (refresh_cfg), not per frame */
	__u64 lost, bad_csum, bad_frame, tx_errors, ecn_drops, peer_denied, learned;
	__u64 hdr_drops[STT_DROP_MAX]; /* frames whose STT header stt_hdr_ok() refused */
	/* Learning tables (stt_learn's inner maps) opened so far, by map ID. */
	struct {
		__u32 id;
		int fd;
	} tables[16];
	unsigned int next_table;
	int debug_left; /* with -v, pieces still to log */
	struct stt_stats_fds sfds; /* with --metrics: every counter, for the exposition */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void publish_stats(struct sttd *d)
{
	const struct reasm_stats *s = reasm_stats(d->r);
	__u64 v[STT_R_MAX] = {
		[STT_R_PIECES] = s->pieces,	    [STT_R_FRAMES] = s->frames,
		[STT_R_DUPLICATES] = s->duplicates, [STT_R_OVERLAPS] = s->overlaps,
		[STT_R_CONFLICTS] = s->conflicts,   [STT_R_TIMEOUTS] = s->timeouts,
		[STT_R_EVICTED] = s->evicted,	    [STT_R_REUSED] = s->reused,
		[STT_R_INVALID] = s->invalid,	    [STT_R_BAD_CSUM] = d->bad_csum,
		[STT_R_BAD_FRAME] = d->bad_frame,   [STT_R_TX_ERRORS] = d->tx_errors,
		[STT_R_LOST] = d->lost,		    [STT_R_MEM] = s->mem,
		[STT_R_MEM_PEAK] = s->mem_peak,	    [STT_R_INFLIGHT] = s->inflight,
		[STT_R_ECN_DROPS] = d->ecn_drops,   [STT_R_PEER_DENIED] = d->peer_denied,
		[STT_R_LEARNED] = d->learned,
		[STT_R_BAD_VERSION] = d->hdr_drops[STT_DROP_VERSION],
		[STT_R_BAD_FLAGS] = d->hdr_drops[STT_DROP_FLAGS],
		[STT_R_BAD_L4_OFFSET] = d->hdr_drops[STT_DROP_L4_OFFSET],
		[STT_R_BAD_MSS] = d->hdr_drops[STT_DROP_MSS],
	};

	for (__u32 k = 0; k < STT_R_MAX; k++)
		bpf_map_update_elem(d->stats_fd, &k, &v[k], 0);
}

/*
 * ECN and DSCP at decapsulation (include/stt_tos.h) for the inner IP header of a frame:
 * CE on any piece is CE for the frame (draft 3.3.1). Returns -1 to drop the frame.
 */
static int frame_tos(uint8_t *inner, uint32_t ilen, uint32_t pflags, uint8_t dscp)
{
	uint8_t first = (uint8_t)(pflags >> PIECE_TOS_SHIFT), outer, tos;
	uint16_t proto;
	int t;

	if (ilen < 14 + 20 || !(pflags & PIECE_FIRST))
		return 0;
	outer = (pflags & PIECE_CE) ? (first | STT_ECN_CE) : first;
	proto = (uint16_t)(inner[12] << 8 | inner[13]);
	if (!stt_ip_tos_get(proto, inner + 14, &tos) || (proto == 0x86dd && ilen < 14 + 40))
		return 0;
	t = stt_decap_tos(outer, tos, dscp);
	if (t < 0)
		return -1;
	if (t == tos)
		return 0;
	if (proto == 0x0800) {
		uint32_t ihl = (inner[14] & 0x0f) * 4u, sum;

		if (ihl < 20 || 14 + ihl > ilen)
			return 0;
		stt_ip_tos_set(proto, inner + 14, (uint8_t)t);
		inner[24] = inner[25] = 0;
		sum = (uint16_t)~csum_fold(csum_add(0, inner + 14, ihl));
		inner[24] = (uint8_t)(sum >> 8);
		inner[25] = (uint8_t)sum;
	} else {
		stt_ip_tos_set(proto, inner + 14, (uint8_t)t);
	}
	return 0;
}

/* The endpoint's options (peers, DSCP model), read with every stats update. */
static void refresh_cfg(struct sttd *d)
{
	__u32 zero = 0;

	if (d->cfg_fd >= 0)
		bpf_map_lookup_elem(d->cfg_fd, &zero, &d->cfg);
}

/* Deliver a whole STT frame (STT header + inner Ethernet frame) to its vport. */
/* The learning table of a context (its map in stt_learn), -1 if it has none. */
static int learn_table(struct sttd *d, __u64 ctx)
{
	__u32 id, k;
	int fd;

	if (d->learn_fd < 0 || bpf_map_lookup_elem(d->learn_fd, &ctx, &id))
		return -1;
	for (k = 0; k < sizeof(d->tables) / sizeof(d->tables[0]); k++)
		if (d->tables[k].fd >= 0 && d->tables[k].id == id)
			return d->tables[k].fd;
	fd = bpf_map_get_fd_by_id(id);
	if (fd < 0)
		return -1;
	/* A small cache, oldest out first: contexts that learn are few per endpoint. */
	k = d->next_table++ % (sizeof(d->tables) / sizeof(d->tables[0]));
	if (d->tables[k].fd >= 0)
		close(d->tables[k].fd);
	d->tables[k].id = id;
	d->tables[k].fd = fd;
	return fd;
}

/*
 * Learning from a frame sttd delivers (vport --learn), as stt_learn_mac() does for the BPF
 * paths: the inner source MAC (unicast) lives behind the sender; written only when new,
 * moved, or last seen over a second ago. A sender over IPv6 without a remote index (0)
 * teaches nothing.
 */
static void learn(struct sttd *d, __u64 ctx, const uint8_t *src_mac, uint32_t saddr)
{
	struct stt_learn_key k = { 0 };
	struct stt_learn_val v = { 0 }, cur;
	uint64_t now = now_ns();
	int fd, have;

	if ((src_mac[0] & 1) || !saddr || (fd = learn_table(d, ctx)) < 0)
		return;
	memcpy(k.mac, src_mac, 6);
	have = !bpf_map_lookup_elem(fd, &k, &cur);
	if (have && cur.remote4 == saddr && now - cur.seen_ns < 1000000000ull)
		return;
	v.remote4 = saddr;
	v.seen_ns = now;
	if (!bpf_map_update_elem(fd, &k, &v, BPF_ANY) && (!have || cur.remote4 != saddr))
		d->learned++;
}

/* The STT header rules every receive path applies (stt_check.h), counted by reason. */
static bool hdr_ok(struct sttd *d, const struct stt_hdr *h, const uint8_t *inner, uint32_t ilen)
{
	uint8_t head[STT_CHECK_INNER] = { 0 };
	enum stt_drop why;

	memcpy(head, inner, ilen < sizeof(head) ? ilen : sizeof(head));
	if (stt_hdr_ok(h, head, ilen, &why))
		return true;
	d->hdr_drops[why]++;
	return false;
}

static void deliver(struct sttd *d, uint8_t *f, uint32_t len, uint32_t saddr, uint32_t pflags)
{
	const struct stt_hdr *h = (const void *)f;
	struct virtio_net_hdr vh = {};
	struct stt_ctx_val cv;
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_halen = ETH_ALEN };
	struct iovec iov[2];
	struct msghdr msg = { .msg_name = &sll, .msg_namelen = sizeof(sll), .msg_iov = iov,
			      .msg_iovlen = 2 };
	uint8_t *inner = f + sizeof(*h), *tagged = NULL;
	uint32_t ilen = len - sizeof(*h);
	const struct stt_cfg *cfg = &d->cfg;
	__u64 ctx;

	if (len < sizeof(*h) + 14) {
		d->bad_frame++;
		return;
	}
	if (!hdr_ok(d, h, inner, ilen))
		return;
	ctx = be64toh(h->context_id);
	if (bpf_map_lookup_elem(d->contexts_fd, &ctx, &cv)) {
		d->bad_frame++; /* a frame only ever goes to the vport of its own context */
		return;
	}
	/* The same policy as the BPF paths: strict peers, then ECN/DSCP. */
	if ((cfg->opts & STT_OPT_PEERS_STRICT) || (cv.flags & STT_VPORT_PEERS_STRICT)) {
		struct stt_peer_key pk = { .context = ctx, .remote4 = saddr };
		__u32 pv;

		/* saddr 0: an IPv6 sender without a remote index, never a peer. */
		if (!saddr || d->peers_fd < 0 || bpf_map_lookup_elem(d->peers_fd, &pk, &pv)) {
			d->peer_denied++;
			return;
		}
	}
	if (frame_tos(inner, ilen, pflags, cfg->dscp)) {
		d->ecn_drops++;
		return;
	}
	if (cv.flags & STT_VPORT_LEARN)
		learn(d, ctx, inner + 6, saddr);
	/* hdr_ok() checked the offset, the inner IP version and protocol against the flags. */
	if (h->flags & STT_F_CSUM_PARTIAL) {
		bool v6 = !(h->flags & STT_F_IPV4), tcp = h->flags & STT_F_TCP;

		vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		vh.csum_start = h->l4_offset;
		vh.csum_offset = tcp ? 16 : 6;
		if (tcp && ntohs(h->mss) && ilen > 14u + 40 + ntohs(h->mss)) {
			uint32_t thl = (inner[h->l4_offset + 12] >> 4) * 4;

			vh.gso_type = v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
			vh.gso_size = ntohs(h->mss);
			vh.hdr_len = h->l4_offset + thl;
		}
	}
	sll.sll_ifindex = cv.ifindex;
	memcpy(sll.sll_addr, inner, ETH_ALEN);
	iov[0].iov_base = &vh;
	iov[0].iov_len = sizeof(vh);
	iov[1].iov_base = (void *)inner;
	iov[1].iov_len = ilen;
	if ((ntohs(h->vlan_tci) & STT_VLAN_V) || (cv.flags & STT_VPORT_VLAN)) {
		/*
		 * V=1: the vport gets the frame tagged again (as stt_tc_rx does), PCP and VLAN
		 * ID as sent, DEI 0; a trunk VLAN's vport gets its own VLAN ID. The tag goes in
		 * band, behind the MAC addresses.
		 */
		uint16_t t = ntohs(h->vlan_tci);
		uint16_t vid = (cv.flags & STT_VPORT_VLAN) ? STT_CTX_VID(cv.flags)
							   : (t & STT_VLAN_VID_MASK);
		uint16_t tci = htons((t & 0xe000) | vid);

		uint8_t *t2;

		/* The STT header stays in front, as for an untagged frame (f, then inner). */
		tagged = malloc(sizeof(*h) + ilen + 4);
		if (!tagged) {
			d->tx_errors++;
			return;
		}
		memcpy(tagged, h, sizeof(*h));
		t2 = tagged + sizeof(*h);
		memcpy(t2, inner, 12);
		t2[12] = 0x81, t2[13] = 0x00;
		memcpy(t2 + 14, &tci, 2);
		memcpy(t2 + 16, inner + 12, ilen - 12);
		iov[1].iov_base = t2;
		iov[1].iov_len = ilen + 4;
		if (vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
			vh.csum_start += 4;
			if (vh.hdr_len)
				vh.hdr_len += 4;
		}
	}
	if (sendmsg(d->pkt_fd, &msg, 0) < 0) {
		d->tx_errors++;
		info_msg("sttd: delivering %u bytes to ifindex %u: %s", ilen, cv.ifindex,
			 strerror(errno));
	}
	free(tagged);
}

static void on_piece(void *ctx, int cpu, void *data, __u32 size)
{
	struct sttd *d = ctx;
	const struct stt_piece *p = data;
	struct reasm_piece rp;
	struct reasm_out out;

	/* Every length is checked, and the outer checksum of a lone segment (reasm.c). */
	switch (reasm_piece_parse(data, size, &rp)) {
	case REASM_PIECE_OK:
		break;
	case REASM_PIECE_BAD_CSUM:
		d->bad_csum++;
		return;
	default:
		d->bad_frame++;
		return;
	}
	if (g_opts.verbose && d->debug_left > 0) {
		d->debug_left--;
		fprintf(stderr, "piece id %#x len %u off %u payload %u flags %#x\n", p->frame_id,
			p->frame_len, p->seg_off, p->payload_len, p->flags);
	}
	/* p->tos: the outer IPv4 TOS or IPv6 traffic class, as BPF read it. */
	if (reasm_add(d->r, &rp.key, p->frame_len, p->seg_off, rp.data, rp.len,
		      ((p->tos & STT_ECN_MASK) == STT_ECN_CE ? PIECE_CE : 0) |
			      (p->seg_off == 0 ? PIECE_FIRST | (uint32_t)p->tos << PIECE_TOS_SHIFT
					       : 0),
		      now_ns(), &out) == REASM_COMPLETE) {
		/* The peer check takes the sender's remote: IPv4 address or IPv6 index form. */
		deliver(d, out.data, out.len, p->saddr, out.flags);
		free(out.data);
	}
}

static void on_lost(void *ctx, int cpu, __u64 cnt)
{
	((struct sttd *)ctx)->lost += cnt;
}

/* The exposition of every counter, for a scrape of --metrics. */
static int render_metrics(void *arg, char **text, size_t *len)
{
	struct sttd *d = arg;
	struct stt_snapshot s;
	char name[IF_NAMESIZE] = "";
	int rc;

	publish_stats(d); /* the reassembly counters as of now, not of the last publish */
	if (snapshot_read(&d->sfds, &s))
		return -1;
	if (s.ifindex)
		dev_name(s.ifindex, name);
	rc = metrics_render(&s, name, text, len);
	snapshot_free(&s);
	return rc;
}

/*
 * With --metrics, one poll() covers the perf buffer's epoll descriptor and libmicrohttpd's,
 * and a scrape is answered between two batches of pieces. Polling that epoll descriptor from
 * outside takes the perf events' readiness (perf_poll clears it as it reports it), so a
 * perf_buffer__poll after it would find nothing ready and leave the pieces in the rings:
 * every ring is consumed instead, on each pass (it costs a look at each CPU's ring head), so
 * no piece waits for a later wakeup. Returns 1 when pieces were signalled, 0 on a timeout,
 * or a negative error.
 */
static int poll_all(struct perf_buffer *pb, struct metrics_server *m)
{
	struct pollfd pfd[2] = {
		{ .fd = perf_buffer__epoll_fd(pb), .events = POLLIN },
		{ .fd = metrics_fd(m), .events = POLLIN },
	};
	int rc;

	if (poll(pfd, 2, metrics_timeout_ms(m, 100)) < 0)
		return -errno;
	rc = perf_buffer__consume(pb);
	if (rc < 0)
		return rc;
	metrics_process(m, now_ns() / 1000000);
	return pfd[0].revents ? 1 : 0;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: sttd [-n NETNS] [--mem BYTES] [--timeout MS] [--metrics ADDR:PORT] [-v]\n"
		   "  Reassemble STT frames that GRO left in pieces, and deliver them to their\n"
		   "  vport. Runs until SIGINT or SIGTERM. --mem caps the memory held by\n"
		   "  incomplete frames (default 64 MiB; suffixes K, M, G); --timeout drops a\n"
		   "  frame still incomplete that long after its first piece (default 1000 ms).\n"
		   "  --metrics serves every counter (sttctl stats) in the Prometheus text format\n"
		   "  at http://ADDR:PORT/metrics, in the network namespace of -n (ADDR: an IPv4\n"
		   "  address, or an IPv6 address in brackets).\n");
}

static int parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v;

	int shift = 0;

	if (!isdigit((unsigned char)*s))
		return -1; /* strtoull would take white space and a sign */
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'G': case 'g': shift = 30; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'K': case 'k': shift = 10; end++; break;
	case 0: break;
	default: return -1;
	}
	if (*end || !v || v > (~0ull >> shift))
		return -1;
	v <<= shift;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	struct perf_buffer *pb = NULL;
	struct stt_state st;
	struct sttd d = { .pkt_fd = -1, .debug_left = 200,
			  .sfds = { -1, -1, -1, -1, -1, -1 } };
	struct metrics_server *metrics = NULL;
	const char *metrics_addr = NULL;
	size_t mem = 64ull << 20;
	unsigned long timeout_ms = 1000;
	char path[512];
	int ev_fd = -1, rc = 1, one = 1;
	uint64_t last_pub = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc) {
			g_opts.netns = argv[++i];
		} else if (!strcmp(argv[i], "--mem") && i + 1 < argc) {
			if (parse_size(argv[++i], &mem)) {
				err_msg("invalid --mem '%s'", argv[i]);
				return 1;
			}
		} else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
			if (parse_uint(argv[++i], 3600000, &timeout_ms) || !timeout_ms)
				return 1;
		} else if (!strcmp(argv[i], "--metrics") && i + 1 < argc) {
			metrics_addr = argv[++i];
		} else if (!strcmp(argv[i], "-v")) {
			g_opts.verbose = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 1;
		}
	}
	if (g_opts.netns && enter_netns(g_opts.netns))
		return 1;
	if (state_open(&st, true))
		return 1;
	snprintf(path, sizeof(path), "%s/stt_reasm_events", st.dir);
	ev_fd = bpf_obj_get(path);
	snprintf(path, sizeof(path), "%s/stt_reasm_stats", st.dir);
	d.stats_fd = bpf_obj_get(path);
	if (ev_fd < 0 || d.stats_fd < 0) {
		err_msg("sttd: this attachment has no reassembly maps (re-run 'sttctl attach')");
		goto out;
	}
	d.contexts_fd = st.contexts_fd;
	d.cfg_fd = st.cfg_fd;
	refresh_cfg(&d);
	d.peers_fd = st.peers_fd;
	d.learn_fd = st.learn_fd;
	for (unsigned int k = 0; k < sizeof(d.tables) / sizeof(d.tables[0]); k++)
		d.tables[k].fd = -1;
	d.r = reasm_new(mem, (uint64_t)timeout_ms * 1000000ull);
	d.pkt_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (!d.r || d.pkt_fd < 0 ||
	    setsockopt(d.pkt_fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one))) {
		err_msg("sttd: cannot open the delivery socket: %s", strerror(errno));
		goto out;
	}
	/* Pieces are up to 64 KB: 16 MiB per CPU keeps bursts of them (power of two pages). */
	pb = perf_buffer__new(ev_fd, 4096, on_piece, on_lost, &d, NULL);
	if (!pb) {
		err_msg("sttd: cannot open the perf buffer: %s", strerror(errno));
		goto out;
	}
	if (metrics_addr) {
		if (stats_fds_open(&d.sfds, st.dir)) {
			err_msg("sttd: cannot open the counters under %s", st.dir);
			goto out;
		}
		metrics = metrics_listen(metrics_addr, render_metrics, &d);
		if (!metrics)
			goto out;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	info_msg("sttd: running (mem cap %zu bytes, timeout %lu ms)", mem, timeout_ms);
	while (!stop) {
		int n = metrics ? poll_all(pb, metrics) : perf_buffer__poll(pb, 100);
		uint64_t now = now_ns();

		if (n < 0 && n != -EINTR) {
			err_msg("sttd: polling: %s", strerror(-n));
			break;
		}
		reasm_expire(d.r, now);
		if (now - last_pub > 100000000ull || n > 0) {
			publish_stats(&d);
			refresh_cfg(&d);
			last_pub = now;
		}
	}
	publish_stats(&d);
	rc = 0;
out:
	metrics_close(metrics);
	stats_fds_close(&d.sfds);
	perf_buffer__free(pb); /* also removes our perf events from the map */
	reasm_free(d.r);
	if (d.pkt_fd >= 0)
		close(d.pkt_fd);
	if (ev_fd >= 0)
		close(ev_fd);
	if (d.stats_fd > 0)
		close(d.stats_fd);
	state_close(&st);
	return rc;
}

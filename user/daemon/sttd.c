// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * sttd: reassembles the STT frames that GRO left in pieces, and delivers them.
 *
 * stt_tc_rx hands every piece of an incomplete frame to a perf buffer (stt_reasm_events);
 * sttd feeds them to the reassembly engine (reasm.c) and writes each complete frame to the
 * vport of its Context ID through an AF_PACKET socket (sttd_piece.c, piece by piece); this
 * file is its event loop, its counters' publication and its options.
 * The all-BPF paths keep working while sttd is down; pieces are then dropped and counted
 * (multi_segment), and TCP in the tenants recovers.
 */
#include <errno.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "common.h"
#include "metrics.h"
#include "reasm.h"
#include "stats_read.h"
#include "sttd_piece.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static void publish_stats(struct sttd *d)
{
	const struct reasm_stats *s = reasm_stats(d->r);
	__u64 v[STT_R_MAX] = {
	    [STT_R_PIECES] = s->pieces,
	    [STT_R_FRAMES] = s->frames,
	    [STT_R_DUPLICATES] = s->duplicates,
	    [STT_R_OVERLAPS] = s->overlaps,
	    [STT_R_CONFLICTS] = s->conflicts,
	    [STT_R_TIMEOUTS] = s->timeouts,
	    [STT_R_EVICTED] = s->evicted,
	    [STT_R_REUSED] = s->reused,
	    [STT_R_INVALID] = s->invalid,
	    [STT_R_BAD_CSUM] = d->bad_csum,
	    [STT_R_BAD_FRAME] = d->bad_frame,
	    [STT_R_TX_ERRORS] = d->tx_errors,
	    [STT_R_LOST] = d->lost,
	    [STT_R_MEM] = s->mem,
	    [STT_R_MEM_PEAK] = s->mem_peak,
	    [STT_R_INFLIGHT] = s->inflight,
	    [STT_R_ECN_DROPS] = d->ecn_drops,
	    [STT_R_PEER_DENIED] = d->peer_denied,
	    [STT_R_LEARNED] = d->learned,
	    [STT_R_BAD_VERSION] = d->hdr_drops[STT_DROP_VERSION],
	    [STT_R_BAD_FLAGS] = d->hdr_drops[STT_DROP_FLAGS],
	    [STT_R_BAD_L4_OFFSET] = d->hdr_drops[STT_DROP_L4_OFFSET],
	    [STT_R_BAD_MSS] = d->hdr_drops[STT_DROP_MSS],
	};

	for (__u32 k = 0; k < STT_R_MAX; k++)
		bpf_map_update_elem(d->stats_fd, &k, &v[k], 0);
}

/* The endpoint's options (peers, DSCP model), read with every stats update. */
static void refresh_cfg(struct sttd *d)
{
	__u32 zero = 0;

	if (d->cfg_fd >= 0)
		bpf_map_lookup_elem(d->cfg_fd, &zero, &d->cfg);
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
	    {.fd = perf_buffer__epoll_fd(pb), .events = POLLIN},
	    {.fd = metrics_fd(m), .events = POLLIN},
	};
	int rc;

	if (poll(pfd, 2, metrics_timeout_ms(m, 100)) < 0)
		return -errno;
	rc = perf_buffer__consume(pb);
	if (rc < 0)
		return rc;
	metrics_process(m, sttd_now_ns() / 1000000);
	return pfd[0].revents ? 1 : 0;
}

static void usage(FILE *f)
{
	fprintf(f,
	        "Usage: sttd [-n NETNS] [--mem BYTES] [--timeout MS] [--metrics ADDR:PORT] [-v]\n"
	        "  Reassemble STT frames that GRO left in pieces, and deliver them to their\n"
	        "  vport. Runs until SIGINT or SIGTERM. --mem caps the memory held by\n"
	        "  incomplete frames (default 64 MiB; suffixes K, M, G); --timeout drops a\n"
	        "  frame still incomplete that long after its first piece (default 1000 ms).\n"
	        "  --metrics serves every counter (sttctl stats) in the Prometheus text format\n"
	        "  at http://ADDR:PORT/metrics, in the network namespace of -n (ADDR: an IPv4\n"
	        "  address, or an IPv6 address in brackets).\n");
}

/* sttd's options. */
struct sttd_opts {
	size_t mem;
	unsigned long timeout_ms;
	const char *metrics_addr;
};

/* 0, or the exit status (> 0; -1: exit 0, after --help). */
static int parse_opts(int argc, char **argv, struct sttd_opts *o)
{
	static const struct option opts[] = {
	    {"mem", required_argument, NULL, 'm'},
	    {"timeout", required_argument, NULL, 't'},
	    {"metrics", required_argument, NULL, 'M'},
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "n:vh", opts, NULL)) != -1) {
		if (c == 'n') {
			g_opts.netns = optarg;
		} else if (c == 'm') {
			if (parse_size(optarg, &o->mem)) {
				err_msg("invalid --mem '%s'", optarg);
				return 1;
			}
		} else if (c == 't') {
			if (parse_uint(optarg, 3600000, &o->timeout_ms) || !o->timeout_ms)
				return 1;
		} else if (c == 'M') {
			o->metrics_addr = optarg;
		} else if (c == 'v') {
			g_opts.verbose = true;
		} else if (c == 'h') {
			usage(stdout);
			return -1;
		} else {
			usage(stderr);
			return 1;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 1;
	}
	return 0;
}

/* The pinned maps, the reassembly engine, the delivery socket, the perf buffer, metrics. */
static int sttd_open(struct sttd *d, struct stt_state *st, const struct sttd_opts *o, int *ev_fd,
                     struct perf_buffer **pb, struct metrics_server **metrics)
{
	int one = 1;

	*ev_fd = open_pin(st->dir, "stt_reasm_events");
	d->stats_fd = open_pin(st->dir, "stt_reasm_stats");
	if (*ev_fd < 0 || d->stats_fd < 0) {
		err_msg("sttd: this attachment has no reassembly maps (re-run 'sttctl attach')");
		return -1;
	}
	d->contexts_fd = st->contexts_fd;
	d->cfg_fd = st->cfg_fd;
	refresh_cfg(d);
	d->peers_fd = st->peers_fd;
	d->learn_fd = st->learn_fd;
	for (unsigned int k = 0; k < sizeof(d->tables) / sizeof(d->tables[0]); k++)
		d->tables[k].fd = -1;
	d->r = reasm_new(o->mem, (uint64_t)o->timeout_ms * 1000000ull);
	d->pkt_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (!d->r || d->pkt_fd < 0 ||
	    setsockopt(d->pkt_fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one))) {
		err_msg("sttd: cannot open the delivery socket: %s", strerror(errno));
		return -1;
	}
	/* Pieces are up to 64 KB: 16 MiB per CPU keeps bursts of them (power of two pages). */
	*pb = perf_buffer__new(*ev_fd, 4096, sttd_on_piece, on_lost, d, NULL);
	if (!*pb) {
		err_msg("sttd: cannot open the perf buffer: %s", strerror(errno));
		return -1;
	}
	if (!o->metrics_addr)
		return 0;
	if (stats_fds_open(&d->sfds, st->dir)) {
		err_msg("sttd: cannot open the counters under %s", st->dir);
		return -1;
	}
	*metrics = metrics_listen(o->metrics_addr, render_metrics, d);
	return *metrics ? 0 : -1;
}

/* Until SIGINT or SIGTERM: pieces, expiry, the counters published every 100 ms. */
static void sttd_loop(struct sttd *d, struct perf_buffer *pb, struct metrics_server *metrics)
{
	uint64_t last_pub = 0;

	while (!stop) {
		int n = metrics ? poll_all(pb, metrics) : perf_buffer__poll(pb, 100);
		uint64_t now = sttd_now_ns();

		if (n < 0 && n != -EINTR) {
			err_msg("sttd: polling: %s", strerror(-n));
			break;
		}
		reasm_expire(d->r, now);
		if (now - last_pub > 100000000ull || n > 0) {
			publish_stats(d);
			refresh_cfg(d);
			last_pub = now;
		}
	}
	publish_stats(d);
}

int main(int argc, char **argv)
{
	struct perf_buffer *pb = NULL;
	struct stt_state st;
	struct sttd d = {.pkt_fd = -1, .debug_left = 200, .sfds = {-1, -1, -1, -1, -1, -1}};
	struct metrics_server *metrics = NULL;
	struct sttd_opts o = {.mem = 64ull << 20, .timeout_ms = 1000};
	int ev_fd = -1, rc = parse_opts(argc, argv, &o);

	if (rc)
		return rc < 0 ? 0 : rc;
	if (g_opts.netns && enter_netns(g_opts.netns))
		return 1;
	if (state_open(&st, true))
		return 1;
	rc = 1;
	if (sttd_open(&d, &st, &o, &ev_fd, &pb, &metrics) == 0) {
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		info_msg("sttd: running (mem cap %zu bytes, timeout %lu ms)", o.mem, o.timeout_ms);
		sttd_loop(&d, pb, metrics);
		rc = 0;
	}
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

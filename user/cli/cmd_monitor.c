// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * sttctl monitor: live rates (frames/s, bit/s, drops/s; transmit and receive) per device,
 * per context and per remote, from two reads of the counters one interval apart. On a
 * terminal the screen is redrawn in place (like bpftop); otherwise each interval prints one
 * block (or, with -j, one JSON object per line), so that scripts and tests can read it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "stats_read.h"

static volatile sig_atomic_t mon_stop;

static void mon_signal(int sig)
{
	mon_stop = 1;
}

static void monitor_help(FILE *f)
{
	fprintf(f,
	        "  Rates of the datapath counters, once per interval (default 1 s; 0.1 to 3600,\n"
	        "  fractions allowed): frames/s, bit/s of inner bytes and drops/s, transmit and\n"
	        "  receive, for the underlay device, each context and each remote endpoint,\n"
	        "  and the drop reasons that moved. On a terminal the view is redrawn in place\n"
	        "  until Ctrl-C; otherwise one block per interval is printed (one JSON object\n"
	        "  per line with --json). --count N stops after N intervals.\n"
	        "  Rows: KIND NAME TX-frames/s TX-bit/s RX-frames/s RX-bit/s drops/s.\n");
}

static __u64 dlt(__u64 now, __u64 before)
{
	/* A counter that went back (map re-created, LRU entry evicted) restarted from zero. */
	return now >= before ? now - before : now;
}

struct rates {
	double tx_fps, tx_bps, rx_fps, rx_bps, drops_ps;
};

static void flow_rates(struct rates *r, const struct stt_flow_stats *now,
                       const struct stt_flow_stats *before, double secs)
{
	static const struct stt_flow_stats zero;

	if (!before)
		before = &zero;
	r->tx_fps = dlt(now->tx_frames, before->tx_frames) / secs;
	r->tx_bps = dlt(now->tx_bytes, before->tx_bytes) * 8.0 / secs;
	r->rx_fps = dlt(now->rx_frames, before->rx_frames) / secs;
	r->rx_bps = dlt(now->rx_bytes, before->rx_bytes) * 8.0 / secs;
	r->drops_ps =
	    (dlt(now->tx_drops, before->tx_drops) + dlt(now->rx_drops, before->rx_drops)) / secs;
}

static const struct stt_flow_stats *find_ctx(const struct stt_snapshot *s, __u64 ctx)
{
	size_t lo = 0, hi = s->n_ctx;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (s->ctx[mid].context == ctx)
			return &s->ctx[mid].s;
		if (s->ctx[mid].context < ctx)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static const struct stt_flow_stats *find_rem(const struct stt_snapshot *s, __be32 a)
{
	for (size_t i = 0; i < s->n_rem; i++) /* sorted, but small enough */
		if (s->rem[i].remote == a)
			return &s->rem[i].s;
	return NULL;
}

/* 1234567 -> "1.23M": a single token, so that rows split on white space. */
static const char *si(double v, char *buf, size_t len)
{
	static const char units[] = " kMGTP";
	int u = 0;

	while (v >= 1000 && u < 5) {
		v /= 1000;
		u++;
	}
	if (!u)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.*f%c", v < 10 ? 2 : v < 100 ? 1 : 0, v, units[u]);
	return buf;
}

static void row(const char *kind, const char *name, const struct rates *r)
{
	char a[32], b[32];

	printf("%-8s %-18s %12.1f %10s %12.1f %10s %10.1f\n", kind, name, r->tx_fps,
	       si(r->tx_bps, a, sizeof(a)), r->rx_fps, si(r->rx_bps, b, sizeof(b)), r->drops_ps);
}

static struct json_object *rates_json(const struct rates *r)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "tx_frames_per_s", json_object_new_double(r->tx_fps));
	json_object_object_add(o, "tx_bits_per_s", json_object_new_double(r->tx_bps));
	json_object_object_add(o, "rx_frames_per_s", json_object_new_double(r->rx_fps));
	json_object_object_add(o, "rx_bits_per_s", json_object_new_double(r->rx_bps));
	json_object_object_add(o, "drops_per_s", json_object_new_double(r->drops_ps));
	return o;
}

/* One interval: the two snapshots, the seconds between them, the time, the device. */
struct interval {
	const struct stt_snapshot *before, *now;
	double secs;
	char when[64], name[IF_NAMESIZE];
	struct rates dev;
};

static double drop_rate(const struct interval *v, unsigned int k)
{
	return dlt(v->now->c[STT_C_DROP_BASE + k], v->before->c[STT_C_DROP_BASE + k]) / v->secs;
}

static void show_json(const struct interval *v)
{
	struct json_object *root = json_object_new_object(), *dev, *drops, *arr;
	const struct stt_snapshot *now = v->now, *before = v->before;
	struct rates r;
	char buf[64];

	json_object_object_add(root, "time", json_object_new_string(v->when));
	json_object_object_add(root, "interval", json_object_new_double(v->secs));
	dev = rates_json(&v->dev);
	json_object_object_add(dev, "name", json_object_new_string(v->name));
	drops = json_object_new_object();
	for (unsigned int k = 0; k < STT_DROP_MAX; k++)
		if (drop_rate(v, k) > 0)
			json_object_object_add(drops, drop_name(k),
			                       json_object_new_double(drop_rate(v, k)));
	json_object_object_add(dev, "drops", drops);
	json_object_object_add(root, "device", dev);
	arr = json_object_new_array();
	for (size_t i = 0; i < now->n_ctx; i++) {
		struct json_object *o;

		flow_rates(&r, &now->ctx[i].s, find_ctx(before, now->ctx[i].context), v->secs);
		o = rates_json(&r);
		json_object_object_add(o, "context", json_object_new_uint64(now->ctx[i].context));
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "contexts", arr);
	arr = json_object_new_array();
	for (size_t i = 0; i < now->n_rem; i++) {
		struct json_object *o;

		flow_rates(&r, &now->rem[i].s, find_rem(before, now->rem[i].remote), v->secs);
		o = rates_json(&r);
		fmt_remote(now->rem[i].remote, buf, sizeof(buf));
		json_object_object_add(o, "remote", json_object_new_string(buf));
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "remotes", arr);
	json_out(root);
	fflush(stdout);
}

/* The rows of contexts and remotes, at most max_rows; how many did not fit. */
static size_t show_flows(const struct interval *v, int max_rows)
{
	const struct stt_snapshot *now = v->now, *before = v->before;
	size_t hidden = 0;
	struct rates r;
	char buf[64];
	int rows = 0;

	for (size_t i = 0; i < now->n_ctx; i++) {
		if (++rows > max_rows) {
			hidden++;
			continue;
		}
		flow_rates(&r, &now->ctx[i].s, find_ctx(before, now->ctx[i].context), v->secs);
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)now->ctx[i].context);
		row("context", buf, &r);
	}
	for (size_t i = 0; i < now->n_rem; i++) {
		if (++rows > max_rows) {
			hidden++;
			continue;
		}
		flow_rates(&r, &now->rem[i].s, find_rem(before, now->rem[i].remote), v->secs);
		fmt_remote(now->rem[i].remote, buf, sizeof(buf));
		row("remote", buf, &r);
	}
	return hidden;
}

/* The table: redrawn in place on a terminal (as many rows as fit), else one block. */
static void show_text(const struct interval *v, bool tty, double interval)
{
	int max_rows = 1 << 30, n = 0;
	size_t hidden;

	if (tty) {
		struct winsize ws;

		if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 8)
			max_rows = ws.ws_row - 6;
		printf("\033[H\033[2J"); /* home, clear */
		printf("stt monitor: every %.1f s, Ctrl-C to quit%*s%s\n", interval, 10, "",
		       v->when);
	} else {
		printf("time %s interval %.2f\n", v->when, v->secs);
	}
	printf("%-8s %-18s %12s %10s %12s %10s %10s\n", "KIND", "NAME", "TX-frames/s", "TX-bit/s",
	       "RX-frames/s", "RX-bit/s", "drops/s");
	row("device", v->name, &v->dev);
	hidden = show_flows(v, max_rows);
	if (hidden)
		printf("(%zu more rows: enlarge the terminal, or use 'sttctl stats')\n", hidden);
	printf("drops/s by reason:");
	for (unsigned int k = 0; k < STT_DROP_MAX; k++) {
		if (drop_rate(v, k) > 0) {
			printf(" %s %.1f", drop_name(k), drop_rate(v, k));
			n++;
		}
	}
	printf("%s\n", n ? "" : " none");
	if (!tty)
		printf("\n");
	fflush(stdout);
}

static void show(const struct stt_snapshot *before, const struct stt_snapshot *now, bool tty,
                 double interval)
{
	struct interval v = {.before = before, .now = now};
	time_t t = time(NULL);

	v.secs = (now->ts_ns - before->ts_ns) / 1e9;
	if (v.secs <= 0)
		v.secs = 1e-9;
	remote6_forget(); /* IPv6 remotes by address: the index maps of the attachment now */
	strftime(v.when, sizeof(v.when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	/* Device: the global counters. */
	v.dev.tx_fps = dlt(now->c[STT_C_TX_FRAMES], before->c[STT_C_TX_FRAMES]) / v.secs;
	v.dev.tx_bps = dlt(now->c[STT_C_TX_BYTES], before->c[STT_C_TX_BYTES]) * 8.0 / v.secs;
	v.dev.rx_fps = dlt(now->c[STT_C_RX_FRAMES], before->c[STT_C_RX_FRAMES]) / v.secs;
	v.dev.rx_bps = dlt(now->c[STT_C_RX_BYTES], before->c[STT_C_RX_BYTES]) * 8.0 / v.secs;
	v.dev.drops_ps = dlt(snapshot_drops(now), snapshot_drops(before)) / v.secs;
	if (now->ifindex)
		dev_name(now->ifindex, v.name);
	else
		snprintf(v.name, sizeof(v.name), "-");
	if (g_opts.json)
		show_json(&v);
	else
		show_text(&v, tty, interval);
}

static int parse_interval(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = s && *s >= '0' && *s <= '9' ? strtod(s, &end) : NAN;
	if (isnan(v) || errno || *end || v < 0.1 || v > 3600) {
		err_msg("invalid interval '%s': expected seconds, 0.1 to 3600", s ? s : "");
		return -1;
	}
	*out = v;
	return 0;
}

static int monitor_opts(const struct cmd *c, int argc, char **argv, double *interval,
                        unsigned long *count)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"interval", required_argument, NULL, 'i'},
	    {"count", required_argument, NULL, 'n'},
	    CMD_OPT_HELP,
	    {},
	};
	int o;

	while ((o = cmd_getopt(c, argc, argv, "jh", opts)) != -1) {
		if (o == CMD_HELP || o == CMD_BAD)
			return o;
		if (o == 'j') {
			g_opts.json = true;
		} else if (o == 'i') {
			if (!*optarg || parse_interval(optarg, interval))
				return CMD_BAD;
		} else {
			if (!*optarg || parse_uint(optarg, 1000000000ul, count))
				return CMD_BAD;
			if (!*count) {
				err_msg("invalid count '0': expected 1 or more intervals");
				return CMD_BAD;
			}
		}
	}
	return cmd_args(c, argc, argv, NULL, 0) ? CMD_BAD : 0;
}

static int monitor_main(const struct cmd *c, int argc, char **argv)
{
	struct stt_snapshot before, now;
	struct stt_stats_fds fds;
	struct stt_state st;
	struct timespec next;
	unsigned long count = 0;
	double interval = 1.0;
	bool tty;
	int rc = monitor_opts(c, argc, argv, &interval, &count);

	if (rc)
		return rc == CMD_HELP ? 0 : 1;
	if (state_open(&st, true))
		return 1;
	if (stats_fds_open(&fds, st.dir) || snapshot_read(&fds, &before)) {
		err_msg("monitor: cannot read the counters under %s", st.dir);
		stats_fds_close(&fds);
		state_close(&st);
		return 1;
	}
	state_close(&st);
	tty = !g_opts.json && isatty(STDOUT_FILENO);
	json_c_set_serialization_double_format("%.3f", JSON_C_OPTION_GLOBAL);
	signal(SIGINT, mon_signal);
	signal(SIGTERM, mon_signal);
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (unsigned long n = 0; !mon_stop && (!count || n < count); n++) {
		long long ns = next.tv_nsec + (long long)(interval * 1e9);

		/* Absolute deadlines: the intervals do not drift by the time spent printing. */
		next.tv_sec += ns / 1000000000;
		next.tv_nsec = ns % 1000000000;
		while (!mon_stop &&
		       clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
		if (mon_stop)
			break;
		if (snapshot_read(&fds, &now)) {
			err_msg("monitor: cannot read the counters any more (detached?)");
			rc = 1;
			break;
		}
		show(&before, &now, tty, interval);
		snapshot_free(&before);
		before = now;
	}
	snapshot_free(&before);
	stats_fds_close(&fds);
	return rc;
}

const struct cmd cmd_monitor = {
    .name = "monitor",
    .synopsis = "monitor [--interval SECS] [--count N] [--json]",
    .help = monitor_help,
    .run = monitor_main,
};

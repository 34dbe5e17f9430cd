// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* sttctl stats: what the datapath counted, per device, per context and per remote. */
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cli.h"
#include "stats_read.h"

static struct json_object *ju64(__u64 v)
{
	return json_object_new_uint64(v);
}

static void stats_help(FILE *f)
{
	fprintf(f,
	        "  Datapath counters of this network namespace, summed over CPUs: the underlay\n"
	        "  device's counters, drops by reason, sttd's reassembly counters, then one\n"
	        "  entry per context (contexts) and per remote endpoint (remotes).\n"
	        "  --context ID   only that context's entry (and no remotes, unless --remote)\n"
	        "  --remote ADDR  only that remote's entry, IPv4 or IPv6 (and no contexts, unless\n"
	        "                 --context)\n"
	        "  A filter that matches nothing is an error.\n"
	        "  Device counters:\n");
	for (unsigned int i = 0; i < STT_C_DROP_BASE; i++)
		fprintf(f, "    %-16s %s\n", counter_name(i), counter_help(i));
	fprintf(f, "  Drop reasons (drops):\n");
	for (unsigned int i = 0; i < STT_DROP_MAX; i++)
		fprintf(f, "    %-16s %s\n", drop_name(i), drop_help(i));
	fprintf(f, "  Reassembly (reasm, written by sttd):\n");
	for (unsigned int i = 0; i < STT_R_MAX; i++)
		fprintf(f, "    %-16s %s\n", reasm_name(i), reasm_help(i));
	fprintf(f, "  Per context and per remote (contexts, remotes):\n");
	for (unsigned int i = 0; i < STT_FLOW_NFIELDS; i++)
		fprintf(f, "    %-16s %s\n", flow_fields[i].name, flow_fields[i].help);
	fprintf(f,
	        "  Remotes are kept in an LRU map of %d entries: a remote not heard from\n"
	        "  for long may be evicted and start again from zero.\n",
	        STT_MAX_REMOTE_STATS);
}

static void flow_json(struct json_object *o, const struct stt_flow_stats *s)
{
	for (unsigned int i = 0; i < STT_FLOW_NFIELDS; i++)
		json_object_object_add(o, flow_fields[i].name, ju64(flow_get(s, i)));
}

static void flow_print(const struct stt_flow_stats *s)
{
	printf("    tx %llu frames %llu segments %llu bytes %llu drops\n"
	       "    rx %llu frames %llu segments %llu bytes %llu drops\n",
	       (unsigned long long)s->tx_frames, (unsigned long long)s->tx_segments,
	       (unsigned long long)s->tx_bytes, (unsigned long long)s->tx_drops,
	       (unsigned long long)s->rx_frames, (unsigned long long)s->rx_segments,
	       (unsigned long long)s->rx_bytes, (unsigned long long)s->rx_drops);
}

/* What stats shows: everything, or the context and/or remote asked for. */
struct stats_filter {
	bool want_ctx, want_rem, f_ctx, f_rem;
	__u64 ctx_id;
	__be32 rem_addr;
	struct stt_addr6 rem_a;
};

static int stats_opts(const struct cmd *c, int argc, char **argv, struct stats_filter *f)
{
	static const struct option opts[] = {
	    CMD_OPT_JSON,
	    {"context", required_argument, NULL, 'c'},
	    {"remote", required_argument, NULL, 'r'},
	    CMD_OPT_HELP,
	    {},
	};
	int o;

	while ((o = cmd_getopt(c, argc, argv, "jph", opts)) != -1) {
		if (o == CMD_HELP || o == CMD_BAD)
			return o;
		if (o == 'j') {
			g_opts.json = true;
		} else if (o == 'p') {
			g_opts.json = g_opts.pretty = true;
		} else if (o == 'c') {
			if (!*optarg || parse_context(optarg, &f->ctx_id))
				return CMD_BAD;
			f->f_ctx = true;
		} else {
			if (!*optarg || parse_remote_addr(optarg, &f->rem_a))
				return CMD_BAD;
			f->f_rem = true;
		}
	}
	if (cmd_args(c, argc, argv, NULL, 0))
		return CMD_BAD;
	f->want_ctx = !f->f_rem || f->f_ctx;
	f->want_rem = !f->f_ctx || f->f_rem;
	return 0;
}

/* The counters of this namespace (and the filter's remote as the maps name it). */
static int stats_snapshot(struct stats_filter *f, struct stt_snapshot *s)
{
	struct stt_state st;
	struct stt_stats_fds fds;

	if (state_open(&st, true))
		return -1;
	/* An IPv6 address without an index has no counters: remote 0 matches none. */
	if (f->f_rem && remote_get(&f->rem_a, &f->rem_addr, false) < 0) {
		state_close(&st);
		return -1;
	}
	if (stats_fds_open(&fds, st.dir) || snapshot_read(&fds, s)) {
		err_msg("stats: cannot read the counters under %s", st.dir);
		if (fds.stats_fd >= 0)
			stats_fds_close(&fds);
		state_close(&st);
		return -1;
	}
	stats_fds_close(&fds);
	state_close(&st);
	return 0;
}

/* The contexts and remotes the filter lets through, as JSON arrays. */
static void stats_flows_json(const struct stats_filter *f, const struct stt_snapshot *s,
                             struct json_object *ctxs, struct json_object *rems)
{
	char name[IF_NAMESIZE], buf[64];

	for (size_t i = 0; f->want_ctx && i < s->n_ctx; i++) {
		const struct stt_ctx_entry *e = &s->ctx[i];
		struct json_object *o;

		if (f->f_ctx && e->context != f->ctx_id)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "context", ju64(e->context));
		if (e->ifindex)
			json_object_object_add(o, "vport",
			                       json_object_new_string(dev_name(e->ifindex, name)));
		flow_json(o, &e->s);
		json_object_array_add(ctxs, o);
	}
	for (size_t i = 0; f->want_rem && i < s->n_rem; i++) {
		const struct stt_remote_entry *e = &s->rem[i];
		struct json_object *o;

		if (f->f_rem && e->remote != f->rem_addr)
			continue;
		o = json_object_new_object();
		fmt_remote(e->remote, buf, sizeof(buf));
		json_object_object_add(o, "remote", json_object_new_string(buf));
		flow_json(o, &e->s);
		json_object_array_add(rems, o);
	}
}

/* The snapshot as the JSON stats prints; *n_ctx, *n_rem: the entries let through. */
static struct json_object *stats_json(const struct stats_filter *f, const struct stt_snapshot *s,
                                      size_t *n_ctx, size_t *n_rem)
{
	struct json_object *root = json_object_new_object(), *counters = json_object_new_object(),
	                   *drops = json_object_new_object(), *reasm = json_object_new_object(),
	                   *ctxs = json_object_new_array(), *rems = json_object_new_array();
	char name[IF_NAMESIZE];

	if (s->ifindex)
		json_object_object_add(root, "device",
		                       json_object_new_string(dev_name(s->ifindex, name)));
	for (unsigned int k = 0; k < STT_C_DROP_BASE; k++)
		json_object_object_add(counters, counter_name(k), ju64(s->c[k]));
	for (unsigned int k = 0; k < STT_DROP_MAX; k++)
		json_object_object_add(drops, drop_name(k), ju64(s->c[STT_C_DROP_BASE + k]));
	/* Written by sttd, when it runs (reassembly of what GRO left in pieces). */
	for (unsigned int k = 0; k < STT_R_MAX; k++)
		json_object_object_add(reasm, reasm_name(k), ju64(s->reasm[k]));
	stats_flows_json(f, s, ctxs, rems);
	*n_ctx = json_object_array_length(ctxs);
	*n_rem = json_object_array_length(rems);
	json_object_object_add(root, "counters", counters);
	json_object_object_add(root, "drops", drops);
	json_object_object_add(root, "reasm", reasm);
	if (f->want_ctx)
		json_object_object_add(root, "contexts", ctxs);
	else
		json_object_put(ctxs);
	if (f->want_rem)
		json_object_object_add(root, "remotes", rems);
	else
		json_object_put(rems);
	return root;
}

static void stats_text(const struct stats_filter *f, const struct stt_snapshot *s, size_t n_ctx,
                       size_t n_rem)
{
	char name[IF_NAMESIZE], buf[64];

	if (s->ifindex)
		printf("device %s\n", dev_name(s->ifindex, name));
	for (unsigned int k = 0; k < STT_C_DROP_BASE; k++)
		printf("%-16s %llu\n", counter_name(k), (unsigned long long)s->c[k]);
	printf("drops:\n");
	for (unsigned int k = 0; k < STT_DROP_MAX; k++)
		printf("  %-16s %llu\n", drop_name(k),
		       (unsigned long long)s->c[STT_C_DROP_BASE + k]);
	printf("reassembly (sttd):\n");
	for (unsigned int k = 0; k < STT_R_MAX; k++)
		printf("  %-16s %llu\n", reasm_name(k), (unsigned long long)s->reasm[k]);
	if (f->want_ctx)
		printf("contexts: %zu\n", n_ctx);
	for (size_t i = 0; f->want_ctx && i < s->n_ctx; i++) {
		if (f->f_ctx && s->ctx[i].context != f->ctx_id)
			continue;
		printf("  context %llu", (unsigned long long)s->ctx[i].context);
		if (s->ctx[i].ifindex)
			printf("  vport %s", dev_name(s->ctx[i].ifindex, name));
		printf("\n");
		flow_print(&s->ctx[i].s);
	}
	if (f->want_rem)
		printf("remotes: %zu\n", n_rem);
	for (size_t i = 0; f->want_rem && i < s->n_rem; i++) {
		if (f->f_rem && s->rem[i].remote != f->rem_addr)
			continue;
		fmt_remote(s->rem[i].remote, buf, sizeof(buf));
		printf("  remote %s\n", buf);
		flow_print(&s->rem[i].s);
	}
}

static int stats_main(const struct cmd *c, int argc, char **argv)
{
	struct stats_filter f = {};
	struct stt_snapshot s;
	struct json_object *root;
	size_t n_ctx, n_rem;
	char buf[64];
	int rc = stats_opts(c, argc, argv, &f);

	if (rc)
		return rc == CMD_HELP ? 0 : 1;
	if (stats_snapshot(&f, &s))
		return 1;
	root = stats_json(&f, &s, &n_ctx, &n_rem);
	if (f.f_ctx && !n_ctx) {
		err_msg("stats: context %llu has no counters (no vport, or no traffic yet)",
		        (unsigned long long)f.ctx_id);
		rc = 1;
	} else if (f.f_rem && !n_rem) {
		raddr_fmt(&f.rem_a, buf, sizeof(buf));
		err_msg("stats: remote %s has no counters (never sent to nor heard from)", buf);
		rc = 1;
	}
	if (!rc && g_opts.json) {
		json_out(root);
		root = NULL;
	} else if (!rc) {
		stats_text(&f, &s, n_ctx, n_rem);
	}
	if (root)
		json_object_put(root);
	snapshot_free(&s);
	return rc;
}

const struct cmd cmd_stats = {
    .name = "stats",
    .synopsis = "stats [--json] [--context ID] [--remote ADDR]",
    .help = stats_help,
    .run = stats_main,
};

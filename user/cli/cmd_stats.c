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

static void stats_usage(void)
{
	fprintf(stderr,
		"Usage: sttctl stats [--json] [--context ID] [--remote ADDR]\n"
		"  Datapath counters of this network namespace, summed over CPUs: the underlay\n"
		"  device's counters, drops by reason, sttd's reassembly counters, then one\n"
		"  entry per context (contexts) and per remote endpoint (remotes).\n"
		"  --context ID   only that context's entry (and no remotes, unless --remote)\n"
		"  --remote ADDR  only that remote's entry, IPv4 or IPv6 (and no contexts, unless\n"
		"                 --context)\n"
		"  A filter that matches nothing is an error.\n"
		"  Device counters:\n");
	for (unsigned int i = 0; i < STT_C_DROP_BASE; i++)
		fprintf(stderr, "    %-16s %s\n", counter_name(i), counter_help(i));
	fprintf(stderr, "  Drop reasons (drops):\n");
	for (unsigned int i = 0; i < STT_DROP_MAX; i++)
		fprintf(stderr, "    %-16s %s\n", drop_name(i), drop_help(i));
	fprintf(stderr, "  Reassembly (reasm, written by sttd):\n");
	for (unsigned int i = 0; i < STT_R_MAX; i++)
		fprintf(stderr, "    %-16s %s\n", reasm_name(i), reasm_help(i));
	fprintf(stderr, "  Per context and per remote (contexts, remotes):\n");
	for (unsigned int i = 0; i < STT_FLOW_NFIELDS; i++)
		fprintf(stderr, "    %-16s %s\n", flow_fields[i].name, flow_fields[i].help);
	fprintf(stderr,
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

int cmd_stats(int argc, char **argv)
{
	struct stt_state st;
	struct stt_stats_fds fds;
	struct stt_snapshot s;
	struct json_object *root, *counters, *drops, *reasm, *ctxs, *rems;
	bool want_ctx = true, want_rem = true, f_ctx = false, f_rem = false;
	__u64 ctx_id = 0;
	__be32 rem_addr = 0;
	struct stt_addr6 rem_a;
	char name[IF_NAMESIZE], buf[64];
	int rc = 0;

	if (argc &&
	    (!strcmp(argv[0], "help") || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) {
		stats_usage();
		return 0;
	}
	for (int i = 0; i < argc; i++) {
		const char *v;

		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j")) {
			g_opts.json = true;
		} else if (!strcmp(argv[i], "--pretty") || !strcmp(argv[i], "-p")) {
			g_opts.json = g_opts.pretty = true;
		} else if ((v = opt_value(argc, argv, &i, "--context"))) {
			if (!*v || parse_context(v, &ctx_id))
				return 1;
			f_ctx = true;
		} else if ((v = opt_value(argc, argv, &i, "--remote"))) {
			if (!*v || parse_remote_addr(v, &rem_a))
				return 1;
			f_rem = true;
		} else {
			err_msg("stats: unexpected argument '%s' (try 'sttctl stats help')",
				argv[i]);
			return 1;
		}
	}
	if (f_ctx || f_rem) {
		want_ctx = f_ctx;
		want_rem = f_rem;
	}
	if (state_open(&st, true))
		return 1;
	/* An IPv6 address without an index has no counters: remote 0 matches none. */
	if (f_rem && remote_get(&rem_a, &rem_addr, false) < 0) {
		state_close(&st);
		return 1;
	}
	if (stats_fds_open(&fds, st.dir) || snapshot_read(&fds, &s)) {
		err_msg("stats: cannot read the counters under %s", st.dir);
		if (fds.stats_fd >= 0)
			stats_fds_close(&fds);
		state_close(&st);
		return 1;
	}
	stats_fds_close(&fds);
	state_close(&st);

	root = json_object_new_object();
	counters = json_object_new_object();
	drops = json_object_new_object();
	reasm = json_object_new_object();
	ctxs = json_object_new_array();
	rems = json_object_new_array();
	if (s.ifindex)
		json_object_object_add(root, "device",
				       json_object_new_string(dev_name(s.ifindex, name)));
	for (unsigned int k = 0; k < STT_C_DROP_BASE; k++)
		json_object_object_add(counters, counter_name(k), ju64(s.c[k]));
	for (unsigned int k = 0; k < STT_DROP_MAX; k++)
		json_object_object_add(drops, drop_name(k), ju64(s.c[STT_C_DROP_BASE + k]));
	/* Written by sttd, when it runs (reassembly of what GRO left in pieces). */
	for (unsigned int k = 0; k < STT_R_MAX; k++)
		json_object_object_add(reasm, reasm_name(k), ju64(s.reasm[k]));
	for (size_t i = 0; want_ctx && i < s.n_ctx; i++) {
		const struct stt_ctx_entry *e = &s.ctx[i];
		struct json_object *o;

		if (f_ctx && e->context != ctx_id)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "context", ju64(e->context));
		if (e->ifindex)
			json_object_object_add(o, "vport",
					       json_object_new_string(dev_name(e->ifindex, name)));
		flow_json(o, &e->s);
		json_object_array_add(ctxs, o);
	}
	for (size_t i = 0; want_rem && i < s.n_rem; i++) {
		const struct stt_remote_entry *e = &s.rem[i];
		struct json_object *o;

		if (f_rem && e->remote != rem_addr)
			continue;
		o = json_object_new_object();
		fmt_remote(e->remote, buf, sizeof(buf));
		json_object_object_add(o, "remote", json_object_new_string(buf));
		flow_json(o, &e->s);
		json_object_array_add(rems, o);
	}
	json_object_object_add(root, "counters", counters);
	json_object_object_add(root, "drops", drops);
	json_object_object_add(root, "reasm", reasm);
	if (want_ctx)
		json_object_object_add(root, "contexts", ctxs);
	else
		json_object_put(ctxs);
	if (want_rem)
		json_object_object_add(root, "remotes", rems);
	else
		json_object_put(rems);

	if (f_ctx && !json_object_array_length(ctxs)) {
		err_msg("stats: context %llu has no counters (no vport, or no traffic yet)",
			(unsigned long long)ctx_id);
		rc = 1;
	} else if (f_rem && !json_object_array_length(rems)) {
		raddr_fmt(&rem_a, buf, sizeof(buf));
		err_msg("stats: remote %s has no counters (never sent to nor heard from)", buf);
		rc = 1;
	}
	if (rc || g_opts.json) {
		if (!rc)
			json_out(root);
		else
			json_object_put(root);
		snapshot_free(&s);
		return rc;
	}

	if (s.ifindex)
		printf("device %s\n", dev_name(s.ifindex, name));
	for (unsigned int k = 0; k < STT_C_DROP_BASE; k++)
		printf("%-16s %llu\n", counter_name(k), (unsigned long long)s.c[k]);
	printf("drops:\n");
	for (unsigned int k = 0; k < STT_DROP_MAX; k++)
		printf("  %-16s %llu\n", drop_name(k),
		       (unsigned long long)s.c[STT_C_DROP_BASE + k]);
	printf("reassembly (sttd):\n");
	for (unsigned int k = 0; k < STT_R_MAX; k++)
		printf("  %-16s %llu\n", reasm_name(k), (unsigned long long)s.reasm[k]);
	if (want_ctx)
		printf("contexts: %zu\n", json_object_array_length(ctxs));
	for (size_t i = 0; want_ctx && i < s.n_ctx; i++) {
		if (f_ctx && s.ctx[i].context != ctx_id)
			continue;
		printf("  context %llu", (unsigned long long)s.ctx[i].context);
		if (s.ctx[i].ifindex)
			printf("  vport %s", dev_name(s.ctx[i].ifindex, name));
		printf("\n");
		flow_print(&s.ctx[i].s);
	}
	if (want_rem)
		printf("remotes: %zu\n", json_object_array_length(rems));
	for (size_t i = 0; want_rem && i < s.n_rem; i++) {
		if (f_rem && s.rem[i].remote != rem_addr)
			continue;
		fmt_remote(s.rem[i].remote, buf, sizeof(buf));
		printf("  remote %s\n", buf);
		flow_print(&s.rem[i].s);
	}
	json_object_put(root);
	snapshot_free(&s);
	return 0;
}

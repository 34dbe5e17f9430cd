// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* sttctl stats: what the datapath counted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "common.h"

static struct json_object *ju64(__u64 v)
{
	return json_object_new_uint64(v);
}

static bool want_json(int argc, char **argv, const char *cmd, int *bad)
{
	bool j = g_opts.json;

	*bad = 0;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j"))
			j = true;
		else if (!strcmp(argv[i], "--pretty") || !strcmp(argv[i], "-p"))
			j = g_opts.pretty = true;
		else {
			*bad = 1;
			err_msg("%s: unexpected argument '%s'", cmd, argv[i]);
		}
	}
	return j;
}

#define STT_R_NAME(name, str, help) [STT_R_##name] = str,
#define STT_R_HELP(name, str, help) [STT_R_##name] = help,

static void stats_usage(void)
{
	fprintf(stderr, "Usage: sttctl stats [--json]\n"
			"  Datapath counters, summed over CPUs. Drop reasons:\n");
	for (unsigned int i = 0; i < STT_DROP_MAX; i++)
		fprintf(stderr, "    %-16s %s\n", drop_name(i), drop_help(i));
	{
		static const char *n[STT_R_MAX] = { STT_REASM_COUNTERS(STT_R_NAME) };
		static const char *h[STT_R_MAX] = { STT_REASM_COUNTERS(STT_R_HELP) };

		fprintf(stderr, "  Reassembly (written by sttd):\n");
		for (unsigned int i = 0; i < STT_R_MAX; i++)
			fprintf(stderr, "    %-16s %s\n", n[i], h[i]);
	}
}

int cmd_stats(int argc, char **argv)
{
	struct stt_state st;
	struct json_object *root, *counters, *drops;
	int ncpu = libbpf_num_possible_cpus(), bad;
	__u64 *vals, total[STT_NR_COUNTERS] = {};

	if (argc && (!strcmp(argv[0], "help") || !strcmp(argv[0], "--help"))) {
		stats_usage();
		return 0;
	}
	g_opts.json = want_json(argc, argv, "stats", &bad);
	if (bad)
		return 1;
	if (state_open(&st, true))
		return 1;
	const char *reasm_names[STT_R_MAX];
	__u64 reasm_vals[STT_R_MAX];

	vals = calloc(ncpu, sizeof(__u64));
	for (__u32 k = 0; k < STT_NR_COUNTERS && vals; k++) {
		if (bpf_map_lookup_elem(st.stats_fd, &k, vals))
			continue;
		for (int c = 0; c < ncpu; c++)
			total[k] += vals[c];
	}
	free(vals);

	root = json_object_new_object();
	counters = json_object_new_object();
	drops = json_object_new_object();
	for (unsigned int k = 0; k < STT_C_DROP_BASE; k++)
		json_object_object_add(counters, counter_name(k), ju64(total[k]));
	for (unsigned int k = 0; k < STT_DROP_MAX; k++)
		json_object_object_add(drops, drop_name(k), ju64(total[STT_C_DROP_BASE + k]));
	json_object_object_add(root, "counters", counters);
	json_object_object_add(root, "drops", drops);
	{
		/* Written by sttd, when it runs (reassembly of what GRO left in pieces). */
		static const char *rnames[STT_R_MAX] = { STT_REASM_COUNTERS(STT_R_NAME) };
		struct json_object *reasm = json_object_new_object();
		char path[512];
		int fd;

		snprintf(path, sizeof(path), "%s/stt_reasm_stats", st.dir);
		fd = bpf_obj_get(path);
		for (__u32 k = 0; k < STT_R_MAX; k++) {
			__u64 v = 0;

			if (fd >= 0)
				bpf_map_lookup_elem(fd, &k, &v);
			reasm_vals[k] = v;
			json_object_object_add(reasm, rnames[k], ju64(v));
		}
		if (fd >= 0)
			close(fd);
		json_object_object_add(root, "reasm", reasm);
		for (__u32 k = 0; k < STT_R_MAX; k++)
			reasm_names[k] = rnames[k];
	}
	state_close(&st);
	if (g_opts.json)
		return json_out(root);
	for (unsigned int k = 0; k < STT_C_DROP_BASE; k++)
		printf("%-16s %llu\n", counter_name(k), (unsigned long long)total[k]);
	printf("drops:\n");
	for (unsigned int k = 0; k < STT_DROP_MAX; k++)
		printf("  %-16s %llu\n", drop_name(k),
		       (unsigned long long)total[STT_C_DROP_BASE + k]);
	printf("reassembly (sttd):\n");
	for (unsigned int k = 0; k < STT_R_MAX; k++)
		printf("  %-16s %llu\n", reasm_names[k], (unsigned long long)reasm_vals[k]);
	json_object_put(root);
	return 0;
}

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * One read of every counter of a network namespace's attachment: the global per-CPU
 * counters (stt_stats), the per-context (stt_ctx_stats) and per-remote (stt_remote_stats)
 * counters, and sttd's reassembly counters (stt_reasm_stats). Per-CPU values are summed.
 * Used by `sttctl stats`, `sttctl monitor` and sttd's metrics endpoint.
 */
#ifndef STT_STATS_READ_H
#define STT_STATS_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "stt_maps.h"

struct stt_ctx_entry {
	__u64 context;
	__u32 ifindex; /* its vport (from stt_contexts), 0 if none any more */
	struct stt_flow_stats s;
};

struct stt_remote_entry {
	__be32 remote;
	struct stt_flow_stats s;
};

struct stt_snapshot {
	__u64 ts_ns;   /* CLOCK_MONOTONIC when read */
	__u32 ifindex; /* underlay device, 0 = not attached */
	__u64 c[STT_NR_COUNTERS];
	__u64 reasm[STT_R_MAX];
	struct stt_ctx_entry *ctx; /* sorted by context */
	size_t n_ctx;
	struct stt_remote_entry *rem; /* sorted by address */
	size_t n_rem;
};

/* Pinned maps the snapshot reads; a missing one (an older attachment) reads as empty. */
struct stt_stats_fds {
	int cfg_fd, stats_fd, contexts_fd, ctx_fd, rem_fd, reasm_fd;
};

int stats_fds_open(struct stt_stats_fds *f, const char *dir); /* -1 if stt_stats is missing */
void stats_fds_close(struct stt_stats_fds *f);
int snapshot_read(const struct stt_stats_fds *f, struct stt_snapshot *s);
void snapshot_free(struct stt_snapshot *s);

/* The fields of struct stt_flow_stats, in order: name, help, offset. */
struct flow_field {
	const char *name;
	const char *help;
	size_t off;
};
#define STT_FLOW_NFIELDS 8
extern const struct flow_field flow_fields[STT_FLOW_NFIELDS];

static inline __u64 flow_get(const struct stt_flow_stats *s, unsigned int i)
{
	return *(const __u64 *)((const char *)s + flow_fields[i].off);
}

const char *reasm_name(unsigned int idx);
const char *reasm_help(unsigned int idx);
bool reasm_is_gauge(unsigned int idx);              /* a level (bytes held now...), not a count */
__u64 snapshot_drops(const struct stt_snapshot *s); /* every drop reason together */

#endif

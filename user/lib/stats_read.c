// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Read every counter of the attachment at once (see stats_read.h). */
#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "common.h" /* open_pin */
#include "stats_read.h"

const struct flow_field flow_fields[STT_FLOW_NFIELDS] = {
#define F(n, h)                                                                                    \
	{                                                                                          \
#n, h, offsetof(struct stt_flow_stats, n)                                          \
	}
    F(tx_frames, "tenant frames sent (for a remote: the copies sent to it)"),
    F(tx_segments, "STT segments sent"),
    F(tx_bytes, "inner bytes of those frames"),
    F(tx_drops, "frames dropped on transmit"),
    F(rx_frames, "frames received and delivered"),
    F(rx_segments, "STT segments received"),
    F(rx_bytes, "inner bytes of those frames"),
    F(rx_drops, "frames dropped on receive"),
#undef F
};
_Static_assert(sizeof(struct stt_flow_stats) == STT_FLOW_NFIELDS * sizeof(__u64),
               "flow_fields lists every field of struct stt_flow_stats");

/* counter_help() is in common.c, from the STT_COUNTERS X-macro. */

#define R_NAME(name, str, help) [STT_R_##name] = str,
#define R_HELP(name, str, help) [STT_R_##name] = help,
static const char *reasm_names[STT_R_MAX] = {STT_REASM_COUNTERS(R_NAME)};
static const char *reasm_helps[STT_R_MAX] = {STT_REASM_COUNTERS(R_HELP)};

const char *reasm_name(unsigned int idx)
{
	return idx < STT_R_MAX ? reasm_names[idx] : "unknown";
}

const char *reasm_help(unsigned int idx)
{
	return idx < STT_R_MAX ? reasm_helps[idx] : "";
}

bool reasm_is_gauge(unsigned int idx)
{
	return idx == STT_R_MEM || idx == STT_R_MEM_PEAK || idx == STT_R_INFLIGHT;
}

int stats_fds_open(struct stt_stats_fds *f, const char *dir)
{
	f->cfg_fd = open_pin(dir, "stt_cfg");
	f->stats_fd = open_pin(dir, "stt_stats");
	f->contexts_fd = open_pin(dir, "stt_contexts");
	f->ctx_fd = open_pin(dir, "stt_ctx_stats");
	f->rem_fd = open_pin(dir, "stt_remote_stats");
	f->reasm_fd = open_pin(dir, "stt_reasm_stats");
	if (f->stats_fd < 0) {
		stats_fds_close(f);
		return -1;
	}
	return 0;
}

void stats_fds_close(struct stt_stats_fds *f)
{
	int *fds[] = {&f->cfg_fd, &f->stats_fd, &f->contexts_fd,
	              &f->ctx_fd, &f->rem_fd,   &f->reasm_fd};

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

static void flow_sum(struct stt_flow_stats *out, const struct stt_flow_stats *v, int ncpu)
{
	memset(out, 0, sizeof(*out));
	for (int c = 0; c < ncpu; c++) {
		out->tx_frames += v[c].tx_frames;
		out->tx_segments += v[c].tx_segments;
		out->tx_bytes += v[c].tx_bytes;
		out->tx_drops += v[c].tx_drops;
		out->rx_frames += v[c].rx_frames;
		out->rx_segments += v[c].rx_segments;
		out->rx_bytes += v[c].rx_bytes;
		out->rx_drops += v[c].rx_drops;
	}
}

static int cmp_ctx(const void *a, const void *b)
{
	__u64 x = ((const struct stt_ctx_entry *)a)->context;
	__u64 y = ((const struct stt_ctx_entry *)b)->context;

	return x < y ? -1 : x > y;
}

static int cmp_rem(const void *a, const void *b)
{
	__u32 x = ntohl(((const struct stt_remote_entry *)a)->remote);
	__u32 y = ntohl(((const struct stt_remote_entry *)b)->remote);

	return x < y ? -1 : x > y;
}

/* Append to a growing array: *n entries of size sz in *arr, room for *cap. */
static void *grow(void *arr, size_t n, size_t *cap, size_t sz)
{
	void *p;

	if (n < *cap)
		return arr;
	*cap = *cap ? *cap * 2 : 16;
	p = realloc(arr, *cap * sz);
	if (!p)
		free(arr);
	return p;
}

int snapshot_read(const struct stt_stats_fds *f, struct stt_snapshot *s)
{
	int ncpu = libbpf_num_possible_cpus();
	struct stt_flow_stats *fv;
	struct timespec ts;
	__u64 *vals;
	size_t cap;

	memset(s, 0, sizeof(*s));
	if (ncpu <= 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	s->ts_ns = (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	if (f->cfg_fd >= 0) {
		struct stt_cfg cfg = {};
		__u32 zero = 0;

		if (bpf_map_lookup_elem(f->cfg_fd, &zero, &cfg) == 0)
			s->ifindex = cfg.ifindex;
	}
	vals = calloc(ncpu, sizeof(__u64));
	fv = calloc(ncpu, sizeof(*fv));
	if (!vals || !fv) {
		free(vals);
		free(fv);
		return -1;
	}
	for (__u32 k = 0; k < STT_NR_COUNTERS; k++) {
		if (bpf_map_lookup_elem(f->stats_fd, &k, vals))
			continue;
		for (int c = 0; c < ncpu; c++)
			s->c[k] += vals[c];
	}
	for (__u32 k = 0; k < STT_R_MAX && f->reasm_fd >= 0; k++)
		bpf_map_lookup_elem(f->reasm_fd, &k, &s->reasm[k]);

	cap = 0;
	if (f->ctx_fd >= 0) {
		__u64 key, next, *prev = NULL;

		while (bpf_map_get_next_key(f->ctx_fd, prev, &next) == 0) {
			struct stt_ctx_entry *e;
			struct stt_ctx_val cv;

			key = next;
			prev = &key;
			if (bpf_map_lookup_elem(f->ctx_fd, &key, fv))
				continue; /* deleted meanwhile */
			s->ctx = grow(s->ctx, s->n_ctx, &cap, sizeof(*s->ctx));
			if (!s->ctx)
				goto nomem;
			e = &s->ctx[s->n_ctx++];
			e->context = key;
			e->ifindex = 0;
			if (f->contexts_fd >= 0 &&
			    bpf_map_lookup_elem(f->contexts_fd, &key, &cv) == 0)
				e->ifindex = cv.ifindex;
			flow_sum(&e->s, fv, ncpu);
		}
		if (s->n_ctx)
			qsort(s->ctx, s->n_ctx, sizeof(*s->ctx), cmp_ctx);
	}
	cap = 0;
	if (f->rem_fd >= 0) {
		__u32 key, next, *prev = NULL;

		while (bpf_map_get_next_key(f->rem_fd, prev, &next) == 0) {
			struct stt_remote_entry *e;

			key = next;
			prev = &key;
			if (bpf_map_lookup_elem(f->rem_fd, &key, fv))
				continue;
			s->rem = grow(s->rem, s->n_rem, &cap, sizeof(*s->rem));
			if (!s->rem)
				goto nomem;
			e = &s->rem[s->n_rem++];
			e->remote = key;
			flow_sum(&e->s, fv, ncpu);
		}
		if (s->n_rem)
			qsort(s->rem, s->n_rem, sizeof(*s->rem), cmp_rem);
	}
	free(vals);
	free(fv);
	return 0;
nomem:
	free(vals);
	free(fv);
	snapshot_free(s);
	return -1;
}

void snapshot_free(struct stt_snapshot *s)
{
	free(s->ctx);
	free(s->rem);
	s->ctx = NULL;
	s->rem = NULL;
	s->n_ctx = s->n_rem = 0;
}

__u64 snapshot_drops(const struct stt_snapshot *s)
{
	__u64 n = 0;

	for (unsigned int k = 0; k < STT_DROP_MAX; k++)
		n += s->c[STT_C_DROP_BASE + k];
	return n;
}

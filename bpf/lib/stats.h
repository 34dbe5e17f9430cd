/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Accounting: the endpoint's counters (stt_stats) and the OAM counters of contexts and
 * remotes (stt_ctx_stats, stt_remote_stats).
 */
#ifndef STT_BPF_STATS_H
#define STT_BPF_STATS_H

#include "defs.h"
#include "maps.h"

static __always_inline void stt_count(__u32 idx, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&stt_stats, &idx);

	if (v)
		*v += n; /* per-CPU slot: no atomics needed */
}

/*
 * What an OAM count is: which half of struct stt_flow_stats (STT_DIR_*), and whether it
 * adds a frame or a drop (the segment and byte counts are arguments of their own).
 */
#define STT_DIR_TX    0x0
#define STT_DIR_RX    0x1
#define STT_ACC_FRAME 0x2
#define STT_ACC_DROP  0x4

static __always_inline void stt_flow_add(struct stt_flow_stats *s, __u32 what, __u32 segs,
                                         __u32 bytes)
{
	__u64 *f = (__u64 *)s + ((what & STT_DIR_RX) ? 4 : 0);

	/* Per-CPU values: no atomics needed. */
	f[0] += !!(what & STT_ACC_FRAME);
	f[1] += segs;
	f[2] += bytes;
	f[3] += !!(what & STT_ACC_DROP);
}

/* A new entry's first value, in .rodata rather than on the (tight) stack. */
static const struct stt_flow_stats stt_zero_stats;

/*
 * OAM counters of a context that has a vport (the callers looked it up), so the map never
 * holds more entries than there are vports.
 */
static __noinline void stt_ctx_account(__u64 context, __u32 what, __u32 segs, __u32 bytes)
{
	struct stt_flow_stats *s = bpf_map_lookup_elem(&stt_ctx_stats, &context);

	if (!s) {
		bpf_map_update_elem(&stt_ctx_stats, &context, &stt_zero_stats, BPF_NOEXIST);
		s = bpf_map_lookup_elem(&stt_ctx_stats, &context);
		if (!s)
			return;
	}
	stt_flow_add(s, what, segs, bytes);
}

/* OAM counters of a remote endpoint: LRU, so senders cannot fill it for good. */
static __noinline void stt_remote_account(__u32 remote, __u32 what, __u32 segs, __u32 bytes)
{
	struct stt_flow_stats *s;

	if (!remote)
		return; /* an IPv6 sender with no remote index: no row of its own */
	s = bpf_map_lookup_elem(&stt_remote_stats, &remote);
	if (!s) {
		bpf_map_update_elem(&stt_remote_stats, &remote, &stt_zero_stats, BPF_NOEXIST);
		s = bpf_map_lookup_elem(&stt_remote_stats, &remote);
		if (!s)
			return;
	}
	stt_flow_add(s, what, segs, bytes);
}

/* A received frame delivered to its vport (XDP or TC): inner_len bytes in segs segments. */
static __always_inline void stt_rx_account_frame(__u64 context, __be32 saddr, int v6, __u32 segs,
                                                 __u32 inner_len)
{
	stt_count(STT_C_RX_FRAMES, 1);
	stt_count(STT_C_RX_BYTES, inner_len);
	if (v6)
		stt_count(STT_C_RX_FRAMES6, 1);
	stt_ctx_account(context, STT_DIR_RX | STT_ACC_FRAME, segs, inner_len);
	stt_remote_account(saddr, STT_DIR_RX | STT_ACC_FRAME, segs, inner_len);
}

#endif

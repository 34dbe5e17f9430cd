/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Pinned maps shared by every stt program; layouts in include/stt_maps.h. */
#ifndef STT_BPF_MAPS_H
#define STT_BPF_MAPS_H

#include "stt_maps.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stt_cfg);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} stt_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, STT_MAX_VPORTS);
	__type(key, __u32);
	__type(value, struct stt_vport);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} stt_vports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, STT_MAX_VPORTS);
	__type(key, struct stt_vlan_key);
	__type(value, struct stt_vport);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} stt_vlan_vports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, STT_MAX_VPORTS);
	__type(key, __u64);
	__type(value, struct stt_ctx_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} stt_contexts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, STT_MAX_FDB);
	__type(key, struct stt_fdb_key);
	__type(value, struct stt_fdb_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} stt_fdb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, STT_MAX_FLOOD_CTX);
	__type(key, __u64);
	__type(value, struct stt_flood_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} stt_flood SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, STT_MAX_PMTU);
	__type(key, __u32);
	__type(value, struct stt_pmtu_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} stt_pmtu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, STT_MAX_GROUPS);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} stt_groups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stt_cfg6);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} stt_cfg6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, STT_MAX_REMOTES6);
	__type(key, __u32);
	__type(value, struct stt_addr6);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} stt_remotes6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, STT_MAX_REMOTES6);
	__type(key, struct stt_addr6);
	__type(value, __u32); /* the remote: stt_remote6_make(index) */
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} stt_remote6_ids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stt_underlay);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} stt_underlay SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, STT_MAX_PEERS);
	__type(key, struct stt_peer_key);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} stt_peers SEC(".maps");

/* The template of a context's learning table; sttctl creates one per learning context. */
struct stt_learn_inner {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, STT_LEARN_CAP_DEFAULT);
	/* Sizes, not types: clang would emit the structs as forward declarations here. */
	__uint(key_size, sizeof(struct stt_learn_key));
	__uint(value_size, sizeof(struct stt_learn_val));
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, STT_MAX_LEARN_CTX);
	__type(key, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct stt_learn_inner);
} stt_learn SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, STT_MAX_CTX_STATS);
	__type(key, __u64);
	__type(value, struct stt_flow_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} stt_ctx_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, STT_MAX_REMOTE_STATS);
	__type(key, __u32);
	__type(value, struct stt_flow_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} stt_remote_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STT_STATS_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} stt_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} stt_reasm_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 32);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} stt_reasm_stats SEC(".maps");

/* Per-CPU frame ID counters: the CPU number goes in the top byte so CPUs never collide. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} stt_frame_ids SEC(".maps");

static __always_inline void stt_count(__u32 idx, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&stt_stats, &idx);

	if (v)
		*v += n; /* per-CPU slot: no atomics needed */
}

static __always_inline void stt_drop(enum stt_drop reason)
{
	stt_count(STT_C_DROP_BASE + reason, 1);
}

/*
 * Strict peers (docs/DESIGN.md): with STT_OPT_PEERS_STRICT for the endpoint, or
 * STT_VPORT_PEERS_STRICT for the context, only the (context, sender) pairs in stt_peers
 * may deliver. The draft has no authentication: this is an address filter, no more.
 */
static __always_inline int stt_peer_denied(const struct stt_cfg *cfg,
					   const struct stt_ctx_val *vp, __u64 context,
					   __be32 saddr)
{
	struct stt_peer_key k = { .context = context, .remote4 = saddr };

	if (!(cfg->opts & STT_OPT_PEERS_STRICT) && !(vp->flags & STT_VPORT_PEERS_STRICT))
		return 0;
	return !bpf_map_lookup_elem(&stt_peers, &k);
}

/*
 * What an OAM count is: which half of struct stt_flow_stats (STT_DIR_*), and whether it
 * adds a frame or a drop (the segment and byte counts are arguments of their own).
 */
#define STT_DIR_TX 0x0
#define STT_DIR_RX 0x1
#define STT_ACC_FRAME 0x2
#define STT_ACC_DROP 0x4

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

/* The remote (index form, include/stt_maps.h) of an IPv6 address, 0 if it has none. */
static __always_inline __be32 stt_remote6_of(const __be32 *a)
{
	struct stt_addr6 k;
	__u32 *r;

	__builtin_memcpy(&k, a, sizeof(k));
	r = bpf_map_lookup_elem(&stt_remote6_ids, &k);
	return r ? *r : 0;
}

/*
 * The address behind an IPv6 remote (index form), or NULL when the index has none (sttctl
 * writes the address before any map names the index).
 */
static __always_inline const struct stt_addr6 *stt_remote6_addr(__be32 remote)
{
	__u32 idx = stt_remote6_idx(remote);
	const struct stt_addr6 *a = bpf_map_lookup_elem(&stt_remotes6, &idx);

	if (!a || !(a->a[0] | a->a[1] | a->a[2] | a->a[3]))
		return NULL;
	return a;
}

static __always_inline const struct stt_cfg *stt_get_cfg(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&stt_cfg, &zero);
}

static __always_inline __u32 stt_next_frame_id(void)
{
	__u32 zero = 0, *ctr = bpf_map_lookup_elem(&stt_frame_ids, &zero);
	__u32 id;

	if (!ctr)
		return 0;
	id = (*ctr)++;
	return (bpf_get_smp_processor_id() << 24) | (id & 0x00ffffff);
}

/*
 * Learning on receive: the frame's inner source MAC (unicast only) lives behind saddr.
 * Written only when new, moved, or last seen over a second ago, to keep writes rare.
 */
static __noinline void stt_learn_mac(__u64 context, const __u8 *src_mac, __be32 saddr)
{
	struct stt_learn_key k = {};
	struct stt_learn_val v = {}, *cur;
	void *tbl;
	__u64 now;

	if ((src_mac[0] & 1) || !saddr)
		return; /* multicast source, or an IPv6 sender with no remote index */
	tbl = bpf_map_lookup_elem(&stt_learn, &context);
	if (!tbl)
		return;
	__builtin_memcpy(k.mac, src_mac, 6);
	now = bpf_ktime_get_ns();
	cur = bpf_map_lookup_elem(tbl, &k);
	if (cur && cur->remote4 == saddr && now - cur->seen_ns < 1000000000ULL)
		return;
	v.remote4 = saddr;
	v.seen_ns = now;
	bpf_map_update_elem(tbl, &k, &v, BPF_ANY);
	if (!cur || cur->remote4 != saddr)
		stt_count(STT_C_LEARNED, 1);
}

#endif

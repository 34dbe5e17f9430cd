/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Every map of the stt programs. The pinned ones (LIBBPF_PIN_BY_NAME) are shared by every
 * object through their pins; layouts in include/stt_maps.h. The unpinned ones are private
 * to one program, one instance per object: each is defined only in the object of the
 * program that uses it (STT_MAPS_TX, STT_MAPS_TC_RX, defined before including this).
 */
#ifndef STT_BPF_MAPS_H
#define STT_BPF_MAPS_H

#include "stt_maps.h"
#include "types.h"

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

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, STT_MAX_REMOTE_CFG);
	__type(key, __u32);
	__type(value, struct stt_remote_cfg);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} stt_remote_cfg SEC(".maps");

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

#ifdef STT_MAPS_TX
/* Per-CPU frame ID counters: the CPU number goes in the top byte so CPUs never collide. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} stt_frame_ids SEC(".maps");

/* The outer headers under construction: the transmit call chain's stack is full. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stt_tx_state);
} stt_tx_scratch SEC(".maps");

/* Next hops bpf_fib_lookup found a moment ago (outer.h, stt_next_hop). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, STT_MAX_PMTU);
	__type(key, struct stt_nh_key);
	__type(value, struct stt_nh_val);
} stt_nexthops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stt_nh_scratch);
} stt_nh_scratch SEC(".maps");

/* The outer headers of a cut frame's pass, for the same reason. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stt_cut_hdrs);
} stt_cut_scratch SEC(".maps");
#endif /* STT_MAPS_TX */

#ifdef STT_MAPS_TC_RX
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stt_oam_rate);
} stt_oam_rate SEC(".maps");

/* The inner headers of TSO frames delivered piece by piece (piece.h). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct stt_piece_key);
	__type(value, struct stt_piece_hdrs);
} stt_piece_hdrs SEC(".maps");

/* A struct stt_piece_hdrs being built: the receive call chain's stack is full. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stt_piece_hdrs);
} stt_piece_hdr_scratch SEC(".maps");

/* The perf sample header of a piece handed to sttd (struct stt_piece), for the same reason. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stt_piece);
} stt_piece_scratch SEC(".maps");
#endif /* STT_MAPS_TC_RX */

#endif

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Who may send to a context (strict peers) and where its MACs live: learning on receive
 * (stt_learn_mac), the learned remote on transmit (stt_tx_learned).
 */
#ifndef STT_BPF_LEARN_H
#define STT_BPF_LEARN_H

#include "defs.h"
#include "drop.h"
#include "stats.h"
#include "stt_policy.h"

/* Strict peers (include/stt_policy.h): is saddr refused by the context? */
static __always_inline int stt_peer_denied(const struct stt_cfg *cfg, const struct stt_ctx_val *vp,
                                           __u64 context, __be32 saddr)
{
	struct stt_peer_key k = {.context = context, .remote4 = saddr};

	if (!stt_peers_strict(cfg->opts, vp->flags))
		return 0;
	return !bpf_map_lookup_elem(&stt_peers, &k);
}

/*
 * A whole frame's context on receive (TC and XDP alike): its entry, or NULL with *ret the
 * drop, for a context not served here or a sender strict peers refuse (counted for it).
 */
static __always_inline const struct stt_ctx_val *stt_rx_context(const struct stt_cfg *cfg,
                                                                __u64 context, __be32 saddr,
                                                                struct stt_drop_ctx *d, int *ret)
{
	const struct stt_ctx_val *vp = bpf_map_lookup_elem(&stt_contexts, &context);

	if (!vp) {
		*ret = stt_ret_drop(STT_DROP_UNKNOWN_CTX);
		return NULL;
	}
	if (stt_peer_denied(cfg, vp, context, saddr)) {
		*ret = stt_ret_drop_ctx(d, stt_ret_drop(STT_DROP_PEER_DENIED), context,
		                        STT_DIR_RX | STT_ACC_DROP);
		return NULL;
	}
	return vp;
}

/*
 * Learning on receive, for a frame the policy says teaches (stt_learns, include/
 * stt_policy.h): its inner source MAC lives behind saddr. Written only when new, moved,
 * or last seen a while ago (stt_learn_current), to keep writes rare.
 */
static __noinline __maybe_unused void stt_learn_mac(__u64 context, const __u8 *src_mac,
                                                    __be32 saddr)
{
	struct stt_learn_key k = {};
	struct stt_learn_val v = {}, *cur;
	void *tbl;
	__u64 now;

	tbl = bpf_map_lookup_elem(&stt_learn, &context);
	if (!tbl)
		return;
	__builtin_memcpy(k.mac, src_mac, 6);
	now = bpf_ktime_get_ns();
	cur = bpf_map_lookup_elem(tbl, &k);
	if (cur && stt_learn_current(1, cur->remote4, cur->seen_ns, saddr, now))
		return;
	v.remote4 = saddr;
	v.seen_ns = now;
	bpf_map_update_elem(tbl, &k, &v, BPF_ANY);
	if (!cur || cur->remote4 != saddr)
		stt_count(STT_C_LEARNED, 1);
}

/* A learned, unexpired remote for (context, MAC), or 0 (see stt_learn in stt_maps.h). */
static __noinline __maybe_unused __be32 stt_tx_learned(__u64 context, const __u8 *mac, __u32 age_s)
{
	struct stt_learn_key k = {};
	struct stt_learn_val *v;
	__u64 age_ns = (__u64)(age_s ? age_s : STT_LEARN_AGE_DEFAULT) * 1000000000ULL;
	void *tbl = bpf_map_lookup_elem(&stt_learn, &context);

	if (!tbl)
		return 0;
	__builtin_memcpy(k.mac, mac, 6);
	v = bpf_map_lookup_elem(tbl, &k);
	if (!v || bpf_ktime_get_ns() - v->seen_ns >= age_ns)
		return 0;
	stt_count(STT_C_TX_LEARNED, 1);
	return v->remote4;
}

#endif

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Lookups of the endpoint's configuration and of its IPv6 remotes' addresses. */
#ifndef STT_BPF_CFG_H
#define STT_BPF_CFG_H

#include "maps.h"

static __always_inline const struct stt_cfg *stt_get_cfg(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&stt_cfg, &zero);
}

static __always_inline int stt_addr6_eq(const __be32 *a, const __be32 *b)
{
	return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3];
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

#endif

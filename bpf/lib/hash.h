/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* murmur3's 32-bit mixing: flow entropy for source ports, and seeded choices in tests. */
#ifndef STT_BPF_HASH_H
#define STT_BPF_HASH_H

static __always_inline __u32 stt_mix(__u32 h, __u32 v)
{
	v *= 0xcc9e2d51;
	v = (v << 15) | (v >> 17);
	v *= 0x1b873593;
	h ^= v;
	h = (h << 13) | (h >> 19);
	return h * 5 + 0xe6546b64;
}

static __always_inline __u32 stt_final(__u32 h)
{
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

#endif

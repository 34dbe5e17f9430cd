/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Generic skb helpers: packet pointers the verifier accepts, and ones' complement sums. */
#ifndef STT_BPF_SKB_H
#define STT_BPF_SKB_H

#include "defs.h"
#include "csum.h"

/*
 * Load skb->data / data_end with one instruction off the context register. Without this,
 * clang may keep &skb->data (ctx + 76) in a spilled register across helper calls, and the
 * verifier refuses a load through a modified context pointer.
 */
static __always_inline void *stt_skb_data(struct __sk_buff *skb)
{
	unsigned long v;

	asm volatile("%0 = *(u32 *)(%1 + %2)"
	             : "=r"(v)
	             : "r"(skb), "i"(__builtin_offsetof(struct __sk_buff, data)));
	return (void *)(long)v;
}

static __always_inline void *stt_skb_data_end(struct __sk_buff *skb)
{
	unsigned long v;

	asm volatile("%0 = *(u32 *)(%1 + %2)"
	             : "=r"(v)
	             : "r"(skb), "i"(__builtin_offsetof(struct __sk_buff, data_end)));
	return (void *)(long)v;
}

/* Largest inner frame the single-segment path sums word by word (underlay MTU 9000 + slack). */
#define STT_SUM_MAX 9216

struct stt_sum_ctx {
	struct __sk_buff *skb;
	__u32 off;
	__u32 len;
	__u64 sum;
};

static __maybe_unused long stt_sum_chunk(__u32 i, void *arg)
{
	struct stt_sum_ctx *c = arg;
	__u32 n = c->len - i * 64;
	__u8 buf[64];

	if (n >= 64) {
		if (bpf_skb_load_bytes(c->skb, c->off + i * 64, buf, sizeof(buf)))
			return 1;
	} else {
		/* The tail, zero-padded: how an odd last byte counts (high half of its word). */
		__builtin_memset(buf, 0, sizeof(buf));
		/* (n - 1) % 64 + 1 is n here, and 1..64 to every verifier (6.1 too). */
		if (!n || bpf_skb_load_bytes(c->skb, c->off + i * 64, buf, ((n - 1) & 63) + 1))
			return 1;
	}
	c->sum += (__u32)bpf_csum_diff(NULL, 0, (void *)buf, sizeof(buf), 0);
	return 0;
}

/*
 * Ones' complement sum of [off, off + len) of the packet (linear or not); off must be even.
 * 64-byte chunks through bpf_loop() keep the verifier's work independent of the length
 * (and this call chain's stack small: no buffer here, one in the callback).
 */
static __noinline __maybe_unused __u64 stt_sum_bytes(struct __sk_buff *skb, __u32 off, __u32 len)
{
	struct stt_sum_ctx c = {.skb = skb, .off = off, .len = len};

	if (len > STT_SUM_MAX)
		return 0;
	bpf_loop((len + 63) / 64, stt_sum_chunk, &c, 0);
	return c.sum;
}

#endif

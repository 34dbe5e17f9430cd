/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Ones' complement arithmetic for the outer checksums.
 *
 * Sums are kept in the "raw" domain the kernel uses: network-order fields are added as the
 * integers they read as on this CPU. Ones' complement addition commutes with byte swapping,
 * so folding and storing the result back unchanged gives the network-order checksum, and
 * partial sums from bpf_csum_diff() add in directly.
 */
#ifndef STT_BPF_CSUM_H
#define STT_BPF_CSUM_H

static __always_inline __u16 stt_csum_fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/* IPv4 pseudo header without the addresses: protocol and L4 length. */
static __always_inline __u64 stt_pseudo4_tail(__u8 proto, __u16 l4_len)
{
	return (__u64)bpf_htons(proto) + bpf_htons(l4_len);
}

/* Sum of an IPv6 address's words, for pseudo headers. */
static __always_inline __u64 stt_sum6(const __be32 *a)
{
	return (__u64)a[0] + a[1] + a[2] + a[3];
}

static __always_inline __u16 stt_ipv4_csum(const struct stt_ipv4 *ip)
{
	const __u16 *w = (const __u16 *)ip;
	__u64 sum = 0;

#pragma unroll
	for (int i = 0; i < (int)(sizeof(*ip) / 2); i++)
		sum += w[i];
	return ~stt_csum_fold(sum);
}

#endif

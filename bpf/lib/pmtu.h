/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Path MTU toward remotes (stt_pmtu): used at transmit (stt_tx_path_mtu), learned at
 * receive from ICMP "fragmentation needed" and ICMPv6 "packet too big" about our segments.
 */
#ifndef STT_BPF_PMTU_H
#define STT_BPF_PMTU_H

#include "defs.h"
#include "cfg.h"
#include "skb.h"
#include "stats.h"

/* The MTU toward a remote: the underlay's, or a smaller path MTU learned (stt_pmtu). */
static __noinline __maybe_unused __u32 stt_remote_mtu(const struct stt_cfg *cfg, __u32 remote)
{
	const struct stt_pmtu_val *p = bpf_map_lookup_elem(&stt_pmtu, &remote);
	__u32 mtu = cfg->mtu;

	if (p && p->mtu < mtu &&
	    bpf_ktime_get_ns() - p->learned_ns < (__u64)STT_PMTU_EXPIRE * 1000000000ULL)
		mtu = p->mtu;
	return mtu;
}

/* The path MTU of a frame: toward its remote, or the smallest toward any flood target. */
static __always_inline __u32 stt_tx_path_mtu(const struct stt_cfg *cfg, __be32 uc_remote,
                                             const struct stt_flood_val *flood)
{
	__u32 mtu, i;

	if (uc_remote) {
		mtu = stt_remote_mtu(cfg, uc_remote);
	} else {
		mtu = cfg->mtu;
		for (i = 0; i < STT_MAX_FLOOD; i++) {
			__u32 m;

			if (i >= flood->count)
				break;
			m = stt_remote_mtu(cfg, flood->remote4[i]);
			if (m < mtu)
				mtu = m;
		}
	}
	return mtu < STT_PMTU_MIN ? STT_PMTU_MIN : mtu;
}

static __always_inline void stt_pmtu_learn(__be32 remote, __u32 mtu)
{
	struct stt_pmtu_val v = {};

	v.mtu = mtu;
	v.learned_ns = bpf_ktime_get_ns();
	bpf_map_update_elem(&stt_pmtu, &remote, &v, BPF_ANY);
	stt_count(STT_C_PMTU_LEARNED, 1);
}

/*
 * An ICMP "fragmentation needed" about an STT segment this endpoint sent (the quoted
 * header: from our address, TCP to the STT port) lowers the path MTU toward that remote
 * (stt_pmtu). The ICMP itself goes on to the stack.
 */
static __noinline __maybe_unused void stt_rx_icmp(struct __sk_buff *skb, const struct stt_cfg *cfg)
{
	struct stt_ipv4 ip, in;
	__u8 icmp[8];
	__be16 dport;
	__u32 ihl, mtu;

	if (bpf_skb_load_bytes(skb, 14, &ip, sizeof(ip)) || (ip.ver_ihl >> 4) != 4 ||
	    ip.protocol != IPPROTO_ICMP || (ip.frag_off & bpf_htons(IP_MF | IP_OFFSET)))
		return;
	ihl = (ip.ver_ihl & 0x0f) * 4;
	if (ihl < 20 || bpf_skb_load_bytes(skb, (14 + ihl) & 0x7f, icmp, sizeof(icmp)) ||
	    icmp[0] != ICMP_DEST_UNREACH || icmp[1] != ICMP_FRAG_NEEDED ||
	    bpf_skb_load_bytes(skb, (14 + ihl + 8) & 0x7f, &in, sizeof(in)) || in.ver_ihl != 0x45 ||
	    in.protocol != IPPROTO_TCP || in.saddr != cfg->local4 ||
	    bpf_skb_load_bytes(skb, (14 + ihl + 8 + 20 + 2) & 0xff, &dport, sizeof(dport)) ||
	    dport != bpf_htons(cfg->port))
		return;
	mtu = (__u32)icmp[6] << 8 | icmp[7];
	if (mtu < STT_PMTU_MIN || mtu >= cfg->mtu) {
		stt_count(STT_C_PMTU_IGNORED, 1);
		return;
	}
	stt_pmtu_learn(in.daddr, mtu);
}

/*
 * The same for an ICMPv6 "packet too big" (RFC 4443 3.2) about an STT segment sent from
 * this endpoint's IPv6 address to a remote it has an index for. Values below the IPv6
 * minimum MTU (1280) are not taken.
 */
static __noinline __maybe_unused void stt_rx_icmp6(struct __sk_buff *skb, const struct stt_cfg *cfg)
{
	const struct stt_cfg6 *c6;
	struct stt_ipv6 in;
	__u8 icmp[8];
	__be16 dport;
	__u32 zero = 0, mtu;
	__be32 remote;

	c6 = bpf_map_lookup_elem(&stt_cfg6, &zero);
	if (!c6 || !(c6->flags & STT_CFG6_LOCAL) ||
	    bpf_skb_load_bytes(skb, 14 + 40, icmp, sizeof(icmp)) || icmp[0] != ICMPV6_PKT_TOOBIG ||
	    icmp[1] != 0 || bpf_skb_load_bytes(skb, 14 + 40 + 8, &in, sizeof(in)) ||
	    in.nexthdr != IPPROTO_TCP || !stt_addr6_eq(in.saddr, c6->local6.a) ||
	    bpf_skb_load_bytes(skb, 14 + 40 + 8 + 40 + 2, &dport, sizeof(dport)) ||
	    dport != bpf_htons(cfg->port))
		return;
	mtu = (__u32)icmp[4] << 24 | (__u32)icmp[5] << 16 | (__u32)icmp[6] << 8 | icmp[7];
	remote = stt_remote6_of(in.daddr);
	if (mtu < STT_PMTU6_MIN || mtu >= cfg->mtu || !remote) {
		stt_count(STT_C_PMTU_IGNORED, 1);
		return;
	}
	stt_pmtu_learn(remote, mtu);
}

/* Only ICMP and ICMPv6 can say the path to a remote is smaller: look at what is not STT. */
static __always_inline void stt_rx_not_stt(struct __sk_buff *skb, const struct stt_cfg *cfg)
{
	void *data = stt_skb_data(skb), *data_end = stt_skb_data_end(skb);
	struct stt_ipv4 *ip = data + sizeof(struct stt_eth);
	struct stt_ipv6 *ip6 = data + sizeof(struct stt_eth);

	if ((void *)(ip + 1) <= data_end &&
	    ((struct stt_eth *)data)->proto == bpf_htons(ETH_P_IP) && ip->protocol == IPPROTO_ICMP)
		stt_rx_icmp(skb, cfg);
	else if ((void *)(ip6 + 1) <= data_end &&
	         ((struct stt_eth *)data)->proto == bpf_htons(ETH_P_IPV6) &&
	         ip6->nexthdr == IPPROTO_ICMPV6)
		stt_rx_icmp6(skb, cfg);
}

#endif

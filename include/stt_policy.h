/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Receive policy shared by every path that delivers a frame (the BPF programs and sttd's
 * deliver()): whether the strict-peer check applies, whether a frame teaches its source
 * MAC and when a learned entry is rewritten, and the VLAN tag a frame gets back; and, for
 * transmit and sttctl's checks alike, which encapsulation a remote gets. Pure C, like
 * stt_tos.h and stt_check.h; the callers do their own map lookups.
 */
#ifndef STT_POLICY_H
#define STT_POLICY_H

/*
 * The encapsulation frames to a remote get (docs/GUE.md): its own setting when it is
 * STT_ENCAP_STT or STT_ENCAP_GUE (stt_remote_cfg, the apply document's remotes), else the
 * endpoint's default (STT_OPT_ENCAP_GUE, the attachment's "encap").
 */
static inline __u8 stt_encap_of(__u8 own, int default_gue)
{
	if (own == STT_ENCAP_STT || own == STT_ENCAP_GUE)
		return own;
	return default_gue ? STT_ENCAP_GUE : STT_ENCAP_STT;
}

/*
 * Strict peers (docs/DESIGN.md): with STT_OPT_PEERS_STRICT for the endpoint, or
 * STT_VPORT_PEERS_STRICT for the context, only the (context, sender) pairs in stt_peers
 * may deliver. The draft has no authentication: this is an address filter, no more.
 */
static inline int stt_peers_strict(__u32 cfg_opts, __u32 vport_flags)
{
	return (cfg_opts & STT_OPT_PEERS_STRICT) || (vport_flags & STT_VPORT_PEERS_STRICT);
}

/*
 * Does a frame from saddr with inner source MAC src_mac teach anything? Only on a learning
 * vport, only a unicast source, and not from an IPv6 sender without a remote index (0).
 */
static inline int stt_learns(__u32 vport_flags, const __u8 *src_mac, __be32 saddr)
{
	return (vport_flags & STT_VPORT_LEARN) && !(src_mac[0] & 1) && saddr;
}

/* Learned entries are written only when new, moved, or last seen over a second ago. */
#define STT_LEARN_REFRESH_NS 1000000000ULL

static inline int stt_learn_current(int have, __be32 cur_remote, __u64 cur_seen_ns, __be32 saddr,
                                    __u64 now_ns)
{
	return have && cur_remote == saddr && now_ns - cur_seen_ns < STT_LEARN_REFRESH_NS;
}

/*
 * The tag a decapsulated frame gets back: with V=1, PCP and VLAN ID as sent (DEI 0); a
 * trunk VLAN's vport gets its own VLAN ID instead, with the PCP as sent. vlan is the STT
 * header's PCP/V/VID in host order. Returns 1 with *tci (host order) to tag the frame, 0
 * to deliver it untagged.
 */
static inline int stt_rx_vlan_tag(__u32 vport_flags, __u16 vlan, __u16 *tci)
{
	if (vport_flags & STT_VPORT_VLAN) {
		*tci = (vlan & STT_VLAN_PCP_MASK) | STT_CTX_VID(vport_flags);
		return 1;
	}
	if (!(vlan & STT_VLAN_V))
		return 0;
	*tci = (vlan & STT_VLAN_PCP_MASK) | (vlan & STT_VLAN_VID_MASK);
	return 1;
}

#endif

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * stt_tc_tx: TC ingress of a vport (the host end of a tenant's interface). Each tenant
 * frame is encapsulated as one STT frame and redirected out of the underlay, to the remote
 * its forwarding entry names, or to every flood target of the context: one segment, one
 * GSO frame for a TSO burst (lib/gso.h), or a frame cut into segments (lib/cut.h).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "stt_proto.h"
#define STT_MAPS_TX
#include "lib/maps.h"
#include "lib/defs.h"
#include "lib/drop.h"
#include "lib/inner.h"
#include "lib/outer.h"
#include "lib/gso.h"
#include "lib/cut.h"
#include "lib/fdb.h"
#include "lib/flood.h"
#include "lib/gue_tx.h"
#include "lib/learn.h"
#include "lib/oam.h"
#include "lib/pmtu.h"

/*
 * The path MTU of a frame (stt_tx_path_mtu) as a global function: its loop over the flood
 * targets, walked inline, left 6.1's verifier a state per MTU it could have found.
 */
__noinline int stt_tx_mtu(const struct stt_cfg *cfg, __u32 uc_remote,
                          const struct stt_flood_val *flood)
{
	if (!cfg)
		return STT_PMTU_MIN;
	if (uc_remote)
		return stt_tx_path_mtu(cfg, uc_remote, NULL);
	if (!flood)
		return STT_PMTU_MIN;
	return stt_tx_path_mtu(cfg, 0, flood);
}

/*
 * The GUE copies of a frame (st: built, with the frame's fields): a pass per kind, GUE then
 * GUE with cookie (types.h), each with its head grown for it, or the frame made one
 * UDP-tunnel GSO skb. Returns the last pass's verdict or drop. A global function: the
 * verifier checks it once, not once per path of stt_tx_frame.
 */
__noinline int stt_tx_gue(struct __sk_buff *skb, struct stt_tx_state *st, const struct stt_cfg *cfg,
                          struct stt_drop_ctx *d)
{
	int ret = TC_ACT_SHOT;
	__be32 uc_remote;

	if (!st || !cfg || !d)
		return stt_ret_drop(STT_DROP_TX_ERROR);
	uc_remote = st->uc_remote;
	if (st->vlan & STT_VLAN_V) {
		/* The tag travels in-band over GUE, in the STT header over STT: not both. */
		if (st->kinds & STT_KIND_STT)
			return stt_ret_drop(STT_DROP_TX_GUE_VLAN);
		if (!st->gso && stt_tx_tag_inband(skb, st->vlan))
			return stt_ret_drop(STT_DROP_TX_ERROR);
		st->len += 4;
		st->gue_ip_len += 4;
	}
	for (__u8 k = STT_KIND_GUE; k <= STT_KIND_GUEC; k <<= 1) {
		__u32 hlen = stt_kind_hlen(k, st->v6);

		if (!(st->kinds & k))
			continue;
		st->kind = k;
		if (st->gso) {
			ret = stt_tx_gue_gso(skb, hlen, st->mtu, st->vlan, st->v6);
			if (ret)
				return ret;
			st->head = hlen;
			stt_count(STT_C_TX_GSO_FRAMES, 1);
			ret = stt_tx_out(skb, st, cfg, d, uc_remote, st->segs, st->len, 1);
		} else if (st->len + hlen - sizeof(struct stt_eth) > st->mtu) {
			ret = stt_ret_drop(STT_DROP_TX_TOO_BIG); /* GUE cannot cut a frame */
		} else if (stt_tx_grow_head(skb, st, k)) {
			return stt_ret_drop(STT_DROP_TX_ERROR);
		} else {
			ret = stt_tx_out(skb, st, cfg, d, uc_remote, st->segs, st->len, 1);
		}
		if (!stt_tx_more(st))
			return ret;
		if (stt_is_drop(ret))
			stt_drop_count(ret);
	}
	return ret;
}

/*
 * The STT copies of a frame (st: built, with the frame's fields): cut by re-injection,
 * one GSO frame, or its head grown for the STT headers; then sent. Returns a verdict or a
 * drop. A global function, as stt_tx_gue.
 */
__noinline int stt_tx_stt(struct __sk_buff *skb, struct stt_tx_state *st, const struct stt_cfg *cfg,
                          struct stt_drop_ctx *d)
{
	__be32 uc_remote;
	__u32 ovh;
	int ret;

	if (!st || !cfg || !d)
		return stt_ret_drop(STT_DROP_TX_ERROR);
	uc_remote = st->uc_remote;
	ovh = st->v6 ? STT_ENCAP6_OVERHEAD : STT_ENCAP4_OVERHEAD;
	st->kind = STT_KIND_STT;
	if (st->cut)
		return stt_tx_to_cut(skb, st, &st->in, cfg, uc_remote, st->len);
	if (st->gso) {
		if ((ret = stt_tx_gso(skb, st)) ||
		    (ret = stt_tx_gso_fit(skb, ovh - sizeof(struct stt_hdr), st->mtu)))
			return ret;
		stt_count(STT_C_TX_GSO_FRAMES, 1);
	} else if (stt_tx_grow_head(skb, st, STT_KIND_STT)) {
		return stt_ret_drop(STT_DROP_TX_ERROR);
	}
	return stt_tx_out(skb, st, cfg, d, uc_remote, st->segs, st->len, 0);
}

/*
 * Encapsulate a tenant frame and send it: to GUE remotes first, then to STT ones (types.h:
 * passes by header length). Returns a verdict or a drop (counted by d).
 */
static __always_inline int stt_tx_frame(struct __sk_buff *skb, const struct stt_cfg *cfg,
                                        struct stt_drop_ctx *d)
{
	const struct stt_flood_val *flood = NULL;
	struct stt_inner in = {};
	struct stt_tx_state *st;
	const struct stt_vport *vp;
	__u32 zero = 0, len, mtu, ovh, segs;
	__be32 uc_remote;
	__u16 vlan = 0;
	int trunk = 0, gso, cut, ret;
	long r;

	vp = stt_tx_vport(skb, &trunk);
	if (!vp)
		return stt_ret_drop(STT_DROP_TX_NO_VPORT);
	d->context = vp->context;
	d->what = STT_DIR_TX | STT_ACC_DROP;
	/* The outer headers under construction: a per-CPU slot, the call chain's stack is full. */
	st = bpf_map_lookup_elem(&stt_tx_scratch, &zero);
	if (!st)
		return stt_ret_drop(STT_DROP_TX_ERROR);
	__builtin_memset(st, 0, sizeof(*st));
	ret = stt_tx_untag(skb, trunk, &vlan);
	if (ret)
		return ret;
	len = skb->len;
	gso = skb->gso_size != 0;
	segs = gso && skb->gso_segs ? skb->gso_segs : 1; /* adjusting room zeroes gso_segs */
	/*
	 * Every frame must fit STT's 16-bit length and the outer IPv4 total length (the IPv6
	 * payload length is looser); frames we cut ourselves are summed in full, so they are
	 * bounded by STT_SUM_MAX. GSO segments are made to fit the path MTU (stt_tx_gso_fit).
	 */
	if (len < sizeof(struct stt_eth) ||
	    sizeof(struct stt_ipv4) + sizeof(struct stt_tcp) + sizeof(struct stt_hdr) + len >
	        0xffff)
		return stt_ret_drop(STT_DROP_TX_TOO_BIG);
	if (stt_tx_inner(skb, &in))
		return stt_ret_drop(STT_DROP_TX_ERROR);
	r = stt_tx_route(skb, vp, &flood);
	if (stt_is_drop(r))
		return r;
	uc_remote = r;
	mtu = stt_tx_mtu(cfg, uc_remote, flood);
	/* The outer family is the remote's; a flood list is one family (sttctl refuses to mix
	 * them), the first target's, and a copy to the other family is dropped and counted. */
	st->v6 = stt_remote_is6(uc_remote ? uc_remote : flood->remote4[0]);
	ovh = st->v6 ? STT_ENCAP6_OVERHEAD : STT_ENCAP4_OVERHEAD;
	st->is_ip = skb->protocol == bpf_htons(ETH_P_IP) || skb->protocol == bpf_htons(ETH_P_IPV6);
	if (stt_tx_kinds(st, cfg, uc_remote, flood))
		return stt_ret_drop(STT_DROP_TX_ERROR);
	if (gso && (st->kinds & (st->kinds - 1))) {
		st->one_kind = 1; /* a GSO frame is built for one encapsulation */
		st->kinds = st->first_kind;
	}
	/* Larger than the path (or the underlay): STT cuts it, bounded by the sum. */
	cut = !gso && len + ovh > mtu && (st->kinds & STT_KIND_STT);
	if (cut && len > STT_SUM_MAX)
		return stt_ret_drop(STT_DROP_TX_TOO_BIG);
	if (st->kinds & (STT_KIND_GUE | STT_KIND_GUEC)) {
		ret = stt_tx_gue_build(st, &in, cfg, d->context, len);
		if (ret)
			return ret;
	}
	if (st->kinds & STT_KIND_STT) {
		ret = stt_tx_build(skb, st, &in, cfg, d->context, vlan, len, gso);
		if (ret)
			return ret;
	}
	stt_tx_account_frame(st, d->context, !uc_remote || cut, len);
	st->uc_remote = uc_remote;
	st->segs = segs;
	st->len = len;
	st->gso = gso;
	st->mtu = mtu;
	st->context = d->context;
	st->vlan = vlan;
	if (st->kinds & (STT_KIND_GUE | STT_KIND_GUEC)) {
		ret = stt_tx_gue(skb, st, cfg, d);
		if (!(st->kinds & STT_KIND_STT))
			return ret;
		if (stt_is_drop(ret))
			stt_drop_count(ret);
	}
	st->in = in;
	st->cut = cut;
	return stt_tx_stt(skb, st, cfg, d);
}

SEC("tc")
int stt_tc_tx(struct __sk_buff *skb)
{
	const struct stt_cfg *cfg = stt_get_cfg();
	struct stt_drop_ctx d = {};
	int ret;

	if (!cfg || !cfg->ifindex) {
		ret = stt_ret_drop(STT_DROP_TX_NO_UNDERLAY);
	} else if (skb->mark == STT_MARK_FRESH || skb->mark == STT_MARK_ADVANCE) {
		/* A pass of a frame this program is cutting: every drop counts for its context. */
		d.what = STT_DIR_TX | STT_ACC_DROP;
		ret = stt_tx_cut(skb, cfg, &d.context);
	} else {
		ret = stt_tx_frame(skb, cfg, &d);
	}
	if (stt_is_drop(ret))
		return stt_drop_exit(ret, &d, TC_ACT_SHOT);
	return ret;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

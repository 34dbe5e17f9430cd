/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Where a tenant frame goes: the remote of its forwarding entry (stt_fdb) or of a learned
 * MAC, else every flood target of its context (stt_flood).
 */
#ifndef STT_BPF_FDB_H
#define STT_BPF_FDB_H

#include "defs.h"
#include "drop.h"
#include "learn.h"
#include "oam.h"
#include "skb.h"

/*
 * Where a frame goes: its unicast remote (forwarding entry, or learned), else the
 * context's flood list (*flood). Returns the remote, 0 to flood, or a drop.
 */
static __always_inline long stt_tx_route(struct __sk_buff *skb, const struct stt_vport *vp,
                                         const struct stt_flood_val **flood)
{
	void *data = stt_skb_data(skb), *data_end = stt_skb_data_end(skb);
	const struct stt_fdb_val *fdb;
	struct stt_fdb_key key = {};
	__be32 uc_remote = 0;

	if (data + sizeof(struct stt_eth) > data_end)
		return stt_ret_drop(STT_DROP_TX_ERROR);
	key.context = vp->context;
	__builtin_memcpy(key.mac, ((struct stt_eth *)data)->dst, 6);
	if (stt_is_oam_mac(key.mac))
		return stt_ret_drop(STT_DROP_TX_OAM);
	if (!(key.mac[0] & 1)) {
		fdb = bpf_map_lookup_elem(&stt_fdb, &key);
		if (fdb)
			uc_remote = fdb->remote4;
		else if (vp->flags & STT_VPORT_LEARN)
			uc_remote = stt_tx_learned(key.context, key.mac, vp->learn_age);
	}
	if (uc_remote)
		return uc_remote;
	*flood = bpf_map_lookup_elem(&stt_flood, &key.context);
	if (!*flood || !(*flood)->count)
		return stt_ret_drop(STT_DROP_TX_NO_REMOTE);
	return 0;
}

#endif

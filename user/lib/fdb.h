/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Forwarding entries (fdb.c): static fdb entries, flood lists and peers, written in a
 * transaction (txn.h; NULL: no journal). Remotes are as the maps name them (remote.h:
 * IPv4, or an IPv6 index from remote_get). 0, or -1 with errno.
 */
#ifndef STT_FDB_H
#define STT_FDB_H

#include "common.h"
#include "txn.h"

/* flags: BPF_NOEXIST (a new entry), BPF_EXIST (a changed remote: one update) or BPF_ANY. */
int fdb_set(struct stt_state *st, struct stt_txn *t, __u64 ctx, const __u8 mac[6], __be32 remote,
            __u64 flags);
int fdb_clear(struct stt_state *st, struct stt_txn *t, __u64 ctx, const __u8 mac[6]);
/* The whole list is one map value: readers see the old list or the new one. */
int flood_set(struct stt_state *st, struct stt_txn *t, __u64 ctx, const struct stt_flood_val *fv);
int flood_clear(struct stt_state *st, struct stt_txn *t, __u64 ctx);
/* Peers (stt_peers): errno ENOENT if the endpoint has no peers map. */
int peer_set(struct stt_state *st, struct stt_txn *t, __u64 ctx, __be32 remote, __u64 flags);
int peer_clear(struct stt_state *st, struct stt_txn *t, __u64 ctx, __be32 remote);

#endif

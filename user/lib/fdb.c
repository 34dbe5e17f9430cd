// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Forwarding entries: the one implementation that sttctl fdb, peer and apply call (fdb.h). */
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>
#include "fdb.h"

int fdb_set(struct stt_state *st, struct stt_txn *t, __u64 ctx, const __u8 mac[6], __be32 remote,
            __u64 flags)
{
	struct stt_fdb_key k = {.context = ctx};
	struct stt_fdb_val v = {.remote4 = remote};

	memcpy(k.mac, mac, 6);
	return txn_map(t, st->fdb_fd, &k, sizeof(k), &v, sizeof(v), flags);
}

int fdb_clear(struct stt_state *st, struct stt_txn *t, __u64 ctx, const __u8 mac[6])
{
	struct stt_fdb_key k = {.context = ctx};

	memcpy(k.mac, mac, 6);
	return txn_map(t, st->fdb_fd, &k, sizeof(k), NULL, 0, 0);
}

int flood_set(struct stt_state *st, struct stt_txn *t, __u64 ctx, const struct stt_flood_val *fv)
{
	return txn_map(t, st->flood_fd, &ctx, sizeof(ctx), fv, sizeof(*fv), 0);
}

int flood_clear(struct stt_state *st, struct stt_txn *t, __u64 ctx)
{
	return txn_map(t, st->flood_fd, &ctx, sizeof(ctx), NULL, 0, 0);
}

int peer_set(struct stt_state *st, struct stt_txn *t, __u64 ctx, __be32 remote, __u64 flags)
{
	struct stt_peer_key k = {.context = ctx, .remote4 = remote};
	__u32 one = 1; /* the value is unused */

	if (st->peers_fd < 0)
		return errno = ENOENT, -1;
	return txn_map(t, st->peers_fd, &k, sizeof(k), &one, sizeof(one), flags);
}

int peer_clear(struct stt_state *st, struct stt_txn *t, __u64 ctx, __be32 remote)
{
	struct stt_peer_key k = {.context = ctx, .remote4 = remote};

	if (st->peers_fd < 0)
		return errno = ENOENT, -1;
	return txn_map(t, st->peers_fd, &k, sizeof(k), NULL, 0, 0);
}

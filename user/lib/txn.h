/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The journal of state changes that sttctl apply, vport and fdb make (txn.c). */
#ifndef STT_TXN_H
#define STT_TXN_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "stt_maps.h"

enum { J_MAP, J_TC_ATTACHED, J_TC_DETACHED, J_LEARN };

struct jent {
	int type;
	int fd;
	__u32 klen, vlen;
	bool had;
	__u8 key[16];
	__u8 old[sizeof(struct stt_flood_val)];
	int ifindex;
	bool created;
	int inner; /* J_LEARN: the table that was installed before (kept open), or -1 */
};

/*
 * A transaction of state changes: every map write, learning table and TC attachment is
 * journaled as it is made, so that txn_undo() can take them all back in reverse order.
 * Start one with txn_init(); end it with txn_free() (after success) or txn_undo() and
 * txn_free() (after a failure).
 */
struct stt_txn {
	struct jent *j;
	size_t n, cap;
	long fail_after; /* test hook: STT_APPLY_FAIL_AFTER=N fails step N+1 */
	long steps;
	int prog_fd; /* the pinned prog_tc_tx, for undoing a TC detach (-1: none) */
};

/* An empty transaction: no journal, no TC program, no test hook. */
static inline void txn_init(struct stt_txn *r)
{
	*r = (struct stt_txn){.prog_fd = -1, .fail_after = -1};
}

/* A step: the test hook (fail_after) may fail it with EIO. */
int txn_step(struct stt_txn *r);
/* A new journal entry of type, zeroed; NULL if out of memory. */
struct jent *txn_entry(struct stt_txn *r, int type);
/*
 * Write val (NULL: delete) at key of the map fd, journaled; a delete of nothing is no step.
 * With r NULL, the write alone (no journal, no test hook; a delete of nothing fails).
 */
int txn_map(struct stt_txn *r, int fd, const void *key, __u32 klen, const void *val, __u32 vlen,
            __u64 flags);
/* Install (table >= 0) or remove (-1) the learning table of ctx in stt_learn, journaled. */
int txn_learn(struct stt_txn *r, int learn_fd, __u64 ctx, int table);
/* Journal a TC attachment made (undo detaches it) or a detachment (undo re-attaches). */
int txn_tc_attached(struct stt_txn *r, int ifindex, bool created);
int txn_tc_detached(struct stt_txn *r, int ifindex);
void txn_undo(struct stt_txn *r);
void txn_free(struct stt_txn *r);

#endif

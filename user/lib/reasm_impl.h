/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The reassembly engine's private structures (reasm.c), in a header of their own so that its
 * fuzz target (tests/fuzz/fuzz_reasm.c) can walk them and check them against its model
 * while linking the engine as it is. Nothing but reasm.c and that target includes it.
 */
#ifndef STT_REASM_IMPL_H
#define STT_REASM_IMPL_H

#include <stdint.h>
#include <string.h>
#include "reasm.h"

#define NBUCKETS   4096
#define MAX_RANGES 128 /* a frame arrives in at most this many disjoint runs */

struct range {
	uint32_t start, end; /* [start, end) */
};

struct frame {
	struct reasm_key key;
	struct frame *hnext;         /* hash chain */
	struct frame *older, *newer; /* age list, oldest at r->oldest */
	uint64_t first_ns;
	uint32_t frame_len, got, flags;
	uint32_t nranges;
	struct range ranges[MAX_RANGES];
	uint8_t *data;
};

struct reasm {
	size_t cap;
	uint64_t timeout_ns;
	struct frame *buckets[NBUCKETS];
	struct frame *oldest, *newest;
	struct reasm_stats st;
};

static inline size_t frame_cost(uint32_t frame_len)
{
	return sizeof(struct frame) + frame_len;
}

static inline unsigned int key_hash(const struct reasm_key *k)
{
	uint32_t h = k->saddr * 2654435761u;

	h ^= k->frame_id * 2246822519u;
	h ^= (uint32_t)k->sport * 3266489917u;
	if (k->v6) { /* an IPv4 key hashes as it always did */
		for (int i = 0; i < 16; i += 4) {
			uint32_t w;

			memcpy(&w, k->addr6 + i, 4);
			h = (h ^ w) * 668265263u;
		}
		h ^= 0x9e3779b9u;
	}
	h ^= h >> 15;
	return h % NBUCKETS;
}

static inline int key_eq(const struct reasm_key *a, const struct reasm_key *b)
{
	return a->saddr == b->saddr && a->frame_id == b->frame_id && a->sport == b->sport &&
	       a->v6 == b->v6 && !memcmp(a->addr6, b->addr6, sizeof(a->addr6));
}

static inline struct frame *frame_find(struct reasm *r, const struct reasm_key *k)
{
	struct frame *f;

	for (f = r->buckets[key_hash(k)]; f; f = f->hnext)
		if (key_eq(&f->key, k))
			return f;
	return NULL;
}

#endif

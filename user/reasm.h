/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Reassembly of STT frames from pieces (segments, or runs of segments GRO merged).
 * Pure C, no BPF: sttd feeds it, the unit tests drive it directly.
 */
#ifndef STT_REASM_H
#define STT_REASM_H

#include <stddef.h>
#include <stdint.h>

/* A frame is identified by its sender (address and source port) and its frame ID. */
struct reasm_key {
	uint32_t saddr;
	uint32_t frame_id;
	uint16_t sport;
};

enum reasm_result {
	REASM_INCOMPLETE, /* kept; more pieces needed */
	REASM_COMPLETE,   /* *out holds the whole frame (caller frees it) */
	REASM_DUPLICATE,  /* nothing new in this piece */
	REASM_CONFLICT,   /* overlapping bytes disagreed: the frame was dropped */
	REASM_INVALID,    /* out of bounds: ignored */
	REASM_NOMEM,      /* a frame bigger than the whole cap, or allocation failed */
};

struct reasm_stats {
	uint64_t pieces, frames, duplicates, overlaps, conflicts, timeouts, evicted, reused, invalid;
	uint64_t mem, mem_peak, inflight;
};

struct reasm_out {
	uint8_t *data; /* malloc'ed frame_len bytes */
	uint32_t len;
	uint32_t flags; /* OR of every piece's flags */
};

struct reasm;

struct reasm *reasm_new(size_t mem_cap, uint64_t timeout_ns);
void reasm_free(struct reasm *r);
enum reasm_result reasm_add(struct reasm *r, const struct reasm_key *k, uint32_t frame_len,
			    uint32_t off, const uint8_t *data, uint32_t len, uint32_t flags,
			    uint64_t now_ns, struct reasm_out *out);
/* Drop frames whose first piece is older than the timeout. */
void reasm_expire(struct reasm *r, uint64_t now_ns);
const struct reasm_stats *reasm_stats(const struct reasm *r);

#endif

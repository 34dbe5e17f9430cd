/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Reassembly of STT frames from pieces (segments, or runs of segments GRO merged).
 * Pure C, no BPF: sttd feeds it, the unit tests drive it directly.
 */
#ifndef STT_REASM_H
#define STT_REASM_H

#include <stddef.h>
#include <stdint.h>

/*
 * A frame is identified by its sender (address and source port) and its frame ID. An IPv4
 * sender is saddr (v6 and addr6 zero); an IPv6 sender is its whole address, addr6 with v6
 * set (saddr is not needed then, and sttd leaves it 0), so two IPv6 senders never share
 * frames whatever bits of their addresses match. Zero the key before filling it in.
 */
struct reasm_key {
	uint32_t saddr;
	uint32_t frame_id;
	uint16_t sport;
	uint8_t v6;
	uint8_t pad;
	uint8_t addr6[16];
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
	uint64_t pieces, frames, duplicates, overlaps, conflicts, timeouts, evicted, reused,
	    invalid;
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

/*
 * A perf sample of stt_tc_rx (struct stt_piece, then the packet bytes from the outer
 * Ethernet header on) as sttd takes it in. reasm_piece_parse() checks every length of it,
 * checks the outer TCP checksum of a piece GRO did not verify, and says what to give to
 * reasm_add(): the key (the full sender address, IPv4 or IPv6) and the payload.
 */
enum reasm_piece_verdict {
	REASM_PIECE_OK,
	REASM_PIECE_MALFORMED, /* lengths out of bounds, or an IPv6 piece without its header */
	REASM_PIECE_BAD_CSUM,  /* a lone segment whose outer TCP checksum is wrong */
};

struct reasm_piece {
	struct reasm_key key;
	const uint8_t *data; /* the payload, inside the sample */
	uint32_t len;        /* its length */
};

enum reasm_piece_verdict reasm_piece_parse(const void *sample, uint32_t size,
                                           struct reasm_piece *out);
/*
 * Outer TCP checksum of a single segment: the outer Ethernet header (14 bytes), an IPv4
 * header without options or (v6) a fixed IPv6 header, then TCP up to len.
 */
int reasm_outer_csum_ok(const uint8_t *pkt, uint32_t len, int v6);

#endif

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * sttd's handling of one piece: a sample of stt_reasm_events (struct stt_piece, then the
 * packet) is checked and given to the reassembly engine (reasm.c); a frame it completes is
 * checked again (STT header, peers, ECN) and delivered to the vport of its Context ID
 * through AF_PACKET. sttd.c runs the event loop around it; tests/fuzz/fuzz_piece.c fuzzes it.
 */
#ifndef STT_STTD_PIECE_H
#define STT_STTD_PIECE_H

#include <stdint.h>
#include <linux/types.h>
#include "common.h"
#include "reasm.h"
#include "stats_read.h"

/* sttd's state: the maps it reads, its counters (published to stt_reasm_stats). */
struct sttd {
	struct reasm *r;
	int contexts_fd, stats_fd, pkt_fd, cfg_fd, peers_fd, learn_fd;
	struct stt_cfg cfg; /* read again with every stats update (refresh_cfg), not per frame */
	__u64 lost, bad_csum, bad_frame, tx_errors, ecn_drops, peer_denied, learned;
	__u64 hdr_drops[STT_DROP_MAX]; /* frames whose STT header stt_hdr_ok() refused */
	/* Learning tables (stt_learn's inner maps) opened so far, by map ID. */
	struct {
		__u32 id;
		int fd;
	} tables[16];
	unsigned int next_table;
	int debug_left;            /* with -v, pieces still to log */
	struct stt_stats_fds sfds; /* with --metrics: every counter, for the exposition */
};

/* CLOCK_MONOTONIC in nanoseconds: the reassembly engine's clock. */
uint64_t sttd_now_ns(void);
/* The perf buffer's sample callback (ctx: the struct sttd): one piece, a frame delivered. */
void sttd_on_piece(void *ctx, int cpu, void *data, __u32 size);

#endif

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Unit tests of the reassembly engine (user/reasm.c): in-order, out-of-order, duplicates,
 * overlaps (agreeing and conflicting), missing pieces, timeouts, the memory cap, frame ID
 * reuse, many interleaved senders, and bounds. No BPF, no root.
 */
#include <stdlib.h>
#include "test.h"
#include "reasm.h"

#define MS 1000000ull

static void fill(uint8_t *buf, uint32_t len, uint32_t seed)
{
	for (uint32_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 8));
}

static struct reasm_key key(uint32_t saddr, uint16_t sport, uint32_t id)
{
	struct reasm_key k;

	memset(&k, 0, sizeof(k));
	k.saddr = saddr;
	k.sport = sport;
	k.frame_id = id;
	return k;
}

/* Feed frame [0, len) as pieces at the given cut points, in the given order. */
static enum reasm_result feed(struct reasm *r, struct reasm_key k, const uint8_t *f, uint32_t len,
			      const uint32_t *cuts, int ncuts, const int *order, uint64_t now,
			      struct reasm_out *out)
{
	enum reasm_result res = REASM_INVALID;

	for (int i = 0; i < ncuts + 1; i++) {
		int p = order ? order[i] : i;
		uint32_t s = p ? cuts[p - 1] : 0, e = p < ncuts ? cuts[p] : len;

		res = reasm_add(r, &k, len, s, f + s, e - s, 0, now, out);
	}
	return res;
}

static void t_in_order(void)
{
	struct reasm *r = reasm_new(1 << 20, 1000 * MS);
	static uint8_t f[65244];
	uint32_t cuts[] = { 26064, 52128 };
	struct reasm_out out = {};

	fill(f, sizeof(f), 1);
	if (ASSERT_EQ(feed(r, key(1, 50000, 7), f, sizeof(f), cuts, 2, NULL, 0, &out),
		      REASM_COMPLETE, "last piece completes")) {
		ASSERT_MEM_EQ(out.data, out.len, f, sizeof(f), "frame bytes");
		free(out.data);
	}
	ASSERT_EQ(reasm_stats(r)->frames, 1, "frames");
	ASSERT_EQ(reasm_stats(r)->mem, 0, "memory released");
	ASSERT_EQ(reasm_stats(r)->inflight, 0, "nothing in flight");
	reasm_free(r);
}

static void t_out_of_order(void)
{
	struct reasm *r = reasm_new(1 << 20, 1000 * MS);
	static uint8_t f[9000];
	uint32_t cuts[] = { 1448, 2896, 4344, 5792, 7240 };
	int order[] = { 5, 0, 3, 1, 4, 2 }; /* last piece first, as GRO delivers a PSH segment */
	struct reasm_out out = {};

	fill(f, sizeof(f), 2);
	if (ASSERT_EQ(feed(r, key(1, 50000, 8), f, sizeof(f), cuts, 5, order, 0, &out),
		      REASM_COMPLETE, "complete")) {
		ASSERT_MEM_EQ(out.data, out.len, f, sizeof(f), "frame bytes");
		free(out.data);
	}
	reasm_free(r);
}

static void t_duplicates(void)
{
	struct reasm *r = reasm_new(1 << 20, 1000 * MS);
	static uint8_t f[3000];
	struct reasm_key k = key(1, 50000, 9);
	struct reasm_out out = {};

	fill(f, sizeof(f), 3);
	ASSERT_EQ(reasm_add(r, &k, 3000, 0, f, 1448, 0, 0, &out), REASM_INCOMPLETE, "first");
	ASSERT_EQ(reasm_add(r, &k, 3000, 0, f, 1448, 0, 0, &out), REASM_DUPLICATE, "same again");
	ASSERT_EQ(reasm_add(r, &k, 3000, 100, f + 100, 200, 0, 0, &out), REASM_DUPLICATE,
		  "inside");
	if (ASSERT_EQ(reasm_add(r, &k, 3000, 1448, f + 1448, 1552, 0, 0, &out), REASM_COMPLETE,
		      "rest")) {
		ASSERT_MEM_EQ(out.data, out.len, f, sizeof(f), "frame bytes");
		free(out.data);
	}
	ASSERT_EQ(reasm_stats(r)->duplicates, 2, "duplicates counted");
	/* A duplicate of a frame already delivered starts a new, incomplete one: never a
	 * second delivery of the same bytes without all of them. */
	ASSERT_EQ(reasm_add(r, &k, 3000, 0, f, 1448, 0, 0, &out), REASM_INCOMPLETE, "late dup");
	reasm_free(r);
}

static void t_overlap_agree(void)
{
	struct reasm *r = reasm_new(1 << 20, 1000 * MS);
	static uint8_t f[4000];
	struct reasm_key k = key(1, 50000, 10);
	struct reasm_out out = {};

	fill(f, sizeof(f), 4);
	ASSERT_EQ(reasm_add(r, &k, 4000, 0, f, 2000, 0, 0, &out), REASM_INCOMPLETE, "a");
	ASSERT_EQ(reasm_add(r, &k, 4000, 3000, f + 3000, 1000, 0, 0, &out), REASM_INCOMPLETE, "c");
	/* [1500, 3500) overlaps both neighbours with the same bytes. */
	if (ASSERT_EQ(reasm_add(r, &k, 4000, 1500, f + 1500, 2000, 0, 0, &out), REASM_COMPLETE,
		      "b fills the gap")) {
		ASSERT_MEM_EQ(out.data, out.len, f, sizeof(f), "frame bytes");
		free(out.data);
	}
	ASSERT_EQ(reasm_stats(r)->overlaps, 1, "overlap counted");
	reasm_free(r);
}

static void t_overlap_conflict(void)
{
	struct reasm *r = reasm_new(1 << 20, 1000 * MS);
	static uint8_t f[4000], g[4000];
	struct reasm_key k = key(1, 50000, 11);
	struct reasm_out out = {};

	fill(f, sizeof(f), 5);
	memcpy(g, f, sizeof(g));
	g[2100] ^= 0xff; /* one byte differs where the pieces overlap */
	ASSERT_EQ(reasm_add(r, &k, 4000, 0, f, 2500, 0, 0, &out), REASM_INCOMPLETE, "a");
	ASSERT_EQ(reasm_add(r, &k, 4000, 2000, g + 2000, 2000, 0, 0, &out), REASM_CONFLICT,
		  "conflict drops the frame");
	ASSERT_EQ(reasm_stats(r)->conflicts, 1, "conflicts");
	ASSERT_EQ(reasm_stats(r)->inflight, 0, "frame gone");
	/* What arrives next for that ID starts over: the old bytes are never mixed in. */
	ASSERT_EQ(reasm_add(r, &k, 4000, 2500, f + 2500, 1500, 0, 0, &out), REASM_INCOMPLETE,
		  "fresh start");
	reasm_free(r);
}

static void t_missing_and_timeout(void)
{
	struct reasm *r = reasm_new(1 << 20, 1000 * MS);
	static uint8_t f[5000];
	struct reasm_key k = key(1, 50000, 12);
	struct reasm_out out = {};

	fill(f, sizeof(f), 6);
	ASSERT_EQ(reasm_add(r, &k, 5000, 0, f, 1448, 0, 0, &out), REASM_INCOMPLETE, "a");
	ASSERT_EQ(reasm_add(r, &k, 5000, 2896, f + 2896, 2104, 0, 10 * MS, &out),
		  REASM_INCOMPLETE, "c, b missing");
	reasm_expire(r, 999 * MS);
	ASSERT_EQ(reasm_stats(r)->inflight, 1, "kept before the timeout");
	reasm_expire(r, 1001 * MS);
	ASSERT_EQ(reasm_stats(r)->timeouts, 1, "timed out");
	ASSERT_EQ(reasm_stats(r)->mem, 0, "memory released");
	/* The missing piece arriving late does not resurrect a frame. */
	ASSERT_EQ(reasm_add(r, &k, 5000, 1448, f + 1448, 1448, 0, 1002 * MS, &out),
		  REASM_INCOMPLETE, "late piece");
	reasm_free(r);
}

static void t_memory_cap(void)
{
	/* Room for 3 frames of 20000 bytes (plus headers), not 4. */
	struct reasm *r = reasm_new(3 * 20000 + 3 * 4096, 1000 * MS);
	static uint8_t f[20000];
	struct reasm_out out = {};

	fill(f, sizeof(f), 7);
	for (uint32_t id = 1; id <= 10; id++) {
		struct reasm_key k = key(2, 50001, id);

		ASSERT_EQ(reasm_add(r, &k, 20000, 0, f, 1000, 0, id * MS, &out), REASM_INCOMPLETE,
			  "first pieces");
		ASSERT_TRUE(reasm_stats(r)->mem <= 3 * 20000 + 3 * 4096, "under the cap");
	}
	ASSERT_EQ(reasm_stats(r)->inflight, 3, "three held");
	ASSERT_EQ(reasm_stats(r)->evicted, 7, "oldest evicted");
	/* The newest survive: frame 10 can still complete. */
	{
		struct reasm_key k = key(2, 50001, 10);

		if (ASSERT_EQ(reasm_add(r, &k, 20000, 1000, f + 1000, 19000, 0, 11 * MS, &out),
			      REASM_COMPLETE, "newest completes")) {
			ASSERT_MEM_EQ(out.data, out.len, f, sizeof(f), "frame bytes");
			free(out.data);
		}
	}
	/* A frame bigger than the whole cap is refused, and evicts nothing. */
	{
		struct reasm *small = reasm_new(1000, 1000 * MS);
		struct reasm_key k = key(2, 50001, 99);

		ASSERT_EQ(reasm_add(small, &k, 20000, 0, f, 100, 0, 0, &out), REASM_NOMEM, "too big");
		reasm_free(small);
	}
	reasm_free(r);
}

static void t_id_reuse(void)
{
	struct reasm *r = reasm_new(1 << 20, 1000 * MS);
	static uint8_t f[3000];
	struct reasm_key k = key(3, 50002, 13);
	struct reasm_out out = {};

	fill(f, sizeof(f), 8);
	ASSERT_EQ(reasm_add(r, &k, 3000, 0, f, 1448, 0, 0, &out), REASM_INCOMPLETE, "a");
	/* Same sender and ID, another length: a new frame; the old one is dropped. */
	ASSERT_EQ(reasm_add(r, &k, 2000, 0, f, 1448, 0, 0, &out), REASM_INCOMPLETE, "new frame");
	ASSERT_EQ(reasm_stats(r)->reused, 1, "reuse counted");
	if (ASSERT_EQ(reasm_add(r, &k, 2000, 1448, f + 1448, 552, 0, 0, &out), REASM_COMPLETE,
		      "new frame completes")) {
		ASSERT_EQ(out.len, 2000, "its length");
		free(out.data);
	}
	reasm_free(r);
}

/*
 * Hostile ID reuse: a sender (or a spoofer of it) repeats a frame ID with other lengths and
 * other bytes. The frame that completes holds only bytes sent with its own length: nothing
 * of an earlier frame of that ID is mixed in, and flipping lengths never completes a frame.
 */
static void t_id_reuse_hostile(void)
{
	struct reasm *r = reasm_new(1 << 20, 1000 * MS);
	static uint8_t f[3000], g[3000];
	struct reasm_key k = key(3, 50002, 21);
	struct reasm_out out = {};

	fill(f, sizeof(f), 21);
	fill(g, sizeof(g), 22);
	/* Old frame (3000 bytes) holds [0, 1448) of f. */
	ASSERT_EQ(reasm_add(r, &k, 3000, 0, f, 1448, 0, 0, &out), REASM_INCOMPLETE, "old a");
	/* New frame (2000 bytes) of g: its tail first, then its head, with other bytes where
	 * the old frame had some: no conflict, and only g's bytes come out. */
	ASSERT_EQ(reasm_add(r, &k, 2000, 1448, g + 1448, 552, 0, 0, &out), REASM_INCOMPLETE,
		  "new tail");
	if (ASSERT_EQ(reasm_add(r, &k, 2000, 0, g, 1448, 0, 0, &out), REASM_COMPLETE,
		      "new head completes")) {
		ASSERT_MEM_EQ(out.data, out.len, g, 2000, "only the new frame's bytes");
		free(out.data);
	}
	ASSERT_EQ(reasm_stats(r)->conflicts, 0, "no conflict across lengths");
	ASSERT_EQ(reasm_stats(r)->reused, 1, "one reuse");

	/* The ID again after delivery, with yet another length: a new frame, complete alone. */
	if (ASSERT_EQ(reasm_add(r, &k, 1000, 0, f, 1000, 0, 0, &out), REASM_COMPLETE,
		      "whole 1000-byte frame")) {
		ASSERT_MEM_EQ(out.data, out.len, f, 1000, "its bytes");
		free(out.data);
	}

	/* Lengths flipping on every piece: each piece replaces the other frame; none
	 * completes, and what is held never exceeds one frame. */
	for (int i = 0; i < 20; i++) {
		uint32_t len = i & 1 ? 3000 : 2500;
		uint32_t off = (uint32_t)(i / 2) * 100;

		ASSERT_EQ(reasm_add(r, &k, len, off, (i & 1 ? f : g) + off, 100, 0, 0, &out),
			  REASM_INCOMPLETE, "flipping lengths");
		ASSERT_EQ(reasm_stats(r)->inflight, 1, "one frame held");
		ASSERT_TRUE(reasm_stats(r)->mem <= 3000 + 4096, "memory of one frame");
	}
	ASSERT_EQ(reasm_stats(r)->reused, 1 + 19, "every flip counted as reuse");
	ASSERT_EQ(reasm_stats(r)->frames, 2, "two frames delivered in all");
	reasm_free(r);
}

static void t_interleaved_senders(void)
{
	struct reasm *r = reasm_new(16 << 20, 1000 * MS);
	static uint8_t f[8][6000];
	struct reasm_out out = {};
	int done = 0;

	/* 8 frames with the same frame ID from 4 addresses x 2 ports, pieces interleaved. */
	for (int i = 0; i < 8; i++)
		fill(f[i], 6000, 100 + i);
	for (uint32_t off = 0; off < 6000; off += 1500) {
		for (int i = 0; i < 8; i++) {
			struct reasm_key k = key(10 + i / 2, 50000 + i % 2, 77);

			if (reasm_add(r, &k, 6000, off, f[i] + off, 1500, 0, 0, &out) ==
			    REASM_COMPLETE) {
				done++;
				ASSERT_MEM_EQ(out.data, out.len, f[i], 6000, "each its own bytes");
				free(out.data);
			}
		}
	}
	ASSERT_EQ(done, 8, "all complete");
	reasm_free(r);
}

static void t_bounds(void)
{
	struct reasm *r = reasm_new(1 << 20, 1000 * MS);
	uint8_t b[100] = { 0 };
	struct reasm_key k = key(4, 50003, 14);
	struct reasm_out out = {};

	ASSERT_EQ(reasm_add(r, &k, 0, 0, b, 10, 0, 0, &out), REASM_INVALID, "length 0");
	ASSERT_EQ(reasm_add(r, &k, 65536, 0, b, 10, 0, 0, &out), REASM_INVALID, "length > 64K");
	ASSERT_EQ(reasm_add(r, &k, 50, 40, b, 20, 0, 0, &out), REASM_INVALID, "piece overruns");
	ASSERT_EQ(reasm_add(r, &k, 50, 50, b, 1, 0, 0, &out), REASM_INVALID, "offset at the end");
	ASSERT_EQ(reasm_add(r, &k, 50, 0, b, 0, 0, 0, &out), REASM_INVALID, "empty piece");
	ASSERT_EQ(reasm_stats(r)->inflight, 0, "nothing held");
	reasm_free(r);
}

/* Seeded random pieces of random frames (with duplicates and overlaps) always yield the
 * frame exactly, or nothing. */
static void t_random(void)
{
	struct reasm *r = reasm_new(8 << 20, 1000 * MS);
	static uint8_t f[65535];
	uint32_t seed = 12345, complete = 0;
	struct reasm_out out = {};

#define RND() (seed = seed * 1103515245u + 12345u, (seed >> 8))
	for (uint32_t id = 0; id < 300; id++) {
		uint32_t len = 18 + RND() % (65535 - 18);
		struct reasm_key k = key(5, 50004, id);
		int got = 0;

		fill(f, len, id);
		for (int n = 0; n < 400 && !got; n++) {
			/* Starts spread over [-3000, len) and clamped, so byte 0 gets covered too. */
			uint32_t st = RND() % (len + 3000), off = st < 3000 ? 0 : st - 3000;
			uint32_t plen = 1 + RND() % 3000;

			if (plen > len - off)
				plen = len - off;
			if (reasm_add(r, &k, len, off, f + off, plen, 0, 0, &out) == REASM_COMPLETE) {
				got = 1;
				complete++;
				if (!ASSERT_MEM_EQ(out.data, out.len, f, len, "random frame"))
					id = 300;
				free(out.data);
			}
		}
	}
	test_note("complete %u conflicts %llu", complete, (unsigned long long)reasm_stats(r)->conflicts);
	ASSERT_TRUE(complete > 250, "most random frames complete");
	reasm_free(r);
#undef RND
}

static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
	{ "reasm: in order (65244-byte frame in 3 GRO pieces)", t_in_order },
	{ "reasm: out of order, last piece first", t_out_of_order },
	{ "reasm: duplicates", t_duplicates },
	{ "reasm: overlaps with the same bytes", t_overlap_agree },
	{ "reasm: overlaps that disagree drop the frame", t_overlap_conflict },
	{ "reasm: missing piece, timeout", t_missing_and_timeout },
	{ "reasm: memory cap evicts the oldest", t_memory_cap },
	{ "reasm: frame ID reuse with another length", t_id_reuse },
	{ "reasm: hostile frame ID reuse: other lengths, other bytes, flipping", t_id_reuse_hostile },
	{ "reasm: interleaved senders with the same frame ID", t_interleaved_senders },
	{ "reasm: bounds", t_bounds },
	{ "reasm: 300 random frames in random pieces", t_random },
};

int main(int argc, char **argv)
{
	int n = sizeof(tests) / sizeof(tests[0]), failed = 0;

	T.verbose = argc > 1 && !strcmp(argv[1], "-v");
	for (int i = 0; i < n; i++) {
		T.failed = false;
		tests[i].fn();
		printf("%s %d - %s\n", T.failed ? "not ok" : "ok", i + 1, tests[i].name);
		failed += T.failed;
	}
	printf("%d passed, %d failed\n", n - failed, failed);
	return failed ? 1 : 0;
}

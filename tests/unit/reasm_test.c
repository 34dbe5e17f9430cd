// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Unit tests of the reassembly engine (user/lib/reasm.c): in-order, out-of-order, duplicates,
 * overlaps (agreeing and conflicting), missing pieces, timeouts, the memory cap, frame ID
 * reuse, many interleaved senders, and bounds; and what sttd makes of a perf sample
 * (reasm_piece_parse: bounds, the outer TCP checksum over IPv4 and IPv6, the sender's key).
 * No BPF, no root.
 */
#include <stdlib.h>
#include "test.h"
#include <linux/types.h>
#include "reasm.h"
#include "stt_maps.h"

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

/* An IPv6 sender's key: the whole address, whose last 4 bytes are low32. */
static struct reasm_key key6(uint8_t hi, uint32_t low32, uint16_t sport, uint32_t id)
{
	struct reasm_key k = key(0, sport, id);

	k.v6 = 1;
	k.addr6[0] = 0x20, k.addr6[1] = 0x01, k.addr6[2] = 0x0d, k.addr6[3] = 0xb8;
	k.addr6[4] = hi;
	memcpy(k.addr6 + 12, &low32, 4);
	return k;
}

static void t_senders6(void)
{
	struct reasm *r = reasm_new(16 << 20, 1000 * MS);
	static uint8_t f[4][6000];
	struct reasm_key k[4];
	struct reasm_out out = {};
	int done[4] = { 0 };

	/*
	 * The same frame ID and source port from: two IPv6 addresses that differ only in one
	 * high byte (same low 32 bits, same saddr as sttd would give them), the IPv4 sender whose
	 * address is those low 32 bits, and a third IPv6 address. Pieces interleaved.
	 */
	k[0] = key6(1, 0x0100a8c0, 50000, 77);
	k[1] = key6(2, 0x0100a8c0, 50000, 77);
	k[2] = key(0x0100a8c0, 50000, 77);
	k[3] = key6(1, 0x0200a8c0, 50000, 77);
	k[0].saddr = k[1].saddr = 0x01000000; /* even with the same index form */
	for (int i = 0; i < 4; i++)
		fill(f[i], 6000, 200 + i);
	for (uint32_t off = 0; off < 6000; off += 1500) {
		for (int i = 0; i < 4; i++) {
			if (reasm_add(r, &k[i], 6000, off, f[i] + off, 1500, 0, 0, &out) ==
			    REASM_COMPLETE) {
				done[i]++;
				ASSERT_MEM_EQ(out.data, out.len, f[i], 6000, "each its own bytes");
				free(out.data);
			}
		}
		if (off == 0)
			ASSERT_EQ(reasm_stats(r)->inflight, 4, "four frames held apart");
	}
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(done[i], 1, "each sender's frame completes once");
	ASSERT_EQ(reasm_stats(r)->conflicts + reasm_stats(r)->duplicates, 0, "nothing mixed");
	reasm_free(r);

	/*
	 * More IPv6 senders than hash buckets, all alike but for two high bytes of the
	 * address: some must share a bucket, and still never share a frame.
	 */
	{
		enum { N = 5000 };
		uint8_t b[64];
		int complete = 0, wrong = 0;

		r = reasm_new(64 << 20, 1000 * MS);
		for (int half = 0; half < 2; half++) {
			for (uint32_t i = 0; i < N; i++) {
				struct reasm_key kk = key6(0, 0x0100a8c0, 50000, 77);
				uint32_t o = half * 32;

				kk.saddr = 0x01000000;
				kk.addr6[4] = (uint8_t)(i >> 8), kk.addr6[5] = (uint8_t)i;
				fill(b, 64, 1000 + i);
				switch (reasm_add(r, &kk, 64, o, b + o, 32, 0, 0, &out)) {
				case REASM_COMPLETE:
					complete++;
					wrong += out.len != 64 || memcmp(out.data, b, 64);
					free(out.data);
					break;
				case REASM_INCOMPLETE:
					wrong += half;
					break;
				default:
					wrong++;
				}
			}
		}
		ASSERT_EQ(complete, N, "5000 IPv6 senders: every frame completes");
		ASSERT_EQ(wrong, 0, "each with its own bytes");
		reasm_free(r);
	}
}

/* ---- perf samples: struct stt_piece + Ethernet + IPv4 or IPv6 + TCP + payload ---- */

/* RFC 1071 with a 64-bit accumulator, written apart from reasm.c's. */
static uint16_t ref_sum(uint64_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sum += i & 1 ? p[i] : (uint64_t)p[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

struct sample {
	struct stt_piece p;
	uint8_t pkt[14 + 40 + 20 + 200];
};

/*
 * One lone segment of frame (frame_id, 200-byte payload) from src (IPv6 when v6), outer
 * TCP checksum correct.
 */
static uint32_t mk_sample(struct sample *s, int v6, const uint8_t *src, uint32_t frame_id,
			  const uint8_t *payload)
{
	uint32_t iplen = v6 ? 40 : 20, hl = 14 + iplen + 20, tcp_len = 20 + 200;
	uint8_t *ip = s->pkt + 14, *tcp = ip + iplen;
	uint64_t pseudo = 6 + tcp_len;
	uint16_t c;

	memset(s, 0, sizeof(*s));
	s->pkt[12] = v6 ? 0x86 : 0x08, s->pkt[13] = v6 ? 0xdd : 0x00;
	if (v6) {
		ip[0] = 0x60;
		ip[4] = (uint8_t)(tcp_len >> 8), ip[5] = (uint8_t)tcp_len;
		ip[6] = 6, ip[7] = 64;
		memcpy(ip + 8, src, 16);
		ip[24] = 0x20, ip[25] = 0x01, ip[26] = 0x0d, ip[27] = 0xb8, ip[39] = 2;
		for (int i = 8; i < 40; i += 2)
			pseudo += (uint32_t)ip[i] << 8 | ip[i + 1];
	} else {
		ip[0] = 0x45;
		ip[9] = 6;
		memcpy(ip + 12, src, 4);
		ip[16] = 198, ip[17] = 18, ip[19] = 2;
		for (int i = 12; i < 20; i += 2)
			pseudo += (uint32_t)ip[i] << 8 | ip[i + 1];
	}
	tcp[0] = 0xc0, tcp[1] = 0x01; /* sport 49153 */
	tcp[2] = 0x1d, tcp[3] = 0x2f; /* 7471 */
	tcp[12] = 5 << 4;
	memcpy(tcp + 20, payload, 200);
	c = (uint16_t)~ref_sum(pseudo, tcp, tcp_len);
	tcp[16] = (uint8_t)(c >> 8), tcp[17] = (uint8_t)c;
	s->p.saddr = v6 ? 0x01000000 : 0; /* IPv6: an index form; IPv4 below */
	if (!v6)
		memcpy(&s->p.saddr, src, 4);
	s->p.sport = 49153;
	s->p.flags = v6 ? STT_PIECE_V6 : 0;
	s->p.frame_id = frame_id;
	s->p.frame_len = 400; /* the frame's other half never comes */
	s->p.payload_off = hl;
	s->p.payload_len = 200;
	s->p.pkt_len = hl + 200;
	s->p.tos = 0x02;
	return (uint32_t)sizeof(s->p) + hl + 200;
}

static void t_piece_csum6(void)
{
	static const uint8_t src[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
					 0, 0, 0, 0, 0, 0, 0, 1 };
	uint8_t pl[200];
	struct sample s;
	struct reasm_piece rp;
	uint32_t n;
	uint8_t *tcp = s.pkt + 14 + 40;

	fill(pl, sizeof(pl), 9);
	n = mk_sample(&s, 1, src, 5, pl);
	if (!ASSERT_EQ(reasm_piece_parse(&s, n, &rp), REASM_PIECE_OK, "good IPv6 segment"))
		return;
	ASSERT_EQ(rp.key.v6, 1, "key is IPv6");
	ASSERT_MEM_EQ(rp.key.addr6, 16, src, 16, "key has the whole source address");
	ASSERT_EQ(rp.key.saddr, 0, "no IPv4 address in an IPv6 key");
	ASSERT_EQ(rp.key.frame_id, 5, "frame ID");
	ASSERT_EQ(rp.key.sport, 49153, "source port");
	ASSERT_TRUE(rp.data == s.pkt + 14 + 40 + 20 && rp.len == 200, "payload");
	ASSERT_EQ(reasm_outer_csum_ok(s.pkt, s.p.pkt_len, 1), 1, "over the IPv6 pseudo header");
	ASSERT_EQ(reasm_outer_csum_ok(s.pkt, s.p.pkt_len, 0), 0, "not over an IPv4 one");

	/* A flipped payload bit, a changed source or destination address: bad checksum. */
	s.pkt[14 + 40 + 20 + 100] ^= 0x10;
	ASSERT_EQ(reasm_piece_parse(&s, n, &rp), REASM_PIECE_BAD_CSUM, "flipped payload bit");
	s.pkt[14 + 40 + 20 + 100] ^= 0x10;
	s.pkt[14 + 8 + 4] ^= 1;
	ASSERT_EQ(reasm_piece_parse(&s, n, &rp), REASM_PIECE_BAD_CSUM, "other source address");
	s.pkt[14 + 8 + 4] ^= 1;
	s.pkt[14 + 24 + 6] ^= 0x80;
	ASSERT_EQ(reasm_piece_parse(&s, n, &rp), REASM_PIECE_BAD_CSUM, "other destination");
	/* GRO verified it: not checked again. */
	s.p.flags |= STT_PIECE_GRO;
	ASSERT_EQ(reasm_piece_parse(&s, n, &rp), REASM_PIECE_OK, "GRO piece not checked again");
	s.pkt[14 + 24 + 6] ^= 0x80;
	s.p.flags &= ~STT_PIECE_GRO;
	ASSERT_EQ(reasm_piece_parse(&s, n, &rp), REASM_PIECE_OK, "good again");

	/* The offload seed (pseudo-header sum, not inverted) is accepted as "not computed". */
	{
		uint64_t pseudo = 6 + 220;
		uint16_t seed;

		for (int i = 8; i < 40; i += 2)
			pseudo += (uint32_t)s.pkt[14 + i] << 8 | s.pkt[15 + i];
		seed = ref_sum(pseudo, NULL, 0);
		tcp[16] = (uint8_t)(seed >> 8), tcp[17] = (uint8_t)seed;
		ASSERT_EQ(reasm_piece_parse(&s, n, &rp), REASM_PIECE_OK, "offload seed");
		tcp[17] ^= 1;
		ASSERT_EQ(reasm_piece_parse(&s, n, &rp), REASM_PIECE_BAD_CSUM, "seed off by one");
	}

	/* Bounds: an IPv6 piece must hold its headers, within the sample. */
	n = mk_sample(&s, 1, src, 5, pl);
	ASSERT_EQ(reasm_piece_parse(&s, n - 1, &rp), REASM_PIECE_MALFORMED, "sample 1 byte short");
	ASSERT_EQ(reasm_piece_parse(&s, sizeof(s.p) - 1, &rp), REASM_PIECE_MALFORMED,
		  "shorter than the header");
	s.p.payload_len = 201;
	ASSERT_EQ(reasm_piece_parse(&s, n, &rp), REASM_PIECE_MALFORMED, "payload past the packet");
	s.p.payload_len = 0;
	s.p.payload_off = 0xffffffffu;
	ASSERT_EQ(reasm_piece_parse(&s, n, &rp), REASM_PIECE_MALFORMED, "payload offset wraps");
	n = mk_sample(&s, 1, src, 5, pl);
	s.p.flags |= STT_PIECE_GRO;
	s.p.pkt_len = 14 + 40 + 19;
	s.p.payload_off = 0, s.p.payload_len = 10;
	ASSERT_EQ(reasm_piece_parse(&s, n, &rp), REASM_PIECE_MALFORMED, "IPv6 headers cut");
	n = mk_sample(&s, 1, src, 5, pl);
	s.pkt[13] = 0x00;
	ASSERT_EQ(reasm_piece_parse(&s, n, &rp), REASM_PIECE_MALFORMED, "IPv6 flag, IPv4 type");
	n = mk_sample(&s, 1, src, 5, pl);
	s.pkt[14 + 6] = 17;
	ASSERT_EQ(reasm_piece_parse(&s, n, &rp), REASM_PIECE_MALFORMED, "next header not TCP");
	n = mk_sample(&s, 1, src, 5, pl);
	s.pkt[14] = 0x45;
	ASSERT_EQ(reasm_piece_parse(&s, n, &rp), REASM_PIECE_MALFORMED, "IP version 4");
}

static void t_piece_ipv4(void)
{
	static const uint8_t src[4] = { 198, 18, 0, 1 };
	uint8_t pl[200];
	struct sample s;
	struct reasm_piece rp;
	uint32_t n;

	fill(pl, sizeof(pl), 10);
	n = mk_sample(&s, 0, src, 6, pl);
	if (!ASSERT_EQ(reasm_piece_parse(&s, n, &rp), REASM_PIECE_OK, "good IPv4 segment"))
		return;
	ASSERT_EQ(rp.key.v6, 0, "IPv4 key");
	ASSERT_EQ(rp.key.saddr, s.p.saddr, "key is the IPv4 address");
	ASSERT_TRUE(rp.data == s.pkt + 14 + 20 + 20 && rp.len == 200, "payload");
	s.pkt[14 + 20 + 20 + 7] ^= 4;
	ASSERT_EQ(reasm_piece_parse(&s, n, &rp), REASM_PIECE_BAD_CSUM, "bad IPv4 checksum");
	s.p.flags = STT_PIECE_GRO;
	ASSERT_EQ(reasm_piece_parse(&s, n, &rp), REASM_PIECE_OK, "GRO piece");
}

/* Two IPv6 senders, one index form, same low address bits, frame ID and port: two frames. */
static void t_piece_senders6(void)
{
	struct reasm *r = reasm_new(1 << 20, 1000 * MS);
	uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xaa, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7 };
	uint8_t b[16];
	static uint8_t fa[400], fb[400];
	struct sample s;
	struct reasm_piece rp;
	struct reasm_out out = {};
	int got = 0;

	memcpy(b, a, 16);
	b[4] = 0xbb;
	fill(fa, sizeof(fa), 11);
	fill(fb, sizeof(fb), 12);
	for (int half = 0; half < 2; half++) {
		for (int who = 0; who < 2; who++) {
			const uint8_t *fr = who ? fb : fa;
			uint32_t n = mk_sample(&s, 1, who ? b : a, 99, fr + half * 200);
			enum reasm_result res;

			s.p.seg_off = half * 200;
			if (!ASSERT_EQ(reasm_piece_parse(&s, n, &rp), REASM_PIECE_OK, "sample"))
				goto out;
			res = reasm_add(r, &rp.key, s.p.frame_len, s.p.seg_off, rp.data, rp.len, 0,
					0, &out);
			if (res == REASM_COMPLETE) {
				got++;
				ASSERT_MEM_EQ(out.data, out.len, who ? fb : fa, 400, "own bytes");
				free(out.data);
			} else {
				ASSERT_EQ(res, REASM_INCOMPLETE, "first half held");
			}
		}
	}
	ASSERT_EQ(got, 2, "both frames complete");
	ASSERT_EQ(reasm_stats(r)->conflicts, 0, "no conflict");
out:
	reasm_free(r);
}

static const struct test_case tests[] = {
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
	{ "reasm: IPv6 senders with the same frame ID, port and low address bits", t_senders6 },
	{ "piece: IPv6 lone segment, outer checksum and bounds", t_piece_csum6 },
	{ "piece: IPv4 lone segment as before", t_piece_ipv4 },
	{ "piece: two IPv6 senders, one index form, reassemble apart", t_piece_senders6 },
};

int main(int argc, char **argv)
{
	return test_run_all(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}

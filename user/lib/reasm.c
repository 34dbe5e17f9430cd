// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Bounded reassembly of STT frames.
 *
 * - Memory: every incomplete frame holds a buffer of its full length (at most 64 KB) plus
 *   a small header; the total stays under the cap by evicting the oldest frames first.
 * - Time: a frame whose first piece is older than the timeout is dropped.
 * - Pieces are placed by offset and may come in any order. Coverage is a sorted list of
 *   disjoint byte ranges. Bytes that arrive twice must match what is there: a piece that
 *   brings nothing new is a duplicate; one that overlaps with different bytes drops the
 *   whole frame, because a frame must never be delivered with bytes of two versions.
 * - A frame ID that comes back with another frame length is a new frame: the old one is
 *   dropped (counted as reused).
 */
#include <stdlib.h>
#include <string.h>
#include "common.h" /* csum_add, csum_fold; struct stt_piece */
#include "reasm.h"

#include "reasm_impl.h"

struct reasm *reasm_new(size_t mem_cap, uint64_t timeout_ns)
{
	struct reasm *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->cap = mem_cap;
	r->timeout_ns = timeout_ns;
	return r;
}

static void frame_unlink(struct reasm *r, struct frame *f)
{
	struct frame **pp = &r->buckets[key_hash(&f->key)];

	while (*pp && *pp != f)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = f->hnext;
	if (f->older)
		f->older->newer = f->newer;
	else
		r->oldest = f->newer;
	if (f->newer)
		f->newer->older = f->older;
	else
		r->newest = f->older;
	r->st.mem -= frame_cost(f->frame_len);
	r->st.inflight--;
	free(f->data);
	free(f);
}

void reasm_free(struct reasm *r)
{
	if (!r)
		return;
	while (r->oldest)
		frame_unlink(r, r->oldest);
	free(r);
}

const struct reasm_stats *reasm_stats(const struct reasm *r)
{
	return &r->st;
}

void reasm_expire(struct reasm *r, uint64_t now_ns)
{
	/* The age list is in arrival order of first pieces: expired frames are at its head. */
	while (r->oldest && now_ns - r->oldest->first_ns > r->timeout_ns) {
		r->st.timeouts++;
		frame_unlink(r, r->oldest);
	}
}

static struct frame *frame_new(struct reasm *r, const struct reasm_key *k, uint32_t frame_len,
                               uint64_t now_ns)
{
	size_t cost = frame_cost(frame_len);
	struct frame *f;
	unsigned int b;

	if (cost > r->cap)
		return NULL;
	while (r->st.mem + cost > r->cap && r->oldest) {
		r->st.evicted++;
		frame_unlink(r, r->oldest);
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->data = malloc(frame_len);
	if (!f->data) {
		free(f);
		return NULL;
	}
	f->key = *k;
	f->frame_len = frame_len;
	f->first_ns = now_ns;
	b = key_hash(k);
	f->hnext = r->buckets[b];
	r->buckets[b] = f;
	f->older = r->newest;
	if (r->newest)
		r->newest->newer = f;
	else
		r->oldest = f;
	r->newest = f;
	r->st.mem += cost;
	if (r->st.mem > r->st.mem_peak)
		r->st.mem_peak = r->st.mem;
	r->st.inflight++;
	return f;
}

/*
 * Merge [off, end) into the frame. Returns the number of new bytes, -1 when bytes that were
 * already there differ (conflict), -2 when the frame is in too many disjoint runs.
 */
static long frame_place(struct frame *f, uint32_t off, uint32_t end, const uint8_t *data)
{
	struct range nr[MAX_RANGES + 1];
	uint32_t n = 0, i, cur = off, added = 0;

	/* Bytes already present must match: check every overlap first, write nothing yet. */
	for (i = 0; i < f->nranges; i++) {
		uint32_t s = f->ranges[i].start, e = f->ranges[i].end;
		uint32_t os = s > off ? s : off, oe = e < end ? e : end;

		if (os < oe && memcmp(f->data + os, data + (os - off), oe - os))
			return -1;
	}
	/* Copy the new bytes: the gaps of [off, end) between existing ranges. */
	for (i = 0; i < f->nranges && cur < end; i++) {
		uint32_t s = f->ranges[i].start, e = f->ranges[i].end;

		if (e <= cur)
			continue;
		if (s > cur) {
			uint32_t ge = s < end ? s : end;

			memcpy(f->data + cur, data + (cur - off), ge - cur);
			added += ge - cur;
		}
		cur = e > cur ? e : cur;
	}
	if (cur < end) {
		memcpy(f->data + cur, data + (cur - off), end - cur);
		added += end - cur;
	}
	/* Rebuild the sorted, disjoint range list with [off, end) merged in. */
	for (i = 0; i < f->nranges && f->ranges[i].end < off; i++)
		nr[n++] = f->ranges[i];
	{
		struct range m = {off, end};

		for (; i < f->nranges && f->ranges[i].start <= end; i++) {
			if (f->ranges[i].start < m.start)
				m.start = f->ranges[i].start;
			if (f->ranges[i].end > m.end)
				m.end = f->ranges[i].end;
		}
		nr[n++] = m;
	}
	for (; i < f->nranges; i++)
		nr[n++] = f->ranges[i];
	if (n > MAX_RANGES)
		return -2; /* too many disjoint runs (bytes already copied are harmless) */
	memcpy(f->ranges, nr, n * sizeof(nr[0]));
	f->nranges = n;
	return added;
}

enum reasm_result reasm_add(struct reasm *r, const struct reasm_key *k, uint32_t frame_len,
                            uint32_t off, const uint8_t *data, uint32_t len, uint32_t flags,
                            uint64_t now_ns, struct reasm_out *out)
{
	struct frame *f;
	long added;

	r->st.pieces++;
	reasm_expire(r, now_ns);
	if (!frame_len || frame_len > 65535 || !len || off >= frame_len || len > frame_len - off) {
		r->st.invalid++;
		return REASM_INVALID;
	}
	f = frame_find(r, k);
	if (f && f->frame_len != frame_len) {
		r->st.reused++;
		frame_unlink(r, f);
		f = NULL;
	}
	if (!f) {
		f = frame_new(r, k, frame_len, now_ns);
		if (!f)
			return REASM_NOMEM;
	}
	added = frame_place(f, off, off + len, data);
	if (added == -2) {
		r->st.invalid++;
		frame_unlink(r, f);
		return REASM_INVALID;
	}
	if (added < 0) {
		r->st.conflicts++;
		frame_unlink(r, f);
		return REASM_CONFLICT;
	}
	f->flags |= flags;
	if (added == 0) {
		r->st.duplicates++;
		return REASM_DUPLICATE;
	}
	if ((uint32_t)added < len)
		r->st.overlaps++;
	f->got += added;
	if (f->got < f->frame_len)
		return REASM_INCOMPLETE;

	out->data = f->data;
	out->len = f->frame_len;
	out->flags = f->flags;
	f->data = NULL;
	r->st.frames++;
	frame_unlink(r, f);
	return REASM_COMPLETE;
}

/*
 * A segment from a sender on this machine (a veth) may still carry the checksum offload
 * seed (the pseudo-header sum) with the skb marked CHECKSUM_PARTIAL, which the perf buffer
 * cannot show: such a field is accepted as "not computed yet". A segment damaged on a wire
 * matches that value 1 time in 65536.
 */
int reasm_outer_csum_ok(const uint8_t *pkt, uint32_t len, int v6)
{
	uint32_t iplen = v6 ? 40 : 20, tcp_len, pseudo, sum;
	const uint8_t *tcp = pkt + 14 + iplen;
	uint16_t field;

	if (len < 14 + iplen + 20)
		return 0;
	tcp_len = len - 14 - iplen;
	if (tcp_len > 65535)
		return 0; /* no single segment is that long (and the sum stays within 32 bits) */
	if (v6)           /* RFC 8200 8.1: addresses, upper-layer length, next header */
		pseudo = csum_add(0, pkt + 14 + 8, 32);
	else
		pseudo = csum_add(0, pkt + 14 + 12, 8);
	pseudo += 6 + tcp_len;
	sum = csum_add(pseudo, tcp, tcp_len);
	if (csum_fold(sum) == 0xffff)
		return 1;
	field = (uint16_t)(tcp[16] << 8 | tcp[17]);
	return field == csum_fold(pseudo);
}

enum reasm_piece_verdict reasm_piece_parse(const void *sample, uint32_t size,
                                           struct reasm_piece *out)
{
	const struct stt_piece *p = sample;
	const uint8_t *pkt = (const uint8_t *)(p + 1);
	int v6;

	if (size < sizeof(*p) || p->pkt_len > size - sizeof(*p) ||
	    p->payload_off + (uint64_t)p->payload_len > p->pkt_len)
		return REASM_PIECE_MALFORMED;
	v6 = !!(p->flags & STT_PIECE_V6);
	/* An IPv6 piece: the sender's address is in the outer IPv6 header, which must be there. */
	if (v6 && (p->pkt_len < 14 + 40 + 20 || pkt[12] != 0x86 || pkt[13] != 0xdd ||
	           (pkt[14] >> 4) != 6 || pkt[14 + 6] != 6))
		return REASM_PIECE_MALFORMED;
	/* GRO verified what it merged; a lone segment is checked here. */
	if (!(p->flags & STT_PIECE_GRO) && !reasm_outer_csum_ok(pkt, p->pkt_len, v6))
		return REASM_PIECE_BAD_CSUM;
	memset(&out->key, 0, sizeof(out->key));
	if (v6) {
		out->key.v6 = 1;
		memcpy(out->key.addr6, pkt + 14 + 8, 16);
	} else {
		out->key.saddr = p->saddr;
	}
	out->key.sport = p->sport;
	out->key.frame_id = p->frame_id;
	out->data = pkt + p->payload_off;
	out->len = p->payload_len;
	return REASM_PIECE_OK;
}

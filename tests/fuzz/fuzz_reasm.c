// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer target: the reassembly engine (user/lib/reasm.c) against a reference model.
 *
 * The input is a small header (memory cap, timeout, start time) and then a sequence of
 * operations: add a piece, add a comb of 1-byte pieces (to reach MAX_RANGES), fill the gaps
 * of a frame (so that frames complete), advance the clock and expire. The bytes of a piece
 * come from a deterministic pattern of its (key, frame length), so every piece of a frame
 * agrees with every other, except when the operation asks for a conflicting byte.
 *
 * Next to the engine runs a model written for clarity, not speed: one byte array and one
 * coverage map per frame, frames in creation order. Every operation must give the result
 * the model predicts; a complete frame must be exactly the bytes the model was given for
 * that incarnation of the frame (so a conflicting version is never delivered: either the
 * engine saw the disagreement and said CONFLICT, or the conflicting byte was the only one
 * given for that position); every statistic must match; and the engine's internal lists
 * (hash chains, age list, range lists) must be consistent. At the end, expiring everything
 * must leave mem == 0 and inflight == 0, and ASan checks that everything was freed.
 *
 * The engine is linked as it is; its private structures (user/lib/reasm_impl.h) are
 * included so that the checks can walk them and use its frame_cost() (the memory
 * accounting, hence which frames the cap evicts).
 *
 * Set STT_FUZZ_VERBOSE=1 to print the operations of an input (for reading a reproducer).
 */
#include <stdlib.h>
#include <string.h>
#include "reasm_impl.h"

#include <stdbool.h>
#include <stdio.h>

#define FRAME_MAX 65535u

/*
 * The model and the checks are left out of the coverage instrumentation: their loops would
 * cost most of the time, and the engine's own coverage is what should guide the fuzzer.
 */
#define NOCOV __attribute__((no_sanitize("coverage")))

static bool verbose;

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		fprintf(stderr, "fuzz_reasm: " __VA_ARGS__);                                       \
		fputc('\n', stderr);                                                               \
		abort();                                                                           \
	} while (0)
#define CHECK(cond, fmt, ...)                                                                      \
	do {                                                                                       \
		if (!(cond))                                                                       \
			FAIL("check failed: %s: " fmt, #cond, ##__VA_ARGS__);                      \
	} while (0)
#define LOG(...)                                                                                   \
	do {                                                                                       \
		if (verbose)                                                                       \
			fprintf(stderr, __VA_ARGS__);                                              \
	} while (0)

/* ---- input reader: zeros once the input is used up ---- */
struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t u8(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint16_t u16(struct in *in)
{
	return (uint16_t)(u8(in) | u8(in) << 8);
}

static uint32_t u32(struct in *in)
{
	return (uint32_t)u16(in) | (uint32_t)u16(in) << 16;
}

/*
 * ---- keys: some ordinary, some that all land in one hash bucket; IPv6 senders alike but for
 * one high byte of the address, some of them in that bucket too ----
 */
#define NKEYS 48
static struct reasm_key keys[NKEYS];

static void init_keys(void)
{
	int n = 0;

	for (int i = 0; i < 16; i++) {
		memset(&keys[n], 0, sizeof(keys[n]));
		keys[n].saddr = i & 3;
		keys[n].sport = (uint16_t)(49152 + (i >> 2 & 1));
		keys[n].frame_id = (uint32_t)(i >> 3) * 0x80000000u + 7;
		n++;
	}
	/* Same bucket as keys[0]: exercises the hash chains. */
	for (uint32_t id = 1; n < 32; id++) {
		struct reasm_key k;

		memset(&k, 0, sizeof(k));
		k = keys[0];
		k.frame_id = id * 977;
		if (key_hash(&k) == key_hash(&keys[0]))
			keys[n++] = k;
	}
	/* IPv6: keys[0]'s port and frame ID, its address as the low 32 bits of each. */
	for (int i = 0; i < 8; i++) {
		memset(&keys[n], 0, sizeof(keys[n]));
		keys[n].v6 = 1;
		keys[n].addr6[0] = 0x20, keys[n].addr6[1] = 0x01;
		keys[n].addr6[4] = (uint8_t)(i + 1);
		memcpy(keys[n].addr6 + 12, &keys[0].saddr, 4);
		keys[n].saddr = i & 1 ? keys[0].saddr : 0;
		keys[n].sport = keys[0].sport;
		keys[n].frame_id = keys[0].frame_id;
		n++;
	}
	/* IPv6 keys in keys[0]'s bucket. */
	for (uint32_t v = 1; n < NKEYS; v++) {
		struct reasm_key k = keys[32];

		k.addr6[6] = (uint8_t)(v >> 8), k.addr6[7] = (uint8_t)v;
		if (key_hash(&k) == key_hash(&keys[0]))
			keys[n++] = k;
	}
}

/* The model's own key equality: every byte of the key (keys are zeroed, then filled in). */
static NOCOV int m_key_eq(const struct reasm_key *a, const struct reasm_key *b)
{
	return !memcmp(a, b, sizeof(*a));
}

static NOCOV uint8_t pattern(const struct reasm_key *k, uint32_t frame_len, uint32_t i)
{
	uint32_t h = k->saddr * 0x9e3779b1u ^ k->frame_id * 0x85ebca77u ^ k->sport * 0xc2b2ae3du ^
		     frame_len * 0x27d4eb2fu ^ i * 0x165667b1u;

	for (int j = 0; j < 16; j++)
		h = (h ^ k->addr6[j]) * 0x01000193u;

	h ^= h >> 13;
	h *= 0x5bd1e995u;
	h ^= h >> 15;
	return (uint8_t)h;
}

/* ---- the model ---- */
struct mframe {
	struct reasm_key key;
	uint32_t frame_len, got, flags;
	uint32_t runs; /* disjoint runs of given bytes */
	uint64_t first_ns;
	uint8_t *data, *have; /* have[i]: byte i was given */
};

struct model {
	size_t cap;
	uint64_t timeout;
	struct mframe *f; /* creation order, oldest first */
	size_t n, alloc;
	struct reasm_stats st;
};

static NOCOV void m_drop(struct model *m, size_t i)
{
	m->st.mem -= frame_cost(m->f[i].frame_len);
	m->st.inflight--;
	free(m->f[i].data);
	free(m->f[i].have);
	memmove(&m->f[i], &m->f[i + 1], (m->n - i - 1) * sizeof(m->f[0]));
	m->n--;
}

static NOCOV long m_find(const struct model *m, const struct reasm_key *k)
{
	for (size_t i = 0; i < m->n; i++)
		if (m_key_eq(&m->f[i].key, k))
			return (long)i;
	return -1;
}

static NOCOV void m_expire(struct model *m, uint64_t now)
{
	while (m->n && now - m->f[0].first_ns > m->timeout) {
		m->st.timeouts++;
		m_drop(m, 0);
	}
}

/* Runs that [off, end) touches or borders: they merge with it into one. */
static NOCOV uint32_t m_touching(const struct mframe *f, uint32_t off, uint32_t end)
{
	uint32_t lo = off ? off - 1 : 0, hi = end < f->frame_len ? end : f->frame_len - 1;
	uint32_t n = 0;

	for (uint32_t i = lo; i <= hi; i++)
		if (f->have[i] && (i == lo || !f->have[i - 1]))
			n++;
	return n;
}

/* Predict reasm_add. On REASM_COMPLETE, *done gets the model's frame (caller frees). */
static NOCOV enum reasm_result m_add(struct model *m, const struct reasm_key *k, uint32_t frame_len,
			       uint32_t off, const uint8_t *data, uint32_t len, uint32_t flags,
			       uint64_t now, struct mframe *done)
{
	struct mframe *f;
	uint32_t added = 0, runs;
	long i;

	m->st.pieces++;
	m_expire(m, now);
	if (frame_len == 0 || frame_len > FRAME_MAX || len == 0 || (uint64_t)off + len > frame_len) {
		m->st.invalid++;
		return REASM_INVALID;
	}
	i = m_find(m, k);
	if (i >= 0 && m->f[i].frame_len != frame_len) {
		m->st.reused++;
		m_drop(m, (size_t)i);
		i = -1;
	}
	if (i < 0) {
		size_t cost = frame_cost(frame_len);

		if (cost > m->cap)
			return REASM_NOMEM;
		while (m->st.mem + cost > m->cap && m->n) {
			m->st.evicted++;
			m_drop(m, 0);
		}
		if (m->n == m->alloc) {
			m->alloc = m->alloc ? 2 * m->alloc : 16;
			m->f = realloc(m->f, m->alloc * sizeof(m->f[0]));
			CHECK(m->f, "model out of memory");
		}
		f = &m->f[m->n++];
		memset(f, 0, sizeof(*f));
		f->key = *k;
		f->frame_len = frame_len;
		f->first_ns = now;
		f->data = calloc(1, frame_len);
		f->have = calloc(1, frame_len);
		CHECK(f->data && f->have, "model out of memory");
		m->st.mem += cost;
		if (m->st.mem > m->st.mem_peak)
			m->st.mem_peak = m->st.mem;
		m->st.inflight++;
		i = (long)m->n - 1;
	}
	f = &m->f[i];
	for (uint32_t j = 0; j < len; j++) {
		if (f->have[off + j] && f->data[off + j] != data[j]) {
			m->st.conflicts++;
			m_drop(m, (size_t)i);
			return REASM_CONFLICT;
		}
	}
	/* Would the merged coverage be in more than MAX_RANGES runs? */
	runs = f->runs + 1 - m_touching(f, off, off + len);
	if (runs > MAX_RANGES) {
		m->st.invalid++;
		m_drop(m, (size_t)i);
		return REASM_INVALID;
	}
	f->runs = runs;
	for (uint32_t j = 0; j < len; j++) {
		if (!f->have[off + j]) {
			f->have[off + j] = 1;
			f->data[off + j] = data[j];
			added++;
		}
	}
	f->flags |= flags;
	if (!added) {
		m->st.duplicates++;
		return REASM_DUPLICATE;
	}
	if (added < len)
		m->st.overlaps++;
	f->got += added;
	if (f->got < f->frame_len)
		return REASM_INCOMPLETE;
	m->st.frames++;
	*done = *f;
	f->data = NULL; /* handed to done */
	free(f->have);
	f->have = NULL;
	m->st.mem -= frame_cost(f->frame_len);
	m->st.inflight--;
	memmove(&m->f[i], &m->f[i + 1], (m->n - (size_t)i - 1) * sizeof(m->f[0]));
	m->n--;
	return REASM_COMPLETE;
}

/* ---- consistency of the engine, and agreement with the model ---- */
static NOCOV void check_stats(const struct reasm *r, const struct model *m)
{
	const struct reasm_stats *s = reasm_stats(r), *e = &m->st;

#define S(x) CHECK(s->x == e->x, "stat " #x ": engine %llu, model %llu", \
		   (unsigned long long)s->x, (unsigned long long)e->x)
	S(pieces); S(frames); S(duplicates); S(overlaps); S(conflicts); S(timeouts); S(evicted);
	S(reused); S(invalid); S(mem); S(mem_peak); S(inflight);
#undef S
	CHECK(s->mem <= r->cap, "mem %llu over the cap %zu", (unsigned long long)s->mem, r->cap);
	CHECK(s->mem_peak <= r->cap, "mem_peak over the cap");
	CHECK(s->mem_peak >= s->mem, "mem_peak below mem");
}

/* One engine frame against its model frame; with data, compare the bytes too. */
static NOCOV void check_frame(const struct frame *f, const struct mframe *mf, bool data)
{
	uint32_t got = 0, i, pos = 0;

	CHECK(m_key_eq(&f->key, &mf->key), "age list order differs from the model");
	CHECK(f->frame_len == mf->frame_len, "frame_len %u, model %u", f->frame_len, mf->frame_len);
	CHECK(f->first_ns == mf->first_ns, "first_ns differs");
	CHECK(f->flags == mf->flags, "flags %#x, model %#x", f->flags, mf->flags);
	CHECK(f->data, "incomplete frame without a buffer");
	CHECK(f->nranges >= 1 && f->nranges <= MAX_RANGES, "nranges %u", f->nranges);
	CHECK(f->nranges == mf->runs, "nranges %u, model %u runs", f->nranges, mf->runs);
	for (i = 0; i < f->nranges; i++) {
		const struct range *rg = &f->ranges[i];

		CHECK(rg->start < rg->end && rg->end <= f->frame_len, "range %u [%u, %u) of %u", i,
		      rg->start, rg->end, f->frame_len);
		CHECK(i == 0 || rg->start > f->ranges[i - 1].end,
		      "ranges %u and %u not sorted, disjoint and apart", i - 1, i);
		got += rg->end - rg->start;
		if (data) {
			/* Coverage equals the model's, run for run, and so do the bytes. */
			CHECK(!memchr(mf->have + pos, 1, rg->start - pos),
			      "model has bytes in [%u, %u), engine not", pos, rg->start);
			CHECK(!memchr(mf->have + rg->start, 0, rg->end - rg->start),
			      "engine has bytes in [%u, %u), model not", rg->start, rg->end);
			CHECK(!memcmp(f->data + rg->start, mf->data + rg->start,
				      rg->end - rg->start),
			      "bytes in [%u, %u) differ from the model", rg->start, rg->end);
			pos = rg->end;
		}
	}
	if (data)
		CHECK(!memchr(mf->have + pos, 1, f->frame_len - pos),
		      "model has bytes in [%u, %u), engine not", pos, f->frame_len);
	CHECK(got == f->got, "got %u, ranges cover %u", f->got, got);
	CHECK(got == mf->got && got < f->frame_len, "got %u, model %u, len %u", got, mf->got,
	      f->frame_len);
}

static NOCOV void check_engine(const struct reasm *r, const struct model *m, bool data)
{
	const struct frame *f, *prev = NULL;
	size_t n = 0, chained = 0;
	uint64_t mem = 0;

	for (f = r->oldest; f; prev = f, f = f->newer) {
		CHECK(f->older == prev, "age list back pointer");
		CHECK(n < m->n, "engine holds more frames than the model (%zu)", m->n);
		CHECK(frame_find((struct reasm *)r, &f->key) == f, "frame not found by its key");
		check_frame(f, &m->f[n], data);
		mem += frame_cost(f->frame_len);
		n++;
	}
	CHECK(r->newest == prev, "newest is not the end of the age list");
	CHECK(n == m->n, "engine holds %zu frames, model %zu", n, m->n);
	CHECK(n == r->st.inflight, "inflight %llu, age list %zu", (unsigned long long)r->st.inflight,
	      n);
	CHECK(mem == r->st.mem, "mem %llu, frames cost %llu", (unsigned long long)r->st.mem,
	      (unsigned long long)mem);
	check_stats(r, m);
	if (!data)
		return;
	for (unsigned int b = 0; b < NBUCKETS; b++)
		for (f = r->buckets[b]; f; f = f->hnext) {
			CHECK(key_hash(&f->key) == b, "frame in the wrong bucket");
			CHECK(++chained <= n, "hash chains hold more frames than the age list");
		}
	CHECK(chained == n, "hash chains hold %zu frames, age list %zu", chained, n);
}

/* ---- driving both ---- */
struct run {
	struct reasm *r;
	struct model m;
	uint64_t now;
};

static const char *res_name(enum reasm_result res)
{
	static const char *n[] = { "INCOMPLETE", "COMPLETE", "DUPLICATE",
				   "CONFLICT",	 "INVALID",  "NOMEM" };

	return (unsigned int)res < 6 ? n[res] : "?";
}

/* data: len bytes, or NULL for a piece that is out of bounds (nothing may be read). */
static void add(struct run *ru, const struct reasm_key *k, uint32_t frame_len, uint32_t off,
		const uint8_t *data, uint32_t len, uint32_t flags)
{
	static const uint8_t guard[1];
	struct reasm_out out = { 0 };
	struct mframe done = { 0 };
	enum reasm_result got, exp;
	const struct mframe *mf;
	long i;

	/* An invalid piece gets a 1-byte buffer: reading more is an ASan report. */
	if (!data)
		data = guard;
	exp = m_add(&ru->m, k, frame_len, off, data, len, flags, ru->now, &done);
	got = reasm_add(ru->r, k, frame_len, off, data, len, flags, ru->now, &out);
	LOG("add key %u%s%02x%02x%02x/%u/%#x len %u off %u plen %u flags %#x now %llu: %s\n",
	    k->saddr, k->v6 ? "/v6 " : "/", k->addr6[4], k->addr6[6], k->addr6[7], k->sport,
	    k->frame_id, frame_len, off, len, flags, (unsigned long long)ru->now, res_name(got));
	CHECK(got == exp, "reasm_add returned %s, model says %s (len %u off %u plen %u)",
	      res_name(got), res_name(exp), frame_len, off, len);
	if (got == REASM_COMPLETE) {
		CHECK(out.data && out.len == frame_len, "complete frame of %u bytes, expected %u",
		      out.len, frame_len);
		CHECK(!memcmp(out.data, done.data, frame_len),
		      "complete frame differs from the bytes given for it");
		CHECK(out.flags == done.flags, "flags %#x, expected %#x", out.flags, done.flags);
		free(out.data);
		free(done.data);
	}
	/* Deep check of the frame this touched, cheap checks of the rest. */
	i = m_find(&ru->m, k);
	mf = i >= 0 ? &ru->m.f[i] : NULL;
	if (mf) {
		const struct frame *f = frame_find(ru->r, k);

		CHECK(f, "model holds the frame, engine not");
		check_frame(f, mf, true);
	} else {
		CHECK(!frame_find(ru->r, k), "engine holds the frame, model not");
	}
	check_engine(ru->r, &ru->m, false);
}

static NOCOV uint8_t *piece_bytes(const struct reasm_key *k, uint32_t frame_len, uint32_t off,
			    uint32_t len)
{
	uint8_t *d = malloc(len ? len : 1);

	CHECK(d, "out of memory");
	for (uint32_t j = 0; j < len; j++)
		d[j] = pattern(k, frame_len, off + j);
	return d;
}

static uint32_t pick_frame_len(struct in *in)
{
	uint8_t sel = u8(in);
	uint16_t v = u16(in);

	switch (sel & 7) {
	case 0: case 1: case 2:
		return 1 + v % 64;
	case 3: case 4:
		return 1 + v % 4096;
	case 5:
		return v ? v : 65535;
	case 6:
		return 32768 + v % 32768;
	default: { /* out of bounds or at the edges */
		static const uint32_t odd[] = { 0, 1, 65535, 65536, 0xffffffffu, 0x80000000u, 2, 3 };

		return odd[v % 8];
	}
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *v = getenv("STT_FUZZ_VERBOSE");

	verbose = v && *v == '1';
	init_keys();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t caps[] = { 0,     0 /* from the input */, 4000,  sizeof(struct frame) + 65535,
				       20000, 70000,		      140000, 400000 };
	static const uint64_t timeouts[] = { 0, 1, 10, 100, 1000, 100000, 1000000000ull,
					     UINT64_MAX };
	struct in in = { data, size };
	struct run ru;
	uint8_t hdr = u8(&in);
	int ops = 0;

	memset(&ru, 0, sizeof(ru));
	ru.m.cap = caps[hdr & 7];
	ru.m.timeout = timeouts[hdr >> 3 & 7];
	ru.now = (hdr & 0x40) ? u32(&in) : 0;
	if ((hdr & 7) == 1) /* room for two frames, give or take: the eviction edge */
		ru.m.cap = 2 * sizeof(struct frame) + u16(&in);
	ru.r = reasm_new(ru.m.cap, ru.m.timeout);
	CHECK(ru.r, "reasm_new failed");
	LOG("cap %zu timeout %llu\n", ru.m.cap, (unsigned long long)ru.m.timeout);

	while (in.n && ops++ < 2000) {
		uint8_t op = u8(&in);
		const struct reasm_key *k = &keys[u8(&in) % NKEYS];

		switch (op % 8) {
		case 0: case 1: case 2: { /* one piece, mostly in bounds */
			uint32_t flen = pick_frame_len(&in), off, len, a = u16(&in), b = u16(&in);
			uint8_t ctl = u8(&in), *d = NULL;
			uint32_t flags = ctl & 0x10 ? u32(&in) : 0;

			ru.now += ctl >> 6;
			if (flen && flen <= FRAME_MAX && !(ctl & 0x20)) {
				off = a % flen;
				len = 1 + b % (flen - off);
				d = piece_bytes(k, flen, off, len);
				if (ctl & 0x0f && (ctl & 0x0f) < 3) /* a byte of another version */
					d[u16(&in) % len] ^= (uint8_t)(1 + u8(&in) % 255);
			} else {
				/* Raw offsets and lengths, for the bounds checks. */
				static const uint32_t edge[] = { 0, 1, 0xffffffffu, 0x80000000u };

				off = ctl & 1 ? a : edge[a & 3];
				len = ctl & 2 ? b : edge[b & 3] + (flen & 1);
				if (flen && flen <= FRAME_MAX && len && off < flen &&
				    len <= flen - off)
					d = piece_bytes(k, flen, off, len);
			}
			add(&ru, k, flen, off, d, len, flags);
			free(d);
			break;
		}
		case 3: { /* a comb of 1-byte pieces: pushes a frame towards MAX_RANGES runs */
			uint32_t flen = 300 + u16(&in) % 3000, start = u8(&in), stride = 2 + u8(&in) % 4;
			uint32_t count = 1 + u8(&in);

			for (uint32_t c = 0; c < count; c++) {
				uint32_t off = (start + c * stride) % flen;
				uint8_t *d = piece_bytes(k, flen, off, 1);

				add(&ru, k, flen, off, d, 1, 0);
				free(d);
			}
			break;
		}
		case 4: case 5: { /* fill the gaps of a held frame, from either end */
			long i = m_find(&ru.m, k);
			uint8_t ctl = u8(&in);
			uint32_t flen, starts[MAX_RANGES + 2], ends[MAX_RANGES + 2], ng = 0;

			if (i < 0)
				break;
			flen = ru.m.f[i].frame_len;
			for (uint32_t p = 0; p < flen && ng < MAX_RANGES + 2;) {
				uint32_t e;

				if (ru.m.f[i].have[p]) {
					p++;
					continue;
				}
				for (e = p; e < flen && !ru.m.f[i].have[e]; e++)
					;
				/* Widen by one byte of overlap on each side when asked. */
				starts[ng] = ctl & 1 && p ? p - 1 : p;
				ends[ng++] = ctl & 2 && e < flen ? e + 1 : e;
				p = e;
			}
			for (uint32_t g = 0; g < ng; g++) {
				uint32_t j = ctl & 4 ? ng - 1 - g : g;
				uint8_t *d = piece_bytes(k, flen, starts[j], ends[j] - starts[j]);

				if (ctl & 8 && g == 0) /* one conflicting byte in an overlap */
					d[0] ^= 0x5a;
				add(&ru, k, flen, starts[j], d, ends[j] - starts[j], ctl >> 4);
				free(d);
			}
			break;
		}
		case 6: { /* time passes */
			uint16_t step = u16(&in);

			ru.now += op & 0x80 ? (uint64_t)step * 1000000 : step;
			m_expire(&ru.m, ru.now);
			reasm_expire(ru.r, ru.now);
			LOG("expire now %llu: %llu held\n", (unsigned long long)ru.now,
			    (unsigned long long)ru.r->st.inflight);
			check_engine(ru.r, &ru.m, false);
			break;
		}
		default: /* deep check of everything */
			check_engine(ru.r, &ru.m, true);
			break;
		}
	}
	check_engine(ru.r, &ru.m, true);

	if (ru.m.timeout < UINT64_MAX / 4 && !(hdr & 0x80)) {
		/* Everything expires: nothing may stay accounted. */
		ru.now += ru.m.timeout + 1;
		m_expire(&ru.m, ru.now);
		reasm_expire(ru.r, ru.now);
		check_engine(ru.r, &ru.m, true);
		CHECK(ru.r->st.mem == 0 && ru.r->st.inflight == 0,
		      "after expiring everything: mem %llu inflight %llu",
		      (unsigned long long)ru.r->st.mem, (unsigned long long)ru.r->st.inflight);
		CHECK(!ru.r->oldest && !ru.r->newest, "age list not empty");
	}
	/* Otherwise reasm_free releases frames still held; LeakSanitizer checks it did. */
	reasm_free(ru.r);
	while (ru.m.n)
		m_drop(&ru.m, ru.m.n - 1);
	free(ru.m.f);
	return 0;
}

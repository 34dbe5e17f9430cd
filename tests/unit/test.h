/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A small test harness in the style of the kernel's BPF selftests (test_progs.h).
 *
 * ASSERT_*() evaluate to true when the check holds. When it does not, they print the check's
 * name, the expression and both values (as "# " diagnostic lines, so that the output stays
 * TAP-like) and mark the running test failed; the caller decides whether to go on:
 *
 *	if (!ASSERT_EQ(r.retval, XDP_PASS, "verdict"))
 *		return;
 */
#ifndef STT_UNIT_TEST_H
#define STT_UNIT_TEST_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct test_state {
	int verbose;	    /* -v: libbpf output and full hex dumps */
	bool failed;	    /* the running test failed */
	bool skipped;	    /* the running test was skipped ... */
	char skip[200];	    /* ... and why */
	bool todo;	    /* the running test reproduced a known bug of the code under test ... */
	char todo_why[300]; /* ... this one */
};

static struct test_state T;

__attribute__((format(printf, 3, 4), unused)) static void test_fail(const char *file, int line,
								    const char *fmt, ...)
{
	va_list ap;

	T.failed = true;
	printf("#   %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

__attribute__((format(printf, 1, 2), unused)) static void test_skip(const char *fmt, ...)
{
	va_list ap;

	T.skipped = true;
	va_start(ap, fmt);
	vsnprintf(T.skip, sizeof(T.skip), fmt, ap);
	va_end(ap);
}

/*
 * The code under test showed a bug that is known and reported, and only that (the caller
 * checks the exact signature of the bug; anything else still fails). The test is reported
 * as TAP "not ok ... # TODO <why>": visible, not counted as passed nor as failed. When the
 * bug is fixed the test passes by itself.
 */
__attribute__((format(printf, 1, 2), unused)) static void test_todo(const char *fmt, ...)
{
	va_list ap;

	T.todo = true;
	va_start(ap, fmt);
	vsnprintf(T.todo_why, sizeof(T.todo_why), fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 1, 2), unused)) static void test_note(const char *fmt, ...)
{
	va_list ap;

	if (!T.verbose)
		return;
	printf("#   ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/*
 * Side-by-side hex rows of two buffers, 16 bytes a row: "got" then "exp", and a line of ^^
 * under the bytes that differ. Only rows that differ are shown (all of them with -v), at most
 * 24 of them.
 */
static inline void hex_diff(const void *got, size_t got_len, const void *exp, size_t exp_len)
{
	const uint8_t *g = got, *e = exp;
	size_t max = got_len > exp_len ? got_len : exp_len;
	int shown = 0;

	printf("#     got %zu bytes, expected %zu bytes\n", got_len, exp_len);
	for (size_t row = 0; row < max; row += 16) {
		char lg[16 * 3 + 1], le[16 * 3 + 1], lm[16 * 3 + 1];
		bool diff = false;

		for (size_t i = 0; i < 16; i++) {
			size_t o = row + i;
			bool hg = o < got_len, he = o < exp_len;

			if (hg)
				snprintf(lg + 3 * i, 4, "%02x ", g[o]);
			else
				memcpy(lg + 3 * i, "   ", 4);
			if (he)
				snprintf(le + 3 * i, 4, "%02x ", e[o]);
			else
				memcpy(le + 3 * i, "   ", 4);
			if ((hg || he) && (hg != he || g[o] != e[o])) {
				memcpy(lm + 3 * i, "^^ ", 4);
				diff = true;
			} else {
				memcpy(lm + 3 * i, "   ", 4);
			}
		}
		if (!diff && !T.verbose)
			continue;
		if (shown++ == 24) {
			printf("#     ... (more rows differ)\n");
			break;
		}
		printf("#     %04zx got %s\n", row, lg);
		printf("#          exp %s\n", le);
		if (diff)
			printf("#              %s\n", lm);
	}
}

#define ASSERT_EQ(actual, expected, name)                                                          \
	({                                                                                         \
		unsigned long long ___act = (unsigned long long)(actual);                          \
		unsigned long long ___exp = (unsigned long long)(expected);                        \
		bool ___ok = ___act == ___exp;                                                     \
		if (!___ok)                                                                        \
			test_fail(                                                                 \
			    __FILE__, __LINE__,                                                    \
			    "%s: unexpected %s: actual %lld (0x%llx) != expected %lld (0x%llx)",   \
			    (name), #actual, (long long)___act, ___act, (long long)___exp,         \
			    ___exp);                                                               \
		___ok;                                                                             \
	})

#define ASSERT_NEQ(actual, unexpected, name)                                                       \
	({                                                                                         \
		unsigned long long ___act = (unsigned long long)(actual);                          \
		unsigned long long ___une = (unsigned long long)(unexpected);                      \
		bool ___ok = ___act != ___une;                                                     \
		if (!___ok)                                                                        \
			test_fail(__FILE__, __LINE__,                                              \
				  "%s: unexpected %s: actual %lld (0x%llx) == %lld", (name),       \
				  #actual, (long long)___act, ___act, (long long)___une);          \
		___ok;                                                                             \
	})

#define ASSERT_OK(res, name)                                                                       \
	({                                                                                         \
		long long ___res = (long long)(res);                                               \
		bool ___ok = ___res == 0;                                                          \
		if (!___ok)                                                                        \
			test_fail(__FILE__, __LINE__, "%s: %s failed: %lld (%s)", (name), #res,    \
				  ___res, strerror(___res < 0 ? (int)-___res : errno));            \
		___ok;                                                                             \
	})

#define ASSERT_TRUE(cond, name)                                                                    \
	({                                                                                         \
		bool ___ok = !!(cond);                                                             \
		if (!___ok)                                                                        \
			test_fail(__FILE__, __LINE__, "%s: unexpected false: %s", (name), #cond);  \
		___ok;                                                                             \
	})

#define ASSERT_MEM_EQ(got, got_len, exp, exp_len, name)                                            \
	({                                                                                         \
		size_t ___gl = (got_len), ___el = (exp_len);                                       \
		bool ___ok = ___gl == ___el && !memcmp((got), (exp), ___el);                       \
		if (!___ok) {                                                                      \
			test_fail(__FILE__, __LINE__, "%s: %s differs from %s", (name), #got,      \
				  #exp);                                                           \
			hex_diff((got), ___gl, (exp), ___el);                                      \
		}                                                                                  \
		___ok;                                                                             \
	})

/* Tests without an argument (reasm_test, fleet_test): each run, a TAP line each, totals. */
struct test_case {
	const char *name;
	void (*fn)(void);
};

__attribute__((unused)) static int test_run_all(const struct test_case *t, int n, int argc,
                                                char **argv)
{
	int failed = 0;

	T.verbose = argc > 1 && !strcmp(argv[1], "-v");
	for (int i = 0; i < n; i++) {
		T.failed = false;
		t[i].fn();
		printf("%s %d - %s\n", T.failed ? "not ok" : "ok", i + 1, t[i].name);
		failed += T.failed;
	}
	printf("%d passed, %d failed\n", n - failed, failed);
	return failed ? 1 : 0;
}

#endif /* STT_UNIT_TEST_H */

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer target: the command-line parsers of sttctl and sttd.
 *
 * user/lib/common.c: parse_context, parse_mac, parse_ipv4, parse_uint, parse_size (sttd --mem),
 * err_msg (plain text on stderr, or JSON on stdout through json-c); user/cli/cmd.c: the
 * option parsing of sttctl's commands (cmd_getopt through cmd_list_opts).
 *
 * Input: one control byte (bit 0: JSON messages; bits 1-3: the max given to parse_uint),
 * then the text, parsed as a NUL-terminated copy (so it ends at its first NUL byte). The rest
 * after that NUL, split at NUL bytes, is an argv for cmd_list_opts.
 *
 * Properties, checked against a strict reference written here:
 * - each parser accepts exactly the canonical spellings: context and parse_uint: decimal
 *   without leading zeros, 0-prefixed octal or 0x hex, no sign, no space, nothing after;
 *   MAC: six pairs of hex digits joined by ':'; IPv4: dotted quad without leading zeros;
 *   parse_size: a canonical number and at most one of K M G (either case);
 * - what is accepted has the value the text says (and a MAC or an address formats back to
 *   the same text, lower-cased); values out of range are refused;
 * - with JSON on, every message is one JSON object {"error": "..."} that json-c reads back.
 *
 * Known, reported bugs (see tests/fuzz/README.md) abort like any other failure, unless
 * STT_FUZZ_KNOWN=todo: then an input that shows exactly one of them (and nothing else) is
 * reported once as "# TODO known bug <name>" and the run goes on. tests/fuzz/run_short.sh
 * and `make fuzz` set it, so that they look for new bugs.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static FILE *diag; /* the real stderr: err_msg's text output goes to /dev/null */
static bool todo_mode;

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		fprintf(diag, "fuzz_parsers: " __VA_ARGS__);                                       \
		fputc('\n', diag);                                                                 \
		abort();                                                                           \
	} while (0)
#define CHECK(cond, fmt, ...)                                                                      \
	do {                                                                                       \
		if (!(cond))                                                                       \
			FAIL("check failed: %s: " fmt, #cond, ##__VA_ARGS__);                      \
	} while (0)

/*
 * A known bug: in todo mode, report it once and go on; otherwise fail like anything else.
 * Returns to the caller, which skips the checks that the bug invalidates.
 */
static void known_bug(const char *name, const char *what, const char *text)
{
	static char seen[16][40];
	static int nseen;
	int i;

	if (!todo_mode)
		FAIL("known bug %s: %s: input \"%s\"", name, what, text);
	for (i = 0; i < nseen; i++)
		if (!strcmp(seen[i], name))
			return;
	if (nseen < 16)
		snprintf(seen[nseen++], sizeof(seen[0]), "%s", name);
	fprintf(diag, "# TODO known bug %s: %s (first input: \"", name, what);
	for (const char *c = text; *c; c++)
		fprintf(diag, isprint((unsigned char)*c) ? "%c" : "\\x%02x", (unsigned char)*c);
	fprintf(diag, "\")\n");
}

/* ---- strict reference parsers ---- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Canonical C integer (strtoull base 0 without its leniencies): 0x/0X + hex digits, 0 + octal
 * digits, or a decimal without a leading zero. Returns 1 and the value, 0 when out of range
 * (canonical but > 2^64-1), -1 when not canonical. *end gets where the number stops.
 */
static int ref_number(const char *s, uint64_t *out, const char **end)
{
	unsigned int base = 10;
	uint64_t v = 0;
	int over = 0, digits = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	} else if (s[0] == '0') {
		base = 8;
	}
	for (;; s++) {
		int d = hexval(*s);

		if (d < 0 || (unsigned int)d >= base)
			break;
		if (v > (UINT64_MAX - (unsigned int)d) / base)
			over = 1;
		v = v * base + (unsigned int)d;
		digits++;
	}
	*end = s;
	if (!digits)
		return -1;
	*out = v;
	return over ? 0 : 1;
}

static bool ref_mac(const char *s, uint8_t mac[6])
{
	if (strlen(s) != 17)
		return false;
	for (int i = 0; i < 6; i++) {
		int hi = hexval(s[3 * i]), lo = hexval(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return false;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

static bool ref_ipv4(const char *s, uint8_t a[4])
{
	for (int i = 0; i < 4; i++) {
		unsigned int v = 0, n = 0;

		for (; *s >= '0' && *s <= '9'; s++, n++) {
			if (n && v == 0)
				return false; /* leading zero */
			v = v * 10 + (unsigned int)(*s - '0');
			if (v > 255)
				return false;
		}
		if (!n || (i < 3 && *s++ != '.'))
			return false;
		a[i] = (uint8_t)v;
	}
	return *s == 0;
}

/* ---- checks, one parser each ---- */

static void check_context(const char *s)
{
	__u64 v = 0xdeadbeef;
	uint64_t want;
	const char *end;
	int rc = parse_context(s, &v), ref = ref_number(s, &want, &end);

	if (ref < 0 || *end) {
		if (rc == 0) {
			/* strtoull skips every isspace(), the check above it only ' '. */
			if (strchr("\t\n\v\f\r", s[0]))
				known_bug("parse_context-whitespace",
					  "parse_context accepts a leading tab/newline/CR/VT/FF, "
					  "and after it a sign: \"\\t-1\" is 2^64-1",
					  s);
			else
				FAIL("parse_context accepted \"%s\" as %llu", s,
				     (unsigned long long)v);
		}
		return;
	}
	if (ref == 0) {
		CHECK(rc != 0, "parse_context accepted \"%s\", more than 2^64-1", s);
		return;
	}
	CHECK(rc == 0, "parse_context refused \"%s\"", s);
	CHECK(v == want, "parse_context(\"%s\") = %llu, expected %llu", s, (unsigned long long)v,
	      (unsigned long long)want);
	/* The property the brief asks for, as a cross-check of the reference. */
	CHECK(v == strtoull(s, NULL, 0), "parse_context disagrees with strtoull");
}

static void check_uint(const char *s, unsigned long max)
{
	unsigned long v = 12345;
	uint64_t want;
	const char *end;
	int rc = parse_uint(s, max, &v), ref = ref_number(s, &want, &end);

	if (ref < 0 || *end) {
		if (rc == 0) {
			if (isspace((unsigned char)s[0]) || s[0] == '+')
				known_bug("parse_uint-space-sign",
					  "parse_uint accepts leading spaces and '+', and after "
					  "a space a '-' that wraps: \" -18446744073709551615\" is 1",
					  s);
			else
				FAIL("parse_uint accepted \"%s\" (max %lu) as %lu", s, max, v);
		}
		return;
	}
	if (ref == 0 || want > max) {
		CHECK(rc != 0, "parse_uint accepted \"%s\" over its max %lu", s, max);
		return;
	}
	CHECK(rc == 0, "parse_uint refused \"%s\" (max %lu)", s, max);
	CHECK(v == want, "parse_uint(\"%s\") = %lu, expected %llu", s, v, (unsigned long long)want);
}

static void check_mac(const char *s)
{
	__u8 mac[6] = { 1, 2, 3, 4, 5, 6 };
	uint8_t want[6];
	char buf[32], lower[32];
	int rc = parse_mac(s, mac);

	if (!ref_mac(s, want)) {
		if (rc == 0) {
			/* sscanf's %2x skips spaces and takes a sign or 0x: "-1" is ff. */
			bool lenient = strlen(s) == 17;

			for (const char *c = s; *c && lenient; c++)
				lenient = hexval(*c) >= 0 || isspace((unsigned char)*c) ||
					  strchr(":+-xX", *c);
			if (lenient)
				known_bug("parse_mac-scanf",
					  "parse_mac accepts what sscanf %2x does: spaces, signs, "
					  "0x (\"-1:-1:-1:-1:-1:-1\" is ff:ff:ff:ff:ff:ff)",
					  s);
			else
				FAIL("parse_mac accepted \"%s\"", s);
		}
		return;
	}
	CHECK(rc == 0, "parse_mac refused \"%s\"", s);
	CHECK(!memcmp(mac, want, 6), "parse_mac(\"%s\") has other bytes", s);
	fmt_mac(mac, buf, sizeof(buf));
	for (int i = 0; i < 18; i++)
		lower[i] = (char)tolower((unsigned char)s[i]);
	CHECK(!strcmp(buf, lower), "MAC \"%s\" formats back as \"%s\"", s, buf);
}

static void check_ipv4(const char *s)
{
	__be32 a = 0x01020304;
	uint8_t want[4];
	char buf[INET_ADDRSTRLEN];
	int rc = parse_ipv4(s, &a);
	bool ok = ref_ipv4(s, want);

	CHECK((rc == 0) == ok, "parse_ipv4(\"%s\") returned %d, reference says %s", s, rc,
	      ok ? "valid" : "invalid");
	if (!ok)
		return;
	CHECK(!memcmp(&a, want, 4), "parse_ipv4(\"%s\") has other bytes", s);
	fmt_ipv4(a, buf, sizeof(buf));
	CHECK(!strcmp(buf, s), "address \"%s\" formats back as \"%s\"", s, buf);
}

static void check_size(const char *s)
{
	size_t v = 777;
	uint64_t want, mul = 1;
	const char *end;
	int rc = parse_size(s, &v), ref = ref_number(s, &want, &end);
	bool canon = ref >= 0;

	if (canon && *end) {
		switch (*end) {
		case 'K': case 'k': mul = 1ull << 10; break;
		case 'M': case 'm': mul = 1ull << 20; break;
		case 'G': case 'g': mul = 1ull << 30; break;
		default: canon = false;
		}
		canon = canon && !end[1];
	}
	if (!canon) {
		if (rc == 0) {
			if (isspace((unsigned char)s[0]) || s[0] == '+' || s[0] == '-')
				known_bug("parse_size-sign",
					  "sttd --mem accepts a sign or leading spaces: \"-1\" is "
					  "2^64-1 bytes, \"-1K\" is 2^64-1024",
					  s);
			else
				FAIL("parse_size accepted \"%s\" as %zu", s, v);
		}
		return;
	}
	if (ref == 0 || want > UINT64_MAX / mul || !want) {
		if (rc == 0) {
			if (ref == 1 && mul > 1 && want > UINT64_MAX / mul)
				known_bug("parse_size-overflow",
					  "sttd --mem shifts for K/M/G without an overflow check: "
					  "\"17179869185G\" is 1 GiB",
					  s);
			else
				FAIL("parse_size accepted \"%s\" (zero or out of range) as %zu", s,
				     v);
		}
		return;
	}
	CHECK(rc == 0, "parse_size refused \"%s\"", s);
	CHECK(v == want * mul, "parse_size(\"%s\") = %zu, expected %llu", s, v,
	      (unsigned long long)(want * mul));
}

/*
 * A listing command's options ([--context ID] [-j|--json], getopt_long): any argv ends in
 * one of the three outcomes, and a context is given only when it was accepted.
 */
static void check_getopt(int argc, char **argv)
{
	static const struct cmd c = {.name = "list", .synopsis = "list [--context ID]"};
	char *av[66] = {"list"};
	bool have_ctx, json = g_opts.json;
	__u64 ctx = 0;
	int rc;

	memcpy(av + 1, argv, argc * sizeof(*argv));
	optind = 0;
	rc = cmd_list_opts(&c, argc + 1, av, &have_ctx, &ctx);
	CHECK(rc == 0 || rc == CMD_HELP || rc == CMD_BAD, "cmd_list_opts returned %d", rc);
	CHECK(optind >= 1 && optind <= argc + 1, "cmd_list_opts left optind at %d of %d", optind,
	      argc + 1);
	CHECK(rc != 0 || !have_ctx || argc >= 1, "cmd_list_opts: a context from no argument");
	g_opts.json = json; /* -j sets it */
}

/* Every line err_msg printed in JSON mode is {"error": "<string>"}. */
static void check_json(const char *out, size_t len)
{
	const char *p = out, *nl;

	while (p < out + len) {
		struct json_object *o, *e;
		char line[4096];
		size_t n;

		nl = memchr(p, '\n', (size_t)(out + len - p));
		CHECK(nl, "JSON output does not end with a newline");
		n = (size_t)(nl - p);
		CHECK(n < sizeof(line), "JSON line of %zu bytes", n);
		memcpy(line, p, n);
		line[n] = 0;
		o = json_tokener_parse(line);
		CHECK(o && json_object_is_type(o, json_type_object), "not a JSON object: %s", line);
		CHECK(json_object_object_get_ex(o, "error", &e) && json_object_is_type(e, json_type_string),
		      "no \"error\" string: %s", line);
		CHECK(json_object_object_length(o) == 1, "other keys: %s", line);
		CHECK(!strncmp(json_object_get_string(e), "invalid ", 8) ||
			      !strncmp(json_object_get_string(e), "option ", 7),
		      "unexpected message: %s", line);
		CHECK(json_object_get_string_len(e) < 512, "message longer than err_msg's buffer");
		json_object_put(o);
		p = nl + 1;
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *k = getenv("STT_FUZZ_KNOWN");

	todo_mode = k && !strcmp(k, "todo");
	diag = stderr;
	stderr = fopen("/dev/null", "w"); /* err_msg's text; libFuzzer and ASan keep fd 2 */
	if (!stderr)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned long maxes[] = { 0, 1, 255, 65535, 3600000, 0xffffffffu, ULONG_MAX,
					       1000 };
	char *s, *argv[64], *mem = NULL;
	size_t slen, memlen = 0;
	FILE *saved = stdout, *ms = NULL;
	uint8_t ctl;
	int argc = 0;

	if (!size)
		return 0;
	ctl = data[0];
	s = malloc(size); /* data[1..] plus a NUL */
	CHECK(s, "out of memory");
	memcpy(s, data + 1, size - 1);
	s[size - 1] = 0;
	slen = strlen(s);
	for (size_t o = slen + 1; o < size - 1 && argc < 64; o += strlen(s + o) + 1)
		argv[argc++] = s + o;

	g_opts.json = ctl & 1;
	if (g_opts.json) {
		ms = open_memstream(&mem, &memlen);
		CHECK(ms, "open_memstream");
		stdout = ms;
	}
	check_context(s);
	check_uint(s, maxes[ctl >> 1 & 7]);
	check_mac(s);
	check_ipv4(s);
	check_size(s);
	if (ms) {
		stdout = saved;
		fclose(ms);
		check_json(mem, memlen);
		free(mem);
	}
	g_opts.json = false; /* the usage (-h) is text */
	check_getopt(argc, argv);
	g_opts.json = false;
	free(s);
	return 0;
}

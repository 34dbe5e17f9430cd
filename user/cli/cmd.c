// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* sttctl's command table helpers: usage from each command's text, help, options (cli.h). */
#include <stdarg.h>
#include <string.h>
#include "cli.h"

static bool is_help(const char *s)
{
	return !strcmp(s, "help") || !strcmp(s, "-h") || !strcmp(s, "--help");
}

/* The synopsis lines of c: the first after first, the others after next or (continued) indent. */
static void synopsis(const struct cmd *c, FILE *f, const char *first, const char *next,
                     const char *indent)
{
	const char *s = c->synopsis, *e;

	for (int i = 0; *s; i++, s = *e ? e + 1 : e) {
		e = strchrnul(s, '\n');
		fprintf(f, "%s%.*s\n", i == 0 ? first : *s == ' ' ? indent : next, (int)(e - s), s);
	}
}

void cmd_usage(const struct cmd *c, FILE *f)
{
	synopsis(c, f, "Usage: sttctl ", "       sttctl ", "              ");
	if (c->help)
		c->help(f);
}

void cmd_synopses(const struct cmd *const *cmds, FILE *f)
{
	for (; *cmds; cmds++)
		synopsis(*cmds, f, "  ", "  ", "  ");
}

int cmd_bad(const struct cmd *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err_msg("%s", msg); /* with -j: {"error": ...} on stdout */
	cmd_usage(c, stderr);
	return 1;
}

int cmd_run(const struct cmd *c, int argc, char **argv)
{
	optind = 0;
	if (argc > 1 && is_help(argv[1])) {
		cmd_usage(c, stdout);
		return 0;
	}
	if (!c->sub)
		return c->run(c, argc, argv);
	if (argc < 2)
		return cmd_bad(c, "%s: a command is needed", c->name);
	for (const struct cmd *s = c->sub; s->name; s++) {
		if (strcmp(argv[1], s->name) && (!s->alias || strcmp(argv[1], s->alias)))
			continue;
		if (argc > 2 && is_help(argv[2])) { /* sttctl vport add help */
			cmd_usage(c, stdout);
			return 0;
		}
		return s->run(c, argc - 1, argv + 1);
	}
	return cmd_bad(c, "%s: unknown command '%s' (try 'sttctl %s help')", c->name, argv[1],
	               c->name);
}

int cmd_getopt(const struct cmd *c, int argc, char **argv, const char *shortopts,
               const struct option *longopts)
{
	char opts[32];
	int o;

	snprintf(opts, sizeof(opts), ":%s", shortopts); /* ':': a missing value apart */
	opterr = 0;
	o = getopt_long(argc, argv, opts, longopts, NULL);
	switch (o) {
	case 'h':
		cmd_usage(c, stdout);
		return CMD_HELP;
	case ':':
		return cmd_bad(c, "option %s needs a value", argv[optind - 1]), CMD_BAD;
	case '?':
		if (optopt)
			return cmd_bad(c, "%s: unknown option '-%c'", c->name, optopt), CMD_BAD;
		return cmd_bad(c, "%s: unknown option '%s'", c->name, argv[optind - 1]), CMD_BAD;
	}
	return o;
}

int cmd_args(const struct cmd *c, int argc, char **argv, const char **want, int n)
{
	for (int i = 0; i < n; i++)
		want[i] = optind < argc ? argv[optind++] : NULL;
	if (optind < argc) {
		cmd_bad(c, "%s: unexpected argument '%s'", c->name, argv[optind]);
		return -1;
	}
	return 0;
}

int cmd_list_opts(const struct cmd *c, int argc, char **argv, bool *have_ctx, __u64 *ctx)
{
	static const struct option opts[] = {
	    {"context", required_argument, NULL, 'c'},
	    {"json", no_argument, NULL, 'j'},
	    CMD_OPT_HELP,
	    {},
	};
	int o;

	*have_ctx = false;
	while ((o = cmd_getopt(c, argc, argv, "jh", opts)) != -1) {
		if (o == CMD_HELP || o == CMD_BAD)
			return o;
		if (o == 'j') {
			g_opts.json = true;
		} else {
			if (parse_context(optarg, ctx))
				return CMD_BAD;
			*have_ctx = true;
		}
	}
	return cmd_args(c, argc, argv, NULL, 0) ? CMD_BAD : 0;
}

int cmd_num(const char *v, unsigned long max, const char *zero_msg, unsigned long *out)
{
	if (parse_uint(v, max, out))
		return -1;
	if (!*out) {
		err_msg("%s", zero_msg);
		return -1;
	}
	return 0;
}

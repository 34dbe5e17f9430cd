// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* sttctl: control of the STT tunnel endpoint. Grammar: sttctl [OPTIONS] OBJECT VERB [ARGS]. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include "cli.h"

/* The commands, in the order 'sttctl help' lists them. */
static const struct cmd *const cmds[] = {
    &cmd_attach, &cmd_detach, &cmd_vport, &cmd_fdb,     &cmd_peer,  &cmd_remote, &cmd_ping,
    &cmd_show,   &cmd_apply,  &cmd_stats, &cmd_monitor, &cmd_fleet, NULL,
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: sttctl [-n NETNS] [-j|--json] [-p|--pretty] [-v] OBJECT ...\n");
	cmd_synopses(cmds, f);
	fprintf(f, "Options:\n"
	           "  -n NETNS  act in network namespace /run/netns/NETNS (use this, not\n"
	           "            'ip netns exec', which hides the pinned state in a private bpffs)\n"
	           "  -j        JSON output; errors become {\"error\": \"...\"} on stdout\n"
	           "  -v        show libbpf and libxdp messages\n"
	           "'sttctl OBJECT help' describes each command.\n");
}

static int print_fn(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!g_opts.verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int xdp_print_fn(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	if (!g_opts.verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* The options before OBJECT: 0 and *next the index of OBJECT, or the exit status (> 0). */
static int global_opts(int argc, char **argv, int *next)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},    {"pretty", no_argument, NULL, 'p'},
	    {"verbose", no_argument, NULL, 'v'}, {"netns", required_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},    {},
	};
	int o;

	opterr = 0;
	while ((o = getopt_long(argc, argv, "+:jpvn:h", opts, NULL)) != -1) {
		switch (o) {
		case 'j':
			g_opts.json = true;
			break;
		case 'p':
			g_opts.json = g_opts.pretty = true;
			break;
		case 'v':
			g_opts.verbose = true;
			break;
		case 'n':
			g_opts.netns = optarg;
			break;
		case 'h':
			usage(stdout);
			return -1;
		case ':':
			err_msg("option -n needs a network namespace name");
			return 1;
		default:
			err_msg("unknown option '%s'", argv[optind - 1]);
			usage(stderr);
			return 1;
		}
	}
	*next = optind;
	return 0;
}

int main(int argc, char **argv)
{
	int i, rc = global_opts(argc, argv, &i);

	if (rc)
		return rc < 0 ? 0 : rc;
	if (i >= argc) {
		err_msg("an OBJECT is needed");
		usage(stderr);
		return 1;
	}
	libbpf_set_print(print_fn);
	libxdp_set_print(xdp_print_fn);
	if (g_opts.netns && enter_netns(g_opts.netns))
		return 1;
	if (!strcmp(argv[i], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t c = 0; cmds[c]; c++)
		if (!strcmp(argv[i], cmds[c]->name))
			return cmd_run(cmds[c], argc - i, argv + i);
	err_msg("unknown object '%s' (try 'sttctl help')", argv[i]);
	usage(stderr);
	return 1;
}

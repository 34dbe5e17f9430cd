// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* sttctl: control of the STT tunnel endpoint. Grammar: sttctl [OPTIONS] OBJECT VERB [ARGS]. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include "cli.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: sttctl [-n NETNS] [-j|--json] [-p|--pretty] [-v] OBJECT ...\n"
		"  attach DEV [--local ADDR] [--port N] [--ttl N] [--xdp auto|on|off]\n"
		"             [--dscp inherit|0..63] [--peers open|strict]\n"
		"  detach DEV\n"
		"  vport add IFNAME --context ID [--xdp] [--peers open|strict] | vport del IFNAME\n"
		"  fdb add --context ID --mac MAC --remote ADDR\n"
		"  fdb del --context ID --mac MAC [--remote ADDR]\n"
		"  fdb show [--context ID]\n"
		"  peer add|del --context ID ADDR | peer list [--context ID]\n"
		"  ping --context ID --remote ADDR [--count N] [--interval SECS]\n"
		"  show [--json]\n"
		"  apply [--dry-run] FILE|-   (desired state as JSON, docs/API.md)\n"
		"  stats [--json] [--context ID] [--remote ADDR]\n"
		"  monitor [--interval SECS] [--count N]\n"
		"Options:\n"
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

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} cmds[] = {
	{ "attach", cmd_attach }, { "detach", cmd_detach }, { "vport", cmd_vport },
	{ "fdb", cmd_fdb },	  { "peer", cmd_peer },	  { "show", cmd_show },	    { "stats", cmd_stats },
	{ "apply", cmd_apply },
	{ "monitor", cmd_monitor }, { "ping", cmd_ping },
};

int main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			g_opts.json = true;
		} else if (!strcmp(argv[i], "-p") || !strcmp(argv[i], "--pretty")) {
			g_opts.json = g_opts.pretty = true;
		} else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			g_opts.verbose = true;
		} else if (!strcmp(argv[i], "-n") || !strcmp(argv[i], "--netns")) {
			if (++i >= argc) {
				err_msg("option -n needs a network namespace name");
				return 1;
			}
			g_opts.netns = argv[i];
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else {
			err_msg("unknown option '%s'", argv[i]);
			usage(stderr);
			return 1;
		}
	}
	if (i >= argc) {
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
	for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++)
		if (!strcmp(argv[i], cmds[c].name))
			return cmds[c].fn(argc - i - 1, argv + i + 1);
	err_msg("unknown object '%s' (try 'sttctl help')", argv[i]);
	return 1;
}

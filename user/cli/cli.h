/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * sttctl's commands (user/cli/cmd_*.c): each is a struct cmd, listed in main.c's table, with
 * its usage written once (synopsis and help), from which `sttctl help`, `sttctl CMD help`
 * and the usage after an error are all printed (cmd.c).
 */
#ifndef STTCTL_CLI_H
#define STTCTL_CLI_H

#include <getopt.h>
#include <stdio.h>
#include "common.h"

struct cmd {
	const char *name;
	/*
	 * What follows "sttctl " in the usage, a line per form; a line that starts with a
	 * space continues the one before (indented from the start of the command's name).
	 */
	const char *synopsis;
	/* The text after the synopsis in 'sttctl NAME help' (NULL: none). */
	void (*help)(FILE *f);
	/*
	 * The command, argv[0] its own word (getopt's convention; optind is reset before).
	 * Returns the exit status. NULL when the command has verbs (sub).
	 */
	int (*run)(const struct cmd *c, int argc, char **argv);
	/* Its verbs (vport add, vport del ...), ended by an entry with no name; c is the parent. */
	const struct cmd *sub;
	const char *alias; /* a verb's other name (delete, list) */
};

extern const struct cmd cmd_attach, cmd_detach, cmd_vport, cmd_fdb, cmd_peer, cmd_remote, cmd_ping,
    cmd_show, cmd_stats, cmd_apply, cmd_monitor, cmd_fleet;

/* The usage of c: "Usage: sttctl SYNOPSIS" and its help text. */
void cmd_usage(const struct cmd *c, FILE *f);
/* Every command's synopsis, as in 'sttctl help'. */
void cmd_synopses(const struct cmd *const *cmds, FILE *f);
/* Run c with argv[0] its word: help (help, -h, --help first) or its verb; the exit status. */
int cmd_run(const struct cmd *c, int argc, char **argv);
/* A usage error: MESSAGE (err_msg) and c's usage on stderr; returns 1 (the exit status). */
int cmd_bad(const struct cmd *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * getopt_long over a command's arguments, with --help/-h (give them in longopts/shortopts
 * through CMD_OPT_HELP and "h") handled: returns the option, -1 after the last, CMD_HELP
 * after printing the usage to stdout (exit 0), CMD_BAD after a usage error (exit 1).
 */
enum { CMD_HELP = -2, CMD_BAD = -3 };
#define CMD_OPT_HELP                                                                               \
	{                                                                                          \
		"help", no_argument, NULL, 'h'                                                     \
	}
int cmd_getopt(const struct cmd *c, int argc, char **argv, const char *shortopts,
               const struct option *longopts);
/* After cmd_getopt: 0 and the positional arguments in want[0 .. n-1] (NULL if missing). */
int cmd_args(const struct cmd *c, int argc, char **argv, const char **want, int n);

/* A number option of 1 .. max: 0 and *out, or -1 (said; zero_msg for a 0). */
int cmd_num(const char *v, unsigned long max, const char *zero_msg, unsigned long *out);

/* fdb show, peer list: [--context ID] [-j|--json]; 0, CMD_HELP or CMD_BAD. */
int cmd_list_opts(const struct cmd *c, int argc, char **argv, bool *have_ctx, __u64 *ctx);

/* stats, monitor: -j/--json and -p/--pretty after the command too. */
#define CMD_OPT_JSON                                                                               \
	{"json", no_argument, NULL, 'j'},                                                          \
	{                                                                                          \
		"pretty", no_argument, NULL, 'p'                                                   \
	}

/*
 * cmd_remote.c: a change checked for what GUE cannot carry (encap.c's ap_gue_check, as
 * apply): gue_doc_read gives the installed state as a document (empty, -1, if nothing is
 * pinned), the caller makes its change in it, and gue_refused says (err_msg) each problem
 * about remote (NULL: any) and context ctx (NULL: any) and returns how many.
 */
struct ap_doc;
int gue_doc_read(struct ap_doc *doc);
int gue_refused(const struct ap_doc *doc, const struct stt_addr6 *remote, const __u64 *ctx);

/* cmd_attach.c: what attach installs, also for apply (no argv). */
struct attach_req {
	const char *dev;
	struct stt_cfg cfg;   /* local4, port, ttl, dscp, opts */
	struct stt_cfg6 cfg6; /* local6 (flags STT_CFG6_LOCAL) */
	bool have_local4, have_local6;
	int xdp_mode; /* -1 auto, 0 off, 1 on */
};
void attach_req_init(struct attach_req *r, const char *dev);
int attach_run(struct attach_req *r);
int detach_run(const char *dev);
/* cmd_apply.c: the attachment step of an apply (attach_run, detach_run without output). */
struct ap_attach;
int apply_attach(const struct ap_attach *w);
int apply_detach(const char *dev);

#endif

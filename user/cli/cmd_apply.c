// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * sttctl apply FILE|-: make this network namespace's state what a document says
 * (docs/API.md). Steps: parse and validate the whole document (apply_doc.c, no system
 * access), check it against the system (interfaces exist), read what is installed, compute
 * the difference, then apply only that, in an order where a vport and its entries become
 * visible together: entries first and the binding last, and on removal the binding first.
 * Every map write is journaled; if a step fails, the journal is undone in reverse.
 *
 * The engine (reading, difference, execution) is user/lib/apply_*.c (apply_engine.h); this
 * file is the command around it. The attachment itself goes through attach_run and
 * detach_run (cmd_attach.c): loading and attaching the programs is long and already careful
 * about undoing itself. vports, fdb, flood and peers entries are written by the engine
 * through user/lib/vport.c and fdb.c, so that every write can be journaled and undone and a
 * document with thousands of entries costs one process, not thousands.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "cli.h"
#include "apply_engine.h"

int apply_attach(const struct ap_attach *w)
{
	struct attach_req r;
	bool json = g_opts.json;
	int rc;

	attach_req_init(&r, w->device);
	/* check_system filled in the device's addresses where the document gave none. */
	if (w->have_local) {
		r.cfg.local4 = w->local4;
		r.have_local4 = true;
	}
	if (w->have_local6) {
		r.cfg6.local6 = w->local6;
		r.cfg6.flags |= STT_CFG6_LOCAL;
		r.have_local6 = true;
	}
	r.cfg.port = w->port;
	r.cfg.ttl = w->ttl;
	r.cfg.gue_port = w->gue_port; /* and the default encap: cfg_write, as dscp and peers */
	r.xdp_mode = w->xdp == AP_XDP_ON ? 1 : 0;
	g_opts.json = false; /* its success output is not ours */
	rc = attach_run(&r);
	g_opts.json = json;
	return rc;
}

int apply_detach(const char *dev)
{
	bool json = g_opts.json;
	int rc;

	g_opts.json = false;
	rc = detach_run(dev);
	g_opts.json = json;
	return rc;
}

static void apply_help(FILE *f)
{
	fprintf(f,
	        "  Make this network namespace's stt state what the JSON document FILE (- for\n"
	        "  standard input) says: attachment, vports, forwarding entries, flood lists,\n"
	        "  peers and remotes' encapsulation (schema: docs/API.md; 'sttctl show --json'\n"
	        "  prints the same schema).\n"
	        "  Only the difference to what is installed is applied; an invalid document is\n"
	        "  rejected whole with every error listed, and nothing changes. A step that fails\n"
	        "  while applying undoes what was done. Prints the number of changes.\n"
	        "  --dry-run  print the changes, apply nothing\n");
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	size_t cap = 65536, n = 0;
	char *buf;

	if (!f)
		return NULL;
	buf = malloc(cap);
	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, f);

		n += got;
		if (n < cap) {
			if (ferror(f)) {
				free(buf);
				buf = NULL;
			}
			break;
		}
		if (cap >= (256u << 20)) { /* 256 MiB: far beyond any valid document */
			free(buf);
			buf = NULL;
			errno = EFBIG;
			break;
		}
		char *nb = realloc(buf, cap *= 2);

		if (!nb) {
			free(buf);
			buf = NULL;
		}
		buf = nb;
	}
	if (f != stdin)
		fclose(f);
	*len = n;
	return buf;
}

static void print_errors(const struct ap_errs *errs, const char *what)
{
	if (g_opts.json) {
		struct json_object *o = json_object_new_object(), *arr = json_object_new_array();

		for (size_t i = 0; i < errs->n; i++)
			json_object_array_add(arr, json_object_new_string(errs->msg[i]));
		json_object_object_add(o, "errors", arr);
		json_out(o);
		return;
	}
	for (size_t i = 0; i < errs->n; i++)
		fprintf(stderr, "sttctl: %s\n", errs->msg[i]);
	fprintf(stderr, "sttctl: %s: %zu error%s, nothing applied\n", what, errs->n,
	        errs->n == 1 ? "" : "s");
}

/* The command's job: the file, and the apply itself (apply_engine.h). */
struct apply_cmd {
	const char *file;
	bool dry;
	char *text;
	struct apply_job j;
};

static const char *file_name(const char *file)
{
	return strcmp(file, "-") ? file : "standard input";
}

static int apply_opts(const struct cmd *c, int argc, char **argv, struct apply_cmd *j)
{
	static const struct option opts[] = {{"dry-run", no_argument, NULL, 'd'}, CMD_OPT_HELP, {}};
	int o;

	while ((o = cmd_getopt(c, argc, argv, "h", opts)) != -1) {
		if (o == CMD_HELP || o == CMD_BAD)
			return o;
		j->dry = true;
	}
	if (cmd_args(c, argc, argv, &j->file, 1))
		return CMD_BAD;
	if (!j->file)
		return cmd_bad(c, "apply: FILE (or - for standard input) is needed"), CMD_BAD;
	return 0;
}

/* The document read, checked alone and against the system; then planned. */
static int apply_plan(struct apply_cmd *c)
{
	size_t len;

	c->text = read_all(c->file, &len);
	if (!c->text) {
		err_msg("cannot read %s: %s", file_name(c->file), strerror(errno));
		return -1;
	}
	if (ap_job_check(&c->j, c->text, len)) {
		print_errors(&c->j.errs, file_name(c->file));
		return -1;
	}
	return ap_job_plan(&c->j);
}

/* The changes, a line each (--dry-run, -v); with --dry-run, the count. */
static void apply_describe(struct apply_cmd *c)
{
	const struct apply_job *j = &c->j;
	struct json_object *arr = json_object_new_array(), *o;

	for (size_t i = 0; i < j->ops.n; i++) {
		char line[1024];

		ap_op_describe(&j->ops.v[i], &j->want, &j->have, line, sizeof(line));
		if (g_opts.json)
			json_object_array_add(arr, json_object_new_string(line));
		else
			printf("%s\n", line);
	}
	if (g_opts.json && c->dry) {
		o = json_object_new_object();
		json_object_object_add(o, "changes", json_object_new_int64(j->ops.n));
		json_object_object_add(o, "dry_run", json_object_new_boolean(true));
		json_object_object_add(o, "diff", arr);
		json_out(o);
		return;
	}
	json_object_put(arr);
	if (c->dry)
		printf("%zu change%s (dry run, nothing applied)\n", j->ops.n,
		       j->ops.n == 1 ? "" : "s");
}

static void apply_report(const struct apply_job *j)
{
	if (g_opts.json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "changes", json_object_new_int64(j->ops.n));
		json_object_object_add(o, "dry_run", json_object_new_boolean(false));
		json_out(o);
	} else {
		printf("%zu change%s\n", j->ops.n, j->ops.n == 1 ? "" : "s");
	}
}

static int apply_main(const struct cmd *c, int argc, char **argv)
{
	struct apply_cmd ac = {0};
	int rc;

	ap_job_init(&ac.j, apply_attach, apply_detach);
	rc = apply_opts(c, argc, argv, &ac);
	if (rc) {
		ap_job_free(&ac.j);
		return rc == CMD_HELP ? 0 : 1;
	}
	rc = 1;
	if (apply_plan(&ac) == 0) {
		if (ac.dry || g_opts.verbose)
			apply_describe(&ac);
		if (ac.dry) {
			rc = 0;
		} else if (ap_job_run(&ac.j) == 0) {
			apply_report(&ac.j);
			rc = 0;
		}
	}
	ap_job_free(&ac.j);
	free(ac.text);
	return rc;
}

const struct cmd cmd_apply = {
    .name = "apply",
    .synopsis = "apply [--dry-run] FILE|-",
    .help = apply_help,
    .run = apply_main,
};

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

static int run_attach(const struct ap_attach *w)
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
	r.xdp_mode = w->xdp == AP_XDP_ON ? 1 : 0;
	g_opts.json = false; /* its success output is not ours */
	rc = attach_run(&r);
	g_opts.json = json;
	return rc;
}

static int run_detach(const char *dev)
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
	        "  standard input) says: attachment, vports, forwarding entries, flood lists and\n"
	        "  peers (schema: docs/API.md; 'sttctl show --json' prints the same schema).\n"
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

/*
 * One apply at a time on this host: the difference is computed from what is installed, so
 * two applies must not interleave. Locks the pin base directory (all namespaces: an apply
 * takes well under a second). Single sttctl commands do not take the lock.
 */
static int apply_lock(void)
{
	int fd;

	if (ensure_bpffs())
		return -1;
	if (mkdir(STT_PIN_BASE, 0700) && errno != EEXIST) {
		err_msg("cannot create %s: %s", STT_PIN_BASE, strerror(errno));
		return -1;
	}
	fd = open(STT_PIN_BASE, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX)) {
		err_msg("cannot lock %s: %s", STT_PIN_BASE, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
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

/* detach keeps the pinned maps while stt_vports has an entry (VLAN vports do not count). */
static size_t plain_vports(const struct ap_doc *d)
{
	size_t n = 0;

	for (size_t i = 0; i < d->nvports; i++)
		n += !d->vports[i].vid;
	return n;
}

/* One apply: the document, what is installed, the changes, and their execution. */
struct apply_job {
	const char *file;
	bool dry, pins;
	struct ap_doc want, have;
	struct ap_errs errs;
	struct stt_cfg cfg;
	struct ops ops;
	struct apply_ctx a;
	char *text;
	int lock_fd;
};

static const char *file_name(const char *file)
{
	return strcmp(file, "-") ? file : "standard input";
}

static int apply_opts(const struct cmd *c, int argc, char **argv, struct apply_job *j)
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

/* 1. The document alone. 2. Against the system. 3. What is installed, and the difference. */
static int apply_plan(struct apply_job *j)
{
	size_t len;

	j->text = read_all(j->file, &len);
	if (!j->text) {
		err_msg("cannot read %s: %s", file_name(j->file), strerror(errno));
		return -1;
	}
	/* Nothing changes before both checks pass. */
	if ((ap_parse(j->text, len, &j->want, &j->errs) | ap_check_system(&j->want, &j->errs)) !=
	    0) {
		print_errors(&j->errs, file_name(j->file));
		return -1;
	}
	j->lock_fd = apply_lock();
	if (j->lock_fd < 0)
		return -1;
	j->pins = ap_read_installed(&j->have, &j->cfg) == 0;
	if (!j->pins)
		ap_doc_free(&j->have);
	/*
	 * Another underlay device: detach removes the pinned maps when no vport is left, and
	 * attach creates empty ones; every entry is then installed again.
	 */
	if (j->want.have_attach && j->have.have_attach &&
	    strcmp(j->want.att.device, j->have.att.device) && !plain_vports(&j->have))
		j->have.nfdb = j->have.nflood = j->have.npeers = 0;
	if (ap_diff(&j->want, &j->have, &j->ops)) {
		err_msg("apply: out of memory");
		return -1;
	}
	return 0;
}

/* The changes, a line each (--dry-run, -v); with --dry-run, the count. */
static void apply_describe(struct apply_job *j)
{
	struct json_object *arr = json_object_new_array(), *o;

	for (size_t i = 0; i < j->ops.n; i++) {
		char line[1024];

		ap_op_describe(&j->ops.v[i], &j->want, &j->have, line, sizeof(line));
		if (g_opts.json)
			json_object_array_add(arr, json_object_new_string(line));
		else
			printf("%s\n", line);
	}
	if (g_opts.json && j->dry) {
		o = json_object_new_object();
		json_object_object_add(o, "changes", json_object_new_int64(j->ops.n));
		json_object_object_add(o, "dry_run", json_object_new_boolean(true));
		json_object_object_add(o, "diff", arr);
		json_out(o);
		return;
	}
	json_object_put(arr);
	if (j->dry)
		printf("%zu change%s (dry run, nothing applied)\n", j->ops.n,
		       j->ops.n == 1 ? "" : "s");
}

/* After the changes: the detach (last), or the pins of a detached namespace, neighbours. */
static int apply_finish(struct apply_job *j)
{
	struct apply_ctx *a = &j->a;

	if (j->ops.n && j->ops.v[j->ops.n - 1].kind == OP_DETACH) {
		/*
		 * The entries are gone already, so detach would not find their remotes: remove
		 * their managed neighbours here. The journal's map descriptors stay open
		 * (detach opens its own).
		 */
		if (state_get_cfg(&a->st, &j->cfg) == 0 && j->cfg.ifindex)
			ap_update_neighbours(&j->want, &j->have, j->cfg.ifindex);
		if (txn_step(&a->run) || run_detach(j->have.att.device)) {
			err_msg("apply: detaching %s failed; undoing the other changes",
			        j->have.att.device);
			return -1;
		}
		ap_close_state(a);
	} else if (!j->want.have_attach && j->pins && a->have_st) {
		/* Detached earlier, and the last vport is gone: remove the pinned state. */
		struct stt_vlan_key vk;
		__u32 k;

		if (bpf_map_get_next_key(a->st.vports_fd, NULL, &k) &&
		    (a->st.vlan_fd < 0 || bpf_map_get_next_key(a->st.vlan_fd, NULL, &vk))) {
			char dir[sizeof(a->st.dir)];

			memcpy(dir, a->st.dir, sizeof(dir));
			ap_close_state(a);
			state_remove_pins(dir);
		}
	}
	if (j->want.have_attach && a->have_st && state_get_cfg(&a->st, &j->cfg) == 0 &&
	    j->cfg.ifindex)
		ap_update_neighbours(&j->want, &j->have, j->cfg.ifindex);
	return 0;
}

/* 4. Apply, journaled: every change but the detach, then apply_finish. */
static int apply_exec(struct apply_job *j)
{
	const char *env = getenv("STT_APPLY_FAIL_AFTER");
	struct apply_ctx *a = &j->a;

	if (env && *env)
		a->run.fail_after = strtol(env, NULL, 10);
	a->want = &j->want;
	a->have = &j->have;
	if (j->pins && ap_open_state(a))
		return 1; /* nothing done: nothing to undo */
	for (size_t done = 0; done < j->ops.n; done++) {
		const struct op *p = &j->ops.v[done];

		if (p->kind == OP_DETACH)
			continue;
		if (ap_exec_op(a, p)) {
			char line[1024];
			int e = errno;

			ap_op_describe(p, &j->want, &j->have, line, sizeof(line));
			err_msg(
			    "apply: change %zu of %zu failed (%s): %s; undoing the %zu before it",
			    done + 1, j->ops.n, line, strerror(e), done);
			return -1;
		}
	}
	return apply_finish(j);
}

/* A failed apply undone: the journal, then the attachment step, which is not in it. */
static void apply_undo(struct apply_job *j)
{
	struct apply_ctx *a = &j->a;
	const struct op *first = &j->ops.v[0];
	struct stt_cfg c;
	__u32 zero = 0;

	txn_undo(&a->run);
	if (a->attached) {
		ap_close_state(a);
		if (first->kind == OP_ATTACH || first->kind == OP_REPLACE)
			run_detach(j->want.att.device);
		if (first->kind != OP_ATTACH) {
			run_attach(&j->have.att);
			if (ap_open_state(a) == 0 && state_get_cfg(&a->st, &c) == 0) {
				c.dscp = j->have.att.dscp;
				c.opts = (c.opts & ~STT_OPT_PEERS_STRICT) |
				         (j->have.att.strict ? STT_OPT_PEERS_STRICT : 0);
				bpf_map_update_elem(a->st.cfg_fd, &zero, &c, 0);
			}
		}
	}
	fprintf(stderr, "sttctl: apply failed; the state is back to what it was\n");
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
	struct apply_job j = {.a = {.peers_fd = -1}, .lock_fd = -1};
	int rc = apply_opts(c, argc, argv, &j);

	txn_init(&j.a.run);
	j.a.attach = run_attach;
	j.a.detach = run_detach;
	if (rc)
		return rc == CMD_HELP ? 0 : 1;
	rc = 1;
	if (apply_plan(&j) == 0) {
		if (j.dry || g_opts.verbose)
			apply_describe(&j);
		if (j.dry) {
			rc = 0;
		} else {
			rc = apply_exec(&j);
			if (rc < 0)
				apply_undo(&j);
			else if (rc == 0)
				apply_report(&j);
			rc = rc ? 1 : 0;
		}
	}
	ap_close_state(&j.a);
	if (j.lock_fd >= 0)
		close(j.lock_fd);
	txn_free(&j.a.run);
	free(j.ops.v);
	free(j.text);
	ap_doc_free(&j.want);
	ap_doc_free(&j.have);
	ap_errs_free(&j.errs);
	return rc;
}

const struct cmd cmd_apply = {
    .name = "apply",
    .synopsis = "apply [--dry-run] FILE|-",
    .help = apply_help,
    .run = apply_main,
};

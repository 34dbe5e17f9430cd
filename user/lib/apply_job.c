// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * One apply, as a library call (apply_engine.h): the document checked alone and against the
 * system, the installed state read under the apply lock, the changes computed, then made
 * in order with every write journaled, and undone if one fails. sttctl apply and the
 * fleet agent (sttctl fleet agent) are its two callers; they differ only in where the
 * document comes from and how the outcome is reported.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "apply_engine.h"

/*
 * One apply at a time on this host: the difference is computed from what is installed, so
 * two applies must not interleave. Locks the pin base directory (all namespaces: an apply
 * takes well under a second). Single sttctl commands do not take the lock.
 */
static int job_lock(void)
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

/* detach keeps the pinned maps while stt_vports has an entry (VLAN vports do not count). */
static size_t plain_vports(const struct ap_doc *d)
{
	size_t n = 0;

	for (size_t i = 0; i < d->nvports; i++)
		n += !d->vports[i].vid;
	return n;
}

/* After the changes: the detach (last), or the pins of a detached namespace, neighbours. */
static int job_finish(struct apply_job *j)
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
		if (txn_step(&a->run) || a->detach(j->have.att.device)) {
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
	    j->cfg.ifindex) {
		ap_update_neighbours(&j->want, &j->have, j->cfg.ifindex);
		/* Multicast flood targets: the groups this endpoint accepts STT on. */
		groups_sync(a->st.flood_fd, a->st.groups_fd, j->cfg.ifindex, true);
	}
	return 0;
}

/* Every change but the detach, journaled, then job_finish: 0, 1 (nothing done) or -1. */
static int job_exec(struct apply_job *j)
{
	struct apply_ctx *a = &j->a;

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
	return job_finish(j);
}

/* A failed apply undone: the journal, then the attachment step, which is not in it. */
static void job_undo(struct apply_job *j)
{
	struct apply_ctx *a = &j->a;
	const struct op *first = &j->ops.v[0];
	struct stt_cfg c;
	__u32 zero = 0;

	txn_undo(&a->run);
	if (a->attached) {
		ap_close_state(a);
		if (first->kind == OP_ATTACH || first->kind == OP_REPLACE)
			a->detach(j->want.att.device);
		if (first->kind != OP_ATTACH) {
			a->attach(&j->have.att);
			if (ap_open_state(a) == 0 && state_get_cfg(&a->st, &c) == 0) {
				c.dscp = j->have.att.dscp;
				c.opts = (c.opts & ~(STT_OPT_PEERS_STRICT | STT_OPT_ENCAP_GUE)) |
				         (j->have.att.strict ? STT_OPT_PEERS_STRICT : 0) |
				         (j->have.att.gue ? STT_OPT_ENCAP_GUE : 0);
				c.gue_port = j->have.att.gue_port;
				bpf_map_update_elem(a->st.cfg_fd, &zero, &c, 0);
			}
		}
	}
	fprintf(stderr, "sttctl: apply failed; the state is back to what it was\n");
}

void ap_job_init(struct apply_job *j, int (*attach)(const struct ap_attach *w),
                 int (*detach)(const char *dev))
{
	memset(j, 0, sizeof(*j));
	j->a.peers_fd = -1;
	j->lock_fd = -1;
	txn_init(&j->a.run);
	j->a.attach = attach;
	j->a.detach = detach;
}

int ap_job_check(struct apply_job *j, const char *text, size_t len)
{
	/* Both checks run, so that every error is listed; nothing changes before both pass. */
	return (ap_parse(text, len, &j->want, &j->errs) | ap_check_system(&j->want, &j->errs)) ? -1
	                                                                                       : 0;
}

int ap_job_plan(struct apply_job *j)
{
	j->lock_fd = job_lock();
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
		j->have.nfdb = j->have.nflood = j->have.npeers = j->have.nremotes = 0;
	/* A cookie kept ("cookie": true) is the installed one: its value, before the diff. */
	if (ap_resolve_cookies(&j->want, &j->have, &j->errs)) {
		for (size_t i = 0; i < j->errs.n; i++)
			err_msg("%s", j->errs.msg[i]);
		err_msg("apply: nothing applied");
		return -1;
	}
	if (ap_diff(&j->want, &j->have, &j->ops)) {
		err_msg("apply: out of memory");
		return -1;
	}
	return 0;
}

int ap_job_run(struct apply_job *j)
{
	const char *env = getenv("STT_APPLY_FAIL_AFTER");
	int rc;

	if (env && *env)
		j->a.run.fail_after = strtol(env, NULL, 10);
	rc = job_exec(j);
	if (rc < 0)
		job_undo(j);
	return rc ? -1 : 0;
}

void ap_job_free(struct apply_job *j)
{
	ap_close_state(&j->a);
	if (j->lock_fd >= 0)
		close(j->lock_fd);
	j->lock_fd = -1;
	txn_free(&j->a.run);
	free(j->ops.v);
	ap_doc_free(&j->want);
	ap_doc_free(&j->have);
	ap_errs_free(&j->errs);
	memset(&j->ops, 0, sizeof(j->ops));
}

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The apply engine (sttctl apply, and later a fleet agent): the installed state as a
 * document (apply_read.c), the changes from it to a desired document and their wording
 * (apply_diff.c), and their journaled execution with the checks against the system
 * (apply_exec.c). The document itself: apply.h.
 */
#ifndef STT_APPLY_ENGINE_H
#define STT_APPLY_ENGINE_H

#include "apply.h"
#include "common.h"
#include "txn.h"

enum op_kind {
	OP_ATTACH,   /* attach (not attached before) */
	OP_REATTACH, /* same device, other local/port/ttl/xdp */
	OP_REPLACE,  /* another device: detach, attach */
	OP_CFG,      /* dscp / peers mode only: written into stt_cfg */
	OP_DETACH,
	OP_VPORT_DEL,
	OP_VPORT_MOD,
	OP_VPORT_ADD,
	OP_FDB_DEL,
	OP_FDB_ADD,
	OP_FDB_MOD,
	OP_FLOOD_DEL,
	OP_FLOOD_SET,
	OP_PEER_DEL,
	OP_PEER_ADD,
	OP_REMOTE_DEL, /* a remote's own encapsulation removed: it gets the default */
	OP_REMOTE_SET, /* added or changed (one update) */
};

struct op {
	int kind;
	int phase;
	size_t seq;
	struct ap_vport vp, old_vp;
	struct ap_fdb fdb;
	struct stt_addr6 old_remote;
	struct ap_flood fl, old_fl;
	bool have_old_fl;
	struct ap_peer peer;
	struct ap_remote rem, old_rem; /* OP_REMOTE_*: cookies resolved (no AP_COOKIE_KEEP) */
	bool have_old_rem;
};

struct ops {
	struct op *v;
	size_t n, cap;
};

/*
 * Phases: 0 attachment (creates the pins); 1 vports removed, vport changes that loosen,
 * peers mode loosened; 2 entries removed; 3 entries added or changed; 4 vport changes that
 * tighten, vports added, dscp and peers mode; 5 detach.
 */
enum { PH_ATTACH, PH_UNBIND, PH_REMOVE, PH_ADD, PH_BIND, PH_DETACH };

/* The changes from have to want, in the order they are made (phases, then as found). */
int ap_diff(const struct ap_doc *want, const struct ap_doc *have, struct ops *ops);
/*
 * A remote's "cookie": true in want keeps the installed cookie: its value copied from have.
 * Errors (a remote with none installed) added to errs; -1 if any.
 */
int ap_resolve_cookies(struct ap_doc *want, const struct ap_doc *have, struct ap_errs *errs);
/* A change in words ("+ vport ...", "~ fdb ..."), as apply --dry-run prints it. */
void ap_op_describe(const struct op *p, const struct ap_doc *want, const struct ap_doc *have,
                    char *buf, size_t len);

struct apply_ctx {
	struct stt_state st;
	bool have_st;
	int peers_fd;
	struct stt_txn run;
	bool attached; /* the attachment step ran (it is undone apart from the journal) */
	const struct ap_doc *want, *have;
	/* The attachment step (sttctl attach and detach, without their output). */
	int (*attach)(const struct ap_attach *w);
	int (*detach)(const char *dev);
};

/* The pinned state and prog_tc_tx (for vports) opened into a, once; closed. */
int ap_open_state(struct apply_ctx *a);
void ap_close_state(struct apply_ctx *a);
/* One change, journaled in a->run: 0, or -1 with errno. */
int ap_exec_op(struct apply_ctx *a, const struct op *p);
/* What the pure validator cannot know (interfaces, addresses): errors added to errs. */
int ap_check_system(struct ap_doc *want, struct ap_errs *errs);
/* Kernel-managed neighbour entries for the remotes of want that have lacks, and back. */
void ap_update_neighbours(const struct ap_doc *want, const struct ap_doc *have, int ifindex);

/*
 * One apply (apply_job.c), for sttctl apply and the fleet agent: ap_job_init; ap_job_check
 * (the document alone and against the system: -1 with every error in errs, nothing done);
 * ap_job_plan (the apply lock, the installed state, the changes in ops); ap_job_run (the
 * changes, journaled: 0, or -1 with everything undone); ap_job_free.
 */
struct apply_job {
	struct ap_doc want, have;
	struct ap_errs errs;
	struct stt_cfg cfg;
	struct ops ops;
	struct apply_ctx a;
	bool pins;
	int lock_fd;
};

void ap_job_init(struct apply_job *j, int (*attach)(const struct ap_attach *w),
                 int (*detach)(const char *dev));
int ap_job_check(struct apply_job *j, const char *text, size_t len);
int ap_job_plan(struct apply_job *j);
int ap_job_run(struct apply_job *j);
void ap_job_free(struct apply_job *j);

#endif

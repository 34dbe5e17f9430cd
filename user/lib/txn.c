// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The journal of state changes (txn.h): every change made, so that a failure can undo them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "common.h"
#include "txn.h"

struct jent *txn_entry(struct stt_txn *r, int type)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 256;
		void *m = realloc(r->j, cap * sizeof(*r->j));

		if (!m)
			return NULL;
		r->j = m;
		r->cap = cap;
	}
	memset(&r->j[r->n], 0, sizeof(r->j[0]));
	r->j[r->n].type = type;
	return &r->j[r->n++];
}

/* A step: the test hook may fail it. */
int txn_step(struct stt_txn *r)
{
	if (r->fail_after >= 0 && r->steps++ >= r->fail_after) {
		errno = EIO;
		return -1;
	}
	return 0;
}

int txn_map(struct stt_txn *r, int fd, const void *key, __u32 klen, const void *val, __u32 vlen,
            __u64 flags)
{
	struct jent e = {.type = J_MAP, .fd = fd, .klen = klen, .vlen = vlen}, *p;

	if (!r) /* no journal: the write alone */
		return val ? bpf_map_update_elem(fd, key, val, flags)
		           : bpf_map_delete_elem(fd, key);
	memcpy(e.key, key, klen);
	e.had = bpf_map_lookup_elem(fd, key, e.old) == 0;
	if (!val && !e.had)
		return 0;
	if (txn_step(r))
		return -1;
	if (val ? bpf_map_update_elem(fd, key, val, flags) : bpf_map_delete_elem(fd, key))
		return -1;
	p = txn_entry(r, J_MAP);
	if (!p)
		return -1;
	*p = e;
	return 0;
}

/*
 * Install (table >= 0) or remove (-1) the learning table of a context in stt_learn (a hash
 * of maps: a lookup gives the inner map's ID, an update takes a descriptor). The table it
 * replaces is kept open in the journal, so that undo puts the very same table back, with
 * what it learned.
 */
int txn_learn(struct stt_txn *r, int learn_fd, __u64 ctx, int table)
{
	struct jent *e;
	__u32 id;
	int old = -1;

	if (bpf_map_lookup_elem(learn_fd, &ctx, &id) == 0) {
		old = bpf_map_get_fd_by_id(id);
		if (old < 0)
			return -1;
	} else if (table < 0) {
		return 0;
	}
	if (txn_step(r) || !(e = txn_entry(r, J_LEARN))) {
		if (old >= 0)
			close(old);
		return -1;
	}
	if (table >= 0 ? bpf_map_update_elem(learn_fd, &ctx, &table, BPF_ANY)
	               : bpf_map_delete_elem(learn_fd, &ctx)) {
		int err = errno;

		r->n--;
		if (old >= 0)
			close(old);
		errno = err;
		return -1;
	}
	e->fd = learn_fd;
	memcpy(e->key, &ctx, sizeof(ctx));
	e->inner = old;
	return 0;
}

/* Forget the journal (after success, or after undo): close the tables it kept. */
void txn_free(struct stt_txn *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->j[i].type == J_LEARN && r->j[i].inner >= 0)
			close(r->j[i].inner);
	free(r->j);
	r->j = NULL;
	r->n = r->cap = 0;
}

void txn_undo(struct stt_txn *r)
{
	while (r->n) {
		struct jent *e = &r->j[--r->n];

		switch (e->type) {
		case J_LEARN:
			if (e->inner >= 0) {
				bpf_map_update_elem(e->fd, e->key, &e->inner, BPF_ANY);
				close(e->inner);
			} else {
				bpf_map_delete_elem(e->fd, e->key);
			}
			break;
		case J_MAP:
			if (e->had)
				bpf_map_update_elem(e->fd, e->key, e->old, 0);
			else
				bpf_map_delete_elem(e->fd, e->key);
			break;
		case J_TC_ATTACHED:
			tc_detach_ingress(e->ifindex, e->created);
			break;
		case J_TC_DETACHED:
			if (r->prog_fd >= 0)
				tc_attach_ingress(e->ifindex, r->prog_fd, NULL);
			break;
		}
	}
}

int txn_tc_attached(struct stt_txn *r, int ifindex, bool created)
{
	struct jent *e = txn_entry(r, J_TC_ATTACHED);

	if (!e)
		return -1;
	e->ifindex = ifindex;
	e->created = created;
	return 0;
}

int txn_tc_detached(struct stt_txn *r, int ifindex)
{
	struct jent *e = txn_entry(r, J_TC_DETACHED);

	if (!e)
		return -1;
	e->ifindex = ifindex;
	return 0;
}

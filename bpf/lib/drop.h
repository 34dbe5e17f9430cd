/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The error convention: a helper returns a verdict (TC_ACT_*, XDP_*, or a value of its own
 * >= STT_CONTINUE) or a drop reason (stt_ret_drop), and each program drops through one
 * exit (stt_drop_exit) that counts the reason, for the context too when it is known.
 */
#ifndef STT_BPF_DROP_H
#define STT_BPF_DROP_H

#include "stats.h"

/* Not decided yet: the caller goes on (never a TC or XDP verdict). */
#define STT_CONTINUE -2
/* Drop reasons travel as -(STT_RET_DROP_BASE + reason): below every verdict. */
#define STT_RET_DROP_BASE 0x1000

static __always_inline int stt_ret_drop(enum stt_drop reason)
{
	return -(STT_RET_DROP_BASE + (int)reason);
}

static __always_inline int stt_is_drop(long ret)
{
	return ret <= -STT_RET_DROP_BASE;
}

static __always_inline void stt_drop(enum stt_drop reason)
{
	stt_count(STT_C_DROP_BASE + reason, 1);
}

/* Count the drop a helper returned (ret: stt_ret_drop()). */
static __always_inline void stt_drop_count(long ret)
{
	stt_drop((enum stt_drop)(-ret - STT_RET_DROP_BASE));
}

/* Whether (what) and how a drop counts for its context: set once the context is known. */
struct stt_drop_ctx {
	__u64 context;
	__u32 what; /* STT_DIR_* | STT_ACC_*; 0: not for the context */
	__u32 bytes;
};

/* A drop that counts for the context too: ret (a drop), remembering how in d. */
static __always_inline int stt_ret_drop_ctx(struct stt_drop_ctx *d, int ret, __u64 context,
                                            __u32 what)
{
	d->context = context;
	d->what = what;
	return ret;
}

/* The one exit of a dropped packet: count the reason (and the context's drop), then drop. */
static __always_inline int stt_drop_exit(long ret, const struct stt_drop_ctx *d, int verdict)
{
	stt_drop_count(ret);
	if (d->what)
		stt_ctx_account(d->context, d->what, 0, d->bytes);
	return verdict;
}

#endif

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * vport state changes (vport.c), each journaled in a transaction (txn.h) so that the caller
 * can undo a failed one, or a whole document of them. A vport is described as in the apply
 * document (struct ap_vport, apply.h) with ifindex filled; unbind and change also need the
 * installed flags (STT_VPORT_CREATED_CLSACT). Errors: -1 with errno; vport_maps_ok says why.
 */
#ifndef STT_VPORT_H
#define STT_VPORT_H

#include "apply.h"
#include "common.h"
#include "txn.h"

/* STT_VPORT_* of a vport as described (without STT_VPORT_CREATED_CLSACT). */
__u32 vport_flags(const struct ap_vport *v);
/* The flags of its stt_contexts entry: the vport's, and the VLAN ID in the upper bits. */
__u32 ctx_flags(__u32 vport_flags, __u16 vid);
/* 0, or -1 (said, errno EOPNOTSUPP) if the endpoint lacks a map the vport needs. */
int vport_maps_ok(const struct stt_state *st, const struct ap_vport *v);
/* A new learning table of cap entries, installed for ctx. */
int learn_install(struct stt_state *st, struct stt_txn *t, __u64 ctx, __u32 cap);

/* Bind: TC program (t->prog_fd, the pinned prog_tc_tx), learning table, receive, transmit. */
int vport_bind(struct stt_state *st, struct stt_txn *t, const struct ap_vport *v);
/* Unbind: transmit, receive, learning table and counters, then the TC program if unused. */
int vport_unbind(struct stt_state *st, struct stt_txn *t, const struct ap_vport *v);
/* xdp, peers and learning of the vport o, in place, as n describes them. */
int vport_change(struct stt_state *st, struct stt_txn *t, const struct ap_vport *n,
                 const struct ap_vport *o);

#endif

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* sttctl fleet (cmd_fleet.c): its connection to etcd, and the agent (fleet_agent.c). */
#ifndef STTCTL_FLEET_CLI_H
#define STTCTL_FLEET_CLI_H

#include "etcd.h"
#include "fleet.h"

struct fleet_conn {
	struct etcd_opts o;
	struct etcd *e;
	const char *prefix; /* without a trailing slash */
};

/* Runs until SIGTERM or SIGINT; the exit status. */
int fleet_agent_run(struct fleet_conn *fc, const char *host, long lease_ttl);

#endif

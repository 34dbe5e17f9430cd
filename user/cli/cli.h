/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* sttctl's commands (user/cli/cmd_*.c), dispatched by main.c. */
#ifndef STTCTL_CLI_H
#define STTCTL_CLI_H

#include "common.h"

int cmd_attach(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_vport(int argc, char **argv);
int cmd_fdb(int argc, char **argv);
int cmd_peer(int argc, char **argv);
int cmd_ping(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_apply(int argc, char **argv); /* cmd_apply.c: desired-state documents */
int cmd_monitor(int argc, char **argv);

#endif

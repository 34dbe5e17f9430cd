/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * sttd's metrics endpoint: Prometheus text exposition (format 0.0.4) of the counters,
 * served by a small non-blocking HTTP/1.0 responder that runs inside sttd's event loop.
 */
#ifndef STT_METRICS_H
#define STT_METRICS_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include "stats_read.h"

#define METRICS_MAX_CLIENTS	  8    /* connections served at once; more wait in the backlog */
#define METRICS_REQ_MAX		  4096 /* request line and headers */
#define METRICS_CLIENT_TIMEOUT_MS 5000 /* a connection is closed this long after it opened */
#define METRICS_MAX_FDS		  (1 + METRICS_MAX_CLIENTS)

struct metrics_server;

/* Render the exposition of the current counters into a malloc'ed buffer; 0 on success. */
typedef int (*metrics_render_fn)(void *arg, char **text, size_t *len);

/* ADDR:PORT, ADDR an IPv4 address or [IPv6]; NULL with a message on stderr on failure. */
struct metrics_server *metrics_listen(const char *addr_port);
/* The descriptors to poll now (listening socket, connections); returns how many. */
int metrics_pollfds(struct metrics_server *m, struct pollfd *pfd, int max);
/* Handle what poll() reported on those descriptors (same order), and expire connections. */
void metrics_process(struct metrics_server *m, const struct pollfd *pfd, int n, uint64_t now_ms,
		     metrics_render_fn render, void *arg);
void metrics_close(struct metrics_server *m);

/* The exposition text of a snapshot; device names the underlay. 0 on success. */
int metrics_render(const struct stt_snapshot *s, const char *device, char **text, size_t *len);

#endif

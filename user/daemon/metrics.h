/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * sttd's metrics endpoint: Prometheus text exposition (format 0.0.4) of the counters,
 * served by libmicrohttpd from inside sttd's event loop (no thread of its own).
 */
#ifndef STT_METRICS_H
#define STT_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include "stats_read.h"

#define METRICS_MAX_CLIENTS       8     /* connections served at once; more wait in the backlog */
#define METRICS_CLIENT_TIMEOUT_MS 5000  /* a connection is closed this long after it opened */
#define METRICS_REQ_MAX           4096  /* request line and headers; 431 beyond */
#define METRICS_MHD_MEMORY        16384 /* libmicrohttpd's memory per connection */

struct metrics_server;

/* Render the exposition of the current counters into a malloc'ed buffer; 0 on success. */
typedef int (*metrics_render_fn)(void *arg, char **text, size_t *len);

/*
 * ADDR:PORT, ADDR an IPv4 address or [IPv6]; NULL with a message on stderr on failure.
 * render(arg, ...) answers each GET /metrics, from within metrics_process.
 */
struct metrics_server *metrics_listen(const char *addr_port, metrics_render_fn render, void *arg);
/* The one descriptor to poll (POLLIN) for the endpoint, and how long poll() may wait. */
int metrics_fd(struct metrics_server *m);
int metrics_timeout_ms(struct metrics_server *m, int max_ms);
/* Serve what is ready, without blocking, and close connections past their deadline. */
void metrics_process(struct metrics_server *m, uint64_t now_ms);
void metrics_close(struct metrics_server *m);

/* The exposition text of a snapshot; device names the underlay. 0 on success. */
int metrics_render(const struct stt_snapshot *s, const char *device, char **text, size_t *len);

#endif

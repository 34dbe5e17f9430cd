// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Prometheus text exposition of the stt counters, and the HTTP/1.0 responder that serves it
 * (see metrics.h). One request per connection: the server reads at most METRICS_REQ_MAX
 * bytes of request line and headers, answers GET (or HEAD) /metrics with the exposition,
 * any other path with 404 and any other method with 405, then closes. Everything is
 * non-blocking: a slow client never holds up sttd's reassembly.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "common.h"
#include "metrics.h"

/* Label values: backslash, double quote and line feed are escaped (format 0.0.4). */
static void put_label(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			fputs("\\\\", f);
		else if (*v == '"')
			fputs("\\\"", f);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	/* HELP text: backslash and line feed are escaped. */
	fprintf(f, "# HELP %s ", name);
	for (; *help; help++) {
		if (*help == '\\')
			fputs("\\\\", f);
		else if (*help == '\n')
			fputs("\\n", f);
		else
			fputc(*help, f);
	}
	fprintf(f, "\n# TYPE %s %s\n", name, type);
}

int metrics_render(const struct stt_snapshot *s, const char *device, char **text, size_t *len)
{
	char name[128], buf[64], ifname[IF_NAMESIZE];
	FILE *f;

	*text = NULL;
	*len = 0;
	f = open_memstream(text, len);
	if (!f)
		return -1;
	/* IPv6 remotes are printed by address: read the index maps afresh (a re-attach). */
	remote6_forget();
	/* The underlay device: stt_stats. */
	for (unsigned int k = 0; k < STT_C_DROP_BASE; k++) {
		snprintf(name, sizeof(name), "stt_device_%s_total", counter_name(k));
		family(f, name, "counter", counter_help(k));
		fprintf(f, "%s{device=\"", name);
		put_label(f, device);
		fprintf(f, "\"} %llu\n", (unsigned long long)s->c[k]);
	}
	family(f, "stt_drops_total", "counter",
	       "Packets and frames dropped by the datapath, by reason ('sttctl stats help' "
	       "explains each reason)");
	for (unsigned int k = 0; k < STT_DROP_MAX; k++)
		fprintf(f, "stt_drops_total{reason=\"%s\"} %llu\n", drop_name(k),
			(unsigned long long)s->c[STT_C_DROP_BASE + k]);
	/* sttd's reassembly counters: stt_reasm_stats. */
	for (unsigned int k = 0; k < STT_R_MAX; k++) {
		bool gauge = reasm_is_gauge(k);

		snprintf(name, sizeof(name), "stt_%s%s", reasm_name(k), gauge ? "" : "_total");
		family(f, name, gauge ? "gauge" : "counter", reasm_help(k));
		fprintf(f, "%s %llu\n", name, (unsigned long long)s->reasm[k]);
	}
	/* Per context (stt_ctx_stats): stt_tx_frames_total{context="100",vport="vp1"}. */
	for (unsigned int i = 0; i < STT_FLOW_NFIELDS; i++) {
		snprintf(name, sizeof(name), "stt_%s_total", flow_fields[i].name);
		snprintf(buf, sizeof(buf), "Per context: %s", flow_fields[i].help);
		family(f, name, "counter", buf);
		for (size_t j = 0; j < s->n_ctx; j++) {
			fprintf(f, "%s{context=\"%llu\",vport=\"", name,
				(unsigned long long)s->ctx[j].context);
			put_label(f, s->ctx[j].ifindex ? dev_name(s->ctx[j].ifindex, ifname) : "");
			fprintf(f, "\"} %llu\n", (unsigned long long)flow_get(&s->ctx[j].s, i));
		}
	}
	/* Per remote endpoint (stt_remote_stats, an LRU map). */
	for (unsigned int i = 0; i < STT_FLOW_NFIELDS; i++) {
		snprintf(name, sizeof(name), "stt_remote_%s_total", flow_fields[i].name);
		snprintf(buf, sizeof(buf), "Per remote endpoint: %s", flow_fields[i].help);
		family(f, name, "counter", buf);
		for (size_t j = 0; j < s->n_rem; j++) {
			char a[REMOTE_STRLEN];

			fmt_remote(s->rem[j].remote, a, sizeof(a));
			fprintf(f, "%s{remote=\"%s\"} %llu\n", name, a,
				(unsigned long long)flow_get(&s->rem[j].s, i));
		}
	}
	if (fclose(f)) {
		free(*text);
		*text = NULL;
		return -1;
	}
	return 0;
}

/* The HTTP side ------------------------------------------------------------------------- */

struct client {
	int fd; /* -1: free slot */
	size_t in_len;
	char *out;
	size_t out_len, out_off;
	uint64_t deadline_ms;
	char in[METRICS_REQ_MAX];
};

struct metrics_server {
	int lfd;
	struct client c[METRICS_MAX_CLIENTS];
	int map[METRICS_MAX_FDS]; /* pollfd slot -> client index, -1 the listener */
	int nmap;
};

static int parse_addr_port(const char *s, struct addrinfo **res)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE};
	char host[128];
	const char *port;
	size_t hl;
	char *end;
	unsigned long p;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -1;
		hl = close - s - 1;
		port = close + 2;
		s++;
		hints.ai_family = AF_INET6;
	} else {
		const char *colon = strrchr(s, ':');

		if (!colon || strchr(s, ':') != colon)
			return -1;
		hl = colon - s;
		port = colon + 1;
		hints.ai_family = AF_INET;
	}
	if (!hl || hl >= sizeof(host) || *port < '0' || *port > '9')
		return -1;
	errno = 0;
	p = strtoul(port, &end, 10);
	if (errno || *end || !p || p > 65535)
		return -1;
	memcpy(host, s, hl);
	host[hl] = 0;
	return getaddrinfo(host, port, &hints, res) ? -1 : 0;
}

struct metrics_server *metrics_listen(const char *addr_port)
{
	struct metrics_server *m;
	struct addrinfo *ai = NULL;
	int one = 1;

	if (parse_addr_port(addr_port, &ai)) {
		fprintf(stderr,
			"sttd: invalid --metrics '%s': expected ADDR:PORT (ADDR an IPv4 "
			"address or [IPv6 address], PORT 1-65535)\n",
			addr_port);
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		freeaddrinfo(ai);
		return NULL;
	}
	for (int i = 0; i < METRICS_MAX_CLIENTS; i++)
		m->c[i].fd = -1;
	m->lfd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (m->lfd < 0 || setsockopt(m->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(m->lfd, ai->ai_addr, ai->ai_addrlen) || listen(m->lfd, 16)) {
		fprintf(stderr, "sttd: cannot listen on %s for metrics: %s\n", addr_port,
			strerror(errno));
		if (m->lfd >= 0)
			close(m->lfd);
		free(m);
		m = NULL;
	}
	freeaddrinfo(ai);
	return m;
}

static void client_close(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	c->fd = -1;
	c->out = NULL;
	c->in_len = c->out_len = c->out_off = 0;
}

int metrics_pollfds(struct metrics_server *m, struct pollfd *pfd, int max)
{
	int n = 0, busy = 0;

	for (int i = 0; i < METRICS_MAX_CLIENTS && n < max; i++) {
		if (m->c[i].fd < 0)
			continue;
		busy++;
		pfd[n].fd = m->c[i].fd;
		pfd[n].events = m->c[i].out ? POLLOUT : POLLIN;
		pfd[n].revents = 0;
		m->map[n++] = i;
	}
	/* While every slot is taken, new connections wait in the listen backlog. */
	if (busy < METRICS_MAX_CLIENTS && n < max) {
		pfd[n].fd = m->lfd;
		pfd[n].events = POLLIN;
		pfd[n].revents = 0;
		m->map[n++] = -1;
	}
	m->nmap = n;
	return n;
}

static void respond(struct client *c, const char *status, const char *ctype, const char *body,
		    size_t body_len, int head_only)
{
	FILE *f = open_memstream(&c->out, &c->out_len);

	if (!f) {
		client_close(c);
		return;
	}
	fprintf(f,
		"HTTP/1.0 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		"Connection: close\r\n%s\r\n",
		status, ctype, body_len, strncmp(status, "405", 3) ? "" : "Allow: GET, HEAD\r\n");
	if (!head_only)
		fwrite(body, 1, body_len, f);
	if (fclose(f)) {
		client_close(c);
		return;
	}
	c->out_off = 0;
}

static void error_page(struct client *c, const char *status, int head_only)
{
	char body[128];

	snprintf(body, sizeof(body), "%s\n", status);
	respond(c, status, "text/plain; charset=utf-8", body, strlen(body), head_only);
}

/* A whole request head is in c->in: answer it. */
static void handle_request(struct client *c, metrics_render_fn render, void *arg)
{
	char method[16], target[256], version[16];
	char line[METRICS_REQ_MAX + 1];
	char *eol;
	int head;

	memcpy(line, c->in, c->in_len);
	line[c->in_len] = 0;
	eol = strpbrk(line, "\r\n");
	if (eol)
		*eol = 0;
	if (sscanf(line, "%15s %255s %15s", method, target, version) != 3 ||
	    strncmp(version, "HTTP/1.", 7)) {
		error_page(c, "400 Bad Request", 0);
		return;
	}
	head = !strcmp(method, "HEAD");
	if (strcmp(method, "GET") && !head) {
		error_page(c, "405 Method Not Allowed", 0);
		return;
	}
	if (strcmp(target, "/metrics") && strncmp(target, "/metrics?", 9)) {
		error_page(c, "404 Not Found", head);
		return;
	}
	{
		char *text = NULL;
		size_t len = 0;

		if (render(arg, &text, &len)) {
			free(text);
			error_page(c, "500 Internal Server Error", head);
			return;
		}
		respond(c, "200 OK", "text/plain; version=0.0.4; charset=utf-8", text, len, head);
		free(text);
	}
}

static int head_complete(const struct client *c)
{
	return memmem(c->in, c->in_len, "\r\n\r\n", 4) || memmem(c->in, c->in_len, "\n\n", 2);
}

static void client_read(struct client *c, metrics_render_fn render, void *arg)
{
	for (;;) {
		ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		if (n <= 0) { /* closed before a whole request, or an error */
			client_close(c);
			return;
		}
		c->in_len += n;
		if (head_complete(c)) {
			handle_request(c, render, arg);
			return;
		}
		if (c->in_len == sizeof(c->in)) {
			error_page(c, "431 Request Header Fields Too Large", 0);
			return;
		}
	}
}

static void client_write(struct client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		if (n <= 0) {
			client_close(c);
			return;
		}
		c->out_off += n;
	}
	shutdown(c->fd, SHUT_WR);
	client_close(c);
}

void metrics_process(struct metrics_server *m, const struct pollfd *pfd, int n, uint64_t now_ms,
		     metrics_render_fn render, void *arg)
{
	for (int i = 0; i < n && i < m->nmap; i++) {
		struct client *c;

		if (!pfd[i].revents)
			continue;
		if (m->map[i] < 0) {
			/* Accept what fits in the free slots. */
			for (int k = 0; k < METRICS_MAX_CLIENTS; k++) {
				int fd;

				if (m->c[k].fd >= 0)
					continue;
				fd = accept4(m->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
				if (fd < 0)
					break;
				m->c[k].fd = fd;
				m->c[k].deadline_ms = now_ms + METRICS_CLIENT_TIMEOUT_MS;
			}
			continue;
		}
		c = &m->c[m->map[i]];
		if (c->fd != pfd[i].fd)
			continue;
		if (c->out)
			client_write(c);
		else
			client_read(c, render, arg);
		/* A response ready right away: try to send it now rather than after a poll. */
		if (c->fd >= 0 && c->out && (pfd[i].revents & POLLIN))
			client_write(c);
	}
	for (int k = 0; k < METRICS_MAX_CLIENTS; k++)
		if (m->c[k].fd >= 0 && now_ms >= m->c[k].deadline_ms)
			client_close(&m->c[k]);
	m->nmap = 0;
}

void metrics_close(struct metrics_server *m)
{
	if (!m)
		return;
	for (int k = 0; k < METRICS_MAX_CLIENTS; k++)
		client_close(&m->c[k]);
	close(m->lfd);
	free(m);
}

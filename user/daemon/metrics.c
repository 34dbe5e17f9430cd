// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Prometheus text exposition of the stt counters, and its HTTP endpoint (see metrics.h),
 * served by libmicrohttpd: one request per connection, GET (or HEAD) /metrics answered with
 * the exposition, any other path with 404 and any other method with 405, then the
 * connection closes. Everything is non-blocking: a slow client never holds up sttd's
 * reassembly.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <microhttpd.h>
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

/* The HTTP side: libmicrohttpd ---------------------------------------------------------- */

struct metrics_server {
	struct MHD_Daemon *mhd;
	metrics_render_fn render;
	void *arg;
	uint64_t now_ms; /* as of the last metrics_process: when MHD_run accepts a connection */
	/* Open connections, for a deadline from the accept (MHD's timeouts are idle ones). */
	struct {
		struct MHD_Connection *conn; /* NULL: free slot */
		int fd;
		uint64_t deadline_ms;
	} c[METRICS_MAX_CLIENTS];
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

/* Queue one response: HTTP/1.0 status line, then the connection closes. */
static enum MHD_Result respond(struct MHD_Connection *conn, unsigned int status, const char *ctype,
                               char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_set_response_options(r, MHD_RF_HTTP_1_0_SERVER, MHD_RO_END);
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype) == MHD_NO ||
	    MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close") == MHD_NO ||
	    (status == MHD_HTTP_METHOD_NOT_ALLOWED &&
	     MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD") == MHD_NO)) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result error_page(struct MHD_Connection *conn, unsigned int status)
{
	char *body = NULL;

	if (asprintf(&body, "%u %s\n", status, MHD_get_reason_phrase_for(status)) < 0)
		return MHD_NO;
	return respond(conn, status, "text/plain; charset=utf-8", body, strlen(body));
}

/* MHD hands over the raw request target here, before it splits off the query. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	return (void *)(uintptr_t)strlen(uri);
}

static enum MHD_Result add_header_len(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
	*(size_t *)cls += strlen(key) + 2 + (value ? strlen(value) : 0) + 2; /* "k: v\r\n" */
	return MHD_YES;
}

/*
 * The request head's length as sent (but for optional white space): request line, header
 * lines, blank line. MHD's own bound is its memory per connection, which also pays for each
 * header line it keeps: METRICS_REQ_MAX is checked here, on the bytes.
 */
static size_t head_len(struct MHD_Connection *conn, const char *method, const char *version,
                       size_t target_len)
{
	size_t n = strlen(method) + 1 + target_len + 1 + strlen(version) + 2 + 2;

	MHD_get_connection_values(conn, MHD_HEADER_KIND, add_header_len, &n);
	return n;
}

/*
 * The whole request head is in (MHD calls this first when it has parsed the headers): answer
 * right away, body or not. MHD leaves the body out of a HEAD answer and the query string out
 * of url.
 */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
	struct metrics_server *m = cls;
	char *text = NULL;
	size_t len = 0;

	if (head_len(conn, method, version, (uintptr_t)*req_cls) > METRICS_REQ_MAX)
		return error_page(conn, MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE);
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return error_page(conn, MHD_HTTP_METHOD_NOT_ALLOWED);
	if (strcmp(url, "/metrics"))
		return error_page(conn, MHD_HTTP_NOT_FOUND);
	if (m->render(m->arg, &text, &len)) {
		free(text);
		return error_page(conn, MHD_HTTP_INTERNAL_SERVER_ERROR);
	}
	return respond(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", text, len);
}

/* Track each connection from its accept, with its deadline. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
	struct metrics_server *m = cls;
	const union MHD_ConnectionInfo *ci;

	for (int k = 0; k < METRICS_MAX_CLIENTS; k++) {
		if (toe == MHD_CONNECTION_NOTIFY_CLOSED && m->c[k].conn == conn) {
			m->c[k].conn = NULL;
			return;
		}
		if (toe == MHD_CONNECTION_NOTIFY_STARTED && !m->c[k].conn) {
			ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
			if (!ci)
				return;
			m->c[k].conn = conn;
			m->c[k].fd = ci->connect_fd;
			m->c[k].deadline_ms = m->now_ms + METRICS_CLIENT_TIMEOUT_MS;
			return;
		}
	}
}

struct metrics_server *metrics_listen(const char *addr_port, metrics_render_fn render, void *arg)
{
	struct metrics_server *m;
	struct addrinfo *ai = NULL;
	int one = 1, lfd;

	if (parse_addr_port(addr_port, &ai)) {
		fprintf(stderr,
		        "sttd: invalid --metrics '%s': expected ADDR:PORT (ADDR an IPv4 "
		        "address or [IPv6 address], PORT 1-65535)\n",
		        addr_port);
		return NULL;
	}
	/* The listening socket is ours, so that a failure names its reason (errno). */
	lfd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, ai->ai_addr, ai->ai_addrlen) || listen(lfd, 16)) {
		fprintf(stderr, "sttd: cannot listen on %s for metrics: %s\n", addr_port,
		        strerror(errno));
		if (lfd >= 0)
			close(lfd);
		freeaddrinfo(ai);
		return NULL;
	}
	freeaddrinfo(ai);
	m = calloc(1, sizeof(*m));
	if (!m) {
		close(lfd);
		return NULL;
	}
	m->render = render;
	m->arg = arg;
	/*
	 * No MHD thread: MHD_USE_EPOLL without MHD_USE_INTERNAL_POLLING_THREAD is MHD's
	 * external event loop, one epoll descriptor that sttd polls with the perf buffer's. The
	 * render callback then runs on sttd's thread, between two batches of pieces, and reads
	 * sttd's counters without a lock. MHD's memory per connection holds a request head of
	 * METRICS_REQ_MAX bytes and its header lines, with room to spare.
	 */
	/* clang-format off */
	m->mhd = MHD_start_daemon(MHD_USE_EPOLL, 0, NULL, NULL, on_request, m,
				  MHD_OPTION_LISTEN_SOCKET, (MHD_socket)lfd,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned int)METRICS_MAX_CLIENTS,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)METRICS_MHD_MEMORY,
				  MHD_OPTION_NOTIFY_CONNECTION, on_connection, m,
				  MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
				  MHD_OPTION_END);
	/* clang-format on */
	if (!m->mhd) {
		fprintf(stderr,
		        "sttd: cannot listen on %s for metrics: libmicrohttpd did not start\n",
		        addr_port);
		close(lfd);
		free(m);
		return NULL;
	}
	return m;
}

int metrics_fd(struct metrics_server *m)
{
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(m->mhd, MHD_DAEMON_INFO_EPOLL_FD);

	return di ? di->epoll_fd : -1;
}

int metrics_timeout_ms(struct metrics_server *m, int max_ms)
{
	MHD_UNSIGNED_LONG_LONG t;

	if (MHD_get_timeout(m->mhd, &t) == MHD_YES && t < (MHD_UNSIGNED_LONG_LONG)max_ms)
		return (int)t;
	return max_ms;
}

void metrics_process(struct metrics_server *m, uint64_t now_ms)
{
	m->now_ms = now_ms;
	/*
	 * Past its deadline, whatever its state, a connection is shut down: MHD then reads its
	 * end and closes it (and its descriptor) itself, in the MHD_run below.
	 */
	for (int k = 0; k < METRICS_MAX_CLIENTS; k++)
		if (m->c[k].conn && m->c[k].fd >= 0 && now_ms >= m->c[k].deadline_ms) {
			shutdown(m->c[k].fd, SHUT_RDWR);
			m->c[k].fd = -1;
		}
	MHD_run(m->mhd);
}

void metrics_close(struct metrics_server *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->mhd); /* closes the connections and the listening socket */
	free(m);
}

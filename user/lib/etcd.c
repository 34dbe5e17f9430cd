// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A client of etcd v3's JSON gateway (etcd.h): libcurl for HTTP, json-c for the bodies,
 * OpenSSL's EVP_EncodeBlock/EVP_DecodeBlock for base64. Unary calls share one easy handle
 * (and so its connection); a watch has its own handle in its own multi handle, so that its
 * caller can wait on it with a timeout.
 *
 * Every reply is hostile until parsed: bodies are read into bounded buffers, JSON is parsed
 * with a depth limit and must be one object with nothing after it, each field's type is
 * checked, base64 is checked strictly before it is decoded, and decoded lengths are bounded.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include "etcd.h"

#define DEFAULT_TIMEOUT_MS 5000
#define KEEPALIVE_IDLE_S   10 /* TCP keepalive: first probe after 10 s idle, */
#define KEEPALIVE_INTVL_S  5  /* then every 5 s, */
#define KEEPALIVE_CNT      3  /* 3 unanswered probes: the connection is dead (~25 s) */
#define GRPC_NOT_FOUND     5
#define GRPC_OUT_OF_RANGE  11

struct etcd {
	CURL *h;
	struct curl_slist *hdr;
	char *url, *cacert, *cert, *key;
	long timeout_ms;
	char errbuf[CURL_ERROR_SIZE];
};

struct etcd_watch {
	CURLM *m;
	CURL *h;
	struct curl_slist *hdr;
	char *buf;                     /* received bytes: [off, len) not yet handled */
	size_t len, off, cap, partial; /* partial: bytes after the last newline */
	bool paused, toolong, nomem, done, created;
	CURLcode result;
	int state; /* ETCD_WATCH_OK while live, else the final result */
	int64_t compact_rev;
	char why[320]; /* why the watch ended */
	char errbuf[CURL_ERROR_SIZE];
};

/* A bounded receive buffer, always NUL-terminated. */
struct buf {
	char *p;
	size_t len, cap, max;
	bool over, nomem;
};

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt,
                                                      ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- base64 ---- */

static bool b64_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

/*
 * Standard base64 with padding (what Go writes for []byte), checked strictly first:
 * EVP_DecodeBlock skips whitespace, takes '=' anywhere as zero bits and counts padding as
 * zero bytes. 0, -1 (not base64) or -2 (decodes to more than max bytes). *out is
 * NUL-terminated.
 */
static int b64_decode(const char *s, size_t slen, size_t max, char **out, size_t *outlen)
{
	size_t pad = 0, n;
	char *p;
	int got;

	if (slen % 4)
		return -1;
	if (slen / 4 > (max + 2) / 3)
		return -2;
	for (size_t i = 0; i < slen; i++) {
		if (s[i] == '=' && i + 2 >= slen) {
			pad++;
			continue;
		}
		if (pad || !b64_char((unsigned char)s[i]))
			return -1;
	}
	n = slen / 4 * 3 - pad;
	if (n > max)
		return -2;
	p = malloc(slen / 4 * 3 + 1);
	if (!p)
		return -1;
	got = slen ? EVP_DecodeBlock((unsigned char *)p, (const unsigned char *)s, (int)slen) : 0;
	if (got < 0 || (size_t)got != slen / 4 * 3) {
		free(p);
		return -1;
	}
	p[n] = 0;
	*out = p;
	*outlen = n;
	return 0;
}

/* Adds name: base64 of n bytes (n bounded by the callers: a key or a value). */
static int add_b64(struct json_object *o, const char *name, const void *p, size_t n)
{
	char *s = malloc(4 * ((n + 2) / 3) + 1);
	struct json_object *v;
	int len;

	if (!s)
		return -1;
	len = EVP_EncodeBlock((unsigned char *)s, p, (int)n);
	v = json_object_new_string_len(s, len);
	free(s);
	return v ? json_object_object_add(o, name, v) : -1;
}

/* ---- JSON fields ---- */

/* One JSON object and nothing after it but whitespace, at most ETCD_JSON_DEPTH deep. */
static struct json_object *parse_json(const char *s, size_t len, char *err, size_t errlen)
{
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error je;
	size_t end;

	if (len > INT_MAX) {
		fail(err, errlen, "reply too long");
		return NULL;
	}
	tok = json_tokener_new_ex(ETCD_JSON_DEPTH);
	if (!tok) {
		fail(err, errlen, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, s, (int)len);
	je = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!o) {
		fail(err, errlen, "bad JSON: %s",
		     je == json_tokener_success    ? "not an object"
		     : je == json_tokener_continue ? "truncated"
		                                   : json_tokener_error_desc(je));
		return NULL;
	}
	while (end < len && strchr(" \t\r\n", s[end]) && s[end])
		end++;
	if (end != len || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		fail(err, errlen, "bad JSON: %s",
		     end != len ? "data after the object" : "not an object");
		return NULL;
	}
	return o;
}

/* A field of an object, or NULL when it is missing or null. */
static struct json_object *field(struct json_object *o, const char *name)
{
	struct json_object *f;

	if (!json_object_object_get_ex(o, name, &f) || json_object_is_type(f, json_type_null))
		return NULL;
	return f;
}

/* A field that must be of type t when present: 0 (*f NULL when missing) or -1. */
static int typed(struct json_object *o, const char *name, enum json_type t, struct json_object **f,
                 const char *where, char *err, size_t errlen)
{
	*f = field(o, name);
	if (*f && !json_object_is_type(*f, t))
		return fail(err, errlen, "%s%s: not %s %s", where, name,
		            t == json_type_array || t == json_type_object ? "an" : "a",
		            json_type_to_name(t));
	return 0;
}

/*
 * An int64 field: a string of decimal digits (the gateway's form of int64) or a JSON integer;
 * missing is 0 (the gateway leaves zeros out). Negative numbers are refused: no field read
 * here (revisions, versions, lease IDs, TTLs) is ever negative.
 */
static int get_i64(struct json_object *o, const char *name, int64_t *v, const char *where,
                   char *err, size_t errlen)
{
	struct json_object *f = field(o, name);
	const char *s;
	int64_t x = 0;
	int len;

	*v = 0;
	if (!f)
		return 0;
	if (json_object_is_type(f, json_type_int)) {
		x = json_object_get_int64(f);
		if (x < 0)
			return fail(err, errlen, "%s%s: negative", where, name);
		*v = x;
		return 0;
	}
	if (!json_object_is_type(f, json_type_string))
		return fail(err, errlen, "%s%s: not an integer", where, name);
	s = json_object_get_string(f);
	len = json_object_get_string_len(f);
	if (len < 1 || len > 19)
		return fail(err, errlen, "%s%s: not a non-negative int64", where, name);
	for (int i = 0; i < len; i++) {
		int d = s[i] - '0';

		if (d < 0 || d > 9 || x > (INT64_MAX - d) / 10)
			return fail(err, errlen, "%s%s: not a non-negative int64", where, name);
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

static int get_bool(struct json_object *o, const char *name, bool *v, const char *where, char *err,
                    size_t errlen)
{
	struct json_object *f;

	if (typed(o, name, json_type_boolean, &f, where, err, errlen))
		return -1;
	*v = f && json_object_get_boolean(f);
	return 0;
}

/* Copies a string field, printable ASCII only (others become '?'): it ends up in logs. */
static void get_text(struct json_object *o, const char *name, char *dst, size_t dstlen)
{
	struct json_object *f = field(o, name);
	const char *s;
	size_t n, i;

	if (!dstlen)
		return;
	dst[0] = 0;
	if (!f || !json_object_is_type(f, json_type_string))
		return;
	s = json_object_get_string(f);
	n = (size_t)json_object_get_string_len(f);
	for (i = 0; i < n && i + 1 < dstlen; i++)
		dst[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	dst[i] = 0;
}

/* A base64 field, decoded into at most max bytes. Missing: required fails, else "". */
static int get_bytes(struct json_object *o, const char *name, size_t max, bool required, char **out,
                     size_t *len, const char *where, char *err, size_t errlen)
{
	struct json_object *f;
	int rc;

	*out = NULL;
	*len = 0;
	if (typed(o, name, json_type_string, &f, where, err, errlen))
		return -1;
	if (!f) {
		if (required)
			return fail(err, errlen, "%s%s: missing", where, name);
		*out = calloc(1, 1);
		return *out ? 0 : fail(err, errlen, "out of memory");
	}
	rc = b64_decode(json_object_get_string(f), (size_t)json_object_get_string_len(f), max, out,
	                len);
	if (rc == -2)
		return fail(err, errlen, "%s%s: longer than %zu bytes", where, name, max);
	if (rc)
		return fail(err, errlen, "%s%s: bad base64", where, name);
	return 0;
}

static void kv_free(struct etcd_kv *kv)
{
	free(kv->key);
	free(kv->value);
	memset(kv, 0, sizeof(*kv));
}

/* One mvccpb.KeyValue: a key (1..ETCD_KEY_MAX bytes, no NUL), a value, four int64s. */
static int parse_kv(struct json_object *o, struct etcd_kv *kv, const char *where, char *err,
                    size_t errlen)
{
	size_t klen;

	memset(kv, 0, sizeof(*kv));
	if (!json_object_is_type(o, json_type_object))
		return fail(err, errlen, "%.*s: not an object", (int)strcspn(where, "."), where);
	if (get_bytes(o, "key", ETCD_KEY_MAX, true, &kv->key, &klen, where, err, errlen))
		goto bad;
	if (!klen || memchr(kv->key, 0, klen)) {
		fail(err, errlen, "%skey: %s", where, klen ? "has a NUL byte" : "empty");
		goto bad;
	}
	if (get_bytes(o, "value", ETCD_VALUE_MAX, false, &kv->value, &kv->value_len, where, err,
	              errlen) ||
	    get_i64(o, "mod_revision", &kv->mod_revision, where, err, errlen) ||
	    get_i64(o, "create_revision", &kv->create_revision, where, err, errlen) ||
	    get_i64(o, "version", &kv->version, where, err, errlen) ||
	    get_i64(o, "lease", &kv->lease, where, err, errlen))
		goto bad;
	return 0;
bad:
	kv_free(kv);
	return -1;
}

/* header.revision, 0 when the header or its revision is missing. */
static int header_rev(struct json_object *o, int64_t *rev, char *err, size_t errlen)
{
	struct json_object *h;

	*rev = 0;
	if (typed(o, "header", json_type_object, &h, "", err, errlen))
		return -1;
	return h ? get_i64(h, "revision", rev, "header.", err, errlen) : 0;
}

/*
 * An error reply: {"error":"..","message":"..","code":N} (unary) or {"error":{"grpc_code":N,
 * "message":".."}} (streams). True with its message and gRPC code when o is one.
 */
static bool reply_error(struct json_object *o, char *msg, size_t msglen, int *code)
{
	struct json_object *e = field(o, "error"), *c;
	const char *cname = "code";

	*code = 0;
	if (!e)
		return false;
	if (json_object_is_type(e, json_type_object)) {
		o = e;
		cname = "grpc_code";
	} else if (!json_object_is_type(e, json_type_string) || !json_object_get_string_len(e)) {
		return false;
	}
	get_text(o, "message", msg, msglen);
	if (!msg[0])
		get_text(o, "error", msg, msglen);
	if (!msg[0])
		snprintf(msg, msglen, "unknown error");
	c = field(o, cname);
	if (c && json_object_is_type(c, json_type_int))
		*code = json_object_get_int(c);
	return true;
}

/* ---- parsers ---- */

void etcd_kvs_free(struct etcd_kvs *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->n; i++)
		kv_free(&k->v[i]);
	free(k->v);
	k->v = NULL;
	k->n = 0;
}

static int range_obj(struct json_object *root, struct etcd_kvs *out, char *err, size_t errlen)
{
	struct json_object *kvs;
	char where[64];
	size_t n;

	if (header_rev(root, &out->revision, err, errlen) ||
	    typed(root, "kvs", json_type_array, &kvs, "", err, errlen))
		return -1;
	n = kvs ? json_object_array_length(kvs) : 0;
	if (!n)
		return 0;
	out->v = calloc(n, sizeof(*out->v));
	if (!out->v)
		return fail(err, errlen, "out of memory");
	for (size_t i = 0; i < n; i++) {
		snprintf(where, sizeof(where), "kvs[%zu].", i);
		if (parse_kv(json_object_array_get_idx(kvs, i), &out->v[i], where, err, errlen)) {
			etcd_kvs_free(out);
			return -1;
		}
		out->n = i + 1;
	}
	return 0;
}

int etcd_parse_range(const char *body, size_t len, struct etcd_kvs *out, char *err, size_t errlen)
{
	struct json_object *root;
	char msg[256];
	int code, rc;

	memset(out, 0, sizeof(*out));
	if (len > ETCD_RANGE_MAX)
		return fail(err, errlen, "range: reply longer than %u bytes", ETCD_RANGE_MAX);
	root = parse_json(body, len, err, errlen);
	if (!root)
		return -1;
	if (reply_error(root, msg, sizeof(msg), &code))
		rc = fail(err, errlen, "range: %s", msg);
	else
		rc = range_obj(root, out, err, errlen);
	json_object_put(root);
	return rc;
}

void etcd_watch_resp_free(struct etcd_watch_resp *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		kv_free(&r->ev[i].kv);
	free(r->ev);
	r->ev = NULL;
	r->n = 0;
}

static int parse_event(struct json_object *o, struct etcd_event *ev, size_t i, char *err,
                       size_t errlen)
{
	struct json_object *t, *kv;
	char where[64];

	snprintf(where, sizeof(where), "events[%zu].", i);
	if (!json_object_is_type(o, json_type_object))
		return fail(err, errlen, "events[%zu]: not an object", i);
	if (typed(o, "type", json_type_string, &t, where, err, errlen) ||
	    typed(o, "kv", json_type_object, &kv, where, err, errlen))
		return -1;
	if (!t || (json_object_get_string_len(t) == 3 && !strcmp(json_object_get_string(t), "PUT")))
		ev->type = ETCD_EV_PUT;
	else if (json_object_get_string_len(t) == 6 && !strcmp(json_object_get_string(t), "DELETE"))
		ev->type = ETCD_EV_DELETE;
	else
		return fail(err, errlen, "%stype: unknown", where);
	if (!kv)
		return fail(err, errlen, "%skv: missing", where);
	snprintf(where, sizeof(where), "events[%zu].kv.", i);
	return parse_kv(kv, &ev->kv, where, err, errlen);
}

static int watch_obj(struct json_object *res, struct etcd_watch_resp *out, char *err, size_t errlen)
{
	struct json_object *evs;
	bool fragment;
	size_t n;

	if (header_rev(res, &out->header_rev, err, errlen) ||
	    get_i64(res, "compact_revision", &out->compact_revision, "", err, errlen) ||
	    get_bool(res, "created", &out->created, "", err, errlen) ||
	    get_bool(res, "canceled", &out->canceled, "", err, errlen) ||
	    get_bool(res, "fragment", &fragment, "", err, errlen) ||
	    typed(res, "events", json_type_array, &evs, "", err, errlen))
		return -1;
	if (fragment)
		return fail(err, errlen, "fragmented watch responses are not supported");
	get_text(res, "cancel_reason", out->reason, sizeof(out->reason));
	n = evs ? json_object_array_length(evs) : 0;
	if (!n)
		return 0;
	out->ev = calloc(n, sizeof(*out->ev));
	if (!out->ev)
		return fail(err, errlen, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (parse_event(json_object_array_get_idx(evs, i), &out->ev[i], i, err, errlen)) {
			etcd_watch_resp_free(out);
			return -1;
		}
		out->n = i + 1;
	}
	return 0;
}

int etcd_parse_watch(const char *line, size_t len, struct etcd_watch_resp *out, char *err,
                     size_t errlen)
{
	struct json_object *root, *res;
	int code, rc;

	memset(out, 0, sizeof(*out));
	if (len > ETCD_LINE_MAX)
		return fail(err, errlen, "watch: line longer than %u bytes", ETCD_LINE_MAX);
	root = parse_json(line, len, err, errlen);
	if (!root)
		return -1;
	if (reply_error(root, out->reason, sizeof(out->reason), &code)) {
		out->error = true;
		rc = 0;
	} else if (typed(root, "result", json_type_object, &res, "", err, errlen)) {
		rc = -1;
	} else if (!res) {
		rc = fail(err, errlen, "watch: no result");
	} else {
		rc = watch_obj(res, out, err, errlen);
	}
	json_object_put(root);
	return rc;
}

/* ---- HTTP ---- */

static size_t buf_write(char *p, size_t sz, size_t nmemb, void *arg)
{
	struct buf *b = arg;
	size_t n = sz * nmemb;

	if (n > b->max - b->len) {
		b->over = true;
		return 0;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *q;

		while (cap < b->len + n + 1)
			cap *= 2;
		if (cap > b->max + 1)
			cap = b->max + 1;
		q = realloc(b->p, cap);
		if (!q) {
			b->nomem = true;
			return 0;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = 0;
	return n;
}

/* TCP keepalive's probe count, which libcurl does not set: a dead peer shows in ~25 s. */
static int sockopt_cb(void *arg, curl_socket_t fd, curlsocktype purpose)
{
	int cnt = KEEPALIVE_CNT;

	if (purpose == CURLSOCKTYPE_IPCXN)
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	return CURL_SOCKOPT_OK;
}

static struct curl_slist *json_headers(void)
{
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json"), *h2;

	if (!h)
		return NULL;
	h2 = curl_slist_append(h, "Expect:");
	if (!h2)
		curl_slist_free_all(h);
	return h2;
}

/* What unary calls and watches share: HTTP(S) only, TLS, keepalive, headers. */
static int setup_handle(const struct etcd *e, CURL *h, struct curl_slist *hdr, char *errbuf)
{
	CURLcode rc = CURLE_OK;

#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (rc == CURLE_OK)                                                                \
			rc = curl_easy_setopt(h, opt, val);                                        \
	} while (0)
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	/* The endpoint given, directly: an http_proxy inherited from a shell must not reroute. */
	SET(CURLOPT_PROXY, "");
	SET(CURLOPT_HTTPHEADER, hdr);
	SET(CURLOPT_POST, 1L);
	SET(CURLOPT_CONNECTTIMEOUT_MS, e->timeout_ms);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_TCP_KEEPIDLE, (long)KEEPALIVE_IDLE_S);
	SET(CURLOPT_TCP_KEEPINTVL, (long)KEEPALIVE_INTVL_S);
	SET(CURLOPT_SOCKOPTFUNCTION, sockopt_cb);
	if (e->cacert)
		SET(CURLOPT_CAINFO, e->cacert);
	if (e->cert)
		SET(CURLOPT_SSLCERT, e->cert);
	if (e->key)
		SET(CURLOPT_SSLKEY, e->key);
#undef SET
	return rc == CURLE_OK ? 0 : -1;
}

static char *url_of(const struct etcd *e, const char *path)
{
	size_t n = strlen(e->url) + strlen(path) + 1;
	char *u = malloc(n);

	if (u)
		snprintf(u, n, "%s%s", e->url, path);
	return u;
}

/*
 * POSTs req (consumed) to path and parses the reply (at most max bytes) into *resp. An error
 * reply is -1 with its message in err and its gRPC code in *code.
 */
static int request(struct etcd *e, const char *path, struct json_object *req, size_t max,
                   struct json_object **resp, int *code, char *err, size_t errlen)
{
	struct buf b = {.max = max};
	const char *body;
	char *url, msg[256];
	CURLcode rc;
	long status = 0;

	*resp = NULL;
	*code = 0;
	url = url_of(e, path);
	body = req ? json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN |
	                                                     JSON_C_TO_STRING_NOSLASHESCAPE)
	           : NULL;
	if (!url || !body) {
		free(url);
		json_object_put(req);
		return fail(err, errlen, "%s: out of memory", path);
	}
	e->errbuf[0] = 0;
	curl_easy_setopt(e->h, CURLOPT_URL, url);
	curl_easy_setopt(e->h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(e->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	curl_easy_setopt(e->h, CURLOPT_WRITEDATA, &b);
	rc = curl_easy_perform(e->h);
	curl_easy_setopt(e->h, CURLOPT_POSTFIELDS, NULL);
	curl_easy_getinfo(e->h, CURLINFO_RESPONSE_CODE, &status);
	free(url);
	json_object_put(req);
	if (b.over || b.nomem || rc != CURLE_OK) {
		if (b.over)
			fail(err, errlen, "%s: reply longer than %zu bytes", path, max);
		else if (b.nomem)
			fail(err, errlen, "%s: out of memory", path);
		else
			fail(err, errlen, "%s: %s", path,
			     e->errbuf[0] ? e->errbuf : curl_easy_strerror(rc));
		free(b.p);
		return -1;
	}
	*resp = parse_json(b.p ? b.p : "", b.len, msg, sizeof(msg));
	free(b.p);
	if (*resp && reply_error(*resp, msg, sizeof(msg), code))
		fail(err, errlen, "%s: %s", path, msg);
	else if (*resp && status != 200)
		fail(err, errlen, "%s: HTTP status %ld", path, status);
	else if (!*resp)
		fail(err, errlen, "%s: HTTP status %ld, %s", path, status, msg);
	else
		return 0;
	json_object_put(*resp);
	*resp = NULL;
	return -1;
}

/* ---- the handle ---- */

static char *dup_opt(const char *s, bool *nomem)
{
	char *d = s ? strdup(s) : NULL;

	if (s && !d)
		*nomem = true;
	return d;
}

void etcd_free(struct etcd *e)
{
	if (!e)
		return;
	if (e->h)
		curl_easy_cleanup(e->h);
	curl_slist_free_all(e->hdr);
	free(e->url);
	free(e->cacert);
	free(e->cert);
	free(e->key);
	free(e);
	curl_global_cleanup();
}

struct etcd *etcd_new(const struct etcd_opts *o, char *err, size_t errlen)
{
	struct etcd *e;
	bool nomem = false;
	size_t n;

	if (!o || !o->url || (strncmp(o->url, "http://", 7) && strncmp(o->url, "https://", 8))) {
		fail(err, errlen, "etcd: the URL must start with http:// or https://");
		return NULL;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		fail(err, errlen, "etcd: curl_global_init failed");
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		curl_global_cleanup();
		fail(err, errlen, "etcd: out of memory");
		return NULL;
	}
	e->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
	e->url = dup_opt(o->url, &nomem);
	e->cacert = dup_opt(o->cacert, &nomem);
	e->cert = dup_opt(o->cert, &nomem);
	e->key = dup_opt(o->key, &nomem);
	for (n = e->url ? strlen(e->url) : 0; n > 8 && e->url[n - 1] == '/'; n--)
		e->url[n - 1] = 0;
	e->hdr = json_headers();
	e->h = curl_easy_init();
	if (nomem || !e->hdr || !e->h || setup_handle(e, e->h, e->hdr, e->errbuf) ||
	    curl_easy_setopt(e->h, CURLOPT_TIMEOUT_MS, e->timeout_ms) ||
	    curl_easy_setopt(e->h, CURLOPT_WRITEFUNCTION, buf_write)) {
		etcd_free(e);
		fail(err, errlen, "etcd: cannot set up libcurl");
		return NULL;
	}
	return e;
}

/* ---- key-value calls ---- */

/* The end of prefix's range: prefix with its last byte below 0xff incremented; 0 if none. */
static size_t prefix_end(const char *prefix, size_t len, char *end)
{
	memcpy(end, prefix, len);
	while (len > 0) {
		if ((unsigned char)end[len - 1] < 0xff) {
			end[len - 1]++;
			return len;
		}
		len--;
	}
	return 0;
}

/* key and, for a prefix, range_end; "" as a prefix is every key ("\0" to "\0"). */
static struct json_object *key_req(const char *key, bool prefix, char *err, size_t errlen)
{
	size_t len = strlen(key), elen;
	char end[ETCD_KEY_MAX];
	struct json_object *req;

	if (len > ETCD_KEY_MAX || (!len && !prefix)) {
		fail(err, errlen, "etcd: key %s", len ? "too long" : "empty");
		return NULL;
	}
	req = json_object_new_object();
	if (!req || add_b64(req, "key", len ? key : "", len ? len : 1)) {
		json_object_put(req);
		fail(err, errlen, "etcd: out of memory");
		return NULL;
	}
	if (!prefix)
		return req;
	elen = prefix_end(key, len, end);
	if (add_b64(req, "range_end", elen ? end : "", elen ? elen : 1)) {
		json_object_put(req);
		fail(err, errlen, "etcd: out of memory");
		return NULL;
	}
	return req;
}

static int add_i64(struct json_object *o, const char *name, int64_t v)
{
	struct json_object *j = json_object_new_int64(v);

	return j ? json_object_object_add(o, name, j) : -1;
}

static int range(struct etcd *e, struct json_object *req, struct etcd_kvs *out, char *err,
                 size_t errlen)
{
	struct json_object *resp;
	char msg[320];
	int code, rc;

	if (!req)
		return -1;
	if (request(e, "/v3/kv/range", req, ETCD_RANGE_MAX, &resp, &code, msg, sizeof(msg))) {
		out->compacted = code == GRPC_OUT_OF_RANGE && strstr(msg, "compacted");
		return fail(err, errlen, "%s", msg);
	}
	rc = range_obj(resp, out, err, errlen);
	json_object_put(resp);
	return rc;
}

int etcd_range_prefix(struct etcd *e, const char *prefix, int64_t rev, struct etcd_kvs *out,
                      char *err, size_t errlen)
{
	struct json_object *req;

	memset(out, 0, sizeof(*out));
	if (rev < 0)
		return fail(err, errlen, "etcd: negative revision");
	req = key_req(prefix, true, err, errlen);
	if (req && rev && add_i64(req, "revision", rev)) {
		json_object_put(req);
		return fail(err, errlen, "etcd: out of memory");
	}
	return range(e, req, out, err, errlen);
}

int etcd_get(struct etcd *e, const char *key, struct etcd_kvs *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	return range(e, key_req(key, false, err, errlen), out, err, errlen);
}

/* A unary call whose reply only matters for its header's revision (rev may be NULL). */
static int call_rev(struct etcd *e, const char *path, struct json_object *req, int64_t *rev,
                    char *err, size_t errlen)
{
	struct json_object *resp;
	int64_t r;
	int code, rc;

	if (!req)
		return -1;
	if (request(e, path, req, ETCD_REPLY_MAX, &resp, &code, err, errlen))
		return -1;
	rc = header_rev(resp, &r, err, errlen);
	json_object_put(resp);
	if (!rc && rev)
		*rev = r;
	return rc;
}

int etcd_put(struct etcd *e, const char *key, const char *value, size_t len, int64_t lease,
             int64_t *rev, char *err, size_t errlen)
{
	struct json_object *req;

	if (len > ETCD_VALUE_MAX || lease < 0 || (len && !value))
		return fail(err, errlen, "etcd: put: %s",
		            len > ETCD_VALUE_MAX ? "value too long" : "bad arguments");
	req = key_req(key, false, err, errlen);
	if (req && (add_b64(req, "value", len ? value : "", len) ||
	            (lease && add_i64(req, "lease", lease)))) {
		json_object_put(req);
		return fail(err, errlen, "etcd: out of memory");
	}
	return call_rev(e, "/v3/kv/put", req, rev, err, errlen);
}

int etcd_delete(struct etcd *e, const char *key, bool prefix, int64_t *rev, char *err,
                size_t errlen)
{
	if (!*key)
		return fail(err, errlen, "etcd: delete: empty key");
	return call_rev(e, "/v3/kv/deleterange", key_req(key, prefix, err, errlen), rev, err,
	                errlen);
}

int etcd_compact(struct etcd *e, int64_t rev, char *err, size_t errlen)
{
	struct json_object *req = json_object_new_object();
	struct json_object *phys = json_object_new_boolean(1);

	if (!req || !phys || add_i64(req, "revision", rev) ||
	    json_object_object_add(req, "physical", phys)) {
		json_object_put(req);
		json_object_put(phys);
		return fail(err, errlen, "etcd: out of memory");
	}
	return call_rev(e, "/v3/kv/compaction", req, NULL, err, errlen);
}

/* ---- leases ---- */

static struct json_object *id_req(const char *name, int64_t v)
{
	struct json_object *req = json_object_new_object();

	if (req && add_i64(req, name, v)) {
		json_object_put(req);
		return NULL;
	}
	return req;
}

int etcd_lease_grant(struct etcd *e, long ttl_s, int64_t *id, char *err, size_t errlen)
{
	struct json_object *req, *resp;
	int64_t v;
	int code, rc;

	if (ttl_s <= 0)
		return fail(err, errlen, "etcd: lease TTL must be positive");
	req = id_req("TTL", ttl_s);
	if (!req)
		return fail(err, errlen, "etcd: out of memory");
	if (request(e, "/v3/lease/grant", req, ETCD_REPLY_MAX, &resp, &code, err, errlen))
		return -1;
	rc = get_i64(resp, "ID", &v, "lease grant: ", err, errlen);
	if (!rc && !v)
		rc = fail(err, errlen, "lease grant: no lease ID");
	json_object_put(resp);
	if (!rc)
		*id = v;
	return rc;
}

/* The gateway's keepalive is a stream: one {"result":{..}} line per request line. */
int etcd_lease_keepalive(struct etcd *e, int64_t id, long *ttl_left, char *err, size_t errlen)
{
	struct json_object *req, *resp, *res;
	int64_t rid, ttl;
	int code, rc;

	if (id <= 0)
		return fail(err, errlen, "etcd: bad lease ID");
	req = id_req("ID", id);
	if (!req)
		return fail(err, errlen, "etcd: out of memory");
	if (request(e, "/v3/lease/keepalive", req, ETCD_REPLY_MAX, &resp, &code, err, errlen))
		return -1;
	rc = typed(resp, "result", json_type_object, &res, "lease keepalive: ", err, errlen);
	if (!rc && !res)
		rc = fail(err, errlen, "lease keepalive: no result");
	if (!rc)
		rc = get_i64(res, "ID", &rid, "lease keepalive: ", err, errlen) ||
		     get_i64(res, "TTL", &ttl, "lease keepalive: ", err, errlen);
	if (!rc && rid != id)
		rc = fail(err, errlen, "lease keepalive: reply for another lease");
	if (!rc && ttl > LONG_MAX)
		rc = fail(err, errlen, "lease keepalive: TTL out of range");
	json_object_put(resp);
	if (!rc)
		*ttl_left = (long)ttl;
	return rc ? -1 : 0;
}

int etcd_lease_revoke(struct etcd *e, int64_t id, char *err, size_t errlen)
{
	struct json_object *req, *resp;
	int code;

	if (id <= 0)
		return fail(err, errlen, "etcd: bad lease ID");
	req = id_req("ID", id);
	if (!req)
		return fail(err, errlen, "etcd: out of memory");
	if (request(e, "/v3/lease/revoke", req, ETCD_REPLY_MAX, &resp, &code, err, errlen))
		return code == GRPC_NOT_FOUND ? 0 : -1;
	json_object_put(resp);
	return 0;
}

/* ---- watches ---- */

static int watch_grow(struct etcd_watch *w, size_t n)
{
	size_t cap = w->cap ? w->cap : 65536;
	char *q;

	if (w->off) {
		memmove(w->buf, w->buf + w->off, w->len - w->off);
		w->len -= w->off;
		w->off = 0;
	}
	if (w->len + n <= w->cap)
		return 0;
	while (cap < w->len + n)
		cap *= 2;
	q = realloc(w->buf, cap);
	if (!q)
		return -1;
	w->buf = q;
	w->cap = cap;
	return 0;
}

/*
 * Buffers what arrives. A line may not grow past ETCD_LINE_MAX; when a whole line already
 * waits and ETCD_LINE_MAX bytes are buffered, the transfer pauses until a poll drains them.
 */
static size_t watch_write(char *p, size_t sz, size_t nmemb, void *arg)
{
	struct etcd_watch *w = arg;
	size_t n = sz * nmemb, waiting = w->len - w->off;
	const char *first = memchr(p, '\n', n), *last;

	if (waiting >= ETCD_LINE_MAX && w->partial < waiting) {
		w->paused = true;
		return CURL_WRITEFUNC_PAUSE;
	}
	if ((first ? (size_t)(first - p) : n) > ETCD_LINE_MAX - w->partial) {
		w->toolong = true;
		return 0;
	}
	if (watch_grow(w, n)) {
		w->nomem = true;
		return 0;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
	last = memrchr(p, '\n', n);
	w->partial = last ? n - (size_t)(last - p) - 1 : w->partial + n;
	return n;
}

static int watch_end(struct etcd_watch *w, int state, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int watch_end(struct etcd_watch *w, int state, const char *fmt, ...)
{
	va_list ap;

	w->state = state;
	va_start(ap, fmt);
	vsnprintf(w->why, sizeof(w->why), fmt, ap);
	va_end(ap);
	return state;
}

/* One response line: created, events (to cb), canceled, or an error. */
static int watch_line(struct etcd_watch *w, const char *line, size_t len, etcd_watch_cb cb,
                      void *arg, bool *stop)
{
	struct etcd_watch_resp r;
	char err[256];

	if (etcd_parse_watch(line, len, &r, err, sizeof(err)))
		return watch_end(w, ETCD_WATCH_BROKEN, "watch: %s", err);
	if (r.error)
		return watch_end(w, ETCD_WATCH_BROKEN, "watch: %s", r.reason);
	w->created |= r.created;
	if (r.n && !w->created) {
		etcd_watch_resp_free(&r);
		return watch_end(w, ETCD_WATCH_BROKEN,
		                 "watch: events before the watch was created");
	}
	if (r.n && cb)
		*stop = cb(arg, r.ev, r.n, r.header_rev) != 0;
	etcd_watch_resp_free(&r);
	if (r.canceled && r.compact_revision) {
		w->compact_rev = r.compact_revision;
		return watch_end(w, ETCD_WATCH_COMPACTED, "watch: revision %lld is compacted",
		                 (long long)r.compact_revision);
	}
	if (r.canceled)
		return watch_end(w, ETCD_WATCH_CANCELED, "watch canceled by etcd%s%s",
		                 r.reason[0] ? ": " : "", r.reason);
	return ETCD_WATCH_OK;
}

/* Handles the complete lines buffered, until one stops (cb, or created when asked). */
static void watch_drain(struct etcd_watch *w, bool until_created, etcd_watch_cb cb, void *arg,
                        bool *handled)
{
	bool stop = false;

	while (!w->state && !stop && !(until_created && w->created)) {
		char *line, *nl;
		size_t len;

		if (w->off >= w->len)
			break;
		line = w->buf + w->off;
		nl = memchr(line, '\n', w->len - w->off);
		if (!nl)
			break;
		len = (size_t)(nl - line);
		w->off += len + 1;
		while (len && line[len - 1] && strchr(" \t\r", line[len - 1]))
			len--;
		if (!len)
			continue;
		*handled = true;
		watch_line(w, line, len, cb, arg, &stop);
	}
}

/* Why the transfer ended: it only ends on an error, since a watch's reply never ends. */
static int watch_done(struct etcd_watch *w)
{
	long status = 0;
	struct json_object *o;
	char msg[256];
	int code;

	if (w->toolong)
		return watch_end(w, ETCD_WATCH_BROKEN, "watch: a response longer than %u bytes",
		                 ETCD_LINE_MAX);
	if (w->nomem)
		return watch_end(w, ETCD_WATCH_BROKEN, "watch: out of memory");
	curl_easy_getinfo(w->h, CURLINFO_RESPONSE_CODE, &status);
	if (status && status != 200) {
		o = w->buf ? parse_json(w->buf + w->off, w->len - w->off, msg, sizeof(msg))
		           : parse_json("", 0, msg, sizeof(msg));
		if (o && !reply_error(o, msg, sizeof(msg), &code))
			snprintf(msg, sizeof(msg), "no error message");
		json_object_put(o);
		return watch_end(w, ETCD_WATCH_BROKEN, "watch: HTTP status %ld: %s", status, msg);
	}
	if (w->result != CURLE_OK)
		return watch_end(w, ETCD_WATCH_BROKEN, "watch: connection lost: %s",
		                 w->errbuf[0] ? w->errbuf : curl_easy_strerror(w->result));
	return watch_end(w, ETCD_WATCH_BROKEN, "watch: etcd ended the stream");
}

/* Reads and handles responses for up to timeout_ms, returning once one was handled. */
static int watch_run(struct etcd_watch *w, int timeout_ms, bool until_created, etcd_watch_cb cb,
                     void *arg)
{
	int64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0), left;
	CURLMsg *msg;
	int running, q;

	for (;;) {
		bool handled = false;

		watch_drain(w, until_created, cb, arg, &handled);
		if (w->state)
			return w->state;
		if (handled && (!until_created || w->created))
			return ETCD_WATCH_OK;
		if (w->paused) {
			w->paused = false;
			curl_easy_pause(w->h, CURLPAUSE_CONT);
			continue;
		}
		if (w->done)
			return watch_done(w);
		left = deadline - now_ms();
		if (left <= 0)
			return ETCD_WATCH_OK;
		if (curl_multi_poll(w->m, NULL, 0, left > INT_MAX ? INT_MAX : (int)left, NULL) ||
		    curl_multi_perform(w->m, &running))
			return watch_end(w, ETCD_WATCH_BROKEN, "watch: libcurl multi error");
		while ((msg = curl_multi_info_read(w->m, &q)))
			if (msg->msg == CURLMSG_DONE) {
				w->done = true;
				w->result = msg->data.result;
			}
	}
}

static char *watch_body(const char *prefix, int64_t start_rev, char *err, size_t errlen)
{
	struct json_object *cr = key_req(prefix, true, err, errlen), *req;
	char *s = NULL;

	if (!cr)
		return NULL;
	req = json_object_new_object();
	if (req && !(start_rev && add_i64(cr, "start_revision", start_rev)) &&
	    !json_object_object_add(req, "create_request", cr)) {
		cr = NULL;
		s = strdup(json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN |
		                                                   JSON_C_TO_STRING_NOSLASHESCAPE));
	}
	json_object_put(cr);
	json_object_put(req);
	if (!s)
		fail(err, errlen, "etcd: out of memory");
	return s;
}

static int watch_handle(struct etcd *e, struct etcd_watch *w, const char *body)
{
	char *url = url_of(e, "/v3/watch");
	int rc = -1;

	w->hdr = json_headers();
	w->h = curl_easy_init();
	w->m = curl_multi_init();
	if (url && w->hdr && w->h && w->m && !setup_handle(e, w->h, w->hdr, w->errbuf) &&
	    !curl_easy_setopt(w->h, CURLOPT_URL, url) &&
	    !curl_easy_setopt(w->h, CURLOPT_COPYPOSTFIELDS, body) &&
	    !curl_easy_setopt(w->h, CURLOPT_WRITEFUNCTION, watch_write) &&
	    !curl_easy_setopt(w->h, CURLOPT_WRITEDATA, w) && !curl_multi_add_handle(w->m, w->h))
		rc = 0;
	free(url);
	return rc;
}

struct etcd_watch *etcd_watch_start(struct etcd *e, const char *prefix, int64_t start_rev,
                                    char *err, size_t errlen)
{
	struct etcd_watch *w;
	char *body;

	if (start_rev < 0) {
		fail(err, errlen, "etcd: negative revision");
		return NULL;
	}
	body = watch_body(prefix, start_rev, err, errlen);
	if (!body)
		return NULL;
	w = calloc(1, sizeof(*w));
	if (!w || curl_global_init(CURL_GLOBAL_DEFAULT)) {
		free(w);
		free(body);
		fail(err, errlen, "etcd: cannot set up a watch");
		return NULL;
	}
	if (watch_handle(e, w, body)) {
		free(body);
		etcd_watch_stop(w);
		fail(err, errlen, "etcd: cannot set up a watch");
		return NULL;
	}
	free(body);
	if (watch_run(w, (int)(e->timeout_ms > INT_MAX ? INT_MAX : e->timeout_ms), true, NULL,
	              NULL) ||
	    !w->created) {
		fail(err, errlen, "%s", w->state ? w->why : "watch: not created in time");
		etcd_watch_stop(w);
		return NULL;
	}
	return w;
}

int etcd_watch_poll(struct etcd_watch *w, int timeout_ms, etcd_watch_cb cb, void *arg,
                    int64_t *compact_rev, char *err, size_t errlen)
{
	int rc = w->state ? w->state : watch_run(w, timeout_ms, false, cb, arg);

	if (rc == ETCD_WATCH_COMPACTED && compact_rev)
		*compact_rev = w->compact_rev;
	if (rc != ETCD_WATCH_OK)
		fail(err, errlen, "%s", w->why);
	return rc;
}

void etcd_watch_stop(struct etcd_watch *w)
{
	if (!w)
		return;
	if (w->m && w->h)
		curl_multi_remove_handle(w->m, w->h);
	if (w->h)
		curl_easy_cleanup(w->h);
	if (w->m)
		curl_multi_cleanup(w->m);
	curl_slist_free_all(w->hdr);
	free(w->buf);
	free(w);
	curl_global_cleanup();
}

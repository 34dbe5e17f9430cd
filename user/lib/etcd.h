/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A small client of etcd v3's JSON gateway (the grpc-gateway every etcd 3.4 serves on its
 * client URL): ranges, puts, deletes, leases and watches, over libcurl, with json-c for the
 * bodies and OpenSSL's base64. One endpoint; no hand-written HTTP.
 *
 * What the gateway of etcd 3.4 sends (checked against 3.4.23):
 *  - keys and values are base64; int64 fields (revisions, versions, lease IDs, TTLs) are JSON
 *    strings ("123"), and any field equal to zero or empty is left out (an empty value, a
 *    lease of 0, a compacted watch's header revision);
 *  - an error is a non-200 status with {"error":..,"message":..,"code":N} (gRPC codes: a
 *    compacted or future revision is 11, a lease not found 5); on the streaming endpoints
 *    (lease keepalive, watch) replies are {"result":{..}} lines, errors {"error":{..}};
 *  - a watch is one POST whose reply never ends: {"result":{"created":true}} first, then one
 *    line per batch of events. A compacted start revision gives "created" then
 *    {"canceled":true,"compact_revision":"N"} and the stream stays open (we stop reading).
 *  - etcd sends nothing on an idle watch unless asked (progress_notify) and then only every
 *    --experimental-watch-progress-notify-interval (10 minutes by default), as a result with
 *    a header and nothing else. A killed etcd closes its sockets: the watch reports
 *    ETCD_WATCH_BROKEN at once (libcurl: "transfer closed with outstanding read data
 *    remaining"), and unary calls fail to connect. A host that vanishes should be noticed by
 *    TCP keepalive (set to 10 s idle, 3 probes 5 s apart: about 25 s; not tested). An etcd
 *    that hangs with its kernel alive (SIGSTOP, a deadlock) is not noticed, since its kernel
 *    answers the probes: the caller decides how long a silent watch may last, e.g. by
 *    reading its prefix again now and then.
 *  - a watch from an old revision gets the whole history up to now as ONE response: more
 *    than ETCD_LINE_MAX of it (some 24 MiB of values) breaks the watch (BROKEN); the caller
 *    reads the prefix with a range and watches from the range's revision instead.
 *
 * Everything etcd sends is treated as hostile: lengths are bounded (ETCD_*_MAX), every
 * field's type is checked, and a malformed reply is an error string, never a crash.
 * Functions return 0 or -1 with a message in err (errlen bytes, may be 0). A struct etcd is
 * for one thread at a time; a watch has its own handles and may live in another thread.
 */
#ifndef STT_ETCD_H
#define STT_ETCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ETCD_KEY_MAX    1024u        /* a key, decoded */
#define ETCD_VALUE_MAX  (1u << 20)   /* a value, decoded */
#define ETCD_LINE_MAX   (32u << 20)  /* one watch response line */
#define ETCD_RANGE_MAX  (256u << 20) /* one range response */
#define ETCD_REPLY_MAX  (1u << 20)   /* any other unary response */
#define ETCD_JSON_DEPTH 16           /* nesting of any response */

struct etcd_opts {
	const char *url;    /* "http://127.0.0.1:2379" or "https://..."; one endpoint */
	const char *cacert; /* TLS: CA file to verify the server (NULL: system default) */
	const char *cert;   /* TLS client certificate (PEM), or NULL */
	const char *key;    /* its key, or NULL */
	long timeout_ms;    /* per unary request (0: 5000); also a watch's connect timeout */
};

struct etcd; /* opaque: one CURL easy handle for unary calls */
struct etcd *etcd_new(const struct etcd_opts *o, char *err, size_t errlen);
void etcd_free(struct etcd *e);

/* A key (NUL-terminated, no NUL inside) and its value (value_len bytes, NUL-terminated too). */
struct etcd_kv {
	char *key;
	char *value;
	size_t value_len;
	int64_t mod_revision, create_revision, version, lease;
};

struct etcd_kvs {
	struct etcd_kv *v;
	size_t n;
	int64_t revision; /* header.revision */
	bool compacted;   /* the range failed because its revision was compacted */
};
void etcd_kvs_free(struct etcd_kvs *k);

/*
 * Every key under prefix (range_end = prefix with last byte + 1; "" is every key), at
 * revision rev (0: latest). 0, or -1 with err; with rev compacted, -1 and out->compacted.
 */
int etcd_range_prefix(struct etcd *e, const char *prefix, int64_t rev, struct etcd_kvs *out,
                      char *err, size_t errlen);
/* One key: out->n is 0 when it does not exist. */
int etcd_get(struct etcd *e, const char *key, struct etcd_kvs *out, char *err, size_t errlen);
/* rev (may be NULL): the revision of the put. lease 0: none. */
int etcd_put(struct etcd *e, const char *key, const char *value, size_t len, int64_t lease,
             int64_t *rev, char *err, size_t errlen);
/* The key, or every key under it with prefix. rev (may be NULL): the store's revision after. */
int etcd_delete(struct etcd *e, const char *key, bool prefix, int64_t *rev, char *err,
                size_t errlen);
int etcd_lease_grant(struct etcd *e, long ttl_s, int64_t *id, char *err, size_t errlen);
/* *ttl_left 0: the lease is gone (expired/revoked). */
int etcd_lease_keepalive(struct etcd *e, int64_t id, long *ttl_left, char *err, size_t errlen);
/* A lease that is already gone is revoked: 0. */
int etcd_lease_revoke(struct etcd *e, int64_t id, char *err, size_t errlen);
/* Compacts up to rev and waits until it is applied (physical). For tests. */
int etcd_compact(struct etcd *e, int64_t rev, char *err, size_t errlen);

/* A watch: its own CURL handle driven by a CURLM, so that the caller can wait with a timeout. */
enum { ETCD_EV_PUT = 0, ETCD_EV_DELETE = 1 };
struct etcd_event {
	int type;
	struct etcd_kv kv;
};

/*
 * Called for each watch response that carries events (n >= 1), in order; header_rev is the
 * response header's revision. Return non-zero to stop polling early (the responses not yet
 * delivered stay for the next poll).
 */
typedef int (*etcd_watch_cb)(void *arg, const struct etcd_event *ev, size_t n, int64_t header_rev);

enum {
	ETCD_WATCH_OK = 0,
	ETCD_WATCH_BROKEN = -1,
	ETCD_WATCH_COMPACTED = 1,
	ETCD_WATCH_CANCELED = 2,
};

struct etcd_watch;
/*
 * Watches every key under prefix from start_rev (0: from now on). Returns once etcd has
 * created the watch (within the handle's timeout), NULL with err if it did not.
 */
struct etcd_watch *etcd_watch_start(struct etcd *e, const char *prefix, int64_t start_rev,
                                    char *err, size_t errlen);
/*
 * Waits up to timeout_ms for data, delivers complete responses to cb. Returns ETCD_WATCH_OK
 * (0), ETCD_WATCH_COMPACTED (the start revision was compacted: *compact_rev set; the caller
 * re-reads), ETCD_WATCH_CANCELED, or ETCD_WATCH_BROKEN (-1: connection lost or error; err
 * says why). Once not OK, every later poll returns the same.
 */
int etcd_watch_poll(struct etcd_watch *w, int timeout_ms, etcd_watch_cb cb, void *arg,
                    int64_t *compact_rev, char *err, size_t errlen);
void etcd_watch_stop(struct etcd_watch *w);

/*
 * The parsers behind the calls above, for tests: a range response body, and one watch
 * response line. They take any bytes and return 0, or -1 with err.
 */
struct etcd_watch_resp {
	int64_t header_rev, compact_revision;
	bool created, canceled;
	char reason[256]; /* cancel_reason, or the error of an {"error":..} line */
	bool error;       /* the line was {"error":..} */
	struct etcd_event *ev;
	size_t n;
};
int etcd_parse_range(const char *body, size_t len, struct etcd_kvs *out, char *err, size_t errlen);
int etcd_parse_watch(const char *line, size_t len, struct etcd_watch_resp *out, char *err,
                     size_t errlen);
void etcd_watch_resp_free(struct etcd_watch_resp *r);

#endif /* STT_ETCD_H */

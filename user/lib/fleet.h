/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The fleet schema (docs/FLEET.md): the desired state an orchestrator writes to etcd under
 * PREFIX/spec/, and what one host's apply document is made of it. Pure: no etcd, no system
 * calls but the interface check the caller passes in, so that it can be tested and fuzzed
 * alone. Keys are kept relative to PREFIX/spec/ ("host/h1", "vport/h1/100",
 * "context/100", "mac/100/52:54:00:00:00:01").
 */
#ifndef STT_FLEET_H
#define STT_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

struct ap_errs;

#define FLEET_VERSION        1
#define FLEET_PREFIX_DEFAULT "/stt/v1"
#define FLEET_NAME_MAX       63
#define FLEET_KEY_MAX        256
#define FLEET_VALUE_MAX      65536

/* Reports: a key (relative to PREFIX/spec/, or "" for the host as a whole) and why. */
struct fleet_msgs {
	struct json_object *o; /* key -> reason */
};

/*
 * The spec as this host knows it: every valid value by key, and the reason of every key
 * whose value is not valid. A key with a bad new value keeps its last valid value (a typo
 * does not tear a tenant down); a full re-read starts from nothing.
 */
struct fleet_spec {
	struct json_object *vals; /* key -> parsed value */
	struct fleet_msgs bad;    /* key -> reason */
	struct fleet_msgs excl;   /* key -> why the apply refused it (fleet_plan_accepted) */
};

void fleet_spec_init(struct fleet_spec *s);
void fleet_spec_free(struct fleet_spec *s);
/* A put (value of len bytes, from etcd: any bytes) or a delete of key (relative). */
void fleet_spec_put(struct fleet_spec *s, const char *key, const char *value, size_t len);
void fleet_spec_del(struct fleet_spec *s, const char *key);

/* A key (relative to PREFIX/spec/) in its kind ("host", "context", "vport", "mac") and parts. */
struct fleet_key {
	char kind[8];
	char a[FLEET_NAME_MAX + 1],
	    b[FLEET_NAME_MAX + 1]; /* host/A, context/A, vport/A/B, mac/A/B */
};

/* 0 if key is one of the schema's (why, if not NULL, says otherwise). */
int fleet_key_split(const char *key, struct fleet_key *k, char *why, size_t wlen);

/* A host name: 1..63 of [A-Za-z0-9._-], not starting with '.' or '-'. */
bool fleet_name_ok(const char *s);

/* What the spec asks of one host. */
struct fleet_plan {
	char *doc;                 /* the apply document (docs/API.md), NULL if none can be made */
	struct fleet_msgs errors;  /* keys skipped, and why */
	struct fleet_msgs pending; /* keys waiting for something (an interface, a host) */
	size_t contexts;           /* contexts this host serves */
	struct json_object *src;   /* "vports", "fdb", ... -> [the key of each entry] */
};

/* Whether an interface exists on this host (if_nametoindex), passed in for testability. */
typedef bool (*fleet_if_exists)(const char *ifname);

/*
 * The plan of host from spec. A bad value of another key is reported there and left out;
 * doc is NULL only when the host's own key is bad and it has no valid value (then nothing
 * may change: detaching a host for a typo would cut every tenant).
 */
int fleet_plan(const struct fleet_spec *s, const char *host, fleet_if_exists ifx,
               struct fleet_plan *p);
void fleet_plan_free(struct fleet_plan *p);
/* The key an apply error's path ("$.fdb[3].mac: ...") came from, or NULL. */
const char *fleet_plan_source(const struct fleet_plan *p, const char *path);
/*
 * The apply's own check of a plan's document: NULL if it accepts it, else its errors
 * ("$.vports[1].ifname: ..."), valid until the next call.
 */
typedef const struct ap_errs *(*fleet_check)(void *arg, const char *doc);

/*
 * A plan the check accepts: what the check refuses (two vports on one interface, say) is
 * traced to the keys its entries came from, which are left out and reported, and the plan
 * made again. 0, or -1 with why (the host's own key refused, or an error no key explains).
 * Each call starts from every key again: a conflict gone is forgotten.
 */
/* The apply document's parser alone as a fleet_check (arg: a struct ap_errs): tests, fuzzing. */
const struct ap_errs *fleet_check_parse(void *arg, const char *doc);

int fleet_plan_accepted(struct fleet_spec *s, const char *host, fleet_if_exists ifx,
                        fleet_check check, void *arg, struct fleet_plan *p, char *why, size_t wlen);

void fleet_msg(struct fleet_msgs *m, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif

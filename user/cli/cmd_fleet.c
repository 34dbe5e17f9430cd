// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * sttctl fleet agent / status / wait: the fleet's desired state in etcd (docs/FLEET.md).
 * The agent is a mode of sttctl rather than of sttd: it needs the attach and apply code
 * that sttctl holds, and sttd stays a datapath helper with no management-network peer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "fleet_cli.h"

#define WAIT_POLL_US 20000

struct fleet_args {
	struct fleet_conn fc;
	const char *host;
	unsigned long lease_ttl, timeout;
	bool all;
	int64_t rev;
};

static void fleet_help(FILE *f)
{
	fprintf(
	    f,
	    "  The fleet's desired state lives in etcd under PREFIX/spec/ (docs/FLEET.md).\n"
	    "  agent   keep this host's share applied (one per network namespace; -n NETNS)\n"
	    "          and report under PREFIX/status/HOST, tied to a lease of TTL seconds\n"
	    "  status  every host: the revision it applied, its state, what is pending\n"
	    "  wait    return when every host serving the contexts that revision REV changed\n"
	    "          has applied it (--all: every host); exit 1 at the timeout (30 s),\n"
	    "          naming the hosts that have not\n"
	    "  --etcd URL          etcd's client URL (default $STT_ETCD or http://127.0.0.1:2379)\n"
	    "  --prefix P          key prefix (default " FLEET_PREFIX_DEFAULT ")\n"
	    "  --cacert/--cert/--key FILE  TLS: the CA of etcd's certificate, this client's\n"
	    "                      certificate and key\n"
	    "  --host NAME         this host's name in the schema (default: the host name)\n");
}

enum { F_HOST = 1, F_TTL = 2, F_TIMEOUT = 4, F_ALL = 8 };

static int fleet_opt(const struct cmd *c, struct fleet_args *fa, int o, const char *v,
                     const char *word, unsigned allowed)
{
	static const unsigned need[128] = {
	    ['H'] = F_HOST, ['L'] = F_TTL, ['t'] = F_TIMEOUT, ['a'] = F_ALL};

	if (o > 0 && o < 128 && need[o] && !(need[o] & allowed))
		return cmd_bad(c, "fleet: option '%s' is not for this command", word), CMD_BAD;
	switch (o) {
	case 'e':
		fa->fc.o.url = v;
		return 0;
	case 'P':
		fa->fc.prefix = v;
		return 0;
	case 'C':
		fa->fc.o.cacert = v;
		return 0;
	case 'c':
		fa->fc.o.cert = v;
		return 0;
	case 'k':
		fa->fc.o.key = v;
		return 0;
	case 'H':
		if (!fleet_name_ok(v))
			return cmd_bad(
			           c, "fleet: '%s' is not a host name (1..63 of A-Z a-z 0-9 . _ -)",
			           v),
			       CMD_BAD;
		fa->host = v;
		return 0;
	case 'a':
		fa->all = true;
		return 0;
	case 'L':
		return cmd_num(v, 3600, "--lease-ttl must be 1 .. 3600", &fa->lease_ttl) ? CMD_BAD
		                                                                         : 0;
	default:
		return cmd_num(v, 86400, "--timeout must be 1 .. 86400", &fa->timeout) ? CMD_BAD
		                                                                       : 0;
	}
}

/* The options of a verb (allowed: F_*), then n positional arguments into want. */
static int fleet_opts(const struct cmd *c, int argc, char **argv, struct fleet_args *fa,
                      unsigned allowed, const char **want, int n)
{
	static const struct option opts[] = {
	    {"etcd", required_argument, NULL, 'e'},
	    {"prefix", required_argument, NULL, 'P'},
	    {"cacert", required_argument, NULL, 'C'},
	    {"cert", required_argument, NULL, 'c'},
	    {"key", required_argument, NULL, 'k'},
	    {"host", required_argument, NULL, 'H'},
	    {"lease-ttl", required_argument, NULL, 'L'},
	    {"timeout", required_argument, NULL, 't'},
	    {"json", no_argument, NULL, 'j'},
	    {"all", no_argument, NULL, 'a'},
	    CMD_OPT_HELP,
	    {},
	};
	const char *env = getenv("STT_ETCD");
	int o;

	fa->fc.o.url = env && *env ? env : "http://127.0.0.1:2379";
	fa->fc.prefix = FLEET_PREFIX_DEFAULT;
	fa->lease_ttl = 10;
	fa->timeout = 30;
	while ((o = cmd_getopt(c, argc, argv, "jh", opts)) != -1) {
		if (o == CMD_HELP || o == CMD_BAD)
			return o;
		if (o == 'j')
			g_opts.json = true;
		else if (fleet_opt(c, fa, o, optarg, argv[optind - 1], allowed))
			return CMD_BAD;
	}
	if (cmd_args(c, argc, argv, want, n))
		return CMD_BAD;
	if (fa->fc.prefix[0] != '/' || strlen(fa->fc.prefix) > 64 ||
	    fa->fc.prefix[strlen(fa->fc.prefix) - 1] == '/')
		return cmd_bad(c, "fleet: --prefix must start with '/', not end with one, 64 bytes "
		                  "at most"),
		       CMD_BAD;
	return 0;
}

static int fleet_connect(struct fleet_args *fa)
{
	char err[256];

	fa->fc.e = etcd_new(&fa->fc.o, err, sizeof(err));
	if (!fa->fc.e) {
		err_msg("fleet: %s: %s", fa->fc.o.url, err);
		return -1;
	}
	return 0;
}

static int fleet_agent(const struct cmd *c, int argc, char **argv)
{
	struct fleet_args fa = {0};
	char name[FLEET_NAME_MAX + 2] = "";
	int rc = fleet_opts(c, argc, argv, &fa, F_HOST | F_TTL, NULL, 0);

	if (rc)
		return rc == CMD_HELP ? 0 : 1;
	if (!fa.host) {
		if (gethostname(name, sizeof(name)) || !fleet_name_ok(name)) {
			err_msg(
			    "fleet agent: the host name is not usable in the schema: give --host");
			return 1;
		}
		fa.host = name;
	}
	if (fleet_connect(&fa))
		return 1;
	rc = fleet_agent_run(&fa.fc, fa.host, (long)fa.lease_ttl);
	etcd_free(fa.fc.e);
	return rc;
}

/* Every host: a spec key, a status, or both; {"host": {"spec": bool, "status": {...}}}. */
static struct json_object *fleet_hosts(struct fleet_args *fa, int64_t *rev)
{
	struct json_object *hosts = json_object_new_object();
	struct etcd_kvs kvs = {0};
	char p[FLEET_KEY_MAX], err[256];

	for (int part = 0; part < 2; part++) {
		snprintf(p, sizeof(p), "%s/%s/", fa->fc.prefix, part ? "status" : "spec/host");
		if (etcd_range_prefix(fa->fc.e, p, 0, &kvs, err, sizeof(err))) {
			err_msg("fleet: cannot read %s from %s: %s", p, fa->fc.o.url, err);
			json_object_put(hosts);
			return NULL;
		}
		*rev = kvs.revision;
		for (size_t i = 0; i < kvs.n; i++) {
			const char *name = kvs.v[i].key + strlen(p);
			struct json_object *h, *st;

			if (!fleet_name_ok(name))
				continue;
			if (!json_object_object_get_ex(hosts, name, &h)) {
				h = json_object_new_object();
				json_object_object_add(h, "spec", json_object_new_boolean(false));
				json_object_object_add(hosts, name, h);
			}
			if (!part) {
				json_object_object_add(h, "spec", json_object_new_boolean(true));
				continue;
			}
			st = kvs.v[i].value_len < FLEET_VALUE_MAX
			         ? json_tokener_parse(kvs.v[i].value)
			         : NULL;
			if (st && !json_object_is_type(st, json_type_object)) {
				json_object_put(st);
				st = NULL;
			}
			json_object_object_add(h, "status",
			                       st ? st : json_object_new_string("not valid JSON"));
		}
		etcd_kvs_free(&kvs);
	}
	return hosts;
}

static int64_t st_int(struct json_object *st, const char *k)
{
	struct json_object *v;

	return st && json_object_object_get_ex(st, k, &v) ? json_object_get_int64(v) : -1;
}

static const char *st_str(struct json_object *st, const char *k)
{
	struct json_object *v;

	return st && json_object_object_get_ex(st, k, &v) ? json_object_get_string(v) : "-";
}

static void status_details(const char *name, struct json_object *st)
{
	static const char *const kinds[] = {"pending", "errors"};
	struct json_object *m;

	for (int i = 0; i < 2; i++) {
		if (!st || !json_object_object_get_ex(st, kinds[i], &m) ||
		    !json_object_is_type(m, json_type_object))
			continue;
		json_object_object_foreach(m, key, why)
		    printf("  %s %s %s: %s\n", name, i ? "error" : "pending", key,
		           json_object_get_string(why));
	}
	if (st && json_object_object_get_ex(st, "failure", &m))
		printf("  %s failure: %s\n", name, json_object_get_string(m));
}

static int fleet_status(const struct cmd *c, int argc, char **argv)
{
	struct fleet_args fa = {0};
	struct json_object *hosts, *out;
	int64_t rev = 0;
	int rc = fleet_opts(c, argc, argv, &fa, 0, NULL, 0);

	if (rc)
		return rc == CMD_HELP ? 0 : 1;
	if (fleet_connect(&fa))
		return 1;
	hosts = fleet_hosts(&fa, &rev);
	etcd_free(fa.fc.e);
	if (!hosts)
		return 1;
	if (g_opts.json) {
		out = json_object_new_object();
		json_object_object_add(out, "revision", json_object_new_int64(rev));
		json_object_object_add(out, "hosts", hosts);
		return json_out(out) ? 1 : 0;
	}
	printf("etcd revision %lld\n", (long long)rev);
	printf("%-20s %-6s %-9s %-10s %8s %8s %7s\n", "HOST", "AGENT", "REVISION", "STATE",
	       "CONTEXTS", "PENDING", "ERRORS");
	json_object_object_foreach(hosts, name, h)
	{
		struct json_object *st = NULL, *m;
		size_t np = 0, ne = 0;

		json_object_object_get_ex(h, "status", &st);
		if (st && !json_object_is_type(st, json_type_object))
			st = NULL;
		if (st && json_object_object_get_ex(st, "pending", &m))
			np = json_object_object_length(m);
		if (st && json_object_object_get_ex(st, "errors", &m))
			ne = json_object_object_length(m);
		printf("%-20s %-6s %-9lld %-10s %8lld %8zu %7zu\n", name, st ? "up" : "down",
		       (long long)st_int(st, "revision"), st_str(st, "state"),
		       (long long)st_int(st, "contexts"), np, ne);
	}
	json_object_object_foreach(hosts, n2, h2)
	{
		struct json_object *st = NULL;

		json_object_object_get_ex(h2, "status", &st);
		status_details(n2, json_object_is_type(st, json_type_object) ? st : NULL);
	}
	json_object_put(hosts);
	return 0;
}

/* The hosts that have not applied rev, as "h1 (at 41), h2 (no agent)"; empty if none. */
static void lagging(struct json_object *hosts, struct json_object *only, int64_t rev, char *buf,
                    size_t len, size_t *n)
{
	size_t used = 0;

	buf[0] = 0;
	*n = 0;
	json_object_object_foreach(hosts, name, h)
	{
		struct json_object *st = NULL;
		int64_t r;

		if (only && !json_object_object_get_ex(only, name, NULL))
			continue;
		json_object_object_get_ex(h, "status", &st);
		if (st && !json_object_is_type(st, json_type_object))
			st = NULL;
		r = st_int(st, "revision");
		if (st && r >= rev)
			continue;
		(*n)++;
		if (used < len)
			used += st ? snprintf(buf + used, len - used, "%s%s (at %lld)",
			                      used ? ", " : "", name, (long long)r)
			           : snprintf(buf + used, len - used, "%s%s (no agent)",
			                      used ? ", " : "", name);
	}
}

/* The keys a watch from rev saw changed at rev itself. */
struct at_rev {
	int64_t rev;
	struct json_object *keys; /* key (relative to spec/) -> true */
	size_t prefix_len;
};

/* etcd sends one revision's events in one response: the first response is the answer. */
static int at_rev_cb(void *arg, const struct etcd_event *ev, size_t n, int64_t header_rev)
{
	struct at_rev *r = arg;

	for (size_t i = 0; i < n; i++)
		if (ev[i].kv.mod_revision == r->rev && strlen(ev[i].kv.key) > r->prefix_len)
			json_object_object_add(r->keys, ev[i].kv.key + r->prefix_len,
			                       json_object_new_boolean(1));
	return 1;
}

static void add_name(struct json_object *set, const char *name)
{
	json_object_object_add(set, name, json_object_new_boolean(1));
}

/*
 * The hosts a change at rev concerns: the hosts its keys name and those serving the
 * contexts its keys name (or that a named host serves). NULL: all hosts (the revision is
 * compacted, or etcd did not say).
 */
static struct json_object *affected_hosts(struct fleet_args *fa, int64_t rev)
{
	struct at_rev r = {.rev = rev, .keys = json_object_new_object()};
	struct json_object *hosts = NULL, *ctxs = json_object_new_object();
	struct etcd_kvs kvs = {0};
	struct etcd_watch *w = NULL;
	char p[FLEET_KEY_MAX], err[256];
	int64_t crev;

	snprintf(p, sizeof(p), "%s/spec/", fa->fc.prefix);
	r.prefix_len = strlen(p);
	/* The spec as it was at rev: what was put at rev has that mod_revision. */
	if (etcd_range_prefix(fa->fc.e, p, rev, &kvs, err, sizeof(err)))
		goto out; /* compacted, or not yet written */
	for (size_t i = 0; i < kvs.n; i++)
		if (kvs.v[i].mod_revision == rev && strlen(kvs.v[i].key) > r.prefix_len)
			add_name(r.keys, kvs.v[i].key + r.prefix_len);
	/* Nothing put: a delete at rev, which only a watch from rev shows (within 100 ms). */
	if (!json_object_object_length(r.keys)) {
		w = etcd_watch_start(fa->fc.e, p, rev, err, sizeof(err));
		if (w)
			etcd_watch_poll(w, 1000, at_rev_cb, &r, &crev, err, sizeof(err));
	}
	if (!json_object_object_length(r.keys))
		goto out; /* no spec change at rev: every host */
	hosts = json_object_new_object();
	/* What the changed keys name ... */
	json_object_object_foreach(r.keys, key, v)
	{
		struct fleet_key k;

		(void)v;
		if (fleet_key_split(key, &k, NULL, 0))
			continue;
		if (!strcmp(k.kind, "host") || !strcmp(k.kind, "vport"))
			add_name(hosts, k.a);
		if (!strcmp(k.kind, "context") || !strcmp(k.kind, "mac"))
			add_name(ctxs, k.a);
		if (!strcmp(k.kind, "vport"))
			add_name(ctxs, k.b);
	}
	/* ... the contexts a named host serves, then every member of those contexts. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < kvs.n; i++) {
			struct fleet_key k;

			if (fleet_key_split(kvs.v[i].key + r.prefix_len, &k, NULL, 0) ||
			    strcmp(k.kind, "vport"))
				continue;
			if (!pass && json_object_object_get_ex(hosts, k.a, NULL))
				add_name(ctxs, k.b);
			if (pass && json_object_object_get_ex(ctxs, k.b, NULL))
				add_name(hosts, k.a);
		}
	}
out:
	etcd_watch_stop(w);
	etcd_kvs_free(&kvs);
	json_object_put(r.keys);
	json_object_put(ctxs);
	return hosts;
}

static int fleet_wait(const struct cmd *c, int argc, char **argv)
{
	struct fleet_args fa = {0};
	const char *revs = NULL;
	unsigned long rev;
	char late[1024] = "";
	size_t n = 0, total = 0;
	struct json_object *only = NULL;
	int rc = fleet_opts(c, argc, argv, &fa, F_TIMEOUT | F_ALL, &revs, 1);
	time_t end;

	if (rc)
		return rc == CMD_HELP ? 0 : 1;
	if (!revs || parse_uint(revs, (unsigned long)INT64_MAX, &rev) || !rev)
		return cmd_bad(c, "fleet wait: REV must be a revision (1 .. 2^63-1)");
	if (fleet_connect(&fa))
		return 1;
	end = time(NULL) + (time_t)fa.timeout;
	only = fa.all ? NULL : affected_hosts(&fa, (int64_t)rev);
	for (;;) {
		int64_t now_rev;
		struct json_object *hosts = fleet_hosts(&fa, &now_rev);

		if (hosts) {
			lagging(hosts, only, (int64_t)rev, late, sizeof(late), &n);
			total = only ? json_object_object_length(only)
			             : json_object_object_length(hosts);
			json_object_put(hosts);
		}
		if (hosts && !n) {
			printf("revision %lu applied by %zu host%s\n", rev, total,
			       total == 1 ? "" : "s");
			json_object_put(only);
			etcd_free(fa.fc.e);
			return 0;
		}
		if (time(NULL) >= end)
			break;
		usleep(WAIT_POLL_US);
	}
	err_msg("fleet wait: revision %lu not applied after %lu s by %zu host%s: %s", rev,
	        fa.timeout, n, n == 1 ? "" : "s", late[0] ? late : "etcd unreachable");
	json_object_put(only);
	etcd_free(fa.fc.e);
	return 1;
}

static const struct cmd fleet_verbs[] = {
    {.name = "agent", .run = fleet_agent},
    {.name = "status", .alias = "show", .run = fleet_status},
    {.name = "wait", .run = fleet_wait},
    {},
};

const struct cmd cmd_fleet = {
    .name = "fleet",
    .synopsis = "fleet agent [--host NAME] [--lease-ttl SECS] [ETCD OPTIONS]\n"
                "fleet status [ETCD OPTIONS]\n"
                "fleet wait REV [--all] [--timeout SECS] [ETCD OPTIONS]\n"
                " ETCD OPTIONS: [--etcd URL] [--prefix P] [--cacert F] [--cert F --key F]",
    .help = fleet_help,
    .sub = fleet_verbs,
};

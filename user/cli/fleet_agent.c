// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * sttctl fleet agent: this host's share of the fleet's desired state (docs/FLEET.md), kept
 * applied. One read of PREFIX/spec/ at one revision, then a watch from the next revision,
 * so no change falls between the two; changes are coalesced and the whole plan applied
 * through the apply engine (apply_job.c), which installs only the difference. A compacted
 * or broken watch means a full re-read, after a backoff with jitter. Status goes to
 * PREFIX/status/HOST under a lease, so that a dead agent's status disappears. While etcd
 * is away nothing is touched: the datapath runs on the last state.
 */
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "apply_engine.h"
#include "fleet_cli.h"

/* Changes closer than this are applied together; a burst waits at most COALESCE_MAX_MS. */
#define COALESCE_QUIET_MS 10
#define COALESCE_MAX_MS   100
#define BACKOFF_MIN_MS    100
#define BACKOFF_MAX_MS    5000
/* While something is pending (an interface not there yet), the plan is made again this often. */
#define PENDING_RECHECK_MS 1000
/*
 * A change that does not concern this host (another context's MAC) still moves the revision
 * it reports, but that status is written at most this often: it is what fleet wait --all
 * reads, while fleet wait REV waits only for the hosts REV concerns, whose status goes at once.
 */
#define STATUS_IDLE_MS 1000

static volatile sig_atomic_t agent_stop;

static void on_signal(int sig)
{
	(void)sig;
	agent_stop = 1;
}

/* The agent's log: standard error, a line per event (the journal, under systemd). */
__attribute__((format(printf, 1, 2))) static void agent_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("sttctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

struct agent {
	struct fleet_conn *fc;
	const char *host;
	long lease_ttl;
	char spec_prefix[FLEET_KEY_MAX], status_key[FLEET_KEY_MAX];
	struct fleet_spec spec;
	struct etcd_watch *w;
	int64_t rev;     /* the revision of the spec held */
	int64_t applied; /* the revision whose plan is installed (0: none yet) */
	bool dirty, status_dirty;
	uint64_t first_change, last_change, last_converge;
	char *status_last;             /* the last status written, without its time */
	bool status_urgent, concerned; /* concerned: a change since the last apply names us */
	uint64_t status_put;           /* when the status was last written */
	int64_t lease;
	uint64_t next_keepalive;
	unsigned backoff;
	/* The last plan's outcome, for the status. */
	const char *state;
	size_t changes;
	struct fleet_plan plan;
	char failure[512];
};

static bool if_exists(const char *ifname)
{
	return if_nametoindex(ifname) != 0;
}

static unsigned jitter(unsigned ms)
{
	return ms / 2 + (unsigned)random() % (ms / 2 + 1);
}

/* Wait out a backoff (jittered, doubling up to BACKOFF_MAX_MS) unless told to stop. */
static void backoff(struct agent *a)
{
	uint64_t until = now_ms() + jitter(a->backoff);

	while (!agent_stop && now_ms() < until)
		usleep(20000);
	a->backoff = a->backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : a->backoff * 2;
}

static const char *rel_key(const struct agent *a, const char *key)
{
	size_t n = strlen(a->spec_prefix);

	return strncmp(key, a->spec_prefix, n) ? NULL : key + n;
}

/* The whole spec at one revision: the spec replaced, or -1 (kept as it was). */
static int full_read(struct agent *a)
{
	struct etcd_kvs kvs = {0};
	char err[256];

	if (etcd_range_prefix(a->fc->e, a->spec_prefix, 0, &kvs, err, sizeof(err))) {
		agent_log("fleet: cannot read %s: %s", a->spec_prefix, err);
		return -1;
	}
	fleet_spec_free(&a->spec);
	fleet_spec_init(&a->spec);
	for (size_t i = 0; i < kvs.n; i++) {
		const char *k = rel_key(a, kvs.v[i].key);

		if (k)
			fleet_spec_put(&a->spec, k, kvs.v[i].value, kvs.v[i].value_len);
	}
	a->rev = kvs.revision;
	a->concerned = true; /* a whole new spec: anything may have changed */
	etcd_kvs_free(&kvs);
	return 0;
}

/* Whether a changed key (relative) concerns this host: as fleet wait decides (cmd_fleet.c). */
static bool concerns_us(const struct agent *a, const char *key)
{
	struct json_object *served;
	struct fleet_key k;
	char v[FLEET_KEY_MAX];

	if (fleet_key_split(key, &k, NULL, 0) || !strcmp(k.kind, "host"))
		return true; /* a host key is rare, and its members are not known here */
	if (!strcmp(k.kind, "vport") && !strcmp(k.a, a->host))
		return true;
	if (!json_object_object_get_ex(a->plan.src, "vports", &served))
		return false;
	/* The contexts served are those of the plan's vport keys, vport/HOST/ID. */
	snprintf(v, sizeof(v), "vport/%s/%s", a->host, strcmp(k.kind, "vport") ? k.a : k.b);
	for (size_t i = 0; i < json_object_array_length(served); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(served, i)), v))
			return true;
	return false;
}

static int on_events(void *arg, const struct etcd_event *ev, size_t n, int64_t header_rev)
{
	struct agent *a = arg;

	for (size_t i = 0; i < n; i++) {
		const char *k = rel_key(a, ev[i].kv.key);

		if (k && !a->concerned)
			a->concerned = concerns_us(a, k);
		if (k && ev[i].type == ETCD_EV_PUT)
			fleet_spec_put(&a->spec, k, ev[i].kv.value, ev[i].kv.value_len);
		else if (k)
			fleet_spec_del(&a->spec, k);
		if (ev[i].kv.mod_revision > a->rev)
			a->rev = ev[i].kv.mod_revision;
		else if (!ev[i].kv.mod_revision && header_rev > a->rev)
			a->rev = header_rev;
	}
	if (!a->dirty)
		a->first_change = now_ms();
	a->last_change = now_ms();
	a->dirty = true;
	return 0;
}

/* The apply's check of a plan (fleet_check): the whole document, and against the system. */
static const struct ap_errs *job_check(void *arg, const char *doc)
{
	struct apply_job *j = arg;

	ap_job_free(j);
	ap_job_init(j, apply_attach, apply_detach);
	return ap_job_check(j, doc, strlen(doc)) ? &j->errs : NULL;
}

/* The plan applied: 0, or -1 with a->failure (nothing changed, or all of it undone). */
static int apply_plan(struct agent *a)
{
	struct apply_job j;
	int rc = -1;

	ap_job_init(&j, apply_attach, apply_detach);
	if (fleet_plan_accepted(&a->spec, a->host, if_exists, job_check, &j, &a->plan, a->failure,
	                        sizeof(a->failure)) == 0 &&
	    ap_job_plan(&j) == 0) {
		a->changes = j.ops.n;
		rc = ap_job_run(&j);
		if (rc)
			snprintf(a->failure, sizeof(a->failure),
			         "apply failed: the state is back to the last one");
	}
	ap_job_free(&j);
	return rc;
}

static void status_changed(struct agent *a);

/* Make this host's datapath what the spec at a->rev says. */
static void converge(struct agent *a, bool recheck)
{
	int rc = -1;

	a->dirty = false;
	a->failure[0] = 0;
	a->changes = 0;
	/*
	 * Changes that concern no context here (another context's MACs or members) cannot change
	 * this host's plan: the applied revision moves without planning again. That is most
	 * changes in a large fleet, and planning was most of an agent's time per change.
	 */
	if (!recheck && !a->concerned && a->applied && a->state && !strcmp(a->state, "converged")) {
		a->applied = a->rev;
		a->last_converge = now_ms();
		status_changed(a);
		return;
	}
	rc = apply_plan(a);
	if (rc == 0) {
		a->applied = a->rev;
		a->state = json_object_object_length(a->plan.errors.o)    ? "degraded"
		           : json_object_object_length(a->plan.pending.o) ? "pending"
		                                                          : "converged";
		if (!recheck || a->changes)
			agent_log("fleet: revision %lld applied: %zu change%s", (long long)a->rev,
			          a->changes, a->changes == 1 ? "" : "s");
	} else {
		a->state = "failed";
		agent_log("fleet: revision %lld not applied: %s", (long long)a->rev, a->failure);
	}
	a->last_converge = now_ms();
	status_changed(a);
}

static struct json_object *status_json(const struct agent *a, bool with_time)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "version", json_object_new_int(FLEET_VERSION));
	json_object_object_add(o, "host", json_object_new_string(a->host));
	json_object_object_add(o, "revision", json_object_new_int64(a->applied));
	json_object_object_add(o, "seen", json_object_new_int64(a->rev));
	json_object_object_add(o, "state", json_object_new_string(a->state));
	json_object_object_add(o, "changes", json_object_new_int64(a->changes));
	json_object_object_add(o, "contexts", json_object_new_int64(a->plan.contexts));
	json_object_object_add(o, "pending", json_object_get(a->plan.pending.o));
	json_object_object_add(o, "errors", json_object_get(a->plan.errors.o));
	if (a->failure[0])
		json_object_object_add(o, "failure", json_object_new_string(a->failure));
	if (with_time)
		json_object_object_add(o, "time", json_object_new_int64(time(NULL)));
	return o;
}

/* The status is written again only when what it says changed (a recheck changes nothing). */
static void status_changed(struct agent *a)
{
	struct json_object *o = status_json(a, false);
	const char *v = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);

	if (!a->status_last || strcmp(a->status_last, v)) {
		/* More than the revision moved (state, pending, errors, changes): at once. */
		a->status_urgent |=
		    a->concerned || a->changes || !a->status_last ||
		    strcmp(strstr(a->status_last, "\"state\""), strstr(v, "\"state\""));
		free(a->status_last);
		a->status_last = strdup(v);
		a->status_dirty = true;
	}
	a->concerned = false;
	json_object_put(o);
}

/* The lease kept alive (a new one if it expired) and the status written when it changed. */
static void keep_status(struct agent *a)
{
	char err[256];
	long ttl = 0;

	if (a->lease && now_ms() >= a->next_keepalive) {
		if (etcd_lease_keepalive(a->fc->e, a->lease, &ttl, err, sizeof(err)))
			return; /* etcd away: try again at the next tick */
		a->next_keepalive = now_ms() + a->lease_ttl * 1000 / 3;
		if (ttl <= 0) {
			a->lease = 0; /* expired while etcd was away: the status went with it */
			a->status_dirty = true;
		}
	}
	if (!a->lease) {
		if (etcd_lease_grant(a->fc->e, a->lease_ttl, &a->lease, err, sizeof(err)))
			return;
		a->next_keepalive = now_ms() + a->lease_ttl * 1000 / 3;
		a->status_dirty = true;
	}
	if (a->status_dirty && a->state &&
	    (a->status_urgent || now_ms() - a->status_put >= STATUS_IDLE_MS)) {
		struct json_object *o = status_json(a, true);
		const char *v = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);

		if (etcd_put(a->fc->e, a->status_key, v, strlen(v), a->lease, NULL, err,
		             sizeof(err)) == 0) {
			a->status_dirty = a->status_urgent = false;
			a->status_put = now_ms();
		}
		json_object_put(o);
	}
}

/* A full re-read, then a watch from the revision after it, then an apply; until it works. */
static void resync(struct agent *a)
{
	char err[256];

	etcd_watch_stop(a->w);
	a->w = NULL;
	while (!agent_stop) {
		if (full_read(a) == 0) {
			a->w = etcd_watch_start(a->fc->e, a->spec_prefix, a->rev + 1, err,
			                        sizeof(err));
			if (a->w) {
				a->backoff = BACKOFF_MIN_MS;
				converge(a, false);
				return;
			}
			agent_log("fleet: cannot watch %s: %s", a->spec_prefix, err);
		}
		backoff(a);
	}
}

/* One wait on the watch; changes applied once they stop coming (or have waited enough). */
static void agent_step(struct agent *a)
{
	int64_t crev = 0;
	char err[256] = "";
	int rc = etcd_watch_poll(a->w, a->dirty ? COALESCE_QUIET_MS : 250, on_events, a, &crev, err,
	                         sizeof(err));
	uint64_t t;

	if (rc == ETCD_WATCH_COMPACTED) {
		agent_log("fleet: revision %lld compacted (now %lld): reading everything again",
		          (long long)a->rev + 1, (long long)crev);
	} else if (rc != ETCD_WATCH_OK) {
		agent_log("fleet: watch lost (%s): reading everything again",
		          err[0] ? err : "canceled");
		backoff(a);
	}
	if (rc != ETCD_WATCH_OK) {
		resync(a);
		return;
	}
	t = now_ms();
	if (a->dirty &&
	    (t - a->last_change >= COALESCE_QUIET_MS || t - a->first_change >= COALESCE_MAX_MS))
		converge(a, false);
	else if (!a->dirty && json_object_object_length(a->plan.pending.o) &&
	         t - a->last_converge >= PENDING_RECHECK_MS)
		converge(a, true); /* an interface may have come */
	keep_status(a);
}

int fleet_agent_run(struct fleet_conn *fc, const char *host, long lease_ttl)
{
	struct agent a = {
	    .fc = fc, .host = host, .lease_ttl = lease_ttl, .backoff = BACKOFF_MIN_MS};
	struct sigaction sa = {.sa_handler = on_signal};
	char err[256];

	snprintf(a.spec_prefix, sizeof(a.spec_prefix), "%s/spec/", fc->prefix);
	snprintf(a.status_key, sizeof(a.status_key), "%s/status/%s", fc->prefix, host);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	srandom((unsigned)getpid() ^ (unsigned)time(NULL));
	fleet_spec_init(&a.spec);
	agent_log("fleet: agent of host %s, %s, %s", host, fc->o.url, a.spec_prefix);
	resync(&a);
	while (!agent_stop)
		agent_step(&a);
	/* A stopped agent applies nothing more: its status goes now, not at the lease's end. */
	if (a.lease)
		etcd_lease_revoke(fc->e, a.lease, err, sizeof(err));
	etcd_watch_stop(a.w);
	fleet_plan_free(&a.plan);
	fleet_spec_free(&a.spec);
	free(a.status_last);
	return 0;
}

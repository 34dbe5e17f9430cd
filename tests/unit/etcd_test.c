// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Tests of the etcd client (user/lib/etcd.c) against real etcd servers that the test starts
 * itself (etcd from Debian's package, in /usr/bin): key-value calls with binary values,
 * revisions, prefixes, leases, watches (live, replayed, compacted, a killed server), TLS with
 * a client certificate; and the reply parsers fed hostile JSON directly. No root.
 *
 * Every etcd runs with its data under one temporary directory in /dev/shm, on free ports from
 * 23790 up; it dies with the test (PR_SET_PDEATHSIG), and the directory goes at exit, on a
 * signal and on a crash. `etcd_test -v` shows the error strings the client returned.
 */
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "test.h"
#include "etcd.h"

#define MAX_PROCS 4

struct server {
	pid_t pid;
	char dir[192];
	char url[64];
};

static char topdir[64];
static pid_t pids[MAX_PROCS];
static int next_port = 23790;
static char err[512];
static struct server main_srv;
static struct etcd *E; /* the client of main_srv */

/* A test step that returns 0 or -1 with err: on failure, the error string is shown. */
#define CALL_OK(expr, name)                                                                        \
	({                                                                                         \
		err[0] = 0;                                                                        \
		bool ___ok = (expr) == 0;                                                          \
		if (!___ok)                                                                        \
			test_fail(__FILE__, __LINE__, "%s: %s failed: %s", (name), #expr, err);    \
		___ok;                                                                             \
	})

static long long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* ---- servers ---- */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void cleanup(void)
{
	for (int i = 0; i < MAX_PROCS; i++)
		if (pids[i] > 0) {
			kill(pids[i], SIGKILL);
			waitpid(pids[i], NULL, 0);
			pids[i] = 0;
		}
	if (topdir[0])
		nftw(topdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	topdir[0] = 0;
}

/* A signal or a crash: only async-signal-safe calls (kill, fork, execv, waitpid). */
static void on_signal(int sig)
{
	pid_t rm;

	for (int i = 0; i < MAX_PROCS; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGKILL);
	if (topdir[0]) {
		rm = fork();
		if (rm == 0) {
			char *argv[] = {"/bin/rm", "-rf", topdir, NULL};

			execv(argv[0], argv);
			_exit(127);
		}
		if (rm > 0)
			waitpid(rm, NULL, 0);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static bool port_free(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof(a));
	if (fd >= 0)
		close(fd);
	return ok;
}

static int free_port(void)
{
	while (next_port < 24790)
		if (port_free(next_port++))
			return next_port - 1;
	return -1;
}

static void exec_etcd(const char *dir, const char *curl, const char *purl, const char *tls)
{
	char log[256], ca[256], crt[256], key[256], peer[128];
	int fd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	snprintf(log, sizeof(log), "%s/etcd.log", dir);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	snprintf(peer, sizeof(peer), "default=%s", purl);
	if (!tls)
		execlp("etcd", "etcd", "--data-dir", dir, "--listen-client-urls", curl,
		       "--advertise-client-urls", curl, "--listen-peer-urls", purl,
		       "--initial-advertise-peer-urls", purl, "--initial-cluster", peer, NULL);
	snprintf(ca, sizeof(ca), "%s/ca.crt", tls);
	snprintf(crt, sizeof(crt), "%s/server.crt", tls);
	snprintf(key, sizeof(key), "%s/server.key", tls);
	execlp("etcd", "etcd", "--data-dir", dir, "--listen-client-urls", curl,
	       "--advertise-client-urls", curl, "--listen-peer-urls", purl,
	       "--initial-advertise-peer-urls", purl, "--initial-cluster", peer, "--cert-file", crt,
	       "--key-file", key, "--client-cert-auth", "--trusted-ca-file", ca, NULL);
	_exit(127);
}

/* Starts etcd (TLS with the certificates in tls/ when tls is set) and waits until it serves. */
static bool start_etcd(struct server *s, const char *name, const char *tls,
                       const struct etcd_opts *ready_opts)
{
	int cport = free_port(), pport = free_port(), slot = -1, st;
	char purl[64];
	struct etcd_opts o = ready_opts ? *ready_opts : (struct etcd_opts){0};
	struct etcd_kvs kvs;
	long long deadline = ms_now() + 20000;

	for (int i = 0; i < MAX_PROCS; i++)
		if (!pids[i] && slot < 0)
			slot = i;
	if (cport < 0 || pport < 0 || slot < 0)
		return false;
	snprintf(s->dir, sizeof(s->dir), "%s/%s", topdir, name);
	snprintf(s->url, sizeof(s->url), "%s://127.0.0.1:%d", tls ? "https" : "http", cport);
	snprintf(purl, sizeof(purl), "http://127.0.0.1:%d", pport);
	if (mkdir(s->dir, 0700))
		return false;
	s->pid = fork();
	if (s->pid == 0)
		exec_etcd(s->dir, s->url, purl, tls);
	if (s->pid < 0)
		return false;
	pids[slot] = s->pid;
	o.url = s->url;
	o.timeout_ms = 1000;
	while (ms_now() < deadline) {
		struct etcd *c = etcd_new(&o, err, sizeof(err));
		int rc = c ? etcd_get(c, "ready", &kvs, err, sizeof(err)) : -1;

		etcd_kvs_free(&kvs);
		etcd_free(c);
		if (!rc)
			return true;
		if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
			pids[slot] = 0;
			printf("# etcd %s exited; see its log (kept with -v)\n", name);
			return false;
		}
		usleep(100 * 1000);
	}
	printf("# etcd %s not ready: %s\n", name, err);
	return false;
}

static void stop_etcd(struct server *s)
{
	for (int i = 0; i < MAX_PROCS; i++)
		if (pids[i] == s->pid && s->pid > 0) {
			kill(s->pid, SIGKILL);
			waitpid(s->pid, NULL, 0);
			pids[i] = 0;
		}
	s->pid = 0;
}

/* ---- key-value calls ---- */

static const char binval[] = "a\0b\xff\xfe\x00\xff";

static void t_binary(void)
{
	struct etcd_kvs k = {0};
	int64_t rev = 0;
	char *big = malloc(ETCD_VALUE_MAX + 1);

	if (!CALL_OK(etcd_put(E, "bin/k", binval, sizeof(binval), 0, &rev, err, sizeof(err)),
	             "put binary") ||
	    !CALL_OK(etcd_get(E, "bin/k", &k, err, sizeof(err)), "get binary"))
		goto out;
	if (ASSERT_EQ(k.n, 1, "one kv")) {
		ASSERT_MEM_EQ(k.v[0].value, k.v[0].value_len, binval, sizeof(binval), "value");
		ASSERT_TRUE(!strcmp(k.v[0].key, "bin/k"), "key");
		ASSERT_EQ(k.v[0].value[k.v[0].value_len], 0, "NUL-terminated");
		ASSERT_EQ(k.v[0].mod_revision, rev, "mod_revision is the put's revision");
	}
	etcd_kvs_free(&k);
	/* An empty value (which the gateway leaves out) and a value of ETCD_VALUE_MAX bytes. */
	if (CALL_OK(etcd_put(E, "bin/empty", NULL, 0, 0, NULL, err, sizeof(err)), "put empty") &&
	    CALL_OK(etcd_get(E, "bin/empty", &k, err, sizeof(err)), "get empty") &&
	    ASSERT_EQ(k.n, 1, "empty exists"))
		ASSERT_EQ(k.v[0].value_len, 0, "empty value");
	etcd_kvs_free(&k);
	for (size_t i = 0; i < ETCD_VALUE_MAX + 1; i++)
		big[i] = (char)(i * 7 + (i >> 9));
	if (CALL_OK(etcd_put(E, "bin/big", big, ETCD_VALUE_MAX, 0, NULL, err, sizeof(err)),
	            "put 1 MiB") &&
	    CALL_OK(etcd_get(E, "bin/big", &k, err, sizeof(err)), "get 1 MiB") &&
	    ASSERT_EQ(k.n, 1, "big exists"))
		ASSERT_MEM_EQ(k.v[0].value, k.v[0].value_len, big, ETCD_VALUE_MAX, "1 MiB value");
	etcd_kvs_free(&k);
	ASSERT_EQ(etcd_put(E, "bin/big", big, ETCD_VALUE_MAX + 1, 0, NULL, err, sizeof(err)), -1,
	          "a value over 1 MiB is refused");
	ASSERT_EQ(etcd_put(E, "", "x", 1, 0, NULL, err, sizeof(err)), -1, "an empty key");
out:
	free(big);
}

static void t_missing(void)
{
	struct etcd_kvs k = {0};

	if (CALL_OK(etcd_get(E, "no/such/key", &k, err, sizeof(err)), "get missing")) {
		ASSERT_EQ(k.n, 0, "no kv");
		ASSERT_TRUE(k.revision > 0, "header revision");
		ASSERT_TRUE(!k.compacted, "not compacted");
	}
	etcd_kvs_free(&k);
}

static void t_revisions(void)
{
	int64_t r1 = 0, r2 = 0, r3 = 0;
	struct etcd_kvs k = {0};

	if (!CALL_OK(etcd_put(E, "rev/a", "1", 1, 0, &r1, err, sizeof(err)), "put 1") ||
	    !CALL_OK(etcd_put(E, "rev/a", "2", 1, 0, &r2, err, sizeof(err)), "put 2") ||
	    !CALL_OK(etcd_put(E, "rev/b", "3", 1, 0, &r3, err, sizeof(err)), "put 3"))
		return;
	ASSERT_TRUE(r1 > 0 && r2 == r1 + 1 && r3 == r2 + 1, "each put is the next revision");
	if (CALL_OK(etcd_get(E, "rev/a", &k, err, sizeof(err)), "get") && ASSERT_EQ(k.n, 1, "kv")) {
		ASSERT_EQ(k.v[0].create_revision, r1, "create_revision");
		ASSERT_EQ(k.v[0].mod_revision, r2, "mod_revision");
		ASSERT_EQ(k.v[0].version, 2, "version");
		ASSERT_EQ(k.revision, r3, "header revision");
	}
	etcd_kvs_free(&k);
}

static bool has(const struct etcd_kvs *k, size_t i, const char *key, const char *val)
{
	return i < k->n && !strcmp(k->v[i].key, key) && k->v[i].value_len == strlen(val) &&
	       !memcmp(k->v[i].value, val, strlen(val));
}

static void t_range(void)
{
	const char *keys[] = {"p", "p/a", "p/b", "p/c", "p0", "q\xff\x01", "q\xff", "r"};
	struct etcd_kvs k = {0};
	int64_t rev = 0, before = 0;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!CALL_OK(
		        etcd_put(E, keys[i], keys[i], strlen(keys[i]), 0, &rev, err, sizeof(err)),
		        "put"))
			return;
	before = rev;
	if (!CALL_OK(etcd_put(E, "p/b", "new", 3, 0, &rev, err, sizeof(err)), "put again"))
		return;
	if (CALL_OK(etcd_range_prefix(E, "p/", 0, &k, err, sizeof(err)), "range p/") &&
	    ASSERT_EQ(k.n, 3, "three keys under p/")) {
		ASSERT_TRUE(has(&k, 0, "p/a", "p/a") && has(&k, 1, "p/b", "new") &&
		                has(&k, 2, "p/c", "p/c"),
		            "keys in order with their values");
		ASSERT_EQ(k.revision, rev, "header revision");
	}
	etcd_kvs_free(&k);
	if (CALL_OK(etcd_range_prefix(E, "p/", before, &k, err, sizeof(err)), "range at rev") &&
	    ASSERT_EQ(k.n, 3, "three keys then"))
		ASSERT_TRUE(has(&k, 1, "p/b", "p/b"), "the old value at the old revision");
	etcd_kvs_free(&k);
	/* A prefix ending in 0xff: its range ends at "r", which it excludes. */
	if (CALL_OK(etcd_range_prefix(E, "q\xff", 0, &k, err, sizeof(err)), "range q\\xff") &&
	    ASSERT_EQ(k.n, 2, "two keys under q\\xff"))
		ASSERT_TRUE(has(&k, 0, "q\xff", "q\xff") && has(&k, 1, "q\xff\x01", "q\xff\x01"),
		            "q\\xff keys");
	etcd_kvs_free(&k);
	if (CALL_OK(etcd_range_prefix(E, "", 0, &k, err, sizeof(err)), "range everything"))
		ASSERT_TRUE(k.n >= 8, "every key");
	etcd_kvs_free(&k);
	ASSERT_EQ(etcd_range_prefix(E, "p/", rev + 100, &k, err, sizeof(err)), -1,
	          "a future revision fails");
	ASSERT_TRUE(!k.compacted, "and is not 'compacted'");
	test_note("future revision: %s", err);
}

static void t_delete(void)
{
	struct etcd_kvs k = {0};
	int64_t rev = 0, rev2 = 0;

	if (!CALL_OK(etcd_delete(E, "p/", true, &rev, err, sizeof(err)), "delete prefix p/"))
		return;
	ASSERT_TRUE(rev > 0, "revision of the delete");
	if (CALL_OK(etcd_range_prefix(E, "p", 0, &k, err, sizeof(err)), "range p"))
		ASSERT_TRUE(k.n == 2 && has(&k, 0, "p", "p") && has(&k, 1, "p0", "p0"),
		            "only p and p0 are left");
	etcd_kvs_free(&k);
	if (CALL_OK(etcd_delete(E, "p0", false, &rev2, err, sizeof(err)), "delete p0"))
		ASSERT_EQ(rev2, rev + 1, "the next revision");
	if (CALL_OK(etcd_delete(E, "p0", false, &rev2, err, sizeof(err)), "delete p0 again"))
		ASSERT_EQ(rev2, rev + 1, "nothing deleted: the revision stays");
	if (CALL_OK(etcd_get(E, "p", &k, err, sizeof(err)), "get p"))
		ASSERT_EQ(k.n, 1, "p is still there");
	etcd_kvs_free(&k);
	ASSERT_EQ(etcd_delete(E, "", true, NULL, err, sizeof(err)), -1, "no delete of everything");
}

static void t_lease(void)
{
	struct etcd_kvs k = {0};
	int64_t id = 0;
	long ttl = -1;

	if (!CALL_OK(etcd_lease_grant(E, 30, &id, err, sizeof(err)), "grant") ||
	    !CALL_OK(etcd_put(E, "lease/k", "v", 1, id, NULL, err, sizeof(err)), "put with lease"))
		return;
	if (CALL_OK(etcd_get(E, "lease/k", &k, err, sizeof(err)), "get") && ASSERT_EQ(k.n, 1, "kv"))
		ASSERT_EQ(k.v[0].lease, id, "the kv's lease");
	etcd_kvs_free(&k);
	if (CALL_OK(etcd_lease_keepalive(E, id, &ttl, err, sizeof(err)), "keepalive"))
		ASSERT_TRUE(ttl > 20 && ttl <= 30, "TTL left");
	if (!CALL_OK(etcd_lease_revoke(E, id, err, sizeof(err)), "revoke"))
		return;
	if (CALL_OK(etcd_get(E, "lease/k", &k, err, sizeof(err)), "get after revoke"))
		ASSERT_EQ(k.n, 0, "the key went with its lease");
	etcd_kvs_free(&k);
	if (CALL_OK(etcd_lease_keepalive(E, id, &ttl, err, sizeof(err)), "keepalive after revoke"))
		ASSERT_EQ(ttl, 0, "a lease that is gone has TTL 0");
	CALL_OK(etcd_lease_revoke(E, id, err, sizeof(err)), "revoking a gone lease is fine");
	ASSERT_EQ(etcd_lease_grant(E, 0, &id, err, sizeof(err)), -1, "TTL 0 refused");
}

/* ---- watches ---- */

struct seen {
	int n, responses;
	struct {
		int type;
		char key[32];
		char val[32];
		size_t vlen;
		int64_t mod;
	} ev[16];
	int64_t last_header;
};

static int collect(void *arg, const struct etcd_event *ev, size_t n, int64_t header_rev)
{
	struct seen *s = arg;

	s->responses++;
	s->last_header = header_rev;
	for (size_t i = 0; i < n && s->n < 16; i++, s->n++) {
		s->ev[s->n].type = ev[i].type;
		snprintf(s->ev[s->n].key, sizeof(s->ev[s->n].key), "%s", ev[i].kv.key);
		s->ev[s->n].vlen = ev[i].kv.value_len < 32 ? ev[i].kv.value_len : 32;
		memcpy(s->ev[s->n].val, ev[i].kv.value, s->ev[s->n].vlen);
		s->ev[s->n].mod = ev[i].kv.mod_revision;
	}
	return 0;
}

/* Polls until want events came or ms passed; the last poll's result. */
static int wait_events(struct etcd_watch *w, struct seen *s, int want, int ms)
{
	long long deadline = ms_now() + ms;
	int rc = ETCD_WATCH_OK;

	while (s->n < want && ms_now() < deadline && rc == ETCD_WATCH_OK)
		rc = etcd_watch_poll(w, 200, collect, s, NULL, err, sizeof(err));
	return rc;
}

static int64_t wrev[3]; /* the revisions of t_watch's changes, for t_watch_replay */

static void check_w_events(const struct seen *s)
{
	ASSERT_TRUE(s->ev[0].type == ETCD_EV_PUT && !strcmp(s->ev[0].key, "w/a") &&
	                s->ev[0].vlen == 1 && s->ev[0].val[0] == '1' && s->ev[0].mod == wrev[0],
	            "put w/a 1");
	ASSERT_TRUE(s->ev[1].type == ETCD_EV_PUT && !strcmp(s->ev[1].key, "w/b") &&
	                s->ev[1].vlen == 3 &&
	                !memcmp(s->ev[1].val,
	                        "\0\xff"
	                        "2",
	                        3) &&
	                s->ev[1].mod == wrev[1],
	            "put w/b \\0\\xff2");
	ASSERT_TRUE(s->ev[2].type == ETCD_EV_DELETE && !strcmp(s->ev[2].key, "w/a") &&
	                s->ev[2].vlen == 0 && s->ev[2].mod == wrev[2],
	            "delete w/a");
}

static void t_watch(void)
{
	struct seen s = {0};
	struct etcd_watch *w;
	int rc;

	w = etcd_watch_start(E, "w/", 0, err, sizeof(err));
	if (!ASSERT_TRUE(w, "watch started") && printf("#   %s\n", err))
		return;
	rc = etcd_watch_poll(w, 300, collect, &s, NULL, err, sizeof(err));
	ASSERT_TRUE(rc == ETCD_WATCH_OK && s.n == 0, "nothing yet: poll times out with OK");
	if (CALL_OK(etcd_put(E, "w/a", "1", 1, 0, &wrev[0], err, sizeof(err)), "put w/a") &&
	    CALL_OK(etcd_put(E, "x/a", "no", 2, 0, NULL, err, sizeof(err)), "put x/a") &&
	    CALL_OK(etcd_put(E, "w/b",
	                     "\0\xff"
	                     "2",
	                     3, 0, &wrev[1], err, sizeof(err)),
	            "put w/b") &&
	    CALL_OK(etcd_delete(E, "w/a", false, &wrev[2], err, sizeof(err)), "delete w/a")) {
		rc = wait_events(w, &s, 3, 5000);
		if (ASSERT_EQ(rc, ETCD_WATCH_OK, "poll") && ASSERT_EQ(s.n, 3, "three events"))
			check_w_events(&s);
		ASSERT_EQ(s.last_header, wrev[2], "header revision of the last response");
	}
	etcd_watch_stop(w);
}

static void t_watch_replay(void)
{
	struct seen s = {0};
	struct etcd_watch *w;

	if (!ASSERT_TRUE(wrev[0] > 0, "t_watch ran"))
		return;
	w = etcd_watch_start(E, "w/", wrev[0], err, sizeof(err));
	if (!ASSERT_TRUE(w, "watch from an old revision") && printf("#   %s\n", err))
		return;
	if (ASSERT_EQ(wait_events(w, &s, 3, 5000), ETCD_WATCH_OK, "poll") &&
	    ASSERT_EQ(s.n, 3, "history replayed"))
		check_w_events(&s);
	etcd_watch_stop(w);
}

/*
 * etcd sends a replayed history as one response: 26 values of 1 MiB are a line of ~36 MiB
 * of JSON, over ETCD_LINE_MAX. The watch breaks with a message (the caller re-reads and
 * watches from the revision it read), and the range of the same keys still works.
 */
static void t_watch_huge(void)
{
	struct seen s = {0};
	struct etcd_watch *w;
	struct etcd_kvs k = {0};
	char *v = malloc(ETCD_VALUE_MAX), key[32];
	int64_t first = 0, rev = 0;
	int rc = ETCD_WATCH_OK;
	long long deadline;

	memset(v, 0xff, ETCD_VALUE_MAX);
	for (int i = 0; i < 26; i++) {
		snprintf(key, sizeof(key), "huge/%02d", i);
		if (!CALL_OK(etcd_put(E, key, v, ETCD_VALUE_MAX, 0, &rev, err, sizeof(err)), "put"))
			goto out;
		first = first ? first : rev;
	}
	if (CALL_OK(etcd_range_prefix(E, "huge/", 0, &k, err, sizeof(err)), "range of 26 MiB"))
		ASSERT_EQ(k.n, 26, "26 kvs");
	etcd_kvs_free(&k);
	w = etcd_watch_start(E, "huge/", first, err, sizeof(err));
	if (!ASSERT_TRUE(w, "watch") && printf("#   %s\n", err))
		goto out;
	for (deadline = ms_now() + 10000; rc == ETCD_WATCH_OK && ms_now() < deadline;)
		rc = etcd_watch_poll(w, 200, collect, &s, NULL, err, sizeof(err));
	ASSERT_EQ(rc, ETCD_WATCH_BROKEN, "BROKEN");
	ASSERT_TRUE(strstr(err, "longer than"), "too long");
	test_note("%s (%d events delivered)", err, s.n);
	etcd_watch_stop(w);
out:
	CALL_OK(etcd_delete(E, "huge/", true, NULL, err, sizeof(err)), "delete huge/");
	free(v);
}

static void t_watch_compacted(void)
{
	struct seen s = {0};
	struct etcd_watch *w;
	struct etcd_kvs k = {0};
	int64_t rev = 0, crev = 0;
	int rc = ETCD_WATCH_OK;
	long long deadline;

	if (!CALL_OK(etcd_put(E, "c/x", "1", 1, 0, &rev, err, sizeof(err)), "put") ||
	    !CALL_OK(etcd_compact(E, rev, err, sizeof(err)), "compact"))
		return;
	ASSERT_EQ(etcd_range_prefix(E, "w/", wrev[0], &k, err, sizeof(err)), -1,
	          "range at a compacted revision fails");
	ASSERT_TRUE(k.compacted, "... as compacted");
	test_note("range: %s", err);
	w = etcd_watch_start(E, "w/", wrev[0], err, sizeof(err));
	if (!ASSERT_TRUE(w, "watch from a compacted revision is created") && printf("#  %s\n", err))
		return;
	for (deadline = ms_now() + 5000; rc == ETCD_WATCH_OK && ms_now() < deadline;)
		rc = etcd_watch_poll(w, 200, collect, &s, &crev, err, sizeof(err));
	ASSERT_EQ(rc, ETCD_WATCH_COMPACTED, "COMPACTED");
	ASSERT_EQ(crev, rev, "the compact revision");
	ASSERT_EQ(s.n, 0, "no events");
	test_note("watch: %s", err);
	crev = 0;
	ASSERT_EQ(etcd_watch_poll(w, 10, collect, &s, &crev, err, sizeof(err)),
	          ETCD_WATCH_COMPACTED, "and stays so");
	ASSERT_EQ(crev, rev, "the compact revision again");
	etcd_watch_stop(w);
}

static void t_watch_killed(void)
{
	struct server s2 = {0};
	struct etcd_opts o = {0};
	struct etcd *c = NULL;
	struct etcd_watch *w = NULL;
	struct seen s = {0};
	struct etcd_kvs k = {0};
	long long t0, took;
	int rc = ETCD_WATCH_OK;

	if (!ASSERT_TRUE(start_etcd(&s2, "killed", NULL, NULL), "second etcd"))
		return;
	o.url = s2.url;
	c = etcd_new(&o, err, sizeof(err));
	w = c ? etcd_watch_start(c, "k/", 0, err, sizeof(err)) : NULL;
	if (!ASSERT_TRUE(w, "watch") ||
	    !CALL_OK(etcd_put(c, "k/1", "x", 1, 0, NULL, err, sizeof(err)), "put") ||
	    !ASSERT_EQ(wait_events(w, &s, 1, 5000), ETCD_WATCH_OK, "event") ||
	    !ASSERT_EQ(s.n, 1, "one event"))
		goto out;
	t0 = ms_now();
	stop_etcd(&s2);
	while (rc == ETCD_WATCH_OK && ms_now() - t0 < 10000)
		rc = etcd_watch_poll(w, 500, collect, &s, NULL, err, sizeof(err));
	took = ms_now() - t0;
	ASSERT_EQ(rc, ETCD_WATCH_BROKEN, "BROKEN");
	ASSERT_TRUE(took < 3000, "within 3 s");
	test_note("after %lld ms: %s", took, err);
	ASSERT_EQ(etcd_get(c, "k/1", &k, err, sizeof(err)), -1, "unary calls fail too");
	test_note("get: %s", err);
out:
	etcd_kvs_free(&k);
	etcd_watch_stop(w);
	etcd_free(c);
	stop_etcd(&s2);
}

/* ---- TLS ---- */

static bool make_certs(const char *dir)
{
	static const char *const steps[] = {
	    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
	    "-keyout ca.key -out ca.crt -days 1 -subj /CN=etcd-test-ca",
	    "printf 'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth,clientAuth\\n' "
	    "> server.ext && printf 'extendedKeyUsage=clientAuth\\n' > client.ext",
	    "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
	    "-keyout server.key -out server.csr -subj /CN=127.0.0.1",
	    "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
	    "-out server.crt -days 1 -extfile server.ext",
	    "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
	    "-keyout client.key -out client.csr -subj /CN=client",
	    "openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
	    "-out client.crt -days 1 -extfile client.ext",
	    /* A second CA, which etcd does not trust, and a client of it. */
	    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
	    "-keyout other.key -out other.crt -days 1 -subj /CN=client",
	};
	char cmd[512];

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		snprintf(cmd, sizeof(cmd), "cd '%s' && %s >/dev/null 2>&1", dir, steps[i]);
		if (system(cmd)) {
			printf("#   failed: %s\n", steps[i]);
			return false;
		}
	}
	return true;
}

static void t_tls(void)
{
	char dir[128], ca[192], crt[192], key[192], ocrt[192], okey[192];
	struct server s3 = {0};
	struct etcd_opts o = {0};
	struct etcd *c = NULL;
	struct etcd_watch *w = NULL;
	struct etcd_kvs k = {0};
	struct seen s = {0};

	snprintf(dir, sizeof(dir), "%s/pki", topdir);
	snprintf(ca, sizeof(ca), "%s/ca.crt", dir);
	snprintf(crt, sizeof(crt), "%s/client.crt", dir);
	snprintf(key, sizeof(key), "%s/client.key", dir);
	snprintf(ocrt, sizeof(ocrt), "%s/other.crt", dir);
	snprintf(okey, sizeof(okey), "%s/other.key", dir);
	o = (struct etcd_opts){.cacert = ca, .cert = crt, .key = key};
	if (!ASSERT_OK(mkdir(dir, 0700), "pki dir") || !ASSERT_TRUE(make_certs(dir), "certs") ||
	    !ASSERT_TRUE(start_etcd(&s3, "tls", dir, &o), "etcd with TLS"))
		return;
	o.url = s3.url;
	c = etcd_new(&o, err, sizeof(err));
	if (ASSERT_TRUE(c, "client") &&
	    CALL_OK(etcd_put(c, "tls/a", "secret", 6, 0, NULL, err, sizeof(err)), "put") &&
	    CALL_OK(etcd_get(c, "tls/a", &k, err, sizeof(err)), "get"))
		ASSERT_TRUE(has(&k, 0, "tls/a", "secret"), "value over TLS");
	etcd_kvs_free(&k);
	w = c ? etcd_watch_start(c, "tls/", 1, err, sizeof(err)) : NULL;
	if (ASSERT_TRUE(w, "watch over TLS"))
		ASSERT_TRUE(wait_events(w, &s, 1, 5000) == ETCD_WATCH_OK && s.n == 1, "its event");
	etcd_watch_stop(w);
	etcd_free(c);
	/* Without a client certificate, with one etcd does not trust, without the CA. */
	o.cert = o.key = NULL;
	c = etcd_new(&o, err, sizeof(err));
	ASSERT_EQ(c ? etcd_get(c, "tls/a", &k, err, sizeof(err)) : 0, -1, "no client cert fails");
	test_note("no client cert: %s", err);
	ASSERT_TRUE(c && !etcd_watch_start(c, "tls/", 0, err, sizeof(err)), "no watch either");
	test_note("watch without client cert: %s", err);
	etcd_free(c);
	o.cert = ocrt;
	o.key = okey;
	c = etcd_new(&o, err, sizeof(err));
	ASSERT_EQ(c ? etcd_get(c, "tls/a", &k, err, sizeof(err)) : 0, -1, "untrusted cert fails");
	test_note("untrusted client cert: %s", err);
	etcd_free(c);
	o = (struct etcd_opts){.url = s3.url, .cert = crt, .key = key};
	c = etcd_new(&o, err, sizeof(err));
	ASSERT_EQ(c ? etcd_get(c, "tls/a", &k, err, sizeof(err)) : 0, -1,
	          "unknown server CA fails");
	test_note("system CAs: %s", err);
	etcd_free(c);
	etcd_kvs_free(&k);
	stop_etcd(&s3);
}

/* ---- hostile replies ---- */

/* Each must fail to parse as a range reply, with an error string. */
static const char *const bad_ranges[] = {
    "",
    "null",
    "[]",
    "\"kvs\"",
    "{",
    "{\"kvs\":[{\"key\":\"Zm9v\"}]",
    "{\"kvs\":[]} x",
    "{\"kvs\":[]}{}",
    "{\"kvs\":{}}",
    "{\"kvs\":\"Zm9v\"}",
    "{\"kvs\":[5]}",
    "{\"kvs\":[[]]}",
    "{\"kvs\":[{}]}",
    "{\"kvs\":[{\"key\":5}]}",
    "{\"kvs\":[{\"key\":true}]}",
    "{\"kvs\":[{\"key\":{}}]}",
    "{\"kvs\":[{\"key\":\"\"}]}",
    "{\"kvs\":[{\"key\":\"AA==\"}]}",  /* "\0" */
    "{\"kvs\":[{\"key\":\"YQBi\"}]}",  /* "a\0b" */
    "{\"kvs\":[{\"key\":\"Zm9v=\"}]}", /* bad base64: */
    "{\"kvs\":[{\"key\":\"Zm9\"}]}",
    "{\"kvs\":[{\"key\":\"Z===\"}]}",
    "{\"kvs\":[{\"key\":\"Zg=v\"}]}",
    "{\"kvs\":[{\"key\":\"=Zm9\"}]}",
    "{\"kvs\":[{\"key\":\"Zm 9\"}]}",
    "{\"kvs\":[{\"key\":\"Zm9v\\n\"}]}",
    "{\"kvs\":[{\"key\":\"Zm9v\\u0000AAA\"}]}",
    "{\"kvs\":[{\"key\":\"Zm-_\"}]}",
    "{\"kvs\":[{\"key\":\"Zm9v\",\"value\":5}]}",
    "{\"kvs\":[{\"key\":\"Zm9v\",\"value\":\"!!!!\"}]}",
    "{\"kvs\":[{\"key\":\"Zm9v\",\"mod_revision\":\"-1\"}]}", /* int64s: */
    "{\"kvs\":[{\"key\":\"Zm9v\",\"mod_revision\":-1}]}",
    "{\"kvs\":[{\"key\":\"Zm9v\",\"mod_revision\":\"12a\"}]}",
    "{\"kvs\":[{\"key\":\"Zm9v\",\"mod_revision\":\"\"}]}",
    "{\"kvs\":[{\"key\":\"Zm9v\",\"mod_revision\":\" 1\"}]}",
    "{\"kvs\":[{\"key\":\"Zm9v\",\"mod_revision\":\"+1\"}]}",
    "{\"kvs\":[{\"key\":\"Zm9v\",\"mod_revision\":\"9223372036854775808\"}]}",
    "{\"kvs\":[{\"key\":\"Zm9v\",\"mod_revision\":\"99999999999999999999\"}]}",
    "{\"kvs\":[{\"key\":\"Zm9v\",\"version\":1.5}]}",
    "{\"kvs\":[{\"key\":\"Zm9v\",\"lease\":true}]}",
    "{\"kvs\":[{\"key\":\"Zm9v\",\"lease\":[]}]}",
    "{\"header\":5}",
    "{\"header\":{\"revision\":{}}}",
    "{\"header\":{\"revision\":\"0x10\"}}",
    "{\"error\":\"boom\",\"message\":\"boom\",\"code\":2}",
    "{\"kvs\":[{\"key\":\"\xff\xfe\"}]}", /* not UTF-8 */
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
    ("{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{"
     "\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{}}}}}}}}}}}}}}}}}}}}"),
};

/* Each must fail to parse as a watch line. */
static const char *const bad_watches[] = {
    "",
    "{}",
    "{\"result\":5}",
    "{\"result\":[]}",
    "{\"result\":{\"events\":{}}}",
    "{\"result\":{\"events\":[5]}}",
    "{\"result\":{\"events\":[{}]}}",
    "{\"result\":{\"events\":[{\"kv\":5}]}}",
    "{\"result\":{\"events\":[{\"kv\":{}}]}}",
    "{\"result\":{\"events\":[{\"type\":\"BOGUS\",\"kv\":{\"key\":\"Zm9v\"}}]}}",
    "{\"result\":{\"events\":[{\"type\":1,\"kv\":{\"key\":\"Zm9v\"}}]}}",
    "{\"result\":{\"events\":[{\"type\":\"PUT\\u0000X\",\"kv\":{\"key\":\"Zm9v\"}}]}}",
    "{\"result\":{\"events\":[{\"kv\":{\"key\":\"Zm9v\",\"value\":\"Zm9\"}}]}}",
    "{\"result\":{\"created\":\"true\"}}",
    "{\"result\":{\"canceled\":1}}",
    "{\"result\":{\"compact_revision\":\"x\"}}",
    "{\"result\":{\"fragment\":true}}",
    "{\"result\":{}}\n{\"result\":{}}",
};

static void t_parse_hostile(void)
{
	struct etcd_kvs k;
	struct etcd_watch_resp r;
	size_t nr = sizeof(bad_ranges) / sizeof(bad_ranges[0]);
	size_t nw = sizeof(bad_watches) / sizeof(bad_watches[0]);

	for (size_t i = 0; i < nr; i++) {
		err[0] = 0;
		if (!ASSERT_EQ(etcd_parse_range(bad_ranges[i], strlen(bad_ranges[i]), &k, err,
		                                sizeof(err)),
		               -1, bad_ranges[i]))
			etcd_kvs_free(&k);
		ASSERT_TRUE(err[0] && !k.v && !k.n, "an error string and nothing allocated");
		test_note("%s -> %s", bad_ranges[i], err);
	}
	for (size_t i = 0; i < nw; i++) {
		err[0] = 0;
		if (!ASSERT_EQ(etcd_parse_watch(bad_watches[i], strlen(bad_watches[i]), &r, err,
		                                sizeof(err)),
		               -1, bad_watches[i]))
			etcd_watch_resp_free(&r);
		ASSERT_TRUE(err[0] && !r.ev && !r.n, "an error string and nothing allocated");
		test_note("%s -> %s", bad_watches[i], err);
	}
	/* Embedded NUL bytes in the text itself. */
	ASSERT_EQ(etcd_parse_range("{\"kvs\":[]}\0{}", 13, &k, err, sizeof(err)), -1, "NUL after");
	ASSERT_EQ(etcd_parse_range("{\"kvs\"\0:[]}", 11, &k, err, sizeof(err)), -1, "NUL inside");
}

/* A range reply of n kvs whose key decodes to klen bytes and value to vlen bytes. */
static char *range_reply(size_t klen, size_t vlen)
{
	size_t kb = 4 * ((klen + 2) / 3), vb = 4 * ((vlen + 2) / 3);
	char *s = malloc(kb + vb + 128), *p = s;

	p += sprintf(p, "{\"kvs\":[{\"key\":\"");
	memset(p, 'Q', kb); /* "QQQQ" is 0x41 0x04 0x10 */
	p += kb;
	p += sprintf(p, "\",\"value\":\"");
	memset(p, '/', vb);
	p += vb;
	sprintf(p, "\"}]}");
	return s;
}

static void t_parse_bounds(void)
{
	struct etcd_kvs k;
	struct etcd_watch_resp r;
	char *s;
	size_t big = ETCD_LINE_MAX + 1;

	s = range_reply(ETCD_KEY_MAX / 3 * 3, ETCD_VALUE_MAX / 3 * 3);
	if (CALL_OK(etcd_parse_range(s, strlen(s), &k, err, sizeof(err)), "largest key/value"))
		ASSERT_TRUE(k.n == 1 && strlen(k.v[0].key) == ETCD_KEY_MAX / 3 * 3 &&
		                k.v[0].value_len == ETCD_VALUE_MAX / 3 * 3,
		            "lengths");
	etcd_kvs_free(&k);
	free(s);
	s = range_reply(ETCD_KEY_MAX + 3, 3);
	ASSERT_EQ(etcd_parse_range(s, strlen(s), &k, err, sizeof(err)), -1, "key over 1 KiB");
	test_note("%s", err);
	free(s);
	s = range_reply(3, ETCD_VALUE_MAX + 3);
	ASSERT_EQ(etcd_parse_range(s, strlen(s), &k, err, sizeof(err)), -1, "value over 1 MiB");
	test_note("%s", err);
	free(s);
	/*
	 * Padding counts: 349526 groups are 1 MiB + 2 bytes; with "=" 1 MiB + 1 (refused), with
	 * "==" 1 MiB (taken).
	 */
	s = range_reply(3, ETCD_VALUE_MAX + 1);
	memcpy(strstr(s, "\"}]}") - 1, "=", 1);
	ASSERT_EQ(etcd_parse_range(s, strlen(s), &k, err, sizeof(err)), -1, "1 MiB + 1 byte");
	free(s);
	s = range_reply(3, ETCD_VALUE_MAX);
	memcpy(strstr(s, "\"}]}") - 2, "==", 2);
	if (CALL_OK(etcd_parse_range(s, strlen(s), &k, err, sizeof(err)), "exactly 1 MiB"))
		ASSERT_EQ(k.v[0].value_len, ETCD_VALUE_MAX, "1 MiB, padding subtracted");
	etcd_kvs_free(&k);
	free(s);
	/* A watch line over 32 MiB: refused before it is parsed. */
	s = malloc(big);
	if (s) {
		memset(s, ' ', big);
		ASSERT_EQ(etcd_parse_watch(s, big, &r, err, sizeof(err)), -1, "line over 32 MiB");
		test_note("%s", err);
		free(s);
	}
}

static void t_parse_good(void)
{
	static const char range[] =
	    "{\"header\":{\"cluster_id\":\"1\",\"revision\":\"42\"},\"kvs\":[{\"key\":\"Zm9v\","
	    "\"create_revision\":\"2\",\"mod_revision\":\"3\",\"version\":\"2\",\"value\":"
	    "\"AP8=\",\"lease\":\"7\"},{\"key\":\"Zm9w\",\"mod_revision\":9}],\"count\":\"2\"}\n";
	static const char watch[] =
	    "{\"result\":{\"header\":{\"revision\":\"9\"},\"events\":[{\"kv\":{\"key\":"
	    "\"Zm9v\",\"mod_revision\":\"8\",\"value\":\"eA==\"}},{\"type\":\"DELETE\",\"kv\":"
	    "{\"key\":\"Zm9v\",\"mod_revision\":\"9\"}}]}}";
	static const char compacted[] =
	    "{\"result\":{\"header\":{\"raft_term\":\"2\"},\"canceled\":"
	    "true,\"compact_revision\":\"3\"}}";
	struct etcd_kvs k;
	struct etcd_watch_resp r;

	if (CALL_OK(etcd_parse_range(range, strlen(range), &k, err, sizeof(err)), "range") &&
	    ASSERT_EQ(k.n, 2, "two kvs")) {
		ASSERT_EQ(k.revision, 42, "revision");
		ASSERT_MEM_EQ(k.v[0].value, k.v[0].value_len, "\0\xff", 2, "value");
		ASSERT_TRUE(k.v[0].create_revision == 2 && k.v[0].mod_revision == 3 &&
		                k.v[0].version == 2 && k.v[0].lease == 7,
		            "int64 strings");
		ASSERT_TRUE(k.v[1].value_len == 0 && k.v[1].mod_revision == 9 && !k.v[1].lease,
		            "omitted zeros, a JSON integer");
	}
	etcd_kvs_free(&k);
	if (CALL_OK(etcd_parse_watch(watch, strlen(watch), &r, err, sizeof(err)), "watch") &&
	    ASSERT_EQ(r.n, 2, "two events"))
		ASSERT_TRUE(r.header_rev == 9 && r.ev[0].type == ETCD_EV_PUT &&
		                r.ev[0].kv.value_len == 1 && r.ev[1].type == ETCD_EV_DELETE &&
		                r.ev[1].kv.mod_revision == 9,
		            "events");
	etcd_watch_resp_free(&r);
	if (CALL_OK(etcd_parse_watch(compacted, strlen(compacted), &r, err, sizeof(err)),
	            "compacted"))
		ASSERT_TRUE(r.canceled && r.compact_revision == 3 && !r.header_rev && !r.n,
		            "canceled, compact_revision");
	static const char error[] = "{\"error\":{\"grpc_code\":14,\"message\":\"x\\ny\"}}";

	if (CALL_OK(etcd_parse_watch(error, strlen(error), &r, err, sizeof(err)), "error line"))
		ASSERT_TRUE(r.error && !strcmp(r.reason, "x?y"), "its message, sanitized");
}

static void t_bad_opts(void)
{
	struct etcd_opts o = {.url = "ftp://127.0.0.1:1"};
	struct etcd_kvs k = {0};
	struct etcd *c;

	ASSERT_TRUE(!etcd_new(&o, err, sizeof(err)), "ftp:// refused");
	o.url = "http://127.0.0.1:1/";
	o.timeout_ms = 500;
	c = etcd_new(&o, err, sizeof(err));
	if (ASSERT_TRUE(c, "client of a closed port")) {
		ASSERT_EQ(etcd_get(c, "a", &k, err, sizeof(err)), -1, "refused");
		test_note("%s", err);
		ASSERT_TRUE(!etcd_watch_start(c, "a", 0, err, sizeof(err)), "no watch");
		test_note("%s", err);
	}
	etcd_free(c);
}

static const struct {
	const char *name;
	void (*fn)(void);
	bool needs_etcd;
} tests[] = {
    {"parse: valid replies, int64 strings, omitted zeros", t_parse_good, false},
    {"parse: hostile replies fail with an error", t_parse_hostile, false},
    {"parse: key, value and line bounds", t_parse_bounds, false},
    {"client: bad URL, closed port", t_bad_opts, false},
    {"kv: binary values (NUL, 0xff), empty and 1 MiB values", t_binary, true},
    {"kv: a missing key", t_missing, true},
    {"kv: revisions increase", t_revisions, true},
    {"kv: range by prefix, at a revision, 0xff prefixes", t_range, true},
    {"kv: delete with and without prefix", t_delete, true},
    {"lease: grant, keepalive, revoke takes the key", t_lease, true},
    {"watch: puts and deletes in order with values", t_watch, true},
    {"watch: from an old revision replays history", t_watch_replay, true},
    {"watch: a response over 32 MiB breaks the watch", t_watch_huge, true},
    {"watch: from a compacted revision is COMPACTED", t_watch_compacted, true},
    {"watch: a killed etcd is BROKEN at once", t_watch_killed, true},
    {"tls: client certificate required and checked", t_tls, true},
};

int main(int argc, char **argv)
{
	int n = sizeof(tests) / sizeof(tests[0]), failed = 0;
	struct etcd_opts o = {0};
	bool up;

	T.verbose = argc > 1 && !strcmp(argv[1], "-v");
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(topdir, sizeof(topdir), "/dev/shm/etcd_test.XXXXXX");
	if (!mkdtemp(topdir)) {
		perror("mkdtemp");
		return 1;
	}
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGSEGV, on_signal);
	signal(SIGABRT, on_signal);
	up = start_etcd(&main_srv, "main", NULL, NULL);
	o.url = main_srv.url;
	E = up ? etcd_new(&o, err, sizeof(err)) : NULL;
	for (int i = 0; i < n; i++) {
		T.failed = false;
		if (tests[i].needs_etcd && !E)
			test_fail(__FILE__, __LINE__, "no etcd: %s", err);
		else
			tests[i].fn();
		printf("%s %d - %s\n", T.failed ? "not ok" : "ok", i + 1, tests[i].name);
		failed += T.failed;
	}
	printf("%d passed, %d failed\n", n - failed, failed);
	etcd_free(E);
	stop_etcd(&main_srv);
	return failed ? 1 : 0;
}

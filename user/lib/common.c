// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Shared helpers of sttctl: messages, network namespaces, pinned state, parsers. */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/file.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "common.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

struct global_opts g_opts;

void err_msg(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (g_opts.json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "error", json_object_new_string(buf));
		json_out(o);
	} else {
		fprintf(stderr, "sttctl: %s\n", buf);
	}
}

void info_msg(const char *fmt, ...)
{
	va_list ap;

	if (!g_opts.verbose)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int json_out(struct json_object *obj)
{
	int flags = g_opts.pretty ? JSON_C_TO_STRING_PRETTY : JSON_C_TO_STRING_PLAIN;

	printf("%s\n", json_object_to_json_string_ext(obj, flags | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(obj);
	return 0;
}

int enter_netns(const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err_msg("cannot enter network namespace %s: %s", name, strerror(errno));
		return -1;
	}
	if (setns(fd, CLONE_NEWNET)) {
		err_msg("cannot enter network namespace %s: %s", name, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int ensure_bpffs(void)
{
	struct statfs sfs;

	if (statfs("/sys/fs/bpf", &sfs) == 0 && sfs.f_type == BPF_FS_MAGIC)
		return 0;
	if (mkdir("/sys/fs/bpf", 0700) && errno != EEXIST) {
		err_msg("cannot create /sys/fs/bpf: %s", strerror(errno));
		return -1;
	}
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
		err_msg("cannot mount bpffs on /sys/fs/bpf: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* One directory per network namespace, keyed by the namespace's inode (see DESIGN.md). */
int pin_dir(char *buf, size_t len)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st)) {
		err_msg("cannot identify the network namespace: %s", strerror(errno));
		return -1;
	}
	snprintf(buf, len, "%s/%lu", STT_PIN_BASE, (unsigned long)st.st_ino);
	return 0;
}

int open_pin(const char *dir, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return bpf_obj_get(path);
}

int state_open(struct stt_state *st, bool must_exist)
{
	remote6_forget();
	memset(st, 0, sizeof(*st));
	st->cfg_fd = st->vports_fd = st->contexts_fd = st->fdb_fd = st->flood_fd = st->stats_fd =
	    -1;
	st->peers_fd = st->ctx_stats_fd = st->remote_stats_fd = st->learn_fd = st->groups_fd = -1;
	st->vlan_fd = st->cfg6_fd = st->remote_cfg_fd = -1;
	if (ensure_bpffs() || pin_dir(st->dir, sizeof(st->dir)))
		return -1;
	st->cfg_fd = open_pin(st->dir, "stt_cfg");
	st->vports_fd = open_pin(st->dir, "stt_vports");
	st->contexts_fd = open_pin(st->dir, "stt_contexts");
	st->fdb_fd = open_pin(st->dir, "stt_fdb");
	st->flood_fd = open_pin(st->dir, "stt_flood");
	st->stats_fd = open_pin(st->dir, "stt_stats");
	st->peers_fd = open_pin(st->dir, "stt_peers");
	st->ctx_stats_fd = open_pin(st->dir, "stt_ctx_stats");
	st->remote_stats_fd = open_pin(st->dir, "stt_remote_stats");
	st->learn_fd = open_pin(st->dir, "stt_learn");
	st->groups_fd = open_pin(st->dir, "stt_groups");
	st->vlan_fd = open_pin(st->dir, "stt_vlan_vports");
	st->cfg6_fd = open_pin(st->dir, "stt_cfg6");
	st->remote_cfg_fd = open_pin(st->dir, "stt_remote_cfg");
	if (st->cfg_fd < 0 || st->vports_fd < 0 || st->contexts_fd < 0 || st->fdb_fd < 0 ||
	    st->flood_fd < 0 || st->stats_fd < 0) {
		state_close(st);
		if (must_exist)
			err_msg("stt is not attached in this network namespace "
			        "(run 'sttctl attach DEV' first)");
		return -1;
	}
	return 0;
}

void state_close(struct stt_state *st)
{
	int *fds[] = {&st->cfg_fd,          &st->vports_fd,    &st->contexts_fd, &st->fdb_fd,
	              &st->flood_fd,        &st->stats_fd,     &st->peers_fd,    &st->ctx_stats_fd,
	              &st->remote_stats_fd, &st->learn_fd,     &st->groups_fd,   &st->vlan_fd,
	              &st->cfg6_fd,         &st->remote_cfg_fd};

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/* Everything pinned in this namespace's directory (maps, programs, links), then the directory. */
int state_remove_pins(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) < (int)sizeof(path))
			unlink(path);
	}
	closedir(d);
	return rmdir(dir);
}

/* Whether any vport (plain or one VLAN of a trunk) remains: the pinned state must stay. */
bool has_vports(struct stt_state *st)
{
	struct stt_vlan_key vk;
	__u32 k;

	return bpf_map_get_next_key(st->vports_fd, NULL, &k) == 0 ||
	       (st->vlan_fd >= 0 && bpf_map_get_next_key(st->vlan_fd, NULL, &vk) == 0);
}

/*
 * Whether stt's TC program on ifindex still serves a vport: the interface's own, or one
 * VLAN of it (a trunk). The program goes only with the last of them.
 */
bool ifindex_in_use(struct stt_state *st, __u32 ifindex)
{
	struct stt_vlan_key k, next, *prev = NULL;
	struct stt_vport vp;

	if (bpf_map_lookup_elem(st->vports_fd, &ifindex, &vp) == 0)
		return true;
	if (st->vlan_fd < 0)
		return false;
	while (bpf_map_get_next_key(st->vlan_fd, prev, &next) == 0) {
		k = next;
		prev = &k;
		if (k.ifindex == ifindex)
			return true;
	}
	return false;
}

/* A new, empty learning table of cap entries for one context (stt_learn's inner map). */
int learn_table_create(__u32 cap)
{
	return bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "stt_learn_ctx", sizeof(struct stt_learn_key),
	                      sizeof(struct stt_learn_val), cap, NULL);
}

int state_get_cfg(struct stt_state *st, struct stt_cfg *cfg)
{
	__u32 zero = 0;

	memset(cfg, 0, sizeof(*cfg));
	return bpf_map_lookup_elem(st->cfg_fd, &zero, cfg);
}

int state_get_cfg6(struct stt_state *st, struct stt_cfg6 *c6)
{
	__u32 zero = 0;

	memset(c6, 0, sizeof(*c6));
	if (st->cfg6_fd < 0 || bpf_map_lookup_elem(st->cfg6_fd, &zero, c6)) {
		memset(c6, 0, sizeof(*c6));
		return -1;
	}
	return 0;
}

int parse_context(const char *s, __u64 *out)
{
	unsigned long long v;
	char *end;

	/* strtoull skips white space and takes a sign: only digits may start an ID. */
	if (!s || !isdigit((unsigned char)*s)) {
		err_msg("invalid context ID '%s': expected 0 .. 2^64-1, decimal or 0x hex",
		        s ? s : "");
		return -1;
	}
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end) {
		err_msg("invalid context ID '%s': expected 0 .. 2^64-1, decimal or 0x hex", s);
		return -1;
	}
	*out = v;
	return 0;
}

int parse_mac(const char *s, __u8 mac[6])
{
	if (mac_parse(s, mac) == 0)
		return 0;
	err_msg("invalid MAC address '%s': expected xx:xx:xx:xx:xx:xx", s ? s : "");
	return -1;
}

int parse_ipv4(const char *s, __be32 *out)
{
	struct in_addr a;

	if (!s || inet_pton(AF_INET, s, &a) != 1) {
		err_msg("invalid IPv4 address '%s'", s ? s : "");
		return -1;
	}
	*out = a.s_addr;
	return 0;
}

int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!s || !isdigit((unsigned char)*s)) {
		err_msg("invalid number '%s'", s ? s : "");
		return -1;
	}
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || v > max) {
		err_msg("invalid number '%s': expected 0 .. %lu", s, max);
		return -1;
	}
	*out = v;
	return 0;
}

int parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v;

	int shift = 0;

	if (!isdigit((unsigned char)*s))
		return -1; /* strtoull would take white space and a sign */
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'G':
	case 'g':
		shift = 30;
		end++;
		break;
	case 'M':
	case 'm':
		shift = 20;
		end++;
		break;
	case 'K':
	case 'k':
		shift = 10;
		end++;
		break;
	case 0:
		break;
	default:
		return -1;
	}
	if (*end || !v || v > (~0ull >> shift))
		return -1;
	v <<= shift;
	*out = v;
	return 0;
}

void fmt_ipv4(__be32 a, char *buf, size_t len)
{
	struct in_addr in = {.s_addr = a};

	inet_ntop(AF_INET, &in, buf, len);
}

/* ---- remotes: IPv4 addresses, or IPv6 ones by their index in stt_remotes6 ---- */

static struct {
	int addrs_fd; /* stt_remotes6: index -> address */
	int ids_fd;   /* stt_remote6_ids: address -> remote */
	__u8 *used;   /* per index: 1 if its slot held an address when last looked at */
} r6 = {-1, -1, NULL};

void remote6_forget(void)
{
	if (r6.addrs_fd >= 0)
		close(r6.addrs_fd);
	if (r6.ids_fd >= 0)
		close(r6.ids_fd);
	r6.addrs_fd = r6.ids_fd = -1;
	free(r6.used);
	r6.used = NULL;
}

/* The IPv6 remote maps of this namespace; -1 (errno ENOENT) if they are not pinned. */
static int remote6_open(void)
{
	char dir[256];

	if (r6.addrs_fd >= 0 && r6.ids_fd >= 0)
		return 0;
	remote6_forget();
	if (pin_dir(dir, sizeof(dir)))
		return -1;
	r6.addrs_fd = open_pin(dir, "stt_remotes6");
	r6.ids_fd = open_pin(dir, "stt_remote6_ids");
	if (r6.addrs_fd < 0 || r6.ids_fd < 0) {
		remote6_forget();
		errno = ENOENT;
		return -1;
	}
	return 0;
}

static bool addr6_zero(const struct stt_addr6 *a)
{
	return !(a->a[0] | a->a[1] | a->a[2] | a->a[3]);
}

int parse_remote_addr(const char *s, struct stt_addr6 *a)
{
	const char *why = raddr_parse(s, a);

	if (why) {
		err_msg("invalid address '%s': %s", s ? s : "", why);
		return -1;
	}
	return 0;
}

int remote_addr(__be32 r, struct stt_addr6 *a)
{
	__u32 idx = stt_remote6_idx(r);

	if (!stt_remote_is6(r)) {
		raddr_set4(a, r);
		return 0;
	}
	if (remote6_open() == 0 && bpf_map_lookup_elem(r6.addrs_fd, &idx, a) == 0 &&
	    !addr6_zero(a) && !raddr_is4(a))
		return 0;
	raddr_set_unknown6(a, r);
	return -1;
}

void fmt_remote(__be32 r, char *buf, size_t len)
{
	struct stt_addr6 a;

	remote_addr(r, &a);
	raddr_fmt(&a, buf, len);
}

bool remote_is_mcast(__be32 r)
{
	struct stt_addr6 a;

	return remote_addr(r, &a) == 0 && raddr_is_mcast(&a);
}

/* The index of a in stt_remote6_ids, checked against stt_remotes6: 0 and *out, or -1. */
static int remote6_find(const struct stt_addr6 *a, __be32 *out)
{
	struct stt_addr6 back;
	__u32 r, idx;

	if (bpf_map_lookup_elem(r6.ids_fd, a, &r))
		return -1;
	idx = stt_remote6_idx(r);
	if (!stt_remote_is6(r) || idx >= STT_MAX_REMOTES6 ||
	    bpf_map_lookup_elem(r6.addrs_fd, &idx, &back) || memcmp(&back, a, sizeof(back)))
		return -1;
	*out = r;
	return 0;
}

/* Which slots of stt_remotes6 hold an address (read once, then kept up to date here). */
static int remote6_load_used(void)
{
	struct stt_addr6 v;

	if (r6.used)
		return 0;
	r6.used = calloc(STT_MAX_REMOTES6, 1);
	if (!r6.used)
		return -1;
	r6.used[0] = 1; /* index 0 is never a remote */
	for (__u32 i = 1; i < STT_MAX_REMOTES6; i++)
		r6.used[i] = bpf_map_lookup_elem(r6.addrs_fd, &i, &v) || !addr6_zero(&v);
	return 0;
}

/*
 * Give a the lowest free index: its address first (readers of a remote find it), then its
 * entry in stt_remote6_ids. Called with the allocation lock held. 0, 1 if every index is
 * taken, -1 on error.
 */
static int remote6_alloc(const struct stt_addr6 *a, __be32 *out)
{
	static const struct stt_addr6 zero;
	struct stt_addr6 v;
	__u32 r;

	if (remote6_load_used())
		return -1;
	for (__u32 i = 1; i < STT_MAX_REMOTES6; i++) {
		if (r6.used[i])
			continue;
		/* Another sttctl may have taken it since the slots were read. */
		if (bpf_map_lookup_elem(r6.addrs_fd, &i, &v) || !addr6_zero(&v)) {
			r6.used[i] = 1;
			continue;
		}
		if (bpf_map_update_elem(r6.addrs_fd, &i, a, BPF_ANY))
			return -1;
		r = stt_remote6_make(i);
		if (bpf_map_update_elem(r6.ids_fd, a, &r, BPF_NOEXIST)) {
			int err = errno;

			bpf_map_update_elem(r6.addrs_fd, &i, &zero, BPF_ANY);
			if (err == EEXIST && remote6_find(a, out) == 0)
				return 0;
			errno = err;
			return err == E2BIG || err == ENOSPC ? 1 : -1;
		}
		r6.used[i] = 1;
		*out = r;
		return 0;
	}
	return 1;
}

/* One allocation at a time in this namespace: flock on its pin directory. */
static int remote6_lock(void)
{
	char dir[256];
	int fd;

	if (pin_dir(dir, sizeof(dir)))
		return -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && flock(fd, LOCK_EX)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

int remote_get(const struct stt_addr6 *a, __be32 *out, bool alloc)
{
	char buf[REMOTE_STRLEN];
	int lock, rc;

	if (raddr_is4(a) || raddr_is_unknown6(a)) {
		*out = a->a[3];
		return 0;
	}
	raddr_fmt(a, buf, sizeof(buf));
	if (remote6_open()) {
		err_msg("cannot use the IPv6 remote %s: this endpoint has no IPv6 remote maps "
		        "(run 'sttctl attach DEV' with this build)",
		        buf);
		return -1;
	}
	if (remote6_find(a, out) == 0)
		return 0;
	if (!alloc)
		return 1;
	lock = remote6_lock();
	if (lock < 0) {
		err_msg("cannot give the IPv6 remote %s an index: cannot lock the pin directory: "
		        "%s",
		        buf, strerror(errno));
		return -1;
	}
	rc = remote6_find(a, out) == 0 ? 0 : remote6_alloc(a, out);
	if (rc == 1) {
		/* Every index is taken: free those no map names any more, and try again. */
		free(r6.used);
		r6.used = NULL;
		if (remote6_reclaim() > 0)
			rc = remote6_alloc(a, out);
	}
	close(lock);
	if (rc == 1)
		err_msg("cannot give the IPv6 remote %s an index: all %d are in use (each IPv6 "
		        "address that an fdb entry, flood list, peer, group or learned entry "
		        "names takes one)",
		        buf, STT_MAX_REMOTES6 - 1);
	else if (rc < 0)
		err_msg("cannot give the IPv6 remote %s an index: %s", buf, strerror(errno));
	return rc ? -1 : 0;
}

int parse_remote(const char *s, __be32 *out)
{
	struct stt_addr6 a;

	if (parse_remote_addr(s, &a))
		return -1;
	return remote_get(&a, out, true);
}

static void mark6(__u8 *named, __be32 r)
{
	if (stt_remote_is6(r) && stt_remote6_idx(r) < STT_MAX_REMOTES6)
		named[stt_remote6_idx(r)] = 1;
}

/* The keys of a map keyed by a remote (__u32): stt_groups, stt_remote_cfg. */
static void mark6_keys(int fd, __u8 *named)
{
	__u32 k, next, *prev = NULL;

	while (fd >= 0 && bpf_map_get_next_key(fd, prev, &next) == 0) {
		k = next;
		prev = &k;
		mark6(named, k);
	}
}

/*
 * Every IPv6 remote the maps of dir name: fdb, flood lists, peers, groups, learned entries,
 * and the remotes with their own encapsulation (stt_remote_cfg).
 */
static int remote6_named(const char *dir, __u8 *named)
{
	int fdb = open_pin(dir, "stt_fdb"), flood = open_pin(dir, "stt_flood");
	int peers = open_pin(dir, "stt_peers"), groups = open_pin(dir, "stt_groups");
	int learn = open_pin(dir, "stt_learn"), rcfg = open_pin(dir, "stt_remote_cfg"), rc = 0;

	/* Without the maps every name is unknown: free nothing. */
	if (fdb < 0 || flood < 0) {
		rc = -1;
		goto out;
	}
	{
		struct stt_fdb_key k, next, *prev = NULL;
		struct stt_fdb_val v;

		while (bpf_map_get_next_key(fdb, prev, &next) == 0) {
			k = next;
			prev = &k;
			if (bpf_map_lookup_elem(fdb, &k, &v) == 0)
				mark6(named, v.remote4);
		}
	}
	{
		__u64 k, next, *prev = NULL;
		struct stt_flood_val fv;

		while (bpf_map_get_next_key(flood, prev, &next) == 0) {
			k = next;
			prev = &k;
			if (bpf_map_lookup_elem(flood, &k, &fv) == 0)
				for (__u32 i = 0; i < STT_MAX_FLOOD; i++)
					mark6(named, fv.remote4[i]);
		}
	}
	if (peers >= 0) {
		struct stt_peer_key k, next, *prev = NULL;

		while (bpf_map_get_next_key(peers, prev, &next) == 0) {
			k = next;
			prev = &k;
			mark6(named, k.remote4);
		}
	}
	mark6_keys(groups, named);
	mark6_keys(rcfg, named);
	if (learn >= 0) {
		__u64 k, next, *prev = NULL;
		__u32 id;

		while (bpf_map_get_next_key(learn, prev, &next) == 0) {
			struct stt_learn_key lk, lnext, *lprev = NULL;
			struct stt_learn_val lv;
			int tfd;

			k = next;
			prev = &k;
			if (bpf_map_lookup_elem(learn, &k, &id))
				continue;
			tfd = bpf_map_get_fd_by_id(id);
			if (tfd < 0) {
				rc = -1; /* a table we cannot read: free nothing */
				break;
			}
			while (bpf_map_get_next_key(tfd, lprev, &lnext) == 0) {
				lk = lnext;
				lprev = &lk;
				if (bpf_map_lookup_elem(tfd, &lk, &lv) == 0)
					mark6(named, lv.remote4);
			}
			close(tfd);
		}
	}
out:
	for (int *fd = (int[]){fdb, flood, peers, groups, learn, rcfg}, n = 0; n < 6; n++)
		if (fd[n] >= 0)
			close(fd[n]);
	return rc;
}

/*
 * Free the IPv6 indexes that no map names: the address's entry in stt_remote6_ids first,
 * its path MTU and counters (they would be another address's once the index is reused),
 * then the slot. Called with the allocation lock held, or on its own.
 */
int remote6_reclaim(void)
{
	static const struct stt_addr6 zero;
	char dir[256];
	__u8 *named;
	int pmtu, stats, n = 0;

	if (remote6_open() || pin_dir(dir, sizeof(dir)))
		return -1;
	named = calloc(STT_MAX_REMOTES6, 1);
	if (!named)
		return -1;
	if (remote6_named(dir, named)) {
		free(named);
		return -1;
	}
	pmtu = open_pin(dir, "stt_pmtu");
	stats = open_pin(dir, "stt_remote_stats");
	for (__u32 i = 1; i < STT_MAX_REMOTES6; i++) {
		struct stt_addr6 a;
		__u32 r = stt_remote6_make(i), cur;

		if (named[i] || bpf_map_lookup_elem(r6.addrs_fd, &i, &a) || addr6_zero(&a))
			continue;
		if (bpf_map_lookup_elem(r6.ids_fd, &a, &cur) == 0 && cur == r)
			bpf_map_delete_elem(r6.ids_fd, &a);
		if (pmtu >= 0)
			bpf_map_delete_elem(pmtu, &r);
		if (stats >= 0)
			bpf_map_delete_elem(stats, &r);
		if (bpf_map_update_elem(r6.addrs_fd, &i, &zero, BPF_ANY) == 0)
			n++;
	}
	if (pmtu >= 0)
		close(pmtu);
	if (stats >= 0)
		close(stats);
	free(named);
	free(r6.used);
	r6.used = NULL;
	return n;
}

int dev_index(const char *name, const char *what)
{
	unsigned int idx;

	if (!name || strlen(name) >= IF_NAMESIZE) {
		err_msg("%s: invalid interface name '%s'", what, name ? name : "");
		return -1;
	}
	idx = if_nametoindex(name);
	if (!idx) {
		err_msg("%s %s: no such device", what, name);
		return -1;
	}
	return (int)idx;
}

const char *dev_name(__u32 ifindex, char *buf)
{
	if (!if_indextoname(ifindex, buf))
		snprintf(buf, IF_NAMESIZE, "if%u", ifindex);
	return buf;
}

int dev_ipv4(const char *name, __be32 *out)
{
	struct ifaddrs *ifa, *p;
	int rc = -1;

	if (getifaddrs(&ifa))
		return -1;
	for (p = ifa; p; p = p->ifa_next) {
		if (p->ifa_addr && p->ifa_addr->sa_family == AF_INET &&
		    !strcmp(p->ifa_name, name)) {
			*out = ((struct sockaddr_in *)p->ifa_addr)->sin_addr.s_addr;
			rc = 0;
			break;
		}
	}
	freeifaddrs(ifa);
	return rc;
}

int dev_mtu(const char *name, __u32 *mtu)
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc;

	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	rc = ioctl(fd, SIOCGIFMTU, &ifr);
	close(fd);
	if (rc)
		return -1;
	*mtu = ifr.ifr_mtu;
	return 0;
}

#define STT_DROP_NAME(name, str, help) [STT_DROP_##name] = str,
#define STT_DROP_HELP(name, str, help) [STT_DROP_##name] = help,
static const char *drop_names[STT_DROP_MAX] = {STT_DROP_REASONS(STT_DROP_NAME)};
static const char *drop_helps[STT_DROP_MAX] = {STT_DROP_REASONS(STT_DROP_HELP)};

const char *drop_name(unsigned int reason)
{
	return reason < STT_DROP_MAX ? drop_names[reason] : "unknown";
}

const char *drop_help(unsigned int reason)
{
	return reason < STT_DROP_MAX ? drop_helps[reason] : "";
}

const char *counter_name(unsigned int idx)
{
#define STT_COUNTER_NAME(name, str, help) [STT_C_##name] = str,
	static const char *names[STT_C_DROP_BASE] = {STT_COUNTERS(STT_COUNTER_NAME)};
#undef STT_COUNTER_NAME

	return idx < STT_C_DROP_BASE ? names[idx] : drop_name(idx - STT_C_DROP_BASE);
}

const char *counter_help(unsigned int idx)
{
#define STT_COUNTER_HELP(name, str, help) [STT_C_##name] = help,
	static const char *helps[STT_C_DROP_BASE] = {STT_COUNTERS(STT_COUNTER_HELP)};
#undef STT_COUNTER_HELP

	return idx < STT_C_DROP_BASE ? helps[idx] : drop_help(idx - STT_C_DROP_BASE);
}

/* End a listing: print arr as JSON with -j (the rows were printed as text otherwise). */
int list_out(struct json_object *arr)
{
	if (g_opts.json)
		return json_out(arr);
	json_object_put(arr);
	return 0;
}

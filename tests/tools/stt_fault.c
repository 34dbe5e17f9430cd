// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * stt_fault: load the STT fault injector (tests/tools/stt_fault.bpf.c) on the egress of a device,
 * print what it did, remove it. A test tool, not part of the endpoint.
 *
 *   stt_fault [-n NETNS] DEV [FAULTS...] [--seed N] [--port N] [--json]   attach
 *   stt_fault [-n NETNS] DEV --stats [--json]                             counters
 *   stt_fault [-n NETNS] DEV --detach [--json]                            counters, remove
 *
 * The programs sit in DEV's clsact (egress, plus an ingress helper for the reorder
 * detour) with handle and priority 0x5346, ahead of sttctl's 0x5354. The counters and the
 * configuration are pinned under /sys/fs/bpf/stt_fault/<netns inode>-<ifindex>/, so that
 * attach, --stats and --detach can be separate processes (as with sttctl, use -n, not
 * `ip netns exec`, which gives each command its own /sys).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "stt_proto.h"
#include "stt_fault.skel.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

#define FAULT_HANDLE 0x5346
#define FAULT_PRIO 0x5346
#define STTCTL_HANDLE 0x5354
#define PIN_BASE "/sys/fs/bpf/stt_fault"
#define LOADER_CREATED_CLSACT 0x01

#define FAULT_F_ONLY_OFFSET_NONZERO 0x01 /* as in tests/tools/stt_fault.bpf.c */
#define FAULT_F_ONLY_MULTI 0x02

static bool json;

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "stt_fault: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static int libbpf_warn(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: stt_fault [-n NETNS] DEV [options]      attach to DEV's egress\n"
		"       stt_fault [-n NETNS] DEV --stats        print the counters\n"
		"       stt_fault [-n NETNS] DEV --detach       print the counters and remove\n"
		"Faults (P: percent 0-100, an optional trailing %%; N: segment index, 0 = first):\n"
		"  --drop-rate P --dup-rate P --reorder-rate P   seeded rate per STT segment\n"
		"  --ce-rate P              set CE on that share of ECT segments (an AQM's mark)\n"
		"  --drop-index N --dup-index N --reorder-index N  segment N of every frame\n"
		"  --every K                only every K-th frame (by seeded hash) for index faults\n"
		"  --seed N                 PRNG seed (default 1)\n"
		"  --only-offset-nonzero    only segments with a non-zero offset in their frame\n"
		"  --only-multi             only segments of multi-segment frames\n"
		"  --port N                 STT destination port (default %d)\n"
		"  --json                   counters as one JSON object\n"
		"A drop wins over the others; a duplicated segment can also be reordered (the clone\n"
		"leaves first). Reorder sends the segment on a detour through DEV's ingress backlog\n"
		"(see tests/tools/stt_fault.bpf.c); a fixed delay is not possible on this kernel.\n",
		STT_DEFAULT_PORT);
}

static unsigned long parse_num(const char *opt, const char *s, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || *s == '-' || v > max)
		die("invalid %s '%s' (0 .. %lu)", opt, s, max);
	return v;
}

/* A percentage 0..100 as a threshold out of 2^32. */
static __u32 parse_rate(const char *opt, const char *s)
{
	char buf[64], *end;
	double p;
	size_t n = strlen(s);

	if (n == 0 || n >= sizeof(buf))
		die("invalid %s '%s'", opt, s);
	memcpy(buf, s, n + 1);
	if (buf[n - 1] == '%')
		buf[n - 1] = 0;
	errno = 0;
	p = strtod(buf, &end);
	if (errno || end == buf || *end || p < 0 || p > 100)
		die("invalid %s '%s': a percentage 0 .. 100", opt, s);
	if (p >= 100)
		return 0xffffffff;
	return (__u32)(p / 100.0 * 4294967296.0);
}

static void enter_netns(const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET))
		die("cannot enter network namespace %s: %s", name, strerror(errno));
	close(fd);
}

static void ensure_bpffs(void)
{
	struct statfs sfs;

	if (statfs("/sys/fs/bpf", &sfs) == 0 && sfs.f_type == BPF_FS_MAGIC)
		return;
	if (mkdir("/sys/fs/bpf", 0700) && errno != EEXIST)
		die("cannot create /sys/fs/bpf: %s", strerror(errno));
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700"))
		die("cannot mount bpffs: %s", strerror(errno));
}

static void pin_dir(char *buf, size_t len, int ifindex)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st))
		die("cannot identify the network namespace: %s", strerror(errno));
	snprintf(buf, len, "%s/%lu-%d", PIN_BASE, (unsigned long)st.st_ino, ifindex);
}

static int read_pinned(const char *dir, const char *name, void *val, size_t size)
{
	char path[PATH_MAX + 32];
	struct bpf_map_info info = {};
	__u32 info_len = sizeof(info), zero = 0;
	void *buf;
	int fd, rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -1;
	if (bpf_obj_get_info_by_fd(fd, &info, &info_len)) {
		close(fd);
		return -1;
	}
	/* The value may be larger than this build's struct (or smaller): copy what fits. */
	buf = calloc(1, info.value_size > size ? info.value_size : size);
	if (!buf) {
		close(fd);
		return -1;
	}
	rc = bpf_map_lookup_elem(fd, &zero, buf);
	if (!rc)
		memcpy(val, buf, size);
	free(buf);
	close(fd);
	return rc;
}

static double rate_pct(__u32 thresh)
{
	return thresh == 0xffffffff ? 100.0 : thresh / 4294967296.0 * 100.0;
}

static void print_state(const char *dev, const struct stt_fault_bpf__rodata *c,
			const struct stt_fault_bpf__bss *b, const char *what)
{
#define CTRS(X)                                                                                    \
	X(packets) X(stt) X(stt_first) X(stt_multi) X(gso_skbs) X(eligible) X(dropped)            \
	X(dropped_nonzero) X(dropped_multi) X(duplicated) X(duplicated_multi) X(dup_failed)       \
	X(reordered) X(reordered_multi) X(reorder_failed) X(reorder_returned) X(clones_passed)    \
	X(index_unknown) X(ce_marked)
	if (json) {
		printf("{\"dev\":\"%s\",\"state\":\"%s\",\"config\":{\"seed\":%u,\"port\":%u,"
		       "\"drop_rate\":%.4f,\"dup_rate\":%.4f,\"reorder_rate\":%.4f,"
		       "\"drop_index\":%d,\"dup_index\":%d,\"reorder_index\":%d,\"every\":%u,"
		       "\"only_offset_nonzero\":%s,\"only_multi\":%s},\"counters\":{",
		       dev, what, c->cfg_seed, c->cfg_port, rate_pct(c->cfg_drop_thresh),
		       rate_pct(c->cfg_dup_thresh), rate_pct(c->cfg_reorder_thresh), c->cfg_drop_index,
		       c->cfg_dup_index, c->cfg_reorder_index, c->cfg_every,
		       c->cfg_flags & FAULT_F_ONLY_OFFSET_NONZERO ? "true" : "false",
		       c->cfg_flags & FAULT_F_ONLY_MULTI ? "true" : "false");
		const char *sep = "";
#define J(n)                                                                                       \
	printf("%s\"" #n "\":%llu", sep, (unsigned long long)b->c_##n);                             \
	sep = ",";
		CTRS(J)
#undef J
		printf("}}\n");
	} else {
		printf("stt_fault on %s: %s; seed %u, drop %.3f%% dup %.3f%% reorder %.3f%%, "
		       "index drop/dup/reorder %d/%d/%d every %u%s%s\n",
		       dev, what, c->cfg_seed, rate_pct(c->cfg_drop_thresh),
		       rate_pct(c->cfg_dup_thresh), rate_pct(c->cfg_reorder_thresh), c->cfg_drop_index,
		       c->cfg_dup_index, c->cfg_reorder_index, c->cfg_every,
		       c->cfg_flags & FAULT_F_ONLY_OFFSET_NONZERO ? ", only offset > 0" : "",
		       c->cfg_flags & FAULT_F_ONLY_MULTI ? ", only multi-segment frames" : "");
#define T(n) printf("  %-18s %llu\n", #n, (unsigned long long)b->c_##n);
		CTRS(T)
#undef T
	}
#undef CTRS
}

static int tc_detach_one(int ifindex, enum bpf_tc_attach_point where)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = where);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = FAULT_HANDLE, .priority = FAULT_PRIO);

	return bpf_tc_detach(&hook, &opts);
}

static bool tc_has_sttctl(int ifindex, enum bpf_tc_attach_point where)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = where);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = STTCTL_HANDLE, .priority = STTCTL_HANDLE);

	return bpf_tc_query(&hook, &opts) == 0;
}

static void remove_pins(const char *dir)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/bss", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/rodata", dir);
	unlink(path);
	rmdir(dir);
}

static int do_report(const char *dev, int ifindex, bool detach)
{
	struct stt_fault_bpf__rodata cfg = {};
	struct stt_fault_bpf__bss bss = {};
	char dir[PATH_MAX];

	/* Missing filters and qdiscs are expected here; this tool reports what matters. */
	libbpf_set_print(NULL);
	pin_dir(dir, sizeof(dir), ifindex);
	if (read_pinned(dir, "bss", &bss, sizeof(bss)) ||
	    read_pinned(dir, "rodata", &cfg, sizeof(cfg))) {
		if (!detach)
			die("no fault injector on %s (nothing pinned at %s)", dev, dir);
		/* Remove the filters even without pins (a crashed attach). */
		tc_detach_one(ifindex, BPF_TC_EGRESS);
		tc_detach_one(ifindex, BPF_TC_INGRESS);
		die("no fault injector state on %s (filters removed if present)", dev);
	}
	if (detach) {
		int e = tc_detach_one(ifindex, BPF_TC_EGRESS);
		int i = tc_detach_one(ifindex, BPF_TC_INGRESS);

		if ((bss.loader_flags & LOADER_CREATED_CLSACT) &&
		    !tc_has_sttctl(ifindex, BPF_TC_INGRESS)) {
			DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
					    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
			bpf_tc_hook_destroy(&hook);
		}
		remove_pins(dir);
		if (e && e != -ENOENT)
			fprintf(stderr, "stt_fault: removing the egress filter of %s: %s\n", dev,
				strerror(-e));
		if (i && i != -ENOENT)
			fprintf(stderr, "stt_fault: removing the ingress filter of %s: %s\n", dev,
				strerror(-i));
	}
	print_state(dev, &cfg, &bss, detach ? "detached" : "attached");
	return 0;
}

static int do_attach(const char *dev, int ifindex, struct stt_fault_bpf__rodata *want)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_EGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, eopts, .handle = FAULT_HANDLE, .priority = FAULT_PRIO);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, iopts, .handle = FAULT_HANDLE, .priority = FAULT_PRIO);
	struct stt_fault_bpf *skel;
	char dir[PATH_MAX], path[PATH_MAX + 32];
	struct stat st;
	int err;

	pin_dir(dir, sizeof(dir), ifindex);
	if (stat(dir, &st) == 0)
		die("a fault injector is already attached to %s (run --detach first)", dev);

	skel = stt_fault_bpf__open();
	if (!skel)
		die("cannot open the BPF object: %s", strerror(errno));
	*skel->rodata = *want;
	skel->rodata->cfg_ifindex = ifindex;
	err = stt_fault_bpf__load(skel);
	if (err)
		die("cannot load the BPF programs: %s", strerror(-err));

	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		die("cannot create the clsact qdisc on %s: %s", dev, strerror(-err));
	if (!err)
		skel->bss->loader_flags |= LOADER_CREATED_CLSACT;

	if (mkdir(PIN_BASE, 0700) && errno != EEXIST)
		die("cannot create %s: %s", PIN_BASE, strerror(errno));
	if (mkdir(dir, 0700) && errno != EEXIST)
		die("cannot create %s: %s", dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/bss", dir);
	if (bpf_map__pin(skel->maps.bss, path))
		die("cannot pin %s: %s", path, strerror(errno));
	snprintf(path, sizeof(path), "%s/rodata", dir);
	if (bpf_map__pin(skel->maps.rodata, path)) {
		remove_pins(dir);
		die("cannot pin %s: %s", path, strerror(errno));
	}

	/* Ingress helper first: a detour must find its way back before any segment takes it. */
	hook.attach_point = BPF_TC_INGRESS;
	iopts.prog_fd = bpf_program__fd(skel->progs.stt_fault_ingress);
	err = bpf_tc_attach(&hook, &iopts);
	if (!err) {
		hook.attach_point = BPF_TC_EGRESS;
		eopts.prog_fd = bpf_program__fd(skel->progs.stt_fault_egress);
		err = bpf_tc_attach(&hook, &eopts);
		if (err)
			tc_detach_one(ifindex, BPF_TC_INGRESS);
	}
	if (err) {
		remove_pins(dir);
		die("cannot attach to %s: %s (another filter with handle/prio 0x%x?)", dev,
		    strerror(-err), FAULT_HANDLE);
	}
	print_state(dev, skel->rodata, skel->bss, "attached");
	stt_fault_bpf__destroy(skel); /* the filters keep the programs and maps alive */
	return 0;
}

int main(int argc, char **argv)
{
	struct stt_fault_bpf__rodata want = {
		.cfg_port = STT_DEFAULT_PORT,
		.cfg_seed = 1,
		.cfg_drop_index = -1,
		.cfg_dup_index = -1,
		.cfg_reorder_index = -1,
		.cfg_every = 1,
	};
	const char *netns = NULL, *dev = NULL;
	bool detach = false, stats = false;
	int ifindex;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

#define NEEDV                                                                                      \
	do {                                                                                       \
		if (!v)                                                                            \
			die("%s needs a value", a);                                                \
		i++;                                                                               \
	} while (0)
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "-n")) {
			NEEDV;
			netns = v;
		} else if (!strcmp(a, "--detach")) {
			detach = true;
		} else if (!strcmp(a, "--stats")) {
			stats = true;
		} else if (!strcmp(a, "--json")) {
			json = true;
		} else if (!strcmp(a, "--drop-rate")) {
			NEEDV;
			want.cfg_drop_thresh = parse_rate(a, v);
		} else if (!strcmp(a, "--dup-rate")) {
			NEEDV;
			want.cfg_dup_thresh = parse_rate(a, v);
		} else if (!strcmp(a, "--ce-rate")) {
			NEEDV;
			want.cfg_ce_thresh = parse_rate(a, v);
		} else if (!strcmp(a, "--reorder-rate")) {
			NEEDV;
			want.cfg_reorder_thresh = parse_rate(a, v);
		} else if (!strcmp(a, "--drop-index")) {
			NEEDV;
			want.cfg_drop_index = parse_num(a, v, 65535);
		} else if (!strcmp(a, "--dup-index")) {
			NEEDV;
			want.cfg_dup_index = parse_num(a, v, 65535);
		} else if (!strcmp(a, "--reorder-index")) {
			NEEDV;
			want.cfg_reorder_index = parse_num(a, v, 65535);
		} else if (!strcmp(a, "--every")) {
			NEEDV;
			want.cfg_every = parse_num(a, v, 1u << 30);
			if (!want.cfg_every)
				die("--every must be at least 1");
		} else if (!strcmp(a, "--seed")) {
			NEEDV;
			want.cfg_seed = parse_num(a, v, 0xffffffffu);
		} else if (!strcmp(a, "--port")) {
			NEEDV;
			want.cfg_port = parse_num(a, v, 65535);
		} else if (!strcmp(a, "--only-offset-nonzero")) {
			want.cfg_flags |= FAULT_F_ONLY_OFFSET_NONZERO;
		} else if (!strcmp(a, "--only-multi")) {
			want.cfg_flags |= FAULT_F_ONLY_MULTI;
		} else if (a[0] == '-') {
			usage(stderr);
			die("unknown option '%s'", a);
		} else if (!dev) {
			dev = a;
		} else {
			die("unexpected argument '%s'", a);
		}
#undef NEEDV
	}
	if (!dev) {
		usage(stderr);
		return 1;
	}
	if (detach && stats)
		die("--detach and --stats exclude each other");
	libbpf_set_print(libbpf_warn);
	if (netns)
		enter_netns(netns);
	ensure_bpffs();
	ifindex = if_nametoindex(dev);
	if (!ifindex)
		die("no device %s%s%s", dev, netns ? " in " : "", netns ? netns : "");
	if (detach || stats)
		return do_report(dev, ifindex, detach);
	return do_attach(dev, ifindex, &want);
}

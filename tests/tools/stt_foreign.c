// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * stt_foreign: a stand-in for someone else's TC program, for the coexistence tests
 * (tests/netns/test_ops.sh). Not part of the endpoint.
 *
 *   stt_foreign [-n NETNS] attach tcx|clsact DEV DIR   load tests/tools/foreign.bpf.c at
 *                         DEV's ingress (a tcx link appended to the chain, pinned as DIR/link,
 *                         or a clsact filter with handle/priority 0x77); its counter is
 *                         pinned as DIR/count
 *   stt_foreign [-n NETNS] count DIR                   print the counter
 *   stt_foreign [-n NETNS] query DEV                   the tcx ingress programs of DEV, in
 *                         order: "ID NAME" per line
 *   stt_foreign [-n NETNS] clsact DEV                  the clsact ingress filters of DEV
 *                         that run foreign_tc: prints how many (0 or 1)
 *   stt_foreign [-n NETNS] detach tcx|clsact DEV DIR   remove it and DIR
 *
 * Like sttctl, it enters NETNS itself (-n) so that its pins land in the host's bpffs.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "foreign.skel.h"

#define TCX_INGRESS 46 /* BPF_TCX_INGRESS, Linux 6.6+ (absent from Debian 12's headers) */
#define FOREIGN_HANDLE 0x77
#define FOREIGN_PRIO 0x77

static int usage(void)
{
	fprintf(stderr, "usage: stt_foreign [-n NETNS] attach|detach tcx|clsact DEV DIR\n"
			"       stt_foreign [-n NETNS] count DIR | query DEV | clsact DEV\n");
	return 2;
}

static int enter_ns(const char *name)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET)) {
		fprintf(stderr, "stt_foreign: netns %s: %s\n", name, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

static int tcx_link_create(int prog_fd, int ifindex)
{
	struct {
		__u32 prog_fd, target_ifindex, attach_type, flags, relative_fd, pad;
		__u64 expected_revision;
		__u8 rest[32];
	} attr = { .prog_fd = prog_fd, .target_ifindex = ifindex, .attach_type = TCX_INGRESS };
	long fd = syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));

	return fd < 0 ? -errno : (int)fd;
}

static int do_attach(bool tcx, int ifindex, const char *dir)
{
	struct foreign_bpf *skel = foreign_bpf__open_and_load();
	char path[PATH_MAX];
	int fd, rc = 1;

	if (!skel) {
		fprintf(stderr, "stt_foreign: load: %s\n", strerror(errno));
		return 1;
	}
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/count", dir);
	if (bpf_map__pin(skel->maps.foreign_count, path)) {
		fprintf(stderr, "stt_foreign: pin %s: %s\n", path, strerror(errno));
		goto out;
	}
	if (tcx) {
		fd = tcx_link_create(bpf_program__fd(skel->progs.foreign_tc), ifindex);
		if (fd < 0) {
			fprintf(stderr, "stt_foreign: tcx link: %s\n", strerror(-fd));
			goto out;
		}
		snprintf(path, sizeof(path), "%s/link", dir);
		if (bpf_obj_pin(fd, path)) {
			fprintf(stderr, "stt_foreign: pin %s: %s\n", path, strerror(errno));
			close(fd);
			goto out;
		}
		close(fd);
	} else {
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
				    .attach_point = BPF_TC_INGRESS);
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = FOREIGN_HANDLE,
				    .priority = FOREIGN_PRIO,
				    .prog_fd = bpf_program__fd(skel->progs.foreign_tc));
		int err = bpf_tc_hook_create(&hook);

		if (err && err != -EEXIST) {
			fprintf(stderr, "stt_foreign: clsact: %s\n", strerror(-err));
			goto out;
		}
		err = bpf_tc_attach(&hook, &opts);
		if (err) {
			fprintf(stderr, "stt_foreign: clsact filter: %s\n", strerror(-err));
			goto out;
		}
	}
	rc = 0;
out:
	foreign_bpf__destroy(skel);
	return rc;
}

static int do_detach(bool tcx, int ifindex, const char *dir)
{
	char path[PATH_MAX];

	if (tcx) {
		snprintf(path, sizeof(path), "%s/link", dir);
		unlink(path);
	} else {
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
				    .attach_point = BPF_TC_INGRESS);
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = FOREIGN_HANDLE,
				    .priority = FOREIGN_PRIO);

		bpf_tc_detach(&hook, &opts);
	}
	snprintf(path, sizeof(path), "%s/count", dir);
	unlink(path);
	rmdir(dir);
	return 0;
}

static int do_count(const char *dir)
{
	char path[PATH_MAX];
	__u64 v = 0;
	__u32 k = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/count", dir);
	fd = bpf_obj_get(path);
	if (fd < 0 || bpf_map_lookup_elem(fd, &k, &v)) {
		fprintf(stderr, "stt_foreign: %s: %s\n", path, strerror(errno));
		return 1;
	}
	printf("%llu\n", (unsigned long long)v);
	return 0;
}

static int do_query(int ifindex)
{
	__u32 ids[64], cnt = 64, flags = 0;

	if (bpf_prog_query(ifindex, TCX_INGRESS, 0, &flags, ids, &cnt)) {
		if (errno == ENOENT) /* no tcx program on the device */
			return 0;
		fprintf(stderr, "stt_foreign: query: %s\n", strerror(errno));
		return 1;
	}
	for (__u32 i = 0; i < cnt; i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(ids[i]);

		if (fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
			printf("%u %s\n", ids[i], info.name);
		else
			printf("%u ?\n", ids[i]);
		if (fd >= 0)
			close(fd);
	}
	return 0;
}

static int do_clsact(int ifindex)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = FOREIGN_HANDLE, .priority = FOREIGN_PRIO);

	printf("%d\n", bpf_tc_query(&hook, &opts) == 0);
	return 0;
}

int main(int argc, char **argv)
{
	int i = 1, ifindex;

	if (argc > 2 && !strcmp(argv[1], "-n")) {
		if (enter_ns(argv[2]))
			return 1;
		i = 3;
	}
	if (i >= argc)
		return usage();
	if (!strcmp(argv[i], "count") && argc == i + 2)
		return do_count(argv[i + 1]);
	if ((!strcmp(argv[i], "query") || !strcmp(argv[i], "clsact")) && argc == i + 2) {
		ifindex = if_nametoindex(argv[i + 1]);
		if (!ifindex) {
			fprintf(stderr, "stt_foreign: %s: no such device\n", argv[i + 1]);
			return 1;
		}
		return argv[i][0] == 'q' ? do_query(ifindex) : do_clsact(ifindex);
	}
	if ((!strcmp(argv[i], "attach") || !strcmp(argv[i], "detach")) && argc == i + 4) {
		bool tcx = !strcmp(argv[i + 1], "tcx");

		if (!tcx && strcmp(argv[i + 1], "clsact"))
			return usage();
		ifindex = if_nametoindex(argv[i + 2]);
		if (!ifindex) {
			fprintf(stderr, "stt_foreign: %s: no such device\n", argv[i + 2]);
			return 1;
		}
		return argv[i][0] == 'a' ? do_attach(tcx, ifindex, argv[i + 3])
					 : do_detach(tcx, ifindex, argv[i + 3]);
	}
	return usage();
}

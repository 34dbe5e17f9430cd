// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * TC ingress attachment of the stt programs: tcx links where the kernel has them, clsact
 * filters (handle/priority 0x5354) where it does not.
 *
 * A tcx link (kernel 6.6+) is pinned as <pin dir>/link_tc_<ifindex>. Re-attaching swaps the
 * program of the pinned link with BPF_LINK_UPDATE: one atomic pointer change, no packet sees
 * "no program", and the link keeps its place among the other tcx programs of the device.
 * Removing the pin (detach, vport del, or the pin directory going away) detaches it. The
 * link is appended to the device's tcx chain, so programs attached before stt run before it,
 * and stt returns TC_ACT_UNSPEC (TCX_NEXT) for what it does not consume, so programs after
 * it (tcx or clsact filters) still see every packet that is not STT.
 *
 * Debian 12's uapi headers (Linux 6.1) and libbpf 1.1 predate tcx: the attach type is
 * defined here and the link is created with the bpf() syscall directly.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <libmnl/libmnl.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include "common.h"

/* enum bpf_attach_type: BPF_TCX_INGRESS = 46 since Linux 6.6 (absent from 6.1 headers). */
#define STT_BPF_TCX_INGRESS 46

/* union bpf_attr for BPF_LINK_CREATE as Linux 6.6+ lays it out for tcx. */
struct stt_tcx_link_create {
	__u32 prog_fd;
	__u32 target_ifindex;
	__u32 attach_type;
	__u32 flags; /* BPF_F_BEFORE/AFTER/ID/LINK: 0 = append to the chain */
	__u32 relative_fd;
	__u32 pad;
	__u64 expected_revision; /* 0 = any */
};

static int tcx_link_create(int prog_fd, int ifindex)
{
	union {
		struct stt_tcx_link_create lc;
		__u8 raw[64]; /* larger than every field the kernel reads for tcx; zeroed */
	} attr;
	long fd;

	memset(&attr, 0, sizeof(attr));
	attr.lc.prog_fd = prog_fd;
	attr.lc.target_ifindex = ifindex;
	attr.lc.attach_type = STT_BPF_TCX_INGRESS;
	fd = syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : (int)fd;
}

static int link_path(char *buf, size_t len, int ifindex)
{
	char dir[256];

	if (pin_dir(dir, sizeof(dir)))
		return -1;
	return snprintf(buf, len, "%s/link_tc_%d", dir, ifindex) >= (int)len ? -1 : 0;
}

/* STT_TC_MODE=clsact (a test and troubleshooting knob) forces the clsact path. */
static bool clsact_forced(void)
{
	const char *m = getenv("STT_TC_MODE");

	return m && !strcmp(m, "clsact");
}

bool tc_uses_tcx(int ifindex)
{
	char path[PATH_MAX];

	return link_path(path, sizeof(path), ifindex) == 0 && access(path, F_OK) == 0;
}

/* Filters attached under one clsact parent (ingress or egress) of ifindex, or -errno. */
static int tc_filter_count(int ifindex, __u32 parent)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct tcmsg *tcm;
	unsigned int seq = time(NULL), portid;
	int n = 0, rc;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETTFILTER;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	tcm->tcm_parent = parent;

	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		rc = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	for (;;) {
		struct nlmsghdr *h;
		int len = mnl_socket_recvfrom(nl, buf, sizeof(buf));

		if (len < 0) {
			rc = -errno;
			goto out;
		}
		for (h = (struct nlmsghdr *)buf; mnl_nlmsg_ok(h, len);
		     h = mnl_nlmsg_next(h, &len)) {
			if (h->nlmsg_seq != seq || h->nlmsg_pid != portid)
				continue;
			if (h->nlmsg_type == NLMSG_DONE) {
				rc = n;
				goto out;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);

				rc = e->error;
				goto out;
			}
			if (h->nlmsg_type == RTM_NEWTFILTER)
				n++;
		}
	}
out:
	mnl_socket_close(nl);
	return rc;
}

/* Remove the clsact qdisc of ifindex if no filter is left on either side of it. */
static void tc_clsact_release(int ifindex)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
	                    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);

	if (tc_filter_count(ifindex, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS)) == 0 &&
	    tc_filter_count(ifindex, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS)) == 0)
		bpf_tc_hook_destroy(&hook);
	else
		info_msg("clsact on ifindex %d still has other filters: left in place", ifindex);
}

/* Our clsact filter (handle/priority 0x5354) on ifindex, if there is one. */
static int clsact_filter_del(int ifindex)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = STT_TC_HANDLE, .priority = STT_TC_PRIO);
	int rc = bpf_tc_detach(&hook, &opts);

	/* No clsact at all (EINVAL) or no such filter (ENOENT): nothing of ours there. */
	return rc == -ENOENT || rc == -EINVAL ? 0 : rc;
}

static int clsact_attach(int ifindex, int prog_fd, bool *created)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = STT_TC_HANDLE, .priority = STT_TC_PRIO,
	                    .prog_fd = prog_fd, .flags = BPF_TC_F_REPLACE);
	bool new_hook;
	int rc;

	rc = bpf_tc_hook_create(&hook);
	if (rc && rc != -EEXIST)
		return rc;
	new_hook = rc == 0;
	if (created)
		*created = new_hook;
	rc = bpf_tc_attach(&hook, &opts);
	if (rc && new_hook) {
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&hook);
		if (created)
			*created = false;
	}
	return rc;
}

int tc_attach_ingress(int ifindex, int prog_fd, bool *created)
{
	char path[PATH_MAX];
	int fd, rc;

	if (created)
		*created = false;
	if (link_path(path, sizeof(path), ifindex))
		return -ENAMETOOLONG;
	/* Upgrade: swap the program of the pinned link, atomically. */
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		rc = bpf_link_update(fd, prog_fd, NULL);
		rc = rc < 0 ? -errno : 0;
		close(fd);
		if (rc != -ENOLINK)
			return rc;
		/* The device of that link went away (a new one took its index): start over. */
		unlink(path);
	}
	if (!clsact_forced()) {
		fd = tcx_link_create(prog_fd, ifindex);
		if (fd >= 0) {
			rc = bpf_obj_pin(fd, path) ? -errno : 0;
			close(fd); /* without the pin this detaches the link again */
			if (rc)
				return rc;
			/*
			 * An earlier stt (before tcx links) left a clsact filter: the link runs
			 * first and consumes every STT packet, so removing the filter now loses
			 * nothing. A clsact qdisc stt created stays until detach: removing a
			 * qdisc deactivates the device's transmit queues for a moment.
			 */
			clsact_filter_del(ifindex);
			return 0;
		}
		/* EINVAL: this kernel has no tcx attach type. Anything else is a real error. */
		if (fd != -EINVAL)
			return fd;
		info_msg("tcx links not supported: attaching through clsact");
	}
	return clsact_attach(ifindex, prog_fd, created);
}

int tc_detach_ingress(int ifindex, bool destroy_clsact)
{
	char path[PATH_MAX];
	int fd, rc = 0;

	if (link_path(path, sizeof(path), ifindex) == 0) {
		fd = bpf_obj_get(path);
		if (fd >= 0) {
			/* Detach even if someone else holds the link open; then drop the pin. */
			if (bpf_link_detach(fd) && errno != ENOLINK)
				rc = -errno;
			close(fd);
			unlink(path);
		}
	}
	if (!rc)
		rc = clsact_filter_del(ifindex);
	if (destroy_clsact)
		tc_clsact_release(ifindex);
	return rc;
}

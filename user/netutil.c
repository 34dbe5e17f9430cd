// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Kernel state the transmit path depends on, set through netlink (libmnl) and sysctl.
 *
 * The outer Ethernet addresses come from bpf_fib_lookup(), which reads the kernel's FIB and
 * neighbour table but (a) refuses to work unless IPv4 forwarding is on for the device it
 * looks up from, and (b) never resolves a missing neighbour. So attach turns forwarding on
 * for the underlay device (and detach restores it), and every remote endpoint gets a
 * "managed" neighbour entry (NTF_EXT_MANAGED): the kernel resolves it and keeps it
 * reachable by itself. The MAC is still the kernel's answer, never configured by hand.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include "common.h"

/* NDA_PROTOCOL value that marks the neighbour entries stt created. */
#define STT_NEIGH_PROTO 0x57

static int neigh_request(int type, int flags, int ifindex, __be32 addr)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct ndmsg *ndm;
	unsigned int seq = time(NULL), portid;
	int rc;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = seq;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = AF_INET;
	ndm->ndm_ifindex = ifindex;
	ndm->ndm_state = NUD_NONE;
	mnl_attr_put(nlh, NDA_DST, sizeof(addr), &addr);
	if (type == RTM_NEWNEIGH) {
		mnl_attr_put_u32(nlh, NDA_FLAGS_EXT, NTF_EXT_MANAGED);
		mnl_attr_put_u8(nlh, NDA_PROTOCOL, STT_NEIGH_PROTO);
	}

	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		rc = -errno;
		goto out;
	}
	rc = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (rc < 0) {
		rc = -errno;
		goto out;
	}
	rc = mnl_cb_run(buf, rc, seq, portid, NULL, NULL);
	rc = rc < 0 ? -errno : 0;
out:
	mnl_socket_close(nl);
	return rc;
}

int neigh_managed_add(int ifindex, __be32 addr)
{
	int rc = neigh_request(RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, ifindex, addr);

	if (rc)
		info_msg("managed neighbour: %s", strerror(-rc));
	return rc;
}

int neigh_managed_del(int ifindex, __be32 addr)
{
	return neigh_request(RTM_DELNEIGH, 0, ifindex, addr);
}

static int sysctl_path(char *buf, size_t len, const char *dev)
{
	return snprintf(buf, len, "/proc/sys/net/ipv4/conf/%s/forwarding", dev) >= (int)len;
}

int dev_forwarding_get(const char *dev)
{
	char path[256], v[8] = {};
	int fd, n;

	if (sysctl_path(path, sizeof(path), dev))
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, v, sizeof(v) - 1);
	close(fd);
	return n > 0 ? v[0] == '1' : -1;
}

int dev_forwarding_set(const char *dev, int on)
{
	char path[256];
	int fd, rc;

	if (sysctl_path(path, sizeof(path), dev))
		return -1;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = write(fd, on ? "1" : "0", 1) == 1 ? 0 : -1;
	close(fd);
	return rc;
}

/* Call fn for every remote a forwarding entry or flood list names; stop when it returns 1. */
static void for_each_remote(int fdb_fd, int flood_fd, int (*fn)(__be32 remote, void *arg),
			    void *arg)
{
	struct stt_fdb_key key, next, *prev = NULL;
	__u64 fkey, fnext, *fprev = NULL;
	struct stt_flood_val fv;
	struct stt_fdb_val v;

	while (bpf_map_get_next_key(fdb_fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fdb_fd, &key, &v) == 0 && fn(v.remote4, arg))
			return;
	}
	while (bpf_map_get_next_key(flood_fd, fprev, &fnext) == 0) {
		fkey = fnext;
		fprev = &fkey;
		if (bpf_map_lookup_elem(flood_fd, &fkey, &fv))
			continue;
		for (__u32 i = 0; i < fv.count && i < STT_MAX_FLOOD; i++)
			if (fn(fv.remote4[i], arg))
				return;
	}
}

struct neigh_op {
	int ifindex;
	bool add;
};

static int neigh_one(__be32 remote, void *arg)
{
	struct neigh_op *op = arg;

	if (op->add)
		neigh_managed_add(op->ifindex, remote);
	else
		neigh_managed_del(op->ifindex, remote);
	return 0;
}

/* Add (or remove) a managed neighbour for every remote the maps name. */
void remotes_neigh(int fdb_fd, int flood_fd, int ifindex, bool add)
{
	struct neigh_op op = { .ifindex = ifindex, .add = add };

	for_each_remote(fdb_fd, flood_fd, neigh_one, &op);
}

struct remote_find {
	__be32 remote;
	bool found;
};

static int remote_match(__be32 remote, void *arg)
{
	struct remote_find *f = arg;

	f->found = remote == f->remote;
	return f->found;
}

/* Whether any forwarding entry or flood list still names remote. */
bool remote_in_use(int fdb_fd, int flood_fd, __be32 remote)
{
	struct remote_find f = { .remote = remote };

	for_each_remote(fdb_fd, flood_fd, remote_match, &f);
	return f.found;
}

/* GRO on the underlay merges the segments of a frame before TC sees them (DESIGN.md). */
static int ethtool_gro(const char *dev, __u32 cmd, __u32 *val)
{
	struct ethtool_value ev = { .cmd = cmd, .data = *val };
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc;

	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	ifr.ifr_data = (void *)&ev;
	rc = ioctl(fd, SIOCETHTOOL, &ifr);
	close(fd);
	*val = ev.data;
	return rc;
}

int dev_gro_get(const char *dev)
{
	__u32 v = 0;

	return ethtool_gro(dev, ETHTOOL_GGRO, &v) ? -1 : (int)!!v;
}

int dev_gro_set(const char *dev, int on)
{
	__u32 v = on;

	return ethtool_gro(dev, ETHTOOL_SGRO, &v);
}


/* The kernel driver behind a device ("veth", "mlx5_core", ...), or "" when unknown. */
int dev_driver(const char *dev, char *buf, size_t len)
{
	struct ethtool_drvinfo di = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc;

	buf[0] = 0;
	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	ifr.ifr_data = (void *)&di;
	rc = ioctl(fd, SIOCETHTOOL, &ifr);
	close(fd);
	if (!rc)
		snprintf(buf, len, "%s", di.driver);
	return rc;
}

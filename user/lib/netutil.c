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
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include "common.h"

/* NDA_PROTOCOL value that marks the neighbour entries stt created. */
#define STT_NEIGH_PROTO 0x57

static int neigh_request(int type, int flags, int ifindex, const struct stt_addr6 *a)
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
	ndm->ndm_family = raddr_is4(a) ? AF_INET : AF_INET6;
	ndm->ndm_ifindex = ifindex;
	ndm->ndm_state = NUD_NONE;
	if (raddr_is4(a))
		mnl_attr_put(nlh, NDA_DST, sizeof(a->a[3]), &a->a[3]);
	else
		mnl_attr_put(nlh, NDA_DST, sizeof(*a), a);
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

/* A managed neighbour for an address (IPv4 or IPv6); none for a group or an unknown index. */
int neigh_addr_add(int ifindex, const struct stt_addr6 *a)
{
	int rc;

	if (raddr_is_mcast(a) || raddr_is_unknown6(a))
		return 0;
	rc = neigh_request(RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, ifindex, a);
	if (rc)
		info_msg("managed neighbour: %s", strerror(-rc));
	return rc;
}

int neigh_addr_del(int ifindex, const struct stt_addr6 *a)
{
	if (raddr_is_mcast(a) || raddr_is_unknown6(a))
		return 0;
	return neigh_request(RTM_DELNEIGH, 0, ifindex, a);
}

int neigh_managed_add(int ifindex, __be32 remote)
{
	struct stt_addr6 a;

	if (remote_addr(remote, &a))
		return -ENOENT;
	return neigh_addr_add(ifindex, &a);
}

int neigh_managed_del(int ifindex, __be32 remote)
{
	struct stt_addr6 a;

	if (remote_addr(remote, &a))
		return -ENOENT;
	return neigh_addr_del(ifindex, &a);
}

/* First global-scope IPv6 address of a device that is neither tentative nor failed DAD. */
struct addr6_find {
	int ifindex;
	bool found;
	struct stt_addr6 *out;
};

static int addr6_attr(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, IFA_MAX) >= 0)
		tb[type] = attr;
	return MNL_CB_OK;
}

static int addr6_cb(const struct nlmsghdr *nlh, void *data)
{
	struct addr6_find *f = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFA_MAX + 1] = {};
	__u32 flags;

	if (f->found || ifa->ifa_family != AF_INET6 || (int)ifa->ifa_index != f->ifindex ||
	    ifa->ifa_scope != RT_SCOPE_UNIVERSE)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*ifa), addr6_attr, tb);
	flags = tb[IFA_FLAGS] ? mnl_attr_get_u32(tb[IFA_FLAGS]) : ifa->ifa_flags;
	if (flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED))
		return MNL_CB_OK;
	if (!tb[IFA_ADDRESS] || mnl_attr_get_payload_len(tb[IFA_ADDRESS]) != 16)
		return MNL_CB_OK;
	memcpy(f->out, mnl_attr_get_payload(tb[IFA_ADDRESS]), 16);
	/* What a remote could not be (::ffff:0:0/96, fe80::/10...) is no local address either. */
	{
		char buf[INET6_ADDRSTRLEN];
		struct stt_addr6 chk;

		inet_ntop(AF_INET6, f->out, buf, sizeof(buf));
		f->found = raddr_parse(buf, &chk) == NULL && !raddr_is_mcast(&chk);
	}
	return MNL_CB_OK;
}

int dev_ipv6(const char *name, struct stt_addr6 *out)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct addr6_find f = {.out = out};
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	unsigned int seq = time(NULL), portid;
	int rc;

	f.ifindex = if_nametoindex(name);
	if (!f.ifindex)
		return -1;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET6;
	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl)
		return -1;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		mnl_socket_close(nl);
		return -1;
	}
	portid = mnl_socket_get_portid(nl);
	while ((rc = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		rc = mnl_cb_run(buf, rc, seq, portid, addr6_cb, &f);
		if (rc <= MNL_CB_STOP)
			break;
	}
	mnl_socket_close(nl);
	if (!f.found)
		memset(out, 0, sizeof(*out));
	return f.found ? 0 : -1;
}

static int sysctl_path(char *buf, size_t len, const char *dev, int family)
{
	return snprintf(buf, len, "/proc/sys/net/%s/conf/%s/forwarding",
	                family == AF_INET6 ? "ipv6" : "ipv4", dev) >= (int)len;
}

static int forwarding_get(const char *dev, int family)
{
	char path[256], v[8] = {};
	int fd, n;

	if (sysctl_path(path, sizeof(path), dev, family))
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, v, sizeof(v) - 1);
	close(fd);
	return n > 0 ? v[0] == '1' : -1;
}

static int forwarding_set(const char *dev, int family, int on)
{
	char path[256];
	int fd, rc;

	if (sysctl_path(path, sizeof(path), dev, family))
		return -1;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = write(fd, on ? "1" : "0", 1) == 1 ? 0 : -1;
	close(fd);
	return rc;
}

int dev_forwarding_get(const char *dev)
{
	return forwarding_get(dev, AF_INET);
}

int dev_forwarding_set(const char *dev, int on)
{
	return forwarding_set(dev, AF_INET, on);
}

/* IPv6: bpf_fib_lookup() for AF_INET6 needs net.ipv6.conf.DEV.forwarding as well. */
int dev_forwarding6_get(const char *dev)
{
	return forwarding_get(dev, AF_INET6);
}

int dev_forwarding6_set(const char *dev, int on)
{
	return forwarding_set(dev, AF_INET6, on);
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

	/* A group: no neighbour to resolve (stt_tx_send maps it to a MAC); see neigh_addr_add. */
	if (op->add)
		neigh_managed_add(op->ifindex, remote);
	else
		neigh_managed_del(op->ifindex, remote);
	return 0;
}

/* Add (or remove) a managed neighbour for every remote the maps name. */
void remotes_neigh(int fdb_fd, int flood_fd, int ifindex, bool add)
{
	struct neigh_op op = {.ifindex = ifindex, .add = add};

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
	struct remote_find f = {.remote = remote};

	for_each_remote(fdb_fd, flood_fd, remote_match, &f);
	return f.found;
}

/*
 * The Ethernet multicast address of a group: IPv4 01:00:5e + the low 23 bits (RFC 1112),
 * IPv6 33:33 + the low 32 bits (RFC 2464). -1 if the remote is no group (or has no address).
 */
static int group_mac(__be32 g, __u8 mac[6])
{
	const __u8 *b = (const __u8 *)&g;
	struct stt_addr6 a;

	if (!stt_remote_is6(g)) {
		mac[0] = 0x01, mac[1] = 0x00, mac[2] = 0x5e;
		mac[3] = b[1] & 0x7f, mac[4] = b[2], mac[5] = b[3];
		return 0;
	}
	if (remote_addr(g, &a) || !raddr_is_mcast(&a))
		return -1;
	b = (const __u8 *)&a.a[3];
	mac[0] = 0x33, mac[1] = 0x33;
	mac[2] = b[0], mac[3] = b[1], mac[4] = b[2], mac[5] = b[3];
	return 0;
}

/* Add or remove the group's MAC in the underlay's receive filter (SIOCADDMULTI). */
static int group_filter(int ifindex, __be32 g, bool add)
{
	struct ifreq ifr = {};
	int fd, rc;

	if (!ifindex || !if_indextoname(ifindex, ifr.ifr_name))
		return -1;
	ifr.ifr_hwaddr.sa_family = AF_UNSPEC;
	if (group_mac(g, (__u8 *)ifr.ifr_hwaddr.sa_data))
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	rc = ioctl(fd, add ? SIOCADDMULTI : SIOCDELMULTI, &ifr);
	close(fd);
	return rc;
}

struct group_set {
	__be32 g[STT_MAX_GROUPS];
	int n;
};

static int group_collect(__be32 remote, void *arg)
{
	struct group_set *gs = arg;

	if (stt_remote_is6(remote) ? !remote_is_mcast(remote) : !STT_IS_MCAST4(remote))
		return 0;
	for (int i = 0; i < gs->n; i++)
		if (gs->g[i] == remote)
			return 0;
	if (gs->n < STT_MAX_GROUPS)
		gs->g[gs->n++] = remote;
	return 0;
}

/*
 * Make stt_groups the set of multicast groups the flood lists name, and the underlay's
 * multicast filter follow it (ifindex 0: maps only). With attached false, every group's
 * filter entry is removed and the map left as it is (detach).
 */
int groups_sync(int flood_fd, int groups_fd, int ifindex, bool attached)
{
	struct group_set want = {};
	__u32 k, next, *prev = NULL, one = 1;
	__be32 stale[STT_MAX_GROUPS];
	int nstale = 0, rc = 0;

	if (groups_fd < 0)
		return 0;
	if (attached)
		for_each_remote(-1, flood_fd, group_collect, &want);
	while (bpf_map_get_next_key(groups_fd, prev, &next) == 0) {
		bool keep = false;

		k = next;
		prev = &k;
		for (int i = 0; i < want.n; i++)
			keep |= want.g[i] == k;
		if (!keep && nstale < STT_MAX_GROUPS)
			stale[nstale++] = k;
	}
	for (int i = 0; i < nstale; i++) {
		group_filter(ifindex, stale[i], false);
		if (attached)
			bpf_map_delete_elem(groups_fd, &stale[i]);
	}
	for (int i = 0; i < want.n; i++) {
		__u32 g = want.g[i];

		if (bpf_map_lookup_elem(groups_fd, &g, &k) == 0)
			continue;
		if (bpf_map_update_elem(groups_fd, &g, &one, BPF_ANY))
			rc = -1;
		group_filter(ifindex, g, true);
	}
	return rc;
}

/* The underlay's MAC address. */
int dev_mac(const char *dev, __u8 mac[6])
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc;

	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	rc = ioctl(fd, SIOCGIFHWADDR, &ifr);
	close(fd);
	if (!rc)
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return rc;
}

/* GRO on the underlay merges the segments of a frame before TC sees them (DESIGN.md). */
static int ethtool_gro(const char *dev, __u32 cmd, __u32 *val)
{
	struct ethtool_value ev = {.cmd = cmd, .data = *val};
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
	struct ethtool_drvinfo di = {.cmd = ETHTOOL_GDRVINFO};
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

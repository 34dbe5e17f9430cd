// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* sttctl attach / detach: the underlay programs and the pinned state they share. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <xdp/libxdp.h>
#include "cli.h"
#include "apply.h"
#include "stt_tx.skel.h"
#include "stt_tc_rx.skel.h"
#include "stt_xdp.skel.h"

#define XDP_PROG_NAME "stt_xdp_rx"

static void attach_help(FILE *f)
{
	fprintf(f,
	        "  Attach the STT receive programs (XDP, TC ingress) to the underlay DEV and\n"
	        "  create the pinned state of this network namespace.\n"
	        "  --local: the endpoint's address, IPv4 or IPv6; give it once per family for\n"
	        "  both. Without --local: DEV's first IPv4 address and its first global,\n"
	        "  non-tentative IPv6 address, each if it has one (at least one is needed).\n"
	        "  With an IPv6 address, IPv6 forwarding is turned on for DEV (as IPv4\n"
	        "  forwarding is with an IPv4 one; detach restores both).\n"
	        "  N (port) defaults to %d, TTL (IPv6: hop limit) to 64. Re-running it on the\n"
	        "  same DEV replaces the programs and keeps every map entry.\n"
	        "  --xdp: the XDP receive program (early drops, optional fast path). auto, the\n"
	        "  default, attaches it except on a veth: native XDP on a veth makes its peer\n"
	        "  give up TSO, and 64 KB STT frames then cross as segments (measured: 3.7\n"
	        "  against 13.3 Gbit/s). TC classifies and drops the same way without it.\n"
	        "  --dscp: inherit (the default, RFC 2983 uniform model) copies the inner DSCP\n"
	        "  to the outer header and the outer one back in on receive; a number (pipe\n"
	        "  model) is written on every outer header and the inner DSCP is left alone.\n"
	        "  ECN always follows RFC 6040 (normal mode).\n"
	        "  --peers: open (the default) accepts STT from any sender; strict accepts a\n"
	        "  context's frames only from its peers ('sttctl peer add'). STT has no\n"
	        "  authentication: this is an address filter.\n"
	        "  --gue-port: the UDP port of GUE (default %d), received on and sent to; 0\n"
	        "  turns GUE off. --encap: how frames go to remotes without their own setting\n"
	        "  ('sttctl remote set'): stt (the default) or gue; GUE carries Context IDs\n"
	        "  below 2^32 only, and a default that would send a larger one is refused.\n"
	        "  Options not given take their defaults, also when re-running attach.\n",
	        STT_DEFAULT_PORT, STT_GUE_DEFAULT_PORT);
}

static void detach_help(FILE *f)
{
	fprintf(f, "  Remove what 'sttctl attach DEV' installed. The pinned maps stay while\n"
	           "  vports remain; they are removed with the last one.\n");
}

static int pin_path(char *buf, const char *dir, const char *name)
{
	return snprintf(buf, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX ? -1 : 0;
}

/* IDs of our programs (by name) in the XDP chain of ifindex: none, one, or two mid-upgrade. */
static int xdp_our_ids(int ifindex, __u32 *ids, int max)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *p;
	int n = 0;

	if (!mp || libxdp_get_error(mp))
		return 0;
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		if (p && !strcmp(xdp_program__name(p), XDP_PROG_NAME) && n < max)
			ids[n++] = xdp_program__id(p);
	} else {
		for (p = xdp_multiprog__next_prog(NULL, mp); p; p = xdp_multiprog__next_prog(p, mp))
			if (!strcmp(xdp_program__name(p), XDP_PROG_NAME) && n < max)
				ids[n++] = xdp_program__id(p);
	}
	xdp_multiprog__close(mp);
	return n;
}

/*
 * Take program id out of the XDP chain of ifindex. In libxdp's dispatcher this builds a
 * dispatcher without it and swaps it in atomically (XDP_FLAGS_REPLACE); the other programs
 * of the chain keep running throughout.
 */
static int xdp_detach_id(int ifindex, __u32 id)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *p = NULL;
	int rc = 0;

	if (!mp || libxdp_get_error(mp))
		return 0;
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		if (p && xdp_program__id(p) != id)
			p = NULL;
	} else {
		for (p = xdp_multiprog__next_prog(NULL, mp); p; p = xdp_multiprog__next_prog(p, mp))
			if (xdp_program__id(p) == id)
				break;
	}
	if (p)
		rc = xdp_program__detach(p, ifindex, xdp_multiprog__attach_mode(mp), 0);
	xdp_multiprog__close(mp);
	return rc;
}

/* Every program of ours on ifindex but keep (0: all). */
static int xdp_detach_ours(int ifindex, __u32 keep)
{
	__u32 ids[8];
	int n = xdp_our_ids(ifindex, ids, 8), rc = 0, err;

	for (int i = 0; i < n; i++) {
		if (ids[i] == keep)
			continue;
		err = xdp_detach_id(ifindex, ids[i]);
		if (err && !rc)
			rc = err;
	}
	return rc;
}

/*
 * XDP attachment (DESIGN.md, "Upgrades and coexistence"). Where libxdp can build its
 * dispatcher, stt is one program in it, so other XDP programs share the device. Where it
 * cannot (libxdp falls back to one program per device, as on kernels that refuse its
 * freplace components), stt is attached alone through a bpf_link pinned as
 * <pin dir>/link_xdp. An upgrade is atomic either way: BPF_LINK_UPDATE on the link, or a
 * dispatcher with the new program swapped in (XDP_FLAGS_REPLACE) before one without the
 * old program is swapped in.
 */
static int xdp_link_path(char *buf, const char *dir)
{
	return pin_path(buf, dir, "link_xdp");
}

/* Our pinned XDP link: detach and unpin it. Returns whether there was one. */
static bool xdp_link_remove(const char *dir)
{
	char path[PATH_MAX];
	int fd;

	if (xdp_link_path(path, dir))
		return false;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return false;
	bpf_link_detach(fd);
	close(fd);
	unlink(path);
	return true;
}

/* 1. of xdp_attach: swap the program of our pinned link fd (at path). */
static int xdp_link_swap(int fd, const char *path, const char *dev, struct stt_xdp_bpf *xdp)
{
	int err = stt_xdp_bpf__load(xdp) ? -errno : 0;

	if (!err)
		err =
		    bpf_link_update(fd, bpf_program__fd(xdp->progs.stt_xdp_rx), NULL) ? -errno : 0;
	close(fd);
	if (err != -ENOLINK) {
		if (err)
			err_msg("cannot replace the XDP program on %s: %s", dev, strerror(-err));
		return err;
	}
	unlink(path); /* its device went away */
	return -ENOLINK;
}

/*
 * libxdp refused to attach (err): 3. our program alone, attached through netlink by an
 * older stt, is replaced in place; otherwise the error, said unless quiet_busy and EBUSY.
 */
static int xdp_attach_refused(int ifindex, const char *dev, struct stt_xdp_bpf *xdp, int err,
                              bool quiet_busy)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	__u32 ids[8];
	int n = xdp_our_ids(ifindex, ids, 8);
	char buf[256];

	if (mp && libxdp_get_error(mp))
		mp = NULL;
	if (n == 1 && mp && xdp_multiprog__is_legacy(mp)) {
		LIBBPF_OPTS(bpf_xdp_attach_opts, aopts);
		int nfd = bpf_program__fd(xdp->progs.stt_xdp_rx);

		/* libxdp may have refused before loading the object. */
		if (nfd < 0 && stt_xdp_bpf__load(xdp) == 0)
			nfd = bpf_program__fd(xdp->progs.stt_xdp_rx);
		aopts.old_prog_fd = xdp_program__fd(xdp_multiprog__main_prog(mp));
		err = nfd < 0 ? -ENOENT
		              : bpf_xdp_attach(ifindex, nfd, XDP_FLAGS_REPLACE | XDP_FLAGS_DRV_MODE,
		                               &aopts);
	}
	if (mp)
		xdp_multiprog__close(mp);
	if (!err)
		return 0;
	/* Another program holds the device alone: EBUSY (kernel) or EEXIST (libxdp). */
	if (err == -EEXIST)
		err = -EBUSY;
	if (!(quiet_busy && err == -EBUSY)) {
		libxdp_strerror(err, buf, sizeof(buf));
		err_msg("cannot attach XDP to %s: %s%s", dev, buf,
		        err == -EBUSY ? " (another XDP program is attached, and libxdp "
		                        "cannot build its dispatcher to share the device)"
		                      : "");
	}
	return err;
}

/*
 * 4. libxdp attached ours alone (no dispatcher here). Hold it by a pinned link (at path)
 * instead, which later upgrades swap atomically. Nothing of ours was attached before, so the
 * moment without XDP changes nothing: TC classifies the same way.
 */
static int xdp_link_alone(int ifindex, const char *dev, const char *path, struct xdp_program *xprog)
{
	LIBBPF_OPTS(bpf_link_create_opts, lopts, .flags = XDP_FLAGS_DRV_MODE);
	int fd, err = xdp_program__detach(xprog, ifindex, XDP_MODE_NATIVE, 0);

	if (err)
		return err;
	fd = bpf_link_create(xdp_program__fd(xprog), ifindex, BPF_XDP, &lopts);
	if (fd < 0) {
		err = -errno;
		err_msg("cannot attach XDP to %s: %s", dev, strerror(-err));
		return err;
	}
	err = bpf_obj_pin(fd, path) ? -errno : 0;
	close(fd);
	if (err)
		err_msg("cannot pin the XDP link at %s: %s", path, strerror(-err));
	return err;
}

/* The XDP program, attached or upgraded. *xprog: libxdp's handle, if libxdp attached it. */
static int xdp_attach(int ifindex, const char *dev, const char *dir, struct stt_xdp_bpf *xdp,
                      struct xdp_program **xprog, bool quiet_busy)
{
	DECLARE_LIBXDP_OPTS(xdp_program_opts, xopts, .obj = xdp->obj, .prog_name = XDP_PROG_NAME);
	struct xdp_multiprog *mp;
	char path[PATH_MAX];
	bool legacy;
	int fd, err;

	if (xdp_link_path(path, dir))
		return -ENAMETOOLONG;
	/* 1. Our pinned link: swap its program. */
	fd = bpf_obj_get(path);
	if (fd >= 0)
		return xdp_link_swap(fd, path, dev, xdp);
	/* 2.-4. libxdp: joins a dispatcher, or attaches alone if it cannot build one. */
	*xprog = xdp_program__create(&xopts);
	err = libxdp_get_error(*xprog);
	if (err) {
		*xprog = NULL;
		err_msg("cannot load the XDP program: %s", strerror(-err));
		return err;
	}
	err = xdp_program__attach(*xprog, ifindex, XDP_MODE_NATIVE, 0);
	if (err)
		return xdp_attach_refused(ifindex, dev, xdp, err, quiet_busy);
	/* 2. In a dispatcher: now take the previous program of ours out. */
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	legacy = mp && !libxdp_get_error(mp) && xdp_multiprog__is_legacy(mp);
	if (mp && !libxdp_get_error(mp))
		xdp_multiprog__close(mp);
	if (!legacy) {
		err = xdp_detach_ours(ifindex, xdp_program__id(*xprog));
		if (err)
			err_msg("warning: removing the previous XDP program from %s: %s", dev,
			        strerror(-err));
		return 0;
	}
	return xdp_link_alone(ifindex, dev, path, *xprog);
}

/* Pin prog at dir/name in one step: pin under a temporary name, rename over the old pin. */
static int pin_prog(struct bpf_program *prog, const char *dir, const char *name)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];

	if (pin_path(path, dir, name))
		return -1;
	snprintf(tmp, sizeof(tmp), "%s_new", path); /* bpffs names cannot hold a dot */
	unlink(tmp);
	if (bpf_obj_pin(bpf_program__fd(prog), tmp))
		return -1;
	if (rename(tmp, path)) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/*
 * Whether addr is an address of this host (network namespace): a socket can bind to it.
 * A tentative IPv6 address (duplicate address detection still running) counts as not.
 */
static bool addr_is_local(int family, const void *addr)
{
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6};
	struct sockaddr_in s4 = {.sin_family = AF_INET};
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc;

	if (fd < 0)
		return true; /* cannot tell: say nothing */
	if (family == AF_INET6) {
		memcpy(&s6.sin6_addr, addr, 16);
		rc = bind(fd, (struct sockaddr *)&s6, sizeof(s6));
	} else {
		memcpy(&s4.sin_addr, addr, 4);
		rc = bind(fd, (struct sockaddr *)&s4, sizeof(s4));
	}
	close(fd);
	return rc == 0 || errno != EADDRNOTAVAIL;
}

static void warn_not_local(__be32 a4, const struct stt_addr6 *a6, const char *dev)
{
	char buf[INET6_ADDRSTRLEN];

	if (a6)
		inet_ntop(AF_INET6, a6, buf, sizeof(buf));
	else
		inet_ntop(AF_INET, &a4, buf, sizeof(buf));
	/* A warning goes to stderr always (info_msg only with -v); the attach goes on. */
	fprintf(stderr,
	        "sttctl: warning: --local %s is not an address of this host yet: STT "
	        "to it arrives only once it is (for example on %s)\n",
	        buf, dev);
}

/*
 * The TC programs and the maps they pin under dir (pin_root_path): transmit (stt_tx, whose
 * maps are every pinned map) and TC receive (stt_tc_rx), opened and loaded from their
 * skeletons here, and nowhere else, so that what follows uses only these fields.
 */
struct tc_skel {
	struct stt_tx_bpf *txs;
	struct stt_tc_rx_bpf *rxs;
	struct bpf_program *tx, *rx;
	int vports_fd, fdb_fd, flood_fd, groups_fd, underlay_fd, cfg_fd, cfg6_fd;
};

static int tc_skel_load(struct tc_skel *s, struct bpf_object_open_opts *oopts)
{
	s->txs = stt_tx_bpf__open_opts(oopts);
	if (!s->txs || stt_tx_bpf__load(s->txs))
		return -1;
	s->rxs = stt_tc_rx_bpf__open_opts(oopts);
	if (!s->rxs || stt_tc_rx_bpf__load(s->rxs))
		return -1;
	s->tx = s->txs->progs.stt_tc_tx;
	s->rx = s->rxs->progs.stt_tc_rx;
	s->vports_fd = bpf_map__fd(s->txs->maps.stt_vports);
	s->fdb_fd = bpf_map__fd(s->txs->maps.stt_fdb);
	s->flood_fd = bpf_map__fd(s->txs->maps.stt_flood);
	s->groups_fd = bpf_map__fd(s->txs->maps.stt_groups);
	s->underlay_fd = bpf_map__fd(s->txs->maps.stt_underlay);
	s->cfg_fd = bpf_map__fd(s->txs->maps.stt_cfg);
	s->cfg6_fd = bpf_map__fd(s->txs->maps.stt_cfg6);
	return 0;
}

static void tc_skel_destroy(struct tc_skel *s)
{
	stt_tc_rx_bpf__destroy(s->rxs);
	stt_tx_bpf__destroy(s->txs);
}

void attach_req_init(struct attach_req *r, const char *dev)
{
	memset(r, 0, sizeof(*r));
	r->dev = dev;
	r->cfg.port = STT_DEFAULT_PORT;
	r->cfg.ttl = 64;
	r->cfg.gue_port = STT_GUE_DEFAULT_PORT;
	r->xdp_mode = -1;
}

/* --local ADDR: once per family. */
static int opt_local(struct attach_req *r, const char *v)
{
	struct stt_addr6 la;

	if (!*v || parse_remote_addr(v, &la))
		return -1;
	if (raddr_is_mcast(&la)) {
		err_msg("invalid --local '%s': a multicast group is no local address", v);
		return -1;
	}
	if (raddr_is4(&la) ? r->have_local4 : r->have_local6) {
		err_msg("attach: --local given twice for %s (once per family)",
		        raddr_is4(&la) ? "IPv4" : "IPv6");
		return -1;
	}
	if (raddr_is4(&la)) {
		r->cfg.local4 = la.a[3];
		r->have_local4 = true;
	} else {
		r->cfg6.local6 = la;
		r->cfg6.flags |= STT_CFG6_LOCAL;
		r->have_local6 = true;
	}
	return 0;
}

/* --xdp auto|on|off (native: on), --dscp inherit|0..63, --peers open|strict. */
static int opt_word(struct attach_req *r, int o, const char *v)
{
	char *end;
	unsigned long d;

	if (o == 'x') {
		r->xdp_mode = !strcmp(v, "on") || !strcmp(v, "native") ? 1
		              : !strcmp(v, "off")                      ? 0
		              : !strcmp(v, "auto")                     ? -1
		                                                       : -2;
		if (r->xdp_mode == -2)
			err_msg("invalid --xdp '%s': expected auto, on or off", v);
		return r->xdp_mode == -2 ? -1 : 0;
	}
	if (o == 'e') {
		if (strcmp(v, "stt") && strcmp(v, "gue")) {
			err_msg("invalid --encap '%s': expected stt or gue", v);
			return -1;
		}
		r->cfg.opts = !strcmp(v, "gue") ? r->cfg.opts | STT_OPT_ENCAP_GUE
		                                : r->cfg.opts & ~STT_OPT_ENCAP_GUE;
		return 0;
	}
	if (o == 'P') {
		if (strcmp(v, "strict") && strcmp(v, "open")) {
			err_msg("invalid --peers '%s': expected open or strict", v);
			return -1;
		}
		r->cfg.opts = !strcmp(v, "strict") ? r->cfg.opts | STT_OPT_PEERS_STRICT
		                                   : r->cfg.opts & ~STT_OPT_PEERS_STRICT;
		return 0;
	}
	errno = 0;
	d = isdigit((unsigned char)*v) ? strtoul(v, &end, 10) : 64;
	if (!strcmp(v, "inherit")) {
		r->cfg.dscp = STT_DSCP_INHERIT;
	} else if (d > 63 || errno || *end) {
		err_msg("invalid --dscp '%s': expected inherit or 0..63", v);
		return -1;
	} else {
		r->cfg.dscp = STT_DSCP_FIXED(d);
	}
	return 0;
}

static int attach_opts(const struct cmd *c, int argc, char **argv, struct attach_req *r)
{
	static const struct option opts[] = {
	    {"local", required_argument, NULL, 'l'},
	    {"port", required_argument, NULL, 'o'},
	    {"ttl", required_argument, NULL, 't'},
	    {"xdp", required_argument, NULL, 'x'},
	    {"dscp", required_argument, NULL, 'd'},
	    {"peers", required_argument, NULL, 'P'},
	    {"gue-port", required_argument, NULL, 'g'},
	    {"encap", required_argument, NULL, 'e'},
	    CMD_OPT_HELP,
	    {},
	};
	unsigned long n;
	int o, err = 0;

	while (!err && (o = cmd_getopt(c, argc, argv, "h", opts)) != -1) {
		if (o == CMD_HELP || o == CMD_BAD)
			return o;
		if (o == 'l')
			err = opt_local(r, optarg);
		else if (o == 'o' && !(err = cmd_num(optarg, 65535, "invalid port 0", &n)))
			r->cfg.port = n;
		else if (o == 't' && !(err = cmd_num(optarg, 255, "invalid TTL 0", &n)))
			r->cfg.ttl = n;
		else if (o == 'g' && !(err = parse_uint(optarg, 65535, &n)))
			r->cfg.gue_port = n; /* 0: GUE off */
		else if (o == 'x' || o == 'd' || o == 'P' || o == 'e')
			err = opt_word(r, o, optarg);
	}
	if (err)
		return CMD_BAD;
	if (r->cfg.gue_port && r->cfg.gue_port == r->cfg.port)
		return cmd_bad(c,
		               "attach: --gue-port %u is the STT port too (give GUE its own port)",
		               r->cfg.gue_port),
		       CMD_BAD;
	if (cmd_args(c, argc, argv, &r->dev, 1))
		return CMD_BAD;
	if (!r->dev)
		return cmd_bad(c, "attach: DEV is needed"), CMD_BAD;
	return 0;
}

/*
 * The default encapsulation and GUE port against what is installed (a re-attach, or the
 * entries that vports kept after a detach): the one check of encap.c, as apply makes it.
 */
static int attach_gue_refused(const struct attach_req *r)
{
	struct ap_doc doc = {0};
	int n;

	gue_doc_read(&doc); /* nothing pinned: the settings alone */
	doc.have_attach = true;
	doc.att.gue = r->cfg.opts & STT_OPT_ENCAP_GUE;
	doc.att.gue_port = r->cfg.gue_port;
	n = gue_refused(&doc, NULL, NULL);
	ap_doc_free(&doc);
	return n;
}

static int attach_main(const struct cmd *c, int argc, char **argv)
{
	struct attach_req r;
	int rc;

	attach_req_init(&r, NULL);
	rc = attach_opts(c, argc, argv, &r);
	if (rc)
		return rc == CMD_HELP ? 0 : 1;
	return attach_gue_refused(&r) ? 1 : attach_run(&r);
}

/* One attach: what it was asked, what it found, what it did (for undo). */
struct attach {
	struct attach_req *r;
	const char *dev;
	int ifindex;
	char dir[256];
	struct stt_cfg old;
	struct stt_cfg6 old6;
	bool reattach, use_xdp, created, xdp_done, tc_done, tcx;
	struct tc_skel tc;
	struct stt_xdp_bpf *xdp;
	struct xdp_program *xprog;
};

/* The device, its addresses (said, or found), MTU and whether XDP goes on it. */
static int attach_device(struct attach *at)
{
	struct attach_req *r = at->r;
	const char *dev = r->dev;

	at->ifindex = dev_index(dev, "cannot attach to");
	if (at->ifindex < 0)
		return -1;
	/* A --local that is no address of this host: said, not refused (it may come later). */
	if (r->have_local4 && !addr_is_local(AF_INET, &r->cfg.local4))
		warn_not_local(r->cfg.local4, NULL, dev);
	if (r->have_local6 && !addr_is_local(AF_INET6, &r->cfg6.local6))
		warn_not_local(0, &r->cfg6.local6, dev);
	/* Without --local, each family's address of the device (either may be missing). */
	if (!r->have_local4 && !r->have_local6) {
		if (dev_ipv4(dev, &r->cfg.local4))
			r->cfg.local4 = 0;
		if (dev_ipv6(dev, &r->cfg6.local6) == 0)
			r->cfg6.flags |= STT_CFG6_LOCAL;
		if (!r->cfg.local4 && !(r->cfg6.flags & STT_CFG6_LOCAL)) {
			err_msg("cannot attach to %s: it has no IPv4 address and no global IPv6 "
			        "address (give --local ADDR)",
			        dev);
			return -1;
		}
	}
	if (dev_mtu(dev, &r->cfg.mtu)) {
		err_msg("cannot attach to %s: cannot read its MTU", dev);
		return -1;
	}
	if (r->xdp_mode < 0) {
		char drv[64];

		dev_driver(dev, drv, sizeof(drv));
		at->use_xdp = strcmp(drv, "veth") != 0;
	} else {
		at->use_xdp = r->xdp_mode;
	}
	r->cfg.ifindex = at->ifindex;
	return 0;
}

/* What an earlier attach left (the same device: a re-attach), and the pin directory. */
static int attach_state(struct attach *at)
{
	char ifname[IF_NAMESIZE];
	struct stt_state st;

	if (ensure_bpffs() || pin_dir(at->dir, sizeof(at->dir)))
		return -1;
	if (state_open(&st, false) == 0) {
		state_get_cfg(&st, &at->old);
		/* stt_cfg6: what an earlier attach with IPv6 recorded (forwarding turned on). */
		state_get_cfg6(&st, &at->old6);
		state_close(&st);
		if (at->old.ifindex && at->old.ifindex != (__u32)at->ifindex) {
			err_msg("cannot attach to %s: this namespace is already attached to %s "
			        "(detach it first)",
			        at->dev, dev_name(at->old.ifindex, ifname));
			return -1;
		}
		at->reattach = at->old.ifindex == (__u32)at->ifindex;
	}
	if (mkdir(STT_PIN_BASE, 0700) && errno != EEXIST) {
		err_msg("cannot create %s: %s", STT_PIN_BASE, strerror(errno));
		return -1;
	}
	if (mkdir(at->dir, 0700) && errno != EEXIST) {
		err_msg("cannot create %s: %s", at->dir, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * XDP: in libxdp's dispatcher (other XDP programs share the device) or alone through a
 * pinned link where there is no dispatcher; upgraded atomically either way (xdp_attach).
 */
static int attach_xdp(struct attach *at)
{
	bool quiet = at->r->xdp_mode < 0;
	int err;

	if (!at->use_xdp) {
		if (at->reattach) {
			xdp_link_remove(at->dir);
			xdp_detach_ours(at->ifindex, 0);
		}
		return 0;
	}
	err = xdp_attach(at->ifindex, at->dev, at->dir, at->xdp, &at->xprog, quiet);
	if (err == -ENOLINK) /* a stale link was removed: attach afresh */
		err = xdp_attach(at->ifindex, at->dev, at->dir, at->xdp, &at->xprog, quiet);
	if (err == -EBUSY && quiet) {
		err_msg("warning: another XDP program holds %s: XDP left off, TC classifies "
		        "and drops alone",
		        at->dev);
		return 0;
	}
	if (err)
		return -1;
	at->xdp_done = true;
	return 0;
}

/* Give every existing vport the new transmit program (upgrade in place). */
static void vports_upgrade(struct attach *at)
{
	__u32 key, next, *prev = NULL;
	struct stt_vport vp;
	char ifname[IF_NAMESIZE];
	int fd = at->tc.vports_fd, err;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &vp))
			continue;
		/* A clsact qdisc stt created stays until vport del, as in attach_tc. */
		err = tc_attach_ingress(key, bpf_program__fd(at->tc.tx), NULL);
		if (err)
			err_msg("warning: vport %s keeps its previous program: %s",
			        dev_name(key, ifname), strerror(-err));
	}
}

/* TC: a new tcx link, or the program of the pinned one swapped (tcattach.c); then pins. */
static int attach_tc(struct attach *at)
{
	int err = tc_attach_ingress(at->ifindex, bpf_program__fd(at->tc.rx), &at->created);

	if (err) {
		err_msg("cannot attach TC ingress to %s: %s", at->dev, strerror(-err));
		return -1;
	}
	at->tc_done = true;
	at->tcx = tc_uses_tcx(at->ifindex);
	/*
	 * Moved from clsact (an older stt) to tcx: a clsact qdisc stt created stays, empty of
	 * stt, until detach. Removing a qdisc deactivates the device's transmit queues for a
	 * moment (qdisc_graft -> dev_deactivate), and that lost packets under traffic.
	 */
	if (at->reattach && (at->old.flags & STT_CFG_CREATED_CLSACT))
		at->created = true;
	if (pin_prog(at->tc.tx, at->dir, "prog_tc_tx") ||
	    pin_prog(at->tc.rx, at->dir, "prog_tc_rx")) {
		err_msg("cannot pin programs under %s: %s", at->dir, strerror(errno));
		return -1;
	}
	vports_upgrade(at);
	return 0;
}

/*
 * bpf_fib_lookup() needs forwarding on the device it looks up from (netutil.c), for each
 * family the endpoint sends in (turned on by an earlier attach: still ours); GRO merges the
 * segments of multi-segment frames before TC decapsulates them.
 */
static int attach_dev_settings(struct attach *at)
{
	struct stt_cfg *cfg = &at->r->cfg;
	struct stt_cfg6 *cfg6 = &at->r->cfg6;
	const char *dev = at->dev;

	if (at->reattach && (at->old.flags & STT_CFG_FWD_ENABLED)) {
		cfg->flags |= STT_CFG_FWD_ENABLED;
	} else if (cfg->local4 && dev_forwarding_get(dev) == 0) {
		if (dev_forwarding_set(dev, 1)) {
			err_msg("cannot enable IPv4 forwarding on %s: %s", dev, strerror(errno));
			return -1;
		}
		cfg->flags |= STT_CFG_FWD_ENABLED;
	}
	if (at->reattach && (at->old6.flags & STT_CFG6_FWD_ENABLED)) {
		cfg6->flags |= STT_CFG6_FWD_ENABLED;
	} else if ((cfg6->flags & STT_CFG6_LOCAL) && dev_forwarding6_get(dev) == 0) {
		if (dev_forwarding6_set(dev, 1)) {
			err_msg("cannot enable IPv6 forwarding on %s: %s", dev, strerror(errno));
			return -1;
		}
		cfg6->flags |= STT_CFG6_FWD_ENABLED;
	}
	if (at->reattach && (at->old.flags & STT_CFG_GRO_ENABLED)) {
		cfg->flags |= STT_CFG_GRO_ENABLED;
	} else if (dev_gro_get(dev) == 0) {
		if (dev_gro_set(dev, 1))
			err_msg("warning: cannot turn GRO on for %s: multi-segment frames will be "
			        "reassembled segment by segment",
			        dev);
		else
			cfg->flags |= STT_CFG_GRO_ENABLED;
	}
	return 0;
}

/* The maps: neighbours, underlay MAC, groups, then the IPv6 side and stt_cfg last. */
static int attach_maps(struct attach *at)
{
	struct stt_underlay ul = {};
	__u32 zero = 0;

	remotes_neigh(at->tc.fdb_fd, at->tc.flood_fd, at->ifindex, true);
	/* Multicast flood targets: the source MAC, and the groups' receive filter. */
	if (dev_mac(at->dev, ul.mac) || bpf_map_update_elem(at->tc.underlay_fd, &zero, &ul, 0)) {
		err_msg("cannot read the MAC address of %s: %s", at->dev, strerror(errno));
		return -1;
	}
	groups_sync(at->tc.flood_fd, at->tc.groups_fd, at->ifindex, true);
	/* The datapath acts only once every piece is in place. */
	if (bpf_map_update_elem(at->tc.cfg6_fd, &zero, &at->r->cfg6, 0)) {
		err_msg("cannot write the IPv6 configuration: %s", strerror(errno));
		return -1;
	}
	if (bpf_map_update_elem(at->tc.cfg_fd, &zero, &at->r->cfg, 0)) {
		err_msg("cannot write the configuration: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Nothing half-applied: undo what this attach did. */
static void attach_undo(struct attach *at)
{
	const struct stt_cfg *cfg = &at->r->cfg;

	if ((cfg->flags & STT_CFG_FWD_ENABLED) && !(at->old.flags & STT_CFG_FWD_ENABLED))
		dev_forwarding_set(at->dev, 0);
	if ((at->r->cfg6.flags & STT_CFG6_FWD_ENABLED) && !(at->old6.flags & STT_CFG6_FWD_ENABLED))
		dev_forwarding6_set(at->dev, 0);
	if ((cfg->flags & STT_CFG_GRO_ENABLED) && !at->reattach)
		dev_gro_set(at->dev, 0);
	if (at->tc_done && !at->reattach)
		tc_detach_ingress(at->ifindex, at->created);
	if (at->xdp_done && !at->reattach) {
		xdp_link_remove(at->dir);
		xdp_detach_ours(at->ifindex, 0);
	}
	if (!at->reattach && !at->old.ifindex) {
		struct stt_state s2;
		bool vports = false;

		if (state_open(&s2, false) == 0) {
			vports = has_vports(&s2);
			state_close(&s2);
		}
		if (!vports)
			state_remove_pins(at->dir);
	}
}

/* Load the programs (maps pinned under dir), attach them, write the maps. */
static int attach_install(struct attach *at)
{
	LIBBPF_OPTS(bpf_object_open_opts, oopts);

	oopts.pin_root_path = at->dir;
	if (tc_skel_load(&at->tc, &oopts)) {
		err_msg("cannot load the TC programs: %s", strerror(errno));
		return -1;
	}
	at->xdp = stt_xdp_bpf__open_opts(&oopts);
	if (!at->xdp) {
		err_msg("cannot open the XDP program: %s", strerror(errno));
		return -1;
	}
	if (attach_xdp(at) || attach_tc(at))
		return -1;
	at->r->cfg.flags = (at->created ? STT_CFG_CREATED_CLSACT : 0) |
	                   (at->xdp_done ? STT_CFG_XDP : 0) | (at->tcx ? STT_CFG_TCX : 0);
	return attach_dev_settings(at) || attach_maps(at) ? -1 : 0;
}

int attach_run(struct attach_req *r)
{
	struct attach at = {.r = r, .dev = r->dev};
	int rc = 1;

	if (attach_device(&at) || attach_state(&at))
		return 1;
	if (attach_install(&at) == 0) {
		rc = 0;
		if (g_opts.json) {
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "attached", json_object_new_string(r->dev));
			json_out(o);
		}
	} else {
		attach_undo(&at);
	}
	/* libxdp borrows an object given through opts.obj: close it after the program. */
	if (at.xprog)
		xdp_program__close(at.xprog);
	stt_xdp_bpf__destroy(at.xdp);
	tc_skel_destroy(&at.tc);
	return rc;
}

int detach_run(const char *dev)
{
	struct stt_state st;
	struct stt_cfg cfg, empty = {};
	struct stt_cfg6 cfg6, empty6 = {};
	char ifname[IF_NAMESIZE];
	__u32 zero = 0;
	int ifindex, err;
	bool vports;

	ifindex = dev_index(dev, "cannot detach from");
	if (ifindex < 0)
		return 1;
	if (state_open(&st, false) || state_get_cfg(&st, &cfg) || cfg.ifindex != (__u32)ifindex) {
		if (st.cfg_fd >= 0 && cfg.ifindex)
			err_msg("cannot detach from %s: stt is attached to %s, not to it", dev,
			        dev_name(cfg.ifindex, ifname));
		else
			err_msg("cannot detach from %s: stt is not attached to it", dev);
		state_close(&st);
		return 1;
	}
	/* Stop the datapath first, then take the programs away. */
	state_get_cfg6(&st, &cfg6);
	bpf_map_update_elem(st.cfg_fd, &zero, &empty, 0);
	if (st.cfg6_fd >= 0)
		bpf_map_update_elem(st.cfg6_fd, &zero, &empty6, 0);
	xdp_link_remove(st.dir);
	err = xdp_detach_ours(ifindex, 0);
	if (err)
		err_msg("warning: removing XDP from %s: %s", dev, strerror(-err));
	err = tc_detach_ingress(ifindex, cfg.flags & STT_CFG_CREATED_CLSACT);
	if (err)
		err_msg("warning: removing TC from %s: %s", dev, strerror(-err));
	if (cfg.flags & STT_CFG_FWD_ENABLED)
		dev_forwarding_set(dev, 0);
	if (cfg6.flags & STT_CFG6_FWD_ENABLED)
		dev_forwarding6_set(dev, 0);
	if (cfg.flags & STT_CFG_GRO_ENABLED)
		dev_gro_set(dev, 0);
	remotes_neigh(st.fdb_fd, st.flood_fd, ifindex, false);
	groups_sync(st.flood_fd, st.groups_fd, ifindex, false);
	vports = has_vports(&st);
	state_close(&st);
	if (!vports)
		state_remove_pins(st.dir);
	if (g_opts.json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "detached", json_object_new_string(dev));
		json_out(o);
	}
	return 0;
}

static int detach_main(const struct cmd *c, int argc, char **argv)
{
	static const struct option opts[] = {CMD_OPT_HELP, {}};
	const char *dev;
	int o;

	while ((o = cmd_getopt(c, argc, argv, "h", opts)) != -1)
		return o == CMD_HELP ? 0 : 1;
	if (cmd_args(c, argc, argv, &dev, 1))
		return 1;
	if (!dev)
		return cmd_bad(c, "detach: DEV is needed");
	return detach_run(dev);
}

const struct cmd cmd_attach = {
    .name = "attach",
    .synopsis = "attach DEV [--local ADDR] [--port N] [--ttl N] [--xdp auto|on|off]\n"
                "           [--dscp inherit|0..63] [--peers open|strict] [--gue-port N]\n"
                "           [--encap stt|gue]",
    .help = attach_help,
    .run = attach_main,
};

const struct cmd cmd_detach = {
    .name = "detach",
    .synopsis = "detach DEV",
    .help = detach_help,
    .run = detach_main,
};

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
#include "stt_tc.skel.h"
#include "stt_xdp.skel.h"

#define XDP_PROG_NAME "stt_xdp_rx"

static void attach_usage(void)
{
	fprintf(stderr,
		"Usage: sttctl attach DEV [--local ADDR] [--port N] [--ttl N] [--xdp auto|on|off]\n"
		"                         [--dscp inherit|0..63] [--peers open|strict]\n"
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
		"  Options not given take their defaults, also when re-running attach.\n",
		STT_DEFAULT_PORT);
}

static void detach_usage(void)
{
	fprintf(stderr, "Usage: sttctl detach DEV\n"
			"  Remove what 'sttctl attach DEV' installed. The pinned maps stay while\n"
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

/* The XDP program, attached or upgraded. *xprog: libxdp's handle, if libxdp attached it. */
static int xdp_attach(int ifindex, const char *dev, const char *dir, struct stt_xdp_bpf *xdp,
		      struct xdp_program **xprog, bool quiet_busy)
{
	DECLARE_LIBXDP_OPTS(xdp_program_opts, xopts, .obj = xdp->obj, .prog_name = XDP_PROG_NAME);
	LIBBPF_OPTS(bpf_link_create_opts, lopts, .flags = XDP_FLAGS_DRV_MODE);
	struct xdp_multiprog *mp;
	char path[PATH_MAX], buf[256];
	bool legacy;
	int fd, err;

	if (xdp_link_path(path, dir))
		return -ENAMETOOLONG;
	/* 1. Our pinned link: swap its program. */
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		err = stt_xdp_bpf__load(xdp) ? -errno : 0;
		if (!err)
			err = bpf_link_update(fd, bpf_program__fd(xdp->progs.stt_xdp_rx), NULL)
				      ? -errno : 0;
		close(fd);
		if (err != -ENOLINK) {
			if (err)
				err_msg("cannot replace the XDP program on %s: %s", dev, strerror(-err));
			return err;
		}
		unlink(path); /* its device went away */
		return -ENOLINK;
	}
	/* 2.-4. libxdp: joins a dispatcher, or attaches alone if it cannot build one. */
	*xprog = xdp_program__create(&xopts);
	err = libxdp_get_error(*xprog);
	if (err) {
		*xprog = NULL;
		err_msg("cannot load the XDP program: %s", strerror(-err));
		return err;
	}
	err = xdp_program__attach(*xprog, ifindex, XDP_MODE_NATIVE, 0);
	if (err) {
		__u32 ids[8];
		int n = xdp_our_ids(ifindex, ids, 8);

		mp = xdp_multiprog__get_from_ifindex(ifindex);
		if (mp && libxdp_get_error(mp))
			mp = NULL;
		if (n == 1 && mp && xdp_multiprog__is_legacy(mp)) {
			/* 3. Our program alone, attached through netlink (an older stt). */
			LIBBPF_OPTS(bpf_xdp_attach_opts, aopts);
			int nfd = bpf_program__fd(xdp->progs.stt_xdp_rx);

			/* libxdp may have refused before loading the object. */
			if (nfd < 0 && stt_xdp_bpf__load(xdp) == 0)
				nfd = bpf_program__fd(xdp->progs.stt_xdp_rx);
			aopts.old_prog_fd = xdp_program__fd(xdp_multiprog__main_prog(mp));
			err = nfd < 0 ? -ENOENT
				      : bpf_xdp_attach(ifindex, nfd,
						       XDP_FLAGS_REPLACE | XDP_FLAGS_DRV_MODE, &aopts);
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
						"cannot build its dispatcher to share the device)" : "");
		}
		return err;
	}
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
	/*
	 * 4. libxdp attached ours alone (no dispatcher here). Hold it by a pinned link instead,
	 * which later upgrades swap atomically. Nothing of ours was attached before, so the
	 * moment without XDP changes nothing: TC classifies the same way.
	 */
	err = xdp_program__detach(*xprog, ifindex, XDP_MODE_NATIVE, 0);
	if (err)
		return err;
	fd = bpf_link_create(xdp_program__fd(*xprog), ifindex, BPF_XDP, &lopts);
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
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in s4 = { .sin_family = AF_INET };
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
	fprintf(stderr, "sttctl: warning: --local %s is not an address of this host yet: STT "
		"to it arrives only once it is (for example on %s)\n", buf, dev);
}

/*
 * The TC programs and the maps they pin under dir (pin_root_path): opened and loaded from
 * the skeleton here, and nowhere else, so that what follows uses only these fields.
 */
struct tc_skel {
	struct stt_tc_bpf *tc;
	struct bpf_program *tx, *rx;
	int vports_fd, fdb_fd, flood_fd, groups_fd, underlay_fd, cfg_fd, cfg6_fd;
};

static int tc_skel_load(struct tc_skel *s, struct bpf_object_open_opts *oopts)
{
	s->tc = stt_tc_bpf__open_opts(oopts);
	if (!s->tc || stt_tc_bpf__load(s->tc))
		return -1;
	s->tx = s->tc->progs.stt_tc_tx;
	s->rx = s->tc->progs.stt_tc_rx;
	s->vports_fd = bpf_map__fd(s->tc->maps.stt_vports);
	s->fdb_fd = bpf_map__fd(s->tc->maps.stt_fdb);
	s->flood_fd = bpf_map__fd(s->tc->maps.stt_flood);
	s->groups_fd = bpf_map__fd(s->tc->maps.stt_groups);
	s->underlay_fd = bpf_map__fd(s->tc->maps.stt_underlay);
	s->cfg_fd = bpf_map__fd(s->tc->maps.stt_cfg);
	s->cfg6_fd = bpf_map__fd(s->tc->maps.stt_cfg6);
	return 0;
}

static void tc_skel_destroy(struct tc_skel *s)
{
	stt_tc_bpf__destroy(s->tc);
}

int cmd_attach(int argc, char **argv)
{
	LIBBPF_OPTS(bpf_object_open_opts, oopts);
	struct tc_skel tc = {};
	struct stt_xdp_bpf *xdp = NULL;
	struct xdp_program *xprog = NULL;
	struct stt_cfg cfg = {}, old = {};
	struct stt_cfg6 cfg6 = {}, old6 = {};
	struct stt_addr6 la;
	struct stt_state st;
	const char *dev = NULL, *v;
	char dir[256], ifname[IF_NAMESIZE];
	unsigned long port = STT_DEFAULT_PORT, ttl = 64;
	bool have_local4 = false, have_local6 = false, created = false, xdp_done = false;
	bool tc_done = false;
	bool reattach = false, use_xdp, tcx = false;
	int ifindex, rc = 1, err, xdp_mode = -1;
	__u32 zero = 0;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "help") || !strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			attach_usage();
			return 0;
		} else if ((v = opt_value(argc, argv, &i, "--local"))) {
			if (!*v || parse_remote_addr(v, &la))
				return 1;
			if (raddr_is_mcast(&la)) {
				err_msg("invalid --local '%s': a multicast group is no local address", v);
				return 1;
			}
			if (raddr_is4(&la) ? have_local4 : have_local6) {
				err_msg("attach: --local given twice for %s (once per family)",
					raddr_is4(&la) ? "IPv4" : "IPv6");
				return 1;
			}
			if (raddr_is4(&la)) {
				cfg.local4 = la.a[3];
				have_local4 = true;
			} else {
				cfg6.local6 = la;
				cfg6.flags |= STT_CFG6_LOCAL;
				have_local6 = true;
			}
		} else if ((v = opt_value(argc, argv, &i, "--port"))) {
			if (parse_uint(v, 65535, &port) || !port) {
				if (!port)
					err_msg("invalid port 0");
				return 1;
			}
		} else if ((v = opt_value(argc, argv, &i, "--xdp"))) {
			if (!strcmp(v, "on") || !strcmp(v, "native"))
				xdp_mode = 1;
			else if (!strcmp(v, "off"))
				xdp_mode = 0;
			else if (!strcmp(v, "auto"))
				xdp_mode = -1;
			else {
				err_msg("invalid --xdp '%s': expected auto, on or off", v);
				return 1;
			}
		} else if ((v = opt_value(argc, argv, &i, "--dscp"))) {
			char *end;
			unsigned long d;

			errno = 0;
			d = isdigit((unsigned char)*v) ? strtoul(v, &end, 10) : 64;
			if (!strcmp(v, "inherit")) {
				cfg.dscp = STT_DSCP_INHERIT;
			} else if (d > 63 || errno || *end) {
				err_msg("invalid --dscp '%s': expected inherit or 0..63", v);
				return 1;
			} else {
				cfg.dscp = STT_DSCP_FIXED(d);
			}
		} else if ((v = opt_value(argc, argv, &i, "--peers"))) {
			if (!strcmp(v, "strict"))
				cfg.opts |= STT_OPT_PEERS_STRICT;
			else if (!strcmp(v, "open"))
				cfg.opts &= ~STT_OPT_PEERS_STRICT;
			else {
				err_msg("invalid --peers '%s': expected open or strict", v);
				return 1;
			}
		} else if ((v = opt_value(argc, argv, &i, "--ttl"))) {
			if (parse_uint(v, 255, &ttl) || !ttl) {
				if (!ttl)
					err_msg("invalid TTL 0");
				return 1;
			}
		} else if (argv[i][0] == '-') {
			err_msg("attach: unknown option '%s'", argv[i]);
			return 1;
		} else if (!dev) {
			dev = argv[i];
		} else {
			err_msg("attach: unexpected argument '%s'", argv[i]);
			return 1;
		}
	}
	if (!dev) {
		attach_usage();
		return 1;
	}
	ifindex = dev_index(dev, "cannot attach to");
	if (ifindex < 0)
		return 1;
	/* A --local that is no address of this host: said, not refused (it may come later). */
	if (have_local4 && !addr_is_local(AF_INET, &cfg.local4))
		warn_not_local(cfg.local4, NULL, dev);
	if (have_local6 && !addr_is_local(AF_INET6, &cfg6.local6))
		warn_not_local(0, &cfg6.local6, dev);
	/* Without --local, each family's address of the device (either may be missing). */
	if (!have_local4 && !have_local6) {
		if (dev_ipv4(dev, &cfg.local4))
			cfg.local4 = 0;
		if (dev_ipv6(dev, &cfg6.local6) == 0)
			cfg6.flags |= STT_CFG6_LOCAL;
		if (!cfg.local4 && !(cfg6.flags & STT_CFG6_LOCAL)) {
			err_msg("cannot attach to %s: it has no IPv4 address and no global IPv6 "
				"address (give --local ADDR)", dev);
			return 1;
		}
	}
	if (dev_mtu(dev, &cfg.mtu)) {
		err_msg("cannot attach to %s: cannot read its MTU", dev);
		return 1;
	}
	if (xdp_mode < 0) {
		char drv[64];

		dev_driver(dev, drv, sizeof(drv));
		use_xdp = strcmp(drv, "veth") != 0;
	} else {
		use_xdp = xdp_mode;
	}
	cfg.ifindex = ifindex;
	cfg.port = port;
	cfg.ttl = ttl;

	if (ensure_bpffs() || pin_dir(dir, sizeof(dir)))
		return 1;
	if (state_open(&st, false) == 0) {
		state_get_cfg(&st, &old);
		/* stt_cfg6: what an earlier attach with IPv6 recorded (forwarding turned on). */
		state_get_cfg6(&st, &old6);
		state_close(&st);
		if (old.ifindex && old.ifindex != (__u32)ifindex) {
			err_msg("cannot attach to %s: this namespace is already attached to %s "
				"(detach it first)", dev, dev_name(old.ifindex, ifname));
			return 1;
		}
		reattach = old.ifindex == (__u32)ifindex;
	}
	if (mkdir(STT_PIN_BASE, 0700) && errno != EEXIST) {
		err_msg("cannot create %s: %s", STT_PIN_BASE, strerror(errno));
		return 1;
	}
	if (mkdir(dir, 0700) && errno != EEXIST) {
		err_msg("cannot create %s: %s", dir, strerror(errno));
		return 1;
	}

	oopts.pin_root_path = dir;
	if (tc_skel_load(&tc, &oopts)) {
		err_msg("cannot load the TC programs: %s", strerror(errno));
		goto out;
	}
	xdp = stt_xdp_bpf__open_opts(&oopts);
	if (!xdp) {
		err_msg("cannot open the XDP program: %s", strerror(errno));
		goto out;
	}

	/*
	 * XDP: in libxdp's dispatcher (other XDP programs share the device) or alone through a
	 * pinned link where there is no dispatcher; upgraded atomically either way (xdp_attach).
	 */
	if (use_xdp) {
		err = xdp_attach(ifindex, dev, dir, xdp, &xprog, xdp_mode < 0);
		if (err == -ENOLINK) /* a stale link was removed: attach afresh */
			err = xdp_attach(ifindex, dev, dir, xdp, &xprog, xdp_mode < 0);
		if (err == -EBUSY && xdp_mode < 0) {
			err_msg("warning: another XDP program holds %s: XDP left off, TC classifies "
				"and drops alone", dev);
			err = 0;
		} else if (err) {
			goto out;
		} else {
			xdp_done = true;
		}
	} else if (reattach) {
		xdp_link_remove(dir);
		xdp_detach_ours(ifindex, 0);
	}

	/* TC: a new tcx link, or the program of the pinned one swapped (tcattach.c). */
	err = tc_attach_ingress(ifindex, bpf_program__fd(tc.rx), &created);
	if (err) {
		err_msg("cannot attach TC ingress to %s: %s", dev, strerror(-err));
		goto out;
	}
	tc_done = true;
	tcx = tc_uses_tcx(ifindex);
	/*
	 * Moved from clsact (an older stt) to tcx: a clsact qdisc stt created stays, empty of
	 * stt, until detach. Removing a qdisc deactivates the device's transmit queues for a
	 * moment (qdisc_graft -> dev_deactivate), and that lost packets under traffic.
	 */
	if (reattach && (old.flags & STT_CFG_CREATED_CLSACT))
		created = true;

	if (pin_prog(tc.tx, dir, "prog_tc_tx") || pin_prog(tc.rx, dir, "prog_tc_rx")) {
		err_msg("cannot pin programs under %s: %s", dir, strerror(errno));
		goto out;
	}

	/* Give every existing vport the new transmit program (upgrade in place). */
	{
		__u32 key, next, *prev = NULL;
		struct stt_vport vp;
		int fd = tc.vports_fd;

		while (bpf_map_get_next_key(fd, prev, &next) == 0) {
			key = next;
			prev = &key;
			if (bpf_map_lookup_elem(fd, &key, &vp))
				continue;
			/* A clsact qdisc stt created stays until vport del, as above. */
			err = tc_attach_ingress(key, bpf_program__fd(tc.tx), NULL);
			if (err)
				err_msg("warning: vport %s keeps its previous program: %s",
					dev_name(key, ifname), strerror(-err));
		}
	}

	cfg.flags = (created ? STT_CFG_CREATED_CLSACT : 0) | (xdp_done ? STT_CFG_XDP : 0) |
		    (tcx ? STT_CFG_TCX : 0);
	/*
	 * bpf_fib_lookup() needs forwarding on the device it looks up from (netutil.c), for
	 * each family the endpoint sends in. Turned on by an earlier attach: still ours.
	 */
	if (reattach && (old.flags & STT_CFG_FWD_ENABLED)) {
		cfg.flags |= STT_CFG_FWD_ENABLED;
	} else if (cfg.local4 && dev_forwarding_get(dev) == 0) {
		if (dev_forwarding_set(dev, 1)) {
			err_msg("cannot enable IPv4 forwarding on %s: %s", dev, strerror(errno));
			goto out;
		}
		cfg.flags |= STT_CFG_FWD_ENABLED;
	}
	if (reattach && (old6.flags & STT_CFG6_FWD_ENABLED)) {
		cfg6.flags |= STT_CFG6_FWD_ENABLED;
	} else if ((cfg6.flags & STT_CFG6_LOCAL) && dev_forwarding6_get(dev) == 0) {
		if (dev_forwarding6_set(dev, 1)) {
			err_msg("cannot enable IPv6 forwarding on %s: %s", dev, strerror(errno));
			goto out;
		}
		cfg6.flags |= STT_CFG6_FWD_ENABLED;
	}
	/* GRO merges the segments of multi-segment frames before TC decapsulates them. */
	if (reattach && (old.flags & STT_CFG_GRO_ENABLED)) {
		cfg.flags |= STT_CFG_GRO_ENABLED;
	} else if (dev_gro_get(dev) == 0) {
		if (dev_gro_set(dev, 1))
			err_msg("warning: cannot turn GRO on for %s: multi-segment frames will be "
				"reassembled segment by segment", dev);
		else
			cfg.flags |= STT_CFG_GRO_ENABLED;
	}
	remotes_neigh(tc.fdb_fd, tc.flood_fd, ifindex, true);
	{
		struct stt_underlay ul = {};

		/* Multicast flood targets: the source MAC, and the groups' receive filter. */
		if (dev_mac(dev, ul.mac) || bpf_map_update_elem(tc.underlay_fd, &zero, &ul, 0)) {
			err_msg("cannot read the MAC address of %s: %s", dev, strerror(errno));
			goto out;
		}
		groups_sync(tc.flood_fd, tc.groups_fd, ifindex, true);
	}
	/* The IPv6 side, then stt_cfg last: the datapath acts only once every piece is in place. */
	if (bpf_map_update_elem(tc.cfg6_fd, &zero, &cfg6, 0)) {
		err_msg("cannot write the IPv6 configuration: %s", strerror(errno));
		goto out;
	}
	if (bpf_map_update_elem(tc.cfg_fd, &zero, &cfg, 0)) {
		err_msg("cannot write the configuration: %s", strerror(errno));
		goto out;
	}
	rc = 0;
	if (g_opts.json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "attached", json_object_new_string(dev));
		json_out(o);
	}
out:
	if (rc) {
		/* Nothing half-applied: undo what this call did. */
		if ((cfg.flags & STT_CFG_FWD_ENABLED) && !(old.flags & STT_CFG_FWD_ENABLED))
			dev_forwarding_set(dev, 0);
		if ((cfg6.flags & STT_CFG6_FWD_ENABLED) && !(old6.flags & STT_CFG6_FWD_ENABLED))
			dev_forwarding6_set(dev, 0);
		if ((cfg.flags & STT_CFG_GRO_ENABLED) && !reattach)
			dev_gro_set(dev, 0);
		if (tc_done && !reattach)
			tc_detach_ingress(ifindex, created);
		if (xdp_done && !reattach) {
			xdp_link_remove(dir);
			xdp_detach_ours(ifindex, 0);
		}
		if (!reattach && !old.ifindex) {
			struct stt_state s2;
			bool vports = false;

			if (state_open(&s2, false) == 0) {
				vports = has_vports(&s2);
				state_close(&s2);
			}
			if (!vports)
				state_remove_pins(dir);
		}
	}
	/* libxdp borrows an object given through opts.obj: close it after the program. */
	if (xprog)
		xdp_program__close(xprog);
	stt_xdp_bpf__destroy(xdp);
	tc_skel_destroy(&tc);
	return rc;
}

int cmd_detach(int argc, char **argv)
{
	struct stt_state st;
	struct stt_cfg cfg, empty = {};
	struct stt_cfg6 cfg6, empty6 = {};
	char ifname[IF_NAMESIZE];
	__u32 zero = 0;
	int ifindex, err;
	bool vports;

	if (argc != 1 || !strcmp(argv[0], "help") || !strcmp(argv[0], "--help")) {
		detach_usage();
		return argc == 1 ? 0 : 1;
	}
	ifindex = dev_index(argv[0], "cannot detach from");
	if (ifindex < 0)
		return 1;
	if (state_open(&st, false) || state_get_cfg(&st, &cfg) || cfg.ifindex != (__u32)ifindex) {
		if (st.cfg_fd >= 0 && cfg.ifindex)
			err_msg("cannot detach from %s: stt is attached to %s, not to it", argv[0],
				dev_name(cfg.ifindex, ifname));
		else
			err_msg("cannot detach from %s: stt is not attached to it", argv[0]);
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
		err_msg("warning: removing XDP from %s: %s", argv[0], strerror(-err));
	err = tc_detach_ingress(ifindex, cfg.flags & STT_CFG_CREATED_CLSACT);
	if (err)
		err_msg("warning: removing TC from %s: %s", argv[0], strerror(-err));
	if (cfg.flags & STT_CFG_FWD_ENABLED)
		dev_forwarding_set(argv[0], 0);
	if (cfg6.flags & STT_CFG6_FWD_ENABLED)
		dev_forwarding6_set(argv[0], 0);
	if (cfg.flags & STT_CFG_GRO_ENABLED)
		dev_gro_set(argv[0], 0);
	remotes_neigh(st.fdb_fd, st.flood_fd, ifindex, false);
	groups_sync(st.flood_fd, st.groups_fd, ifindex, false);
	vports = has_vports(&st);
	state_close(&st);
	if (!vports)
		state_remove_pins(st.dir);
	if (g_opts.json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "detached", json_object_new_string(argv[0]));
		json_out(o);
	}
	return 0;
}

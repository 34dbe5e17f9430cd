// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* sttctl vport add / del: bind a tenant interface to a Context ID. */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cli.h"
#include "vport.h"

static void vport_usage(void)
{
	fprintf(stderr,
		"Usage: sttctl vport add IFNAME --context ID [--xdp] [--peers open|strict]\n"
		"                        [--learn [--learn-cap N] [--learn-age SECONDS]] [--vlan VID]\n"
		"       sttctl vport del IFNAME [--vlan VID]\n"
		"  A vport is a tenant interface (for example the host end of a container's\n"
		"  veth). Frames it receives are sent into the tunnel with its Context ID, and\n"
		"  frames that arrive with that Context ID are delivered to it. ID: 0 .. 2^64-1,\n"
		"  decimal or 0x hex; one vport per context.\n"
		"  --xdp  deliver received single-segment frames straight from XDP. Only for a\n"
		"         veth whose peer has GRO on or an XDP program (the kernel drops XDP\n"
		"         redirects into a veth without NAPI); without it, TC delivers.\n"
		"  --peers strict  accept this context's frames only from its peers ('sttctl\n"
		"         peer add'), whatever the endpoint's --peers; open (the default)\n"
		"         follows the endpoint.\n"
		"  --learn  learn where this context's MACs live from the frames received (inner\n"
		"         source MAC -> sending endpoint); unicast to a learned MAC then goes to\n"
		"         that endpoint only. Static fdb entries win. At most N (default %d)\n"
		"         MACs per context, the oldest evicted first; an entry unused by traffic\n"
		"         for SECONDS (default %d) is forgotten.\n"
		"  --vlan VID  bind one VLAN (1..4094) of a trunk interface to the context: frames\n"
		"         tagged VID go into the tunnel without their tag (its PCP travels in\n"
		"         the STT header), and the context's frames come out tagged VID. One\n"
		"         trunk can carry many VLANs (one vport add each); untagged frames and\n"
		"         other VLANs follow the interface's own vport, if it has one.\n",
		STT_LEARN_CAP_DEFAULT, STT_LEARN_AGE_DEFAULT);
}

/* The vport described by the options, bound through the library (vport.c), or undone. */
static int bind_vport(struct stt_state *st, const char *name, const struct stt_vport *vp,
		      int ifindex, unsigned long vid, unsigned long cap, int prog_fd)
{
	struct ap_vport v = {
	    .context = vp->context,
	    .xdp = vp->flags & STT_VPORT_XDP,
	    .strict = vp->flags & STT_VPORT_PEERS_STRICT,
	    .learn = vp->flags & STT_VPORT_LEARN,
	    .learn_cap = cap,
	    .learn_age = vp->learn_age,
	    .vid = vid,
	    .ifindex = ifindex,
	};
	struct stt_txn t;
	int rc;

	snprintf(v.ifname, sizeof(v.ifname), "%s", name);
	txn_init(&t);
	t.prog_fd = prog_fd;
	rc = vport_bind(st, &t, &v);
	if (rc) {
		err_msg("cannot add vport %s: %s", v.ifname, strerror(errno));
		txn_undo(&t);
	}
	txn_free(&t);
	return rc;
}

static int vport_add(int argc, char **argv)
{
	struct stt_state st;
	struct stt_vport vp = {}, existing;
	struct stt_ctx_val cv = {};
	char ifname[IF_NAMESIZE];
	const char *name = NULL, *v;
	bool have_ctx = false;
	unsigned long cap = STT_LEARN_CAP_DEFAULT, age = STT_LEARN_AGE_DEFAULT, vid = 0;
	struct stt_vlan_key vk = {};
	int ifindex, prog_fd = -1, rc = 1;
	__u32 key;

	for (int i = 0; i < argc; i++) {
		if ((v = opt_value(argc, argv, &i, "--context"))) {
			if (parse_context(v, &vp.context))
				return 1;
			have_ctx = true;
		} else if (!strcmp(argv[i], "--xdp")) {
			vp.flags |= STT_VPORT_XDP;
		} else if ((v = opt_value(argc, argv, &i, "--vlan"))) {
			if (parse_uint(v, 4094, &vid) || !vid) {
				if (!vid)
					err_msg("invalid --vlan 0: expected 1 .. 4094");
				return 1;
			}
		} else if (!strcmp(argv[i], "--learn")) {
			vp.flags |= STT_VPORT_LEARN;
		} else if ((v = opt_value(argc, argv, &i, "--learn-cap"))) {
			if (parse_uint(v, 1u << 20, &cap) || !cap) {
				if (!cap)
					err_msg("invalid --learn-cap 0");
				return 1;
			}
		} else if ((v = opt_value(argc, argv, &i, "--learn-age"))) {
			if (parse_uint(v, 86400 * 7, &age) || !age) {
				if (!age)
					err_msg("invalid --learn-age 0");
				return 1;
			}
		} else if ((v = opt_value(argc, argv, &i, "--peers"))) {
			if (!strcmp(v, "strict")) {
				vp.flags |= STT_VPORT_PEERS_STRICT;
			} else if (strcmp(v, "open")) {
				err_msg("invalid --peers '%s': expected open or strict", v);
				return 1;
			}
		} else if (argv[i][0] == '-') {
			err_msg("vport add: unknown option '%s'", argv[i]);
			return 1;
		} else if (!name) {
			name = argv[i];
		} else {
			err_msg("vport add: unexpected argument '%s'", argv[i]);
			return 1;
		}
	}
	if (!name || !have_ctx) {
		vport_usage();
		return 1;
	}
	ifindex = dev_index(name, "cannot add vport");
	if (ifindex < 0)
		return 1;
	if (vid && (vp.flags & STT_VPORT_XDP)) {
		err_msg("cannot add vport %s: --xdp and --vlan exclude each other (the tag is "
			"put back by TC)", name);
		return 1;
	}
	if (state_open(&st, true))
		return 1;
	key = ifindex;
	vk.ifindex = ifindex;
	vk.vid = vid;
	if (vid && st.vlan_fd < 0) {
		err_msg("cannot add vport %s: this endpoint has no VLAN map yet: re-run 'sttctl "
			"attach DEV' with this build", name);
		goto out;
	}
	if (vid && bpf_map_lookup_elem(st.vlan_fd, &vk, &existing) == 0) {
		err_msg("cannot add vport %s VLAN %lu: it is already a vport (context %llu)", name,
			vid, (unsigned long long)existing.context);
		goto out;
	}
	if (!vid && bpf_map_lookup_elem(st.vports_fd, &key, &existing) == 0) {
		err_msg("cannot add vport %s: it is already a vport (context %llu)", name,
			(unsigned long long)existing.context);
		goto out;
	}
	if (bpf_map_lookup_elem(st.contexts_fd, &vp.context, &cv) == 0) {
		err_msg("cannot add vport %s: context %llu is already bound to %s", name,
			(unsigned long long)vp.context, dev_name(cv.ifindex, ifname));
		goto out;
	}
	{
		struct stt_cfg cfg;

		if (state_get_cfg(&st, &cfg) == 0 && cfg.ifindex == (__u32)ifindex) {
			err_msg("cannot add vport %s: it is the underlay", name);
			goto out;
		}
	}
	if ((vp.flags & STT_VPORT_LEARN) && st.learn_fd < 0) {
		err_msg("this endpoint has no learning map yet: re-run 'sttctl attach DEV' with "
			"this build");
		goto out;
	}
	prog_fd = open_pin(st.dir, "prog_tc_tx");
	if (prog_fd < 0) {
		err_msg("cannot add vport %s: stt is not attached (run 'sttctl attach DEV' first)",
			name);
		goto out;
	}
	vp.learn_age = age;
	if (bind_vport(&st, name, &vp, ifindex, vid, cap, prog_fd))
		goto out;
	rc = 0;
out:
	if (prog_fd >= 0)
		close(prog_fd);
	state_close(&st);
	return rc;
}

/* The installed vport vp, unbound through the library (vport.c). */
static int unbind_vport(struct stt_state *st, const char *name, const struct stt_vport *vp,
			int ifindex, unsigned long vid)
{
	struct ap_vport v = {
	    .context = vp->context, .vid = vid, .ifindex = ifindex, .flags = vp->flags};
	struct stt_txn t;
	int rc;

	snprintf(v.ifname, sizeof(v.ifname), "%s", name);
	txn_init(&t);
	rc = vport_unbind(st, &t, &v);
	if (rc) {
		err_msg("cannot delete vport %s: %s", name, strerror(errno));
		txn_undo(&t);
	}
	txn_free(&t);
	return rc;
}

static int vport_del(int argc, char **argv)
{
	struct stt_state st;
	struct stt_vport vp;
	struct stt_cfg cfg = {};
	struct stt_vlan_key vk = {};
	unsigned long vid = 0;
	int ifindex;
	__u32 key;

	if (argc == 3 && !strcmp(argv[1], "--vlan")) {
		if (parse_uint(argv[2], 4094, &vid) || !vid) {
			if (!vid)
				err_msg("invalid --vlan 0: expected 1 .. 4094");
			return 1;
		}
	} else if (argc != 1) {
		vport_usage();
		return 1;
	}
	ifindex = dev_index(argv[0], "cannot delete vport");
	if (ifindex < 0)
		return 1;
	if (state_open(&st, true))
		return 1;
	key = ifindex;
	vk.ifindex = ifindex;
	vk.vid = vid;
	if (vid ? st.vlan_fd < 0 || bpf_map_lookup_elem(st.vlan_fd, &vk, &vp)
		: bpf_map_lookup_elem(st.vports_fd, &key, &vp)) {
		if (vid)
			err_msg("cannot delete vport %s VLAN %lu: it is not a vport", argv[0], vid);
		else
			err_msg("cannot delete vport %s: it is not a vport", argv[0]);
		state_close(&st);
		return 1;
	}
	if (unbind_vport(&st, argv[0], &vp, ifindex, vid))
		return state_close(&st), 1;
	state_get_cfg(&st, &cfg);
	state_close(&st);
	if (!cfg.ifindex) {
		/* Detached earlier and this was the last vport: remove the pinned state. */
		if (state_open(&st, false) == 0) {
			bool more = has_vports(&st);

			state_close(&st);
			if (!more)
				state_remove_pins(st.dir);
		}
	}
	return 0;
}

int cmd_vport(int argc, char **argv)
{
	if (argc < 1 || !strcmp(argv[0], "help") || !strcmp(argv[0], "--help")) {
		vport_usage();
		return argc < 1;
	}
	if (!strcmp(argv[0], "add"))
		return vport_add(argc - 1, argv + 1);
	if (!strcmp(argv[0], "del") || !strcmp(argv[0], "delete"))
		return vport_del(argc - 1, argv + 1);
	err_msg("vport: unknown command '%s' (try 'sttctl vport help')", argv[0]);
	return 1;
}

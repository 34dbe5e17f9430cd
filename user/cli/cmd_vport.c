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

static void vport_help(FILE *f)
{
	fprintf(
	    f,
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

static int opt_vlan(const char *v, __u16 *vid)
{
	unsigned long n;

	if (cmd_num(v, AP_VLAN_MAX, "invalid --vlan 0: expected 1 .. 4094", &n))
		return -1;
	*vid = n;
	return 0;
}

/* One option of vport add into v (see vport_help); 0, or -1 (said). */
static int add_opt(struct ap_vport *v, int o, const char *val, bool *have_ctx)
{
	unsigned long n;

	switch (o) {
	case 'c':
		*have_ctx = true;
		return parse_context(val, &v->context);
	case 'x':
		v->xdp = true;
		return 0;
	case 'V':
		return opt_vlan(val, &v->vid);
	case 'l':
		v->learn = true;
		return 0;
	case 'C':
		if (cmd_num(val, AP_LEARN_CAP_MAX, "invalid --learn-cap 0", &n))
			return -1;
		v->learn_cap = n;
		return 0;
	case 'A':
		if (cmd_num(val, AP_LEARN_AGE_MAX, "invalid --learn-age 0", &n))
			return -1;
		v->learn_age = n;
		return 0;
	case 'P':
		if (strcmp(val, "strict") && strcmp(val, "open")) {
			err_msg("invalid --peers '%s': expected open or strict", val);
			return -1;
		}
		v->strict = !strcmp(val, "strict");
		return 0;
	}
	return 0;
}

static int add_opts(const struct cmd *c, int argc, char **argv, struct ap_vport *v)
{
	static const struct option opts[] = {
	    {"context", required_argument, NULL, 'c'},
	    {"xdp", no_argument, NULL, 'x'},
	    {"vlan", required_argument, NULL, 'V'},
	    {"learn", no_argument, NULL, 'l'},
	    {"learn-cap", required_argument, NULL, 'C'},
	    {"learn-age", required_argument, NULL, 'A'},
	    {"peers", required_argument, NULL, 'P'},
	    CMD_OPT_HELP,
	    {},
	};
	const char *name;
	bool have_ctx = false;
	int o;

	*v = (struct ap_vport){.learn_cap = STT_LEARN_CAP_DEFAULT,
	                       .learn_age = STT_LEARN_AGE_DEFAULT};
	while ((o = cmd_getopt(c, argc, argv, "h", opts)) != -1) {
		if (o == CMD_HELP || o == CMD_BAD)
			return o;
		if (add_opt(v, o, optarg, &have_ctx))
			return CMD_BAD;
	}
	if (cmd_args(c, argc, argv, &name, 1))
		return CMD_BAD;
	if (!name || !have_ctx)
		return cmd_bad(c, "vport add: IFNAME and --context ID are needed"), CMD_BAD;
	snprintf(v->ifname, sizeof(v->ifname), "%s", name);
	return 0;
}

/* What would keep v from being added, said; 0 if nothing. */
static int add_check(struct stt_state *st, const struct ap_vport *v)
{
	struct stt_vlan_key vk = {.ifindex = v->ifindex, .vid = v->vid};
	struct stt_vport existing;
	struct stt_ctx_val cv;
	struct stt_cfg cfg;
	char ifname[IF_NAMESIZE];
	__u32 key = v->ifindex;

	if (v->vid && st->vlan_fd < 0) {
		err_msg("cannot add vport %s: this endpoint has no VLAN map yet: re-run 'sttctl "
		        "attach DEV' with this build",
		        v->ifname);
		return -1;
	}
	if (v->vid && bpf_map_lookup_elem(st->vlan_fd, &vk, &existing) == 0) {
		err_msg("cannot add vport %s VLAN %u: it is already a vport (context %llu)",
		        v->ifname, v->vid, (unsigned long long)existing.context);
		return -1;
	}
	if (!v->vid && bpf_map_lookup_elem(st->vports_fd, &key, &existing) == 0) {
		err_msg("cannot add vport %s: it is already a vport (context %llu)", v->ifname,
		        (unsigned long long)existing.context);
		return -1;
	}
	if (bpf_map_lookup_elem(st->contexts_fd, &v->context, &cv) == 0) {
		err_msg("cannot add vport %s: context %llu is already bound to %s", v->ifname,
		        (unsigned long long)v->context, dev_name(cv.ifindex, ifname));
		return -1;
	}
	if (state_get_cfg(st, &cfg) == 0 && cfg.ifindex == v->ifindex) {
		err_msg("cannot add vport %s: it is the underlay", v->ifname);
		return -1;
	}
	if (v->learn && st->learn_fd < 0) {
		err_msg("this endpoint has no learning map yet: re-run 'sttctl attach DEV' with "
		        "this build");
		return -1;
	}
	return 0;
}

/* v bound through the library (vport.c) in a transaction, undone if it fails. */
static int add_bind(struct stt_state *st, const struct ap_vport *v)
{
	struct stt_txn t;
	int rc;

	txn_init(&t);
	t.prog_fd = open_pin(st->dir, "prog_tc_tx");
	if (t.prog_fd < 0) {
		err_msg("cannot add vport %s: stt is not attached (run 'sttctl attach DEV' first)",
		        v->ifname);
		return -1;
	}
	rc = vport_bind(st, &t, v);
	if (rc) {
		err_msg("cannot add vport %s: %s", v->ifname, strerror(errno));
		txn_undo(&t);
	}
	txn_free(&t);
	close(t.prog_fd);
	return rc;
}

static int vport_add(const struct cmd *c, int argc, char **argv)
{
	struct stt_state st;
	struct ap_vport v;
	int ifindex, rc;

	rc = add_opts(c, argc, argv, &v);
	if (rc)
		return rc == CMD_HELP ? 0 : 1;
	ifindex = dev_index(v.ifname, "cannot add vport");
	if (ifindex < 0)
		return 1;
	v.ifindex = ifindex;
	if (v.vid && v.xdp) {
		err_msg("cannot add vport %s: --xdp and --vlan exclude each other (the tag is "
		        "put back by TC)",
		        v.ifname);
		return 1;
	}
	if (state_open(&st, true))
		return 1;
	rc = add_check(&st, &v) || add_bind(&st, &v) ? 1 : 0;
	state_close(&st);
	return rc;
}

/* The installed vport of ifindex (and VLAN vid) into v; -1 (said) if there is none. */
static int del_find(struct stt_state *st, const char *name, __u16 vid, struct ap_vport *v)
{
	struct stt_vlan_key vk = {.ifindex = v->ifindex, .vid = vid};
	struct stt_vport vp;
	__u32 key = v->ifindex;

	if (vid ? st->vlan_fd < 0 || bpf_map_lookup_elem(st->vlan_fd, &vk, &vp)
	        : bpf_map_lookup_elem(st->vports_fd, &key, &vp)) {
		if (vid)
			err_msg("cannot delete vport %s VLAN %u: it is not a vport", name, vid);
		else
			err_msg("cannot delete vport %s: it is not a vport", name);
		return -1;
	}
	v->context = vp.context;
	v->flags = vp.flags;
	v->vid = vid;
	return 0;
}

/* v unbound through the library (vport.c), undone if it fails. */
static int del_unbind(struct stt_state *st, const struct ap_vport *v)
{
	struct stt_txn t;
	int rc;

	txn_init(&t);
	rc = vport_unbind(st, &t, v);
	if (rc) {
		err_msg("cannot delete vport %s: %s", v->ifname, strerror(errno));
		txn_undo(&t);
	}
	txn_free(&t);
	return rc;
}

static int vport_del(const struct cmd *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"vlan", required_argument, NULL, 'V'}, CMD_OPT_HELP, {}};
	struct ap_vport v = {};
	struct stt_state st;
	struct stt_cfg cfg = {};
	const char *name;
	__u16 vid = 0;
	int o;

	while ((o = cmd_getopt(c, argc, argv, "h", opts)) != -1) {
		if (o == CMD_HELP || o == CMD_BAD)
			return o == CMD_HELP ? 0 : 1;
		if (opt_vlan(optarg, &vid))
			return 1;
	}
	if (cmd_args(c, argc, argv, &name, 1))
		return 1;
	if (!name)
		return cmd_bad(c, "vport del: IFNAME is needed");
	o = dev_index(name, "cannot delete vport");
	if (o < 0 || state_open(&st, true))
		return 1;
	v.ifindex = o;
	snprintf(v.ifname, sizeof(v.ifname), "%s", name);
	if (del_find(&st, name, vid, &v) || del_unbind(&st, &v)) {
		state_close(&st);
		return 1;
	}
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

static const struct cmd vport_verbs[] = {
    {.name = "add", .run = vport_add},
    {.name = "del", .alias = "delete", .run = vport_del},
    {},
};

const struct cmd cmd_vport = {
    .name = "vport",
    .synopsis = "vport add IFNAME --context ID [--xdp] [--peers open|strict]\n"
                "          [--learn [--learn-cap N] [--learn-age SECONDS]] [--vlan VID]\n"
                "vport del IFNAME [--vlan VID]",
    .help = vport_help,
    .sub = vport_verbs,
};

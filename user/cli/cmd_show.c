// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* sttctl show: what is installed. */
#include <net/if.h>
#include <sys/utsname.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cli.h"
#include "apply.h"
#include "encap.h"

static struct json_object *jstr(const char *s)
{
	return json_object_new_string(s);
}

/*
 * show --json prints the desired-state schema of `sttctl apply` (docs/API.md), so that
 * `sttctl show --json | sttctl apply -` changes nothing; "status" holds what apply does not
 * set (it ignores that key).
 */
/* The running kernel's release (uname -r). */
static const char *kernel_release(void)
{
	static struct utsname u;

	return u.release[0] || !uname(&u) ? u.release : "unknown";
}

static struct json_object *build_status(const struct ap_doc *doc, const struct stt_cfg *cfg)
{
	struct json_object *st = json_object_new_object();
	struct json_object *vports = json_object_new_array();
	char name[IF_NAMESIZE];

	if (doc->have_attach) {
		struct json_object *a = json_object_new_object();

		json_object_object_add(a, "ifindex", json_object_new_int(cfg->ifindex));
		json_object_object_add(a, "mtu", json_object_new_int(cfg->mtu));
		json_object_object_add(
		    a, "gro",
		    json_object_new_boolean(dev_gro_get(dev_name(cfg->ifindex, name)) == 1));
		json_object_object_add(a, "tc", jstr(cfg->flags & STT_CFG_TCX ? "tcx" : "clsact"));
		json_object_object_add(a, "kernel", jstr(kernel_release()));
		json_object_object_add(a, "gro_enabled_by_stt",
		                       json_object_new_boolean(cfg->flags & STT_CFG_GRO_ENABLED));
		json_object_object_add(a, "forwarding_enabled_by_stt",
		                       json_object_new_boolean(cfg->flags & STT_CFG_FWD_ENABLED));
		{
			struct stt_cfg6 c6;

			ap_read_cfg6(&c6);
			json_object_object_add(
			    a, "ipv6_forwarding_enabled_by_stt",
			    json_object_new_boolean(c6.flags & STT_CFG6_FWD_ENABLED));
		}
		json_object_object_add(st, "attachment", a);
	} else {
		json_object_object_add(st, "attachment", NULL);
	}
	for (size_t i = 0; i < doc->nvports; i++) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "ifname", jstr(doc->vports[i].ifname));
		json_object_object_add(o, "ifindex", json_object_new_int(doc->vports[i].ifindex));
		if (doc->vports[i].vid)
			json_object_object_add(o, "vlan", json_object_new_int(doc->vports[i].vid));
		json_object_array_add(vports, o);
	}
	json_object_object_add(st, "vports", vports);
	return st;
}

static void print_show(const struct ap_doc *doc, const struct stt_cfg *cfg)
{
	char buf[128], m[24], name[IF_NAMESIZE];

	if (!doc->have_attach) {
		printf("not attached\n");
	} else {
		const struct ap_attach *a = &doc->att;
		int gro = dev_gro_get(a->device);

		struct stt_cfg6 c6;
		char l4[INET_ADDRSTRLEN], l6[INET6_ADDRSTRLEN];

		ap_read_cfg6(&c6);
		fmt_ipv4(a->local4, l4, sizeof(l4));
		raddr_fmt(&a->local6, l6, sizeof(l6));
		snprintf(buf, sizeof(buf), "%s%s%s%s%s", a->have_local ? "local " : "",
		         a->have_local ? l4 : "", a->have_local && a->have_local6 ? " " : "",
		         a->have_local6 ? "local6 " : "", a->have_local6 ? l6 : "");
		printf("attached: %s %s port %u ttl %u mtu %u  xdp %s  gro %s%s%s%s\n", a->device,
		       buf, a->port, a->ttl, cfg->mtu, a->xdp == AP_XDP_ON ? "on" : "off",
		       gro == 1 ? "on" : "off",
		       cfg->flags & STT_CFG_GRO_ENABLED ? " (turned on by stt)" : "",
		       cfg->flags & STT_CFG_FWD_ENABLED ? "  forwarding on (by stt)" : "",
		       c6.flags & STT_CFG6_FWD_ENABLED ? "  IPv6 forwarding on (by stt)" : "");
		/* What this kernel gives: the one attach difference between 6.1 and 6.6+. */
		printf("  kernel %s: TC %s\n", kernel_release(),
		       cfg->flags & STT_CFG_TCX
		           ? "through tcx links"
		           : "through clsact filters (tcx links need Linux 6.6)");
		if (a->dscp == STT_DSCP_INHERIT)
			snprintf(buf, sizeof(buf), "inherit");
		else
			snprintf(buf, sizeof(buf), "%u", STT_DSCP_VALUE(a->dscp));
		printf("  dscp %s  peers %s  gue port %u%s  encap %s\n", buf,
		       a->strict ? "strict" : "open", a->gue_port, a->gue_port ? "" : " (off)",
		       a->gue ? "gue" : "stt");
	}
	(void)name;
	printf("vports: %zu\n", doc->nvports);
	for (size_t i = 0; i < doc->nvports; i++) {
		const struct ap_vport *v = &doc->vports[i];

		if (v->vid)
			snprintf(buf, sizeof(buf), "  vlan %u", v->vid);
		else
			buf[0] = 0;
		printf("  %-16s context %llu%s%s%s", v->ifname, (unsigned long long)v->context, buf,
		       v->xdp ? "  xdp" : "", v->strict ? "  peers strict" : "");
		if (v->learn)
			printf("  learn cap %u age %u", v->learn_cap, v->learn_age);
		printf("\n");
	}
	printf("fdb: %zu\n", doc->nfdb);
	for (size_t i = 0; i < doc->nfdb; i++) {
		fmt_mac(doc->fdb[i].mac, m, sizeof(m));
		raddr_fmt(&doc->fdb[i].remote, buf, sizeof(buf));
		printf("  context %llu  %s -> %s\n", (unsigned long long)doc->fdb[i].context, m,
		       buf);
	}
	printf("flood lists: %zu\n", doc->nflood);
	for (size_t i = 0; i < doc->nflood; i++) {
		printf("  context %llu  ->", (unsigned long long)doc->flood[i].context);
		for (__u32 k = 0; k < doc->flood[i].count; k++) {
			raddr_fmt(&doc->flood[i].remote[k], buf, sizeof(buf));
			printf(" %s", buf);
		}
		printf("\n");
	}
	printf("peers: %zu\n", doc->npeers);
	for (size_t i = 0; i < doc->npeers; i++) {
		raddr_fmt(&doc->peers[i].remote, buf, sizeof(buf));
		printf("  context %llu  %s\n", (unsigned long long)doc->peers[i].context, buf);
	}
	/* Whether a remote has a cookie, never the cookie; its zero-checksum consent. */
	printf("remotes: %zu\n", doc->nremotes);
	for (size_t i = 0; i < doc->nremotes; i++) {
		raddr_fmt(&doc->remotes[i].address, buf, sizeof(buf));
		printf("  %s  encap %s%s%s\n", buf, encap_name(doc->remotes[i].encap),
		       doc->remotes[i].cookie != AP_COOKIE_NONE ? "  cookie" : "",
		       doc->remotes[i].udp6_zero_csum ? "  udp6-zero-csum" : "");
	}
}

static void show_help(FILE *f)
{
	fprintf(f,
	        "  Attachment, vports, forwarding entries, flood lists, peers and remotes of this\n"
	        "  network namespace. --json prints the document 'sttctl apply' takes\n"
	        "  (docs/API.md), plus a \"status\" object that apply ignores.\n");
}

static int show_main(const struct cmd *c, int argc, char **argv)
{
	static const struct option opts[] = {CMD_OPT_JSON, CMD_OPT_HELP, {}};
	struct ap_doc doc;
	struct stt_cfg cfg;
	int o;

	while ((o = cmd_getopt(c, argc, argv, "jph", opts)) != -1) {
		if (o == CMD_HELP || o == CMD_BAD)
			return o == CMD_HELP ? 0 : 1;
		g_opts.json = true;
		if (o == 'p')
			g_opts.pretty = true;
	}
	if (cmd_args(c, argc, argv, NULL, 0))
		return 1;
	ap_read_installed(&doc, &cfg); /* no pinned state: an empty document */
	if (g_opts.json) {
		struct json_object *root = ap_doc_to_json(&doc);

		json_object_object_add(root, "status", build_status(&doc, &cfg));
		ap_doc_free(&doc);
		return json_out(root);
	}
	print_show(&doc, &cfg);
	ap_doc_free(&doc);
	return 0;
}

const struct cmd cmd_show = {
    .name = "show",
    .synopsis = "show [--json]",
    .help = show_help,
    .run = show_main,
};

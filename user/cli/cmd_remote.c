// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * sttctl remote set / del / list: a remote's own encapsulation (STT or GUE), GUE security
 * cookie and consent to GUE over IPv6 with a zero UDP checksum (stt_remote_cfg, docs/GUE.md).
 * Also the check that attach and fdb make before a change GUE could not carry (gue_refused):
 * the installed state with the change made in it, through the one check of encap.c that
 * apply uses too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <json-c/json.h>
#include "cli.h"
#include "apply.h"
#include "encap.h"

static void remote_help(FILE *f)
{
	fprintf(f,
	        "  How frames to the remote endpoint ADDR (IPv4 or IPv6) are encapsulated:\n"
	        "  --encap stt or gue, or default (the endpoint's, 'attach --encap'; default\n"
	        "  with no cookie removes the remote's entry, as del does).\n"
	        "  --cookie HEX: a 64-bit security cookie (exactly %d hex digits) sent in, and\n"
	        "  required of, this remote's GUE frames; only for a remote set to --encap gue\n"
	        "  (Linux's GUE drops packets that carry one, STT has no place for it).\n"
	        "  --no-cookie removes it. list prints whether a remote has a cookie, never the\n"
	        "  cookie.\n"
	        "  --udp6-zero-csum: the IPv6 remote's consent to GUE with a zero UDP checksum,\n"
	        "  sent to it and accepted from it only (RFC 6935/6936): GUE over IPv6 needs it,\n"
	        "  since stt cannot checksum each segment of a TSO burst (docs/GUE.md section\n"
	        "  5); only for an IPv6 remote set to --encap gue. --no-udp6-zero-csum removes\n"
	        "  it. Options not given keep the remote's installed values.\n"
	        "  GUE carries Context IDs below 2^32 only (the GRE key has 32 bits): a change\n"
	        "  that would send a larger one to a GUE remote is refused, as is GUE to an IPv6\n"
	        "  remote without --udp6-zero-csum and GUE while it is off (gue port 0).\n",
	        STT_COOKIE_HEX);
}

/* The installed state as a document (empty if nothing is pinned): what a change edits. */
int gue_doc_read(struct ap_doc *doc)
{
	struct stt_cfg cfg;

	if (ap_read_installed(doc, &cfg)) {
		ap_doc_free(doc);
		return -1;
	}
	return 0;
}

struct refusal {
	const struct stt_addr6 *remote;
	const __u64 *ctx;
	int n;
};

static void refuse(void *arg, const struct gue_bad *b)
{
	struct refusal *r = arg;

	/* Only what the change is about: what was there before is not its fault. */
	if (r->remote && (!b->remote || !raddr_eq(b->remote, r->remote)))
		return;
	if (r->ctx && (b->kind != GUE_CONTEXT || b->context != *r->ctx))
		return;
	err_msg("%s", b->msg);
	r->n++;
}

int gue_refused(const struct ap_doc *doc, const struct stt_addr6 *remote, const __u64 *ctx)
{
	struct refusal r = {.remote = remote, .ctx = ctx};

	ap_gue_check(doc, refuse, &r);
	return r.n;
}

/* doc's entry of a, made if it has none (doc->remotes kept sorted); NULL if out of memory. */
static struct ap_remote *doc_remote(struct ap_doc *doc, const struct stt_addr6 *a)
{
	struct ap_remote *m = (struct ap_remote *)ap_remote_find(doc, a);

	if (m)
		return m;
	m = realloc(doc->remotes, (doc->nremotes + 1) * sizeof(*m));
	if (!m)
		return NULL;
	doc->remotes = m;
	m = &doc->remotes[doc->nremotes++];
	memset(m, 0, sizeof(*m));
	m->address = *a;
	qsort(doc->remotes, doc->nremotes, sizeof(*m), ap_remote_cmp);
	return (struct ap_remote *)ap_remote_find(doc, a);
}

static int rcfg_open(struct stt_state *st)
{
	if (state_open(st, true))
		return -1;
	if (st->remote_cfg_fd < 0) {
		err_msg("this endpoint has no remote configuration map yet: re-run 'sttctl attach "
		        "DEV' with this build");
		state_close(st);
		return -1;
	}
	return 0;
}

/* remote set: what the options say. */
struct rset {
	const char *addr;
	struct stt_addr6 a;
	int encap; /* -1: not given */
	bool cookie, no_cookie;
	__be32 cookie_val[2];
	bool udp6, no_udp6; /* --udp6-zero-csum, --no-udp6-zero-csum */
};

static int rset_opts(const struct cmd *c, int argc, char **argv, struct rset *q)
{
	static const struct option opts[] = {
	    {"encap", required_argument, NULL, 'e'},
	    {"cookie", required_argument, NULL, 'c'},
	    {"no-cookie", no_argument, NULL, 'N'},
	    {"udp6-zero-csum", no_argument, NULL, 'z'},
	    {"no-udp6-zero-csum", no_argument, NULL, 'Z'},
	    CMD_OPT_HELP,
	    {},
	};
	int o;

	while ((o = cmd_getopt(c, argc, argv, "h", opts)) != -1) {
		if (o == CMD_HELP || o == CMD_BAD)
			return o;
		if (o == 'N') {
			q->no_cookie = true;
		} else if (o == 'z') {
			q->udp6 = true;
		} else if (o == 'Z') {
			q->no_udp6 = true;
		} else if (o == 'c') {
			/* A secret: not echoed. */
			if (cookie_parse(optarg, q->cookie_val))
				return cmd_bad(c,
				               "invalid --cookie: expected exactly %d hex digits "
				               "(64 bits), got %zu characters",
				               STT_COOKIE_HEX, strlen(optarg)),
				       CMD_BAD;
			q->cookie = true;
		} else {
			q->encap = !strcmp(optarg, "stt")       ? STT_ENCAP_STT
			           : !strcmp(optarg, "gue")     ? STT_ENCAP_GUE
			           : !strcmp(optarg, "default") ? STT_ENCAP_DEFAULT
			                                        : -2;
			if (q->encap == -2)
				return cmd_bad(c,
				               "invalid --encap '%s': expected stt, gue or default",
				               optarg),
				       CMD_BAD;
		}
	}
	if (cmd_args(c, argc, argv, &q->addr, 1))
		return CMD_BAD;
	if (!q->addr)
		return cmd_bad(c, "remote set: ADDR is needed"), CMD_BAD;
	if (q->cookie && q->no_cookie)
		return cmd_bad(c, "remote set: --cookie and --no-cookie together"), CMD_BAD;
	if (q->udp6 && q->no_udp6)
		return cmd_bad(c, "remote set: --udp6-zero-csum and --no-udp6-zero-csum together"),
		       CMD_BAD;
	if (q->encap < 0 && !q->cookie && !q->no_cookie && !q->udp6 && !q->no_udp6)
		return cmd_bad(c, "remote set: --encap, --cookie, --no-cookie, --udp6-zero-csum or "
		                  "--no-udp6-zero-csum is needed"),
		       CMD_BAD;
	return parse_remote_addr(q->addr, &q->a) ? CMD_BAD : 0;
}

/*
 * The new entry from the installed one (cur) and the options; -1 if refused (said). Where
 * udp6_zero_csum may be, and GUE over IPv6 without it, are encap.c's rules (gue_refused).
 */
static int rset_merge(const struct rset *q, const struct ap_remote *cur, struct ap_remote *n)
{
	*n = *cur;
	if (q->encap >= 0)
		n->encap = q->encap;
	if (q->cookie) {
		n->cookie = AP_COOKIE_SET;
		memcpy(n->cookie_val, q->cookie_val, sizeof(n->cookie_val));
	} else if (q->no_cookie) {
		n->cookie = AP_COOKIE_NONE;
	}
	if (q->udp6 || q->no_udp6)
		n->udp6_zero_csum = q->udp6;
	if (n->cookie != AP_COOKIE_NONE && n->encap != STT_ENCAP_GUE) {
		if (q->cookie)
			err_msg(
			    "cannot set a cookie for %s: a cookie needs --encap gue set for that "
			    "remote (Linux's GUE drops packets that carry one, and STT has no "
			    "place for it)",
			    q->addr);
		else
			err_msg("cannot set --encap %s for %s: it has a cookie, which only GUE "
			        "carries (give --no-cookie too)",
			        encap_name(n->encap), q->addr);
		return -1;
	}
	return 0;
}

/* Write n as the remote's entry; one with the default and no flag (cookie, udp6) is removed. */
static int rset_write(struct stt_state *st, const struct rset *q, const struct ap_remote *n)
{
	struct stt_remote_cfg v = {.encap = n->encap};
	__be32 r;
	int rc;

	if (n->encap == STT_ENCAP_DEFAULT && n->cookie == AP_COOKIE_NONE && !n->udp6_zero_csum) {
		rc = remote_get(&q->a, &r, false);
		if (rc == 0 && bpf_map_delete_elem(st->remote_cfg_fd, &r) && errno != ENOENT)
			rc = -1;
		return rc < 0 ? -1 : 0;
	}
	if (remote_get(&q->a, &r, true))
		return -1;
	if (n->cookie == AP_COOKIE_SET) {
		v.flags = STT_RCFG_COOKIE;
		memcpy(v.cookie, n->cookie_val, sizeof(v.cookie));
	}
	if (n->udp6_zero_csum)
		v.flags |= STT_RCFG_UDP6_ZERO;
	/* One update: transmit and receive see the old entry or the new one. */
	return bpf_map_update_elem(st->remote_cfg_fd, &r, &v, BPF_ANY);
}

static int remote_set(const struct cmd *c, int argc, char **argv)
{
	struct rset q = {.encap = -1};
	struct ap_doc doc = {0};
	struct stt_state st;
	struct ap_remote *m, n;
	int rc = CMD_BAD;

	rc = rset_opts(c, argc, argv, &q);
	if (rc)
		return rc == CMD_HELP ? 0 : 1;
	if (rcfg_open(&st))
		return 1;
	rc = 1;
	gue_doc_read(&doc);
	m = doc_remote(&doc, &q.a);
	if (!m) {
		err_msg("out of memory");
	} else if (rset_merge(&q, m, &n) == 0) {
		*m = n;
		if (!gue_refused(&doc, &q.a, NULL)) {
			if (rset_write(&st, &q, &n))
				err_msg("cannot set remote %s: %s", q.addr, strerror(errno));
			else
				rc = 0;
		}
	}
	ap_doc_free(&doc);
	state_close(&st);
	return rc;
}

static int remote_del(const struct cmd *c, int argc, char **argv)
{
	static const struct option opts[] = {CMD_OPT_HELP, {}};
	struct ap_doc doc = {0};
	struct stt_addr6 a;
	struct stt_state st;
	const char *addr;
	__be32 r;
	int o, rc = 1;

	while ((o = cmd_getopt(c, argc, argv, "h", opts)) != -1)
		return o == CMD_HELP ? 0 : 1;
	if (cmd_args(c, argc, argv, &addr, 1))
		return 1;
	if (!addr)
		return cmd_bad(c, "remote del: ADDR is needed");
	if (parse_remote_addr(addr, &a) || rcfg_open(&st))
		return 1;
	if (remote_get(&a, &r, false) ||
	    bpf_map_lookup_elem(st.remote_cfg_fd, &r, &(struct stt_remote_cfg){})) {
		err_msg("cannot delete remote %s: it has no encapsulation of its own", addr);
		goto out;
	}
	/* Without its entry it gets the endpoint's default, which may be GUE. */
	gue_doc_read(&doc);
	for (size_t i = 0; i < doc.nremotes; i++)
		if (raddr_eq(&doc.remotes[i].address, &a))
			doc.remotes[i].encap = STT_ENCAP_DEFAULT,
			doc.remotes[i].cookie = AP_COOKIE_NONE,
			doc.remotes[i].udp6_zero_csum = false;
	if (gue_refused(&doc, &a, NULL))
		goto out;
	if (bpf_map_delete_elem(st.remote_cfg_fd, &r))
		err_msg("cannot delete remote %s: %s", addr, strerror(errno));
	else
		rc = 0;
out:
	ap_doc_free(&doc);
	state_close(&st);
	return rc;
}

static int remote_list(const struct cmd *c, int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, CMD_OPT_HELP, {}};
	struct json_object *arr;
	struct ap_doc doc = {0};
	char buf[REMOTE_STRLEN];
	int o;

	while ((o = cmd_getopt(c, argc, argv, "jh", opts)) != -1) {
		if (o == CMD_HELP || o == CMD_BAD)
			return o == CMD_HELP ? 0 : 1;
		g_opts.json = true;
	}
	if (cmd_args(c, argc, argv, NULL, 0))
		return 1;
	{
		struct stt_state st;

		if (rcfg_open(&st))
			return 1;
		state_close(&st);
	}
	gue_doc_read(&doc);
	arr = json_object_new_array();
	for (size_t i = 0; i < doc.nremotes; i++) {
		const struct ap_remote *r = &doc.remotes[i];

		raddr_fmt(&r->address, buf, sizeof(buf));
		if (g_opts.json) {
			struct json_object *e = json_object_new_object();

			json_object_object_add(e, "address", json_object_new_string(buf));
			json_object_object_add(e, "encap",
			                       json_object_new_string(encap_name(r->encap)));
			/* Whether there is one: the cookie itself is a secret. */
			json_object_object_add(
			    e, "cookie", json_object_new_boolean(r->cookie != AP_COOKIE_NONE));
			json_object_object_add(e, "udp6_zero_csum",
			                       json_object_new_boolean(r->udp6_zero_csum));
			json_object_array_add(arr, e);
		} else {
			printf("%s encap %s cookie %s%s\n", buf, encap_name(r->encap),
			       r->cookie != AP_COOKIE_NONE ? "yes" : "no", udp6_words(r));
		}
	}
	ap_doc_free(&doc);
	return list_out(arr);
}

static const struct cmd remote_verbs[] = {
    {.name = "set", .run = remote_set},
    {.name = "del", .alias = "delete", .run = remote_del},
    {.name = "list", .alias = "show", .run = remote_list},
    {},
};

const struct cmd cmd_remote = {
    .name = "remote",
    .synopsis = "remote set ADDR [--encap stt|gue|default] [--cookie HEX|--no-cookie]\n"
                "           [--udp6-zero-csum|--no-udp6-zero-csum]\n"
                "remote del ADDR\n"
                "remote list [--json]",
    .help = remote_help,
    .sub = remote_verbs,
};

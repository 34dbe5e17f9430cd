// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* sttctl fdb add / del: where a (context, MAC) goes, and each context's flood targets. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <json-c/json.h>
#include "cli.h"
#include "apply.h"
#include "fdb.h"

static const __u8 bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static void fdb_help(FILE *f)
{
	fprintf(f,
	        "  A unicast entry sends frames for MAC in context ID to the endpoint ADDR\n"
	        "  (IPv4 or IPv6).\n"
	        "  MAC ff:ff:ff:ff:ff:ff adds ADDR to the context's flood list: broadcast,\n"
	        "  multicast and unknown unicast frames are copied to every flood target\n"
	        "  (head-end replication, at most %d per context, all of one family; a\n"
	        "  multicast group, IPv4 or IPv6, takes one copy). Adding an identical entry\n"
	        "  again changes nothing; a different remote for an existing MAC is refused.\n"
	        "  show lists static entries, flood lists and learned entries (vport --learn)\n"
	        "  with the seconds since their MAC was last seen.\n",
	        STT_MAX_FLOOD);
}

static int flood_add(struct stt_state *st, __u64 ctx, __be32 remote, const char *addr)
{
	struct stt_flood_val fv = {};

	bpf_map_lookup_elem(st->flood_fd, &ctx, &fv);
	for (__u32 i = 0; i < fv.count && i < STT_MAX_FLOOD; i++)
		if (fv.remote4[i] == remote)
			return 0;
	/* The datapath sends every copy from the first target's family (tx_family drops). */
	if (fv.count && stt_remote_is6(fv.remote4[0]) != stt_remote_is6(remote)) {
		err_msg("cannot add flood target %s: the flood list of context %llu is %s (a "
		        "flood list is one family)",
		        addr, (unsigned long long)ctx,
		        stt_remote_is6(fv.remote4[0]) ? "IPv6" : "IPv4");
		return 1;
	}
	if (fv.count >= STT_MAX_FLOOD) {
		err_msg("cannot add flood target %s: context %llu already has %d", addr,
		        (unsigned long long)ctx, STT_MAX_FLOOD);
		return 1;
	}
	fv.remote4[fv.count++] = remote;
	/* The whole list is one map value: readers see the old list or the new one. */
	if (flood_set(st, NULL, ctx, &fv)) {
		err_msg("cannot add flood target %s: %s", addr, strerror(errno));
		return 1;
	}
	return 0;
}

static int flood_del(struct stt_state *st, __u64 ctx, bool have_remote, __be32 remote,
                     const char *addr)
{
	struct stt_flood_val fv = {}, nv = {};

	if (bpf_map_lookup_elem(st->flood_fd, &ctx, &fv)) {
		err_msg("cannot delete: context %llu has no flood targets",
		        (unsigned long long)ctx);
		return 1;
	}
	if (!have_remote) {
		flood_clear(st, NULL, ctx);
		return 0;
	}
	for (__u32 i = 0; i < fv.count && i < STT_MAX_FLOOD; i++)
		if (fv.remote4[i] != remote)
			nv.remote4[nv.count++] = fv.remote4[i];
	if (nv.count == fv.count) {
		err_msg("cannot delete: %s is not a flood target of context %llu", addr,
		        (unsigned long long)ctx);
		return 1;
	}
	if (!nv.count)
		return flood_clear(st, NULL, ctx) ? 1 : 0;
	return flood_set(st, NULL, ctx, &nv) ? 1 : 0;
}

static void fdb_row(struct json_object *arr, __u64 ctx, const __u8 *mac, __be32 remote,
                    const char *type, long long age)
{
	char m[32], r[REMOTE_STRLEN], c[24];

	fmt_mac(mac, m, sizeof(m));
	fmt_remote(remote, r, sizeof(r));
	snprintf(c, sizeof(c), "%llu", (unsigned long long)ctx);
	if (g_opts.json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "context", json_object_new_string(c));
		json_object_object_add(o, "mac", json_object_new_string(m));
		json_object_object_add(o, "remote", json_object_new_string(r));
		json_object_object_add(o, "type", json_object_new_string(type));
		if (age >= 0)
			json_object_object_add(o, "age", json_object_new_int64(age));
		json_object_array_add(arr, o);
	} else if (age >= 0) {
		printf("context %s %s -> %s %s age %llds\n", c, m, r, type, age);
	} else {
		printf("context %s %s -> %s %s\n", c, m, r, type);
	}
}

static int fdb_show(const struct cmd *c, int argc, char **argv)
{
	struct json_object *arr = json_object_new_array();
	struct stt_state st;
	struct timespec ts;
	bool have_ctx = false;
	__u64 want = 0, now;

	int o = cmd_list_opts(c, argc, argv, &have_ctx, &want);

	if (o) {
		json_object_put(arr);
		return o == CMD_HELP ? 0 : 1;
	}
	if (state_open(&st, true))
		goto bad;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	{
		struct stt_fdb_key k, next, *prev = NULL;
		struct stt_fdb_val val;

		while (bpf_map_get_next_key(st.fdb_fd, prev, &next) == 0) {
			k = next;
			prev = &k;
			if ((have_ctx && k.context != want) ||
			    bpf_map_lookup_elem(st.fdb_fd, &k, &val))
				continue;
			fdb_row(arr, k.context, k.mac, val.remote4, "static", -1);
		}
	}
	{
		__u64 k, next, *prev = NULL;
		struct stt_flood_val fv;

		while (bpf_map_get_next_key(st.flood_fd, prev, &next) == 0) {
			k = next;
			prev = &k;
			if ((have_ctx && k != want) || bpf_map_lookup_elem(st.flood_fd, &k, &fv))
				continue;
			for (__u32 i = 0; i < fv.count && i < STT_MAX_FLOOD; i++)
				fdb_row(arr, k, bcast, fv.remote4[i], "flood", -1);
		}
	}
	if (st.learn_fd >= 0) {
		__u64 k, next, *prev = NULL;
		__u32 id;

		while (bpf_map_get_next_key(st.learn_fd, prev, &next) == 0) {
			struct stt_learn_key lk, lnext, *lprev = NULL;
			struct stt_learn_val lv;
			int tfd;

			k = next;
			prev = &k;
			if ((have_ctx && k != want) || bpf_map_lookup_elem(st.learn_fd, &k, &id))
				continue;
			tfd = bpf_map_get_fd_by_id(id);
			if (tfd < 0)
				continue;
			while (bpf_map_get_next_key(tfd, lprev, &lnext) == 0) {
				lk = lnext;
				lprev = &lk;
				if (bpf_map_lookup_elem(tfd, &lk, &lv) == 0)
					fdb_row(arr, k, lk.mac, lv.remote4, "learned",
					        now > lv.seen_ns ? (long long)((now - lv.seen_ns) /
					                                       1000000000ull)
					                         : 0);
			}
			close(tfd);
		}
	}
	state_close(&st);
	return list_out(arr);
bad:
	json_object_put(arr);
	return 1;
}

/* fdb add/del: what the options say. */
struct fdb_req {
	bool add, have_ctx, have_mac, have_remote;
	__u64 ctx;
	__u8 mac[6];
	struct stt_addr6 ra;
	const char *addr; /* --remote as given */
	__be32 remote;    /* as the maps name it (0: an IPv6 address without an index) */
};

static int fdb_opts(const struct cmd *c, int argc, char **argv, struct fdb_req *q)
{
	static const struct option opts[] = {
	    {"context", required_argument, NULL, 'c'},
	    {"mac", required_argument, NULL, 'm'},
	    {"remote", required_argument, NULL, 'r'},
	    CMD_OPT_HELP,
	    {},
	};
	int o, err = 0;

	while (!err && (o = cmd_getopt(c, argc, argv, "h", opts)) != -1) {
		if (o == CMD_HELP || o == CMD_BAD)
			return o;
		if (o == 'c') {
			err = parse_context(optarg, &q->ctx);
			q->have_ctx = true;
		} else if (o == 'm') {
			err = parse_mac(optarg, q->mac);
			q->have_mac = true;
		} else {
			err = parse_remote_addr(optarg, &q->ra);
			q->addr = optarg;
			q->have_remote = true;
		}
	}
	if (err || cmd_args(c, argc, argv, NULL, 0))
		return CMD_BAD;
	if (!q->have_ctx || !q->have_mac || (q->add && !q->have_remote))
		return cmd_bad(c, "fdb %s: --context, --mac%s are needed", argv[0],
		               q->add ? " and --remote" : ""),
		       CMD_BAD;
	return 0;
}

/* A unicast entry added: the same again is no change, another remote is refused. */
static int unicast_add(struct stt_state *st, const struct fdb_req *q, const char *mac)
{
	struct stt_fdb_key key = {.context = q->ctx};
	struct stt_fdb_val cur;

	memcpy(key.mac, q->mac, 6);
	if (raddr_is_mcast(&q->ra)) {
		err_msg("cannot add %s: a multicast group can only be a flood target "
		        "(--mac ff:ff:ff:ff:ff:ff)",
		        q->addr);
		return 1;
	}
	if (bpf_map_lookup_elem(st->fdb_fd, &key, &cur) == 0) {
		if (cur.remote4 == q->remote)
			return 0;
		err_msg("cannot add %s in context %llu: it already goes to another remote "
		        "(delete it first)",
		        mac, (unsigned long long)q->ctx);
		return 1;
	}
	if (fdb_set(st, NULL, q->ctx, q->mac, q->remote, BPF_NOEXIST)) {
		err_msg("cannot add %s in context %llu: %s", mac, (unsigned long long)q->ctx,
		        strerror(errno));
		return 1;
	}
	return 0;
}

/* A unicast entry deleted (with --remote: only if it goes there). */
static int unicast_del(struct stt_state *st, const struct fdb_req *q, const char *mac)
{
	struct stt_fdb_key key = {.context = q->ctx};
	struct stt_fdb_val cur;

	memcpy(key.mac, q->mac, 6);
	if (bpf_map_lookup_elem(st->fdb_fd, &key, &cur)) {
		err_msg("cannot delete %s in context %llu: no such entry", mac,
		        (unsigned long long)q->ctx);
		return 1;
	}
	if (q->have_remote && cur.remote4 != q->remote) {
		err_msg("cannot delete %s in context %llu: it goes to another remote", mac,
		        (unsigned long long)q->ctx);
		return 1;
	}
	fdb_clear(st, NULL, q->ctx, q->mac);
	return 0;
}

/*
 * An entry added that GUE could not carry (a Context ID >= 2^32, or an IPv6 remote, sent GUE
 * by the remote's setting or the default): refused, through the check apply makes too. Other
 * entries cannot be refused, so the installed state is read only for these.
 */
static int fdb_gue_refused(const struct fdb_req *q)
{
	bool big = q->ctx > UINT32_MAX;
	struct ap_doc doc = {0};
	struct ap_fdb *m;
	int n = 0;

	if (!q->add || (!big && raddr_is4(&q->ra)))
		return 0;
	gue_doc_read(&doc);
	/* As an fdb entry: the check treats unicast entries and flood targets alike. */
	m = realloc(doc.fdb, (doc.nfdb + 1) * sizeof(*m));
	if (m) {
		doc.fdb = m;
		doc.fdb[doc.nfdb++] = (struct ap_fdb){.context = q->ctx, .remote = q->ra};
		n = gue_refused(&doc, &q->ra, big ? &q->ctx : NULL);
	}
	ap_doc_free(&doc);
	return n;
}

/* The entry (or flood target) of q added or deleted; 0 or 1. */
static int fdb_apply(struct stt_state *st, const struct fdb_req *q, __u32 underlay)
{
	char mac[32];
	int rc;

	if (!memcmp(q->mac, bcast, 6)) {
		rc = q->add ? flood_add(st, q->ctx, q->remote, q->addr)
		            : flood_del(st, q->ctx, q->have_remote, q->remote, q->addr);
		/* Multicast flood targets: the groups this endpoint accepts STT on. */
		if (!rc)
			groups_sync(st->flood_fd, st->groups_fd, underlay, true);
		return rc;
	}
	fmt_mac(q->mac, mac, sizeof(mac));
	return q->add ? unicast_add(st, q, mac) : unicast_del(st, q, mac);
}

static int fdb_change(const struct cmd *c, int argc, char **argv)
{
	struct fdb_req q = {.add = !strcmp(argv[0], "add")};
	struct stt_state st;
	struct stt_cfg cfg = {};
	int rc = 1;

	rc = fdb_opts(c, argc, argv, &q);
	if (rc)
		return rc == CMD_HELP ? 0 : 1;
	rc = 1;
	if (fdb_gue_refused(&q))
		return 1;
	if (state_open(&st, true))
		return 1;
	state_get_cfg(&st, &cfg);
	/*
	 * An IPv6 remote by its index: a new address gets one when added; one that has none
	 * (remote 0) is named by no entry, so deleting it finds nothing.
	 */
	if (q.have_remote) {
		int r = remote_get(&q.ra, &q.remote, q.add);

		if (r < 0)
			goto out;
		if (r > 0)
			q.remote = 0;
	}
	rc = fdb_apply(&st, &q, cfg.ifindex);
out:
	/* Keep a kernel-managed neighbour entry for each remote in use (see netutil.c). */
	if (!rc && q.have_remote && cfg.ifindex) {
		if (q.add)
			neigh_addr_add(cfg.ifindex, &q.ra); /* none for a group */
		else if (!remote_in_use(st.fdb_fd, st.flood_fd, q.remote))
			neigh_addr_del(cfg.ifindex, &q.ra);
	}
	state_close(&st);
	return rc;
}

static const struct cmd fdb_verbs[] = {
    {.name = "add", .run = fdb_change},
    {.name = "del", .alias = "delete", .run = fdb_change},
    {.name = "show", .alias = "list", .run = fdb_show},
    {},
};

const struct cmd cmd_fdb = {
    .name = "fdb",
    .synopsis = "fdb add --context ID --mac MAC --remote ADDR\n"
                "fdb del --context ID --mac MAC [--remote ADDR]\n"
                "fdb show [--context ID]",
    .help = fdb_help,
    .sub = fdb_verbs,
};

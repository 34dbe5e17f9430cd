// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* sttctl fdb add / del: where a (context, MAC) goes, and each context's flood targets. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <json-c/json.h>
#include "cli.h"
#include "fdb.h"

static const __u8 bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static void fdb_usage(void)
{
	fprintf(stderr,
		"Usage: sttctl fdb add --context ID --mac MAC --remote ADDR\n"
		"       sttctl fdb del --context ID --mac MAC [--remote ADDR]\n"
		"       sttctl fdb show [--context ID]\n"
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
			"flood list is one family)", addr, (unsigned long long)ctx,
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
		err_msg("cannot delete: context %llu has no flood targets", (unsigned long long)ctx);
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

static int fdb_show(int argc, char **argv)
{
	struct json_object *arr = json_object_new_array();
	struct stt_state st;
	struct timespec ts;
	bool have_ctx = false;
	__u64 want = 0, now;

	if (parse_list_args(argc, argv, "fdb show", &have_ctx, &want))
		goto bad;
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
			if ((have_ctx && k.context != want) || bpf_map_lookup_elem(st.fdb_fd, &k, &val))
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
						now > lv.seen_ns ? (long long)((now - lv.seen_ns) / 1000000000ull) : 0);
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

int cmd_fdb(int argc, char **argv)
{
	struct stt_fdb_key key = {};
	struct stt_fdb_val val = {}, cur;
	struct stt_state st;
	struct stt_cfg cfg = {};
	struct stt_addr6 ra = {};
	const char *v, *addr = NULL;
	bool add, have_ctx = false, have_mac = false, have_remote = false;
	char buf[32];
	int rc = 1;

	if (argc < 1 || !strcmp(argv[0], "help") || !strcmp(argv[0], "--help")) {
		fdb_usage();
		return argc < 1;
	}
	if (!strcmp(argv[0], "show") || !strcmp(argv[0], "list"))
		return fdb_show(argc - 1, argv + 1);
	if (!strcmp(argv[0], "add"))
		add = true;
	else if (!strcmp(argv[0], "del") || !strcmp(argv[0], "delete"))
		add = false;
	else {
		err_msg("fdb: unknown command '%s' (try 'sttctl fdb help')", argv[0]);
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		if ((v = opt_value(argc, argv, &i, "--context"))) {
			if (parse_context(v, &key.context))
				return 1;
			have_ctx = true;
		} else if ((v = opt_value(argc, argv, &i, "--mac"))) {
			if (parse_mac(v, key.mac))
				return 1;
			have_mac = true;
		} else if ((v = opt_value(argc, argv, &i, "--remote"))) {
			if (parse_remote_addr(v, &ra))
				return 1;
			addr = v;
			have_remote = true;
		} else {
			err_msg("fdb %s: unexpected argument '%s'", argv[0], argv[i]);
			return 1;
		}
	}
	if (!have_ctx || !have_mac || (add && !have_remote)) {
		fdb_usage();
		return 1;
	}
	if (state_open(&st, true))
		return 1;
	state_get_cfg(&st, &cfg);
	/*
	 * An IPv6 remote by its index: a new address gets one when added; one that has none
	 * (remote 0) is named by no entry, so deleting it finds nothing.
	 */
	if (have_remote) {
		int r = remote_get(&ra, &val.remote4, add);

		if (r < 0)
			goto out;
		if (r > 0)
			val.remote4 = 0;
	}

	if (!memcmp(key.mac, bcast, 6)) {
		rc = add ? flood_add(&st, key.context, val.remote4, addr)
			 : flood_del(&st, key.context, have_remote, val.remote4, addr);
		/* Multicast flood targets: the groups this endpoint accepts STT on. */
		if (!rc)
			groups_sync(st.flood_fd, st.groups_fd, cfg.ifindex, true);
		goto out;
	}
	if (add && raddr_is_mcast(&ra)) {
		err_msg("cannot add %s: a multicast group can only be a flood target "
			"(--mac ff:ff:ff:ff:ff:ff)", addr);
		goto out;
	}
	fmt_mac(key.mac, buf, sizeof(buf));
	if (add) {
		if (bpf_map_lookup_elem(st.fdb_fd, &key, &cur) == 0) {
			if (cur.remote4 == val.remote4) {
				rc = 0;
				goto out;
			}
			err_msg("cannot add %s in context %llu: it already goes to another remote "
				"(delete it first)", buf, (unsigned long long)key.context);
			goto out;
		}
		if (fdb_set(&st, NULL, key.context, key.mac, val.remote4, BPF_NOEXIST)) {
			err_msg("cannot add %s in context %llu: %s", buf,
				(unsigned long long)key.context, strerror(errno));
			goto out;
		}
	} else {
		if (bpf_map_lookup_elem(st.fdb_fd, &key, &cur)) {
			err_msg("cannot delete %s in context %llu: no such entry", buf,
				(unsigned long long)key.context);
			goto out;
		}
		if (have_remote && cur.remote4 != val.remote4) {
			err_msg("cannot delete %s in context %llu: it goes to another remote", buf,
				(unsigned long long)key.context);
			goto out;
		}
		fdb_clear(&st, NULL, key.context, key.mac);
	}
	rc = 0;
out:
	/* Keep a kernel-managed neighbour entry for each remote in use (see netutil.c). */
	if (!rc && have_remote && cfg.ifindex) {
		if (add)
			neigh_addr_add(cfg.ifindex, &ra); /* none for a group */
		else if (!remote_in_use(st.fdb_fd, st.flood_fd, val.remote4))
			neigh_addr_del(cfg.ifindex, &ra);
	}
	state_close(&st);
	return rc;
}

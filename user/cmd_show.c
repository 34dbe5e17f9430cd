// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* sttctl show: what is installed. */
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "common.h"

static struct json_object *jstr(const char *s)
{
	return json_object_new_string(s);
}

static struct json_object *ju64(__u64 v)
{
	return json_object_new_uint64(v);
}

static struct json_object *build_show(struct stt_state *st)
{
	struct json_object *root = json_object_new_object();
	struct json_object *att = json_object_new_array();
	struct json_object *vports = json_object_new_array();
	struct json_object *fdb = json_object_new_array();
	struct json_object *flood = json_object_new_array();
	char name[IF_NAMESIZE], buf[64];
	struct stt_cfg cfg;

	if (state_get_cfg(st, &cfg) == 0 && cfg.ifindex) {
		struct json_object *a = json_object_new_object();

		json_object_object_add(a, "device", jstr(dev_name(cfg.ifindex, name)));
		json_object_object_add(a, "ifindex", json_object_new_int(cfg.ifindex));
		fmt_ipv4(cfg.local4, buf, sizeof(buf));
		json_object_object_add(a, "local", jstr(buf));
		json_object_object_add(a, "port", json_object_new_int(cfg.port));
		json_object_object_add(a, "ttl", json_object_new_int(cfg.ttl));
		json_object_object_add(a, "mtu", json_object_new_int(cfg.mtu));
		json_object_object_add(a, "xdp", json_object_new_boolean(cfg.flags & STT_CFG_XDP));
		json_object_object_add(a, "gro", json_object_new_boolean(dev_gro_get(name) == 1));
		json_object_object_add(a, "gro_enabled_by_stt",
				       json_object_new_boolean(cfg.flags & STT_CFG_GRO_ENABLED));
		json_object_object_add(a, "forwarding_enabled_by_stt",
				       json_object_new_boolean(cfg.flags & STT_CFG_FWD_ENABLED));
		json_object_array_add(att, a);
	}
	{
		__u32 key, next, *prev = NULL;
		struct stt_vport vp;

		while (bpf_map_get_next_key(st->vports_fd, prev, &next) == 0) {
			struct json_object *o;

			key = next;
			prev = &key;
			if (bpf_map_lookup_elem(st->vports_fd, &key, &vp))
				continue;
			o = json_object_new_object();
			json_object_object_add(o, "name", jstr(dev_name(key, name)));
			json_object_object_add(o, "ifindex", json_object_new_int(key));
			json_object_object_add(o, "context", ju64(vp.context));
			json_object_object_add(o, "xdp",
					       json_object_new_boolean(vp.flags & STT_VPORT_XDP));
			json_object_array_add(vports, o);
		}
	}
	{
		struct stt_fdb_key key, next, *prev = NULL;
		struct stt_fdb_val v;

		while (bpf_map_get_next_key(st->fdb_fd, prev, &next) == 0) {
			struct json_object *o;

			key = next;
			prev = &key;
			if (bpf_map_lookup_elem(st->fdb_fd, &key, &v))
				continue;
			o = json_object_new_object();
			json_object_object_add(o, "context", ju64(key.context));
			fmt_mac(key.mac, buf, sizeof(buf));
			json_object_object_add(o, "mac", jstr(buf));
			fmt_ipv4(v.remote4, buf, sizeof(buf));
			json_object_object_add(o, "remote", jstr(buf));
			json_object_array_add(fdb, o);
		}
	}
	{
		__u64 key, next, *prev = NULL;
		struct stt_flood_val v;

		while (bpf_map_get_next_key(st->flood_fd, prev, &next) == 0) {
			struct json_object *o, *arr;

			key = next;
			prev = &key;
			if (bpf_map_lookup_elem(st->flood_fd, &key, &v))
				continue;
			o = json_object_new_object();
			arr = json_object_new_array();
			json_object_object_add(o, "context", ju64(key));
			for (__u32 i = 0; i < v.count && i < STT_MAX_FLOOD; i++) {
				fmt_ipv4(v.remote4[i], buf, sizeof(buf));
				json_object_array_add(arr, jstr(buf));
			}
			json_object_object_add(o, "remotes", arr);
			json_object_array_add(flood, o);
		}
	}
	json_object_object_add(root, "attachments", att);
	json_object_object_add(root, "vports", vports);
	json_object_object_add(root, "fdb", fdb);
	json_object_object_add(root, "flood", flood);
	return root;
}

static void print_show(struct json_object *root)
{
	struct json_object *att, *arr;
	size_t n;

	json_object_object_get_ex(root, "attachments", &att);
	if (!json_object_array_length(att))
		printf("not attached\n");
	for (size_t i = 0; i < json_object_array_length(att); i++) {
		struct json_object *a = json_object_array_get_idx(att, i), *f;
		const char *k[] = { "device", "local", "port", "ttl", "mtu" };

		printf("attached:");
		for (size_t j = 0; j < 5; j++) {
			json_object_object_get_ex(a, k[j], &f);
			printf(" %s %s", j ? k[j] : "", json_object_get_string(f));
		}
		json_object_object_get_ex(a, "xdp", &f);
		printf("  xdp %s", json_object_get_boolean(f) ? "on" : "off");
		json_object_object_get_ex(a, "gro", &f);
		printf("  gro %s", json_object_get_boolean(f) ? "on" : "off");
		json_object_object_get_ex(a, "gro_enabled_by_stt", &f);
		printf("%s", json_object_get_boolean(f) ? " (turned on by stt)" : "");
		json_object_object_get_ex(a, "forwarding_enabled_by_stt", &f);
		printf("%s\n", json_object_get_boolean(f) ? "  forwarding on (by stt)" : "");
	}
	json_object_object_get_ex(root, "vports", &arr);
	n = json_object_array_length(arr);
	printf("vports: %zu\n", n);
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i), *a, *b, *c;

		json_object_object_get_ex(o, "name", &a);
		json_object_object_get_ex(o, "context", &b);
		json_object_object_get_ex(o, "xdp", &c);
		printf("  %-16s context %s%s\n", json_object_get_string(a),
		       json_object_get_string(b), json_object_get_boolean(c) ? "  xdp" : "");
	}
	json_object_object_get_ex(root, "fdb", &arr);
	n = json_object_array_length(arr);
	printf("fdb: %zu\n", n);
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i), *a, *b, *c;

		json_object_object_get_ex(o, "context", &a);
		json_object_object_get_ex(o, "mac", &b);
		json_object_object_get_ex(o, "remote", &c);
		printf("  context %s  %s -> %s\n", json_object_get_string(a),
		       json_object_get_string(b), json_object_get_string(c));
	}
	json_object_object_get_ex(root, "flood", &arr);
	n = json_object_array_length(arr);
	printf("flood lists: %zu\n", n);
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i), *a, *b;

		json_object_object_get_ex(o, "context", &a);
		json_object_object_get_ex(o, "remotes", &b);
		printf("  context %s  -> %s\n", json_object_get_string(a),
		       json_object_to_json_string_ext(b, JSON_C_TO_STRING_PLAIN));
	}
}

static bool want_json(int argc, char **argv, const char *cmd, int *bad)
{
	bool j = g_opts.json;

	*bad = 0;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j"))
			j = true;
		else if (!strcmp(argv[i], "--pretty") || !strcmp(argv[i], "-p"))
			j = g_opts.pretty = true;
		else {
			*bad = 1;
			err_msg("%s: unexpected argument '%s'", cmd, argv[i]);
		}
	}
	return j;
}

int cmd_show(int argc, char **argv)
{
	struct stt_state st;
	struct json_object *root;
	int bad;

	if (argc && (!strcmp(argv[0], "help") || !strcmp(argv[0], "--help"))) {
		fprintf(stderr, "Usage: sttctl show [--json]\n"
				"  Attachment, vports, forwarding entries and flood lists of this\n"
				"  network namespace.\n");
		return 0;
	}
	g_opts.json = want_json(argc, argv, "show", &bad);
	if (bad)
		return 1;
	if (state_open(&st, false)) {
		root = json_object_new_object();
		json_object_object_add(root, "attachments", json_object_new_array());
		json_object_object_add(root, "vports", json_object_new_array());
		json_object_object_add(root, "fdb", json_object_new_array());
		json_object_object_add(root, "flood", json_object_new_array());
	} else {
		root = build_show(&st);
		state_close(&st);
	}
	if (g_opts.json)
		return json_out(root);
	print_show(root);
	json_object_put(root);
	return 0;
}

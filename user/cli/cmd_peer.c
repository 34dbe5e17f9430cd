// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* sttctl peer add / del / list: the senders a context accepts in strict mode. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <json-c/json.h>
#include "cli.h"
#include "fdb.h"

static void peer_usage(void)
{
	fprintf(stderr,
		"Usage: sttctl peer add --context ID ADDR\n"
		"       sttctl peer del --context ID ADDR\n"
		"       sttctl peer list [--context ID]\n"
		"  The remote endpoints allowed to send frames of context ID when peers are\n"
		"  strict: for every context ('sttctl attach ... --peers strict') or for one\n"
		"  ('sttctl vport add ... --peers strict'). ADDR is IPv4 or IPv6. STT from any\n"
		"  other source address is dropped and counted as peer_denied. With open peers\n"
		"  (the default) the list is kept but not enforced. STT has no authentication:\n"
		"  an attacker who can forge a peer's source address gets through; use IPsec\n"
		"  or a trusted underlay where that matters.\n");
}

static int peers_open(struct stt_state *st)
{
	if (state_open(st, true))
		return -1;
	if (st->peers_fd < 0) {
		err_msg("this endpoint has no peer map yet: re-run 'sttctl attach DEV' with this "
			"build");
		state_close(st);
		return -1;
	}
	return 0;
}

static int peer_list(int argc, char **argv)
{
	struct stt_peer_key k, next, *prev = NULL;
	struct json_object *arr = json_object_new_array();
	struct stt_state st;
	bool have_ctx = false;
	__u64 ctx = 0;
	char buf[REMOTE_STRLEN];

	if (parse_list_args(argc, argv, "peer list", &have_ctx, &ctx))
		goto bad;
	if (peers_open(&st))
		goto bad;
	while (bpf_map_get_next_key(st.peers_fd, prev, &next) == 0) {
		k = next;
		prev = &k;
		if (have_ctx && k.context != ctx)
			continue;
		fmt_remote(k.remote4, buf, sizeof(buf));
		if (g_opts.json) {
			struct json_object *o = json_object_new_object();
			char cbuf[24];

			snprintf(cbuf, sizeof(cbuf), "%llu", (unsigned long long)k.context);
			json_object_object_add(o, "context", json_object_new_string(cbuf));
			json_object_object_add(o, "remote", json_object_new_string(buf));
			json_object_array_add(arr, o);
		} else {
			printf("context %llu peer %s\n", (unsigned long long)k.context, buf);
		}
	}
	state_close(&st);
	return list_out(arr);
bad:
	json_object_put(arr);
	return 1;
}

int cmd_peer(int argc, char **argv)
{
	struct stt_peer_key k = {};
	struct stt_addr6 ra;
	struct stt_state st;
	const char *v, *addr = NULL;
	bool add, have_ctx = false;
	int rc = 1;

	if (argc < 1 || !strcmp(argv[0], "help") || !strcmp(argv[0], "--help")) {
		peer_usage();
		return argc < 1;
	}
	if (!strcmp(argv[0], "list") || !strcmp(argv[0], "show"))
		return peer_list(argc - 1, argv + 1);
	if (!strcmp(argv[0], "add")) {
		add = true;
	} else if (!strcmp(argv[0], "del") || !strcmp(argv[0], "delete")) {
		add = false;
	} else {
		err_msg("peer: unknown command '%s' (try 'sttctl peer help')", argv[0]);
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		if ((v = opt_value(argc, argv, &i, "--context"))) {
			if (parse_context(v, &k.context))
				return 1;
			have_ctx = true;
		} else if (argv[i][0] == '-') {
			err_msg("peer: unknown option '%s'", argv[i]);
			return 1;
		} else if (!addr) {
			addr = argv[i];
		} else {
			err_msg("peer: unexpected argument '%s'", argv[i]);
			return 1;
		}
	}
	if (!have_ctx || !addr) {
		peer_usage();
		return 1;
	}
	if (parse_remote_addr(addr, &ra))
		return 1;
	if (peers_open(&st))
		return 1;
	/* An IPv6 peer by its index: given one when added; without one it is no peer. */
	switch (remote_get(&ra, &k.remote4, add)) {
	case -1:
		state_close(&st);
		return 1;
	case 1:
		k.remote4 = 0;
		break;
	}
	if (add) {
		/* Adding an existing peer again changes nothing. */
		if (peer_set(&st, NULL, k.context, k.remote4, BPF_ANY))
			err_msg("cannot add peer %s: %s", addr, strerror(errno));
		else
			rc = 0;
	} else if (peer_clear(&st, NULL, k.context, k.remote4)) {
		err_msg("cannot delete peer %s: it is not a peer of context %llu", addr,
			(unsigned long long)k.context);
	} else {
		rc = 0;
	}
	state_close(&st);
	return rc;
}

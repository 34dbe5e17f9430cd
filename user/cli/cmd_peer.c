// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* sttctl peer add / del / list: the senders a context accepts in strict mode. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <json-c/json.h>
#include "cli.h"
#include "fdb.h"

static void peer_help(FILE *f)
{
	fprintf(f, "  The remote endpoints allowed to send frames of context ID when peers are\n"
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

static int peer_list(const struct cmd *c, int argc, char **argv)
{
	struct stt_peer_key k, next, *prev = NULL;
	struct json_object *arr = json_object_new_array();
	struct stt_state st;
	bool have_ctx = false;
	__u64 ctx = 0;
	char buf[REMOTE_STRLEN];

	int o = cmd_list_opts(c, argc, argv, &have_ctx, &ctx);

	if (o) {
		json_object_put(arr);
		return o == CMD_HELP ? 0 : 1;
	}
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

static int peer_change(const struct cmd *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"context", required_argument, NULL, 'c'}, CMD_OPT_HELP, {}};
	struct stt_peer_key k = {};
	struct stt_addr6 ra;
	struct stt_state st;
	const char *addr;
	bool add = !strcmp(argv[0], "add"), have_ctx = false;
	int o, rc = 1;

	while ((o = cmd_getopt(c, argc, argv, "h", opts)) != -1) {
		if (o == CMD_HELP || o == CMD_BAD)
			return o == CMD_HELP ? 0 : 1;
		if (parse_context(optarg, &k.context))
			return 1;
		have_ctx = true;
	}
	if (cmd_args(c, argc, argv, &addr, 1))
		return 1;
	if (!have_ctx || !addr)
		return cmd_bad(c, "peer %s: --context ID and ADDR are needed", argv[0]);
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

static const struct cmd peer_verbs[] = {
    {.name = "add", .run = peer_change},
    {.name = "del", .alias = "delete", .run = peer_change},
    {.name = "list", .alias = "show", .run = peer_list},
    {},
};

const struct cmd cmd_peer = {
    .name = "peer",
    .synopsis = "peer add --context ID ADDR\n"
                "peer del --context ID ADDR\n"
                "peer list [--context ID]",
    .help = peer_help,
    .sub = peer_verbs,
};

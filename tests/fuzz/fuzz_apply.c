// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer target: the desired-state document parser and validator of `sttctl apply`
 * (user/lib/apply_doc.c), which touches nothing outside memory (the checks against the system
 * live in cmd_apply.c). Input: the document text, as is.
 *
 * Properties:
 * - ap_parse returns 0 with no error, or -1 with at least one; every error is one line that
 *   starts with a JSON path ("$");
 * - a document it accepts satisfies the schema's rules: version 1, one vport per (name,
 *   VLAN) and per context, VLANs 1..4094 and never with xdp, learning cap and age in range,
 *   one fdb entry per (context, MAC) with a unicast MAC, 1..16 distinct flood
 *   remotes per context, distinct (context, remote) peers, nothing without an attachment,
 *   every list in canonical (sorted) order; distinct remotes with their own encapsulation,
 *   a cookie only with GUE, udp6_zero_csum only for an IPv6 remote with its own GUE, a GUE
 *   port other than the STT port, and nothing GUE cannot carry (ap_gue_check finds no
 *   problem: no Context ID >= 2^32 and no IPv6 remote sent GUE without udp6_zero_csum);
 * - printing an accepted document (ap_doc_to_json, what `show --json` prints) and parsing it
 *   again gives the same document, and printing that gives the same text (round trip); a
 *   cookie comes back as "keep the installed one" (it is printed as true, never itself).
 * ASan and UBSan (make fuzz-build) catch memory errors, leaks and undefined behaviour.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "apply.h"
#include "encap.h"

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_apply: check failed: %s: ", #cond);                  \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static void check_rules(const struct ap_doc *d)
{
	CHECK(d->have_attach || (!d->nvports && !d->nfdb && !d->nflood && !d->npeers),
	      "entries without an attachment");
	if (d->have_attach) {
		CHECK(d->att.device[0] && strlen(d->att.device) < IF_NAMESIZE, "device name");
		CHECK(d->att.port >= 1 && d->att.ttl >= 1, "port %u ttl %u", d->att.port,
		      d->att.ttl);
		CHECK(d->att.dscp <= STT_DSCP_FIXED(63), "dscp %u", d->att.dscp);
		CHECK(d->att.xdp >= AP_XDP_AUTO && d->att.xdp <= AP_XDP_ON, "xdp %d", d->att.xdp);
		CHECK(!d->att.gue_port || d->att.gue_port != d->att.port, "GUE port is the STT port");
	}
	CHECK(d->have_attach || !d->nremotes, "remotes without an attachment");
	CHECK(d->nremotes <= STT_MAX_REMOTE_CFG, "too many remotes");
	for (size_t i = 0; i < d->nremotes; i++) {
		const struct ap_remote *r = &d->remotes[i];

		CHECK(r->encap == STT_ENCAP_STT || r->encap == STT_ENCAP_GUE, "encap %u", r->encap);
		CHECK(r->cookie == AP_COOKIE_NONE || r->encap == STT_ENCAP_GUE, "cookie without GUE");
		CHECK(!r->udp6_zero_csum || (r->encap == STT_ENCAP_GUE && !raddr_is4(&r->address)),
		      "udp6_zero_csum without GUE or over IPv4");
		CHECK(raddr_is4(&r->address) || r->encap != STT_ENCAP_GUE || r->udp6_zero_csum,
		      "GUE to an IPv6 remote without udp6_zero_csum");
		CHECK(!i || ap_remote_cmp(&d->remotes[i - 1], r) < 0, "remotes not sorted or twice");
	}
	CHECK(ap_gue_check(d, NULL, NULL) == 0, "accepted, but GUE cannot carry it");
	for (size_t i = 0; i < d->nvports; i++) {
		const struct ap_vport *v = &d->vports[i];

		CHECK(v->ifname[0], "empty vport name");
		CHECK(!d->have_attach || strcmp(v->ifname, d->att.device), "vport is the underlay");
		CHECK(v->vid <= AP_VLAN_MAX, "vlan %u", v->vid);
		CHECK(!v->vid || !v->xdp, "VLAN vport with xdp");
		CHECK(!v->learn || (v->learn_cap >= 1 && v->learn_cap <= AP_LEARN_CAP_MAX &&
				    v->learn_age >= 1 && v->learn_age <= AP_LEARN_AGE_MAX),
		      "learn cap %u age %u", v->learn_cap, v->learn_age);
		CHECK(v->learn || (!v->learn_cap && !v->learn_age), "learning values while off");
		for (size_t j = 0; j < i; j++) {
			CHECK(strcmp(v->ifname, d->vports[j].ifname) || v->vid != d->vports[j].vid,
			      "vport (name, vlan) twice");
			CHECK(v->context != d->vports[j].context, "vport context twice");
		}
		CHECK(!i || d->vports[i - 1].context < d->vports[i].context, "vports not sorted");
	}
	for (size_t i = 0; i < d->nfdb; i++) {
		CHECK(!(d->fdb[i].mac[0] & 1), "multicast MAC in fdb");
		CHECK(!i || ap_fdb_cmp(&d->fdb[i - 1], &d->fdb[i]) < 0,
		      "fdb not sorted or duplicate");
	}
	CHECK(d->nfdb <= STT_MAX_FDB, "fdb too long");
	for (size_t i = 0; i < d->nflood; i++) {
		const struct ap_flood *f = &d->flood[i];

		CHECK(f->count >= 1 && f->count <= STT_MAX_FLOOD, "flood count %u", f->count);
		for (__u32 a = 0; a < f->count; a++)
			for (__u32 b = 0; b < a; b++)
				CHECK(!raddr_eq(&f->remote[a], &f->remote[b]), "flood remote twice");
		for (__u32 a = 1; a < f->count; a++)
			CHECK(raddr_same_family(&f->remote[0], &f->remote[a]),
			      "flood list of two families");
		CHECK(!i || d->flood[i - 1].context < f->context, "flood not sorted or duplicate");
	}
	for (size_t i = 1; i < d->npeers; i++)
		CHECK(ap_peer_cmp(&d->peers[i - 1], &d->peers[i]) < 0,
		      "peers not sorted or duplicate");
}

static void check_same(const struct ap_doc *a, const struct ap_doc *b)
{
	CHECK(a->have_attach == b->have_attach, "attachment");
	if (a->have_attach) {
		CHECK(!strcmp(a->att.device, b->att.device) &&
			  a->att.have_local == b->att.have_local &&
			  (!a->att.have_local || a->att.local4 == b->att.local4) &&
			  a->att.have_local6 == b->att.have_local6 &&
			  (!a->att.have_local6 || raddr_eq(&a->att.local6, &b->att.local6)) &&
			  a->att.port == b->att.port && a->att.ttl == b->att.ttl &&
			  a->att.xdp == b->att.xdp && a->att.dscp == b->att.dscp &&
			  a->att.strict == b->att.strict && a->att.gue_port == b->att.gue_port &&
			  a->att.gue == b->att.gue,
		      "attachment differs after a round trip");
	}
	CHECK(a->nvports == b->nvports && a->nfdb == b->nfdb && a->nflood == b->nflood &&
		  a->npeers == b->npeers && a->nremotes == b->nremotes,
	      "list lengths differ after a round trip");
	for (size_t i = 0; i < a->nvports; i++)
		CHECK(!strcmp(a->vports[i].ifname, b->vports[i].ifname) &&
			  a->vports[i].context == b->vports[i].context &&
			  a->vports[i].xdp == b->vports[i].xdp &&
			  a->vports[i].strict == b->vports[i].strict &&
			  a->vports[i].learn == b->vports[i].learn &&
			  a->vports[i].learn_cap == b->vports[i].learn_cap &&
			  a->vports[i].learn_age == b->vports[i].learn_age &&
			  a->vports[i].vid == b->vports[i].vid,
		      "vport %zu differs", i);
	for (size_t i = 0; i < a->nfdb; i++)
		CHECK(!ap_fdb_cmp(&a->fdb[i], &b->fdb[i]) &&
			  raddr_eq(&a->fdb[i].remote, &b->fdb[i].remote),
		      "fdb %zu differs", i);
	for (size_t i = 0; i < a->nflood; i++)
		CHECK(a->flood[i].context == b->flood[i].context &&
			  a->flood[i].count == b->flood[i].count &&
			  !memcmp(a->flood[i].remote, b->flood[i].remote,
				  a->flood[i].count * sizeof(a->flood[i].remote[0])),
		      "flood %zu differs", i);
	for (size_t i = 0; i < a->npeers; i++)
		CHECK(!memcmp(&a->peers[i], &b->peers[i], sizeof(a->peers[i])), "peer %zu differs",
		      i);
	for (size_t i = 0; i < a->nremotes; i++)
		CHECK(raddr_eq(&a->remotes[i].address, &b->remotes[i].address) &&
			  a->remotes[i].encap == b->remotes[i].encap &&
			  (a->remotes[i].cookie == AP_COOKIE_NONE) ==
			      (b->remotes[i].cookie == AP_COOKIE_NONE) &&
			  a->remotes[i].udp6_zero_csum == b->remotes[i].udp6_zero_csum,
		      "remote %zu differs", i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ap_doc doc, doc2;
	struct ap_errs errs = {}, errs2 = {};
	struct json_object *j, *j2;
	char *text, *text2;
	int rc;

	rc = ap_parse((const char *)data, size, &doc, &errs);
	CHECK((rc == 0) == (errs.n == 0), "rc %d with %zu errors", rc, errs.n);
	for (size_t i = 0; i < errs.n; i++)
		CHECK(errs.msg[i][0] == '$' && !strchr(errs.msg[i], '\n'), "error line: %s",
		      errs.msg[i]);
	if (rc) {
		ap_doc_free(&doc);
		ap_errs_free(&errs);
		return 0;
	}
	check_rules(&doc);

	j = ap_doc_to_json(&doc);
	text = strdup(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
	CHECK(text, "out of memory");
	rc = ap_parse(text, strlen(text), &doc2, &errs2);
	CHECK(rc == 0, "printed document rejected: %s (text %s)", errs2.n ? errs2.msg[0] : "?",
	      text);
	check_same(&doc, &doc2);
	j2 = ap_doc_to_json(&doc2);
	text2 = (char *)json_object_to_json_string_ext(j2, JSON_C_TO_STRING_PLAIN);
	CHECK(!strcmp(text, text2), "printing is not stable:\n%s\n%s", text, text2);

	json_object_put(j);
	json_object_put(j2);
	free(text);
	ap_doc_free(&doc);
	ap_doc_free(&doc2);
	ap_errs_free(&errs);
	ap_errs_free(&errs2);
	return 0;
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Unit tests of the fleet schema (user/lib/fleet.c): each value checked with the apply
 * document's rules, and the plan one host's apply document is made of. Every plan is
 * checked again by the apply parser itself (ap_parse), the way the agent feeds it.
 */
#include <stdlib.h>
#include "test.h"
#include "apply.h"
#include "encap.h"
#include "fleet.h"
#include "mac.h"

static const char *missing_if; /* the interface if_exists says is not there */

static bool if_exists(const char *ifname)
{
	return !missing_if || strcmp(ifname, missing_if);
}

static void put(struct fleet_spec *s, const char *k, const char *v)
{
	fleet_spec_put(s, k, v, strlen(v));
}

/* The reason reported for key in m, or NULL. */
static const char *msg(const struct fleet_msgs *m, const char *key)
{
	struct json_object *v;

	return m->o && json_object_object_get_ex(m->o, key, &v) ? json_object_get_string(v) : NULL;
}

static const char *bad(const struct fleet_spec *s, const char *key)
{
	return msg(&s->bad, key);
}

/* A plan for host, whose document ap_parse must accept; doc filled (caller frees both). */
static bool plan(const struct fleet_spec *s, const char *host, struct fleet_plan *p,
                 struct ap_doc *doc)
{
	struct ap_errs errs = {0};
	bool ok;

	memset(doc, 0, sizeof(*doc));
	if (fleet_plan(s, host, if_exists, p))
		return false;
	ok = ap_parse(p->doc, strlen(p->doc), doc, &errs) == 0;
	for (size_t i = 0; i < errs.n; i++)
		printf("#   ap_parse: %s\n", errs.msg[i]);
	ap_errs_free(&errs);
	return ok;
}

#define HOST(n) "{\"attachment\":{\"device\":\"ul0\",\"local\":\"198.18.1." #n "\"}}"

/* Three hosts; context 100 on all, 200 (strict) on h1 and h2; one MAC on each host. */
static void three_hosts(struct fleet_spec *s)
{
	fleet_spec_init(s);
	put(s, "host/h1", HOST(1));
	put(s, "host/h2", HOST(2));
	put(s, "host/h3", HOST(3));
	put(s, "context/100", "{}");
	put(s, "context/200", "{\"peers\":\"strict\"}");
	put(s, "vport/h1/100", "{\"ifname\":\"t100\"}");
	put(s, "vport/h2/100", "{\"ifname\":\"t100\"}");
	put(s, "vport/h3/100", "{\"ifname\":\"t100\",\"learn\":{\"cap\":64}}");
	put(s, "vport/h1/200", "{\"ifname\":\"t200\",\"xdp\":true}");
	put(s, "vport/h2/200", "{\"ifname\":\"t200\"}");
	put(s, "mac/100/52:54:00:00:01:01", "{\"host\":\"h1\"}");
	put(s, "mac/100/52:54:00:00:02:01", "{\"host\":\"h2\"}");
	put(s, "mac/100/52:54:00:00:03:01", "{\"host\":\"h3\"}");
	put(s, "mac/200/52:54:00:00:02:02", "{\"host\":\"h2\"}");
}

static void test_values(void)
{
	static const struct {
		const char *key, *value, *why; /* why: a part of the reason */
	} cases[] = {
	    {"host/h1", "{\"attachment\":{\"device\":\"ul0\"}}", "local or local6"},
	    {"host/h1", "{\"attachment\":{\"device\":\"ul0\",\"local\":\"1.2.3\"}}", "local"},
	    {"host/h1", HOST(1) "x", "not JSON"},
	    {"host/h1", "[]", "not a JSON object"},
	    {"host/h1", "{\"attachment\":{\"device\":\"ul0\",\"local\":\"198.18.1.1\",\"mtu\":1}}",
	     "mtu"},
	    {"host/h1", "{\"attach\":{}}", "attach: unknown field"},
	    {"vport/h1/100", "{\"ifname\":\"t100\",\"peers\":\"strict\"}", "per context"},
	    {"vport/h1/100", "{\"ifname\":\"t100\",\"context\":\"7\"}", "context"},
	    {"vport/h1/100", "{\"ifname\":\"a-name-far-too-long\"}", "ifname"},
	    {"vport/h1/100", "{\"ifname\":\"t100\",\"vlan\":4095}", "vlan"},
	    {"vport/h1/0100", "{\"ifname\":\"t100\"}", "context"},
	    {"vport/h1/18446744073709551616", "{\"ifname\":\"t100\"}", "context"},
	    {"context/100", "{\"group\":\"198.18.1.9\"}", "multicast"},
	    {"context/100", "{\"group\":\"nope\"}", "group"},
	    {"context/100", "{\"peers\":\"closed\"}", "peers"},
	    {"context/100", "{\"flood\":[]}", "unknown field"},
	    {"mac/100/ff:ff:ff:ff:ff:ff", "{\"host\":\"h1\"}", "key: "},
	    {"mac/100/52:54:00:00:01:01", "{\"host\":\"h 1\"}", "host"},
	    {"mac/100/52:54:00:00:01:01", "{}", "host"},
	    {"mac/1\"00/52:54:00:00:01:01", "{\"host\":\"h1\"}", "not a key"},
	    {"mac/100/52:54:00:00:01:0A", "{\"host\":\"h1\"}", "not a key"},
	    {"mac/100/52:54:0:0:1:1", "{\"host\":\"h1\"}", "not a key"},
	    {"vport/h1", "{\"ifname\":\"t100\"}", "not a key"},
	    {"peer/100", "{}", "not a key"},
	    {"host/-h", HOST(1), "not a key"},
	    {"host/h1",
	     "{\"attachment\":{\"device\":\"ul0\",\"local\":\"198.18.1.1\",\"encap\":\"udp\"}}",
	     "encap"},
	    {"host/h1",
	     "{\"attachment\":{\"device\":\"ul0\",\"local\":\"198.18.1.1\",\"gue_port\":7471}}",
	     "STT port"},
	    {"host/h1",
	     "{\"attachment\":{\"device\":\"ul0\",\"local\":\"198.18.1.1\",\"encap\":\"gue\",\"gue_"
	     "port\":0}}",
	     "GUE is off"},
	    {"host/h1",
	     "{\"attachment\":{\"device\":\"ul0\",\"local\":\"198.18.1.1\",\"gue_port\":65536}}",
	     "gue_port"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fleet_spec s;
		const char *why;

		fleet_spec_init(&s);
		put(&s, cases[i].key, cases[i].value);
		why = bad(&s, cases[i].key);
		if (!ASSERT_TRUE(why && strstr(why, cases[i].why), cases[i].key))
			printf("#   value %s: reason %s, expected one with '%s'\n", cases[i].value,
			       why ? why : "(none: accepted)", cases[i].why);
		ASSERT_EQ(json_object_object_length(s.vals), 0, "nothing kept");
		fleet_spec_free(&s);
	}
}

static bool has_fdb(const struct ap_doc *d, __u64 ctx, const char *mac, const char *remote)
{
	__u8 m[6];
	struct stt_addr6 a;

	mac_parse(mac, m);
	raddr_parse(remote, &a);
	for (size_t i = 0; i < d->nfdb; i++)
		if (d->fdb[i].context == ctx && !memcmp(d->fdb[i].mac, m, 6) &&
		    raddr_eq(&d->fdb[i].remote, &a))
			return true;
	return false;
}

static void test_plan(void)
{
	struct fleet_spec s;
	struct fleet_plan p;
	struct ap_doc d;

	three_hosts(&s);
	if (!ASSERT_TRUE(plan(&s, "h1", &p, &d), "h1's plan parses"))
		goto out;
	ASSERT_EQ(d.nvports, 2, "h1 serves two contexts");
	ASSERT_EQ(p.contexts, 2, "contexts counted");
	ASSERT_EQ(d.nfdb, 3, "three MACs on other hosts");
	ASSERT_TRUE(has_fdb(&d, 100, "52:54:00:00:02:01", "198.18.1.2"), "MAC on h2");
	ASSERT_TRUE(has_fdb(&d, 100, "52:54:00:00:03:01", "198.18.1.3"), "MAC on h3");
	ASSERT_TRUE(has_fdb(&d, 200, "52:54:00:00:02:02", "198.18.1.2"), "MAC on h2, ctx 200");
	ASSERT_EQ(d.nflood, 2, "a flood list per context");
	for (size_t i = 0; i < d.nflood; i++)
		ASSERT_EQ(d.flood[i].count, d.flood[i].context == 100 ? 2 : 1, "flood members");
	ASSERT_EQ(d.npeers, 1, "peers for the strict context only");
	ASSERT_TRUE(d.npeers == 1 && d.peers[0].context == 200, "peers of 200");
	for (size_t i = 0; i < d.nvports; i++)
		if (d.vports[i].context == 200)
			ASSERT_TRUE(d.vports[i].strict && d.vports[i].xdp, "200: strict, xdp");
	ASSERT_EQ(json_object_object_length(p.errors.o), 0, "no errors");
	ASSERT_EQ(json_object_object_length(p.pending.o), 0, "nothing pending");
	ap_doc_free(&d);
	fleet_plan_free(&p);
	/* h3 serves 100 only: it knows nothing of 200's MAC. */
	if (ASSERT_TRUE(plan(&s, "h3", &p, &d), "h3's plan parses")) {
		ASSERT_EQ(d.nvports, 1, "h3: one vport");
		ASSERT_EQ(d.nfdb, 2, "h3: MACs of 100 on h1, h2");
		ASSERT_TRUE(d.nvports == 1 && d.vports[0].learn && d.vports[0].learn_cap == 64,
		            "h3 learns");
	}
out:
	ap_doc_free(&d);
	fleet_plan_free(&p);
	fleet_spec_free(&s);
}

/* A VM moves, leaves; a host stops serving a context: one write each. */
static void test_one_write(void)
{
	struct fleet_spec s;
	struct fleet_plan p;
	struct ap_doc d;

	three_hosts(&s);
	put(&s, "mac/100/52:54:00:00:02:01", "{\"host\":\"h3\"}"); /* moves to h3 */
	fleet_spec_del(&s, "mac/100/52:54:00:00:03:01");           /* leaves */
	if (ASSERT_TRUE(plan(&s, "h1", &p, &d), "parses")) {
		ASSERT_TRUE(has_fdb(&d, 100, "52:54:00:00:02:01", "198.18.1.3"), "moved to h3");
		ASSERT_TRUE(!has_fdb(&d, 100, "52:54:00:00:03:01", "198.18.1.3"), "left");
	}
	ap_doc_free(&d);
	fleet_plan_free(&p);
	fleet_spec_del(&s, "vport/h2/200"); /* h2 stops serving 200 */
	if (ASSERT_TRUE(plan(&s, "h1", &p, &d), "parses after h2 left 200")) {
		ASSERT_EQ(d.npeers, 0, "no peer left in 200");
		ASSERT_EQ(d.nflood, 1, "no flood list for 200");
		ASSERT_TRUE(msg(&p.pending, "mac/200/52:54:00:00:02:02") != NULL,
		            "the MAC on h2 is pending: h2 does not serve 200");
	}
	ap_doc_free(&d);
	fleet_plan_free(&p);
	fleet_spec_free(&s);
}

/* A bad new value keeps the last valid one; a missing interface is pending. */
static void test_bad_and_pending(void)
{
	struct fleet_spec s;
	struct fleet_plan p;
	struct ap_doc d;

	three_hosts(&s);
	put(&s, "vport/h1/100", "{\"ifname\":\"t100\",\"colour\":1}");
	put(&s, "context/300", "{}");
	put(&s, "vport/h1/400", "{\"ifname\":\"t400\"}"); /* no context 400 */
	put(&s, "vport/h9/100", "{\"ifname\":\"t100\"}"); /* no host h9 */
	missing_if = "t200";
	if (ASSERT_TRUE(plan(&s, "h1", &p, &d), "parses")) {
		ASSERT_EQ(d.nvports, 1, "100 kept (old value), 200 pending, 400 refused");
		ASSERT_TRUE(msg(&p.errors, "vport/h1/100") != NULL, "the bad value reported");
		ASSERT_TRUE(msg(&p.errors, "vport/h1/400") != NULL, "unknown context reported");
		ASSERT_TRUE(msg(&p.pending, "vport/h1/200") != NULL, "missing interface pending");
		ASSERT_TRUE(msg(&p.pending, "vport/h9/100") != NULL, "unknown host pending");
	}
	missing_if = NULL;
	ap_doc_free(&d);
	fleet_plan_free(&p);
	/* The host's own key bad, with no valid value: no plan at all. */
	fleet_spec_free(&s);
	fleet_spec_init(&s);
	put(&s, "host/h1", "{");
	ASSERT_TRUE(fleet_plan(&s, "h1", if_exists, &p) != 0 && !p.doc, "no plan");
	fleet_plan_free(&p);
	/* No host key at all: the plan is "not attached". */
	fleet_spec_free(&s);
	fleet_spec_init(&s);
	if (ASSERT_TRUE(plan(&s, "h1", &p, &d), "empty plan parses"))
		ASSERT_TRUE(!d.have_attach && !d.nvports, "nothing attached");
	ap_doc_free(&d);
	fleet_plan_free(&p);
	fleet_spec_free(&s);
}

/* More hosts than a flood list holds: a group, or the first 16 and an error. */
static void test_big_context(void)
{
	struct fleet_spec s;
	struct fleet_plan p;
	struct ap_doc d;
	char k[64], v[128];

	fleet_spec_init(&s);
	put(&s, "context/7", "{}");
	for (int i = 1; i <= 20; i++) {
		snprintf(k, sizeof(k), "host/h%d", i);
		snprintf(v, sizeof(v),
		         "{\"attachment\":{\"device\":\"ul0\",\"local\":\"198.18.1.%d\"}}", i);
		put(&s, k, v);
		snprintf(k, sizeof(k), "vport/h%d/7", i);
		put(&s, k, "{\"ifname\":\"t7\"}");
	}
	if (ASSERT_TRUE(plan(&s, "h1", &p, &d), "parses")) {
		ASSERT_TRUE(d.nflood == 1 && d.flood[0].count == STT_MAX_FLOOD, "16 of 19");
		ASSERT_TRUE(msg(&p.errors, "context/7") != NULL, "said");
	}
	ap_doc_free(&d);
	fleet_plan_free(&p);
	put(&s, "context/7", "{\"group\":\"239.1.2.3\"}");
	if (ASSERT_TRUE(plan(&s, "h1", &p, &d), "parses with a group")) {
		ASSERT_TRUE(d.nflood == 1 && d.flood[0].count == 1, "the group alone");
		ASSERT_TRUE(msg(&p.errors, "context/7") == NULL, "no error");
	}
	ap_doc_free(&d);
	fleet_plan_free(&p);
	fleet_spec_free(&s);
}

static void test_source(void)
{
	struct fleet_spec s;
	struct fleet_plan p;
	const char *k;

	three_hosts(&s);
	if (!ASSERT_OK(fleet_plan(&s, "h2", if_exists, &p), "plan"))
		goto out;
	k = fleet_plan_source(&p, "$.vports[1].ifname: duplicate");
	ASSERT_TRUE(k && !strncmp(k, "vport/h2/", 9), "vports[1] from a vport key");
	k = fleet_plan_source(&p, "$.fdb[0].mac: x");
	ASSERT_TRUE(k && !strncmp(k, "mac/", 4), "fdb[0] from a mac key");
	ASSERT_TRUE(fleet_plan_source(&p, "$.fdb[99].mac: x") == NULL, "out of range");
	ASSERT_TRUE(fleet_plan_source(&p, "$.attachment.device: x") == NULL, "not a list");
out:
	fleet_plan_free(&p);
	fleet_spec_free(&s);
}

/* What the apply refuses across keys is left out, reported, and forgotten once resolved. */
static void test_accepted(void)
{
	struct fleet_spec s;
	struct fleet_plan p = {0};
	struct ap_errs errs = {0};
	struct ap_doc d;
	char why[256] = "";

	three_hosts(&s);
	put(&s, "context/300", "{}");
	put(&s, "vport/h1/300", "{\"ifname\":\"t100\"}"); /* t100 is 100's vport */
	if (ASSERT_OK(fleet_plan_accepted(&s, "h1", if_exists, fleet_check_parse, &errs, &p, why,
	                                  sizeof(why)),
	              "accepted without one of the two") &&
	    ASSERT_TRUE(plan(&s, "h1", &p, &d), "parses")) {
		ASSERT_EQ(d.nvports, 2, "one of the two t100 vports left out");
		ASSERT_TRUE(msg(&p.errors, "vport/h1/100") || msg(&p.errors, "vport/h1/300"),
		            "the one left out is reported");
		ap_doc_free(&d);
	}
	fleet_spec_del(&s, "vport/h1/300");
	if (ASSERT_OK(fleet_plan_accepted(&s, "h1", if_exists, fleet_check_parse, &errs, &p, why,
	                                  sizeof(why)),
	              "accepted") &&
	    ASSERT_TRUE(plan(&s, "h1", &p, &d), "parses")) {
		ASSERT_EQ(d.nvports, 2, "the conflict gone, both of h1's vports are back");
		ASSERT_EQ(json_object_object_length(p.errors.o), 0, "no error left");
		ap_doc_free(&d);
	}
	ap_errs_free(&errs);
	fleet_plan_free(&p);
	fleet_spec_free(&s);
}

/* The remote entry of addr in d: its encap, or -1 if it has none. */
static int remote_encap(const struct ap_doc *d, const char *addr)
{
	const struct ap_remote *r;
	struct stt_addr6 a;

	raddr_parse(addr, &a);
	r = ap_remote_find(d, &a);
	return r ? r->encap : -1;
}

static bool flood_has(const struct ap_doc *d, __u64 ctx, const char *addr)
{
	struct stt_addr6 a;

	raddr_parse(addr, &a);
	for (size_t i = 0; i < d->nflood; i++)
		for (__u32 k = 0; d->flood[i].context == ctx && k < d->flood[i].count; k++)
			if (raddr_eq(&d->flood[i].remote[k], &a))
				return true;
	return false;
}

#define GUE_HOST(n, extra)                                                                         \
	"{\"attachment\":{\"device\":\"ul0\",\"local\":\"198.18.1." #n "\"" extra "}}"

/*
 * "encap": "gue" on a host: the members that can send it GUE get a remotes entry for it, the
 * others are told why not; it is left out of contexts >= 2^32 on the hosts that send it GUE;
 * its own plan keeps STT as its default.
 */
static void test_gue(void)
{
	struct fleet_spec s;
	struct fleet_plan p = {0};
	struct ap_doc d;
	const char *m;

	fleet_spec_init(&s);
	put(&s, "host/h1", GUE_HOST(1, ""));
	put(&s, "host/h2", GUE_HOST(2, ",\"encap\":\"gue\""));
	put(&s, "host/h3", GUE_HOST(3, ",\"encap\":\"gue\",\"gue_port\":7000"));
	put(&s, "host/h4", GUE_HOST(4, ""));
	put(&s, "host/h5", GUE_HOST(5, ",\"encap\":\"gue\"")); /* shares no context with h1 */
	put(&s, "context/100", "{}");
	put(&s, "context/4294967296", "{\"peers\":\"strict\"}");
	put(&s, "vport/h1/100", "{\"ifname\":\"t100\"}");
	put(&s, "vport/h2/100", "{\"ifname\":\"t100\"}");
	put(&s, "vport/h3/100", "{\"ifname\":\"t100\"}");
	put(&s, "vport/h1/4294967296", "{\"ifname\":\"tbig\"}");
	put(&s, "vport/h2/4294967296", "{\"ifname\":\"tbig\"}");
	put(&s, "vport/h4/4294967296", "{\"ifname\":\"tbig\"}");
	put(&s, "mac/100/52:54:00:00:02:01", "{\"host\":\"h2\"}");
	put(&s, "mac/4294967296/52:54:00:00:02:02", "{\"host\":\"h2\"}");
	put(&s, "mac/4294967296/52:54:00:00:04:02", "{\"host\":\"h4\"}");
	ASSERT_EQ(json_object_object_length(s.bad.o), 0, "every value valid");
	if (ASSERT_TRUE(plan(&s, "h1", &p, &d), "h1's plan parses")) {
		ASSERT_EQ(d.nremotes, 1, "h1: one remote entry");
		ASSERT_EQ(remote_encap(&d, "198.18.1.2"), STT_ENCAP_GUE, "h1 sends h2 GUE");
		ASSERT_EQ(remote_encap(&d, "198.18.1.3"), -1, "h3 (another GUE port): STT");
		ASSERT_EQ(remote_encap(&d, "198.18.1.5"), -1, "h5 (no common context): no entry");
		m = msg(&p.errors, "host/h3");
		ASSERT_TRUE(m && strstr(m, "gue_port 7000"), "h3's port mismatch reported");
		ASSERT_TRUE(!msg(&p.errors, "host/h5"), "h5 concerns h1 in nothing");
		ASSERT_TRUE(has_fdb(&d, 100, "52:54:00:00:02:01", "198.18.1.2"),
		            "context 100 to h2");
		ASSERT_TRUE(!has_fdb(&d, 4294967296ull, "52:54:00:00:02:02", "198.18.1.2"),
		            "no context 2^32 entry to h2 (GUE)");
		ASSERT_TRUE(has_fdb(&d, 4294967296ull, "52:54:00:00:04:02", "198.18.1.4"),
		            "context 2^32 to h4 (STT)");
		ASSERT_TRUE(flood_has(&d, 4294967296ull, "198.18.1.4") &&
		                !flood_has(&d, 4294967296ull, "198.18.1.2"),
		            "context 2^32 floods to h4 only");
		m = msg(&p.errors, "vport/h2/4294967296");
		ASSERT_TRUE(m && strstr(m, "GRE key has 32 bits"), "h2 left out of 2^32, reported");
		ASSERT_EQ(ap_gue_check(&d, NULL, NULL), 0, "nothing GUE cannot carry");
		ap_doc_free(&d);
	}
	if (ASSERT_TRUE(plan(&s, "h2", &p, &d), "h2's plan parses")) {
		ASSERT_TRUE(!d.att.gue, "h2's own default stays STT");
		ASSERT_EQ(d.nremotes, 0, "h2 sends GUE to nobody (h3's port differs)");
		ASSERT_TRUE(has_fdb(&d, 4294967296ull, "52:54:00:00:04:02", "198.18.1.4"),
		            "h2 sends context 2^32 to h4 (h4 is STT)");
		ap_doc_free(&d);
	}
	fleet_plan_free(&p);
	fleet_spec_free(&s);
}

/* The cookie's one spelling: 16 hex digits, either case, first digit the first wire byte. */
static void test_cookie(void)
{
	static const __u8 want[8] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
	static const char *const bad[] = {"",
	                                  "0123456789abcde",
	                                  "0123456789abcdef0",
	                                  "0x23456789abcdef",
	                                  "0123456789abcdeg",
	                                  " 123456789abcdef",
	                                  NULL};
	__be32 c[2];

	if (ASSERT_OK(cookie_parse("0123456789ABCDEF", c), "upper case"))
		ASSERT_MEM_EQ(c, 8, want, 8, "network order");
	ASSERT_OK(cookie_parse("0123456789abcdef", c), "lower case");
	for (int i = 0; bad[i]; i++)
		ASSERT_TRUE(cookie_parse(bad[i], c) < 0, bad[i]);
	ASSERT_TRUE(cookie_parse(NULL, c) < 0, "NULL");
}

/*
 * Hosts reached over IPv6 that ask for GUE are sent STT, with the reason: GUE over IPv6
 * needs each end's zero-checksum consent (udp6_zero_csum), which the fleet does not carry.
 */
static void test_gue_ipv6(void)
{
	struct fleet_spec s;
	struct fleet_plan p = {0};
	struct ap_doc d;
	const char *m;

	fleet_spec_init(&s);
	put(&s, "host/h1", "{\"attachment\":{\"device\":\"ul0\",\"local6\":\"2001:db8::1\"}}");
	put(&s, "host/h2",
	    "{\"attachment\":{\"device\":\"ul0\",\"local6\":\"2001:db8::2\",\"encap\":\"gue\"}}");
	put(&s, "context/100", "{}");
	put(&s, "vport/h1/100", "{\"ifname\":\"t100\"}");
	put(&s, "vport/h2/100", "{\"ifname\":\"t100\"}");
	ASSERT_EQ(json_object_object_length(s.bad.o), 0, "every value valid");
	if (ASSERT_TRUE(plan(&s, "h1", &p, &d), "h1's plan parses")) {
		ASSERT_EQ(d.nremotes, 0, "no GUE entry for h2 over IPv6");
		ASSERT_TRUE(flood_has(&d, 100, "2001:db8::2"), "h2 still reached (STT)");
		m = msg(&p.errors, "host/h2");
		ASSERT_TRUE(m && strstr(m, "udp6_zero_csum") && strstr(m, "sends it STT"),
		            "reported on host/h2, with the reason");
		ap_doc_free(&d);
	}
	fleet_plan_free(&p);
	fleet_spec_free(&s);
}

/* A document's errors, one string ("" if it parsed), each line "PATH: reason\n". */
static char *doc_errors(const char *text)
{
	struct ap_errs errs = {0};
	struct ap_doc d;
	size_t len = 1;
	char *out;

	ap_parse(text, strlen(text), &d, &errs);
	for (size_t i = 0; i < errs.n; i++)
		len += strlen(errs.msg[i]) + 1;
	out = calloc(1, len);
	for (size_t i = 0; out && i < errs.n; i++)
		strcat(strcat(out, errs.msg[i]), "\n");
	ap_errs_free(&errs);
	ap_doc_free(&d);
	return out;
}

#define UDP6_DOC(att, rest)                                                                        \
	"{\"version\":1,\"attachment\":{\"device\":\"ul0\",\"local\":\"198.18.0.1\"" att "},"      \
	"\"vports\":[{\"ifname\":\"t1\",\"context\":\"100\"}]," rest "}"

/*
 * "udp6_zero_csum" of a remote (encap.c's rules, the same the CLI's remote set goes
 * through): a boolean; true only for an IPv6 remote with its own "encap": "gue"; GUE to an
 * IPv6 remote, by its own entry or the default, only with it; printed back (show --json).
 */
static void test_udp6_doc(void)
{
	static const struct {
		const char *name, *doc, *want; /* want: NULL accepted, else in the errors */
	} cases[] = {
	    {"IPv6 gue with consent",
	     UDP6_DOC("", "\"remotes\":[{\"address\":\"2001:db8::2\","
	                  "\"encap\":\"gue\",\"udp6_zero_csum\":true}]"),
	     NULL},
	    {"IPv4 false, IPv6 stt false",
	     UDP6_DOC("", "\"remotes\":[{\"address\":\"198.18.0.2\",\"encap\":\"gue\","
	                  "\"udp6_zero_csum\":false},{\"address\":\"2001:db8::3\","
	                  "\"encap\":\"stt\",\"udp6_zero_csum\":false}]"),
	     NULL},
	    {"not a boolean",
	     UDP6_DOC("", "\"remotes\":[{\"address\":\"2001:db8::2\",\"encap\":\"gue\","
	                  "\"udp6_zero_csum\":\"yes\"}]"),
	     "$.remotes[0].udp6_zero_csum: expected true or false, got a string"},
	    {"IPv4 true",
	     UDP6_DOC("", "\"remotes\":[{\"address\":\"198.18.0.2\",\"encap\":\"gue\","
	                  "\"udp6_zero_csum\":true}]"),
	     "$.remotes[0].udp6_zero_csum: 198.18.0.2 is an IPv4 remote"},
	    {"IPv6 stt true",
	     UDP6_DOC("", "\"remotes\":[{\"address\":\"2001:db8::2\",\"encap\":\"stt\","
	                  "\"udp6_zero_csum\":true}]"),
	     "$.remotes[0].udp6_zero_csum: 2001:db8::2: udp6_zero_csum (--udp6-zero-csum) needs "
	     "the remote's own encap gue"},
	    {"IPv6 gue without consent",
	     UDP6_DOC("", "\"remotes\":[{\"address\":\"2001:db8::2\",\"encap\":\"gue\"}]"),
	     "$.remotes[0].encap: 2001:db8::2: GUE over IPv6 needs the remote's udp6_zero_csum "
	     "(remote set --udp6-zero-csum): stt cannot checksum each segment of a TSO burst"},
	    {"default gue to an IPv6 remote without an entry",
	     UDP6_DOC(",\"encap\":\"gue\"", "\"fdb\":[{\"context\":\"100\",\"mac\":"
	                                    "\"02:00:00:00:00:02\",\"remote\":\"2001:db8::2\"}]"),
	     "$.fdb[0].remote: 2001:db8::2 would be sent GUE (the endpoint's default encap), but "
	     "GUE over IPv6 needs the remote's udp6_zero_csum: give it encap gue with "
	     "udp6_zero_csum"},
	    {"default gue to an IPv6 remote with consent",
	     UDP6_DOC(",\"encap\":\"gue\"",
	              "\"fdb\":[{\"context\":\"100\",\"mac\":\"02:00:00:00:00:02\",\"remote\":"
	              "\"2001:db8::2\"}],\"remotes\":[{\"address\":\"2001:db8::2\",\"encap\":"
	              "\"gue\",\"udp6_zero_csum\":true}]"),
	     NULL},
	    {"default gue to an IPv6 remote of its own encap stt",
	     UDP6_DOC(",\"encap\":\"gue\"",
	              "\"fdb\":[{\"context\":\"100\",\"mac\":\"02:00:00:00:00:02\",\"remote\":"
	              "\"2001:db8::2\"}],\"remotes\":[{\"address\":\"2001:db8::2\",\"encap\":"
	              "\"stt\"}]"),
	     NULL},
	    {"consent, but GUE off",
	     UDP6_DOC(",\"gue_port\":0", "\"remotes\":[{\"address\":\"2001:db8::2\",\"encap\":"
	                                 "\"gue\",\"udp6_zero_csum\":true}]"),
	     "$.remotes[0].encap: 2001:db8::2 would be sent GUE, but GUE is off"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *e = doc_errors(cases[i].doc);

		if (!ASSERT_TRUE(e, "out of memory"))
			continue;
		if (!cases[i].want)
			ASSERT_TRUE(!*e, cases[i].name);
		else
			ASSERT_TRUE(strstr(e, cases[i].want), cases[i].name);
		if (cases[i].want ? !strstr(e, cases[i].want) : *e)
			printf("#   got: %s", *e ? e : "(accepted)\n");
		free(e);
	}
}

/* The consent read, printed (show --json) and parsed again: the same; false for IPv4. */
static void test_udp6_round_trip(void)
{
	static const char doc[] = UDP6_DOC(
	    "",
	    "\"remotes\":[{\"address\":\"2001:db8::2\",\"encap\":\"gue\",\"udp6_zero_csum\":true},"
	    "{\"address\":\"2001:db8::3\",\"encap\":\"gue\",\"udp6_zero_csum\":true,"
	    "\"cookie\":\"0011223344556677\"},{\"address\":\"198.18.0.2\",\"encap\":\"gue\"}]");
	struct ap_errs errs = {0};
	struct ap_doc d, d2;
	struct json_object *j;
	const char *text;
	struct stt_addr6 a;

	if (!ASSERT_OK(ap_parse(doc, strlen(doc), &d, &errs), "parses")) {
		ap_errs_free(&errs);
		ap_doc_free(&d);
		return;
	}
	raddr_parse("2001:db8::3", &a);
	ASSERT_TRUE(ap_remote_find(&d, &a) && ap_remote_find(&d, &a)->udp6_zero_csum,
	            "2001:db8::3 has the consent");
	raddr_parse("198.18.0.2", &a);
	ASSERT_TRUE(ap_remote_find(&d, &a) && !ap_remote_find(&d, &a)->udp6_zero_csum,
	            "198.18.0.2 without (the default)");
	ASSERT_TRUE(!strcmp(udp6_words(ap_remote_find(&d, &a)), ""), "IPv4: nothing printed");
	j = ap_doc_to_json(&d);
	text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
	ASSERT_TRUE(strstr(text, "{\"address\":\"2001:db8::2\",\"encap\":\"gue\",\"cookie\":false,"
	                         "\"udp6_zero_csum\":true}"),
	            "printed as \"udp6_zero_csum\": true");
	ASSERT_TRUE(strstr(text, "{\"address\":\"198.18.0.2\",\"encap\":\"gue\",\"cookie\":false,"
	                         "\"udp6_zero_csum\":false}"),
	            "IPv4: printed as false");
	if (ASSERT_OK(ap_parse(text, strlen(text), &d2, &errs), "printed, parses again")) {
		ASSERT_EQ(d2.nremotes, d.nremotes, "as many remotes");
		for (size_t i = 0; i < d.nremotes && i < d2.nremotes; i++)
			ASSERT_EQ(d2.remotes[i].udp6_zero_csum, d.remotes[i].udp6_zero_csum,
			          "the same consent");
		ASSERT_TRUE(!strcmp(udp6_words(&d2.remotes[1]), " udp6-zero-csum yes"),
		            "IPv6: printed as yes");
	}
	for (size_t i = 0; i < errs.n; i++)
		printf("#   ap_parse: %s\n", errs.msg[i]);
	json_object_put(j);
	ap_errs_free(&errs);
	ap_doc_free(&d2);
	ap_doc_free(&d);
}

static const struct test_case tests[] = {
    {"fleet values: each checked with the apply document's rules", test_values},
    {"fleet plan: fdb, flood, peers and vports from membership", test_plan},
    {"fleet plan: a VM moves and leaves, a host leaves a context", test_one_write},
    {"fleet plan: bad values, unknown context and host, missing interface", test_bad_and_pending},
    {"fleet plan: more hosts than a flood list holds", test_big_context},
    {"fleet plan: apply errors traced back to their keys", test_source},
    {"fleet plan: what the apply refuses is left out, and forgotten once resolved", test_accepted},
    {"fleet plan: GUE hosts, remotes entries, contexts GUE cannot carry", test_gue},
    {"GUE cookie parser", test_cookie},
    {"fleet plan: GUE to a host reached over IPv6 is STT, reported", test_gue_ipv6},
    {"apply document: udp6_zero_csum, and GUE over IPv6 only with it", test_udp6_doc},
    {"apply document: udp6_zero_csum printed and parsed again", test_udp6_round_trip},
};

int main(int argc, char **argv)
{
	return test_run_all(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The fleet schema (fleet.h, docs/FLEET.md). Each value is checked by the apply document's
 * own validator (ap_parse, apply_doc.c), given a small document made of it, so that the
 * fleet and sttctl apply can never disagree on a field; its error paths are rewritten to
 * the value's own fields.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "apply.h"
#include "fleet.h"
#include "stt_proto.h"

/* Every document made here has an attachment, so that ap_parse checks the lists. */
#define PROBE_ATTACH "\"attachment\":{\"device\":\"probe\",\"local\":\"198.18.0.1\"}"

void fleet_msg(struct fleet_msgs *m, const char *key, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (!m->o)
		m->o = json_object_new_object();
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_object_object_add(m->o, key, json_object_new_string(buf));
}

static void msgs_del(struct fleet_msgs *m, const char *key)
{
	if (m->o)
		json_object_object_del(m->o, key);
}

void fleet_spec_init(struct fleet_spec *s)
{
	s->vals = json_object_new_object();
	s->bad.o = json_object_new_object();
	s->excl.o = json_object_new_object();
}

void fleet_spec_free(struct fleet_spec *s)
{
	json_object_put(s->vals);
	json_object_put(s->bad.o);
	json_object_put(s->excl.o);
	s->vals = s->bad.o = s->excl.o = NULL;
}

bool fleet_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > FLEET_NAME_MAX || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
		            s[i]))
			return false;
	return true;
}

/* A value as JSON: an object, strictly parsed, or NULL with why. */
static struct json_object *parse_value(const char *v, size_t len, char *why, size_t wlen)
{
	struct json_tokener *tok = json_tokener_new_ex(32);
	struct json_object *o;

	if (!tok) {
		snprintf(why, wlen, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = len > FLEET_VALUE_MAX ? NULL : json_tokener_parse_ex(tok, v, (int)len);
	if (len > FLEET_VALUE_MAX)
		snprintf(why, wlen, "value of %zu bytes (at most %d)", len, FLEET_VALUE_MAX);
	else if (!o || json_tokener_get_error(tok) != json_tokener_success ||
	         json_tokener_get_parse_end(tok) != len)
		snprintf(why, wlen, "not JSON: %s",
		         json_tokener_get_error(tok) == json_tokener_success
		             ? "text after the value"
		             : json_tokener_error_desc(json_tokener_get_error(tok)));
	else if (!json_object_is_type(o, json_type_object))
		snprintf(why, wlen, "not a JSON object");
	else {
		json_tokener_free(tok);
		return o;
	}
	json_object_put(o);
	json_tokener_free(tok);
	return NULL;
}

/*
 * Check a small apply document; its first error, with the document path prefix "from"
 * rewritten to "to", goes to why. 0 if valid.
 */
static int probe(const char *doc, const char *from, const char *to, char *why, size_t wlen)
{
	struct ap_errs errs = {0};
	struct ap_doc d;
	int rc = ap_parse(doc, strlen(doc), &d, &errs);

	if (rc && errs.n) {
		const char *m = errs.msg[0];
		size_t fl = strlen(from);

		if (!strncmp(m, from, fl))
			snprintf(why, wlen, "%s%s", to, m + fl);
		else
			snprintf(why, wlen, "%s", m);
	}
	ap_doc_free(&d);
	ap_errs_free(&errs);
	return rc;
}

/* The only keys o may have; the first other one goes to why. */
static int only_keys(struct json_object *o, const char *const *keys, char *why, size_t wlen)
{
	json_object_object_foreach(o, k, v)
	{
		size_t i;

		(void)v;
		for (i = 0; keys[i] && strcmp(keys[i], k); i++)
			;
		if (!keys[i]) {
			snprintf(why, wlen, "%s: unknown field", k);
			return -1;
		}
	}
	return 0;
}

/* A JSON text of o with one more member (the key's context), for a probe. */
static char *with_member(struct json_object *o, const char *name, const char *value)
{
	struct json_object *c = NULL;
	char *s;

	if (json_object_deep_copy(o, &c, NULL))
		return NULL;
	json_object_object_add(c, name, json_object_new_string(value));
	s = strdup(json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN));
	json_object_put(c);
	return s;
}

/* host/NAME: {"attachment": {...}} with local or local6 (the others send to it). */
static int check_host(struct json_object *o, char *why, size_t wlen)
{
	static const char *const keys[] = {"attachment", NULL};
	struct json_object *att;
	char doc[FLEET_VALUE_MAX + 64];

	if (only_keys(o, keys, why, wlen))
		return -1;
	if (!json_object_object_get_ex(o, "attachment", &att) ||
	    !json_object_is_type(att, json_type_object)) {
		snprintf(why, wlen, "attachment: missing, or not an object");
		return -1;
	}
	if (!json_object_object_get_ex(att, "local", NULL) &&
	    !json_object_object_get_ex(att, "local6", NULL)) {
		snprintf(why, wlen,
		         "attachment: local or local6 is needed (the other hosts send to it)");
		return -1;
	}
	snprintf(doc, sizeof(doc), "{\"version\":1,\"attachment\":%s}",
	         json_object_to_json_string_ext(att, JSON_C_TO_STRING_PLAIN));
	return probe(doc, "$.attachment", "attachment", why, wlen);
}

/* vport/HOST/CONTEXT: a vport of the apply document without context and peers. */
static int check_vport(struct json_object *o, const char *ctx, char *why, size_t wlen)
{
	static const char *const keys[] = {"ifname", "xdp", "learn", "vlan", NULL};
	char *v, doc[FLEET_VALUE_MAX + 256];
	int rc;

	if (json_object_object_get_ex(o, "peers", NULL)) {
		snprintf(why, wlen, "peers: set per context (spec/context/%s), not per vport", ctx);
		return -1;
	}
	if (only_keys(o, keys, why, wlen))
		return -1;
	v = with_member(o, "context", ctx);
	if (!v)
		return snprintf(why, wlen, "out of memory"), -1;
	snprintf(doc, sizeof(doc), "{\"version\":1," PROBE_ATTACH ",\"vports\":[%s]}", v);
	free(v);
	rc = probe(doc, "$.vports[0].", "", why, wlen);
	return rc;
}

/* context/CONTEXT: {"peers": "open"|"strict", "group": MULTICAST}, both optional. */
static int check_context(struct json_object *o, const char *ctx, char *why, size_t wlen)
{
	static const char *const keys[] = {"peers", "group", NULL};
	struct json_object *peers = NULL, *group = NULL;
	char doc[1024];
	struct stt_addr6 a;

	if (only_keys(o, keys, why, wlen))
		return -1;
	json_object_object_get_ex(o, "peers", &peers);
	json_object_object_get_ex(o, "group", &group);
	snprintf(doc, sizeof(doc),
	         "{\"version\":1," PROBE_ATTACH ",\"vports\":[{\"ifname\":\"probe0\",\"context\":"
	         "\"%s\",\"peers\":%s}],\"flood\":[{\"context\":\"%s\",\"remotes\":[%s]}]}",
	         ctx, peers ? json_object_to_json_string(peers) : "\"open\"", ctx,
	         group ? json_object_to_json_string(group) : "\"239.1.1.1\"");
	if (probe(doc, "$.vports[0].", "", why, wlen)) {
		static const char fl[] = "$.flood[0].remotes[0]";
		char rest[256];

		if (!strncmp(why, fl, sizeof(fl) - 1)) { /* name the field */
			snprintf(rest, sizeof(rest), "%.200s", why + sizeof(fl) - 1);
			snprintf(why, wlen, "group%s", rest);
		}
		return -1;
	}
	if (group && (raddr_parse(json_object_get_string(group), &a) || !raddr_is_mcast(&a)))
		return snprintf(why, wlen, "group: not a multicast address"), -1;
	return 0;
}

/* mac/CONTEXT/MAC: {"host": NAME}. */
static int check_mac(struct json_object *o, const char *ctx, const char *mac, char *why,
                     size_t wlen)
{
	static const char *const keys[] = {"host", NULL};
	struct json_object *h;
	char doc[512];

	if (only_keys(o, keys, why, wlen))
		return -1;
	if (!json_object_object_get_ex(o, "host", &h) ||
	    !json_object_is_type(h, json_type_string) || !fleet_name_ok(json_object_get_string(h)))
		return snprintf(why, wlen, "host: missing, or not a host name"), -1;
	snprintf(doc, sizeof(doc),
	         "{\"version\":1," PROBE_ATTACH ",\"fdb\":[{\"context\":\"%s\",\"mac\":\"%s\","
	         "\"remote\":\"198.18.0.2\"}]}",
	         ctx, mac);
	return probe(doc, "$.fdb[0].", "key: ", why, wlen);
}

static bool chars_in(const char *s, const char *set, size_t max)
{
	size_t n = strlen(s);

	return n && n <= max && strspn(s, set) == n;
}

/* A MAC in one spelling only (six pairs, lower case), so that two keys never name one MAC. */
static bool mac_canonical(const char *m)
{
	if (strlen(m) != 17)
		return false;
	for (int i = 0; i < 17; i++)
		if (i % 3 == 2 ? m[i] != ':' : !strchr("0123456789abcdef", m[i]))
			return false;
	return true;
}

int fleet_key_split(const char *key, struct fleet_key *k, char *why, size_t wlen)
{
	const char *s1 = strchr(key, '/'), *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
	size_t kl = s1 ? (size_t)(s1 - key) : 0, al;

	memset(k, 0, sizeof(*k));
	if (!s1 || kl >= sizeof(k->kind) || strlen(key) > FLEET_KEY_MAX)
		goto bad;
	memcpy(k->kind, key, kl);
	al = s2 ? (size_t)(s2 - s1 - 1) : strlen(s1 + 1);
	if (al > FLEET_NAME_MAX || (s2 && strlen(s2 + 1) > FLEET_NAME_MAX))
		goto bad;
	memcpy(k->a, s1 + 1, al);
	if (s2)
		strcpy(k->b, s2 + 1);
	if (!strcmp(k->kind, "host") && !s2 && fleet_name_ok(k->a))
		return 0;
	if (!strcmp(k->kind, "context") && !s2 && chars_in(k->a, "0123456789", 20))
		return 0;
	if (!strcmp(k->kind, "vport") && s2 && fleet_name_ok(k->a) &&
	    chars_in(k->b, "0123456789", 20))
		return 0;
	if (!strcmp(k->kind, "mac") && s2 && chars_in(k->a, "0123456789", 20) &&
	    mac_canonical(k->b))
		return 0;
bad:
	if (why)
		snprintf(why, wlen,
		         "not a key of the schema (host/NAME, context/ID, vport/HOST/ID, "
		         "mac/ID/MAC, MAC as "
		         "aa:bb:cc:dd:ee:ff)");
	return -1;
}

/* A value checked for its key: the parsed value, or NULL with why. */
static struct json_object *check(const char *key, const char *v, size_t len, char *why, size_t wlen)
{
	struct fleet_key k;
	struct json_object *o;
	int rc;

	if (fleet_key_split(key, &k, why, wlen))
		return NULL;
	o = parse_value(v, len, why, wlen);
	if (!o)
		return NULL;
	if (!strcmp(k.kind, "host"))
		rc = check_host(o, why, wlen);
	else if (!strcmp(k.kind, "context"))
		rc = check_context(o, k.a, why, wlen);
	else if (!strcmp(k.kind, "vport"))
		rc = check_vport(o, k.b, why, wlen);
	else
		rc = check_mac(o, k.a, k.b, why, wlen);
	if (rc) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

void fleet_spec_put(struct fleet_spec *s, const char *key, const char *value, size_t len)
{
	char why[512] = "";
	struct json_object *o = check(key, value, len, why, sizeof(why));

	if (!o) {
		fleet_msg(&s->bad, key, "%s", why);
		return;
	}
	msgs_del(&s->bad, key);
	json_object_object_add(s->vals, key, o);
}

void fleet_spec_del(struct fleet_spec *s, const char *key)
{
	msgs_del(&s->bad, key);
	json_object_object_del(s->vals, key);
}

/* The spec indexed for one plan: maps (json objects) holding references into s->vals. */
struct index {
	struct json_object *hosts;    /* name -> host value */
	struct json_object *contexts; /* id -> context value */
	struct json_object *vports;   /* id -> {host -> vport value} */
	struct json_object *macs;     /* id -> {mac -> host name} */
};

static struct json_object *sub_map(struct json_object *m, const char *k)
{
	struct json_object *o;

	if (!json_object_object_get_ex(m, k, &o)) {
		o = json_object_new_object();
		json_object_object_add(m, k, o);
	}
	return o;
}

static void index_build(const struct fleet_spec *s, struct index *x)
{
	x->hosts = json_object_new_object();
	x->contexts = json_object_new_object();
	x->vports = json_object_new_object();
	x->macs = json_object_new_object();
	json_object_object_foreach(s->vals, key, v)
	{
		struct fleet_key k;
		struct json_object *h;

		if (fleet_key_split(key, &k, NULL, 0) ||
		    json_object_object_get_ex(s->excl.o, key, NULL))
			continue;
		if (!strcmp(k.kind, "host"))
			json_object_object_add(x->hosts, k.a, json_object_get(v));
		else if (!strcmp(k.kind, "context"))
			json_object_object_add(x->contexts, k.a, json_object_get(v));
		else if (!strcmp(k.kind, "vport"))
			json_object_object_add(sub_map(x->vports, k.b), k.a, json_object_get(v));
		else if (json_object_object_get_ex(v, "host", &h))
			json_object_object_add(sub_map(x->macs, k.a), k.b, json_object_get(h));
	}
}

static void index_free(struct index *x)
{
	json_object_put(x->hosts);
	json_object_put(x->contexts);
	json_object_put(x->vports);
	json_object_put(x->macs);
}

static const char *str_member(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : NULL;
}

/* The address host h is reached at from a host with own's families, or NULL. */
static const char *host_addr(struct json_object *own_att, struct json_object *h)
{
	struct json_object *att;

	if (!json_object_object_get_ex(h, "attachment", &att))
		return NULL;
	if (str_member(own_att, "local") && str_member(att, "local"))
		return str_member(att, "local");
	if (str_member(own_att, "local6") && str_member(att, "local6"))
		return str_member(att, "local6");
	return NULL;
}

/* A plan being made: the document's lists, with the key each entry came from. */
struct build {
	const struct index *x;
	const char *host;
	struct json_object *att;                          /* this host's attachment */
	struct json_object *vports, *fdb, *flood, *peers; /* the document's lists */
	struct json_object *src;                          /* list -> [key of each entry] */
	struct json_object *members;                      /* every host sharing a context */
	struct json_object *remotes;                      /* the document's GUE remotes */
	struct json_object *gue;    /* host -> its address: this host sends it GUE */
	struct json_object *no_gue; /* host -> why it is sent STT although it asks for GUE */
	struct fleet_plan *p;
};

/* A GUE port as an attachment gives it (the apply document's default if absent). */
static long gue_port_of(struct json_object *att)
{
	struct json_object *v;

	return json_object_object_get_ex(att, "gue_port", &v) ? json_object_get_int(v)
	                                                      : STT_GUE_DEFAULT_PORT;
}

/*
 * The hosts that ask to be sent GUE ("encap": "gue" in their attachment) and that this host
 * can send GUE to: a common IPv4 address and the same GUE port (one port per endpoint,
 * received on and sent to). Not over IPv6: that needs each remote's consent to zero UDP
 * checksums (udp6_zero_csum, encap.h), both ways (each end accepts zero checksums only from
 * remotes with it), which the fleet schema does not carry. The others are sent STT, and why
 * is kept to be reported if they share a context with this host.
 */
static void gue_hosts(struct build *b)
{
	long mine = gue_port_of(b->att);

	json_object_object_foreach(b->x->hosts, h, ho)
	{
		struct json_object *att;
		const char *enc, *a;
		char why[384];

		if (!strcmp(h, b->host) || !json_object_object_get_ex(ho, "attachment", &att) ||
		    !(enc = str_member(att, "encap")) || strcmp(enc, "gue") ||
		    !(a = host_addr(b->att, ho)))
			continue;
		if (!strchr(a, ':') && mine && mine == gue_port_of(att)) {
			json_object_object_add(b->gue, h, json_object_new_string(a));
			continue;
		}
		if (strchr(a, ':'))
			snprintf(
			    why, sizeof(why),
			    "host %s reaches it over IPv6, and GUE over IPv6 needs each end's "
			    "consent to zero UDP checksums (udp6_zero_csum, docs/GUE.md "
			    "section 5), which the fleet schema does not carry: %s sends it STT",
			    b->host, b->host);
		else if (!mine)
			snprintf(why, sizeof(why),
			         "host %s has GUE off (gue_port 0): it sends %s STT", b->host, h);
		else
			snprintf(
			    why, sizeof(why),
			    "its gue_port %ld is not host %s's %ld (one GUE port per endpoint): "
			    "%s sends it STT",
			    gue_port_of(att), b->host, mine, b->host);
		json_object_object_add(b->no_gue, h, json_object_new_string(why));
	}
}

/*
 * Whether host h is left out of context ctx on this host: it is sent GUE, whose 32-bit GRE
 * key cannot carry a Context ID >= 2^32 (docs/GUE.md section 4: refused, never truncated).
 */
static bool gue_excluded(struct build *b, const char *ctx, const char *h)
{
	char key[FLEET_KEY_MAX];

	if (strtoull(ctx, NULL, 10) <= UINT32_MAX || !json_object_object_get_ex(b->gue, h, NULL))
		return false;
	snprintf(key, sizeof(key), "vport/%s/%s", h, ctx);
	fleet_msg(&b->p->errors, key,
	          "context %s cannot be carried by GUE to host %s (the GRE key has 32 bits): "
	          "host %s leaves %s out of context %s",
	          ctx, h, b->host, h, ctx);
	json_object_object_add(b->members, h, json_object_new_boolean(1));
	return true;
}

static struct json_object *sub_map_array(struct json_object *m, const char *k)
{
	struct json_object *o;

	if (!json_object_object_get_ex(m, k, &o)) {
		o = json_object_new_array();
		json_object_object_add(m, k, o);
	}
	return o;
}

static void add_entry(struct build *b, struct json_object *list, const char *name,
                      struct json_object *e, const char *key)
{
	json_object_array_add(list, e);
	json_object_array_add(sub_map_array(b->src, name), json_object_new_string(key));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(json_object_get_string(*(struct json_object *const *)a),
	              json_object_get_string(*(struct json_object *const *)b));
}

/*
 * The remotes of context ctx's other members, in host name order (flood and peers lists
 * compare as sets, so only the choice among more than STT_MAX_FLOOD depends on it).
 */
static struct json_object *members_of(struct build *b, const char *ctx)
{
	struct json_object *vp, *names = json_object_new_array(), *addrs = json_object_new_array();

	if (json_object_object_get_ex(b->x->vports, ctx, &vp)) {
		json_object_object_foreach(vp, h, v)
		{
			char key[FLEET_KEY_MAX];
			struct json_object *ho;
			const char *a;

			(void)v;
			if (!strcmp(h, b->host))
				continue;
			snprintf(key, sizeof(key), "vport/%s/%s", h, ctx);
			if (!json_object_object_get_ex(b->x->hosts, h, &ho)) {
				fleet_msg(&b->p->pending, key, "host %s has no valid spec/host/%s",
				          h, h);
				continue;
			}
			a = host_addr(b->att, ho);
			if (!a) {
				fleet_msg(&b->p->errors, key,
				          "host %s has no address of a family host %s has", h,
				          b->host);
				continue;
			}
			if (gue_excluded(b, ctx, h))
				continue;
			json_object_array_add(names, json_object_new_string(h));
		}
	}
	json_object_array_sort(names, cmp_str);
	for (size_t i = 0; i < json_object_array_length(names); i++) {
		const char *h = json_object_get_string(json_object_array_get_idx(names, i));
		struct json_object *ho;

		json_object_object_get_ex(b->x->hosts, h, &ho);
		json_object_object_add(b->members, h, json_object_new_boolean(1));
		json_object_array_add(addrs, json_object_new_string(host_addr(b->att, ho)));
	}
	json_object_put(names);
	return addrs;
}

/* Flood and peers lists of a served context, from its members. */
static void context_lists(struct build *b, const char *ctx, struct json_object *cv,
                          struct json_object *addrs)
{
	size_t n = json_object_array_length(addrs);
	const char *group = str_member(cv, "group"), *peers = str_member(cv, "peers");
	char key[FLEET_KEY_MAX];
	struct json_object *e, *l;

	snprintf(key, sizeof(key), "context/%s", ctx);
	if (n && peers && !strcmp(peers, "strict")) {
		e = json_object_new_object();
		json_object_object_add(e, "context", json_object_new_string(ctx));
		json_object_object_add(e, "remotes", json_object_get(addrs));
		add_entry(b, b->peers, "peers", e, key);
	}
	if (!n)
		return;
	l = json_object_new_array();
	if (group) {
		json_object_array_add(l, json_object_new_string(group));
	} else {
		if (n > STT_MAX_FLOOD)
			fleet_msg(
			    &b->p->errors, key,
			    "%zu other hosts serve context %s, a flood list holds %d: broadcast "
			    "reaches only the first %d by name; give the context a group",
			    n, ctx, STT_MAX_FLOOD, STT_MAX_FLOOD);
		for (size_t i = 0; i < n && i < STT_MAX_FLOOD; i++)
			json_object_array_add(l,
			                      json_object_get(json_object_array_get_idx(addrs, i)));
	}
	e = json_object_new_object();
	json_object_object_add(e, "context", json_object_new_string(ctx));
	json_object_object_add(e, "remotes", l);
	add_entry(b, b->flood, "flood", e, key);
}

/* Forwarding entries of a served context: every MAC on another member host. */
static void context_fdb(struct build *b, const char *ctx)
{
	struct json_object *macs, *vp = NULL;

	if (!json_object_object_get_ex(b->x->macs, ctx, &macs))
		return;
	json_object_object_get_ex(b->x->vports, ctx, &vp);
	json_object_object_foreach(macs, mac, hv)
	{
		const char *h = json_object_get_string(hv);
		char key[FLEET_KEY_MAX];
		struct json_object *ho, *e;
		const char *a;

		if (!strcmp(h, b->host))
			continue; /* behind this host's own vport */
		snprintf(key, sizeof(key), "mac/%s/%s", ctx, mac);
		if (!vp || !json_object_object_get_ex(vp, h, NULL) ||
		    !json_object_object_get_ex(b->x->hosts, h, &ho) ||
		    !(a = host_addr(b->att, ho))) {
			fleet_msg(&b->p->pending, key, "host %s does not serve context %s", h, ctx);
			continue;
		}
		if (gue_excluded(b, ctx, h))
			continue; /* said at its vport */
		e = json_object_new_object();
		json_object_object_add(e, "context", json_object_new_string(ctx));
		json_object_object_add(e, "mac", json_object_new_string(mac));
		json_object_object_add(e, "remote", json_object_new_string(a));
		add_entry(b, b->fdb, "fdb", e, key);
	}
}

/* This host's vport of context ctx, with everything that follows from it. */
static void serve(struct build *b, const char *ctx, struct json_object *v, fleet_if_exists ifx)
{
	char key[FLEET_KEY_MAX];
	struct json_object *cv, *e = NULL, *addrs;
	const char *ifname = str_member(v, "ifname"), *peers;

	snprintf(key, sizeof(key), "vport/%s/%s", b->host, ctx);
	if (!json_object_object_get_ex(b->x->contexts, ctx, &cv)) {
		fleet_msg(&b->p->errors, key, "context %s has no valid spec/context/%s", ctx, ctx);
		return;
	}
	if (ifx && ifname && !ifx(ifname)) {
		fleet_msg(&b->p->pending, key, "interface %s does not exist (yet)", ifname);
		return;
	}
	json_object_deep_copy(v, &e, NULL);
	json_object_object_add(e, "context", json_object_new_string(ctx));
	peers = str_member(cv, "peers");
	if (peers)
		json_object_object_add(e, "peers", json_object_new_string(peers));
	add_entry(b, b->vports, "vports", e, key);
	b->p->contexts++;
	addrs = members_of(b, ctx);
	context_lists(b, ctx, cv, addrs);
	json_object_put(addrs);
	context_fdb(b, ctx);
}

/*
 * Whether a bad key concerns this host: its own keys, those of contexts it serves, and
 * those of hosts it shares a context with. A key of no known shape concerns everyone.
 */
static bool concerns(struct build *b, const char *key, struct json_object *served)
{
	struct fleet_key k;

	if (fleet_key_split(key, &k, NULL, 0))
		return true;
	if (!strcmp(k.kind, "host"))
		return !strcmp(k.a, b->host) || json_object_object_get_ex(b->members, k.a, NULL);
	if (!strcmp(k.kind, "vport"))
		return !strcmp(k.a, b->host) || json_object_object_get_ex(served, k.b, NULL);
	return json_object_object_get_ex(served, k.a, NULL);
}

/*
 * The remotes this host sends GUE to: the members of its contexts that ask for it; a member
 * asking for GUE that cannot have it is reported. Only members: a host never sent to needs
 * no entry (and a remote table holds STT_MAX_REMOTE_CFG).
 */
static void plan_remotes(struct build *b)
{
	json_object_object_foreach(b->members, h, v)
	{
		struct json_object *a, *e;
		char key[FLEET_KEY_MAX];

		(void)v;
		snprintf(key, sizeof(key), "host/%s", h);
		if (json_object_object_get_ex(b->no_gue, h, &a)) {
			fleet_msg(&b->p->errors, key, "encap gue: %s", json_object_get_string(a));
			continue;
		}
		if (!json_object_object_get_ex(b->gue, h, &a))
			continue;
		e = json_object_new_object();
		json_object_object_add(e, "address", json_object_get(a));
		json_object_object_add(e, "encap", json_object_new_string("gue"));
		add_entry(b, b->remotes, "remotes", e, key);
	}
}

/*
 * This host's own attachment without "encap": that says how the OTHER hosts send to it;
 * its own default stays STT (every remote it sends GUE to has an entry).
 */
static struct json_object *own_attachment(struct json_object *att)
{
	struct json_object *c = NULL;

	if (json_object_deep_copy(att, &c, NULL))
		return NULL;
	json_object_object_del(c, "encap");
	return c;
}

static void plan_doc(struct build *b, struct json_object *own)
{
	struct json_object *d = json_object_new_object();

	json_object_object_add(d, "version", json_object_new_int(1));
	if (own)
		json_object_object_add(d, "attachment", own_attachment(b->att));
	json_object_object_add(d, "vports", json_object_get(b->vports));
	json_object_object_add(d, "fdb", json_object_get(b->fdb));
	json_object_object_add(d, "flood", json_object_get(b->flood));
	json_object_object_add(d, "peers", json_object_get(b->peers));
	json_object_object_add(d, "remotes", json_object_get(b->remotes));
	b->p->doc = strdup(json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN));
	json_object_put(d);
}

int fleet_plan(const struct fleet_spec *s, const char *host, fleet_if_exists ifx,
               struct fleet_plan *p)
{
	struct index x;
	struct build b = {.x = &x, .host = host, .p = p};
	struct json_object *own = NULL, *mine = NULL, *served = json_object_new_object();
	char hkey[FLEET_KEY_MAX];

	memset(p, 0, sizeof(*p));
	p->errors.o = json_object_new_object();
	p->pending.o = json_object_new_object();
	p->src = json_object_new_object();
	index_build(s, &x);
	b.vports = json_object_new_array();
	b.fdb = json_object_new_array();
	b.flood = json_object_new_array();
	b.peers = json_object_new_array();
	b.remotes = json_object_new_array();
	b.src = p->src;
	b.members = json_object_new_object();
	b.gue = json_object_new_object();
	b.no_gue = json_object_new_object();
	snprintf(hkey, sizeof(hkey), "host/%s", host);
	if (json_object_object_get_ex(x.hosts, host, &own)) {
		json_object_object_get_ex(own, "attachment", &b.att);
		gue_hosts(&b);
	}
	/* Vports of every context, this host's among them. */
	json_object_object_foreach(x.vports, ctx, byhost)
	{
		if (!json_object_object_get_ex(byhost, host, &mine))
			continue;
		if (!own) {
			fleet_msg(&p->pending, hkey, "no valid spec/host/%s: nothing is installed",
			          host);
			break;
		}
		json_object_object_add(served, ctx, json_object_new_boolean(1));
		serve(&b, ctx, mine, ifx);
	}
	plan_remotes(&b);
	json_object_object_foreach(s->bad.o, bk, why)
	{
		if (concerns(&b, bk, served))
			json_object_object_add(p->errors.o, bk, json_object_get(why));
	}
	json_object_object_foreach(s->excl.o, ek, ewhy)
	    json_object_object_add(p->errors.o, ek, json_object_get(ewhy));
	/* A bad own key without a valid value: nothing may change (see fleet.h). */
	if (own || !json_object_object_get_ex(s->bad.o, hkey, NULL))
		plan_doc(&b, own);
	json_object_put(b.vports);
	json_object_put(b.fdb);
	json_object_put(b.flood);
	json_object_put(b.peers);
	json_object_put(b.remotes);
	json_object_put(b.members);
	json_object_put(b.gue);
	json_object_put(b.no_gue);
	json_object_put(served);
	index_free(&x);
	return p->doc ? 0 : -1;
}

void fleet_plan_free(struct fleet_plan *p)
{
	free(p->doc);
	json_object_put(p->errors.o);
	json_object_put(p->pending.o);
	json_object_put(p->src);
	memset(p, 0, sizeof(*p));
}

const char *fleet_plan_source(const struct fleet_plan *p, const char *path)
{
	static const char *const lists[] = {"vports", "fdb", "flood", "peers", "remotes"};
	struct json_object *arr;
	unsigned long i;
	char name[8];

	for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
		int n = 0;

		if (sscanf(path, "$.%7[a-z][%lu]%n", name, &i, &n) != 2 || !n ||
		    strcmp(name, lists[l]))
			continue;
		if (json_object_object_get_ex(p->src, name, &arr) &&
		    i < json_object_array_length(arr))
			return json_object_get_string(json_object_array_get_idx(arr, i));
	}
	return NULL;
}

int fleet_plan_accepted(struct fleet_spec *s, const char *host, fleet_if_exists ifx,
                        fleet_check check, void *arg, struct fleet_plan *p, char *why, size_t wlen)
{
	json_object_put(s->excl.o);
	s->excl.o = json_object_new_object();
	for (int tries = 0; tries < 8; tries++) {
		const struct ap_errs *errs;
		bool all = true;

		fleet_plan_free(p);
		if (fleet_plan(s, host, ifx, p)) {
			snprintf(why, wlen, "the host's own key is not valid: nothing changed");
			return -1;
		}
		errs = check(arg, p->doc);
		if (!errs)
			return 0;
		for (size_t i = 0; i < errs->n; i++) {
			const char *key = fleet_plan_source(p, errs->msg[i]);
			const char *m = strstr(errs->msg[i], ": ");

			if (key)
				fleet_msg(&s->excl, key, "%s", m ? m + 2 : errs->msg[i]);
			else if (all) {
				snprintf(why, wlen, "%s", errs->msg[i]);
				all = false;
			}
		}
		if (!all)
			return -1;
	}
	snprintf(why, wlen, "the plan was still refused after leaving out %d keys",
	         json_object_object_length(s->excl.o));
	return -1;
}

const struct ap_errs *fleet_check_parse(void *arg, const char *doc)
{
	struct ap_errs *errs = arg;
	struct ap_doc d;

	ap_errs_free(errs);
	memset(errs, 0, sizeof(*errs));
	ap_parse(doc, strlen(doc), &d, errs);
	ap_doc_free(&d);
	return errs->n ? errs : NULL;
}

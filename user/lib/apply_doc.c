// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The desired-state document (docs/API.md): parse, validate, print. Pure: no system calls
 * besides memory, so that tests/fuzz/fuzz_apply.c can drive it. Every error is collected
 * (JSON path and reason) and the document is rejected whole if there is any.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "apply.h"
#include "encap.h"
#include "mac.h"
#include "stt_proto.h"

#define PATH_LEN 96

void ap_err(struct ap_errs *e, const char *path, const char *fmt, ...)
{
	char buf[640];
	va_list ap;
	int n;

	n = snprintf(buf, sizeof(buf), "%s: ", path);
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 16;
		char **m = realloc(e->msg, cap * sizeof(*m));

		if (!m)
			return;
		e->msg = m;
		e->cap = cap;
	}
	e->msg[e->n] = strdup(buf);
	if (e->msg[e->n])
		e->n++;
}

void ap_errs_free(struct ap_errs *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->msg[i]);
	free(e->msg);
	memset(e, 0, sizeof(*e));
}

void ap_doc_free(struct ap_doc *doc)
{
	free(doc->vports);
	free(doc->fdb);
	free(doc->flood);
	free(doc->peers);
	free(doc->remotes);
	memset(doc, 0, sizeof(*doc));
}

/* ---- scalar parsers (strict: exactly the canonical spellings) ---- */

/* A string of decimal digits, no sign, no leading zero, at most 2^64-1. */
static int parse_ctx_str(const char *s, __u64 *out)
{
	__u64 v = 0;

	if (!*s || (s[0] == '0' && s[1]))
		return -1;
	for (; *s; s++) {
		unsigned int d;

		if (*s < '0' || *s > '9')
			return -1;
		d = *s - '0';
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* Dotted quad, no leading zeros (inet_pton's own rules; it touches no system state). */
static int parse_ip_str(const char *s, __be32 *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*out = a.s_addr;
	return 0;
}

/* An interface name the kernel would take: 1..15 bytes, no '/', ':' or white space. */
static bool ifname_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= IF_NAMESIZE || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || (unsigned char)*s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

/* ---- JSON helpers ---- */

struct ctx {
	struct ap_errs *errs;
};

/* Quote a short string value for an error message (control bytes escaped, long ones cut). */
static const char *quote(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	buf[o++] = '"';
	for (; *s && o + 8 < len; s++) {
		unsigned char c = *s;

		if (c < ' ' || c == '"' || c == '\\' || c >= 0x7f)
			o += snprintf(buf + o, len - o, "\\x%02x", c);
		else
			buf[o++] = c;
	}
	if (*s)
		o += snprintf(buf + o, len - o, "...");
	snprintf(buf + o, len - o, "\"");
	return buf;
}

static const char *type_name(struct json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "a boolean";
	case json_type_double:
		return "a non-integer number";
	case json_type_int:
		return "a number";
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	case json_type_string:
		return "a string";
	}
	return "?";
}

/* Report keys of obj that are not in allowed (NULL-terminated). */
static void check_keys(struct ctx *c, struct json_object *obj, const char *path,
                       const char *const *allowed)
{
	json_object_object_foreach(obj, key, val)
	{
		bool ok = false;
		char p[PATH_LEN + 64], q[48];

		(void)val;
		for (const char *const *a = allowed; *a; a++)
			if (!strcmp(key, *a))
				ok = true;
		if (!ok) {
			bool plain = *key != 0;

			for (const char *k = key; *k; k++)
				plain &= (*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
				         (*k >= '0' && *k <= '9') || *k == '_';
			snprintf(p, sizeof(p), "%s.%s", path,
			         plain ? key : quote(key, q, sizeof(q)));
			ap_err(c->errs, p, "unknown key");
		}
	}
}

static void sub(char *out, size_t len, const char *path, const char *key)
{
	if (snprintf(out, len, "%s.%s", path, key) >= (int)len)
		out[len - 1] = 0; /* paths are short: cannot happen */
}

/* Required or optional member; *present says whether it was there. */
static struct json_object *member(struct ctx *c, struct json_object *obj, const char *path,
                                  const char *key, bool required)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(obj, key, &v)) {
		if (required) {
			char p[PATH_LEN];

			sub(p, sizeof(p), path, key);
			ap_err(c->errs, p, "missing (required)");
		}
		return NULL;
	}
	return v;
}

static int get_string(struct ctx *c, struct json_object *v, const char *path, const char **out)
{
	if (!json_object_is_type(v, json_type_string)) {
		ap_err(c->errs, path, "expected a string, got %s", type_name(v));
		return -1;
	}
	*out = json_object_get_string(v);
	if (strlen(*out) != (size_t)json_object_get_string_len(v)) {
		ap_err(c->errs, path, "string contains a NUL byte");
		return -1;
	}
	return 0;
}

static int get_int(struct ctx *c, struct json_object *v, const char *path, long min, long max,
                   long *out)
{
	int64_t x;

	if (!json_object_is_type(v, json_type_int)) {
		ap_err(c->errs, path, "expected an integer %ld .. %ld, got %s", min, max,
		       type_name(v));
		return -1;
	}
	errno = 0;
	x = json_object_get_int64(v);
	/* json-c keeps values above INT64_MAX as unsigned: get_int64 clamps them. */
	if (x < min || x > max || (x == INT64_MAX && json_object_get_uint64(v) != INT64_MAX)) {
		ap_err(c->errs, path, "%s is out of range %ld .. %ld",
		       json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN), min, max);
		return -1;
	}
	*out = x;
	return 0;
}

static int get_bool(struct ctx *c, struct json_object *v, const char *path, bool *out)
{
	if (!json_object_is_type(v, json_type_boolean)) {
		ap_err(c->errs, path, "expected true or false, got %s", type_name(v));
		return -1;
	}
	*out = json_object_get_boolean(v);
	return 0;
}

static int get_context(struct ctx *c, struct json_object *v, const char *path, __u64 *out)
{
	const char *s;
	char q[48];

	if (!json_object_is_type(v, json_type_string)) {
		ap_err(c->errs, path,
		       "expected a context ID as a string of decimal digits (\"0\" .. "
		       "\"18446744073709551615\"), got %s",
		       type_name(v));
		return -1;
	}
	if (get_string(c, v, path, &s))
		return -1;
	if (parse_ctx_str(s, out)) {
		ap_err(c->errs, path,
		       "%s is not a context ID: expected decimal digits without sign or leading "
		       "zero, 0 .. 18446744073709551615",
		       quote(s, q, sizeof(q)));
		return -1;
	}
	return 0;
}

static int get_ipv4(struct ctx *c, struct json_object *v, const char *path, bool remote,
                    __be32 *out)
{
	const char *s;
	char q[48];
	__u32 h;

	if (get_string(c, v, path, &s))
		return -1;
	if (parse_ip_str(s, out)) {
		struct in6_addr a6;

		ap_err(c->errs, path, "%s is not an IPv4 address (dotted quad)%s",
		       quote(s, q, sizeof(q)),
		       !remote && inet_pton(AF_INET6, s, &a6) == 1
		           ? ": an IPv6 local address goes in \"local6\""
		           : "");
		return -1;
	}
	h = ntohl(*out);
	if (h == 0 || h == 0xffffffff || (h >> 28) == 0xe || (h >> 24) == 127) {
		ap_err(c->errs, path,
		       "%s cannot be %s endpoint (unspecified, broadcast, multicast "
		       "or loopback)",
		       s, remote ? "a remote" : "the local");
		return -1;
	}
	return 0;
}

/*
 * A remote (IPv4 or IPv6), or the IPv6 local address (local6: IPv6 only). Besides what
 * raddr_parse refuses: IPv4 broadcast and loopback, and multicast groups of both families
 * unless group (a flood target: one copy to the group, as `fdb add ff:ff:ff:ff:ff:ff`).
 */
static int get_addr(struct ctx *c, struct json_object *v, const char *path, bool local6, bool group,
                    struct stt_addr6 *out)
{
	const char *s, *why;
	char q[48];

	if (get_string(c, v, path, &s))
		return -1;
	why = raddr_parse(s, out);
	if (why && !strcmp(why, "not an IPv4 or IPv6 address")) {
		ap_err(c->errs, path, "%s is not an %s address", quote(s, q, sizeof(q)),
		       local6 ? "IPv6" : "IPv4 or IPv6");
		return -1;
	}
	if (!why && local6 && raddr_is4(out))
		why = "an IPv4 address: it goes in \"local\"";
	if (!why && raddr_is4(out)) {
		__u32 h = ntohl(out->a[3]);

		if (h == 0xffffffff || (h >> 24) == 127)
			why = "broadcast or loopback";
	}
	if (!why && !group && raddr_is_mcast(out))
		why = "a multicast group";
	if (why) {
		ap_err(c->errs, path, "%s cannot be %s endpoint: %s", quote(s, q, sizeof(q)),
		       local6 ? "the local" : "a remote", why);
		return -1;
	}
	return 0;
}

static int get_mac(struct ctx *c, struct json_object *v, const char *path, __u8 mac[6])
{
	const char *s;
	char q[48];

	if (get_string(c, v, path, &s))
		return -1;
	if (mac_parse(s, mac)) {
		ap_err(c->errs, path, "%s is not a MAC address (xx:xx:xx:xx:xx:xx)",
		       quote(s, q, sizeof(q)));
		return -1;
	}
	return 0;
}

static int get_ifname(struct ctx *c, struct json_object *v, const char *path, char out[IF_NAMESIZE])
{
	const char *s;
	char q[48];

	if (get_string(c, v, path, &s))
		return -1;
	if (!ifname_ok(s)) {
		ap_err(c->errs, path,
		       "%s is not a valid interface name (1 .. 15 bytes, no '/', ':' "
		       "or white space)",
		       quote(s, q, sizeof(q)));
		return -1;
	}
	snprintf(out, IF_NAMESIZE, "%s", s);
	return 0;
}

static int get_peers_mode(struct ctx *c, struct json_object *v, const char *path, bool *strict)
{
	const char *s;
	char q[48];

	if (get_string(c, v, path, &s))
		return -1;
	if (!strcmp(s, "open"))
		*strict = false;
	else if (!strcmp(s, "strict"))
		*strict = true;
	else {
		ap_err(c->errs, path, "%s: expected \"open\" or \"strict\"",
		       quote(s, q, sizeof(q)));
		return -1;
	}
	return 0;
}

static struct json_object *get_array(struct ctx *c, struct json_object *root, const char *key)
{
	struct json_object *v = member(c, root, "$", key, false);
	char p[PATH_LEN];

	if (!v)
		return NULL;
	if (!json_object_is_type(v, json_type_array)) {
		sub(p, sizeof(p), "$", key);
		ap_err(c->errs, p, "expected an array, got %s", type_name(v));
		return NULL;
	}
	return v;
}

/* "encap": "stt" or "gue" (the default for remotes, or a remote's own). */
static int get_encap(struct ctx *c, struct json_object *v, const char *path, bool *gue)
{
	const char *s;
	char q[48];

	if (get_string(c, v, path, &s))
		return -1;
	if (strcmp(s, "stt") && strcmp(s, "gue")) {
		ap_err(c->errs, path, "%s: expected \"stt\" or \"gue\"", quote(s, q, sizeof(q)));
		return -1;
	}
	*gue = !strcmp(s, "gue");
	return 0;
}

/* ---- sections ---- */

/* "gue_port" (0: GUE off; not the STT port) and "encap" of the attachment. */
static void attachment_gue(struct ctx *c, struct json_object *o, const char *path,
                           struct ap_attach *a)
{
	struct json_object *v;
	char p[PATH_LEN];
	long n;

	if ((v = member(c, o, path, "gue_port", false))) {
		sub(p, sizeof(p), path, "gue_port");
		if (!get_int(c, v, p, 0, 65535, &n)) {
			a->gue_port = n;
			if (n && n == a->port)
				ap_err(c->errs, p,
				       "%ld is the STT port too (give GUE its own port)", n);
		}
	}
	if ((v = member(c, o, path, "encap", false)))
		sub(p, sizeof(p), path, "encap"), get_encap(c, v, p, &a->gue);
}

static void parse_attachment(struct ctx *c, struct json_object *o, struct ap_doc *doc)
{
	static const char *const keys[] = {"device", "local", "local6",   "port",  "ttl", "xdp",
	                                   "dscp",   "peers", "gue_port", "encap", NULL};
	struct ap_attach *a = &doc->att;
	struct json_object *v;
	const char *path = "$.attachment";
	char p[PATH_LEN];
	long n;

	if (json_object_is_type(o, json_type_null))
		return;
	if (!json_object_is_type(o, json_type_object)) {
		ap_err(c->errs, path, "expected an object or null, got %s", type_name(o));
		return;
	}
	doc->have_attach = true;
	a->port = STT_DEFAULT_PORT;
	a->ttl = 64;
	a->xdp = AP_XDP_AUTO;
	a->dscp = STT_DSCP_INHERIT;
	a->gue_port = STT_GUE_DEFAULT_PORT;
	check_keys(c, o, path, keys);
	if ((v = member(c, o, path, "device", true)))
		sub(p, sizeof(p), path, "device"), get_ifname(c, v, p, a->device);
	if ((v = member(c, o, path, "local", false))) {
		sub(p, sizeof(p), path, "local");
		a->have_local = get_ipv4(c, v, p, false, &a->local4) == 0;
	}
	if ((v = member(c, o, path, "local6", false))) {
		sub(p, sizeof(p), path, "local6");
		a->have_local6 = get_addr(c, v, p, true, false, &a->local6) == 0;
	}
	if ((v = member(c, o, path, "port", false))) {
		sub(p, sizeof(p), path, "port");
		if (!get_int(c, v, p, 1, 65535, &n))
			a->port = n;
	}
	if ((v = member(c, o, path, "ttl", false))) {
		sub(p, sizeof(p), path, "ttl");
		if (!get_int(c, v, p, 1, 255, &n))
			a->ttl = n;
	}
	if ((v = member(c, o, path, "xdp", false))) {
		sub(p, sizeof(p), path, "xdp");
		if (json_object_is_type(v, json_type_string) &&
		    !strcmp(json_object_get_string(v), "auto"))
			a->xdp = AP_XDP_AUTO;
		else if (json_object_is_type(v, json_type_boolean))
			a->xdp = json_object_get_boolean(v) ? AP_XDP_ON : AP_XDP_OFF;
		else
			ap_err(c->errs, p, "expected true, false or \"auto\"");
	}
	if ((v = member(c, o, path, "dscp", false))) {
		sub(p, sizeof(p), path, "dscp");
		if (json_object_is_type(v, json_type_string) &&
		    !strcmp(json_object_get_string(v), "inherit"))
			a->dscp = STT_DSCP_INHERIT;
		else if (json_object_is_type(v, json_type_int)) {
			if (!get_int(c, v, p, 0, 63, &n))
				a->dscp = STT_DSCP_FIXED(n);
		} else
			ap_err(c->errs, p, "expected \"inherit\" or an integer 0 .. 63");
	}
	if ((v = member(c, o, path, "peers", false)))
		sub(p, sizeof(p), path, "peers"), get_peers_mode(c, v, p, &a->strict);
	attachment_gue(c, o, path, a);
}

/* "learn": null (off) or {"cap": N, "age": SECONDS}, both optional (vport add's defaults). */
static int parse_learn(struct ctx *c, struct json_object *o, const char *path, struct ap_vport *vp)
{
	static const char *const keys[] = {"cap", "age", NULL};
	struct json_object *v;
	char p[PATH_LEN];
	int bad = 0;
	long n;

	if (json_object_is_type(o, json_type_null))
		return 0;
	if (!json_object_is_type(o, json_type_object)) {
		ap_err(c->errs, path,
		       "expected an object ({\"cap\": N, \"age\": SECONDS}) or null, got %s",
		       type_name(o));
		return -1;
	}
	vp->learn = true;
	vp->learn_cap = STT_LEARN_CAP_DEFAULT;
	vp->learn_age = STT_LEARN_AGE_DEFAULT;
	check_keys(c, o, path, keys);
	if ((v = member(c, o, path, "cap", false))) {
		sub(p, sizeof(p), path, "cap");
		if (get_int(c, v, p, 1, AP_LEARN_CAP_MAX, &n))
			bad = -1;
		else
			vp->learn_cap = n;
	}
	if ((v = member(c, o, path, "age", false))) {
		sub(p, sizeof(p), path, "age");
		if (get_int(c, v, p, 1, AP_LEARN_AGE_MAX, &n))
			bad = -1;
		else
			vp->learn_age = n;
	}
	return bad;
}

/* An (ifname, vlan) of $.vports, vlan 0 for a plain vport. */
struct port_name {
	char name[IF_NAMESIZE];
	__u16 vid;
};

/* "ifname" of a vport: given, valid and not the underlay device. */
static bool vport_ifname(struct ctx *c, struct json_object *o, const char *path,
                         const struct ap_doc *doc, struct ap_vport *vp)
{
	struct json_object *v = member(c, o, path, "ifname", true);
	char p[PATH_LEN];

	if (!v)
		return false;
	sub(p, sizeof(p), path, "ifname");
	if (get_ifname(c, v, p, vp->ifname))
		return false;
	if (doc->have_attach && !strcmp(doc->att.device, vp->ifname)) {
		ap_err(c->errs, p, "%s is the underlay device, it cannot be a vport", vp->ifname);
		return false; /* the name is valid: *name_ok stays */
	}
	return true;
}

/* "vlan" of a vport (1 .. 4094; not with xdp); *vid_ok: the number itself is valid. */
static bool vport_vlan(struct ctx *c, struct json_object *v, const char *path, struct ap_vport *vp,
                       bool *vid_ok)
{
	char p[PATH_LEN];
	long vid;

	sub(p, sizeof(p), path, "vlan");
	if (get_int(c, v, p, 1, AP_VLAN_MAX, &vid)) {
		*vid_ok = false;
		return false;
	}
	vp->vid = vid;
	if (vp->xdp) {
		ap_err(c->errs, p,
		       "a VLAN vport cannot have \"xdp\": true (the tag is put back by TC)");
		return false;
	}
	return true;
}

/* The members of one vport object into vp; whether they are all valid. */
static bool vport_members(struct ctx *c, struct json_object *o, const char *path,
                          const struct ap_doc *doc, struct ap_vport *vp, bool *name_ok,
                          bool *vid_ok)
{
	struct json_object *v;
	char p[PATH_LEN];
	bool ok = vport_ifname(c, o, path, doc, vp);

	*name_ok = vp->ifname[0] != 0;
	if ((v = member(c, o, path, "context", true)))
		sub(p, sizeof(p), path, "context"), ok &= !get_context(c, v, p, &vp->context);
	else
		ok = false;
	if ((v = member(c, o, path, "xdp", false)))
		sub(p, sizeof(p), path, "xdp"), get_bool(c, v, p, &vp->xdp);
	if ((v = member(c, o, path, "peers", false)))
		sub(p, sizeof(p), path, "peers"), get_peers_mode(c, v, p, &vp->strict);
	if ((v = member(c, o, path, "learn", false))) {
		sub(p, sizeof(p), path, "learn");
		ok &= !parse_learn(c, v, p, vp);
	}
	if ((v = member(c, o, path, "vlan", false)))
		ok &= vport_vlan(c, v, path, vp, vid_ok);
	return ok;
}

/* One plain vport per interface, and one vport per VLAN of it: false if vp repeats one. */
static bool vport_name_once(struct ctx *c, struct port_name *names, size_t *nnames,
                            const struct ap_vport *vp, const char *path)
{
	char p[PATH_LEN];
	bool ok = true;

	for (size_t j = 0; j < *nnames; j++) {
		if (strcmp(names[j].name, vp->ifname) || names[j].vid != vp->vid)
			continue;
		if (vp->vid) {
			sub(p, sizeof(p), path, "vlan");
			ap_err(c->errs, p, "%s VLAN %u is a vport twice", vp->ifname, vp->vid);
		} else {
			sub(p, sizeof(p), path, "ifname");
			ap_err(c->errs, p, "%s is a vport twice", vp->ifname);
		}
		ok = false;
		break;
	}
	memcpy(names[*nnames].name, vp->ifname, IF_NAMESIZE);
	names[(*nnames)++].vid = vp->vid;
	return ok;
}

/* One vport per context: false if vp's context has one in doc already. */
static bool vport_context_once(struct ctx *c, const struct ap_doc *doc, const struct ap_vport *vp,
                               const char *path)
{
	char p[PATH_LEN];

	for (size_t j = 0; j < doc->nvports; j++) {
		if (doc->vports[j].context == vp->context) {
			sub(p, sizeof(p), path, "context");
			ap_err(c->errs, p, "context %llu has two vports (one per context)",
			       (unsigned long long)vp->context);
			return false;
		}
	}
	return true;
}

static void parse_vports(struct ctx *c, struct json_object *arr, struct ap_doc *doc)
{
	static const char *const keys[] = {"ifname", "context", "xdp", "peers",
	                                   "learn",  "vlan",    NULL};
	size_t n = json_object_array_length(arr), nnames = 0;
	/* Every (ifname, vlan) seen so far. */
	struct port_name *names = calloc(n ? n : 1, sizeof(*names));

	doc->vports = calloc(n ? n : 1, sizeof(*doc->vports));
	if (!doc->vports || !names) {
		free(names);
		ap_err(c->errs, "$.vports", "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		struct ap_vport vp = {.pos = i};
		char path[PATH_LEN];
		bool ok, name_ok, vid_ok = true;

		snprintf(path, sizeof(path), "$.vports[%zu]", i);
		if (!json_object_is_type(o, json_type_object)) {
			ap_err(c->errs, path, "expected an object, got %s", type_name(o));
			continue;
		}
		check_keys(c, o, path, keys);
		ok = vport_members(c, o, path, doc, &vp, &name_ok, &vid_ok);
		if (name_ok && vid_ok)
			ok &= vport_name_once(c, names, &nnames, &vp, path);
		if (ok && vport_context_once(c, doc, &vp, path))
			doc->vports[doc->nvports++] = vp;
	}
	free(names);
	if (n > STT_MAX_VPORTS)
		ap_err(c->errs, "$.vports", "%zu vports, at most %d", n, STT_MAX_VPORTS);
}

static void parse_fdb(struct ctx *c, struct json_object *arr, struct ap_doc *doc)
{
	static const char *const keys[] = {"context", "mac", "remote", NULL};
	size_t n = json_object_array_length(arr);

	doc->fdb = calloc(n ? n : 1, sizeof(*doc->fdb));
	if (!doc->fdb) {
		ap_err(c->errs, "$.fdb", "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i), *v;
		struct ap_fdb e = {.pos = i};
		char path[PATH_LEN], p[PATH_LEN];
		bool ok = true;

		snprintf(path, sizeof(path), "$.fdb[%zu]", i);
		if (!json_object_is_type(o, json_type_object)) {
			ap_err(c->errs, path, "expected an object, got %s", type_name(o));
			continue;
		}
		check_keys(c, o, path, keys);
		if ((v = member(c, o, path, "context", true)))
			sub(p, sizeof(p), path, "context"), ok &= !get_context(c, v, p, &e.context);
		else
			ok = false;
		if ((v = member(c, o, path, "mac", true))) {
			sub(p, sizeof(p), path, "mac");
			if (get_mac(c, v, p, e.mac))
				ok = false;
			else if (e.mac[0] & 1) {
				ap_err(c->errs, p,
				       "%s is a broadcast or multicast MAC: frames to it are "
				       "flooded (list the remote under $.flood)",
				       json_object_get_string(v));
				ok = false;
			}
		} else
			ok = false;
		if ((v = member(c, o, path, "remote", true)))
			sub(p, sizeof(p), path, "remote"),
			    ok &= !get_addr(c, v, p, false, false, &e.remote);
		else
			ok = false;
		if (ok)
			doc->fdb[doc->nfdb++] = e;
	}
	if (n > STT_MAX_FDB)
		ap_err(c->errs, "$.fdb", "%zu entries, at most %d", n, STT_MAX_FDB);
}

/* A list of {context, remotes: [...]}: flood lists (max 16 remotes) or peers. */
/* A list of $.flood or $.peers being read: the entry, and the peers' running totals. */
struct list_entry {
	bool flood, ok, too_many;
	const char *name; /* "flood" or "peers" */
	const char *path; /* $.flood[i] */
	struct ap_flood fl;
	size_t total;
};

/* "context" and "remotes" (an array, not empty, not too long) of one entry. */
static struct json_object *list_members(struct ctx *c, struct json_object *o, struct list_entry *e,
                                        struct json_object **ctxv, size_t *nr)
{
	struct json_object *rl;
	char p[PATH_LEN];

	if ((*ctxv = member(c, o, e->path, "context", true)))
		sub(p, sizeof(p), e->path, "context"),
		    e->ok &= !get_context(c, *ctxv, p, &e->fl.context);
	else
		e->ok = false;
	sub(p, sizeof(p), e->path, "remotes");
	rl = member(c, o, e->path, "remotes", true);
	if (!rl) {
		e->ok = false;
		return NULL;
	}
	if (!json_object_is_type(rl, json_type_array)) {
		ap_err(c->errs, p, "expected an array, got %s", type_name(rl));
		e->ok = false;
		return NULL;
	}
	*nr = json_object_array_length(rl);
	if (!*nr) {
		ap_err(c->errs, p, "empty (leave the context out instead)");
		e->ok = false;
	} else if (e->flood && *nr > STT_MAX_FLOOD) {
		ap_err(c->errs, p, "%zu flood remotes, at most %d per context", *nr, STT_MAX_FLOOD);
		e->ok = false;
	}
	return rl;
}

/* A context listed before in the same list: said, and the entry refused. */
static void list_context_once(struct ctx *c, const struct ap_doc *doc, struct list_entry *e)
{
	char p[PATH_LEN];
	bool dup = false;

	if (e->flood) {
		for (size_t j = 0; j < doc->nflood && !dup; j++)
			dup = doc->flood[j].context == e->fl.context;
	} else {
		for (size_t j = 0; j < doc->npeers && !dup; j++)
			dup = doc->peers[j].context == e->fl.context;
	}
	if (dup) {
		sub(p, sizeof(p), e->path, "context");
		ap_err(c->errs, p, "context %llu is listed twice in $.%s",
		       (unsigned long long)e->fl.context, e->name);
		e->ok = false;
	}
}

/* Whether a is listed before in this entry (flood) or for this context (peers). */
static bool list_remote_dup(const struct ap_doc *doc, const struct list_entry *e,
                            const struct stt_addr6 *a)
{
	bool dup = false;

	for (size_t k = 0; k < e->fl.count && e->flood; k++)
		dup |= raddr_eq(&e->fl.remote[k], a);
	if (!e->flood)
		for (size_t k = doc->npeers; k-- > 0 && doc->peers[k].context == e->fl.context;)
			dup |= raddr_eq(&doc->peers[k].remote, a);
	return dup;
}

/* Remote r of the entry (rl its array): checked, then kept. -1: out of memory. */
static int list_remote(struct ctx *c, struct ap_doc *doc, struct list_entry *e,
                       struct json_object *rl, size_t r)
{
	char rp[PATH_LEN + 40], f0[REMOTE_STRLEN];
	struct stt_addr6 a;
	struct ap_peer *np;

	snprintf(rp, sizeof(rp), "%s.remotes[%zu]", e->path, r);
	if (get_addr(c, json_object_array_get_idx(rl, r), rp, false, e->flood, &a))
		return e->ok = false, 0;
	if (list_remote_dup(doc, e, &a)) {
		ap_err(c->errs, rp, "remote listed twice");
		return e->ok = false, 0;
	}
	/* The datapath sends every copy in the first target's family. */
	if (e->flood && e->fl.count && !raddr_same_family(&e->fl.remote[0], &a)) {
		raddr_fmt(&e->fl.remote[0], f0, sizeof(f0));
		ap_err(c->errs, rp,
		       "%s is %s, but the list's first remote %s is %s (a flood list is one "
		       "family)",
		       json_object_get_string(json_object_array_get_idx(rl, r)),
		       raddr_is4(&a) ? "IPv4" : "IPv6", f0,
		       raddr_is4(&e->fl.remote[0]) ? "IPv4" : "IPv6");
		return e->ok = false, 0;
	}
	if (e->flood) {
		if (r < STT_MAX_FLOOD)
			e->fl.remote[e->fl.count++] = a;
		return 0;
	}
	if (!e->ok)
		return 0;
	if (e->total >= STT_MAX_PEERS)
		return e->too_many = true, e->ok = false, 0;
	np = realloc(doc->peers, (doc->npeers + 1) * sizeof(*np));
	if (!np) {
		ap_err(c->errs, rp, "out of memory");
		return -1;
	}
	doc->peers = np;
	doc->peers[doc->npeers++] = (struct ap_peer){e->fl.context, a};
	e->total++;
	return 0;
}

/* One entry of the list: 0, or -1 when out of memory. */
static int list_entry(struct ctx *c, struct json_object *o, struct ap_doc *doc,
                      struct list_entry *e)
{
	static const char *const keys[] = {"context", "remotes", NULL};
	struct json_object *v, *rl;
	size_t nr = 0;

	check_keys(c, o, e->path, keys);
	rl = list_members(c, o, e, &v, &nr);
	/* Duplicate contexts. */
	if (e->ok || (v && json_object_is_type(v, json_type_string) &&
	              !parse_ctx_str(json_object_get_string(v), &e->fl.context)))
		list_context_once(c, doc, e);
	for (size_t r = 0; rl && r < nr; r++)
		if (list_remote(c, doc, e, rl, r))
			return -1;
	if (e->ok && e->flood)
		doc->flood[doc->nflood++] = e->fl;
	else if (!e->ok && !e->flood)
		/* Take back what this entry added: the document is rejected anyway. */
		while (doc->npeers && doc->peers[doc->npeers - 1].context == e->fl.context)
			doc->npeers--;
	return 0;
}

static void parse_lists(struct ctx *c, struct json_object *arr, struct ap_doc *doc, bool flood)
{
	const char *name = flood ? "flood" : "peers";
	size_t n = json_object_array_length(arr), total = 0;
	bool too_many = false;

	if (flood)
		doc->flood = calloc(n ? n : 1, sizeof(*doc->flood));
	if (flood && !doc->flood) {
		ap_err(c->errs, "$.flood", "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		char path[PATH_LEN];
		struct list_entry e = {.flood = flood,
		                       .ok = true,
		                       .name = name,
		                       .path = path,
		                       .total = total,
		                       .fl = {.pos = i}};

		snprintf(path, sizeof(path), "$.%s[%zu]", name, i);
		if (!json_object_is_type(o, json_type_object)) {
			ap_err(c->errs, path, "expected an object, got %s", type_name(o));
			continue;
		}
		if (list_entry(c, o, doc, &e))
			return;
		total = e.total;
		too_many |= e.too_many;
	}
	if (!flood && too_many)
		ap_err(c->errs, "$.peers", "more than %d (context, remote) pairs", STT_MAX_PEERS);
	if (flood && n > STT_MAX_FLOOD_CTX)
		ap_err(c->errs, "$.flood", "%zu flood lists, at most %d", n, STT_MAX_FLOOD_CTX);
}

/* "cookie" of a remote: 16 hex digits, true (keep the installed one) or false (none). */
static int remote_cookie(struct ctx *c, struct json_object *v, const char *path,
                         struct ap_remote *r)
{
	const char *s;

	if (json_object_is_type(v, json_type_boolean)) {
		r->cookie = json_object_get_boolean(v) ? AP_COOKIE_KEEP : AP_COOKIE_NONE;
		return 0;
	}
	if (!json_object_is_type(v, json_type_string)) {
		ap_err(c->errs, path,
		       "expected a cookie (16 hex digits), true (keep the installed one) or "
		       "false, got %s",
		       type_name(v));
		return -1;
	}
	if (get_string(c, v, path, &s))
		return -1;
	/* A secret: never echoed, not even a wrong one. */
	if (cookie_parse(s, r->cookie_val)) {
		ap_err(c->errs, path,
		       "not a cookie: expected exactly %d hex digits (64 bits), got %zu characters",
		       STT_COOKIE_HEX, strlen(s));
		return -1;
	}
	r->cookie = AP_COOKIE_SET;
	return 0;
}

/*
 * One entry of $.remotes: {"address": ADDR, "encap": "stt"|"gue", "cookie": ...,
 * "udp6_zero_csum": BOOL}. Where udp6_zero_csum may be true is encap.c's rule (ap_gue_check).
 */
static bool remote_entry(struct ctx *c, struct json_object *o, const char *path,
                         struct ap_remote *r)
{
	static const char *const keys[] = {"address", "encap", "cookie", "udp6_zero_csum", NULL};
	struct json_object *v;
	char p[PATH_LEN];
	bool ok = true, gue = false;

	check_keys(c, o, path, keys);
	if ((v = member(c, o, path, "address", true)))
		sub(p, sizeof(p), path, "address"),
		    ok &= !get_addr(c, v, p, false, false, &r->address);
	else
		ok = false;
	if ((v = member(c, o, path, "encap", true)))
		sub(p, sizeof(p), path, "encap"), ok &= !get_encap(c, v, p, &gue);
	else
		ok = false;
	r->encap = gue ? STT_ENCAP_GUE : STT_ENCAP_STT;
	if ((v = member(c, o, path, "cookie", false))) {
		sub(p, sizeof(p), path, "cookie");
		if (remote_cookie(c, v, p, r))
			ok = false;
		else if (r->cookie != AP_COOKIE_NONE && !gue && ok) {
			ap_err(c->errs, p,
			       "a cookie needs \"encap\": \"gue\" (Linux's GUE drops packets "
			       "that carry one, and STT has no place for it)");
			ok = false;
		}
	}
	if ((v = member(c, o, path, "udp6_zero_csum", false)))
		sub(p, sizeof(p), path, "udp6_zero_csum"),
		    ok &= !get_bool(c, v, p, &r->udp6_zero_csum);
	return ok;
}

static void parse_remotes(struct ctx *c, struct json_object *arr, struct ap_doc *doc)
{
	size_t n = json_object_array_length(arr);

	doc->remotes = calloc(n ? n : 1, sizeof(*doc->remotes));
	if (!doc->remotes) {
		ap_err(c->errs, "$.remotes", "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		struct ap_remote r = {.pos = i};
		char path[PATH_LEN];

		snprintf(path, sizeof(path), "$.remotes[%zu]", i);
		if (!json_object_is_type(o, json_type_object)) {
			ap_err(c->errs, path, "expected an object, got %s", type_name(o));
			continue;
		}
		if (remote_entry(c, o, path, &r))
			doc->remotes[doc->nremotes++] = r;
	}
	if (n > STT_MAX_REMOTE_CFG)
		ap_err(c->errs, "$.remotes", "%zu remotes, at most %d", n, STT_MAX_REMOTE_CFG);
}

int ap_remote_cmp(const void *a, const void *b)
{
	return raddr_cmp(&((const struct ap_remote *)a)->address,
	                 &((const struct ap_remote *)b)->address);
}

int ap_fdb_cmp(const void *a, const void *b)
{
	const struct ap_fdb *x = a, *y = b;

	if (x->context != y->context)
		return x->context < y->context ? -1 : 1;
	return memcmp(x->mac, y->mac, 6);
}

int ap_peer_cmp(const void *a, const void *b)
{
	const struct ap_peer *x = a, *y = b;

	if (x->context != y->context)
		return x->context < y->context ? -1 : 1;
	/* By address bytes: IPv4 (::ffff:a.b.c.d) first, in numeric order, then IPv6. */
	return raddr_cmp(&x->remote, &y->remote);
}

int ap_flood_cmp(const void *a, const void *b)
{
	const struct ap_flood *x = a, *y = b;

	return x->context < y->context ? -1 : x->context > y->context;
}

static int vport_cmp(const void *a, const void *b)
{
	const struct ap_vport *x = a, *y = b;

	return x->context < y->context ? -1 : x->context > y->context;
}

void ap_doc_sort(struct ap_doc *doc)
{
	if (doc->nvports)
		qsort(doc->vports, doc->nvports, sizeof(*doc->vports), vport_cmp);
	if (doc->nfdb)
		qsort(doc->fdb, doc->nfdb, sizeof(*doc->fdb), ap_fdb_cmp);
	if (doc->nflood)
		qsort(doc->flood, doc->nflood, sizeof(*doc->flood), ap_flood_cmp);
	if (doc->npeers)
		qsort(doc->peers, doc->npeers, sizeof(*doc->peers), ap_peer_cmp);
	if (doc->nremotes)
		qsort(doc->remotes, doc->nremotes, sizeof(*doc->remotes), ap_remote_cmp);
}

bool ap_flood_same(const struct ap_flood *a, const struct ap_flood *b)
{
	if (a->count != b->count)
		return false;
	for (__u32 i = 0; i < a->count; i++) {
		bool found = false;

		for (__u32 j = 0; j < b->count && !found; j++)
			found = raddr_eq(&a->remote[i], &b->remote[j]);
		if (!found)
			return false;
	}
	return true;
}

static void gue_err(void *arg, const struct gue_bad *b)
{
	ap_err(arg, b->path, "%s", b->msg);
}

/* After sorting: each remote once, then what GUE cannot carry (encap.c, as the CLI). */
static void check_remotes(const struct ap_doc *doc, struct ap_errs *errs)
{
	char p[PATH_LEN], a[REMOTE_STRLEN];

	for (size_t i = 1; i < doc->nremotes; i++) {
		const struct ap_remote *x = &doc->remotes[i - 1], *y = &doc->remotes[i];

		if (raddr_eq(&x->address, &y->address)) {
			raddr_fmt(&y->address, a, sizeof(a));
			snprintf(p, sizeof(p), "$.remotes[%u].address",
			         x->pos > y->pos ? x->pos : y->pos);
			ap_err(errs, p, "%s is listed twice in $.remotes", a);
		}
	}
	ap_gue_check(doc, gue_err, errs);
}

int ap_parse(const char *text, size_t len, struct ap_doc *doc, struct ap_errs *errs)
{
	static const char *const keys[] = {"version", "attachment", "vports", "fdb", "flood",
	                                   "peers",   "remotes",    "status", NULL};
	struct json_tokener *tok;
	struct json_object *root, *v;
	struct ctx c = {.errs = errs};
	enum json_tokener_error jerr;
	size_t before = errs->n;
	long ver;

	memset(doc, 0, sizeof(*doc));
	if (len > INT32_MAX) {
		ap_err(errs, "$", "document too large");
		return -1;
	}
	tok = json_tokener_new_ex(64);
	if (!tok) {
		ap_err(errs, "$", "out of memory");
		return -1;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	if (!root || jerr != json_tokener_success) {
		ap_err(errs, "$", "not valid JSON (byte %zu): %s", json_tokener_get_parse_end(tok),
		       jerr == json_tokener_continue ? "unexpected end of the document"
		                                     : json_tokener_error_desc(jerr));
		json_object_put(root);
		json_tokener_free(tok);
		return -1;
	}
	/* Only white space may follow the document. */
	for (size_t i = json_tokener_get_parse_end(tok); i < len; i++) {
		if (!strchr(" \t\r\n", text[i])) {
			ap_err(errs, "$", "text after the end of the document (byte %zu)", i);
			json_object_put(root);
			json_tokener_free(tok);
			return -1;
		}
	}
	json_tokener_free(tok);
	if (!json_object_is_type(root, json_type_object)) {
		ap_err(errs, "$", "expected an object, got %s", type_name(root));
		json_object_put(root);
		return -1;
	}
	check_keys(&c, root, "$", keys);
	if ((v = member(&c, root, "$", "version", true)) &&
	    !get_int(&c, v, "$.version", 0, 1000, &ver) && ver != APPLY_VERSION)
		ap_err(errs, "$.version",
		       "version %ld is not supported (this sttctl reads version %d)", ver,
		       APPLY_VERSION);
	if ((v = member(&c, root, "$", "attachment", false)))
		parse_attachment(&c, v, doc);
	if ((v = get_array(&c, root, "vports")))
		parse_vports(&c, v, doc);
	if ((v = get_array(&c, root, "fdb")))
		parse_fdb(&c, v, doc);
	if ((v = get_array(&c, root, "flood")))
		parse_lists(&c, v, doc, true);
	if ((v = get_array(&c, root, "peers")))
		parse_lists(&c, v, doc, false);
	if ((v = get_array(&c, root, "remotes")))
		parse_remotes(&c, v, doc);
	json_object_put(root);

	/* Duplicate (context, MAC) pairs: sort a copy of the entries, look at neighbours. */
	if (doc->nfdb > 1) {
		struct ap_fdb *s = malloc(doc->nfdb * sizeof(*s));

		if (s) {
			memcpy(s, doc->fdb, doc->nfdb * sizeof(*s));
			qsort(s, doc->nfdb, sizeof(*s), ap_fdb_cmp);
			for (size_t i = 1; i < doc->nfdb; i++) {
				if (ap_fdb_cmp(&s[i - 1], &s[i]))
					continue;
				char m[24];

				fmt_mac(s[i].mac, m, sizeof(m));
				ap_err(errs, "$.fdb", "context %llu, MAC %s: listed more than once",
				       (unsigned long long)s[i].context, m);
				while (i + 1 < doc->nfdb && !ap_fdb_cmp(&s[i], &s[i + 1]))
					i++;
			}
			free(s);
		} else {
			ap_err(errs, "$.fdb", "out of memory");
		}
	}
	/* Without an attachment there is nowhere to install anything. */
	if (!doc->have_attach &&
	    (doc->nvports || doc->nfdb || doc->nflood || doc->npeers || doc->nremotes))
		ap_err(errs, "$.attachment",
		       "missing or null, but the document has vports, fdb, flood, peers or "
		       "remotes entries (they need an attached underlay)");
	ap_doc_sort(doc);
	check_remotes(doc, errs);
	return errs->n > before ? -1 : 0;
}

/* ---- output ---- */

static struct json_object *jctx(__u64 v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	return json_object_new_string(buf);
}

static struct json_object *jip(__be32 a)
{
	char buf[INET_ADDRSTRLEN];
	struct in_addr in = {.s_addr = a};

	inet_ntop(AF_INET, &in, buf, sizeof(buf));
	return json_object_new_string(buf);
}

static struct json_object *jaddr(const struct stt_addr6 *a)
{
	char buf[REMOTE_STRLEN];

	raddr_fmt(a, buf, sizeof(buf));
	return json_object_new_string(buf);
}

/* $.remotes: whether a remote has a cookie, never the cookie (a secret). */
static struct json_object *remotes_json(const struct ap_doc *doc)
{
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; i < doc->nremotes; i++) {
		const struct ap_remote *r = &doc->remotes[i];
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "address", jaddr(&r->address));
		json_object_object_add(o, "encap", json_object_new_string(encap_name(r->encap)));
		json_object_object_add(o, "cookie",
		                       json_object_new_boolean(r->cookie != AP_COOKIE_NONE));
		json_object_object_add(o, "udp6_zero_csum",
		                       json_object_new_boolean(r->udp6_zero_csum));
		json_object_array_add(arr, o);
	}
	return arr;
}

struct json_object *ap_doc_to_json(const struct ap_doc *doc)
{
	struct json_object *root = json_object_new_object();
	struct json_object *vports = json_object_new_array();
	struct json_object *fdb = json_object_new_array();
	struct json_object *flood = json_object_new_array();
	struct json_object *peers = json_object_new_array();

	json_object_object_add(root, "version", json_object_new_int(APPLY_VERSION));
	if (doc->have_attach) {
		const struct ap_attach *a = &doc->att;
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "device", json_object_new_string(a->device));
		if (a->have_local)
			json_object_object_add(o, "local", jip(a->local4));
		if (a->have_local6)
			json_object_object_add(o, "local6", jaddr(&a->local6));
		json_object_object_add(o, "port", json_object_new_int(a->port));
		json_object_object_add(o, "ttl", json_object_new_int(a->ttl));
		json_object_object_add(o, "xdp",
		                       a->xdp == AP_XDP_AUTO
		                           ? json_object_new_string("auto")
		                           : json_object_new_boolean(a->xdp == AP_XDP_ON));
		json_object_object_add(o, "dscp",
		                       a->dscp == STT_DSCP_INHERIT
		                           ? json_object_new_string("inherit")
		                           : json_object_new_int(STT_DSCP_VALUE(a->dscp)));
		json_object_object_add(o, "peers",
		                       json_object_new_string(a->strict ? "strict" : "open"));
		json_object_object_add(o, "gue_port", json_object_new_int(a->gue_port));
		json_object_object_add(o, "encap", json_object_new_string(a->gue ? "gue" : "stt"));
		json_object_object_add(root, "attachment", o);
	} else {
		json_object_object_add(root, "attachment", NULL);
	}
	for (size_t i = 0; i < doc->nvports; i++) {
		const struct ap_vport *v = &doc->vports[i];
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "ifname", json_object_new_string(v->ifname));
		json_object_object_add(o, "context", jctx(v->context));
		json_object_object_add(o, "xdp", json_object_new_boolean(v->xdp));
		json_object_object_add(o, "peers",
		                       json_object_new_string(v->strict ? "strict" : "open"));
		if (v->learn) {
			struct json_object *l = json_object_new_object();

			/* An installed vport whose table is missing (cap 0): the default. */
			json_object_object_add(l, "cap",
			                       json_object_new_int64(v->learn_cap
			                                                 ? v->learn_cap
			                                                 : STT_LEARN_CAP_DEFAULT));
			json_object_object_add(l, "age", json_object_new_int64(v->learn_age));
			json_object_object_add(o, "learn", l);
		}
		/* Off: left out, so that a document of plain vports reads as it always did. */
		if (v->vid)
			json_object_object_add(o, "vlan", json_object_new_int(v->vid));
		json_object_array_add(vports, o);
	}
	for (size_t i = 0; i < doc->nfdb; i++) {
		const struct ap_fdb *e = &doc->fdb[i];
		struct json_object *o = json_object_new_object();
		char m[24];

		fmt_mac(e->mac, m, sizeof(m));
		json_object_object_add(o, "context", jctx(e->context));
		json_object_object_add(o, "mac", json_object_new_string(m));
		json_object_object_add(o, "remote", jaddr(&e->remote));
		json_object_array_add(fdb, o);
	}
	for (size_t i = 0; i < doc->nflood; i++) {
		const struct ap_flood *f = &doc->flood[i];
		struct json_object *o = json_object_new_object(), *r = json_object_new_array();

		for (__u32 k = 0; k < f->count && k < STT_MAX_FLOOD; k++)
			json_object_array_add(r, jaddr(&f->remote[k]));
		json_object_object_add(o, "context", jctx(f->context));
		json_object_object_add(o, "remotes", r);
		json_object_array_add(flood, o);
	}
	for (size_t i = 0; i < doc->npeers;) {
		struct json_object *o = json_object_new_object(), *r = json_object_new_array();
		__u64 ctx = doc->peers[i].context;

		for (; i < doc->npeers && doc->peers[i].context == ctx; i++)
			json_object_array_add(r, jaddr(&doc->peers[i].remote));
		json_object_object_add(o, "context", jctx(ctx));
		json_object_object_add(o, "remotes", r);
		json_object_array_add(peers, o);
	}
	json_object_object_add(root, "vports", vports);
	json_object_object_add(root, "fdb", fdb);
	json_object_object_add(root, "flood", flood);
	json_object_object_add(root, "peers", peers);
	json_object_object_add(root, "remotes", remotes_json(doc));
	return root;
}

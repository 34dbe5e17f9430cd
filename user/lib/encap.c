// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Per-remote encapsulation and what GUE cannot carry (encap.h). Pure: memory only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "encap.h"
#include "stt_proto.h"
#include "stt_policy.h"

int cookie_parse(const char *s, __be32 out[2])
{
	__u8 b[8];

	if (!s || strlen(s) != STT_COOKIE_HEX)
		return -1;
	for (int i = 0; i < STT_COOKIE_HEX; i++) {
		char c = s[i];
		int v = c >= '0' && c <= '9'   ? c - '0'
		        : c >= 'a' && c <= 'f' ? c - 'a' + 10
		        : c >= 'A' && c <= 'F' ? c - 'A' + 10
		                               : -1;

		if (v < 0)
			return -1;
		if (i % 2)
			b[i / 2] |= v;
		else
			b[i / 2] = v << 4;
	}
	memcpy(out, b, sizeof(b)); /* the first digit is the first byte on the wire */
	return 0;
}

const char *encap_name(__u8 encap)
{
	return encap == STT_ENCAP_STT ? "stt" : encap == STT_ENCAP_GUE ? "gue" : "default";
}

const char *udp6_words(const struct ap_remote *r)
{
	if (raddr_is4(&r->address))
		return "";
	return r->udp6_zero_csum ? " udp6-zero-csum yes" : " udp6-zero-csum no";
}

static int remote_key_cmp(const void *key, const void *elem)
{
	return raddr_cmp(key, &((const struct ap_remote *)elem)->address);
}

const struct ap_remote *ap_remote_find(const struct ap_doc *d, const struct stt_addr6 *a)
{
	if (!d->nremotes)
		return NULL;
	return bsearch(a, d->remotes, d->nremotes, sizeof(*d->remotes), remote_key_cmp);
}

__u8 ap_encap_of(const struct ap_doc *d, const struct stt_addr6 *a)
{
	const struct ap_remote *r = ap_remote_find(d, a);

	return stt_encap_of(r ? r->encap : STT_ENCAP_DEFAULT, d->have_attach && d->att.gue);
}

/* Why GUE over IPv6 needs the consent (docs/GUE.md section 5), in every message about it. */
#define UDP6_WHY                                                                                   \
	"stt cannot checksum each segment of a TSO burst, so GUE over IPv6 carries a zero UDP "    \
	"checksum, which RFC 6935/6936 allow only per remote, by consent (docs/GUE.md section 5)"

/* A problem found: worded, then handed to the caller. */
static void say(gue_bad_fn fn, void *arg, int kind, __u64 ctx, const struct stt_addr6 *a,
                const char *path, bool own)
{
	struct gue_bad b = {.kind = kind, .context = ctx, .remote = a};
	char r[REMOTE_STRLEN] = "";

	if (!fn)
		return;
	if (a)
		raddr_fmt(a, r, sizeof(r));
	snprintf(b.path, sizeof(b.path), "%s", path);
	if (kind == GUE_CONTEXT)
		snprintf(b.msg, sizeof(b.msg),
		         "context %llu cannot be carried by GUE to %s: the GRE key has 32 bits",
		         (unsigned long long)ctx, r);
	else if (kind == GUE_IPV6 && own)
		snprintf(b.msg, sizeof(b.msg),
		         "%s: GUE over IPv6 needs the remote's udp6_zero_csum (remote set "
		         "--udp6-zero-csum): " UDP6_WHY,
		         r);
	else if (kind == GUE_IPV6)
		snprintf(b.msg, sizeof(b.msg),
		         "%s would be sent GUE (the endpoint's default encap), but GUE over IPv6 "
		         "needs the remote's udp6_zero_csum: give it encap gue with "
		         "udp6_zero_csum (remote set --encap gue --udp6-zero-csum), or its own "
		         "encap stt; " UDP6_WHY,
		         r);
	else if (kind == UDP6_IPV4)
		snprintf(b.msg, sizeof(b.msg),
		         "%s is an IPv4 remote: udp6_zero_csum (--udp6-zero-csum) is the consent "
		         "to GUE over IPv6 with a zero UDP checksum, and means nothing over IPv4 "
		         "(where GUE's UDP checksum is always 0)",
		         r);
	else if (kind == UDP6_NOT_GUE)
		snprintf(b.msg, sizeof(b.msg),
		         "%s: udp6_zero_csum (--udp6-zero-csum) needs the remote's own encap gue, "
		         "as a cookie does (it is the consent to GUE's zero UDP checksums; remove "
		         "it with --no-udp6-zero-csum or false)",
		         r);
	else if (a)
		snprintf(b.msg, sizeof(b.msg),
		         "%s would be sent GUE, but GUE is off on this endpoint (gue_port 0)", r);
	else
		snprintf(b.msg, sizeof(b.msg),
		         "the default encap is gue, but GUE is off on this endpoint (gue_port 0)");
	fn(arg, &b);
}

/* The GUE settings themselves: a remote's own, the attachment's default. */
static size_t check_settings(const struct ap_doc *d, gue_bad_fn fn, void *arg)
{
	bool off = d->have_attach && !d->att.gue_port;
	char path[96];
	size_t n = 0;

	for (size_t i = 0; i < d->nremotes; i++) {
		const struct ap_remote *r = &d->remotes[i];
		bool v4 = raddr_is4(&r->address);

		if (r->udp6_zero_csum && (v4 || r->encap != STT_ENCAP_GUE)) {
			snprintf(path, sizeof(path), "$.remotes[%u].udp6_zero_csum", r->pos);
			say(fn, arg, v4 ? UDP6_IPV4 : UDP6_NOT_GUE, 0, &r->address, path, true);
			n++;
			continue;
		}
		if (r->encap != STT_ENCAP_GUE)
			continue;
		snprintf(path, sizeof(path), "$.remotes[%u].encap", r->pos);
		if (!v4 && !r->udp6_zero_csum)
			say(fn, arg, GUE_IPV6, 0, &r->address, path, true), n++;
		else if (off)
			say(fn, arg, GUE_OFF, 0, &r->address, path, true), n++;
	}
	if (off && d->att.gue)
		say(fn, arg, GUE_OFF, 0, NULL, "$.attachment.encap", false), n++;
	return n;
}

/* IPv6 remotes already reported as sent GUE by default: each once, not per entry. */
struct seen6 {
	struct stt_addr6 *a;
	size_t n;
};

static bool seen6_add(struct seen6 *s, const struct stt_addr6 *a)
{
	void *m;

	for (size_t i = 0; i < s->n; i++)
		if (raddr_eq(&s->a[i], a))
			return false;
	m = realloc(s->a, (s->n + 1) * sizeof(*s->a));
	if (m) {
		s->a = m;
		s->a[s->n++] = *a;
	}
	return true;
}

/* One (context, remote) that frames are sent to: 1 if GUE cannot carry it (said). */
static size_t check_reach(const struct ap_doc *d, __u64 ctx, const struct stt_addr6 *a,
                          const char *cpath, const char *rpath, struct seen6 *s6, gue_bad_fn fn,
                          void *arg)
{
	const struct ap_remote *own;

	if ((ctx <= UINT32_MAX && raddr_is4(a)) || ap_encap_of(d, a) != STT_ENCAP_GUE)
		return 0;
	if (ctx > UINT32_MAX) {
		say(fn, arg, GUE_CONTEXT, ctx, a, cpath, false);
		return 1;
	}
	/* IPv6 with its own GUE setting, or a udp6_zero_csum without one: check_settings. */
	own = ap_remote_find(d, a);
	if ((own && (own->encap == STT_ENCAP_GUE || own->udp6_zero_csum)) || !seen6_add(s6, a))
		return 0;
	say(fn, arg, GUE_IPV6, ctx, a, rpath, false);
	return 1;
}

size_t ap_gue_check(const struct ap_doc *d, gue_bad_fn fn, void *arg)
{
	struct seen6 s6 = {0};
	char cp[96], rp[128];
	size_t n = check_settings(d, fn, arg);

	for (size_t i = 0; i < d->nfdb; i++) {
		const struct ap_fdb *e = &d->fdb[i];

		snprintf(cp, sizeof(cp), "$.fdb[%u].context", e->pos);
		snprintf(rp, sizeof(rp), "$.fdb[%u].remote", e->pos);
		n += check_reach(d, e->context, &e->remote, cp, rp, &s6, fn, arg);
	}
	for (size_t i = 0; i < d->nflood; i++) {
		const struct ap_flood *f = &d->flood[i];

		for (__u32 k = 0; k < f->count && k < STT_MAX_FLOOD; k++) {
			snprintf(cp, sizeof(cp), "$.flood[%u].remotes[%u]", f->pos, k);
			n += check_reach(d, f->context, &f->remote[k], cp, cp, &s6, fn, arg);
		}
	}
	free(s6.a);
	return n;
}

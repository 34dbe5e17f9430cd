/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A remote endpoint by its address, as sttctl reads and prints it: an IPv6 address, or an
 * IPv4 one held as ::ffff:a.b.c.d (IPv4-mapped addresses are refused as IPv6 remotes, so the
 * two never meet). The maps name a remote by a __be32 instead (stt_maps.h, "IPv6 underlay"):
 * common.c turns one into the other. These helpers are pure (no system state), so that
 * apply_doc.c and its fuzz target can use them.
 */
#ifndef STTCTL_REMOTE_H
#define STTCTL_REMOTE_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <linux/types.h>
#include "stt_maps.h"

/* Room for any address sttctl prints as a remote ("ipv6#4095" included). */
#define REMOTE_STRLEN INET6_ADDRSTRLEN

static inline bool raddr_is4(const struct stt_addr6 *a)
{
	return a->a[0] == 0 && a->a[1] == 0 && a->a[2] == htonl(0xffff);
}

/*
 * An IPv6 remote index with no address behind it (read from a map): ::N with N the remote
 * (first octet 0). ::/96 is refused as an address, so this never stands for one.
 */
static inline bool raddr_is_unknown6(const struct stt_addr6 *a)
{
	return a->a[0] == 0 && a->a[1] == 0 && a->a[2] == 0 && stt_remote_is6(a->a[3]);
}

static inline void raddr_set4(struct stt_addr6 *a, __be32 v4)
{
	a->a[0] = a->a[1] = 0;
	a->a[2] = htonl(0xffff);
	a->a[3] = v4;
}

static inline void raddr_set_unknown6(struct stt_addr6 *a, __be32 remote)
{
	a->a[0] = a->a[1] = a->a[2] = 0;
	a->a[3] = remote;
}

static inline int raddr_cmp(const struct stt_addr6 *x, const struct stt_addr6 *y)
{
	return memcmp(x, y, sizeof(*x));
}

static inline bool raddr_eq(const struct stt_addr6 *x, const struct stt_addr6 *y)
{
	return !raddr_cmp(x, y);
}

/* A multicast group (224.0.0.0/4 or ff00::/8). */
static inline bool raddr_is_mcast(const struct stt_addr6 *a)
{
	if (raddr_is4(a))
		return STT_IS_MCAST4(a->a[3]);
	return !raddr_is_unknown6(a) && STT_IS_MCAST6(a);
}

/* Both of one family (an unknown index counts as IPv6). */
static inline bool raddr_same_family(const struct stt_addr6 *x, const struct stt_addr6 *y)
{
	return raddr_is4(x) == raddr_is4(y);
}

/*
 * Parse an address: IPv4 (dotted quad) or IPv6. Returns NULL, or why it cannot name an
 * endpoint (a reason without the address). Refused everywhere: IPv4 0.0.0.0/8 (the maps'
 * IPv6 index form), IPv6 ::/96 (::, ::1 and the deprecated IPv4-compatible addresses),
 * IPv4-mapped addresses and link-local fe80::/10 (which would need a scope).
 */
static inline const char *raddr_parse(const char *s, struct stt_addr6 *out)
{
	struct in6_addr a6;
	struct in_addr a4;
	const __u8 *b = a6.s6_addr;

	memset(out, 0, sizeof(*out));
	if (!s || !*s)
		return "not an IPv4 or IPv6 address";
	if (!strchr(s, ':')) {
		if (inet_pton(AF_INET, s, &a4) != 1)
			return strchr(s, '%') ? "not an address (a scope is not taken)"
			                      : "not an IPv4 or IPv6 address";
		if (((const __u8 *)&a4.s_addr)[0] == 0)
			return "0.0.0.0/8 is not a destination address";
		raddr_set4(out, a4.s_addr);
		return NULL;
	}
	if (inet_pton(AF_INET6, s, &a6) != 1)
		return strchr(s, '%') ? "not an IPv6 address (a scope is not taken: use a global "
		                        "address)"
		                      : "not an IPv4 or IPv6 address";
	memcpy(out, b, 16);
	if (raddr_is4(out))
		return "an IPv4-mapped IPv6 address: give the IPv4 address itself";
	if (out->a[0] == 0 && out->a[1] == 0 && out->a[2] == 0) {
		if (out->a[3] == 0)
			return "the unspecified address :: is not an endpoint";
		if (out->a[3] == htonl(1))
			return "the loopback address ::1 is not an endpoint";
		return "an IPv4-compatible IPv6 address (::/96, deprecated by RFC 4291)";
	}
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
		return "a link-local address (fe80::/10) needs a scope: use a global address";
	return NULL;
}

/* Print an address (an unknown index as "ipv6#N"). */
static inline void raddr_fmt(const struct stt_addr6 *a, char *buf, size_t len)
{
	if (raddr_is4(a)) {
		inet_ntop(AF_INET, &a->a[3], buf, len);
	} else if (raddr_is_unknown6(a)) {
		snprintf(buf, len, "ipv6#%u", stt_remote6_idx(a->a[3]));
	} else if (!inet_ntop(AF_INET6, a, buf, len) && len) {
		buf[0] = 0;
	}
}

#endif

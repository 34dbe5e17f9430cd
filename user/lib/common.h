/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef STTCTL_COMMON_H
#define STTCTL_COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include <json-c/json.h>
#include "stt_proto.h"
#include "stt_maps.h"
#include "mac.h"
#include "remote.h"

/* clsact filters (where tcx is missing): fixed handle and priority, so detach removes ours. */
#define STT_TC_HANDLE 0x5354
#define STT_TC_PRIO   0x5354

struct global_opts {
	bool json;
	bool pretty;
	bool verbose;
	const char *netns;
};

extern struct global_opts g_opts;

/* Pinned state of this network namespace. */
struct stt_state {
	char dir[256];
	int cfg_fd, vports_fd, contexts_fd, fdb_fd, flood_fd, stats_fd;
	/* Maps newer than the first release: -1 until an 'attach' with this build made them. */
	int peers_fd, ctx_stats_fd, remote_stats_fd, learn_fd, groups_fd, vlan_fd, cfg6_fd;
	int remote_cfg_fd; /* stt_remote_cfg (GUE): -1 before an attach by a build with GUE */
};

void err_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void info_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int json_out(struct json_object *obj); /* prints and frees */

int enter_netns(const char *name);
int ensure_bpffs(void);
int pin_dir(char *buf, size_t len);
/* The pinned object dir/name (a map or program): its descriptor, or -1. */
int open_pin(const char *dir, const char *name);
int state_open(struct stt_state *st, bool must_exist);
void state_close(struct stt_state *st);
int state_remove_pins(const char *dir);
int state_get_cfg(struct stt_state *st, struct stt_cfg *cfg);
/* stt_cfg6, zero and -1 when the attachment has none (made by an sttctl without IPv6). */
int state_get_cfg6(struct stt_state *st, struct stt_cfg6 *c6);
bool has_vports(struct stt_state *st);
int learn_table_create(__u32 cap);
bool ifindex_in_use(struct stt_state *st, __u32 ifindex);

int parse_context(const char *s, __u64 *out);
int parse_mac(const char *s, __u8 mac[6]);
int parse_ipv4(const char *s, __be32 *out);
int parse_uint(const char *s, unsigned long max, unsigned long *out);
/* A byte count (sttd --mem): a number, then K, M or G (either case); -1, silently, if not. */
int parse_size(const char *s, size_t *out);
void fmt_ipv4(__be32 a, char *buf, size_t len);

/*
 * Remotes (IPv4 or IPv6; see remote.h and stt_maps.h "IPv6 underlay"). An IPv6 remote is
 * named in the maps by its index in the pinned stt_remotes6, which these look up and
 * allocate. parse_remote_addr only parses (the error said); parse_remote also gives an
 * IPv6 address its index if it has none. remote_get: 0 and *out, 1 if the address has
 * no index and alloc is false, -1 on error (said). remote_addr: the address of a remote,
 * or -1 with the "ipv6#N" placeholder if its index has none. The map descriptors are kept
 * until remote6_forget() (state_open and state_close call it).
 */
int parse_remote_addr(const char *s, struct stt_addr6 *a);
int parse_remote(const char *s, __be32 *out);
int remote_get(const struct stt_addr6 *a, __be32 *out, bool alloc);
int remote_addr(__be32 r, struct stt_addr6 *a);
void fmt_remote(__be32 r, char *buf, size_t len);
bool remote_is_mcast(__be32 r);
void remote6_forget(void);
int remote6_reclaim(void); /* frees the indexes no map names; returns how many */
int dev_index(const char *name, const char *what);
const char *dev_name(__u32 ifindex, char *buf);
int dev_ipv4(const char *name, __be32 *out);
int dev_ipv6(const char *name, struct stt_addr6 *out); /* first global, non-tentative */
int dev_mtu(const char *name, __u32 *mtu);

/*
 * TC helpers (tcattach.c): attach prog_fd at ingress of ifindex through a pinned tcx link
 * (replacing the program of an existing one atomically), or a clsact filter where tcx is
 * missing; *created says whether a clsact qdisc was made for it. Detach removes either, and
 * with destroy_clsact the clsact qdisc too if no other filter is left in it.
 */
int tc_attach_ingress(int ifindex, int prog_fd, bool *created);
int tc_detach_ingress(int ifindex, bool destroy_clsact);
bool tc_uses_tcx(int ifindex);

int neigh_managed_add(int ifindex, __be32 remote);
int neigh_managed_del(int ifindex, __be32 remote);
int neigh_addr_add(int ifindex, const struct stt_addr6 *a);
int neigh_addr_del(int ifindex, const struct stt_addr6 *a);
void remotes_neigh(int fdb_fd, int flood_fd, int ifindex, bool add);
bool remote_in_use(int fdb_fd, int flood_fd, __be32 remote);
int groups_sync(int flood_fd, int groups_fd, int ifindex, bool attached);
int dev_mac(const char *dev, __u8 mac[6]);
int dev_driver(const char *dev, char *buf, size_t len);
int dev_gro_get(const char *dev);
int dev_gro_set(const char *dev, int on);
int dev_forwarding_get(const char *dev);
int dev_forwarding_set(const char *dev, int on);
int dev_forwarding6_get(const char *dev);
int dev_forwarding6_set(const char *dev, int on);

const char *drop_name(unsigned int reason);
const char *drop_help(unsigned int reason);
const char *counter_name(unsigned int idx);
const char *counter_help(unsigned int idx);

int list_out(struct json_object *arr); /* prints (with -j) and frees */

/* Ones' complement sum of big-endian 16-bit words (an odd last byte padded with zero). */
static inline uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

/* The sum folded to 16 bits (not inverted: a checksum field is ~csum_fold()). */
static inline uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

#endif

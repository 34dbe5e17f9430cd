// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * sttd's handling of one piece, from the perf sample to the AF_PACKET socket (sttd_piece.h).
 * With PACKET_VNET_HDR the frame keeps what the sender said about it: a partial inner
 * checksum stays partial (the kernel or the tenant completes it) and a TSO frame stays one
 * GSO skb of the sender's MSS.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "sttd_piece.h"
#include "stt_tos.h"
#include "stt_check.h"
#include "stt_policy.h"

/*
 * What sttd keeps of the pieces' outer TOS, in reasm_add()'s flags (OR-ed over a frame's
 * pieces): CE on any piece, and the first piece's TOS (its DSCP goes in, uniform model).
 */
#define PIECE_CE        0x1
#define PIECE_FIRST     0x2
#define PIECE_TOS_SHIFT 8

uint64_t sttd_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/*
 * ECN and DSCP at decapsulation (include/stt_tos.h) for the inner IP header of a frame:
 * CE on any piece is CE for the frame (draft 3.3.1). Returns -1 to drop the frame.
 */
static int frame_tos(uint8_t *inner, uint32_t ilen, uint32_t pflags, uint8_t dscp)
{
	uint8_t first = (uint8_t)(pflags >> PIECE_TOS_SHIFT), outer, tos;
	uint16_t proto;
	int t;

	if (ilen < 14 + 20 || !(pflags & PIECE_FIRST))
		return 0;
	outer = (pflags & PIECE_CE) ? (first | STT_ECN_CE) : first;
	proto = (uint16_t)(inner[12] << 8 | inner[13]);
	if (!stt_ip_tos_get(proto, inner + 14, &tos) || (proto == 0x86dd && ilen < 14 + 40))
		return 0;
	t = stt_decap_tos(outer, tos, dscp);
	if (t < 0)
		return -1;
	if (t == tos)
		return 0;
	if (proto == 0x0800) {
		uint32_t ihl = (inner[14] & 0x0f) * 4u, sum;

		if (ihl < 20 || 14 + ihl > ilen)
			return 0;
		stt_ip_tos_set(proto, inner + 14, (uint8_t)t);
		inner[24] = inner[25] = 0;
		sum = (uint16_t)~csum_fold(csum_add(0, inner + 14, ihl));
		inner[24] = (uint8_t)(sum >> 8);
		inner[25] = (uint8_t)sum;
	} else {
		stt_ip_tos_set(proto, inner + 14, (uint8_t)t);
	}
	return 0;
}

/* The learning table of a context (its map in stt_learn), -1 if it has none. */
static int learn_table(struct sttd *d, __u64 ctx)
{
	__u32 id, k;
	int fd;

	if (d->learn_fd < 0 || bpf_map_lookup_elem(d->learn_fd, &ctx, &id))
		return -1;
	for (k = 0; k < sizeof(d->tables) / sizeof(d->tables[0]); k++)
		if (d->tables[k].fd >= 0 && d->tables[k].id == id)
			return d->tables[k].fd;
	fd = bpf_map_get_fd_by_id(id);
	if (fd < 0)
		return -1;
	/* A small cache, oldest out first: contexts that learn are few per endpoint. */
	k = d->next_table++ % (sizeof(d->tables) / sizeof(d->tables[0]));
	if (d->tables[k].fd >= 0)
		close(d->tables[k].fd);
	d->tables[k].id = id;
	d->tables[k].fd = fd;
	return fd;
}

/*
 * Learning from a frame sttd delivers that teaches (stt_learns), as stt_learn_mac() does
 * for the BPF paths: the inner source MAC lives behind the sender; written only when new,
 * moved, or last seen over a second ago (stt_learn_current).
 */
static void learn(struct sttd *d, __u64 ctx, const uint8_t *src_mac, uint32_t saddr)
{
	struct stt_learn_key k = {0};
	struct stt_learn_val v = {0}, cur;
	uint64_t now = sttd_now_ns();
	int fd, have;

	if ((fd = learn_table(d, ctx)) < 0)
		return;
	memcpy(k.mac, src_mac, 6);
	have = !bpf_map_lookup_elem(fd, &k, &cur);
	if (stt_learn_current(have, cur.remote4, cur.seen_ns, saddr, now))
		return;
	v.remote4 = saddr;
	v.seen_ns = now;
	if (!bpf_map_update_elem(fd, &k, &v, BPF_ANY) && (!have || cur.remote4 != saddr))
		d->learned++;
}

/* The STT header rules every receive path applies (stt_check.h), counted by reason. */
static bool hdr_ok(struct sttd *d, const struct stt_hdr *h, const uint8_t *inner, uint32_t ilen)
{
	uint8_t head[STT_CHECK_INNER] = {0};
	enum stt_drop why;

	memcpy(head, inner, ilen < sizeof(head) ? ilen : sizeof(head));
	if (stt_hdr_ok(h, head, ilen, &why))
		return true;
	d->hdr_drops[why]++;
	return false;
}

/* Deliver a whole STT frame (STT header + inner Ethernet frame) to its vport. */
/* The same policy as the BPF paths: strict peers, then ECN/DSCP; then learning. */
static bool deliver_allowed(struct sttd *d, const struct stt_ctx_val *cv, __u64 ctx, uint8_t *inner,
                            uint32_t ilen, uint32_t saddr, uint32_t pflags)
{
	const struct stt_cfg *cfg = &d->cfg;

	if (stt_peers_strict(cfg->opts, cv->flags)) {
		struct stt_peer_key pk = {.context = ctx, .remote4 = saddr};
		__u32 pv;

		/* saddr 0: an IPv6 sender without a remote index, never a peer. */
		if (!saddr || d->peers_fd < 0 || bpf_map_lookup_elem(d->peers_fd, &pk, &pv)) {
			d->peer_denied++;
			return false;
		}
	}
	if (frame_tos(inner, ilen, pflags, cfg->dscp)) {
		d->ecn_drops++;
		return false;
	}
	if (stt_learns(cv->flags, inner + 6, saddr))
		learn(d, ctx, inner + 6, saddr);
	return true;
}

/* The virtio header of a checksum-partial frame (and GSO for a TCP one above its MSS). */
static void vnet_hdr(const struct stt_hdr *h, const uint8_t *inner, uint32_t ilen,
                     struct virtio_net_hdr *vh)
{
	bool v6 = !(h->flags & STT_F_IPV4), tcp = h->flags & STT_F_TCP;

	/* hdr_ok() checked the offset, the inner IP version and protocol against the flags. */
	if (!(h->flags & STT_F_CSUM_PARTIAL))
		return;
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->csum_start = h->l4_offset;
	vh->csum_offset = tcp ? 16 : 6;
	if (tcp && ntohs(h->mss) && ilen > 14u + 40 + ntohs(h->mss)) {
		uint32_t thl = (inner[h->l4_offset + 12] >> 4) * 4;

		vh->gso_type = v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
		vh->gso_size = ntohs(h->mss);
		vh->hdr_len = h->l4_offset + thl;
	}
}

/*
 * The frame tagged again with tci_h (stt_rx_vlan_tag decides, as for stt_tc_rx), in band
 * behind the MAC addresses. Returns the tagged copy (iov set to it; the caller frees it),
 * NULL if out of memory.
 */
static uint8_t *retag(const struct stt_hdr *h, const uint8_t *inner, uint32_t ilen, __u16 tci_h,
                      struct virtio_net_hdr *vh, struct iovec *iov)
{
	uint16_t tci = htons(tci_h);
	/* The STT header stays in front, as for an untagged frame (f, then inner). */
	uint8_t *tagged = malloc(sizeof(*h) + ilen + 4), *t2;

	if (!tagged)
		return NULL;
	memcpy(tagged, h, sizeof(*h));
	t2 = tagged + sizeof(*h);
	memcpy(t2, inner, 12);
	t2[12] = 0x81, t2[13] = 0x00;
	memcpy(t2 + 14, &tci, 2);
	memcpy(t2 + 16, inner + 12, ilen - 12);
	iov->iov_base = t2;
	iov->iov_len = ilen + 4;
	if (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		vh->csum_start += 4;
		if (vh->hdr_len)
			vh->hdr_len += 4;
	}
	return tagged;
}

static void deliver(struct sttd *d, uint8_t *f, uint32_t len, uint32_t saddr, uint32_t pflags)
{
	const struct stt_hdr *h = (const void *)f;
	struct virtio_net_hdr vh = {};
	struct stt_ctx_val cv;
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_halen = ETH_ALEN};
	struct iovec iov[2];
	struct msghdr msg = {
	    .msg_name = &sll, .msg_namelen = sizeof(sll), .msg_iov = iov, .msg_iovlen = 2};
	uint8_t *inner = f + sizeof(*h), *tagged = NULL;
	uint32_t ilen = len - sizeof(*h);
	__u16 tci_h;
	__u64 ctx;

	if (len < sizeof(*h) + 14) {
		d->bad_frame++;
		return;
	}
	if (!hdr_ok(d, h, inner, ilen))
		return;
	ctx = be64toh(h->context_id);
	if (bpf_map_lookup_elem(d->contexts_fd, &ctx, &cv)) {
		d->bad_frame++; /* a frame only ever goes to the vport of its own context */
		return;
	}
	if (!deliver_allowed(d, &cv, ctx, inner, ilen, saddr, pflags))
		return;
	vnet_hdr(h, inner, ilen, &vh);
	sll.sll_ifindex = cv.ifindex;
	memcpy(sll.sll_addr, inner, ETH_ALEN);
	iov[0].iov_base = &vh;
	iov[0].iov_len = sizeof(vh);
	iov[1].iov_base = (void *)inner;
	iov[1].iov_len = ilen;
	if (stt_rx_vlan_tag(cv.flags, ntohs(h->vlan_tci), &tci_h)) {
		tagged = retag(h, inner, ilen, tci_h, &vh, &iov[1]);
		if (!tagged) {
			d->tx_errors++;
			return;
		}
	}
	if (sendmsg(d->pkt_fd, &msg, 0) < 0) {
		d->tx_errors++;
		info_msg("sttd: delivering %u bytes to ifindex %u: %s", ilen, cv.ifindex,
		         strerror(errno));
	}
	free(tagged);
}

void sttd_on_piece(void *ctx, int cpu, void *data, __u32 size)
{
	struct sttd *d = ctx;
	const struct stt_piece *p = data;
	struct reasm_piece rp;
	struct reasm_out out;

	/* Every length is checked, and the outer checksum of a lone segment (reasm.c). */
	switch (reasm_piece_parse(data, size, &rp)) {
	case REASM_PIECE_OK:
		break;
	case REASM_PIECE_BAD_CSUM:
		d->bad_csum++;
		return;
	default:
		d->bad_frame++;
		return;
	}
	if (g_opts.verbose && d->debug_left > 0) {
		d->debug_left--;
		fprintf(stderr, "piece id %#x len %u off %u payload %u flags %#x\n", p->frame_id,
		        p->frame_len, p->seg_off, p->payload_len, p->flags);
	}
	/* p->tos: the outer IPv4 TOS or IPv6 traffic class, as BPF read it. */
	if (reasm_add(d->r, &rp.key, p->frame_len, p->seg_off, rp.data, rp.len,
	              ((p->tos & STT_ECN_MASK) == STT_ECN_CE ? PIECE_CE : 0) |
	                  (p->seg_off == 0 ? PIECE_FIRST | (uint32_t)p->tos << PIECE_TOS_SHIFT : 0),
	              sttd_now_ns(), &out) == REASM_COMPLETE) {
		/* The peer check takes the sender's remote: IPv4 address or IPv6 index form. */
		deliver(d, out.data, out.len, p->saddr, out.flags);
		free(out.data);
	}
}

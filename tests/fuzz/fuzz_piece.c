// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer target: sttd's handling of a perf sample (user/daemon/sttd_piece.c sttd_on_piece:
 * struct stt_piece then packet bytes -> reasm_piece_parse (bounds checks, reasm_outer_csum_ok,
 * the key) -> reasm_add -> deliver), over an IPv4 or (STT_PIECE_V6) an IPv6 outer header.
 *
 * sttd_piece.c and reasm.c are linked in as sttd has them, so the real sttd_on_piece and
 * deliver run. The two calls that reach outside the process are replaced at link time
 * (ld --wrap, see the Makefile) by stubs here: bpf_map_lookup_elem (the context -> vport
 * lookup: a context is
 * known unless it is divisible by 3, and maps to ifindex 1000 + context % 1000; the peers
 * lookup: a remote is a peer of every context when its last byte is odd) and sendmsg (checks
 * what would go to the AF_PACKET socket and reads every byte of it). Nothing else of sttd is
 * stubbed: what is fuzzed is exactly the code that handles untrusted bytes.
 *
 * Input: records [flags u8][length u16 LE][length bytes]; each record is one sample, given
 * to sttd_on_piece in a buffer of exactly its length (ASan reports any read past it). Flag bit 0
 * makes sendmsg fail, bit 1 turns on sttd's -v logging of pieces, bit 2 turns strict peers
 * on. A fresh reassembly engine per input (64 KiB cap, 1 hour timeout: no dependence on the
 * clock) lets the pieces of one input make frames that get delivered.
 *
 * Properties:
 * - a sample is refused (bad_frame) exactly when it is malformed: shorter than the header,
 *   pkt_len past its end, or the payload past pkt_len, or (IPv6) without an Ethernet +
 *   IPv6 + TCP header of type 0x86dd, version 6, next header 6; nothing is read out of bounds;
 * - a lone segment (no GRO flag) is refused (bad_csum) exactly when a reference RFC 1071
 *   checksum over pseudo-header (IPv4 or IPv6) + TCP segment says it is wrong and the field
 *   is not the offload seed; reasm_outer_csum_ok, also called on an exact-size copy of the
 *   packet, reads nothing past it;
 * - with strict peers, a frame completed by a piece whose sender is not a peer is never
 *   sent; a sender without a remote (saddr 0, an IPv6 sender without an index) is never
 *   looked up as one;
 * - every other sample reaches the reassembly engine (its piece counter moves by one);
 * - a complete frame is either refused (bad_frame: short, unknown context; hdr_drops: an STT
 *   header stt_hdr_ok() refuses; ecn_drops; peer_denied) or sent exactly once, to the
 *   ifindex of its own context, with the inner frame's bytes and a virtio header whose
 *   checksum offsets lie inside the frame.
 */
#include <endian.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "common.h"
#include "reasm.h"
#include "sttd_piece.h"

#define CONTEXTS_FD 4242
#define PEERS_FD 4040   /* stt_peers: consulted only with strict peers */
#define PKT_FD 4343

static FILE *diag; /* the real stderr: sttd's -v output goes to /dev/null */

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		fprintf(diag, "fuzz_piece: " __VA_ARGS__);                                         \
		fputc('\n', diag);                                                                 \
		abort();                                                                           \
	} while (0)
#define CHECK(cond, fmt, ...)                                                                      \
	do {                                                                                       \
		if (!(cond))                                                                       \
			FAIL("check failed: %s: " fmt, #cond, ##__VA_ARGS__);                      \
	} while (0)

static struct {
	bool fail_send;
	unsigned int lookups, sends;
	__u64 last_ctx;
	bool strict;
	volatile uint8_t sink;
} stub;

int __wrap_bpf_map_lookup_elem(int fd, const void *key, void *value)
{
	__u64 ctx;
	struct stt_ctx_val cv = { 0 };

	if (fd == PEERS_FD) {
		const struct stt_peer_key *pk = key;
		const uint8_t *rb = (const uint8_t *)&pk->remote4;

		CHECK(stub.strict, "peers looked up with open peers");
		CHECK(pk->context == stub.last_ctx && !pk->pad, "peer key");
		CHECK(pk->remote4 != 0, "remote 0 looked up as a peer");
		if (!(rb[3] & 1)) {
			errno = ENOENT;
			return -ENOENT;
		}
		memset(value, 0, sizeof(__u32));
		return 0;
	}
	CHECK(fd == CONTEXTS_FD, "lookup in map fd %d", fd);
	memcpy(&ctx, key, sizeof(ctx));
	stub.lookups++;
	stub.last_ctx = ctx;
	if (ctx % 3 == 0) {
		errno = ENOENT;
		return -ENOENT;
	}
	cv.ifindex = 1000 + (__u32)(ctx % 1000);
	memcpy(value, &cv, sizeof(cv));
	return 0;
}

ssize_t __wrap_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	const struct sockaddr_ll *sll = msg->msg_name;
	const struct virtio_net_hdr *vh;
	const uint8_t *inner, *frame;
	const struct stt_hdr *h;
	size_t ilen;
	uint8_t x = 0;

	CHECK(fd == PKT_FD, "sendmsg on fd %d", fd);
	CHECK(msg->msg_iovlen == 2 && msg->msg_iov[0].iov_len == sizeof(*vh), "iov shape");
	CHECK(msg->msg_namelen == sizeof(*sll) && sll->sll_family == AF_PACKET, "address");
	vh = msg->msg_iov[0].iov_base;
	inner = msg->msg_iov[1].iov_base;
	ilen = msg->msg_iov[1].iov_len;
	/* A frame with V=1 is sent with its 802.1Q tag back in: 4 bytes more. */
	CHECK(ilen >= 14 && ilen <= STT_MAX_FRAME - sizeof(*h) + 4, "inner frame of %zu bytes", ilen);
	/* Read every byte that would be sent, and the STT header in front of it. */
	for (size_t i = 0; i < ilen; i++)
		x ^= inner[i];
	frame = inner - sizeof(*h);
	for (size_t i = 0; i < sizeof(*h); i++)
		x ^= frame[i];
	stub.sink = x;
	h = (const void *)frame;
	CHECK(h->version == STT_VERSION, "version %u sent", h->version);
	CHECK(be64toh(h->context_id) == stub.last_ctx && stub.last_ctx % 3,
	      "frame of context %llu sent after looking up %llu",
	      (unsigned long long)be64toh(h->context_id), (unsigned long long)stub.last_ctx);
	CHECK(sll->sll_ifindex == (int)(1000 + stub.last_ctx % 1000),
	      "frame of context %llu sent to ifindex %d", (unsigned long long)stub.last_ctx,
	      sll->sll_ifindex);
	CHECK(sll->sll_halen == ETH_ALEN && !memcmp(sll->sll_addr, inner, ETH_ALEN),
	      "link-layer address is not the inner destination");
	if (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
		CHECK(vh->csum_start + vh->csum_offset + 2u <= ilen,
		      "checksum at %u+%u outside a %zu-byte frame", vh->csum_start, vh->csum_offset,
		      ilen);
	else
		CHECK(vh->gso_type == VIRTIO_NET_HDR_GSO_NONE, "GSO without a partial checksum");
	/*
	 * hdr_len comes from the inner TCP data offset, which sttd leaves to the kernel to judge
	 * (packet_snd_vnet_parse raises a short hdr_len and refuses one past the frame): only
	 * what sttd itself decides is checked.
	 */
	if (vh->gso_type != VIRTIO_NET_HDR_GSO_NONE) {
		/* TCPv6 for an inner IPv6 frame (its type behind a VLAN tag sttd put back). */
		size_t et = inner[12] == 0x81 && inner[13] == 0x00 ? 16 : 12;
		bool in6 = ilen >= et + 2 && inner[et] == 0x86 && inner[et + 1] == 0xdd;

		unsigned int want = in6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;

		CHECK(vh->gso_type == want && vh->gso_size && vh->csum_offset == 16 &&
			      ilen > 14u + 40 + vh->gso_size,
		      "GSO header fields");
	}
	stub.sends++;
	if (stub.fail_send) {
		errno = ENOBUFS;
		return -1;
	}
	return (ssize_t)(sizeof(*vh) + ilen);
}

/*
 * RFC 1071 over pseudo-header + TCP segment, written independently of sttd's: IPv4 (RFC 793
 * 3.1) or IPv6 (RFC 8200 8.1: 32 bytes of addresses, a 32-bit upper-layer length, next header).
 */
static int ref_csum_ok(const uint8_t *pkt, size_t len, bool v6)
{
	uint64_t sum = 0, seed = 0;
	size_t tcp_len, i, tcp = v6 ? 54 : 34, addrs = v6 ? 22 : 26, alen = v6 ? 32 : 8;
	uint16_t field, folded;

	if (len < tcp + 20)
		return 0;
	tcp_len = len - tcp;
	if (v6 && tcp_len > 65535)
		return 0; /* no lone IPv6 segment is longer */
	for (i = 0; i < alen; i += 2)
		seed += (uint32_t)pkt[addrs + i] << 8 | pkt[addrs + 1 + i];
	seed += 6; /* protocol */
	seed += tcp_len & 0xffff;
	seed += tcp_len >> 16;
	sum = seed;
	for (i = 0; i < tcp_len; i++)
		sum += i & 1 ? pkt[tcp + i] : (uint32_t)pkt[tcp + i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	if (sum == 0xffff)
		return 1;
	while (seed >> 16)
		seed = (seed & 0xffff) + (seed >> 16);
	folded = (uint16_t)seed;
	field = (uint16_t)(pkt[tcp + 16] << 8 | pkt[tcp + 17]);
	return field == folded;
}

/* Frames refused by the STT header check, every reason. */
static __u64 hdr_drops(const struct sttd *d)
{
	__u64 n = 0;

	for (unsigned int i = 0; i < STT_DROP_MAX; i++)
		n += d->hdr_drops[i];
	return n;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	diag = stderr;
	stderr = fopen("/dev/null", "w"); /* sttd -v and info_msg; libFuzzer and ASan keep fd 2 */
	if (!stderr)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sttd d = { .contexts_fd = CONTEXTS_FD, .stats_fd = -1, .pkt_fd = PKT_FD,
			  .cfg_fd = -1, .peers_fd = PEERS_FD }; /* d.cfg: open peers, uniform DSCP */
	size_t pos = 0;

	d.r = reasm_new(64 << 10, 3600ull * 1000000000ull);
	CHECK(d.r, "reasm_new");
	while (pos + 3 <= size) {
		uint8_t fl = data[pos];
		size_t len = (size_t)(data[pos + 1] | data[pos + 2] << 8), plen;
		const struct stt_piece *p;
		struct reasm_stats before = *reasm_stats(d.r);
		__u64 bad_frame = d.bad_frame, bad_csum = d.bad_csum, tx_errors = d.tx_errors;
		__u64 ecn_drops = d.ecn_drops, peer_denied = d.peer_denied, hdr = hdr_drops(&d);
		unsigned int sends = stub.sends, lookups = stub.lookups;
		uint8_t *buf;
		bool malformed, csum_bad = false, v6 = false, peer = false;

		pos += 3;
		if (len > size - pos)
			len = size - pos;
		buf = malloc(len ? len : 1);
		CHECK(buf, "out of memory");
		memcpy(buf, data + pos, len);
		pos += len;
		p = (const void *)buf;
		malformed = len < sizeof(*p) || p->pkt_len > len - sizeof(*p) ||
			    (uint64_t)p->payload_off + p->payload_len > p->pkt_len;
		if (!malformed && (p->flags & STT_PIECE_V6)) {
			const uint8_t *b = (const uint8_t *)(p + 1);

			v6 = true;
			malformed = p->pkt_len < 74 || b[12] != 0x86 || b[13] != 0xdd ||
				    b[14] >> 4 != 6 || b[20] != 6;
		}
		if (!malformed) {
			plen = p->pkt_len;
			/* outer_csum_ok on an exact-size copy: nothing past the packet is read. */
			uint8_t *pkt = malloc(plen ? plen : 1);
			int ok;

			CHECK(pkt, "out of memory");
			memcpy(pkt, p + 1, plen);
			ok = reasm_outer_csum_ok(pkt, (uint32_t)plen, v6);
			CHECK(ok == ref_csum_ok(pkt, plen, v6),
			      "outer_csum_ok says %d on %zu bytes%s", ok, plen, v6 ? " (v6)" : "");
			free(pkt);
			csum_bad = !(p->flags & STT_PIECE_GRO) && !ok;
			peer = p->saddr && (((const uint8_t *)&p->saddr)[3] & 1);
		}

		stub.fail_send = fl & 1;
		stub.strict = fl & 4;
		d.cfg.opts = stub.strict ? STT_OPT_PEERS_STRICT : 0;
		g_opts.verbose = fl & 2;
		d.debug_left = 2;
		sttd_on_piece(&d, 0, buf, (__u32)len);

		if (malformed) {
			CHECK(d.bad_frame == bad_frame + 1, "malformed sample of %zu bytes not refused",
			      len);
			CHECK(reasm_stats(d.r)->pieces == before.pieces, "malformed sample reassembled");
		} else if (csum_bad) {
			CHECK(d.bad_csum == bad_csum + 1, "bad checksum not counted");
			CHECK(reasm_stats(d.r)->pieces == before.pieces, "bad checksum reassembled");
		} else {
			CHECK(d.bad_csum == bad_csum, "good checksum refused");
			CHECK(reasm_stats(d.r)->pieces == before.pieces + 1,
			      "well-formed sample did not reach the engine");
			if (reasm_stats(d.r)->frames == before.frames) {
				CHECK(stub.sends == sends && d.bad_frame == bad_frame &&
					      d.ecn_drops == ecn_drops && d.peer_denied == peer_denied &&
					      hdr_drops(&d) == hdr,
				      "something sent, or refused, without a complete frame");
			} else {
				/*
				 * One frame completed: refused (bad frame, bad STT header, CE
				 * outside a Not-ECT packet, sender not a peer) or sent, exactly once.
				 */
				unsigned int sent = stub.sends - sends;
				__u64 refused = (d.bad_frame - bad_frame) + (d.ecn_drops - ecn_drops) +
						(d.peer_denied - peer_denied) + (hdr_drops(&d) - hdr);

				CHECK(sent + refused == 1, "complete frame: %u sends, %llu refusals", sent,
				      (unsigned long long)refused);
				CHECK(stub.lookups - lookups <= 1, "several context lookups for one frame");
				CHECK(d.tx_errors == tx_errors + (sent && stub.fail_send),
				      "tx_errors not counted");
				if (stub.strict && !peer)
					CHECK(!sent, "non-peer frame (remote %#x) sent", p->saddr);
				if (!stub.strict)
					CHECK(d.peer_denied == peer_denied, "denied, open peers");
			}
		}
		free(buf);
	}
	reasm_free(d.r);
	g_opts.verbose = false;
	return 0;
}

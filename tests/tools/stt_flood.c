// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * stt_flood: a raw-socket (AF_PACKET) flood of crafted underlay packets, for the exhaustion
 * tests (tests/netns/test_exhaust.sh). A test tool, not part of the endpoint.
 *
 *   stt_flood -i DEV --dst-mac MAC --dst ADDR --src ADDR [--src-count N] MODE LIMIT [options]
 *
 * MODE:
 *   --first        first segments (offset 0) of frames that never complete: SEQ says
 *                  --frame-len bytes, the packet carries --payload; every packet has a
 *                  random frame ID (ACK) and a random source port in 49152..65535
 *   --unknown      whole single-segment STT frames for contexts nobody binds
 *                  (0x5354480000000000 + a counter)
 *   --nonstt       UDP to port 9 (not STT)
 *   --macs         whole single-segment STT frames for context --ctx C, each with a random
 *                  inner source MAC (unicast, locally administered), or --smac MAC for all
 * LIMIT: --secs S (send for S seconds) or --count N (send exactly N packets); SIGINT or
 * SIGTERM stops it early (it still prints what it sent).
 * Source addresses: --src and the next --src-count - 1 addresses (spoofed: nothing needs to
 * own them), chosen at random per packet.
 * Every packet has correct IP and TCP/UDP checksums. A send the device queue refuses
 * (ENOBUFS) is retried, so --count packets all leave. Prints one line:
 *   sent N packets in S s (R pps), E retries after ENOBUFS
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "stt_proto.h"

#define BATCH 64
#define PKT_MAX 2048

enum mode { M_NONE, M_FIRST, M_UNKNOWN, M_NONSTT, M_MACS };

static uint64_t rng = 0x5354464c4f4f44ULL;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t sum16(const void *buf, size_t len, uint64_t sum)
{
	const uint8_t *b = buf;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint64_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *m)
{
	fprintf(stderr, "stt_flood: %s\n", m);
	exit(2);
}

static int parse_mac(const char *s, uint8_t *m)
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &m[0], &m[1], &m[2], &m[3], &m[4],
		      &m[5]) == 6
		   ? 0
		   : -1;
}

int main(int argc, char **argv)
{
	const char *dev = NULL;
	uint8_t dmac[6] = {0}, smac[6] = {0x02, 0x53, 0x54, 0x46, 0x4c, 0x44};
	struct in_addr dst = {0}, src = {0};
	uint32_t src_count = 1, frame_len = 60000, payload = 1400, port = STT_DEFAULT_PORT;
	double secs = 0;
	uint64_t count = 0, sent = 0, retries = 0, ctr = 0, payload_sum, hdr_sum, mac_ctx = 0;
	uint8_t fixed_smac[6];
	bool fixed = false;
	enum mode mode = M_NONE;
	static uint8_t pkts[BATCH][PKT_MAX], body[PKT_MAX];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_halen = 6};
	size_t hdr_len, plen;
	double t0, t1;
	int fd;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--first"))
			mode = M_FIRST;
		else if (!strcmp(a, "--unknown"))
			mode = M_UNKNOWN;
		else if (!strcmp(a, "--nonstt"))
			mode = M_NONSTT;
		else if (!strcmp(a, "--macs"))
			mode = M_MACS;
		else if (!v)
			die("option needs a value (see the top of tests/tools/stt_flood.c)");
		else if (!strcmp(a, "-i"))
			dev = v, i++;
		else if (!strcmp(a, "--dst-mac"))
			(parse_mac(v, dmac) ? die("bad --dst-mac") : (void)0), i++;
		else if (!strcmp(a, "--dst"))
			(inet_pton(AF_INET, v, &dst) != 1 ? die("bad --dst") : (void)0), i++;
		else if (!strcmp(a, "--src"))
			(inet_pton(AF_INET, v, &src) != 1 ? die("bad --src") : (void)0), i++;
		else if (!strcmp(a, "--src-count"))
			src_count = strtoul(v, NULL, 0), i++;
		else if (!strcmp(a, "--secs"))
			secs = strtod(v, NULL), i++;
		else if (!strcmp(a, "--count"))
			count = strtoull(v, NULL, 0), i++;
		else if (!strcmp(a, "--frame-len"))
			frame_len = strtoul(v, NULL, 0), i++;
		else if (!strcmp(a, "--payload"))
			payload = strtoul(v, NULL, 0), i++;
		else if (!strcmp(a, "--port"))
			port = strtoul(v, NULL, 0), i++;
		else if (!strcmp(a, "--ctx"))
			mac_ctx = strtoull(v, NULL, 0), i++;
		else if (!strcmp(a, "--smac"))
			(parse_mac(v, fixed_smac) ? die("bad --smac") : (void)0), fixed = true, i++;
		else
			die("unknown option (see the top of tests/tools/stt_flood.c)");
	}
	if (!dev || mode == M_NONE || !dst.s_addr || !src.s_addr || (!secs && !count) ||
	    !src_count)
		die("need -i, a mode, --dst, --src and --secs or --count");
	if (payload < sizeof(struct stt_hdr) + 14 || payload > 1400 || frame_len > 65535 ||
	    (mode == M_FIRST && frame_len <= payload))
		die("bad --payload / --frame-len");

	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0)
		die("socket(AF_PACKET): are you root?");
	sll.sll_ifindex = if_nametoindex(dev);
	if (!sll.sll_ifindex)
		die("no such device");
	memcpy(sll.sll_addr, dmac, 6);
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
		die("bind");

	/* The body behind the outer headers: STT header + inner frame, the same for all. */
	if (mode == M_NONSTT) {
		plen = payload;
		memset(body, 0x4e, plen);
	} else {
		struct stt_hdr *h = (struct stt_hdr *)body;

		plen = payload;
		memset(body, 0, plen);
		h->version = STT_VERSION;
		if (mode == M_MACS)
			h->context_id = __builtin_bswap64(mac_ctx);
		memset(body + sizeof(*h), 0xff, 6); /* inner: broadcast, experimental type */
		body[sizeof(*h) + 6] = 0x02;
		body[sizeof(*h) + 12] = 0x88;
		body[sizeof(*h) + 13] = 0xb5;
		for (size_t k = sizeof(*h) + 14; k < plen; k++)
			body[k] = (uint8_t)k;
	}
	hdr_len = 14 + 20 + (mode == M_NONSTT ? 8 : 20);
	payload_sum = sum16(body, plen, 0);
	hdr_sum = sum16(body, sizeof(struct stt_hdr), 0);

	for (int b = 0; b < BATCH; b++) {
		memcpy(pkts[b], dmac, 6);
		memcpy(pkts[b] + 6, smac, 6);
		pkts[b][12] = 0x08;
		pkts[b][13] = 0x00;
		memcpy(pkts[b] + hdr_len, body, plen);
		iov[b].iov_base = pkts[b];
		iov[b].iov_len = hdr_len + plen;
		memset(&msgs[b], 0, sizeof(msgs[b]));
		msgs[b].msg_hdr.msg_iov = &iov[b];
		msgs[b].msg_hdr.msg_iovlen = 1;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	t0 = now();
	while (!stop) {
		int n = BATCH, off = 0;

		if (count && count - sent < (uint64_t)n)
			n = (int)(count - sent);
		if (n == 0 || (secs && now() - t0 >= secs))
			break;
		for (int b = 0; b < n; b++) {
			uint8_t *p = pkts[b], *ip = p + 14, *l4 = ip + 20;
			uint64_t r = rnd(), s;
			uint32_t saddr = htonl(ntohl(src.s_addr) + (uint32_t)(r % src_count));
			uint16_t tot = (uint16_t)(20 + (hdr_len - 34) + plen), c;

			memset(ip, 0, 20);
			ip[0] = 0x45;
			ip[2] = tot >> 8, ip[3] = tot & 0xff;
			ip[4] = (uint8_t)(r >> 40), ip[5] = (uint8_t)(r >> 48);
			ip[6] = 0x40; /* DF */
			ip[8] = 64;
			ip[9] = mode == M_NONSTT ? 17 : 6;
			memcpy(ip + 12, &saddr, 4);
			memcpy(ip + 16, &dst.s_addr, 4);
			c = htons(~fold(sum16(ip, 20, 0)) & 0xffff);
			memcpy(ip + 10, &c, 2);
			s = sum16(ip + 12, 8, 0) + ip[9] + (tot - 20u) + payload_sum;
			if (mode == M_NONSTT) {
				uint16_t sp = htons(49152 | (r & 0x3fff)), dp = htons(9),
					 ul = htons(8 + plen);

				memcpy(l4, &sp, 2);
				memcpy(l4 + 2, &dp, 2);
				memcpy(l4 + 4, &ul, 2);
				memset(l4 + 6, 0, 2);
				c = htons(~fold(sum16(l4, 8, s)) & 0xffff);
				if (!c)
					c = 0xffff;
				memcpy(l4 + 6, &c, 2);
			} else {
				uint16_t sp = htons(49152 | (r & 0x3fff)), dp = htons(port);
				uint32_t seq, ack = htonl((uint32_t)(r >> 16));

				if (mode == M_FIRST) {
					seq = htonl(STT_SEQ(frame_len, 0));
				} else if (mode == M_MACS) {
					/* whole frame: patch the inner source MAC into the body */
					uint8_t *sm = p + hdr_len + sizeof(struct stt_hdr) + 6;
					uint64_t m = rnd();

					if (fixed) {
						memcpy(sm, fixed_smac, 6);
					} else {
						for (int k = 0; k < 6; k++)
							sm[k] = (uint8_t)(m >> (8 * k));
						sm[0] = (sm[0] & ~1) | 2;
					}
					s = s - payload_sum + sum16(p + hdr_len, plen, 0);
					seq = htonl(STT_SEQ(plen, 0));
				} else {
					/* whole frame: patch the context into the body */
					uint64_t ctx = 0x5354480000000000ULL + ctr++;
					uint64_t be = __builtin_bswap64(ctx);

					memcpy(p + hdr_len + offsetof(struct stt_hdr, context_id), &be,
					       8);
					s = s - hdr_sum + sum16(p + hdr_len, sizeof(struct stt_hdr), 0);
					seq = htonl(STT_SEQ(plen, 0));
				}
				memcpy(l4, &sp, 2);
				memcpy(l4 + 2, &dp, 2);
				memcpy(l4 + 4, &seq, 4);
				memcpy(l4 + 8, &ack, 4);
				l4[12] = 5 << 4;
				l4[13] = STT_TCP_ACK;
				l4[14] = 0xff, l4[15] = 0xff;
				memset(l4 + 16, 0, 4);
				c = htons(~fold(sum16(l4, 20, s)) & 0xffff);
				memcpy(l4 + 16, &c, 2);
			}
		}
		while (off < n) {
			int k = sendmmsg(fd, msgs + off, n - off, 0);

			if (k < 0) {
				if (stop && errno == EINTR)
					break;
				if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR) {
					retries++;
					usleep(50);
					continue;
				}
				perror("stt_flood: sendmmsg");
				return 1;
			}
			off += k;
			sent += k;
		}
	}
	t1 = now();
	printf("sent %llu packets in %.2f s (%.0f pps), %llu retries after ENOBUFS\n",
	       (unsigned long long)sent, t1 - t0, sent / (t1 - t0 > 0 ? t1 - t0 : 1),
	       (unsigned long long)retries);
	return 0;
}

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Packets the TC transmit program re-injects into lo (the passes of a cut frame, marked
 * STT_MARK_ADVANCE or STT_MARK_FRESH), caught by packet sockets on lo that a classic BPF
 * filter restricts to one skb->mark. Shared by build/stt_unit and build/stt_bpf_fuzz.
 * The includer defines LO_IFINDEX and struct pkt { size_t len; uint8_t d[...]; } first.
 */
#ifndef STT_TEST_LO_CAPTURE_H
#define STT_TEST_LO_CAPTURE_H

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

/* lo up (clones need an up device to enter) or down again. */
static bool lo_set_up(bool up)
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok = false;

	if (fd < 0)
		return false;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (!ioctl(fd, SIOCGIFFLAGS, &ifr)) {
		if (up)
			ifr.ifr_flags |= IFF_UP;
		else
			ifr.ifr_flags &= ~IFF_UP;
		ok = !ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return ok;
}

/* A packet socket on lo that takes only packets with this mark; -errno on failure. */
static int capture_open(__u32 mark)
{
	struct sock_filter f[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_MARK),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, mark, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, 0x40000),
	    BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = {.len = sizeof(f) / sizeof(f[0]), .filter = f};
	struct sockaddr_ll sll = {
	    .sll_family = AF_PACKET,
	    .sll_protocol = htons(ETH_P_ALL),
	    .sll_ifindex = LO_IFINDEX,
	};
	/* Protocol 0: nothing queues before bind(), which comes after the filter. */
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0), rcvbuf = 4 << 20;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* The next packet that entered lo with the socket's mark, or false after timeout_ms. */
static bool capture_next(int fd, struct pkt *p, int timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	for (;;) {
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t n;

		if (poll(&pfd, 1, timeout_ms) <= 0)
			return false;
		n = recvfrom(fd, p->d, sizeof(p->d), MSG_TRUNC, (struct sockaddr *)&from, &fl);
		if (n < 0)
			return false;
		if (from.sll_pkttype == PACKET_OUTGOING)
			continue;
		p->len = (size_t)n > sizeof(p->d) ? sizeof(p->d) : (size_t)n;
		return true;
	}
}

#endif

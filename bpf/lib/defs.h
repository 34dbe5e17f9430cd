/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Names for the uapi constants the programs use that vmlinux.h lacks (they are #defines
 * there): TC verdicts, Ethernet types, IP protocols and header bits, address families.
 */
#ifndef STT_BPF_DEFS_H
#define STT_BPF_DEFS_H

/* A helper of a shared header that one program file does not use. */
#define __maybe_unused __attribute__((unused))

#define TC_ACT_UNSPEC   -1
#define TC_ACT_OK       0
#define TC_ACT_SHOT     2
#define TC_ACT_REDIRECT 7
/*
 * What stt_tc_rx returns for a packet it does not consume: TC_ACT_UNSPEC, which is tcx's
 * TCX_NEXT and, for a clsact filter, "no verdict". Either way the next program on the device
 * (tcx or clsact, attached by someone else) still sees the packet, and the stack gets it
 * after the last one. TC_ACT_OK would end the chain at stt.
 */
#define STT_TC_PASS TC_ACT_UNSPEC

#define ETH_P_IP     0x0800
#define ETH_P_IPV6   0x86dd
#define ETH_P_8021Q  0x8100
#define ETH_P_8021AD 0x88a8

#define AF_INET  2
#define AF_INET6 10

/* IPPROTO_ICMP, _TCP and _UDP are in vmlinux.h (an enum); the IPv6 ones are #defines. */
#define IPPROTO_HOPOPTS  0
#define IPPROTO_ROUTING  43
#define IPPROTO_FRAGMENT 44
#define IPPROTO_ICMPV6   58
#define IPPROTO_DSTOPTS  60

#define IP_DF      0x4000 /* IPv4 frag_off: don't fragment */
#define IP_MF      0x2000 /* IPv4 frag_off: more fragments */
#define IP_OFFSET  0x1fff /* IPv4 frag_off: fragment offset */
#define IP6_OFFSET 0xfff8 /* IPv6 fragment header: fragment offset */

#define ICMP_DEST_UNREACH 3
#define ICMP_FRAG_NEEDED  4
#define ICMPV6_PKT_TOOBIG 2

/* The inner L2 length of bpf_skb_adjust_room's encapsulation flags (a uapi macro). */
#define BPF_F_ADJ_ROOM_ENCAP_L2(len) (((__u64)(len)&0xff) << 56)

#endif

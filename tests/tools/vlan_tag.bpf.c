// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A tenant's VLAN for tests/netns/test_gue.sh, on a kernel without 8021q or bridge VLAN
 * filtering: vlan_push tags every frame leaving the tenant's interface with VID 100 (in the
 * skb, as a VLAN device would), vlan_pop takes the tag off what arrives. Not part of the
 * endpoint.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("tc")
int vlan_push(struct __sk_buff *skb)
{
	bpf_skb_vlan_push(skb, bpf_htons(0x8100), 100);
	return 0; /* TC_ACT_OK */
}

SEC("classifier") /* a section of its own: tc picks programs by section */
int vlan_pop(struct __sk_buff *skb)
{
	if (skb->vlan_present)
		bpf_skb_vlan_pop(skb);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

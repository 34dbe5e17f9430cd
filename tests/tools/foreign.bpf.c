// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A "foreign" TC program for the coexistence tests (tests/netns/test_ops.sh): it counts
 * every packet it sees and lets it go on to the next program (TC_ACT_UNSPEC, which is
 * TCX_NEXT for tcx). tests/tools/stt_foreign.c loads it. Not part of the endpoint.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} foreign_count SEC(".maps");

SEC("tc")
int foreign_tc(struct __sk_buff *skb)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&foreign_count, &k);

	if (v)
		__sync_fetch_and_add(v, 1);
	return -1; /* TC_ACT_UNSPEC / TCX_NEXT */
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef STT_MAC_H
#define STT_MAC_H

#include <stddef.h>
#include <linux/types.h>

/* xx:xx:xx:xx:xx:xx (hex digits of either case) into mac: 0, or -1 (nothing said). */
int mac_parse(const char *s, __u8 mac[6]);
/* mac as xx:xx:xx:xx:xx:xx (lower case) in buf (18 bytes are enough). */
void fmt_mac(const __u8 mac[6], char *buf, size_t len);

#endif

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* MAC addresses as text (mac.h): pure, no messages, so the apply parser's fuzzer links it. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mac.h"

int mac_parse(const char *s, __u8 mac[6])
{
	/* Exactly xx:xx:xx:xx:xx:xx (sscanf's %x would also take spaces, signs and 0x). */
	if (!s || strlen(s) != 17)
		return -1;
	for (int i = 0; i < 17; i++) {
		if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
			return -1;
	}
	for (int i = 0; i < 6; i++)
		mac[i] = (unsigned char)strtoul((char[3]){s[3 * i], s[3 * i + 1], 0}, NULL, 16);
	return 0;
}

void fmt_mac(const __u8 mac[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
	         mac[5]);
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer target: the fleet schema (user/lib/fleet.c) on what etcd may hold. Input: records
 * "KEY\0VALUE\0", each a put (an empty value: a delete) of a key relative to PREFIX/spec/.
 *
 * Properties:
 * - every key put ends up valid (with a value), refused (with a reason), or both (a bad new
 *   value keeps the last valid one);
 * - each host named in the input gets a plan the apply parser accepts (ap_parse), after
 *   leaving out what it refuses across keys (fleet_plan_accepted), or none only when that
 *   host's own key is refused: no error is left that no key explains;
 * - every entry of a plan traces back to a key (fleet_plan_source).
 * ASan and UBSan (make fuzz-build) catch memory errors, leaks and undefined behaviour.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "apply.h"
#include "fleet.h"

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_fleet: check failed: %s: ", #cond);                  \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static bool no_if(const char *ifname)
{
	return ifname[0] != 'x'; /* interfaces starting with x do not exist */
}

static void check_plan(struct fleet_spec *s, const char *host)
{
	struct fleet_plan p = {0};
	struct ap_errs errs = {0};
	char hkey[FLEET_KEY_MAX], path[64], why[256] = "";
	struct ap_doc d;

	snprintf(hkey, sizeof(hkey), "host/%s", host);
	if (fleet_plan_accepted(s, host, no_if, fleet_check_parse, &errs, &p, why, sizeof(why))) {
		CHECK(!p.doc && json_object_object_get_ex(s->bad.o, hkey, NULL), "no plan for %s: %s",
		      host, why);
		goto out;
	}
	ap_errs_free(&errs);
	memset(&errs, 0, sizeof(errs));
	CHECK(ap_parse(p.doc, strlen(p.doc), &d, &errs) == 0, "plan of %s refused", host);
	for (size_t i = 0; i < d.nvports; i++) {
		snprintf(path, sizeof(path), "$.vports[%zu]", i);
		CHECK(fleet_plan_source(&p, path), "vport %zu without a key", i);
	}
	ap_doc_free(&d);
out:
	ap_errs_free(&errs);
	fleet_plan_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fleet_spec s;
	const char *p = (const char *)data, *end = p + size;

	fleet_spec_init(&s);
	while (p < end) {
		const char *k = p, *kz = memchr(k, 0, end - k), *v, *vz;

		if (!kz)
			break;
		v = kz + 1;
		vz = v < end ? memchr(v, 0, end - v) : NULL;
		if (!vz)
			break;
		if (vz == v) {
			fleet_spec_del(&s, k);
		} else {
			fleet_spec_put(&s, k, v, vz - v);
			CHECK(json_object_object_get_ex(s.vals, k, NULL) ||
			          json_object_object_get_ex(s.bad.o, k, NULL),
			      "%s neither valid nor refused", k);
		}
		p = vz + 1;
	}
	check_plan(&s, "h1");
	json_object_object_foreach(s.vals, k2, v2)
	{
		(void)v2;
		if (!strncmp(k2, "host/", 5))
			check_plan(&s, k2 + 5);
	}
	fleet_spec_free(&s);
	return 0;
}

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The input of fuzz_render.c, which gen_render_seeds.c writes too: a
 * ring-buffer record, then this, then the strings an alert gets from
 * elsewhere, each ended by a NUL (or by the input's end): the second
 * look's method, the executable, the cgroup path, the unit, the host name.
 * The input's last byte is not part of it: it chooses the renderer
 * (RENDER_FAMILY_*, modulo RENDER_FAMILIES).
 */
#ifndef MXGUARD_FUZZ_RENDER_H
#define MXGUARD_FUZZ_RENDER_H

#include <linux/types.h>

#include "mxguard/abi.h"

struct render_tail {
	__u16 text_size;	/* a human line of this size % 2049 too */
	__u16 syslog_size;	/* an RFC 5424 line of this size % 4097 too */
	__u8 flags;		/* RENDER_* */
	__u8 pad[3];
	__u64 repeats;
	__u64 lost;
	__u32 distance;
	__u32 added_to_policy;
};

/* Pass the struct alert_extra below (else NULL, as for most alerts). */
#define RENDER_EXTRA	0x01
/* No policy: the daemon's, for a rule id of a generation it no longer has. */
#define RENDER_NO_POLICY 0x02
/* The extra's finding imitates a correspondent (correspondents.h). */
#define RENDER_CORRESPONDENT 0x04

/* The last byte of an input: JSON, journal and "@cee:"; human; RFC 5424. */
#define RENDER_FAMILY_JSON	0
#define RENDER_FAMILY_TEXT	1
#define RENDER_FAMILY_SYSLOG	2
#define RENDER_FAMILIES		3

#define RENDER_STRINGS	5	/* method, exe, cgroup, unit, hostname */

#endif

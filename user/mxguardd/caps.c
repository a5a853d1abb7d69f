// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "caps.h"
#include "log.h"

#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static int kernel_has_cap_bpf(void)
{
	return prctl(PR_CAPBSET_READ, CAP_BPF, 0, 0, 0) >= 0;
}

int caps_drop_to_runtime(void)
{
	cap_value_t keep[3] = { CAP_NET_ADMIN, CAP_SYS_PTRACE, CAP_BPF };
	cap_value_t c;
	cap_t caps;
	int err = 0;

	if (!kernel_has_cap_bpf())
		keep[2] = CAP_SYS_ADMIN;
	/* The bounding set first: dropping it needs CAP_SETPCAP. */
	for (c = 0; c <= CAP_LAST_CAP; c++) {
		if (c == keep[0] || c == keep[1] || c == keep[2])
			continue;
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) <= 0)
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) && errno != EINVAL) {
			log_warn("drop capability %d from the bounding set", c);
			err = -1;
		}
	}
	caps = cap_init();
	if (!caps ||
	    cap_set_flag(caps, CAP_PERMITTED, 3, keep, CAP_SET) ||
	    cap_set_flag(caps, CAP_EFFECTIVE, 3, keep, CAP_SET) ||
	    cap_set_proc(caps)) {
		log_warn("set capabilities");
		err = -1;
	}
	cap_free(caps);
	return err;
}

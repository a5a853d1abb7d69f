/* SPDX-License-Identifier: GPL-2.0-only */
/* What the daemon answers on its control socket. */
#ifndef MXGUARD_COMMANDS_H
#define MXGUARD_COMMANDS_H

#include "daemon.h"

void commands_dispatch(struct daemon *d, const char *line,
		       struct ctl_reply *r);

#endif

/* SPDX-License-Identifier: GPL-2.0-only */
/* What the daemon answers on its control socket. */
#ifndef MXGUARD_COMMANDS_H
#define MXGUARD_COMMANDS_H

#include "daemon.h"

/* Run @line's command if @peer may (enum ctl_may); the reply in @r. */
void commands_dispatch(struct daemon *d, const struct ctl_peer *peer,
		       const char *line, struct ctl_reply *r);

#endif

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The I/O half of an alert: its wall-clock time, the process's executable
 * (/proc) and its cgroup path and unit.  Done once per alert, before any
 * renderer runs (event.h: struct alert_env).
 */
#ifndef MXGUARD_ENRICH_H
#define MXGUARD_ENRICH_H

#include "event.h"

/* Fill @env for @ev; its pointers stay valid until the next call. */
void event_enrich(const struct mxg_event *ev, struct alert_env *env);

#endif

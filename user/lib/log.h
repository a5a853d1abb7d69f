/* SPDX-License-Identifier: GPL-2.0-only */
/* One logging module for every program; libbpf's messages go through it. */
#ifndef MXGUARD_LOG_H
#define MXGUARD_LOG_H

#include <stdarg.h>

enum log_level { LOG_LVL_WARN = 0, LOG_LVL_INFO = 1, LOG_LVL_DEBUG = 2 };

void log_init(const char *progname, int verbosity);
void log_route_libbpf(void);
void pr_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Like pr_warn, with ": strerror(errno)" appended. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

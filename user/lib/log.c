// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "log.h"

static struct {
	const char *prog;
	int verbosity;
} logger = { "mxguard", LOG_LVL_INFO };

void log_init(const char *progname, int verbosity)
{
	logger.prog = progname;
	logger.verbosity = verbosity;
}

static void vlog(int level, const char *fmt, va_list ap, const char *suffix)
{
	if (level > logger.verbosity)
		return;
	fprintf(stderr, "%s: ", logger.prog);
	vfprintf(stderr, fmt, ap);
	if (suffix)
		fprintf(stderr, ": %s\n", suffix);
}

#define DEFINE_LOG(fn, level)                                                  \
	void fn(const char *fmt, ...)                                          \
	{                                                                      \
		va_list ap;                                                    \
		va_start(ap, fmt);                                             \
		vlog(level, fmt, ap, NULL);                                    \
		va_end(ap);                                                    \
	}

DEFINE_LOG(pr_warn, LOG_LVL_WARN)
DEFINE_LOG(pr_info, LOG_LVL_INFO)
DEFINE_LOG(pr_debug, LOG_LVL_DEBUG)

void log_warn(const char *fmt, ...)
{
	const char *err = strerror(errno);
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_WARN, fmt, ap, err);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	int mine = level == LIBBPF_WARN ? LOG_LVL_WARN :
		   level == LIBBPF_INFO ? LOG_LVL_DEBUG : LOG_LVL_DEBUG + 1;

	if (mine > logger.verbosity)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void log_route_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}

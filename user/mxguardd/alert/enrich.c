// SPDX-License-Identifier: GPL-2.0-only
/* What an alert needs from the clock, /proc and the cgroup tree (enrich.h). */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgpath.h"
#include "enrich.h"

/* Event times are CLOCK_MONOTONIC (bpf_ktime_get_ns); SOCs want UTC. */
static void format_time(__u64 ts_ns, char *out, size_t sz)
{
	struct timespec mono, real;
	long long wall_ns;
	struct tm tm;
	time_t secs;
	size_t n;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	wall_ns = (long long)real.tv_sec * 1000000000LL + real.tv_nsec -
		  ((long long)mono.tv_sec * 1000000000LL + mono.tv_nsec -
		   (long long)ts_ns);
	secs = wall_ns / 1000000000LL;
	gmtime_r(&secs, &tm);
	n = strftime(out, sz, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, sz - n, ".%06lldZ",
		 (wall_ns % 1000000000LL) / 1000);
}

/*
 * The process may be gone by the time we read its connect event (an MTA
 * child exits right after a refused connect), so remember the executable
 * seen at its earlier DNS events.  A miss only loses an optional field.
 */
#define EXE_CACHE 256

static struct {
	__u32 tgid;
	char exe[PATH_MAX];
} exe_cache[EXE_CACHE];

static const char *executable(__u32 tgid)
{
	char link[64], exe[PATH_MAX];
	unsigned int slot = tgid % EXE_CACHE;
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%u/exe", tgid);
	n = readlink(link, exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		exe_cache[slot].tgid = tgid;
		memcpy(exe_cache[slot].exe, exe, n + 1);
	}
	if (exe_cache[slot].tgid == tgid && exe_cache[slot].exe[0])
		return exe_cache[slot].exe;
	return NULL;
}

void event_enrich(const struct mxg_event *ev, struct alert_env *env)
{
	static char unit[256];

	memset(env, 0, sizeof(*env));
	format_time(ev->ts_ns, env->ts, sizeof(env->ts));
	/* Lost-event notes are about the ring buffer, not a process. */
	if (ev->type == MXG_EV_LOST)
		return;
	env->exe = executable(ev->tgid);
	env->cgroup = ev->cgroup_id ? cgpath_lookup(ev->cgroup_id) : NULL;
	if (env->cgroup && !cgpath_unit(env->cgroup, unit, sizeof(unit)))
		env->unit = unit;
}

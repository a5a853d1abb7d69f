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

/*
 * host.* is read once: the name and /etc/machine-id do not change under a
 * running daemon (a rename shows after a restart).  machine-id is what
 * journald and Elastic Agent report as host.id, so records correlate.
 */
static struct {
	int done;
	char name[256];
	char id[64];
	unsigned long long start_us;	/* makes event.id unique per host */
	unsigned long long seq;
} host;

static void host_init(void)
{
	struct timespec ts;
	FILE *f;
	size_t n;

	host.done = 1;
	if (gethostname(host.name, sizeof(host.name) - 1))
		host.name[0] = '\0';
	f = fopen("/etc/machine-id", "re");
	if (f) {
		if (fgets(host.id, sizeof(host.id), f)) {
			n = strspn(host.id, "0123456789abcdef");
			host.id[n == 32 ? n : 0] = '\0';
		}
		fclose(f);
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	host.start_us = (unsigned long long)ts.tv_sec * 1000000ULL +
			ts.tv_nsec / 1000;
}

void event_enrich(const struct mxg_event *ev, struct alert_env *env)
{
	static char unit[256], id[48];

	if (!host.done)
		host_init();
	memset(env, 0, sizeof(*env));
	format_time(ev->ts_ns, env->ts, sizeof(env->ts));
	/* The daemon's start and a count: no two alerts of a host share it. */
	snprintf(id, sizeof(id), "%llx-%llu", host.start_us, ++host.seq);
	env->event_id = id;
	env->host_name = host.name[0] ? host.name : NULL;
	env->host_id = host.id[0] ? host.id : NULL;
	/* Lost-event notes are about the ring buffer, not a process. */
	if (ev->type == MXG_EV_LOST)
		return;
	env->exe = executable(ev->tgid);
	env->cgroup = ev->cgroup_id ? cgpath_lookup(ev->cgroup_id) : NULL;
	if (env->cgroup && !cgpath_unit(env->cgroup, unit, sizeof(unit)))
		env->unit = unit;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * Alert fields follow the Elastic Common Schema where a field exists
 * (@timestamp, event.*, process.*, user.id, destination.*, dns.question.name)
 * so SIEMs map them without work; the rest lives under "mxguard".
 */
#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "event.h"
#include "log.h"
#include "name.h"

static const char *const mode_names[] = { "block", "alert" };
static const char *const scope_names[] = { "process", "unit", "host", "none" };

void event_format_addr(const __u8 addr[16], char *out, size_t sz)
{
	static const __u8 mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (!memcmp(addr, mapped, sizeof(mapped)))
		inet_ntop(AF_INET, addr + 12, out, sz);
	else
		inet_ntop(AF_INET6, addr, out, sz);
}

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
 * seen at its earlier DNS events.  A small direct-mapped cache is enough:
 * a miss only loses an optional field.
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

static void write_process(struct jw *w, const struct mxg_event *ev)
{
	char link[64], comm[sizeof(ev->comm) + 1];
	const char *exe;

	memcpy(comm, ev->comm, sizeof(ev->comm));
	comm[sizeof(ev->comm)] = '\0';
	jw_obj_open(w, "process");
	jw_u64(w, "pid", ev->tgid);
	jw_u64(w, "thread_id", ev->pid);
	jw_str(w, "name", comm);
	exe = executable(ev->tgid);
	if (exe)
		jw_str(w, "executable", exe);
	jw_obj_close(w);
	jw_obj_open(w, "user");
	snprintf(link, sizeof(link), "%u", ev->uid);
	jw_str(w, "id", link);
	jw_obj_close(w);
}

static void write_event_class(struct jw *w, const struct mxg_event *ev)
{
	const char *action = "dns-lookalike-query", *outcome = "unknown";
	const char *type = "info";

	if (ev->type == MXG_EV_CONNECT) {
		action = ev->outcome == MXG_OUTCOME_BLOCKED ? "blocked" :
							      "alerted";
		outcome = ev->outcome == MXG_OUTCOME_BLOCKED ? "failure" :
							       "success";
		type = ev->outcome == MXG_OUTCOME_BLOCKED ? "denied" :
							    "allowed";
	} else if (ev->type == MXG_EV_TAINT) {
		action = "tainted";
	}
	jw_obj_open(w, "event");
	/* A taint is context for the alerts around it, not an alert. */
	jw_str(w, "kind", ev->type == MXG_EV_TAINT ? "event" : "alert");
	jw_str(w, "module", "mxguard");
	jw_arr_open(w, "category");
	jw_str(w, NULL, "network");
	jw_arr_close(w);
	jw_arr_open(w, "type");
	jw_str(w, NULL, ev->type == MXG_EV_CONNECT ? "connection" : "protocol");
	jw_str(w, NULL, type);
	jw_arr_close(w);
	jw_str(w, "action", action);
	jw_str(w, "outcome", outcome);
	jw_obj_close(w);
}

static void write_mxguard(struct jw *w, const struct mxg_event *ev,
			  const struct mxg_policy *policy, const char *origin,
			  const char *name)
{
	const struct mxg_policy_rule *r = NULL;
	char buf[MXG_NAME_TEXT_MAX];

	jw_obj_open(w, "mxguard");
	jw_str(w, "lookalike", origin);
	mxg_name_format(ev->protected_name, sizeof(ev->protected_name), buf,
			sizeof(buf));
	jw_str(w, "protected", buf);
	jw_str(w, "resolved_name", name);
	jw_str(w, "mode", ev->mode < 2 ? mode_names[ev->mode] : "unknown");
	jw_str(w, "scope", ev->scope < 4 ? scope_names[ev->scope] : "unknown");
	jw_str(w, "action", ev->action == MXG_ACTION_BLOCK ? "block" : "alert");
	if (policy && (size_t)ev->rule_id < policy->n)
		r = &policy->rules[ev->rule_id];
	if (r) {
		jw_obj_open(w, "rule");
		mxg_name_format(r->wire, r->wire_len, buf, sizeof(buf));
		jw_str(w, "suffix", buf);
		jw_str(w, "file", r->file);
		jw_u64(w, "line", r->line);
		jw_obj_close(w);
	}
	jw_u64(w, "cgroup_id", ev->cgroup_id);
	jw_obj_open(w, "resolver");
	jw_u64(w, "pid", ev->resolver_tgid);
	jw_u64(w, "cgroup_id", ev->resolver_cgroup);
	jw_obj_close(w);
	if (ev->type == MXG_EV_TAINT)
		jw_u64(w, "ttl", ev->ttl);
	jw_obj_close(w);
}

void event_to_json(struct jw *w, const struct mxg_event *ev,
		   const struct mxg_policy *policy)
{
	char ts[64], addr[INET6_ADDRSTRLEN];
	char origin[MXG_NAME_TEXT_MAX], name[MXG_NAME_TEXT_MAX];

	jw_reset(w);
	format_time(ev->ts_ns, ts, sizeof(ts));
	mxg_name_format(ev->origin, sizeof(ev->origin), origin, sizeof(origin));
	mxg_name_format(ev->name, sizeof(ev->name), name, sizeof(name));
	jw_obj_open(w, NULL);
	jw_str(w, "@timestamp", ts);
	write_event_class(w, ev);
	write_process(w, ev);
	if (ev->type != MXG_EV_DNS_LOOKALIKE) {
		event_format_addr(ev->addr, addr, sizeof(addr));
		jw_obj_open(w, "destination");
		jw_str(w, "ip", addr);
		if (ev->type == MXG_EV_CONNECT)
			jw_u64(w, "port", ev->dport);
		jw_obj_close(w);
	}
	jw_obj_open(w, "dns");
	jw_obj_open(w, "question");
	jw_str(w, "name", ev->type == MXG_EV_CONNECT ? origin : name);
	jw_obj_close(w);
	jw_obj_close(w);
	write_mxguard(w, ev, policy, origin, name);
	jw_obj_close(w);
}

int event_handle(void *ctx, void *data, size_t size)
{
	struct event_ctx *ec = ctx;

	if (size < sizeof(struct mxg_event)) {
		pr_warn("short event (%zu bytes): ABI mismatch\n", size);
		return 0;
	}
	event_to_json(&ec->jw, data, ec->policy);
	if (ec->json_out) {
		fprintf(ec->json_out, "%s\n", jw_cstr(&ec->jw));
		fflush(ec->json_out);
	}
	if (ec->use_syslog)
		syslog(LOG_WARNING, "%s", jw_cstr(&ec->jw));
	ec->emitted++;
	return 0;
}

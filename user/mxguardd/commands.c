// SPDX-License-Identifier: GPL-2.0-only
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "commands.h"
#include "event.h"
#include "loader.h"
#include "log.h"
#include "name.h"
#include "names_abi.h"

static void status(const struct cmd_env *e, struct ctl_reply *r)
{
	const struct cmd_view *v = &e->view;
	const struct mxg_conf *c = v->conf;
	__u64 cnt[MXG_CNT__MAX];
	struct mxg_evictions ev;
	int i;

	reply_printf(r, "ok\nstate: loaded (%s)\ncgroup: %s\npins: %s\n",
		     v->adopted ? "adopted pinned links" : "attached",
		     v->cgroup, c->pin_dir);
	reply_printf(r, "programs: mxg_dns_egress mxg_dns_ingress "
		     "mxg_connect4 mxg_connect6 mxg_sendmsg4 mxg_sendmsg6\n");
	reply_printf(r, "mode: %s\nscope: %s\nlineage: %s\nports:",
		     mxg_mode_name(c->mode), mxg_scope_name(c->scope),
		     v->lineage);
	for (i = 0; i < c->nports; i++)
		reply_printf(r, "%s%u", i ? "," : " ", c->ports[i]);
	reply_printf(r, "\nttl: %llu..%llu s\npolicy: %zu rules, generation "
		     "%u\n", (unsigned long long)c->ttl_min_s,
		     (unsigned long long)c->ttl_max_s, v->policy->n,
		     v->generation);
	for (i = 0; i < c->npolicies; i++)
		reply_printf(r, "policy_path: %s\n", c->policies[i]);
	reply_printf(r, "uptime: %lld s\nreloads: %llu (failed %llu)\n",
		     (long long)(time(NULL) - v->started), v->n.reloads,
		     v->n.reload_failures);
	if (e->ops->counters(e->owner, cnt, &ev))
		return;
	for (i = 0; i < MXG_CNT__MAX; i++)
		reply_printf(r, "counter %s: %llu\n", mxg_counter_name(i),
			     (unsigned long long)cnt[i]);
}

struct stat_item {
	const char *name;
	unsigned long long value;
	const char *help;
};

/* The daemon's own counters, after the datapath's. */
static const struct {
	const char *name;
	size_t off;
	const char *help;
} daemon_stats[] = {
#define S(name, field, help) { name, offsetof(struct cmd_counts, field), help }
	S("alerts_written", alerts_written, "alerts written to the outputs"),
	S("alerts_output_failed", alerts_failed,
	  "alerts an output failed to take"),
	S("alerts_rate_limited", alerts_rate_limited,
	  "repeats folded into 'repeated N times' summaries"),
	S("connections_matched", conn_matched,
	  "open connections to a newly tainted address (monitored ports)"),
	S("connections_out_of_scope", conn_out_of_scope,
	  "of those, outside the taint's scope and left open"),
	S("connections_clean_holder", conn_spared,
	  "in scope, but held by clean deliveries only: left open"),
	S("connections_destroyed", conn_destroyed,
	  "cached connections destroyed after a taint"),
	S("connections_destroy_failed", conn_destroy_failed,
	  "in scope, but SOCK_DESTROY failed: left open"),
	S("connection_scans_incomplete", conn_scans_incomplete,
	  "taints whose process scan hit a bound or a refusal"),
	S("suspects", suspects, "second-look findings"),
	S("suspects_added", suspects_added,
	  "second-look findings added to the live policy"),
	S("second_look_received", sl_received,
	  "MX queries the second look received"),
	S("second_look_checked", sl_checked,
	  "MX queries it compared with the protected names"),
	S("second_look_dropped", sl_dropped,
	  "MX queries dropped: its queue was full"),
	S("learned_evicted", learned_evicted,
	  "learned findings dropped at the cap, oldest first"),
	S("learned_expired", learned_expired, "learned findings that expired"),
	S("learned_forgotten", learned_forgotten,
	  "learned findings removed by mxguardctl forget"),
	S("correspondents_learnt", corr_learnt,
	  "recipient domains learnt as correspondents"),
	S("correspondents_lookalikes", corr_refused,
	  "first-seen domains near a frequent correspondent: not learnt"),
	S("correspondents_evicted", corr_evicted,
	  "correspondents dropped at the cap, least used first"),
	S("correspondents_swept", corr_swept,
	  "correspondents dropped as lookalikes of a more frequent one"),
	S("records_swept", swept,
	  "expired lookalike records removed by the daemon"),
	S("unit_filter_clears", unit_filter_clears,
	  "clean_unit filter clears (bytes of expired pairs dropped)"),
	S("reloads", reloads, "policy reloads"),
	S("reload_failures", reload_failures,
	  "reloads refused (the old policy stayed)"),
	S("responder_sessions", resp_sessions,
	  "SMTP sessions the responder accepted"),
	S("responder_refusals", resp_refused,
	  "lookalike recipients the responder answered 450"),
	S("responder_deferrals", resp_deferred,
	  "other recipients the responder answered 451"),
	S("responder_busy", resp_busy,
	  "responder sessions turned away at its cap (421)"),
	S("responder_timeouts", resp_timeouts,
	  "responder sessions closed at their deadline"),
	S("responder_errors", resp_errors,
	  "responder sessions ended on errors"),
	S("responder_relay_refusals", resp_relay_refused,
	  "redirected port-587 sessions the responder greeted 421"),
	S("responder_unknown_origin", resp_unknown_origin,
	  "responder sessions with no redirect record (not redirected)"),
	S("held_untracked", held_untracked,
	  "responder refusals past the held table's cap of domains"),
	S("responder_alerts_suppressed", resp_alerts_suppressed,
	  "recipient-held alerts over 200 a second: counted, not written"),
#undef S
};

#define N_DAEMON_STATS	(sizeof(daemon_stats) / sizeof(daemon_stats[0]))
#define N_STATS		(MXG_CNT__MAX + 3 + N_DAEMON_STATS + 1)

/* Every metric, in a fixed order; 0 if the datapath cannot be read. */
static int gather(const struct cmd_env *e, struct stat_item *s)
{
	const struct cmd_view *v = &e->view;
	struct mxg_evictions ev;
	__u64 cnt[MXG_CNT__MAX];
	size_t i;
	int n = 0;

	if (e->ops->counters(e->owner, cnt, &ev))
		return 0;
	for (i = 0; i < MXG_CNT__MAX; i++)
		s[n++] = (struct stat_item){ mxg_counter_name(i), cnt[i],
					     "datapath counter" };
	s[n++] = (struct stat_item){ "clean_evictions",
		(unsigned long long)ev.clean,
		"clean records lost to LRU eviction (derived)" };
	s[n++] = (struct stat_item){ "name_evictions",
		(unsigned long long)ev.names,
		"readable names lost to LRU eviction (derived)" };
	s[n++] = (struct stat_item){ "taint_evictions",
		(unsigned long long)ev.taints,
		"lookalike records evicted: never (plain hash maps)" };
	for (i = 0; i < N_DAEMON_STATS; i++)
		s[n++] = (struct stat_item){ daemon_stats[i].name,
			*(const unsigned long long *)((const char *)&v->n +
						      daemon_stats[i].off),
			daemon_stats[i].help };
	s[n++] = (struct stat_item){ "policy_rules", v->policy->n,
		"rules in the loaded policy" };
	return n;
}

static void stats(const struct cmd_env *e, const char *fmt,
		  struct ctl_reply *r)
{
	struct stat_item s[N_STATS];
	int prom = !strcmp(fmt, "prometheus"), n, i;

	if (*fmt && !prom && strcmp(fmt, "json")) {
		reply_printf(r, "error stats format is json or prometheus\n");
		return;
	}
	n = gather(e, s);
	if (!n) {
		reply_printf(r, "error cannot read the datapath's counters\n");
		return;
	}
	reply_printf(r, "ok\n%s", prom ? "" : "{");
	/* Prometheus: counters end in _total; the build is an info gauge. */
	if (prom)
		reply_printf(r, "# HELP mxguard_build_info the running mxguardd"
			     "\n# TYPE mxguard_build_info gauge\n"
			     "mxguard_build_info{version=\"%s\"} 1\n",
			     MXG_VERSION);
	for (i = 0; i < n; i++) {
		int gauge = !strcmp(s[i].name, "policy_rules");

		if (prom)
			reply_printf(r, "# HELP mxguard_%s%s %s\n# TYPE "
				     "mxguard_%s%s %s\nmxguard_%s%s %llu\n",
				     s[i].name, gauge ? "" : "_total",
				     s[i].help, s[i].name,
				     gauge ? "" : "_total",
				     gauge ? "gauge" : "counter", s[i].name,
				     gauge ? "" : "_total", s[i].value);
		else
			reply_printf(r, "%s\"%s\":%llu", i ? "," : "",
				     s[i].name, s[i].value);
	}
	reply_printf(r, "%s", prom ? "" : "}\n");
}

static void list_one(void *ctx, const struct mxg_taint_view *v)
{
	char addr[64], name[MXG_NAME_TEXT_MAX], origin[MXG_NAME_TEXT_MAX];
	struct ctl_reply *r = ctx;
	struct timespec ts;
	long long left;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	left = ((long long)v->t->expires_ns -
		((long long)ts.tv_sec * 1000000000LL + ts.tv_nsec)) /
	       1000000000LL;
	event_format_addr(v->addr, addr, sizeof(addr));
	mxg_name_format(v->name ? v->name : (const __u8 *)"", MXG_NAME_MAX,
			name, sizeof(name));
	mxg_name_format(v->origin ? v->origin : (const __u8 *)"",
			MXG_NAME_MAX, origin, sizeof(origin));
	reply_printf(r, "%-7s %-10llu %-39s %s via %s, %s, expires in %lld s\n",
		     v->level, (unsigned long long)v->id, addr, name, origin,
		     mxg_action_name(v->t->action), left);
}

static void cmd_status(const struct cmd_env *e, const char *arg,
		       struct ctl_reply *r)
{
	(void)arg;
	status(e, r);
}

static void cmd_check(const struct cmd_env *e, const char *arg,
		      struct ctl_reply *r)
{
	if (!arg[0]) {
		reply_printf(r, "error usage: check NAME\n");
		return;
	}
	check_name_ix(e->view.policy, e->view.secondlook, arg, r);
}

static void cmd_list(const struct cmd_env *e, const char *arg,
		     struct ctl_reply *r)
{
	(void)arg;
	reply_printf(r, "ok\n%-7s %-10s %-39s %s\n", "level", "id", "address",
		     "name via lookalike, action, expiry");
	e->ops->each_taint(e->owner, list_one, r);
}

static void cmd_reload(const struct cmd_env *e, const char *arg,
		       struct ctl_reply *r)
{
	(void)arg;
	e->ops->reload(e->owner, r);
}

static void cmd_unload(const struct cmd_env *e, const char *arg,
		       struct ctl_reply *r)
{
	(void)arg;
	e->ops->unload(e->owner);
	reply_printf(r, "ok\nunloading: enforcement is removed\n");
}

static void cmd_learned(const struct cmd_env *e, const char *arg,
			struct ctl_reply *r)
{
	(void)arg;
	e->ops->learned(e->owner, r);
}

/* Forgetting a finding lets mail through to that domain again: root's. */
static void cmd_held(const struct cmd_env *e, const char *arg,
		     struct ctl_reply *r)
{
	(void)arg;
	if (!e->ops->held) {
		reply_printf(r, "error no SMTP responder in this daemon\n");
		return;
	}
	e->ops->held(e->owner, r);
}

static void cmd_forget(const struct cmd_env *e, const char *arg,
		       struct ctl_reply *r)
{
	if (!arg[0]) {
		reply_printf(r, "error usage: forget NAME\n");
		return;
	}
	e->ops->forget(e->owner, arg, r);
}

static void cmd_correspondents(const struct cmd_env *e, const char *arg,
			       struct ctl_reply *r)
{
	if (arg[0] && strcmp(arg, "list")) {
		reply_printf(r, "error usage: correspondents [list]\n");
		return;
	}
	e->ops->correspondents(e->owner, r);
}

/*
 * Adding one silences the lookalikes it would be mistaken for; forgetting
 * one lets its lookalikes be learnt: both root's.
 */
static void corr_edit(const struct cmd_env *e, int add, const char *arg,
		      struct ctl_reply *r)
{
	if (!arg[0]) {
		reply_printf(r, "error usage: correspondent-%s NAME\n",
			     add ? "add" : "forget");
		return;
	}
	e->ops->correspondent_edit(e->owner, add, arg, r);
}

static void cmd_corr_add(const struct cmd_env *e, const char *arg,
			 struct ctl_reply *r)
{
	corr_edit(e, 1, arg, r);
}

static void cmd_corr_forget(const struct cmd_env *e, const char *arg,
			    struct ctl_reply *r)
{
	corr_edit(e, 0, arg, r);
}

/*
 * Each command names what it needs (OpenSMTPD's per-command badcred):
 * reading is for root and control_group; what changes the policy or
 * enforcement is for root alone.
 */
static const struct command {
	const char *name;
	unsigned int needs;		/* enum ctl_may */
	void (*run)(const struct cmd_env *e, const char *arg,
		    struct ctl_reply *r);
	int walk;			/* runs as long as the taint maps */
} commands[] = {
	{ "status", CTL_MAY_READ, cmd_status, 0 },
	{ "stats", CTL_MAY_READ, stats, 0 },
	{ "check", CTL_MAY_READ, cmd_check, 0 },
	{ "list", CTL_MAY_READ, cmd_list, 1 },
	{ "reload", CTL_MAY_ADMIN, cmd_reload, 0 },
	{ "unload", CTL_MAY_ADMIN, cmd_unload, 0 },
	{ "learned", CTL_MAY_READ, cmd_learned, 0 },
	{ "forget", CTL_MAY_ADMIN, cmd_forget, 0 },
	{ "held", CTL_MAY_READ, cmd_held, 0 },
	{ "correspondents", CTL_MAY_READ, cmd_correspondents, 0 },
	{ "correspondent-add", CTL_MAY_ADMIN, cmd_corr_add, 0 },
	{ "correspondent-forget", CTL_MAY_ADMIN, cmd_corr_forget, 0 },
};

static long long mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/*
 * `list` walks every taint record in the event loop (about four system
 * calls each; 200,000 records take a second or more), and nothing else
 * runs meanwhile: alerts wait in the ring buffer.  A member of
 * control_group who runs it in a loop must not keep the loop busy, so
 * after a walk that took d, members' walks are refused for
 * CMD_WALK_QUIET times d: they get at most 1 / (1 + CMD_WALK_QUIET) of the
 * loop.  Root's are never refused.
 */
#define CMD_WALK_QUIET	9
static long long walk_quiet_until_us;

static int walk_refused(const struct ctl_peer *peer, struct ctl_reply *r)
{
	long long now = mono_us();

	if ((peer->may & CTL_MAY_ADMIN) || now >= walk_quiet_until_us)
		return 0;
	reply_printf(r, "error busy: the last listing kept the daemon busy; "
		     "try again in %lld ms (root is not limited)\n",
		     (walk_quiet_until_us - now + 999) / 1000);
	return 1;
}

/* A walk under a millisecond holds nothing up: no quiet after it. */
static void walk_ran(long long since_us)
{
	long long now = mono_us(), d = now - since_us;

	if (d >= 1000)
		walk_quiet_until_us = now + CMD_WALK_QUIET * d;
}

/*
 * Refusals are logged, but a member can ask for state changes as fast as
 * it can connect: past CMD_REFUSALS_LOGGED a second, they are counted, and
 * the count is logged with the first refusal of a later second.
 */
#define CMD_REFUSALS_LOGGED	10
static struct {
	long long second;
	unsigned int logged;
	unsigned long long unlogged;
} refusals;

static void log_refusal(const char *cmd, const struct ctl_peer *peer)
{
	long long second = mono_us() / 1000000;

	if (second != refusals.second) {
		if (refusals.unlogged)
			pr_info("control: %llu more refusals not logged\n",
				refusals.unlogged);
		refusals.second = second;
		refusals.logged = 0;
		refusals.unlogged = 0;
	}
	if (refusals.logged++ < CMD_REFUSALS_LOGGED)
		pr_info("control: refused '%s' to uid %u (pid %d)\n", cmd,
			peer->uid, peer->pid);
	else
		refusals.unlogged++;
}

void commands_dispatch(const struct cmd_env *e, const struct ctl_peer *peer,
		       const char *line, struct ctl_reply *r)
{
	long long t0;
	char cmd[32] = "", arg[CTL_LINE_MAX] = "";
	size_t i;

	sscanf(line, "%31s %1023s", cmd, arg);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(cmd, commands[i].name))
			continue;
		if ((peer->may & commands[i].needs) != commands[i].needs) {
			log_refusal(cmd, peer);
			reply_printf(r, "error permission denied: '%s' changes "
				     "state; only root may run it\n", cmd);
			return;
		}
		if (commands[i].walk && walk_refused(peer, r))
			return;
		t0 = mono_us();
		commands[i].run(e, arg, r);
		if (commands[i].walk)
			walk_ran(t0);
		return;
	}
	reply_printf(r, "error unknown command '%s' (status, stats "
		     "[json|prometheus], check NAME, list, learned, reload, "
		     "unload, forget NAME, held, correspondents, "
		     "correspondent-add NAME, correspondent-forget NAME)\n",
		     cmd);
}

// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "commands.h"
#include "held.h"
#include "responder.h"
#include "learn.h"
#include "log.h"
#include "name.h"
#include "names_abi.h"

static void status(struct daemon *d, struct ctl_reply *r)
{
	const struct mxg_conf *c = d->conf;
	__u64 cnt[MXG_CNT__MAX];
	int i;

	reply_printf(r, "ok\nstate: loaded (%s)\ncgroup: %s\npins: %s\n",
		     d->loader.adopted ? "adopted pinned links" : "attached",
		     d->cgroup, c->pin_dir);
	reply_printf(r, "programs: mxg_dns_egress mxg_dns_ingress "
		     "mxg_connect4 mxg_connect6 mxg_sendmsg4 mxg_sendmsg6\n");
	reply_printf(r, "mode: %s\nscope: %s\nlineage: %s\nports:",
		     mxg_mode_name(c->mode), mxg_scope_name(c->scope),
		     probe_lineage_text(d->loader.lineage));
	for (i = 0; i < c->nports; i++)
		reply_printf(r, "%s%u", i ? "," : " ", c->ports[i]);
	reply_printf(r, "\nttl: %llu..%llu s\npolicy: %zu rules, generation "
		     "%u\n", (unsigned long long)c->ttl_min_s,
		     (unsigned long long)c->ttl_max_s, d->policy[0].n,
		     d->gen[0]);
	for (i = 0; i < c->npolicies; i++)
		reply_printf(r, "policy_path: %s\n", c->policies[i]);
	reply_printf(r, "uptime: %lld s\nreloads: %llu (failed %llu)\n",
		     (long long)(time(NULL) - d->started), d->reloads,
		     d->reload_failures);
	if (loader_counters(&d->loader, cnt))
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

/* The second look's queue and what it learnt (learn.h). */
static int gather_second_look(struct daemon *d, struct stat_item *s, int n)
{
	const struct learn *l = &d->learn;

	s[n++] = (struct stat_item){ "second_look_received", l->received,
		"MX queries the second look received" };
	s[n++] = (struct stat_item){ "second_look_checked", l->checked,
		"MX queries it compared with the protected names" };
	s[n++] = (struct stat_item){ "second_look_dropped", l->dropped,
		"MX queries dropped: its queue was full" };
	s[n++] = (struct stat_item){ "learned_evicted", l->evicted,
		"learned findings dropped at the cap, oldest first" };
	s[n++] = (struct stat_item){ "learned_expired", l->expired,
		"learned findings that expired" };
	s[n++] = (struct stat_item){ "learned_forgotten", l->forgotten,
		"learned findings removed by mxguardctl forget" };
	return n;
}

/* The SMTP responder's sessions and what it answered (responder.h). */
static int gather_responder(struct daemon *d, struct stat_item *s, int n)
{
	const struct resp_counts *c = resp_counts();

	(void)d;
	s[n++] = (struct stat_item){ "responder_sessions", c->sessions,
		"SMTP sessions the responder accepted" };
	s[n++] = (struct stat_item){ "responder_refusals", c->refused,
		"lookalike recipients answered 450 by the responder" };
	s[n++] = (struct stat_item){ "responder_deferrals", c->deferred,
		"other recipients answered 451 by the responder" };
	s[n++] = (struct stat_item){ "responder_busy", c->busy,
		"sessions turned away at the responder's cap (421)" };
	s[n++] = (struct stat_item){ "responder_timeouts", c->timeouts,
		"responder sessions closed at their deadline" };
	s[n++] = (struct stat_item){ "responder_errors", c->errors,
		"responder sessions ended on errors" };
	s[n++] = (struct stat_item){ "responder_unknown_origin",
		c->unknown_origin,
		"responder sessions with no redirect record (not redirected?)" };
	s[n++] = (struct stat_item){ "held_untracked", held_untracked(),
		"refusals past the held table's cap of domains" };
	return n;
}

static int gather(struct daemon *d, struct stat_item *s, int max)
{
	struct mxg_evictions ev;
	__u64 cnt[MXG_CNT__MAX];
	int n = 0, i;

	if (loader_counters(&d->loader, cnt))
		return 0;
	loader_evictions(&d->loader, cnt, &ev);
	for (i = 0; i < MXG_CNT__MAX && n < max; i++)
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
	s[n++] = (struct stat_item){ "alerts_written", d->out.written,
		"alerts written to the outputs" };
	s[n++] = (struct stat_item){ "alerts_output_failed", d->out.failed,
		"alerts an output failed to take" };
	s[n++] = (struct stat_item){ "alerts_rate_limited", d->rl.suppressed,
		"repeats folded into 'repeated N times' summaries" };
	s[n++] = (struct stat_item){ "connections_matched",
		d->conncache.matched,
		"open connections to a newly tainted address (monitored ports)" };
	s[n++] = (struct stat_item){ "connections_out_of_scope",
		d->conncache.out_of_scope,
		"of those, outside the taint's scope and left open" };
	s[n++] = (struct stat_item){ "connections_destroyed",
		d->conncache.destroyed,
		"cached connections destroyed after a taint" };
	s[n++] = (struct stat_item){ "connections_destroy_failed",
		d->conncache.failed,
		"in scope, but SOCK_DESTROY failed: left open" };
	s[n++] = (struct stat_item){ "connection_scans_incomplete",
		d->conncache.incomplete,
		"taints whose process scan hit a bound or a refusal" };
	s[n++] = (struct stat_item){ "suspects", d->suspects,
		"second-look findings" };
	s[n++] = (struct stat_item){ "suspects_added", d->suspects_added,
		"second-look findings added to the live policy" };
	n = gather_second_look(d, s, n);
	n = gather_responder(d, s, n);
	s[n++] = (struct stat_item){ "records_swept", d->swept,
		"expired lookalike records removed by the daemon" };
	s[n++] = (struct stat_item){ "reloads", d->reloads, "policy reloads" };
	s[n++] = (struct stat_item){ "reload_failures", d->reload_failures,
		"reloads refused (the old policy stayed)" };
	s[n++] = (struct stat_item){ "policy_rules", d->policy[0].n,
		"rules in the loaded policy" };
	return n;
}

static void stats(struct daemon *d, const char *fmt, struct ctl_reply *r)
{
	struct stat_item s[MXG_CNT__MAX + 48];
	int n = gather(d, s, MXG_CNT__MAX), i;
	int prom = fmt && !strcmp(fmt, "prometheus");

	if (fmt && *fmt && !prom && strcmp(fmt, "json")) {
		reply_printf(r, "error stats format is json or prometheus\n");
		return;
	}
	reply_printf(r, "ok\n%s", prom ? "" : "{");
	for (i = 0; i < n; i++) {
		if (prom)
			reply_printf(r, "# HELP mxguard_%s %s\n# TYPE mxguard_%s "
				     "%s\nmxguard_%s %llu\n", s[i].name,
				     s[i].help, s[i].name,
				     strcmp(s[i].name, "policy_rules") ?
				     "counter" : "gauge", s[i].name,
				     s[i].value);
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

static void list(struct daemon *d, struct ctl_reply *r)
{
	reply_printf(r, "ok\n%-7s %-10s %-39s %s\n", "level", "id", "address",
		     "name via lookalike, action, expiry");
	loader_for_each_taint(&d->loader, list_one, r);
}

static void cmd_status(struct daemon *d, const char *arg, struct ctl_reply *r)
{
	(void)arg;
	status(d, r);
}

static void cmd_check(struct daemon *d, const char *arg, struct ctl_reply *r)
{
	if (!arg[0]) {
		reply_printf(r, "error usage: check NAME\n");
		return;
	}
	check_name(&d->policy[0], arg, r);
}

static void cmd_list(struct daemon *d, const char *arg, struct ctl_reply *r)
{
	(void)arg;
	list(d, r);
}

static void cmd_reload(struct daemon *d, const char *arg, struct ctl_reply *r)
{
	(void)arg;
	daemon_reload(d, r);
}

static void cmd_unload(struct daemon *d, const char *arg, struct ctl_reply *r)
{
	(void)arg;
	d->unload = d->stopping = 1;
	reply_printf(r, "ok\nunloading: enforcement is removed\n");
}

static void cmd_learned(struct daemon *d, const char *arg,
			struct ctl_reply *r)
{
	(void)arg;
	learn_list(d, r);
}

static void cmd_held(struct daemon *d, const char *arg, struct ctl_reply *r)
{
	(void)arg;
	held_list(&d->policy[0], r);
}

/* Forgetting a finding lets mail through to that domain again: root's. */
static void cmd_forget(struct daemon *d, const char *arg, struct ctl_reply *r)
{
	if (!arg[0]) {
		reply_printf(r, "error usage: forget NAME\n");
		return;
	}
	learn_forget(d, arg, r);
}

/*
 * Each command names what it needs (OpenSMTPD's per-command badcred):
 * reading is for root and control_group; what changes the policy or
 * enforcement is for root alone.
 */
static const struct command {
	const char *name;
	unsigned int needs;		/* enum ctl_may */
	void (*run)(struct daemon *d, const char *arg, struct ctl_reply *r);
} commands[] = {
	{ "status", CTL_MAY_READ, cmd_status },
	{ "stats", CTL_MAY_READ, stats },
	{ "check", CTL_MAY_READ, cmd_check },
	{ "list", CTL_MAY_READ, cmd_list },
	{ "reload", CTL_MAY_ADMIN, cmd_reload },
	{ "unload", CTL_MAY_ADMIN, cmd_unload },
	{ "learned", CTL_MAY_READ, cmd_learned },
	{ "forget", CTL_MAY_ADMIN, cmd_forget },
	{ "held", CTL_MAY_READ, cmd_held },
};

void commands_dispatch(struct daemon *d, const struct ctl_peer *peer,
		       const char *line, struct ctl_reply *r)
{
	char cmd[32] = "", arg[CTL_LINE_MAX] = "";
	size_t i;

	sscanf(line, "%31s %1023s", cmd, arg);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(cmd, commands[i].name))
			continue;
		if ((peer->may & commands[i].needs) != commands[i].needs) {
			pr_info("control: refused '%s' to uid %u (pid %d)\n",
				cmd, peer->uid, peer->pid);
			reply_printf(r, "error permission denied: '%s' changes "
				     "state; only root may run it\n", cmd);
			return;
		}
		commands[i].run(d, arg, r);
		return;
	}
	reply_printf(r, "error unknown command '%s' (status, stats "
		     "[json|prometheus], check NAME, list, learned, reload, "
		     "unload, forget NAME, held)\n", cmd);
}

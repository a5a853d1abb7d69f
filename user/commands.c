// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "commands.h"
#include "log.h"
#include "name.h"
#include "lookalike.h"
#include "names_abi.h"
#include "secondlook.h"

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
	struct stat_item s[MXG_CNT__MAX + 24];
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
		     "[json|prometheus], check NAME, list, reload, unload)\n",
		     cmd);
}

/* Add @rule to the live policy and the kernel's map; 0 if enforced. */
static int learn(struct daemon *d, const struct mxg_policy_rule *rule)
{
	int idx = policy_add(&d->policy[0], rule);

	if (idx < 0)
		return idx;
	if (loader_add_rule(&d->loader, &d->policy[0], idx))
		return -1;
	/* Remembered, so a reload of the files does not forget it. */
	policy_add(&d->learned, rule);
	return 0;
}

/*
 * A retrying MTA repeats its MX lookup; report a name once per repeat
 * window (counted as rate limited).  In block mode a finding is learnt and
 * the kernel stops sending its lookups here at all.
 */
#define SUSPECT_SEEN 256

static int seen_recently(struct daemon *d, const __u8 *wire, __u32 len)
{
	static struct { __u64 hash; time_t at; } seen[SUSPECT_SEEN];
	__u64 h = mxg_name_hash(0, wire, len);
	time_t now = time(NULL);
	unsigned int slot = h % SUSPECT_SEEN;

	if (seen[slot].hash == h && now - seen[slot].at <
				    (time_t)d->conf->repeat_window_s) {
		d->rl.suppressed++;
		return 1;
	}
	seen[slot].hash = h;
	seen[slot].at = now;
	return 0;
}

void commands_second_look(struct daemon *d, const struct mxg_event *ev)
{
	struct mxg_secondlook_finding f;
	struct mxg_policy_rule rule;
	struct alert_extra x = { 0 };
	struct mxg_event alert;
	__u32 len = mxg_name_wire_len(ev->name, sizeof(ev->name)), off;

	if (!d->conf->second_look || !len ||
	    secondlook_check(&d->policy[0], NULL, ev->name, len, &f, 1) != 1 ||
	    seen_recently(d, ev->name, len))
		return;
	d->suspects++;
	alert = *ev;
	alert.type = MXG_EV_SUSPECT;
	memset(alert.protected_name, 0, sizeof(alert.protected_name));
	memcpy(alert.protected_name, f.protected_wire,
	       f.protected_len < sizeof(alert.protected_name) - 1 ?
	       f.protected_len : sizeof(alert.protected_name) - 1);
	alert.rule_id = ~0U;		/* no rule yet */
	alert.action = MXG_ACTION_ALERT;
	x.method = lookalike_fuzzer_name(f.method);
	x.distance = f.distance;
	/* In block mode the kernel judges the lookups that follow. */
	if (d->conf->mode == MXG_MODE_ENFORCE) {
		memset(&rule, 0, sizeof(rule));
		rule.kind = MXG_RULE_LOOKALIKE;
		rule.action = MXG_ACTION_BLOCK;
		rule.origin = f.method;
		/* The registrable domain: mx.gmai1.com flags all of gmai1.com. */
		off = secondlook_registrable_offset(ev->name, len);
		rule.wire = ev->name + off;
		rule.wire_len = len - off;
		rule.protected_wire = f.protected_wire;
		rule.protected_len = f.protected_len;
		rule.file = "second-look";
		if (!learn(d, &rule)) {
			x.added_to_policy = 1;
			alert.action = MXG_ACTION_BLOCK;
			d->suspects_added++;
		}
	}
	daemon_emit(d, &alert, &x);
}

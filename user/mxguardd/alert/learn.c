// SPDX-License-Identifier: GPL-2.0-only
/*
 * The second look in the daemon: queue, check, findings in the live
 * policy, their expiry and their state file (learn.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "learn.h"
#include "log.h"
#include "lookalike.h"
#include "name.h"

static const char learned_file_rule[] = "second-look";
static const char corr_file_rule[] = "correspondents";

/* --- a finding in the live policy ------------------------------------------ */

static void rule_of(const struct mxg_finding *f, struct mxg_rule_spec *r)
{
	memset(r, 0, sizeof(*r));
	r->kind = MXG_RULE_LOOKALIKE;
	r->action = f->action;
	r->origin = f->method;
	r->wire = f->name;
	r->wire_len = f->len;
	r->protected_wire = f->protected_name;
	r->protected_len = f->protected_len;
	r->file = f->method == MXG_ORIGIN_CORRESPONDENT ? corr_file_rule :
							 learned_file_rule;
}

/* Into policy[0] and the kernel's map; its index, or -errno. */
static long enforce(struct daemon *d, const struct mxg_finding *f)
{
	struct mxg_rule_spec r;
	int idx, err;

	rule_of(f, &r);
	idx = policy_learn(&d->policy[0], &r);
	if (idx < 0)
		return idx;
	err = loader_add_rule(&d->loader, &d->policy[0], idx);
	if (err) {
		policy_unlearn(&d->policy[0], idx);
		return err;
	}
	return idx;
}

/* Out of the kernel's map and policy[0]; its records purge on the tick. */
static void unenforce(struct daemon *d, const struct mxg_finding *f)
{
	if (f->rule < 0)
		return;
	loader_remove_rule(&d->loader, &d->policy[0], f->rule);
	policy_unlearn(&d->policy[0], f->rule);
	d->learn.purge_due = 1;
}

static void say(const char *why, const struct mxg_finding *f)
{
	char name[MXG_NAME_TEXT_MAX], prot[MXG_NAME_TEXT_MAX];

	mxg_name_format(f->name, f->len, name, sizeof(name));
	mxg_name_format(f->protected_name, f->protected_len, prot,
			sizeof(prot));
	pr_info("second look: %s %s (imitates %s%s)\n", why, name,
		f->method == MXG_ORIGIN_CORRESPONDENT ? "correspondent " : "",
		prot);
}

static void drop_at(struct daemon *d, size_t i, const char *why)
{
	say(why, &d->learn.found.f[i]);
	unenforce(d, &d->learn.found.f[i]);
	learned_remove(&d->learn.found, i);
	d->learn.dirty = 1;
}

/*
 * The registrable domain: mx.gmai1.com flags all of gmai1.com.  A dot typed
 * inside the label keeps the label before it: hot.mail.com, not mail.com.
 */
static void finding_of(const struct daemon *d, const __u8 *wire, __u32 len,
		       const struct mxg_secondlook_finding *s, __u8 origin,
		       struct mxg_finding *f)
{
	__u32 off = secondlook_finding_offset(wire, len, s);

	memset(f, 0, sizeof(*f));
	f->len = len - off;
	memcpy(f->name, wire + off, f->len);
	f->protected_len = s->protected_len;
	memcpy(f->protected_name, s->protected_wire, s->protected_len);
	/* A correspondent's: how it is near is in its alert. */
	f->method = origin ? origin : s->method;
	f->distance = s->distance;
	f->action = s->action;
	f->first_seen = time(NULL);
	f->expires = f->first_seen + (long long)d->conf->learned_lifetime_s;
	f->rule = -1;
}

/* Learn @s (block mode): 0 once the kernel enforces it. */
static int learn(struct daemon *d, const __u8 *wire, __u32 len,
		 const struct mxg_secondlook_finding *s, __u8 origin)
{
	struct mxg_learned *found = &d->learn.found;
	struct mxg_finding f, gone;

	finding_of(d, wire, len, s, origin, &f);
	if (learned_find(found, f.name, f.len) >= 0)
		return -EEXIST;
	/* The cap: the oldest finding makes room, before the map fills. */
	if (found->n == found->max) {
		d->learn.evicted++;
		drop_at(d, 0, "at the cap, dropped the oldest finding,");
	}
	f.rule = enforce(d, &f);
	if (f.rule < 0)
		return (int)f.rule;
	learned_add(found, &f, &gone);
	d->learn.dirty = 1;
	return 0;
}

/* --- the check ------------------------------------------------------------- */

void learn_enqueue(struct learn *l, const struct mxg_event *ev)
{
	l->received++;
	if (l->queued == LEARN_QUEUE_MAX) {
		l->dropped++;
		return;
	}
	l->queue[(l->head + l->queued++) % LEARN_QUEUE_MAX] = *ev;
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

static void report(struct daemon *d, const struct mxg_event *ev,
		   const struct mxg_secondlook_finding *f, int added,
		   __u8 origin)
{
	struct alert_extra x = { 0 };
	struct mxg_event alert = *ev;

	alert.type = MXG_EV_SUSPECT;
	memset(alert.protected_name, 0, sizeof(alert.protected_name));
	memcpy(alert.protected_name, f->protected_wire,
	       f->protected_len < sizeof(alert.protected_name) - 1 ?
	       f->protected_len : sizeof(alert.protected_name) - 1);
	alert.rule_id = ~0U;		/* a rule of no generation */
	alert.action = f->action;
	x.method = lookalike_fuzzer_name(f->method);
	x.distance = f->distance;
	x.added_to_policy = added;
	x.correspondent = origin == MXG_ORIGIN_CORRESPONDENT;
	daemon_emit(d, &alert, &x);
}

void learn_flag(struct daemon *d, const struct mxg_event *ev, __u32 len,
		const struct mxg_secondlook_finding *f, __u8 origin)
{
	int added = 0;

	if (seen_recently(d, ev->name, len))
		return;
	d->suspects++;
	/* In block mode the kernel judges the lookups that follow. */
	if (d->conf->mode == MXG_MODE_ENFORCE &&
	    !learn(d, ev->name, len, f, origin)) {
		added = 1;
		d->suspects_added++;
	}
	report(d, ev, f, added, origin);
}

static void look(struct daemon *d, const struct mxg_event *ev)
{
	struct mxg_secondlook_finding f;
	__u32 len = mxg_name_wire_len(ev->name, sizeof(ev->name));
	int found;

	/* A rule learnt while the name waited covers it now. */
	if (!len || policy_match(&d->policy[0], ev->name, len) >= 0)
		return;
	d->learn.checked++;
	found = secondlook_match(&d->policy[0], d->learn.ix, ev->name, len, &f,
				 1);
	/*
	 * A lookalike of a protected name is never a correspondent; what
	 * the second look leaves alone is one, or imitates one.
	 */
	if (found == 0 && d->conf->correspondents)
		corr_look(d, ev, len);
	else if (found == 1)
		learn_flag(d, ev, len, &f, 0);
}

void learn_one(struct daemon *d)
{
	struct learn *l = &d->learn;
	struct mxg_event *ev;

	if (!l->queued)
		return;
	ev = &l->queue[l->head];
	l->head = (l->head + 1) % LEARN_QUEUE_MAX;
	l->queued--;
	if (d->conf->second_look)
		look(d, ev);
}

/* --- a policy load ----------------------------------------------------------- */

void learn_abort(struct learn_next *n)
{
	secondlook_index_free(n->ix);
	free(n->rule);
	free(n->action);
	memset(n, 0, sizeof(*n));
}

/* -1: the finding no longer fits @next (see learn_prepare). */
static long carry(struct mxg_policy *next, const struct learn_next *n,
		  const struct mxg_finding *f, __u8 *action)
{
	struct mxg_rule_spec r;
	struct mxg_finding now = *f;
	int a = secondlook_action_of(n->ix, f->protected_name,
				     f->protected_len), idx;

	/* A correspondent's keeps its action: correspondents are no policy. */
	if (f->method == MXG_ORIGIN_CORRESPONDENT)
		a = f->action;
	/* Not protected any more, or the files have a rule for it now. */
	if (a < 0 || policy_match(next, f->name, f->len) >= 0)
		return -1;
	*action = (__u8)a;
	now.action = *action;
	rule_of(&now, &r);
	idx = policy_learn(next, &r);
	return idx < 0 ? -1 : idx;
}

int learn_prepare(struct daemon *d, struct mxg_policy *next,
		  struct learn_next *n)
{
	struct mxg_learned *found = &d->learn.found;
	size_t i;

	memset(n, 0, sizeof(*n));
	n->ix = secondlook_index(next, NULL);
	n->rule = calloc(found->n + 1, sizeof(*n->rule));
	n->action = calloc(found->n + 1, 1);
	if (!n->ix || !n->rule || !n->action) {
		learn_abort(n);
		return -ENOMEM;
	}
	for (i = 0; i < found->n; i++)
		n->rule[i] = carry(next, n, &found->f[i], &n->action[i]);
	return 0;
}

void learn_commit(struct daemon *d, struct learn_next *n)
{
	struct mxg_learned *found = &d->learn.found;
	size_t i = found->n;

	while (i--) {
		found->f[i].rule = n->rule[i];
		if (n->rule[i] < 0) {
			say("left, as the policy no longer calls for it,",
			    &found->f[i]);
			learned_remove(found, i);
			d->learn.dirty = 1;
		} else if (found->f[i].action != n->action[i]) {
			found->f[i].action = n->action[i];
			d->learn.dirty = 1;
		}
	}
	secondlook_index_free(d->learn.ix);
	d->learn.ix = n->ix;
	n->ix = NULL;
	learn_abort(n);
}

int learn_start(struct daemon *d)
{
	struct learn *l = &d->learn;
	struct learn_next n;
	int got;

	memset(l, 0, sizeof(*l));
	l->queue = calloc(LEARN_QUEUE_MAX, sizeof(*l->queue));
	if (!l->queue || learned_init(&l->found, MXG_LEARNED_MAX))
		return -ENOMEM;
	got = learned_load(&l->found, d->conf->learned_file, time(NULL));
	if (got < 0 && got != -EPERM)
		pr_warn("%s: %s; starting without learned findings\n",
			d->conf->learned_file, strerror(-got));
	if (learn_prepare(d, &d->policy[0], &n))
		return -ENOMEM;
	learn_commit(d, &n);
	if (l->found.n)
		pr_info("second look: %zu learned findings from %s\n",
			l->found.n, d->conf->learned_file);
	return corr_start(d);
}

/* --- time and the state file --------------------------------------------- */

static void save(struct daemon *d)
{
	struct learn *l = &d->learn;
	int err;

	if (!l->dirty)
		return;
	err = learned_save(&l->found, d->conf->learned_file);
	if (err && !l->save_failed)
		pr_warn("%s: cannot save learned findings: %s (they are "
			"enforced, but not kept across a restart)\n",
			d->conf->learned_file, strerror(-err));
	l->save_failed = err != 0;
	l->dirty = err != 0;
}

/* What left the policy leaves the live records too. */
static void purge(struct daemon *d)
{
	struct mxg_reconciled rc;

	if (!d->learn.purge_due)
		return;
	d->learn.purge_due = 0;
	daemon_reconcile(d, &rc);
	if (rc.purged)
		pr_info("second look: purged %ld live records of findings "
			"that left\n", rc.purged);
}

void learn_tick(struct daemon *d)
{
	long i;

	while ((i = learned_expired(&d->learn.found, time(NULL))) >= 0) {
		d->learn.expired++;
		drop_at(d, (size_t)i, "expired:");
	}
	purge(d);
	save(d);
	corr_tick(d);
}

void learn_stop(struct daemon *d)
{
	struct learn *l = &d->learn;

	if (l->found.f)
		save(d);
	corr_stop(d);
	secondlook_index_free(l->ix);
	learned_free(&l->found);
	free(l->queue);
	memset(l, 0, sizeof(*l));
}

/* --- commands -------------------------------------------------------------- */

static void utc(long long t, char *out, size_t sz)
{
	time_t s = (time_t)t;
	struct tm tm;

	gmtime_r(&s, &tm);
	strftime(out, sz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void list_one(struct ctl_reply *r, const struct mxg_finding *f)
{
	char name[MXG_NAME_TEXT_MAX], prot[MXG_NAME_TEXT_MAX];
	char first[32], expires[32];
	const char *method = lookalike_fuzzer_name(f->method);

	mxg_name_format(f->name, f->len, name, sizeof(name));
	mxg_name_format(f->protected_name, f->protected_len, prot,
			sizeof(prot));
	utc(f->first_seen, first, sizeof(first));
	utc(f->expires, expires, sizeof(expires));
	reply_printf(r, "%-24s %-24s %-13s %8u %-6s %-20s %s%s\n", name, prot,
		     method ? method : "unknown", f->distance,
		     f->action == MXG_ACTION_BLOCK ? "block" : "alert", first,
		     expires, f->rule < 0 ? " (not enforced)" : "");
}

void learn_list(struct daemon *d, struct ctl_reply *r)
{
	const struct mxg_learned *found = &d->learn.found;
	size_t i;

	reply_printf(r, "ok\nlearned: %zu of at most %zu, each for %llu s\n",
		     found->n, found->max,
		     (unsigned long long)d->conf->learned_lifetime_s);
	reply_printf(r, "%-24s %-24s %-13s %8s %-6s %-20s %s\n", "name",
		     "imitates", "method", "distance", "action", "first_seen",
		     "expires");
	for (i = 0; i < found->n; i++)
		list_one(r, &found->f[i]);
}

void learn_forget(struct daemon *d, const char *text, struct ctl_reply *r)
{
	struct mxg_reconciled rc = { 0 };
	char shown[MXG_NAME_TEXT_MAX];
	__u8 wire[MXG_NAME_MAX];
	const char *err;
	__u32 len;
	long i;

	if (mxg_name_parse(text, wire, &len, &err)) {
		reply_printf(r, "error invalid name '%s': %s\n", text, err);
		return;
	}
	mxg_name_format(wire, len, shown, sizeof(shown));
	i = learned_find(&d->learn.found, wire, len);
	if (i < 0) {
		reply_printf(r, "error %s is not a learned finding (see "
			     "mxguardctl learned)\n", shown);
		return;
	}
	d->learn.forgotten++;
	drop_at(d, (size_t)i, "forgotten:");
	/* At once, not on the tick: the next connect must be free. */
	if (d->learn.purge_due) {
		d->learn.purge_due = 0;
		daemon_reconcile(d, &rc);
	}
	save(d);
	reply_printf(r, "ok\nforgot %s\npurged %ld records\n%s", shown,
		     rc.purged, d->learn.dirty ? "state file not written\n" :
						 "");
}

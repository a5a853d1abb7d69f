// SPDX-License-Identifier: GPL-2.0-only
/*
 * Correspondents in the daemon (correspondents.h): every clean MX query
 * the second look leaves alone is counted here; a first-seen name near a
 * frequent correspondent becomes a finding of the second look's kind
 * (learn_flag), with its alert, its rule in the live policy in block mode,
 * its expiry and its state file.  The table has a state file of its own,
 * written every CORR_SAVE_S when it changed, and at exit.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "learn.h"
#include "log.h"
#include "lookalike.h"
#include "name.h"

/*
 * Counts change with every lookup: writing them once a minute bounds what
 * a crash loses to a minute of counting, never a correspondent learnt
 * long ago.
 */
#define CORR_SAVE_S	60

static void opts_of(const struct mxg_conf *conf, struct mxg_corr_opts *o)
{
	corr_defaults(o);
	o->window_s = (long long)conf->correspondents_window_s;
	o->min_count = conf->correspondents_min_count;
	o->min_days = conf->correspondents_min_days;
	o->action = conf->correspondents_action;
}

int corr_start(struct daemon *d)
{
	struct learn *l = &d->learn;
	struct mxg_corr_opts o;
	long long now = time(NULL);
	int got;

	opts_of(d->conf, &o);
	if (corr_init(&l->corr, &o, now))
		return -ENOMEM;
	l->corr_saved = now;
	if (!d->conf->correspondents)
		return 0;
	got = corr_load(&l->corr, d->conf->correspondents_file, now);
	if (got < 0) {
		/*
		 * Somebody else's file, or one we cannot read: kept as it is,
		 * for whoever can tell what it holds.
		 */
		pr_warn("%s: %s; learning correspondents afresh, in memory "
			"only, until that file is moved away\n",
			d->conf->correspondents_file,
			got == -EBADMSG ? "not a correspondents file" :
			strerror(-got));
		l->corr_keep_file = 1;
	} else if (got > 0) {
		pr_info("correspondents: %d from %s\n", got,
			d->conf->correspondents_file);
	}
	if (got <= 0)
		l->corr_dirty = 1;	/* the window starts now: say so */
	if (corr_refresh(&l->corr))
		return -ENOMEM;
	return 0;
}

static void save(struct daemon *d)
{
	struct learn *l = &d->learn;
	int err;

	if (!l->corr_dirty || l->corr_keep_file)
		return;
	err = corr_save(&l->corr, d->conf->correspondents_file);
	if (err && !l->corr_save_failed)
		pr_warn("%s: cannot save correspondents: %s\n",
			d->conf->correspondents_file, strerror(-err));
	l->corr_save_failed = err != 0;
	l->corr_dirty = err != 0;
	l->corr_saved = time(NULL);
}

void corr_stop(struct daemon *d)
{
	if (d->learn.corr.c && d->conf->correspondents)
		save(d);
	corr_free(&d->learn.corr);
}

void corr_tick(struct daemon *d)
{
	if (time(NULL) - d->learn.corr_saved >= CORR_SAVE_S)
		save(d);
}

void corr_look(struct daemon *d, const struct mxg_event *ev, __u32 len)
{
	struct learn *l = &d->learn;
	struct mxg_corr_finding f;
	int r = corr_observe(&l->corr, ev->name, len, time(NULL), &f);

	if (r == CORR_COUNTED || r == CORR_LEARNT)
		l->corr_dirty = 1;
	/* While it learns, a name near a correspondent is only not learnt. */
	if (r == CORR_LOOKALIKE && !f.in_window)
		learn_flag(d, ev, len, &f.s, MXG_ORIGIN_CORRESPONDENT);
}

/* --- commands -------------------------------------------------------------- */

static void utc(long long t, char *out, size_t sz)
{
	time_t s = (time_t)t;
	struct tm tm;

	gmtime_r(&s, &tm);
	strftime(out, sz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void corr_list(struct daemon *d, struct ctl_reply *r)
{
	const struct mxg_correspondents *t = &d->learn.corr;
	char name[MXG_NAME_TEXT_MAX], first[32], last[32], until[32];
	const struct mxg_correspondent *c;
	long long now = time(NULL);
	size_t i;

	if (!d->conf->correspondents) {
		reply_printf(r, "error correspondents are off (correspondents "
			     "= no)\n");
		return;
	}
	utc(t->since + t->o.window_s, until, sizeof(until));
	reply_printf(r, "ok\ncorrespondents: %zu of at most %zu, %zu "
		     "frequent (%llu lookups on %u days)\n", t->n, t->o.max,
		     t->nfrequent, (unsigned long long)t->o.min_count,
		     t->o.min_days);
	reply_printf(r, "learning window: %s %s; lookalikes %s\n",
		     corr_in_window(t, now) ? "until" : "over since", until,
		     t->o.action == MXG_ACTION_BLOCK ? "block" : "alert");
	reply_printf(r, "learnt %llu, not learnt as lookalikes %llu, evicted "
		     "%llu, swept %llu\n", t->learnt, t->refused, t->evicted,
		     t->swept);
	reply_printf(r, "%-32s %10s %5s %-20s %-20s %s\n", "name", "count",
		     "days", "first_seen", "last_seen", "");
	for (i = 0; i < t->n; i++) {
		c = &t->c[i];
		mxg_name_format(c->name, c->len, name, sizeof(name));
		utc(c->first_seen, first, sizeof(first));
		utc(c->last_seen, last, sizeof(last));
		reply_printf(r, "%-32s %10llu %5u %-20s %-20s %s%s\n", name,
			     (unsigned long long)c->count, c->days, first, last,
			     corr_is_frequent(t, c) ? "frequent" : "",
			     c->added ? " added" : "");
	}
}

void corr_edit(struct daemon *d, int add, const char *text,
	       struct ctl_reply *r)
{
	struct learn *l = &d->learn;
	char shown[MXG_NAME_TEXT_MAX];
	__u8 wire[MXG_NAME_MAX];
	const char *err;
	__u32 len;
	int ret;

	if (!d->conf->correspondents) {
		reply_printf(r, "error correspondents are off (correspondents "
			     "= no)\n");
		return;
	}
	if (mxg_name_parse(text, wire, &len, &err)) {
		reply_printf(r, "error invalid name '%s': %s\n", text, err);
		return;
	}
	mxg_name_format(wire, len, shown, sizeof(shown));
	ret = add ? corr_add(&l->corr, wire, len, time(NULL)) :
		    corr_forget(&l->corr, wire, len);
	if (ret == -EINVAL) {
		reply_printf(r, "error %s is not a registrable domain (add "
			     "example.org, not mx.example.org or org)\n",
			     shown);
		return;
	}
	if (ret == -ENOENT) {
		reply_printf(r, "error %s is not a correspondent (see "
			     "mxguardctl correspondents)\n", shown);
		return;
	}
	pr_info("correspondents: %s %s\n", add ? "added" : "forgot", shown);
	/* At once: the next first sight is judged against it. */
	corr_refresh(&l->corr);
	l->corr_dirty = 1;
	save(d);
	reply_printf(r, "ok\n%s %s\n%s", add ? "added" : "forgot", shown,
		     l->corr_dirty ? "state file not written\n" : "");
}

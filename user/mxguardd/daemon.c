// SPDX-License-Identifier: GPL-2.0-only
/*
 * The service: one epoll loop over the two ring buffers (verdicts, and MX
 * queries for the second look), a signalfd and the control socket, plus a
 * one-second tick for repeat summaries and lost-event reports.  Nothing
 * here sits between a DNS answer and a connect: the kernel decides; this
 * loop explains.  Verdicts always go first: the second look runs a slice
 * at a time, and reads the ring of verdicts again before each name.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "caps.h"
#include "cgroup.h"
#include "commands.h"
#include "control.h"
#include "daemon.h"
#include "held.h"
#include "learn.h"
#include "log.h"
#include "names_abi.h"
#include "query.h"
#include "reconcile.h"
#include "responder.h"

int daemon_load_policy(const struct mxg_conf *conf, struct mxg_policy *p)
{
	int i, errors = 0;

	policy_init(p);
	for (i = 0; i < conf->npolicies; i++) {
		if (conf_check_perms(conf->policies[i])) {
			errors++;
			continue;
		}
		errors += policy_load_path(p, conf->policies[i]);
	}
	if (errors) {
		pr_warn("%d error%s in policy; nothing loaded\n", errors,
			errors == 1 ? "" : "s");
		policy_free(p);
	}
	return errors;
}

/* sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET. */
static void notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len;
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@'))
		return;
	len = strlen(path);
	if (len >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, len);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa,
	       offsetof(struct sockaddr_un, sun_path) + len);
	close(fd);
}

static __u64 mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* The policy generation an event's rule id belongs to. */
const struct mxg_policy *daemon_policy_for(const struct daemon *d,
					   const struct mxg_event *ev)
{
	__u32 gen = MXG_RULE_GEN(ev->rule_id);

	if (gen == d->gen[0])
		return &d->policy[0];
	if (gen == d->gen[1] && d->have_prev)
		return &d->policy[1];
	return NULL;
}

void daemon_emit(struct daemon *d, const struct mxg_event *ev,
		 const struct alert_extra *x)
{
	output_alert(&d->out, ev, daemon_policy_for(d, ev), x);
}

static void flush_repeats(void *ctx, const struct rl_entry *e)
{
	struct alert_extra x = { .repeats = e->repeats };
	struct daemon *d = ctx;

	if (e->sample)
		daemon_emit(d, e->sample, &x);
}

void rl_key_of(const struct mxg_event *ev, struct rl_key *k)
{
	memset(k, 0, sizeof(*k));
	k->type = ev->type;
	k->tgid = ev->tgid;
	k->port = ev->dport;
	k->outcome = ev->outcome;
	/* A name, not an address, is what these repeat. */
	if (ev->type == MXG_EV_DNS_LOOKALIKE || ev->type == MXG_EV_SUBMISSION)
		memcpy(k->dest, ev->origin, sizeof(k->dest));
	else
		memcpy(k->dest, ev->addr, sizeof(k->dest));
}

struct destroy_ctx {
	struct daemon *d;
	const struct mxg_event *taint;
};

/*
 * One alert per destroyed connection, carrying the taint's explanation and,
 * where the scope was decided by a scan, the process that held it.
 */
static void on_destroyed(void *ctx, const struct sockdiag_conn *c,
			 const struct conncache_pick *p)
{
	struct destroy_ctx *dc = ctx;
	struct mxg_event ev = *dc->taint;

	ev.type = MXG_EV_DESTROYED;
	ev.dport = c->dport;
	ev.uid = c->uid;
	ev.tgid = ev.pid = p->holder;
	memcpy(ev.comm, p->comm, sizeof(ev.comm));
	ev.cgroup_id = c->has_cgroup ? c->cgroup_id : 0;
	ev.scope = dc->d->conf->scope;
	memcpy(ev.addr, c->dst, sizeof(ev.addr));
	daemon_emit(dc->d, &ev, NULL);
}

/* conncache_taint.clean_holder: the datapath's own records decide. */
static int holder_clean(void *ctx, pid_t pid, const __u8 *addr)
{
	struct daemon *d = ctx;

	return loader_lineage_clean(&d->loader, pid, addr) == 1;
}

static void on_taint(struct daemon *d, const struct mxg_event *ev)
{
	struct destroy_ctx dc = { .d = d, .taint = ev };
	struct conncache_taint t = {
		.addr = ev->addr,
		.ports = d->conf->ports,
		.nports = d->conf->nports,
		.scope = d->conf->scope,
		.level = ev->scope,
		.resolver = ev->resolver_tgid,
		.resolver_cgroup = ev->resolver_cgroup,
		.depth = loader_lineage_depth(&d->loader),
		.clean_holder = holder_clean,
		.clean_ctx = d,
	};
	struct conncache_counts n;

	/*
	 * Connection caches: open connections to it predate the taint.  Only
	 * where a connect would be refused: a dry run never cuts a connection.
	 */
	if (!d->conf->destroy_cached || d->conf->mode != MXG_MODE_ENFORCE ||
	    ev->action != MXG_ACTION_BLOCK)
		return;
	if (!conncache_destroy(&t, on_destroyed, &dc, &n))
		conncache_add(&d->conncache, &n);
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct daemon *d = ctx;
	const struct mxg_event *ev = data;
	struct rl_key k;

	if (size < sizeof(*ev)) {
		pr_warn("short event (%zu bytes): ABI mismatch\n", size);
		return 0;
	}
	if (ev->type == MXG_EV_TAINT)
		on_taint(d, ev);
	/* A full lookalike map holds answers back: make room at once. */
	if (ev->type == MXG_EV_DNS_HELD && ev->reason == MXG_HOLD_MAP_FULL)
		d->swept += loader_sweep(&d->loader);
	rl_key_of(ev, &k);
	if (rl_check(&d->rl, &k, mono_s(), ev, flush_repeats, d) == RL_EMIT)
		daemon_emit(d, ev, NULL);
	return 0;
}

/*
 * The ring buffer's drop counter is pinned, so it outlives a daemon: start
 * from where it stands, or every restart would report the drops that the
 * last daemon reported already (or that happened while none was reading).
 */
static void lost_baseline(struct daemon *d)
{
	__u64 cnt[MXG_CNT__MAX];

	if (loader_counters(&d->loader, cnt))
		return;
	d->lost_reported = cnt[MXG_CNT_RB_DROPS];
	if (d->lost_reported)
		pr_info("ring buffer dropped %llu events before this daemon "
			"started (not reported again)\n",
			(unsigned long long)d->lost_reported);
}

/* MX queries: queued for the second look, never looked at here. */
static int on_query(void *ctx, void *data, size_t size)
{
	struct daemon *d = ctx;

	if (size >= sizeof(struct mxg_event))
		learn_enqueue(&d->learn, data);
	return 0;
}

/* The ring buffer's drop counter is kernel-side; report what it gained. */
static void report_lost(struct daemon *d)
{
	struct mxg_event ev = { .type = MXG_EV_LOST };
	struct alert_extra x = { 0 };
	__u64 cnt[MXG_CNT__MAX];
	struct timespec ts;

	if (loader_counters(&d->loader, cnt) ||
	    cnt[MXG_CNT_RB_DROPS] <= d->lost_reported)
		return;
	x.lost = cnt[MXG_CNT_RB_DROPS] - d->lost_reported;
	d->lost_reported = cnt[MXG_CNT_RB_DROPS];
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ev.ts_ns = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	daemon_emit(d, &ev, &x);
}

/*
 * Bring every live taint to the policy just loaded: what no rule covers
 * now is purged, the rest is re-stamped with this generation's rule ids
 * and actions, so removing a rule or changing its action takes effect at
 * once, and no record keeps an id that the 8-bit generation could bring
 * round to another rule (loader.h).
 */
void daemon_reconcile(struct daemon *d, struct mxg_reconciled *rc)
{
	struct mxg_gens g = {
		.now = &d->policy[0],
		.now_gen = d->gen[0],
		.prev = d->have_prev ? &d->policy[1] : NULL,
		.prev_gen = d->gen[1],
	};
	int err = reconcile_taints(&d->loader, &g, rc);

	if (err)
		pr_warn("live taints not brought to generation %u: %s\n",
			d->gen[0], strerror(-err));
}

int daemon_reload(struct daemon *d, struct ctl_reply *r)
{
	struct mxg_reconciled rc;
	struct learn_next carried;
	long swept;
	struct mxg_policy next;
	int errors;

	/*
	 * First, and whatever the policy holds: logrotate renames the file
	 * and sends SIGHUP, and a bad policy must not keep alerts going to
	 * the renamed file.
	 */
	output_reopen(&d->out);
	errors = daemon_load_policy(d->conf, &next);
	if (errors) {
		d->reload_failures++;
		if (r)
			reply_printf(r, "error %d error%s in policy; the loaded "
				     "policy stays\n", errors,
				     errors == 1 ? "" : "s");
		return -1;
	}
	/* Findings of the second look stay, in the map from its first moment. */
	if (learn_prepare(d, &next, &carried)) {
		d->reload_failures++;
		policy_free(&next);
		if (r)
			reply_printf(r, "error out of memory; the loaded policy "
				     "stays\n");
		return -1;
	}
	if (loader_set_policy(&d->loader, &next)) {
		d->reload_failures++;
		learn_abort(&carried);
		policy_free(&next);
		if (r)
			reply_printf(r, "error kernel refused the new policy; "
				     "the loaded policy stays\n");
		return -1;
	}
	/* Keep the previous generation for events already in flight. */
	if (d->have_prev)
		policy_free(&d->policy[1]);
	d->policy[1] = d->policy[0];
	d->gen[1] = d->gen[0];
	d->have_prev = 1;
	d->policy[0] = next;
	d->gen[0] = d->loader.generation;
	learn_commit(d, &carried);
	d->reloads++;
	daemon_reconcile(d, &rc);
	swept = loader_sweep(&d->loader);
	d->swept += swept;
	pr_info("reloaded: %zu rules, generation %u; live records: %ld of "
		"removed rules purged, %ld re-stamped, %ld of unknown rules "
		"kept, %ld changed meanwhile\n", d->policy[0].n, d->gen[0],
		rc.purged, rc.restamped, rc.unknown, rc.raced);
	if (r)
		reply_printf(r, "ok\nreloaded %zu rules\npurged %ld records of "
			     "removed rules\nre-stamped %ld records\nkept %ld "
			     "records of unknown rules\nswept %ld expired "
			     "records\n", d->policy[0].n, rc.purged,
			     rc.restamped, rc.unknown, swept);
	return 0;
}

static void on_signal(struct daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			daemon_reload(d, NULL);
		else if (si.ssi_signo == SIGUSR1)
			/* logrotate's postrotate: the logs, not the policy. */
			output_reopen(&d->out);
		else
			d->stopping = 1;
	}
}

/* What the control commands may ask of the daemon (commands.h). */
static int op_counters(void *owner, __u64 cnt[MXG_CNT__MAX],
		       struct mxg_evictions *ev)
{
	struct daemon *d = owner;

	if (loader_counters(&d->loader, cnt))
		return -EIO;
	loader_evictions(&d->loader, cnt, ev);
	return 0;
}

static void op_each_taint(void *owner,
			  void (*fn)(void *ctx, const struct mxg_taint_view *v),
			  void *ctx)
{
	struct daemon *d = owner;

	loader_for_each_taint(&d->loader, fn, ctx);
}

static void op_reload(void *owner, struct ctl_reply *r)
{
	daemon_reload(owner, r);
}

static void op_unload(void *owner)
{
	struct daemon *d = owner;

	d->unload = d->stopping = 1;
}

static void op_learned(void *owner, struct ctl_reply *r)
{
	learn_list(owner, r);
}

static void op_forget(void *owner, const char *name, struct ctl_reply *r)
{
	learn_forget(owner, name, r);
}

static void op_correspondents(void *owner, struct ctl_reply *r)
{
	corr_list(owner, r);
}

static void op_corr_edit(void *owner, int add, const char *name,
			 struct ctl_reply *r)
{
	corr_edit(owner, add, name, r);
}

static void op_held(void *owner, struct ctl_reply *r)
{
	struct daemon *d = owner;

	held_list(&d->policy[0], r);
}

static const struct cmd_ops daemon_ops = {
	.counters = op_counters,
	.each_taint = op_each_taint,
	.reload = op_reload,
	.unload = op_unload,
	.learned = op_learned,
	.forget = op_forget,
	.held = op_held,
	.correspondents = op_correspondents,
	.correspondent_edit = op_corr_edit,
};

/* The commands' view of the daemon, as it is now. */
static void fill_view(const struct daemon *d, struct cmd_view *v)
{
	const struct learn *l = &d->learn;
	const struct resp_counts *rc = resp_counts();

	*v = (struct cmd_view){
		.conf = d->conf,
		.policy = &d->policy[0],
		.secondlook = l->ix,
		.generation = d->gen[0],
		.cgroup = d->cgroup,
		.lineage = probe_lineage_text(d->loader.lineage),
		.adopted = d->loader.adopted,
		.started = d->started,
		.n = {
			.alerts_written = d->out.written,
			.alerts_failed = d->out.failed,
			.alerts_rate_limited = d->rl.suppressed,
			.conn_matched = d->conncache.matched,
			.conn_out_of_scope = d->conncache.out_of_scope,
			.conn_spared = d->conncache.spared,
			.conn_destroyed = d->conncache.destroyed,
			.conn_destroy_failed = d->conncache.failed,
			.conn_scans_incomplete = d->conncache.incomplete,
			.suspects = d->suspects,
			.suspects_added = d->suspects_added,
			.sl_received = l->received,
			.sl_checked = l->checked,
			.sl_dropped = l->dropped,
			.learned_evicted = l->evicted,
			.learned_expired = l->expired,
			.learned_forgotten = l->forgotten,
			.corr_learnt = l->corr.learnt,
			.corr_refused = l->corr.refused,
			.corr_evicted = l->corr.evicted,
			.corr_swept = l->corr.swept,
			.swept = d->swept,
			.unit_filter_clears = d->unit_filter_clears,
			.reloads = d->reloads,
			.reload_failures = d->reload_failures,
			.resp_sessions = rc->sessions,
			.resp_refused = rc->refused,
			.resp_deferred = rc->deferred,
			.resp_busy = rc->busy,
			.resp_timeouts = rc->timeouts,
			.resp_errors = rc->errors,
			.resp_unknown_origin = rc->unknown_origin,
			.resp_relay_refused = rc->relay_refused,
			.held_untracked = held_untracked(),
			.resp_alerts_suppressed = d->rcpt_alerts_suppressed,
		},
	};
}

/* A request from the control socket (control.c checked who sent it). */
static void on_request(void *ctx, const struct ctl_peer *peer,
		       const char *line, struct ctl_reply *r)
{
	struct cmd_env env = { .ops = &daemon_ops, .owner = ctx };

	fill_view(ctx, &env.view);
	commands_dispatch(&env, peer, line, r);
}

static int add_fd(int ep, int fd, __u32 tag)
{
	struct epoll_event e = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
}

enum { TAG_RB = 1, TAG_SIG, TAG_QRB };

static const struct mxg_policy *resp_policy(void *ctx)
{
	return &((struct daemon *)ctx)->policy[0];
}

/* Best effort: the uid of a process that may be gone already. */
static __u32 uid_of(__u32 tgid)
{
	char path[48], line[128];
	unsigned int uid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/status", tgid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Uid: %u", &uid) == 1)
			break;
	fclose(f);
	return uid;
}

/* Best effort: the comm of a process that may be gone already. */
static void comm_of(__u32 tgid, __u8 comm[16])
{
	char path[48], buf[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/comm", tgid);
	f = tgid ? fopen(path, "re") : NULL;
	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
	buf[15] = '\0';
	memcpy(comm, buf, 16);
}

#define RCPT_ALERTS_PER_S	200

/*
 * A refusal is an alert: the recipient, the reason and the suggestion, on
 * every sink, with the process and the address the connect was meant for
 * when the redirect record names them.
 */
static void on_refused(void *ctx, const struct resp_refusal *r)
{
	struct daemon *d = ctx;
	struct mxg_event ev = { .type = MXG_EV_RCPT_HELD,
				.mode = d->conf->mode,
				.action = MXG_ACTION_BLOCK,
				.outcome = MXG_OUTCOME_REDIRECTED };
	struct alert_extra x = { .rcpt = r->rcpt, .reason = r->v->reason,
				 .suggest = r->v->suggest };
	struct timespec now;
	__u32 len;
	const char *err;

	/*
	 * A relay greeted 421 (port 587): no recipient was said, and the
	 * connect's own `held` alert already went out.  The held table only.
	 */
	if (!r->rcpt) {
		held_note(r, time(NULL));
		return;
	}
	/* The datapath's clock (bpf_ktime_get_ns), as the renderers expect. */
	clock_gettime(CLOCK_MONOTONIC, &now);
	ev.ts_ns = now.tv_sec * 1000000000ULL + now.tv_nsec;
	if (r->orig) {
		ev.tgid = ev.pid = ev.resolver_tgid = r->orig->tgid;
		ev.cgroup_id = r->orig->cgroup_id;
		ev.rule_id = r->orig->rule_id;
		ev.protected_hash = r->orig->protected_hash;
		memcpy(ev.addr, r->orig->addr, 16);
		ev.dport = r->orig->port;
		ev.family = r->orig->family;
		comm_of(ev.tgid, ev.comm);
		ev.uid = uid_of(ev.tgid);
	}
	/* The rule the recipient matched now, which is what was said. */
	if (r->v->rule)
		ev.rule_id = (__u32)(r->v->rule - d->policy[0].rules) |
			     (ev.rule_id & ~0xffffffu);
	if (mxg_name_parse(r->v->domain, ev.origin, &len, &err) == 0)
		memcpy(ev.name, ev.origin, sizeof(ev.name));
	mxg_name_parse(r->v->imitates, ev.protected_name, &len, &err);
	held_note(r, time(NULL));
	/*
	 * A local client can send RCPTs as fast as it likes: past a budget
	 * per second, refusals are counted (and kept in the held table), not
	 * written, so the sinks stay readable.  A redirected MTA sends one
	 * per held recipient per retry, far below it.
	 */
	if (now.tv_sec != d->rcpt_alert_s) {
		d->rcpt_alert_s = now.tv_sec;
		d->rcpt_alerts = 0;
	}
	if (++d->rcpt_alerts > RCPT_ALERTS_PER_S) {
		d->rcpt_alerts_suppressed++;
		return;
	}
	output_alert(&d->out, &ev, &d->policy[0], &x);
}

static int resp_name_of(void *ctx, __u64 hash, char *out, size_t sz)
{
	struct daemon *d = ctx;

	return loader_name_text(&d->loader, hash, out, sz);
}

/*
 * The responder listens where the MTA lives (responder_netns).  If it
 * cannot, the daemon goes on and every block is EPERM, as before.
 */
static void start_responder(struct daemon *d)
{
	const struct mxg_conf *c = d->conf;
	struct resp_hooks hooks = { .policy = resp_policy,
				    .refused = on_refused,
				    .name_of = resp_name_of, .ctx = d };

	if (c->responder_port &&
	    !resp_open(c->responder_netns, c->responder_port,
		       loader_redirects_fd(&d->loader),
		       c->responder_timeout_s) &&
	    !resp_attach(d->epfd, &hooks)) {
		d->responder_port = c->responder_port;
		pr_info("responder: port-25 and port-587 blocks are told "
			"in SMTP on loopback:%u%s%s\n", c->responder_port,
			c->responder_netns && *c->responder_netns ? " in " : "",
			c->responder_netns ? c->responder_netns : "");
	} else if (c->responder_port) {
		resp_close();
		pr_warn("responder: not running; port-25 blocks get EPERM\n");
	}
	loader_set_responder(&d->loader, d->responder_port,
			     MXG_RESPONDER_MARK);
}

static int setup_fds(struct daemon *d)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -1;
	d->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	d->rb = ring_buffer__new(loader_events_fd(&d->loader), on_event, d,
				 NULL);
	d->qrb = ring_buffer__new(loader_queries_fd(&d->loader), on_query, d,
				  NULL);
	if (d->sigfd < 0 || d->epfd < 0 || !d->rb || !d->qrb)
		return -1;
	if (add_fd(d->epfd, ring_buffer__epoll_fd(d->rb), TAG_RB) ||
	    add_fd(d->epfd, ring_buffer__epoll_fd(d->qrb), TAG_QRB) ||
	    add_fd(d->epfd, d->sigfd, TAG_SIG))
		return -1;
	/* Its clients join this loop: none may hold up the ring buffer. */
	if (d->ctl_fd >= 0 && ctl_attach(d->epfd, on_request, d))
		return -1;
	if (query_start(d, d->epfd))
		return -1;
	return 0;
}

/*
 * Expired lookalike records go on the next connect that meets them, or
 * here: their maps never evict, and a full one holds answers back.
 */
#define SWEEP_EVERY_S	30
/* clean_unit's filter: how often its fill is read, and clears at most. */
#define UNIT_FILTER_EVERY_S	5
#define UNIT_FILTER_REARM_S	3600

/*
 * How long the second look may run before the loop serves its descriptors
 * again.  Verdicts do not wait for it: the ring of verdicts is read before
 * every name.
 */
#define SECOND_LOOK_SLICE_US	2000

static __u64 mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
}

static void second_look(struct daemon *d)
{
	__u64 end = mono_us() + SECOND_LOOK_SLICE_US;

	while (learn_pending(&d->learn)) {
		ring_buffer__consume(d->rb);
		learn_one(d);
		if (mono_us() >= end)
			break;
	}
}

/*
 * clean_unit's filter (bpf/maps.bpf.h: unit_filter) fills with the pairs
 * of answers long expired, and a set byte only costs its connects the
 * lookup the filter saves.  Past a quarter full, and past twice what the
 * last clear kept (else an hour after it), it is cleared down to the live
 * pairs: a host whose live pairs fill it alone is not cleared every time.
 */
static void unit_filter_tick(struct daemon *d, __u64 now)
{
	long set, kept;
	int armed, err;

	if (loader_unit_filter_fill(&d->loader, &set) ||
	    set <= (long)(MXG_UNIT_FILTER / 4))
		return;
	if (set <= 2 * d->unit_filter_kept &&
	    now < d->unit_filter_cleared_s + UNIT_FILTER_REARM_S)
		return;
	err = loader_clear_unit_filter(&d->loader, &kept, &armed);
	if (!armed)
		return;
	d->unit_filter_cleared_s = now;
	if (err) {
		pr_warn("clean_unit filter: clear failed: %s: connects look "
			"clean_unit up and take the full lineage walk\n",
			strerror(-err));
		return;
	}
	d->unit_filter_clears++;
	d->unit_filter_kept = kept;
	pr_info("clean_unit filter: %ld of %u bytes set; cleared, %ld live "
		"pairs kept\n", set, MXG_UNIT_FILTER, kept);
}

static void tick(struct daemon *d, __u64 now)
{
	rl_expire(&d->rl, now, flush_repeats, d);
	report_lost(d);
	learn_tick(d);
	if (now % SWEEP_EVERY_S == 0)
		d->swept += loader_sweep(&d->loader);
	if (now % UNIT_FILTER_EVERY_S == 0)
		unit_filter_tick(d, now);
}

static void loop(struct daemon *d)
{
	struct epoll_event evs[8];
	__u64 last_tick = mono_s();
	int n, i, queries;

	while (!d->stopping) {
		/* Queued names: look again at once, after the descriptors. */
		n = epoll_wait(d->epfd, evs, 8,
			       learn_pending(&d->learn) ? 0 : 1000);
		queries = 0;
		for (i = 0; i < n; i++) {
			if (evs[i].data.u32 == TAG_RB)
				ring_buffer__consume(d->rb);
			else if (evs[i].data.u32 == TAG_QRB)
				queries = 1;
			else if (evs[i].data.u32 == TAG_SIG)
				on_signal(d);
			else if (ctl_owns(evs[i].data.u32))
				ctl_event(evs[i].data.u32, evs[i].events);
			else if (resp_owns(evs[i].data.u32))
				resp_event(evs[i].data.u32, evs[i].events);
			else if (query_owns(evs[i].data.u32))
				query_event(evs[i].data.u32, evs[i].events);
		}
		ctl_expire();
		query_expire();
		resp_expire();
		/* Queries only once the verdicts that came with them are out. */
		if (queries) {
			ring_buffer__consume(d->rb);
			ring_buffer__consume(d->qrb);
		}
		second_look(d);
		if (mono_s() != last_tick) {
			last_tick = mono_s();
			tick(d, last_tick);
		}
	}
	/* Drain, then close every open repeat window before leaving. */
	ring_buffer__consume(d->rb);
	rl_expire(&d->rl, (__u64)-1, flush_repeats, d);
}

/*
 * Pinned maps may hold a previous daemon's taints, stamped by generations
 * whose tables went with it: the first load judges them by their names.
 */
/*
 * taint_names' filter and taint_any, rebuilt from the taint maps before
 * questions and connects may trust them.
 */
static void arm_fastpath(struct daemon *d)
{
	long n = 0;
	int err = loader_fill_name_filter(&d->loader, &n);

	/* Armed, every filter is trusted: each must be full first. */
	if (err) {
		pr_warn("taint_names filter: %s after %ld names: connects keep "
			"the full lineage walk\n", strerror(-err), n);
		return;
	}
	err = loader_fill_unit_filter(&d->loader, &n);
	if (err) {
		pr_warn("clean_unit filter: %s after %ld pairs: connects keep "
			"the full lineage walk\n", strerror(-err), n);
		return;
	}
	err = loader_arm_fastpath(&d->loader,
				  d->conf->ttl_max_s * 1000000000ULL, &n);

	if (err)
		pr_warn("taint_any: %s after %ld records: connects keep the full "
			"lineage walk\n", strerror(-err), n);
	else if (n)
		pr_info("taint_any: %ld live records covered\n", n);
}

static void adopt_taints(struct daemon *d)
{
	struct mxg_reconciled rc;

	daemon_reconcile(d, &rc);
	/* The `names` LRU had dropped what the last daemon's ids meant. */
	if (rc.unknown)
		pr_warn("%ld live records of rules no generation here knows: "
			"kept until their TTL, naming no rule\n", rc.unknown);
	if (rc.purged || rc.restamped)
		pr_info("live records from before: %ld purged, %ld re-stamped "
			"with generation %u\n", rc.purged, rc.restamped,
			d->gen[0]);
}

static int start(struct daemon *d)
{
	struct output_conf oc;
	struct mxg_settings s = {
		.pin_dir = d->conf->pin_dir,
		.cgroup = d->cgroup,
		.mode = d->conf->mode,
		.scope = d->conf->scope,
		.ttl_min_s = d->conf->ttl_min_s,
		.ttl_max_s = d->conf->ttl_max_s,
		.nports = d->conf->nports,
	};

	memcpy(s.ports, d->conf->ports, sizeof(s.ports));
	/* "Already running" is found before anything pinned is touched. */
	d->ctl_fd = d->conf->control_socket[0] ?
		    ctl_listen(d->conf->control_socket,
			       d->conf->control_group) : -1;
	if (d->conf->control_socket[0] && d->ctl_fd < 0)
		return EXIT_FAIL;
	if (cgroup_resolve(d->conf->cgroup, d->cgroup, sizeof(d->cgroup)))
		return EXIT_CONFIG;
	/* The policy's map fills while the verifier runs (loader.h). */
	if (loader_start(&d->loader, &s, &d->policy[0]))
		return EXIT_FAIL;
	d->loaded = 1;
	if (loader_disarm_fastpath(&d->loader) ||
	    loader_finish_policy(&d->loader) ||
	    loader_attach(&d->loader, d->cgroup))
		return EXIT_FAIL;
	d->gen[0] = d->loader.generation;
	adopt_taints(d);
	arm_fastpath(d);
	lost_baseline(d);
	oc = (struct output_conf){
		.json_path = d->conf->json_file,
		.journal = d->conf->journal > 0,
		.syslog_path = d->conf->syslog ? d->conf->syslog_socket : NULL,
		.syslog_format = d->conf->syslog_format,
		.enterprise_id = d->conf->syslog_enterprise_id,
		.human = d->conf->human,
	};
	if (output_open(&d->out, &oc) ||
	    rl_init(&d->rl, d->conf->repeat_window_s, 4096,
		    sizeof(struct mxg_event)))
		return EXIT_FAIL;
	if (setup_fds(d)) {
		log_warn("event loop setup");
		return EXIT_FAIL;
	}
	start_responder(d);
	return EXIT_OK;
}

static void stop(struct daemon *d)
{
	if (d->loaded)
		loader_log_counters(&d->loader);
	if (d->rb)
		ring_buffer__free(d->rb);
	ctl_close();
	resp_close();
	query_stop();
	if (d->qrb)
		ring_buffer__free(d->qrb);
	if (d->epfd > 0)
		close(d->epfd);
	if (d->sigfd > 0)
		close(d->sigfd);
	rl_free(&d->rl);
	output_close(&d->out);
	if (d->loaded)
		loader_close(&d->loader);
	else
		loader_cancel(&d->loader);	/* failed before loader_start() */
	learn_stop(d);
	policy_free(&d->policy[0]);
	if (d->have_prev)
		policy_free(&d->policy[1]);
}

int daemon_run(struct mxg_conf *conf)
{
	struct daemon d = { .conf = conf, .ctl_fd = -1, .sigfd = -1,
			    .epfd = -1 };
	int rc;

	/* The programs load while the policy is parsed (loader.h). */
	loader_open(&d.loader, conf->pin_dir);
	if (daemon_load_policy(conf, &d.policy[0])) {
		loader_cancel(&d.loader);
		return EXIT_CONFIG;
	}
	d.started = time(NULL);
	/* Findings kept from before join the first policy the kernel sees. */
	rc = learn_start(&d) ? EXIT_FAIL : start(&d);
	if (rc == EXIT_OK && caps_drop_to_runtime()) {
		pr_warn("cannot drop capabilities\n");
		rc = EXIT_FAIL;
	}
	if (rc == EXIT_OK) {
		pr_info("%s %s: %zu rules, mode %s, scope %s, pins in %s\n",
			d.loader.adopted ? "adopted enforcement on" :
					   "attached to",
			d.cgroup, d.policy[0].n, mxg_mode_name(conf->mode),
			mxg_scope_name(conf->scope), conf->pin_dir);
		notify("READY=1");
		loop(&d);
		notify("STOPPING=1");
		if (d.unload) {
			loader_close(&d.loader);
			d.loaded = 0;
			rc = loader_unload(conf->pin_dir) ? EXIT_FAIL : EXIT_OK;
			pr_info("unloaded: removed %s\n", conf->pin_dir);
		} else {
			pr_info("exiting; enforcement stays pinned in %s\n",
				conf->pin_dir);
		}
	}
	stop(&d);
	return rc;
}

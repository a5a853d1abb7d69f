// SPDX-License-Identifier: GPL-2.0-only
#include <fcntl.h>
#include <stdio.h>
#include <sys/un.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "daemon.h"
#include "log.h"
#include "qproto.h"
#include "query.h"
#include "verdict.h"

static struct ctl_server *server;

static const struct ctl_opts opts = {
	.name = "query",
	.tag_base = QRY_TAG_BASE,
	.clients_max = QRY_CLIENTS_MAX,
	.per_uid_max = QRY_PER_UID_MAX,
	.request_ms = QRY_REQUEST_MS,
	.reply_ms = QRY_REPLY_MS,
	.open = 1,
};

/* The asking process's name, best effort (it may be gone already). */
static void peer_comm(pid_t pid, __u8 comm[16])
{
	char path[32], buf[17] = "";
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, 16);
		if (n > 0)
			buf[strcspn(buf, "\n")] = '\0';
		close(fd);
	}
	memset(comm, 0, 16);
	memcpy(comm, buf, strnlen(buf, 16));
}

static void flush_repeats(void *ctx, const struct rl_entry *e)
{
	struct alert_extra x = { .repeats = e->repeats };

	if (e->sample)
		daemon_emit(ctx, e->sample, &x);
}

/*
 * The alert: who asked (the MTA's process and uid), the recipient's
 * domain and the rule.  Repeats of one (process, domain) fold into the
 * daemon's usual summaries, so a client asking in a loop costs one alert
 * a window.
 */
static void alert(struct daemon *d, const struct ctl_peer *peer,
		  const struct mxg_rcpt_verdict *v)
{
	const struct mxg_policy_rule *r = v->rule;
	struct mxg_event ev = { .type = MXG_EV_SUBMISSION };
	const __u8 *pw;
	__u32 plen;
	struct timespec ts;
	struct rl_key k;
	const char *err;
	__u32 len;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ev.ts_ns = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	ev.pid = ev.tgid = peer->pid;
	ev.uid = peer->uid;
	peer_comm(peer->pid, ev.comm);
	/* A kernel similarity match names its protect directive. */
	ev.rule_id = ((__u32)d->gen[0] << 24) |
		     (r ? (__u32)(r - d->policy[0].rules) :
			  MXG_RULE_SIM | (__u32)v->protect);
	ev.action = v->action;
	ev.mode = d->conf->mode;
	ev.scope = MXG_SCOPE_NONE;
	if (mxg_name_parse(v->domain, ev.origin, &len, &err))
		return;
	memcpy(ev.name, ev.origin, sizeof(ev.name));
	pw = r ? mxg_rule_protected(&d->policy[0], r) :
		 d->policy[0].protects[v->protect].wire;
	plen = r ? mxg_rule_protected_len(&d->policy[0], r) :
		   d->policy[0].protects[v->protect].len;
	memcpy(ev.protected_name, pw, plen < sizeof(ev.protected_name) ?
				      plen : sizeof(ev.protected_name));
	rl_key_of(&ev, &k);
	if (rl_check(&d->rl, &k, ts.tv_sec, &ev, flush_repeats, d) == RL_EMIT)
		daemon_emit(d, &ev, NULL);
}

/* Truncated to a field of the answer (qproto.h). */
static void copy_field(char *dst, const char *src)
{
	size_t n = strnlen(src, QRY_FIELD_MAX - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}
#define copy(dst, src) copy_field(dst, src)

void query_dispatch(void *ctx, const struct ctl_peer *peer,
		    const char *line, struct ctl_reply *r)
{
	struct daemon *d = ctx;
	struct mxg_rcpt_verdict v;
	struct qry_answer a;
	char out[QRY_LINE_MAX];
	const char *rcpt, *err;

	rcpt = qry_parse_request(line, &err);
	if (!rcpt || mxg_rcpt_judge(&d->policy[0], rcpt, &v, &err)) {
		reply_printf(r, "error %s\n", err);
		return;
	}
	memset(&a, 0, sizeof(a));
	a.verdict = v.kind == MXG_RCPT_LOOKALIKE ? QRY_LOOKALIKE :
		    v.kind == MXG_RCPT_ALLOWED ? QRY_ALLOWED : QRY_CLEAN;
	/* What the kernel does now: a dry run blocks nothing here either. */
	a.action = v.action == MXG_ACTION_BLOCK &&
		   d->conf->mode == MXG_MODE_ENFORCE ? QRY_BLOCK : QRY_ALERT;
	copy(a.domain, v.domain);
	copy(a.imitates, v.imitates);
	copy(a.suggest, v.suggest);
	copy(a.reason, v.reason);
	qry_format_answer(out, sizeof(out), &a);
	reply_append(r, out, strlen(out));
	if (a.verdict == QRY_LOOKALIKE)
		alert(d, peer, &v);
}

int query_start(struct daemon *d, int epfd)
{
	const char *path = d->conf->query_socket, *ctl, *slash;
	char beside[sizeof(((struct sockaddr_un *)0)->sun_path)];

	/*
	 * By default beside the control socket, one directory to set up:
	 * .../control.sock gives .../query.sock, any other name NAME gives
	 * NAME.query, so two daemons with control sockets of their own in
	 * one directory never share a query socket.
	 */
	if (!path) {
		ctl = d->conf->control_socket;
		if (!ctl || !ctl[0])
			return 0;
		slash = strrchr(ctl, '/');
		if (!strcmp(slash ? slash + 1 : ctl, "control.sock"))
			snprintf(beside, sizeof(beside), "%.*squery.sock",
				 slash ? (int)(slash - ctl + 1) : 0, ctl);
		else
			snprintf(beside, sizeof(beside), "%s.query", ctl);
		path = beside;
	}
	if (!path[0])
		return 0;
	server = ctl_server_listen(path, d->conf->query_group, &opts);
	if (!server || ctl_server_attach(server, epfd, query_dispatch, d)) {
		pr_warn("query socket %s: not served\n", path);
		query_stop();
		return -1;
	}
	return 0;
}

int query_owns(__u32 tag)
{
	return ctl_server_owns(server, tag);
}

void query_event(__u32 tag, __u32 events)
{
	ctl_server_event(server, tag, events);
}

void query_expire(void)
{
	ctl_server_expire(server);
}

void query_stop(void)
{
	ctl_server_close(server);
	server = NULL;
}

// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "name.h"
#include "output.h"

/*
 * SD-ID of our structured data: "name@PEN".  32473 is the private
 * enterprise number RFC 5612 reserves for documentation; sites that need
 * their own can change it here.
 */
#define SD_ID "mxguard@32473"

static int open_json(struct output *o)
{
	int fd;

	if (!o->json_path || !strcmp(o->json_path, "-")) {
		o->json = stdout;
		return 0;
	}
	fd = open(o->json_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		  0640);
	if (fd < 0 || !(o->json = fdopen(fd, "a"))) {
		log_warn("open %s", o->json_path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return 0;
}

static int open_syslog(struct output *o)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(o->syslog_path) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, o->syslog_path);
	o->syslog_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (o->syslog_fd < 0 ||
	    connect(o->syslog_fd, (struct sockaddr *)&sa, sizeof(sa))) {
		/* Not fatal: syslogd may start later; we retry per alert. */
		log_warn("connect syslog socket %s", o->syslog_path);
		return 0;
	}
	return 0;
}

int output_open(struct output *o, const char *json_path, int use_syslog,
		const char *syslog_path, int human)
{
	memset(o, 0, sizeof(*o));
	o->syslog_fd = -1;
	o->human = human;
	jw_init(&o->jw);
	gethostname(o->hostname, sizeof(o->hostname) - 1);
	if (json_path) {
		o->json_path = strdup(json_path);
		if (!o->json_path || open_json(o))
			return -1;
	}
	if (use_syslog) {
		o->syslog_path = strdup(syslog_path ? syslog_path : "/dev/log");
		if (!o->syslog_path || open_syslog(o))
			return -1;
	}
	return 0;
}

int output_reopen(struct output *o)
{
	if (!o->json || o->json == stdout)
		return 0;
	fclose(o->json);
	o->json = NULL;
	return open_json(o);
}

void output_close(struct output *o)
{
	if (o->json && o->json != stdout)
		fclose(o->json);
	if (o->syslog_fd >= 0)
		close(o->syslog_fd);
	free(o->json_path);
	free(o->syslog_path);
	jw_free(&o->jw);
	memset(o, 0, sizeof(*o));
	o->syslog_fd = -1;
}

/* PARAM-VALUE escaping (RFC 5424 6.3.3): '"', '\' and ']'. */
static size_t sd_param(char *out, size_t sz, const char *name,
		       const char *val)
{
	size_t n = snprintf(out, sz, " %s=\"", name);

	for (; val && *val && n + 3 < sz; val++) {
		if (*val == '"' || *val == '\\' || *val == ']')
			out[n++] = '\\';
		out[n++] = *val;
	}
	if (n + 1 < sz)
		out[n++] = '"';
	out[n < sz ? n : sz - 1] = '\0';
	return n;
}

size_t output_rfc5424(char *buf, size_t sz, const char *hostname,
		      const struct mxg_event *ev,
		      const struct mxg_policy *policy,
		      const struct alert_extra *x)
{
	char ts[64], msg[2048], addr[64], v[MXG_NAME_TEXT_MAX], port[16];
	const struct mxg_policy_rule *r = event_rule(ev, policy);
	struct timespec now;
	struct tm tm;
	size_t n;
	/* facility daemon (3); warning for refusals, notice for the rest */
	int pri = 3 * 8 + (ev->type == MXG_EV_CONNECT ? 4 : 5);

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	event_to_text(msg, sizeof(msg), ev, policy, x);
	n = snprintf(buf, sz, "<%d>1 %s.%06ldZ %s mxguardd %d %s [" SD_ID,
		     pri, ts, now.tv_nsec / 1000, hostname[0] ? hostname : "-",
		     getpid(), event_action(ev));
	n += sd_param(buf + n, n < sz ? sz - n : 0, "action",
		      event_action(ev));
	mxg_name_format(ev->origin, sizeof(ev->origin), v, sizeof(v));
	n += sd_param(buf + n, n < sz ? sz - n : 0, "lookalike", v);
	mxg_name_format(ev->protected_name, sizeof(ev->protected_name), v,
			sizeof(v));
	n += sd_param(buf + n, n < sz ? sz - n : 0, "protected", v);
	if (ev->type == MXG_EV_CONNECT || ev->type == MXG_EV_DESTROYED) {
		event_format_addr(ev->addr, addr, sizeof(addr));
		snprintf(port, sizeof(port), "%u", ev->dport);
		n += sd_param(buf + n, n < sz ? sz - n : 0, "dst", addr);
		n += sd_param(buf + n, n < sz ? sz - n : 0, "dport", port);
	}
	snprintf(port, sizeof(port), "%u", ev->tgid);
	n += sd_param(buf + n, n < sz ? sz - n : 0, "pid", port);
	if (r) {
		snprintf(v, sizeof(v), "%s:%d", r->file, r->line);
		n += sd_param(buf + n, n < sz ? sz - n : 0, "rule", v);
	}
	if (n < sz)
		n += snprintf(buf + n, sz - n, "] %s", msg);
	return n < sz ? n : sz - 1;
}

static void send_syslog(struct output *o, const struct mxg_event *ev,
			const struct mxg_policy *policy,
			const struct alert_extra *x)
{
	char line[4096];
	size_t n = output_rfc5424(line, sizeof(line), o->hostname, ev, policy,
				  x);

	if (send(o->syslog_fd, line, n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		/* syslogd restarted: reconnect once, count what is lost. */
		close(o->syslog_fd);
		o->syslog_fd = -1;
		open_syslog(o);
		if (o->syslog_fd < 0 ||
		    send(o->syslog_fd, line, n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			o->failed++;
	}
}

void output_alert(struct output *o, const struct mxg_event *ev,
		  const struct mxg_policy *policy,
		  const struct alert_extra *x)
{
	char line[2048];

	if (o->json) {
		event_to_json(&o->jw, ev, policy, x);
		if (fprintf(o->json, "%s\n", jw_cstr(&o->jw)) < 0 ||
		    fflush(o->json))
			o->failed++;
	}
	if (o->syslog_path)
		send_syslog(o, ev, policy, x);
	if (o->human) {
		event_to_text(line, sizeof(line), ev, policy, x);
		fprintf(stderr, "%s\n", line);
	}
	o->written++;
}

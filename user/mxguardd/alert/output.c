// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <grp.h>
#include <systemd/sd-journal.h>

#include "config.h"
#include "enrich.h"
#include "journal.h"
#include "log.h"
#include "output.h"
#include "rfc5424.h"

/* The first failure of an episode is logged (with errno); later ones not. */
static void sink_failed(struct sink_state *s, const char *sink,
			const char *path, const char *what)
{
	if (!s->down) {
		log_warn("%s: %s %s", sink, what, path);
		pr_warn("%s: tried again at each alert; the alerts it misses "
			"are counted in alerts_output_failed\n", sink);
	}
	s->down = 1;
}

static void sink_ok(struct sink_state *s, const char *sink, const char *path)
{
	if (s->down)
		pr_info("%s: %s works again; it missed %llu alerts\n", sink,
			path, s->missed);
	s->down = 0;
	s->missed = 0;
}

static int json_to_stdout(const struct output *o)
{
	return !strcmp(o->json_path, "-");
}

static void json_close(struct output *o)
{
	if (o->json_fd >= 0 && !json_to_stdout(o))
		close(o->json_fd);
	o->json_fd = -1;
}

/*
 * A new file is 0640 root:adm, as Debian's other logs: the SOC's readers
 * are in adm, and nobody else reads what it says about local mail.
 */
static void json_mode(int fd)
{
	struct group *adm = getgrnam("adm");
	struct stat st;

	/*
	 * An existing file keeps what it was given, and only a regular file is
	 * ours to change: json_file = /dev/null (size 0 too) must not turn
	 * the system's /dev/null into 0640 root:adm.
	 */
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size)
		return;
	/* The unit's UMask=0077 took the group's read bit at open. */
	if ((st.st_mode & 07777) != 0640 && fchmod(fd, 0640))
		pr_warn("json: cannot chmod 0640: %s\n", strerror(errno));
	if (adm && st.st_gid != adm->gr_gid && fchown(fd, -1, adm->gr_gid))
		pr_warn("json: cannot give the file to group adm (logrotate's "
			"'create 0640 root adm' does): %s\n", strerror(errno));
}

static int json_open(struct output *o)
{
	if (json_to_stdout(o)) {
		o->json_fd = STDOUT_FILENO;
		return 0;
	}
	o->json_fd = open(o->json_path,
			  O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (o->json_fd < 0) {
		sink_failed(&o->json_state, "json", o->json_path, "open");
		return -1;
	}
	json_mode(o->json_fd);
	return 0;
}

/* One line in one write(2): O_APPEND keeps concurrent writers whole. */
static int write_line(int fd, const char *line, size_t len)
{
	struct iovec iov[2] = {
		{ .iov_base = (void *)line, .iov_len = len },
		{ .iov_base = "\n", .iov_len = 1 },
	};
	ssize_t n;
	int i = 0;

	while (i < 2) {
		n = writev(fd, iov + i, 2 - i);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		/* Short (a full disk, say): go on from where it stopped. */
		while (i < 2 && (size_t)n >= iov[i].iov_len)
			n -= iov[i++].iov_len;
		if (i < 2) {
			iov[i].iov_base = (char *)iov[i].iov_base + n;
			iov[i].iov_len -= n;
		}
	}
	return 0;
}

static int json_alert(struct output *o, const struct mxg_event *ev,
		      const struct mxg_policy *policy,
		      const struct alert_extra *x, const struct alert_env *env)
{
	const char *line;

	if (o->json_fd < 0 && json_open(o))
		return -1;
	event_to_json(&o->jw, ev, policy, x, env);
	line = jw_cstr(&o->jw);
	if (!*line || write_line(o->json_fd, line, strlen(line))) {
		sink_failed(&o->json_state, "json", o->json_path, "write");
		/* A file replaced under us is opened afresh next time. */
		json_close(o);
		return -1;
	}
	sink_ok(&o->json_state, "json", o->json_path);
	return 0;
}

static void syslog_close(struct output *o)
{
	if (o->syslog_fd >= 0)
		close(o->syslog_fd);
	o->syslog_fd = -1;
}

static int syslog_connect(struct output *o)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	strcpy(sa.sun_path, o->syslog_path);	/* length checked at open */
	o->syslog_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (o->syslog_fd >= 0 &&
	    !connect(o->syslog_fd, (struct sockaddr *)&sa, sizeof(sa)))
		return 0;
	syslog_close(o);
	return -1;
}

/* RFC 5424 TIMESTAMP: when the line is made, UTC, microseconds. */
static void syslog_time(char *out, size_t sz)
{
	struct timespec now;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	n = strftime(out, sz, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, sz - n, ".%06ldZ", now.tv_nsec / 1000);
}

static int syslog_send(const struct output *o, const char *line, size_t n)
{
	return o->syslog_fd >= 0 &&
	       send(o->syslog_fd, line, n, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0 ?
	       0 : -1;
}

/* BSD timestamp, local time, as syslog(3) writes it: "Dec  1 11:50:00". */
static void bsd_time(char *out, size_t sz)
{
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(out, sz, "%b %e %H:%M:%S", &tm);
}

static int syslog_alert(struct output *o, const struct mxg_event *ev,
			const struct mxg_policy *policy,
			const struct alert_extra *x,
			const struct alert_env *env)
{
	struct rfc5424_origin origin = { .hostname = o->hostname,
					 .pid = getpid(),
					 .enterprise_id = o->enterprise_id };
	static char line[16384];
	char ts[64];
	size_t n;

	if (o->syslog_format == MXG_SYSLOG_RFC5424) {
		syslog_time(ts, sizeof(ts));
		origin.timestamp = ts;
		n = rfc5424_format(line, sizeof(line), &origin, ev, policy, x);
	} else {
		bsd_time(ts, sizeof(ts));
		origin.timestamp = ts;
		event_to_json(&o->jw, ev, policy, x, env);
		n = syslog_cee_format(line, sizeof(line), &origin, ev,
				      jw_cstr(&o->jw));
	}
	if (!syslog_send(o, line, n)) {
		sink_ok(&o->syslog_state, "syslog", o->syslog_path);
		return 0;
	}
	/* syslogd restarted, or was not there yet: reconnect once. */
	syslog_close(o);
	if (!syslog_connect(o) && !syslog_send(o, line, n)) {
		sink_ok(&o->syslog_state, "syslog", o->syslog_path);
		return 0;
	}
	sink_failed(&o->syslog_state, "syslog", o->syslog_path, "send to");
	return -1;
}

/*
 * sd_journal_sendv() opens its socket on first use and reports -errno;
 * journald restarting makes it fail until the socket is back.
 */
static int journal_alert(struct output *o, const struct mxg_event *ev,
			 const struct mxg_policy *policy,
			 const struct alert_extra *x,
			 const struct alert_env *env)
{
	static struct journal_rec rec;
	int err;

	event_to_json(&o->jw, ev, policy, x, env);
	journal_fields(&rec, ev, policy, x, jw_cstr(&o->jw));
	err = sd_journal_sendv(rec.iov, rec.n);
	if (err < 0) {
		errno = -err;
		sink_failed(&o->journal_state, "journal", "journald",
			    "send to");
		return -1;
	}
	sink_ok(&o->journal_state, "journal", "journald");
	return 0;
}

/* Failures go to stderr too: this one is counted, never logged. */
static int human_alert(const struct mxg_event *ev,
		       const struct mxg_policy *policy,
		       const struct alert_extra *x)
{
	char line[2048];

	event_to_text(line, sizeof(line), ev, policy, x);
	return write_line(STDERR_FILENO, line, strlen(line));
}

int output_open(struct output *o, const struct output_conf *c)
{
	struct sockaddr_un sa;

	memset(o, 0, sizeof(*o));
	o->json_fd = o->syslog_fd = -1;
	o->human = c->human;
	o->journal = c->journal;
	o->syslog_format = c->syslog_format;
	o->enterprise_id = c->enterprise_id;
	jw_init(&o->jw);
	gethostname(o->hostname, sizeof(o->hostname) - 1);
	if (c->json_path) {
		o->json_path = strdup(c->json_path);
		if (!o->json_path || json_open(o))
			return -1;
	}
	if (c->syslog_path) {
		o->syslog_path = strdup(c->syslog_path);
		if (!o->syslog_path ||
		    strlen(o->syslog_path) >= sizeof(sa.sun_path))
			return -1;
		/* Not fatal: syslogd may start later; each alert retries. */
		if (syslog_connect(o))
			sink_failed(&o->syslog_state, "syslog", o->syslog_path,
				    "connect to");
	}
	return 0;
}

int output_reopen(struct output *o)
{
	if (!o->json_path || json_to_stdout(o))
		return 0;
	json_close(o);
	if (json_open(o))
		return -1;
	sink_ok(&o->json_state, "json", o->json_path);
	return 0;
}

void output_close(struct output *o)
{
	if (o->json_path)
		json_close(o);
	syslog_close(o);
	free(o->json_path);
	free(o->syslog_path);
	jw_free(&o->jw);
	memset(o, 0, sizeof(*o));
	o->json_fd = o->syslog_fd = -1;
}

static int missed(struct sink_state *s)
{
	s->missed++;
	return 1;
}

/* Enrich once, render for each output; count what an output missed. */
void output_alert(struct output *o, const struct mxg_event *ev,
		  const struct mxg_policy *policy,
		  const struct alert_extra *x)
{
	struct alert_env env;
	int failed = 0;

	event_enrich(ev, &env);
	if (o->json_path && json_alert(o, ev, policy, x, &env))
		failed |= missed(&o->json_state);
	if (o->journal && journal_alert(o, ev, policy, x, &env))
		failed |= missed(&o->journal_state);
	if (o->syslog_path && syslog_alert(o, ev, policy, x, &env))
		failed |= missed(&o->syslog_state);
	if (o->human && human_alert(ev, policy, x))
		failed = 1;
	if (failed)
		o->failed++;
	else
		o->written++;
}

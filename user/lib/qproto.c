// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "qproto.h"

static int printable(unsigned char c)
{
	return c >= 0x20 && c < 0x7f;
}

int qry_format_request(char *out, size_t sz, const char *rcpt)
{
	size_t i, n = strlen(rcpt);

	if (!n || n + 6 > sz || n >= QRY_FIELD_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!printable(rcpt[i]) || rcpt[i] == ' ')
			return -EINVAL;
	snprintf(out, sz, "rcpt %s\n", rcpt);
	return 0;
}

const char *qry_parse_request(const char *line, const char **err)
{
	const char *r;

	if (strncmp(line, "rcpt ", 5)) {
		*err = "unknown request (want: rcpt ADDRESS)";
		return NULL;
	}
	for (r = line + 5; *r == ' '; r++)
		;
	if (!*r) {
		*err = "no recipient";
		return NULL;
	}
	return r;
}

/* Appends to @out of size @sz at *@at; never overflows, always ends. */
static void put(char *out, size_t sz, size_t *at, const char *s, size_t n)
{
	size_t room = *at < sz ? sz - 1 - *at : 0;

	if (n > room)
		n = room;
	memcpy(out + *at, s, n);
	*at += n;
	out[*at] = '\0';
}

/* key=value, quoted when it must be; bytes outside ASCII become '?'. */
static void put_field(char *out, size_t sz, size_t *at, const char *key,
		      const char *v)
{
	int quote = !*v || strpbrk(v, " \"\\") != NULL;
	char c;

	put(out, sz, at, " ", 1);
	put(out, sz, at, key, strlen(key));
	put(out, sz, at, quote ? "=\"" : "=", quote ? 2 : 1);
	for (; *v; v++) {
		c = printable(*v) ? *v : '?';
		if (c == '"' || c == '\\')
			put(out, sz, at, "\\", 1);
		put(out, sz, at, &c, 1);
	}
	if (quote)
		put(out, sz, at, "\"", 1);
}

static const char *const verdicts[] = {
	[QRY_CLEAN] = "clean",
	[QRY_ALLOWED] = "allowed",
	[QRY_LOOKALIKE] = "lookalike",
};

size_t qry_format_answer(char *out, size_t sz, const struct qry_answer *a)
{
	size_t at = 0;

	if (!sz)
		return 0;
	out[0] = '\0';
	/* Room for the newline is kept back from the start. */
	sz--;
	put(out, sz, &at, "status=ok", 9);
	put_field(out, sz, &at, "verdict", verdicts[a->verdict]);
	if (a->verdict == QRY_LOOKALIKE)
		put_field(out, sz, &at, "action",
			  a->action == QRY_BLOCK ? "block" : "alert");
	put_field(out, sz, &at, "domain", a->domain);
	if (a->verdict == QRY_LOOKALIKE) {
		put_field(out, sz, &at, "imitates", a->imitates);
		if (a->suggest[0])
			put_field(out, sz, &at, "suggest", a->suggest);
		put_field(out, sz, &at, "reason", a->reason);
	}
	out[at++] = '\n';
	out[at] = '\0';
	return at;
}

/*
 * One "key=value" at *@s: the key into @key, the value (unquoted) into
 * @val.  1 for a field, 0 at the end, -1 for a malformed line.
 */
static int next_field(const char **s, char *key, size_t ksz, char *val,
		      size_t vsz)
{
	const char *p = *s;
	size_t k = 0, v = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p || *p == '\n' || *p == '\r')
		return 0;
	while ((*p >= 'a' && *p <= 'z') || *p == '_') {
		if (k + 1 < ksz)
			key[k++] = *p;
		p++;
	}
	key[k] = '\0';
	if (!k || *p++ != '=')
		return -1;
	if (*p == '"') {
		for (p++; *p && *p != '"'; p++) {
			if (*p == '\\' && p[1])
				p++;
			if (v + 1 < vsz)
				val[v++] = *p;
		}
		if (*p++ != '"')
			return -1;		/* unterminated */
	} else {
		for (; *p && *p != ' ' && *p != '\t' && *p != '\n' &&
		       *p != '\r'; p++)
			if (v + 1 < vsz)
				val[v++] = *p;
	}
	val[v] = '\0';
	*s = p;
	return 1;
}

static void set_err(char *err, size_t errsz, const char *msg, size_t n)
{
	if (!errsz)
		return;
	if (n >= errsz)
		n = errsz - 1;
	memcpy(err, msg, n);
	err[n] = '\0';
}

int qry_parse_answer(const char *line, struct qry_answer *a, char *err,
		     size_t errsz)
{
	char key[16], val[QRY_FIELD_MAX];
	const char *s = line;
	int have_status = 0, have_verdict = 0, have_action = 0, r;

	memset(a, 0, sizeof(*a));
	if (!strncmp(line, "error ", 6)) {
		set_err(err, errsz, line + 6, strcspn(line + 6, "\r\n"));
		return -EPROTO;
	}
	while ((r = next_field(&s, key, sizeof(key), val, sizeof(val))) > 0) {
		if (!strcmp(key, "status")) {
			if (strcmp(val, "ok")) {
				set_err(err, errsz, val, strlen(val));
				return -EPROTO;
			}
			have_status = 1;
		} else if (!have_status) {
			break;			/* status comes first */
		} else if (!strcmp(key, "verdict")) {
			for (a->verdict = 0; a->verdict < 3; a->verdict++)
				if (!strcmp(val, verdicts[a->verdict]))
					break;
			if (a->verdict == 3)
				break;
			have_verdict = 1;
		} else if (!strcmp(key, "action")) {
			if (!strcmp(val, "block"))
				a->action = QRY_BLOCK;
			else if (!strcmp(val, "alert"))
				a->action = QRY_ALERT;
			else
				break;
			have_action = 1;
		} else if (!strcmp(key, "domain")) {
			snprintf(a->domain, sizeof(a->domain), "%s", val);
		} else if (!strcmp(key, "imitates")) {
			snprintf(a->imitates, sizeof(a->imitates), "%s", val);
		} else if (!strcmp(key, "suggest")) {
			snprintf(a->suggest, sizeof(a->suggest), "%s", val);
		} else if (!strcmp(key, "reason")) {
			snprintf(a->reason, sizeof(a->reason), "%s", val);
		}
	}
	if (r == 0 && have_status && have_verdict &&
	    (a->verdict != QRY_LOOKALIKE || have_action))
		return 0;
	set_err(err, errsz, "malformed answer", 16);
	return -EPROTO;
}

/* Printable ASCII only, '%' doubled on request. */
static void put_text(char *out, size_t sz, size_t *at, const char *s,
		     int percent)
{
	char c;

	for (; *s; s++) {
		c = printable(*s) ? *s : '?';
		if (c == '%' && percent)
			put(out, sz, at, "%", 1);
		put(out, sz, at, &c, 1);
	}
}

size_t qry_smtp_text(char *out, size_t sz, const char *rcpt,
		     const struct qry_answer *a, const char *what,
		     int percent)
{
	size_t at = 0;
	int bracket = rcpt[0] != '<';

	if (!sz)
		return 0;
	out[0] = '\0';
	if (bracket)
		put(out, sz, &at, "<", 1);
	put_text(out, sz, &at, rcpt, percent);
	if (bracket)
		put(out, sz, &at, ">", 1);
	put(out, sz, &at, ": ", 2);
	put_text(out, sz, &at, a->reason, percent);
	put(out, sz, &at, "; ", 2);
	put_text(out, sz, &at, what, percent);
	put(out, sz, &at, " by mxguard", 11);
	if (a->suggest[0]) {
		put(out, sz, &at, "; did you mean ", 15);
		put_text(out, sz, &at, a->suggest, percent);
		put(out, sz, &at, "?", 1);
	}
	return at;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Wait for @events on @fd until @deadline; 0, or -ETIMEDOUT / -errno. */
static int wait_for(int fd, short events, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	long long left;
	int n;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, (int)left);
		if (n > 0)
			return 0;
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

int qry_ask(const char *path, const char *rcpt, int timeout_ms,
	    struct qry_answer *a, char *err, size_t errsz)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	long long deadline = now_ms() + timeout_ms;
	char req[QRY_LINE_MAX], ans[QRY_LINE_MAX + 1];
	size_t len = 0, sent = 0, reqlen;
	ssize_t n;
	int fd, rc;

	if (qry_format_request(req, sizeof(req), rcpt)) {
		set_err(err, errsz, "recipient not askable", 21);
		return -EINVAL;
	}
	reqlen = strlen(req);
	if (strlen(path) >= sizeof(sa.sun_path)) {
		set_err(err, errsz, "socket path too long", 20);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* A unix connect to a full backlog says EAGAIN: wait, bounded. */
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = errno;

		rc = -e;
		if (e == EINTR)
			continue;
		if (e != EAGAIN && e != EINPROGRESS)
			goto fail;
		rc = wait_for(fd, POLLOUT, deadline);
		if (rc)
			goto fail;
		if (e == EINPROGRESS)
			break;
	}
	while (sent < reqlen) {
		n = send(fd, req + sent, reqlen - sent, MSG_NOSIGNAL);
		if (n > 0) {
			sent += n;
			continue;
		}
		rc = n < 0 ? -errno : -EPIPE;
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			rc = wait_for(fd, POLLOUT, deadline);
			if (!rc)
				continue;
		}
		goto fail;
	}
	while (len < sizeof(ans) - 1 && !memchr(ans, '\n', len)) {
		n = recv(fd, ans + len, sizeof(ans) - 1 - len, 0);
		if (n > 0) {
			len += n;
			continue;
		}
		if (n == 0)
			break;
		rc = -errno;
		if (errno == EAGAIN || errno == EINTR) {
			rc = wait_for(fd, POLLIN, deadline);
			if (!rc)
				continue;
		}
		goto fail;
	}
	close(fd);
	ans[len] = '\0';
	if (!memchr(ans, '\n', len)) {
		set_err(err, errsz, len ? "answer cut short" : "no answer",
			len ? 16 : 9);
		return -EPROTO;
	}
	return qry_parse_answer(ans, a, err, errsz);
fail:
	close(fd);
	snprintf(err, errsz, "%s", strerror(-rc));
	return rc;
}

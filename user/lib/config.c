// SPDX-License-Identifier: GPL-2.0-only
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "correspondents.h"
#include "learned.h"
#include "qproto.h"
#include "log.h"
#include "names_abi.h"
#include "responder.h"
#include "secrecy.h"

void conf_defaults(struct mxg_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->mode = MXG_MODE_ENFORCE;
	c->scope = MXG_SCOPE_PROCESS;
	c->ports[0] = 25;
	c->ports[1] = 465;
	c->ports[2] = 587;
	c->nports = 3;
	c->ttl_min_s = MXG_TTL_MIN_DEFAULT;
	c->ttl_max_s = MXG_TTL_MAX_DEFAULT;
	c->pin_dir = strdup(MXG_PIN_DIR_DEFAULT);
	c->syslog_socket = strdup("/dev/log");
	c->journal = -1;
	c->control_socket = strdup(MXG_CONTROL_DEFAULT);
	c->repeat_window_s = 60;
	c->second_look = 1;
	c->destroy_cached = 1;
	c->learned_file = strdup(MXG_LEARNED_FILE_DEFAULT);
	c->learned_lifetime_s = MXG_LEARNED_LIFETIME_DEFAULT;
	c->correspondents = 1;
	c->correspondents_file = strdup(MXG_CORR_FILE_DEFAULT);
	c->correspondents_window_s = MXG_CORR_WINDOW_DEFAULT;
	c->correspondents_min_count = MXG_CORR_MIN_COUNT_DEFAULT;
	c->correspondents_min_days = MXG_CORR_MIN_DAYS_DEFAULT;
	c->correspondents_action = MXG_ACTION_ALERT;
	c->responder_port = MXG_RESPONDER_PORT_DEFAULT;
	c->responder_timeout_s = MXG_RESPONDER_TIMEOUT_DEFAULT;
}

int conf_check(const struct mxg_conf *c, const char **err)
{
	if (c->syslog && c->syslog_format == MXG_SYSLOG_RFC5424 &&
	    !c->syslog_enterprise_id) {
		*err = "syslog_format = rfc5424 needs syslog_enterprise_id, "
		       "your organisation's IANA private enterprise number "
		       "(or use syslog_format = cee)";
		return -1;
	}
	return 0;
}

void conf_free(struct mxg_conf *c)
{
	int i;

	for (i = 0; i < c->npolicies; i++)
		free(c->policies[i]);
	free(c->cgroup);
	free(c->pin_dir);
	free(c->json_file);
	free(c->syslog_socket);
	free(c->control_socket);
	free(c->control_group);
	free(c->query_socket);
	free(c->query_group);
	free(c->learned_file);
	free(c->correspondents_file);
	free(c->responder_netns);
	memset(c, 0, sizeof(*c));
}

static int choice(const char *v, const char *const *names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(v, names[i]))
			return i;
	return -1;
}

static int parse_bool(const char *v)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	if (choice(v, yes, 4) >= 0)
		return 1;
	return choice(v, no, 4) >= 0 ? 0 : -1;
}

static int parse_u64(const char *v, __u64 max, __u64 *out)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || end == v || *end || n > max || v[0] == '-')
		return -1;
	*out = n;
	return 0;
}

static int parse_ports(struct mxg_conf *c, const char *v)
{
	char *dup = strdup(v), *tok, *save = NULL;
	__u64 p;
	int n = 0;

	if (!dup)
		return -1;
	for (tok = strtok_r(dup, ", ", &save); tok;
	     tok = strtok_r(NULL, ", ", &save)) {
		/* 53 is how the datapath learns socket owners. */
		if (parse_u64(tok, 65535, &p) || p == 0 || p == 53 ||
		    n == MXG_PORTS_MAX) {
			free(dup);
			return -1;
		}
		c->ports[n++] = p;
	}
	free(dup);
	if (!n)
		return -1;
	c->nports = n;
	return 0;
}

static int set_str(char **dst, const char *v)
{
	char *s = strdup(v);

	if (!s)
		return -1;
	free(*dst);
	*dst = s;
	return 0;
}

/*
 * Correspondents (correspondents.h).  A window of 0 flags from the first
 * lookup on; min_days of 1 lets one day's lookups make a correspondent.
 */
static int set_correspondents(struct mxg_conf *c, const char *key,
			      const char *v, const char **err)
{
	__u64 n;
	int i;

	if (!strcmp(key, "correspondents")) {
		*err = "expected yes or no";
		i = parse_bool(v);
		return i < 0 ? -1 : (c->correspondents = i, 0);
	}
	if (!strcmp(key, "correspondents_file")) {
		*err = "correspondents_file is an absolute path";
		return v[0] == '/' ? set_str(&c->correspondents_file, v) : -1;
	}
	if (!strcmp(key, "correspondents_window")) {
		*err = "correspondents_window is seconds, at most a year's";
		if (parse_u64(v, 366ULL * 86400, &n))
			return -1;
		c->correspondents_window_s = n;
		return 0;
	}
	if (!strcmp(key, "correspondents_min_count")) {
		*err = "correspondents_min_count is 1 to 1000000 lookups";
		if (parse_u64(v, 1000000, &n) || !n)
			return -1;
		c->correspondents_min_count = n;
		return 0;
	}
	if (!strcmp(key, "correspondents_min_days")) {
		*err = "correspondents_min_days is 1 to 366 days";
		if (parse_u64(v, 366, &n) || !n)
			return -1;
		c->correspondents_min_days = n;
		return 0;
	}
	if (!strcmp(key, "correspondents_action")) {
		*err = "correspondents_action is alert or block";
		if (!strcmp(v, "alert"))
			c->correspondents_action = MXG_ACTION_ALERT;
		else if (!strcmp(v, "block"))
			c->correspondents_action = MXG_ACTION_BLOCK;
		else
			return -1;
		return 0;
	}
	*err = "unknown setting";
	return -1;
}

int conf_set(struct mxg_conf *c, const char *key, const char *v,
	     const char **err)
{
	__u64 n;
	int i;

	*err = "invalid value";
	if (!strcmp(key, "policy")) {
		if (c->npolicies == MXG_CONF_POLICIES_MAX) {
			*err = "too many policy paths";
			return -1;
		}
		c->policies[c->npolicies] = strdup(v);
		return c->policies[c->npolicies++] ? 0 : -1;
	}
	if (!strcmp(key, "cgroup"))
		return set_str(&c->cgroup, v);
	if (!strcmp(key, "pin_dir"))
		return v[0] == '/' ? set_str(&c->pin_dir, v) : -1;
	if (!strcmp(key, "mode")) {
		i = mxg_name_value(mxg_mode_name, MXG_MODES, v);
		*err = "mode is block or alert";
		return i < 0 ? -1 : (c->mode = i, 0);
	}
	if (!strcmp(key, "scope")) {
		/* "none" is what an event says, not a scope to choose. */
		i = mxg_name_value(mxg_scope_name, MXG_SCOPE_HOST + 1, v);
		*err = "scope is process, unit or host";
		return i < 0 ? -1 : (c->scope = i, 0);
	}
	if (!strcmp(key, "ports")) {
		*err = "ports is a list of 1-65535 (not 53)";
		return parse_ports(c, v);
	}
	if (!strcmp(key, "ttl_min") || !strcmp(key, "ttl_max")) {
		*err = "TTL is seconds, at most a year";
		if (parse_u64(v, 365ULL * 86400, &n))
			return -1;
		*(key[5] == 'i' ? &c->ttl_min_s : &c->ttl_max_s) = n;
		return 0;
	}
	if (!strcmp(key, "json_file"))
		return set_str(&c->json_file, v);
	if (!strcmp(key, "syslog_socket"))
		return set_str(&c->syslog_socket, v);
	if (!strcmp(key, "syslog_format")) {
		*err = "syslog_format is cee or rfc5424";
		if (!strcmp(v, "cee"))
			c->syslog_format = MXG_SYSLOG_CEE;
		else if (!strcmp(v, "rfc5424"))
			c->syslog_format = MXG_SYSLOG_RFC5424;
		else
			return -1;
		return 0;
	}
	if (!strcmp(key, "syslog_enterprise_id")) {
		*err = "syslog_enterprise_id is your IANA private enterprise "
		       "number (1 to 4294967295)";
		if (parse_u64(v, 0xffffffffULL, &n) || !n)
			return -1;
		c->syslog_enterprise_id = n;
		return 0;
	}
	if (!strcmp(key, "journal")) {
		*err = "journal is yes, no or auto";
		if (!strcmp(v, "auto")) {
			c->journal = -1;
			return 0;
		}
		i = parse_bool(v);
		return i < 0 ? -1 : (c->journal = i, 0);
	}
	if (!strcmp(key, "control_socket"))
		return set_str(&c->control_socket, v);
	if (!strcmp(key, "control_group"))
		return set_str(&c->control_group, v);
	if (!strcmp(key, "query_socket"))
		return set_str(&c->query_socket, v);
	if (!strcmp(key, "query_group"))
		return set_str(&c->query_group, v);
	if (!strcmp(key, "repeat_window")) {
		*err = "repeat_window is seconds (0 disables)";
		if (parse_u64(v, 86400, &n))
			return -1;
		c->repeat_window_s = n;
		return 0;
	}
	if (!strcmp(key, "syslog") || !strcmp(key, "human") ||
	    !strcmp(key, "second_look") || !strcmp(key, "destroy_cached")) {
		i = parse_bool(v);
		*err = "expected yes or no";
		if (i < 0)
			return -1;
		if (key[0] == 's' && key[1] == 'y')
			c->syslog = i;
		else if (key[0] == 'h')
			c->human = i;
		else if (key[0] == 's')
			c->second_look = i;
		else
			c->destroy_cached = i;
		return 0;
	}
	if (!strncmp(key, "correspondents", 14))
		return set_correspondents(c, key, v, err);
	/* The second look's findings (learned.h). */
	if (!strcmp(key, "learned_file")) {
		*err = "learned_file is an absolute path";
		return v[0] == '/' ? set_str(&c->learned_file, v) : -1;
	}
	if (!strcmp(key, "learned_lifetime")) {
		*err = "learned_lifetime is seconds, 1 to 10 years' worth";
		if (parse_u64(v, 10 * 366ULL * 86400, &n) || !n)
			return -1;
		c->learned_lifetime_s = n;
		return 0;
	}
	if (!strcmp(key, "responder_port")) {
		*err = "responder_port is 0 (none) or 1-65535, not 25";
		if (parse_u64(v, 65535, &n) || n == 25)
			return -1;
		c->responder_port = n;
		return 0;
	}
	if (!strcmp(key, "responder_netns")) {
		/* "" is the daemon's own namespace. */
		*err = "responder_netns is an absolute path (/run/netns/NAME, "
		       "/proc/PID/ns/net) or empty";
		return !v[0] || v[0] == '/' ? set_str(&c->responder_netns, v) :
					      -1;
	}
	if (!strcmp(key, "responder_timeout")) {
		*err = "responder_timeout is 1-3600 seconds";
		if (parse_u64(v, 3600, &n) || !n)
			return -1;
		c->responder_timeout_s = n;
		return 0;
	}
	*err = "unknown setting";
	return -1;
}

int conf_check_perms(const char *path)
{
	int fd, err;

	/* O_PATH: a FIFO would block a read open, and nothing is read here. */
	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		log_warn("%s", path);
		return err;
	}
	err = file_check_secrecy(fd, path);
	close(fd);
	return err;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* One line: returns 0, or -1 after reporting file:line. */
static int conf_line(struct mxg_conf *c, const char *path, int lineno,
		     char *line, int *replaced_policies)
{
	char *hash = strchr(line, '#'), *eq, *key, *val;
	const char *err;

	if (hash)
		*hash = '\0';
	key = trim(line);
	if (!*key)
		return 0;
	eq = strchr(key, '=');
	if (!eq) {
		pr_warn("%s:%d: expected 'key = value'\n", path, lineno);
		return -1;
	}
	*eq = '\0';
	key = trim(key);
	val = trim(eq + 1);
	/* The file's policy lines replace the built-in default. */
	if (!strcmp(key, "policy") && !*replaced_policies) {
		while (c->npolicies)
			free(c->policies[--c->npolicies]);
		*replaced_policies = 1;
	}
	if (!*val || conf_set(c, key, val, &err)) {
		pr_warn("%s:%d: %s: %s\n", path, lineno, key,
			*val ? err : "missing value");
		return -1;
	}
	return 0;
}

int conf_load(struct mxg_conf *c, const char *path, int required)
{
	char line[4096];
	int lineno = 0, errors = 0, replaced = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT && !required)
			return 0;
		pr_warn("%s: %s\n", path, strerror(errno));
		return 1;
	}
	if (file_check_secrecy(fileno(f), path)) {
		fclose(f);
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			pr_warn("%s:%d: line too long\n", path, lineno);
			errors++;
			break;
		}
		errors += conf_line(c, path, lineno, line, &replaced) ? 1 : 0;
	}
	fclose(f);
	if (!errors && c->ttl_min_s > c->ttl_max_s) {
		pr_warn("%s: ttl_min is greater than ttl_max\n", path);
		errors++;
	}
	return errors;
}

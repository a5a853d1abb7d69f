/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mxguard.conf: "key = value" lines, '#' comments.  Errors are reported as
 * "file:line: message".  Command-line options override the file.
 */
#ifndef MXGUARD_CONFIG_H
#define MXGUARD_CONFIG_H

#include <linux/types.h>

#include "mxguard/abi.h"

#define MXG_CONF_DEFAULT	"/etc/mxguard/mxguard.conf"
#define MXG_CONTROL_DEFAULT	"/run/mxguard/control.sock"
#define MXG_POLICY_DIR_DEFAULT	"/etc/mxguard/policies.d"
#define MXG_CONF_POLICIES_MAX	64

/*
 * cee: the BSD header and "@cee: JSON", what a local syslogd and journald
 * parse (the default); rfc5424: a header and structured data, for a
 * collector configured to parse RFC 5424 (needs syslog_enterprise_id).
 */
enum mxg_syslog_format { MXG_SYSLOG_CEE = 0, MXG_SYSLOG_RFC5424 = 1 };

struct mxg_conf {
	char *policies[MXG_CONF_POLICIES_MAX];
	int npolicies;
	char *cgroup;			/* NULL: the cgroup2 root */
	char *pin_dir;
	__u32 mode;			/* enum mxg_mode */
	__u32 scope;			/* enum mxg_scope */
	__u16 ports[MXG_PORTS_MAX];
	int nports;
	__u64 ttl_min_s, ttl_max_s;
	/* outputs */
	char *json_file;		/* "-" is stdout; NULL: none */
	int journal;			/* -1: when started by systemd */
	int syslog;			/* to syslog_socket */
	char *syslog_socket;		/* default /dev/log */
	int syslog_format;		/* enum mxg_syslog_format */
	__u32 syslog_enterprise_id;	/* RFC 5424 SD-ID mxguard@N; 0: unset */
	int human;			/* one line per alert on stderr */
	/* control */
	char *control_socket;
	char *control_group;		/* group allowed besides root */
	/*
	 * Query socket for the MTA integrations (qproto.h).  NULL: beside
	 * the control socket, as query.sock; "" disables.
	 */
	char *query_socket;
	char *query_group;		/* NULL: anyone may ask */
	/* alert hygiene */
	__u32 repeat_window_s;		/* 0 disables the rate limit */
	int second_look;		/* check observed MX names */
	int destroy_cached;		/* sock_diag destroy on new taints */
	/* second look: where findings are kept, and for how long */
	char *learned_file;
	__u64 learned_lifetime_s;
	/* correspondents (correspondents.h): learnt recipient domains */
	int correspondents;		/* learn and flag their lookalikes */
	char *correspondents_file;
	__u64 correspondents_window_s;	/* learning only, nothing flagged */
	__u64 correspondents_min_count;	/* frequent: this many lookups ... */
	__u32 correspondents_min_days;	/* ... on this many UTC days */
	__u8 correspondents_action;	/* of a finding: enum mxg_action */
	/* the SMTP responder for port-25 blocks (responder.h) */
	__u16 responder_port;		/* 0: none, every block is EPERM */
	char *responder_netns;		/* NULL: the daemon's own */
	__u32 responder_timeout_s;
};

void conf_defaults(struct mxg_conf *c);
/*
 * What no single key can check: rfc5424 without an enterprise number.
 * 0, or -1 with *err set.
 */
int conf_check(const struct mxg_conf *c, const char **err);
void conf_free(struct mxg_conf *c);
/*
 * Read @path into @c (keys present in the file replace the defaults).
 * @required: a missing file is an error (for -f), else it is skipped.
 * Returns the number of errors.
 */
int conf_load(struct mxg_conf *c, const char *path, int required);
/* Apply one "key=value" setting (also used for command-line options). */
int conf_set(struct mxg_conf *c, const char *key, const char *value,
	     const char **err);
/*
 * Refuse a file or directory that someone other than root (or us) owns or
 * may write (secrecy.h).  By path: the loaders check again on the
 * descriptor they read from.  Reports why; returns 0 or -errno.
 */
int conf_check_perms(const char *path);

#endif

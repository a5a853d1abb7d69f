// SPDX-License-Identifier: GPL-2.0-only
/*
 * Alert fields follow the Elastic Common Schema (MXG_ECS_VERSION) where a
 * field exists (@timestamp, ecs.version, message, event.*, host.*, rule.*,
 * process.*, user.id, destination.*, server.*, dns.question.name) so SIEMs
 * map them without work; the rest lives under "mxguard".
 * user/dist/alert.schema.json describes every field.
 *
 * Rendering is pure: what needs I/O (the clock, /proc, cgroup paths) comes
 * in as struct alert_env, filled by enrich.c, so each renderer has golden
 * tests (tests/unit/test_render.c).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"
#include "event.h"
#include "lookalike.h"
#include "ksim.h"
#include "name.h"
#include "names_abi.h"

void event_format_addr(const __u8 addr[16], char *out, size_t sz)
{
	static const __u8 mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (!memcmp(addr, mapped, sizeof(mapped)))
		inet_ntop(AF_INET, addr + 12, out, sz);
	else
		inet_ntop(AF_INET6, addr, out, sz);
}

const struct mxg_rule_spec *event_rule(const struct mxg_event *ev,
				       const struct mxg_policy *policy)
{
	size_t idx = ev->rule_id & 0xffffffu;	/* see MXG_RULE_INDEX */
	static __thread struct mxg_rule_spec spec;
	static __thread __u8 origin[MXG_NAME_MAX];
	const struct mxg_protect *pr;

	if (!policy || ev->type == MXG_EV_LOST)
		return NULL;
	if (idx < policy->n) {
		mxg_rule_spec_of(policy, &policy->rules[idx], origin, &spec);
		return &spec;
	}
	/*
	 * A kernel similarity match names its protect directive: the rule
	 * shown is that line's, of fuzzer "similarity", for the name seen.
	 */
	pr = ksim_protect(policy, ev->rule_id);
	if (!pr)
		return NULL;
	memcpy(origin, ev->origin, sizeof(origin));
	memset(&spec, 0, sizeof(spec));
	spec.wire = origin;
	spec.wire_len = mxg_name_wire_len(origin, sizeof(origin));
	if (!spec.wire_len) {
		spec.wire = pr->wire;
		spec.wire_len = pr->len;
	}
	spec.protected_wire = pr->wire;
	spec.protected_len = pr->len;
	spec.file = pr->file;
	spec.line = pr->line;
	spec.kind = MXG_RULE_LOOKALIKE;
	spec.action = pr->action;
	spec.origin = MXG_ORIGIN_SIMILARITY;
	spec.flags = MXG_RULE_F_GENERATED;
	return &spec;
}

/* Decoded strings of one event. */
/*
 * Names are in master-file form (mxg_name_format): printable, with '\' as
 * their own escape.  comm is raw, as the process chose it.
 */
struct names {
	char addr[INET6_ADDRSTRLEN], comm[17];
	char origin[MXG_NAME_TEXT_MAX], name[MXG_NAME_TEXT_MAX];
	char protected[MXG_NAME_TEXT_MAX], suffix[MXG_NAME_TEXT_MAX];
	const struct mxg_rule_spec *rule;
};

static void decode(struct names *n, const struct mxg_event *ev,
		   const struct mxg_policy *policy)
{
	event_format_addr(ev->addr, n->addr, sizeof(n->addr));
	memcpy(n->comm, ev->comm, 16);
	n->comm[16] = '\0';
	mxg_name_format(ev->origin, sizeof(ev->origin), n->origin,
			sizeof(n->origin));
	mxg_name_format(ev->name, sizeof(ev->name), n->name, sizeof(n->name));
	mxg_name_format(ev->protected_name, sizeof(ev->protected_name),
			n->protected, sizeof(n->protected));
	n->rule = event_rule(ev, policy);
	n->suffix[0] = '\0';
	if (n->rule)
		mxg_name_format(n->rule->wire, n->rule->wire_len, n->suffix,
				sizeof(n->suffix));
}

static int has_destination(const struct mxg_event *ev)
{
	return ev->type == MXG_EV_CONNECT || ev->type == MXG_EV_TAINT ||
	       ev->type == MXG_EV_DESTROYED || ev->type == MXG_EV_UNEXPLAINED ||
	       (ev->type == MXG_EV_RCPT_HELD && ev->dport);
}

static const char *transport_name(__u8 proto)
{
	return proto == 6 ? "tcp" : proto == 17 ? "udp" : "ip";
}

/* "smtp[42]", the process's chosen name escaped. */
static void text_process(struct tbuf *b, const struct names *n, __u32 tgid)
{
	tb_text(b, n->comm);
	tb_printf(b, "[%u]", tgid);
}

/* RFC 3986 style: [2001:db8::25]:25, 192.0.2.25:25. */
static void text_endpoint(struct tbuf *b, const char *addr, __u16 port)
{
	int bracket = port && strchr(addr, ':');

	tb_printf(b, "%s%s%s", bracket ? "[" : "", addr, bracket ? "]" : "");
	if (port)
		tb_printf(b, ":%u", port);
}

/* "dns-answer-held smtp[42] <- 127.0.0.1:53 (udp) army.ml: why". */
static void held_text(struct tbuf *b, const struct mxg_event *ev,
		      const struct names *n)
{
	tb_printf(b, "%s ", mxg_event_action(ev));
	text_process(b, n, ev->tgid);
	tb_puts(b, " <- ");
	text_endpoint(b, n->addr, ev->dport);
	tb_printf(b, " (%s) %s: %s, %s", transport_name(ev->transport),
		  n->name[0] ? n->name : "(question unknown)",
		  mxg_hold_reason_name(ev->reason),
		  ev->held ? "answer held back" :
			     "answer passed unread (alert mode)");
	if (n->protected[0])
		tb_printf(b, "; %s imitates %s", n->origin, n->protected);
}

static void unexplained_text(struct tbuf *b, const struct mxg_event *ev,
			     const struct names *n)
{
	tb_puts(b, "connect-unexplained ");
	text_process(b, n, ev->tgid);
	tb_puts(b, " -> ");
	text_endpoint(b, n->addr, ev->dport);
	tb_puts(b, ": no DNS answer in its lineage or unit carried this "
		   "address");
}

/* Near a frequent correspondent, not a protected name (correspondents.h). */
static int imitates_correspondent(const struct names *n,
				  const struct alert_extra *x)
{
	return (x && x->correspondent) ||
	       (n->rule && n->rule->origin == MXG_ORIGIN_CORRESPONDENT);
}

/* "blocked smtp[42] -> 192.0.2.25:25 army.ml via mx.x imitates mil (...)" */
static void alert_text(struct tbuf *b, const struct mxg_event *ev,
		       const struct names *n, const struct alert_extra *x)
{
	int suspect = ev->type == MXG_EV_SUSPECT;
	int via = !suspect && strcmp(n->name, n->origin);

	tb_printf(b, "%s ", mxg_event_action(ev));
	text_process(b, n, ev->tgid);
	if (has_destination(ev)) {
		tb_puts(b, " -> ");
		text_endpoint(b, n->addr, ev->dport);
	}
	tb_printf(b, " %s%s%s imitates %s%s", suspect ? n->name : n->origin,
		  via ? " via " : "", via ? n->name : "",
		  imitates_correspondent(n, x) ? "correspondent " : "",
		  n->protected);
	if (n->rule) {
		tb_printf(b, " (rule %s at ", n->suffix);
		tb_text(b, n->rule->file);
		tb_printf(b, ":%d)", n->rule->line);
	}
	if (x && x->repeats)
		tb_printf(b, ", repeated %llu times", x->repeats);
}

/*
 * "recipient-held smtp[42] -> 192.0.2.25:25 <officer@army.ml>: army.ml
 * imitates mil (mil.policy:1); did you mean officer@army.mil?"
 */
static void rcpt_held_text(struct tbuf *b, const struct mxg_event *ev,
			   const struct names *n, const struct alert_extra *x)
{
	tb_puts(b, "recipient-held ");
	text_process(b, n, ev->tgid);
	if (has_destination(ev)) {
		tb_puts(b, " -> ");
		text_endpoint(b, n->addr, ev->dport);
	}
	tb_puts(b, " <");
	tb_text(b, x && x->rcpt ? x->rcpt : "");
	tb_puts(b, ">: ");
	tb_text(b, x && x->reason ? x->reason : "");
	if (x && x->suggest && x->suggest[0]) {
		tb_puts(b, "; did you mean ");
		tb_text(b, x->suggest);
		tb_puts(b, "?");
	}
	if (x && x->repeats)
		tb_printf(b, ", repeated %llu times", x->repeats);
}

void event_to_text(char *out, size_t sz, const struct mxg_event *ev,
		   const struct mxg_policy *policy,
		   const struct alert_extra *x)
{
	struct names n;
	struct tbuf b;

	tb_init(&b, out, sz);
	decode(&n, ev, policy);
	if (ev->type == MXG_EV_LOST)
		tb_printf(&b, "events-lost: %llu events dropped by the ring "
			  "buffer", x ? x->lost : 0);
	else if (ev->type == MXG_EV_DNS_HELD)
		held_text(&b, ev, &n);
	else if (ev->type == MXG_EV_UNEXPLAINED)
		unexplained_text(&b, ev, &n);
	else if (ev->type == MXG_EV_RCPT_HELD)
		rcpt_held_text(&b, ev, &n, x);
	else
		alert_text(&b, ev, &n, x);
}

/*
 * ECS event.severity, on the scale Elastic's detection rules use (low 21,
 * medium 47, high 73): a refusal or an answer held back is high, a
 * lookalike let through (alert mode or an alert rule) medium, lost
 * verdicts medium, context low.
 */
static unsigned int severity(const struct mxg_event *ev)
{
	switch (ev->type) {
	case MXG_EV_CONNECT:
		return ev->outcome != MXG_OUTCOME_ALERTED ? 73 : 47;
	case MXG_EV_RCPT_HELD:
		return 73;
	case MXG_EV_DNS_HELD:
		return ev->held ? 73 : 47;
	case MXG_EV_SUBMISSION:
		/* A recipient the integrations refuse, or only mark. */
		return ev->action == MXG_ACTION_BLOCK &&
		       ev->mode == MXG_MODE_ENFORCE ? 73 : 47;
	case MXG_EV_DNS_LOOKALIKE:
	case MXG_EV_SUSPECT:
	case MXG_EV_DESTROYED:
	case MXG_EV_LOST:
		return 47;
	default:
		return 21;
	}
}

static int is_alert(const struct mxg_event *ev)
{
	/* Taints and unexplained connects are context; lost events a fault. */
	return ev->type != MXG_EV_TAINT && ev->type != MXG_EV_LOST &&
	       ev->type != MXG_EV_UNEXPLAINED;
}

static void write_event_class(struct jw *w, const struct mxg_event *ev,
			      const struct alert_env *env)
{
	const char *outcome = "unknown", *type = "info";

	if (ev->type == MXG_EV_CONNECT) {
		/* Held by the responder is a refusal too. */
		outcome = ev->outcome != MXG_OUTCOME_ALERTED ? "failure" :
							       "success";
		type = ev->outcome != MXG_OUTCOME_ALERTED ? "denied" :
							    "allowed";
	} else if (ev->type == MXG_EV_DESTROYED) {
		outcome = "success";
		type = "end";
	} else if (ev->type == MXG_EV_RCPT_HELD) {
		outcome = "failure";
		type = "denied";
	} else if (ev->type == MXG_EV_LOST) {
		/* The sensor's own fault: verdicts it could not report. */
		outcome = "failure";
	} else if (ev->type == MXG_EV_DNS_HELD) {
		outcome = ev->held ? "failure" : "success";
		type = ev->held ? "denied" : "allowed";
	}
	jw_obj_open(w, "event");
	jw_str(w, "kind", is_alert(ev) ? "alert" : "event");
	jw_str(w, "module", "mxguard");
	jw_str(w, "dataset", "mxguard.alerts");
	if (env->event_id)
		jw_str(w, "id", env->event_id);
	jw_u64(w, "severity", severity(ev));
	jw_arr_open(w, "category");
	if (is_alert(ev) || ev->type == MXG_EV_LOST)
		jw_str(w, NULL, "intrusion_detection");
	if (ev->type != MXG_EV_LOST)
		jw_str(w, NULL, "network");
	if (ev->type == MXG_EV_RCPT_HELD)
		jw_str(w, NULL, "email");
	jw_arr_close(w);
	jw_arr_open(w, "type");
	if (ev->type != MXG_EV_LOST)
		jw_str(w, NULL, ev->type == MXG_EV_CONNECT ||
				ev->type == MXG_EV_DESTROYED ||
				ev->type == MXG_EV_UNEXPLAINED ? "connection" :
								 "protocol");
	jw_str(w, NULL, type);
	jw_arr_close(w);
	jw_str(w, "action", mxg_event_action(ev));
	jw_str(w, "outcome", outcome);
	jw_obj_close(w);
}

/* ECS rule.*: the policy line that matched. */
static void write_rule(struct jw *w, const struct names *n)
{
	const char *fuzzer = lookalike_fuzzer_name(n->rule->origin);
	char id[4200], name[2 * MXG_NAME_TEXT_MAX + 32];
	char desc[2 * MXG_NAME_TEXT_MAX + 32];

	snprintf(id, sizeof(id), "%s:%d", n->rule->file, n->rule->line);
	if (n->rule->origin == MXG_ORIGIN_CORRESPONDENT)
		snprintf(name, sizeof(name), "correspondent %s",
			 n->protected);
	else if (fuzzer)
		snprintf(name, sizeof(name), "protect %s (%s)", n->protected,
			 fuzzer);
	else
		snprintf(name, sizeof(name), "lookalike %s of %s", n->suffix,
			 n->protected);
	snprintf(desc, sizeof(desc), "%s imitates %s%s", n->suffix,
		 n->rule->origin == MXG_ORIGIN_CORRESPONDENT ?
		 "correspondent " : "", n->protected);
	jw_obj_open(w, "rule");
	jw_str(w, "id", id);
	jw_str(w, "name", name);
	jw_str(w, "ruleset", n->rule->file);
	jw_str(w, "category", fuzzer ? fuzzer : "rule");
	jw_str(w, "description", desc);
	jw_obj_close(w);
}

static void write_host(struct jw *w, const struct alert_env *env)
{
	if (!env->host_name && !env->host_id)
		return;
	jw_obj_open(w, "host");
	if (env->host_name) {
		jw_str(w, "name", env->host_name);
		jw_str(w, "hostname", env->host_name);
	}
	if (env->host_id)
		jw_str(w, "id", env->host_id);
	jw_obj_close(w);
}

static void write_process(struct jw *w, const struct mxg_event *ev,
			  const struct names *n, const struct alert_env *env)
{
	char uid[16];

	jw_obj_open(w, "process");
	jw_u64(w, "pid", ev->tgid);
	jw_obj_open(w, "thread");
	jw_u64(w, "id", ev->pid);
	jw_obj_close(w);
	jw_str(w, "name", n->comm);
	if (env->exe)
		jw_str(w, "executable", env->exe);
	jw_obj_close(w);
	snprintf(uid, sizeof(uid), "%u", ev->uid);
	jw_obj_open(w, "user");
	jw_str(w, "id", uid);
	jw_obj_close(w);
}

/* Recipient domain -> MX (or other target) -> address. */
static void write_path(struct jw *w, const struct mxg_event *ev,
		       const struct names *n)
{
	jw_arr_open(w, "path");
	jw_str(w, NULL, n->origin);
	if (strcmp(n->name, n->origin))
		jw_str(w, NULL, n->name);
	if (has_destination(ev))
		jw_str(w, NULL, n->addr);
	jw_arr_close(w);
}

static void write_mxguard(struct jw *w, const struct mxg_event *ev,
			  const struct names *n, const struct alert_extra *x,
			  const struct alert_env *env)
{
	const char *fuzzer = n->rule ? lookalike_fuzzer_name(n->rule->origin) :
				       NULL;

	jw_obj_open(w, "mxguard");
	jw_str(w, "lookalike",
	       ev->type == MXG_EV_SUSPECT ? n->name : n->origin);
	jw_str(w, "protected", n->protected);
	jw_str(w, "resolved_name", n->name);
	write_path(w, ev, n);
	jw_str(w, "mode", mxg_mode_name(ev->mode));
	jw_str(w, "scope", mxg_scope_name(ev->scope));
	jw_str(w, "action", mxg_action_name(ev->action));
	if (n->rule) {
		jw_obj_open(w, "rule");
		jw_str(w, "suffix", n->suffix);
		jw_str(w, "file", n->rule->file);
		jw_u64(w, "line", n->rule->line);
		jw_str(w, "fuzzer", fuzzer ? fuzzer : "rule");
		jw_obj_close(w);
	}
	if (x && ev->type == MXG_EV_SUSPECT) {
		jw_str(w, "method", x->method ? x->method : "unknown");
		jw_u64(w, "distance", x->distance);
		jw_bool(w, "added_to_policy", x->added_to_policy);
	}
	if (imitates_correspondent(n, x))
		jw_bool(w, "correspondent", 1);
	jw_u64(w, "cgroup_id", ev->cgroup_id);
	if (env->cgroup)
		jw_str(w, "cgroup", env->cgroup);
	if (env->unit)
		jw_str(w, "unit", env->unit);
	jw_obj_open(w, "resolver");
	jw_u64(w, "pid", ev->resolver_tgid);
	jw_u64(w, "cgroup_id", ev->resolver_cgroup);
	jw_obj_close(w);
	if (ev->type == MXG_EV_TAINT)
		jw_u64(w, "ttl", ev->ttl);
	if (ev->type == MXG_EV_DNS_HELD) {
		jw_obj_open(w, "answer");
		jw_str(w, "reason", mxg_hold_reason_name(ev->reason));
		jw_bool(w, "held", ev->held);
		jw_str(w, "transport", transport_name(ev->transport));
		jw_obj_close(w);
	}
	if (x && x->repeats)
		jw_u64(w, "repeated", x->repeats);
	if (x && ev->type == MXG_EV_LOST)
		jw_u64(w, "lost", x->lost);
	if (x && ev->type == MXG_EV_RCPT_HELD) {
		jw_obj_open(w, "recipient");
		jw_str(w, "address", x->rcpt ? x->rcpt : "");
		jw_str(w, "reason", x->reason ? x->reason : "");
		if (x->suggest && x->suggest[0])
			jw_str(w, "suggestion", x->suggest);
		jw_obj_close(w);
	}
	jw_obj_close(w);
}

void event_to_json(struct jw *w, const struct mxg_event *ev,
		   const struct mxg_policy *policy,
		   const struct alert_extra *x, const struct alert_env *env)
{
	char msg[2048];
	struct names n;

	decode(&n, ev, policy);
	event_to_text(msg, sizeof(msg), ev, policy, x);
	jw_reset(w);
	jw_obj_open(w, NULL);
	jw_str(w, "@timestamp", env->ts);
	jw_obj_open(w, "ecs");
	jw_str(w, "version", MXG_ECS_VERSION);
	jw_obj_close(w);
	jw_str(w, "message", msg);
	write_event_class(w, ev, env);
	write_host(w, env);
	if (ev->type == MXG_EV_LOST) {
		write_mxguard(w, ev, &n, x, env);
		jw_obj_close(w);
		return;
	}
	if (n.rule && n.rule->kind != MXG_RULE_ALLOW)
		write_rule(w, &n);
	write_process(w, ev, &n, env);
	if (has_destination(ev)) {
		jw_obj_open(w, "destination");
		jw_str(w, "ip", n.addr);
		if (ev->dport)
			jw_u64(w, "port", ev->dport);
		/* The server the name resolved to (an MX host, usually). */
		if (n.name[0] && strcmp(n.name, "."))
			jw_str(w, "domain", n.name);
		jw_obj_close(w);
	}
	if (ev->type == MXG_EV_DNS_HELD) {
		/* ECS: the DNS server the answer came from. */
		jw_obj_open(w, "server");
		jw_str(w, "ip", n.addr);
		if (ev->dport)
			jw_u64(w, "port", ev->dport);
		jw_obj_close(w);
	}
	if (x && ev->type == MXG_EV_RCPT_HELD && x->rcpt) {
		/* ECS email.to.address */
		jw_obj_open(w, "email");
		jw_obj_open(w, "to");
		jw_arr_open(w, "address");
		jw_str(w, NULL, x->rcpt);
		jw_arr_close(w);
		jw_obj_close(w);
		jw_obj_close(w);
	}
	/* dns.* only where a DNS message was seen: not for a connect. */
	if (ev->type == MXG_EV_TAINT || ev->type == MXG_EV_SUSPECT ||
	    ev->type == MXG_EV_DNS_HELD || ev->type == MXG_EV_DNS_LOOKALIKE) {
		jw_obj_open(w, "dns");
		jw_obj_open(w, "question");
		jw_str(w, "name",
		       ev->type == MXG_EV_DNS_LOOKALIKE ? n.origin : n.name);
		jw_obj_close(w);
		jw_obj_close(w);
	}
	write_mxguard(w, ev, &n, x, env);
	jw_obj_close(w);
}

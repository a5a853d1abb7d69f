/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One DNS message in scratch->pkt: its question, its verdict, its records.
 *
 * The rule for the whole datapath: an answer to a lookalike or tainted
 * question (a "watched" answer) reaches the socket only if every record of it
 * was read, so every address it carries is tainted.  Anything short of that,
 * in block mode, is held back: cgroup_skb/ingress drops it, the client's
 * lookup times out, and the mail waits.  In alert mode it passes, reported.
 */
#ifndef MXGUARD_MESSAGE_BPF_H
#define MXGUARD_MESSAGE_BPF_H

/* The MXG_TNAME_RESOLVED_* bit of a question type, or 0. */
static __always_inline __u32 resolved_bit(__u32 qtype)
{
	return qtype == DNS_T_A ? MXG_TNAME_RESOLVED_A :
	       qtype == DNS_T_AAAA ? MXG_TNAME_RESOLVED_AAAA : 0;
}

/*
 * Has a clean MX answer of this process cleared the tainted name for it
 * (abi.h: struct mxg_tname_clean)?  @tn: the process's own live entry, or
 * NULL when only the unit's is live.  @k is the process's key.
 */
static __always_inline int name_cleared(struct mxg_scratch *s,
					const struct mxg_tname_key *k,
					const struct mxg_tname *tn)
{
	struct mxg_tname_clean *c = bpf_map_lookup_elem(&clean_names, k);

	if (!c || c->expires_ns <= s->now)
		return 0;
	if (!tn)
		return !c->taint_expires_ns;
	return c->taint_expires_ns == tn->expires_ns &&
	       c->taint_gen == tn->gen && tn->gen &&
	       (c->resolved & resolved_bit(s->qtype));
}

/*
 * Is the response's question itself tainted (an MX host, a CNAME target)?
 * @egress: a query, whose clearing the answer counts again, so not here.
 */
static __always_inline void question_taint(struct mxg_scratch *s,
					   __u32 egress)
{
	struct mxg_tname_key k = {}, uk = {};
	struct mxg_tname *tn;

	if (!name_maybe_tainted(s->qname_hash)) {
		s->tainted = 0;
		return;
	}
	k.name_hash = s->qname_hash;
	k.id = s->owner.tgid;
	k.level = MXG_TNAME_PROCESS;
	tn = s->owner.tgid ? bpf_map_lookup_elem(&taint_names, &k) : NULL;
	s->tainted = 1;
	if (tn && tn->expires_ns > s->now) {
		if (name_cleared(s, &k, tn))
			goto cleared;
	} else {
		uk.name_hash = s->qname_hash;
		uk.id = s->owner.cgroup_id;
		uk.level = MXG_TNAME_UNIT;
		tn = bpf_map_lookup_elem(&taint_names, &uk);
		s->tainted = 2;
		if (!tn || tn->expires_ns <= s->now) {
			s->tainted = 0;
			return;
		}
		if (s->owner.tgid && name_cleared(s, &k, NULL))
			goto cleared;
	}
	s->origin_hash = tn->origin_hash;
	s->protected_hash = tn->protected_hash;
	s->rule_id = tn->rule_id;
	s->action = tn->action;
	return;
cleared:
	s->tainted = 0;
	if (!egress)
		count(MXG_CNT_NAMES_CLEARED);
}

/*
 * A watched answer read to its end, that tainted addresses of its type in
 * the process: say so on the process's entry for the name, if it has one.
 */
static __always_inline void name_resolved(struct mxg_scratch *s)
{
	struct mxg_tname_key k = {};
	struct mxg_tname *tn;
	__u32 bit = resolved_bit(s->qtype);

	if (s->tainted != 1 || !s->taint_addrs || !bit || !s->owner.tgid)
		return;
	k.name_hash = s->qname_hash;
	k.id = s->owner.tgid;
	k.level = MXG_TNAME_PROCESS;
	tn = bpf_map_lookup_elem(&taint_names, &k);
	if (tn && tn->expires_ns > s->now && !(tn->resolved & bit))
		tn->resolved |= bit;
}

static __always_inline void emit_query(struct mxg_scratch *s,
				       struct mxg_config *cfg, __u32 type)
{
	struct mxg_event *ev = type == MXG_EV_MX_QUERY ? query_reserve() :
							 event_reserve(type);

	if (!ev)
		return;
	event_owner(ev, &s->owner);
	if (type == MXG_EV_DNS_LOOKALIKE) {
		ev->protected_hash = s->rule.protected_hash;
		ev->rule_id = s->rule.rule_id;
		ev->action = s->rule.action;
	}
	ev->mode = cfg->mode;
	ev->scope = MXG_SCOPE_NONE;
	ev->qtype = s->qtype;
	__builtin_memcpy(ev->name, s->qname, MXG_NAME_MAX);
	__builtin_memcpy(ev->origin, s->qname, MXG_NAME_MAX);
	if (type == MXG_EV_DNS_LOOKALIKE)
		copy_protected(ev->protected_name, s->rule.protected_hash);
	bpf_ringbuf_submit(ev, 0);
}

/* An answer held back (block mode) or passed unread (alert mode). */
static __always_inline void emit_held(struct mxg_scratch *s,
				      struct mxg_config *cfg, __u32 reason,
				      __u32 held, __u32 proto)
{
	struct mxg_event *ev;

	count(held ? MXG_CNT_HELD : MXG_CNT_INCOMPLETE);
	ev = event_reserve(MXG_EV_DNS_HELD);
	if (!ev)
		return;
	event_chain(ev, s, cfg);
	ev->scope = MXG_SCOPE_NONE;
	ev->qtype = s->qtype;
	ev->reason = reason;
	ev->held = held;
	ev->transport = proto;
	ev->dport = s->server_port;
	ev->family = addr_family(s->server);
	__builtin_memcpy(ev->addr, s->server, 16);
	if (s->tainted) {
		__builtin_memcpy(ev->name, s->qname, MXG_NAME_MAX);
		copy_name(ev->origin, s->origin_hash);
		copy_protected(ev->protected_name, s->protected_hash);
	}
	bpf_ringbuf_submit(ev, 0);
}

/*
 * Parse the header and question of scratch->pkt and settle its verdict:
 * scratch->tainted says whether the message is watched.  A query (@egress)
 * raises its events here.  Returns the offset just past the question, or a
 * negative PARSE_* code.
 */
__noinline int mxg_question(__u32 slot, __u32 egress)
{
	struct mxg_scratch *s = get_scratch(slot);
	struct mxg_config *cfg = get_config();
	int ret, matched;
	__u32 qend, sim;

	if (!s || !cfg)
		return PARSE_MALFORMED;
	s->tainted = 0;
	s->qtype = 0;
	s->taint_addrs = 0;
	s->qname_direct = 0;
	s->now = mxg_now();
	if (pkt_u16(s, 4) != 1)
		return PARSE_MALFORMED;		/* exactly one question */
	ret = mxg_parse_name(DNS_HDR_LEN, slot);
	if (ret < 0)
		return ret;
	/* No pointer followed: see mxg_rr(). */
	s->qname_direct = !WALK(s, w_end);
	qend = ret;
	if (qend + 4 > s->pkt_len)
		return past_end(s);
	s->qtype = pkt_u16(s, qend);
	__builtin_memcpy(s->qname, s->name, MXG_NAME_MAX);
	/*
	 * The policy walk, and with no rule at all (an allow rule, or the
	 * protected name's own, wins) the similarity match: one edit from a
	 * protected label is a lookalike like a rule's.  Through the verdict
	 * cache (vcache.bpf.h).
	 */
	matched = mxg_vc_get(slot, egress);
	if (matched < 0) {
		sim = 0;
		matched = mxg_match_name(slot);
		if (!matched && mxg_similar(slot)) {
			matched = 1;
			sim = 1;
			if (egress)
				count(MXG_CNT_SIM_MATCH);
		}
		mxg_vc_put(slot, matched, sim);
	}
	s->qname_hash = s->name_hash;
	if (matched && s->rule.verdict == MXG_VERDICT_LOOKALIKE) {
		/*
		 * An MX host under the lookalike suffix itself (mx.navy.ml for
		 * navy.ml) keeps the chain's origin: alerts then name the
		 * recipient domain the mail was for.
		 */
		question_taint(s, egress);
		if (!s->tainted) {
			s->origin_hash = s->qname_hash;
			s->protected_hash = s->rule.protected_hash;
			s->rule_id = s->rule.rule_id;
			s->action = s->rule.action;
		}
		s->tainted = 1;
		remember_name(s);
		if (egress) {
			count(MXG_CNT_QUERY_MATCH);
			emit_query(s, cfg, MXG_EV_DNS_LOOKALIKE);
		}
		return qend + 4;
	}
	/*
	 * A tainted name outranks an allow rule: gmial.com's MX may well be
	 * mail.protonmail.ch, under `allow protonmail.ch`.
	 */
	question_taint(s, egress);
	if (egress && !matched && !s->tainted && s->qtype == DNS_T_MX)
		emit_query(s, cfg, MXG_EV_MX_QUERY);	/* the second look */
	return qend + 4;
}

static __always_inline int rr_failed(int err)
{
	if (err == PARSE_FULL)
		return MXG_HOLD_MAP_FULL;
	count(err == PARSE_TRUNCATED ? MXG_CNT_TRUNCATED : MXG_CNT_MALFORMED);
	return err == PARSE_TRUNCATED ? MXG_HOLD_TOO_BIG : MXG_HOLD_MALFORMED;
}

/*
 * Walk every record after the question at @off.  Returns MXG_HOLD_NONE when
 * the message was read to its last record, else the reason it was not.
 */
__noinline int mxg_answers(__u32 slot, __u32 off)
{
	struct mxg_scratch *s = get_scratch(slot);
	__u32 section, i;
	int next;

	if (!s)
		return MXG_HOLD_MALFORMED;
	/*
	 * The counts and the cursor live in scratch and are read afresh each
	 * round: comparing the round against counts held in registers would
	 * give every round's states different bounds, and none would prune.
	 */
	WALK(s, r_an) = pkt_u16(s, 6);
	WALK(s, r_ns) = pkt_u16(s, 8);
	WALK(s, r_total) = pkt_u16(s, 6) + pkt_u16(s, 8) + pkt_u16(s, 10);
	WALK(s, r_next) = off;
	for (i = 0; i < MXG_RR_MAX; i++) {
		if (i >= WALK(s, r_total))
			break;
		section = i < WALK(s, r_an) ? SEC_ANSWER :
			  i < WALK(s, r_an) + WALK(s, r_ns) ? SEC_AUTHORITY :
							    SEC_ADDITIONAL;
		next = mxg_rr(WALK(s, r_next), section, slot);
		if (next < 0)
			return rr_failed(next);
		WALK(s, r_next) = next;
	}
	if (i < WALK(s, r_total)) {
		count(MXG_CNT_TRUNCATED);
		return MXG_HOLD_RECORDS;
	}
	/* Every record read, but the message went on past the copy. */
	if (s->pkt_capped) {
		count(MXG_CNT_TRUNCATED);
		return MXG_HOLD_TOO_BIG;
	}
	count(MXG_CNT_PARSED);
	return MXG_HOLD_NONE;
}

/*
 * Judge a response in scratch->pkt.  @loc is NULL for a TCP stream, which
 * vouches for its answers itself; a UDP answer must match a query this
 * socket sent (pending.bpf.h).  Returns 1 to pass the packet, 0 to hold it
 * back.
 */
static __always_inline int judge_response(struct bpf_sock *sk,
					  struct mxg_scratch *s,
					  struct mxg_config *cfg, __u32 slot,
					  const struct dns_loc *loc)
{
	__u32 reason, block, match = PENDING_CLEAN;
	__u32 proto = loc ? IPPROTO_UDP : IPPROTO_TCP;
	int qend;

	/*
	 * The QR bit is not looked at: glibc's stub takes a message with its
	 * query's ID and question as the answer whatever QR says (send_dg()
	 * never tests it), so a "query" from port 53 is read like any answer.
	 * Passing it unread let a lookalike zone's answer through with
	 * nothing tainted (found by tests/fuzz/dnsdiff.c).
	 */
	qend = mxg_question(slot, 0);
	if (qend < 0) {
		count(qend == PARSE_TRUNCATED ? MXG_CNT_TRUNCATED :
						MXG_CNT_MALFORMED);
		/* Unreadable: held where a watched query may await it. */
		if (loc && pending_match(sk, s, loc, 0) != PENDING_OTHER)
			return 1;
		reason = MXG_HOLD_QUESTION;
		goto incomplete;
	}
	if (loc)
		match = pending_match(sk, s, loc, 1);
	if (match == PENDING_NONE || match == PENDING_OTHER) {
		/* Not the answer to a query sent: never trusted. */
		count(MXG_CNT_UNSOLICITED);
		if (match == PENDING_OTHER && !s->tainted) {
			reason = MXG_HOLD_MISMATCH;
			goto incomplete;
		}
	}
	/* Clean records only from an answer to a query this socket sent. */
	s->trust = (match == PENDING_CLEAN || match == PENDING_WATCHED) &&
		   !(s->pkt[3] & 0x0F);
	reason = mxg_answers(slot, qend);
	if (reason == MXG_HOLD_NONE) {
		name_resolved(s);
		return 1;
	}
	if (!s->tainted)
		return 1;
incomplete:
	/* Hold only where the rule would refuse the connect. */
	block = cfg->mode == MXG_MODE_ENFORCE &&
		(!s->tainted || s->action == MXG_ACTION_BLOCK);
	emit_held(s, cfg, reason, block, proto);
	return !block;
}

#endif

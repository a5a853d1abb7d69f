/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Recording resolutions and emitting events.
 *
 * A response for a lookalike (or tainted) question taints every address in
 * it for the receiving process, its cgroup and the host; the MX/CNAME/SRV
 * targets become tainted names, so the follow-up lookup of an out-of-zone MX
 * host taints its addresses too.  A clean response records its addresses as
 * clean for the receiving process only, and only when it answers a query the
 * socket sent.  A clean answer never clears a lookalike record that no
 * connect has been judged on yet (see struct mxg_taint's `judged`), and a
 * clean answer in another process never clears anything.
 */
#ifndef MXGUARD_TAINT_BPF_H
#define MXGUARD_TAINT_BPF_H

#define PARSE_FULL	(-3)	/* a taint map refused the write */

static __always_inline __u64 ttl_ns(struct mxg_config *cfg, __u32 ttl)
{
	__u64 ns = (__u64)ttl * 1000000000ULL;

	if (ns < cfg->ttl_min_ns)
		ns = cfg->ttl_min_ns;
	if (ns > cfg->ttl_max_ns)
		ns = cfg->ttl_max_ns;
	return ns;
}

static __always_inline void copy_name(__u8 *dst, __u64 hash)
{
	struct mxg_name *n = bpf_map_lookup_elem(&names, &hash);

	if (n)
		__builtin_memcpy(dst, n->wire, MXG_NAME_MAX);
}

static __always_inline void copy_protected(__u8 *dst, __u64 hash)
{
	struct mxg_protected *p = bpf_map_lookup_elem(&protected_names, &hash);

	if (p)
		__builtin_memcpy(dst, p->name, MXG_PROTECTED_MAX);
}

static __always_inline struct mxg_event *event_init(struct mxg_event *ev,
						    __u32 type)
{
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->ts_ns = bpf_ktime_get_ns();
	return ev;
}

static __always_inline struct mxg_event *event_reserve(__u32 type)
{
	struct mxg_event *ev;

	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		count(MXG_CNT_RB_DROPS);
		return NULL;
	}
	return event_init(ev, type);
}

/* An MX query for the second look: on its own ring (maps.bpf.h). */
static __always_inline struct mxg_event *query_reserve(void)
{
	struct mxg_event *ev;

	ev = bpf_ringbuf_reserve(&queries, sizeof(*ev), 0);
	if (!ev) {
		count(MXG_CNT_QUERY_DROPS);
		return NULL;
	}
	return event_init(ev, MXG_EV_MX_QUERY);
}

static __always_inline void event_owner(struct mxg_event *ev,
					struct mxg_owner *o)
{
	ev->pid = o->pid;
	ev->tgid = o->tgid;
	ev->uid = o->uid;
	ev->cgroup_id = o->cgroup_id;
	ev->resolver_tgid = o->tgid;
	ev->resolver_cgroup = o->cgroup_id;
	__builtin_memcpy(ev->comm, o->comm, sizeof(ev->comm));
}

/* The receiving process and the chain's rule, from the message in scratch. */
static __always_inline void event_chain(struct mxg_event *ev,
					struct mxg_scratch *s,
					struct mxg_config *cfg)
{
	event_owner(ev, &s->owner);
	ev->protected_hash = s->protected_hash;
	ev->rule_id = s->rule_id;
	ev->action = s->action;
	ev->mode = cfg->mode;
}

static __always_inline __u8 addr_family(const __u8 *addr)
{
	return (addr[10] == 0xff && addr[11] == 0xff && !addr[0]) ?
	       AF_INET : AF_INET6;
}

/* scratch->name holds the record's owner; scratch->name_hash its hash. */
static __always_inline void emit_taint(struct mxg_scratch *s,
				       struct mxg_config *cfg,
				       const __u8 *addr, __u32 ttl, __u16 qtype,
				       __u8 scope)
{
	struct mxg_event *ev = event_reserve(MXG_EV_TAINT);

	if (!ev)
		return;
	event_chain(ev, s, cfg);
	ev->scope = scope;
	ev->qtype = qtype;
	ev->ttl = ttl;
	ev->family = addr_family(addr);
	__builtin_memcpy(ev->addr, addr, 16);
	__builtin_memcpy(ev->name, s->name, MXG_NAME_MAX);
	copy_name(ev->origin, s->origin_hash);
	copy_protected(ev->protected_name, s->protected_hash);
	bpf_ringbuf_submit(ev, 0);
}

static __always_inline void remember_name(struct mxg_scratch *s)
{
	if (!bpf_map_update_elem(&names, &s->name_hash, s->name, BPF_NOEXIST))
		count(MXG_CNT_NAMES_NEW);
}

static __always_inline int live(const struct mxg_taint *t, __u64 now)
{
	return t && t->expires_ns > now;
}

/*
 * Write a lookalike record at one level.  Returns 1 when the address was not
 * tainted there before, 0 when it was, PARSE_FULL when the map is full.
 */
static __always_inline int put_taint(void *map, void *key,
				     struct mxg_taint *t, __u64 now)
{
	struct mxg_taint *prev = bpf_map_lookup_elem(map, key);
	int fresh = !live(prev, now);

	if (bpf_map_update_elem(map, key, t, BPF_ANY)) {
		count(MXG_CNT_MAP_FULL);
		return PARSE_FULL;
	}
	if (!prev && map == (void *)&taint_proc)
		count(MXG_CNT_PROC_NEW);
	return fresh;
}

/*
 * Before any level's record: taint_any learns that the address is tainted
 * somewhere, until at least when the record can expire (maps.bpf.h).
 * Only ever raised.  0, or PARSE_FULL.
 */
static __always_inline int note_tainted(struct mxg_scratch *s,
					struct mxg_config *cfg)
{
	__u64 until = s->now + cfg->ttl_max_ns + MXG_ANY_SLACK_NS;
	__u32 zero = 0, slot = mxg_any_slot(s->hk.addr);
	struct mxg_any_filter *f = bpf_map_lookup_elem(&any_filter, &zero);
	__u64 *v;

	/* The filter's byte before the entry (connect.bpf.h). */
	if (f && !f->may[slot])
		f->may[slot] = 1;
	v = bpf_map_lookup_elem(&taint_any, &s->hk);
	if (v) {
		if (*v < until)
			*v = until;
		return 0;
	}
	if (bpf_map_update_elem(&taint_any, &s->hk, &until, BPF_ANY)) {
		count(MXG_CNT_MAP_FULL);
		return PARSE_FULL;
	}
	return 0;
}

/*
 * 1 when no lookalike answer ever carried @addr (4-byte aligned), as far
 * as an array byte can say: taint_any's filter is armed and the address's
 * byte is 0 (maps.bpf.h: any_filter).  Every taint record of an address,
 * at any level, is written after its byte is set, and no byte is cleared,
 * so such an address has no record anywhere, live or expired.  0 says
 * nothing.
 */
static __always_inline int fastpath_on(void)
{
	__u32 zero = 0, *armed = bpf_map_lookup_elem(&fastpath_armed, &zero);

	return armed && *armed == 1;
}

/* The filter's byte alone: trusted only while fastpath_on(). */
static __always_inline int any_byte_clear(const __u8 *addr)
{
	__u32 zero = 0;
	struct mxg_any_filter *f = bpf_map_lookup_elem(&any_filter, &zero);

	return f && !f->may[mxg_any_slot(addr)];
}

static __always_inline int never_tainted(const __u8 *addr)
{
	return fastpath_on() && any_byte_clear(addr);
}

/*
 * The unit's clean record, unless this CPU wrote it lately with an expiry
 * at most a 64th of its life (and at most a second) before this one
 * (maps.bpf.h: unit_recent).  A shorter TTL is always written.
 */
static __always_inline void record_clean_unit(struct mxg_scratch *s,
					      __u64 life)
{
	__u32 zero = 0, i, mix = mxg_unit_mix(&s->uk);
	struct mxg_unit_recent *r = bpf_map_lookup_elem(&unit_recent, &zero);
	struct mxg_unit_recent_slot *e = NULL;
	struct mxg_unit_filter *f;
	const __u32 *a, *b;
	__u64 exp = s->rec.expires_ns, slack = life >> 6, *seen;

	if (slack > 1000000000ULL)
		slack = 1000000000ULL;
	if (r) {
		b = (const void *)s->uk.addr;
		i = MXG_UNIT_RECENT_SLOT(mix);
		e = &r->slot[i & (MXG_UNIT_RECENT_SLOTS - 1)];
		a = (const void *)e->key.addr;
		if (e->key.cgroup_id == s->uk.cgroup_id && a[0] == b[0] &&
		    a[1] == b[1] && a[2] == b[2] && a[3] == b[3] &&
		    exp >= e->expires_ns && exp - e->expires_ns < slack)
			return;
	}
	seen = bpf_map_lookup_elem(&clean_unit, &s->uk);
	if (seen)
		*seen = exp;
	else if (bpf_map_update_elem(&clean_unit, &s->uk, &exp, BPF_ANY))
		return;
	/*
	 * The filter's byte after the entry (maps.bpf.h: unit_filter), so
	 * that the daemon's clear-then-mark never leaves a live entry
	 * without one.  Read first: a set byte's line stays shared.
	 */
	f = bpf_map_lookup_elem(&unit_filter, &zero);
	if (f) {
		i = mxg_unit_filter_slot(mix);
		if (!f->may[i])
			f->may[i] = 1;
	}
	if (e) {
		e->key = s->uk;
		e->expires_ns = exp;
	}
}

/*
 * A clean answer in this process: record it, and settle the process's
 * taint.  @life: the record's TTL, ns.
 */
static __always_inline void record_clean(struct mxg_scratch *s, __u64 life)
{
	struct mxg_taint *prev = NULL;
	int expired;

	/* Nothing to settle for an address no lookalike answer carried. */
	if (!never_tainted(s->pk.addr))
		prev = bpf_map_lookup_elem(&taint_proc, &s->pk);
	if (prev && live(prev, s->now) && !prev->judged) {
		count(MXG_CNT_CLEAN_KEPT);
	} else if (prev) {
		expired = !live(prev, s->now);
		/* Expired, or acted on by a connect: this answer is the latest. */
		if (!bpf_map_delete_elem(&taint_proc, &s->pk) && expired) {
			count(MXG_CNT_PROC_EXPIRED);
			count(MXG_CNT_TAINT_EXPIRED);
		}
	}
	prev = bpf_map_lookup_elem(&clean_proc, &s->pk);
	if (prev) {
		/* Refresh in place: no second hash-table update per answer. */
		prev->expires_ns = s->rec.expires_ns;
		prev->name_hash = s->rec.name_hash;
	} else if (!bpf_map_update_elem(&clean_proc, &s->pk, &s->rec,
					BPF_NOEXIST)) {
		count(MXG_CNT_CLEAN_NEW);
	}
	record_clean_unit(s, life);
	count(MXG_CNT_CLEAN_RECORDS);
}

/*
 * scratch->addr was resolved by scratch->name (@hashed: scratch->name_hash
 * is its hash already).  Returns 0, or PARSE_FULL when a lookalike record
 * could not be stored.
 */
static __always_inline int record_addr(struct mxg_scratch *s,
				       struct mxg_config *cfg, __u32 ttl,
				       __u16 qtype, __u32 slot, __u32 hashed)
{
	struct mxg_taint *t = &s->rec;
	__u64 life = ttl_ns(cfg, ttl);
	int fresh = 0, ret;
	__u8 scope;

	if (!hashed)
		mxg_hash_name(slot);
	__builtin_memset(t, 0, sizeof(*t));
	t->expires_ns = s->now + life;
	t->name_hash = s->name_hash;
	t->resolver_tgid = s->owner.tgid;
	t->resolver_cgroup = s->owner.cgroup_id;
	__builtin_memset(&s->pk, 0, sizeof(s->pk));
	s->pk.tgid = s->owner.tgid;
	__builtin_memcpy(s->pk.addr, s->addr, 16);
	s->uk.cgroup_id = s->owner.cgroup_id;
	__builtin_memcpy(s->uk.addr, s->addr, 16);
	__builtin_memcpy(s->hk.addr, s->addr, 16);
	if (!s->tainted) {
		if (s->owner.tgid && s->trust) {
			t->verdict = MXG_VERDICT_CLEAN;
			record_clean(s, life);
		}
		return 0;
	}
	t->verdict = MXG_VERDICT_LOOKALIKE;
	t->origin_hash = s->origin_hash;
	t->protected_hash = s->protected_hash;
	t->rule_id = s->rule_id;
	t->action = s->action;
	/* The level the configured scope acts at says whether it is new. */
	scope = cfg->scope == MXG_SCOPE_HOST ? MXG_SCOPE_HOST :
		(cfg->scope == MXG_SCOPE_UNIT || s->tainted != 1 ||
		 !s->owner.tgid) ? MXG_SCOPE_UNIT : MXG_SCOPE_PROCESS;
	ret = note_tainted(s, cfg);
	if (ret < 0)
		return ret;
	if (s->tainted == 1 && s->owner.tgid) {
		ret = put_taint(&taint_proc, &s->pk, t, s->now);
		if (ret < 0)
			return ret;
		fresh = ret;
		if (qtype == s->qtype)
			s->taint_addrs++;
	}
	ret = put_taint(&taint_unit, &s->uk, t, s->now);
	if (ret < 0)
		return ret;
	if (scope == MXG_SCOPE_UNIT)
		fresh = ret;
	ret = put_taint(&taint_host, &s->hk, t, s->now);
	if (ret < 0)
		return ret;
	if (scope == MXG_SCOPE_HOST)
		fresh = ret;
	remember_name(s);
	count(MXG_CNT_TAINTS);
	/*
	 * Report an address only when it becomes tainted at the level the
	 * scope acts at: a retrying MTA re-resolves the same lookalike again
	 * and again, and the daemon's work per report (connection caches in
	 * that scope) is per address.
	 */
	if (fresh)
		emit_taint(s, cfg, s->addr, (__u32)(life / 1000000000ULL),
			   qtype, scope);
	return 0;
}

/* scratch->name holds a CNAME/MX/SRV target of a tainted answer. */
static __always_inline int record_name(struct mxg_scratch *s,
				       struct mxg_config *cfg, __u32 ttl,
				       __u32 slot)
{
	struct mxg_tname tn = {};
	struct mxg_tname_key k = {};
	struct mxg_tname_filter *f;
	__u32 zero = 0;

	mxg_hash_name(slot);
	tn.expires_ns = s->now + ttl_ns(cfg, ttl);
	tn.origin_hash = s->origin_hash;
	tn.protected_hash = s->protected_hash;
	tn.rule_id = s->rule_id;
	tn.action = s->action;
	tn.gen = (__u16)bpf_get_prandom_u32() | 1;
	k.name_hash = s->name_hash;
	/* The filter's byte before any entry (message.bpf.h). */
	f = bpf_map_lookup_elem(&tname_filter, &zero);
	if (f && !f->may[k.name_hash & (MXG_TNAME_FILTER - 1)])
		f->may[k.name_hash & (MXG_TNAME_FILTER - 1)] = 1;
	if (s->tainted == 1 && s->owner.tgid) {
		k.id = s->owner.tgid;
		k.level = MXG_TNAME_PROCESS;
		if (bpf_map_update_elem(&taint_names, &k, &tn, BPF_ANY))
			goto full;
	}
	k.id = s->owner.cgroup_id;
	k.level = MXG_TNAME_UNIT;
	if (bpf_map_update_elem(&taint_names, &k, &tn, BPF_ANY))
		goto full;
	remember_name(s);
	count(MXG_CNT_TNAMES);
	return 0;
full:
	count(MXG_CNT_MAP_FULL);
	return PARSE_FULL;
}

/*
 * May the name of hash @h have a taint_names entry?  The filter
 * (maps.bpf.h) is trusted only while fastpath_armed is 1: the daemon sets
 * that after it has set the bytes of every entry older programs (which
 * kept no filter) may have written.  Every entry's byte is set before the
 * entry is written, and no byte is ever cleared: a 0 is no entry.
 */
static __always_inline int name_maybe_tainted(__u64 h)
{
	struct mxg_tname_filter *f;
	__u32 zero = 0;

	if (!fastpath_on())
		return 1;
	f = bpf_map_lookup_elem(&tname_filter, &zero);
	return !f || f->may[h & (MXG_TNAME_FILTER - 1)];
}

/*
 * scratch->name is the exchange of a clean, trusted MX answer's record.
 * If the name is tainted for this process or its unit, a lookalike's MX
 * named a host this clean domain shares: clear it for the process
 * (abi.h: struct mxg_tname_clean), where that is safe.
 */
static __always_inline void clear_name(struct mxg_scratch *s,
				       struct mxg_config *cfg, __u32 ttl,
				       __u32 slot)
{
	struct mxg_tname_clean c = {};
	struct mxg_tname_key k = {};
	struct mxg_tname *tn;

	mxg_hash_name(slot);
	if (!name_maybe_tainted(s->name_hash))
		return;
	k.name_hash = s->name_hash;
	k.id = s->owner.tgid;
	k.level = MXG_TNAME_PROCESS;
	tn = bpf_map_lookup_elem(&taint_names, &k);
	if (tn && tn->expires_ns > s->now) {
		/* Not before the process holds the addresses tainted. */
		c.resolved = tn->resolved;
		if (!c.resolved)
			return;
		c.taint_expires_ns = tn->expires_ns;
		c.taint_gen = tn->gen;
	} else {
		k.id = s->owner.cgroup_id;
		k.level = MXG_TNAME_UNIT;
		tn = bpf_map_lookup_elem(&taint_names, &k);
		if (!tn || tn->expires_ns <= s->now)
			return;
		k.id = s->owner.tgid;
		k.level = MXG_TNAME_PROCESS;
	}
	c.expires_ns = s->now + ttl_ns(cfg, ttl);
	bpf_map_update_elem(&clean_names, &k, &c, BPF_ANY);
}

static __always_inline int rr_addr(struct mxg_scratch *s,
				   struct mxg_config *cfg, __u32 type,
				   __u32 rd, __u32 ttl, __u32 slot,
				   __u32 hashed)
{
	__u32 i;

	__builtin_memset(s->addr, 0, 16);
	if (type == DNS_T_A) {
		s->addr[10] = 0xff;
		s->addr[11] = 0xff;
		for (i = 0; i < 4; i++)
			s->addr[12 + i] = s->pkt[(rd + i) & PKT_MASK];
	} else {
		for (i = 0; i < 16; i++)
			s->addr[i] = s->pkt[(rd + i) & PKT_MASK];
	}
	return record_addr(s, cfg, ttl, type, slot, hashed);
}

/*
 * Handle one resource record at @off.  Returns the offset of the next record,
 * or PARSE_MALFORMED / PARSE_TRUNCATED / PARSE_FULL.
 */
__noinline int mxg_rr(__u32 off, __u32 section, __u32 slot)
{
	struct mxg_scratch *s = get_scratch(slot);
	struct mxg_config *cfg = get_config();
	__u32 p, type, ttl, rdlen, rd, next, skip = 0, hashed = 0;
	int ret;

	if (!s || !cfg)
		return PARSE_MALFORMED;
	/*
	 * An owner that is a pointer to the question (0xC00C, as in nearly
	 * every answer) is the question's name, which mxg_question() walked
	 * and hashed: copied, not walked and hashed again.  Only when that
	 * walk followed no pointer: then this one would be the same bytes
	 * after one hop, backwards, and no bound could differ.
	 */
	if (s->qname_direct && off + 1 < s->pkt_len &&
	    s->pkt[off & PKT_MASK] == 0xC0 &&
	    s->pkt[(off + 1) & PKT_MASK] == DNS_HDR_LEN) {
		__builtin_memcpy(s->name, s->qname, MXG_NAME_MAX);
		s->name_hash = s->qname_hash;
		hashed = 1;
		ret = off + 2;
	} else {
		ret = mxg_parse_name(off, slot);
		if (ret < 0)
			return ret;
	}
	p = ret;
	if (p + 10 > s->pkt_len)
		return past_end(s);
	type = pkt_u16(s, p);
	ttl = pkt_u32(s, p + 4);
	rdlen = pkt_u16(s, p + 8);
	rd = p + 10;
	next = rd + rdlen;
	if (next > s->pkt_len)
		return past_end(s);
	if (section == SEC_AUTHORITY)
		return next;
	if ((type == DNS_T_A && rdlen == 4) ||
	    (type == DNS_T_AAAA && rdlen == 16)) {
		ret = rr_addr(s, cfg, type, rd, ttl, slot, hashed);
		return ret < 0 ? ret : (int)next;
	}
	if (!s->tainted) {
		if (type == DNS_T_MX && rdlen > 2 && s->trust &&
		    s->owner.tgid && section == SEC_ANSWER &&
		    mxg_parse_name(rd + 2, slot) >= 0)
			clear_name(s, cfg, ttl, slot);
		return next;
	}
	if (type == DNS_T_MX)
		skip = 2;
	else if (type == DNS_T_SRV)
		skip = 6;
	else if (type != DNS_T_CNAME)
		return next;
	if (rdlen <= skip)
		return PARSE_MALFORMED;
	ret = mxg_parse_name(rd + skip, slot);
	if (ret < 0)
		return ret;
	ret = record_name(s, cfg, ttl, slot);
	return ret < 0 ? ret : (int)next;
}

#endif

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Recording resolutions and emitting events.
 *
 * A response for a lookalike (or tainted) question taints every address in
 * it for the receiving process, its cgroup and the host; the MX/CNAME/SRV
 * targets become tainted names, so the follow-up lookup of an out-of-zone MX
 * host taints its addresses too.  A clean response records its addresses as
 * clean for the receiving process only: within one process the latest
 * resolution wins, and a clean answer in another process never clears a taint.
 */
#ifndef MXGUARD_TAINT_BPF_H
#define MXGUARD_TAINT_BPF_H

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

static __always_inline struct mxg_event *event_reserve(__u32 type)
{
	struct mxg_event *ev;

	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		count(MXG_CNT_RB_DROPS);
		return NULL;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->ts_ns = bpf_ktime_get_ns();
	return ev;
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

/* scratch->name holds the record's owner; scratch->name_hash its hash. */
static __always_inline void emit_taint(struct mxg_scratch *s,
				       struct mxg_config *cfg,
				       const __u8 *addr, __u32 ttl, __u16 qtype)
{
	struct mxg_event *ev = event_reserve(MXG_EV_TAINT);

	if (!ev)
		return;
	event_owner(ev, &s->owner);
	ev->protected_hash = s->protected_hash;
	ev->rule_id = s->rule_id;
	ev->action = s->action;
	ev->mode = cfg->mode;
	ev->scope = s->tainted == 1 ? MXG_SCOPE_PROCESS : MXG_SCOPE_UNIT;
	ev->qtype = qtype;
	ev->ttl = ttl;
	ev->family = (addr[10] == 0xff && addr[11] == 0xff && !addr[0]) ?
		     AF_INET : AF_INET6;
	__builtin_memcpy(ev->addr, addr, 16);
	__builtin_memcpy(ev->name, s->name, MXG_NAME_MAX);
	copy_name(ev->origin, s->origin_hash);
	copy_protected(ev->protected_name, s->protected_hash);
	bpf_ringbuf_submit(ev, 0);
}

static __always_inline void remember_name(struct mxg_scratch *s)
{
	bpf_map_update_elem(&names, &s->name_hash, s->name, BPF_ANY);
}

/* Insert or replace, counting new keys so evictions can be derived. */
static __always_inline void put_proc(struct mxg_proc_key *pk,
				     struct mxg_taint *t)
{
	if (!bpf_map_update_elem(&taint_proc, pk, t, BPF_NOEXIST))
		count(MXG_CNT_PROC_NEW);
	else
		bpf_map_update_elem(&taint_proc, pk, t, BPF_ANY);
}

static __always_inline void record_addr(struct mxg_scratch *s,
					struct mxg_config *cfg,
					const __u8 *addr, __u32 ttl, __u16 qtype)
{
	struct mxg_taint t = {};
	struct mxg_proc_key pk = {};
	struct mxg_unit_key uk = {};
	struct mxg_host_key hk = {};
	struct mxg_taint *prev;
	__u64 life = ttl_ns(cfg, ttl);
	int fresh;

	mxg_hash_name(0);
	t.expires_ns = s->now + life;
	t.name_hash = s->name_hash;
	t.resolver_tgid = s->owner.tgid;
	t.resolver_cgroup = s->owner.cgroup_id;
	pk.tgid = s->owner.tgid;
	__builtin_memcpy(pk.addr, addr, 16);
	if (!s->tainted) {
		if (!s->owner.tgid)
			return;
		t.verdict = MXG_VERDICT_CLEAN;
		put_proc(&pk, &t);
		count(MXG_CNT_CLEAN_RECORDS);
		return;
	}
	t.verdict = MXG_VERDICT_LOOKALIKE;
	t.origin_hash = s->origin_hash;
	t.protected_hash = s->protected_hash;
	t.rule_id = s->rule_id;
	t.action = s->action;
	if (s->tainted == 1 && s->owner.tgid)
		put_proc(&pk, &t);
	uk.cgroup_id = s->owner.cgroup_id;
	__builtin_memcpy(uk.addr, addr, 16);
	bpf_map_update_elem(&taint_unit, &uk, &t, BPF_ANY);
	__builtin_memcpy(hk.addr, addr, 16);
	/*
	 * Report an address only when it becomes tainted host-wide: a
	 * retrying MTA re-resolves the same lookalike again and again, and
	 * the daemon's work per report (connection caches) is per address.
	 */
	prev = bpf_map_lookup_elem(&taint_host, &hk);
	fresh = !prev || prev->expires_ns <= s->now ||
		prev->verdict != MXG_VERDICT_LOOKALIKE;
	bpf_map_update_elem(&taint_host, &hk, &t, BPF_ANY);
	remember_name(s);
	count(MXG_CNT_TAINTS);
	if (fresh)
		emit_taint(s, cfg, addr, (__u32)(life / 1000000000ULL), qtype);
}

/* scratch->name holds a CNAME/MX/SRV target of a tainted answer. */
static __always_inline void record_name(struct mxg_scratch *s,
					struct mxg_config *cfg, __u32 ttl)
{
	struct mxg_tname tn = {};
	struct mxg_tname_key k = {};

	mxg_hash_name(0);
	tn.expires_ns = s->now + ttl_ns(cfg, ttl);
	tn.origin_hash = s->origin_hash;
	tn.protected_hash = s->protected_hash;
	tn.rule_id = s->rule_id;
	tn.action = s->action;
	k.name_hash = s->name_hash;
	if (s->tainted == 1 && s->owner.tgid) {
		k.id = s->owner.tgid;
		k.level = MXG_TNAME_PROCESS;
		bpf_map_update_elem(&taint_names, &k, &tn, BPF_ANY);
	}
	k.id = s->owner.cgroup_id;
	k.level = MXG_TNAME_UNIT;
	bpf_map_update_elem(&taint_names, &k, &tn, BPF_ANY);
	remember_name(s);
	count(MXG_CNT_TNAMES);
}

/*
 * Handle one resource record at @off.  Returns the offset of the next record,
 * or PARSE_MALFORMED / PARSE_TRUNCATED.
 */
__noinline int mxg_rr(__u32 off, __u32 section)
{
	struct mxg_scratch *s = get_scratch();
	struct mxg_config *cfg = get_config();
	__u32 p, type, ttl, rdlen, rd, next, skip = 0, i;
	__u8 addr[16] = {};
	int ret;

	if (!s || !cfg)
		return PARSE_MALFORMED;
	ret = mxg_parse_name(off);
	if (ret < 0)
		return ret;
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
	if (type == DNS_T_A && rdlen == 4) {
		addr[10] = 0xff;
		addr[11] = 0xff;
		for (i = 0; i < 4; i++)
			addr[12 + i] = s->pkt[(rd + i) & PKT_MASK];
		record_addr(s, cfg, addr, ttl, type);
		return next;
	}
	if (type == DNS_T_AAAA && rdlen == 16) {
		for (i = 0; i < 16; i++)
			addr[i] = s->pkt[(rd + i) & PKT_MASK];
		record_addr(s, cfg, addr, ttl, type);
		return next;
	}
	if (!s->tainted)
		return next;
	if (type == DNS_T_MX)
		skip = 2;
	else if (type == DNS_T_SRV)
		skip = 6;
	else if (type != DNS_T_CNAME)
		return next;
	if (rdlen <= skip)
		return PARSE_MALFORMED;
	ret = mxg_parse_name(rd + skip);
	if (ret < 0)
		return ret;
	record_name(s, cfg, ttl);
	return next;
}

#endif

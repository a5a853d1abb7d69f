/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Judging a connect to a monitored port.  The nearest record in the
 * connecting process's lineage decides; a lookalike record outranks a clean
 * one of the same process.  Without one, the unit's taint applies (alerted
 * in process scope), then the host's in host scope.
 */
#ifndef MXGUARD_CONNECT_BPF_H
#define MXGUARD_CONNECT_BPF_H

static __always_inline struct mxg_taint *taint_live(void *map, void *key,
						    __u64 now)
{
	struct mxg_taint *t = bpf_map_lookup_elem(map, key);

	if (t && t->expires_ns <= now) {
		if (!bpf_map_delete_elem(map, key)) {
			if (map == (void *)&clean_proc) {
				count(MXG_CNT_CLEAN_EXPIRED);
				return NULL;
			}
			count(MXG_CNT_TAINT_EXPIRED);
			if (map == (void *)&taint_proc)
				count(MXG_CNT_PROC_EXPIRED);
		}
		return NULL;
	}
	return t;
}

/*
 * The nearest record in the connecting process's lineage, lookalike or
 * clean; NULL when no ancestor resolved the address.
 */
static __always_inline struct mxg_taint *lineage_record(const __u8 *addr,
							__u64 now)
{
	struct task_struct *task = NULL;
	struct mxg_proc_key pk = {};
	struct mxg_taint *t;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	int i;

	if (walk_ancestry)
		task = (void *)bpf_get_current_task();
	__builtin_memcpy(pk.addr, addr, 16);
	for (i = 0; i < MXG_ANCESTRY_MAX; i++) {
		pk.tgid = tgid;
		t = taint_live(&taint_proc, &pk, now);
		if (t) {
			/* The process acts on it now (see mxg_taint.judged). */
			t->judged = 1;
			return t;
		}
		t = taint_live(&clean_proc, &pk, now);
		if (t || !walk_ancestry)
			return t;
		task = BPF_CORE_READ(task, real_parent);
		if (!task)
			return NULL;
		tgid = BPF_CORE_READ(task, tgid);
		if (tgid <= 1)
			return NULL;
	}
	return NULL;
}

/*
 * Did some clean answer in this cgroup carry the address?  With @armed
 * (fastpath_on()), a 0 filter byte says no without the lookup: every
 * entry's byte is set once it is written, and the daemon clears bytes
 * only while disarmed (maps.bpf.h: unit_filter).  A connect is told
 * unexplained or not here, never judged.
 */
static __always_inline int unit_saw(struct mxg_unit_key *uk, __u64 now,
				    int armed)
{
	__u32 zero = 0;
	struct mxg_unit_filter *f;
	__u64 *exp;

	if (armed) {
		f = bpf_map_lookup_elem(&unit_filter, &zero);
		if (f && !f->may[mxg_unit_filter_slot(mxg_unit_mix(uk))])
			return 0;
	}
	exp = bpf_map_lookup_elem(&clean_unit, uk);
	return exp && *exp > now;
}

static __always_inline void emit_connect(struct mxg_config *cfg,
					 struct mxg_taint *t, const __u8 *addr,
					 __u16 port, __u8 family, __u8 scope,
					 __u32 type, __u8 outcome)
{
	struct mxg_owner self = {};
	struct mxg_event *ev = event_reserve(type);

	if (!ev)
		return;
	owner_from_current(&self);
	event_owner(ev, &self);
	ev->dport = port;
	ev->family = family;
	ev->scope = scope;
	ev->mode = cfg->mode;
	ev->outcome = outcome;
	__builtin_memcpy(ev->addr, addr, 16);
	if (t) {
		ev->resolver_tgid = t->resolver_tgid;
		ev->resolver_cgroup = t->resolver_cgroup;
		ev->protected_hash = t->protected_hash;
		ev->rule_id = t->rule_id;
		ev->action = t->action;
		copy_name(ev->name, t->name_hash);
		copy_name(ev->origin, t->origin_hash);
		copy_protected(ev->protected_name, t->protected_hash);
	}
	bpf_ringbuf_submit(ev, 0);
}

/* Counted always; reported at most once per MXG_UNEXPLAINED_GAP_MS per CPU. */
static __always_inline void unexplained(struct mxg_config *cfg,
					const __u8 *addr, __u16 port,
					__u8 family, __u64 now)
{
	__u32 zero = 0;
	__u64 *last = bpf_map_lookup_elem(&unexplained_last, &zero);

	count(MXG_CNT_UNEXPLAINED);
	if (!last || (*last && now - *last < MXG_UNEXPLAINED_GAP_MS * 1000000ULL))
		return;
	*last = now;
	emit_connect(cfg, NULL, addr, port, family, MXG_SCOPE_NONE,
		     MXG_EV_UNEXPLAINED, MXG_OUTCOME_ALERTED);
}

/*
 * One lookup says most connects need no walk: no lookalike answer carried
 * the address, anywhere (maps.bpf.h: taint_any).  Until the daemon has
 * rebuilt taint_any after a start (fastpath_armed), nothing is assumed.
 * In front of it, taint_any's filter (any_filter): every entry's byte is
 * set before the entry is written, by the programs (taint.bpf.h:
 * note_tainted) and by the daemon, which also sets the bytes of every
 * entry there is before it arms; no byte is ever cleared.  So while armed,
 * a 0 byte is no entry, and an array byte replaces the hash lookup.
 */
static __always_inline int tainted_nowhere(const __u8 *addr, __u64 now,
					   int armed)
{
	struct mxg_host_key k;
	__u64 *until;

	if (!armed)
		return 0;
	if (any_byte_clear(addr))
		return 1;
	__builtin_memcpy(k.addr, addr, 16);
	until = bpf_map_lookup_elem(&taint_any, &k);
	return !until || *until <= now;
}

/*
 * Is @port (host order) one whose connects are judged?  The bitmap says,
 * in one inlined lookup; a word the daemon has not filled leaves it to
 * the ports map (maps.bpf.h: port_bits).
 */
static __always_inline int monitored(__u16 port)
{
	__u32 w = port >> 6;
	struct mxg_port_word *pw = bpf_map_lookup_elem(&port_bits, &w);

	if (pw && pw->filled)
		return (pw->bits >> (port & 63)) & 1;
	return bpf_map_lookup_elem(&ports, &port) != NULL;
}

static __always_inline int judge(struct bpf_sock_addr *ctx, const __u8 *addr,
				 __u16 port, __u8 family)
{
	struct mxg_config *cfg = get_config();
	struct mxg_unit_key uk = {};
	struct mxg_host_key hk = {};
	struct mxg_taint *t;
	__u8 scope = MXG_SCOPE_PROCESS, block, outcome;
	__u64 now;
	int armed;

	if (!cfg || !monitored(port))
		return 1;
	/* After the port: a connect mxguard does not judge needs no clock. */
	now = mxg_now();
	count(MXG_CNT_CONNECTS);
	uk.cgroup_id = bpf_get_current_cgroup_id();
	__builtin_memcpy(uk.addr, addr, 16);
	armed = fastpath_on();
	if (tainted_nowhere(addr, now, armed)) {
		if (!unit_saw(&uk, now, armed))
			unexplained(cfg, addr, port, family, now);
		return 1;
	}
	t = lineage_record(addr, now);
	if (t && t->verdict != MXG_VERDICT_LOOKALIKE)
		return 1;
	if (!t) {
		t = taint_live(&taint_unit, &uk, now);
		scope = MXG_SCOPE_UNIT;
	}
	if (!t && cfg->scope == MXG_SCOPE_HOST) {
		__builtin_memcpy(hk.addr, addr, 16);
		t = taint_live(&taint_host, &hk, now);
		scope = MXG_SCOPE_HOST;
	}
	if (!t) {
		/*
		 * No answer in the lineage or the unit explains it: nss-resolve,
		 * nscd, DoT/DoH, a literal address.  Counted and reported as a
		 * flow record, never refused.
		 */
		if (!unit_saw(&uk, now, armed))
			unexplained(cfg, addr, port, family, now);
		return 1;
	}
	/* Process scope never blocks on a unit-level match, but says so. */
	block = t->action == MXG_ACTION_BLOCK &&
		cfg->mode == MXG_MODE_ENFORCE &&
		!(scope == MXG_SCOPE_UNIT && cfg->scope == MXG_SCOPE_PROCESS);
	count(block ? MXG_CNT_BLOCKS : MXG_CNT_ALERTS);
	outcome = block ? MXG_OUTCOME_BLOCKED : MXG_OUTCOME_ALERTED;
	if (block && redirect(ctx, t, addr, port, family))
		outcome = MXG_OUTCOME_REDIRECTED;
	emit_connect(cfg, t, addr, port, family, scope, MXG_EV_CONNECT,
		     outcome);
	return outcome != MXG_OUTCOME_BLOCKED;
}

#endif

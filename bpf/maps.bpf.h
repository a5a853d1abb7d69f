/* SPDX-License-Identifier: GPL-2.0-only */
/* Maps shared by every mxguard program.  All of them are pinned. */
#ifndef MXGUARD_MAPS_BPF_H
#define MXGUARD_MAPS_BPF_H

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mxg_config);
} config_map SEC(".maps");

/* Monitored destination ports (host order). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MXG_PORTS_MAX);
	__type(key, __u16);
	__type(value, __u8);
} ports SEC(".maps");

/*
 * The same ports as a bitmap (struct mxg_port_word), what every connect
 * asks first: an array lookup, which the verifier inlines (a few ns),
 * where the ports hash costs 25-40 ns and more when its bucket is out of
 * cache.  The index is bounds-checked by the lookup itself, so no
 * verifier bound on the port is needed.  ports stays the list the
 * daemon keeps; it writes both at every start, ports first, before it
 * attaches.  A word not filled (a map created beside pins of a daemon
 * that kept none) sends the connect to ports, so it is never wrong.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MXG_PORT_WORDS);
	__type(key, __u32);
	__type(value, struct mxg_port_word);
} port_bits SEC(".maps");

/*
 * The policy is one hash map (suffix hash -> rule) held in slot 0 of an
 * array-of-maps.  A reload builds a complete new inner map and swaps the slot,
 * so a lookup sees either the old policy or the new one, never a mix.
 */
/*
 * The template gives sizes, not BTF types: the loader creates each policy map
 * without BTF, and Linux 5.15 to 6.1 refuse (EINVAL) an inner map whose
 * timer_off differs from the template's, which is -ENOENT with a BTF value
 * type and -EINVAL without one (bpf_map_meta_equal(); 6.2's btf_record
 * rework compares NULL records instead).
 */
struct policy_inner {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u64));
	__uint(value_size, sizeof(struct mxg_rule));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct policy_inner);
} policy SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MXG_PROTECTED_ENTRIES);
	__type(key, __u64);
	__type(value, struct mxg_protected);
} protected_names SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct mxg_owner);
} sock_owner SEC(".maps");

/*
 * Lookalike records: plain hash maps, never LRU, so a flood of answers can
 * not evict a live taint.  A full map refuses the write and the answer that
 * needed it is held back; the daemon sweeps expired records out.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MXG_TAINT_ENTRIES);
	__type(key, struct mxg_proc_key);
	__type(value, struct mxg_taint);
} taint_proc SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MXG_TAINT_ENTRIES);
	__type(key, struct mxg_unit_key);
	__type(value, struct mxg_taint);
} taint_unit SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MXG_TAINT_ENTRIES);
	__type(key, struct mxg_host_key);
	__type(value, struct mxg_taint);
} taint_host SEC(".maps");

/*
 * Addresses some lookalike answer carried, at any level, with a bound on
 * when the last such record can expire (the answer's time + ttl_max +
 * MXG_ANY_SLACK_NS, never lowered).  A connect to an address not here is
 * judged without walking the lineage.  Written before the level records,
 * so a full map holds the answer back first; removed only once expired
 * (the daemon's sweeper), so a purge or an eviction elsewhere can only
 * make the fast path slower, never wrong.  Connects use it only while
 * fastpath_armed says so: the daemon clears that before it attaches and
 * sets it once it has rebuilt taint_any from the taint maps (pins left by
 * a daemon that kept no taint_any, or one that ran old programs on them).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MXG_TAINT_ENTRIES);
	__type(key, struct mxg_host_key);
	__type(value, __u64);
} taint_any SEC(".maps");

/*
 * taint_any's filter (struct mxg_any_filter): a connect whose address's
 * byte is 0 has no taint_any entry, and needs no lookup.  Memory-mapped,
 * so the daemon sets the bytes of older programs' entries one by one.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mxg_any_filter);
} any_filter SEC(".maps");


/* 1 while taint_any is known complete (above); an array: no hashing. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} fastpath_armed SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MXG_TNAME_ENTRIES);
	__type(key, struct mxg_tname_key);
	__type(value, struct mxg_tname);
} taint_names SEC(".maps");

/*
 * taint_names' filter (struct mxg_tname_filter): a clean question's two
 * taint_names lookups (two cache misses in buckets no other name shares)
 * become one byte of 16 KiB.  Memory-mapped, so the daemon sets the bytes
 * of older programs' entries one by one, never over a byte the programs
 * set meanwhile.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mxg_tname_filter);
} tname_filter SEC(".maps");

/*
 * Tainted MX host names a clean MX answer of the process named since
 * (abi.h: struct mxg_tname_clean).  Keyed like a process's taint_names
 * entry.  LRU, apart from the lookalike maps: clean answers can fill it,
 * and losing an entry only keeps the name tainted for that process.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MXG_TNAME_ENTRIES);
	__type(key, struct mxg_tname_key);
	__type(value, struct mxg_tname_clean);
} clean_names SEC(".maps");

/*
 * Clean resolutions, per process: what lets a clean delivery to a shared MX
 * through.  LRU: the whole host's lookups land here, and losing one only
 * makes a connect fall back to the unit level (alerted in process scope).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MXG_CLEAN_ENTRIES);
	__type(key, struct mxg_proc_key);
	__type(value, struct mxg_taint);
} clean_proc SEC(".maps");

/*
 * Clean resolutions per cgroup: only to tell a connect that some answer in
 * its unit explains (OpenSMTPD resolves in one process, connects in its
 * sibling) from one no answer explains.  Never consulted for a verdict.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MXG_CLEAN_ENTRIES);
	__type(key, struct mxg_unit_key);
	__type(value, __u64);		/* expires_ns */
} clean_unit SEC(".maps");

/*
 * clean_unit's recent writes on this CPU (abi.h: struct mxg_unit_recent),
 * so that an answer repeated within a fraction of its TTL costs no lookup
 * there.  clean_unit only tells explained connects from unexplained ones,
 * so a record that ends up to a second early (an eviction or another
 * CPU's shorter TTL not seen here) can only report a connect as
 * unexplained; it is never a verdict.  Read and written only inside the
 * scratch slot's busy section, like the verdict cache.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mxg_unit_recent);
} unit_recent SEC(".maps");

/*
 * clean_unit's filter (abi.h: struct mxg_unit_filter): a connect whose
 * (cgroup, address) byte is 0 while fastpath_armed is 1 has no clean_unit
 * entry, and needs no lookup to be told unexplained.  Memory-mapped, so
 * the daemon marks entries one byte at a time.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mxg_unit_filter);
} unit_filter SEC(".maps");


/* Readable names of lookalikes and tainted names, for events and `list`. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MXG_TNAME_ENTRIES);
	__type(key, __u64);
	__type(value, struct mxg_name);
} names SEC(".maps");

/* The SMTP responder (port, mark), written by the daemon that runs it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mxg_responder);
} responder SEC(".maps");

/*
 * Socket cookie -> the destination a redirected connect asked for.  An LRU:
 * the responder reads an entry within moments of the connect, and a lost
 * entry costs only the original address in its alert.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MXG_REDIRECT_ENTRIES);
	__type(key, __u64);
	__type(value, struct mxg_redirect);
} redirects SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MXG_CNT_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/*
 * When this CPU last reported an unexplained connect: such reports are
 * context, and must not crowd verdicts out of the ring buffer.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} unexplained_last SEC(".maps");

/* Verdicts (blocked, alerted, held answers) and the events around them. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, MXG_RINGBUF_BYTES);
} events SEC(".maps");

/*
 * MX queries for the second look have a ring of their own: any process
 * may look up any number of MX names, and such a flood must never take the
 * room of a verdict.  Losses here are counted apart (MXG_CNT_QUERY_DROPS).
 */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, MXG_QUERY_RINGBUF_BYTES);
} queries SEC(".maps");

/* One outstanding UDP query, remembered at egress (see pending.bpf.h). */
struct mxg_query {
	__u64 qhash;		/* hash of the question name */
	__u64 sent_ns;
	__u8 server[16];	/* v4-mapped for IPv4 */
	__u16 port;		/* network order */
	__u16 id;		/* network order */
	__u8 watched;		/* the question matched a lookalike or taint */
	__u8 pad[3];
};

struct mxg_pending {
	struct mxg_query q[MXG_PENDING_MAX];
	__u32 next;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct mxg_pending);
} dns_pending SEC(".maps");

/*
 * Per-socket state of a TCP DNS stream (see stream.bpf.h): every byte the
 * server sends is attributed to a message, and a message that spans
 * segments is gathered here until its last byte arrives.
 */
struct mxg_stream {
	__u32 nxt;		/* next sequence number expected */
	__u32 got;		/* bytes of the current message seen */
	__u16 msglen;		/* length of the current message */
	__u8 pfx_have;		/* 0..2 bytes of its length prefix seen */
	__u8 pfx0;		/* the first prefix byte */
	__u8 synced;		/* nxt is known (SYN-ACK seen) */
	__u8 lost;		/* attribution lost (alert mode let a gap by) */
	__u8 pad[2];
	/* The current message; twice the size so offsets bound for the verifier. */
	__u8 buf[2 * MXG_DNS_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct mxg_stream);
} dns_stream SEC(".maps");

/*
 * Per-CPU scratch: the 512-byte stack cannot hold a DNS message.  One slot
 * per hook: egress runs in process context and an ingress softirq can
 * interrupt it on the same CPU.  `busy` catches any other nesting (egress
 * from a softirq inside egress); the nested run then fails closed.
 */
enum { SLOT_EGRESS = 0, SLOT_INGRESS = 1, SLOTS = 2 };

struct mxg_scratch {
	/* Twice MXG_DNS_MAX: a variable-offset copy stays in bounds. */
	__u8 pkt[2 * MXG_DNS_MAX];
	__u8 name[MXG_NAME_MAX];	/* last parsed name, wire, lowercased */
	__u8 starts[MXG_NAME_MAX];	/* 1 where a label starts in name */
	__u8 qname[MXG_NAME_MAX];	/* the question, kept for events */
	struct mxg_owner owner;
	struct mxg_rule rule;		/* the most specific policy match */
	__u64 name_hash;		/* hash of the whole last parsed name */
	__u64 qname_hash;
	__u64 origin_hash;		/* lookalike that started the chain */
	__u64 protected_hash;
	__u64 now;
	__u32 pkt_len;
	__u32 pkt_capped;		/* message longer than pkt[] */
	__u32 name_len;			/* bytes before the root label */
	__u32 rule_id;
	__u32 tainted;			/* 0, or the enum mxg_tname_level + 1 */
	__u32 action;
	__u32 busy;
	__u32 trust;			/* clean records may be written */
	__u32 qname_direct;		/* the question's name has no pointer */
	__u32 qtype;
	__u32 taint_addrs;		/* of type qtype, tainted in the process */
	__u32 server_port;		/* host order, for events */
	__u8 server[16];
	/* The record being written, and its keys: off the 512-byte stack. */
	struct mxg_taint rec;
	struct mxg_proc_key pk;
	struct mxg_unit_key uk;
	struct mxg_host_key hk;
	__u8 addr[16];
	/* Working copy of a TCP stream's state, committed if the skb passes. */
	__u32 t_got;
	__u32 t_msglen;
	__u32 t_pfx_have;
	__u32 t_pfx0;
	/*
	 * Cursor of the name walk.  It lives in memory, not registers: the
	 * verifier then sees bounded unknowns instead of a new constant per
	 * iteration, and the walk's states prune (Inspektor Gadget's trick).
	 */
	__u32 w_pos;
	__u32 w_out;
	__u32 w_rem;
	__u32 w_hops;
	__u32 w_end;
	__u32 w_found;
	/* Cursor of the record walk (same reason). */
	__u32 r_an;
	__u32 r_ns;
	__u32 r_total;
	__u32 r_next;
};
/* mxg_any_slot() reads its key a word at a time. */
_Static_assert(__builtin_offsetof(struct mxg_scratch, hk) % 4 == 0,
	       "scratch hk aligned");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SLOTS);
	__type(key, __u32);
	__type(value, struct mxg_scratch);
} scratch SEC(".maps");

/*
 * The similarity match's working state (similar.bpf.h), one slot per hook
 * like scratch.  A map of its own: scratch keeps its pinned shape, so an
 * upgrade still adopts the pins.
 */
struct mxg_sim_scratch {
	__u64 sfx;		/* hash of the suffix after the first label */
	__u64 q[64];		/* Q(k): the label's hash from k on */
	__u64 pw[64];		/* B^(m-1-k) */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SLOTS);
	__type(key, __u32);
	__type(value, struct mxg_sim_scratch);
} sim_scratch SEC(".maps");

/*
 * The verdict cache (vcache.bpf.h): MXG_VCACHE_GROUPS groups of sets per
 * hook, egress's first.  Its epoch: bumped by the daemon after every
 * policy change.  (It replaced `vcache`, one slot an element, whose pin
 * --unload still removes.)
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * MXG_VCACHE_GROUPS);
	__type(key, __u32);
	__type(value, struct mxg_vcache_group);
} vcache_sets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} vcache_epoch SEC(".maps");

/*
 * Between mxg_vc_get() and mxg_vc_put() (vcache.bpf.h), per hook: the slot
 * a miss is to fill and the epoch read before the walk.  A map, not
 * arguments: the lookup and the fill are two global functions called from
 * mxg_question(), so the walk keeps its call depth (5.10 counts every
 * frame of the deepest chain against the 512-byte stack).
 */
struct mxg_vc_state {
	__u64 epoch;
	__u32 key;
	__u32 armed;		/* 1: key and epoch are this question's */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SLOTS);
	__type(key, __u32);
	__type(value, struct mxg_vc_state);
} vcache_state SEC(".maps");

static __always_inline struct mxg_sim_scratch *get_sim_scratch(__u32 slot)
{
	__u32 key = slot & 1;

	return bpf_map_lookup_elem(&sim_scratch, &key);
}

static __always_inline void count(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &which);

	if (v)
		*v += 1;
}

static __always_inline struct mxg_config *get_config(void)
{
	__u32 zero = 0;
	struct mxg_config *cfg = bpf_map_lookup_elem(&config_map, &zero);

	return (cfg && cfg->enabled) ? cfg : NULL;
}

static __always_inline struct mxg_scratch *get_scratch(__u32 slot)
{
	__u32 key = slot & 1;

	return bpf_map_lookup_elem(&scratch, &key);
}

#endif

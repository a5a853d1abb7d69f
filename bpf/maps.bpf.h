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

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MXG_TAINT_ENTRIES);
	__type(key, struct mxg_proc_key);
	__type(value, struct mxg_taint);
} taint_proc SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MXG_TAINT_ENTRIES);
	__type(key, struct mxg_unit_key);
	__type(value, struct mxg_taint);
} taint_unit SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MXG_TAINT_ENTRIES);
	__type(key, struct mxg_host_key);
	__type(value, struct mxg_taint);
} taint_host SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MXG_TNAME_ENTRIES);
	__type(key, struct mxg_tname_key);
	__type(value, struct mxg_tname);
} taint_names SEC(".maps");

/* Readable names of lookalikes and tainted names, for events and `list`. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MXG_TNAME_ENTRIES);
	__type(key, __u64);
	__type(value, struct mxg_name);
} names SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MXG_CNT__MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, MXG_RINGBUF_BYTES);
} events SEC(".maps");

/* Per-CPU scratch: the 512-byte stack cannot hold a DNS message. */
struct mxg_scratch {
	__u8 pkt[MXG_DNS_MAX];
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
	__u32 w_pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mxg_scratch);
} scratch SEC(".maps");

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

static __always_inline struct mxg_scratch *get_scratch(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&scratch, &zero);
}

#endif

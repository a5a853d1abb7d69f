// SPDX-License-Identifier: GPL-2.0-only
/*
 * The cost of one kernel operation, each in a cgroup_skb program of its
 * own: what the DNS and connect programs are made of (tests/bench/micro.c
 * runs each with BPF_PROG_TEST_RUN and subtracts the empty program).  The
 * maps have the shapes and sizes of mxguard's own (bpf/maps.bpf.h).
 *
 * Where a lookup would always hit the same bucket, `spread` varies the key
 * from run to run over the map's whole key space, so the figure is the
 * cache-cold one a real lookup of a new name or address pays.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

#define BIG_ENTRIES	1000000
#define LRU_ENTRIES	65536

struct key16 {
	__u8 addr[16];
};

struct key24 {
	__u64 id;
	__u8 addr[16];
};

/* The size of struct mxg_taint, the value of taint and clean records. */
struct val48 {
	__u64 v[6];
};

/* One policy-sized hash: 8-byte key, a rule's 32 bytes, 1M entries. */
struct inner {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BIG_ENTRIES);
	__type(key, __u64);
	__type(value, struct val48);
} big SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct inner);
} outer SEC(".maps") = {
	.values = { &big },
};

/* taint_any's shape: 16-byte key, 65536 entries, nearly empty. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LRU_ENTRIES);
	__type(key, struct key16);
	__type(value, __u64);
} h16 SEC(".maps");

/* clean_proc's shape: an LRU of 65536, 24-byte key, full. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LRU_ENTRIES);
	__type(key, struct key24);
	__type(value, struct val48);
} lru SEC(".maps");

/* ports' shape. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u16);
	__type(value, __u8);
} ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} pcpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8[8192]);
} buf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64[18]);
} sks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} rb SEC(".maps");

/* A different key each run, over all of [0, n): the cache-cold case. */
static __always_inline __u64 spread(__u64 n)
{
	__u32 zero = 0;
	__u64 *c = bpf_map_lookup_elem(&pcpu, &zero);

	if (!c)
		return 0;
	*c += 1;
	return (*c * 2654435761ULL) % n;
}

SEC("cgroup_skb/ingress")
int empty(struct __sk_buff *skb)
{
	(void)skb;
	return 1;
}

/* The spread() alone: what the map figures below subtract too. */
SEC("cgroup_skb/ingress")
int spread_only(struct __sk_buff *skb)
{
	return spread(BIG_ENTRIES) != ~0ULL || skb->len;
}

SEC("cgroup_skb/ingress")
int load_hdr20(struct __sk_buff *skb)
{
	__u8 b[20];

	return !bpf_skb_load_bytes(skb, 0, b, sizeof(b)) && b[0] != 1;
}

static __always_inline int load_n(struct __sk_buff *skb, __u32 n)
{
	__u32 zero = 0;
	__u8 *p = bpf_map_lookup_elem(&buf, &zero);

	return p && !bpf_skb_load_bytes(skb, 0, p, n);
}

SEC("cgroup_skb/ingress")
int load_msg64(struct __sk_buff *skb)
{
	return load_n(skb, 64);
}

SEC("cgroup_skb/ingress")
int load_msg512(struct __sk_buff *skb)
{
	return load_n(skb, 512);
}

SEC("cgroup_skb/ingress")
int fullsock(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;

	if (sk)
		sk = bpf_sk_fullsock(sk);
	return sk ? sk->protocol != 255 : 1;
}

SEC("cgroup_skb/ingress")
int ktime(struct __sk_buff *skb)
{
	(void)skb;
	return bpf_ktime_get_ns() != 0;
}

/* The tick's time (Linux 5.11): what the datapath reads where it can. */
SEC("cgroup_skb/ingress")
int ktime_coarse(struct __sk_buff *skb)
{
	(void)skb;
	return bpf_ktime_get_coarse_ns() != 0;
}

SEC("cgroup_skb/ingress")
int cgroup_id(struct __sk_buff *skb)
{
	return bpf_skb_cgroup_id(skb) != 0;
}

SEC("cgroup_skb/ingress")
int pcpu_count(struct __sk_buff *skb)
{
	__u32 k = 3;
	__u64 *v = bpf_map_lookup_elem(&pcpu, &k);

	(void)skb;
	if (v)
		*v += 1;
	return 1;
}

SEC("cgroup_skb/ingress")
int outer_only(struct __sk_buff *skb)
{
	__u32 zero = 0;

	(void)skb;
	return bpf_map_lookup_elem(&outer, &zero) != NULL;
}

/* One policy lookup as mxg_hash_name makes it: outer slot, then inner. */
SEC("cgroup_skb/ingress")
int policy_hit(struct __sk_buff *skb)
{
	__u64 k = spread(BIG_ENTRIES);
	__u32 zero = 0;
	void *in = bpf_map_lookup_elem(&outer, &zero);

	(void)skb;
	return in && bpf_map_lookup_elem(in, &k) != NULL;
}

/* The same key every run: the cache-hot figure. */
SEC("cgroup_skb/ingress")
int policy_hot(struct __sk_buff *skb)
{
	__u64 k = 12345;
	__u32 zero = 0;
	void *in = bpf_map_lookup_elem(&outer, &zero);

	(void)skb;
	return in && bpf_map_lookup_elem(in, &k) != NULL;
}

/* A miss: most suffixes of a clean name are in no rule. */
SEC("cgroup_skb/ingress")
int policy_miss(struct __sk_buff *skb)
{
	__u64 k = spread(BIG_ENTRIES) + BIG_ENTRIES;
	__u32 zero = 0;
	void *in = bpf_map_lookup_elem(&outer, &zero);

	(void)skb;
	return in && bpf_map_lookup_elem(in, &k) != NULL;
}

SEC("cgroup_skb/ingress")
int hash16_miss(struct __sk_buff *skb)
{
	struct key16 k = {};

	*(__u64 *)k.addr = spread(LRU_ENTRIES);
	(void)skb;
	return bpf_map_lookup_elem(&h16, &k) != NULL;
}

SEC("cgroup_skb/ingress")
int ports_hit(struct __sk_buff *skb)
{
	__u16 p = 25;

	(void)skb;
	return bpf_map_lookup_elem(&ports, &p) != NULL;
}

SEC("cgroup_skb/ingress")
int lru_lookup(struct __sk_buff *skb)
{
	struct key24 k = {};

	k.id = spread(LRU_ENTRIES);
	(void)skb;
	return bpf_map_lookup_elem(&lru, &k) != NULL;
}

/* A clean record refreshed in place, as record_clean does. */
SEC("cgroup_skb/ingress")
int lru_refresh(struct __sk_buff *skb)
{
	struct key24 k = {};
	struct val48 *v;

	k.id = spread(LRU_ENTRIES);
	(void)skb;
	v = bpf_map_lookup_elem(&lru, &k);
	if (v)
		v->v[0] = k.id;
	return 1;
}

/* bpf_map_update_elem on an LRU: a new element, the LRU lists' locks. */
SEC("cgroup_skb/ingress")
int lru_update(struct __sk_buff *skb)
{
	struct key24 k = {};
	struct val48 v = {};

	k.id = spread(LRU_ENTRIES);
	(void)skb;
	return !bpf_map_update_elem(&lru, &k, &v, BPF_ANY);
}

SEC("cgroup_skb/ingress")
int sk_storage(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;

	if (sk)
		sk = bpf_sk_fullsock(sk);
	return sk && bpf_sk_storage_get(&sks, sk, 0,
					BPF_SK_STORAGE_GET_F_CREATE);
}

SEC("cgroup_skb/ingress")
int ringbuf_discard(struct __sk_buff *skb)
{
	void *e = bpf_ringbuf_reserve(&rb, 600, 0);

	(void)skb;
	if (e)
		bpf_ringbuf_discard(e, 0);
	return 1;
}

/* 64 FNV steps and a finaliser: the question hash's arithmetic. */
SEC("cgroup_skb/ingress")
int fnv64(struct __sk_buff *skb)
{
	__u64 h = 0xcbf29ce484222325ULL ^ skb->len;
	int i;

	for (i = 0; i < 64; i++)
		h = (h ^ (__u8)(i + skb->len)) * 0x100000001b3ULL;
	return h != 7;
}

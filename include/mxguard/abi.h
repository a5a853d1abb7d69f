/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ABI between the BPF programs and user space: map keys and values,
 * events, counters and configuration.  Fixed-width types only; every struct
 * is padded explicitly so both compilers agree on its layout.
 *
 * Addresses are always 16 bytes.  IPv4 is stored v4-mapped (::ffff:a.b.c.d),
 * so a taint learnt from an A record matches connect4 and a v4-mapped
 * connect6 alike.
 */
#ifndef MXGUARD_ABI_H
#define MXGUARD_ABI_H

/* The BPF side gets these types from vmlinux.h. */
#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#include "limits.h"

enum mxg_verdict {
	MXG_VERDICT_CLEAN	= 0,
	MXG_VERDICT_LOOKALIKE	= 1,
	MXG_VERDICT_ALLOW	= 2,	/* policy: an explicit allow rule */
};

enum mxg_action {
	MXG_ACTION_ALERT	= 0,
	MXG_ACTION_BLOCK	= 1,
};

enum mxg_mode {
	MXG_MODE_ENFORCE	= 0,	/* every rule acts as written */
	MXG_MODE_ALERT		= 1,	/* dry run: block rules only alert */
};

enum mxg_scope {
	MXG_SCOPE_PROCESS	= 0,
	MXG_SCOPE_UNIT		= 1,
	MXG_SCOPE_HOST		= 2,
	MXG_SCOPE_NONE		= 3,	/* event field: no taint matched */
};

enum mxg_event_type {
	MXG_EV_CONNECT		= 1,	/* connect to a tainted destination */
	MXG_EV_DNS_LOOKALIKE	= 2,	/* a query for a lookalike name */
	MXG_EV_TAINT		= 3,	/* an address became tainted */
	MXG_EV_MX_QUERY		= 4,	/* any other MX query: second look */
	MXG_EV_DNS_HELD		= 5,	/* an answer not read to the end */
	MXG_EV_UNEXPLAINED	= 6,	/* monitored connect no answer explains */
};

/*
 * Why an answer to a lookalike or tainted question (or any TCP DNS bytes)
 * could not be read to the end.  In block mode such an answer is held back
 * (dropped in cgroup_skb/ingress); in alert mode it passes and is reported.
 */
enum mxg_hold_reason {
	MXG_HOLD_NONE		= 0,
	MXG_HOLD_MALFORMED	= 1,	/* a record or name that does not parse */
	MXG_HOLD_TOO_BIG	= 2,	/* message larger than MXG_DNS_MAX */
	MXG_HOLD_RECORDS	= 3,	/* more records than MXG_RR_MAX */
	MXG_HOLD_MAP_FULL	= 4,	/* a taint could not be stored */
	MXG_HOLD_TCP_STREAM	= 5,	/* TCP bytes not attributable to a message */
	MXG_HOLD_TCP_MESSAGES	= 6,	/* more messages in one skb than bounded */
	MXG_HOLD_HEADERS	= 7,	/* IPv6 extension headers beyond the bound */
	MXG_HOLD_MISMATCH	= 8,	/* question differs from the query sent */
	MXG_HOLD_NESTED		= 9,	/* scratch busy: program nested on a CPU */
	MXG_HOLD_QUESTION	= 10,	/* no readable question on a watched socket */
};

/* How the connect was decided (event field). */
enum mxg_outcome {
	MXG_OUTCOME_ALERTED	= 0,	/* allowed, alert raised */
	MXG_OUTCOME_BLOCKED	= 1,	/* refused with EPERM */
	MXG_OUTCOME_REDIRECTED	= 2,	/* block, told in SMTP by the responder */
};

enum mxg_counter {
	MXG_CNT_PACKETS = 0,	/* DNS packets seen (either direction) */
	MXG_CNT_PARSED,		/* DNS messages parsed to the end */
	MXG_CNT_MALFORMED,	/* bad names, pointer loops, bad lengths */
	MXG_CNT_TRUNCATED,	/* beyond a bound in limits.h */
	MXG_CNT_QUERY_MATCH,	/* queries that matched a lookalike rule */
	MXG_CNT_TAINTS,		/* (process, address) taints written */
	MXG_CNT_PROC_NEW,	/* new keys in taint_proc (clean or not) */
	MXG_CNT_PROC_EXPIRED,	/* taint_proc records removed on expiry */
	MXG_CNT_TAINT_EXPIRED,	/* expired records removed, all levels */
	MXG_CNT_CLEAN_RECORDS,	/* clean resolutions recorded */
	MXG_CNT_TNAMES,		/* names tainted via CNAME/MX/SRV */
	MXG_CNT_CONNECTS,	/* connects on monitored ports */
	MXG_CNT_ALERTS,
	MXG_CNT_BLOCKS,
	MXG_CNT_RB_DROPS,	/* events lost: ring buffer full */
	MXG_CNT_NO_OWNER,	/* DNS answer on a socket with no known owner */
	MXG_CNT_HELD,		/* answers held back (block mode) */
	MXG_CNT_INCOMPLETE,	/* watched answers passed unread (alert mode) */
	MXG_CNT_UNSOLICITED,	/* UDP answers matching no query sent */
	MXG_CNT_MAP_FULL,	/* taint writes refused: map full */
	MXG_CNT_NESTED,		/* program found its scratch in use */
	MXG_CNT_TCP_UNATTRIBUTED, /* TCP DNS bytes not attributable */
	MXG_CNT_TCP_MESSAGES,	/* DNS messages reassembled from TCP */
	MXG_CNT_CLEAN_KEPT,	/* clean answers that left a live taint */
	MXG_CNT_UNEXPLAINED,	/* monitored connects no DNS answer explains */
	MXG_CNT_CLEAN_NEW,	/* new keys in clean_proc */
	MXG_CNT_CLEAN_EXPIRED,	/* clean_proc records removed on expiry */
	MXG_CNT_NAMES_NEW,	/* new keys in names */
	MXG_CNT_PENDING_LOST,	/* outstanding queries overwritten unanswered */
	MXG_CNT_QUERY_DROPS,	/* MX queries lost: their ring buffer full */
	MXG_CNT_REDIRECTS,	/* port-25 blocks sent to the SMTP responder */
	MXG_CNT_NO_RESPONDER,	/* port-25 blocks with no responder: EPERM */
	MXG_CNT_SIM_MATCH,	/* questions the kernel similarity matched */
	MXG_CNT_VCACHE_HIT,	/* questions judged from the verdict cache */
	MXG_CNT_NAMES_CLEARED,	/* tainted MX hosts a clean MX answer cleared */
	MXG_CNT__MAX,
};

/*
 * The counters map has room for more counters than there are: a release
 * that adds one keeps the pinned map's shape, so an upgrade adopts the
 * pins (and the enforcement in them) with no gap instead of needing
 * `mxguardd --unload`.  Raise it only with a note in README's upgrade text.
 */
#define MXG_CNT_SLOTS		128
_Static_assert(MXG_CNT__MAX <= MXG_CNT_SLOTS, "raise MXG_CNT_SLOTS");

/*
 * Lookalike taints live in plain hash maps: a live taint is never evicted.
 * A full map refuses the write, and the answer is then held back (fail
 * closed).  Clean records and readable names live in LRU maps, which evict
 * without telling anyone: user space derives their evictions as
 * NEW - EXPIRED - (entries still in the map).
 */

struct mxg_config {
	__u64 hash_seed;
	__u64 ttl_min_ns;
	__u64 ttl_max_ns;
	__u32 mode;		/* enum mxg_mode */
	__u32 scope;		/* enum mxg_scope */
	__u32 enabled;		/* 0 until user space has written the config */
	__u32 policy_gen;	/* generation of the policy in the map */
};

/*
 * The SMTP responder (user/mxguardd/responder.c) as the connect programs see
 * it: a block on port 25 is rewritten to loopback:@port when a listening
 * socket carrying @mark is found there in the connecting socket's network
 * namespace.  The mark is set with SO_MARK, which needs CAP_NET_ADMIN, so
 * an unprivileged process that binds the port first is not taken for the
 * responder: the connect then gets EPERM.
 */
struct mxg_responder {
	__u32 mark;
	__u16 port;		/* host order; 0: no responder, EPERM */
	__u16 pad;
};

/*
 * The monitored ports as a bitmap (maps.bpf.h: port_bits), 64 ports a
 * word: word port >> 6, bit port & 63.  A word whose filled is 0 says
 * nothing, and the connect asks the ports map: so do the words of a
 * map a daemon created but has not written yet.
 */
#define MXG_PORT_WORDS	1024

struct mxg_port_word {
	__u64 bits;		/* bit set: the port is monitored */
	__u64 filled;		/* 1: bits is the ports map's for this word */
};

/*
 * Where a redirected connect was meant to go, keyed by the connecting
 * socket's cookie; the responder finds the cookie with sock_diag.
 */
struct mxg_redirect {
	__u64 protected_hash;
	__u64 origin_hash;
	__u64 name_hash;
	__u64 cgroup_id;
	__u32 tgid;
	__u32 rule_id;
	__u8 addr[16];
	__u16 port;
	__u8 family;
	__u8 pad[5];
};

/* Policy map (inner map of an array-of-maps): suffix hash -> rule. */
struct mxg_rule {
	__u64 protected_hash;	/* key into the protected-names map */
	__u32 rule_id;		/* index into the daemon's rule table */
	__u8 verdict;		/* MXG_VERDICT_LOOKALIKE or _ALLOW */
	__u8 action;		/* enum mxg_action */
	__u8 origin;		/* 0: written by hand, else a fuzzer id */
	__u8 pad;
};

/*
 * One slot of the per-CPU verdict cache (bpf/vcache.bpf.h): a question's
 * name, whole, and the policy walk's verdict on it under epoch @epoch.
 */
/*
 * 4096 slots per hook and CPU of 168 bytes: 1.3 MiB per CPU, in groups of
 * MXG_VCACHE_SETS two-way sets (one map element each, so the per-CPU
 * array's table of element pointers is 64 entries, always in cache, where
 * one element a slot made it 64 KiB and a cache miss of its own).  Names
 * longer than MXG_VCACHE_NAME bytes are always walked: room for every name
 * would triple the slot, and mail hosts' names are short.
 */
#define MXG_VCACHE_SLOTS	4096
#define MXG_VCACHE_NAME		128
#define MXG_VCACHE_WAYS		2
#define MXG_VCACHE_SETS		64	/* per group */
#define MXG_VCACHE_GROUPS	(MXG_VCACHE_SLOTS / MXG_VCACHE_WAYS / \
				 MXG_VCACHE_SETS)	/* per hook: 32 */
struct mxg_vcache {
	__u64 epoch;		/* vcache_epoch when filled; 0: empty */
	__u64 name_hash;	/* the whole name's hash */
	struct mxg_rule rule;
	__u32 len;		/* name bytes before the root label */
	__u8 matched;		/* the walk or the similarity matched */
	__u8 sim;		/* ... the similarity match */
	__u8 victim;		/* a set's first slot: the way to fill next */
	__u8 pad;
	__u64 w[MXG_VCACHE_NAME / 8];	/* the name, zero past len */
};

/* One element of the vcache_sets map: MXG_VCACHE_SETS sets of two ways. */
struct mxg_vcache_group {
	struct mxg_vcache slot[MXG_VCACHE_SETS * MXG_VCACHE_WAYS];
};

/*
 * Kernel similarity (bpf/similar.bpf.h): entries in the same inner policy
 * map as the rules, under keys of another hash (mxg_poly_key with kind
 * MXG_SIM_KIND + slot), so the reload swaps them with the rules.  For a
 * protected label L under suffix S, the daemon files L itself (pos
 * MXG_SIM_WHOLE) and each one-deletion L without L[pos] (byte: L[pos]),
 * keyed by the poly hash of the string, its length and S's suffix hash.
 * Deletions of two protected labels may coincide: they take slots 0, 1,
 * ... of the same hash, and a lookup reads slots until one is missing.
 * Each suffix has one more entry, under slot MXG_SIM_SLOTS with hash and
 * length 0: in protected_hash, bit n is set when some protected label of
 * n bytes is under it.  A question whose suffix has none, or none of a
 * length one edit away (or two shorter, for MXG_SIM_LONG), costs that one
 * lookup.
 *
 * Labels of MXG_SIM_LONG bytes or more also file their two-deletions, L
 * without L[pos] and L[pos2] (pos < pos2, so pos2 is never 0), in the same
 * slots after the one-deletions: two edits, when the seen label is one of
 * them (two omissions) or is one with x[k] deleted for k == pos or
 * k == pos2 - 1 (an omission and a substitution).  pos2 is 0 in every
 * other entry.
 */
#define MXG_SIM_KIND	8
#define MXG_SIM_SLOTS	4
#define MXG_SIM_WHOLE	0xff
#define MXG_SIM_LABEL_MAX 63
/*
 * A protected label of up to this many bytes with its first letter
 * dropped is no match ("mail" for "gmail", "ive" for "live"): typists
 * rarely miss the first key of a word, and what a short label leaves
 * without it is often a word or another brand.  Shared by the kernel
 * (bpf/similar.bpf.h), the second look (similar.c) and the generated
 * rules (lookalike.c), so the kernel stays a subset of the second look.
 */
#define MXG_SIM_SHORT	5
/*
 * Labels of this many bytes or more: two edits in the kernel too.  The
 * second look's SIMILAR_LONG (similar.h), from which it takes two edits
 * with one slip: an omission is one.
 */
#define MXG_SIM_LONG	8

struct mxg_sim {
	__u64 protected_hash;	/* key into the protected-names map */
	__u32 rule_id;		/* generation << 24 | MXG_RULE_SIM | protect */
	__u8 pos;		/* deleted position, or MXG_SIM_WHOLE */
	__u8 byte;		/* the byte deleted there */
	__u8 action;		/* the protect directive's action */
	__u8 pos2;		/* a two-deletion's second position, or 0 */
};

/* A rule id of a similarity match: the index of the protect directive. */
#define MXG_RULE_SIM	0x800000u

/* Readable protected name, keyed by the hash of its canonical form. */
struct mxg_protected {
	__u8 name[MXG_PROTECTED_MAX];	/* wire format */
};

/* Who owns a DNS socket: recorded in process context at connect/sendmsg. */
struct mxg_owner {
	__u64 cgroup_id;
	__u32 tgid;
	__u32 pid;
	__u32 uid;
	__u32 pad;
	__u8 comm[16];
};

/*
 * A resolution, clean (clean_proc) or lookalike (taint_proc, taint_unit,
 * taint_host), as seen by one process or unit.
 */
struct mxg_taint {
	__u64 expires_ns;	/* bpf_ktime_get_ns() clock */
	__u64 name_hash;	/* the name whose answer carried the address */
	__u64 origin_hash;	/* the lookalike question the chain began with */
	__u64 protected_hash;
	__u64 resolver_cgroup;
	__u32 resolver_tgid;
	__u32 rule_id;
	__u8 verdict;		/* MXG_VERDICT_CLEAN or _LOOKALIKE */
	__u8 action;
	/*
	 * A connect was judged on this record.  Until then a clean answer
	 * for the same (process, address) does not clear it: Exim routes
	 * every recipient before its transport connects.  After it, the
	 * process has acted on the verdict, and a later clean delivery to
	 * a shared MX (Postfix reuses its smtp processes) is not held.
	 */
	__u8 judged;
	__u8 pad[5];
};

struct mxg_proc_key {
	__u32 tgid;
	__u32 pad;
	__u8 addr[16];
};

struct mxg_unit_key {
	__u64 cgroup_id;
	__u8 addr[16];
};

struct mxg_host_key {
	__u8 addr[16];
};

/* A name tainted because it was a CNAME/MX/SRV target of a lookalike. */
enum mxg_tname_level {
	MXG_TNAME_PROCESS = 0,	/* id is a tgid */
	MXG_TNAME_UNIT = 1,	/* id is a cgroup id */
};

struct mxg_tname_key {
	__u64 id;
	__u64 name_hash;
	__u32 level;
	__u32 pad;
};

/*
 * Which whole-name hashes may have a taint_names entry (bpf/message.bpf.h):
 * byte name_hash % MXG_TNAME_FILTER is 1 if so.  Set before every entry is
 * written and never cleared; so a 0 means no entry, while fastpath_armed
 * says the daemon has filled it from the entries of older programs.
 */
#define MXG_TNAME_FILTER	16384
struct mxg_tname_filter {
	__u8 may[MXG_TNAME_FILTER];
};

/*
 * Which addresses may have a taint_any entry (bpf/connect.bpf.h): byte
 * mxg_any_slot(addr) is 1 if so.  Like the names' filter: set before
 * every taint_any entry is written (by the programs and by the daemon),
 * never cleared, trusted only while fastpath_armed is 1.
 */
#define MXG_ANY_FILTER		16384
struct mxg_any_filter {
	__u8 may[MXG_ANY_FILTER];
};

/*
 * The clean_unit writes this CPU made lately (bpf/taint.bpf.h:
 * record_clean): an answer that would only move a unit's clean record
 * later by less than a 64th of its life (and at most a second) leaves
 * clean_unit alone.  One slot per MXG_UNIT_RECENT_SLOTS of
 * (cgroup, address); a slot holds the key and the expiry written.
 */
#define MXG_UNIT_RECENT_SLOTS	256
/* The slot of x, the XOR of the key's 32-bit words: its top 8 bits. */
#define MXG_UNIT_RECENT_SLOT(x)	(((__u32)(x) * 0x9E3779B1U) >> 24)
struct mxg_unit_recent_slot {
	struct mxg_unit_key key;
	__u64 expires_ns;
};

struct mxg_unit_recent {
	struct mxg_unit_recent_slot slot[MXG_UNIT_RECENT_SLOTS];
};

/*
 * Which (cgroup, address) pairs may have a clean_unit entry
 * (bpf/connect.bpf.h: unit_saw): byte mxg_unit_filter_slot() of the key's
 * mxg_unit_mix(), the mix unit_recent's slot comes from, is 1 if so.  The
 * programs set it after every clean_unit entry they write; the daemon sets
 * the bytes of every entry there is before it arms, and when it clears the
 * filter (fastpath disarmed meanwhile) to drop the bytes of expired
 * entries.  Trusted only while fastpath_armed is 1.  2^17 bytes: a host
 * with 10,000 live pairs fills 7% of it.
 */
#define MXG_UNIT_FILTER_BITS	17
#define MXG_UNIT_FILTER		(1U << MXG_UNIT_FILTER_BITS)
#define MXG_UNIT_FILTER_SLOT(x)	\
	(((__u32)(x) * 0x9E3779B1U) >> (32 - MXG_UNIT_FILTER_BITS))
struct mxg_unit_filter {
	__u8 may[MXG_UNIT_FILTER];
};

/*
 * The filter's byte for a 16-byte address, from x: the XOR of its four
 * 32-bit words as the host reads them (the programs and the daemon alike).
 */
#define MXG_ANY_SLOT(x)		(((__u32)(x) * 0x9E3779B1U) >> (32 - 14))

/*
 * The filters' slots, written once for the programs, the daemon and the
 * tests: a slot the daemon or a test computes differently from the
 * programs' is a byte nobody reads.  @addr must be 4-byte aligned (keys
 * and the programs' own arrays are): so the programs read it a word at a
 * time, not a byte.
 */
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* The XOR of a 16-byte address's four 32-bit words. */
static __always_inline __u32 mxg_addr_mix(const __u8 *addr)
{
	__u32 w[4];

	__builtin_memcpy(w, __builtin_assume_aligned(addr, 4), 16);
	return w[0] ^ w[1] ^ w[2] ^ w[3];
}

/* Its byte in any_filter. */
static __always_inline __u32 mxg_any_slot(const __u8 *addr)
{
	return MXG_ANY_SLOT(mxg_addr_mix(addr)) & (MXG_ANY_FILTER - 1);
}

/* A unit key's mix: unit_recent's slot and unit_filter's come from it. */
static __always_inline __u32 mxg_unit_mix(const struct mxg_unit_key *uk)
{
	return mxg_addr_mix(uk->addr) ^ (__u32)uk->cgroup_id ^
	       (__u32)(uk->cgroup_id >> 32);
}

/* The byte in unit_filter of a key whose mix is @mix. */
static __always_inline __u32 mxg_unit_filter_slot(__u32 mix)
{
	return MXG_UNIT_FILTER_SLOT(mix) & (MXG_UNIT_FILTER - 1);
}

struct mxg_tname {
	__u64 expires_ns;
	__u64 origin_hash;
	__u64 protected_hash;
	__u32 rule_id;
	__u8 action;
	/*
	 * MXG_TNAME_RESOLVED_*, on a process's entry only: an answer to this
	 * name, of that type, was read to its end and tainted at least one
	 * address in the process.  Cleared by every rewrite of the entry (a
	 * new lookalike answer naming it).  Set in place, a byte another CPU
	 * may write too: a bit can be lost, never gained, and a lost bit
	 * only keeps the name tainted.  Was padding (0) before: an older
	 * program's entry says "not resolved".
	 */
	__u8 resolved;
	/*
	 * Random, never 0, drawn at every write of the entry: with the
	 * expiry, which a coarse clock can repeat, it tells a rewrite.
	 * 0 in an older program's entry.
	 */
	__u16 gen;
};
#define MXG_TNAME_RESOLVED_A	1
#define MXG_TNAME_RESOLVED_AAAA	2

/*
 * A tainted MX host name that a clean, trusted MX answer in the same process
 * named since (clean_names, keyed by the process's struct mxg_tname_key).
 * Big providers share MX host names: `gmial.com MX aspmx.l.google.com`
 * must not taint that name for every later delivery to a Workspace
 * customer.  The name's answers are clean for the process again:
 * - against the process's own entry (@taint_expires_ns and @taint_gen are
 *   its own, so it has not been rewritten since), only for the types
 *   in @resolved, those whose addresses the process already holds tainted:
 *   a clean answer then meets those lookalike records, which outrank it
 *   until a connect acted on them (bpf/taint.bpf.h, record_clean);
 * - against the unit's entry only (@taint_expires_ns 0): this process never
 *   had a lookalike answer naming the host, so its lookups of it are for
 *   its own, clean, deliveries.
 */
struct mxg_tname_clean {
	__u64 expires_ns;	/* the clean MX record's TTL, clamped */
	__u64 taint_expires_ns;
	__u32 resolved;		/* MXG_TNAME_RESOLVED_* */
	__u16 taint_gen;
	__u16 pad;
};

/* Readable names for the hashes above (lookalikes and tainted names only). */
struct mxg_name {
	__u8 wire[MXG_NAME_MAX];
};

struct mxg_event {
	__u64 ts_ns;		/* bpf_ktime_get_ns() */
	__u64 cgroup_id;	/* of the acting process */
	__u64 resolver_cgroup;
	__u64 protected_hash;
	__u32 type;		/* enum mxg_event_type */
	__u32 pid;
	__u32 tgid;
	__u32 uid;
	__u32 resolver_tgid;
	__u32 rule_id;
	__u16 dport;		/* host order */
	__u16 qtype;
	__u8 family;		/* AF_INET or AF_INET6 as the process used it */
	__u8 outcome;		/* enum mxg_outcome */
	__u8 action;		/* the rule's action */
	__u8 scope;		/* scope the taint matched at */
	__u8 mode;		/* mode in force */
	__u8 reason;		/* MXG_EV_DNS_HELD: enum mxg_hold_reason */
	__u8 held;		/* MXG_EV_DNS_HELD: 1 dropped, 0 passed */
	__u8 transport;		/* MXG_EV_DNS_HELD: IPPROTO_UDP or _TCP */
	__u32 ttl;		/* MXG_EV_TAINT: clamped TTL in seconds */
	__u8 comm[16];
	__u8 addr[16];		/* destination (or tainted) address */
	__u8 name[MXG_NAME_MAX];	/* the name that resolved to addr */
	__u8 origin[MXG_NAME_MAX];	/* the lookalike name that matched */
	__u8 protected_name[MXG_PROTECTED_MAX];
};

/* Pinned object names under the pin directory (bpffs refuses dots). */
#define MXG_PIN_DIR_DEFAULT	"/sys/fs/bpf/mxguard"

#endif

// SPDX-License-Identifier: GPL-2.0-only
/*
 * The policy store: rules, their index, protected names, and the rules that
 * protect directives generate.
 *
 * Rules live in one array; an open-addressing table of rule indexes, keyed
 * by mxg_name_hash(POLICY_INDEX_SEED, suffix), sits beside it.  It is kept
 * up to date on every append, so a million-rule policy costs one probe per
 * suffix to match and one per rule to check for duplicates.  The seed is a
 * fixed 0: this table never leaves the process, unlike the kernel's map.
 *
 * A slot holds the rule's index + 1 in its low 24 bits and the top 8 bits
 * of the suffix's hash above them, so a probe that meets another rule's
 * slot reads that rule and its name only once in 256 times.  Those two
 * reads are cache misses in a large policy: without the tag they were most
 * of a 1M-rule parse.  Hence at most POLICY_RULES_MAX rules, which is also
 * all the kernel's rule ids can name (MXG_RULES_MAX).  The parser sizes the
 * array and the table once for the lines of a file (policy_reserve), so a
 * large file is neither copied nor rehashed as it grows.
 *
 * Names sit in arenas of large blocks, never moved, so a rule refers to its
 * name in 32 bits: the block's number and the offset in it.  Generated rules
 * have their own arena: every load call drops them and generates them again
 * once the hand-written rules are all known, so the outcome does not depend
 * on the order of files or lines.
 *
 * A rule's name is shared as DNS messages share theirs: when a suffix of
 * the name (its parent, say) was stored before, only the labels before it
 * are copied, then a 4-byte reference to where that suffix is (two top bits
 * set, as no label length has them, and 30 bits of arena reference).  A
 * small table of the suffixes stored last, by hash, finds them: a policy of
 * a million names under "example" stores "example" once.  Protected names
 * are stored whole (struct mxg_protect points at them).  mxg_rule_wire()
 * puts a shared name back together; hashes and keys are of the whole name,
 * as before.  Learnt rules' names are each their own allocation (they come
 * and go), and the rule holds its index in p->owned.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "lookalike.h"
#include "similar.h"
#include "name.h"
#include "policy_int.h"

#define POLICY_INDEX_SEED	0
#define POLICY_SLOTS_MIN	1024
#define SLOT_IDX_BITS		24
#define SLOT_IDX_MASK		((1u << SLOT_IDX_BITS) - 1)
#define POLICY_RULES_MAX	MXG_POLICY_RULES_MAX	/* index + 1 fits */
_Static_assert(MXG_POLICY_RULES_MAX < SLOT_IDX_MASK, "rule index in a slot");
_Static_assert(MXG_NAME_MAX - 2 <= 0xff && MXG_PROTECTED_MAX - 1 <= 0xff,
	       "a rule's lengths are bytes");
_Static_assert(MXG_RULE_ALLOW < 4 && MXG_ACTION_BLOCK < 4 &&
	       (MXG_RULE_F_GENERATED | MXG_RULE_F_LEARNT | MXG_RULE_F_DEAD) < 16,
	       "a rule's kind, action and flags fit their bits");
_Static_assert(sizeof(struct mxg_policy_rule) == 16, "a rule is 16 bytes");
_Static_assert(MXG_POLICY_RULES_MAX < (1u << 24) - 1,
	       "a protected name's index + 1 fits 24 bits");
/*
 * An arena's first block is small and each next one twice the last, up to
 * ARENA_BLOCK: a policy of a few lines (a reload's, a test's) then costs a
 * few KB, not two 256 KB blocks, and a large one still lands in few big
 * blocks.  (A block above the allocator's mmap threshold is an mmap and
 * munmap per load, page faults included.)
 */
#define ARENA_FIRST		(4 * 1024)
#define ARENA_SHIFT		18
#define ARENA_BLOCK		(1u << ARENA_SHIFT)	/* 256 KiB */
#define ARENA_BLOCKS_MAX	(1u << (32 - ARENA_SHIFT))
/* A shared suffix's reference: 0xc0 | 30 bits, big-endian. */
#define NAME_REF		0xc0
#define NAME_REF_LEN		4
#define NAME_REF_LIMIT		(1u << 30)
/* Suffixes remembered for sharing, by hash (direct-mapped). */
#define SEEN_SLOTS		1024

struct mxg_suffix_seen {
	__u32 ref;			/* arena reference */
	__u32 hash;
	__u32 len;			/* 0: empty */
};

void policy_init(struct mxg_policy *p)
{
	memset(p, 0, sizeof(*p));
}

static void arena_free(struct mxg_arena *a)
{
	__u32 i;

	for (i = 0; i < a->nblocks; i++)
		free(a->blocks[i]);
	free(a->blocks);
	free(a->seen);
	memset(a, 0, sizeof(*a));
}

void policy_free(struct mxg_policy *p)
{
	size_t i;

	for (i = 0; i < p->nowned; i++)
		free(p->owned[i]);
	free(p->owned);
	for (i = 0; i < p->nfiles; i++)
		free(p->files[i]);
	free(p->files);
	free(p->dead);
	free(p->rules);
	free(p->slots);
	free(p->protects);
	free(p->protected_names);
	free(p->pslots);
	free(p->loaded);
	arena_free(&p->names);
	arena_free(&p->generated);
	policy_init(p);
}

static const __u8 *arena_at(const struct mxg_arena *a, __u32 ref)
{
	return a->blocks[ref >> ARENA_SHIFT] + (ref & (ARENA_BLOCK - 1));
}

/* Room for @len bytes (at most a name), its reference in *ref. */
static __u8 *arena_alloc(struct mxg_arena *a, __u32 len, __u32 *ref)
{
	__u8 **blocks, *b;
	__u32 size;

	if (!a->nblocks || a->size - a->used < len) {
		if (a->nblocks >= ARENA_BLOCKS_MAX)
			return NULL;
		size = a->nblocks ? a->size * 2 : ARENA_FIRST;
		if (size > ARENA_BLOCK)
			size = ARENA_BLOCK;
		blocks = realloc(a->blocks, (a->nblocks + 1) * sizeof(*blocks));
		if (!blocks)
			return NULL;
		a->blocks = blocks;
		b = malloc(size);
		if (!b)
			return NULL;
		a->blocks[a->nblocks++] = b;
		a->used = 0;
		a->size = size;
		a->bytes += size;
	}
	*ref = (a->nblocks - 1) << ARENA_SHIFT | a->used;
	a->used += len;
	return a->blocks[a->nblocks - 1] + (*ref & (ARENA_BLOCK - 1));
}

/*
 * The name of @len wire bytes stored at @ref: a pointer to it if it is
 * stored whole, else put together in @buf.  Every reference leads to a
 * label stored whole, so each one read adds a label.
 */
static const __u8 *arena_name(const struct mxg_arena *a, __u32 ref,
			      __u32 len, __u8 *buf)
{
	const __u8 *src = arena_at(a, ref);
	__u32 i = 0, out;

	while (i < len && src[i] < NAME_REF)
		i += 1 + src[i];
	if (i >= len)
		return src;
	memcpy(buf, src, i);
	for (out = i; out < len; out += i) {
		ref = (__u32)(src[i] & 0x3f) << 24 | (__u32)src[i + 1] << 16 |
		      (__u32)src[i + 2] << 8 | src[i + 3];
		src = arena_at(a, ref);
		i = 0;
		while (out + i < len && src[i] < NAME_REF)
			i += 1 + src[i];
		memcpy(buf + out, src, i);
	}
	return buf;
}

/*
 * A hash of each suffix of @wire at a label boundary, in name order
 * (hash[k] is of the suffix at starts[k]): for the table of suffixes seen,
 * never for the index or the kernel.
 */
static int seen_hashes(const __u8 *wire, __u32 len, __u32 *starts,
		       __u32 *hash)
{
	__u32 pos, h = 2166136261u, i;
	int n = 0, k;

	for (pos = 0; pos < len && n < MXG_LABELS_MAX + 1; pos += 1 + wire[pos])
		starts[n++] = pos;
	k = n - 1;
	for (i = len; i-- > 0 && k >= 0;) {
		h = (h ^ wire[i]) * 16777619u;
		if (i == starts[k])
			hash[k--] = h ^ (len - i);
	}
	return n;
}

static void put_ref(__u8 *dst, __u32 ref)
{
	dst[0] = NAME_REF | (__u8)(ref >> 24);
	dst[1] = (__u8)(ref >> 16);
	dst[2] = (__u8)(ref >> 8);
	dst[3] = (__u8)ref;
}

static void remember_parent(struct mxg_arena *a, __u32 ref, const __u8 *wire,
			    __u32 len)
{
	a->last_ref = ref;
	a->last_len = len;
	memcpy(a->last, wire, len);
}

/*
 * Store @wire, sharing the longest suffix of it seen before when @share,
 * and remember its own suffixes.  Returns the reference, or -ENOMEM.
 */
static long arena_put(struct mxg_arena *a, const __u8 *wire, __u32 len,
		      int share)
{
	__u32 starts[MXG_LABELS_MAX + 1], hash[MXG_LABELS_MAX + 1];
	__u8 tmp[MXG_NAME_MAX];
	const struct mxg_suffix_seen *e;
	struct mxg_suffix_seen *w;
	__u32 lit = len, ref, at, slen;
	int n, k, hit = -1;
	__u8 *dst;

	/* A run of names under one parent: no hashing, one compare. */
	lit = len ? 1u + wire[0] : 0;
	if (share && a->last_len && lit + a->last_len == len &&
	    !memcmp(wire + lit, a->last, a->last_len)) {
		dst = arena_alloc(a, lit + NAME_REF_LEN, &ref);
		if (!dst)
			return -ENOMEM;
		memcpy(dst, wire, lit);
		put_ref(dst + lit, a->last_ref);
		return ref;
	}
	lit = len;
	if (!a->seen)
		a->seen = calloc(SEEN_SLOTS, sizeof(*a->seen));
	n = a->seen ? seen_hashes(wire, len, starts, hash) : 0;
	for (k = 1; share && k < n; k++) {
		slen = len - starts[k];
		if (slen <= NAME_REF_LEN)
			break;
		e = &a->seen[hash[k] & (SEEN_SLOTS - 1)];
		if (e->len == slen && e->hash == hash[k] &&
		    !memcmp(arena_name(a, e->ref, slen, tmp), wire + starts[k],
			    slen)) {
			hit = k;
			lit = starts[k];
			break;
		}
	}
	dst = arena_alloc(a, lit + (hit >= 0 ? NAME_REF_LEN : 0), &ref);
	if (!dst)
		return -ENOMEM;
	memcpy(dst, wire, lit);
	if (hit >= 0) {
		at = a->seen[hash[hit] & (SEEN_SLOTS - 1)].ref;
		put_ref(dst + lit, at);
		if (share && hit == 1)
			remember_parent(a, at, wire + lit, len - lit);
		n = hit;
	} else if (share && n > 1 && len - starts[1] > NAME_REF_LEN &&
		   ref + starts[1] < NAME_REF_LIMIT) {
		remember_parent(a, ref + starts[1], wire + starts[1],
				len - starts[1]);
	}
	/* The suffixes stored whole here, where later names may refer. */
	for (k = 0; k < n; k++) {
		slen = len - starts[k];
		if (slen <= NAME_REF_LEN || ref + starts[k] >= NAME_REF_LIMIT)
			continue;
		w = &a->seen[hash[k] & (SEEN_SLOTS - 1)];
		w->ref = ref + starts[k];
		w->hash = hash[k];
		w->len = slen;
	}
	return ref;
}

const __u8 *policy_store_name(struct mxg_policy *p, const __u8 *wire,
			      __u32 len)
{
	long ref = arena_put(&p->names, wire, len, 0);

	return ref < 0 ? NULL : arena_at(&p->names, (__u32)ref);
}

long policy_store_rule_name(struct mxg_policy *p, const __u8 *wire,
			    __u32 len)
{
	return arena_put(&p->names, wire, len, 1);
}

const __u8 *mxg_rule_wire(const struct mxg_policy *p,
			  const struct mxg_policy_rule *r, __u8 *buf)
{
	if (r->flags & MXG_RULE_F_LEARNT)
		return p->owned[r->name];
	return arena_name(r->flags & MXG_RULE_F_GENERATED ? &p->generated :
							    &p->names,
			  r->name, r->wire_len, buf);
}

int mxg_rule_is(const struct mxg_policy *p, const struct mxg_policy_rule *r,
		const __u8 *wire, __u32 len)
{
	__u8 buf[MXG_NAME_MAX];

	return r->wire_len == len &&
	       !memcmp(mxg_rule_wire(p, r, buf), wire, len);
}

void mxg_rule_spec_of(const struct mxg_policy *p,
		      const struct mxg_policy_rule *r, __u8 *buf,
		      struct mxg_rule_spec *out)
{
	memset(out, 0, sizeof(*out));
	out->wire = mxg_rule_wire(p, r, buf);
	out->wire_len = r->wire_len;
	out->protected_wire = mxg_rule_protected(p, r);
	out->protected_len = (__u8)mxg_rule_protected_len(p, r);
	out->file = mxg_rule_file(p, r);
	out->line = r->line;
	out->origin = r->origin;
	out->kind = r->kind;
	out->action = r->action;
	out->flags = r->flags;
}

void policy_error(const char *file, int line, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_warn("%s:%d: %s\n", file ? file : "(generated)", line, msg);
}

/* --- index ---------------------------------------------------------------- */

static int same_name(const __u8 *a, __u32 alen, const __u8 *b, __u32 blen)
{
	return alen == blen && !memcmp(a, b, alen);
}

static int same_suffix(const struct mxg_policy *p,
		       const struct mxg_policy_rule *r, const __u8 *wire,
		       __u32 len)
{
	return mxg_rule_is(p, r, wire, len);
}

/* A rule slot's parts (see the top of the file); 0 is an empty slot. */
static __u32 slot_tag(__u64 h)
{
	return (__u32)(h >> 56) << SLOT_IDX_BITS;
}

static __u32 slot_rule(__u32 v)
{
	return (v & SLOT_IDX_MASK) - 1;
}

static long index_find(const struct mxg_policy *p, __u64 h,
		       const __u8 *wire, __u32 len)
{
	size_t mask = p->nslots - 1, i;
	__u32 r, v, tag = slot_tag(h);

	if (!p->nslots)
		return -1;
	/* The table is at most half full, so an empty slot ends every probe. */
	for (i = h & mask; (v = p->slots[i]); i = (i + 1) & mask) {
		if ((v & ~SLOT_IDX_MASK) != tag)
			continue;
		r = slot_rule(v);
		if (r < p->n && same_suffix(p, &p->rules[r], wire, len))
			return r;
	}
	return -1;
}

/* For protected names: the index + 1, untagged. */
static void slot_put(__u32 *slots, size_t nslots, __u64 h, size_t idx)
{
	size_t mask = nslots - 1, i;

	for (i = h & mask; slots[i]; i = (i + 1) & mask)
		;
	slots[i] = (__u32)(idx + 1);
}

/* For rules: tagged; @idx < POLICY_RULES_MAX (append_hashed sees to it). */
static void rule_slot_put(__u32 *slots, size_t nslots, __u64 h, size_t idx)
{
	size_t mask = nslots - 1, i;

	for (i = h & mask; slots[i]; i = (i + 1) & mask)
		;
	slots[i] = (__u32)(idx + 1) | slot_tag(h);
}

static __u64 name_hash(const __u8 *wire, __u32 len)
{
	return mxg_name_hash(POLICY_INDEX_SEED, wire, len);
}

static __u64 rule_hash(const struct mxg_policy *p,
		       const struct mxg_policy_rule *r)
{
	__u8 buf[MXG_NAME_MAX];

	return name_hash(mxg_rule_wire(p, r, buf), r->wire_len);
}

static int index_resize(struct mxg_policy *p, size_t nslots)
{
	__u32 *slots = calloc(nslots, sizeof(*slots));
	size_t i;

	if (!slots)
		return -ENOMEM;
	for (i = 0; i < p->nindexed; i++)
		if (!(p->rules[i].flags & MXG_RULE_F_DEAD))
			rule_slot_put(slots, nslots,
				      rule_hash(p, &p->rules[i]), i);
	free(p->slots);
	p->slots = slots;
	p->nslots = nslots;
	return 0;
}

/* Index every rule up to p->n, including any a caller appended by hand. */
static int index_sync(struct mxg_policy *p)
{
	size_t want = p->nslots ? p->nslots : POLICY_SLOTS_MIN;
	const struct mxg_policy_rule *r;

	while (p->n * 2 > want)
		want *= 2;
	if (want != p->nslots && index_resize(p, want))
		return -ENOMEM;
	for (; p->nindexed < p->n; p->nindexed++) {
		r = &p->rules[p->nindexed];
		/* A learnt rule removed again is never matched (policy_unlearn). */
		if (!(r->flags & MXG_RULE_F_DEAD))
			rule_slot_put(p->slots, p->nslots, rule_hash(p, r),
				      p->nindexed);
	}
	return 0;
}

int policy_reserve(struct mxg_policy *p, size_t more)
{
	size_t need, want = p->nslots ? p->nslots : POLICY_SLOTS_MIN;
	struct mxg_policy_rule *rules;

	if (more > POLICY_RULES_MAX)
		more = POLICY_RULES_MAX;
	need = p->n + more;
	if (need < 16)
		need = 16;	/* what grow() starts with */
	if (need > p->cap) {
		rules = realloc(p->rules, need * sizeof(*rules));
		if (!rules)
			return -ENOMEM;
		p->rules = rules;
		p->cap = need;
	}
	if (index_sync(p))
		return -ENOMEM;
	while (need * 2 > want)
		want *= 2;
	return want != p->nslots ? index_resize(p, want) : 0;
}

/*
 * After a load call, kept or rolled back: what policy_reserve() asked for
 * and no rule took is given back, but for room for rules learnt later (the
 * array would otherwise double on the first), and a table far larger than
 * its rules shrinks.
 */
#define POLICY_SPARE		2048
static void policy_trim(struct mxg_policy *p)
{
	size_t want = POLICY_SLOTS_MIN, cap = p->n + POLICY_SPARE;
	struct mxg_policy_rule *rules;

	if (p->cap > cap && (rules = realloc(p->rules, cap * sizeof(*rules)))) {
		p->rules = rules;
		p->cap = cap;
	}
	if (index_sync(p))
		return;
	while (p->n * 2 > want)
		want *= 2;
	/* Failing, the larger table stays: it is as correct. */
	if (p->nslots > 4 * want)
		index_resize(p, want);
}

static void index_rebuild(struct mxg_policy *p)
{
	p->nindexed = 0;
	if (p->slots)
		memset(p->slots, 0, p->nslots * sizeof(*p->slots));
	/* No resize is needed, and policy_match scans what is not indexed. */
	index_sync(p);
}

/* --- rules ---------------------------------------------------------------- */

/* A rule holds a file's index + 1 in 16 bits. */
#define POLICY_FILES_MAX	0xffff

long policy_file_index(struct mxg_policy *p, const char *name)
{
	char **files, *copy;
	size_t i;

	for (i = 0; i < p->nfiles; i++)
		if (p->files[i] == name)
			return (long)i + 1;
	for (i = 0; i < p->nfiles; i++)
		if (!strcmp(p->files[i], name))
			return (long)i + 1;
	if (p->nfiles >= POLICY_FILES_MAX)
		return -E2BIG;
	files = realloc(p->files, (p->nfiles + 1) * sizeof(*files));
	if (!files)
		return -ENOMEM;
	p->files = files;
	copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	p->files[p->nfiles++] = copy;
	return (long)p->nfiles;
}

const char *policy_intern_file(struct mxg_policy *p, const char *name)
{
	long i = policy_file_index(p, name);

	return i < 0 ? NULL : p->files[i - 1];
}

static int grow(void **arr, size_t *cap, size_t need, size_t size)
{
	size_t ncap = *cap ? *cap : 16;
	void *a;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	a = realloc(*arr, ncap * size);
	if (!a)
		return -ENOMEM;
	*arr = a;
	*cap = ncap;
	return 0;
}

/*
 * Index the rule just appended, whose suffix hashes to @h: what index_sync
 * would do, without hashing the name again (unless the table must grow).
 */
static int index_push(struct mxg_policy *p, __u64 h)
{
	size_t idx = p->n - 1;

	if (p->nindexed != idx || !p->nslots || p->n * 2 > p->nslots)
		return index_sync(p);
	if (!(p->rules[idx].flags & MXG_RULE_F_DEAD))
		rule_slot_put(p->slots, p->nslots, h, idx);
	p->nindexed = p->n;
	return 0;
}

__u64 policy_hash_prefetch(const struct mxg_policy *p, const __u8 *wire,
			   __u32 len)
{
	__u64 h = name_hash(wire, len);

	if (p->nslots)
		__builtin_prefetch(&p->slots[h & (p->nslots - 1)]);
	return h;
}

/* policy_append, for a caller that has the hash of the rule's suffix. */
long policy_append_hashed(struct mxg_policy *p,
			  const struct mxg_policy_rule *rule,
			  const __u8 *wire, __u64 h, long *first)
{
	long ref;

	if (index_sync(p))
		return -ENOMEM;
	*first = index_find(p, h, wire, rule->wire_len);
	if (*first >= 0)
		return -EEXIST;
	if (p->n >= POLICY_RULES_MAX)
		return -E2BIG;
	if (grow((void **)&p->rules, &p->cap, p->n + 1, sizeof(*p->rules)))
		return -ENOMEM;
	p->rules[p->n] = *rule;
	if (!(rule->flags & MXG_RULE_F_LEARNT)) {
		ref = arena_put(rule->flags & MXG_RULE_F_GENERATED ?
				&p->generated : &p->names,
				wire, rule->wire_len, 1);
		if (ref < 0)
			return -ENOMEM;
		p->rules[p->n].name = (__u32)ref;
	}
	p->n++;
	/* A rule the index cannot hold is not kept: callers see -ENOMEM. */
	if (index_push(p, h)) {
		p->n--;
		return -ENOMEM;
	}
	if (rule->flags & MXG_RULE_F_GENERATED)
		p->ngenerated++;
	return (long)p->n - 1;
}

long policy_append(struct mxg_policy *p, const struct mxg_policy_rule *rule,
		   const __u8 *wire, long *first)
{
	return policy_append_hashed(p, rule, wire,
				    name_hash(wire, rule->wire_len), first);
}

/* A spec's rule, its protected name and file interned; 0 or -errno. */
static int rule_of_spec(struct mxg_policy *p, const struct mxg_rule_spec *s,
			struct mxg_policy_rule *r)
{
	long prot, file;

	if (!s->wire_len || s->wire_len > MXG_NAME_MAX - 2 ||
	    s->protected_len > MXG_PROTECTED_MAX - 1)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->line = s->line;
	r->wire_len = s->wire_len;
	r->origin = s->origin;
	r->kind = s->kind;
	r->action = s->action;
	r->flags = s->flags & ~(MXG_RULE_F_GENERATED | MXG_RULE_F_LEARNT |
				MXG_RULE_F_DEAD);
	if (s->file) {
		file = policy_file_index(p, s->file);
		if (file < 0)
			return file == -E2BIG ? -ENOMEM : (int)file;
		r->file = (__u16)file;
	}
	if (s->kind == MXG_RULE_LOOKALIKE && s->protected_len) {
		prot = policy_intern_protected(p, s->protected_wire,
					       s->protected_len, 0);
		if (prot < 0)
			return (int)prot;
		r->protected_idx = (__u32)prot + 1;
	}
	return 0;
}

int policy_add(struct mxg_policy *p, const struct mxg_rule_spec *rule)
{
	struct mxg_policy_rule r;
	long first;
	int err;

	if (!rule->wire_len || rule->wire_len > MXG_NAME_MAX - 2)
		return -EINVAL;
	if (index_find(p, name_hash(rule->wire, rule->wire_len), rule->wire,
		       rule->wire_len) >= 0)
		return -EEXIST;
	err = rule_of_spec(p, rule, &r);
	if (err)
		return err;
	return (int)policy_append(p, &r, rule->wire, &first);
}

/* --- protected names ------------------------------------------------------ */

static long protected_find(const struct mxg_policy *p, __u64 h,
			   const __u8 *wire, __u32 len)
{
	size_t mask = p->npslots - 1, i;
	const struct mxg_protected_name *pn;

	if (!p->npslots)
		return -1;
	for (i = h & mask; p->pslots[i]; i = (i + 1) & mask) {
		pn = &p->protected_names[p->pslots[i] - 1];
		if (same_name(pn->wire, pn->len, wire, len))
			return p->pslots[i] - 1;
	}
	return -1;
}

long policy_find_protected(const struct mxg_policy *p, const __u8 *wire,
			   __u32 len)
{
	return protected_find(p, name_hash(wire, len), wire, len);
}

static int protected_reindex(struct mxg_policy *p, size_t nslots)
{
	__u32 *slots = calloc(nslots, sizeof(*slots));
	const struct mxg_protected_name *pn;
	size_t i;

	if (!slots)
		return -ENOMEM;
	for (i = 0; i < p->nprotected; i++) {
		pn = &p->protected_names[i];
		slot_put(slots, nslots, name_hash(pn->wire, pn->len), i);
	}
	free(p->pslots);
	p->pslots = slots;
	p->npslots = nslots;
	return 0;
}

long policy_intern_protected(struct mxg_policy *p, const __u8 *wire,
			     __u32 len, __u32 protect)
{
	__u64 h = name_hash(wire, len);
	struct mxg_protected_name *pn;
	long i = protected_find(p, h, wire, len);
	size_t want = p->npslots ? p->npslots : 64;

	if (i >= 0) {
		if (!p->protected_names[i].protect)
			p->protected_names[i].protect = protect;
		return i;
	}
	if (grow((void **)&p->protected_names, &p->protected_cap,
		 p->nprotected + 1, sizeof(*p->protected_names)))
		return -ENOMEM;
	while ((p->nprotected + 1) * 2 > want)
		want *= 2;
	/* A rule holds the index + 1 in 24 bits. */
	if (p->nprotected >= (1u << 24) - 2)
		return -ENOMEM;
	if (want != p->npslots && protected_reindex(p, want))
		return -ENOMEM;
	pn = &p->protected_names[p->nprotected];
	pn->wire = policy_store_name(p, wire, len);
	if (!pn->wire)
		return -ENOMEM;
	pn->len = len;
	pn->protect = protect;
	slot_put(p->pslots, p->npslots, h, p->nprotected);
	return (long)p->nprotected++;
}

int policy_append_protect(struct mxg_policy *p, const struct mxg_protect *pr)
{
	if (grow((void **)&p->protects, &p->protects_cap, p->nprotects + 1,
		 sizeof(*p->protects)))
		return -ENOMEM;
	p->protects[p->nprotects++] = *pr;
	return 0;
}

/* --- files read ----------------------------------------------------------- */

int policy_file_seen(const struct mxg_policy *p, dev_t dev, ino_t ino)
{
	size_t i;

	for (i = 0; i < p->nloaded; i++)
		if (p->loaded[i].dev == dev && p->loaded[i].ino == ino)
			return 1;
	return 0;
}

int policy_file_add(struct mxg_policy *p, dev_t dev, ino_t ino)
{
	if (grow((void **)&p->loaded, &p->loaded_cap, p->nloaded + 1,
		 sizeof(*p->loaded)))
		return -ENOMEM;
	p->loaded[p->nloaded].dev = dev;
	p->loaded[p->nloaded].ino = ino;
	p->nloaded++;
	return 0;
}

/* --- generation ----------------------------------------------------------- */

/* Keep the hand-written rules, in order; forget the generated ones. */
static void drop_generated(struct mxg_policy *p)
{
	size_t i, kept = 0;

	if (!p->ngenerated)
		return;
	for (i = 0; i < p->n; i++)
		if (!(p->rules[i].flags & MXG_RULE_F_GENERATED))
			p->rules[kept++] = p->rules[i];
	p->n = kept;
	p->ngenerated = 0;
	arena_free(&p->generated);
	index_rebuild(p);
}

void policy_begin(struct mxg_policy *p, struct policy_mark *m)
{
	drop_generated(p);
	m->rules = p->n;
	m->protects = p->nprotects;
	m->protected_names = p->nprotected;
	m->loaded = p->nloaded;
}

struct expansion {
	struct mxg_policy *p;
	const struct mxg_protect *pr;
	__u32 protected_idx;		/* of pr->wire, + 1 */
	__u16 file;			/* of pr->file, + 1; 0: none */
};

/* Fill in @x's indexes for its protect; 0 or -ENOMEM. */
static int expansion_of(struct expansion *x, const struct mxg_protect *pr)
{
	long i = policy_find_protected(x->p, pr->wire, pr->len);

	x->pr = pr;
	if (i < 0)
		i = policy_intern_protected(x->p, pr->wire, pr->len, 0);
	if (i < 0)
		return -ENOMEM;
	x->protected_idx = (__u32)i + 1;
	x->file = 0;
	if (pr->file) {
		i = policy_file_index(x->p, pr->file);
		if (i < 0)
			return -ENOMEM;
		x->file = (__u16)i;
	}
	return 0;
}

/*
 * The hash of every suffix of a name, shortest first: a generated name is
 * matched, checked against the protected names and appended, and each of
 * those looks its suffixes up, so they are hashed once (the hash of a
 * suffix is name_hash() of it: mxg_name_suffixes walks the same way).
 */
struct suffixes {
	__u64 hash[MXG_LABELS_MAX + 1];
	__u32 off[MXG_LABELS_MAX + 1];
	int n;
};

static void suffixes_of(struct suffixes *s, const __u8 *wire, __u32 len)
{
	s->n = mxg_name_suffixes(POLICY_INDEX_SEED, wire, len, s->hash,
				 s->off, MXG_LABELS_MAX + 1);
}

static int match_suffixes(const struct mxg_policy *p, const __u8 *wire,
			  __u32 len, const struct suffixes *s);

/*
 * Would @wire flag a protected name, or part of one?  Under a public
 * suffix ("com") is fine: that is where lookalikes live.
 */
static int hits_protected(const struct mxg_policy *p, const __u8 *wire,
			  __u32 len, const struct suffixes *s)
{
	__u32 pos;
	int k;

	for (k = 0; k < s->n; k++) {
		pos = s->off[k];
		if (protected_find(p, s->hash[k], wire + pos, len - pos) < 0)
			continue;
		if (!pos || !lookalike_is_public_suffix(wire + pos, len - pos))
			return 1;
	}
	return 0;
}

/* Distance of two names as text (Damerau-Levenshtein, bytes). */
static unsigned int name_distance(const __u8 *a, __u32 alen, const __u8 *b,
				  __u32 blen)
{
	char ta[MXG_NAME_TEXT_MAX], tb[MXG_NAME_TEXT_MAX];
	uint32_t ca[MXG_NAME_TEXT_MAX], cb[MXG_NAME_TEXT_MAX];
	int na, nb, i;

	mxg_name_format(a, alen, ta, sizeof(ta));
	mxg_name_format(b, blen, tb, sizeof(tb));
	na = (int)strlen(ta);
	nb = (int)strlen(tb);
	for (i = 0; i < na; i++)
		ca[i] = (unsigned char)ta[i];
	for (i = 0; i < nb; i++)
		cb[i] = (unsigned char)tb[i];
	return similar_distance(ca, na, cb, nb);
}

/* Is @wire strictly nearer to protected @a than to @b? */
static int nearer(const __u8 *wire, __u32 len, const __u8 *a, __u32 alen,
		  const __u8 *b, __u32 blen)
{
	if (alen == blen && !memcmp(a, b, alen))
		return 0;
	return name_distance(wire, len, a, alen) <
	       name_distance(wire, len, b, blen);
}

static int emit_generated(void *ctx, uint8_t fuzzer, const __u8 *wire,
			  __u32 len)
{
	struct expansion *x = ctx;
	struct mxg_policy *p = x->p;
	struct mxg_policy_rule r = {
		.kind = MXG_RULE_LOOKALIKE, .action = x->pr->action,
		.origin = fuzzer, .flags = MXG_RULE_F_GENERATED,
		.protected_idx = x->protected_idx, .file = x->file,
		.line = x->pr->line, .wire_len = (__u8)len,
	};
	struct suffixes s;
	long first, ret;
	int m;

	suffixes_of(&s, wire, len);
	m = match_suffixes(p, wire, len, &s);
	/* Hand-written rules win. */
	if (m >= 0 && !(p->rules[m].flags & MXG_RULE_F_GENERATED))
		return 0;
	/*
	 * Of two generators of a name, the nearer protected name keeps it
	 * ("gmail.net" is gmail.com's, not gmail.co.uk's), else the first.
	 */
	if (m >= 0 && same_suffix(p, &p->rules[m], wire, len)) {
		if (nearer(wire, len, x->pr->wire, x->pr->len,
			   mxg_rule_protected(p, &p->rules[m]),
			   mxg_rule_protected_len(p, &p->rules[m]))) {
			r.name = p->rules[m].name;
			p->rules[m] = r;
		}
		return 0;
	}
	if (hits_protected(p, wire, len, &s))
		return 0;
	/* The whole name is the longest suffix, the last one. */
	ret = policy_append_hashed(p, &r, wire, s.n && !s.off[s.n - 1] ?
				   s.hash[s.n - 1] : name_hash(wire, len),
				   &first);
	/* Past POLICY_RULES_MAX too: no generated rule is dropped unsaid. */
	return ret == -ENOMEM || ret == -E2BIG ? -ENOMEM : 0;
}

/*
 * A protected name under a generated suffix ("example.co" under "co",
 * generated for "com") gets an allow rule of its own; under a hand-written
 * lookalike rule it is an error, since the policy contradicts itself.
 */
static int protect_clean(struct mxg_policy *p, const struct mxg_protect *pr,
			 int *errors)
{
	char name[MXG_NAME_TEXT_MAX], suffix[MXG_NAME_TEXT_MAX];
	struct mxg_policy_rule allow = {
		.kind = MXG_RULE_ALLOW, .origin = MXG_ORIGIN_PROTECTED,
		.flags = MXG_RULE_F_GENERATED, .wire_len = (__u8)pr->len,
		.line = pr->line,
	};
	const struct mxg_policy_rule *r;
	__u8 buf[MXG_NAME_MAX];
	long first, file;
	int m = policy_match(p, pr->wire, pr->len);

	if (m < 0 || p->rules[m].kind != MXG_RULE_LOOKALIKE)
		return 0;
	r = &p->rules[m];
	if (r->flags & MXG_RULE_F_GENERATED) {
		if (pr->file) {
			file = policy_file_index(p, pr->file);
			if (file < 0)
				return -ENOMEM;
			allow.file = (__u16)file;
		}
		return policy_append(p, &allow, pr->wire, &first) == -ENOMEM ?
			       -ENOMEM : 0;
	}
	mxg_name_format(pr->wire, pr->len, name, sizeof(name));
	mxg_name_format(mxg_rule_wire(p, r, buf), r->wire_len, suffix,
			sizeof(suffix));
	policy_error(pr->file, pr->line,
		     "protected name '%s' is flagged by 'lookalike %s' at %s:%d",
		     name, suffix,
		     mxg_rule_file(p, r) ? mxg_rule_file(p, r) : "(added)",
		     r->line);
	(*errors)++;
	return 0;
}

/*
 * "protect com fuzz=tld-swap only=protected": for every protected name
 * whose public suffix is the TLD ("partner.com"), the same labels under
 * each table neighbour ("partner.co", "partner.cm", "partner.om"), as
 * lookalikes of that name with the TLD line's action.  So a .co domain
 * alerts only when the .com one is a name the policy protects, and a SOC
 * is not told about every .co destination.  The blanket form stays for
 * who wants it: "lookalike co of com", or a protect without only=.
 */
static int neighbours_of_protected(struct mxg_policy *p,
				   const struct mxg_protect *tld)
{
	const char *near[16];
	char tname[MXG_NAME_TEXT_MAX];
	struct mxg_protect as;
	struct expansion x = { .p = p };
	__u8 wire[MXG_NAME_MAX], suf[MXG_NAME_MAX];
	const char *err;
	__u32 slen;
	size_t i, k;
	int n, ret;

	mxg_name_format(tld->wire, tld->len, tname, sizeof(tname));
	n = lookalike_tld_neighbours(tname, near, 16);
	for (i = 0; i < p->nprotected; i++) {
		const struct mxg_protected_name *pn = &p->protected_names[i];
		__u32 stem = pn->len - tld->len;

		/* Under the TLD, and not a public suffix itself. */
		if (pn->len <= tld->len ||
		    memcmp(pn->wire + stem, tld->wire, tld->len) ||
		    lookalike_is_public_suffix(pn->wire, pn->len))
			continue;
		as = *tld;
		as.wire = pn->wire;
		as.len = pn->len;
		if (expansion_of(&x, &as))
			return -ENOMEM;
		for (k = 0; k < (size_t)n && k < 16; k++) {
			if (mxg_name_parse(near[k], suf, &slen, &err) ||
			    stem + slen > MXG_NAME_MAX - 1)
				continue;
			memcpy(wire, pn->wire, stem);
			memcpy(wire + stem, suf, slen);
			ret = emit_generated(&x, MXG_FUZZ_TLD_SWAP, wire,
					     stem + slen);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static int expand(struct mxg_policy *p, int *errors)
{
	struct expansion x = { .p = p };
	char name[MXG_NAME_TEXT_MAX];
	size_t i;
	__u32 mask;
	int ret;

	for (i = 0; i < p->nprotects; i++) {
		if (expansion_of(&x, &p->protects[i]))
			return -ENOMEM;
		if (x.pr->only_protected) {
			ret = neighbours_of_protected(p, x.pr);
			if (ret == -ENOMEM)
				return ret;
			continue;
		}
		mask = x.pr->fuzzers |
		       (x.pr->any_first ? MXG_GEN_ANY_FIRST : 0);
		ret = lookalike_generate(x.pr->wire, x.pr->len, mask,
					 emit_generated, &x);
		if (ret == -ENOMEM)
			return ret;
		if (ret) {
			mxg_name_format(x.pr->wire, x.pr->len, name,
					sizeof(name));
			policy_error(x.pr->file, x.pr->line,
				     "cannot generate lookalikes of '%s'", name);
			(*errors)++;
		}
	}
	for (i = 0; i < p->nprotects; i++)
		if (protect_clean(p, &p->protects[i], errors))
			return -ENOMEM;
	return 0;
}

static void rollback(struct mxg_policy *p, const struct policy_mark *m)
{
	size_t i;

	drop_generated(p);
	if (m->rules < p->n) {
		p->n = m->rules;
		index_rebuild(p);
	}
	p->nprotects = m->protects;
	p->nloaded = m->loaded;
	if (m->protected_names < p->nprotected) {
		p->nprotected = m->protected_names;
		protected_reindex(p, p->npslots);
	}
	/* A name kept from before may have been marked by a dropped protect. */
	for (i = 0; i < p->nprotected; i++)
		if (p->protected_names[i].protect > p->nprotects)
			p->protected_names[i].protect = 0;
}

int policy_finish(struct mxg_policy *p, const struct policy_mark *m,
		  int errors)
{
	int own = 0;

	if (!errors && expand(p, &own)) {
		pr_warn("out of memory while generating lookalikes\n");
		own++;
	}
	if (!errors && !own) {
		policy_trim(p);
		return 0;
	}
	rollback(p, m);
	/* What loaded before this call generates as it did then. */
	if (p->nprotects && expand(p, &(int){ 0 }))
		drop_generated(p);
	policy_trim(p);
	return errors + own;
}

/* --- matching ------------------------------------------------------------- */

static long find_suffix(const struct mxg_policy *p, __u64 h,
			const __u8 *wire, __u32 len)
{
	long r = index_find(p, h, wire, len);
	size_t i;

	if (r >= 0)
		return r;
	for (i = p->nindexed; i < p->n; i++)
		if (same_suffix(p, &p->rules[i], wire, len) &&
		    !(p->rules[i].flags & MXG_RULE_F_DEAD))
			return (long)i;
	return -1;
}

static int match_suffixes(const struct mxg_policy *p, const __u8 *wire,
			  __u32 len, const struct suffixes *s)
{
	long r;
	int i;

	/* Suffixes come shortest first; the longest match wins. */
	for (i = s->n - 1; i >= 0; i--) {
		r = find_suffix(p, s->hash[i], wire + s->off[i],
				len - s->off[i]);
		if (r >= 0)
			return (int)r;
	}
	return -1;
}

int policy_match(const struct mxg_policy *p, const __u8 *wire, __u32 len)
{
	struct suffixes s;

	suffixes_of(&s, wire, len);
	return match_suffixes(p, wire, len, &s);
}

/* --- rules learnt at run time --------------------------------------------- */

/* The slot of the index that holds rule @idx, or nslots. */
static size_t index_slot_of(const struct mxg_policy *p, size_t idx)
{
	const struct mxg_policy_rule *r = &p->rules[idx];
	size_t mask = p->nslots - 1, i;

	if (!p->nslots)
		return 0;
	for (i = rule_hash(p, r) & mask; p->slots[i];
	     i = (i + 1) & mask)
		if (slot_rule(p->slots[i]) == idx)
			return i;
	return p->nslots;
}

/* Must the entry at @at stay, its home lying cyclically in (@hole, @at]? */
static int stays(const struct mxg_policy *p, size_t hole, size_t at)
{
	size_t mask = p->nslots - 1, home;
	const struct mxg_policy_rule *r;

	if (slot_rule(p->slots[at]) >= p->n)
		return 1;
	r = &p->rules[slot_rule(p->slots[at])];
	home = rule_hash(p, r) & mask;
	return hole <= at ? home > hole && home <= at :
			    home > hole || home <= at;
}

/*
 * Linear probing deletes by shifting back: a later entry of the same run
 * moves into the hole unless its home lies between the hole and itself.
 * No tombstones, so the table stays as full as the live rules make it.
 */
static void index_remove(struct mxg_policy *p, size_t idx)
{
	size_t mask = p->nslots - 1, hole = index_slot_of(p, idx), at;

	if (hole >= p->nslots)
		return;
	for (at = hole;;) {
		p->slots[hole] = 0;
		do {
			at = (at + 1) & mask;
			if (!p->slots[at])
				return;
		} while (stays(p, hole, at));
		p->slots[hole] = p->slots[at];
		hole = at;
	}
}

/* Give the slot of the rule that died first, and its name's, to @r. */
static int reuse_dead(struct mxg_policy *p, struct mxg_policy_rule *r,
		      __u8 *name)
{
	size_t idx = p->dead[0];

	r->name = p->rules[idx].name;
	free(p->owned[r->name]);
	p->owned[r->name] = name;
	p->ndead--;
	memmove(p->dead, p->dead + 1, p->ndead * sizeof(*p->dead));
	p->rules[idx] = *r;
	rule_slot_put(p->slots, p->nslots, name_hash(name, r->wire_len), idx);
	p->nlearnt++;
	return (int)idx;
}

int policy_learn(struct mxg_policy *p, const struct mxg_rule_spec *rule)
{
	struct mxg_policy_rule r;
	long first, ret;
	__u8 *name;
	int err;

	if (!rule->wire_len || rule->wire_len > MXG_NAME_MAX - 2 ||
	    rule->kind != MXG_RULE_LOOKALIKE || !rule->protected_len ||
	    rule->protected_len > MXG_PROTECTED_MAX - 1)
		return -EINVAL;
	if (index_sync(p))
		return -ENOMEM;
	if (find_suffix(p, name_hash(rule->wire, rule->wire_len), rule->wire,
			rule->wire_len) >= 0)
		return -EEXIST;
	err = rule_of_spec(p, rule, &r);
	if (err)
		return err;
	if (grow((void **)&p->owned, &p->owned_cap, p->nowned + 1,
		 sizeof(*p->owned)))
		return -ENOMEM;
	name = malloc(r.wire_len);
	if (!name)
		return -ENOMEM;
	memcpy(name, rule->wire, r.wire_len);
	r.flags = MXG_RULE_F_LEARNT;
	if (p->ndead > MXG_POLICY_DEAD_KEEP)
		return reuse_dead(p, &r, name);
	r.name = (__u32)p->nowned;
	p->owned[p->nowned++] = name;
	ret = policy_append(p, &r, name, &first);
	if (ret < 0) {
		free(p->owned[--p->nowned]);
		return (int)ret;
	}
	p->nlearnt++;
	return (int)ret;
}

int policy_unlearn(struct mxg_policy *p, size_t idx)
{
	struct mxg_policy_rule *r = idx < p->n ? &p->rules[idx] : NULL;

	if (!r || (r->flags & (MXG_RULE_F_LEARNT | MXG_RULE_F_DEAD)) !=
		  MXG_RULE_F_LEARNT)
		return -EINVAL;
	if (grow((void **)&p->dead, &p->dead_cap, p->ndead + 1,
		 sizeof(*p->dead)))
		return -ENOMEM;
	index_remove(p, idx);
	r->flags |= MXG_RULE_F_DEAD;
	p->dead[p->ndead++] = (__u32)idx;
	p->nlearnt--;
	return 0;
}

size_t policy_memory(const struct mxg_policy *p)
{
	return p->cap * sizeof(*p->rules) + p->nslots * sizeof(*p->slots) +
	       p->names.bytes + p->generated.bytes +
	       p->owned_cap * sizeof(*p->owned) +
	       p->names.nblocks * sizeof(*p->names.blocks) +
	       p->generated.nblocks * sizeof(*p->generated.blocks) +
	       p->protects_cap * sizeof(*p->protects) +
	       p->protected_cap * sizeof(*p->protected_names) +
	       p->npslots * sizeof(*p->pslots);
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * The policy in the kernel: a complete inner map is built for each load
 * and swapped in with one update of the array-of-maps, so a connect never
 * sees half a policy.  Rules the second look learns go into the map in
 * force.  Each load's protected names are handed to protected.c, which
 * prunes those no policy or record refers to any more.
 */
#include <malloc.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "mxguard.skel.h"
#include "ksim.h"
#include "loader.h"
#include "log.h"
#include "name.h"
#include "protected.h"

/*
 * Rules go in by BPF_MAP_UPDATE_BATCH (5.6+), POLICY_BATCH at a time: a
 * million rules are some 250 system calls instead of a million.  Where the
 * kernel has no batch operations for hash maps the same rules go in one by
 * one.  Either way a failure names the rule that did not go in.
 *
 * A batch takes no BPF_NOEXIST (only BPF_F_LOCK is allowed in elem_flags),
 * so two rules whose suffixes hash alike would not be refused by the
 * kernel: fill_policy() looks for such a pair first, over the sorted keys.
 *
 * The keys and values are built once, in two arrays: the collision check
 * sorts a copy of the keys, and the batches are slices of the arrays (the
 * keys used to be hashed twice and copied into a batch buffer).  With more
 * than one CPU, a second thread puts in the second half: the kernel's
 * inserts (htab_map_update_elem, a cache miss or two per element in a map
 * of 1M) were a third of a 1M-rule start, and two CPUs halve them.
 */
#define POLICY_BATCH	4096
#define POLICY_SPLIT	(8 * POLICY_BATCH)	/* fewer: one thread */
#ifndef ENOTSUPP
#define ENOTSUPP	524	/* the kernel's, as libbpf passes it on */
#endif

/* One thread's share of the rules: [from, to) of the live ones. */
struct fill_job {
	int fd;
	const __u64 *key;
	const struct mxg_rule *val;
	size_t from, to;
	int no_batch;		/* in: known so; out: found so */
	int err;		/* out: -errno of the element at @bad */
	size_t bad;
};

static void *fill_range(void *arg)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct fill_job *j = arg;
	size_t done, end, i;
	__u32 count;
	int err;

	for (done = j->from; done < j->to; done = end) {
		end = j->to - done < POLICY_BATCH ? j->to : done + POLICY_BATCH;
		count = (__u32)(end - done);
		err = j->no_batch ? -EINVAL :
		      bpf_map_update_batch(j->fd, j->key + done, j->val + done,
					   &count, &opts);
		if (!err)
			continue;
		if (err == -EINVAL || err == -ENOTSUPP || err == -EOPNOTSUPP)
			j->no_batch = 1;	/* before 5.6: one by one */
		else if (count < end - done)
			done += count;		/* these went in */
		for (i = done; i < end; i++)
			if (bpf_map_update_elem(j->fd, &j->key[i], &j->val[i],
						BPF_NOEXIST)) {
				j->err = -errno;
				j->bad = i;
				return NULL;
			}
	}
	return NULL;
}

/* Both halves in, or the first failure in rule order. */
static int fill_rules(int *no_batch, int fd, const __u64 *key,
		      const struct mxg_rule *val, size_t n, size_t *bad)
{
	struct fill_job j[2] = {
		{ .fd = fd, .key = key, .val = val, .to = n,
		  .no_batch = *no_batch },
	};
	pthread_t tid;
	int two = n >= 2 * POLICY_SPLIT && loader_cpus() > 1;

	if (two) {
		j[1] = j[0];
		j[0].to = j[1].from = n / 2;
		/* No thread, no harm: this one does it all. */
		if (pthread_create(&tid, NULL, fill_range, &j[1])) {
			two = 0;
			j[0].to = n;
		}
	}
	fill_range(&j[0]);
	if (two)
		pthread_join(tid, NULL);
	*no_batch |= j[0].no_batch | (two && j[1].no_batch);
	if (j[0].err || !two || !j[1].err) {
		*bad = j[0].bad;
		return j[0].err;
	}
	*bad = j[1].bad;
	return j[1].err;
}

/* LSD radix sort, a byte a pass: 1M keys in some 20 ms, qsort took 150. */
static void sort_keys(__u64 *a, __u64 *tmp, size_t n)
{
	size_t count[256], i, sum, c;
	__u64 *from = a, *to = tmp, *t;
	int shift;

	for (shift = 0; shift < 64; shift += 8) {
		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[(from[i] >> shift) & 0xff]++;
		for (i = 0, sum = 0; i < 256; i++) {
			c = count[i];
			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			to[count[(from[i] >> shift) & 0xff]++] = from[i];
		t = from;
		from = to;
		to = t;
	}
	/* Eight passes: the sorted keys are back in @a. */
}

/* The similarity entries (ksim.h) share the map: their keys count too. */
static int no_collision(const __u64 *key, size_t n, const __u64 *sim,
			size_t nsim)
{
	__u64 *keys = malloc((n + nsim + 1) * sizeof(*keys));
	__u64 *tmp = malloc((n + nsim + 1) * sizeof(*tmp));
	size_t i;
	int err = 0;

	if (!keys || !tmp) {
		free(keys);
		free(tmp);
		return -ENOMEM;
	}
	memcpy(keys, key, n * sizeof(*keys));
	memcpy(keys + n, sim, nsim * sizeof(*keys));
	n += nsim;
	sort_keys(keys, tmp, n);
	free(tmp);
	for (i = 1; i < n && !err; i++)
		if (keys[i] == keys[i - 1]) {
			pr_warn("two rules' suffixes share a 64-bit hash "
				"(%016llx): restart with a new pin directory "
				"for a new seed\n",
				(unsigned long long)keys[i]);
			err = -EEXIST;
		}
	free(keys);
	return err;
}

_Static_assert(sizeof(struct mxg_sim) == sizeof(struct mxg_rule),
	       "similarity entries share the policy map's value size");

/*
 * The similarity entries' protected names go into protected_names (after
 * the programs are loaded: the map is the skeleton's), as a rule's do.
 */
static int put_similar_names(struct mxg_loader *l, const struct mxg_policy *p,
			     struct mxg_hashes *protected)
{
	__u64 hash;
	size_t i;
	int err;

	for (i = 0; i < p->nprotects; i++) {
		if (!ksim_eligible(&p->protects[i]))
			continue;
		err = protected_put(l, p->protects[i].wire, p->protects[i].len,
				    protected, &hash);
		if (err) {
			pr_warn("%s:%d: cannot store its protected name: %s\n",
				p->protects[i].file, p->protects[i].line,
				strerror(-err));
			return err;
		}
	}
	return 0;
}

/* The similarity entries, in batches like the rules. */
static int fill_similar(int fd, int *no_batch, const __u64 *keys,
			const struct mxg_sim *vals, size_t n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	size_t i, done, end, want;
	__u32 count;
	int err;

	for (done = 0; done < n; done = end) {
		want = n - done < POLICY_BATCH ? n - done : POLICY_BATCH;
		end = done + want;
		count = want;
		err = *no_batch ? -EINVAL :
		      bpf_map_update_batch(fd, keys + done, vals + done,
					   &count, &opts);
		if (!err)
			continue;
		if (err == -EINVAL || err == -ENOTSUPP || err == -EOPNOTSUPP)
			*no_batch = 1;	/* before 5.6: one by one */
		else if (count < want)
			done += count;		/* these went in */
		for (i = done; i < end; i++)
			if (bpf_map_update_elem(fd, &keys[i], &vals[i],
						BPF_NOEXIST)) {
				err = -errno;
				pr_warn("cannot load similarity entry %zu of "
					"%zu: %s\n", i, n, strerror(-err));
				return err;
			}
	}
	return 0;
}

/*
 * Values of the live rules.  A lookalike rule's protected hash is only
 * computed here (the seed is known before the programs load); the names
 * go into protected_names later, by put_rule_names(), once that map
 * exists.
 */
static void rule_values(struct mxg_loader *l, const struct mxg_policy *p,
			__u32 gen, struct mxg_rule *vals)
{
	const struct mxg_policy_rule *r;
	const __u8 *last_protected = NULL;
	__u64 last_hash = 0;
	struct mxg_rule *val;
	size_t i, n = 0;

	for (i = 0; i < p->n; i++) {
		r = &p->rules[i];
		/* A learnt rule removed again keeps its slot, not its key. */
		if (r->flags & MXG_RULE_F_DEAD)
			continue;
		val = &vals[n++];
		memset(val, 0, sizeof(*val));
		val->rule_id = (gen << 24) | (__u32)i;
		val->verdict = r->kind;
		val->action = r->action;
		val->origin = r->origin;
		if (r->kind != MXG_RULE_LOOKALIKE)
			continue;
		/* Interned names come in runs: hash each run once. */
		if (mxg_rule_protected(p, r) != last_protected) {
			last_protected = mxg_rule_protected(p, r);
			last_hash = mxg_name_hash(l->seed, last_protected,
						  mxg_rule_protected_len(p, r));
		}
		val->protected_hash = last_hash;
	}
}

/*
 * Protected names are interned, and a policy's rules come in runs of one
 * protected name (a protect directive's set, a file of lookalikes of one
 * name): the name goes into the map once per run, not once per rule.
 * With 1M rules of one name that was 1M map updates, most of the start-up
 * time.
 */
static int put_rule_names(struct mxg_loader *l, const struct mxg_policy *p,
			  struct mxg_hashes *protected)
{
	const struct mxg_policy_rule *r;
	const __u8 *last_protected = NULL;
	__u64 hash;
	size_t i;
	int err;

	for (i = 0; i < p->n; i++) {
		r = &p->rules[i];
		if ((r->flags & MXG_RULE_F_DEAD) ||
		    r->kind != MXG_RULE_LOOKALIKE ||
		    mxg_rule_protected(p, r) == last_protected)
			continue;
		err = protected_put(l, mxg_rule_protected(p, r),
				    mxg_rule_protected_len(p, r), protected,
				    &hash);
		if (err) {
			pr_warn("%s:%d: cannot store its protected name: %s\n",
				mxg_rule_file(p, r), r->line, strerror(-err));
			return err;
		}
		last_protected = mxg_rule_protected(p, r);
	}
	return 0;
}

/*
 * A policy map being filled.  The first policy's map is created and
 * filled while the programs are verified (loader.c starts it before
 * bpf_object__load): the kernel's inserts and the verifier were the two
 * halves of a 1M-rule start, one after the other.  The fill needs only
 * the seed and the generation (read from the pinned config, or new), and
 * touches no map of the skeleton; what does (the protected names, the
 * generation, the swap) waits for policy_finish(), after the load.
 */
struct mxg_prefill {
	const struct mxg_policy *p;
	int fd;
	__u32 gen;
	__u64 *keys, *skeys;
	struct mxg_rule *vals;
	struct mxg_sim *svals;
	size_t n, nsim, bad;
	int no_batch;
	int err;		/* of the fill: similarity or rules */
	int rules_failed;	/* the rule at @bad failed, not a sim entry */
	int threaded;
	pthread_t tid;
};

static void prefill_free(struct mxg_prefill *f)
{
	if (f->fd >= 0)
		close(f->fd);
	free(f->keys);
	free(f->vals);
	free(f->skeys);
	free(f->svals);
	free(f);
	/*
	 * Give the arrays' pages back: once glibc has raised its mmap
	 * threshold (at the first free of a large block) they come from the
	 * heap, and stay resident after the free (11 MiB with 1M rules).
	 */
	malloc_trim(0);
}

static void *prefill_run(void *arg)
{
	struct mxg_prefill *f = arg;

	f->err = fill_similar(f->fd, &f->no_batch, f->skeys, f->svals,
			      f->nsim);
	if (!f->err) {
		f->err = fill_rules(&f->no_batch, f->fd, f->keys, f->vals,
				    f->n, &f->bad);
		f->rules_failed = f->err != 0;
	}
	return NULL;
}

/*
 * Create and fill @p's map: in a thread of its own if @thread (the caller
 * goes on to load the programs), else here.  Errors found before the fill
 * (too many rules, no memory, the map refused, a hash collision) are
 * reported and returned at once; those of the fill by policy_finish().
 */
static int policy_begin(struct mxg_loader *l, const struct mxg_policy *p,
			int thread, struct mxg_prefill **out)
{
	/* Room for rules the second look learns while this policy is in force. */
	__u32 entries = p->n + MXG_LEARNED_MAX + ksim_count(p);
	size_t cap = ksim_count(p), i;
	struct mxg_prefill *f;
	struct ksim_stats st;
	__u8 wbuf[MXG_NAME_MAX];
	long nsim;
	int err;

	*out = NULL;
	if (p->n > MXG_RULES_MAX) {
		pr_warn("policy has %zu rules; at most %u fit\n", p->n,
			MXG_RULES_MAX);
		return -E2BIG;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->p = p;
	f->gen = (l->generation + 1) & 0xff;
	f->no_batch = l->no_batch;
	f->fd = bpf_map_create(BPF_MAP_TYPE_HASH, "mxg_policy", sizeof(__u64),
			       sizeof(struct mxg_rule), entries, NULL);
	if (f->fd < 0) {
		err = -errno;
		pr_warn("create policy map (%u entries): %s\n", entries,
			strerror(-err));
		prefill_free(f);
		return err;
	}
	f->skeys = malloc((cap + 1) * sizeof(*f->skeys));
	f->svals = malloc((cap + 1) * sizeof(*f->svals));
	f->keys = malloc((p->n + 1) * sizeof(*f->keys));
	f->vals = malloc((p->n + 1) * sizeof(*f->vals));
	for (i = 0; f->keys && i < p->n; i++)
		if (!(p->rules[i].flags & MXG_RULE_F_DEAD))
			f->keys[f->n++] = mxg_name_hash(
				l->seed, mxg_rule_wire(p, &p->rules[i], wbuf),
				p->rules[i].wire_len);
	nsim = f->skeys && f->svals && f->keys && f->vals ?
	       ksim_build(p, l->seed, f->gen, f->skeys, f->svals, &st) :
	       -ENOMEM;
	err = nsim < 0 ? (int)nsim :
	      no_collision(f->keys, f->n, f->skeys, (size_t)nsim);
	if (err) {
		prefill_free(f);
		return err;
	}
	if (st.dropped)
		pr_debug("similarity: %zu entries beyond %u per hash not "
			 "filed (the second look still sees those names)\n",
			 st.dropped, MXG_SIM_SLOTS);
	if (st.two_skipped)
		pr_info("similarity: %zu protected names past the first "
			"%u two-deletions: their two-edit names are the second "
			"look's\n", st.two_skipped, KSIM_TWO_MAX);
	f->nsim = (size_t)nsim;
	rule_values(l, p, f->gen, f->vals);
	/* No thread, no harm: the fill runs here, before the load. */
	f->threaded = thread && !pthread_create(&f->tid, NULL, prefill_run, f);
	if (!f->threaded)
		prefill_run(f);
	*out = f;
	return 0;
}

/* Wait for the fill; report its error as the fill did before. */
static int prefill_wait(struct mxg_loader *l, struct mxg_prefill *f)
{
	const struct mxg_policy_rule *r;

	if (f->threaded)
		pthread_join(f->tid, NULL);
	f->threaded = 0;
	l->no_batch |= f->no_batch;
	if (f->err && f->rules_failed) {
		/* The value names its rule: (gen << 24) | index. */
		r = &f->p->rules[f->vals[f->bad].rule_id & 0xffffff];
		pr_warn("%s:%d: cannot load rule: %s\n",
			mxg_rule_file(f->p, r), r->line,
			strerror(-f->err));
	}
	return f->err;
}

/*
 * The generation is remembered in the pinned config, so a restarted daemon
 * counts on from it.  It is written before the swap: a config ahead of the
 * kernel only makes a restarted daemon skip a generation (records of the
 * skipped one are then judged as of an unknown rule), while one behind
 * would make it reuse the generation of the rule ids in the kernel, and
 * name wrong rules.
 */
static int store_generation(struct mxg_loader *l, __u32 gen)
{
	int fd = bpf_map__fd(l->skel->maps.config_map);
	struct mxg_config cfg;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(fd, &zero, &cfg))
		return -errno;
	cfg.policy_gen = gen;
	return bpf_map_update_elem(fd, &zero, &cfg, BPF_ANY) ? -errno : 0;
}

/* Generation stored, then the swap: one update of slot 0. */
static int publish(struct mxg_loader *l, int fd, __u32 gen)
{
	__u32 zero = 0;
	int err;

	err = store_generation(l, gen);
	if (err) {
		pr_warn("store policy generation %u: %s\n", gen,
			strerror(-err));
		return err;
	}
	/*
	 * The swap, then the cache's epoch (bpf/vcache.bpf.h).  The swap
	 * stands whatever the bump says: an array's one slot does not
	 * refuse an update, and the bump reports itself.
	 */
	if (!bpf_map_update_elem(bpf_map__fd(l->skel->maps.policy), &zero,
				 &fd, BPF_ANY)) {
		loader_vcache_bump(l);
		return 0;
	}
	err = -errno;
	pr_warn("swap in the new policy map: %s\n", strerror(-err));
	/* Best effort: left ahead, the stored generation is still safe. */
	store_generation(l, l->generation);
	return err;
}

/* The new generation is in force: its names replace the oldest. */
static void rotate_protected(struct mxg_loader *l, struct mxg_hashes *next)
{
	long pruned;

	hashes_free(&l->protected_prev);
	l->protected_prev = l->protected_now;
	l->protected_now = *next;
	pruned = protected_prune(l);
	if (pruned < 0)
		pr_warn("protected names of old policies left in the map: %s\n",
			strerror((int)-pruned));
	else if (pruned)
		pr_debug("deleted %ld protected names no policy refers to\n",
			 pruned);
}

/* The fill done (or failed): names in, then generation and swap. */
static int policy_finish(struct mxg_loader *l, struct mxg_prefill *f)
{
	struct mxg_hashes protected = { 0 };
	const struct mxg_policy *p = f->p;
	__u32 gen = f->gen;
	int err;

	err = prefill_wait(l, f);
	if (!err)
		err = put_similar_names(l, p, &protected);
	if (!err)
		err = put_rule_names(l, p, &protected);
	if (!err)
		err = publish(l, f->fd, gen);
	if (err) {
		prefill_free(f);
		hashes_free(&protected);
		/* What the failed fill put in is referred to by nothing. */
		protected_prune(l);
		return err;
	}
	/*
	 * Keep the map in force open: rules learnt later go into it, and
	 * BPF_MAP_GET_FD_BY_ID would need CAP_SYS_ADMIN, which is dropped.
	 */
	if (l->policy_fd >= 0)
		close(l->policy_fd);
	l->policy_fd = f->fd;
	f->fd = -1;
	prefill_free(f);
	l->policy_entries = p->n;
	l->generation = gen;
	hashes_seal(&protected);
	rotate_protected(l, &protected);
	return 0;
}

int loader_set_policy(struct mxg_loader *l, const struct mxg_policy *p)
{
	struct mxg_prefill *f;
	int err;

	err = policy_begin(l, p, 0, &f);
	return err ? err : policy_finish(l, f);
}

int loader_begin_policy(struct mxg_loader *l, const struct mxg_policy *p)
{
	return policy_begin(l, p, 1, &l->prefill);
}

int loader_finish_policy(struct mxg_loader *l)
{
	struct mxg_prefill *f = l->prefill;

	l->prefill = NULL;
	return f ? policy_finish(l, f) : -EINVAL;
}

void loader_abort_policy(struct mxg_loader *l)
{
	struct mxg_prefill *f = l->prefill;

	l->prefill = NULL;
	if (!f)
		return;
	if (f->threaded)
		pthread_join(f->tid, NULL);
	prefill_free(f);
}

int loader_add_rule(struct mxg_loader *l, const struct mxg_policy *p,
		    size_t idx)
{
	const struct mxg_policy_rule *r = &p->rules[idx];
	struct mxg_rule val = {
		.rule_id = (l->generation << 24) | (__u32)idx,
		.verdict = r->kind,
		.action = r->action,
		.origin = r->origin,
	};
	__u8 wbuf[MXG_NAME_MAX];
	__u64 key;
	int err;

	if (idx >= MXG_RULES_MAX || l->policy_fd < 0)
		return -E2BIG;
	if (r->kind == MXG_RULE_LOOKALIKE) {
		err = protected_put(l, mxg_rule_protected(p, r),
				    mxg_rule_protected_len(p, r),
				    &l->protected_now, &val.protected_hash);
		hashes_seal(&l->protected_now);
		if (err)
			return err;
	}
	key = mxg_name_hash(l->seed, mxg_rule_wire(p, r, wbuf), r->wire_len);
	/* A full map refuses: the rule is then reported, not enforced. */
	if (bpf_map_update_elem(l->policy_fd, &key, &val, BPF_NOEXIST))
		return -errno;
	return loader_vcache_bump(l);
}

int loader_remove_rule(struct mxg_loader *l, const struct mxg_policy *p,
		       size_t idx)
{
	const struct mxg_policy_rule *r = &p->rules[idx];
	__u8 wbuf[MXG_NAME_MAX];
	__u64 key = mxg_name_hash(l->seed, mxg_rule_wire(p, r, wbuf),
				  r->wire_len);

	if (l->policy_fd < 0)
		return -EBADF;
	if (bpf_map_delete_elem(l->policy_fd, &key))
		return -errno;
	return loader_vcache_bump(l);
}

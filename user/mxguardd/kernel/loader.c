// SPDX-License-Identifier: GPL-2.0-only
/*
 * The datapath's life: open the BPF object, hand it to the probes, pin its
 * maps, load it, attach it (or adopt the links a previous daemon pinned),
 * and take it all down again on --unload.  The policy map lives in
 * policymap.c, the walks over the taint maps and the counters in taints.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "mxguard.skel.h"
#include "cgroup.h"
#include "loader.h"
#include "log.h"
#include "probe.h"
#include "protected.h"

static int pin_path(char *buf, size_t sz, const char *dir, const char *name)
{
	if ((size_t)snprintf(buf, sz, "%s/%s", dir, name) >= sz)
		return -ENAMETOOLONG;
	return 0;
}

/* Every map but the internal ones is pinned, so state outlives us. */
/*
 * A pinned map from another version of mxguard (a map that changed type or
 * size) cannot be adopted, and libbpf only says "parameter mismatch".  Say
 * what it means: the old datapath still enforces, and --unload replaces it.
 */
static int pinned_compatible(const struct bpf_map *map, const char *path,
			     const char *pin_dir)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(path), ok;

	if (fd < 0)
		return 1;	/* not pinned yet: a fresh start */
	memset(&info, 0, sizeof(info));
	ok = !bpf_obj_get_info_by_fd(fd, &info, &len) &&
	     info.type == bpf_map__type(map) &&
	     info.key_size == bpf_map__key_size(map) &&
	     info.value_size == bpf_map__value_size(map) &&
	     (info.type == BPF_MAP_TYPE_SK_STORAGE ||
	      info.type == BPF_MAP_TYPE_RINGBUF ||
	      info.max_entries == bpf_map__max_entries(map));
	close(fd);
	if (!ok)
		pr_warn("%s was pinned by another version of mxguard (its type "
			"or size differs): the old datapath is still enforcing; "
			"run `mxguardd --unload --pin-dir %s`, then start this "
			"one\n", path, pin_dir);
	return ok;
}

/*
 * With @defer, a map not pinned yet is left without a pin path: it is
 * created unpinned by the load, and pin_deferred() pins it once the policy
 * is known to be good, so a start that fails on its policy leaves no pins.
 * A pin that exists is reused either way; the load writes nothing to it.
 */
static int set_map_pins(struct mxg_loader *l, int defer)
{
	struct bpf_map *map;
	char path[768];
	int err;

	bpf_object__for_each_map(map, l->skel->obj) {
		if (bpf_map__is_internal(map))
			continue;
		err = pin_path(path, sizeof(path), l->pin_dir,
			       bpf_map__name(map));
		if (!err && !pinned_compatible(map, path, l->pin_dir))
			err = -EEXIST;
		if (!err && defer && access(path, F_OK))
			continue;
		if (!err)
			err = bpf_map__set_pin_path(map, path);
		if (err)
			return err;
	}
	return 0;
}

static int pin_deferred(struct mxg_loader *l)
{
	struct bpf_map *map;
	char path[768];
	int err;

	bpf_object__for_each_map(map, l->skel->obj) {
		if (bpf_map__is_internal(map) || bpf_map__pin_path(map))
			continue;
		err = pin_path(path, sizeof(path), l->pin_dir,
			       bpf_map__name(map));
		if (!err)
			err = bpf_map__pin(map, path);
		if (err) {
			pr_warn("pin %s: %s\n", path, strerror(-err));
			return err;
		}
	}
	return 0;
}

/*
 * The seed and generation from config map @fd when a previous daemon left
 * them (adopting: keep the seed, and count generations onwards), else a
 * new seed.
 */
static int seed_from(struct mxg_loader *l, int fd)
{
	struct mxg_config cfg;
	__u32 zero = 0;

	if (fd >= 0 && bpf_map_lookup_elem(fd, &zero, &cfg) == 0 &&
	    cfg.enabled) {
		l->seed = cfg.hash_seed;
		l->generation = cfg.policy_gen;
		return 0;
	}
	if (getrandom(&l->seed, sizeof(l->seed), 0) != sizeof(l->seed))
		return -errno;
	return 0;
}

/*
 * The seed and generation before the programs load, so the first policy's
 * map can be filled meanwhile: from the pinned config a previous daemon
 * left (the pin lock keeps any other writer away), else a new seed.
 * read_seed() checks the loaded map agrees.
 */
static int early_seed(struct mxg_loader *l)
{
	char path[768];
	int fd, err;

	err = pin_path(path, sizeof(path), l->pin_dir, "config_map");
	if (err)
		return err;
	fd = bpf_obj_get(path);
	err = seed_from(l, fd);
	if (fd >= 0)
		close(fd);
	return err;
}

static int read_seed(struct mxg_loader *l)
{
	struct mxg_config cfg;
	__u32 zero = 0;
	int fd = bpf_map__fd(l->skel->maps.config_map);

	if (l->prefill || l->early) {
		/* early_seed() read it: the map filling is keyed by it. */
		if (bpf_map_lookup_elem(fd, &zero, &cfg) == 0 &&
		    cfg.enabled && (cfg.hash_seed != l->seed ||
				    cfg.policy_gen != l->generation)) {
			pr_warn("the pinned config changed while the "
				"programs loaded\n");
			return -ESTALE;
		}
		return 0;
	}
	return seed_from(l, fd);
}

/*
 * The ports again as the connects' bitmap (bpf/maps.bpf.h: port_bits),
 * after the ports map.  A word that changes is written twice: with its
 * new bits and filled 0, then filled 1, so a connect that reads it while
 * the kernel copies it sees either "ask the ports map" or bits that are
 * the same in both copies, never a torn word that is trusted.
 */
static int write_port_bits(int fd, const struct mxg_settings *s)
{
	struct mxg_port_word want[MXG_PORT_WORDS] = { { 0 } }, have;
	__u32 w;
	int i;

	for (i = 0; i < s->nports; i++)
		want[s->ports[i] >> 6].bits |= 1ULL << (s->ports[i] & 63);
	for (w = 0; w < MXG_PORT_WORDS; w++) {
		want[w].filled = 1;
		if (!bpf_map_lookup_elem(fd, &w, &have) &&
		    have.bits == want[w].bits && have.filled == 1)
			continue;
		have.bits = want[w].bits;
		have.filled = 0;
		if (bpf_map_update_elem(fd, &w, &have, BPF_ANY) ||
		    bpf_map_update_elem(fd, &w, &want[w], BPF_ANY))
			return -errno;
	}
	return 0;
}

static int write_settings(struct mxg_loader *l, const struct mxg_settings *s)
{
	struct mxg_config cfg = {
		.hash_seed = l->seed,
		.ttl_min_ns = s->ttl_min_s * 1000000000ULL,
		.ttl_max_ns = s->ttl_max_s * 1000000000ULL,
		.mode = s->mode,
		.scope = s->scope,
		.enabled = 1,
		.policy_gen = l->generation,
	};
	int pfd = bpf_map__fd(l->skel->maps.ports);
	__u16 key, next;
	__u32 zero = 0;
	__u8 one = 1;
	int i, err;

	/* Drop ports no longer wanted (0 is never a port), then add. */
	for (key = 0; bpf_map_get_next_key(pfd, &key, &next) == 0;) {
		for (i = 0; i < s->nports && s->ports[i] != next; i++)
			;
		if (i == s->nports)
			bpf_map_delete_elem(pfd, &next);
		else
			key = next;
	}
	for (i = 0; i < s->nports; i++)
		if (bpf_map_update_elem(pfd, &s->ports[i], &one, BPF_ANY))
			return -errno;
	err = write_port_bits(bpf_map__fd(l->skel->maps.port_bits), s);
	if (err)
		return err;
	if (bpf_map_update_elem(bpf_map__fd(l->skel->maps.config_map), &zero,
				&cfg, BPF_ANY))
		return -errno;
	return 0;
}

static int attach_one(struct mxg_loader *l, struct bpf_program *prog,
		      int cgfd, __u64 cgid)
{
	struct bpf_link_info info;
	__u32 len = sizeof(info);
	struct bpf_link *link;
	char path[768];
	int err;

	err = pin_path(path, sizeof(path), l->pin_dir,
		       bpf_program__name(prog));
	if (err)
		return err;
	link = access(path, F_OK) == 0 ? bpf_link__open(path) : NULL;
	if (link) {
		/* Adopt: swap the program under the pinned link, no gap. */
		memset(&info, 0, sizeof(info));
		if (!bpf_obj_get_info_by_fd(bpf_link__fd(link), &info, &len) &&
		    info.cgroup.cgroup_id != cgid) {
			pr_warn("%s is attached to another cgroup (id %llu); "
				"run mxguardd --unload first\n", path,
				(unsigned long long)info.cgroup.cgroup_id);
			bpf_link__disconnect(link);
			bpf_link__destroy(link);
			return -EEXIST;
		}
		err = bpf_link__update_program(link, prog);
		bpf_link__disconnect(link);
		bpf_link__destroy(link);
		l->adopted = 1;
		return err;
	}
	link = bpf_program__attach_cgroup(prog, cgfd);
	if (!link) {
		err = -errno;
		pr_warn("attach %s: %s (cgroup BPF links need Linux 5.7+)\n",
			bpf_program__name(prog), strerror(-err));
		return err;
	}
	err = bpf_link__pin(link, path);
	bpf_link__disconnect(link);
	bpf_link__destroy(link);
	return err;
}

static int attach_all(struct mxg_loader *l, const char *cgroup)
{
	struct bpf_program *prog;
	__u64 cgid;
	int cgfd, err = 0;

	cgfd = open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0) {
		err = -errno;
		log_warn("open cgroup %s", cgroup);
		return err;
	}
	err = cgroup_id_of(cgroup, &cgid);
	bpf_object__for_each_program(prog, l->skel->obj) {
		if (err)
			break;
		err = attach_one(l, prog, cgfd, cgid);
	}
	close(cgfd);
	return err;
}

/*
 * One daemon per pin directory: a second would swap its programs under the
 * first's links and reconcile the first's maps.  Held until we exit (the
 * kernel releases it if we die), so it lives outside struct mxg_loader,
 * which loader_close() tears down before an unload.
 */
static int pin_lock_fd = -1;

static int hold_pin_lock(const char *dir)
{
	int fd;

	if (pin_lock_fd >= 0)
		return 0;
	fd = bpffs_lock(dir);
	if (fd == -EBUSY)
		pr_warn("already running: another mxguardd holds %s\n", dir);
	else if (fd < 0)
		pr_warn("lock %s: %s\n", dir, strerror(-fd));
	if (fd < 0)
		return fd;
	pin_lock_fd = fd;
	return 0;
}

/*
 * The programs loading while the policy is parsed (loader_open()): the
 * thread runs open_load(), and says when the seed is known, which is all
 * the policy's fill needs.  Nothing it does writes a pinned map or makes
 * a pin (set_map_pins()'s @defer), so a bad policy leaves no trace.
 */
struct mxg_early {
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int seeded;		/* early_seed() done, or the thread failed */
	int seed_ok;		/* ... and it succeeded: the fill may begin */
	int err;		/* of open_load(), once joined */
	int made_dir;		/* the pin directory was not there before */
};

static void early_signal(struct mxg_early *e)
{
	pthread_mutex_lock(&e->mu);
	e->seeded = 1;
	pthread_cond_broadcast(&e->cv);
	pthread_mutex_unlock(&e->mu);
}

/*
 * Open and load the programs.  With @first, the policy's map is created
 * and filled while the verifier runs; with @e, the seed is announced
 * instead and the caller begins the fill.
 */
static int open_load(struct mxg_loader *l, const struct mxg_policy *first,
		     struct mxg_early *e)
{
	struct stat st;
	int err;

	err = probe_kernel();
	if (err)
		return err;
	if (e && stat(l->pin_dir, &st) && errno == ENOENT)
		e->made_dir = 1;
	err = bpffs_prepare(l->pin_dir);
	if (!err)
		err = hold_pin_lock(l->pin_dir);
	if (err)
		return err;
	l->skel = mxguard_bpf__open();
	if (!l->skel) {
		err = -errno;
		pr_warn("open BPF object: %s\n", strerror(-err));
		return err;
	}
	l->lineage = probe_datapath(l->skel);
	err = set_map_pins(l, e != NULL);
	if (err)
		return err;
	if (first || e) {
		err = early_seed(l);
		if (err) {
			pr_warn("read the hash seed: %s\n", strerror(-err));
			return err;
		}
	}
	if (e) {
		e->seed_ok = 1;
		early_signal(e);
	} else if (first) {
		err = loader_begin_policy(l, first);
		if (err)
			return err;
	}
	err = mxguard_bpf__load(l->skel);
	if (err)
		pr_warn("load BPF programs: %s (run with -v for the verifier "
			"log)\n", strerror(-err));
	return err;
}

static void *early_run(void *arg)
{
	struct mxg_loader *l = arg;
	struct mxg_early *e = l->early;

	e->err = open_load(l, NULL, e);
	early_signal(e);	/* a failure before the seed wakes the waiter */
	return NULL;
}

int loader_cpus(void)
{
	cpu_set_t set;
	int n;

	/* Those we may run on (taskset, a cpuset), not those online. */
	if (sched_getaffinity(0, sizeof(set), &set))
		return (int)sysconf(_SC_NPROCESSORS_ONLN);
	n = CPU_COUNT(&set);
	return n > 0 ? n : 1;
}

int loader_open(struct mxg_loader *l, const char *pin_dir)
{
	struct mxg_early *e;

	memset(l, 0, sizeof(*l));
	l->policy_fd = -1;
	snprintf(l->pin_dir, sizeof(l->pin_dir), "%s", pin_dir);
	/* On one CPU the parse and the verifier would only take turns. */
	if (loader_cpus() < 2)
		return -EAGAIN;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	pthread_mutex_init(&e->mu, NULL);
	pthread_cond_init(&e->cv, NULL);
	l->early = e;
	if (pthread_create(&e->tid, NULL, early_run, l)) {
		l->early = NULL;
		free(e);
		return -EAGAIN;
	}
	return 0;
}

/* Join the thread; its error, and @l->early gone. */
static int early_join(struct mxg_loader *l, int *made_dir)
{
	struct mxg_early *e = l->early;
	int err;

	pthread_join(e->tid, NULL);
	err = e->err;
	*made_dir = e->made_dir;
	pthread_mutex_destroy(&e->mu);
	pthread_cond_destroy(&e->cv);
	free(e);
	l->early = NULL;
	return err;
}

void loader_cancel(struct mxg_loader *l)
{
	int made_dir;

	if (!l->early)
		return;
	early_join(l, &made_dir);
	loader_abort_policy(l);
	mxguard_bpf__destroy(l->skel);
	l->skel = NULL;
	/* Ours and still empty: as if we never started (fails if not). */
	if (made_dir)
		rmdir(l->pin_dir);
}

/* loader_open()'s thread: the seed, the fill begun, the programs loaded. */
static int early_finish(struct mxg_loader *l, const struct mxg_policy *first)
{
	struct mxg_early *e = l->early;
	int err = 0, loaded, made_dir, seed_ok;

	pthread_mutex_lock(&e->mu);
	while (!e->seeded)
		pthread_cond_wait(&e->cv, &e->mu);
	seed_ok = e->seed_ok;
	pthread_mutex_unlock(&e->mu);
	/* The fill runs while the verifier does, as in open_load(). */
	if (first && seed_ok)
		err = loader_begin_policy(l, first);
	loaded = early_join(l, &made_dir);
	if (!err)
		err = loaded;
	return err ? err : pin_deferred(l);
}

int loader_start(struct mxg_loader *l, const struct mxg_settings *s,
		 const struct mxg_policy *first)
{
	int err;

	if (l->early) {
		err = early_finish(l, first);
	} else {
		memset(l, 0, sizeof(*l));
		l->policy_fd = -1;
		snprintf(l->pin_dir, sizeof(l->pin_dir), "%s", s->pin_dir);
		err = open_load(l, first, NULL);
	}
	if (err)
		goto cleanup;
	err = read_seed(l);
	if (!err)
		err = write_settings(l, s);
	/* A new seed, or pins of another daemon: nothing cached holds. */
	if (!err)
		err = loader_vcache_bump(l);
	if (err) {
		pr_warn("write settings: %s\n", strerror(-err));
		goto cleanup;
	}
	return 0;
cleanup:
	loader_abort_policy(l);
	mxguard_bpf__destroy(l->skel);
	l->skel = NULL;
	return err;
}

/*
 * Retire every verdict the datapath cached (bpf/vcache.bpf.h): called
 * after each change to the policy's contents.  The epoch only goes up;
 * a failed write is reported, and the caller's change fails with it, so
 * no change stands while cached verdicts of the old policy are used.
 */
int loader_vcache_bump(struct mxg_loader *l)
{
	int fd = bpf_map__fd(l->skel->maps.vcache_epoch);
	__u32 zero = 0;
	__u64 epoch = 0;

	if (bpf_map_lookup_elem(fd, &zero, &epoch))
		return -errno;
	epoch++;
	if (bpf_map_update_elem(fd, &zero, &epoch, BPF_ANY)) {
		pr_warn("retire cached verdicts: %s\n", strerror(errno));
		return -errno;
	}
	return 0;
}

int loader_use_skel(struct mxg_loader *l, struct mxguard_bpf *skel,
		    __u64 seed, const struct mxg_settings *s)
{
	memset(l, 0, sizeof(*l));
	l->policy_fd = -1;
	l->skel = skel;
	l->seed = seed;
	return write_settings(l, s);
}

int loader_attach(struct mxg_loader *l, const char *cgroup)
{
	return attach_all(l, cgroup);
}

int loader_lineage_depth(const struct mxg_loader *l)
{
	/* Self plus MXG_ANCESTRY_MAX - 1 ancestors, when the walk runs. */
	return l->skel && l->skel->rodata->walk_ancestry ?
	       MXG_ANCESTRY_MAX - 1 : 0;
}

int loader_events_fd(const struct mxg_loader *l)
{
	return bpf_map__fd(l->skel->maps.events);
}

int loader_queries_fd(const struct mxg_loader *l)
{
	return bpf_map__fd(l->skel->maps.queries);
}

void loader_close(struct mxg_loader *l)
{
	loader_cancel(l);
	loader_abort_policy(l);
	if (l->policy_fd >= 0)
		close(l->policy_fd);
	l->policy_fd = -1;
	hashes_free(&l->protected_now);
	hashes_free(&l->protected_prev);
	mxguard_bpf__destroy(l->skel);
	l->skel = NULL;
}

static void detach_pinned_link(const char *path)
{
	int fd = bpf_obj_get(path);

	if (fd < 0)
		return;
	/* A map's fd: BPF_LINK_DETACH fails with EINVAL, as it should. */
	bpf_link_detach(fd);
	close(fd);
}

/*
 * Detach and unpin @name in @dfd (the open @dir).  Only a regular file is
 * ours: bpffs shows pins as regular files, and a symlink or directory
 * under one of our names was put there by someone else.
 */
static int unpin(int dfd, const char *dir, const char *name)
{
	char path[768];
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISREG(st.st_mode)) {
		pr_warn("%s/%s is not a pin: left alone\n", dir, name);
		return -EEXIST;
	}
	if (pin_path(path, sizeof(path), dir, name))
		return -ENAMETOOLONG;
	detach_pinned_link(path);
	if (unlinkat(dfd, name, 0)) {
		log_warn("remove %s", path);
		return -errno;
	}
	return 0;
}

/* Name what we did not remove: pins of another version, or not pins. */
static void report_leftovers(int dfd, const char *dir)
{
	struct dirent *de;
	int n = 0, fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && n++ < 8)
			pr_warn("%s/%s is not a pin of this mxguardd: kept\n",
				dir, de->d_name);
	if (n > 8)
		pr_warn("... and %d more in %s\n", n - 8, dir);
	closedir(d);
}

static void remove_dir(int dfd, const char *dir)
{
	if (!rmdir(dir) || errno == ENOENT)
		return;
	if (errno == ENOTEMPTY)
		report_leftovers(dfd, dir);
	else
		log_warn("remove %s", dir);
}

/*
 * Pins of maps this build no longer has, removed by --unload too: the
 * verdict cache of one slot an element (now vcache_sets).
 */
static const char *const retired_maps[] = { "vcache" };

/*
 * Only what this build pins, by name, and only on bpffs (as xdp-tools
 * does): a wrong --pin-dir must not empty a directory of files.  Links
 * go first, each detached before it is unpinned: the last reference going
 * away releases a link only later (RCU), and a connect in between would
 * still be judged.  BPF_LINK_DETACH needs Linux 5.9; before that,
 * unlinking is still what detaches.
 */
int loader_unload(const char *pin_dir)
{
	struct mxguard_bpf *skel = NULL;
	struct bpf_program *prog;
	struct bpf_map *map;
	int dfd, err = 0, e;

	dfd = bpffs_open_dir(pin_dir);
	if (dfd == -ENOENT)
		return 0;		/* nothing pinned */
	if (dfd == -EMEDIUMTYPE) {
		pr_warn("%s is not on a bpf file system, so it holds no pins: "
			"nothing removed\n", pin_dir);
		return dfd;
	}
	if (dfd < 0) {
		pr_warn("open %s: %s\n", pin_dir, strerror(-dfd));
		return dfd;
	}
	skel = mxguard_bpf__open();
	if (!skel) {
		err = -errno;
		pr_warn("open BPF object: %s\n", strerror(-err));
		goto cleanup;
	}
	bpf_object__for_each_program(prog, skel->obj) {
		e = unpin(dfd, pin_dir, bpf_program__name(prog));
		err = err ? err : e;
	}
	bpf_object__for_each_map(map, skel->obj) {
		if (bpf_map__is_internal(map))
			continue;
		e = unpin(dfd, pin_dir, bpf_map__name(map));
		err = err ? err : e;
	}
	/* Maps earlier builds pinned and this one replaced. */
	for (size_t i = 0; i < sizeof(retired_maps) / sizeof(*retired_maps);
	     i++) {
		e = unpin(dfd, pin_dir, retired_maps[i]);
		err = err ? err : e;
	}
	remove_dir(dfd, pin_dir);
cleanup:
	mxguard_bpf__destroy(skel);
	close(dfd);
	return err;
}

int loader_set_responder(struct mxg_loader *l, __u16 port, __u32 mark)
{
	struct mxg_responder r = { .mark = mark, .port = port };
	__u32 zero = 0;

	if (bpf_map_update_elem(bpf_map__fd(l->skel->maps.responder), &zero,
				&r, BPF_ANY))
		return -errno;
	return 0;
}

int loader_redirects_fd(struct mxg_loader *l)
{
	return bpf_map__fd(l->skel->maps.redirects);
}

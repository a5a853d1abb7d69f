// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "procsock.h"

struct proc {
	pid_t pid, ppid;
};

/* Room for one more element in *@arr, doubling. */
static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
	size_t want = *cap ? *cap * 2 : 64;
	void *p;

	if (n < *cap)
		return 0;
	p = reallocarray(*arr, want, size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = want;
	return 0;
}

static int pids_add(struct procsock_pids *p, pid_t pid)
{
	if (p->n == PROCSOCK_PROCS_MAX) {
		p->incomplete = 1;
		return -ENOSPC;
	}
	if (grow((void **)&p->pid, &p->cap, p->n, sizeof(*p->pid)))
		return -ENOMEM;
	p->pid[p->n++] = pid;
	return 0;
}

static pid_t numeric(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	return *s && !*end && v > 0 ? (pid_t)v : 0;
}

/* The ppid field of /proc/<pid>/stat; comm may hold any byte, even ')'. */
static int read_ppid(int procfd, pid_t pid, pid_t *ppid)
{
	char path[32], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%d/stat", pid);
	fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && sscanf(p + 1, " %*c %d", ppid) == 1 ? 0 : -EINVAL;
}

static int by_ppid(const void *a, const void *b)
{
	const struct proc *x = a, *y = b;

	return (x->ppid > y->ppid) - (x->ppid < y->ppid);
}

/* Every process's (pid, ppid), sorted by ppid; at most PROCS_MAX of them. */
static int read_table(struct proc **tab, size_t *n, int *incomplete)
{
	size_t cap = 0;
	struct dirent *de;
	DIR *dir = opendir("/proc");
	pid_t pid, ppid;

	*tab = NULL;
	*n = 0;
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		pid = numeric(de->d_name);
		if (!pid || read_ppid(dirfd(dir), pid, &ppid))
			continue;	/* not a process, or it just exited */
		if (*n == PROCSOCK_PROCS_MAX) {
			*incomplete = 1;
			break;
		}
		if (grow((void **)tab, &cap, *n, sizeof(**tab))) {
			*incomplete = 1;
			break;
		}
		(*tab)[(*n)++] = (struct proc){ pid, ppid };
	}
	closedir(dir);
	qsort(*tab, *n, sizeof(**tab), by_ppid);
	return 0;
}

/* Append the children of @parent (the table is sorted by ppid). */
static void add_children(const struct proc *tab, size_t n, pid_t parent,
			 struct procsock_pids *out)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (tab[mid].ppid < parent)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n && tab[lo].ppid == parent; lo++)
		if (pids_add(out, tab[lo].pid))
			return;
}

static int in_table(const struct proc *tab, size_t n, pid_t pid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (tab[i].pid == pid)
			return 1;
	return 0;
}

int procsock_lineage(pid_t root, int depth, struct procsock_pids *out)
{
	struct proc *tab;
	size_t n, level, end, i;
	int d, err;

	if (root <= 0)
		return -EINVAL;
	err = read_table(&tab, &n, &out->incomplete);
	if (err)
		return err;
	/* An exited resolver's children were reparented: none to find. */
	if (!in_table(tab, n, root) || pids_add(out, root)) {
		free(tab);
		return 0;
	}
	level = out->n - 1;
	end = out->n;
	for (d = 0; d < depth && level < end; d++) {
		for (i = level; i < end; i++)
			add_children(tab, n, out->pid[i], out);
		level = end;
		end = out->n;
	}
	free(tab);
	return 0;
}

int procsock_all(struct procsock_pids *out)
{
	struct dirent *de;
	DIR *dir = opendir("/proc");
	pid_t pid;

	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		pid = numeric(de->d_name);
		if (pid && pids_add(out, pid))
			break;
	}
	closedir(dir);
	return 0;
}

int procsock_ppid(pid_t pid, pid_t *ppid)
{
	int fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC), err;

	if (fd < 0)
		return -errno;
	err = read_ppid(fd, pid, ppid);
	close(fd);
	return err;
}

int procsock_cgroup(const char *dir, struct procsock_pids *out)
{
	char path[4200], line[32];
	FILE *f;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		pid = numeric(line);
		if (pid && pids_add(out, pid))
			break;
	}
	fclose(f);
	return 0;
}

static void read_comm(pid_t pid, char comm[16])
{
	char path[32];
	ssize_t n;
	int fd;

	comm[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, comm, 15);
	close(fd);
	comm[n > 0 ? n : 0] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
}

static int held_add(struct procsock_held *h, __u64 inode, pid_t pid,
		    const char *comm)
{
	if (grow((void **)&h->e, &h->cap, h->n, sizeof(*h->e)))
		return -ENOMEM;
	h->e[h->n].inode = inode;
	h->e[h->n].pid = pid;
	memcpy(h->e[h->n].comm, comm, 16);
	h->n++;
	return 0;
}

/* One process's socket:[inode] links; @budget counts fds left to examine. */
static void scan_one(pid_t pid, struct procsock_held *out, size_t *budget)
{
	char path[32], link[64], comm[16];
	unsigned long long inode;
	struct dirent *de;
	ssize_t n;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	if (!dir) {
		/* Gone is fine; refused means we cannot tell what it holds. */
		if (errno != ENOENT) {
			log_warn("%s", path);
			out->incomplete = 1;
		}
		return;
	}
	read_comm(pid, comm);
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		if (!*budget) {
			out->incomplete = 1;
			break;
		}
		(*budget)--;
		n = readlinkat(dirfd(dir), de->d_name, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (sscanf(link, "socket:[%llu]", &inode) == 1 &&
		    held_add(out, inode, pid, comm)) {
			out->incomplete = 1;
			break;
		}
	}
	closedir(dir);
}

static int by_inode(const void *a, const void *b)
{
	const struct procsock_holder *x = a, *y = b;

	return (x->inode > y->inode) - (x->inode < y->inode);
}

void procsock_scan(const struct procsock_pids *pids, struct procsock_held *out)
{
	size_t budget = PROCSOCK_FDS_MAX, i;

	for (i = 0; i < pids->n; i++)
		scan_one(pids->pid[i], out, &budget);
	if (out->n)
		qsort(out->e, out->n, sizeof(*out->e), by_inode);
}

const struct procsock_holder *procsock_find(const struct procsock_held *h,
					    __u64 inode)
{
	struct procsock_holder key = { .inode = inode };

	if (!h->n)
		return NULL;
	return bsearch(&key, h->e, h->n, sizeof(*h->e), by_inode);
}

size_t procsock_holders(const struct procsock_held *h, __u64 inode,
			const struct procsock_holder **first)
{
	const struct procsock_holder *e = procsock_find(h, inode), *end;

	*first = NULL;
	if (!e)
		return 0;
	while (e > h->e && e[-1].inode == inode)
		e--;
	for (end = e; end < h->e + h->n && end->inode == inode; end++)
		;
	*first = e;
	return (size_t)(end - e);
}

void procsock_pids_free(struct procsock_pids *p)
{
	free(p->pid);
	memset(p, 0, sizeof(*p));
}

void procsock_held_free(struct procsock_held *h)
{
	free(h->e);
	memset(h, 0, sizeof(*h));
}

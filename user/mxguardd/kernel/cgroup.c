// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "cgroup.h"
#include "log.h"

/* mountinfo: id parent major:minor root mountpoint opts - fstype src opts */
int cgroup2_root(char *buf, size_t sz)
{
	char line[4096], mnt[4096], fstype[64];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int found = -ENOENT;
	char *sep;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		sep = strstr(line, " - ");
		if (!sep || sscanf(sep + 3, "%63s", fstype) != 1 ||
		    strcmp(fstype, "cgroup2"))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		if ((size_t)snprintf(buf, sz, "%s", mnt) >= sz)
			found = -ENAMETOOLONG;
		else
			found = 0;
		break;
	}
	fclose(f);
	return found;
}

int cgroup_resolve(const char *arg, char *out, size_t sz)
{
	char root[4096];
	struct statfs fs;
	int err;

	if (!arg || arg[0] != '/') {
		err = cgroup2_root(root, sizeof(root));
		if (err) {
			pr_warn("no cgroup2 file system in /proc/self/mountinfo "
				"(cgroup BPF needs cgroup v2, Linux 4.10+)\n");
			return err;
		}
		if ((size_t)snprintf(out, sz, "%s%s%s", root, arg ? "/" : "",
				     arg ? arg : "") >= sz)
			return -ENAMETOOLONG;
	} else if ((size_t)snprintf(out, sz, "%s", arg) >= sz) {
		return -ENAMETOOLONG;
	}
	if (statfs(out, &fs)) {
		err = -errno;
		log_warn("cgroup %s", out);
		return err;
	}
	if (fs.f_type != CGROUP2_SUPER_MAGIC) {
		pr_warn("%s is not on a cgroup2 file system\n", out);
		return -EINVAL;
	}
	return 0;
}

int cgroup_id_of(const char *path, __u64 *id)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	*id = st.st_ino;
	return 0;
}

static int mkdir_p(const char *dir)
{
	char tmp[4096], *p;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s", dir) >= sizeof(tmp))
		return -ENAMETOOLONG;
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

int bpffs_open_dir(const char *dir)
{
	struct statfs fs;
	int fd, err;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* On the descriptor: the directory we checked is the one we use. */
	if (fstatfs(fd, &fs)) {
		err = -errno;
		close(fd);
		return err;
	}
	if (fs.f_type != BPF_FS_MAGIC) {
		close(fd);
		return -EMEDIUMTYPE;
	}
	return fd;
}

int bpffs_lock(const char *dir)
{
	int fd = bpffs_open_dir(dir), err;

	if (fd < 0)
		return fd;
	/* flock is per open file: released by the kernel when we die. */
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		close(fd);
		return err;
	}
	return fd;
}

int bpffs_prepare(const char *dir)
{
	struct statfs fs;
	int err, fd;

	if (statfs("/sys/fs/bpf", &fs) == 0 && fs.f_type != BPF_FS_MAGIC &&
	    mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
		err = -errno;
		log_warn("mount bpffs on /sys/fs/bpf");
		return err;
	}
	err = mkdir_p(dir);
	if (err) {
		errno = -err;
		log_warn("create pin directory %s", dir);
		return err;
	}
	/* Pins anywhere else would not outlive us, or would hide under a mount. */
	fd = bpffs_open_dir(dir);
	if (fd == -EMEDIUMTYPE)
		pr_warn("pin directory %s is not on a bpf file system\n", dir);
	else if (fd < 0)
		pr_warn("pin directory %s: %s\n", dir, strerror(-fd));
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

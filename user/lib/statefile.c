// SPDX-License-Identifier: GPL-2.0-only
/* The daemon's state files, written atomically (statefile.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "statefile.h"

/* The directory of @path, made (0700) if missing: the state's home. */
static int state_dir(const char *path, char *dir, size_t sz)
{
	char *slash;

	if ((size_t)snprintf(dir, sz, "%s", path) >= sz)
		return -ENAMETOOLONG;
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sz, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

/* Make the rename itself durable. */
static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int statefile_save(const char *path, int (*write)(FILE *f, const void *ctx),
		   const void *ctx)
{
	char dir[PATH_MAX], tmp[PATH_MAX + 8];
	int fd, err;
	FILE *f;

	err = state_dir(path, dir, sizeof(dir));
	if (err)
		return err;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	/* A crash may have left one; O_EXCL then refuses to follow a link. */
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		unlink(tmp);
		return err;
	}
	err = write(f, ctx);
	if (!err && (fflush(f) || ferror(f)))
		err = -EIO;
	if (!err && fsync(fd))
		err = -errno;
	if (fclose(f) && !err)
		err = -EIO;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	else
		sync_dir(dir);
	return err;
}

int statefile_trusted(int fd, const char *path, const char *what)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & (S_IWGRP | S_IWOTH))) {
		pr_warn("%s: refusing %s from a file that is not ours alone "
			"(owner %u, mode %04o)\n", path, what,
			(unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "escape.h"
#include "log.h"
#include "secrecy.h"

static int owner_trusted(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

int file_check_secrecy(int fd, const char *path)
{
	char why[128];
	struct stat st;
	struct tbuf b;

	if (fstat(fd, &st)) {
		log_warn("%s", path);
		return -errno;
	}
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		return 0;
	tb_init(&b, why, sizeof(why));
	if (!owner_trusted(st.st_uid))
		tb_printf(&b, ", owner uid %u", (unsigned int)st.st_uid);
	if (st.st_mode & S_IWGRP)
		tb_puts(&b, ", group-writable");
	if (st.st_mode & S_IWOTH)
		tb_puts(&b, ", anyone may write");
	if (!b.len)
		return 0;
	pr_warn("%s: refusing: %s\n", path, why + 2);
	return -EPERM;
}

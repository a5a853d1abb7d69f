/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Whoever can write the configuration or a policy can switch the guard
 * off, so both must be as safe as the daemon itself (OpenSMTPD's
 * check_file_secrecy).  Checked on the open descriptor, so that the file
 * judged is the file read.
 */
#ifndef MXGUARD_SECRECY_H
#define MXGUARD_SECRECY_H

/*
 * A regular file or directory open as @fd must be owned by root or by our
 * effective uid, and writable by neither its group nor others.  Other
 * types pass (/dev/null is a fine empty configuration; the policy loader
 * wants regular files anyway).  Returns 0; or -EPERM after reporting
 * "PATH: refusing: owner uid N, group-writable, anyone may write" (the
 * reasons that hold); or -errno if @fd cannot be examined.
 */
int file_check_secrecy(int fd, const char *path);

#endif

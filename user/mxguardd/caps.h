/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef MXGUARD_CAPS_H
#define MXGUARD_CAPS_H

/*
 * Once the programs are loaded, attached and pinned, keep only what the
 * running daemon uses, in every set including the bounding set:
 *   CAP_BPF (CAP_SYS_ADMIN before Linux 5.8)  policy maps on reload
 *   CAP_NET_ADMIN                             SOCK_DESTROY of cached conns
 *   CAP_SYS_PTRACE                            /proc/PID/exe of MTA processes
 */
int caps_drop_to_runtime(void);

#endif

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Appended to the tree's vmlinux.h by the build (.output/vmlinux.h).  BTF
 * carries only the enum constants the kernel itself uses, so some uapi
 * values the programs pass to helpers are missing from the 6.1 kernel's
 * BTF that bpf/vmlinux/x86/vmlinux.h comes from.  Their values are ABI:
 * they never change.
 */
#ifndef MXG_VMLINUX_COMPAT_H
#define MXG_VMLINUX_COMPAT_H

/* include/uapi/linux/bpf.h: sk_lookup helpers, the caller's netns. */
#ifndef BPF_F_CURRENT_NETNS
#define BPF_F_CURRENT_NETNS (-1L)
#endif

#endif

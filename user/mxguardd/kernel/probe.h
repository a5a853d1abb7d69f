/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What this kernel lets the datapath do: the features it cannot run
 * without, and the helpers whose absence a rodata switch works around.
 */
#ifndef MXGUARD_PROBE_H
#define MXGUARD_PROBE_H

#include <linux/bpf.h>

struct mxguard_bpf;

/* How much of the connecting process's lineage the connect programs see. */
enum mxg_lineage {
	MXG_LINEAGE_ANCESTORS,	/* the process, then its real_parent chain */
	MXG_LINEAGE_NO_TASK,	/* no bpf_get_current_task() in sock_addr */
	MXG_LINEAGE_LOCKDOWN,	/* lockdown=confidentiality: no kernel reads */
	MXG_LINEAGE_NO_READ,	/* bpf_probe_read_kernel refused otherwise */
};

/* 0, or -ENOTSUP after naming the missing feature and its first kernel. */
int probe_kernel(void);
/* May a @type program (attached as @attach) call helper @func?  1 or 0. */
int probe_helper_usable(enum bpf_prog_type type, enum bpf_attach_type attach,
			enum bpf_func_id func);
/* What the kernel lets walk_ancestry see; warns about what a fallback loses. */
enum mxg_lineage probe_lineage(void);
/*
 * Set @skel's rodata switches (before load) to what the kernel allows, and
 * warn about what a fallback loses.  Returns what the connect programs see.
 */
enum mxg_lineage probe_datapath(struct mxguard_bpf *skel);
/* One line for `mxguardctl status`. */
const char *probe_lineage_text(enum mxg_lineage lineage);

#endif

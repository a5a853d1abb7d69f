// SPDX-License-Identifier: GPL-2.0-only
/*
 * Kernel probes: refuse to start where the datapath cannot run, and pick
 * the rodata switches of bpf/mxguard.bpf.c where it can, with a fallback.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "mxguard.skel.h"
#include "log.h"
#include "probe.h"

#define LOCKDOWN_FILE	"/sys/kernel/security/lockdown"

/* What the datapath needs, and the first kernel that has it. */
static const struct feature {
	const char *what;
	const char *since;
	enum bpf_map_type map;
} map_features[] = {
	{ "BPF ring buffer (BPF_MAP_TYPE_RINGBUF)", "5.8", BPF_MAP_TYPE_RINGBUF },
	{ "socket-local storage (BPF_MAP_TYPE_SK_STORAGE)", "5.2",
	  BPF_MAP_TYPE_SK_STORAGE },
	{ "LRU hash maps", "4.10", BPF_MAP_TYPE_LRU_HASH },
	{ "array of maps", "4.12", BPF_MAP_TYPE_ARRAY_OF_MAPS },
};

int probe_kernel(void)
{
	size_t i;

	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		pr_warn("kernel lacks BTF (/sys/kernel/btf/vmlinux, "
			"CONFIG_DEBUG_INFO_BTF, Linux 5.4+): CO-RE cannot run\n");
		return -ENOTSUP;
	}
	for (i = 0; i < sizeof(map_features) / sizeof(map_features[0]); i++) {
		if (libbpf_probe_bpf_map_type(map_features[i].map, NULL) == 1)
			continue;
		pr_warn("kernel lacks %s (needs Linux %s or newer)\n",
			map_features[i].what, map_features[i].since);
		return -ENOTSUP;
	}
	return 0;
}

/*
 * Asked of the verifier directly: older libbpf (Debian 12 has 1.1) takes
 * newer kernels' refusal, "program of this type cannot use helper", for a
 * yes in libbpf_probe_bpf_helper().
 *
 * The verifier looks the helper up before it checks any argument, so the
 * uninitialised R1..R5 here only ever fail a helper it found.  A helper it
 * did not find is "unknown func" (older kernels), "program of this type
 * cannot use helper" (newer ones), or "invalid func" (an id past the
 * kernel's last); one whose proto vetoes this program is "helper call is
 * not allowed".  Lockdown's refusal is the first or the second.
 */
int probe_helper_usable(enum bpf_prog_type type, enum bpf_attach_type attach,
			enum bpf_func_id func)
{
	static const char *const refusals[] = {
		"unknown func", "invalid func", "cannot use helper",
		"helper call is not allowed",
	};
	struct bpf_insn insns[] = {
		{ .code = BPF_JMP | BPF_CALL, .imm = func },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
		  .imm = 1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	char log[4096] = "";
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = attach,
		    .log_buf = log, .log_size = sizeof(log), .log_level = 1);
	size_t i;
	int fd;

	fd = bpf_prog_load(type, NULL, "GPL", insns,
			   sizeof(insns) / sizeof(insns[0]), &opts);
	if (fd >= 0) {
		close(fd);
		return 1;
	}
	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
		if (strstr(log, refusals[i]))
			return 0;
	/* Refused for another reason (its arguments): the helper is there. */
	return 1;
}

/* "none integrity [confidentiality]": the bracketed level is in force. */
static int lockdown_confidentiality(void)
{
	char line[128] = "";
	FILE *f = fopen(LOCKDOWN_FILE, "re");

	if (!f)
		return 0;	/* no lockdown LSM, or securityfs not mounted */
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	return strstr(line, "[confidentiality]") != NULL;
}

#define LINEAGE_LOST "process scope covers the connecting process only; " \
	"transport children forked after the lookup (Exim) match at unit " \
	"level and are alerted, not blocked"

/*
 * The real_parent walk needs bpf_get_current_task() and, for each hop,
 * BPF_CORE_READ, which is bpf_probe_read_kernel() (or bpf_probe_read(),
 * where libbpf's own probe finds no probe_read_kernel, as under lockdown).
 * Lockdown's confidentiality level forbids reading kernel memory with BPF.
 * Linux 5.14 moved that check to load time, and 5.10.y took it: Debian's
 * 5.10, 6.1 and 6.12 refuse the connect programs ("unknown func
 * bpf_probe_read#4", "program of this type cannot use helper"; vmtest's
 * -lockdown runs).  Earlier kernels loaded them and failed every read at
 * run time, with zeros.  Either way the walk cannot run.  walk_ancestry = 0
 * lets the verifier prune it, so the programs load, and the lineage is the
 * connecting process alone.
 */
enum mxg_lineage probe_lineage(void)
{
	if (!probe_helper_usable(BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
			   BPF_CGROUP_INET4_CONNECT,
			   BPF_FUNC_get_current_task)) {
		pr_warn("kernel lacks bpf_get_current_task() in cgroup/connect "
			"programs: " LINEAGE_LOST "\n");
		return MXG_LINEAGE_NO_TASK;
	}
	if (lockdown_confidentiality()) {
		pr_warn("kernel lockdown (confidentiality) refuses "
			"bpf_probe_read_kernel: " LINEAGE_LOST "\n");
		return MXG_LINEAGE_LOCKDOWN;
	}
	if (!probe_helper_usable(BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
			   BPF_CGROUP_INET4_CONNECT,
			   BPF_FUNC_probe_read_kernel)) {
		/* An LSM's locked_down hook (SELinux) refuses it too. */
		pr_warn("kernel refuses bpf_probe_read_kernel in cgroup/connect "
			"programs (an LSM's lockdown policy?): " LINEAGE_LOST
			"\n");
		return MXG_LINEAGE_NO_READ;
	}
	return MXG_LINEAGE_ANCESTORS;
}

/* See skb_current_task in bpf/mxguard.bpf.c (all four: after 6.12). */
static int skb_current_task_usable(void)
{
	static const enum bpf_func_id current[] = {
		BPF_FUNC_get_current_pid_tgid, BPF_FUNC_get_current_uid_gid,
		BPF_FUNC_get_current_comm, BPF_FUNC_get_current_cgroup_id,
	};
	size_t i;

	for (i = 0; i < sizeof(current) / sizeof(current[0]); i++)
		if (!probe_helper_usable(BPF_PROG_TYPE_CGROUP_SKB,
				   BPF_CGROUP_INET_EGRESS, current[i])) {
			pr_debug("cgroup_skb programs may not call "
				 "bpf_get_current_*() (Linux 6.18 allows "
				 "them): a query on a socket opened before "
				 "mxguard names its cgroup only\n");
			return 0;
		}
	return 1;
}

/*
 * The responder redirect (bpf/redirect.bpf.h): bpf_sk_lookup_tcp() came to
 * cgroup/connect in Linux 5.2, bpf_get_socket_cookie() in 5.0, so every
 * kernel with the ring buffer (5.8) has both; the probe is for kernels
 * that backport the ring buffer, or configure the helpers away.  Without
 * them every block is EPERM, as before the responder.
 */
/*
 * What bpf/redirect.bpf.h does with the listener it finds, asked of the
 * verifier: look up a TCP socket, read its mark (struct bpf_sock at 16),
 * release it.  With redirect_usable off that code is pruned, so a kernel
 * that refuses it still loads the datapath.
 */
static int responder_mark_readable(void)
{
	struct bpf_insn insns[] = {
		/* struct bpf_sock_tuple (36 bytes) zeroed at fp-40 */
		{ .code = BPF_ST | BPF_MEM | BPF_DW, .dst_reg = 10, .off = -40 },
		{ .code = BPF_ST | BPF_MEM | BPF_DW, .dst_reg = 10, .off = -32 },
		{ .code = BPF_ST | BPF_MEM | BPF_DW, .dst_reg = 10, .off = -24 },
		{ .code = BPF_ST | BPF_MEM | BPF_DW, .dst_reg = 10, .off = -16 },
		{ .code = BPF_ST | BPF_MEM | BPF_DW, .dst_reg = 10, .off = -8 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 2,
		  .src_reg = 10 },
		{ .code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = 2, .imm = -40 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 3, .imm = 12 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 4, .imm = -1 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 5, .imm = 0 },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_sk_lookup_tcp },
		{ .code = BPF_JMP | BPF_JEQ | BPF_K, .dst_reg = 0, .off = 3 },
		{ .code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = 1, .src_reg = 0,
		  .off = 16 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 1,
		  .src_reg = 0 },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_sk_release },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = BPF_CGROUP_INET4_CONNECT);
	int fd = bpf_prog_load(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, NULL, "GPL",
			       insns, sizeof(insns) / sizeof(insns[0]), &opts);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

static int redirect_usable(void)
{
	static const enum bpf_func_id need[] = {
		BPF_FUNC_sk_lookup_tcp, BPF_FUNC_sk_release,
		BPF_FUNC_get_socket_cookie,
	};
	size_t i;

	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!probe_helper_usable(BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
				   BPF_CGROUP_INET4_CONNECT, need[i])) {
			pr_warn("kernel lacks bpf_sk_lookup_tcp() or "
				"bpf_get_socket_cookie() in cgroup/connect: "
				"blocks on port 25 get EPERM, not the SMTP "
				"responder\n");
			return 0;
		}
	if (!responder_mark_readable()) {
		pr_warn("kernel refuses reading the mark of a socket found by "
			"bpf_sk_lookup_tcp() in cgroup/connect: blocks on port "
			"25 get EPERM, not the SMTP responder\n");
		return 0;
	}
	return 1;
}

/* See ktime_coarse in bpf/mxguard.bpf.c (Linux 5.11). */
static int ktime_coarse_usable(void)
{
	return probe_helper_usable(BPF_PROG_TYPE_CGROUP_SKB,
				   BPF_CGROUP_INET_INGRESS,
				   BPF_FUNC_ktime_get_coarse_ns) &&
	       probe_helper_usable(BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
				   BPF_CGROUP_INET4_CONNECT,
				   BPF_FUNC_ktime_get_coarse_ns);
}

enum mxg_lineage probe_datapath(struct mxguard_bpf *skel)
{
	enum mxg_lineage lineage = probe_lineage();

	skel->rodata->redirect_usable = redirect_usable();
	skel->rodata->walk_ancestry = lineage == MXG_LINEAGE_ANCESTORS;
	skel->rodata->skb_current_task = skb_current_task_usable();
	skel->rodata->ktime_coarse = ktime_coarse_usable();
	return lineage;
}

const char *probe_lineage_text(enum mxg_lineage lineage)
{
	switch (lineage) {
	case MXG_LINEAGE_ANCESTORS:
		return "process and its ancestors (real_parent)";
	case MXG_LINEAGE_NO_TASK:
		return "connecting process only (no bpf_get_current_task() in "
		       "cgroup/connect)";
	case MXG_LINEAGE_LOCKDOWN:
		return "connecting process only (kernel lockdown "
		       "(confidentiality) refuses bpf_probe_read_kernel)";
	case MXG_LINEAGE_NO_READ:
		return "connecting process only (kernel refuses "
		       "bpf_probe_read_kernel)";
	}
	return "unknown";
}

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Packets through the DNS programs with BPF_PROG_TEST_RUN, no sockets: the
 * skeleton and policy set-up, the frames (Ethernet, IPv4/IPv6 with extension
 * headers, UDP/TCP) and what the maps say afterwards.  Shared by the packet
 * suite (test_packets.c) and the differential fuzzer (tests/fuzz/dnsdiff.c).
 */
#ifndef MXG_TEST_PKTRUN_H
#define MXG_TEST_PKTRUN_H

#include <stddef.h>
#include <stdint.h>

#include "mxguard.skel.h"
#include "loader.h"

/* The hash seed every test run loads (names are found under it). */
#define PKT_SEED 0x6d78677561726421ULL

extern struct mxguard_bpf *pkt_skel;
extern struct mxg_loader pkt_ldr;

/* How the DNS message travels. */
struct pkt_shape {
	int v6;
	int tcp;		/* TCP with the two-byte length prefix */
	int egress;		/* a query leaving (ports swapped) */
	int n_ext;		/* IPv6 extension headers before L4 */
	uint8_t ext[12];	/* their types (0, 43, 44, 51, 60) */
};

/* The skeleton with the loader's rodata choices (lineage walk probe). */
struct mxguard_bpf *pkt_open_skel(void);
/* Open and load pkt_skel, and give it @policy (policy-file text). */
int pkt_setup(const char *policy);
/*
 * The same with each taint map cut to @taint_entries (0: as built).  An
 * empty hash map is walked bucket by bucket: small maps are what let a
 * fuzzer read and empty them after every packet.
 */
int pkt_setup_sized(const char *policy, __u32 taint_entries);
/* Settings and @policy into @obj (mode: MXG_MODE_*). */
int pkt_use_policy(struct mxguard_bpf *obj, const char *policy, __u32 mode);
void pkt_set_mode(__u32 mode);

/* The whole frame around @dns into @out (room for len + 256). */
size_t pkt_frame(uint8_t *out, const struct pkt_shape *sh, const uint8_t *dns,
		 size_t len);
/* Through ingress (or egress): the program's return value, or -errno. */
int pkt_push(const struct pkt_shape *sh, const uint8_t *dns, size_t len);

/* A counter (enum mxg_counter) summed over CPUs; -1 on error. */
long long pkt_counter(int which);
/* Is @ip (text, v4 or v6) tainted lookalike in taint_host? */
int pkt_host_tainted(const char *ip);
/* Is the name (presentation form) in the kernel's names map? */
int pkt_name_known(const char *text);
/* Empty every taint map and the names map. */
void pkt_clear_taints(void);

#endif

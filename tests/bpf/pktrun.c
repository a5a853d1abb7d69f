// SPDX-License-Identifier: GPL-2.0-only
/* See pktrun.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "pktrun.h"
#include "name.h"
#include "policy.h"
#include "probe.h"

struct mxguard_bpf *pkt_skel;
struct mxg_loader pkt_ldr;

/*
 * The connect programs load too: under lockdown (confidentiality) only
 * without their real_parent walk.  skb_current_task keeps its default, off,
 * which every kernel accepts.
 */
struct mxguard_bpf *pkt_open_skel(void)
{
	struct mxguard_bpf *obj = mxguard_bpf__open();

	if (obj)
		obj->rodata->walk_ancestry =
			probe_lineage() == MXG_LINEAGE_ANCESTORS;
	return obj;
}

int pkt_use_policy(struct mxguard_bpf *obj, const char *policy, __u32 mode)
{
	struct mxg_settings set = { .ttl_min_s = 60, .ttl_max_s = 3600,
				    .mode = mode };
	struct mxg_policy p;
	int err;

	if (loader_use_skel(&pkt_ldr, obj, PKT_SEED, &set))
		return -1;
	policy_init(&p);
	err = policy_load_buffer(&p, "test", policy, strlen(policy));
	if (!err)
		err = loader_set_policy(&pkt_ldr, &p);
	policy_free(&p);
	return err ? -1 : 0;
}

void pkt_set_mode(__u32 mode)
{
	struct mxg_settings set = { .ttl_min_s = 60, .ttl_max_s = 3600,
				    .mode = mode };

	loader_use_skel(&pkt_ldr, pkt_skel, PKT_SEED, &set);
}

int pkt_setup_sized(const char *policy, __u32 taint_entries)
{
	pkt_skel = pkt_open_skel();
	if (!pkt_skel)
		return -1;
	if (taint_entries) {
		bpf_map__set_max_entries(pkt_skel->maps.taint_host,
					 taint_entries);
		bpf_map__set_max_entries(pkt_skel->maps.taint_unit,
					 taint_entries);
		bpf_map__set_max_entries(pkt_skel->maps.taint_proc,
					 taint_entries);
		bpf_map__set_max_entries(pkt_skel->maps.taint_any,
					 taint_entries);
		bpf_map__set_max_entries(pkt_skel->maps.taint_names,
					 taint_entries);
	}
	if (mxguard_bpf__load(pkt_skel))
		return -1;
	return pkt_use_policy(pkt_skel, policy, MXG_MODE_ENFORCE);
}

int pkt_setup(const char *policy)
{
	return pkt_setup_sized(policy, 0);
}

/* Ethernet + IPv4/IPv6 (+ extension headers) + UDP/TCP (+ prefix) + DNS. */
size_t pkt_frame(uint8_t *out, const struct pkt_shape *sh, const uint8_t *dns,
		 size_t dns_len)
{
	size_t off = 14, ip_len, l4_len, ext = 8 * (size_t)sh->n_ext;
	uint16_t sport = sh->egress ? 40000 : 53;
	uint16_t dport = sh->egress ? 53 : 40000;
	uint8_t l4p = sh->tcp ? 6 : 17;
	int i;

	memset(out, 0, 128 + ext);
	out[12] = sh->v6 ? 0x86 : 0x08;
	out[13] = sh->v6 ? 0xdd : 0x00;
	l4_len = (sh->tcp ? 20 + 2 : 8) + dns_len;
	if (sh->v6) {
		out[off] = 0x60;
		out[off + 4] = (l4_len + ext) >> 8;
		out[off + 5] = (l4_len + ext) & 0xff;
		out[off + 6] = sh->n_ext ? sh->ext[0] : l4p;
		out[off + 7] = 64;
		out[off + 23] = 1;		/* ::1 -> ::1 */
		out[off + 39] = 1;
		/*
		 * Each one 8 bytes: next header, a length field that says 8
		 * (0 in 8-byte units; 0 in AH's 4-byte units less 2), a PadN
		 * option.  A fragment header is 8 bytes by definition.
		 */
		for (i = 0; i < sh->n_ext; i++) {
			uint8_t *h = out + off + 40 + 8 * i;

			h[0] = i + 1 < sh->n_ext ? sh->ext[i + 1] : l4p;
			h[2] = 1;
			h[3] = 4;
		}
		ip_len = 40 + ext;
	} else {
		out[off] = 0x45;
		out[off + 2] = (20 + l4_len) >> 8;
		out[off + 3] = (20 + l4_len) & 0xff;
		out[off + 8] = 64;
		out[off + 9] = l4p;
		out[off + 12] = 127;
		out[off + 15] = 1;
		out[off + 16] = 127;
		out[off + 19] = 1;
		ip_len = 20;
	}
	off += ip_len;
	out[off] = sport >> 8;
	out[off + 1] = sport & 0xff;
	out[off + 2] = dport >> 8;
	out[off + 3] = dport & 0xff;
	if (!sh->tcp) {
		out[off + 4] = l4_len >> 8;
		out[off + 5] = l4_len & 0xff;
		off += 8;
	} else {
		memset(out + off + 4, 0, 16);
		out[off + 12] = 5 << 4;		/* data offset */
		out[off + 13] = 0x18;		/* PSH, ACK */
		off += 20;
		out[off] = dns_len >> 8;
		out[off + 1] = dns_len & 0xff;
		off += 2;
	}
	memcpy(out + off, dns, dns_len);
	return off + dns_len;
}

int pkt_push(const struct pkt_shape *sh, const uint8_t *dns, size_t len)
{
	static uint8_t pkt[16384 + 512];
	struct bpf_program *prog = sh->egress ? pkt_skel->progs.mxg_dns_egress :
						pkt_skel->progs.mxg_dns_ingress;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt);

	if (len > 16384 || sh->n_ext > 12)
		return -EINVAL;
	opts.data_size_in = pkt_frame(pkt, sh, dns, len);
	if (bpf_prog_test_run_opts(bpf_program__fd(prog), &opts))
		return -errno;
	return opts.retval;
}

long long pkt_counter(int which)
{
	int ncpu = libbpf_num_possible_cpus(), i;
	unsigned long long vals[1024], sum = 0;
	__u32 key = which;

	if (ncpu > 1024 || bpf_map_lookup_elem(
			bpf_map__fd(pkt_skel->maps.counters), &key, vals))
		return -1;
	for (i = 0; i < ncpu; i++)
		sum += vals[i];
	return sum;
}

int pkt_host_tainted(const char *ip)
{
	struct mxg_host_key k = { 0 };
	struct mxg_taint t;
	struct in_addr a;

	if (inet_pton(AF_INET, ip, &a) == 1) {
		k.addr[10] = k.addr[11] = 0xff;
		memcpy(&k.addr[12], &a, 4);
	} else {
		inet_pton(AF_INET6, ip, k.addr);
	}
	if (bpf_map_lookup_elem(bpf_map__fd(pkt_skel->maps.taint_host), &k, &t))
		return 0;
	return t.verdict == MXG_VERDICT_LOOKALIKE;
}

int pkt_name_known(const char *text)
{
	__u8 wire[MXG_NAME_MAX];
	struct mxg_name n;
	const char *err;
	__u32 len;
	__u64 h;

	if (mxg_name_parse(text, wire, &len, &err))
		return 0;
	h = mxg_name_hash(PKT_SEED, wire, len);
	return bpf_map_lookup_elem(bpf_map__fd(pkt_skel->maps.names), &h,
				   &n) == 0;
}

void pkt_clear_taints(void)
{
	struct bpf_map *maps[] = { pkt_skel->maps.taint_host,
				   pkt_skel->maps.taint_unit,
				   pkt_skel->maps.taint_proc,
				   pkt_skel->maps.names,
				   pkt_skel->maps.taint_names,
				   pkt_skel->maps.taint_any };
	__u8 key[64];
	size_t i;

	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		while (!bpf_map_get_next_key(bpf_map__fd(maps[i]), NULL, key))
			bpf_map_delete_elem(bpf_map__fd(maps[i]), key);
}

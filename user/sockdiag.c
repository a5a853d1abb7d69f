// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include "log.h"
#include "sockdiag.h"

#ifndef SOCK_DESTROY
#define SOCK_DESTROY 21
#endif

#define MATCHES_MAX 256

struct dump {
	const __u8 *addr;
	const __u16 *ports;
	int nports;
	int family;
	struct inet_diag_msg found[MATCHES_MAX];
	int n;
};

static int is_mapped(const __u8 a[16])
{
	static const __u8 pfx[12] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(a, pfx, sizeof(pfx));
}

static int wanted(const struct dump *d, const struct inet_diag_msg *m)
{
	__u16 port = ntohs(m->id.idiag_dport);
	int i;

	if (d->family == AF_INET) {
		if (memcmp(m->id.idiag_dst, d->addr + 12, 4))
			return 0;
	} else if (memcmp(m->id.idiag_dst, d->addr, 16)) {
		return 0;
	}
	for (i = 0; i < d->nports; i++)
		if (d->ports[i] == port)
			return 1;
	return 0;
}

static int on_msg(struct nl_msg *msg, void *arg)
{
	struct inet_diag_msg *m = nlmsg_data(nlmsg_hdr(msg));
	struct dump *d = arg;

	if (nlmsg_hdr(msg)->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return NL_SKIP;
	if (wanted(d, m) && d->n < MATCHES_MAX)
		d->found[d->n++] = *m;
	return NL_OK;
}

static int dump(struct nl_sock *sk, struct dump *d)
{
	struct inet_diag_req_v2 req = {
		.sdiag_family = d->family,
		.sdiag_protocol = IPPROTO_TCP,
		.idiag_states = (1 << TCP_ESTABLISHED) | (1 << TCP_SYN_SENT),
	};
	int err;

	d->n = 0;
	err = nl_send_simple(sk, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, &req,
			     sizeof(req));
	if (err < 0)
		return err;
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_msg, d);
	return nl_recvmsgs_default(sk);
}

static int destroy_one(struct nl_sock *sk, const struct inet_diag_msg *m)
{
	struct inet_diag_req_v2 req = {
		.sdiag_family = m->idiag_family,
		.sdiag_protocol = IPPROTO_TCP,
		.idiag_states = ~0U,
		.id = m->id,
	};
	int err;

	err = nl_send_simple(sk, SOCK_DESTROY, NLM_F_ACK, &req, sizeof(req));
	if (err >= 0)
		err = nl_wait_for_ack(sk);
	return err;
}

static int run_family(struct nl_sock *sk, struct dump *d, sockdiag_fn fn,
		      void *ctx)
{
	struct sockdiag_conn c;
	int i, err, done = 0;

	err = dump(sk, d);
	if (err < 0)
		return err;
	for (i = 0; i < d->n; i++) {
		err = destroy_one(sk, &d->found[i]);
		if (err < 0) {
			pr_warn("SOCK_DESTROY: %s (needs CAP_NET_ADMIN and "
				"CONFIG_INET_DIAG_DESTROY)\n", nl_geterror(err));
			continue;
		}
		memset(&c, 0, sizeof(c));
		c.family = d->family;
		memcpy(c.dst, d->addr, 16);
		c.dport = ntohs(d->found[i].id.idiag_dport);
		c.uid = d->found[i].idiag_uid;
		c.inode = d->found[i].idiag_inode;
		fn(ctx, &c);
		done++;
	}
	return done;
}

int sockdiag_destroy(const __u8 addr[16], const __u16 *ports, int nports,
		     sockdiag_fn fn, void *ctx)
{
	static struct dump d;
	struct nl_sock *sk = nl_socket_alloc();
	int n, total = 0;

	if (!sk)
		return -ENOMEM;
	nl_socket_disable_auto_ack(sk);
	if (nl_connect(sk, NETLINK_SOCK_DIAG)) {
		nl_socket_free(sk);
		return -EIO;
	}
	d.addr = addr;
	d.ports = ports;
	d.nports = nports;
	/* An IPv4 peer may sit behind an AF_INET6 socket (v4-mapped). */
	if (is_mapped(addr)) {
		d.family = AF_INET;
		n = run_family(sk, &d, fn, ctx);
		total += n > 0 ? n : 0;
	}
	d.family = AF_INET6;
	n = run_family(sk, &d, fn, ctx);
	total += n > 0 ? n : 0;
	nl_socket_free(sk);
	return total;
}

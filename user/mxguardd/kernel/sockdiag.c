// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sock_diag.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include "log.h"
#include "sockdiag.h"

#ifndef SOCK_DESTROY
#define SOCK_DESTROY 21
#endif

struct sockdiag {
	struct nl_sock *sk;
};

/* One family's dump: what it looks for, and where the matches go. */
struct dump {
	const __u8 *addr;
	const __u16 *ports;
	int nports;
	int family;
	struct sockdiag_list *out;
};

struct sockdiag *sockdiag_open(void)
{
	struct sockdiag *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->sk = nl_socket_alloc();
	if (!s->sk) {
		free(s);
		return NULL;
	}
	nl_socket_disable_auto_ack(s->sk);
	if (nl_connect(s->sk, NETLINK_SOCK_DIAG)) {
		sockdiag_close(s);
		return NULL;
	}
	return s;
}

void sockdiag_close(struct sockdiag *s)
{
	if (!s)
		return;
	nl_socket_free(s->sk);
	free(s);
}

void sockdiag_list_free(struct sockdiag_list *l)
{
	free(l->c);
	memset(l, 0, sizeof(*l));
}

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

/* Room for one more, doubling; a failed allocation is counted, not fatal. */
static struct sockdiag_conn *append(struct sockdiag_list *l)
{
	size_t cap = l->cap ? l->cap * 2 : 64;
	struct sockdiag_conn *c;

	if (l->n == l->cap) {
		c = reallocarray(l->c, cap, sizeof(*c));
		if (!c) {
			l->unlisted++;
			return NULL;
		}
		l->c = c;
		l->cap = cap;
	}
	c = &l->c[l->n++];
	memset(c, 0, sizeof(*c));
	return c;
}

/* The socket's cgroup v2 id: every kernel mxguard supports sends it. */
static void read_cgroup(struct nlmsghdr *h, struct sockdiag_conn *c)
{
	struct nlattr *a = nlmsg_find_attr(h, sizeof(struct inet_diag_msg),
					   INET_DIAG_CGROUP_ID);

	if (a && nla_len(a) >= (int)sizeof(__u64)) {
		c->cgroup_id = nla_get_u64(a);
		c->has_cgroup = 1;
	}
}

static int on_msg(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct inet_diag_msg *m = nlmsg_data(h);
	struct dump *d = arg;
	struct sockdiag_conn *c;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)) || !wanted(d, m))
		return NL_SKIP;
	c = append(d->out);
	if (!c)
		return NL_OK;
	c->id = m->id;
	c->family = d->family;
	memcpy(c->dst, d->addr, 16);
	c->dport = ntohs(m->id.idiag_dport);
	c->uid = m->idiag_uid;
	c->inode = m->idiag_inode;
	read_cgroup(h, c);
	return NL_OK;
}

static int dump(struct sockdiag *s, struct dump *d)
{
	struct inet_diag_req_v2 req = {
		.sdiag_family = d->family,
		.sdiag_protocol = IPPROTO_TCP,
		.idiag_states = (1 << TCP_ESTABLISHED) | (1 << TCP_SYN_SENT),
	};
	int err;

	err = nl_send_simple(s->sk, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, &req,
			     sizeof(req));
	if (err < 0)
		return err;
	nl_socket_modify_cb(s->sk, NL_CB_VALID, NL_CB_CUSTOM, on_msg, d);
	err = nl_recvmsgs_default(s->sk);
	if (err < 0)
		pr_warn("sock_diag dump: %s\n", nl_geterror(err));
	return err < 0 ? err : 0;
}

int sockdiag_list(struct sockdiag *s, const __u8 addr[16], const __u16 *ports,
		  int nports, struct sockdiag_list *out)
{
	struct dump d = { .addr = addr, .ports = ports, .nports = nports,
			  .out = out };
	int err = 0;

	/* An IPv4 peer may sit behind an AF_INET6 socket (v4-mapped). */
	if (is_mapped(addr)) {
		d.family = AF_INET;
		err = dump(s, &d);
	}
	d.family = AF_INET6;
	return dump(s, &d) ?: err;
}

int sockdiag_destroy(struct sockdiag *s, const struct sockdiag_conn *c)
{
	struct inet_diag_req_v2 req = {
		.sdiag_family = c->family,
		.sdiag_protocol = IPPROTO_TCP,
		.idiag_states = ~0U,
		.id = c->id,
	};
	int err;

	err = nl_send_simple(s->sk, SOCK_DESTROY, NLM_F_ACK, &req, sizeof(req));
	if (err >= 0)
		err = nl_wait_for_ack(s->sk);
	/* ENOENT: it closed between the dump and now. */
	if (err == -NLE_OBJ_NOTFOUND)
		return SOCKDIAG_GONE;
	return err < 0 ? err : 0;
}

const char *sockdiag_strerror(int err)
{
	return nl_geterror(err);
}

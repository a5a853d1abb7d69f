/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * DNS over TCP: every byte a server sends on a stream is attributed to a
 * message (RFC 1035 4.2.2: a two-byte length, then the message).
 *
 * cgroup_skb/ingress sees each skb before TCP has looked at it, so state
 * kept per socket (dns_stream) follows the stream: the next sequence number
 * expected, how much of the current message has been seen, and its first
 * MXG_DNS_MAX bytes.  A message may arrive in pieces (the length prefix in a
 * segment of its own, one message over many segments), several may share one
 * skb (pipelining, coalescing), and segments may come twice or out of order.
 *
 * Only the skb that completes a message can make the client act on it, so
 * that is where a message is judged; holding it back (dropping the skb)
 * leaves the state as it was, and TCP's retransmission brings the same bytes
 * again.  An skb that cannot be attributed (a gap ahead of what was seen, a
 * stream that began before mxguard, more messages than bounded) is held back
 * in block mode: TCP delivers in order, so nothing after it reaches the
 * client either.
 */
#ifndef MXGUARD_STREAM_BPF_H
#define MXGUARD_STREAM_BPF_H

/*
 * A copy length of 1..MXG_DNS_MAX in a form every verifier can bound.  Clang
 * drops a plain clamp that it proves redundant from a comparison between two
 * registers, which newer verifiers follow and 5.10's and 6.1's do not; after
 * the barrier it knows nothing, and the mask bounds the result by arithmetic.
 * The caller has excluded 0.
 */
#define COPY_LEN(n) ({						\
	__u32 __n = (n);					\
	asm volatile("" : "+r"(__n));				\
	((__n - 1) & (MXG_DNS_MAX - 1)) + 1;			\
})

#define TCP_HOLD	(-1)	/* a message was judged and held back */
#define TCP_BROKEN	(-2)	/* the stream's framing cannot be followed */

static __always_inline struct mxg_stream *stream_of(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb_fullsock(skb);

	return sk ? bpf_sk_storage_get(&dns_stream, sk, 0, 0) : NULL;
}

/* Gathered bytes of the current message into scratch->pkt (@n <= MAX). */
__noinline int mxg_stream_copy(struct __sk_buff *skb, __u32 n)
{
	struct mxg_scratch *s = get_scratch(SLOT_INGRESS);
	struct mxg_stream *st = stream_of(skb);
	__u32 i;

	if (!s || !st)
		return TCP_BROKEN;
	for (i = 0; i < MXG_DNS_MAX / 8; i++) {
		if (i * 8 >= n)
			break;
		((__u64 *)s->pkt)[i] = ((__u64 *)st->buf)[i];
	}
	return 0;
}

/* The length prefix: up to two bytes at @pos.  Returns the new position. */
static __always_inline __u32 stream_prefix(struct __sk_buff *skb,
					   struct mxg_scratch *s, __u32 pos,
					   __u32 end)
{
	__u8 b;
	int i;

	for (i = 0; i < 2; i++) {
		if (s->t_pfx_have >= 2 || pos >= end)
			break;
		if (bpf_skb_load_bytes(skb, pos, &b, 1))
			return end + 1;		/* unreadable: caller holds */
		if (s->t_pfx_have == 0)
			s->t_pfx0 = b;
		else
			s->t_msglen = (s->t_pfx0 << 8) | b;
		s->t_pfx_have++;
		pos++;
	}
	return pos;
}

/* The message goes on past this skb: keep what fits of it. */
static __always_inline int stream_gather(struct __sk_buff *skb,
					 struct mxg_scratch *s, __u32 pos,
					 __u32 avail)
{
	struct mxg_stream *st = stream_of(skb);
	__u32 got = s->t_got, n;

	if (!st)
		return TCP_BROKEN;
	if (got < MXG_DNS_MAX) {
		n = MXG_DNS_MAX - got;
		if (n > avail)
			n = avail;
		if (n > 0 && bpf_skb_load_bytes(skb, pos,
						&st->buf[got & (MXG_DNS_MAX - 1)],
						COPY_LEN(n)))
			return TCP_BROKEN;
	}
	s->t_got = got + avail;
	return 0;
}

/* The message ends in this skb: assemble it in scratch->pkt and judge it. */
static __always_inline int stream_complete(struct __sk_buff *skb,
					   struct mxg_scratch *s,
					   struct mxg_config *cfg, __u32 pos,
					   __u32 need)
{
	__u32 have = s->t_got < MXG_DNS_MAX ? s->t_got : MXG_DNS_MAX, n;
	__u32 msglen = s->t_msglen;

	if (have && mxg_stream_copy(skb, have))
		return TCP_BROKEN;
	if (have < MXG_DNS_MAX) {
		n = MXG_DNS_MAX - have;
		if (n > need)
			n = need;
		if (n > 0 && bpf_skb_load_bytes(skb, pos,
						&s->pkt[have & (MXG_DNS_MAX - 1)],
						COPY_LEN(n)))
			return TCP_BROKEN;
	}
	s->pkt_len = msglen < MXG_DNS_MAX ? msglen : MXG_DNS_MAX;
	s->pkt_capped = msglen > MXG_DNS_MAX;
	count(MXG_CNT_TCP_MESSAGES);
	if (!judge_response(NULL, s, cfg, SLOT_INGRESS, NULL))
		return TCP_HOLD;
	s->t_got = 0;
	s->t_msglen = 0;
	s->t_pfx_have = 0;
	return 0;
}

/*
 * Attribute the bytes [@pos, @end) to the current message, and the next.
 * Returns the position reached (== @end: all of them), TCP_HOLD or
 * TCP_BROKEN.
 */
__noinline int mxg_tcp_message(struct __sk_buff *skb, __u32 pos, __u32 end)
{
	struct mxg_scratch *s = get_scratch(SLOT_INGRESS);
	struct mxg_config *cfg = get_config();
	__u32 need, avail;
	int ret;

	if (!s || !cfg)
		return TCP_BROKEN;
	pos = stream_prefix(skb, s, pos, end);
	if (pos > end)
		return TCP_BROKEN;
	if (s->t_pfx_have < 2)
		return end;
	if (s->t_msglen < DNS_HDR_LEN) {
		count(MXG_CNT_MALFORMED);
		return TCP_BROKEN;
	}
	need = s->t_msglen - s->t_got;
	avail = end - pos;
	if (avail < need) {
		ret = stream_gather(skb, s, pos, avail);
		return ret < 0 ? ret : (int)end;
	}
	ret = stream_complete(skb, s, cfg, pos, need);
	return ret < 0 ? ret : (int)(pos + need);
}

/* Bytes that belong to no known place in the stream. */
static __always_inline int unattributable(struct mxg_scratch *s,
					  struct mxg_config *cfg,
					  struct mxg_stream *st, __u32 reason)
{
	__u32 block = cfg->mode == MXG_MODE_ENFORCE;

	count(MXG_CNT_TCP_UNATTRIBUTED);
	s->tainted = 0;
	s->qtype = 0;
	if (block || !st || !st->lost)
		emit_held(s, cfg, reason, block, IPPROTO_TCP);
	if (!block && st)
		st->lost = 1;		/* alert mode: attribution ends here */
	return !block;
}

static __always_inline int tcp_segment(struct __sk_buff *skb,
				       struct bpf_sock *sk,
				       struct mxg_config *cfg,
				       const struct dns_loc *loc,
				       struct mxg_scratch *s)
{
	struct mxg_stream *st = sk ? bpf_sk_storage_get(&dns_stream, sk, 0, 0) :
				  NULL;
	__u32 seq = loc->seq, pos, end, i;
	int delta, ret = 0;

	__builtin_memcpy(s->server, loc->peer, 16);
	s->server_port = bpf_ntohs(loc->peer_port);
	if (loc->syn) {
		if (st && !st->synced) {
			st->nxt = seq + 1;
			st->synced = 1;
		}
		seq++;
	}
	if (!loc->len)
		return 1;
	load_owner(skb, sk, s, 0);
	if (!st || !st->synced || st->lost)
		return unattributable(s, cfg, st, MXG_HOLD_TCP_STREAM);
	delta = (int)(seq - st->nxt);
	if (delta > 0)			/* a gap: out of order, or lost */
		return unattributable(s, cfg, st, MXG_HOLD_TCP_STREAM);
	if (delta < 0 && (__u32)-delta >= loc->len)
		return 1;		/* a retransmission of what was judged */
	s->t_got = st->got;
	s->t_msglen = st->msglen;
	s->t_pfx_have = st->pfx_have;
	s->t_pfx0 = st->pfx0;
	pos = loc->off + (delta < 0 ? (__u32)-delta : 0);
	end = loc->off + loc->len;
	for (i = 0; i < MXG_TCP_MSGS_MAX; i++) {
		ret = mxg_tcp_message(skb, pos, end);
		if (ret < 0 || (__u32)ret >= end)
			break;
		pos = ret;
	}
	if (ret == TCP_HOLD)
		return 0;
	if (ret == TCP_BROKEN)
		return unattributable(s, cfg, st, MXG_HOLD_TCP_STREAM);
	if ((__u32)ret < end)
		return unattributable(s, cfg, st, MXG_HOLD_TCP_MESSAGES);
	st->nxt = seq + loc->len;
	st->got = s->t_got;
	st->msglen = s->t_msglen;
	st->pfx_have = s->t_pfx_have;
	st->pfx0 = s->t_pfx0;
	return 1;
}

#endif

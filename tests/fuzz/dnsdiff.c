// SPDX-License-Identifier: GPL-2.0-only
/*
 * dnsdiff: the kernel's DNS parser against glibc's libresolv.
 *
 * Each case is a DNS response, generated (valid, near-valid, hostile) or a
 * mutated seed from tests/fuzz/corpus/dns/ (answers captured from the e2e
 * suite's unbound and nsd), framed as IPv4 or IPv6 (extension headers of
 * every kind) over UDP or TCP.  It goes through the real cgroup_skb/ingress
 * program with BPF_PROG_TEST_RUN, and through ns_initparse()/ns_parserr()
 * and ns_name_unpack().  Under a fixed policy the reference says whether the
 * question is watched, which addresses and names the answer must taint, and
 * whether it must pass or be held.  The kernel's verdict (the program's
 * return value) and the taint_host and taint_names maps are compared with
 * that.  Where the datapath holds back what the reference reads, a rule of
 * README "What the datapath guarantees" must say so: the rules are the
 * rule_*() predicates below, each checked on the case, never assumed.
 *
 * A disagreement is minimised (bytes removed while it persists) and printed
 * as a C array for tests/bpf/test_packets.c; the run then fails.
 *
 *   dnsdiff [-n CASES] [-t SECONDS] [-s SEED] [-c CORPUS-DIR] [-o OUT-DIR]
 *           [-r REPLAY-DIR] [-v]
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <dirent.h>
#include <errno.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "pktrun.h"
#include "log.h"
#include "name.h"

/*
 * The policy of every case.  gmial.com alerts: a watched answer of an
 * alert rule passes even when it is unreadable (the rule would not refuse
 * the connect).  gov.ml is allowed under a lookalike suffix.
 */
static const char policy[] =
	"lookalike ml of mil action=block\n"
	"allow gov.ml\n"
	"lookalike gmial.com of gmail.com action=alert\n";

/* The same rules, for the reference side (labels, most specific wins). */
enum { REF_NONE, REF_ALLOW, REF_BLOCK, REF_ALERT };
static const struct {
	const char *wire;		/* canonical wire, no root byte */
	int len, kind;
} ref_rules[] = {
	{ "\002ml", 3, REF_BLOCK },
	{ "\003gov\002ml", 7, REF_ALLOW },
	{ "\005gmial\003com", 10, REF_ALERT },
};

/* What one test run carries, framed: a page less the skb's room. */
#define MAX_MSG		3400
#define MAX_SET		1024

/* --- a small PRNG (xorshift64*), reproducible from -s ------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static uint32_t below(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

static int chance(int percent)
{
	return (int)below(100) < percent;
}

/* --- message builder ------------------------------------------------------ */

struct msg {
	uint8_t b[MAX_MSG + 64];
	size_t len;
	int over;
	size_t names[256];	/* offsets where a name or label begins */
	int nnames;
};

static void put(struct msg *m, const void *p, size_t n)
{
	if (m->len + n > MAX_MSG) {
		m->over = 1;
		return;
	}
	memcpy(m->b + m->len, p, n);
	m->len += n;
}

static void u8(struct msg *m, uint8_t v) { put(m, &v, 1); }

static void u16(struct msg *m, uint16_t v)
{
	uint8_t b[2] = { v >> 8, v & 0xff };

	put(m, b, 2);
}

static void u32(struct msg *m, uint32_t v)
{
	u16(m, v >> 16);
	u16(m, v & 0xffff);
}

static void mark(struct msg *m, size_t at)
{
	if (m->nnames < 256)
		m->names[m->nnames++] = at;
}

static const char *const pool[] = {
	"army.ml", "ArMy.Ml", "mx.army.ml", "mail.navy.ml", "ml", "www.gov.ml",
	"gov.ml", "mx.gov.ml", "army.mil", "mail.html", "gmial.com",
	"mx.gmial.com", "gmail.com", "example.org", "mx.example.net",
	"xn--80ak6aa92e.ml", "a.b.c.d.e.f.g.h.ml", "mail.protonmail.ch",
	"_25._tcp.mx.army.ml", "l", "co.ml", "x",
};

/* Labels of @text; each label start is a compression target later. */
static void labels(struct msg *m, const char *text)
{
	const char *p = text, *dot;
	size_t n;

	while (*p) {
		dot = strchr(p, '.');
		n = dot ? (size_t)(dot - p) : strlen(p);
		if (n > 63)
			n = 63;
		mark(m, m->len);
		u8(m, n);
		put(m, p, n);
		if (!dot)
			break;
		p = dot + 1;
	}
}

/* A name in one of the shapes a server (or an attacker) writes. */
static void name(struct msg *m)
{
	int i, n;

	switch (below(10)) {
	case 0: case 1: case 2:		/* pointer to the question */
		u16(m, 0xc000 | 12);
		return;
	case 3:			/* pointer to any earlier label */
		if (m->nnames) {
			u16(m, 0xc000 | m->names[below(m->nnames)]);
			return;
		}
		break;
	case 4:				/* a label, then a pointer */
		if (m->nnames) {
			labels(m, pool[below(sizeof(pool) / sizeof(pool[0]))]);
			u16(m, 0xc000 | m->names[below(m->nnames)]);
			return;
		}
		break;
	case 5:				/* long: many short labels */
		n = 20 + below(110);
		for (i = 0; i < n; i++) {
			mark(m, m->len);
			u8(m, 1);
			u8(m, 'a' + below(3));
		}
		labels(m, "ml");
		u8(m, 0);
		return;
	case 6:				/* the root */
		u8(m, 0);
		return;
	}
	labels(m, pool[below(sizeof(pool) / sizeof(pool[0]))]);
	u8(m, 0);
}

static const uint16_t types[] = {
	ns_t_a, ns_t_a, ns_t_a, ns_t_aaaa, ns_t_aaaa, ns_t_cname, ns_t_cname,
	ns_t_mx, ns_t_mx, ns_t_srv, ns_t_ns, ns_t_soa, ns_t_txt, ns_t_ptr,
	ns_t_opt, ns_t_rrsig, ns_t_dname, 65, 99, 0,
};

/* One record; @section only decides the counts, written by the caller. */
static void record(struct msg *m)
{
	uint16_t type = types[below(sizeof(types) / sizeof(types[0]))];
	size_t at, i, n;
	uint16_t rdlen;

	if (type == ns_t_opt)
		u8(m, 0);
	else
		name(m);
	u16(m, type);
	u16(m, type == ns_t_opt ? 1232 : chance(95) ? ns_c_in : below(256));
	u32(m, chance(90) ? below(86400) : (uint32_t)rnd());
	at = m->len;
	u16(m, 0);
	switch (type) {
	case ns_t_a:
		n = chance(95) ? 4 : below(8);
		for (i = 0; i < n; i++)
			u8(m, chance(50) ? 192 : below(256));
		break;
	case ns_t_aaaa:
		n = chance(95) ? 16 : below(20);
		for (i = 0; i < n; i++)
			u8(m, i < 2 ? (i ? 0x0d : 0x20) : below(256));
		break;
	case ns_t_mx:
		if (chance(97))
			u16(m, below(50));
		name(m);
		break;
	case ns_t_srv:
		if (chance(97)) {
			u16(m, 0);
			u16(m, 0);
			u16(m, 25);
		}
		name(m);
		break;
	case ns_t_cname: case ns_t_ns: case ns_t_ptr: case ns_t_dname:
		name(m);
		break;
	case ns_t_soa:
		name(m);
		name(m);
		for (i = 0; i < 5; i++)
			u32(m, rnd());
		break;
	case ns_t_rrsig:
		/* type covered .. key tag, signer, signature (a big one) */
		u16(m, ns_t_a);
		u8(m, 8);
		u8(m, 2);
		for (i = 0; i < 3; i++)
			u32(m, rnd());
		u16(m, rnd());
		name(m);
		n = chance(10) ? 600 + below(1500) : 64 + below(200);
		for (i = 0; i < n; i++)
			u8(m, rnd());
		break;
	case ns_t_opt:
		n = below(3);
		for (i = 0; i < n; i++) {
			u16(m, 10 + below(5));
			u16(m, 8);
			u32(m, rnd());
			u32(m, rnd());
		}
		break;
	default:
		n = below(40);
		for (i = 0; i < n; i++)
			u8(m, rnd());
	}
	rdlen = m->len - at - 2;
	if (!m->over) {
		m->b[at] = rdlen >> 8;
		m->b[at + 1] = rdlen & 0xff;
	}
}

static void set16(struct msg *m, size_t at, uint16_t v)
{
	m->b[at] = v >> 8;
	m->b[at + 1] = v & 0xff;
}

/* A response to @q (wire, with its root byte) or to a name of the pool. */
static void generate(struct msg *m, const uint8_t *q, size_t qlen)
{
	uint16_t qtypes[] = { ns_t_a, ns_t_aaaa, ns_t_mx, ns_t_srv, ns_t_any,
			      ns_t_txt, ns_t_cname };
	int counts[3], s, i, many = chance(5);

	memset(m, 0, offsetof(struct msg, b));
	m->len = 0;
	m->nnames = 0;
	m->over = 0;
	u16(m, rnd());
	u16(m, 0x8180 | (chance(5) ? 0x0200 : 0) |
	       (chance(90) ? 0 : below(16)));
	u16(m, 1);
	u16(m, 0);
	u16(m, 0);
	u16(m, 0);
	if (q) {
		mark(m, m->len);
		put(m, q, qlen);
	} else if (chance(10)) {
		name(m);	/* a pointer here: a loop or forward */
	} else {
		labels(m, pool[below(sizeof(pool) / sizeof(pool[0]))]);
		u8(m, 0);
	}
	u16(m, qtypes[below(sizeof(qtypes) / sizeof(qtypes[0]))]);
	u16(m, ns_c_in);
	for (s = 0; s < 3; s++) {
		counts[s] = many ? below(120) : below(s == 0 ? 12 : 5);
		for (i = 0; i < counts[s] && !m->over; i++)
			record(m);
	}
	if (m->over) {
		/* Too big for one test run: the counts say what fits. */
		m->len = MAX_MSG;
	}
	set16(m, 6, counts[0]);
	set16(m, 8, counts[1]);
	set16(m, 10, counts[2]);
}

/* Hostile edits of a message (generated or a seed). */
static void mutate(struct msg *m)
{
	int n = 1 + below(4), i;
	size_t at;

	for (i = 0; i < n && m->len > 12; i++) {
		at = below(m->len);
		switch (below(9)) {
		case 0:			/* a random byte */
			m->b[at] = rnd();
			break;
		case 1:			/* a bit flip */
			m->b[at] ^= 1 << below(8);
			break;
		case 2:			/* cut short */
			m->len = 12 + below(m->len - 12);
			break;
		case 3:			/* trailing bytes */
			while (m->len < MAX_MSG && chance(80))
				m->b[m->len++] = rnd();
			break;
		case 4:		/* a pointer: backward, self, forward */
			if (at + 1 < m->len) {
				uint16_t t = chance(60) && m->nnames ?
					m->names[below(m->nnames)] :
					chance(50) ? at : below(m->len + 8);

				set16(m, at, 0xc000 | (t & 0x3fff));
			}
			break;
		case 5:			/* a count off by a little */
			at = 6 + 2 * below(3);
			set16(m, at, ((m->b[at] << 8) | m->b[at + 1]) +
				     below(3) - 1);
			break;
		case 6:			/* QDCOUNT 0 or 2 */
			if (chance(20))
				set16(m, 4, below(3));
			break;
		case 7:			/* a label length out of place */
			m->b[at] = chance(50) ? 0x40 | below(64) : below(64);
			break;
		case 8:		/* a two-hop loop at a name start */
			if (m->nnames >= 1) {
				size_t a = m->names[below(m->nnames)];

				if (a + 3 < m->len) {
					set16(m, a, 0xc000 | (a + 2));
					set16(m, a + 2, 0xc000 | a);
				}
			}
			break;
		}
	}
}

/* --- the seed corpus ------------------------------------------------------ */

struct seed {
	uint8_t *b;
	size_t len;
	char *path;
};
static struct seed *seeds;
static int nseeds;

static void load_corpus(const char *dir)
{
	struct dirent *de;
	char path[4096];
	DIR *d = opendir(dir);
	FILE *f;

	if (!d) {
		fprintf(stderr, "dnsdiff: %s: %s\n", dir, strerror(errno));
		exit(2);
	}
	while ((de = readdir(d))) {
		struct seed sd;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "rb");
		if (!f)
			continue;
		sd.b = malloc(MAX_MSG);
		sd.len = sd.b ? fread(sd.b, 1, MAX_MSG, f) : 0;
		fclose(f);
		if (sd.len < 12) {
			free(sd.b);
			continue;
		}
		sd.path = strdup(de->d_name);
		seeds = realloc(seeds, (nseeds + 1) * sizeof(*seeds));
		seeds[nseeds++] = sd;
	}
	closedir(d);
}

/* --- the reference: glibc's libresolv ------------------------------------ */

struct addr16 {
	uint8_t a[16];
};

struct expect {
	int readable;		/* every record (and target) parsed */
	int question;		/* QDCOUNT 1 and the question parsed */
	int watched;
	int action;		/* REF_BLOCK or REF_ALERT when watched */
	struct addr16 addrs[MAX_SET];
	int naddrs;
	uint64_t names[MAX_SET];	/* hashes of tainted target names */
	int nnames;
	/* Some targets, for a follow-up lookup. */
	uint8_t tnames[8][NS_MAXCDNAME];
	int ntnames;
};

static void lower(uint8_t *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (w[i] >= 'A' && w[i] <= 'Z')
			w[i] += 'a' - 'A';
}

/* Length of an uncompressed wire name up to and without its root byte. */
static size_t wire_len(const uint8_t *w)
{
	size_t n = 0;

	while (w[n])
		n += 1 + w[n];
	return n;
}

/* The most specific rule whose labels end @w (canonical, no root byte). */
static int ref_rule(const uint8_t *w, size_t n)
{
	size_t off = 0, i;
	int best = REF_NONE, bestlen = -1;

	for (;;) {
		for (i = 0; i < sizeof(ref_rules) / sizeof(ref_rules[0]); i++)
			if (n - off == (size_t)ref_rules[i].len &&
			    !memcmp(w + off, ref_rules[i].wire, n - off) &&
			    ref_rules[i].len > bestlen) {
				best = ref_rules[i].kind;
				bestlen = ref_rules[i].len;
			}
		if (off >= n)
			break;
		off += 1 + w[off];
	}
	return best;
}

static void add_addr(struct expect *e, const uint8_t *a)
{
	int i;

	for (i = 0; i < e->naddrs; i++)
		if (!memcmp(e->addrs[i].a, a, 16))
			return;
	if (e->naddrs < MAX_SET)
		memcpy(e->addrs[e->naddrs++].a, a, 16);
}

static void add_name(struct expect *e, const uint8_t *w)
{
	size_t n = wire_len(w);
	uint64_t h = mxg_name_hash(PKT_SEED, w, n);
	int i;

	for (i = 0; i < e->nnames; i++)
		if (e->names[i] == h)
			return;
	if (e->nnames < MAX_SET)
		e->names[e->nnames++] = h;
	if (e->ntnames < 8)
		memcpy(e->tnames[e->ntnames++], w, n + 1);
}

/* Hashes of names tainted before this message (the follow-up's first). */
struct chain {
	uint64_t names[MAX_SET];
	int nnames;
	int action;
};

/*
 * What the reference says of @b: readable or not, watched or not, and the
 * addresses and names a watched answer taints.  Trailing bytes after the
 * last record are cut before ns_initparse(), which refuses them: the
 * datapath reads to the last record the counts announce (rule_trailing).
 */
static void reference(const uint8_t *b, size_t len, const struct chain *ch,
		      struct expect *e)
{
	const uint8_t *p = b + 12, *eom;
	uint8_t w[NS_MAXCDNAME];
	ns_msg h;
	ns_rr rr;
	int sec, i, n, k, rule;
	uint16_t type, rdlen, skip;
	uint8_t addr[16];
	uint64_t qh;

	memset(e, 0, offsetof(struct expect, addrs));
	e->naddrs = e->nnames = e->ntnames = 0;
	/* Names an earlier message of the case tainted are still there. */
	for (i = 0; ch && i < ch->nnames; i++)
		e->names[e->nnames++] = ch->names[i];
	if (len < 12)
		return;
	/* The question first: the datapath judges from it alone. */
	if (((b[4] << 8) | b[5]) == 1 &&
	    ns_name_unpack(b, b + len, b + 12, w, sizeof(w)) >= 0 &&
	    ns_name_skip(&p, b + len) == 0 && p + 4 <= b + len) {
		e->question = 1;
		n = wire_len(w);
		lower(w, n);
		rule = ref_rule(w, n);
		if (rule == REF_BLOCK || rule == REF_ALERT) {
			e->watched = 1;
			e->action = rule;
		}
		/*
		 * A tainted name keeps its chain's rule, even under a
		 * lookalike suffix of its own (README: an MX host under the
		 * lookalike suffix keeps the chain's origin).
		 */
		qh = mxg_name_hash(PKT_SEED, w, n);
		for (i = 0; ch && i < ch->nnames; i++)
			if (ch->names[i] == qh) {
				e->watched = 1;
				e->action = ch->action;
			}
	}
	/* Where the last record ends. */
	p = b + 12;
	for (sec = 0; sec < 4; sec++) {
		n = ns_skiprr(p, b + len, sec, (b[4 + 2 * sec] << 8) |
					       b[5 + 2 * sec]);
		if (n < 0)
			return;
		p += n;
	}
	eom = p;
	if (ns_initparse(b, eom - b, &h) < 0)
		return;
	for (sec = ns_s_qd; sec <= ns_s_ar; sec++) {
		for (i = 0; i < ns_msg_count(h, sec); i++) {
			if (ns_parserr(&h, sec, i, &rr) < 0)
				return;
			if (sec == ns_s_qd || sec == ns_s_ns)
				continue;
			type = ns_rr_type(rr);
			rdlen = ns_rr_rdlen(rr);
			if (type == ns_t_a && rdlen == 4) {
				memset(addr, 0, 10);
				addr[10] = addr[11] = 0xff;
				memcpy(addr + 12, ns_rr_rdata(rr), 4);
				add_addr(e, addr);
				continue;
			}
			if (type == ns_t_aaaa && rdlen == 16) {
				add_addr(e, ns_rr_rdata(rr));
				continue;
			}
			if (type == ns_t_mx)
				skip = 2;
			else if (type == ns_t_srv)
				skip = 6;
			else if (type == ns_t_cname)
				skip = 0;
			else
				continue;
			if (!e->watched)
				continue;
			/* A target that cannot be there is malformed. */
			if (rdlen <= skip)
				return;
			/*
			 * As clients read it: dn_expand() up to the end of
			 * the whole reply, not of the RDATA, so a target may
			 * run on into bytes after the last record.
			 */
			k = ns_name_unpack(b, b + len, ns_rr_rdata(rr) + skip,
					   w, sizeof(w));
			if (k < 0)
				return;
			lower(w, wire_len(w));
			add_name(e, w);
		}
	}
	e->readable = 1;
}

/* --- the rules: where the datapath may hold what the reference reads ----- */

/*
 * Walk a name as the datapath must (pointers strictly backwards, at most
 * MXG_PTR_HOPS_MAX hops).  Returns the offset past the name in place, or
 * -1 with *why set when the name breaks one of those two rules.
 */
static long strict_name(const uint8_t *b, size_t len, size_t off,
			const char **why)
{
	size_t pos = off, end = 0;
	int hops = 0;
	uint8_t c;

	for (;;) {
		if (pos >= len) {
			*why = "past the end";
			return -1;
		}
		c = b[pos];
		if (c == 0)
			return end ? (long)end : (long)pos + 1;
		if ((c & 0xc0) == 0xc0) {
			size_t t;

			if (pos + 1 >= len) {
				*why = "past the end";
				return -1;
			}
			t = ((c & 0x3f) << 8) | b[pos + 1];
			if (!end)
				end = pos + 2;
			if (t >= pos) {
				*why = "forward-pointer";
				return -1;
			}
			if (++hops > MXG_PTR_HOPS_MAX) {
				*why = "pointer-hops";
				return -1;
			}
			pos = t;
			continue;
		}
		if (c & 0xc0) {
			*why = "label-type";
			return -1;
		}
		pos += 1 + c;
	}
}

/*
 * rule_strict_names: "a forward pointer, a pointer loop" (README,
 * malformed-record).  The datapath takes a compression pointer only when it
 * points strictly backwards from where it stands, and follows at most
 * MXG_PTR_HOPS_MAX of them in one name; RFC 1035 4.1.4 speaks of "a prior
 * occurrence", and glibc takes forward pointers too.  Held back when
 * watched.  Returns the rule's name when some name the datapath walks
 * breaks it.
 */
static const char *rule_strict_names(const uint8_t *b, size_t len,
				     int watched)
{
	const char *why = NULL;
	long p = 12;
	int total, i;
	uint16_t type, rdlen, skip;

	total = ((b[6] << 8) | b[7]) + ((b[8] << 8) | b[9]) +
		((b[10] << 8) | b[11]);
	p = strict_name(b, len, 12, &why);
	if (p < 0)
		return why;
	p += 4;
	for (i = 0; i < total && i < MXG_RR_MAX; i++) {
		long o = strict_name(b, len, p, &why);

		if (o < 0)
			return why;
		if ((size_t)o + 10 > len)
			return NULL;
		type = (b[o] << 8) | b[o + 1];
		rdlen = (b[o + 8] << 8) | b[o + 9];
		skip = type == ns_t_mx ? 2 : type == ns_t_srv ? 6 : 0;
		if (watched && i >= ((b[6] << 8) | b[7]) &&
		    i < ((b[6] << 8) | b[7]) + ((b[8] << 8) | b[9]))
			type = 0;	/* authority: targets not walked */
		if (watched && (type == ns_t_mx || type == ns_t_srv ||
				type == ns_t_cname) && rdlen > skip &&
		    strict_name(b, len, o + 10 + skip, &why) < 0)
			return why;
		p = o + 10 + rdlen;
	}
	return NULL;
}

/*
 * rule_tcp_unattributed: "TCP DNS bytes that cannot be placed in the
 * stream: a stream older than mxguard".  A test run's socket has no
 * dns_stream state (connect() creates it), so every TCP answer here is
 * held in block mode, watched or not.  Real streams are followed in
 * tests/bpf/test_failclosed.c.
 */
static int rule_tcp_unattributed(const struct pkt_shape *sh)
{
	return sh->tcp;
}

/*
 * rule_opaque_unowned: "more than 6 extension headers (or a fragment) ...
 * on a socket that has talked DNS".  The transport header is out of reach;
 * a socket with no recorded owner has not talked DNS (connect/sendmsg to
 * port 53 records it), and its packets pass.  A test run's socket has none.
 */
static int rule_opaque_unowned(const struct pkt_shape *sh)
{
	int i;

	if (!sh->v6)
		return 0;
	for (i = 0; i < sh->n_ext && i < MXG_EXTHDR_MAX; i++)
		if (sh->ext[i] == 44)		/* a fragment */
			return 1;
	return sh->n_ext > MXG_EXTHDR_MAX;
}

/*
 * rule_no_question: a message whose QDCOUNT is not 1, or whose question the
 * datapath cannot read, answers nothing it can judge.  With no watched
 * query awaiting on the socket (a test run's socket sent none), it passes:
 * "unreadable-question" holds only where one awaits.  glibc's stub drops it
 * too: res_queriesmatch() compares QDCOUNT and the question with its query.
 */
static int rule_no_question(const uint8_t *b, size_t len,
			    const struct expect *e)
{
	const char *why;

	return !e->question || strict_name(b, len, 12, &why) < 0;
}

/* rule_too_big: over MXG_DNS_MAX, or more records than MXG_RR_MAX. */
static int rule_too_big(const uint8_t *b, size_t len)
{
	return len > MXG_DNS_MAX ||
	       ((b[6] << 8) | b[7]) + ((b[8] << 8) | b[9]) +
	       ((b[10] << 8) | b[11]) > MXG_RR_MAX;
}

/* --- the kernel side ------------------------------------------------------ */

struct seen {
	struct addr16 addrs[MAX_SET];
	int naddrs;
	uint64_t names[MAX_SET];
	int nnames;
};

/* Read taint_host and taint_names into @s and empty every taint map. */
static void harvest(struct seen *s)
{
	int fd = bpf_map__fd(pkt_skel->maps.taint_host);
	struct mxg_tname_key tk;
	struct mxg_host_key hk;
	int any = 0;

	s->naddrs = s->nnames = 0;
	while (!bpf_map_get_next_key(fd, NULL, &hk)) {
		if (s->naddrs < MAX_SET)
			memcpy(s->addrs[s->naddrs++].a, hk.addr, 16);
		bpf_map_delete_elem(fd, &hk);
		any = 1;
	}
	fd = bpf_map__fd(pkt_skel->maps.taint_names);
	while (!bpf_map_get_next_key(fd, NULL, &tk)) {
		int i, dup = 0;

		for (i = 0; i < s->nnames; i++)
			dup |= s->names[i] == tk.name_hash;
		if (!dup && s->nnames < MAX_SET)
			s->names[s->nnames++] = tk.name_hash;
		bpf_map_delete_elem(fd, &tk);
		any = 1;
	}
	if (any) {
		/* Written beside taint_host (taint.bpf.h record_addr). */
		int fds[] = { bpf_map__fd(pkt_skel->maps.taint_unit),
			      bpf_map__fd(pkt_skel->maps.taint_proc),
			      bpf_map__fd(pkt_skel->maps.taint_any) };
		uint8_t key[64];
		size_t i;

		for (i = 0; i < 3; i++)
			while (!bpf_map_get_next_key(fds[i], NULL, key))
				bpf_map_delete_elem(fds[i], key);
	}
}

static char why[512];
static int why_line;	/* which check disagreed (minimising keeps it) */

#define DISAGREE(...) do {						\
	snprintf(why, sizeof(why), __VA_ARGS__);			\
	why_line = __LINE__;						\
	return O_DISAGREE;						\
} while (0)

/*
 * The dns-answer-held events of the last packet: an answer the datapath
 * holds must say why, once, and the reason must be the rule's.
 */
static struct ring_buffer *events;
static struct {
	int n, held, reason;
} hev;

static int on_event(void *ctx, void *data, size_t size)
{
	const struct mxg_event *ev = data;

	(void)ctx;
	if (size >= sizeof(*ev) && ev->type == MXG_EV_DNS_HELD) {
		hev.n++;
		hev.held = ev->held;
		hev.reason = ev->reason;
	}
	return 0;
}

static const char *const reason_names[] = {
	"none", "malformed", "too-big", "records", "map-full", "tcp-stream",
	"tcp-messages", "headers", "mismatch", "nested", "question",
};

static const char *reason_name(int r)
{
	return r >= 0 && r < (int)(sizeof(reason_names) /
				   sizeof(reason_names[0])) ?
	       reason_names[r] : "?";
}

/*
 * Did the packet raise what its verdict needs?  A hold: one held event
 * whose reason is among @want (mask of 1 << reason).  A pass of an
 * unreadable watched answer (@incomplete): one event, not held.  Any other
 * pass: none.  A reservation the ring refused (ringbuf_drops) excuses a
 * missing event.  Returns 1 if so, else 0 with why[] set.
 */
static int explained(int ret, int incomplete, unsigned int want,
		     long long drops_before)
{
	int need = ret == 0 || incomplete;

	if (hev.n == need && (!need || hev.held == (ret == 0)) &&
	    (ret != 0 || !need || (want & (1u << hev.reason))))
		return 1;
	if (hev.n < need && pkt_counter(MXG_CNT_RB_DROPS) > drops_before)
		return 1;
	snprintf(why, sizeof(why), "%d held events (held %d, reason %s) for "
		 "a %s", hev.n, hev.held, reason_name(hev.reason),
		 ret ? (incomplete ? "pass, incomplete" : "pass") : "hold");
	why_line = __LINE__;
	return 0;
}

#define R(x)	(1u << MXG_HOLD_##x)

/* Keep the tainted names of a message, forget its addresses. */
static void clear_addrs(void)
{
	int fds[] = { bpf_map__fd(pkt_skel->maps.taint_host),
		      bpf_map__fd(pkt_skel->maps.taint_unit),
		      bpf_map__fd(pkt_skel->maps.taint_proc),
		      bpf_map__fd(pkt_skel->maps.taint_any) };
	uint8_t key[64];
	size_t i;

	for (i = 0; i < 4; i++)
		while (!bpf_map_get_next_key(fds[i], NULL, key))
			bpf_map_delete_elem(fds[i], key);
}

/* --- one case ------------------------------------------------------------- */

enum outcome {
	O_PASS_AGREE,		/* watched, read, passed, same taints */
	O_HELD_MALFORMED,	/* watched, reference refuses too: held */
	O_PASS_ALERT,		/* watched, unreadable, alert rule */
	O_HELD_STRICT,		/* rule_strict_names */
	O_HELD_TCP,		/* rule_tcp_unattributed */
	O_PASS_OPAQUE,		/* rule_opaque_unowned */
	O_PASS_NOQ,		/* rule_no_question */
	O_HELD_BIG,		/* rule_too_big */
	O_CLEAN,		/* clean question: passed, nothing tainted */
	O_ALERT_MODE,		/* --mode alert: passed */
	O_DISAGREE,
	O__MAX
};

static const char *const outcome_names[] = {
	"watched, read in full, passed, same taints",
	"watched, malformed for both, held",
	"watched, malformed, alert rule: passed",
	"held: forward pointer or hop bound (rule_strict_names)",
	"held: TCP without stream state (rule_tcp_unattributed)",
	"passed: opaque transport, unowned socket (rule_opaque_unowned)",
	"passed: no judgeable question (rule_no_question)",
	"held: too big (rule_too_big)",
	"clean question: passed, nothing tainted",
	"alert mode: passed",
	"DISAGREEMENT",
};

static long long outcomes[O__MAX];
static int verbose;
static int alert_mode;

static int addr_in(const struct addr16 *set, int n, const uint8_t *a)
{
	int i;

	for (i = 0; i < n; i++)
		if (!memcmp(set[i].a, a, 16))
			return 1;
	return 0;
}

static int hash_in(const uint64_t *set, int n, uint64_t h)
{
	int i;

	for (i = 0; i < n; i++)
		if (set[i] == h)
			return 1;
	return 0;
}

/* Same sets?  Else the first difference into why[]. */
static int same_taints(const struct expect *e, const struct seen *s)
{
	char a[INET6_ADDRSTRLEN];
	int i;

	for (i = 0; i < e->naddrs; i++)
		if (!addr_in(s->addrs, s->naddrs, e->addrs[i].a)) {
			inet_ntop(AF_INET6, e->addrs[i].a, a, sizeof(a));
			snprintf(why, sizeof(why), "%s not tainted", a);
			why_line = __LINE__;
			return 0;
		}
	for (i = 0; i < s->naddrs; i++)
		if (!addr_in(e->addrs, e->naddrs, s->addrs[i].a)) {
			inet_ntop(AF_INET6, s->addrs[i].a, a, sizeof(a));
			snprintf(why, sizeof(why), "%s tainted, not in answer",
				 a);
			why_line = __LINE__;
			return 0;
		}
	for (i = 0; i < e->nnames; i++)
		if (!hash_in(s->names, s->nnames, e->names[i])) {
			snprintf(why, sizeof(why), "a target name not tainted");
			why_line = __LINE__;
			return 0;
		}
	for (i = 0; i < s->nnames; i++)
		if (!hash_in(e->names, e->nnames, s->names[i])) {
			snprintf(why, sizeof(why),
				 "a name tainted, not a target");
			why_line = __LINE__;
			return 0;
		}
	return 1;
}

/*
 * Judge one message: run it, harvest, compare.  @ch carries the names an
 * earlier message of the same case tainted (NULL: none; maps are empty).
 * The kernel's taints are left in place when @keep is set (a follow-up
 * comes), and returned in @s either way.
 */
static enum outcome judge(const struct pkt_shape *sh, const uint8_t *b,
			  size_t len, const struct chain *ch,
			  struct expect *e, struct seen *s)
{
	long long drops = events ? pkt_counter(MXG_CNT_RB_DROPS) : 0;
	const char *strict;
	int ret;

	reference(b, len, ch, e);
	hev.n = hev.held = hev.reason = 0;
	ret = pkt_push(sh, b, len);
	if (events)
		ring_buffer__consume(events);
	harvest(s);
	why[0] = 0;
	if (ret < 0) {
		DISAGREE("test run: %s", strerror(-ret));
	}
	if (rule_opaque_unowned(sh)) {
		if (ret != 1 || s->naddrs || s->nnames) {
			DISAGREE("opaque: held or tainted");
		}
		return explained(ret, 0, 0, drops) ? O_PASS_OPAQUE :
						     O_DISAGREE;
	}
	if (rule_tcp_unattributed(sh)) {
		if (ret != alert_mode) {
			DISAGREE("TCP without state passed");
		}
		if (alert_mode)
			return O_ALERT_MODE;
		return explained(ret, 0, R(TCP_STREAM), drops) ? O_HELD_TCP :
								 O_DISAGREE;
	}
	if (rule_no_question(b, len, e)) {
		if (ret != 1 || s->naddrs ||
		    s->nnames > (ch ? ch->nnames : 0)) {
			DISAGREE("no judgeable question: held or tainted");
		}
		return explained(ret, 0, 0, drops) ? O_PASS_NOQ : O_DISAGREE;
	}
	if (alert_mode) {
		if (ret != 1) {
			DISAGREE("held in alert mode");
		}
		if (e->watched && e->readable &&
		    !rule_strict_names(b, len, 1) && !same_taints(e, s))
			return O_DISAGREE;
		return O_ALERT_MODE;
	}
	if (!e->watched) {
		if (ret != 1) {
			DISAGREE("clean question held");
		}
		if (s->naddrs || s->nnames > (ch ? ch->nnames : 0)) {
			DISAGREE("clean question tainted");
		}
		return explained(ret, 0, 0, drops) ? O_CLEAN : O_DISAGREE;
	}
	strict = rule_strict_names(b, len, 1);
	if (e->readable && !strict && !rule_too_big(b, len)) {
		if (ret != 1) {
			DISAGREE("readable answer held");
		}
		return same_taints(e, s) && explained(ret, 0, 0, drops) ?
		       O_PASS_AGREE : O_DISAGREE;
	}
	/* Unreadable, by the reference or by a rule: held if block. */
	if (ret != (e->action == REF_ALERT)) {
		DISAGREE("%s answer %s (%s)",
			 e->readable ? "strict-rule" : "malformed",
			 ret ? "passed" : "held",
			 e->action == REF_ALERT ? "alert rule" : "block rule");
	}
	if (e->action == REF_ALERT)
		return explained(ret, 1, 0, drops) ? O_PASS_ALERT : O_DISAGREE;
	/* A name past MXG_NAME_STEPS is reported as too-big (truncated). */
	if (rule_too_big(b, len))
		return explained(ret, 0, R(RECORDS) | R(MALFORMED) |
				 R(TOO_BIG), drops) ? O_HELD_BIG : O_DISAGREE;
	if (e->readable)
		return explained(ret, 0, R(MALFORMED), drops) ?
		       O_HELD_STRICT : O_DISAGREE;
	return explained(ret, 0, R(MALFORMED) | R(TOO_BIG) | R(RECORDS),
			 drops) ? O_HELD_MALFORMED : O_DISAGREE;
}

/* A case's transport. */
static void shape(struct pkt_shape *sh)
{
	static const uint8_t ext[] = { 0, 43, 60, 60, 51, 44 };
	int i;

	memset(sh, 0, sizeof(*sh));
	sh->v6 = chance(35);
	sh->tcp = chance(4);
	if (sh->v6 && chance(40)) {
		sh->n_ext = below(9);
		for (i = 0; i < sh->n_ext; i++) {
			sh->ext[i] = ext[below(sizeof(ext))];
			if (sh->ext[i] == 44 && chance(70))
				sh->ext[i] = 60;
		}
	}
}

static void hexdump(FILE *f, const uint8_t *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		fprintf(f, "0x%02x,%s", b[i], (i % 12 == 11) ? "\n\t" : " ");
	fprintf(f, "\n");
}

/* Remove byte ranges while the message still disagrees. */
static size_t minimise(const struct pkt_shape *sh, uint8_t *b, size_t len)
{
	static uint8_t t[MAX_MSG + 64];
	struct expect *e = malloc(sizeof(*e));
	struct seen *s = malloc(sizeof(*s));
	size_t chunk, at;
	int line = why_line;

	for (chunk = len / 2; chunk >= 1 && e && s; chunk /= 2) {
		for (at = 12; at + chunk <= len;) {
			memcpy(t, b, at);
			memcpy(t + at, b + at + chunk, len - at - chunk);
			if (judge(sh, t, len - chunk, NULL, e, s) ==
			    O_DISAGREE && why_line == line) {
				memcpy(b, t, len - chunk);
				len -= chunk;
			} else {
				at += chunk;
			}
		}
	}
	free(e);
	free(s);
	return len;
}

static int report(const char *outdir, long long n, const struct pkt_shape *sh,
		  uint8_t *b, size_t len)
{
	char first[512], path[4096];
	FILE *f;

	snprintf(first, sizeof(first), "%s", why);
	len = minimise(sh, b, len);
	fprintf(stderr, "dnsdiff: case %lld: %s (v6 %d, tcp %d, ext %d)\n"
		"  minimised to %zu bytes:\n\t", n, first, sh->v6, sh->tcp,
		sh->n_ext, len);
	hexdump(stderr, b, len);
	if (outdir) {
		snprintf(path, sizeof(path), "%s/disagreement-%lld", outdir, n);
		f = fopen(path, "wb");
		if (f) {
			fwrite(b, 1, len, f);
			fclose(f);
		}
	}
	return 1;
}

/*
 * -r DIR: judge every file of DIR (a corpus, or disagreements kept with
 * -o) as IPv4 and as IPv6 over UDP, and say what each side made of it.
 */
static int replay_dir(const char *dir)
{
	struct pkt_shape sh = { 0 };
	struct expect *e = malloc(sizeof(*e));
	struct seen *s = malloc(sizeof(*s));
	int i, v6, bad = 0;
	enum outcome o;

	load_corpus(dir);
	for (i = 0; i < nseeds && e && s; i++) {
		for (v6 = 0; v6 < 2; v6++) {
			sh.v6 = v6;
			o = judge(&sh, seeds[i].b, seeds[i].len, NULL, e, s);
			printf("%s %d %s: %s%s%s (readable %d, question %d, "
			       "watched %d, %d addresses, %d names)\n",
			       seeds[i].path, v6 ? 6 : 4,
			       o == O_DISAGREE ? "DISAGREE" : "ok",
			       outcome_names[o], why[0] ? ": " : "", why,
			       e->readable, e->question, e->watched,
			       e->naddrs, e->nnames);
			bad += o == O_DISAGREE;
		}
	}
	return bad ? 1 : 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long long cases = 100000, n, failures = 0, max_fail = 5;
	const char *corpus = NULL, *outdir = NULL, *replay = NULL;
	double limit = 0, t0;
	struct pkt_shape sh;
	struct expect *e = malloc(sizeof(*e));
	struct seen *s = malloc(sizeof(*s));
	struct chain *ch = malloc(sizeof(*ch));
	struct msg *m = malloc(sizeof(*m));
	int opt, i, mutated;
	enum outcome o;

	while ((opt = getopt(argc, argv, "n:t:s:c:o:r:v")) != -1) {
		switch (opt) {
		case 'n': cases = atoll(optarg); break;
		case 't': limit = atof(optarg); break;
		case 's': rng_state = strtoull(optarg, NULL, 0) | 1; break;
		case 'c': corpus = optarg; break;
		case 'o': outdir = optarg; break;
		case 'v': verbose = 1; break;
		case 'r': replay = optarg; break;
		default:
			fprintf(stderr, "usage: dnsdiff [-n CASES] [-t SECS] "
				"[-s SEED] [-c CORPUS] [-o OUTDIR] [-r DIR] "
				"[-v]\n");
			return 2;
		}
	}
	if (!e || !s || !ch || !m)
		return 2;
	log_init("dnsdiff", LOG_LVL_WARN);
	log_route_libbpf();
	if (corpus)
		load_corpus(corpus);
	/* Room for every address one test run can carry, and more. */
	if (pkt_setup_sized(policy, 2048)) {
		fprintf(stderr, "dnsdiff: setup failed: %s\n", strerror(errno));
		return 1;
	}
	pkt_clear_taints();
	events = ring_buffer__new(bpf_map__fd(pkt_skel->maps.events), on_event,
				  NULL, NULL);
	if (!events) {
		fprintf(stderr, "dnsdiff: ring buffer: %s\n", strerror(errno));
		return 1;
	}
	if (replay)
		return replay_dir(replay);
	printf("# dnsdiff: %lld cases%s, seed %#llx, %d seeds from %s\n", cases,
	       limit > 0 ? " (or the time limit)" : "",
	       (unsigned long long)rng_state, nseeds, corpus ? corpus : "-");
	t0 = now_s();
	for (n = 0; n < cases; n++) {
		/* One case in eight thousand of every 64k in alert mode. */
		int am = (n >> 13) % 8 == 7;

		if (am != alert_mode) {
			alert_mode = am;
			pkt_set_mode(am ? MXG_MODE_ALERT : MXG_MODE_ENFORCE);
		}
		if ((n & 1023) == 0 && limit > 0 && now_s() - t0 > limit)
			break;
		shape(&sh);
		if (nseeds && chance(40)) {
			const struct seed *sd = &seeds[below(nseeds)];

			memcpy(m->b, sd->b, sd->len);
			m->len = sd->len;
			m->nnames = 1;
			m->names[0] = 12;
			if (chance(85))
				mutate(m);
		} else {
			generate(m, NULL, 0);
			if (chance(60))
				mutate(m);
		}
		o = judge(&sh, m->b, m->len, NULL, e, s);
		/* The follow-up lookup of a target the answer tainted. */
		if (o == O_PASS_AGREE && e->ntnames && chance(30) &&
		    !sh.tcp) {
			const uint8_t *q = e->tnames[below(e->ntnames)];
			struct pkt_shape sh2 = { .v6 = sh.v6 };

			/* The taints of the first are back in the kernel. */
			ch->nnames = e->nnames;
			memcpy(ch->names, e->names, e->nnames * 8);
			ch->action = e->action;
			pkt_push(&sh, m->b, m->len);
			clear_addrs();
			generate(m, q, wire_len(q) + 1);
			mutated = chance(30);
			if (mutated)
				mutate(m);
			o = judge(&sh2, m->b, m->len, ch, e, s);
			if (o != O_DISAGREE && !mutated && !e->watched) {
				snprintf(why, sizeof(why),
					 "tainted name not watched");
				o = O_DISAGREE;
			}
			if (o == O_DISAGREE) {
				/* Minimising needs the first message too. */
				fprintf(stderr, "dnsdiff: case %lld: follow-up"
					": %s\n\t", n, why);
				hexdump(stderr, m->b, m->len);
				outcomes[o]++;
				if (++failures >= max_fail)
					break;
				continue;
			}
			sh = sh2;
		}
		outcomes[o]++;
		if (o == O_DISAGREE) {
			report(outdir, n, &sh, m->b, m->len);
			if (++failures >= max_fail)
				break;
		} else if (verbose) {
			printf("case %lld: %s\n", n, outcome_names[o]);
		}
	}
	t0 = now_s() - t0;
	/* TAP, for run.sh and the VM matrix: one test, the counts as notes. */
	for (i = 0; i < O__MAX; i++)
		printf("# %10lld  %s\n", outcomes[i], outcome_names[i]);
	printf("1..1\n%s 1 - dnsdiff: %lld cases in %.1f s (%.0f/s), "
	       "%lld disagreements\n", failures ? "not ok" : "ok", n, t0,
	       n / (t0 > 0 ? t0 : 1), failures);
	mxguard_bpf__destroy(pkt_skel);
	return failures ? 1 : 0;
}

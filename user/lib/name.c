// SPDX-License-Identifier: GPL-2.0-only
/*
 * Canonical DNS names: presentation form <-> wire bytes, and the suffix
 * hashes the BPF side computes in mxg_hash_name() (bpf/dns.bpf.h).
 */
#include <errno.h>
#include <string.h>

#include "name.h"
#include "mxguard/hash.h"

#define LABEL_MAX	63
/* Wire bytes without the root byte: 255 with it. */
#define WIRE_MAX	(MXG_NAME_MAX - 2)

struct name_builder {
	__u8 *wire;
	__u32 len;		/* bytes written, length bytes included */
	__u32 label;		/* where the open label's length byte sits */
	const char *err;
};

/* Reads one \DDD or \X escape at @s (just past the backslash). */
static int parse_escape(const char **s, __u8 *c, const char **err)
{
	const char *p = *s;
	unsigned int v;

	if (!p[0]) {
		*err = "trailing backslash";
		return -EINVAL;
	}
	if (p[0] < '0' || p[0] > '9') {
		*c = (__u8)p[0];
		*s = p + 1;
		return 0;
	}
	if (p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9') {
		*err = "\\DDD escape needs three digits";
		return -EINVAL;
	}
	v = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	if (v > 255) {
		*err = "\\DDD escape above 255";
		return -EINVAL;
	}
	*c = (__u8)v;
	*s = p + 3;
	return 0;
}

static int put_byte(struct name_builder *b, __u8 c)
{
	if (b->len - b->label - 1 >= LABEL_MAX) {
		b->err = "label longer than 63 bytes";
		return -EINVAL;
	}
	if (b->len >= WIRE_MAX) {
		b->err = "name longer than 255 bytes";
		return -EINVAL;
	}
	b->wire[b->len++] = mxg_lower(c);
	return 0;
}

/* Closes the open label: "a..b" and ".a" have an empty one. */
static int end_label(struct name_builder *b)
{
	__u32 n = b->len - b->label - 1;

	if (!n) {
		b->err = "empty label";
		return -EINVAL;
	}
	b->wire[b->label] = (__u8)n;
	return 0;
}

static int start_label(struct name_builder *b)
{
	if (b->len >= WIRE_MAX) {
		b->err = "name longer than 255 bytes";
		return -EINVAL;
	}
	b->label = b->len++;
	return 0;
}

int mxg_name_parse(const char *text, __u8 *wire, __u32 *len, const char **err)
{
	struct name_builder b = { .wire = wire };
	const char *s = text;
	int open = 1;
	__u8 c;

	*len = 0;
	if (!strcmp(text, "."))
		return 0;
	if (!*text) {
		*err = "empty name";
		return -EINVAL;
	}
	if (start_label(&b))
		goto fail;
	while (*s) {
		if (*s == '.') {
			if (end_label(&b))
				goto fail;
			s++;
			if (!*s) {	/* the trailing dot of an absolute name */
				open = 0;
				break;
			}
			if (start_label(&b))
				goto fail;
			continue;
		}
		if (*s == '\\') {
			s++;
			if (parse_escape(&s, &c, &b.err))
				goto fail;
		} else {
			c = (__u8)*s++;
		}
		if (put_byte(&b, c))
			goto fail;
	}
	if (open && end_label(&b))
		goto fail;
	*len = b.len;
	return 0;
fail:
	*err = b.err;
	return -EINVAL;
}

struct text_out {
	char *buf;
	size_t size, len;
	int full;	/* a piece did not fit: write nothing more */
};

/* Whole pieces only, so a cut never leaves half an escape behind. */
static void out_put(struct text_out *o, const char *piece, size_t n)
{
	if (o->full || o->len + n >= o->size) {
		o->full = 1;
		return;
	}
	memcpy(o->buf + o->len, piece, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static int plain_byte(__u8 c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/*
 * A run of plain bytes at once: the same text as one piece per byte (each
 * fits while a byte and the NUL do), without a call per byte.
 */
static void out_run(struct text_out *o, const __u8 *s, size_t n)
{
	size_t room;

	if (o->full)
		return;
	room = o->size - o->len - 1;
	if (n > room) {
		n = room;
		o->full = 1;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void out_byte(struct text_out *o, __u8 c)
{
	char esc[5];

	if (plain_byte(c)) {
		esc[0] = (char)c;
		out_put(o, esc, 1);
	} else if (c == '.' || c == '\\') {
		esc[0] = '\\';
		esc[1] = (char)c;
		out_put(o, esc, 2);
	} else {
		esc[0] = '\\';
		esc[1] = (char)('0' + c / 100);
		esc[2] = (char)('0' + c / 10 % 10);
		esc[3] = (char)('0' + c % 10);
		out_put(o, esc, 4);
	}
}

void mxg_name_format(const __u8 *wire, size_t max, char *out, size_t outsz)
{
	struct text_out o = { .buf = out, .size = outsz };
	size_t pos = 0, i;
	__u8 n;

	if (!outsz)
		return;
	out[0] = '\0';
	while (pos < max && wire[pos]) {
		n = wire[pos];
		if (pos)
			out_put(&o, ".", 1);
		/* Compression pointers and labels past the end are faults. */
		if (n > LABEL_MAX || pos + 1 + n > max) {
			out_put(&o, "\\?", 2);
			return;
		}
		for (i = 1; i <= n;) {
			size_t j = i;

			while (j <= n && plain_byte(wire[pos + j]))
				j++;
			if (j > i) {
				out_run(&o, &wire[pos + i], j - i);
				i = j;
			} else {
				out_byte(&o, wire[pos + i++]);
			}
		}
		pos += 1 + n;
	}
	if (!pos)
		out_put(&o, ".", 1);
}

__u64 mxg_name_hash(__u64 seed, const __u8 *wire, __u32 len)
{
	__u64 h = mxg_hash_init(seed);
	__u32 i;

	/* The whole name is the suffix at offset 0: no label walk needed. */
	for (i = len; i > 0; i--)
		h = mxg_hash_step(h, wire[i - 1]);
	return mxg_hash_final(h);
}

/* Label starts in name order, as the BPF name walk marks them. */
static int label_starts(const __u8 *wire, __u32 len, __u32 *starts)
{
	__u32 pos = 0;
	int n = 0;

	while (pos < len && n < MXG_LABELS_MAX + 1) {
		starts[n++] = pos;
		pos += 1 + wire[pos];
	}
	return n;
}

int mxg_name_suffixes(__u64 seed, const __u8 *wire, __u32 len, __u64 *hashes,
		      __u32 *offsets, int max)
{
	__u32 starts[MXG_LABELS_MAX + 1];
	int k = label_starts(wire, len, starts), found = 0;
	__u64 h = mxg_hash_init(seed);
	__u32 i;

	/* Same walk as the kernel: last byte first, a hash at every start. */
	for (i = len; i > 0 && k > 0 && found < max; i--) {
		h = mxg_hash_step(h, wire[i - 1]);
		if (i - 1 != starts[k - 1])
			continue;
		k--;
		hashes[found] = mxg_hash_final(h);
		offsets[found] = i - 1;
		found++;
	}
	return found;
}

__u32 mxg_name_wire_len(const __u8 *wire, size_t max)
{
	size_t n = 0;

	while (n < max && wire[n])
		n += wire[n] + 1;
	return n < max ? n : 0;
}

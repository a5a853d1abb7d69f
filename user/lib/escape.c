// SPDX-License-Identifier: GPL-2.0-only
/* Printable escaping for text sinks, and a bounded line writer (escape.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"

void tb_init(struct tbuf *b, char *buf, size_t size)
{
	b->buf = buf;
	b->size = size;
	b->len = 0;
	b->full = !size;
	if (size)
		buf[0] = '\0';
}

void tb_put(struct tbuf *b, const char *s, size_t n)
{
	if (b->full || b->len + n >= b->size) {
		b->full = 1;
		return;
	}
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

void tb_puts(struct tbuf *b, const char *s)
{
	tb_put(b, s, strlen(s));
}

void tb_printf(struct tbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->buf + b->len, b->size - b->len, fmt, ap);
	va_end(ap);
	/* Did not fit: take the cut piece back, as tb_put would. */
	if (n < 0 || (size_t)n >= b->size - b->len) {
		b->buf[b->len] = '\0';
		b->full = 1;
		return;
	}
	b->len += n;
}

static int is_cont(unsigned char c, unsigned char lo, unsigned char hi)
{
	return c >= lo && c <= hi;
}

/*
 * The ranges of the second byte rule out overlong forms, surrogates and
 * code points above U+10FFFF (table 3-7 of the Unicode standard).
 */
size_t utf8_seq_len(const unsigned char *s, size_t n, unsigned int *cp)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < len || !is_cont(s[1], lo, hi))
		return 0;
	for (i = 2; i < len; i++)
		if (!is_cont(s[i], 0x80, 0xbf))
			return 0;
	*cp = c & (0x7f >> len);
	for (i = 1; i < len; i++)
		*cp = *cp << 6 | (s[i] & 0x3f);
	return len;
}

int unicode_unsafe(unsigned int cp)
{
	return (cp >= 0x80 && cp <= 0x9f) ||		/* C1 controls */
	       cp == 0x2028 || cp == 0x2029 ||		/* line, paragraph */
	       cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x202a && cp <= 0x202e) ||	/* embeddings */
	       (cp >= 0x2066 && cp <= 0x2069);		/* isolates */
}

/* "\\x%02x" by hand: printf was most of an escape's cost. */
static void put_hex(struct tbuf *b, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char piece[4] = { '\\', 'x', hex[c >> 4], hex[c & 0xf] };

	tb_put(b, piece, 4);
}

void tb_text(struct tbuf *b, const char *in)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t n = in ? strlen(in) : 0, i = 0, len, k;
	unsigned int cp;

	while (i < n) {
		if (s[i] == '\\') {
			tb_put(b, "\\\\", 2);
			i++;
		} else if (s[i] >= 0x20 && s[i] < 0x7f) {
			tb_put(b, (const char *)s + i++, 1);
		} else if (s[i] < 0x80) {
			put_hex(b, s[i++]);
		} else if ((len = utf8_seq_len(s + i, n - i, &cp)) &&
			   !unicode_unsafe(cp)) {
			tb_put(b, (const char *)s + i, len);
			i += len;
		} else {
			/* Each byte of an unsafe code point, or the bad one. */
			for (k = len ? len : 1; k--;)
				put_hex(b, s[i++]);
		}
	}
}

size_t text_escape(char *out, size_t sz, const char *s)
{
	struct tbuf b;

	tb_init(&b, out, sz);
	tb_text(&b, s);
	return b.len;
}

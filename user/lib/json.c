// SPDX-License-Identifier: GPL-2.0-only
/*
 * A small JSON writer for event lines.  Names in events come from packets,
 * so every string is treated as hostile bytes: the output stays valid JSON
 * on a single line whatever they hold.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "json.h"

struct esc_out {
	char *buf;
	size_t size;
	size_t len;	/* needed so far */
	size_t written;	/* in buf */
	int full;	/* a piece did not fit: write nothing more */
};

/* Whole pieces only, so a cut never leaves half an escape behind. */
static void esc_put(struct esc_out *o, const char *piece, size_t n)
{
	if (!o->full && o->len + n < o->size) {
		memcpy(o->buf + o->len, piece, n);
		o->written = o->len + n;
	} else {
		o->full = 1;
	}
	o->len += n;
}

/*
 * @n bytes that are each their own one-byte piece: what esc_put would do
 * byte by byte, in one copy.  Most of a name or a path is such bytes.
 */
static void esc_run(struct esc_out *o, const char *run, size_t n)
{
	size_t fit = 0;

	if (!o->full) {
		if (o->size > o->len + 1)
			fit = o->size - 1 - o->len;
		if (fit >= n)
			fit = n;
		else
			o->full = 1;
		if (fit) {
			memcpy(o->buf + o->len, run, fit);
			o->written = o->len + fit;
		}
	}
	o->len += n;
}

/* A byte json_escape copies as it is. */
static int plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* "\\u%04x" by hand (printf is most of an escape's cost); cp <= 0xffff. */
static void esc_hex(struct esc_out *o, unsigned int cp)
{
	static const char hex[] = "0123456789abcdef";
	char piece[6] = { '\\', 'u', hex[cp >> 12 & 0xf], hex[cp >> 8 & 0xf],
			  hex[cp >> 4 & 0xf], hex[cp & 0xf] };

	esc_put(o, piece, 6);
}

static void esc_ascii(struct esc_out *o, unsigned char c)
{
	static const char short_esc[] = {
		['"'] = '"', ['\\'] = '\\', ['\n'] = 'n', ['\r'] = 'r',
		['\t'] = 't', ['\b'] = 'b', ['\f'] = 'f',
	};
	char piece[2] = { '\\' };

	if (c < sizeof(short_esc) && short_esc[c]) {
		piece[1] = short_esc[c];
		esc_put(o, piece, 2);
	} else if (c < 0x20 || c == 0x7f) {
		esc_hex(o, c);
	} else {
		piece[0] = (char)c;
		esc_put(o, piece, 1);
	}
}

size_t json_escape(char *out, size_t outsz, const char *in, size_t n)
{
	const unsigned char *s = (const unsigned char *)in;
	struct esc_out o = { .buf = out, .size = outsz };
	unsigned int cp;
	size_t i = 0, len;

	while (i < n) {
		for (len = 0; i + len < n && plain(s[i + len]); len++)
			;
		if (len) {
			esc_run(&o, in + i, len);
			i += len;
			continue;
		}
		if (s[i] < 0x80) {
			esc_ascii(&o, s[i++]);
			continue;
		}
		len = utf8_seq_len(s + i, n - i, &cp);
		if (!len)
			esc_hex(&o, s[i++]);
		else if (unicode_unsafe(cp))
			esc_hex(&o, cp);
		else
			esc_put(&o, (const char *)s + i, len);
		i += len;
	}
	if (outsz)
		out[o.written] = '\0';
	return o.len;
}

void jw_init(struct jw *w)
{
	memset(w, 0, sizeof(*w));
}

void jw_free(struct jw *w)
{
	free(w->buf);
	jw_init(w);
}

void jw_reset(struct jw *w)
{
	w->len = 0;
	w->depth = 0;
	w->oom = 0;
	if (w->buf)
		w->buf[0] = '\0';
}

/* Room for @extra more bytes and the NUL; sets oom when there is none. */
static int jw_reserve(struct jw *w, size_t extra)
{
	size_t cap = w->cap ? w->cap : 256;
	char *buf;

	if (w->oom)
		return -1;
	while (cap < w->len + extra + 1)
		cap *= 2;
	if (cap == w->cap)
		return 0;
	buf = realloc(w->buf, cap);
	if (!buf) {
		w->oom = 1;
		return -1;
	}
	w->buf = buf;
	w->cap = cap;
	return 0;
}

static void jw_raw(struct jw *w, const char *s, size_t n)
{
	if (jw_reserve(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void jw_quoted(struct jw *w, const char *s, size_t n)
{
	size_t need = json_escape(NULL, 0, s, n);

	if (jw_reserve(w, need + 2))
		return;
	w->buf[w->len++] = '"';
	json_escape(w->buf + w->len, need + 1, s, n);
	w->len += need;
	w->buf[w->len++] = '"';
	w->buf[w->len] = '\0';
}

/* The comma and "key": that come before every value. */
static void jw_member(struct jw *w, const char *key)
{
	if (w->depth > 0 && !w->first[w->depth])
		jw_raw(w, ",", 1);
	w->first[w->depth] = 0;
	if (key) {
		jw_quoted(w, key, strlen(key));
		jw_raw(w, ":", 1);
	}
}

/* Nesting past JW_DEPTH_MAX is a caller bug; flag the output as invalid. */
static void jw_open(struct jw *w, const char *key, char c)
{
	jw_member(w, key);
	if (w->depth + 1 >= JW_DEPTH_MAX) {
		w->oom = 1;
		return;
	}
	jw_raw(w, &c, 1);
	w->first[++w->depth] = 1;
}

static void jw_close(struct jw *w, char c)
{
	if (w->depth <= 0) {
		w->oom = 1;
		return;
	}
	jw_raw(w, &c, 1);
	w->depth--;
}

void jw_obj_open(struct jw *w, const char *key)
{
	jw_open(w, key, '{');
}

void jw_obj_close(struct jw *w)
{
	jw_close(w, '}');
}

void jw_arr_open(struct jw *w, const char *key)
{
	jw_open(w, key, '[');
}

void jw_arr_close(struct jw *w)
{
	jw_close(w, ']');
}

void jw_strn(struct jw *w, const char *key, const char *val, size_t n)
{
	jw_member(w, key);
	jw_quoted(w, val, n);
}

void jw_str(struct jw *w, const char *key, const char *val)
{
	if (val)
		jw_strn(w, key, val, strlen(val));
	else
		jw_null(w, key);
}

void jw_u64(struct jw *w, const char *key, unsigned long long v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%llu", v);

	jw_member(w, key);
	jw_raw(w, num, n);
}

void jw_i64(struct jw *w, const char *key, long long v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%lld", v);

	jw_member(w, key);
	jw_raw(w, num, n);
}

void jw_bool(struct jw *w, const char *key, int v)
{
	jw_member(w, key);
	if (v)
		jw_raw(w, "true", 4);
	else
		jw_raw(w, "false", 5);
}

void jw_null(struct jw *w, const char *key)
{
	jw_member(w, key);
	jw_raw(w, "null", 4);
}

const char *jw_cstr(const struct jw *w)
{
	return w->oom || !w->buf ? "" : w->buf;
}

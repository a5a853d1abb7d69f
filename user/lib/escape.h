/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Hostile bytes stay data.  A process chooses its comm (prctl), its
 * executable's path and, where cgroups are delegated, its cgroup's name;
 * none of that may reach a line as a newline, an escape sequence or
 * invalid UTF-8.  This is the one escaping for text sinks (the human
 * line, syslog, the terminal); json.c does JSON, with the same idea of
 * which code points are unsafe.
 */
#ifndef MXGUARD_ESCAPE_H
#define MXGUARD_ESCAPE_H

#include <stddef.h>

/* A bounded line: whole pieces only, always NUL-terminated (size > 0). */
struct tbuf {
	char *buf;
	size_t size;
	size_t len;	/* written, excluding the NUL */
	int full;	/* a piece did not fit: nothing more is written */
};

void tb_init(struct tbuf *b, char *buf, size_t size);
void tb_put(struct tbuf *b, const char *s, size_t n);
void tb_puts(struct tbuf *b, const char *s);
void tb_printf(struct tbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * @s as printable text: printable ASCII and safe UTF-8 pass, '\' becomes
 * "\\", and every other byte "\xNN" (controls, DEL, invalid UTF-8, and
 * the unsafe code points below).  A NULL @s writes nothing.
 */
void tb_text(struct tbuf *b, const char *s);
/* The same into a plain buffer; returns the length written. */
size_t text_escape(char *out, size_t sz, const char *s);

/*
 * Length of the valid UTF-8 sequence at @s (2..4), or 0; the code point
 * in @cp.  Overlong forms, surrogates and code points past U+10FFFF are
 * invalid (RFC 3629).
 */
size_t utf8_seq_len(const unsigned char *s, size_t n, unsigned int *cp);
/*
 * Valid code points that still must not reach a line raw: C1 controls
 * (some terminals act on U+009B as CSI), line and paragraph separators,
 * and the bidirectional controls that reorder what a reader sees.
 */
int unicode_unsafe(unsigned int cp);

#endif

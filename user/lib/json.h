/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A small JSON writer.  Strings may hold any bytes: valid UTF-8 passes
 * through, '"', '\\' and control characters are escaped, and so are the
 * code points a terminal or a JavaScript reader would act on (C1 controls,
 * U+2028/U+2029, bidirectional controls: unicode_unsafe() in escape.h).
 * Each byte of an invalid UTF-8 sequence is written as \u00XX, so the
 * output is always valid JSON on one line.
 */
#ifndef MXGUARD_JSON_H
#define MXGUARD_JSON_H

#include <stddef.h>

#define JW_DEPTH_MAX 16

struct jw {
	char *buf;
	size_t len, cap;
	int depth;
	int first[JW_DEPTH_MAX];	/* no member written yet at this depth */
	int oom;			/* an allocation failed; output invalid */
};

void jw_init(struct jw *w);
void jw_free(struct jw *w);
void jw_reset(struct jw *w);		/* empty it, keep the buffer */
/* @key is NULL at top level and inside arrays. */
void jw_obj_open(struct jw *w, const char *key);
void jw_obj_close(struct jw *w);
void jw_arr_open(struct jw *w, const char *key);
void jw_arr_close(struct jw *w);
void jw_str(struct jw *w, const char *key, const char *val);
void jw_strn(struct jw *w, const char *key, const char *val, size_t n);
void jw_u64(struct jw *w, const char *key, unsigned long long v);
void jw_i64(struct jw *w, const char *key, long long v);
void jw_bool(struct jw *w, const char *key, int v);
void jw_null(struct jw *w, const char *key);
/* The document so far, NUL-terminated ("" after an allocation failure). */
const char *jw_cstr(const struct jw *w);

/*
 * Escape into a caller buffer; returns the length needed (like snprintf).
 * No quotes are added, and a short buffer is cut between whole escapes.
 */
size_t json_escape(char *out, size_t outsz, const char *in, size_t n);

#endif

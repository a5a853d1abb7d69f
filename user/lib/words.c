// SPDX-License-Identifier: GPL-2.0-only
/*
 * The word list (words.h): one buffer of the file's kept lines, each
 * NUL-terminated, and their offsets sorted for a binary search.  About
 * 64,000 words and 830 KiB for wamerican.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "similar.h"
#include "words.h"

#define WORD_MIN	2
#define WORD_MAX	63	/* a label's limit */
#define WORDS_FILE_MAX	(64u << 20)

static char *blob;
static uint32_t *offs;
static unsigned int nwords;
static const char *path;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static int kept(const char *s, size_t n)
{
	size_t i;

	if (n < WORD_MIN || n > WORD_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < 'a' || s[i] > 'z')
			return 0;
	return 1;
}

static int by_text(const void *a, const void *b)
{
	return strcmp(blob + *(const uint32_t *)a, blob + *(const uint32_t *)b);
}

/* The whole file into one buffer; NULL (errno set) when it cannot be. */
static char *slurp(FILE *f, size_t *len)
{
	size_t cap = 1u << 20, n = 0, r;
	char *buf = malloc(cap + 1), *grown;

	while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n < cap)
			continue;
		if (cap >= WORDS_FILE_MAX) {
			errno = EFBIG;
			free(buf);
			return NULL;
		}
		grown = realloc(buf, cap * 2 + 1);
		if (!grown) {
			free(buf);
			return NULL;
		}
		buf = grown;
		cap *= 2;
	}
	if (buf && ferror(f)) {
		errno = EIO;
		free(buf);
		return NULL;
	}
	if (buf)
		buf[n] = '\0';
	*len = n;
	return buf;
}

static void load(void)
{
	const char *env = getenv("MXGUARD_WORDS");
	size_t len = 0, at, end, out = 0, i;
	unsigned int n = 0, k;
	char *buf, *shrunk;
	FILE *f;

	path = env ? env : MXG_WORDS_DEFAULT;
	if (!*path)
		return;
	f = fopen(path, "re");
	if (!f) {
		log_warn("word list %s (a protected label's first letter is "
			 "then only changed to its keyboard neighbours; install "
			 "wamerican, or set MXGUARD_WORDS)", path);
		return;
	}
	buf = slurp(f, &len);
	fclose(f);
	if (!buf) {
		log_warn("word list %s", path);
		return;
	}
	/* Keep the lines that can be labels, compacted in place. */
	for (at = 0; at < len; at = end + 1) {
		size_t n_line;

		end = at;
		while (end < len && buf[end] != '\n')
			end++;
		n_line = end - at;
		if (n_line && buf[at + n_line - 1] == '\r')
			n_line--;	/* a list saved with CRLF */
		if (!kept(buf + at, n_line))
			continue;
		memmove(buf + out, buf + at, n_line);
		out += n_line;
		buf[out++] = '\0';
		n++;
	}
	shrunk = realloc(buf, out ? out : 1);
	blob = shrunk ? shrunk : buf;
	offs = malloc(sizeof(*offs) * (n ? n : 1));
	if (!offs) {
		free(blob);
		blob = NULL;
		return;
	}
	for (i = 0, k = 0; k < n; k++) {
		offs[k] = (uint32_t)i;
		i += strlen(blob + i) + 1;
	}
	qsort(offs, n, sizeof(*offs), by_text);
	nwords = n;
	if (!n)
		pr_warn("word list %s: no lowercase words in it\n", path);
}

int words_has(const uint32_t *cp, int n)
{
	char w[WORD_MAX + 1];
	unsigned int lo = 0, hi;
	int i, c;

	pthread_once(&once, load);
	if (!nwords)
		return -1;
	if (n < WORD_MIN || n > WORD_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		if (cp[i] < 'a' || cp[i] > 'z')
			return 0;
		w[i] = (char)cp[i];
	}
	w[n] = '\0';
	hi = nwords;
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		c = strcmp(w, blob + offs[mid]);
		if (!c)
			return 1;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

unsigned int words_first_flags(const uint32_t *label, int n)
{
	unsigned int flags = 0;
	int tail, whole;

	if (n < 2)
		return 0;
	tail = words_has(label + 1, n - 1);
	whole = words_has(label, n);
	if (tail >= 0)
		flags |= tail ? SIMILAR_TAIL_WORD : SIMILAR_TAIL_FREE;
	if (whole >= 0)
		flags |= whole ? SIMILAR_LABEL_WORD : SIMILAR_LABEL_FREE;
	return flags;
}

unsigned int words_count(void)
{
	pthread_once(&once, load);
	return nwords;
}

const char *words_path(void)
{
	pthread_once(&once, load);
	return path;
}

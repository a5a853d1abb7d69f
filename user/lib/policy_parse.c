// SPDX-License-Identifier: GPL-2.0-only
/*
 * Policy files: lines, directives, options, includes, directories.
 *
 * A load call (policy_load_path or _buffer) reads its files, includes and
 * all, then policy_finish() generates what the protect directives ask for.
 * Any error anywhere rolls the whole call back.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "idn.h"
#include "log.h"
#include "lookalike.h"
#include "name.h"
#include "names_abi.h"
#include "policy_int.h"
#include "secrecy.h"

#define POLICY_LINE_MAX		4096
/* Enough for "lookalike a of b action=x" and a token past any legal line. */
#define POLICY_TOKENS_MAX	8
/* Files open at once through include: the top one and 7 nested. */
#define POLICY_INCLUDE_DEPTH	8

struct parse_ctx {
	struct mxg_policy *p;
	const char *file;	/* interned */
	__u16 file_idx;		/* its index + 1, for rules */
	char dir[4096];		/* where relative includes start */
	int line;
	int errors;
	int depth;
	struct mxg_file_id id;	/* 0/0 for a buffer */
	const struct parse_ctx *parent;
	/*
	 * The last "of" name, as written and as interned: a file of
	 * lookalikes names one protected name on line after line, and
	 * parsing and looking it up each time was a tenth of a 1M-line parse.
	 */
	const __u8 *last_prot;		/* NULL: none yet */
	__u32 last_prot_len;
	__u32 last_prot_idx;		/* index + 1 */
	char last_prot_text[MXG_NAME_TEXT_MAX];
};

static int read_path(struct mxg_policy *p, const char *path,
		     struct parse_ctx *from);

/* Always returns -1, so a check can end with "return parse_error(...)". */
static int __attribute__((format(printf, 2, 3)))
parse_error(struct parse_ctx *c, const char *fmt, ...)
{
	char msg[640];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	policy_error(c->file, c->line, "%s", msg);
	c->errors++;
	return -1;
}

/* --- names and options ---------------------------------------------------- */

static int has_8bit(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 1;
	return 0;
}

/* A name as written: presentation form, or Unicode (made an A-label). */
static int parse_name(struct parse_ctx *c, const char *what, const char *text,
		      __u8 *wire, __u32 *len)
{
	char ascii[MXG_NAME_TEXT_MAX];
	const char *err, *name = text;

	if (has_8bit(text)) {
		if (idn_name_to_ascii(text, ascii, sizeof(ascii), &err))
			return parse_error(c, "invalid %s '%s': %s", what,
					   text, err);
		name = ascii;
	}
	if (mxg_name_parse(name, wire, len, &err))
		return parse_error(c, "invalid %s '%s': %s", what, text, err);
	/* The kernel never looks the root up, so such a rule would be dead. */
	if (!*len)
		return parse_error(c, "the root cannot be a %s", what);
	return 0;
}

/* Options a directive may take; each at most once. */
enum {
	OPT_ACTION = 1 << 0,
	OPT_FUZZ = 1 << 1,
	OPT_ONLY = 1 << 2,
	OPT_FIRST = 1 << 3,
};

struct options {
	int seen;
	__u8 action;
	__u8 only_protected;
	__u8 any_first;
	__u32 fuzzers;
};

/*
 * "first=keyboard" (the default) or "first=any": what a typo may put in
 * the label's first place (lookalike.c, typed_at; similar.h).
 */
static int parse_first(struct parse_ctx *c, const char *v, struct options *o)
{
	if (!strcmp(v, "any"))
		o->any_first = 1;
	else if (strcmp(v, "keyboard"))
		return parse_error(c, "bad first '%s' (keyboard or any)", v);
	return 0;
}

/* "only=protected": a protected TLD's neighbours for protected names only. */
static int parse_only(struct parse_ctx *c, const char *v, struct options *o)
{
	if (strcmp(v, "protected"))
		return parse_error(c, "bad only '%s' (protected)", v);
	o->only_protected = 1;
	return 0;
}

static int parse_action(struct parse_ctx *c, const char *v, struct options *o)
{
	int action = mxg_name_value(mxg_action_name, MXG_ACTIONS, v);

	if (action < 0)
		return parse_error(c, "bad action '%s' (alert or block)", v);
	o->action = (__u8)action;
	return 0;
}

static int parse_fuzz(struct parse_ctx *c, const char *v, struct options *o)
{
	const char *bad;

	if (lookalike_parse_fuzzers(v, &o->fuzzers, &bad))
		return parse_error(c, "unknown fuzzer '%s' (all, or a comma-"
				   "separated list: see mxguard.policy(5))",
				   bad);
	return 0;
}

static int parse_option(struct parse_ctx *c, const char *tok, int allowed,
			struct options *o)
{
	static const struct {
		const char *key;
		int bit;
		int (*parse)(struct parse_ctx *, const char *,
			     struct options *);
	} keys[] = {
		{ "action", OPT_ACTION, parse_action },
		{ "fuzz", OPT_FUZZ, parse_fuzz },
		{ "only", OPT_ONLY, parse_only },
		{ "first", OPT_FIRST, parse_first },
	};
	const char *eq = strchr(tok, '=');
	size_t i, klen;

	if (!eq)
		return parse_error(c, "extra token '%s'", tok);
	klen = (size_t)(eq - tok);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strlen(keys[i].key) != klen ||
		    strncmp(tok, keys[i].key, klen) || !(allowed & keys[i].bit))
			continue;
		if (o->seen & keys[i].bit)
			return parse_error(c, "option '%s' given twice",
					   keys[i].key);
		o->seen |= keys[i].bit;
		return keys[i].parse(c, eq + 1, o);
	}
	return parse_error(c, "unknown option '%.*s'", (int)klen, tok);
}

static int parse_options(struct parse_ctx *c, char **tok, int ntok, int first,
			 int allowed, struct options *o)
{
	int i;

	for (i = first; i < ntok && i < POLICY_TOKENS_MAX; i++)
		if (parse_option(c, tok[i], allowed, o))
			return -1;
	return 0;
}

/* --- directives ----------------------------------------------------------- */

/* @h: policy_hash_prefetch() of the suffix, asked for as early as may be. */
static int add_rule(struct parse_ctx *c, struct mxg_policy_rule *r,
		    const __u8 *wire, __u64 h)
{
	char name[MXG_NAME_TEXT_MAX];
	const struct mxg_policy_rule *old;
	const char *ofile;
	long first, ret;

	r->file = c->file_idx;
	r->line = c->line;
	ret = policy_append_hashed(c->p, r, wire, h, &first);
	if (ret == -ENOMEM)
		return parse_error(c, "out of memory");
	if (ret == -E2BIG)
		return parse_error(c, "too many rules (at most %ld)",
				   (long)MXG_POLICY_RULES_MAX);
	if (ret == -EEXIST) {
		old = &c->p->rules[first];
		ofile = mxg_rule_file(c->p, old);
		mxg_name_format(wire, r->wire_len, name, sizeof(name));
		return parse_error(c, "duplicate rule for '%s' (first at %s:%d)",
				   name, ofile ? ofile : "(generated)",
				   old->line);
	}
	return 0;
}

/* Is @prot the suffix @s or a name under it? */
static int under(const __u8 *prot, __u32 plen, const __u8 *s, __u32 slen)
{
	__u32 pos;

	for (pos = 0; pos < plen; pos += 1 + prot[pos])
		if (plen - pos == slen && !memcmp(prot + pos, s, slen))
			return 1;
	return 0;
}

static int intern_protected(struct parse_ctx *c, const char *text,
			    const __u8 *wire, __u32 len, __u32 protect,
			    const __u8 **out, __u32 *idx)
{
	long i;

	if (len > MXG_PROTECTED_MAX - 1)
		return parse_error(c, "protected name '%s' is longer than %d wire bytes",
				   text, MXG_PROTECTED_MAX - 1);
	i = policy_intern_protected(c->p, wire, len, protect);
	if (i < 0)
		return parse_error(c, "out of memory");
	*out = c->p->protected_names[i].wire;
	if (idx)
		*idx = (__u32)i + 1;
	return 0;
}

static int parse_lookalike(struct parse_ctx *c, char **tok, int ntok)
{
	struct mxg_policy_rule r = { .kind = MXG_RULE_LOOKALIKE };
	struct options o = { .action = MXG_ACTION_ALERT };
	__u8 wire[MXG_NAME_MAX], pbuf[MXG_NAME_MAX];
	const __u8 *prot = pbuf;
	int same;
	__u32 plen, wlen;
	__u64 h;

	if (ntok < 2)
		return parse_error(c, "lookalike: missing suffix");
	if (ntok < 3)
		return parse_error(c, "lookalike: missing 'of'");
	if (strcmp(tok[2], "of"))
		return parse_error(c, "lookalike: expected 'of', found '%s'",
				   tok[2]);
	if (ntok < 4)
		return parse_error(c, "lookalike: missing protected name");
	if (parse_name(c, "suffix", tok[1], wire, &wlen))
		return -1;
	r.wire_len = (__u8)wlen;
	/* The index's cache miss is under way while the rest is read. */
	h = policy_hash_prefetch(c->p, wire, r.wire_len);
	same = c->last_prot && !strcmp(tok[3], c->last_prot_text);
	if (same) {
		prot = c->last_prot;
		plen = c->last_prot_len;
	} else if (parse_name(c, "protected name", tok[3], pbuf, &plen)) {
		return -1;
	}
	if (plen == r.wire_len && !memcmp(prot, wire, plen))
		return parse_error(c, "'%s' is its own protected name", tok[3]);
	/* Else the protected name itself would be flagged as its lookalike. */
	if (under(prot, plen, wire, r.wire_len))
		return parse_error(c, "protected name '%s' is under the lookalike suffix",
				   tok[3]);
	if (parse_options(c, tok, ntok, 4, OPT_ACTION, &o))
		return -1;
	if (!same) {
		if (intern_protected(c, tok[3], prot, plen, 0, &c->last_prot,
				     &c->last_prot_idx))
			return -1;
		c->last_prot_len = plen;
		snprintf(c->last_prot_text, sizeof(c->last_prot_text), "%s",
			 tok[3]);
	}
	r.protected_idx = c->last_prot_idx;
	r.action = o.action;
	return add_rule(c, &r, wire, h);
}

static int parse_allow(struct parse_ctx *c, char **tok, int ntok)
{
	struct mxg_policy_rule r = { .kind = MXG_RULE_ALLOW,
				     .action = MXG_ACTION_ALERT };
	__u8 wire[MXG_NAME_MAX];
	__u32 wlen;

	if (ntok < 2)
		return parse_error(c, "allow: missing suffix");
	if (ntok > 2 && strchr(tok[2], '='))
		return parse_error(c, "allow takes no options ('%s')", tok[2]);
	if (ntok > 2)
		return parse_error(c, "extra token '%s'", tok[2]);
	if (parse_name(c, "suffix", tok[1], wire, &wlen))
		return -1;
	r.wire_len = (__u8)wlen;	/* mxg_name_parse: at most 254 */
	return add_rule(c, &r, wire,
			policy_hash_prefetch(c->p, wire, r.wire_len));
}

static int find_protect(const struct mxg_policy *p, const __u8 *wire,
			__u32 len)
{
	long i = policy_find_protected(p, wire, len);

	return i < 0 ? 0 : (int)p->protected_names[i].protect;
}

static int parse_protect(struct parse_ctx *c, char **tok, int ntok)
{
	struct options o = { .action = MXG_ACTION_ALERT,
			     .fuzzers = MXG_FUZZ_ALL };
	struct mxg_protect pr = { .file = c->file, .line = c->line };
	const struct mxg_protect *old;
	__u8 wire[MXG_NAME_MAX];
	int first;

	if (ntok < 2)
		return parse_error(c, "protect: missing name");
	if (parse_name(c, "protected name", tok[1], wire, &pr.len) ||
	    parse_options(c, tok, ntok, 2,
			  OPT_ACTION | OPT_FUZZ | OPT_ONLY | OPT_FIRST, &o))
		return -1;
	if (o.only_protected && !lookalike_is_public_suffix(wire, pr.len))
		return parse_error(c, "only=protected is for a protected TLD "
				   "('%s' is a domain)", tok[1]);
	first = find_protect(c->p, wire, pr.len);
	if (first) {
		/*
		 * Two files that both protect a name (a shared policy and a
		 * local one) must not refuse the whole policy: the two
		 * merge into one directive, with the fuzzers of both and
		 * the stricter action, and the first keeps its place.
		 */
		old = &c->p->protects[first - 1];
		pr_warn("%s:%d: protect '%s' again (first at %s:%d): merged\n",
			c->file, c->line, tok[1], old->file, old->line);
		c->p->protects[first - 1].fuzzers |= o.fuzzers;
		c->p->protects[first - 1].only_protected &= o.only_protected;
		c->p->protects[first - 1].any_first |= o.any_first;
		if (o.action == MXG_ACTION_BLOCK)
			c->p->protects[first - 1].action = MXG_ACTION_BLOCK;
		return 0;
	}
	if (lookalike_generate(wire, pr.len, 0, NULL, NULL))
		return parse_error(c, "protect: '%s' is not a host name",
				   tok[1]);
	if (intern_protected(c, tok[1], wire, pr.len,
			     (__u32)c->p->nprotects + 1, &pr.wire, NULL))
		return -1;
	pr.fuzzers = o.fuzzers;
	pr.action = o.action;
	pr.only_protected = o.only_protected;
	pr.any_first = o.any_first;
	if (policy_append_protect(c->p, &pr))
		return parse_error(c, "out of memory");
	return 0;
}

static int parse_include(struct parse_ctx *c, char **tok, int ntok)
{
	char path[8192];

	if (ntok < 2)
		return parse_error(c, "include: missing path");
	if (ntok > 2 && strchr(tok[2], '='))
		return parse_error(c, "include takes no options ('%s')",
				   tok[2]);
	if (ntok > 2)
		return parse_error(c, "extra token '%s'", tok[2]);
	if (c->p->no_include)
		return parse_error(c, "include is disabled here");
	if (tok[1][0] == '/')
		snprintf(path, sizeof(path), "%s", tok[1]);
	else
		snprintf(path, sizeof(path), "%s/%s", c->dir, tok[1]);
	c->errors += read_path(c->p, path, c);
	return 0;
}

/* Splits in place; counts every token but keeps the first few. */
static int tokenize(char *line, char **tok)
{
	const char *sep = " \t\r\v\f";
	char *save, *t;
	int n = 0;

	for (t = strtok_r(line, sep, &save); t;
	     t = strtok_r(NULL, sep, &save)) {
		if (n < POLICY_TOKENS_MAX)
			tok[n] = t;
		n++;
	}
	return n;
}

static int parse_line(struct parse_ctx *c, const char *s, size_t len)
{
	static const struct {
		const char *word;
		int (*parse)(struct parse_ctx *, char **, int);
	} directives[] = {
		{ "protect", parse_protect },
		{ "lookalike", parse_lookalike },
		{ "allow", parse_allow },
		{ "include", parse_include },
	};
	char line[POLICY_LINE_MAX + 1], *tok[POLICY_TOKENS_MAX], *hash;
	size_t i;
	int ntok;

	if (len > POLICY_LINE_MAX)
		return parse_error(c, "line longer than %d bytes",
				   POLICY_LINE_MAX);
	if (memchr(s, '\0', len))
		return parse_error(c, "NUL byte in line");
	memcpy(line, s, len);
	line[len] = '\0';
	hash = strchr(line, '#');
	if (hash)
		*hash = '\0';
	ntok = tokenize(line, tok);
	if (!ntok)
		return 0;
	for (i = 0; i < sizeof(directives) / sizeof(directives[0]); i++)
		if (!strcmp(tok[0], directives[i].word))
			return directives[i].parse(c, tok, ntok);
	return parse_error(c, "unknown directive '%s'", tok[0]);
}

/*
 * Lines that may append a rule ("lookalike", "allow"; the words are case
 * sensitive): the policy makes room for them at once (policy_reserve).
 */
static size_t rule_lines(const char *buf, size_t len)
{
	const char *s = buf, *end = buf + len, *nl;
	size_t n = 0;

	while (s < end) {
		while (s < end && (*s == ' ' || *s == '\t'))
			s++;
		n += s < end && (*s == 'l' || *s == 'a');
		nl = memchr(s, '\n', (size_t)(end - s));
		s = nl ? nl + 1 : end;
	}
	return n;
}

static void parse_text(struct parse_ctx *c, const char *buf, size_t len)
{
	size_t off = 0, n;
	const char *nl;

	policy_reserve(c->p, rule_lines(buf, len));	/* a hint */

	while (off < len) {
		nl = memchr(buf + off, '\n', len - off);
		n = nl ? (size_t)(nl - (buf + off)) : len - off;
		c->line++;
		parse_line(c, buf + off, n);
		off += n + 1;
	}
}

/* Set up @c for @name, read from @from (NULL at the top). */
static int ctx_open(struct parse_ctx *c, struct mxg_policy *p,
		    const char *name, const struct parse_ctx *from)
{
	char copy[4096];
	long fi;

	memset(c, 0, sizeof(*c));
	c->p = p;
	c->parent = from;
	c->depth = from ? from->depth + 1 : 0;
	fi = policy_file_index(p, name);
	if (fi < 0) {
		pr_warn(fi == -E2BIG ? "%s: too many policy files\n" :
				       "%s: out of memory\n", name);
		return -1;
	}
	c->file_idx = (__u16)fi;
	c->file = p->files[fi - 1];
	snprintf(copy, sizeof(copy), "%s", name);
	snprintf(c->dir, sizeof(c->dir), "%s", dirname(copy));
	return 0;
}

int policy_load_buffer(struct mxg_policy *p, const char *name,
		       const char *buf, size_t len)
{
	struct policy_mark m;
	struct parse_ctx c;

	policy_begin(p, &m);
	if (ctx_open(&c, p, name, NULL))
		return policy_finish(p, &m, 1);
	parse_text(&c, buf, len);
	return policy_finish(p, &m, c.errors);
}

/* --- files and directories ------------------------------------------------ */

/*
 * A file is read a piece at a time, not whole: a 40 MB policy no longer
 * doubles the peak memory of a start or a reload by its own size.
 */
#define READ_CHUNK	(1u << 20)

/*
 * rule_lines() of a regular file, read ahead with pread() (the offset
 * stays put): the hint for policy_reserve().  A pipe has none (0).
 */
static size_t file_rule_lines(int fd, char *buf, size_t size)
{
	const char *s, *end, *nl;
	size_t n = 0;
	off_t at = 0;
	ssize_t got;
	int start = 1;			/* in a line's leading blanks */

	while ((got = pread(fd, buf, size, at)) > 0) {
		at += got;
		for (s = buf, end = buf + got; s < end;) {
			if (start) {
				while (s < end && (*s == ' ' || *s == '\t'))
					s++;
				if (s == end)
					break;
				n += *s == 'l' || *s == 'a';
				start = 0;
			}
			nl = memchr(s, '\n', (size_t)(end - s));
			if (!nl)
				break;
			s = nl + 1;
			start = 1;
		}
	}
	return n;
}

/* Every line of @fd, as parse_text() takes a buffer; -1 on a read error. */
static int parse_fd(struct parse_ctx *c, int fd)
{
	size_t cap = READ_CHUNK, len = 0, off, n;
	char *buf = malloc(cap), *nbuf;
	const char *nl;
	ssize_t got;

	if (!buf)
		return -1;
	policy_reserve(c->p, file_rule_lines(fd, buf, cap));	/* a hint */
	for (;;) {
		if (len == cap) {	/* one line fills the buffer */
			nbuf = realloc(buf, cap * 2);
			if (!nbuf)
				goto fail;
			buf = nbuf;
			cap *= 2;
		}
		got = read(fd, buf + len, cap - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			goto fail;
		if (!got)
			break;
		len += (size_t)got;
		for (off = 0; (nl = memchr(buf + off, '\n', len - off));
		     off += n + 1) {
			n = (size_t)(nl - (buf + off));
			c->line++;
			parse_line(c, buf + off, n);
		}
		memmove(buf, buf + off, len - off);
		len -= off;
	}
	if (len) {			/* no final newline */
		c->line++;
		parse_line(c, buf, len);
	}
	free(buf);
	return 0;
fail:
	free(buf);
	return -1;
}

/* An include loop, or nesting past the bound: reported where it starts. */
static int check_nesting(struct parse_ctx *from, const char *path,
			 const struct stat *st)
{
	const struct parse_ctx *c;

	if (!from)
		return 0;
	for (c = from; c; c = c->parent)
		if (c->id.dev == st->st_dev && c->id.ino == st->st_ino)
			return parse_error(from, "include loop: '%s' is already being read",
					   path);
	if (from->depth + 1 >= POLICY_INCLUDE_DEPTH)
		return parse_error(from, "includes nested deeper than %d files",
				   POLICY_INCLUDE_DEPTH);
	return 0;
}

static int parse_file(struct mxg_policy *p, const char *path, int fd,
		      const struct stat *st, struct parse_ctx *from)
{
	struct parse_ctx c;

	if (ctx_open(&c, p, path, from))
		return 1;
	c.id.dev = st->st_dev;
	c.id.ino = st->st_ino;
	if (policy_file_add(p, st->st_dev, st->st_ino) || parse_fd(&c, fd)) {
		log_warn("%s", path);
		return c.errors + 1;
	}
	return c.errors;
}

/*
 * @name is opened relative to @dirfd (AT_FDCWD for a path of its own);
 * @path names it in messages and rules.
 */
static int load_file(struct mxg_policy *p, int dirfd, const char *name,
		     const char *path, struct parse_ctx *from)
{
	struct stat st;
	int fd, errors = 1;

	/* O_NONBLOCK: a FIFO in place of a policy must not hang a reload. */
	fd = openat(dirfd, name, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		log_warn("%s", path);
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		pr_warn("%s: not a regular file\n", path);
		goto cleanup;
	}
	/* Whoever can write the policy could switch the guard off. */
	if (file_check_secrecy(fd, path))
		goto cleanup;
	errors = 0;	/* from here on, errors are counted where they are */
	if (check_nesting(from, path, &st))
		goto cleanup;
	/* Read once: a file two others include is not a duplicate of itself. */
	if (!policy_file_seen(p, st.st_dev, st.st_ino))
		errors = parse_file(p, path, fd, &st, from);
cleanup:
	if (fd >= 0)
		close(fd);
	return errors;
}

static int is_policy_name(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 7 && !strcmp(d->d_name + n - 7, ".policy");
}

/* strcmp, not the locale's collation: the order must not depend on $LANG. */
static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int load_dir_entry(struct mxg_policy *p, int dirfd, const char *dir,
			  const char *name, struct parse_ctx *from)
{
	size_t n = strlen(dir);
	struct stat st;
	char *path;
	int errors = 0;

	if (asprintf(&path, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/",
		     name) < 0) {
		pr_warn("%s: out of memory\n", dir);
		return 1;
	}
	/* Only regular files are policies; a "x.policy" directory is not. */
	if (fstatat(dirfd, name, &st, 0)) {
		log_warn("%s", path);
		errors = 1;
	} else if (S_ISREG(st.st_mode)) {
		errors = load_file(p, dirfd, name, path, from);
	}
	free(path);
	return errors;
}

/*
 * Every "*.policy" entry is read, so whoever may write the directory may
 * add a policy: it is checked like a file, on the descriptor its entries
 * are then read through.
 */
static int load_dir(struct mxg_policy *p, const char *dir,
		    struct parse_ctx *from)
{
	struct dirent **list;
	int n, i, fd, errors = 0;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		log_warn("%s", dir);
		return 1;
	}
	if (file_check_secrecy(fd, dir)) {
		close(fd);
		return 1;
	}
	n = scandirat(fd, ".", &list, is_policy_name, by_name);
	if (n < 0) {
		log_warn("%s", dir);
		close(fd);
		return 1;
	}
	for (i = 0; i < n; i++) {
		errors += load_dir_entry(p, fd, dir, list[i]->d_name, from);
		free(list[i]);
	}
	free(list);
	close(fd);
	return errors;
}

static int read_path(struct mxg_policy *p, const char *path,
		     struct parse_ctx *from)
{
	struct stat st;

	if (stat(path, &st)) {
		if (from) {
			parse_error(from, "include '%s': %s", path,
				    strerror(errno));
			return 0;	/* counted in @from */
		}
		log_warn("%s", path);
		return 1;
	}
	if (S_ISDIR(st.st_mode))
		return load_dir(p, path, from);
	return load_file(p, AT_FDCWD, path, path, from);
}

int policy_load_path(struct mxg_policy *p, const char *path)
{
	struct policy_mark m;

	policy_begin(p, &m);
	return policy_finish(p, &m, read_path(p, path, NULL));
}

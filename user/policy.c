// SPDX-License-Identifier: GPL-2.0-only
/*
 * Policy files: parse, check, index.
 *
 * Rules live in one array; an open-addressing table of rule indexes, keyed
 * by mxg_name_hash(POLICY_INDEX_SEED, suffix), sits beside it.  It is kept
 * up to date on every append, so a million-rule policy costs one probe per
 * suffix to match and one per rule to check for duplicates.  The seed is a
 * fixed 0: this table never leaves the process, unlike the kernel's map.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "name.h"
#include "policy.h"

#define POLICY_INDEX_SEED	0
#define POLICY_LINE_MAX		4096
#define POLICY_SLOTS_MIN	1024
/* Enough for "lookalike a of b action=x" and a token past any legal line. */
#define POLICY_TOKENS_MAX	8

struct parse_ctx {
	struct mxg_policy *p;
	const char *file;	/* interned */
	int line;
	int errors;
};

void policy_init(struct mxg_policy *p)
{
	memset(p, 0, sizeof(*p));
}

void policy_free(struct mxg_policy *p)
{
	size_t i;

	for (i = 0; i < p->nfiles; i++)
		free(p->files[i]);
	free(p->files);
	free(p->rules);
	free(p->slots);
	policy_init(p);
}

/* --- index ---------------------------------------------------------------- */

static int same_suffix(const struct mxg_policy_rule *r, const __u8 *wire,
		       __u32 len)
{
	return r->wire_len == len && !memcmp(r->wire, wire, len);
}

static long index_find(const struct mxg_policy *p, __u64 h,
		       const __u8 *wire, __u32 len)
{
	size_t mask = p->nslots - 1, i;
	__u32 r;

	if (!p->nslots)
		return -1;
	/* The table is at most half full, so an empty slot ends every probe. */
	for (i = h & mask; p->slots[i]; i = (i + 1) & mask) {
		r = p->slots[i] - 1;
		if (r < p->n && same_suffix(&p->rules[r], wire, len))
			return r;
	}
	return -1;
}

static void slot_put(__u32 *slots, size_t nslots, __u64 h, size_t rule)
{
	size_t mask = nslots - 1, i;

	for (i = h & mask; slots[i]; i = (i + 1) & mask)
		;
	slots[i] = (__u32)(rule + 1);
}

static __u64 rule_hash(const struct mxg_policy_rule *r)
{
	return mxg_name_hash(POLICY_INDEX_SEED, r->wire, r->wire_len);
}

static int index_resize(struct mxg_policy *p, size_t nslots)
{
	__u32 *slots = calloc(nslots, sizeof(*slots));
	size_t i;

	if (!slots)
		return -ENOMEM;
	for (i = 0; i < p->nindexed; i++)
		slot_put(slots, nslots, rule_hash(&p->rules[i]), i);
	free(p->slots);
	p->slots = slots;
	p->nslots = nslots;
	return 0;
}

/* Index every rule up to p->n, including any a caller appended by hand. */
static int index_sync(struct mxg_policy *p)
{
	size_t want = p->nslots ? p->nslots : POLICY_SLOTS_MIN;

	while (p->n * 2 > want)
		want *= 2;
	if (want != p->nslots && index_resize(p, want))
		return -ENOMEM;
	for (; p->nindexed < p->n; p->nindexed++)
		slot_put(p->slots, p->nslots, rule_hash(&p->rules[p->nindexed]),
			 p->nindexed);
	return 0;
}

/* Forget rules from @n on: a file with errors loads nothing. */
static void policy_truncate(struct mxg_policy *p, size_t n)
{
	if (n >= p->n)
		return;
	p->n = n;
	p->nindexed = 0;
	if (p->slots)
		memset(p->slots, 0, p->nslots * sizeof(*p->slots));
	/* No resize is needed, and policy_match scans what is not indexed. */
	index_sync(p);
}

/* --- rules and files ------------------------------------------------------ */

static const char *intern_file(struct mxg_policy *p, const char *name)
{
	char **files, *copy;
	size_t i;

	for (i = 0; i < p->nfiles; i++)
		if (!strcmp(p->files[i], name))
			return p->files[i];
	files = realloc(p->files, (p->nfiles + 1) * sizeof(*files));
	if (!files)
		return NULL;
	p->files = files;
	copy = strdup(name);
	if (!copy)
		return NULL;
	p->files[p->nfiles++] = copy;
	return copy;
}

static int rules_reserve(struct mxg_policy *p)
{
	struct mxg_policy_rule *rules;
	size_t cap;

	if (p->n < p->cap)
		return 0;
	cap = p->cap ? p->cap * 2 : 64;
	rules = realloc(p->rules, cap * sizeof(*rules));
	if (!rules)
		return -ENOMEM;
	p->rules = rules;
	p->cap = cap;
	return 0;
}

/* Appends @rule unless its suffix has a rule; returns that rule's index. */
static long rule_append(struct mxg_policy *p,
			const struct mxg_policy_rule *rule, long *first)
{
	__u64 h = rule_hash(rule);

	if (index_sync(p))
		return -ENOMEM;
	*first = index_find(p, h, rule->wire, rule->wire_len);
	if (*first >= 0)
		return -EEXIST;
	if (rules_reserve(p))
		return -ENOMEM;
	p->rules[p->n++] = *rule;
	/* A rule the index cannot hold is not kept: callers see -ENOMEM. */
	if (index_sync(p)) {
		p->n--;
		return -ENOMEM;
	}
	return (long)p->n - 1;
}

int policy_add(struct mxg_policy *p, const struct mxg_policy_rule *rule)
{
	struct mxg_policy_rule r = *rule;
	long first;

	if (r.file) {
		r.file = intern_file(p, r.file);
		if (!r.file)
			return -ENOMEM;
	}
	return (int)rule_append(p, &r, &first);
}

/* --- parsing -------------------------------------------------------------- */

/* Always returns -1, so a check can end with "return parse_error(...)". */
static int __attribute__((format(printf, 2, 3)))
parse_error(struct parse_ctx *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_warn("%s:%d: %s\n", c->file, c->line, msg);
	c->errors++;
	return -1;
}

static int parse_name(struct parse_ctx *c, const char *what, const char *text,
		      __u8 *wire, __u32 *len)
{
	const char *err;

	if (mxg_name_parse(text, wire, len, &err))
		return parse_error(c, "invalid %s '%s': %s", what, text, err);
	/* The kernel never looks the root up, so such a rule would be dead. */
	if (!*len)
		return parse_error(c, "the root cannot be a %s", what);
	return 0;
}

/* Is @prot the suffix @r->wire or a name under it? */
static int protected_under(const struct mxg_policy_rule *r,
			   const __u8 *prot, __u32 plen)
{
	__u32 pos;

	for (pos = 0; pos < plen; pos += 1 + prot[pos])
		if (same_suffix(r, prot + pos, plen - pos))
			return 1;
	return 0;
}

static int add_rule(struct parse_ctx *c, struct mxg_policy_rule *r)
{
	char name[MXG_NAME_TEXT_MAX];
	const struct mxg_policy_rule *old;
	long first, ret;

	r->file = c->file;
	r->line = c->line;
	ret = rule_append(c->p, r, &first);
	if (ret == -ENOMEM)
		return parse_error(c, "out of memory");
	if (ret == -EEXIST) {
		old = &c->p->rules[first];
		mxg_name_format(r->wire, r->wire_len, name, sizeof(name));
		return parse_error(c, "duplicate rule for '%s' (first at %s:%d)",
				   name, old->file ? old->file : "(generated)",
				   old->line);
	}
	return 0;
}

static int parse_option(struct parse_ctx *c, const char *tok,
			struct mxg_policy_rule *r, int *seen)
{
	const char *eq = strchr(tok, '=');

	if (!eq)
		return parse_error(c, "extra token '%s'", tok);
	if (eq - tok != 6 || strncmp(tok, "action", 6))
		return parse_error(c, "unknown option '%.*s'", (int)(eq - tok),
				   tok);
	if ((*seen)++)
		return parse_error(c, "option 'action' given twice");
	if (!strcmp(eq + 1, "alert"))
		r->action = MXG_ACTION_ALERT;
	else if (!strcmp(eq + 1, "block"))
		r->action = MXG_ACTION_BLOCK;
	else
		return parse_error(c, "bad action '%s' (alert or block)",
				   eq + 1);
	return 0;
}

static int check_protected(struct parse_ctx *c, struct mxg_policy_rule *r,
			   const char *text, const __u8 *wire, __u32 len)
{
	if (same_suffix(r, wire, len))
		return parse_error(c, "'%s' is its own protected name", text);
	/* Else the protected name itself would be flagged as its lookalike. */
	if (protected_under(r, wire, len))
		return parse_error(c, "protected name '%s' is under the lookalike suffix",
				   text);
	if (len > MXG_PROTECTED_MAX - 1)
		return parse_error(c, "protected name '%s' is longer than %d wire bytes",
				   text, MXG_PROTECTED_MAX - 1);
	memcpy(r->protected_wire, wire, len);
	r->protected_len = len;
	return 0;
}

static int parse_lookalike(struct parse_ctx *c, char **tok, int ntok)
{
	struct mxg_policy_rule r = { .kind = MXG_RULE_LOOKALIKE,
				     .action = MXG_ACTION_ALERT };
	__u8 prot[MXG_NAME_MAX];
	__u32 plen;
	int i, seen = 0;

	if (ntok < 2)
		return parse_error(c, "lookalike: missing suffix");
	if (ntok < 3)
		return parse_error(c, "lookalike: missing 'of'");
	if (strcmp(tok[2], "of"))
		return parse_error(c, "lookalike: expected 'of', found '%s'",
				   tok[2]);
	if (ntok < 4)
		return parse_error(c, "lookalike: missing protected name");
	if (parse_name(c, "suffix", tok[1], r.wire, &r.wire_len) ||
	    parse_name(c, "protected name", tok[3], prot, &plen) ||
	    check_protected(c, &r, tok[3], prot, plen))
		return -1;
	for (i = 4; i < ntok && i < POLICY_TOKENS_MAX; i++)
		if (parse_option(c, tok[i], &r, &seen))
			return -1;
	return add_rule(c, &r);
}

static int parse_allow(struct parse_ctx *c, char **tok, int ntok)
{
	struct mxg_policy_rule r = { .kind = MXG_RULE_ALLOW,
				     .action = MXG_ACTION_ALERT };

	if (ntok < 2)
		return parse_error(c, "allow: missing suffix");
	if (ntok > 2 && strchr(tok[2], '='))
		return parse_error(c, "allow takes no options ('%s')", tok[2]);
	if (ntok > 2)
		return parse_error(c, "extra token '%s'", tok[2]);
	if (parse_name(c, "suffix", tok[1], r.wire, &r.wire_len))
		return -1;
	return add_rule(c, &r);
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
	char line[POLICY_LINE_MAX + 1], *tok[POLICY_TOKENS_MAX], *hash;
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
	if (!strcmp(tok[0], "lookalike"))
		return parse_lookalike(c, tok, ntok);
	if (!strcmp(tok[0], "allow"))
		return parse_allow(c, tok, ntok);
	return parse_error(c, "unknown directive '%s'", tok[0]);
}

int policy_load_buffer(struct mxg_policy *p, const char *name,
		       const char *buf, size_t len)
{
	struct parse_ctx c = { .p = p };
	size_t start = p->n, off = 0, n;
	const char *nl;

	c.file = intern_file(p, name);
	if (!c.file) {
		pr_warn("%s: out of memory\n", name);
		return 1;
	}
	while (off < len) {
		nl = memchr(buf + off, '\n', len - off);
		n = nl ? (size_t)(nl - (buf + off)) : len - off;
		c.line++;
		parse_line(&c, buf + off, n);
		off += n + 1;
	}
	if (c.errors)
		policy_truncate(p, start);
	return c.errors;
}

/* --- files and directories ------------------------------------------------ */

static int read_all(int fd, char **out, size_t *outlen)
{
	size_t len = 0, cap = 0;
	char *buf = NULL, *nbuf;
	ssize_t got;

	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			nbuf = realloc(buf, cap);
			if (!nbuf)
				goto fail;
			buf = nbuf;
		}
		got = read(fd, buf + len, cap - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			goto fail;
		if (!got)
			break;
		len += got;
	}
	*out = buf;
	*outlen = len;
	return 0;
fail:
	free(buf);
	return -1;
}

static int load_file(struct mxg_policy *p, const char *path)
{
	struct stat st;
	char *buf = NULL;
	size_t len;
	int fd, errors = 1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		log_warn("%s", path);
		goto cleanup;
	}
	/* Whoever can write the policy could switch the guard off. */
	if (st.st_mode & S_IWOTH) {
		pr_warn("%s: refusing a policy file that anyone may write\n",
			path);
		goto cleanup;
	}
	if (read_all(fd, &buf, &len)) {
		log_warn("%s", path);
		goto cleanup;
	}
	errors = policy_load_buffer(p, path, buf, len);
cleanup:
	free(buf);
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

static int load_dir_entry(struct mxg_policy *p, const char *dir,
			  const char *name)
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
	if (stat(path, &st)) {
		log_warn("%s", path);
		errors = 1;
	} else if (S_ISREG(st.st_mode)) {
		errors = load_file(p, path);
	}
	free(path);
	return errors;
}

static int load_dir(struct mxg_policy *p, const char *dir)
{
	struct dirent **list;
	int n, i, errors = 0;

	n = scandir(dir, &list, is_policy_name, by_name);
	if (n < 0) {
		log_warn("%s", dir);
		return 1;
	}
	for (i = 0; i < n; i++) {
		errors += load_dir_entry(p, dir, list[i]->d_name);
		free(list[i]);
	}
	free(list);
	return errors;
}

int policy_load_path(struct mxg_policy *p, const char *path)
{
	struct stat st;

	if (stat(path, &st)) {
		log_warn("%s", path);
		return 1;
	}
	if (S_ISDIR(st.st_mode))
		return load_dir(p, path);
	return load_file(p, path);
}

/* --- matching ------------------------------------------------------------- */

static long find_suffix(const struct mxg_policy *p, __u64 h,
			const __u8 *wire, __u32 len)
{
	long r = index_find(p, h, wire, len);
	size_t i;

	if (r >= 0)
		return r;
	for (i = p->nindexed; i < p->n; i++)
		if (same_suffix(&p->rules[i], wire, len))
			return (long)i;
	return -1;
}

int policy_match(const struct mxg_policy *p, const __u8 *wire, __u32 len)
{
	__u64 hashes[MXG_LABELS_MAX + 1];
	__u32 offsets[MXG_LABELS_MAX + 1];
	long r;
	int n, i;

	n = mxg_name_suffixes(POLICY_INDEX_SEED, wire, len, hashes, offsets,
			      MXG_LABELS_MAX + 1);
	/* Suffixes come shortest first; the longest match wins. */
	for (i = n - 1; i >= 0; i--) {
		r = find_suffix(p, hashes[i], wire + offsets[i],
				len - offsets[i]);
		if (r >= 0)
			return (int)r;
	}
	return -1;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * Recall and false alarms of the lookalike engine, on data nobody on this
 * project wrote (tests/data/README.md):
 *
 *   recall POLICY TYPOS LEGIT
 *
 * POLICY protects the providers (tests/data/providers.policy); TYPOS is
 * "typo<TAB>intended<TAB>sources" per line (the held-out corpus); LEGIT is
 * one real mail-provider domain per line.  Each name is judged three ways:
 *
 *   rules    a generated or written rule matches (what the kernel decides
 *            on the DNS answer);
 *   second   the daemon's second look (secondlook_match) flags it;
 *   check    what `mxguardctl check` says: rules, then the second look.
 *
 * A typo counts as caught when flagged and attributed to its intended
 * name; caught-elsewhere when flagged as the lookalike of another one.
 * Every legitimate name flagged is a false alarm, and is listed.  The
 * tool never tunes anything: it reads the files and prints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "idn.h"
#include "log.h"
#include "lookalike.h"
#include "name.h"
#include "policy.h"
#include "secondlook.h"
#include "similar.h"

enum { RULES, SECOND, CHECK, NWAYS };
static const char *const way_name[NWAYS] = { "rules", "second", "check" };

struct judged {
	int flagged[NWAYS];
	const char *how;	/* the rule's fuzzer, or the similarity's */
	char imitates[NWAYS][MXG_NAME_TEXT_MAX];
};

static void judge(const struct mxg_policy *p,
		  const struct mxg_secondlook_index *ix, const char *text,
		  struct judged *j)
{
	struct mxg_secondlook_finding f;
	const struct mxg_policy_rule *r;
	__u8 wire[MXG_NAME_MAX];
	const char *err;
	__u32 len;
	int m, w;

	memset(j, 0, sizeof(*j));
	if (mxg_name_parse(text, wire, &len, &err))
		return;
	m = policy_match(p, wire, len);
	if (m >= 0 && p->rules[m].kind == MXG_RULE_LOOKALIKE) {
		r = &p->rules[m];
		j->flagged[RULES] = 1;
		j->how = lookalike_fuzzer_name(r->origin);
		mxg_name_format(mxg_rule_protected(p, r),
				mxg_rule_protected_len(p, r),
				j->imitates[RULES], MXG_NAME_TEXT_MAX);
	}
	if (secondlook_match(p, ix, wire, len, &f, 1) == 1) {
		j->flagged[SECOND] = 1;
		mxg_name_format(f.protected_wire, f.protected_len,
				j->imitates[SECOND], MXG_NAME_TEXT_MAX);
	}
	/* check: a rule decides first, as check_name does. */
	w = j->flagged[RULES] ? RULES : SECOND;
	if (w == SECOND && j->flagged[SECOND])
		j->how = lookalike_fuzzer_name(f.method);
	j->flagged[CHECK] = j->flagged[w];
	memcpy(j->imitates[CHECK], j->imitates[w], MXG_NAME_TEXT_MAX);
}

static char *chomp(char *s)
{
	s[strcspn(s, "\r\n")] = '\0';
	return s;
}

/*
 * Homoglyphs: every single-character confusable of each protected label
 * (code points with the same UTS #39 skeleton as the letter, from ICU,
 * computed here independently of the generator) that IDNA2008 can encode:
 * how many does a rule cover, as the kernel would match them?
 */
static void homoglyphs(const struct mxg_policy *p)
{
	static uint32_t pool[1 << 17];
	char skel[64], u[8], s[64], alabel[IDN_LABEL_BUF];
	int npool = 0, covered = 0, total = 0, i, k, n, m;
	__u8 wire[MXG_NAME_MAX];
	uint32_t label[64], c;
	size_t pi;

	for (c = 0x80; c <= 0x1ffff; c++)
		if ((c < 0xd800 || c >= 0xe000) && npool < (1 << 17))
			pool[npool++] = c;
	for (pi = 0; pi < p->nprotects; pi++) {
		const struct mxg_protect *pr = &p->protects[pi];
		__u32 reg = secondlook_registrable_offset(pr->wire, pr->len);

		if (lookalike_is_public_suffix(pr->wire, pr->len))
			continue;
		n = idn_label_decode((const char *)pr->wire + reg + 1,
				     pr->wire[reg], label, 63);
		for (i = 0; i < n; i++) {
			char t[8];

			if (idn_utf8_encode(&label[i], 1, t, sizeof(t)) < 0 ||
			    secondlook_skeleton(t, skel, sizeof(skel)) < 0)
				continue;
			for (k = 0; k < npool; k++) {
				uint32_t keep = label[i];

				if (idn_utf8_encode(&pool[k], 1, u, sizeof(u)) < 0 ||
				    secondlook_skeleton(u, s, sizeof(s)) < 0 ||
				    strcmp(s, skel))
					continue;
				label[i] = pool[k];
				m = idn_label_encode(label, n, alabel);
				label[i] = keep;
				if (m < 0)
					continue;
				/* The name with this label in place. */
				memcpy(wire, pr->wire, reg);
				wire[reg] = (__u8)m;
				memcpy(wire + reg + 1, alabel, m);
				memcpy(wire + reg + 1 + m,
				       pr->wire + reg + 1 + pr->wire[reg],
				       pr->len - reg - 1 - pr->wire[reg]);
				total++;
				m = policy_match(p, wire, pr->len - pr->wire[reg] + m);
				if (m >= 0 && p->rules[m].kind == MXG_RULE_LOOKALIKE)
					covered++;
			}
		}
	}
	printf("homoglyphs: %d of %d single-character UTS #39 confusables "
	       "(IDNA2008-valid) have a rule (%.1f%%)\n", covered, total,
	       total ? 100.0 * covered / total : 0.0);
}

/* The rules of similar.h, varied: what each costs or buys. */
static const struct {
	unsigned int flags;
	const char *what;
} variant[] = {
	{ SIMILAR_F_NO_MID, "check, 5-7 letters one edit" },
	{ SIMILAR_F_ANY_FIRST, "check, any first letter" },
	{ SIMILAR_F_ANY_FIRST | SIMILAR_F_NO_MID, "check, both" },
	{ SIMILAR_F_ANY_TWO, "check, two edits need no slip" },
	{ SIMILAR_F_AFFIX_SLIPS, "check, label whole, two letters slips" },
	{ SIMILAR_F_TLD_TABLE, "check, TLD neighbours of the table only" },
	{ SIMILAR_F_FIRST_DROP, "check, short labels' first letter dropped" },
	{ SIMILAR_F_ANY_TWO | SIMILAR_F_TLD_TABLE,
	  "check, no slip, TLD table (before)" },
};
#define NVARIANTS (int)(sizeof(variant) / sizeof(variant[0]))

static struct mxg_secondlook_index *vix[NVARIANTS];
static int vcaught[NVARIANTS], valarms[NVARIANTS];

static void judge_variants(const struct mxg_policy *p, const char *text,
			   const char *intended)
{
	struct mxg_secondlook_finding f;
	char prot[MXG_NAME_TEXT_MAX];
	__u8 wire[MXG_NAME_MAX];
	const char *err;
	__u32 len;
	int v, m;

	if (mxg_name_parse(text, wire, &len, &err))
		return;
	m = policy_match(p, wire, len);
	for (v = 0; v < NVARIANTS; v++) {
		if (m >= 0 && p->rules[m].kind == MXG_RULE_LOOKALIKE) {
			mxg_name_format(
				mxg_rule_protected(p, &p->rules[m]),
				mxg_rule_protected_len(p, &p->rules[m]), prot,
				sizeof(prot));
		} else if (m < 0 &&
			   secondlook_match(p, vix[v], wire, len, &f, 1) == 1) {
			mxg_name_format(f.protected_wire, f.protected_len,
					prot, sizeof(prot));
		} else {
			continue;
		}
		if (!intended)
			valarms[v]++;
		else if (!strcmp(prot, intended))
			vcaught[v]++;
	}
}

int main(int argc, char **argv)
{
	struct mxg_secondlook_opts o;
	int v;
	int caught[NWAYS] = { 0 }, elsewhere[NWAYS] = { 0 };
	int alarms[NWAYS] = { 0 }, ntypos = 0, nlegit = 0, w;
	struct mxg_secondlook_index *ix;
	char line[1024];
	struct mxg_policy p;
	struct judged j;
	FILE *f;

	if (argc != 4) {
		fprintf(stderr, "usage: recall POLICY TYPOS LEGIT\n");
		return 2;
	}
	log_init(NULL, 0);
	policy_init(&p);
	if (policy_load_path(&p, argv[1])) {
		fprintf(stderr, "recall: %s: errors\n", argv[1]);
		return 1;
	}
	ix = secondlook_index(&p, NULL);
	if (!ix)
		return 1;
	for (v = 0; v < NVARIANTS; v++) {
		secondlook_defaults(&o);
		o.similar_flags = variant[v].flags;
		vix[v] = secondlook_index(&p, &o);
		if (!vix[v])
			return 1;
	}
	printf("policy %s: %zu rules, %zu protected names\n", argv[1], p.n,
	       p.nprotected);

	f = fopen(argv[2], "re");
	if (!f) {
		perror(argv[2]);
		return 1;
	}
	printf("\nmissed typos (check):\n");
	while (fgets(line, sizeof(line), f)) {
		char *typo = chomp(line), *intended, *tab;

		if (!*typo || *typo == '#')
			continue;
		tab = strchr(typo, '\t');
		if (!tab)
			continue;
		*tab = '\0';
		intended = tab + 1;
		tab = strchr(intended, '\t');
		if (tab)
			*tab = '\0';
		ntypos++;
		judge(&p, ix, typo, &j);
		judge_variants(&p, typo, intended);
		for (w = 0; w < NWAYS; w++) {
			if (!j.flagged[w])
				continue;
			if (!strcmp(j.imitates[w], intended))
				caught[w]++;
			else
				elsewhere[w]++;
		}
		if (!j.flagged[CHECK])
			printf("  %-24s (%s)\n", typo, intended);
		else if (strcmp(j.imitates[CHECK], intended))
			printf("  %-24s flagged, but as %s, not %s\n", typo,
			       j.imitates[CHECK], intended);
	}
	fclose(f);

	f = fopen(argv[3], "re");
	if (!f) {
		perror(argv[3]);
		return 1;
	}
	printf("\nfalse alarms (check):\n");
	while (fgets(line, sizeof(line), f)) {
		char *name = chomp(line);

		if (!*name || *name == '#')
			continue;
		nlegit++;
		judge(&p, ix, name, &j);
		judge_variants(&p, name, NULL);
		for (w = 0; w < NWAYS; w++)
			alarms[w] += j.flagged[w];
		if (j.flagged[CHECK])
			printf("  %-24s as %s (%s%s)\n", name, j.imitates[CHECK],
			       j.flagged[RULES] ? "rule " : "",
			       j.how ? j.how : "rule");
	}
	fclose(f);

	printf("\n%-8s %22s %12s %20s\n", "", "typos caught", "elsewhere",
	       "false alarms");
	for (w = 0; w < NWAYS; w++)
		printf("%-8s %8d/%-4d %6.1f%% %12d %10d/%-6d\n", way_name[w],
		       caught[w], ntypos,
		       ntypos ? 100.0 * caught[w] / ntypos : 0.0,
		       elsewhere[w], alarms[w], nlegit);
	for (v = 0; v < NVARIANTS; v++) {
		printf("%-40s %4d/%-4d %6.1f%% %10d/%-6d\n", variant[v].what,
		       vcaught[v], ntypos,
		       ntypos ? 100.0 * vcaught[v] / ntypos : 0.0, valarms[v],
		       nlegit);
		secondlook_index_free(vix[v]);
	}
	homoglyphs(&p);
	secondlook_index_free(ix);
	policy_free(&p);
	return 0;
}

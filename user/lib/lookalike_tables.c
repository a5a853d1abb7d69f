// SPDX-License-Identifier: GPL-2.0-only
/*
 * The lookalike engine's data: keyboards, glyphs, Cyrillic lookalikes, and
 * the gTLD<->ccTLD neighbours.
 */
#include <pthread.h>
#include <string.h>

#include "idn.h"
#include "lookalike_int.h"
#include "secondlook.h"

/* --- keyboards ------------------------------------------------------------ */

/*
 * Rows as they sit, each offset half a key to the right of the one above:
 * a key touches its row neighbours, keys c and c+1 of the row above and
 * keys c-1 and c of the row below.
 */
static const char *const keyboards[][4] = {
	{ "1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm" },	/* QWERTY */
	{ "1234567890", "qwertzuiop", "asdfghjkl", "yxcvbnm" },	/* QWERTZ */
	{ "1234567890", "azertyuiop", "qsdfghjklm", "wxcvbn" },	/* AZERTY */
};

static void add_key(char *out, const char *row, int col)
{
	size_t n = strlen(out);

	if (col < 0 || col >= (int)strlen(row) || strchr(out, row[col]))
		return;
	out[n] = row[col];
	out[n + 1] = '\0';
}

void lk_keyboard_neighbours(uint32_t c, char *out)
{
	const char *pos;
	size_t k;
	int r, col;

	out[0] = '\0';
	if (c >= 0x80 || !c)
		return;
	for (k = 0; k < sizeof(keyboards) / sizeof(keyboards[0]); k++) {
		for (r = 0; r < 4; r++) {
			pos = strchr(keyboards[k][r], (int)c);
			if (!pos)
				continue;
			col = (int)(pos - keyboards[k][r]);
			add_key(out, keyboards[k][r], col - 1);
			add_key(out, keyboards[k][r], col + 1);
			if (r > 0) {
				add_key(out, keyboards[k][r - 1], col);
				add_key(out, keyboards[k][r - 1], col + 1);
			}
			if (r < 3) {
				add_key(out, keyboards[k][r + 1], col - 1);
				add_key(out, keyboards[k][r + 1], col);
			}
		}
	}
}

/* --- glyphs --------------------------------------------------------------- */

struct glyph_text {
	const char *from, *to;
	int strong;
};

/*
 * ASCII look-alikes, the Cyrillic, Greek, Armenian and Latin letters that
 * render like a Latin one (strong), and Latin letters with a diacritic,
 * which a hurried reader misses (weak).  Only what IDNA2008 allows survives
 * the encoder.
 */
static const struct glyph_text glyph_text[] = {
	/* ASCII */
	{ "0", "o", 1 }, { "o", "0", 1 }, { "1", "l", 1 }, { "l", "1", 1 },
	{ "1", "i", 0 }, { "i", "1", 0 }, { "l", "i", 1 }, { "i", "l", 1 },
	{ "rn", "m", 1 }, { "m", "rn", 1 }, { "vv", "w", 1 }, { "w", "vv", 1 },
	{ "cl", "d", 1 }, { "d", "cl", 1 }, { "m", "nn", 0 }, { "nn", "m", 0 },
	{ "3", "8", 0 }, { "8", "3", 0 }, { "5", "s", 0 }, { "s", "5", 0 },
	{ "6", "b", 0 }, { "b", "6", 0 }, { "9", "g", 0 }, { "g", "q", 0 },
	{ "q", "g", 0 }, { "u", "v", 0 }, { "v", "u", 0 }, { "n", "r", 0 },
	{ "b", "d", 0 }, { "d", "b", 0 }, { "c", "e", 0 }, { "e", "c", 0 },
	/* Cyrillic, Greek, Armenian, Latin: the same shape */
	{ "a", "а", 1 }, { "a", "ɑ", 1 }, { "c", "с", 1 }, { "c", "ϲ", 1 },
	{ "d", "ԁ", 1 }, { "e", "е", 1 }, { "g", "ɡ", 1 }, { "h", "һ", 1 },
	{ "i", "і", 1 }, { "i", "ı", 1 }, { "i", "ɩ", 1 }, { "j", "ј", 1 },
	{ "k", "κ", 0 }, { "l", "ӏ", 1 }, { "n", "ո", 0 }, { "o", "о", 1 },
	{ "o", "ο", 1 }, { "o", "օ", 1 }, { "p", "р", 1 }, { "p", "ρ", 1 },
	{ "q", "ԛ", 1 }, { "s", "ѕ", 1 }, { "u", "υ", 0 }, { "v", "ν", 1 },
	{ "v", "ѵ", 1 }, { "w", "ԝ", 1 }, { "x", "х", 1 }, { "y", "у", 1 },
	{ "h", "հ", 0 }, { "u", "ս", 0 }, { "g", "ց", 0 },
	/* Latin with a diacritic */
	{ "a", "à", 0 }, { "a", "á", 0 }, { "a", "â", 0 }, { "a", "ã", 0 },
	{ "a", "ä", 0 }, { "a", "å", 0 }, { "a", "ā", 0 }, { "a", "ă", 0 },
	{ "a", "ą", 0 }, { "a", "ạ", 0 }, { "c", "ç", 0 }, { "c", "ć", 0 },
	{ "c", "č", 0 }, { "c", "ċ", 0 }, { "d", "ď", 0 }, { "d", "đ", 0 },
	{ "e", "è", 0 }, { "e", "é", 0 }, { "e", "ê", 0 }, { "e", "ë", 0 },
	{ "e", "ē", 0 }, { "e", "ė", 0 }, { "e", "ę", 0 }, { "e", "ě", 0 },
	{ "e", "ẹ", 0 }, { "g", "ğ", 0 }, { "g", "ġ", 0 }, { "g", "ģ", 0 },
	{ "h", "ħ", 0 }, { "i", "ì", 0 }, { "i", "í", 0 }, { "i", "î", 0 },
	{ "i", "ï", 0 }, { "i", "ī", 0 }, { "i", "į", 0 }, { "i", "ị", 0 },
	{ "k", "ķ", 0 }, { "l", "ĺ", 0 }, { "l", "ļ", 0 }, { "l", "ľ", 0 },
	{ "l", "ł", 0 }, { "n", "ñ", 0 }, { "n", "ń", 0 }, { "n", "ņ", 0 },
	{ "n", "ň", 0 }, { "o", "ò", 0 }, { "o", "ó", 0 }, { "o", "ô", 0 },
	{ "o", "õ", 0 }, { "o", "ö", 0 }, { "o", "ō", 0 }, { "o", "ő", 0 },
	{ "o", "ø", 0 }, { "o", "ọ", 0 }, { "r", "ŕ", 0 }, { "r", "ř", 0 },
	{ "r", "ŗ", 0 }, { "s", "ś", 0 }, { "s", "š", 0 }, { "s", "ş", 0 },
	{ "s", "ș", 0 }, { "t", "ţ", 0 }, { "t", "ť", 0 }, { "t", "ț", 0 },
	{ "u", "ù", 0 }, { "u", "ú", 0 }, { "u", "û", 0 }, { "u", "ü", 0 },
	{ "u", "ū", 0 }, { "u", "ů", 0 }, { "u", "ű", 0 }, { "u", "ų", 0 },
	{ "u", "ụ", 0 }, { "w", "ŵ", 0 }, { "y", "ý", 0 }, { "y", "ÿ", 0 },
	{ "y", "ŷ", 0 }, { "z", "ź", 0 }, { "z", "ż", 0 }, { "z", "ž", 0 },
	{ "ae", "æ", 0 }, { "oe", "œ", 0 },
};

#define NGLYPHS	(int)(sizeof(glyph_text) / sizeof(glyph_text[0]))

static struct lk_glyph glyph_cp[NGLYPHS];
const struct lk_glyph *lk_glyphs = glyph_cp;
int lk_nglyphs;

static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void tables_decode(void)
{
	const struct glyph_text *t;
	struct lk_glyph *g;
	int i, a, b;

	for (i = 0; i < NGLYPHS; i++) {
		t = &glyph_text[i];
		g = &glyph_cp[i];
		a = idn_utf8_decode(t->from, strlen(t->from), g->from, 2);
		b = idn_utf8_decode(t->to, strlen(t->to), g->to, 2);
		if (a < 1 || b < 1)
			return;		/* lk_nglyphs stays short: an error */
		g->nfrom = (uint8_t)a;
		g->nto = (uint8_t)b;
		g->strong = (uint8_t)t->strong;
	}
	lk_nglyphs = NGLYPHS;
}

int lk_tables_init(void)
{
	pthread_once(&tables_once, tables_decode);
	return lk_nglyphs == NGLYPHS ? 0 : -1;
}

/* --- Cyrillic ------------------------------------------------------------- */

/* Latin a..z -> the Cyrillic letter drawn the same way, 0 for none. */
static const uint32_t cyrillic[26] = {
	['a' - 'a'] = 0x0430, ['b' - 'a'] = 0x044c, ['c' - 'a'] = 0x0441,
	['d' - 'a'] = 0x0501, ['e' - 'a'] = 0x0435, ['g' - 'a'] = 0x050d,
	['h' - 'a'] = 0x04bb, ['i' - 'a'] = 0x0456, ['j' - 'a'] = 0x0458,
	['k' - 'a'] = 0x043a, ['l' - 'a'] = 0x04cf, ['m' - 'a'] = 0x043c,
	['o' - 'a'] = 0x043e, ['p' - 'a'] = 0x0440, ['q' - 'a'] = 0x051b,
	['s' - 'a'] = 0x0455, ['t' - 'a'] = 0x0442, ['v' - 'a'] = 0x0475,
	['w' - 'a'] = 0x051d, ['x' - 'a'] = 0x0445, ['y' - 'a'] = 0x0443,
};

uint32_t lk_cyrillic(uint32_t c)
{
	return c >= 'a' && c <= 'z' ? cyrillic[c - 'a'] : 0;
}

/* --- TLDs ----------------------------------------------------------------- */

/*
 * Every delegated two-letter ccTLD one edit away from a legacy or common
 * gTLD, checked against the Public Suffix List: one dropped letter turns
 * the one into the other.  .org and .gov have no such neighbour.
 */
const struct lk_tld_pair lk_tld_pairs[] = {
	{ "com", "co" }, { "com", "cm" }, { "com", "om" },
	{ "net", "ne" }, { "net", "et" },
	{ "edu", "eu" },
	{ "mil", "ml" }, { "mil", "il" },
	{ "int", "in" }, { "int", "it" },
	{ "biz", "bi" }, { "biz", "bz" },
	{ "pro", "pr" }, { "pro", "ro" },
	{ "tel", "tl" },
	{ "cat", "ca" }, { "cat", "at" },
	{ "dev", "de" },
};
const int lk_ntld_pairs = sizeof(lk_tld_pairs) / sizeof(lk_tld_pairs[0]);

/* The gTLDs people mix up whatever a domain's own TLD is. */
const char *const lk_swap_tlds[] = { "com", "net", "org", "info", "biz" };
const int lk_nswap_tlds = sizeof(lk_swap_tlds) / sizeof(lk_swap_tlds[0]);

/* --- confusables (UTS #39) ------------------------------------------------ */

/*
 * Every code point that ICU's confusables data (UTS #39, through
 * uspoof_getSkeleton) gives the same skeleton as a letter, digit or hyphen:
 * "а" (Cyrillic), "ɑ", "α" ... for "a".  Not a hand table: the list is
 * whatever the installed ICU ships, read once (about 0.1 s for the 128k
 * code points of planes 0 and 1) on the first protect that asks for
 * homoglyphs.  Only IDNA2008-valid results survive the encoder, so the
 * mathematical letters and the like fall away there.
 */
#define CONF_LAST	0x1ffff
#define CONF_MAX	4096

static uint32_t conf_cp[CONF_MAX];
static uint16_t conf_start[129], conf_n[128];
static pthread_once_t conf_once = PTHREAD_ONCE_INIT;

static void conf_read(void)
{
	static const char ldh[] = "abcdefghijklmnopqrstuvwxyz0123456789-";
	static uint32_t found[CONF_MAX];
	static uint8_t of[CONF_MAX];
	char skel[37][16], u[8], s[64];
	int i, k, n, total = 0, at = 0;
	uint32_t c;

	for (i = 0; ldh[i]; i++) {
		char t[2] = { ldh[i], 0 };

		if (secondlook_skeleton(t, skel[i], sizeof(skel[i])) < 0)
			skel[i][0] = '\0';
	}
	for (c = 0x80; c <= CONF_LAST && total < CONF_MAX; c++) {
		if (c >= 0xd800 && c < 0xe000)
			continue;
		if (idn_utf8_encode(&c, 1, u, sizeof(u)) < 0)
			continue;
		n = secondlook_skeleton(u, s, sizeof(s));
		if (n <= 0 || n > 15)
			continue;
		for (i = 0; ldh[i] && total < CONF_MAX; i++) {
			if (!skel[i][0] || strcmp(s, skel[i]))
				continue;
			found[total] = c;
			of[total++] = (uint8_t)ldh[i];
		}
	}
	/* Grouped by the ASCII character they imitate. */
	for (k = 0; k < 128; k++) {
		conf_start[k] = (uint16_t)at;
		for (i = 0; i < total; i++)
			if (of[i] == k)
				conf_cp[at++] = found[i];
		conf_n[k] = (uint16_t)(at - conf_start[k]);
	}
	conf_start[128] = (uint16_t)at;
}

int lk_confusables(uint32_t c, const uint32_t **out)
{
	pthread_once(&conf_once, conf_read);
	if (c >= 128) {
		*out = NULL;
		return 0;
	}
	*out = conf_cp + conf_start[c];
	return conf_n[c];
}

// SPDX-License-Identifier: GPL-2.0-only
/* Code points <-> UTF-8, and labels <-> A-labels through libidn2. */
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#include "idn.h"

static int utf8_seq_len(unsigned char c, uint32_t *first)
{
	if (c < 0x80) {
		*first = c;
		return 1;
	}
	if ((c & 0xe0) == 0xc0) {
		*first = c & 0x1f;
		return 2;
	}
	if ((c & 0xf0) == 0xe0) {
		*first = c & 0x0f;
		return 3;
	}
	if ((c & 0xf8) == 0xf0) {
		*first = c & 0x07;
		return 4;
	}
	return -1;
}

int idn_utf8_decode(const char *s, size_t len, uint32_t *out, int max)
{
	static const uint32_t min_cp[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	int n = 0, k, j;
	uint32_t cp;

	while (i < len) {
		k = utf8_seq_len(p[i], &cp);
		if (k < 0 || i + k > len || n >= max)
			return -1;
		for (j = 1; j < k; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return -1;
			cp = (cp << 6) | (p[i + j] & 0x3f);
		}
		/* Overlong forms and surrogates are not characters. */
		if (cp < min_cp[k] || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return -1;
		out[n++] = cp;
		i += k;
	}
	return n;
}

int idn_utf8_encode(const uint32_t *cp, int n, char *out, size_t size)
{
	size_t o = 0;
	int i;

	for (i = 0; i < n; i++) {
		uint32_t c = cp[i];

		if (o + 5 > size)
			return -1;
		if (c < 0x80) {
			out[o++] = (char)c;
		} else if (c < 0x800) {
			out[o++] = (char)(0xc0 | c >> 6);
			out[o++] = (char)(0x80 | (c & 0x3f));
		} else if (c < 0x10000) {
			out[o++] = (char)(0xe0 | c >> 12);
			out[o++] = (char)(0x80 | ((c >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (c & 0x3f));
		} else {
			out[o++] = (char)(0xf0 | c >> 18);
			out[o++] = (char)(0x80 | ((c >> 12) & 0x3f));
			out[o++] = (char)(0x80 | ((c >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (c & 0x3f));
		}
	}
	if (o >= size)
		return -1;
	out[o] = '\0';
	return (int)o;
}

static int is_ldh(uint32_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

static int ascii_label(const uint32_t *cp, int n, char *out)
{
	int i;

	if (n < 1 || n > 63 || cp[0] == '-' || cp[n - 1] == '-')
		return -1;
	if (n >= 4 && cp[2] == '-' && cp[3] == '-')
		return -1;
	for (i = 0; i < n; i++) {
		if (!is_ldh(cp[i]))
			return -1;
		out[i] = (char)cp[i];
	}
	out[n] = '\0';
	return n;
}

int idn_label_encode(const uint32_t *cp, int n, char *out)
{
	char utf8[IDN_LABEL_CP_MAX * 4 + 1], *alabel = NULL;
	size_t len;
	int i, ascii = 1;

	if (n < 1 || n > IDN_LABEL_CP_MAX)
		return -1;
	for (i = 0; i < n; i++)
		if (cp[i] >= 0x80)
			ascii = 0;
	if (ascii)
		return ascii_label(cp, n, out);
	if (idn_utf8_encode(cp, n, utf8, sizeof(utf8)) < 0)
		return -1;
	/* No TR46 mapping: a glyph that would be mapped away is no glyph. */
	if (idn2_to_ascii_8z(utf8, &alabel, IDN2_NFC_INPUT | IDN2_NO_TR46) !=
	    IDN2_OK)
		return -1;
	len = strlen(alabel);
	if (len < 1 || len > 63 || memchr(alabel, '.', len)) {
		idn2_free(alabel);
		return -1;
	}
	memcpy(out, alabel, len + 1);
	idn2_free(alabel);
	return (int)len;
}

int idn_label_decode(const char *label, size_t len, uint32_t *out, int max)
{
	char ascii[IDN_LABEL_BUF], *u = NULL;
	int n;

	if (len >= sizeof(ascii))
		return -1;
	if (len < 4 || strncmp(label, "xn--", 4)) {
		if ((int)len > max)
			return -1;
		for (n = 0; n < (int)len; n++)
			out[n] = (unsigned char)label[n];
		return n;
	}
	memcpy(ascii, label, len);
	ascii[len] = '\0';
	if (idn2_to_unicode_8z8z(ascii, &u, 0) != IDN2_OK)
		return -1;
	n = idn_utf8_decode(u, strlen(u), out, max);
	idn2_free(u);
	return n;
}

int idn_name_to_ascii(const char *text, char *out, size_t size,
		      const char **err)
{
	char *a = NULL;
	int rc;

	rc = idn2_to_ascii_8z(text, &a, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	if (rc != IDN2_OK) {
		*err = idn2_strerror(rc);
		return -1;
	}
	if (strlen(a) >= size) {
		idn2_free(a);
		*err = "name too long";
		return -1;
	}
	strcpy(out, a);
	idn2_free(a);
	return 0;
}

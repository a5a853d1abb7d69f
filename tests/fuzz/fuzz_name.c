// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: names from packets and from people.  The input is fed
 * to mxg_name_format as wire bytes and to mxg_name_parse as text; whatever
 * parses must format to printable ASCII that parses back to the same bytes,
 * and its suffix hashes must end with the whole-name hash.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "name.h"

static void check_format(const uint8_t *data, size_t size)
{
	char text[MXG_NAME_TEXT_MAX];
	size_t i;

	mxg_name_format(data, size, text, sizeof(text));
	for (i = 0; text[i]; i++)
		if (text[i] <= 0x20 || text[i] >= 0x7f)
			abort();
}

static void check_round_trip(const __u8 *wire, __u32 len)
{
	char text[MXG_NAME_TEXT_MAX];
	__u8 back[MXG_NAME_MAX];
	__u64 hashes[MXG_LABELS_MAX + 1];
	__u32 offsets[MXG_LABELS_MAX + 1], blen;
	const char *err;
	int n;

	mxg_name_format(wire, len, text, sizeof(text));
	if (mxg_name_parse(text, back, &blen, &err) || blen != len ||
	    memcmp(back, wire, len))
		abort();
	n = mxg_name_suffixes(1, wire, len, hashes, offsets,
			      MXG_LABELS_MAX + 1);
	if (len && (n < 1 || offsets[n - 1] != 0 ||
		    hashes[n - 1] != mxg_name_hash(1, wire, len)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	__u8 wire[MXG_NAME_MAX];
	const char *err;
	char *text;
	__u32 len;

	check_format(data, size);
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (!mxg_name_parse(text, wire, &len, &err))
		check_round_trip(wire, len);
	free(text);
	return 0;
}

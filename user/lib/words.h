/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Which labels are words, from the host's word list: /usr/share/dict/words
 * (Debian's wamerican, or any package that provides `wordlist`), or the
 * file MXGUARD_WORDS names ("" for none).  Read once, on first use, and
 * kept read-only for the life of the process; a policy without protected
 * names never reads it.
 *
 * The lookalike rules ask it one thing: whether an edit of a protected
 * label's first letter makes a typo or another name.  A label that is one
 * letter and a word ("gmail", "ymail", "email") is told apart from its
 * siblings by that letter alone, so any other letter there ("amail",
 * "xmail") is another brand; so is any letter put before a label that is
 * a word ("email" for "mail"), and a word made by the edit ("hive" for
 * "live").  A label that is no word ("yahoo" without its "y", "msn") has
 * no such siblings, and any letter there is a slip: "vahoo", "ahoo",
 * "gmsn" (similar.h, lookalike.c).
 */
#ifndef MXGUARD_WORDS_H
#define MXGUARD_WORDS_H

#include <stdint.h>

#define MXG_WORDS_DEFAULT	"/usr/share/dict/words"

/*
 * Is @cp[0..n) a word of the list?  1 yes, 0 no, -1 when there is no list
 * (then callers keep the first letter to its keyboard neighbours, as
 * without this module).  Only lowercase ASCII letters make words; the
 * list's capitals, possessives and accents are left out.
 */
int words_has(const uint32_t *cp, int n);

/*
 * What the list says of a protected label's first letter, as similar.h's
 * SIMILAR_TAIL_FREE or _WORD (the label less it) and SIMILAR_LABEL_FREE
 * or _WORD (the label whole); 0 without a list.  The one place both the
 * fuzzers (lookalike.c) and the second look (secondlook.c) ask.
 */
unsigned int words_first_flags(const uint32_t *label, int n);

/* Words in the list (0: no list); its path, for messages. */
unsigned int words_count(void);
const char *words_path(void);

#endif

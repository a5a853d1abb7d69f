// SPDX-License-Identifier: GPL-2.0-only
/* The JSON writer: structure, numbers, and escaping of hostile bytes. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "json.h"

/* Bytes a DNS answer can carry in a name, and some it cannot. */
static const char hostile[] =
	"q\"uo\\te\n\r\t\b\f\x01\x1f\x7f"	/* ASCII escapes */
	"\xff\xc0\x80"				/* never valid UTF-8 */
	"\xc3\xa9"				/* é: valid, passes */
	"\xe2\x80\xa8\xe2\x80\xa9"		/* U+2028, U+2029 */
	"\xed\xa0\x80"				/* a surrogate */
	"\xe0\x80\xaf"				/* overlong '/' */
	"\xf4\x90\x80\x80"			/* above U+10FFFF */
	"\xf0\x9f\x93\xa7"			/* U+1F4E7, valid */
	"\xe2\x82";				/* cut short */

static const char hostile_escaped[] =
	"q\\\"uo\\\\te\\n\\r\\t\\b\\f\\u0001\\u001f\\u007f"
	"\\u00ff\\u00c0\\u0080"
	"\xc3\xa9"
	"\\u2028\\u2029"
	"\\u00ed\\u00a0\\u0080"
	"\\u00e0\\u0080\\u00af"
	"\\u00f4\\u0090\\u0080\\u0080"
	"\xf0\x9f\x93\xa7"
	"\\u00e2\\u0082";

static char *escape(const char *in, size_t n)
{
	size_t need = json_escape(NULL, 0, in, n);
	char *out = malloc(need + 1);

	assert_non_null(out);
	assert_int_equal(json_escape(out, need + 1, in, n), need);
	assert_int_equal(strlen(out), need);
	return out;
}

static void test_escape_hostile(void **state)
{
	char *out = escape(hostile, sizeof(hostile) - 1);

	(void)state;
	assert_string_equal(out, hostile_escaped);
	free(out);
}

static void test_escape_nul(void **state)
{
	char *out = escape("a\0b", 3);

	(void)state;
	assert_string_equal(out, "a\\u0000b");
	free(out);
}

/*
 * Valid UTF-8 that a terminal would act on (C1 CSI), or that reorders
 * what a reader sees (bidi controls): escaped, as JSON lines may go to a
 * terminal (--foreground).  Other non-ASCII text passes.
 */
static void test_escape_terminal_controls(void **state)
{
	static const char in[] = "\xc2\x9b" "2J\xe2\x80\xae" "cba\xe2\x81\xa9"
				 "\xd8\x9c\xe2\x80\x8f\xc2\xa0";
	char *out = escape(in, sizeof(in) - 1);

	(void)state;
	assert_string_equal(out, "\\u009b2J\\u202ecba\\u2069\\u061c\\u200f"
			    "\xc2\xa0");
	free(out);
}

/* Like snprintf: the length needed, and a cut at a whole escape. */
static void test_escape_truncates(void **state)
{
	char out[8];

	(void)state;
	assert_int_equal(json_escape(out, sizeof(out), "ab\ncd", 5), 6);
	assert_string_equal(out, "ab\\ncd");
	assert_int_equal(json_escape(out, 5, "abc\x01", 4), 9);
	assert_string_equal(out, "abc");
	assert_int_equal(json_escape(out, 4, "a\xc3\xa9", 3), 3);
	assert_string_equal(out, "a\xc3\xa9");
	assert_int_equal(json_escape(out, 3, "a\xc3\xa9", 3), 3);
	assert_string_equal(out, "a");
}

static void test_nested(void **state)
{
	struct jw w;

	(void)state;
	jw_init(&w);
	jw_obj_open(&w, NULL);
	jw_str(&w, "event.kind", "alert");
	jw_obj_open(&w, "process");
	jw_u64(&w, "pid", 4242);
	jw_obj_open(&w, "parent");
	jw_obj_close(&w);
	jw_str(&w, "name", NULL);
	jw_obj_close(&w);
	jw_arr_open(&w, "path");
	jw_str(&w, NULL, "a");
	jw_obj_open(&w, NULL);
	jw_bool(&w, "ok", 1);
	jw_obj_close(&w);
	jw_arr_open(&w, NULL);
	jw_arr_close(&w);
	jw_null(&w, NULL);
	jw_arr_close(&w);
	jw_bool(&w, "blocked", 0);
	jw_obj_close(&w);
	assert_int_equal(w.oom, 0);
	assert_int_equal(w.depth, 0);
	assert_string_equal(jw_cstr(&w),
		"{\"event.kind\":\"alert\",\"process\":{\"pid\":4242,"
		"\"parent\":{},\"name\":null},\"path\":[\"a\",{\"ok\":true},"
		"[],null],\"blocked\":false}");
	jw_free(&w);
}

static void test_numbers(void **state)
{
	struct jw w;

	(void)state;
	jw_init(&w);
	jw_arr_open(&w, NULL);
	jw_u64(&w, NULL, 0);
	jw_u64(&w, NULL, ULLONG_MAX);
	jw_i64(&w, NULL, LLONG_MIN);
	jw_i64(&w, NULL, -1);
	jw_arr_close(&w);
	assert_string_equal(jw_cstr(&w),
		"[0,18446744073709551615,-9223372036854775808,-1]");
	jw_free(&w);
}

static void test_reset_and_growth(void **state)
{
	char big[5000];
	struct jw w;
	char *want;

	(void)state;
	jw_init(&w);
	assert_string_equal(jw_cstr(&w), "");
	jw_obj_open(&w, NULL);
	jw_u64(&w, "n", 1);
	jw_reset(&w);
	assert_string_equal(jw_cstr(&w), "");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	jw_obj_open(&w, NULL);
	jw_str(&w, "key\"", big);
	jw_obj_close(&w);
	assert_int_equal(asprintf(&want, "{\"key\\\"\":\"%s\"}", big) > 0, 1);
	assert_string_equal(jw_cstr(&w), want);
	free(want);
	jw_free(&w);
}

/* Nesting past JW_DEPTH_MAX, or closing what is not open, spoils the output. */
static void test_depth_errors(void **state)
{
	struct jw w;
	int i;

	(void)state;
	jw_init(&w);
	for (i = 0; i < JW_DEPTH_MAX - 1; i++)
		jw_arr_open(&w, NULL);
	assert_int_equal(w.oom, 0);
	jw_arr_open(&w, NULL);
	assert_int_equal(w.oom, 1);
	assert_string_equal(jw_cstr(&w), "");
	jw_reset(&w);
	jw_obj_close(&w);
	assert_int_equal(w.oom, 1);
	jw_free(&w);
}

/*
 * Asks a real JSON parser for its exit status.  It reads bytes, so output
 * that is not UTF-8 fails too, whatever the locale.
 */
static int python_accepts(const char *doc, int quiet)
{
	char cmd[256];
	FILE *py;
	int status;

	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import json,sys; "
		 "v = json.loads(sys.stdin.buffer.read()); "
		 "sys.exit(0 if isinstance(v, dict) else 3)'%s",
		 quiet ? " 2>/dev/null" : "");
	py = popen(cmd, "w");

	assert_non_null(py);
	fputs(doc, py);
	status = pclose(py);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_hostile_is_valid_json(void **state)
{
	struct jw w;

	(void)state;
	jw_init(&w);
	jw_obj_open(&w, NULL);
	jw_strn(&w, hostile, hostile, sizeof(hostile) - 1);
	jw_strn(&w, "nul", "a\0b", 3);
	jw_obj_open(&w, "dns");
	jw_str(&w, "question", "\xff\"}]\n{");
	jw_obj_close(&w);
	jw_obj_close(&w);
	/* One event per line: no raw newline may reach the output. */
	assert_null(strchr(jw_cstr(&w), '\n'));
	assert_int_equal(python_accepts(jw_cstr(&w), 0), 0);
	/* And the check itself can fail, on a control byte or bad UTF-8. */
	assert_int_not_equal(python_accepts("{\"a\":\"\x01\"}", 1), 0);
	assert_int_not_equal(python_accepts("{\"a\":\"\xff\"}", 1), 0);
	jw_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_hostile),
		cmocka_unit_test(test_escape_nul),
		cmocka_unit_test(test_escape_terminal_controls),
		cmocka_unit_test(test_escape_truncates),
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_reset_and_growth),
		cmocka_unit_test(test_depth_errors),
		cmocka_unit_test(test_hostile_is_valid_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

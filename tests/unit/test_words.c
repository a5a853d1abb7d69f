// SPDX-License-Identifier: GPL-2.0-only
/*
 * The word list (user/lib/words.c): what it keeps of a file, and what it
 * says when there is none.  Its own process per case: the list is read
 * once per process.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "log.h"
#include "words.h"

static int has(const char *w)
{
	uint32_t cp[64];
	int i;

	for (i = 0; w[i]; i++)
		cp[i] = (unsigned char)w[i];
	return words_has(cp, i);
}

/* Runs @fn in a child with MXGUARD_WORDS set to @path; its exit status. */
static int in_child(const char *path, int (*fn)(void))
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		setenv("MXGUARD_WORDS", path, 1);
		_exit(fn());
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static int kept_ones(void)
{
	static const uint32_t accented[] = { 'c', 'a', 'f', 0xe9 };

	/* Lowercase ASCII of 2 to 63 letters only, sorted or not. */
	if (words_count() != 3)
		return 10 + (int)words_count();
	if (has("mail") != 1 || has("yahoo") != 1 || has("ab") != 1)
		return 2;
	/* Capitals, possessives, accents, one letter: left out. */
	if (has("paris") || has("ive") || has("zz") || has("a") ||
	    words_has(accented, 4))
		return 3;
	if (has("mai") || has("maill") || has("mail0"))
		return 4;
	return 0;
}

static void test_kept(void **state)
{
	char path[] = "/tmp/mxguard-words-XXXXXX";
	static const char text[] = "yahoo\nParis\nI've\ncaf\xc3\xa9\nab\r\na\n"
				   "zz's\nmail";	/* a CRLF, no last LF */
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1),
			 (ssize_t)sizeof(text) - 1);
	close(fd);
	assert_int_equal(in_child(path, kept_ones), 0);
	unlink(path);
}

static int no_list(void)
{
	/* -1: callers keep the first letter to its keyboard neighbours. */
	return has("mail") == -1 && words_count() == 0 ? 0 : 1;
}

static void test_missing(void **state)
{
	(void)state;
	assert_int_equal(in_child("/nonexistent/words", no_list), 0);
	assert_int_equal(in_child("", no_list), 0);
}

/* The list the product reads (wamerican, a dependency): there, and big. */
static int system_list(void)
{
	if (words_count() < 50000)
		return 1;
	return has("mail") == 1 && has("ahoo") == 0 && has("msn") == 0 ?
		       0 : 2;
}

static void test_system_list(void **state)
{
	(void)state;
	if (in_child(MXG_WORDS_DEFAULT, system_list))
		fail_msg("%s: missing or not wamerican's (apt-get install "
			 "wamerican)", MXG_WORDS_DEFAULT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kept),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_system_list),
	};

	log_init("test_words", 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * fini_check.c - a failed assertion in a suite's .fini fails the run.
 *
 * Criterion 2.4 reports an assertion that fails in a fixture but counts the
 * test as passed and exits 0 (Snaipe/Criterion issue 211): a teardown's
 * leak check (world_fini, tcp_pair_teardown) could never fail a test.
 * These hooks run in the runner: a test whose status is "passed" with failed
 * assertions (only a fixture's can be) is counted as failed, so the
 * synthesis and the exit status show it.  Linked into every Criterion
 * program by Makefile.am's LDADD.
 */
#include <stdio.h>
#include <criterion/criterion.h>
#include <criterion/hooks.h>

static size_t fini_failed;

ReportHook(POST_FINI)(struct criterion_test_stats *stats)
{
	if (stats->test_status != CR_STATUS_PASSED || !stats->failed_asserts)
		return;
	fini_failed++;
	fprintf(stderr, "[FAIL] %s::%s: an assertion failed in its fixture (init or fini)\n",
		stats->test->category, stats->test->name);
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
	stats->tests_failed += fini_failed;
	stats->tests_passed -= fini_failed;
}

/*
 * criterion.h - a stand-in for Criterion's assertions, for the fuzz build
 * only (fuzz/fuzz.mk puts fuzz/include first on the include path).
 *
 * The fuzz targets reuse the test harness (tests/harness: world, inet,
 * socks, frames), which asserts with cr_assert().  A libFuzzer binary has
 * its own main() and no Criterion runner, so here a failed assertion prints
 * where it failed and aborts: libFuzzer reports it as a crash and keeps the
 * input.  Only the few forms the harness uses are provided.
 */
#ifndef SKBOS_FUZZ_CRITERION_H
#define SKBOS_FUZZ_CRITERION_H

#include <stdio.h>
#include <stdlib.h>

#include <stdarg.h>

static inline void __attribute__((noreturn))
cr_fuzz_fail(const char *file, int line, const char *what, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: %s", file, line, what);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

#define cr_fatal(...) cr_fuzz_fail(__FILE__, __LINE__, "fatal: ", "" __VA_ARGS__)
#define cr_assert(cond, ...) \
	do { \
		if (!(cond)) \
			cr_fuzz_fail(__FILE__, __LINE__, "assertion failed: " #cond ": ", "" __VA_ARGS__); \
	} while (0)

#define cr_log_info(...) ((void)0)
#define cr_log_warn(...) ((void)0)
#define cr_log_error(...) (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr))

#endif /* SKBOS_FUZZ_CRITERION_H */

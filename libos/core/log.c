/*
 * log.c - the stack's logging (see log.h) and the SKBOS_LOG variable.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static const char *const level_names[] = { "error", "warn", "info", "debug" };

/** __skb_log - format one line "skbos: <level>: <message>" to stderr. */
void __skb_log(enum skb_log_level level, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "skbos: %s: ", level_names[level]);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	/* One write per line, so lines from several threads do not interleave. */
	strcat(line, "\n");
	fputs(line, stderr);
}

/** skb_log_parse_level - "warn" -> LOG_WARN.  Return: the level or -EINVAL. */
int skb_log_parse_level(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(level_names); i++)
		if (!strcmp(s, level_names[i]))
			return (int)i;
	return -EINVAL;
}

/**
 * skb_log_level_from_env - the level SKBOS_LOG asks for (LOG_ERROR when
 * unset), for a stack about to be made.  A bad value is refused with one
 * line naming the variable, never silently ignored.
 * Return: the level or -EINVAL.
 */
int skb_log_level_from_env(void)
{
	const char *v = getenv("SKBOS_LOG");
	int level;

	if (!v || !*v)
		return LOG_ERROR;
	level = skb_log_parse_level(v);
	if (level < 0)
		fprintf(stderr, "skbos: SKBOS_LOG=%s: expected error, warn, info or debug\n", v);
	return level;
}

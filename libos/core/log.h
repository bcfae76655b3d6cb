/*
 * log.h - skb_log(): the one way the stack writes to stderr.
 *
 * Silent by default (errors only); SKBOS_LOG=error|warn|info|debug raises it.
 * The level is a stack's (struct stack's log_level, set at stack_new()), so
 * a second stack or instance in the process does not change the first's.
 * What happens outside any stack logs with its owner's level (skb_log_at),
 * or, for an error, always (skb_log_error).
 */
#ifndef SKBOS_LOG_H
#define SKBOS_LOG_H

#include "types.h"

enum skb_log_level {
	LOG_ERROR = 0,
	LOG_WARN = 1,
	LOG_INFO = 2,
	LOG_DEBUG = 3,
};

void __skb_log(enum skb_log_level level, const char *fmt, ...) __printf(2, 3);
int skb_log_parse_level(const char *s);
int skb_log_level_from_env(void);

/* The test is inline so that a disabled level costs one load and a branch. */
#define skb_log_at(threshold, level, ...)                                      \
	do {                                                                   \
		if (unlikely((int)(level) <= (int)(threshold)))                \
			__skb_log(level, __VA_ARGS__);                         \
	} while (0)

/** skb_log - a line about stack @st, if its level lets @level through. */
#define skb_log(st, level, ...) skb_log_at((st)->log_level, level, __VA_ARGS__)

/** skb_log_error - an error that belongs to no stack (always printed). */
#define skb_log_error(...) __skb_log(LOG_ERROR, __VA_ARGS__)

#endif /* SKBOS_LOG_H */

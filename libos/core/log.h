/*
 * log.h - skb_log(): the one way the stack writes to stderr.
 *
 * Silent by default (errors only); SKBOS_LOG=error|warn|info|debug raises it.
 * The level is process configuration, like stderr itself, so it is the one
 * piece of file-scope state in the core; it holds no protocol state.
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

extern int skb_log_level;

void __skb_log(enum skb_log_level level, const char *fmt, ...) __printf(2, 3);
int skb_log_parse_level(const char *s);
int skb_log_init_from_env(void);

/* The test is inline so that a disabled level costs one load and a branch. */
#define skb_log(level, ...)                                                    \
	do {                                                                   \
		if (unlikely((int)(level) <= skb_log_level))                   \
			__skb_log(level, __VA_ARGS__);                         \
	} while (0)

#endif /* SKBOS_LOG_H */

/*
 * sysctl.h - the stack's tunables, runtime values with Linux's defaults.
 *
 * Filled with the defaults of a stock Linux kernel by sysctl_init(); later
 * from the environment (config.c).  No compile-time knobs: a tunable is a
 * field here, named after its /proc/sys/net entry.
 */
#ifndef SKBOS_SYSCTL_H
#define SKBOS_SYSCTL_H

#include "types.h"

struct sysctl {
	int ip_default_ttl;          /* net.ipv4.ip_default_ttl */
	u32 skb_cache_max;           /* cached sk_buff structs per stack */
};

void sysctl_init(struct sysctl *s);

#endif /* SKBOS_SYSCTL_H */

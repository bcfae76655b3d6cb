/*
 * sysctl.c - Linux's default values for the stack's tunables (sysctl.h).
 */
#include "sysctl.h"

void sysctl_init(struct sysctl *s)
{
	s->ip_default_ttl = 64;
	s->skb_cache_max = 4096;
}

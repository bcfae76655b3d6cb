/*
 * stats.c - names of the MIB counters and drop reasons (snmp.h), for
 * skbos-stat and for tests that look counters up by their nstat name.
 */
#include <stdio.h>
#include <string.h>

#include "snmp.h"

static const struct {
	const char *group;
	const char *field;
} mib_names[] = {
#define SNMP_MIB_NAME(name, group, field) { group, field },
	SNMP_MIB_LIST(SNMP_MIB_NAME)
#undef SNMP_MIB_NAME
};

static const char *const drop_names[] = {
#define SKB_DROP_REASON_NAME(name) #name,
	SKB_DROP_REASON_LIST(SKB_DROP_REASON_NAME)
#undef SKB_DROP_REASON_NAME
};

const char *snmp_mib_name(enum snmp_mib mib, char *buf, size_t len)
{
	if ((unsigned int)mib >= __SNMP_MIB_MAX)
		return NULL;
	snprintf(buf, len, "%s%s", mib_names[mib].group, mib_names[mib].field);
	return buf;
}

int snmp_mib_lookup(const char *name)
{
	char buf[64];

	for (int i = 0; i < __SNMP_MIB_MAX; i++)
		if (!strcmp(snmp_mib_name((enum snmp_mib)i, buf, sizeof(buf)), name))
			return i;
	return -ENOENT;
}

const char *skb_drop_reason_name(enum skb_drop_reason reason)
{
	if ((unsigned int)reason >= SKB_DROP_REASON_MAX)
		return "INVALID";
	return drop_names[reason];
}

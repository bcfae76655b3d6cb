/*
 * netd_policy.h - who may have an AF_PACKET socket on which interface
 * (skbos-netd(8)): rules from /etc/skbos/netd.conf and --allow.
 */
#ifndef SKBOS_NETD_POLICY_H
#define SKBOS_NETD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "netd_proto.h"

#define NETD_MAX_RULES 64
#define NETD_MAX_WHO 32

enum netd_who_kind { NETD_WHO_ANY, NETD_WHO_UID, NETD_WHO_GID };

struct netd_who {
	enum netd_who_kind kind;
	unsigned int id;
};

/* One interface and who may use it. */
struct netd_rule {
	char ifname[NETD_IFNAMSIZ];
	unsigned int nr_who;
	struct netd_who who[NETD_MAX_WHO];
};

struct netd_policy {
	unsigned int nr_rules;
	struct netd_rule rules[NETD_MAX_RULES];
};

bool netd_valid_ifname(const char *name);
int netd_policy_add(struct netd_policy *p, const char *line, char *err, size_t errlen);
int netd_policy_load(struct netd_policy *p, const char *path, char *err, size_t errlen);
const struct netd_rule *netd_policy_find(const struct netd_policy *p, const char *ifname);
bool netd_rule_allows(const struct netd_rule *r, uid_t uid, const gid_t *gids, int nr_gids);

#endif /* SKBOS_NETD_POLICY_H */

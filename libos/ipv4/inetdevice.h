/*
 * inetdevice.h - IPv4 configuration of a device (include/linux/inetdevice.h):
 * its address, prefix and broadcast, and its ARP parameters.
 *
 * One address per device: skbos owns one address on one interface
 * (SKBOS_ADDR) plus 127.0.0.1/8 on its loopback.  Adding the address tells
 * the inetaddr chain: routing adds the connected route, ARP announces it
 * with a gratuitous request (RFC 5227 §3).
 */
#ifndef SKBOS_INETDEVICE_H
#define SKBOS_INETDEVICE_H

#include "types.h"
#include "neighbour.h"
#include "netdevice.h"

struct net_device;
struct stack;

/* Route types (rtnetlink.h). */
#define RTN_UNSPEC 0
#define RTN_UNICAST 1
#define RTN_LOCAL 2
#define RTN_BROADCAST 3
#define RTN_MULTICAST 5
#define RTN_UNREACHABLE 7

struct in_device {
	struct net_device *dev;
	__be32 ifa_local;
	__be32 ifa_mask;
	__be32 ifa_broadcast;
	u8 ifa_prefixlen;
	struct neigh_parms arp_parms;
};

static inline struct in_device *__in_dev_get(const struct net_device *dev)
{
	return dev->ip_ptr;
}

int inet_addr_add(struct net_device *dev, __be32 addr, int prefixlen);
int inet_addr_del(struct net_device *dev);
unsigned int inet_addr_type(struct stack *st, __be32 addr);
unsigned int inet_addr_type_dev(struct stack *st, __be32 addr, const struct net_device *dev);
__be32 inet_select_addr(const struct net_device *dev, __be32 dst);
struct net_device *ip_dev_find(struct stack *st, __be32 addr);
void inetdev_destroy(struct net_device *dev);
void register_inetaddr_notifier(struct stack *st, struct notifier_block *nb);
void unregister_inetaddr_notifier(struct notifier_block *nb);
int inet_pton4(const char *s, __be32 *addr, int *prefixlen);

#endif /* SKBOS_INETDEVICE_H */

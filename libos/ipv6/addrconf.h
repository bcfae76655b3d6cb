/*
 * addrconf.h - the IPv6 addresses of a stack's devices and Duplicate
 * Address Detection (net/ipv6/addrconf.c, RFC 4862 §5.4).
 *
 * Addresses are configured (SKBOS_ADDR6), not autoconfigured: no SLAAC.
 * Each device that gets one also gets its link-local address (fe80::/64 +
 * the modified EUI-64 of its MAC, RFC 4291 §2.5.1 / App. A), because
 * Neighbour Discovery with routers speaks link-local.  A new address is
 * tentative until DAD has sent dad_transmits solicitations and heard no
 * one else claim it; a tentative address neither sources nor receives
 * packets, except the ND messages of DAD itself.
 */
#ifndef SKBOS_ADDRCONF_H
#define SKBOS_ADDRCONF_H

#include "ipv6.h"
#include "list.h"
#include "timer.h"

/* IFA_F_* as <linux/if_addr.h> */
#define IFA_F_NODAD 0x02
#define IFA_F_DADFAILED 0x08
#define IFA_F_TENTATIVE 0x40
#define IFA_F_PERMANENT 0x80

/**
 * struct inet6_ifaddr - one address of a device.
 * @dad_probes: solicitations DAD still has to send
 * @dad_timer: DAD's next step (send one more NS, or declare the address good)
 */
struct inet6_ifaddr {
	struct list_head if_list;
	struct in6_addr addr;
	u8 prefix_len;
	u32 flags;
	u32 dad_probes;
	struct net_device *dev;
	struct timer_list dad_timer;
};

int ipv6_addr_add(struct net_device *dev, const struct in6_addr *addr, int plen, u32 flags);
int ipv6_addr_del(struct net_device *dev, const struct in6_addr *addr);
struct inet6_ifaddr *ipv6_get_ifaddr(struct stack *st, const struct in6_addr *addr,
				     const struct net_device *dev, bool tentative_ok);
bool ipv6_chk_addr(struct stack *st, const struct in6_addr *addr, const struct net_device *dev);
bool ipv6_has_global_addr(struct stack *st);
bool ipv6_chk_mcast_addr(struct stack *st, const struct net_device *dev,
			 const struct in6_addr *group);
int ipv6_dev_get_saddr(struct stack *st, const struct net_device *dev,
		       const struct in6_addr *daddr, struct in6_addr *saddr);
void addrconf_dad_failure(struct inet6_ifaddr *ifp, const u8 *lladdr);
void addrconf_ifdown(struct net_device *dev);
void addrconf_eui64_linklocal(const struct net_device *dev, struct in6_addr *ll);
int inet6_pton_prefix(const char *s, struct in6_addr *addr, int *plen);

#endif /* SKBOS_ADDRCONF_H */

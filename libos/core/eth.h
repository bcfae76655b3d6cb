/*
 * eth.h - Ethernet (IEEE 802.3 / DIX) headers and addresses.
 *
 *   driver -> eth_rx -> eth_type_trans -> netif_receive_skb      (receive)
 *   neighbour -> eth_header / hh cache copy -> dev_queue_xmit     (transmit)
 */
#ifndef SKBOS_ETH_H
#define SKBOS_ETH_H

#include <string.h>
#include "types.h"
#include "skbuff.h"
#include "netdevice.h"

struct ethhdr {
	u8 h_dest[ETH_ALEN];
	u8 h_source[ETH_ALEN];
	__be16 h_proto;
} __attribute__((packed));

static inline struct ethhdr *eth_hdr(const struct sk_buff *skb)
{
	return (struct ethhdr *)(void *)skb_mac_header(skb);
}

static inline bool is_multicast_ether_addr(const u8 *addr)
{
	return addr[0] & 0x01;
}

static inline bool is_broadcast_ether_addr(const u8 *addr)
{
	return (addr[0] & addr[1] & addr[2] & addr[3] & addr[4] & addr[5]) == 0xff;
}

static inline bool is_zero_ether_addr(const u8 *addr)
{
	return (addr[0] | addr[1] | addr[2] | addr[3] | addr[4] | addr[5]) == 0;
}

static inline bool is_valid_ether_addr(const u8 *addr)
{
	return !is_multicast_ether_addr(addr) && !is_zero_ether_addr(addr);
}

static inline bool ether_addr_equal(const u8 *a, const u8 *b)
{
	return !memcmp(a, b, ETH_ALEN);
}

static inline void ether_addr_copy(u8 *dst, const u8 *src)
{
	memcpy(dst, src, ETH_ALEN);
}

__be16 eth_type_trans(struct sk_buff *skb, struct net_device *dev);
int eth_header(struct sk_buff *skb, struct net_device *dev, u16 type,
	       const u8 *daddr, const u8 *saddr);
int eth_rx(struct sk_buff *skb, struct net_device *dev);
int eth_parse_addr(const char *s, u8 *addr);

#endif /* SKBOS_ETH_H */

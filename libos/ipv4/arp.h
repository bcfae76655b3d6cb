/*
 * arp.h - ARP for IPv4 over Ethernet (RFC 826, RFC 5227 for announcements).
 */
#ifndef SKBOS_ARP_H
#define SKBOS_ARP_H

#include "types.h"
#include "netdevice.h"

struct neighbour;

#define ARPOP_REQUEST 1
#define ARPOP_REPLY 2

/* RFC 826 packet for Ethernet/IPv4 (struct arphdr plus the addresses). */
struct arphdr_eth {
	__be16 ar_hrd;
	__be16 ar_pro;
	u8 ar_hln;
	u8 ar_pln;
	__be16 ar_op;
	u8 ar_sha[ETH_ALEN];
	__be32 ar_sip;
	u8 ar_tha[ETH_ALEN];
	__be32 ar_tip;
} __attribute__((packed));

#define ARP_HDR_LEN 28

int arp_init(struct stack *st);
void arp_exit(struct stack *st);
int arp_send(int type, __be32 dest_ip, struct net_device *dev, __be32 src_ip,
	     const u8 *dest_hw, const u8 *src_hw, const u8 *target_hw);
struct neighbour *ipv4_neigh_lookup_create(struct net_device *dev, __be32 nexthop);
void arp_ifdown(struct net_device *dev);
void ip_eth_mc_map(__be32 addr, u8 *mac);

#endif /* SKBOS_ARP_H */

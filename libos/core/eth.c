/*
 * eth.c - Ethernet receive classification and header construction
 * (net/ethernet/eth.c).
 *
 * Receive: a driver hands a whole frame to eth_rx(), which checks its length,
 * classifies it by destination (eth_type_trans: host, broadcast, multicast,
 * other host) and passes it to netif_receive_skb().  VLAN-tagged frames keep
 * ETH_P_8021Q as their protocol, so no handler claims them and they are
 * dropped and counted under VLAN_TAG instead of being misparsed as IP.
 */
#include <arpa/inet.h>
#include <stdio.h>

#include "eth.h"
#include "stack.h"

/**
 * eth_type_trans - set the mac header, strip the Ethernet header and decide
 * skb->pkt_type from the destination address.  The skb must hold ETH_HLEN
 * bytes (eth_rx checks).  Return: the ethertype, in network order.
 */
__be16 eth_type_trans(struct sk_buff *skb, struct net_device *dev)
{
	const struct ethhdr *eth;

	skb->dev = dev;
	skb_reset_mac_header(skb);
	eth = eth_hdr(skb);
	__skb_pull(skb, ETH_HLEN);
	skb->mac_len = ETH_HLEN;

	if (unlikely(is_multicast_ether_addr(eth->h_dest))) {
		skb->pkt_type = is_broadcast_ether_addr(eth->h_dest) ? PACKET_BROADCAST
								    : PACKET_MULTICAST;
	} else if (unlikely(!ether_addr_equal(eth->h_dest, dev->dev_addr))) {
		skb->pkt_type = PACKET_OTHERHOST;
	} else {
		skb->pkt_type = PACKET_HOST;
	}
	return eth->h_proto;
}

/**
 * eth_header - push an Ethernet header onto @skb.
 * @saddr: source, or NULL for the device's address
 * Return: ETH_HLEN.
 */
int eth_header(struct sk_buff *skb, struct net_device *dev, u16 type,
	       const u8 *daddr, const u8 *saddr)
{
	struct ethhdr *eth = (struct ethhdr *)(void *)skb_push(skb, ETH_HLEN);

	eth->h_proto = htons(type);
	ether_addr_copy(eth->h_source, saddr ? saddr : dev->dev_addr);
	ether_addr_copy(eth->h_dest, daddr);
	skb_reset_mac_header(skb);
	return ETH_HLEN;
}

/**
 * eth_rx - the receive entry every Ethernet device uses.  Consumes @skb,
 * which holds a whole frame starting at the Ethernet header.
 * Return: NET_RX_SUCCESS or NET_RX_DROP, as netif_receive_skb.
 */
int eth_rx(struct sk_buff *skb, struct net_device *dev)
{
	skb->dev = dev;
	dev->stats.rx_packets++;
	dev->stats.rx_bytes += skb->len;
	if (unlikely(skb->len < ETH_HLEN)) {
		dev->stats.rx_errors++;
		kfree_skb_reason(skb, SKB_DROP_REASON_PKT_TOO_SMALL);
		return 1;
	}
	skb->protocol = eth_type_trans(skb, dev);
	return netif_receive_skb(skb);
}

/** eth_parse_addr - "02:00:00:00:00:01" -> bytes.  Return: 0 or -EINVAL. */
int eth_parse_addr(const char *s, u8 *addr)
{
	unsigned int b[ETH_ALEN];
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != ETH_ALEN)
		return -EINVAL;
	for (int i = 0; i < ETH_ALEN; i++)
		addr[i] = (u8)b[i];
	return 0;
}

/*
 * pcap.h - write every frame a stack sends and receives to a pcap file
 * (SKBOS_PCAP), readable by tcpdump -r and Wireshark.
 *
 *   dev_queue_xmit / netif_receive_skb -> deliver_to_taps -> skb_pcap_rcv
 *
 * An ETH_P_ALL tap like tcpdump's AF_PACKET socket: it sees whole frames
 * from the Ethernet header, both directions, on every device of the stack.
 */
#ifndef SKBOS_PCAP_H
#define SKBOS_PCAP_H

#include "types.h"

struct stack;
struct net_device;
struct skb_pcap;

struct skb_pcap *skb_pcap_open(struct stack *st, const char *path);
struct skb_pcap *skb_pcap_open_dev(struct stack *st, struct net_device *dev, const char *path);
void skb_pcap_flush(struct skb_pcap *pc);
u64 skb_pcap_frames(const struct skb_pcap *pc);
void skb_pcap_close(struct skb_pcap *pc);
void skb_pcap_forget_after_fork(struct skb_pcap *pc);

#endif /* SKBOS_PCAP_H */

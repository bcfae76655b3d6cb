/*
 * capture.h - record the frames a device sends and/or receives (tests).
 *
 * An ETH_P_ALL tap, like tcpdump on the device: each captured skb holds the
 * whole frame from its Ethernet header; pkt_type says the direction.
 */
#ifndef SKBOS_TEST_CAPTURE_H
#define SKBOS_TEST_CAPTURE_H

#include "netdevice.h"

enum capture_dir { CAPTURE_TX = 1, CAPTURE_RX = 2, CAPTURE_BOTH = 3 };

struct capture {
	struct packet_type pt;
	struct stack *st;
	enum capture_dir dir;
	struct sk_buff_head q;
	u64 seen;
};

void capture_attach(struct capture *c, struct stack *st, struct net_device *dev,
		    enum capture_dir dir);
void capture_detach(struct capture *c);
struct sk_buff *capture_pop(struct capture *c);
unsigned int capture_len(const struct capture *c);

#endif /* SKBOS_TEST_CAPTURE_H */

/*
 * raw.h - SOCK_RAW sockets (raw.c).
 */
#ifndef SKBOS_RAW_H
#define SKBOS_RAW_H

#include "sock.h"

struct raw_sock {
	struct inet_sock inet;
	struct list_head node; /* on st->ipv4.raw_socks */
};

extern const struct proto raw_prot;

void raw_local_deliver(struct sk_buff *skb);
void raw_icmp_error(struct sk_buff *skb, u8 type, u8 code, u32 info);

#endif /* SKBOS_RAW_H */

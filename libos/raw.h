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

#endif /* SKBOS_RAW_H */

/*
 * ping.h - ICMP echo endpoints (net/ipv4/ping.c, reduced): the native ping
 * helper.  An endpoint owns an echo identifier; echo replies with that
 * identifier queue on it, and ICMP errors about its requests (or local
 * failures, such as an unresolvable neighbour) set its pending error the
 * way sk_err works for a socket.  The socket layer will turn this into
 * SOCK_DGRAM/IPPROTO_ICMP sockets.
 */
#ifndef SKBOS_PING_H
#define SKBOS_PING_H

#include "types.h"
#include "list.h"
#include "skbuff.h"

struct stack;

struct ping_sock {
	struct list_head node;
	struct stack *st;
	u16 ident;
	int err;                 /* pending error, positive errno; 0 if none */
	u8 err_type, err_code;   /* the ICMP error that set it */
	u32 err_info;
	struct sk_buff_head rxq; /* echo replies, data at the ICMP header */
};

int ping_open(struct stack *st, struct ping_sock *ps, u16 ident);
void ping_close(struct ping_sock *ps);
int ping_send(struct ping_sock *ps, __be32 daddr, u16 seq, const void *data, unsigned int len);
struct sk_buff *ping_recv(struct ping_sock *ps);
int ping_sock_error(struct ping_sock *ps);
int ping_rcv(struct sk_buff *skb);
int ping_err(struct sk_buff *skb, u8 type, u8 code, u32 info);

#endif /* SKBOS_PING_H */

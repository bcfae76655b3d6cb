/*
 * udp.h - UDP (udp.c) and the pieces raw.c and af_inet.c share with it.
 */
#ifndef SKBOS_UDP_H
#define SKBOS_UDP_H

#include <netinet/udp.h>
#include "sock.h"

/**
 * struct udp_sock - a UDP socket.
 * @corkflag: UDP_CORK: sends accumulate into one datagram until uncorked
 * @pending: the datagram being accumulated (UDP_CORK or MSG_MORE), data at
 *	its UDP header; its destination is fixed by the first part
 */
struct udp_sock {
	struct inet_sock inet;
	int corkflag;
	struct sk_buff *pending;
	__be32 pend_daddr;
	__be16 pend_dport;
	bool pend_connected;
};

static inline struct udp_sock *udp_sk(const struct sock *sk)
{
	return (struct udp_sock *)(void *)sk;
}

extern const struct proto udp_prot;

int udp_init(struct stack *st);
void udp_exit(struct stack *st);
int udp_rcv(struct sk_buff *skb);
int udp_err(struct sk_buff *skb, u8 type, u8 code, u32 info);
int udp_get_port(struct sock *sk, u16 snum);
int udp_sendmsg(struct sock *sk, struct msghdr *msg, size_t len);
int udp_recvmsg(struct sock *sk, struct msghdr *msg, size_t len, int flags, int *addr_len);
int udp_disconnect(struct sock *sk, int flags);
struct sock *__udp4_lib_lookup(struct stack *st, __be32 saddr, __be16 sport, __be32 daddr,
			       __be16 dport, int dif);
unsigned int udp_socket_count(const struct stack *st);
void udp_for_each_sock(struct stack *st, void (*fn)(struct sock *sk, void *arg), void *arg);
struct list_head *udp_bucket(struct stack *st, u16 port);
void udp_queue_rcv_skb(struct sock *sk, struct sk_buff *skb);
void udp_unhash(struct sock *sk);
struct sk_buff *udp_recv_skb(struct sock *sk, int flags, bool noblock, int *err);
void udp_close(struct sock *sk, long timeout);
int udp_setsockopt(struct sock *sk, int level, int optname, const void *optval, unsigned int optlen);
int udp_getsockopt(struct sock *sk, int level, int optname, void *optval, unsigned int *optlen);
int ip4_datagram_connect(struct sock *sk, const struct sockaddr *uaddr, int addr_len);
int ip_setsockopt(struct sock *sk, int level, int optname, const void *optval, unsigned int optlen);
int ip_getsockopt(struct sock *sk, int level, int optname, void *optval, unsigned int *optlen);

#endif /* SKBOS_UDP_H */

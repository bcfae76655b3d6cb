/*
 * ip_cmsg.h - ancillary data of IPv4 datagram sockets (net/ipv4/ip_sockglue.c's
 * ip_cmsg_recv_offset / ip_cmsg_send, net/socket.c's __sock_recv_timestamp,
 * net/core/scm.c's put_cmsg) and the socket error queue (ip_icmp_error,
 * ip_recv_error, sock_dequeue_err_skb).
 *
 *   udp_recvmsg / raw_recvmsg -> sock_recv_timestamp, ip_cmsg_recv -> put_cmsg
 *   udp_sendmsg / raw_sendmsg -> ip_cmsg_send -> struct ipcm_cookie
 *   udp_err -> ip_icmp_error -> sk_error_queue;  recvmsg(MSG_ERRQUEUE) -> ip_recv_error
 *
 * The core writes the control messages straight into msg_control, moving it
 * on and shrinking msg_controllen as Linux's put_cmsg does; the caller of
 * sock_recvmsg turns that back into the length written (msg_cmsg_done).
 */
#ifndef SKBOS_IP_CMSG_H
#define SKBOS_IP_CMSG_H

#include <sys/socket.h>
#include <time.h>
#include <linux/errqueue.h>

#include "ip.h"
#include "sock.h"

/**
 * struct ipcm_cookie - what sendmsg's control messages ask of one datagram.
 * @addr: IP_PKTINFO's ipi_spec_dst, the source address (0: the route's)
 * @oif: IP_PKTINFO's ipi_ifindex as skbos numbers it (0: any)
 * @ttl: IP_TTL, or -1 for the socket's
 * @tos: IP_TOS, or -1 for the socket's
 */
struct ipcm_cookie {
	__be32 addr;
	int oif;
	int ttl;
	int tos;
};

/**
 * struct sock_exterr_skb - SKB_EXT_ERR(skb): an error-queue entry's facts
 * (include/linux/skbuff.h).  @addr_offset: where the quoted destination
 * address sits, from the network header; @port: its port.
 */
struct sock_exterr_skb {
	struct inet_skb_parm h4;
	struct sock_extended_err ee;
	u16 addr_offset;
	__be16 port;
};
#define SKB_EXT_ERR(skb) ((struct sock_exterr_skb *)(void *)((skb)->cb))

void msg_cmsg_done(struct msghdr *msg, void *control);
void sock_recv_timestamp(struct msghdr *msg, struct sock *sk, struct sk_buff *skb);
void ip_cmsg_recv(struct msghdr *msg, struct sock *sk, struct sk_buff *skb);
int ip_cmsg_send(struct sock *sk, struct msghdr *msg, struct ipcm_cookie *ipc);
void ip_icmp_error(struct sock *sk, struct sk_buff *skb, int err, __be16 port, u32 info,
		   const u8 *payload);
int sock_queue_err_skb(struct sock *sk, struct sk_buff *skb);
struct sk_buff *sock_dequeue_err_skb(struct sock *sk);
int ip_recv_error(struct sock *sk, struct msghdr *msg, size_t len, int *addr_len);
int dev_user_ifindex(const struct net_device *dev);

#endif /* SKBOS_IP_CMSG_H */

/*
 * inet_common.h - the socket-layer operations AF_INET and AF_INET6 share
 * (Linux's include/net/inet_common.h): af_inet.c has them, af_inet6.c's
 * proto_ops use them beside its own bind and getname.
 */
#ifndef SKBOS_INET_COMMON_H
#define SKBOS_INET_COMMON_H

#include "sock.h"

int inet_release(struct socket *sock);
int inet_dgram_connect(struct socket *sock, const struct sockaddr *uaddr, int addr_len, int flags);
int inet_sendmsg(struct socket *sock, struct msghdr *msg, size_t size);
int inet_recvmsg(struct socket *sock, struct msghdr *msg, size_t size, int flags);
int inet_shutdown(struct socket *sock, int how);
int inet_ioctl(struct socket *sock, unsigned int cmd, unsigned long arg);
unsigned int datagram_poll(struct socket *sock);
int inet_setsockopt(struct socket *sock, int level, int optname, const void *optval,
		    unsigned int optlen);
int inet_getsockopt(struct socket *sock, int level, int optname, void *optval,
		    unsigned int *optlen);
int sock_no_listen(struct socket *sock, int backlog);
/* the stream calls AF_INET6's TCP shares (af_inet.c) */
int inet_stream_connect(struct socket *sock, const struct sockaddr *uaddr, int addr_len, int flags);
int inet_listen(struct socket *sock, int backlog);
int inet_accept(struct socket *sock, struct socket *newsock, int flags);
unsigned int inet_stream_poll(struct socket *sock);
int sock_no_accept(struct socket *sock, struct socket *newsock, int flags);

#endif /* SKBOS_INET_COMMON_H */

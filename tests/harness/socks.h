/*
 * socks.h - socket calls for core tests: the socket layer's own entry
 * points with POSIX-like arguments, returning the core's -errno.
 */
#ifndef SKBOS_TEST_SOCKS_H
#define SKBOS_TEST_SOCKS_H

#include "sock.h"

struct socket *t_socket(struct stack *st, int type, int protocol);
int t_bind(struct socket *s, __be32 addr, u16 port);
int t_connect(struct socket *s, __be32 addr, u16 port);
struct sockaddr_in6 t_sin6(const struct in6_addr *a, u16 port);
int t_bind6(struct socket *s, const struct in6_addr *a, u16 port);
int t_connect6(struct socket *s, const struct in6_addr *a, u16 port, int flags);
int t_connect_flags(struct socket *s, __be32 addr, u16 port, int flags);
int t_sendto(struct socket *s, const void *buf, size_t len, int flags, __be32 addr, u16 port);
int t_send(struct socket *s, const void *buf, size_t len, int flags);
int t_recvfrom(struct socket *s, void *buf, size_t len, int flags, __be32 *addr, u16 *port);
int t_recvmsg_flags(struct socket *s, void *buf, size_t len, int flags, int *msg_flags);
u16 t_port(struct socket *s);
int t_recv(struct socket *s, void *buf, size_t len, int flags);
void fill(u8 *buf, size_t len, u32 seed);
int t_setint(struct socket *s, int level, int opt, int val);
int t_getint(struct socket *s, int level, int opt);

#endif

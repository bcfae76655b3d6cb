/*
 * socks.c - socket calls for core tests (socks.h).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <string.h>

#include "socks.h"

struct socket *t_socket(struct stack *st, int type, int protocol)
{
	struct socket *s = NULL;
	int rc = sock_create(st, AF_INET, type, protocol, &s);

	cr_assert(rc == 0, "sock_create: %d", rc);
	return s;
}

static struct sockaddr_in sin_of(__be32 addr, u16 port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };

	sin.sin_addr.s_addr = addr;
	return sin;
}

int t_bind(struct socket *s, __be32 addr, u16 port)
{
	struct sockaddr_in sin = sin_of(addr, port);

	return s->ops->bind(s, (struct sockaddr *)&sin, sizeof(sin));
}

/** t_sin6 - the sockaddr_in6 of [@a]:@port. */
struct sockaddr_in6 t_sin6(const struct in6_addr *a, u16 port)
{
	struct sockaddr_in6 s = { .sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = *a };

	return s;
}

int t_bind6(struct socket *s, const struct in6_addr *a, u16 port)
{
	struct sockaddr_in6 sa6 = t_sin6(a, port);

	return s->ops->bind(s, (struct sockaddr *)&sa6, sizeof(sa6));
}

/** t_connect6 - connect to [@a]:@port with @flags (O_NONBLOCK). */
int t_connect6(struct socket *s, const struct in6_addr *a, u16 port, int flags)
{
	struct sockaddr_in6 sa6 = t_sin6(a, port);

	return s->ops->connect(s, (struct sockaddr *)&sa6, sizeof(sa6), flags);
}

int t_connect(struct socket *s, __be32 addr, u16 port)
{
	return t_connect_flags(s, addr, port, 0);
}

/** t_connect_flags - connect with @flags (O_NONBLOCK). */
int t_connect_flags(struct socket *s, __be32 addr, u16 port, int flags)
{
	struct sockaddr_in sin = sin_of(addr, port);

	return s->ops->connect(s, (struct sockaddr *)&sin, sizeof(sin), flags);
}

int t_sendto(struct socket *s, const void *buf, size_t len, int flags, __be32 addr, u16 port)
{
	struct sockaddr_in sin = sin_of(addr, port);
	struct iovec iov = { (void *)buf, len };
	struct msghdr msg = { .msg_name = &sin, .msg_namelen = sizeof(sin), .msg_iov = &iov,
			      .msg_iovlen = 1, .msg_flags = flags };

	return sock_sendmsg(s, &msg);
}

int t_send(struct socket *s, const void *buf, size_t len, int flags)
{
	struct iovec iov = { (void *)buf, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_flags = flags };

	return sock_sendmsg(s, &msg);
}

int t_recvmsg_flags(struct socket *s, void *buf, size_t len, int flags, int *msg_flags)
{
	struct iovec iov = { buf, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	int rc = sock_recvmsg(s, &msg, flags);

	*msg_flags = msg.msg_flags;
	return rc;
}

int t_recvfrom(struct socket *s, void *buf, size_t len, int flags, __be32 *addr, u16 *port)
{
	struct sockaddr_in sin = { 0 };
	struct iovec iov = { buf, len };
	struct msghdr msg = { .msg_name = &sin, .msg_namelen = sizeof(sin), .msg_iov = &iov,
			      .msg_iovlen = 1 };
	int rc = sock_recvmsg(s, &msg, flags);

	if (addr)
		*addr = sin.sin_addr.s_addr;
	if (port)
		*port = ntohs(sin.sin_port);
	return rc;
}

u16 t_port(struct socket *s)
{
	struct sockaddr_storage ss; /* an AF_INET6 socket's name is 28 bytes */

	cr_assert(s->ops->getname(s, (struct sockaddr *)&ss, 0) > 0);
	/* sin_port and sin6_port are at the same place */
	return ntohs(((const struct sockaddr_in *)&ss)->sin_port);
}

int t_setint(struct socket *s, int level, int opt, int val)
{
	return s->ops->setsockopt(s, level, opt, &val, sizeof(val));
}

int t_getint(struct socket *s, int level, int opt)
{
	int v = -12345;
	unsigned int len = sizeof(v);

	cr_assert(s->ops->getsockopt(s, level, opt, &v, &len) == 0);
	return v;
}

int t_recv(struct socket *s, void *buf, size_t len, int flags)
{
	return t_recvfrom(s, buf, len, flags, NULL, NULL);
}

/** fill - a reproducible byte pattern: the byte at stream offset @seed + i. */
void fill(u8 *buf, size_t len, u32 seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (u8)((seed + i) * 2654435761u >> 24);
}

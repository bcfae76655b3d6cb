/*
 * handover.c - a socket skbos cannot serve becomes the kernel's (DESIGN.md
 * "handover"): bind to an address skbos does not have, connect or a first
 * sendto to a destination only the kernel reaches, an IPv6 facade given a
 * real IPv6 address or IPV6_V6ONLY.  Only a socket that has not committed
 * to skbos (sock_uncommitted: closed, no address) moves.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <unistd.h>

#include "shim.h"
#include "call.h"
#include "instance.h"
#include "net.h"

/* 127.0.0.0/8 (RFC 1122 §3.2.1.3 (g)): the in-process loopback's, if any */
static bool addr_is_loopback(uint32_t addr)
{
	return (ntohl(addr) & 0xff000000u) == 0x7f000000u;
}

/* Does skbos route @daddr through one of its devices? */
bool route_is_skbos(struct skbos_instance *in, uint32_t daddr)
{
	if (!daddr || addr_is_loopback(daddr))
		return in->lo != NULL;
	return inet_has_route(in->st, daddr);
}

/* May a socket of skbos's be bound to @addr? */
bool bind_is_skbos(struct skbos_instance *in, uint32_t addr)
{
	if (!addr)
		return true;
	if (addr_is_loopback(addr))
		return in->lo != NULL;
	return inet_is_local_addr(in->st, addr);
}

/*
 * handover - make every fd of @sock a kernel socket of the same type: the
 * options recorded so far are replayed, an explicitly bound port is bound
 * again (on any address), epoll registrations move to the kernel, and the
 * kernel socket is dup3'd over each fd number.  Stack lock held, a call's
 * reference on @sock held (the skbos socket is released when it drops).
 * Return: 0 or -errno.
 */
int handover(struct call *c)
{
	struct socket *sock = c->sock;
	struct sockaux *a = aux_find(sock, false);
	int type = sock->type | SOCK_CLOEXEC | ((sock->file_flags & O_NONBLOCK) ? SOCK_NONBLOCK : 0);
	int kfd = real.socket(c->inet6 ? AF_INET6 : AF_INET, type, sock_protocol(sock));
	u16 port = sock_local_port(sock);

	if (kfd < 0)
		return -errno;
	/* IPPROTO_IPV6 ones too: a facade becomes the AF_INET6 socket it was */
	for (struct optrec *o = a ? a->opts : NULL; o; o = o->next)
		real.setsockopt(kfd, o->level, o->name, o->val, o->len);
	if (port && sock_port_locked(sock) && sock->type != SOCK_RAW) {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
		struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = sin.sin_port };
		const void *any = c->inet6 ? (const void *)&sin6 : (const void *)&sin;

		if (real.bind(kfd, any, c->inet6 ? sizeof(sin6) : sizeof(sin))) {
			int err = errno;

			real.close(kfd);
			return -err;
		}
	}
	for (int f = 0; f < fdt_high_load(); f++) {
		uintptr_t e = fd_peek(f);

		if (!e || fd_entry_sock(e) != sock)
			continue;
		if (real.dup3(kfd, f, (e & FDT_CLOEXEC) ? O_CLOEXEC : 0) < 0)
			continue;
		sepoll_handover(sock, f);
		fdt_set(f, 0);
		sock_put(sock); /* never the last: the call holds one */
	}
	real.close(kfd);
	return 0;
}

/*
 * inet6_takeover - the other way: an IPv6 facade TCP socket (an skbos
 * AF_INET socket seen as AF_INET6) given an IPv6 address skbos has
 * (SKBOS_ADDR6: bind to it, or connect to a peer skbos routes) becomes an
 * skbos AF_INET6 socket on every fd of it, served by TCP over IPv6 without
 * any translation.  The options recorded so far are replayed (not the
 * IPPROTO_IPV6 ones, which skbos's AF_INET6 sockets do not take yet),
 * O_NONBLOCK kept; c->sock is the new socket from here on.  Only an
 * uncommitted socket moves; an epoll registration made before it does not
 * follow (programs register after bind or connect).  Stack lock held.
 * Return: 0 or -errno (the facade stays as it was).
 */
int inet6_takeover(struct call *c)
{
	struct socket *old = c->sock, *sock = NULL;
	struct sockaux *a = aux_find(old, false);
	int err = sock_create(c->in->st, AF_INET6, old->type, sock_protocol(old), &sock);

	if (err)
		return err;
	shim_sock_own(sock);
	sock->file_flags = old->file_flags;
	for (struct optrec *o = a ? a->opts : NULL; o; o = o->next)
		if (o->level != IPPROTO_IPV6)
			sock_setsockopt(sock, o->level, o->name, o->val, o->len);
	for (int f = 0; f < fdt_high_load(); f++) {
		uintptr_t e = fd_peek(f);

		if (!e || fd_entry_sock(e) != old)
			continue;
		sock_get(sock);
		fdt_set(f, (uintptr_t)sock | (e & FDT_TAGS));
		sock_put(old); /* never the last: the call holds one */
	}
	sock_put(old);
	c->sock = sock; /* the call's reference is the creation's */
	c->inet6 = false;
	return 0;
}

/* The call goes to the kernel: @c's socket is handed over, or -errno. */
int call_handover(struct call *c)
{
	int rc = handover(c);

	call_end(c, 0);
	return rc;
}


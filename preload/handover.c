/*
 * handover.c - a socket skbos cannot serve becomes the kernel's (DESIGN.md
 * "handover"): bind to an address skbos does not have, connect or a first
 * sendto to a destination only the kernel reaches, an IPv6 facade given a
 * real IPv6 address or IPV6_V6ONLY.  Only a socket that has not committed
 * to skbos (closed, no address) moves.
 */
#include <fcntl.h>
#include <unistd.h>

#include "shim.h"
#include "call.h"
#include "instance.h"
#include "inetdevice.h"
#include "ip.h"
#include "route.h"
#include "sock.h"
#include "stack.h"
#include "tcp.h"

/* Does skbos route @daddr through one of its devices? */
bool route_is_skbos(struct skbos_instance *in, __be32 daddr)
{
	if (!daddr || ipv4_is_loopback(daddr))
		return in->lo != NULL;
	return fib_lookup(in->st, daddr, 0) != NULL;
}

bool bind_is_skbos(struct skbos_instance *in, __be32 addr)
{
	unsigned int type;

	if (!addr)
		return true;
	if (ipv4_is_loopback(addr))
		return in->lo != NULL;
	type = inet_addr_type(in->st, addr);
	return type == RTN_LOCAL || type == RTN_MULTICAST || type == RTN_BROADCAST;
}

/* Only a socket that has not committed to skbos may move. */
bool sock_movable(const struct socket *sock)
{
	const struct sock *sk = sock->sk;

	return sk && sk->sk_state == TCP_CLOSE && !sk->sk_rcv_saddr;
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
	struct sock *sk = sock->sk;
	struct sockaux *a = aux_find(sock, false);
	int type = sock->type | SOCK_CLOEXEC | ((sock->file_flags & O_NONBLOCK) ? SOCK_NONBLOCK : 0);
	int kfd = real.socket(c->inet6 ? AF_INET6 : AF_INET, type, sk->sk_protocol);

	if (kfd < 0)
		return -errno;
	/* IPPROTO_IPV6 ones too: a facade becomes the AF_INET6 socket it was */
	for (struct optrec *o = a ? a->opts : NULL; o; o = o->next)
		real.setsockopt(kfd, o->level, o->name, o->val, o->len);
	if (sk->sk_num && (sk->sk_userlocks & SOCK_BINDPORT_LOCK) && sock->type != SOCK_RAW) {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(sk->sk_num) };
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
		sock->refcnt--;
	}
	real.close(kfd);
	return 0;
}

/* The call goes to the kernel: @c's socket is handed over, or -errno. */
int call_handover(struct call *c)
{
	int rc = handover(c);

	call_end(c, 0);
	return rc;
}


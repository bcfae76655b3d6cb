/*
 * socket.c - the BSD socket layer (net/socket.c): creating and releasing
 * sockets and the first hop of the seeds' dispatch chain.
 *
 *   sock_sendmsg(sock, msg) -> sock->ops->sendmsg (inet_sendmsg)
 *                           -> sk->sk_prot->sendmsg (udp_sendmsg / raw_sendmsg)
 *   sock_recvmsg(sock, msg) -> sock->ops->recvmsg -> sk->sk_prot->recvmsg
 */
#include <fcntl.h>
#include <stdlib.h>

#include "alloc.h"
#include "sock.h"
#include "stack.h"

/**
 * sock_create - a new socket of @family/@type/@protocol.  @type may carry
 * SOCK_NONBLOCK (and SOCK_CLOEXEC, which is the fd layer's business).
 * Return: 0 and *@res, or -EAFNOSUPPORT, -EINVAL (bad flags),
 * -ESOCKTNOSUPPORT, -EPROTONOSUPPORT, -ENFILE (no struct socket), -ENOBUFS
 * (no sock): Linux's __sock_create(); the family's create (inet_create)
 * comes from the stack's table (struct stack_params).
 */
int sock_create(struct stack *st, int family, int type, int protocol, struct socket **res)
{
	const struct net_proto_family *pf = stack_family(st, family);
	int flags = type & ~SOCK_TYPE_MASK_SKBOS;
	struct socket *sock;
	int err;

	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	type &= SOCK_TYPE_MASK_SKBOS;
	if (!pf)
		return -EAFNOSUPPORT;
	if (protocol < 0 || protocol >= 256)
		return -EINVAL;
	sock = kzalloc(st->failslab, sizeof(*sock));
	if (!sock)
		return -ENFILE; /* Linux: sock_alloc() failing is "no more sockets" */
	sock->type = (short)type;
	sock->state = SS_UNCONNECTED;
	sock->stack = st;
	sock->refcnt = 1;
	if (flags & SOCK_NONBLOCK)
		sock->file_flags |= O_NONBLOCK;
	err = pf->create(st, sock, protocol);
	if (err) {
		kfree(st->failslab, sock);
		return err;
	}
	*res = sock;
	return 0;
}

/** sock_release - the last handle went away: close the protocol socket. */
void sock_release(struct socket *sock)
{
	if (!sock)
		return;
	if (sock->ops)
		sock->ops->release(sock);
	kfree(sock->stack->failslab, sock);
}

/**
 * sock_sendmsg - send @msg (its iovecs and optional msg_name).
 * Return: bytes sent or -errno.
 */
int sock_sendmsg(struct socket *sock, struct msghdr *msg)
{
	size_t len = msg_data_left(msg);

	return sock->ops->sendmsg(sock, msg, len);
}

/** sock_recvmsg - receive into @msg.  Return: bytes (or full datagram size with MSG_TRUNC) or -errno. */
int sock_recvmsg(struct socket *sock, struct msghdr *msg, int flags)
{
	return sock->ops->recvmsg(sock, msg, msg_data_left(msg), flags);
}

/** sock_poll - the EPOLL* readiness of @sock now. */
unsigned int sock_poll(struct socket *sock)
{
	return sock->ops->poll(sock);
}

/**
 * sock_accept - accept(): a new struct socket for the oldest connection.
 * @flags: O_NONBLOCK not to wait.  (SOCK_NONBLOCK has the same value on
 *	Linux, so the caller sets the new socket's own flags afterwards.)
 * Return: 0 and *@res, or -errno (-ENFILE without memory for the new
 * socket, as Linux's do_accept(); the connection stays queued).
 */
int sock_accept(struct socket *sock, struct socket **res, int flags)
{
	struct socket *newsock = kzalloc(sock->stack->failslab, sizeof(*newsock));
	int err;

	if (!newsock)
		return -ENFILE;
	newsock->stack = sock->stack;
	newsock->refcnt = 1;
	err = sock->ops->accept(sock, newsock, flags & O_NONBLOCK);
	if (err) {
		kfree(sock->stack->failslab, newsock);
		return err;
	}
	*res = newsock;
	return 0;
}

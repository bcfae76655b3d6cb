/*
 * socket.c - the BSD socket layer (net/socket.c): creating, referencing and
 * releasing sockets, and the one syscall-level layer (net.h) the native
 * API and the shim both call, then the first hop of the dispatch chain.
 *
 *   sock_sendmsg_user(sock, umsg) -> msghdr checks, O_NONBLOCK, restart
 *     -> sock_sendmsg(sock, msg) -> sock->ops->sendmsg (inet_sendmsg)
 *        -> sk->sk_prot->sendmsg (udp_sendmsg / raw_sendmsg / tcp_sendmsg)
 *   sock_recvmsg_user(sock, msg) -> ... -> sock->ops->recvmsg -> sk->sk_prot->recvmsg
 */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "addrconf.h"
#include "alloc.h"
#include "inetdevice.h"
#include "ip6_route.h"
#include "ip_cmsg.h"
#include "portshare.h"
#include "route.h"
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

/** sock_release - the last reference went away: close the protocol socket. */
void sock_release(struct socket *sock)
{
	if (!sock)
		return;
	/* the sock may outlive its socket (a closing TCP connection): it
	 * must not point at it any more (Linux's sock_orphan) */
	if (sock->sk)
		sock->sk->sk_socket = NULL;
	if (sock->ops)
		sock->ops->release(sock);
	kfree(sock->stack->failslab, sock);
}

/**
 * sock_put - drop a reference; the last one runs the owner's @destruct and
 * releases @sock.
 */
void sock_put(struct socket *sock)
{
	if (--sock->refcnt > 0)
		return;
	if (sock->destruct && sock->destruct(sock))
		return; /* the owner keeps it, and releases it later */
	sock_release(sock);
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

/* ---- the calls as the program makes them (net.h) ------------------------------ */

/*
 * Linux restarts a blocking socket call a signal interrupted when the
 * socket has no timeout (sock_intr_errno: -ERESTARTSYS only then) and the
 * handler was installed with SA_RESTART.  The handlers are the driver's to
 * know (stack_wait_ops.restart); a stack that cannot block never restarts.
 */
static bool sock_restart(const struct socket *sock, long rc, bool send)
{
	const struct stack_wait_ops *ops = sock->stack->wait_ops;
	const struct sock *sk = sock->sk;

	if (rc != -EINTR || !sk || (send ? sk->sk_sndtimeo : sk->sk_rcvtimeo) != KTIME_MAX)
		return false;
	return ops && ops->restart && ops->restart(sock->stack);
}

/** sock_check_addr - bind(2), connect(2): the checks of move_addr_to_kernel.  Return: 0 or -errno. */
int sock_check_addr(const struct sockaddr *addr, socklen_t len)
{
	if (!addr)
		return -EFAULT;
	if (len > sizeof(struct sockaddr_storage))
		return -EINVAL;
	return 0;
}

/** sock_bind - bind(2).  Return: 0 or -errno. */
int sock_bind(struct socket *sock, const struct sockaddr *addr, socklen_t len)
{
	int rc = sock_check_addr(addr, len);

	return rc ? rc : sock->ops->bind(sock, addr, (int)len);
}

/**
 * sock_connect - connect(2), waiting unless O_NONBLOCK (EINPROGRESS).
 * Restarted after a signal as Linux (SO_SNDTIMEO unset, SA_RESTART): the
 * call again finds the handshake under way and goes on waiting for it.
 * Return: 0 or -errno.
 */
int sock_connect(struct socket *sock, const struct sockaddr *addr, socklen_t len)
{
	int rc = sock_check_addr(addr, len);

	if (rc)
		return rc;
	do
		rc = sock->ops->connect(sock, addr, (int)len, (int)sock->file_flags);
	while (!(sock->file_flags & O_NONBLOCK) && sock_restart(sock, rc, true));
	return rc;
}

/** sock_listen - listen(2).  Return: 0 or -errno. */
int sock_listen(struct socket *sock, int backlog)
{
	return sock->ops->listen(sock, backlog);
}

/**
 * sock_accept4 - accept4(2): the new connection's socket in *@res, with
 * SOCK_NONBLOCK from @flags (SOCK_CLOEXEC is the fd layer's).  Only the
 * listener's O_NONBLOCK decides whether to wait.  @addr/@len: where the
 * caller will put the peer's address (sock_getname), checked before any
 * wait: an address without a length is EFAULT.  Return: 0 or -errno.
 */
int sock_accept4(struct socket *sock, struct socket **res, const struct sockaddr *addr,
		 const socklen_t *len, int flags)
{
	int rc;

	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	if (addr && !len)
		return -EFAULT;
	do
		rc = sock_accept(sock, res, (int)(sock->file_flags & O_NONBLOCK));
	while (sock_restart(sock, rc, false));
	if (!rc)
		(*res)->file_flags = (flags & SOCK_NONBLOCK) ? O_NONBLOCK : 0;
	return rc;
}

/** sock_shutdown - shutdown(2).  Return: 0 or -errno. */
int sock_shutdown(struct socket *sock, int how)
{
	return sock->ops->shutdown(sock, how);
}

/** __sock_getname - @sock's (@peer 0) or its peer's address in @ss.  Return: its length or -errno. */
int __sock_getname(struct socket *sock, struct sockaddr_storage *ss, int peer)
{
	return sock->ops->getname(sock, (struct sockaddr *)ss, peer);
}

/**
 * sock_getname - getsockname(2) (@peer 0), getpeername(2): as much of the
 * address as *@len holds, *@len the whole length.  Return: 0 or -errno.
 */
int sock_getname(struct socket *sock, struct sockaddr *addr, socklen_t *len, int peer)
{
	struct sockaddr_storage ss;
	int rc;

	if (!addr || !len)
		return -EFAULT;
	if ((int)*len < 0)
		return -EINVAL;
	rc = __sock_getname(sock, &ss, peer);
	if (rc < 0)
		return rc;
	memcpy(addr, &ss, *len < (socklen_t)rc ? *len : (socklen_t)rc);
	*len = (socklen_t)rc;
	return 0;
}

/** sock_setsockopt - setsockopt(2), every level.  Return: 0 or -errno. */
int sock_setsockopt(struct socket *sock, int level, int name, const void *val, socklen_t len)
{
	if (!val && len)
		return -EFAULT;
	return sock->ops->setsockopt(sock, level, name, val, len);
}

/** sock_getsockopt - getsockopt(2): *@len in, the length written out.  Return: 0 or -errno. */
int sock_getsockopt(struct socket *sock, int level, int name, void *val, socklen_t *len)
{
	unsigned int l;
	int rc;

	if (!len)
		return -EFAULT;
	l = *len;
	rc = sock->ops->getsockopt(sock, level, name, val, &l);
	if (!rc)
		*len = l;
	return rc;
}

/**
 * sock_ioctl - ioctl(2) on a socket: FIONBIO and FIOASYNC (accepted: skbos
 * sends no SIGIO) at the file level, the rest the protocol's (-ENOIOCTLCMD:
 * none knows it).  Return: 0 or -errno.
 */
int sock_ioctl(struct socket *sock, unsigned long cmd, void *arg)
{
	int on;

	switch (cmd) {
	case FIONBIO:
		if (!arg)
			return -EFAULT;
		memcpy(&on, arg, sizeof(on));
		sock_setfl(sock, on ? (long)(sock->file_flags | O_NONBLOCK) :
				      (long)(sock->file_flags & ~(unsigned int)O_NONBLOCK));
		return 0;
	case FIOASYNC:
		return 0;
	}
	if (!arg && (cmd == FIONREAD || cmd == TIOCOUTQ || cmd == SIOCOUTQNSD_SKBOS))
		return -EFAULT;
	return sock->ops->ioctl(sock, (unsigned int)cmd, (unsigned long)arg);
}

/** sock_getfl - fcntl(F_GETFL): a socket is O_RDWR, and O_NONBLOCK or not. */
int sock_getfl(const struct socket *sock)
{
	return O_RDWR | (int)(sock->file_flags & O_NONBLOCK);
}

/**
 * sock_setfl - fcntl(F_SETFL): only O_NONBLOCK means something to skbos
 * (Linux keeps O_APPEND/O_ASYNC/O_DIRECT/O_NOATIME too; skbos has no SIGIO).
 */
void sock_setfl(struct socket *sock, long flags)
{
	sock->file_flags = (sock->file_flags & ~(unsigned int)O_NONBLOCK) |
			   ((unsigned int)flags & O_NONBLOCK);
}

/**
 * sock_check_msghdr - the checks of copy_msghdr_from_user: a msghdr and its
 * iovec array readable (EFAULT), at most IOV_MAX iovecs (EMSGSIZE), and for
 * @recv a msg_namelen that is not negative (EINVAL).  Return: 0 or -errno.
 */
int sock_check_msghdr(const struct msghdr *msg, bool recv)
{
	if (!msg || (msg->msg_iovlen && !msg->msg_iov))
		return -EFAULT;
	if (msg->msg_iovlen > IOV_MAX)
		return -EMSGSIZE;
	if (recv && (int)msg->msg_namelen < 0)
		return -EINVAL;
	return 0;
}

/**
 * sock_sendmsg_user - sendmsg(2) of the program's @umsg (read, never
 * written): O_NONBLOCK as MSG_DONTWAIT, restarted after a signal where
 * Linux restarts.  *@sigpipe: the caller must raise SIGPIPE (EPIPE on a
 * stream socket without MSG_NOSIGNAL, as Linux's sk_stream_error).
 * Return: bytes sent or -errno.
 */
long sock_sendmsg_user(struct socket *sock, const struct msghdr *umsg, int flags, bool *sigpipe)
{
	struct msghdr msg, base;
	long rc = sock_check_msghdr(umsg, false);

	*sigpipe = false;
	if (rc)
		return rc;
	base = *umsg;
	if (!base.msg_namelen)
		base.msg_name = NULL;
	do {
		msg = base;
		msg.msg_flags = flags | ((sock->file_flags & O_NONBLOCK) ? MSG_DONTWAIT : 0);
		rc = sock_sendmsg(sock, &msg);
	} while (!(msg.msg_flags & MSG_DONTWAIT) && sock_restart(sock, rc, true));
	*sigpipe = rc == -EPIPE && sock->type == SOCK_STREAM && !(flags & MSG_NOSIGNAL);
	return rc;
}

/*
 * recvmsg(2)'s results in the program's @msg: msg_control back where it
 * pointed and msg_controllen what was written; the source address, as much
 * as fits, msg_namelen its whole length (0: none).  On an error both are
 * as they came in.
 */
static void sock_recvmsg_done(struct msghdr *msg, long rc, const struct sockaddr_storage *name,
			      void *uname, socklen_t namelen, void *control, size_t controllen)
{
	if (rc >= 0)
		msg_cmsg_done(msg, control);
	else
		msg->msg_control = control, msg->msg_controllen = controllen;
	msg->msg_name = uname;
	if (rc < 0)
		msg->msg_namelen = namelen;
	else if (uname)
		memcpy(uname, name, namelen < msg->msg_namelen ? namelen : msg->msg_namelen);
	else
		msg->msg_namelen = 0;
}

/**
 * sock_recvmsg_user - recvmsg(2) into the program's @msg: O_NONBLOCK as
 * MSG_DONTWAIT, restarted after a signal where Linux restarts, msg_flags,
 * msg_controllen and msg_namelen as recvmsg(2) returns them.
 * Return: bytes (the datagram's size with MSG_TRUNC) or -errno.
 */
long sock_recvmsg_user(struct socket *sock, struct msghdr *msg, int flags)
{
	struct sockaddr_storage name;
	void *uname, *control;
	socklen_t namelen;
	size_t controllen;
	long rc = sock_check_msghdr(msg, true);

	if (rc)
		return rc;
	if (sock->file_flags & O_NONBLOCK)
		flags |= MSG_DONTWAIT;
	uname = msg->msg_name;
	namelen = msg->msg_namelen;
	control = msg->msg_control;
	controllen = msg->msg_controllen;
	do {
		msg->msg_name = uname ? &name : NULL;
		msg->msg_namelen = 0;
		msg->msg_flags = 0;
		msg->msg_control = control;
		msg->msg_controllen = controllen;
		rc = sock_recvmsg(sock, msg, flags);
	} while (!(flags & MSG_DONTWAIT) && sock_restart(sock, rc, false));
	sock_recvmsg_done(msg, rc, &name, uname, namelen, control, controllen);
	return rc;
}

/** sock_revents - poll(2)'s revents of @sock for @events (POLLERR, POLLHUP always). */
short sock_revents(struct socket *sock, short events)
{
	return (short)(sock_poll(sock) & ((unsigned int)(unsigned short)events | POLLERR | POLLHUP));
}

/* ---- what a caller may ask of a socket ------------------------------------------ */

/** sock_is_listening - a listen(2)ed stream socket. */
bool sock_is_listening(const struct socket *sock)
{
	return sock->sk && sock->sk->sk_state == TCP_LISTEN;
}

/** sock_local_port - the bound local port, host order; 0: none yet. */
u16 sock_local_port(const struct socket *sock)
{
	return sock->sk ? sock->sk->sk_num : 0;
}

/** sock_port_locked - the program chose the port (bind with a port, not an autobind). */
bool sock_port_locked(const struct socket *sock)
{
	return sock->sk && (sock->sk->sk_userlocks & SOCK_BINDPORT_LOCK);
}

/** sock_uncommitted - closed and bound to no address: nothing ties it to this stack yet. */
bool sock_uncommitted(const struct socket *sock)
{
	const struct sock *sk = sock->sk;

	return sk && sk->sk_state == TCP_CLOSE && !sk->sk_rcv_saddr;
}

/** sock_protocol - the protocol it was made with (IPPROTO_TCP ...). */
int sock_protocol(const struct socket *sock)
{
	return sock->sk ? sock->sk->sk_protocol : 0;
}

/** sock_backlog - a listener's listen(2) backlog. */
int sock_backlog(const struct socket *sock)
{
	return sock->sk ? sock->sk->sk_max_ack_backlog : 0;
}

/**
 * sock_port_join - the next bind to @port joins its listener group (a
 * process sharing a listener with others: portshare.h) instead of taking it.
 */
void sock_port_join(struct stack *st, u16 port)
{
	stack_port_join(st, port);
}

/** sock_listen_interest - a listener is being waited on: the port table hears of it. */
void sock_listen_interest(struct socket *sock)
{
	if (sock_is_listening(sock))
		stack_port_interest(sock->stack, sock->sk->sk_num);
}

/**
 * inet_dev_addrs - the devices of @st but @skip that have an IPv4 address
 * and a host ifindex (the ones a program may see), at most @max in @out.
 * Return: how many.
 */
int inet_dev_addrs(struct stack *st, const struct net_device *skip, struct inet_dev_addr *out,
		   int max)
{
	struct net_device *dev;
	int n = 0;

	list_for_each_entry(dev, &st->dev_list, dev_list) {
		struct in_device *idev = __in_dev_get(dev);

		if (n == max || dev == skip || !idev || !idev->ifa_local || !dev->host_ifindex)
			continue;
		out[n].ifindex = dev->host_ifindex;
		out[n].flags = dev->flags;
		out[n].addr.s_addr = idev->ifa_local;
		out[n].mask.s_addr = idev->ifa_mask;
		out[n].brd.s_addr = idev->ifa_broadcast;
		out[n].prefixlen = idev->ifa_prefixlen;
		memcpy(out[n].name, dev->name, IF_NAMESIZE);
		n++;
	}
	return n;
}

/** inet_has_route - does @st route @daddr (not 0, not loopback) through a device? */
bool inet_has_route(struct stack *st, __be32 daddr)
{
	return fib_lookup(st, daddr, 0) != NULL;
}

/*
 * The IPv6 addresses that make an AF_INET6 socket skbos's (the shim): a
 * global or unique-local one of its own (SKBOS_ADDR6; a link-local one is
 * named by an interface index of the kernel's, so those stay the kernel's).
 */

/**
 * inet6_has_route - does @st route @daddr, and has it an address of its
 * own beyond link-local to send from (in DAD counts: the connect then
 * waits for it as Linux's, EADDRNOTAVAIL)?  Not for ::, ::1, v4-mapped,
 * link-local or multicast destinations.
 */
bool inet6_has_route(struct stack *st, const struct in6_addr *daddr)
{
	if (ipv6_addr_any(daddr) || ipv6_addr_loopback(daddr) || ipv6_addr_v4mapped(daddr) ||
	    ipv6_addr_linklocal(daddr) || ipv6_addr_is_multicast(daddr))
		return false;
	return ipv6_has_global_addr(st) && fib6_lookup(st, daddr, 0);
}

/**
 * inet6_is_local_addr - is @addr one of @st's own, not link-local?  One
 * still in DAD counts (the bind then fails as Linux's, EADDRNOTAVAIL,
 * instead of going to a kernel that has no such address at all).
 */
bool inet6_is_local_addr(struct stack *st, const struct in6_addr *addr)
{
	return !ipv6_addr_linklocal(addr) && ipv6_get_ifaddr(st, addr, NULL, true);
}

/** inet_is_local_addr - is @addr one @st may bind: its own, a multicast or broadcast one? */
bool inet_is_local_addr(struct stack *st, __be32 addr)
{
	unsigned int type = inet_addr_type(st, addr);

	return type == RTN_LOCAL || type == RTN_MULTICAST || type == RTN_BROADCAST;
}

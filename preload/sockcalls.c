/*
 * sockcalls.c - socket, bind, connect, listen, accept, shutdown,
 * getsockname/getpeername, setsockopt/getsockopt.
 *
 *   socket(AF_INET, SOCK_STREAM|SOCK_DGRAM|SOCK_RAW) -> sock_create + an eventfd placeholder
 *   socket(AF_INET6, SOCK_STREAM|SOCK_DGRAM) -> the same, marked an IPv6 facade:
 *	IPv4 through IPv4-mapped addresses, translated at the edge (inet6.c);
 *	a real IPv6 address or IPV6_V6ONLY hands it to the kernel (handover.c)
 *   everything else (AF_UNIX, AF_INET6 raw, netlink ...) -> libc
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <linux/netlink.h>

#include "shim.h"
#include "call.h"
#include "inet6.h"
#include "ifaddrs.h"
#include "instance.h"
#include "net.h"

/*
 * net.ipv6.bindv6only, the IPV6_V6ONLY a new AF_INET6 socket starts with
 * (ipv6(7)), read once.  Return: 0 or 1, or -1 with no IPv6 in the kernel
 * (socket(AF_INET6) is then the kernel's EAFNOSUPPORT, not skbos's to give).
 */
static int bindv6only(void)
{
	static int cached = -2;
	char c = 0;
	int v = __atomic_load_n(&cached, __ATOMIC_RELAXED), fd;

	if (v != -2)
		return v;
	fd = real.open("/proc/sys/net/ipv6/bindv6only", O_RDONLY | O_CLOEXEC);
	v = fd >= 0 && real.read(fd, &c, 1) == 1 ? c == '1' : -1;
	if (fd >= 0)
		real.close(fd);
	__atomic_store_n(&cached, v, __ATOMIC_RELAXED);
	return v;
}

/*
 * An AF_INET6 TCP or UDP socket that may carry IPv4 (IPV6_V6ONLY 0) is
 * served as an IPv6 facade; raw, ICMPv6, SCTP ... and v6-only sockets are
 * the kernel's.
 */
static bool serves_inet6(int type, int protocol)
{
	if (type == SOCK_STREAM && protocol && protocol != IPPROTO_TCP)
		return false;
	if (type == SOCK_DGRAM && protocol && protocol != IPPROTO_UDP)
		return false;
	return (type == SOCK_STREAM || type == SOCK_DGRAM) && bindv6only() == 0;
}

static bool serves(int domain, int type, int protocol)
{
	int t = type & SOCK_TYPE_MASK_SKBOS;

	if (shim_inside || !shim_enabled)
		return false;
	if (domain == AF_INET6)
		return serves_inet6(t, protocol);
	if (domain != AF_INET)
		return false;
	return t == SOCK_DGRAM || t == SOCK_RAW || t == SOCK_STREAM;
}

/* A new skbos fd for @sock: its placeholder eventfd.  Stack lock held. */
int sock_install(struct socket *sock, bool cloexec)
{
	int fd = real.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	uintptr_t old;

	if (fd < 0)
		return -errno;
	if (fd >= fdt_size) {
		real.close(fd);
		return -EMFILE;
	}
	old = fd_peek(fd);
	if (old)
		fd_drop_entry(shim_instance(), fd, old);
	fdt_set(fd, (uintptr_t)sock | (cloexec ? FDT_CLOEXEC : 0));
	return fd;
}

SHIM_EXPORT int socket(int domain, int type, int protocol)
{
	struct skbos_instance *in;
	struct socket *sock = NULL;
	int err = 0, fd;

	shim_ensure();
	if (!serves(domain, type, protocol)) {
		fd = kernel_fd(real.socket(domain, type, protocol));
		if (domain == AF_NETLINK && protocol == NETLINK_ROUTE && !shim_inside)
			nl_route_mark(fd); /* its address dumps show skbos's address */
		return fd;
	}
	in = shim_start(&err);
	if (!in) {
		errno = err;
		return -1;
	}
	shim_lock(in);
	err = sock_create(in->st, AF_INET, type, protocol, &sock);
	if (err == -ESOCKTNOSUPPORT || err == -EPROTONOSUPPORT) {
		/* not a socket skbos has (ICMP "ping" sockets, SCTP ...): the kernel's */
		shim_unlock(in);
		return kernel_fd(real.socket(domain, type, protocol));
	}
	if (!err)
		shim_sock_own(sock);
	fd = err;
	if (!err && domain == AF_INET6)
		fd = sock_set_inet6(sock);
	if (!fd)
		fd = sock_install(sock, type & SOCK_CLOEXEC);
	if (fd < 0 && sock)
		sock_put(sock); /* the last reference: the facade mark goes too */
	shim_unlock(in);
	return (int)sock_sysret(fd);
}

SHIM_EXPORT int socketpair(int domain, int type, int protocol, int sv[2])
{
	int rc;

	shim_ensure();
	rc = real.socketpair(domain, type, protocol, sv);
	fd_fresh_pair(sv, rc);
	return rc;
}

/*
 * An AF_INET6 address as skbos's AF_INET6 sockets take it: a whole
 * sockaddr_in6 (Linux takes SIN6_LEN_RFC2133 bytes, without sin6_scope_id;
 * the copy reads no more than the program gave).
 */
static struct sockaddr_in6 sin6_whole(const struct sockaddr *addr, socklen_t len)
{
	struct sockaddr_in6 s6 = { 0 };

	memcpy(&s6, addr, len < sizeof(s6) ? len : sizeof(s6));
	return s6;
}

SHIM_EXPORT int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	const struct sockaddr_in *sin = (const void *)addr;
	struct sockaddr_in sin4;
	struct call c;
	long rc;

	if ((rc = call_enter(fd, &c)) > 0)
		return real.bind(fd, addr, len);
	if (rc < 0)
		return -1;
	if ((rc = sock_check_addr(addr, len)))
		return (int)call_end(&c, rc);
	if (c.inet6) {
		struct sockaddr_in6 s6 = sin6_whole(addr, len);

		rc = facade_addr(addr, len, &sin4);
		if (rc < 0)
			return (int)call_end(&c, rc);
		/* ::1, a global or link-local IPv6 address: only the kernel has it */
		if (rc == INET6_OTHER && !sock_unbound(c.sock))
			return (int)call_end(&c, -EINVAL); /* bound already, as inet6_bind */
		/* ... unless it is skbos's own (SKBOS_ADDR6): TCP over IPv6 */
		if (rc == INET6_OTHER && c.sock->type == SOCK_STREAM &&
		    inet6_is_local_addr(c.in->st, &s6.sin6_addr)) {
			rc = inet6_takeover(&c);
			return (int)call_end(&c, rc ? rc : sock_bind(c.sock, (struct sockaddr *)&s6,
								      sizeof(s6)));
		}
		if (rc == INET6_OTHER)
			return (rc = call_handover(&c)) ? (int)sock_sysret(rc) : real.bind(fd, addr, len);
		sin = &sin4;
	}
	if (len >= sizeof(*sin) && sin->sin_family == AF_INET && sock_unbound(c.sock) &&
	    !bind_is_skbos(c.in, sin->sin_addr.s_addr))
		return (rc = call_handover(&c)) ? (int)sock_sysret(rc) : real.bind(fd, addr, len);
	if (c.inet6)
		rc = sock_bind(c.sock, (const struct sockaddr *)sin, sizeof(*sin));
	else
		rc = sock_bind(c.sock, addr, len);
	return (int)call_end(&c, rc);
}

/*
 * connect(2) on a facade: @*addr/@*len become the IPv4 address skbos
 * connects to.  AF_UNSPEC (disconnect) and, for UDP, a plain sockaddr_in
 * pass as they are (__ip6_datagram_connect takes both).
 * Return: 0, 1 (a real IPv6 peer: the kernel's), or -errno.
 */
static int facade_connect_addr(struct call *c, const struct sockaddr **addr, socklen_t *len,
			       struct sockaddr_in *sin)
{
	int rc;

	if (*len >= sizeof(sa_family_t) && ((*addr)->sa_family == AF_UNSPEC ||
	    ((*addr)->sa_family == AF_INET && c->sock->type == SOCK_DGRAM)))
		return 0;
	rc = facade_addr(*addr, *len, sin);
	if (rc < 0)
		return rc;
	/* tcp_v6_connect: :: means the loopback ::1, the kernel's too */
	if (rc != INET6_MAPPED)
		return 1;
	*addr = (const struct sockaddr *)sin;
	*len = sizeof(*sin);
	return 0;
}

SHIM_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	const struct sockaddr *uaddr = addr;
	const struct sockaddr_in *sin;
	struct sockaddr_in sin4;
	socklen_t ulen = len;
	struct call c;
	long rc;

	if ((rc = call_enter(fd, &c)) > 0)
		return real.connect(fd, addr, len);
	if (rc < 0)
		return -1;
	if ((rc = sock_check_addr(addr, len)))
		return (int)call_end(&c, rc);
	if (c.inet6 && (rc = facade_connect_addr(&c, &addr, &len, &sin4)) != 0) {
		struct sockaddr_in6 s6 = sin6_whole(uaddr, ulen);

		if (rc < 0)
			return (int)call_end(&c, rc);
		/* committed to IPv4: TCP answers for its state first (EISCONN,
		 * EALREADY) and then, as Linux for a v4-mapped source, with
		 * EAFNOSUPPORT (tcp_v4_connect of a sockaddr_in6); UDP too */
		if (!sock_uncommitted(c.sock) && c.sock->type == SOCK_STREAM)
			return (int)call_end(&c, sock_connect(c.sock, uaddr, ulen));
		if (!sock_uncommitted(c.sock))
			return (int)call_end(&c, -EAFNOSUPPORT);
		/* a peer skbos routes from SKBOS_ADDR6: TCP over IPv6 in skbos */
		if (c.sock->type == SOCK_STREAM && s6.sin6_family == AF_INET6 &&
		    inet6_has_route(c.in->st, &s6.sin6_addr)) {
			rc = inet6_takeover(&c);
			return (int)call_end(&c, rc ? rc : sock_connect(c.sock, (struct sockaddr *)&s6,
									 sizeof(s6)));
		}
		return (rc = call_handover(&c)) ? (int)sock_sysret(rc) : real.connect(fd, uaddr, ulen);
	}
	sin = (const void *)addr;
	if (len >= sizeof(*sin) && sin->sin_family == AF_INET && sock_uncommitted(c.sock) &&
	    !route_is_skbos(c.in, sin->sin_addr.s_addr))
		return (rc = call_handover(&c)) ? (int)sock_sysret(rc) : real.connect(fd, uaddr, ulen);
	rc = sock_connect(c.sock, addr, len);
	return (int)call_end(&c, rc);
}

SHIM_EXPORT int listen(int fd, int backlog)
{
	struct call c;
	long rc;

	if ((rc = call_enter(fd, &c)) > 0)
		return real.listen(fd, backlog);
	if (rc < 0)
		return -1;
	rc = sock_listen(c.sock, backlog);
	return (int)call_end(&c, rc);
}

/* getsockname/getpeername; a facade's address as the AF_INET6 one it is. */
static int shim_getname(struct call *c, struct sockaddr *addr, socklen_t *len, int peer)
{
	struct sockaddr_storage ss;
	int rc;

	if (!c->inet6)
		return sock_getname(c->sock, addr, len, peer);
	/* sock_getname's checks, then the address translated */
	if (!addr || !len)
		return -EFAULT;
	if ((int)*len < 0)
		return -EINVAL;
	rc = __sock_getname(c->sock, &ss, peer);
	if (rc >= 0)
		*len = inet6_from_inet((const struct sockaddr_in *)&ss, addr, *len);
	return rc < 0 ? rc : 0;
}

/* accept on an skbos listener: sock_accept4 makes the new struct socket. */
static int shim_accept(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	struct socket *newsock;
	struct call c;
	long rc;

	if ((rc = call_begin(fd, &c)) > 0)
		return kernel_fd(real.accept4(fd, addr, len, flags));
	if (rc < 0)
		return -1;
	rc = sock_accept4(c.sock, &newsock, addr, len, flags);
	if (rc < 0)
		return (int)call_end(&c, rc);
	shim_sock_own(newsock);
	/* a facade's connections are facades (tcp_v6_syn_recv_sock, v4-mapped) */
	if (c.inet6 && (rc = sock_set_inet6(newsock)) < 0) {
		sock_put(newsock);
		return (int)call_end(&c, rc);
	}
	if (addr && (rc = shim_getname(&(struct call){ .sock = newsock, .inet6 = c.inet6 },
				       addr, len, 1)) < 0) {
		sock_put(newsock);
		return (int)call_end(&c, rc);
	}
	rc = sock_install(newsock, flags & SOCK_CLOEXEC);
	if (rc < 0)
		sock_put(newsock);
	return (int)call_end(&c, rc);
}

SHIM_EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside)
		return kernel_fd(real.accept4(fd, addr, len, flags));
	return shim_accept(fd, addr, len, flags);
}

SHIM_EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside)
		return kernel_fd(real.accept(fd, addr, len));
	return shim_accept(fd, addr, len, 0);
}

SHIM_EXPORT int shutdown(int fd, int how)
{
	struct call c;
	long rc;

	if ((rc = call_enter(fd, &c)) > 0)
		return real.shutdown(fd, how);
	if (rc < 0)
		return -1;
	rc = sock_shutdown(c.sock, how);
	return (int)call_end(&c, rc);
}

SHIM_EXPORT int getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	struct call c;
	long rc;

	if ((rc = call_enter(fd, &c)) > 0)
		return real.getsockname(fd, addr, len);
	if (rc < 0)
		return -1;
	return (int)call_end(&c, shim_getname(&c, addr, len, 0));
}

SHIM_EXPORT int getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	struct call c;
	long rc;

	if ((rc = call_enter(fd, &c)) > 0)
		return real.getpeername(fd, addr, len);
	if (rc < 0)
		return -1;
	return (int)call_end(&c, shim_getname(&c, addr, len, 1));
}

/*
 * setsockopt(IPPROTO_IPV6) on a facade: checked as do_ipv6_setsockopt, kept
 * for a handover.  IPV6_V6ONLY 1 (only before bind, as Linux: EINVAL once a
 * port is taken) makes it an IPv6-only socket: the kernel's, now.
 */
static int facade_setsockopt(struct call *c, int fd, int name, const void *val, socklen_t len)
{
	int rc = inet6_opt_check(c->sock->type, name, val, len), on;

	if (!rc && name == IPV6_V6ONLY) {
		memcpy(&on, val, sizeof(on));
		if (sock_local_port(c->sock))
			rc = -EINVAL;
		else if (on && sock_uncommitted(c->sock))
			return (rc = call_handover(c)) ? (int)sock_sysret(rc) :
							  real.setsockopt(fd, IPPROTO_IPV6, name, val, len);
	}
	if (!rc)
		aux_record_opt(c->sock, IPPROTO_IPV6, name, val, len);
	return (int)call_end(c, rc);
}

/* getsockopt(IPPROTO_IPV6) on a facade: what was set, or Linux's default. */
static int facade_getsockopt(struct call *c, int name, void *val, socklen_t *len)
{
	unsigned int l = *len < sizeof(int) ? *len : sizeof(int);
	int v, rc;

	rc = inet6_opt_get(c->sock->type, name, aux_last_opt(c->sock, IPPROTO_IPV6, name), &v);
	if (rc)
		return rc;
	if (l && !val)
		return -EFAULT;
	memcpy(val, &v, l);
	*len = l;
	return 0;
}

SHIM_EXPORT int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	struct call c;
	long rc;

	if ((rc = call_enter(fd, &c)) > 0)
		return real.setsockopt(fd, level, name, val, len);
	if (rc < 0)
		return -1;
	/* (a NULL @val with a length: sock_setsockopt's EFAULT) */
	if (c.inet6 && level == IPPROTO_IPV6 && (val || !len))
		return facade_setsockopt(&c, fd, name, val, len);
	rc = sock_setsockopt(c.sock, level, name, val, len);
	if (!rc)
		aux_record_opt(c.sock, level, name, val, len);
	return (int)call_end(&c, rc);
}

SHIM_EXPORT int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	struct call c;
	long rc;

	if ((rc = call_enter(fd, &c)) > 0)
		return real.getsockopt(fd, level, name, val, len);
	if (rc < 0)
		return -1;
	/* (no @len: sock_getsockopt's EFAULT) */
	if (len && c.inet6 && level == IPPROTO_IPV6)
		return (int)call_end(&c, facade_getsockopt(&c, name, val, len));
	rc = sock_getsockopt(c.sock, level, name, val, len);
	if (!rc && c.inet6 && level == SOL_SOCKET && name == SO_DOMAIN)
		memcpy(val, &(int){ AF_INET6 }, *len < sizeof(int) ? *len : sizeof(int));
	return (int)call_end(&c, rc);
}

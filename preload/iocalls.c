/*
 * iocalls.c - the data calls on an skbos socket: send, sendto, sendmsg,
 * sendmmsg, recv, recvfrom, recvmsg, recvmmsg, read(v), write(v),
 * pread/pwrite (ESPIPE), sendfile, splice, and the _FORTIFY_SOURCE
 * variants.
 *
 *   -> sock_sendmsg_user/sock_recvmsg_user (blocking in loop.c's loop_wait, where
 *	the waiting thread drives the stack); SA_RESTART and SIGPIPE as Linux
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "shim.h"
#include "call.h"
#include "inet6.h"
#include "ifaddrs.h"
#include "instance.h"
#include "net.h"


/*
 * The destination of a facade's datagram, as udpv6_sendmsg reads it:
 * ::ffff:a.b.c.d becomes @sin in @msg; AF_INET passes; AF_UNSPEC is no
 * address.  Return: 0, 1 (a real IPv6 destination, or :: which is ::1),
 * or -errno.
 */
static int facade_msg_name(struct msghdr *msg, struct sockaddr_in *sin)
{
	const struct sockaddr *sa = msg->msg_name;
	int rc;

	if (!sa || !msg->msg_namelen)
		return 0;
	if (msg->msg_namelen < sizeof(sa_family_t))
		return -EINVAL;
	if (sa->sa_family == AF_INET)
		return 0;
	if (sa->sa_family == AF_UNSPEC) {
		msg->msg_name = NULL;
		msg->msg_namelen = 0;
		return 0;
	}
	if (sa->sa_family != AF_INET6)
		return -EINVAL;
	rc = facade_addr(sa, msg->msg_namelen, sin);
	if (rc < 0)
		return rc;
	if (rc != INET6_MAPPED)
		return 1;
	msg->msg_name = sin;
	msg->msg_namelen = sizeof(*sin);
	return 0;
}

/* The skbos sendmsg, stack lock and a reference held.  Return: bytes or -errno. */
static long shim_send(struct call *c, const struct msghdr *umsg, int flags)
{
	struct sockaddr_in sin;
	struct msghdr m;
	bool sigpipe;
	long rc;

	/* TCP ignores msg_name, on either family, but for a Fast Open connect */
	if (c->inet6 && (c->sock->type == SOCK_DGRAM || (flags & MSG_FASTOPEN))) {
		if ((rc = sock_check_msghdr(umsg, false)))
			return rc;
		m = *umsg;
		/* bound on skbos's IPv4 to a real IPv6 address: EAFNOSUPPORT, as
		 * Linux for a v4-mapped source (Linux would send a socket bound
		 * to :: over IPv6; this one stays on skbos, README "Limits") */
		if ((rc = facade_msg_name(&m, &sin)))
			return rc < 0 ? rc : -EAFNOSUPPORT;
		umsg = &m;
	}
	rc = sock_sendmsg_user(c->sock, umsg, flags, &sigpipe);
	if (sigpipe)
		raise(SIGPIPE);
	return rc;
}

/* The skbos recvmsg; a facade's source address comes out v4-mapped. */
static long shim_recv(struct call *c, struct msghdr *msg, int flags)
{
	struct sockaddr_in sin;
	socklen_t ulen;
	void *uname;
	long rc;

	if (!c->inet6 || !msg || !msg->msg_name)
		return sock_recvmsg_user(c->sock, msg, flags);
	uname = msg->msg_name;
	ulen = msg->msg_namelen;
	msg->msg_name = &sin;
	msg->msg_namelen = (int)ulen < 0 ? ulen : sizeof(sin); /* a negative one: EINVAL */
	rc = sock_recvmsg_user(c->sock, msg, flags);
	msg->msg_name = uname;
	if (rc >= 0 && msg->msg_namelen)
		msg->msg_namelen = inet6_from_inet(&sin, uname, ulen);
	else if (rc < 0)
		msg->msg_namelen = ulen;
	return rc;
}

/* SCM_RIGHTS carrying an skbos fd over a kernel socket: refused, never mistranslated. */
static bool msg_passes_skbos_fd(const struct msghdr *msg)
{
	struct cmsghdr *cm;

	if (!msg || !msg->msg_control || msg->msg_controllen < sizeof(struct cmsghdr))
		return false;
	for (cm = CMSG_FIRSTHDR((struct msghdr *)msg); cm; cm = CMSG_NXTHDR((struct msghdr *)msg, cm)) {
		const int *fds = (const int *)(const void *)CMSG_DATA(cm);
		size_t n;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			uintptr_t e = fd_peek(fds[i]);

			if (e && !(e & FDT_EPOLL))
				return true;
		}
	}
	return false;
}

/*
 * SCM_RIGHTS carrying skbos fds over a kernel socket: a connection travels
 * as its X and is taken over by the process that receives it (inherit.c:
 * node's cluster module); anything else is refused, never mistranslated.
 * Return: 0, or -1 with errno EOPNOTSUPP.
 */
static int msg_pass_skbos_fds(const struct msghdr *msg)
{
	struct skbos_instance *in;
	struct cmsghdr *cm;
	int rc = 0;

	if (!msg_passes_skbos_fd(msg))
		return 0;
	if (shim_inside) {
		errno = EOPNOTSUPP;
		return -1;
	}
	in = shim_instance();
	if (in)
		shim_lock(in);
	for (cm = CMSG_FIRSTHDR((struct msghdr *)msg); cm; cm = CMSG_NXTHDR((struct msghdr *)msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int fd;
			uintptr_t e;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
			e = fd_peek(fd);
			if (e && !(e & FDT_EPOLL) && inherit_pass_fd(in, fd))
				rc = -1;
		}
	}
	if (in)
		shim_unlock(in);
	if (rc)
		errno = EOPNOTSUPP;
	return rc;
}

/* Received SCM_RIGHTS fds are new kernel fd numbers: clear stale entries,
 * and a connection of skbos's that came in is marked for taking over. */
static void msg_fresh_fds(const struct msghdr *msg)
{
	struct cmsghdr *cm;

	if (!shim_enabled || !msg || !msg->msg_control || msg->msg_controllen < sizeof(struct cmsghdr))
		return;
	for (cm = CMSG_FIRSTHDR((struct msghdr *)msg); cm; cm = CMSG_NXTHDR((struct msghdr *)msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
			fd_fresh(fd);
			if (!shim_inside)
				inherit_received_fd(fd);
		}
	}
}

/*
 * An unconnected, unbound skbos datagram socket sending to a destination
 * only the kernel reaches (a resolver on the host's 127.0.0.53, say) moves
 * to the kernel on its first send, as it would have at connect.
 */
static bool send_moves(struct call *c, const struct msghdr *msg, int flags)
{
	const struct sockaddr_in *sin;
	struct sockaddr_in sin4;
	struct msghdr m;
	int rc;

	if (!msg || !msg->msg_name || !sock_unbound(c->sock))
		return false;
	m = *msg;
	/* a facade's datagram (or Fast Open connect) to a real IPv6 address: the kernel's */
	if (c->inet6 && (c->sock->type == SOCK_DGRAM || (flags & MSG_FASTOPEN)) &&
	    (rc = facade_msg_name(&m, &sin4)))
		return rc > 0;
	sin = m.msg_name;
	return sin && m.msg_namelen >= sizeof(*sin) && sin->sin_family == AF_INET &&
	       !route_is_skbos(c->in, sin->sin_addr.s_addr);
}

static ssize_t shim_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct call c;
	long rc = call_begin(fd, &c);

	if (rc > 0)
		return real.sendmsg(fd, msg, flags);
	if (rc < 0)
		return -1;
	if (send_moves(&c, msg, flags)) {
		rc = handover(&c);
		call_end(&c, 0);
		return rc ? sock_sysret(rc) : real.sendmsg(fd, msg, flags);
	}
	return call_end(&c, shim_send(&c, msg, flags));
}

SHIM_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside) {
		ssize_t rc;

		if (unlikely(fdt_size && msg_pass_skbos_fds(msg)))
			return -1;
		rc = real.sendmsg(fd, msg, flags);
		if (unlikely(nl_route_fd(fd)) && rc > 0 && !shim_inside && msg->msg_iovlen)
			nl_route_sent(fd, msg->msg_iov[0].iov_base, msg->msg_iov[0].iov_len);
		return rc;
	}
	return shim_sendmsg(fd, msg, flags);
}

SHIM_EXPORT ssize_t sendto(int fd, const void *buf, size_t len, int flags,
			   const struct sockaddr *to, socklen_t tolen)
{
	struct iovec iov = { (void *)buf, len };
	struct msghdr msg = { .msg_name = (void *)to, .msg_namelen = to ? tolen : 0,
			      .msg_iov = &iov, .msg_iovlen = 1 };

	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside) {
		ssize_t rc = real.sendto(fd, buf, len, flags, to, tolen);

		if (unlikely(nl_route_fd(fd)) && rc > 0 && !shim_inside)
			nl_route_sent(fd, buf, len);
		return rc;
	}
	return shim_sendmsg(fd, &msg, flags);
}

SHIM_EXPORT ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	struct iovec iov = { (void *)buf, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside) {
		ssize_t rc = real.send(fd, buf, len, flags);

		if (unlikely(nl_route_fd(fd)) && rc > 0 && !shim_inside)
			nl_route_sent(fd, buf, len);
		return rc;
	}
	return shim_sendmsg(fd, &msg, flags);
}

SHIM_EXPORT int sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags)
{
	struct call c;
	long rc;
	unsigned int i;

	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside) {
		for (i = 0; fdt_size && vec && i < vlen; i++)
			if (msg_pass_skbos_fds(&vec[i].msg_hdr))
				return -1;
		return real.sendmmsg(fd, vec, vlen, flags);
	}
	if ((rc = call_begin(fd, &c)) > 0)
		return real.sendmmsg(fd, vec, vlen, flags);
	if (rc < 0)
		return -1;
	if (vlen > 1024)
		vlen = 1024; /* UIO_MAXIOV, as Linux */
	if (vlen && !vec)
		return (int)call_end(&c, -EFAULT);
	for (i = 0, rc = 0; i < vlen; i++) {
		rc = shim_send(&c, &vec[i].msg_hdr, flags);
		if (rc < 0)
			break;
		vec[i].msg_len = (unsigned int)rc;
	}
	return (int)call_end(&c, i ? (long)i : rc);
}

static ssize_t shim_recvmsg(int fd, struct msghdr *msg, int flags)
{
	struct call c;
	long rc = call_begin(fd, &c);

	if (rc > 0)
		return real.recvmsg(fd, msg, flags);
	if (rc < 0)
		return -1;
	return call_end(&c, shim_recv(&c, msg, flags));
}

SHIM_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	ssize_t rc;

	shim_ensure();
	if (unlikely(nl_route_fd(fd)) && !shim_inside)
		return nl_route_recvmsg(fd, msg, flags);
	if (likely(!fd_peek(fd)) || shim_inside) {
		rc = real.recvmsg(fd, msg, flags);
		if (rc >= 0 && !shim_inside)
			msg_fresh_fds(msg);
		return rc;
	}
	return shim_recvmsg(fd, msg, flags);
}

static ssize_t shim_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
			     socklen_t *fromlen)
{
	struct iovec iov = { buf, len };
	struct msghdr msg = { .msg_name = from, .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t rc;

	if (from && !fromlen) {
		errno = EFAULT;
		return -1;
	}
	msg.msg_namelen = from ? *fromlen : 0;
	rc = shim_recvmsg(fd, &msg, flags);
	if (rc >= 0 && from)
		*fromlen = msg.msg_namelen;
	return rc;
}

SHIM_EXPORT ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
			     socklen_t *fromlen)
{
	shim_ensure();
	if (unlikely(nl_route_fd(fd)) && !shim_inside)
		return nl_route_recvfrom(fd, buf, len, flags, from, fromlen);
	if (likely(!fd_peek(fd)) || shim_inside)
		return real.recvfrom(fd, buf, len, flags, from, fromlen);
	return shim_recvfrom(fd, buf, len, flags, from, fromlen);
}

SHIM_EXPORT ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	shim_ensure();
	if (unlikely(nl_route_fd(fd)) && !shim_inside)
		return nl_route_recvfrom(fd, buf, len, flags, NULL, NULL);
	if (likely(!fd_peek(fd)) || shim_inside)
		return real.recv(fd, buf, len, flags);
	return shim_recvfrom(fd, buf, len, flags, NULL, NULL);
}

SHIM_EXPORT int recvmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags,
			 struct timespec *timeout)
{
	struct timespec deadline, left;
	struct call c;
	unsigned int i;
	long rc;

	if ((rc = call_enter(fd, &c)) > 0)
		return real.recvmmsg(fd, vec, vlen, flags, timeout);
	if (rc < 0)
		return -1;
	if (timeout && (timeout->tv_sec < 0 || (unsigned long)timeout->tv_nsec >= 1000000000ul))
		return (int)call_end(&c, -EINVAL);
	if (vlen > 1024)
		vlen = 1024;
	if (vlen && !vec)
		return (int)call_end(&c, -EFAULT);
	if (timeout)
		shim_deadline(timeout, &deadline);
	for (i = 0, rc = 0; i < vlen; i++) {
		rc = shim_recv(&c, &vec[i].msg_hdr, flags);
		if (rc < 0)
			break;
		vec[i].msg_len = (unsigned int)rc;
		if (flags & MSG_WAITFORONE)
			flags |= MSG_DONTWAIT;
		/* Linux checks the timeout only after each datagram (recvmmsg(2) BUGS). */
		if (timeout && !shim_timeout_left(&deadline, &left)) {
			i++;
			break;
		}
	}
	if (timeout)
		shim_timeout_left(&deadline, timeout);
	return (int)call_end(&c, i ? (long)i : rc);
}

static ssize_t shim_readv(int fd, const struct iovec *iov, int iovcnt, bool write)
{
	struct msghdr msg = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt };
	size_t total = 0;

	if (iovcnt < 0 || iovcnt > IOV_MAX) {
		errno = EINVAL;
		return -1;
	}
	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	if (write)
		return shim_sendmsg(fd, &msg, 0);
	if (!total && fd_peek(fd) && !(fd_peek(fd) & FDT_EPOLL))
		return 0; /* sock_read_iter: "Match SYS5 behaviour" */
	return shim_recvmsg(fd, &msg, 0);
}

SHIM_EXPORT ssize_t read(int fd, void *buf, size_t len)
{
	struct iovec iov = { buf, len };

	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside)
		return real.read(fd, buf, len);
	if (fd_peek(fd) & FDT_EPOLL)
		return real.read(fd, buf, len);
	return shim_readv(fd, &iov, 1, false);
}

SHIM_EXPORT ssize_t readv(int fd, const struct iovec *iov, int iovcnt)
{
	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside || (fd_peek(fd) & FDT_EPOLL))
		return real.readv(fd, iov, iovcnt);
	return shim_readv(fd, iov, iovcnt, false);
}

SHIM_EXPORT ssize_t write(int fd, const void *buf, size_t len)
{
	struct iovec iov = { (void *)buf, len };

	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside || (fd_peek(fd) & FDT_EPOLL))
		return real.write(fd, buf, len);
	return shim_readv(fd, &iov, 1, true);
}

SHIM_EXPORT ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside || (fd_peek(fd) & FDT_EPOLL))
		return real.writev(fd, iov, iovcnt);
	return shim_readv(fd, iov, iovcnt, true);
}

/* pread/pwrite on a socket: ESPIPE, as Linux (a socket has no offset). */
static ssize_t sock_espipe(int fd)
{
	struct call c;
	long rc = call_begin(fd, &c);

	if (rc < 0)
		return -1;
	if (rc > 0)
		return 1;
	return call_end(&c, -ESPIPE);
}

SHIM_EXPORT ssize_t pread(int fd, void *buf, size_t len, off_t off)
{
	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside || sock_espipe(fd) > 0)
		return real.pread(fd, buf, len, off);
	return -1;
}

SHIM_EXPORT ssize_t pread64(int fd, void *buf, size_t len, off_t off)
{
	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside || sock_espipe(fd) > 0)
		return real.pread64(fd, buf, len, off);
	return -1;
}

SHIM_EXPORT ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside || sock_espipe(fd) > 0)
		return real.pwrite(fd, buf, len, off);
	return -1;
}

SHIM_EXPORT ssize_t pwrite64(int fd, const void *buf, size_t len, off_t off)
{
	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside || sock_espipe(fd) > 0)
		return real.pwrite64(fd, buf, len, off);
	return -1;
}

/*
 * sendfile into an skbos socket: read the file, send what was read (the
 * kernel's splice cannot reach skbos).  From an skbos socket: EINVAL, as
 * Linux for an in_fd that cannot be mmap'd.
 */
static ssize_t shim_sendfile(int out, int in, off_t *off, size_t count,
			     ssize_t (*kernel)(int, int, off_t *, size_t))
{
	char buf[65536];
	ssize_t done = 0;

	if (fd_peek(in) && !(fd_peek(in) & FDT_EPOLL)) {
		errno = EINVAL;
		return -1;
	}
	if (!fd_peek(out) || (fd_peek(out) & FDT_EPOLL))
		return kernel(out, in, off, count);
	while ((size_t)done < count) {
		size_t want = count - (size_t)done < sizeof(buf) ? count - (size_t)done : sizeof(buf);
		ssize_t n = off ? real.pread(in, buf, want, *off) : real.read(in, buf, want);
		ssize_t m;

		if (n <= 0) {
			if (n < 0 && !done)
				return -1;
			break;
		}
		m = send(out, buf, (size_t)n, 0);
		if (m < 0) {
			if (!done)
				return -1;
			break;
		}
		if (off)
			*off += m;
		else if (m < n)
			lseek(in, m - n, SEEK_CUR);
		done += m;
		if (m < n)
			break;
	}
	return done;
}

SHIM_EXPORT ssize_t sendfile(int out, int in, off_t *off, size_t count)
{
	shim_ensure();
	if (shim_inside || !fdt_size)
		return real.sendfile(out, in, off, count);
	return shim_sendfile(out, in, off, count, real.sendfile);
}

/*
 * splice(2) with an skbos socket at either end: the kernel's pipe cannot
 * reach skbos's buffers, so the answer is a kernel's for a file that does
 * not support splicing, EINVAL (splice(2)), never a splice of the
 * placeholder fd behind it.
 */
SHIM_EXPORT ssize_t splice(int in, loff_t *off_in, int out, loff_t *off_out, size_t len,
			   unsigned int flags)
{
	shim_ensure();
	if (!shim_inside && fdt_size && (fd_peek(in) || fd_peek(out))) {
		errno = EINVAL;
		return -1;
	}
	return real.splice(in, off_in, out, off_out, len, flags);
}

SHIM_EXPORT ssize_t sendfile64(int out, int in, off_t *off, size_t count)
{
	shim_ensure();
	if (shim_inside || !fdt_size)
		return real.sendfile64(out, in, off, count);
	return shim_sendfile(out, in, off, count, real.sendfile64);
}

/* ---- _FORTIFY_SOURCE variants ------------------------------------------------------- */

SHIM_EXPORT ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen)
{
	if (len > buflen)
		__chk_fail();
	return read(fd, buf, len);
}

SHIM_EXPORT ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags)
{
	if (len > buflen)
		__chk_fail();
	return recv(fd, buf, len, flags);
}

SHIM_EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
				   struct sockaddr *from, socklen_t *fromlen)
{
	if (len > buflen)
		__chk_fail();
	return recvfrom(fd, buf, len, flags, from, fromlen);
}


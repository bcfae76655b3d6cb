/*
 * api_socket.c - the native socket API (include/skbos/skbos.h): POSIX
 * signatures over the socket layer, -1 and errno on failure.
 *
 * Handles are small integers (the lowest free one, like file descriptors)
 * indexing this process's table of struct socket.  Every call takes the
 * stack lock for its duration ("process context"); a call that blocks
 * releases it inside the driver's wait (loop.c) while it drives the stack.
 * After each call the batched transmits are flushed, so one call's frames
 * leave in one io_uring_enter.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "alloc.h"
#include "api.h"
#include "skbos/skbos.h"
#include "instance.h"
#include "loop.h"
#include "sock.h"
#include "stack.h"

#define SKBOS_MAX_HANDLES 65536

static struct socket **handles;
static int nhandles;

/* The instance and its lock, or NULL with errno ENETDOWN. */
static struct skbos_instance *api_enter(void)
{
	struct skbos_instance *in = skbos_current_instance();

	if (!in) {
		errno = ENETDOWN;
		return NULL;
	}
	loop_lock(in->loop);
	return in;
}

static void api_leave(struct skbos_instance *in)
{
	loop_after_call(in->loop);
	loop_unlock(in->loop);
}

static struct socket *handle_get(int fd)
{
	return fd >= 0 && fd < nhandles ? handles[fd] : NULL;
}

static int handle_alloc(struct socket *sock)
{
	for (int i = 0; i < nhandles; i++) {
		if (!handles[i]) {
			handles[i] = sock;
			return i;
		}
	}
	if (nhandles >= SKBOS_MAX_HANDLES)
		return -EMFILE;
	int first = nhandles, n = nhandles ? nhandles * 2 : 64;
	struct socket **t = krealloc(NULL, handles, (size_t)n * sizeof(*t));

	if (!t)
		return -ENOMEM;
	memset(t + first, 0, (size_t)(n - first) * sizeof(*t));
	handles = t;
	nhandles = n;
	t[first] = sock;
	return first;
}

#define API_SOCK(fd, in, sock)                                                 \
	struct skbos_instance *in = api_enter();                               \
	struct socket *sock;                                                   \
	if (!in)                                                               \
		return -1;                                                     \
	sock = handle_get(fd);                                                 \
	if (!sock) {                                                           \
		loop_unlock(in->loop);                                         \
		errno = EBADF;                                                 \
		return -1;                                                     \
	}

int skbos_socket(int domain, int type, int protocol)
{
	struct skbos_instance *in = api_enter();
	struct socket *sock;
	long rc;

	if (!in)
		return -1;
	rc = sock_create(in->st, domain, type, protocol, &sock);
	if (!rc) {
		rc = handle_alloc(sock);
		if (rc < 0)
			sock_put(sock);
	}
	loop_unlock(in->loop);
	return (int)sock_sysret(rc);
}

int skbos_close(int fd)
{
	API_SOCK(fd, in, sock);
	handles[fd] = NULL;
	sock_put(sock);
	api_leave(in);
	return 0;
}

/**
 * api_close_all - skbos_fini: close every socket the process left open, as
 * exit(2) closes a process's sockets (a FIN, or a RST where data was left
 * unread), so that nothing outlives the stack.  Called with it running.
 */
void api_close_all(void)
{
	struct skbos_instance *in = api_enter();

	if (!in)
		return;
	for (int fd = 0; fd < nhandles; fd++) {
		struct socket *sock = handles[fd];

		handles[fd] = NULL;
		if (sock)
			sock_put(sock);
	}
	kfree(NULL, handles);
	handles = NULL;
	nhandles = 0;
	api_leave(in);
}

int skbos_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	long rc;

	API_SOCK(fd, in, sock);
	rc = sock_bind(sock, addr, len);
	api_leave(in);
	return (int)sock_sysret(rc);
}

int skbos_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	long rc;

	API_SOCK(fd, in, sock);
	rc = sock_connect(sock, addr, len);
	api_leave(in);
	return (int)sock_sysret(rc);
}

int skbos_listen(int fd, int backlog)
{
	long rc;

	API_SOCK(fd, in, sock);
	rc = sock_listen(sock, backlog);
	api_leave(in);
	return (int)sock_sysret(rc);
}

int skbos_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	struct socket *newsock;
	long rc;

	API_SOCK(fd, in, sock);
	rc = sock_accept4(sock, &newsock, addr, len, flags);
	if (!rc && addr && (rc = sock_getname(newsock, addr, len, 1)) < 0)
		sock_put(newsock);
	if (!rc && (rc = handle_alloc(newsock)) < 0)
		sock_put(newsock);
	api_leave(in);
	return (int)sock_sysret(rc);
}

int skbos_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	return skbos_accept4(fd, addr, len, 0);
}

ssize_t skbos_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	bool sigpipe;
	long rc;

	API_SOCK(fd, in, sock);
	rc = sock_sendmsg_user(sock, msg, flags, &sigpipe);
	api_leave(in);
	if (sigpipe)
		raise(SIGPIPE); /* Linux: EPIPE on a stream socket, unless MSG_NOSIGNAL */
	return sock_sysret(rc);
}

ssize_t skbos_recvmsg(int fd, struct msghdr *msg, int flags)
{
	long rc;

	API_SOCK(fd, in, sock);
	rc = sock_recvmsg_user(sock, msg, flags);
	api_leave(in);
	return sock_sysret(rc);
}

ssize_t skbos_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
		     socklen_t tolen)
{
	struct iovec iov = { (void *)buf, len };
	struct msghdr msg = { .msg_name = (void *)to, .msg_namelen = to ? tolen : 0,
			      .msg_iov = &iov, .msg_iovlen = 1 };

	return skbos_sendmsg(fd, &msg, flags);
}

ssize_t skbos_send(int fd, const void *buf, size_t len, int flags)
{
	return skbos_sendto(fd, buf, len, flags, NULL, 0);
}

ssize_t skbos_write(int fd, const void *buf, size_t len)
{
	return skbos_sendto(fd, buf, len, 0, NULL, 0);
}

ssize_t skbos_writev(int fd, const struct iovec *iov, int iovcnt)
{
	struct msghdr msg = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt };

	if (iovcnt < 0) {
		errno = EINVAL;
		return -1;
	}
	return skbos_sendmsg(fd, &msg, 0);
}

ssize_t skbos_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
		       socklen_t *fromlen)
{
	struct iovec iov = { buf, len };
	struct msghdr msg = { .msg_name = from, .msg_namelen = from && fromlen ? *fromlen : 0,
			      .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t rc;

	if (from && !fromlen) {
		errno = EFAULT;
		return -1;
	}
	rc = skbos_recvmsg(fd, &msg, flags);
	if (rc >= 0 && from)
		*fromlen = msg.msg_namelen;
	return rc;
}

ssize_t skbos_recv(int fd, void *buf, size_t len, int flags)
{
	return skbos_recvfrom(fd, buf, len, flags, NULL, NULL);
}

ssize_t skbos_read(int fd, void *buf, size_t len)
{
	return skbos_recvfrom(fd, buf, len, 0, NULL, NULL);
}

ssize_t skbos_readv(int fd, const struct iovec *iov, int iovcnt)
{
	struct msghdr msg = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt };

	if (iovcnt < 0) {
		errno = EINVAL;
		return -1;
	}
	return skbos_recvmsg(fd, &msg, 0);
}

int skbos_shutdown(int fd, int how)
{
	long rc;

	API_SOCK(fd, in, sock);
	rc = sock_shutdown(sock, how);
	api_leave(in);
	return (int)sock_sysret(rc);
}

int skbos_setsockopt(int fd, int level, int optname, const void *optval, socklen_t optlen)
{
	long rc;

	API_SOCK(fd, in, sock);
	rc = sock_setsockopt(sock, level, optname, optval, optlen);
	api_leave(in);
	return (int)sock_sysret(rc);
}

int skbos_getsockopt(int fd, int level, int optname, void *optval, socklen_t *optlen)
{
	long rc;

	API_SOCK(fd, in, sock);
	rc = sock_getsockopt(sock, level, optname, optval, optlen);
	api_leave(in);
	return (int)sock_sysret(rc);
}

static int api_getname(int fd, struct sockaddr *addr, socklen_t *len, int peer)
{
	long rc;

	API_SOCK(fd, in, sock);
	rc = sock_getname(sock, addr, len, peer);
	api_leave(in);
	return (int)sock_sysret(rc);
}

int skbos_getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	return api_getname(fd, addr, len, 0);
}

int skbos_getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	return api_getname(fd, addr, len, 1);
}

int skbos_ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;
	long rc;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	API_SOCK(fd, in, sock);
	rc = sock_ioctl(sock, request, arg);
	api_leave(in);
	return (int)sock_sysret(rc);
}

int skbos_fcntl(int fd, int cmd, ...)
{
	va_list ap;
	long arg, rc;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	API_SOCK(fd, in, sock);
	switch (cmd) {
	case F_GETFL:
		rc = sock_getfl(sock);
		break;
	case F_SETFL:
		sock_setfl(sock, arg);
		rc = 0;
		break;
	case F_GETFD:
	case F_SETFD:
		rc = 0; /* handles are not inherited by exec: always "close on exec" */
		break;
	default:
		rc = -EINVAL;
	}
	api_leave(in);
	return (int)sock_sysret(rc);
}

static int poll_scan(struct pollfd *fds, nfds_t nfds)
{
	int ready = 0;

	for (nfds_t i = 0; i < nfds; i++) {
		struct socket *sock;

		fds[i].revents = 0;
		if (fds[i].fd < 0)
			continue;
		sock = handle_get(fds[i].fd);
		fds[i].revents = sock ? sock_revents(sock, fds[i].events) : POLLNVAL;
		ready += fds[i].revents != 0;
	}
	return ready;
}

/* A poll over skbos handles as loop_wait_fds sees it. */
struct api_poll {
	struct pollfd *fds;
	nfds_t nfds;
	struct stack_waiter w;
};

/* loop_wait_fds's scan: a wake-up after this one writes the eventfd again. */
static int api_poll_scan(void *arg)
{
	struct api_poll *ap = arg;

	ap->w.woken = false;
	return poll_scan(ap->fds, ap->nfds);
}

/**
 * skbos_poll - poll(2) over skbos handles.  Blocks through the driver (the
 * waiting thread drives the stack); honours the timeout and EINTR.
 */
int skbos_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	struct skbos_instance *in = api_enter();
	struct api_poll ap = { .fds = fds, .nfds = nfds };
	struct wait_queue_entry *entries;
	struct loop_wait lw;
	int rc;

	if (!in)
		return -1;
	entries = nfds ? kcalloc(NULL, nfds, sizeof(*entries)) : NULL;
	if (nfds && !entries) {
		api_leave(in);
		return (int)sock_sysret(-ENOMEM);
	}
	waiter_init(&ap.w, in->st);
	for (nfds_t i = 0; i < nfds; i++) {
		struct socket *sock = fds[i].fd >= 0 ? handle_get(fds[i].fd) : NULL;

		if (sock)
			waiter_add(&ap.w, &sock->sk->sk_wq, &entries[i], 0);
	}
	lw = (struct loop_wait){
		.w = &ap.w, .scan = api_poll_scan, .arg = &ap, .spin = true, .timers = true,
		.drive = true,
		.deadline = timeout < 0 ? KTIME_MAX : stack_now(in->st) + (ktime_t)timeout * NSEC_PER_MSEC,
	};
	rc = loop_wait_fds(in->loop, &lw);
	if (rc == -ETIMEDOUT)
		rc = 0;
	for (nfds_t i = 0; i < nfds; i++)
		if (entries[i].func)
			list_del_init(&entries[i].entry);
	kfree(NULL, entries);
	api_leave(in);
	return rc < 0 ? (int)sock_sysret(rc) : rc;
}

/** skbos_wakeup_counters - stack-thread and blocked-thread wake-ups so far. */
void skbos_wakeup_counters(unsigned long long *stack_thread, unsigned long long *app_threads)
{
	struct skbos_instance *in = skbos_current_instance();
	u64 s = 0, a = 0;

	if (in) {
		loop_lock(in->loop);
		loop_counters(in->loop, &s, &a);
		loop_unlock(in->loop);
	}
	*stack_thread = s;
	*app_threads = a;
}

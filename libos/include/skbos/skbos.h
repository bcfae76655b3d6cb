/*
 * skbos.h - the native API of skbos, a userspace IPv4 TCP/UDP stack built
 * like Linux's, loaded into a process as a library OS.
 *
 * Calls follow POSIX: they return -1 and set errno on failure.  This header
 * is the only public one; everything else in the library is hidden.
 */
#ifndef SKBOS_SKBOS_H
#define SKBOS_SKBOS_H

#ifdef __cplusplus
extern "C" {
#endif

#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#define SKBOS_API __attribute__((visibility("default")))

/** skbos_version - the library version, "MAJOR.MINOR.PATCH". */
SKBOS_API const char *skbos_version(void);

/**
 * skbos_init - start skbos from the environment (SKBOS_IF, SKBOS_ADDR,
 * SKBOS_GW, SKBOS_MAC, SKBOS_MTU, SKBOS_PCAP, SKBOS_LOG, SKBOS_LOOPBACK,
 * SKBOS_SPIN_US).  With neither SKBOS_IF nor SKBOS_LOOPBACK=1 it does nothing
 * and succeeds.  Idempotent.  A bad variable: -1, errno EINVAL, and one line
 * on stderr naming it.
 */
SKBOS_API int skbos_init(void);

/** skbos_fini - stop the stack thread and free the stack. */
SKBOS_API void skbos_fini(void);

/** skbos_active - 1 if skbos_init() started a stack. */
SKBOS_API int skbos_active(void);

/*
 * Sockets.  Same signatures and errno as the POSIX calls they are named
 * after; handles are small ints of their own (not file descriptors).
 * Without a started stack every call fails with ENETDOWN.
 */
SKBOS_API int skbos_socket(int domain, int type, int protocol);
SKBOS_API int skbos_bind(int fd, const struct sockaddr *addr, socklen_t len);
SKBOS_API int skbos_connect(int fd, const struct sockaddr *addr, socklen_t len);
SKBOS_API int skbos_listen(int fd, int backlog);
SKBOS_API int skbos_accept(int fd, struct sockaddr *addr, socklen_t *len);
SKBOS_API int skbos_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
SKBOS_API ssize_t skbos_sendmsg(int fd, const struct msghdr *msg, int flags);
SKBOS_API ssize_t skbos_recvmsg(int fd, struct msghdr *msg, int flags);
SKBOS_API ssize_t skbos_send(int fd, const void *buf, size_t len, int flags);
SKBOS_API ssize_t skbos_recv(int fd, void *buf, size_t len, int flags);
SKBOS_API ssize_t skbos_sendto(int fd, const void *buf, size_t len, int flags,
			       const struct sockaddr *to, socklen_t tolen);
SKBOS_API ssize_t skbos_recvfrom(int fd, void *buf, size_t len, int flags,
				 struct sockaddr *from, socklen_t *fromlen);
SKBOS_API ssize_t skbos_read(int fd, void *buf, size_t len);
SKBOS_API ssize_t skbos_write(int fd, const void *buf, size_t len);
SKBOS_API ssize_t skbos_readv(int fd, const struct iovec *iov, int iovcnt);
SKBOS_API ssize_t skbos_writev(int fd, const struct iovec *iov, int iovcnt);
SKBOS_API int skbos_shutdown(int fd, int how);
SKBOS_API int skbos_close(int fd);
SKBOS_API int skbos_getsockopt(int fd, int level, int optname, void *optval, socklen_t *optlen);
SKBOS_API int skbos_setsockopt(int fd, int level, int optname, const void *optval,
			       socklen_t optlen);
SKBOS_API int skbos_getsockname(int fd, struct sockaddr *addr, socklen_t *len);
SKBOS_API int skbos_getpeername(int fd, struct sockaddr *addr, socklen_t *len);
SKBOS_API int skbos_ioctl(int fd, unsigned long request, ...);
SKBOS_API int skbos_fcntl(int fd, int cmd, ...);
SKBOS_API int skbos_poll(struct pollfd *fds, nfds_t nfds, int timeout);

/** skbos_wakeup_counters - wake-ups of the stack thread and of blocked calls. */
SKBOS_API void skbos_wakeup_counters(unsigned long long *stack_thread,
				     unsigned long long *app_threads);

/**
 * skbos_dump_stats - write every nonzero MIB counter and drop reason of the
 * running stack to @out, one "Name value" line each, nstat style
 * (IpInHdrErrors, TcpInCsumErrors, DropIP_CSUM, ...).  Nothing without a
 * started stack.
 */
SKBOS_API void skbos_dump_stats(FILE *out);

#ifdef __cplusplus
}
#endif

#endif /* SKBOS_SKBOS_H */

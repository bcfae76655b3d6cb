/*
 * fdcalls.c - the fd layer on an skbos fd: close, dup/dup2/dup3,
 * fcntl (F_DUPFD, FD_CLOEXEC, O_NONBLOCK), ioctl, close_range, closefrom.
 * The kernel does the fd part on the placeholder; the entry follows.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/close_range.h>

#include "shim.h"
#include "call.h"
#include "instance.h"
#include "net.h"

SHIM_EXPORT int close(int fd)
{
	struct skbos_instance *in;
	uintptr_t e;
	int rc;

	shim_ensure();
	if (likely(!fd_peek(fd)) || shim_inside)
		return real.close(fd);
	in = shim_lock_any();
	e = fd_peek(fd);
	if (e)
		fdt_set(fd, 0);
	rc = real.close(fd); /* the number is free from here: the entry went first */
	if (e)
		fd_drop_entry(in, fd, e);
	shim_unlock_any(in);
	return e ? 0 : rc;
}

/*
 * Duplicate @old onto @new (-1: the lowest free >= @min) with the kernel
 * doing the fd part; the entry follows.  Stack lock held if @in.
 */
static int dup_entry(struct skbos_instance *in, int old, int new, int min, bool cloexec)
{
	uintptr_t eo = fd_peek(old), en = new >= 0 ? fd_peek(new) : 0;
	struct socket *sock = fd_entry_sock(eo);
	struct sepoll *ep = fd_entry_ep(eo);
	int fd;

	if (sock && sock_is_orphan(sock, in))
		return inherit_dup(in, old, new, min, cloexec);
	if (new < 0)
		fd = real.fcntl(old, sock ? F_DUPFD_CLOEXEC : (cloexec ? F_DUPFD_CLOEXEC : F_DUPFD), min);
	else
		fd = real.dup3(old, new, (sock || cloexec) ? O_CLOEXEC : 0);
	if (fd < 0)
		return -1;
	if (new < 0)
		en = fd_peek(fd);
	if (en)
		fd_drop_entry(in, fd, en);
	if (sock) {
		sock_get(sock);
		fdt_set(fd, (uintptr_t)sock | (cloexec ? FDT_CLOEXEC : 0));
	} else if (ep) {
		sepoll_get(ep);
		fdt_set(fd, eo);
	}
	return fd;
}

static int shim_dup(int old, int new, int min, bool cloexec)
{
	struct skbos_instance *in;
	int fd;

	/* (an inherited connection is duplicated as it is: dup2 onto 0 and
	 * 1 before an exec passes it on, to be taken over by the new program) */
	if (unlikely(shim_orphans) && !inherit_passes_exec(old))
		shim_adopt_fd(old);
	in = shim_lock_any();
	fd = dup_entry(in, old, new, min, cloexec);
	shim_unlock_any(in);
	return fd;
}

SHIM_EXPORT int dup(int old)
{
	shim_ensure();
	if (likely(!fd_peek(old)) || shim_inside)
		return kernel_fd(real.dup(old));
	return shim_dup(old, -1, 0, false);
}

SHIM_EXPORT int dup2(int old, int new)
{
	shim_ensure();
	if (shim_inside || (likely(!fd_peek(old)) && likely(!fd_peek(new))))
		return real.dup2(old, new);
	if (old == new) {
		if (real.fcntl(old, F_GETFD) < 0)
			return -1;
		return new;
	}
	return shim_dup(old, new, 0, false);
}

SHIM_EXPORT int dup3(int old, int new, int flags)
{
	shim_ensure();
	if (shim_inside || (likely(!fd_peek(old)) && likely(!fd_peek(new))))
		return real.dup3(old, new, flags);
	if (old == new || (flags & ~O_CLOEXEC)) {
		errno = EINVAL;
		return -1;
	}
	return shim_dup(old, new, 0, flags & O_CLOEXEC);
}

/* SIGURG to the owner F_SETOWN named (Linux's send_sigurg: a process, a
 * process group, or with F_SETOWN_EX a thread) */
static void shim_send_sigurg(const struct socket *sock)
{
	switch (sock->owner_type) {
	case F_OWNER_TID:
		syscall(SYS_tgkill, getpid(), sock->owner_pid, SIGURG);
		break;
	case F_OWNER_PGRP:
		kill(-sock->owner_pid, SIGURG);
		break;
	default:
		kill(sock->owner_pid, SIGURG);
	}
}

static void sock_set_owner(struct socket *sock, int cmd, void *arg)
{
	long pid = (long)(intptr_t)arg;

	if (cmd == F_SETOWN_EX) {
		const struct f_owner_ex *ex = arg;

		sock->owner_type = ex->type;
		sock->owner_pid = ex->pid;
	} else {
		/* F_SETOWN: a negative pid is a process group */
		sock->owner_type = pid < 0 ? F_OWNER_PGRP : F_OWNER_PID;
		sock->owner_pid = (int)(pid < 0 ? -pid : pid);
	}
	sock->send_sigurg = shim_send_sigurg;
}

static int shim_fcntl(int fd, int cmd, void *arg, int (*kernel)(int, int, ...))
{
	struct skbos_instance *in;
	uintptr_t e;
	long rc;

	/* an inherited connection passed on to a program this one execs */
	if (unlikely(shim_orphans) && (cmd == F_GETFD || cmd == F_SETFD) && inherit_passes_exec(fd))
		return inherit_fd_cloexec(fd, cmd, (int)(intptr_t)arg);
	if (unlikely(shim_orphans) && !((cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) &&
					inherit_passes_exec(fd)))
		shim_adopt_fd(fd);
	e = fd_peek(fd);
	if (!e || (e & FDT_EPOLL)) {
		if (e && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC))
			return shim_dup(fd, -1, (int)(intptr_t)arg, cmd == F_DUPFD_CLOEXEC);
		rc = kernel(fd, cmd, arg);
		if (rc >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC))
			fd_fresh((int)rc);
		return (int)rc;
	}
	if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) {
		if ((intptr_t)arg < 0) {
			errno = EINVAL;
			return -1;
		}
		return shim_dup(fd, -1, (int)(intptr_t)arg, cmd == F_DUPFD_CLOEXEC);
	}
	in = shim_instance();
	if (!in || sock_is_orphan(fd_entry_sock(e), in)) {
		errno = EBADF;
		return -1;
	}
	shim_lock(in);
	e = fd_peek(fd);
	if (!e || (e & FDT_EPOLL)) {
		shim_unlock(in);
		return kernel(fd, cmd, arg);
	}
	switch (cmd) {
	case F_GETFD:
		rc = (e & FDT_CLOEXEC) ? FD_CLOEXEC : 0;
		break;
	case F_SETFD:
		fdt_set(fd, ((intptr_t)arg & FD_CLOEXEC) ? (e | FDT_CLOEXEC) : (e & ~FDT_CLOEXEC));
		rc = 0;
		break;
	case F_GETFL:
		rc = sock_getfl(fd_entry_sock(e));
		break;
	case F_SETFL:
		sock_setfl(fd_entry_sock(e), (long)(intptr_t)arg);
		rc = 0;
		break;
	case F_SETOWN:
	case F_SETOWN_EX:
		/* the placeholder keeps it for F_GETOWN; skbos sends the SIGURG */
		rc = kernel(fd, cmd, arg);
		rc = rc < 0 ? -errno : rc;
		if (!rc)
			sock_set_owner(fd_entry_sock(e), cmd, arg);
		break;
	default:
		/* locks, owners, signals, leases, seals: the placeholder answers */
		rc = kernel(fd, cmd, arg);
		rc = rc < 0 ? -errno : rc;
	}
	shim_unlock(in);
	return (int)sock_sysret(rc);
}

SHIM_EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	shim_ensure();
	if (shim_inside || (likely(!fd_peek(fd)) && cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC))
		return real.fcntl(fd, cmd, arg);
	return shim_fcntl(fd, cmd, arg, real.fcntl);
}

SHIM_EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	shim_ensure();
	if (shim_inside || (likely(!fd_peek(fd)) && cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC))
		return real.fcntl64(fd, cmd, arg);
	return shim_fcntl(fd, cmd, arg, real.fcntl64);
}

/* Interface ioctls (SIOCGIF*) on an skbos socket: the kernel's answer. */
static int kernel_ifioctl(unsigned long req, void *arg)
{
	static int kfd = -1;
	int fd = __atomic_load_n(&kfd, __ATOMIC_ACQUIRE);

	if (fd < 0) {
		fd = real.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		fd_fresh(fd);
		int expect = -1;

		if (!__atomic_compare_exchange_n(&kfd, &expect, fd, false, __ATOMIC_ACQ_REL,
						 __ATOMIC_ACQUIRE)) {
			real.close(fd);
			fd = expect;
		}
	}
	return real.ioctl(fd, req, arg) < 0 ? -errno : 0;
}

SHIM_EXPORT int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	struct call c;
	long rc;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if ((rc = call_enter(fd, &c)) > 0)
		return real.ioctl(fd, req, arg);
	if (rc < 0)
		return -1;
	/* close-on-exec is the fd table's; the rest the socket layer's */
	if (req == FIOCLEX || req == FIONCLEX) {
		fdt_set(fd, req == FIOCLEX ? (c.entry | FDT_CLOEXEC) : (c.entry & ~FDT_CLOEXEC));
		return (int)call_end(&c, 0);
	}
	rc = sock_ioctl(c.sock, req, arg);
	if (rc == -ENOIOCTLCMD && (req & 0xff00) == 0x8900)
		rc = kernel_ifioctl(req, arg);
	return (int)call_end(&c, rc);
}

SHIM_EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
	struct skbos_instance *in;
	int rc;

	shim_ensure();
	if (!real.close_range) {
		errno = ENOSYS;
		return -1;
	}
	if (shim_inside || !fdt_size || first >= (unsigned int)fdt_high_load())
		return real.close_range(first, last, flags);
	if (first > last || (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC))) {
		errno = EINVAL;
		return -1;
	}
	in = shim_lock_any();
	for (unsigned int f = first; f <= last && f < (unsigned int)fdt_high_load(); f++) {
		uintptr_t e = fd_peek((int)f);

		if (!e)
			continue;
		if (flags & CLOSE_RANGE_CLOEXEC) {
			if (!(e & FDT_EPOLL))
				fdt_set((int)f, e | FDT_CLOEXEC);
			continue;
		}
		fdt_set((int)f, 0);
		fd_drop_entry(in, (int)f, e);
	}
	rc = real.close_range(first, last, flags);
	shim_unlock_any(in);
	return rc;
}

SHIM_EXPORT void closefrom(int lowfd)
{
	shim_ensure();
	if (lowfd < 0)
		lowfd = 0;
	if (close_range((unsigned int)lowfd, ~0u, 0) && real.closefrom)
		real.closefrom(lowfd);
}

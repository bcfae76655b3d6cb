/*
 * newfd.c - the calls that hand out fd numbers (open, pipe, eventfd ...):
 * a number the kernel hands out may still have an entry left from a
 * placeholder closed behind the shim's back; it is dropped (fd_fresh).
 */
#include <fcntl.h>
#include <stdarg.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/mman.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "shim.h"

static bool open_needs_mode(int flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

#define OPEN_MODE(flags, mode)                                                 \
	do {                                                                   \
		if (open_needs_mode(flags)) {                                  \
			va_list ap;                                            \
			va_start(ap, flags);                                   \
			mode = va_arg(ap, mode_t);                             \
			va_end(ap);                                            \
		}                                                              \
	} while (0)

SHIM_EXPORT int open(const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	shim_ensure();
	return kernel_fd(real.open(path, flags, mode));
}

SHIM_EXPORT int open64(const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	shim_ensure();
	return kernel_fd(real.open64(path, flags, mode));
}

SHIM_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	shim_ensure();
	return kernel_fd(real.openat(dirfd, path, flags, mode));
}

SHIM_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	shim_ensure();
	return kernel_fd(real.openat64(dirfd, path, flags, mode));
}

SHIM_EXPORT int creat(const char *path, mode_t mode)
{
	shim_ensure();
	return kernel_fd(real.creat(path, mode));
}

SHIM_EXPORT int pipe(int fds[2])
{
	int rc;

	shim_ensure();
	rc = real.pipe(fds);
	fd_fresh_pair(fds, rc);
	return rc;
}

SHIM_EXPORT int pipe2(int fds[2], int flags)
{
	int rc;

	shim_ensure();
	rc = real.pipe2(fds, flags);
	fd_fresh_pair(fds, rc);
	return rc;
}

SHIM_EXPORT int eventfd(unsigned int initval, int flags)
{
	shim_ensure();
	return kernel_fd(real.eventfd(initval, flags));
}

SHIM_EXPORT int timerfd_create(int clockid, int flags)
{
	shim_ensure();
	return kernel_fd(real.timerfd_create(clockid, flags));
}

SHIM_EXPORT int signalfd(int fd, const sigset_t *mask, int flags)
{
	shim_ensure();
	return fd == -1 ? kernel_fd(real.signalfd(fd, mask, flags)) : real.signalfd(fd, mask, flags);
}

SHIM_EXPORT int memfd_create(const char *name, unsigned int flags)
{
	shim_ensure();
	return kernel_fd(real.memfd_create(name, flags));
}

SHIM_EXPORT int inotify_init(void)
{
	shim_ensure();
	return kernel_fd(real.inotify_init());
}

SHIM_EXPORT int inotify_init1(int flags)
{
	shim_ensure();
	return kernel_fd(real.inotify_init1(flags));
}

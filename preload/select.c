/*
 * select.c - select/pselect over skbos and kernel fds.
 *
 * With no skbos socket in the sets this is libc's select, untouched.  With
 * one, the sets become a pollfd array for shim_ppoll (poll.c) and the
 * results go back into the sets with Linux's own mapping (fs/select.c:
 * POLLIN_SET, POLLOUT_SET, POLLEX_SET).  Sets may be larger than
 * FD_SETSIZE (a program that raised RLIMIT_NOFILE allocates them so), as
 * Linux allows: only @nfds bits are read.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "shim.h"

#define POLLIN_SET (POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR)
#define POLLOUT_SET (POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR)
#define POLLEX_SET (POLLPRI)

#define NBITS (8 * (int)sizeof(__fd_mask))

static bool bit(const fd_set *s, int fd)
{
	return s && (__FDS_BITS(s)[fd / NBITS] & (__fd_mask)((unsigned long)1 << (fd % NBITS)));
}

static void set_bit(fd_set *s, int fd)
{
	__FDS_BITS(s)[fd / NBITS] |= (__fd_mask)((unsigned long)1 << (fd % NBITS));
}

static bool sets_have_skbos(int nfds, const fd_set *r, const fd_set *w, const fd_set *x)
{
	if (!fdt_high_load())
		return false;
	if (nfds > fdt_high_load())
		nfds = fdt_high_load();
	for (int fd = 0; fd < nfds; fd++) {
		uintptr_t e;

		if (!bit(r, fd) && !bit(w, fd) && !bit(x, fd))
			continue;
		e = fd_peek(fd);
		if (e && !(e & FDT_EPOLL))
			return true;
	}
	return false;
}

static void zero_set(fd_set *s, int nfds)
{
	if (s)
		memset(s, 0, (size_t)(nfds + NBITS - 1) / NBITS * sizeof(__fd_mask));
}

/* select's sets through shim_ppoll.  Return: bits set, or -1 and errno. */
static int shim_select(int nfds, fd_set *r, fd_set *w, fd_set *x, const struct timespec *ts,
		       const sigset_t *sigmask)
{
	struct pollfd *pfd;
	int n = 0, rc, count = 0;

	pfd = malloc((size_t)nfds * sizeof(*pfd));
	if (!pfd) {
		errno = ENOMEM;
		return -1;
	}
	for (int fd = 0; fd < nfds; fd++) {
		short ev = 0;

		if (bit(r, fd))
			ev |= POLLIN;
		if (bit(w, fd))
			ev |= POLLOUT;
		if (bit(x, fd))
			ev |= POLLPRI;
		if (ev)
			pfd[n++] = (struct pollfd){ .fd = fd, .events = ev };
	}
	rc = shim_ppoll(pfd, (nfds_t)n, ts, sigmask);
	if (rc < 0)
		goto out;
	for (int i = 0; i < n; i++) {
		if (pfd[i].revents & POLLNVAL) {
			errno = EBADF; /* select: a closed fd in a set */
			rc = -1;
			goto out;
		}
	}
	zero_set(r, nfds);
	zero_set(w, nfds);
	zero_set(x, nfds);
	for (int i = 0; i < n; i++) {
		short ev = pfd[i].events, re = pfd[i].revents;

		if ((ev & POLLIN) && (re & POLLIN_SET)) {
			set_bit(r, pfd[i].fd);
			count++;
		}
		if ((ev & POLLOUT) && (re & POLLOUT_SET)) {
			set_bit(w, pfd[i].fd);
			count++;
		}
		if ((ev & POLLPRI) && (re & POLLEX_SET)) {
			set_bit(x, pfd[i].fd);
			count++;
		}
	}
	rc = count;
out:
	free(pfd);
	return rc;
}

SHIM_EXPORT int select(int nfds, fd_set *r, fd_set *w, fd_set *x, struct timeval *tv)
{
	struct timespec ts, deadline, left;
	int rc;

	shim_ensure();
	if (likely(!fdt_high_load()) || shim_inside || nfds <= 0 || !sets_have_skbos(nfds, r, w, x))
		return real.select(nfds, r, w, x, tv);
	if (tv && (tv->tv_sec < 0 || tv->tv_usec < 0)) {
		errno = EINVAL;
		return -1;
	}
	if (tv) {
		ts.tv_sec = tv->tv_sec + tv->tv_usec / 1000000;
		ts.tv_nsec = (tv->tv_usec % 1000000) * 1000;
		shim_deadline(&ts, &deadline);
	}
	rc = shim_select(nfds, r, w, x, tv ? &ts : NULL, NULL);
	if (tv) {
		/* Linux writes back the time not slept */
		shim_timeout_left(&deadline, &left);
		tv->tv_sec = left.tv_sec;
		tv->tv_usec = left.tv_nsec / 1000;
	}
	return rc;
}

SHIM_EXPORT int pselect(int nfds, fd_set *r, fd_set *w, fd_set *x, const struct timespec *ts,
			const sigset_t *sigmask)
{
	shim_ensure();
	if (likely(!fdt_high_load()) || shim_inside || nfds <= 0 || !sets_have_skbos(nfds, r, w, x))
		return real.pselect(nfds, r, w, x, ts, sigmask);
	if (ts && (ts->tv_sec < 0 || (unsigned long)ts->tv_nsec >= 1000000000ul)) {
		errno = EINVAL;
		return -1;
	}
	return shim_select(nfds, r, w, x, ts, sigmask);
}

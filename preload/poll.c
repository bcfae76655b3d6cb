/*
 * poll.c - poll/ppoll over skbos and kernel fds (DESIGN.md "readiness":
 * poll and select build a temporary set the same way epoll keeps one).
 *
 *   skbos entries: sock_poll() under the stack lock; if none is ready, one
 *	wait_queue_entry per socket wakes this thread's eventfd
 *   kernel entries: the program's own pollfd array, copied, with the skbos
 *	entries' fds set to -1 (poll ignores them) and this thread's eventfd
 *	and the devices' event fds appended: one ppoll sleeps on everything,
 *	with the program's signal mask, and the thread that wakes for a frame
 *	drives the stack itself (loop_drive) as loop_wait does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "shim.h"
#include "instance.h"
#include "loop.h"
#include "sock.h"
#include "tcp.h"
#include "portshare.h"

#define POLL_MAX_DEVS 8

static __thread int thread_efd = -1;

/** shim_thread_eventfd - this thread's wake-up eventfd (made on first use). */
int shim_thread_eventfd(void)
{
	if (thread_efd < 0) {
		thread_efd = real.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (thread_efd >= 0)
			fd_fresh(thread_efd);
	}
	return thread_efd;
}

/* The child of fork shares the parent's eventfd file: it needs its own. */
int shim_thread_efd_reset(void)
{
	if (thread_efd >= 0)
		real.close(thread_efd);
	thread_efd = -1;
	return 0;
}

/* The fds drained are (non-semaphore) eventfds: one read resets the count. */
void shim_drain_fd(int fd)
{
	u64 v;

	if (fd >= 0 && real.read(fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing was signalled */
	}
}

/** shim_deadline - the CLOCK_MONOTONIC time @ts from now. */
void shim_deadline(const struct timespec *ts, struct timespec *deadline)
{
	clock_gettime(CLOCK_MONOTONIC, deadline);
	deadline->tv_sec += ts->tv_sec;
	deadline->tv_nsec += ts->tv_nsec;
	if (deadline->tv_nsec >= 1000000000) {
		deadline->tv_sec++;
		deadline->tv_nsec -= 1000000000;
	}
}

/** shim_timeout_left - time until @deadline in @left.  Return: false if none. */
int shim_timeout_left(const struct timespec *deadline, struct timespec *left)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	left->tv_sec = deadline->tv_sec - now.tv_sec;
	left->tv_nsec = deadline->tv_nsec - now.tv_nsec;
	if (left->tv_nsec < 0) {
		left->tv_sec--;
		left->tv_nsec += 1000000000;
	}
	if (left->tv_sec < 0) {
		left->tv_sec = 0;
		left->tv_nsec = 0;
		return false;
	}
	return left->tv_sec || left->tv_nsec;
}

/** poll_has_skbos - does the set name an skbos socket (not an epoll fd)? */
bool poll_has_skbos(const struct pollfd *fds, nfds_t nfds)
{
	if (!fdt_high_load())
		return false;
	for (nfds_t i = 0; i < nfds; i++) {
		uintptr_t e = fd_peek(fds[i].fd);

		if (e && !(e & FDT_EPOLL))
			return true;
	}
	return false;
}

static struct socket *poll_sock(const struct pollfd *p)
{
	uintptr_t e = p->fd >= 0 ? fd_peek(p->fd) : 0;

	return (e && !(e & FDT_EPOLL)) ? fd_entry_sock(e) : NULL;
}

/* The skbos entries' revents now.  Stack lock held (if @in).  Return: ready ones. */
static int poll_scan(struct skbos_instance *in, struct pollfd *fds, nfds_t nfds)
{
	int ready = 0;

	for (nfds_t i = 0; i < nfds; i++) {
		struct socket *sock = poll_sock(&fds[i]);

		if (!sock)
			continue;
		if (sock_is_orphan(sock, in))
			fds[i].revents = POLLNVAL;
		else if (sock->sk && sock->sk->sk_state == TCP_LISTEN && skbos_instance_dormant(in))
			stack_port_interest(in->st, sock->sk->sk_num);
		if (!sock_is_orphan(sock, in))
			fds[i].revents = (short)(sock_poll(sock) &
						 ((unsigned int)(unsigned short)fds[i].events | POLLERR | POLLHUP));
		ready += fds[i].revents != 0;
	}
	return ready;
}

struct poll_waker {
	int efd;
	bool woken;
};

/* One socket of the set while the thread sleeps: its wait entry and reference. */
struct poll_entry {
	struct wait_queue_entry e;
	struct socket *sock;
};

static void poll_wake(struct wait_queue_entry *e, unsigned int events)
{
	struct poll_waker *pw = e->private;
	u64 one = 1;

	(void)events;
	if (pw->woken)
		return;
	pw->woken = true;
	if (real.write(pw->efd, &one, sizeof(one)) < 0) {
		/* cannot overflow in practice */
	}
}

/*
 * Copy the kernel entries' results into @fds.  Return: how many are ready.
 * @tmp mirrors @fds for the first @nfds entries.
 */
static int poll_merge(struct pollfd *fds, const struct pollfd *tmp, nfds_t nfds)
{
	int ready = 0;

	for (nfds_t i = 0; i < nfds; i++) {
		if (poll_sock(&fds[i]))
			continue;
		fds[i].revents = fds[i].fd >= 0 ? tmp[i].revents : 0;
		ready += fds[i].revents != 0;
	}
	return ready;
}

/**
 * shim_ppoll - ppoll with at least one skbos socket in @fds: @ts NULL blocks
 * without limit; @sigmask is the mask during the sleep (ppoll's).
 * Return: ready entries, or -1 and errno (EINTR, ENOMEM, EINVAL).
 */
int shim_ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *ts, const sigset_t *sigmask)
{
	static const struct timespec zero;
	struct skbos_instance *in;
	struct poll_entry *entries = NULL;
	struct pollfd *tmp;
	struct timespec deadline, left;
	struct poll_waker pw;
	int devs[POLL_MAX_DEVS], ndevs = 0, ready = 0, err = 0;
	bool drive = true, has_kernel = false;
	ktime_t spin_until = 0;
	nfds_t n;

	if (nfds > (nfds_t)1 << 20) {
		errno = EINVAL;
		return -1;
	}
	for (nfds_t i = 0; unlikely(shim_orphans) && i < nfds; i++)
		shim_adopt_fd(fds[i].fd); /* inherited listeners (fork) */
	in = shim_instance();
	tmp = malloc((nfds + 1 + POLL_MAX_DEVS) * sizeof(*tmp));
	if (!tmp || !(entries = calloc(nfds ? nfds : 1, sizeof(*entries)))) {
		free(tmp);
		errno = ENOMEM;
		return -1;
	}
	for (nfds_t i = 0; i < nfds; i++) {
		tmp[i] = fds[i];
		tmp[i].revents = 0;
		if (poll_sock(&fds[i]))
			tmp[i].fd = -1;
		else if (fds[i].fd >= 0)
			has_kernel = true;
	}
	if (ts)
		shim_deadline(ts, &deadline);
	pw.efd = shim_thread_eventfd();
	if (in) {
		shim_lock(in);
		ndevs = loop_device_fds(in->loop, devs, POLL_MAX_DEVS);
		/* SKBOS_SPIN_US spins over skbos sockets only: a set with kernel
		 * fds sleeps at once, so they are never kept waiting. */
		if (!has_kernel)
			spin_until = loop_spin_until(in->loop);
	}
	for (;;) {
		int kready = 0, r;
		bool timed_out;

		if (in && drive)
			loop_drive(in->loop);
		drive = false;
		ready = poll_scan(in, fds, nfds);
		timed_out = ts && !shim_timeout_left(&deadline, &left);
		if (ready || timed_out || pw.efd < 0 || !in) {
			if (has_kernel && (r = real.ppoll(tmp, nfds, &zero, NULL)) > 0)
				ready += poll_merge(fds, tmp, nfds);
			else
				poll_merge(fds, tmp, nfds);
			break;
		}
		if (spin_until && (!ts || shim_timeout_left(&deadline, &left)) &&
		    loop_spin(in->loop, spin_until, NULL)) {
			drive = true;
			continue;
		}
		spin_until = 0;
		/* Sleep: wait entries on the sockets (a reference each), one ppoll. */
		pw.woken = false;
		for (nfds_t i = 0; i < nfds; i++) {
			struct socket *sock = poll_sock(&fds[i]);

			if (!sock)
				continue;
			sock_get(sock);
			entries[i].sock = sock;
			entries[i].e.func = poll_wake;
			entries[i].e.private = &pw;
			entries[i].e.events = 0;
			add_wait_queue(&sock->sk->sk_wq, &entries[i].e);
		}
		n = nfds;
		tmp[n++] = (struct pollfd){ .fd = pw.efd, .events = POLLIN };
		for (int i = 0; i < ndevs; i++)
			tmp[n++] = (struct pollfd){ .fd = devs[i], .events = POLLIN };
		loop_app_wait_begin(in->loop);
		loop_unlock(in->loop);
		shim_inside--;
		r = real.ppoll(tmp, n, ts ? &left : NULL, sigmask);
		err = errno;
		shim_inside++;
		loop_lock(in->loop);
		loop_app_wait_end(in->loop);
		for (nfds_t i = 0; i < nfds; i++) {
			if (!entries[i].sock)
				continue;
			remove_wait_queue(NULL, &entries[i].e);
			sock_put(entries[i].sock);
			entries[i].sock = NULL;
		}
		if (r < 0) {
			ready = -1;
			break;
		}
		if (r > 0 && (tmp[nfds].revents & POLLIN))
			shim_drain_fd(pw.efd);
		for (int i = 0; r > 0 && i < ndevs; i++)
			if (tmp[nfds + 1 + (nfds_t)i].revents & POLLIN) {
				shim_drain_fd(devs[i]);
				drive = true;
			}
		kready = poll_merge(fds, tmp, nfds);
		if (kready) {
			if (drive)
				loop_drive(in->loop);
			ready = kready + poll_scan(in, fds, nfds);
			break;
		}
		drive = true;
	}
	if (in)
		shim_unlock(in);
	free(tmp);
	free(entries);
	if (ready < 0)
		errno = err;
	return ready;
}

static int poll_ms(struct pollfd *fds, nfds_t nfds, int timeout)
{
	struct timespec ts = { timeout / 1000, (long)(timeout % 1000) * 1000000 };

	return shim_ppoll(fds, nfds, timeout < 0 ? NULL : &ts, NULL);
}

SHIM_EXPORT int poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	shim_ensure();
	if (likely(!fdt_high_load()) || shim_inside || !poll_has_skbos(fds, nfds))
		return real.poll(fds, nfds, timeout);
	return poll_ms(fds, nfds, timeout);
}

SHIM_EXPORT int ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *ts,
		      const sigset_t *sigmask)
{
	shim_ensure();
	if (likely(!fdt_high_load()) || shim_inside || !poll_has_skbos(fds, nfds))
		return real.ppoll(fds, nfds, ts, sigmask);
	if (ts && (ts->tv_sec < 0 || (unsigned long)ts->tv_nsec >= 1000000000ul)) {
		errno = EINVAL;
		return -1;
	}
	return shim_ppoll(fds, nfds, ts, sigmask);
}

SHIM_EXPORT int __poll_chk(struct pollfd *fds, nfds_t nfds, int timeout, size_t fdslen)
{
	if (fdslen / sizeof(*fds) < nfds)
		__chk_fail();
	return poll(fds, nfds, timeout);
}

SHIM_EXPORT int __ppoll_chk(struct pollfd *fds, nfds_t nfds, const struct timespec *ts,
			    const sigset_t *sigmask, size_t fdslen)
{
	if (fdslen / sizeof(*fds) < nfds)
		__chk_fail();
	return ppoll(fds, nfds, ts, sigmask);
}

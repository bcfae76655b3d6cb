/*
 * poll.c - poll/ppoll over skbos and kernel fds (DESIGN.md "readiness":
 * poll and select build a temporary set the same way epoll keeps one).
 *
 *   skbos entries: sock_poll() under the stack lock, and for the length of
 *	the call one wait_queue_entry per socket on one stack_waiter, which
 *	a socket event wakes through this thread's eventfd (loop.c)
 *   kernel entries: the program's own pollfd array, copied, with the skbos
 *	entries' fds set to -1 (poll ignores them); loop_wait_fds appends the
 *	thread's eventfd and the devices' event fds, so one ppoll sleeps on
 *	everything with the program's signal mask, and the thread that wakes
 *	for a frame drives the stack itself, as every wait does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"
#include "instance.h"
#include "loop.h"
#include "sock.h"

/** shim_sleep_hook - loop_set_sleep_hook's: asleep in a wait, this thread is
 * not inside skbos (a signal handler's calls are the program's). */
void shim_sleep_hook(bool asleep)
{
	shim_inside += asleep ? -1 : 1;
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
		else if (sock_is_listening(sock) && skbos_instance_dormant(in))
			sock_listen_interest(sock);
		if (!sock_is_orphan(sock, in))
			fds[i].revents = sock_revents(sock, fds[i].events);
		ready += fds[i].revents != 0;
	}
	return ready;
}

/* One socket of the set while the thread waits: its wait entry and reference. */
struct poll_entry {
	struct wait_queue_entry e;
	struct socket *sock;
};

/* A ppoll over skbos sockets as loop_wait_fds sees it. */
struct poll_wait {
	struct skbos_instance *in;
	struct pollfd *fds;
	nfds_t nfds;
	struct stack_waiter w;
	int ready;
};

/* loop_wait_fds's scan: a wake-up after this one writes the eventfd again. */
static int poll_wait_scan(void *arg)
{
	struct poll_wait *pw = arg;

	pw->w.woken = false;
	pw->ready = poll_scan(pw->in, pw->fds, pw->nfds);
	return pw->ready;
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

/* The kernel entries now, without sleeping.  Return: how many are ready. */
static int poll_kernel_now(struct pollfd *fds, struct pollfd *tmp, nfds_t nfds, bool has_kernel)
{
	static const struct timespec zero;

	if (has_kernel && real.ppoll(tmp, nfds, &zero, NULL) > 0)
		return poll_merge(fds, tmp, nfds);
	for (nfds_t i = 0; i < nfds; i++)
		tmp[i].revents = 0;
	poll_merge(fds, tmp, nfds);
	return 0;
}

/* A wait entry (and a reference) on every socket of the set but the parent's. */
static void poll_watch(struct poll_wait *pw, struct poll_entry *entries)
{
	for (nfds_t i = 0; i < pw->nfds; i++) {
		struct socket *sock = poll_sock(&pw->fds[i]);

		if (!sock || sock_is_orphan(sock, pw->in))
			continue;
		sock_get(sock);
		entries[i].sock = sock;
		waiter_add(&pw->w, &sock->sk->sk_wq, &entries[i].e, 0);
	}
}

static void poll_unwatch(struct poll_entry *entries, nfds_t nfds)
{
	for (nfds_t i = 0; i < nfds; i++) {
		if (!entries[i].sock)
			continue;
		remove_wait_queue(NULL, &entries[i].e);
		sock_put(entries[i].sock);
	}
}

/** shim_ktime_deadline - @ts from now on the stack clock (KTIME_MAX: none, or too far to matter). */
ktime_t shim_ktime_deadline(struct skbos_instance *in, const struct timespec *ts)
{
	return loop_deadline(in->loop, ts);
}

/**
 * shim_ppoll - ppoll with at least one skbos socket in @fds: @ts NULL blocks
 * without limit; @sigmask is the mask during the sleep (ppoll's).
 * Return: ready entries, or -1 and errno (EINTR, ENOMEM, EINVAL).
 */
int shim_ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *ts, const sigset_t *sigmask)
{
	struct poll_wait pw = { .fds = fds, .nfds = nfds };
	struct poll_entry *entries = NULL;
	struct pollfd *tmp;
	struct loop_wait lw;
	bool has_kernel = false;
	int ready, rc;

	if (nfds > (nfds_t)1 << 20) {
		errno = EINVAL;
		return -1;
	}
	for (nfds_t i = 0; unlikely(shim_orphans) && i < nfds; i++)
		shim_adopt_fd(fds[i].fd); /* inherited listeners (fork) */
	pw.in = shim_instance();
	tmp = malloc((nfds + LOOP_WAIT_EXTRA) * sizeof(*tmp));
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
	if (!pw.in) {
		/* no stack: every skbos entry is the parent's (POLLNVAL) */
		ready = poll_scan(NULL, fds, nfds) + poll_kernel_now(fds, tmp, nfds, has_kernel);
		goto out;
	}
	shim_lock(pw.in);
	waiter_init(&pw.w, pw.in->st);
	poll_watch(&pw, entries);
	/* SKBOS_SPIN_US spins over skbos sockets only: a set with kernel fds
	 * sleeps at once, so they are never kept waiting. */
	lw = (struct loop_wait){
		.w = &pw.w, .scan = poll_wait_scan, .arg = &pw, .kfds = tmp, .nkfds = nfds,
		.deadline = shim_ktime_deadline(pw.in, ts), .sigmask = sigmask, .spin = !has_kernel,
		.drive = true,
	};
	rc = loop_wait_fds(pw.in->loop, &lw);
	if (rc >= 0 && lw.nkernel)
		ready = poll_merge(fds, tmp, nfds) + poll_scan(pw.in, fds, nfds);
	else if (rc >= 0 || rc == -ETIMEDOUT)
		ready = (rc > 0 ? rc : 0) + poll_kernel_now(fds, tmp, nfds, has_kernel);
	else
		ready = -1;
	poll_unwatch(entries, nfds);
	shim_unlock(pw.in);
	if (ready < 0)
		errno = -rc;
out:
	free(tmp);
	free(entries);
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

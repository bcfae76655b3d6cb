/*
 * epoll.c - epoll over skbos and kernel fds together (DESIGN.md "readiness";
 * fs/eventpoll.c is the model: epitems, a ready list, ep_poll_callback,
 * ep_send_events).
 *
 * An epoll instance stays a real kernel epoll fd: it holds the kernel fds
 * the program added, plus (from the first skbos socket added) one eventfd
 * that is readable while the skbos ready list is not empty, and the skbos
 * devices' event fds.  skbos sockets are items on a user-level list, each
 * with a wait_queue_entry on its sk->sk_wq; the socket's callbacks
 * (sk_data_ready, sk_write_space, sk_state_change, sk_error_report) run
 * sep_callback, which puts the item on the ready list and signals the
 * eventfd.  So:
 *   - epoll_wait drains the ready list first, then sleeps in the kernel's
 *     epoll_wait on both worlds at once: no thread per wait, no busy loop;
 *   - the epoll fd itself is pollable and nestable like any epoll fd;
 *   - a thread sleeping here has the device fds in its set, so it wakes
 *     for frames and drives the stack itself (DESIGN.md "Who drives the
 *     stack"); the stack thread stands aside meanwhile (loop_wait_fds).
 * Kernel events and skbos events are told apart by two random 64-bit
 * markers in epoll_data that only the shim's own fds carry.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <unistd.h>

#include "shim.h"
#include "instance.h"
#include "list.h"
#include "loop.h"
#include "sock.h"

#define SEP_MAX_DEVS 8
/* Bits that are not events (eventpoll.c EP_PRIVATE_BITS). */
#define EP_PRIVATE_BITS (EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE)
#define EPOLLEXCLUSIVE_OK_BITS (EPOLLINOUT_BITS | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE)
#define EPOLLINOUT_BITS (EPOLLIN | EPOLLOUT)

/**
 * struct sepoll - the skbos side of one epoll instance.
 * @refcnt: fds naming it (dup) plus epoll_wait calls in flight
 * @gen: shim_fork_gen at creation: in a forked child it is the parent's
 * @kfd: the shim's own dup of the kernel epoll fd (-1 before the first
 *	skbos item), to add its eventfd, device fds and handed-over fds
 * @efd: readable while @rdllist is not empty (@armed)
 * @nkernel: kernel fds the program added (an upper bound: a closed fd leaves
 *	the kernel set silently); 0 spares epoll_wait a kernel call
 */
struct sepoll {
	int refcnt;
	unsigned int gen;
	int kfd;
	int efd;
	bool armed;
	int ndevs;
	int devs[SEP_MAX_DEVS];
	int nitems;
	int nkernel;
	struct list_head items;
	struct list_head rdllist;
};

/** struct sepitem - one skbos socket in one epoll set (eventpoll.c's epitem). */
struct sepitem {
	struct list_head ep_link;
	struct list_head rdllink;
	struct wait_queue_entry wq;
	struct sepoll *ep;
	struct socket *sock;
	int fd;
	struct epoll_event event;
};

/* Move every entry of @from to the front of @to; @from ends empty. */
static void sep_splice_init(struct list_head *from, struct list_head *to)
{
	if (list_empty(from))
		return;
	from->prev->next = to->next;
	to->next->prev = from->prev;
	to->next = from->next;
	from->next->prev = to;
	INIT_LIST_HEAD(from);
}

static u64 sep_marker; /* epoll_data of the eventfd; +1: a device fd */

static u64 marker(void)
{
	u64 m = __atomic_load_n(&sep_marker, __ATOMIC_ACQUIRE);

	while (!m) {
		if (getrandom(&m, sizeof(m), 0) != sizeof(m))
			m = (u64)(uintptr_t)&m ^ 0x5eb0c0ffee1234ull;
		m &= ~1ull;
		__atomic_store_n(&sep_marker, m, __ATOMIC_RELEASE);
	}
	return m;
}

struct sepoll *sepoll_new(void)
{
	struct sepoll *ep = calloc(1, sizeof(*ep));

	if (!ep)
		return NULL;
	ep->refcnt = 1;
	ep->gen = shim_fork_gen;
	ep->kfd = -1;
	ep->efd = -1;
	INIT_LIST_HEAD(&ep->items);
	INIT_LIST_HEAD(&ep->rdllist);
	return ep;
}

void sepoll_get(struct sepoll *ep)
{
	ep->refcnt++;
}

static void sep_signal(struct sepoll *ep)
{
	u64 one = 1;

	if (ep->armed || ep->efd < 0)
		return;
	if (real.write(ep->efd, &one, sizeof(one)) == sizeof(one))
		ep->armed = true;
}

static void sep_unsignal(struct sepoll *ep)
{
	if (ep->armed && list_empty(&ep->rdllist)) {
		shim_drain_fd(ep->efd);
		ep->armed = false;
	}
}

static void sepitem_free(struct sepitem *epi)
{
	list_del_init(&epi->wq.entry);
	list_del_init(&epi->rdllink);
	list_del_init(&epi->ep_link);
	epi->ep->nitems--;
	sep_unsignal(epi->ep);
	free(epi);
}

/*
 * In a forked child the instance is the parent's, its sockets are not this
 * process's: forget the items (never touching the sockets), and let the
 * shared eventfd be (the parent still uses it).  Stack lock held if any.
 */
void sepoll_after_fork(struct sepoll *ep)
{
	if (ep->gen == shim_fork_gen)
		return;
	INIT_LIST_HEAD(&ep->items);
	INIT_LIST_HEAD(&ep->rdllist);
	ep->nitems = 0;
	ep->efd = -1;
	ep->armed = false;
	ep->ndevs = 0;
	ep->gen = shim_fork_gen;
}

/** sepoll_put - drop a reference; the last one frees the skbos side. */
void sepoll_put(struct sepoll *ep)
{
	struct sepitem *epi, *tmp;

	if (--ep->refcnt > 0)
		return;
	sepoll_after_fork(ep);
	list_for_each_entry_safe(epi, tmp, &ep->items, ep_link)
		sepitem_free(epi);
	if (ep->efd >= 0)
		real.close(ep->efd);
	if (ep->kfd >= 0)
		real.close(ep->kfd);
	free(ep);
}

/* ep_poll_callback: a socket event; the item joins the ready list. */
static void sep_callback(struct wait_queue_entry *wq, unsigned int events)
{
	struct sepitem *epi = container_of(wq, struct sepitem, wq);
	struct sepoll *ep = epi->ep;

	/* EPOLLONESHOT fired: disabled until EPOLL_CTL_MOD */
	if (!(epi->event.events & ~EP_PRIVATE_BITS))
		return;
	if (events && !(events & epi->event.events))
		return;
	if (list_empty(&epi->rdllink))
		list_add_tail(&epi->rdllink, &ep->rdllist);
	sep_signal(ep);
}

/** sepoll_sock_release - @sock's last reference went: it leaves every set. */
void sepoll_sock_release(struct socket *sock)
{
	struct wait_queue_entry *e, *tmp;

	if (!sock->sk)
		return;
	list_for_each_entry_safe(e, tmp, &sock->sk->sk_wq.head, entry)
		if (e->func == sep_callback)
			sepitem_free(container_of(e, struct sepitem, wq));
}

/**
 * sepoll_handover - @fd of @sock is now a kernel socket (handover.c
 * handover): its registrations move into the kernel sets.  Stack lock held.
 */
int sepoll_handover(struct socket *sock, int fd)
{
	struct wait_queue_entry *e, *tmp;

	if (!sock->sk)
		return 0;
	list_for_each_entry_safe(e, tmp, &sock->sk->sk_wq.head, entry) {
		struct sepitem *epi;

		if (e->func != sep_callback)
			continue;
		epi = container_of(e, struct sepitem, wq);
		if (epi->fd != fd)
			continue;
		if (real.epoll_ctl(epi->ep->kfd, EPOLL_CTL_ADD, fd, &epi->event) == 0)
			epi->ep->nkernel++;
		sepitem_free(epi);
	}
	return 0;
}

/* A number the kernel gave the shim itself: a stale entry for it goes. */
static void fd_private(struct skbos_instance *in, int fd)
{
	uintptr_t e = fd_peek(fd);

	if (e)
		fd_drop_entry(in, fd, e);
}

/*
 * The first skbos item: the eventfd and the device fds join the kernel set.
 * Stack lock held.  Return: 0 or -errno.
 */
static int sep_attach(struct skbos_instance *in, struct sepoll *ep, int epfd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int devs[SEP_MAX_DEVS], n;

	if (ep->efd >= 0)
		return 0;
	if (ep->kfd < 0) {
		ep->kfd = real.fcntl(epfd, F_DUPFD_CLOEXEC, 0);
		if (ep->kfd < 0)
			return -errno;
		fd_private(in, ep->kfd);
	}
	ep->efd = real.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ep->efd < 0)
		return -errno;
	fd_private(in, ep->efd);
	ev.data.u64 = marker();
	if (real.epoll_ctl(ep->kfd, EPOLL_CTL_ADD, ep->efd, &ev)) {
		int err = errno;

		real.close(ep->efd);
		ep->efd = -1;
		return -err;
	}
	n = loop_device_fds(in->loop, devs, SEP_MAX_DEVS);
	ep->ndevs = 0;
	for (int i = 0; i < n; i++) {
		/* EXCLUSIVE: a frame wakes one waiting epoll, not every one */
		ev = (struct epoll_event){ .events = EPOLLIN | EPOLLEXCLUSIVE, .data.u64 = marker() + 1 };
		if (real.epoll_ctl(ep->kfd, EPOLL_CTL_ADD, devs[i], &ev) == 0)
			ep->devs[ep->ndevs++] = devs[i];
	}
	return 0;
}

static struct sepitem *sep_find(struct sepoll *ep, struct socket *sock, int fd)
{
	struct wait_queue_entry *e;

	list_for_each_entry(e, &sock->sk->sk_wq.head, entry) {
		struct sepitem *epi;

		if (e->func != sep_callback)
			continue;
		epi = container_of(e, struct sepitem, wq);
		if (epi->ep == ep && epi->fd == fd)
			return epi;
	}
	return NULL;
}

/* Poll the item now; ready: onto the ready list (ep_insert / ep_modify). */
static void sep_check(struct sepitem *epi)
{
	if (sock_poll(epi->sock) & epi->event.events) {
		if (list_empty(&epi->rdllink))
			list_add_tail(&epi->rdllink, &epi->ep->rdllist);
		sep_signal(epi->ep);
	}
}

/* epoll_ctl for an skbos socket in an skbos-aware set.  Stack lock held. */
static int sep_ctl(struct skbos_instance *in, struct sepoll *ep, int epfd, int op, int fd,
		   struct socket *sock, const struct epoll_event *uev)
{
	struct sepitem *epi = sep_find(ep, sock, fd);
	struct epoll_event ev;
	int err;

	if (op != EPOLL_CTL_DEL) {
		ev = *uev;
		if (ev.events & EPOLLEXCLUSIVE) {
			if (op == EPOLL_CTL_MOD || (ev.events & ~EPOLLEXCLUSIVE_OK_BITS))
				return -EINVAL;
		}
		ev.events |= EPOLLERR | EPOLLHUP;
	}
	switch (op) {
	case EPOLL_CTL_ADD:
		if (epi)
			return -EEXIST;
		if ((err = sep_attach(in, ep, epfd)))
			return err;
		epi = calloc(1, sizeof(*epi));
		if (!epi)
			return -ENOMEM;
		epi->ep = ep;
		epi->sock = sock;
		epi->fd = fd;
		epi->event = ev;
		INIT_LIST_HEAD(&epi->rdllink);
		list_add_tail(&epi->ep_link, &ep->items);
		ep->nitems++;
		epi->wq.func = sep_callback;
		epi->wq.events = 0;
		epi->wq.private = epi;
		add_wait_queue(&sock->sk->sk_wq, &epi->wq);
		sep_check(epi);
		return 0;
	case EPOLL_CTL_MOD:
		if (!epi)
			return -ENOENT;
		if (epi->event.events & EPOLLEXCLUSIVE)
			return -EINVAL;
		epi->event = ev;
		sep_check(epi);
		return 0;
	case EPOLL_CTL_DEL:
		if (!epi)
			return -ENOENT;
		sepitem_free(epi);
		sep_unsignal(ep);
		return 0;
	}
	return -EINVAL;
}

static int sep_install(int fd)
{
	struct skbos_instance *in;
	struct sepoll *ep;

	if (fd < 0 || !shim_enabled || shim_inside || fd >= fdt_size)
		return fd;
	fd_fresh(fd);
	ep = sepoll_new();
	if (!ep)
		return fd; /* a plain kernel epoll: skbos sockets cannot join it */
	in = shim_instance();
	if (in)
		shim_lock(in);
	fdt_set(fd, (uintptr_t)ep | FDT_EPOLL);
	if (in)
		shim_unlock(in);
	return fd;
}

SHIM_EXPORT int epoll_create(int size)
{
	shim_ensure();
	return sep_install(real.epoll_create(size));
}

SHIM_EXPORT int epoll_create1(int flags)
{
	shim_ensure();
	return sep_install(real.epoll_create1(flags));
}

SHIM_EXPORT int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event)
{
	struct skbos_instance *in;
	uintptr_t te, ee;
	struct sepoll *ep;
	struct socket *sock;
	int rc;

	shim_ensure();
	if (unlikely(shim_orphans))
		shim_adopt_fd(fd); /* an inherited listener (a prefork worker's) */
	te = fd_peek(fd);
	ee = fd_peek(epfd);
	if (shim_inside || (likely(!te || (te & FDT_EPOLL)) && !ee))
		return real.epoll_ctl(epfd, op, fd, event);
	if (!te || (te & FDT_EPOLL)) {
		/* a kernel fd (or nested epoll) in an skbos-aware set */
		rc = real.epoll_ctl(epfd, op, fd, event);
		ep = fd_entry_ep(ee);
		if (!rc && op == EPOLL_CTL_ADD)
			__atomic_add_fetch(&ep->nkernel, 1, __ATOMIC_RELAXED);
		else if (!rc && op == EPOLL_CTL_DEL && __atomic_load_n(&ep->nkernel, __ATOMIC_RELAXED) > 0)
			__atomic_sub_fetch(&ep->nkernel, 1, __ATOMIC_RELAXED);
		return rc;
	}
	/* an skbos socket */
	if (op != EPOLL_CTL_DEL && !event) {
		errno = EFAULT;
		return -1;
	}
	in = shim_instance();
	if (!in) {
		errno = EBADF; /* the parent's socket (fork) */
		return -1;
	}
	shim_lock(in);
	ee = fd_peek(epfd);
	te = fd_peek(fd);
	ep = fd_entry_ep(ee);
	sock = fd_entry_sock(te);
	if (!te || !sock || sock_is_orphan(sock, in)) {
		rc = te ? -EBADF : 1;
	} else if (!ee) {
		rc = real.fcntl(epfd, F_GETFD) < 0 ? -EBADF : -EINVAL;
	} else if (!ep) {
		rc = -EINVAL; /* epfd is a socket, not an epoll */
	} else if (epfd == fd) {
		rc = -EINVAL;
	} else {
		sepoll_after_fork(ep);
		rc = sep_ctl(in, ep, epfd, op, fd, sock, event);
	}
	shim_unlock(in);
	if (rc == 1)
		return real.epoll_ctl(epfd, op, fd, event);
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return 0;
}

/*
 * ep_send_events: report up to @max ready items, each polled now.  An item
 * polled empty leaves the list; a level-triggered one stays on it (so the
 * next wait sees it again), an edge-triggered one waits for its next event,
 * a one-shot one is disabled.  Stack lock held.
 */
static int sep_harvest(struct sepoll *ep, struct epoll_event *evs, int max)
{
	struct list_head txlist;
	struct sepitem *epi, *tmp;
	int n = 0;

	INIT_LIST_HEAD(&txlist);
	sep_splice_init(&ep->rdllist, &txlist);
	list_for_each_entry_safe(epi, tmp, &txlist, rdllink) {
		unsigned int revents;

		if (n >= max)
			break;
		list_del_init(&epi->rdllink);
		revents = sock_poll(epi->sock) & epi->event.events;
		if (!revents)
			continue;
		evs[n].events = revents;
		evs[n].data = epi->event.data;
		n++;
		if (epi->event.events & EPOLLONESHOT)
			epi->event.events &= EP_PRIVATE_BITS;
		else if (!(epi->event.events & EPOLLET))
			list_add_tail(&epi->rdllink, &ep->rdllist);
	}
	sep_splice_init(&txlist, &ep->rdllist);
	sep_unsignal(ep);
	return n;
}

/* Take the shim's own events out of what the kernel reported. */
static int sep_filter(struct sepoll *ep, struct epoll_event *evs, int n, bool *drive)
{
	u64 m = marker();
	int k = 0;

	for (int i = 0; i < n; i++) {
		if (evs[i].data.u64 == m)
			continue;
		if (evs[i].data.u64 == m + 1) {
			*drive = true;
			continue;
		}
		evs[k++] = evs[i];
	}
	if (*drive)
		for (int i = 0; i < ep->ndevs; i++)
			shim_drain_fd(ep->devs[i]);
	return k;
}

static int kernel_pwait(int epfd, struct epoll_event *evs, int max, const struct timespec *ts,
			const sigset_t *sigmask)
{
	int ms;

	if (real.epoll_pwait2)
		return real.epoll_pwait2(epfd, evs, max, ts, sigmask);
	if (!ts)
		ms = -1;
	else if (ts->tv_sec > INT_MAX / 1000 - 1)
		ms = INT_MAX;
	else
		ms = (int)(ts->tv_sec * 1000 + (ts->tv_nsec + 999999) / 1000000);
	return real.epoll_pwait(epfd, evs, max, ms, sigmask);
}

/* Waiting on its listeners wakes a parent's dormant group memberships (fork). */
static void sep_interest(struct skbos_instance *in, struct sepoll *ep)
{
	struct sepitem *epi;

	list_for_each_entry(epi, &ep->items, ep_link)
		if (!sock_is_orphan(epi->sock, in))
			sock_listen_interest(epi->sock);
}

/* An epoll_wait on an skbos-aware set as loop_wait_fds sees it. */
struct sep_waiting {
	struct sepoll *ep;
	int epfd;
	struct epoll_event *evs;
	int max;
	int n;
};

/* loop_wait_fds's scan: the ready list. */
static int sep_wait_scan(void *arg)
{
	struct sep_waiting *sw = arg;

	sw->n = sep_harvest(sw->ep, sw->evs, sw->max);
	return sw->n;
}

/* loop_wait_fds's sleep: the kernel's epoll_wait on the set, which holds the
 * kernel fds, the ready list's eventfd and the device fds.  Lock released. */
static int sep_wait_sleep(void *arg, const struct timespec *timeout, const sigset_t *sigmask, bool *drive)
{
	struct sep_waiting *sw = arg;
	int k = kernel_pwait(sw->epfd, sw->evs, sw->max, timeout, sigmask);

	return k < 0 ? -errno : sep_filter(sw->ep, sw->evs, k, drive);
}

/*
 * epoll_wait on an skbos-aware set: the ready list first, then one sleep in
 * the kernel on kernel fds, the eventfd and the device fds (loop_wait_fds).
 */
static int sep_wait(int epfd, struct epoll_event *evs, int max, const struct timespec *ts,
		    const sigset_t *sigmask)
{
	static const struct timespec zero;
	struct skbos_instance *in = shim_instance();
	struct sep_waiting sw = { .epfd = epfd, .evs = evs, .max = max };
	struct loop_wait lw;
	struct sepoll *ep;
	bool drive = false;
	int n, k, rc;

	if (max <= 0 || max > INT_MAX / (int)sizeof(struct epoll_event)) {
		errno = EINVAL;
		return -1;
	}
	if (!in)
		return kernel_pwait(epfd, evs, max, ts, sigmask);
	shim_lock(in);
	ep = fd_entry_ep(fd_peek(epfd));
	if (ep && unlikely(skbos_instance_dormant(in)))
		sep_interest(in, ep);
	if (ep)
		sepoll_after_fork(ep);
	if (!ep || ep->efd < 0) {
		shim_unlock(in);
		return kernel_pwait(epfd, evs, max, ts, sigmask);
	}
	sepoll_get(ep);
	sw.ep = ep;
	/* SKBOS_SPIN_US: over skbos sockets only (see shim_ppoll) */
	lw = (struct loop_wait){
		.scan = sep_wait_scan, .sleep = sep_wait_sleep, .arg = &sw,
		.deadline = shim_ktime_deadline(in, ts), .sigmask = sigmask,
		.spin = !__atomic_load_n(&ep->nkernel, __ATOMIC_RELAXED) && ep->ndevs,
		.drive = ep->ndevs > 0,
	};
	rc = loop_wait_fds(in->loop, &lw);
	if (rc >= 0 && lw.nkernel) {
		n = lw.nkernel + sep_harvest(ep, evs + lw.nkernel, max - lw.nkernel);
	} else if (rc >= 0 || rc == -ETIMEDOUT) {
		n = rc > 0 ? rc : 0;
		if (__atomic_load_n(&ep->nkernel, __ATOMIC_RELAXED) && n < max) {
			k = kernel_pwait(epfd, evs + n, max - n, &zero, NULL);
			if (k > 0)
				n += sep_filter(ep, evs + n, k, &drive);
		}
	} else {
		n = -1;
	}
	sepoll_put(ep);
	shim_unlock(in);
	if (n < 0)
		errno = -rc;
	return n;
}

static bool is_sep(int epfd)
{
	return fd_peek(epfd) & FDT_EPOLL;
}

SHIM_EXPORT int epoll_wait(int epfd, struct epoll_event *evs, int max, int timeout)
{
	struct timespec ts = { timeout / 1000, (long)(timeout % 1000) * 1000000 };

	shim_ensure();
	if (likely(!is_sep(epfd)) || shim_inside)
		return real.epoll_wait(epfd, evs, max, timeout);
	return sep_wait(epfd, evs, max, timeout < 0 ? NULL : &ts, NULL);
}

SHIM_EXPORT int epoll_pwait(int epfd, struct epoll_event *evs, int max, int timeout,
			    const sigset_t *sigmask)
{
	struct timespec ts = { timeout / 1000, (long)(timeout % 1000) * 1000000 };

	shim_ensure();
	if (likely(!is_sep(epfd)) || shim_inside)
		return real.epoll_pwait(epfd, evs, max, timeout, sigmask);
	return sep_wait(epfd, evs, max, timeout < 0 ? NULL : &ts, sigmask);
}

SHIM_EXPORT int epoll_pwait2(int epfd, struct epoll_event *evs, int max,
			     const struct timespec *timeout, const sigset_t *sigmask)
{
	shim_ensure();
	if (!real.epoll_pwait2) {
		errno = ENOSYS;
		return -1;
	}
	if (likely(!is_sep(epfd)) || shim_inside)
		return real.epoll_pwait2(epfd, evs, max, timeout, sigmask);
	if (timeout && (timeout->tv_sec < 0 || (unsigned long)timeout->tv_nsec >= 1000000000ul)) {
		errno = EINVAL;
		return -1;
	}
	return sep_wait(epfd, evs, max, timeout, sigmask);
}

/*
 * loop.c - the stack thread (DESIGN.md "The two halves", "Who drives the
 * stack").  The one file in libos/ that knows threads and libev.
 *
 *   ev_io on each device's event fd  -> loop_pass (softirq: RX, timers, TX flush)
 *   ev_timer at the earliest core timer -> loop_pass
 *   ev_async kick (another thread changed timers or queued work) -> loop_pass
 *   ev_async stop -> ev_break
 *
 * loop_pass runs under the stack lock, the big lock (rump's) that also
 * serialises application threads' socket calls.  Devices are given to the
 * loop as plain file descriptors that become readable when they have work
 * (for AF_PACKET: the io_uring completion eventfd), so this file knows
 * neither io_uring nor any device type.
 */
#include <ev.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "alloc.h"
#include "loop.h"
#include "sock.h"
#include "stack.h"
#include "log.h"

#define LOOP_MAX_FDS 8
/* Receive passes per wake-up before timers and flush get their turn. */
#define LOOP_POLL_ROUNDS 16
#define LOOP_POLL_BUDGET 64

struct skbos_loop {
	struct stack *st;
	void (*thread_init)(void); /* first thing in the stack thread, or NULL */
	pthread_mutex_t lock;
	pthread_t thread;
	bool started;
	struct ev_loop *ev;
	ev_io io[LOOP_MAX_FDS];
	int nfds;
	ev_timer timer;
	ev_async kick;
	ev_async stop;
	ev_timer recheck;      /* while standing aside: is an app thread still driving? */
	ev_io ctl;             /* skbos-stat's control socket (ctl.c) */
	void (*ctl_cb)(void *arg);
	void *ctl_arg;
	bool standing_aside;
	int app_waiters;       /* threads blocked in a call, driving the stack (atomic) */
	ktime_t app_drove;     /* when an application thread's wait last drove the stack (atomic) */
	ktime_t armed;         /* when the ev_timer is set to fire (KTIME_MAX: not) */
	bool poll_until_dry;   /* a loopback device: frames it queued come back only by polling */
	ktime_t spin_ns;       /* SKBOS_SPIN_US: busy-poll this long before sleeping */
	u64 passes;
	u64 stack_wakeups;     /* the stack thread woke up */
	u64 app_wakeups;       /* a blocked application thread woke up */
	u64 lock_taken;        /* loop_lock calls (atomic) */
	u64 lock_contended;    /* ... that found it held or wanted (atomic) */
	int lock_users;        /* threads holding or waiting for it (atomic) */
};

/* How often the stack thread checks whether it must take over again. */
#define LOOP_RECHECK_S 0.001

/*
 * The stack lock, counted: how often a thread found it held or wanted is
 * what limits a many-threaded program on one stack (skbos-stat's
 * LoopLockContended).  lock_users counts holders and waiters; one atomic
 * each way, and no trylock before the lock.
 */
void loop_lock(struct skbos_loop *l)
{
	__atomic_add_fetch(&l->lock_taken, 1, __ATOMIC_RELAXED);
	if (__atomic_fetch_add(&l->lock_users, 1, __ATOMIC_RELAXED))
		__atomic_add_fetch(&l->lock_contended, 1, __ATOMIC_RELAXED);
	pthread_mutex_lock(&l->lock);
}

void loop_unlock(struct skbos_loop *l)
{
	pthread_mutex_unlock(&l->lock);
	__atomic_sub_fetch(&l->lock_users, 1, __ATOMIC_RELAXED);
}

/* Arm the one ev_timer for the core's earliest deadline (stack lock held). */
static void loop_arm_timer(struct skbos_loop *l)
{
	ktime_t next = stack_next_timer(l->st), now;

	ev_timer_stop(l->ev, &l->timer);
	l->armed = next;
	if (next == KTIME_MAX)
		return;
	now = stack_now(l->st);
	ev_timer_set(&l->timer, next > now ? (double)(next - now) / 1e9 : 0.0, 0.0);
	ev_timer_start(l->ev, &l->timer);
}

/*
 * Receive until the devices are dry (bounded).  With a loopback device a
 * round may queue new frames (a reply to what it delivered), so poll until a
 * round hands up nothing.  Return: true when it stopped at the bound with
 * frames still coming: no event fd will say so again (the device's eventfd
 * was read before this pass; a loopback device has none).
 */
static bool loop_rx(struct skbos_loop *l)
{
	for (int i = 0; i < LOOP_POLL_ROUNDS; i++) {
		int n = stack_poll(l->st, LOOP_POLL_BUDGET);

		if (n == 0 || (!l->poll_until_dry && n < LOOP_POLL_BUDGET))
			return false;
	}
	return true;
}

/**
 * loop_pass - one "softirq" pass with the stack lock held by the caller:
 * receive until the devices are dry (bounded), fire due timers, submit
 * batched transmits.  Any thread may run it; only the stack thread touches
 * libev (it is not thread-safe), so another thread that leaves an earlier
 * deadline behind kicks the stack thread to re-arm its timer.
 */
void loop_pass(struct skbos_loop *l)
{
	struct stack *st = l->st;
	bool more = loop_rx(l);

	stack_run_timers(st, stack_now(st));
	/* DESIGN.md "Who drives the stack": a loopback device has no event fd,
	 * so what the timers just queued on it (a delayed ACK, a retransmit, a
	 * probe) comes back in this pass, or no thread would ever poll it. */
	if (l->poll_until_dry)
		more = loop_rx(l);
	stack_xmit_flush(st);
	l->passes++;
	/* Frames left after the bounded rounds: the stack thread takes the next
	 * pass (Linux's ksoftirqd), whoever ran this one. */
	if (more)
		loop_kick(l);
}

/* After a pass on an application thread: the stack thread re-arms if needed. */
static void loop_pass_foreign(struct skbos_loop *l)
{
	loop_pass(l);
	if (stack_next_timer(l->st) < l->armed)
		loop_kick(l);
}

/* A pass on the stack thread, which then re-arms its one ev_timer. */
static void loop_locked_pass(struct skbos_loop *l)
{
	loop_lock(l);
	loop_pass(l);
	loop_arm_timer(l);
	loop_unlock(l);
}

/*
 * An application thread drives the stack: it is blocked in a call (and
 * reaps the device itself), or its waits (epoll_wait, poll, select: each
 * starts with loop_drive) came within the last LOOP_RECHECK_S, so a busy
 * event loop reaps what arrives on its next wait.  Either way a stack-thread
 * pass would only fight it for the lock, on the same CPU as often as not.
 */
static int app_waiting(struct skbos_loop *l)
{
	ktime_t drove = __atomic_load_n(&l->app_drove, __ATOMIC_RELAXED);

	return __atomic_load_n(&l->app_waiters, __ATOMIC_ACQUIRE) ||
	       (drove && stack_now(l->st) - drove < (ktime_t)(LOOP_RECHECK_S * NSEC_PER_SEC));
}

/*
 * DESIGN.md "Who drives the stack": while an application thread is blocked
 * in a call it reaps the device itself (loop_wait), so the stack thread stops
 * watching the device (it would only add a second wake-up per frame) and
 * checks back every LOOP_RECHECK_S.  Core timers stay the stack thread's.
 */
static void loop_stand_aside(struct skbos_loop *l)
{
	for (int i = 0; i < l->nfds; i++)
		ev_io_stop(l->ev, &l->io[i]);
	l->standing_aside = true;
	ev_timer_set(&l->recheck, LOOP_RECHECK_S, 0.0);
	ev_timer_start(l->ev, &l->recheck);
}

static void recheck_cb(struct ev_loop *ev, ev_timer *w, int revents)
{
	struct skbos_loop *l = ev_userdata(ev);

	(void)w;
	(void)revents;
	l->stack_wakeups++;
	if (app_waiting(l)) {
		ev_timer_set(&l->recheck, LOOP_RECHECK_S, 0.0);
		ev_timer_start(l->ev, &l->recheck);
		return;
	}
	l->standing_aside = false;
	for (int i = 0; i < l->nfds; i++)
		ev_io_start(l->ev, &l->io[i]);
	loop_locked_pass(l);
}

static void io_cb(struct ev_loop *ev, ev_io *w, int revents)
{
	struct skbos_loop *l = ev_userdata(ev);
	u64 val;

	(void)revents;
	l->stack_wakeups++;
	if (app_waiting(l)) {
		loop_stand_aside(l);
		return;
	}
	/* Clear the eventfd first: a completion after this re-signals it. */
	if (read(w->fd, &val, sizeof(val)) < 0) {
		/* EAGAIN: another thread took the signal; the pass is still useful */
	}
	loop_locked_pass(l);
}

static void timer_cb(struct ev_loop *ev, ev_timer *w, int revents)
{
	struct skbos_loop *l = ev_userdata(ev);

	(void)w;
	(void)revents;
	l->stack_wakeups++;
	loop_locked_pass(l);
}

static void kick_cb(struct ev_loop *ev, ev_async *w, int revents)
{
	struct skbos_loop *l = ev_userdata(ev);

	(void)w;
	(void)revents;
	l->stack_wakeups++;
	loop_locked_pass(l);
}

/* ---- blocking calls: the thread that waits drives the stack ----------------- */

static __thread int loop_thread_efd = -1;

static int loop_thread_eventfd(void)
{
	if (loop_thread_efd < 0)
		loop_thread_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return loop_thread_efd;
}

/**
 * loop_forget_after_fork - in a child of fork: the forking thread's wait
 * eventfd is the parent thread's kernel object (a wake-up meant for one
 * would be taken by the other); close the copy, a new one comes on demand.
 */
void loop_forget_after_fork(void)
{
	if (loop_thread_efd >= 0)
		close(loop_thread_efd);
	loop_thread_efd = -1;
}

/* Every fd waited on here is a (non-semaphore) eventfd: one read takes the
 * whole count, so a second read would only be a wasted system call. */
static void drain_fd(int fd)
{
	u64 val;

	if (read(fd, &val, sizeof(val)) < 0) {
		/* EAGAIN: nothing was signalled */
	}
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/** loop_set_spin - SKBOS_SPIN_US: blocking calls busy-poll @us first. */
void loop_set_spin(struct skbos_loop *l, unsigned int us)
{
	l->spin_ns = (ktime_t)us * NSEC_PER_USEC;
}

/** loop_spin_until - when a blocking call that starts now stops spinning (0: never spins). */
ktime_t loop_spin_until(struct skbos_loop *l)
{
	return l->spin_ns ? stack_now(l->st) + l->spin_ns : 0;
}

/**
 * loop_spin - busy polling (SKBOS_SPIN_US; Onload's EF_POLL_USEC, Linux's
 * busy_read): instead of sleeping, watch the devices' rings with the stack
 * lock released until something arrives, *@woken (if given) is set by
 * another thread, a core timer is due or @until passes.  Trades a CPU for
 * the two wake-ups (device -> thread) a sleep costs.  Stack lock held on
 * entry and return.  Return: true when there is something to do now.
 */
bool loop_spin(struct skbos_loop *l, ktime_t until, const bool *woken)
{
	struct stack *st = l->st;
	ktime_t next = stack_next_timer(st);
	bool hit = false;

	if (next < until)
		until = next;
	loop_unlock(l);
	do {
		if (stack_rx_pending(st) || (woken && __atomic_load_n(woken, __ATOMIC_ACQUIRE))) {
			hit = true;
			break;
		}
		cpu_relax();
	} while (stack_now(st) < until);
	loop_lock(l);
	return hit || stack_now(st) >= next;
}

/*
 * The stack_wait_ops of a running process: sleep on this thread's eventfd
 * (wake-ups from other threads' or the stack's events) and the devices'
 * event fds (frames: this thread reaps them itself), with the stack lock
 * released; on waking, run a pass and let the caller re-check.
 */
static int loop_wait(struct stack *st, struct stack_waiter *w, ktime_t deadline)
{
	struct skbos_loop *l = st->wait_priv;
	struct pollfd pfd[LOOP_MAX_FDS + 1];
	int efd = loop_thread_eventfd(), n = 0, rc = 0;
	ktime_t spin_until = loop_spin_until(l);

	if (efd < 0)
		return -ENOMEM;
	/* No drain first: a signal left from an earlier wait (rare since
	 * loop_wake skips the waiter's own thread) costs one extra turn. */
	w->driver = (void *)(intptr_t)(efd + 1);
	pfd[n++] = (struct pollfd){ .fd = efd, .events = POLLIN };
	for (int i = 0; i < l->nfds; i++)
		pfd[n++] = (struct pollfd){ .fd = l->io[i].fd, .events = POLLIN };
	__atomic_add_fetch(&l->app_waiters, 1, __ATOMIC_RELEASE);
	for (;;) {
		ktime_t now, next;
		int timeout_ms, r, err;

		loop_pass_foreign(l);
		if (w->woken)
			break;
		now = stack_now(st);
		if (now >= deadline) {
			rc = -ETIMEDOUT;
			break;
		}
		next = stack_next_timer(st) < deadline ? stack_next_timer(st) : deadline;
		if (now < spin_until && loop_spin(l, spin_until < deadline ? spin_until : deadline, &w->woken))
			continue;
		timeout_ms = next == KTIME_MAX ? -1 : (int)((next - now + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC);
		loop_unlock(l);
		r = poll(pfd, (nfds_t)n, timeout_ms);
		err = errno;
		for (int i = 0; r > 0 && i < n; i++)
			if (pfd[i].revents & POLLIN)
				drain_fd(pfd[i].fd);
		loop_lock(l);
		l->app_wakeups++;
		if (r < 0 && err == EINTR) {
			rc = -EINTR;
			break;
		}
	}
	__atomic_sub_fetch(&l->app_waiters, 1, __ATOMIC_RELEASE);
	w->driver = NULL;
	return rc;
}

static void loop_wake(struct stack *st, struct stack_waiter *w)
{
	u64 one = 1;
	intptr_t efd = (intptr_t)w->driver - 1;

	(void)st;
	/* A waiter woken by its own pass is awake: it checks w->woken next. */
	if (efd == loop_thread_efd)
		return;
	if (efd >= 0 && write((int)efd, &one, sizeof(one)) < 0) {
		/* the counter cannot overflow in practice; nothing to do */
	}
}

/* skbos-stat's counters of the driver (stack lock held). */
static void loop_report(const struct stack *st, FILE *out)
{
	const struct skbos_loop *l = st->wait_priv;

	fprintf(out, "%-31s %llu\n", "LoopPasses", (unsigned long long)l->passes);
	fprintf(out, "%-31s %llu\n", "LoopStackWakeups", (unsigned long long)l->stack_wakeups);
	fprintf(out, "%-31s %llu\n", "LoopAppWakeups", (unsigned long long)l->app_wakeups);
	fprintf(out, "%-31s %llu\n", "LoopLockTaken",
		(unsigned long long)__atomic_load_n(&l->lock_taken, __ATOMIC_RELAXED));
	fprintf(out, "%-31s %llu\n", "LoopLockContended",
		(unsigned long long)__atomic_load_n(&l->lock_contended, __ATOMIC_RELAXED));
}

static const struct stack_wait_ops loop_wait_ops = {
	.wait = loop_wait,
	.wake = loop_wake,
	.report = loop_report,
};

/**
 * loop_after_call - an application call changed the stack (stack lock
 * held): push out what it queued, and wake the stack thread if it must
 * re-arm its timer earlier than it planned.
 */
void loop_after_call(struct skbos_loop *l)
{
	/* A loopback device's frames are delivered by the call that sent them:
	 * nothing else would poll it (it has no event fd). */
	if (l->poll_until_dry && loop_rx(l))
		loop_kick(l);
	stack_xmit_flush(l->st);
	if (stack_next_timer(l->st) < l->armed)
		loop_kick(l);
}

void loop_counters(const struct skbos_loop *l, u64 *stack_wakeups, u64 *app_wakeups)
{
	*stack_wakeups = l->stack_wakeups;
	*app_wakeups = l->app_wakeups;
}

static void ctl_cb(struct ev_loop *ev, ev_io *w, int revents)
{
	struct skbos_loop *l = ev_userdata(ev);

	(void)w;
	(void)revents;
	l->ctl_cb(l->ctl_arg);
}

/**
 * loop_watch_ctl - call @cb(@arg) on the stack thread, stack lock not held,
 * whenever @fd is readable (the control socket, ctl.c).  It is not a device:
 * the stack thread keeps watching it while it stands aside.  Before
 * loop_start.
 */
void loop_watch_ctl(struct skbos_loop *l, int fd, void (*cb)(void *arg), void *arg)
{
	l->ctl_cb = cb;
	l->ctl_arg = arg;
	ev_io_init(&l->ctl, ctl_cb, fd, EV_READ);
	ev_io_start(l->ev, &l->ctl);
}

static void stop_cb(struct ev_loop *ev, ev_async *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(ev, EVBREAK_ALL);
}

/**
 * loop_create - a driver for @st, not yet running; its thread starts with
 * @thread_init (may be NULL).  Return: it or NULL.
 */
struct skbos_loop *loop_create(struct stack *st, void (*thread_init)(void))
{
	struct skbos_loop *l = kzalloc(NULL, sizeof(*l));

	if (!l)
		return NULL;
	l->st = st;
	l->thread_init = thread_init;
	pthread_mutex_init(&l->lock, NULL);
	/* NOSIGMASK: libev must never change the application's signal mask. */
	l->ev = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOENV | EVFLAG_NOSIGMASK);
	if (!l->ev) {
		pthread_mutex_destroy(&l->lock);
		kfree(NULL, l);
		return NULL;
	}
	ev_set_userdata(l->ev, l);
	ev_timer_init(&l->timer, timer_cb, 0.0, 0.0);
	ev_async_init(&l->kick, kick_cb);
	ev_async_init(&l->stop, stop_cb);
	ev_async_start(l->ev, &l->kick);
	ev_async_start(l->ev, &l->stop);
	ev_timer_init(&l->recheck, recheck_cb, LOOP_RECHECK_S, 0.0);
	l->armed = KTIME_MAX;
	st->wait_ops = &loop_wait_ops;
	st->wait_priv = l;
	return l;
}

/**
 * loop_watch_fd - run a pass whenever @fd becomes readable (a device's event
 * fd, which the pass clears by reading 8 bytes).  Before loop_start only.
 * Return: 0 or -ENOSPC.
 */
int loop_watch_fd(struct skbos_loop *l, int fd)
{
	if (l->nfds >= LOOP_MAX_FDS)
		return -ENOSPC;
	ev_io_init(&l->io[l->nfds], io_cb, fd, EV_READ);
	ev_io_start(l->ev, &l->io[l->nfds]);
	l->nfds++;
	return 0;
}

static void *loop_thread(void *arg)
{
	struct skbos_loop *l = arg;

	if (l->thread_init)
		l->thread_init();

	loop_locked_pass(l);
	ev_run(l->ev, 0);
	return NULL;
}

/**
 * loop_start - start the stack thread, with every signal blocked so that
 * the application's signals always reach the application's own threads.
 * Return: 0 or -errno.
 */
int loop_start(struct skbos_loop *l)
{
	sigset_t all, old;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&l->thread, NULL, loop_thread, l);
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	if (err)
		return -err;
	l->started = true;
	return 0;
}

/** loop_kick - ask the stack thread for a pass (any thread, lock not needed). */
void loop_kick(struct skbos_loop *l)
{
	ev_async_send(l->ev, &l->kick);
}

/** loop_stop - stop the stack thread and wait for it. */
void loop_stop(struct skbos_loop *l)
{
	if (!l->started)
		return;
	ev_async_send(l->ev, &l->stop);
	pthread_join(l->thread, NULL);
	l->started = false;
}

void loop_destroy(struct skbos_loop *l)
{
	if (!l)
		return;
	loop_stop(l);
	l->st->wait_ops = NULL;
	l->st->wait_priv = NULL;
	ev_loop_destroy(l->ev);
	pthread_mutex_destroy(&l->lock);
	kfree(NULL, l);
}

u64 loop_passes(const struct skbos_loop *l)
{
	return l->passes;
}

/* ---- waits outside loop_wait: the shim's epoll/poll/select (preload/) ------- */

/**
 * loop_set_poll_until_dry - the stack has a loopback device: every call's
 * loop_after_call delivers what the call queued on it, and a pass polls
 * until no device hands up a frame.  Before loop_start.
 */
void loop_set_poll_until_dry(struct skbos_loop *l, bool on)
{
	l->poll_until_dry = on;
}

/**
 * loop_device_fds - the devices' event fds (readable when a device has
 * work), for a waiter that sleeps on them beside its own fds.
 * Return: how many were stored in @fds (at most @max).
 */
int loop_device_fds(const struct skbos_loop *l, int *fds, int max)
{
	int n = 0;

	for (int i = 0; i < l->nfds && n < max; i++)
		fds[n++] = l->io[i].fd;
	return n;
}

/**
 * loop_drive - a thread that woke from a wait drives the stack (stack lock
 * held): receive until dry, due timers, flush transmits.  The ev_timer is
 * the stack thread's to arm; if the core's earliest timer moved earlier
 * than it is armed for, the stack thread is kicked to re-arm it.
 */
void loop_drive(struct skbos_loop *l)
{
	struct stack *st = l->st;

	loop_pass_foreign(l);
	l->app_wakeups++;
	__atomic_store_n(&l->app_drove, stack_now(st), __ATOMIC_RELAXED);
}

/**
 * loop_app_wait_begin - a thread is about to sleep with the device event
 * fds in its set (an epoll_wait/poll/select over skbos sockets): like
 * loop_wait, the stack thread stands aside while it does.  Any thread.
 */
void loop_app_wait_begin(struct skbos_loop *l)
{
	__atomic_add_fetch(&l->app_waiters, 1, __ATOMIC_RELEASE);
}

/** loop_app_wait_end - the sleep of loop_app_wait_begin is over. */
void loop_app_wait_end(struct skbos_loop *l)
{
	__atomic_sub_fetch(&l->app_waiters, 1, __ATOMIC_RELEASE);
}

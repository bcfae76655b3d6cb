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
#include <errno.h>
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
_Static_assert(LOOP_WAIT_EXTRA >= LOOP_MAX_FDS + 1, "a wait's pollfds: the eventfd and every device");
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
	ev_io ctl[LOOP_MAX_CTL]; /* skbos-stat's control socket (ctl.c), the shim's fork channels */
	void (*ctl_cb[LOOP_MAX_CTL])(void *arg);
	void *ctl_arg[LOOP_MAX_CTL];
	int nctl;
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
 * An application thread drives the stack: it is in a wait (loop_wait_fds:
 * a blocking call, epoll_wait, poll, select; it reaps the device itself), or
 * its last wait drove the stack within the last LOOP_RECHECK_S, so a busy
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
 * in a wait it reaps the device itself (loop_wait_fds), so the stack thread stops
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

/* ---- the one wait: the thread that waits drives the stack ------------------ */

static __thread int loop_thread_efd = -1;

/**
 * loop_thread_eventfd - this thread's wake-up eventfd, made on first use:
 * every wait of the thread (a blocking call, poll, select) sleeps on it and
 * loop_wake writes it.  Return: the fd, or -1 if none can be made.
 */
int loop_thread_eventfd(void)
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

static void (*loop_sleep_hook)(bool asleep);

/**
 * loop_set_sleep_hook - call @fn(true) before every wait's sleep (stack lock
 * released) and @fn(false) after it, before the lock is taken again: the
 * LD_PRELOAD shim leaves "inside skbos" meanwhile, so a signal handler's
 * calls are the program's.
 */
void loop_set_sleep_hook(void (*fn)(bool asleep))
{
	loop_sleep_hook = fn;
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

/*
 * Busy polling (SKBOS_SPIN_US; Onload's EF_POLL_USEC, Linux's busy_read):
 * instead of sleeping, watch the devices' rings with the stack lock released
 * until something arrives, *@woken (if given) is set by another thread, a
 * core timer is due or @until passes.  Trades a CPU for the two wake-ups
 * (device -> thread) a sleep costs.  Stack lock held on entry and return.
 * Return: true when there is something to do now.
 */
static bool loop_spin(struct skbos_loop *l, ktime_t until, const bool *woken)
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
 * A waiting thread drives the stack (stack lock held): receive until dry,
 * due timers, flush transmits.  The ev_timer is the stack thread's to arm;
 * if the core's earliest timer moved earlier than it is armed for, the
 * stack thread is kicked to re-arm it.  The time is noted for app_waiting:
 * an event loop between two waits reaps what arrives on its next one.
 */
static void loop_drive(struct skbos_loop *l)
{
	loop_pass_foreign(l);
	__atomic_store_n(&l->app_drove, stack_now(l->st), __ATOMIC_RELAXED);
}

/*
 * The sleep of a wait without its own: one ppoll on the caller's kernel
 * fds, this thread's eventfd @efd and the devices' event fds, with the
 * caller's signal mask.  Stack lock released.  Return: the caller's kernel
 * fds that are ready (their revents set), or -errno; *@drive: run a pass.
 */
static int loop_sleep_ppoll(struct skbos_loop *l, struct loop_wait *lw, int efd,
			    const struct timespec *timeout, bool *drive)
{
	struct pollfd own[LOOP_WAIT_EXTRA], *pfd = lw->kfds ? lw->kfds : own;
	nfds_t n = lw->kfds ? lw->nkfds : 0, first = n;
	int r, ready = 0;

	pfd[n++] = (struct pollfd){ .fd = efd, .events = POLLIN };
	for (int i = 0; i < l->nfds; i++)
		pfd[n++] = (struct pollfd){ .fd = l->io[i].fd, .events = POLLIN };
	r = ppoll(pfd, n, timeout, lw->sigmask);
	if (r < 0)
		return -errno;
	for (nfds_t i = first; r > 0 && i < n; i++)
		if (pfd[i].revents & POLLIN)
			drain_fd(pfd[i].fd);
	for (nfds_t i = 0; r > 0 && i < first; i++)
		ready += pfd[i].fd >= 0 && pfd[i].revents;
	/* as a blocking call always did: whatever woke it, a pass comes next */
	*drive = true;
	return ready;
}

/* When a wait that starts now stops spinning (0: it never spins). */
static ktime_t loop_spin_until(struct skbos_loop *l)
{
	return l->spin_ns ? stack_now(l->st) + l->spin_ns : 0;
}

static struct timespec ktime_to_timespec(ktime_t ns)
{
	return (struct timespec){ .tv_sec = (time_t)(ns / NSEC_PER_SEC),
				  .tv_nsec = (long)(ns % NSEC_PER_SEC) };
}

/* Sleep once with the stack lock released.  Return: as loop_sleep_ppoll. */
static int loop_sleep(struct skbos_loop *l, struct loop_wait *lw, int efd, ktime_t until, bool *drive)
{
	ktime_t now = stack_now(l->st);
	struct timespec ts = ktime_to_timespec(until > now ? until - now : 0);
	const struct timespec *timeout = until == KTIME_MAX ? NULL : &ts;
	int k;

	loop_unlock(l);
	if (loop_sleep_hook)
		loop_sleep_hook(true);
	if (lw->sleep)
		k = lw->sleep(lw->arg, timeout, lw->sigmask, drive);
	else
		k = loop_sleep_ppoll(l, lw, efd, timeout, drive);
	if (loop_sleep_hook)
		loop_sleep_hook(false);
	loop_lock(l);
	l->app_wakeups++;
	return k;
}

/**
 * loop_wait_fds - the one wait of every call that blocks (DESIGN.md "Who
 * drives the stack"): a blocking socket call, poll/ppoll/select, epoll_wait
 * and skbos_poll.  Until @lw->scan says the wait is over: drive the stack
 * (the thread that waits reaps the devices itself), scan, spin
 * (SKBOS_SPIN_US, if @lw->spin), then sleep with the stack lock released on
 * @lw's kernel fds, this thread's eventfd (@lw->w is woken through it) and
 * the devices' event fds, or in @lw->sleep.  The stack thread stands aside
 * for the whole wait.  Stack lock held on entry and return.
 * Return: the scan's nonzero value; 0 with @lw->nkernel set when kernel
 * fds or events are ready (the stack was driven since: the caller scans
 * once more); -ETIMEDOUT at @lw->deadline; -EINTR; -errno.
 */
int loop_wait_fds(struct skbos_loop *l, struct loop_wait *lw)
{
	struct stack *st = l->st;
	struct stack_waiter *w = lw->w;
	ktime_t spin_until = lw->spin ? loop_spin_until(l) : 0;
	bool drive = lw->drive;
	int efd = -1, rc;

	lw->nkernel = 0;
	if (!lw->sleep && (efd = loop_thread_eventfd()) < 0)
		return -ENOMEM;
	if (w)
		w->driver = (void *)(intptr_t)(efd + 1);
	__atomic_add_fetch(&l->app_waiters, 1, __ATOMIC_RELEASE);
	for (;;) {
		ktime_t now, until = lw->deadline;

		if (drive)
			loop_drive(l);
		drive = false;
		if ((rc = lw->scan(lw->arg)))
			break;
		now = stack_now(st);
		if (now >= lw->deadline) {
			rc = -ETIMEDOUT;
			break;
		}
		if (now < spin_until &&
		    loop_spin(l, spin_until < lw->deadline ? spin_until : lw->deadline, w ? &w->woken : NULL)) {
			drive = true;
			continue;
		}
		if (lw->timers && stack_next_timer(st) < until)
			until = stack_next_timer(st);
		rc = loop_sleep(l, lw, efd, until, &drive);
		if (rc < 0)
			break;
		if (rc > 0) {
			lw->nkernel = rc;
			if (drive)
				loop_drive(l);
			rc = 0;
			break;
		}
	}
	__atomic_sub_fetch(&l->app_waiters, 1, __ATOMIC_RELEASE);
	if (w)
		w->driver = NULL;
	return rc;
}

static int waiter_is_woken(void *arg)
{
	const struct stack_waiter *w = arg;

	return w->woken;
}

/*
 * The stack_wait_ops of a running process: a blocking call waits for its
 * waiter to be woken.  It also wakes at the stack's next timer and runs it:
 * its own retransmission or keepalive may be what it waits for.
 */
static int loop_wait(struct stack *st, struct stack_waiter *w, ktime_t deadline)
{
	struct loop_wait lw = {
		.w = w, .scan = waiter_is_woken, .arg = w, .deadline = deadline,
		.spin = true, .timers = true, .drive = true,
	};
	int rc = loop_wait_fds(st->wait_priv, &lw);

	return rc > 0 ? 0 : rc;
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
	.restart = loop_restartable, /* sigrestart.c */
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
	int i = (int)(w - l->ctl);

	(void)revents;
	l->ctl_cb[i](l->ctl_arg[i]);
}

/**
 * loop_watch_ctl - call @cb(@arg) on the stack thread, stack lock not held,
 * whenever @fd is readable (the control socket, ctl.c; the shim's channel
 * of inherited connections).  It is not a device: the stack thread keeps
 * watching it while it stands aside.  Before loop_start.
 * Return: 0, or -ENOSPC with LOOP_MAX_CTL watched already.
 */
int loop_watch_ctl(struct skbos_loop *l, int fd, void (*cb)(void *arg), void *arg)
{
	int i = l->nctl;

	if (i >= LOOP_MAX_CTL)
		return -ENOSPC;
	l->ctl_cb[i] = cb;
	l->ctl_arg[i] = arg;
	ev_io_init(&l->ctl[i], ctl_cb, fd, EV_READ);
	ev_io_start(l->ev, &l->ctl[i]);
	l->nctl++;
	return 0;
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
 * work), for an epoll set that sleeps on them beside its own fds.
 * Return: how many were stored in @fds (at most @max).
 */
int loop_device_fds(const struct skbos_loop *l, int *fds, int max)
{
	int n = 0;

	for (int i = 0; i < l->nfds && n < max; i++)
		fds[n++] = l->io[i].fd;
	return n;
}

/** loop_deadline - @ts from now on the stack clock (KTIME_MAX: none, or too far to matter). */
ktime_t loop_deadline(const struct skbos_loop *l, const struct timespec *ts)
{
	ktime_t now = stack_now(l->st);

	if (!ts)
		return KTIME_MAX;
	if ((u64)ts->tv_sec >= (KTIME_MAX - now) / NSEC_PER_SEC - 1)
		return KTIME_MAX;
	return now + (ktime_t)ts->tv_sec * NSEC_PER_SEC + (ktime_t)ts->tv_nsec;
}

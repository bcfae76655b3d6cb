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
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "loop.h"
#include "stack.h"
#include "log.h"

#define LOOP_MAX_FDS 8
/* Receive passes per wake-up before timers and flush get their turn. */
#define LOOP_POLL_ROUNDS 16
#define LOOP_POLL_BUDGET 64

struct skbos_loop {
	struct stack *st;
	pthread_mutex_t lock;
	pthread_t thread;
	bool started;
	struct ev_loop *ev;
	ev_io io[LOOP_MAX_FDS];
	int nfds;
	ev_timer timer;
	ev_async kick;
	ev_async stop;
	u64 passes;
};

void loop_lock(struct skbos_loop *l)
{
	pthread_mutex_lock(&l->lock);
}

void loop_unlock(struct skbos_loop *l)
{
	pthread_mutex_unlock(&l->lock);
}

/* Arm the one ev_timer for the core's earliest deadline (stack lock held). */
static void loop_arm_timer(struct skbos_loop *l)
{
	ktime_t next = stack_next_timer(l->st), now;

	ev_timer_stop(l->ev, &l->timer);
	if (next == KTIME_MAX)
		return;
	now = stack_now(l->st);
	ev_timer_set(&l->timer, next > now ? (double)(next - now) / 1e9 : 0.0, 0.0);
	ev_timer_start(l->ev, &l->timer);
}

/**
 * loop_pass - one "softirq" pass with the stack lock held by the caller:
 * receive until the devices are dry (bounded), fire due timers, submit
 * batched transmits, re-arm the timer.
 */
void loop_pass(struct skbos_loop *l)
{
	struct stack *st = l->st;

	for (int i = 0; i < LOOP_POLL_ROUNDS; i++)
		if (stack_poll(st, LOOP_POLL_BUDGET) < LOOP_POLL_BUDGET)
			break;
	stack_run_timers(st, stack_now(st));
	stack_xmit_flush(st);
	l->passes++;
	if (l->ev)
		loop_arm_timer(l);
}

static void loop_locked_pass(struct skbos_loop *l)
{
	loop_lock(l);
	loop_pass(l);
	loop_unlock(l);
}

static void io_cb(struct ev_loop *ev, ev_io *w, int revents)
{
	struct skbos_loop *l = ev_userdata(ev);
	u64 val;

	(void)revents;
	/* Clear the eventfd first: a completion after this re-signals it. */
	if (read(w->fd, &val, sizeof(val)) < 0) {
		/* EAGAIN: another thread took the signal; the pass is still useful */
	}
	loop_locked_pass(l);
}

static void timer_cb(struct ev_loop *ev, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	loop_locked_pass(ev_userdata(ev));
}

static void kick_cb(struct ev_loop *ev, ev_async *w, int revents)
{
	(void)w;
	(void)revents;
	loop_locked_pass(ev_userdata(ev));
}

static void stop_cb(struct ev_loop *ev, ev_async *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(ev, EVBREAK_ALL);
}

/** loop_create - a driver for @st, not yet running.  Return: it or NULL. */
struct skbos_loop *loop_create(struct stack *st)
{
	struct skbos_loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->st = st;
	pthread_mutex_init(&l->lock, NULL);
	/* NOSIGMASK: libev must never change the application's signal mask. */
	l->ev = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOENV | EVFLAG_NOSIGMASK);
	if (!l->ev) {
		pthread_mutex_destroy(&l->lock);
		free(l);
		return NULL;
	}
	ev_set_userdata(l->ev, l);
	ev_timer_init(&l->timer, timer_cb, 0.0, 0.0);
	ev_async_init(&l->kick, kick_cb);
	ev_async_init(&l->stop, stop_cb);
	ev_async_start(l->ev, &l->kick);
	ev_async_start(l->ev, &l->stop);
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
	ev_loop_destroy(l->ev);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

u64 loop_passes(const struct skbos_loop *l)
{
	return l->passes;
}

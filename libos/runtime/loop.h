/*
 * loop.h - the driver that makes the deterministic core live in a process
 * (DESIGN.md "The two halves"): one stack thread running a libev loop, and
 * the stack lock every thread takes before touching the core.
 */
#ifndef SKBOS_LOOP_H
#define SKBOS_LOOP_H

#include <poll.h>
#include <signal.h>
#include <time.h>

#include "types.h"

struct stack;
struct skbos_loop;
struct stack_waiter;

struct skbos_loop *loop_create(struct stack *st, void (*thread_init)(void));
int loop_watch_fd(struct skbos_loop *l, int fd);
#define LOOP_MAX_CTL 2
int loop_watch_ctl(struct skbos_loop *l, int fd, void (*cb)(void *arg), void *arg);
int loop_start(struct skbos_loop *l);
void loop_stop(struct skbos_loop *l);
void loop_destroy(struct skbos_loop *l);
void loop_lock(struct skbos_loop *l);
void loop_unlock(struct skbos_loop *l);
void loop_kick(struct skbos_loop *l);
void loop_pass(struct skbos_loop *l);
u64 loop_passes(const struct skbos_loop *l);
void loop_after_call(struct skbos_loop *l);
void loop_counters(const struct skbos_loop *l, u64 *stack_wakeups, u64 *app_wakeups);

/*
 * struct loop_wait - one wait-while-driving (loop_wait_fds): what ends it,
 * what it sleeps on beside this thread's eventfd and the devices.
 * @w: a waiter on sockets' wait queues (woken through this thread's
 *	eventfd; the spin watches @w->woken), or NULL
 * @scan: stack lock held: nonzero when the wait is over (the return value)
 * @sleep: the sleep itself, if not the default ppoll (an epoll set that
 *	holds the devices' fds): stack lock released; sets *@drive when a
 *	device fired.  Return: kernel events ready, or -errno
 * @kfds: the caller's kernel fds (fd -1: none), with room for
 *	LOOP_WAIT_EXTRA more entries after @nkfds; NULL: none
 * @deadline: stack clock; KTIME_MAX: none
 * @sigmask: the signal mask during the sleep (ppoll's, epoll_pwait's), or NULL
 * @spin: SKBOS_SPIN_US applies (no kernel fd the spin would keep waiting)
 * @timers: sleep no longer than until the stack's next timer
 * @drive: drive the stack before the first scan
 * @nkernel: out: how many kernel fds or events are ready
 */
struct loop_wait {
	struct stack_waiter *w;
	int (*scan)(void *arg);
	int (*sleep)(void *arg, const struct timespec *timeout, const sigset_t *sigmask, bool *drive);
	void *arg;
	struct pollfd *kfds;
	nfds_t nkfds;
	ktime_t deadline;
	const sigset_t *sigmask;
	bool spin, timers, drive;
	int nkernel;
};
#define LOOP_WAIT_EXTRA 9

int loop_wait_fds(struct skbos_loop *l, struct loop_wait *lw);
int loop_thread_eventfd(void);
ktime_t loop_deadline(const struct skbos_loop *l, const struct timespec *ts);
bool loop_restartable(struct stack *st); /* sigrestart.c */
void loop_forget_after_fork(void);
void loop_set_sleep_hook(void (*fn)(bool asleep));
void loop_set_poll_until_dry(struct skbos_loop *l, bool on);
void loop_set_spin(struct skbos_loop *l, unsigned int us);
int loop_device_fds(const struct skbos_loop *l, int *fds, int max);

#endif /* SKBOS_LOOP_H */

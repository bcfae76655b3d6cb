/*
 * loop.h - the driver that makes the deterministic core live in a process
 * (DESIGN.md "The two halves"): one stack thread running a libev loop, and
 * the stack lock every thread takes before touching the core.
 */
#ifndef SKBOS_LOOP_H
#define SKBOS_LOOP_H

#include "types.h"

struct stack;
struct skbos_loop;

struct skbos_loop *loop_create(struct stack *st, void (*thread_init)(void));
int loop_watch_fd(struct skbos_loop *l, int fd);
void loop_watch_ctl(struct skbos_loop *l, int fd, void (*cb)(void *arg), void *arg);
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

/* For waits outside loop_wait (the LD_PRELOAD shim's epoll/poll/select). */
void loop_forget_after_fork(void);
void loop_set_poll_until_dry(struct skbos_loop *l, bool on);
void loop_set_spin(struct skbos_loop *l, unsigned int us);
ktime_t loop_spin_until(struct skbos_loop *l);
bool loop_spin(struct skbos_loop *l, ktime_t until, const bool *woken);
int loop_device_fds(const struct skbos_loop *l, int *fds, int max);
void loop_drive(struct skbos_loop *l);
void loop_app_wait_begin(struct skbos_loop *l);
void loop_app_wait_end(struct skbos_loop *l);

#endif /* SKBOS_LOOP_H */

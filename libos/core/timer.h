/*
 * timer.h - the stack's timers (struct timer_list, mod_timer, del_timer).
 *
 * A stack holds tens of thousands of timers (retransmit, delayed ACK,
 * keepalive, TIME_WAIT per connection; neighbour and reassembly timers), most
 * of which are re-armed or cancelled long before they fire.  They live in an
 * intrusive pairing heap keyed on (expires, seq): arming is O(1), cancelling
 * and firing O(log n) amortised, the next deadline O(1) (what the driver arms
 * its one ev_timer with), and nothing is ever allocated, so arming a timer can
 * never fail.  seq makes timers with equal deadlines fire in the order they
 * were armed, which keeps the core deterministic.
 *
 * Time is the stack's (stack_now()); stack_run_timers() is the only place
 * timers fire.  See timer.c for the virtual-time rules tests rely on.
 */
#ifndef SKBOS_TIMER_H
#define SKBOS_TIMER_H

#include "types.h"

struct stack;
struct timer_list;

typedef void (*timer_fn)(struct timer_list *t);

/**
 * struct timer_list - one timer, embedded in its owner.
 * @expires: deadline in stack-clock nanoseconds
 * @function: called from stack_run_timers() once due; it may re-arm
 * @stack: the stack whose clock and heap the timer uses
 * @child/@sibling/@prev: pairing-heap links (@prev is the parent for a first
 *	child); @prev == NULL and not the root means "not pending"
 */
struct timer_list {
	ktime_t expires;
	u64 seq;
	ktime_t armed_at;
	timer_fn function;
	struct stack *stack;
	struct timer_list *child;
	struct timer_list *sibling;
	struct timer_list *prev;
	bool pending;
};

/** struct timer_base - the heap of pending timers of one stack. */
struct timer_base {
	struct timer_list *root;
	u64 next_seq;
	u32 count;
	bool running;
};

#define from_timer(var, timer, field) container_of(timer, __typeof__(*var), field)

void timer_setup(struct stack *st, struct timer_list *t, timer_fn fn);
int mod_timer(struct timer_list *t, ktime_t expires);
int del_timer(struct timer_list *t);
ktime_t timer_base_next(const struct timer_base *base);

static inline bool timer_pending(const struct timer_list *t)
{
	return t->pending;
}

#endif /* SKBOS_TIMER_H */

/*
 * clock.h - the stack's clock (clock.c): CLOCK_MONOTONIC, or a manual clock
 * for tests.  The timers (timer.c) read it and, on a manual clock, step it
 * to each deadline they fire; the clock knows nothing of timers.
 */
#ifndef SKBOS_CLOCK_H
#define SKBOS_CLOCK_H

#include "types.h"

struct stack;

ktime_t stack_now(const struct stack *st);
ktime_t stack_real_time(const struct stack *st, ktime_t t);
void stack_clock_set_manual(struct stack *st, ktime_t start);
void stack_clock_advance(struct stack *st, ktime_t t);

#endif /* SKBOS_CLOCK_H */

/*
 * clock.c - the stack's clock: CLOCK_MONOTONIC in a real process, or a
 * manual clock that only moves when stack_run_timers() is told a later time
 * (tests, and the deterministic core DESIGN.md describes).
 */
#include <time.h>

#include "clock.h"
#include "stack.h"

/** stack_now - the stack's current time in nanoseconds. */
ktime_t stack_now(const struct stack *st)
{
	struct timespec ts;

	if (st->clock_manual)
		return st->clock_now;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ktime_t)ts.tv_sec * NSEC_PER_SEC + (ktime_t)ts.tv_nsec;
}

/**
 * stack_real_time - @t (a stack_now() time) as CLOCK_REALTIME nanoseconds,
 * what SO_TIMESTAMP reports; a manual clock's times are returned as they are.
 */
ktime_t stack_real_time(const struct stack *st, ktime_t t)
{
	struct timespec mono, real;

	if (st->clock_manual)
		return t;
	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	return t + ((ktime_t)real.tv_sec - (ktime_t)mono.tv_sec) * NSEC_PER_SEC +
	       ((ktime_t)real.tv_nsec - (ktime_t)mono.tv_nsec);
}

/**
 * stack_clock_set_manual - from now on time moves only through
 * stack_run_timers(); it starts at @start.  Set before any timer is armed.
 */
void stack_clock_set_manual(struct stack *st, ktime_t start)
{
	st->clock_manual = true;
	st->clock_now = start;
}

/**
 * stack_clock_advance - a manual clock moves forward to @t (never back); a
 * real clock ignores it.  The timers step it so that a handler sees the
 * time it was due.
 */
void stack_clock_advance(struct stack *st, ktime_t t)
{
	if (st->clock_manual && t > st->clock_now)
		st->clock_now = t;
}

/*
 * world.c - the virtual-time driver for multi-stack tests (world.h).
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "world.h"
#include "sock.h"
#include "ip.h"
#include "ipv6.h"

/* A world that never settles is a livelock in the stack: fail loudly. */
#define WORLD_MAX_ROUNDS 1000000
#define WORLD_MAX_EVENTS 10000000

static ktime_t world_next_event(const struct world *w);

/*
 * Blocking calls on a world's stacks: time jumps from event to event until
 * the waiter is woken or its deadline passes (stack_wait_ops, sock.h).
 */
static int world_wait(struct stack *st, struct stack_waiter *waiter, ktime_t deadline)
{
	struct world *w = st->wait_priv;

	for (long ev = 0; ev < WORLD_MAX_EVENTS; ev++) {
		ktime_t next;

		world_run(w);
		if (waiter->woken)
			return 0;
		next = world_next_event(w);
		if (next > deadline) {
			cr_assert(ne(u64, deadline, KTIME_MAX), "a blocking call would wait forever");
			w->now = deadline;
			world_run(w);
			return waiter->woken ? 0 : -ETIMEDOUT;
		}
		if (next > w->now)
			w->now = next;
	}
	cr_fatal("world_wait: no progress after %d events", WORLD_MAX_EVENTS);
	return -ETIMEDOUT;
}

static void world_wake(struct stack *st, struct stack_waiter *waiter)
{
	(void)st;
	(void)waiter;
}

static const struct stack_wait_ops world_wait_ops = { .wait = world_wait, .wake = world_wake };

/**
 * world_add_stack - one more stack on the world's clock, with deterministic
 * ports and IDs.  Return: 0, or -ENOMEM (fault injection tests expect it).
 */
int world_add_stack(struct world *w)
{
	struct stack *st;

	cr_assert(w->n < WORLD_MAX_STACKS);
	st = stack_new(&(struct stack_params){ .families = inet6_families, .failslab = w->failslab });
	if (!st)
		return -ENOMEM;
	stack_clock_set_manual(st, w->now);
	st->wait_ops = &world_wait_ops;
	st->wait_priv = w;
	st->rand_state = 0x5eed0000u + (u64)w->n;
	w->st[w->n++] = st;
	return 0;
}

void world_init(struct world *w, int nstacks)
{
	cr_assert(nstacks > 0 && nstacks <= WORLD_MAX_STACKS);
	memset(w, 0, sizeof(*w));
	w->now = WORLD_T0;
	for (int i = 0; i < nstacks; i++)
		cr_assert(eq(int, world_add_stack(w), 0));
}

/**
 * world_fini - free every stack, and fail the test if one of them still had
 * an skb or data buffer in use once its devices and sockets were gone.
 */
void world_fini(struct world *w)
{
	long leaked[WORLD_MAX_STACKS];
	int n = w->n;

	for (int i = 0; i < n; i++)
		leaked[i] = stack_free(w->st[i]);
	w->n = 0;
	for (int i = 0; i < n; i++)
		cr_assert(eq(long, leaked[i], 0), "stack %d freed with skbs or data buffers in use", i);
}

/** world_run - poll every stack until nothing moves.  Return: frames moved. */
int world_run(struct world *w)
{
	int total = 0, moved;

	for (int round = 0; round < WORLD_MAX_ROUNDS; round++) {
		moved = 0;
		for (int i = 0; i < w->n; i++) {
			moved += stack_run_timers(w->st[i], w->now);
			moved += stack_poll(w->st[i], 64);
		}
		if (!moved)
			return total;
		total += moved;
	}
	cr_fatal("world_run: stacks did not settle after %d rounds", WORLD_MAX_ROUNDS);
	return total;
}

static ktime_t world_next_event(const struct world *w)
{
	ktime_t next = KTIME_MAX;

	for (int i = 0; i < w->n; i++) {
		ktime_t t = stack_next_timer(w->st[i]);

		if (t < next)
			next = t;
	}
	return next;
}

/** world_advance - move virtual time forward by @delta, event by event. */
void world_advance(struct world *w, ktime_t delta)
{
	ktime_t target = w->now + delta;

	world_run(w);
	for (long ev = 0; ev < WORLD_MAX_EVENTS; ev++) {
		ktime_t next = world_next_event(w);

		if (next > target)
			break;
		if (next > w->now)
			w->now = next;
		world_run(w);
	}
	w->now = target;
	world_run(w);
}

void world_advance_ms(struct world *w, u64 ms)
{
	world_advance(w, ms * NSEC_PER_MSEC);
}

/** world_assert_no_leaks - every skb and data buffer of every stack is free. */
void world_assert_no_leaks(const struct world *w)
{
	for (int i = 0; i < w->n; i++) {
		cr_assert(eq(long, w->st[i]->skb_in_use, 0), "stack %d leaks skbs", i);
		cr_assert(eq(long, w->st[i]->data_in_use, 0), "stack %d leaks data", i);
	}
}

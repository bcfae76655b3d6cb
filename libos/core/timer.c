/*
 * timer.c - the stack's timers: an intrusive pairing heap (see timer.h).
 *
 * Fredman, Sedgewick, Sleator, Tarjan, "The pairing heap: a new form of
 * self-adjusting heap" (1986): insert and meld O(1), delete-min and delete
 * O(log n) amortised.  Nodes are the timers themselves; no allocation.
 *
 * Firing rules (stack_run_timers):
 *  - due timers fire in (expires, seq) order;
 *  - on a manual clock the clock steps to each timer's deadline before its
 *    function runs, so a handler sees the time it was due (discrete-event
 *    simulation: one advance of 10 s fires an RTO backoff series exactly);
 *  - a timer armed during a run for a deadline not after the moment it was
 *    armed ("now or in the past") waits for the next run, as a Linux timer
 *    armed in the past fires on the next tick.  That bounds every run.
 */
#include "timer.h"
#include "clock.h"
#include "stack.h"

static bool timer_less(const struct timer_list *a, const struct timer_list *b)
{
	return a->expires < b->expires || (a->expires == b->expires && a->seq < b->seq);
}

/* Join two heaps; both roots must be detached (no prev, no sibling). */
static struct timer_list *heap_meld(struct timer_list *a, struct timer_list *b)
{
	struct timer_list *tmp;

	if (!a)
		return b;
	if (!b)
		return a;
	if (timer_less(b, a)) {
		tmp = a;
		a = b;
		b = tmp;
	}
	b->prev = a;
	b->sibling = a->child;
	if (a->child)
		a->child->prev = b;
	a->child = b;
	return a;
}

/* The two-pass pairing of a list of siblings into one heap. */
static struct timer_list *heap_merge_pairs(struct timer_list *first)
{
	struct timer_list *pairs = NULL, *root = NULL;

	while (first) {
		struct timer_list *a = first, *b = a->sibling;

		first = b ? b->sibling : NULL;
		a->sibling = a->prev = NULL;
		if (b) {
			b->sibling = b->prev = NULL;
			a = heap_meld(a, b);
		}
		a->sibling = pairs;
		pairs = a;
	}
	while (pairs) {
		struct timer_list *next = pairs->sibling;

		pairs->sibling = NULL;
		root = heap_meld(root, pairs);
		pairs = next;
	}
	return root;
}

static void heap_insert(struct timer_base *base, struct timer_list *t)
{
	t->child = t->sibling = t->prev = NULL;
	base->root = heap_meld(base->root, t);
	t->pending = true;
	base->count++;
}

static void heap_remove(struct timer_base *base, struct timer_list *t)
{
	struct timer_list *sub;

	if (t == base->root) {
		base->root = heap_merge_pairs(t->child);
	} else {
		if (t->prev->child == t)
			t->prev->child = t->sibling;
		else
			t->prev->sibling = t->sibling;
		if (t->sibling)
			t->sibling->prev = t->prev;
		t->sibling = t->prev = NULL;
		sub = heap_merge_pairs(t->child);
		base->root = heap_meld(base->root, sub);
	}
	t->child = t->sibling = t->prev = NULL;
	t->pending = false;
	base->count--;
}

/** timer_setup - prepare @t to run @fn on @st's clock; it is not armed. */
void timer_setup(struct stack *st, struct timer_list *t, timer_fn fn)
{
	t->expires = 0;
	t->seq = 0;
	t->armed_at = 0;
	t->function = fn;
	t->stack = st;
	t->child = t->sibling = t->prev = NULL;
	t->pending = false;
}

/**
 * mod_timer - (re)arm @t to fire at @expires (stack-clock ns).
 * Return: 1 if the timer was pending before, 0 if it was not.
 */
int mod_timer(struct timer_list *t, ktime_t expires)
{
	struct timer_base *base = &t->stack->timers;
	int was_pending = t->pending;

	if (was_pending)
		heap_remove(base, t);
	t->expires = expires;
	t->seq = base->next_seq++;
	t->armed_at = base->running ? stack_now(t->stack) : 0;
	heap_insert(base, t);
	return was_pending;
}

/** del_timer - disarm @t.  Return: 1 if it was pending, 0 if not. */
int del_timer(struct timer_list *t)
{
	if (!t->pending)
		return 0;
	heap_remove(&t->stack->timers, t);
	return 1;
}

/** timer_base_next - the earliest deadline, or KTIME_MAX when none. */
ktime_t timer_base_next(const struct timer_base *base)
{
	return base->root ? base->root->expires : KTIME_MAX;
}

/**
 * stack_run_timers - fire every timer due at @now (see the rules above).
 * On a manual clock the clock ends at @now (or where it was, if later).
 * Return: the number of timers fired.
 */
int stack_run_timers(struct stack *st, ktime_t now)
{
	struct timer_base *base = &st->timers;
	struct timer_list *deferred = NULL, *t;
	u64 start_seq = base->next_seq;
	int fired = 0;

	base->running = true;
	while ((t = base->root) != NULL && t->expires <= now) {
		heap_remove(base, t);
		if (t->seq >= start_seq && t->expires <= t->armed_at) {
			t->sibling = deferred;
			deferred = t;
			continue;
		}
		stack_clock_advance(st, t->expires);
		t->function(t);
		fired++;
	}
	base->running = false;
	while (deferred) {
		t = deferred;
		deferred = t->sibling;
		heap_insert(base, t);
	}
	stack_clock_advance(st, now);
	return fired;
}

/** stack_next_timer - when the stack next needs stack_run_timers(). */
ktime_t stack_next_timer(const struct stack *st)
{
	return timer_base_next(&st->timers);
}

/*
 * test_timer.c - the stack's timers (libos/core/timer.c) on a manual clock:
 * deadlines, ordering, re-arming, cancelling, virtual-time stepping, and a
 * heap of tens of thousands of timers.
 */
#include <stdlib.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "stack.h"
#include "ip.h"

#define T0 (1000 * NSEC_PER_SEC)
#define MS NSEC_PER_MSEC

static struct stack *st;

static void setup(void)
{
	st = stack_new(&(struct stack_params){ .families = inet_families });
	stack_clock_set_manual(st, T0);
}

static void teardown(void)
{
	cr_assert(eq(u32, st->timers.count, 0), "timers left pending");
	cr_assert(eq(long, stack_free(st), 0), "leaked when freed");
}

TestSuite(timer, .init = setup, .fini = teardown);

/* A timer that records when it fired and in which order. */
struct probe {
	struct timer_list t;
	int id;
	int fired;
	ktime_t at;
	ktime_t period;  /* re-arm by this much each time, if nonzero */
	int max_fires;
};

static int order[64];
static int norder;

static void probe_fn(struct timer_list *t)
{
	struct probe *p = from_timer(p, t, t);

	p->fired++;
	p->at = stack_now(t->stack);
	if (norder < 64)
		order[norder++] = p->id;
	if (p->period && p->fired < p->max_fires)
		mod_timer(&p->t, p->t.expires + p->period);
}

static void probe_init(struct probe *p, int id)
{
	memset(p, 0, sizeof(*p));
	p->id = id;
	timer_setup(st, &p->t, probe_fn);
}

Test(timer, fires_at_deadline_not_before)
{
	struct probe p;

	probe_init(&p, 1);
	mod_timer(&p.t, T0 + 100 * MS);
	cr_assert(timer_pending(&p.t));
	cr_assert(eq(int, stack_run_timers(st, T0 + 99 * MS), 0));
	cr_assert(eq(int, p.fired, 0));
	cr_assert(eq(int, stack_run_timers(st, T0 + 100 * MS), 1));
	cr_assert(eq(int, p.fired, 1));
	cr_assert(not(timer_pending(&p.t)));
}

Test(timer, handler_sees_its_own_deadline_on_manual_clock)
{
	struct probe p;

	probe_init(&p, 1);
	mod_timer(&p.t, T0 + 250 * MS);
	stack_run_timers(st, T0 + 10000 * MS);
	cr_assert(eq(u64, p.at, T0 + 250 * MS));
	cr_assert(eq(u64, stack_now(st), T0 + 10000 * MS), "clock ends at the target");
}

Test(timer, fire_in_deadline_order)
{
	struct probe p[5];
	const int deadlines[5] = { 50, 10, 40, 20, 30 };

	norder = 0;
	for (int i = 0; i < 5; i++) {
		probe_init(&p[i], deadlines[i]);
		mod_timer(&p[i].t, T0 + (ktime_t)deadlines[i] * MS);
	}
	cr_assert(eq(int, stack_run_timers(st, T0 + 60 * MS), 5));
	for (int i = 0; i < 5; i++)
		cr_assert(eq(int, order[i], (i + 1) * 10));
}

Test(timer, equal_deadlines_fire_in_arming_order)
{
	struct probe p[4];

	norder = 0;
	for (int i = 0; i < 4; i++) {
		probe_init(&p[i], i);
		mod_timer(&p[i].t, T0 + 5 * MS);
	}
	stack_run_timers(st, T0 + 5 * MS);
	for (int i = 0; i < 4; i++)
		cr_assert(eq(int, order[i], i));
}

Test(timer, mod_timer_reports_pending_and_moves_deadline)
{
	struct probe p;

	probe_init(&p, 1);
	cr_assert(eq(int, mod_timer(&p.t, T0 + 100 * MS), 0));
	cr_assert(eq(int, mod_timer(&p.t, T0 + 300 * MS), 1));
	stack_run_timers(st, T0 + 200 * MS);
	cr_assert(eq(int, p.fired, 0), "moved later");
	mod_timer(&p.t, T0 + 210 * MS);
	stack_run_timers(st, T0 + 220 * MS);
	cr_assert(eq(int, p.fired, 1), "moved earlier");
	cr_assert(eq(u64, p.at, T0 + 210 * MS));
}

Test(timer, del_timer_cancels)
{
	struct probe p;

	probe_init(&p, 1);
	cr_assert(eq(int, del_timer(&p.t), 0));
	mod_timer(&p.t, T0 + MS);
	cr_assert(eq(int, del_timer(&p.t), 1));
	cr_assert(not(timer_pending(&p.t)));
	stack_run_timers(st, T0 + 10 * MS);
	cr_assert(eq(int, p.fired, 0));
}

Test(timer, periodic_rearm_fires_at_exact_virtual_times)
{
	struct probe p;

	probe_init(&p, 1);
	p.period = 100 * MS;
	p.max_fires = 1000;
	mod_timer(&p.t, T0 + 100 * MS);
	cr_assert(eq(int, stack_run_timers(st, T0 + 1000 * MS), 10));
	cr_assert(eq(int, p.fired, 10));
	cr_assert(eq(u64, p.at, T0 + 1000 * MS));
	del_timer(&p.t);
}

/* An exponential backoff series (an RTO) in one advance, as TCP tests need. */
static ktime_t backoff_times[8];
static int nbackoff;
static void backoff_fn(struct timer_list *t)
{
	ktime_t now = stack_now(t->stack);

	backoff_times[nbackoff++] = now;
	if (nbackoff < 6)
		mod_timer(t, now + (200 * MS << nbackoff));
}

Test(timer, backoff_series_in_one_run)
{
	struct timer_list t;

	nbackoff = 0;
	timer_setup(st, &t, backoff_fn);
	mod_timer(&t, T0 + 200 * MS);
	stack_run_timers(st, T0 + 60 * NSEC_PER_SEC);
	cr_assert(eq(int, nbackoff, 6));
	ktime_t expect = T0 + 200 * MS;
	for (int i = 0; i < 6; i++) {
		cr_assert(eq(u64, backoff_times[i], expect), "firing %d", i);
		expect += 200 * MS << (i + 1);
	}
}

static int self_fires;
static void rearm_now_fn(struct timer_list *t)
{
	self_fires++;
	mod_timer(t, stack_now(t->stack));
}

Test(timer, rearm_in_the_past_waits_for_next_run)
{
	struct timer_list t;

	self_fires = 0;
	timer_setup(st, &t, rearm_now_fn);
	mod_timer(&t, T0 + MS);
	cr_assert(eq(int, stack_run_timers(st, T0 + MS), 1), "a run is bounded");
	cr_assert(timer_pending(&t));
	cr_assert(eq(int, stack_run_timers(st, T0 + MS), 1));
	cr_assert(eq(int, self_fires, 2));
	del_timer(&t);
}

static struct probe *victim;
static void cancel_other_fn(struct timer_list *t)
{
	(void)t;
	del_timer(&victim->t);
}

Test(timer, handler_may_cancel_another_timer)
{
	struct timer_list killer;
	struct probe p;

	probe_init(&p, 1);
	victim = &p;
	timer_setup(st, &killer, cancel_other_fn);
	mod_timer(&killer, T0 + 10 * MS);
	mod_timer(&p.t, T0 + 20 * MS);
	stack_run_timers(st, T0 + 30 * MS);
	cr_assert(eq(int, p.fired, 0));
}

Test(timer, next_timer_is_the_earliest)
{
	struct probe a, b;

	cr_assert(eq(u64, stack_next_timer(st), KTIME_MAX));
	probe_init(&a, 1);
	probe_init(&b, 2);
	mod_timer(&a.t, T0 + 70 * MS);
	mod_timer(&b.t, T0 + 30 * MS);
	cr_assert(eq(u64, stack_next_timer(st), T0 + 30 * MS));
	del_timer(&b.t);
	cr_assert(eq(u64, stack_next_timer(st), T0 + 70 * MS));
	del_timer(&a.t);
	cr_assert(eq(u64, stack_next_timer(st), KTIME_MAX));
}

/* Tens of thousands of timers: random deadlines, half cancelled, rest in order. */
#define MANY 50000
static struct timer_list *many;
static ktime_t last_fired;
static int many_fired;
static void many_fn(struct timer_list *t)
{
	cr_assert(ge(u64, t->expires, last_fired), "out of order");
	last_fired = t->expires;
	many_fired++;
}

Test(timer, fifty_thousand_timers_with_cancellation)
{
	srand(1);
	many = calloc(MANY, sizeof(*many));
	last_fired = 0;
	many_fired = 0;
	for (int i = 0; i < MANY; i++) {
		timer_setup(st, &many[i], many_fn);
		mod_timer(&many[i], T0 + (ktime_t)(rand() % 60000) * MS);
	}
	cr_assert(eq(u32, st->timers.count, MANY));
	for (int i = 0; i < MANY; i += 2)
		del_timer(&many[i]);
	for (int i = 1; i < MANY; i += 4)  /* re-arm a quarter */
		mod_timer(&many[i], T0 + (ktime_t)(rand() % 60000) * MS);
	cr_assert(eq(int, stack_run_timers(st, T0 + 60000 * MS), MANY / 2));
	cr_assert(eq(int, many_fired, MANY / 2));
	cr_assert(eq(u32, st->timers.count, 0));
	free(many);
}

Test(timer, real_clock_moves_forward)
{
	struct stack *real = stack_new(&(struct stack_params){ .families = inet_families });
	ktime_t a = stack_now(real), b;

	for (volatile int i = 0; i < 100000; i++)
		;
	b = stack_now(real);
	cr_assert(gt(u64, a, 0));
	cr_assert(ge(u64, b, a));
	cr_assert(eq(long, stack_free(real), 0));
}

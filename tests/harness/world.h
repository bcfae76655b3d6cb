/*
 * world.h - drive several stacks on one shared virtual clock (tests).
 *
 * A world is a discrete-event simulation: world_run() lets every stack poll
 * its devices until no frame moves; world_advance() jumps from one timer
 * deadline to the next (over all stacks) up to a target, running each
 * stack's due timers and then world_run() at every step.  No threads, no
 * sleeps, same result every run.
 */
#ifndef SKBOS_TEST_WORLD_H
#define SKBOS_TEST_WORLD_H

#include "stack.h"

#define WORLD_MAX_STACKS 8
/* Virtual time starts away from zero so that "time 0" is never special. */
#define WORLD_T0 (1000 * NSEC_PER_SEC)

struct world {
	struct stack *st[WORLD_MAX_STACKS];
	int n;
	ktime_t now;
	struct failslab *failslab; /* given to every stack added (alloc.h), or NULL */
};

void world_init(struct world *w, int nstacks);
int world_add_stack(struct world *w);
void world_fini(struct world *w);
int world_run(struct world *w);
void world_advance(struct world *w, ktime_t delta);
void world_advance_ms(struct world *w, u64 ms);
void world_assert_no_leaks(const struct world *w);

#endif /* SKBOS_TEST_WORLD_H */

/*
 * alloc.c - the slow half of alloc.h: counting and failing allocations
 * while fault injection is armed.
 *
 * The counters are touched with atomics: a preloaded process allocates from
 * its own thread (setup) and from the stack thread, not always under one
 * lock.  None of this runs unless armed.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "alloc.h"

/** __should_failslab - count one allocation; true if it is the one to fail. */
bool __should_failslab(struct failslab *fs, void *site)
{
	u64 n = __atomic_add_fetch(&fs->count, 1, __ATOMIC_RELAXED);

	if (!fs->nth || n < fs->nth || (n > fs->nth && !fs->persist))
		return false;
	__atomic_add_fetch(&fs->failed, 1, __ATOMIC_RELAXED);
	fs->site = site;
	return true;
}

void *__kmalloc_accounted(struct failslab *fs, size_t size, bool zero)
{
	void *p;

	if (__should_failslab(fs, __builtin_return_address(0)))
		return NULL;
	p = zero ? calloc(1, size) : malloc(size);
	if (p)
		__atomic_add_fetch(&fs->live, 1, __ATOMIC_RELAXED);
	return p;
}

void *__krealloc_accounted(struct failslab *fs, void *p, size_t size)
{
	void *q;

	if (__should_failslab(fs, __builtin_return_address(0)))
		return NULL;
	q = realloc(p, size);
	if (q && !p)
		__atomic_add_fetch(&fs->live, 1, __ATOMIC_RELAXED);
	return q;
}

void __kfree_accounted(struct failslab *fs, void *p)
{
	if (!p)
		return;
	__atomic_sub_fetch(&fs->live, 1, __ATOMIC_RELAXED);
	free(p);
}

/**
 * failslab_arm - from now on count allocations and fail the @nth (1: the
 * next one; 0: count only), and every one after it if @persist.  Resets the
 * counters.
 */
void failslab_arm(struct failslab *fs, u64 nth, bool persist)
{
	fs->nth = nth;
	fs->persist = persist;
	fs->count = 0;
	fs->failed = 0;
	fs->live = 0;
	fs->site = NULL;
	__atomic_store_n(&fs->armed, true, __ATOMIC_RELEASE);
}

/** failslab_disarm - stop counting; the counters keep their last values. */
void failslab_disarm(struct failslab *fs)
{
	__atomic_store_n(&fs->armed, false, __ATOMIC_RELEASE);
}

/**
 * failslab_parse - SKBOS_FAILNTH's syntax: "N" fails the N-th allocation,
 * "N+" it and every one after (N >= 1).
 * Return: 0, or -EINVAL.
 */
int failslab_parse(const char *s, u64 *nth, bool *persist)
{
	char *end;
	unsigned long long v;

	if (*s < '1' || *s > '9')
		return -EINVAL;
	v = strtoull(s, &end, 10);
	if (v == ULLONG_MAX) /* out of range */
		return -EINVAL;
	*persist = *end == '+';
	if (*persist)
		end++;
	if (*end)
		return -EINVAL;
	*nth = v;
	return 0;
}

/*
 * alloc.h - the one allocator of libos/ and netdev/: kmalloc, kzalloc,
 * kcalloc, krealloc, kfree over libc, with fault injection.
 *
 * Fault injection is Linux's failslab (Documentation/fault-injection/) in
 * the form picoTCP tests with (pico_set_mm_failure): armed with n, the n-th
 * allocation from then on fails, once or, persistent, with every one after
 * it.  "Allocation" counts every kmalloc and every sk_buff or data buffer a
 * stack takes from its own free lists (skb.c asks should_failslab() too), so
 * a test that counted N allocations of a scenario can fail each one.  While
 * armed, live objects are counted as well, so a test can assert that
 * everything allocated was freed.
 *
 * Unarmed, the cost is one predictable branch per call.  The switch belongs
 * to whoever creates stacks, not to the process: a stack is made with one
 * (struct stack_params; NULL: never fail) and every allocation for it passes
 * it (kzalloc(st->failslab, ...)), so one test's injection cannot reach
 * another stack in the process.  Stacks of one scenario (two joined by a
 * wire) may share a switch, so that its count covers them both.  An
 * allocation that belongs to no stack passes NULL.
 */
#ifndef SKBOS_ALLOC_H
#define SKBOS_ALLOC_H

#include <stdlib.h>
#include "types.h"

/**
 * struct failslab - the fault-injection switch.
 * @armed: counting (and failing) is on; the only field the hot path reads
 * @persist: after the nth, every allocation fails
 * @nth: the allocation that fails (1 is the first after arming); 0: none
 * @count: allocations attempted since arming
 * @failed: allocations made to fail
 * @live: kmalloc'd objects not yet kfree'd, since arming
 * @site: the code address of the last allocation made to fail (addr2line
 *	names it), so a test can say which site it broke
 */
struct failslab {
	bool armed;
	bool persist;
	u64 nth;
	u64 count;
	u64 failed;
	long live;
	void *site;
};

bool __should_failslab(struct failslab *fs, void *site);
void *__kmalloc_accounted(struct failslab *fs, size_t size, bool zero);
void *__krealloc_accounted(struct failslab *fs, void *p, size_t size);
void __kfree_accounted(struct failslab *fs, void *p);

static inline bool failslab_armed(const struct failslab *fs)
{
	return fs && __atomic_load_n(&fs->armed, __ATOMIC_RELAXED);
}

/** should_failslab - fault injection: must this allocation (under @fs) fail? */
static inline bool should_failslab(struct failslab *fs)
{
	if (likely(!failslab_armed(fs)))
		return false;
	return __should_failslab(fs, __builtin_return_address(0));
}

/** kmalloc - malloc(@size), or NULL (out of memory, or injected by @fs). */
static inline void *kmalloc(struct failslab *fs, size_t size)
{
	if (unlikely(failslab_armed(fs)))
		return __kmalloc_accounted(fs, size, false);
	return malloc(size);
}

/** kzalloc - zeroed kmalloc. */
static inline void *kzalloc(struct failslab *fs, size_t size)
{
	if (unlikely(failslab_armed(fs)))
		return __kmalloc_accounted(fs, size, true);
	return calloc(1, size);
}

/** kcalloc - a zeroed array of @n elements of @size bytes (NULL on overflow). */
static inline void *kcalloc(struct failslab *fs, size_t n, size_t size)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return kzalloc(fs, bytes);
}

/**
 * krealloc - resize @p to @size bytes (a NULL @p allocates).  On failure
 * @p is untouched and still owned by the caller.
 */
static inline void *krealloc(struct failslab *fs, void *p, size_t size)
{
	if (unlikely(failslab_armed(fs)))
		return __krealloc_accounted(fs, p, size);
	return realloc(p, size);
}

/** kfree - free what k*alloc returned under the same @fs; NULL is fine. */
static inline void kfree(struct failslab *fs, void *p)
{
	if (unlikely(failslab_armed(fs)))
		__kfree_accounted(fs, p);
	else
		free(p);
}

void failslab_arm(struct failslab *fs, u64 nth, bool persist);
void failslab_disarm(struct failslab *fs);
int failslab_parse(const char *s, u64 *nth, bool *persist);

#endif /* SKBOS_ALLOC_H */

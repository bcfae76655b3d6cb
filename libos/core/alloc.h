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
 * Unarmed, the cost is one predictable branch on a flag per call.  The state
 * is process-wide, like malloc's: a process arms it once (SKBOS_FAILNTH, or a
 * test) before its stacks exist and reads it after they are gone.
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

extern struct failslab failslab;

bool __should_failslab(void *site);
void *__kmalloc_accounted(size_t size, bool zero);
void *__krealloc_accounted(void *p, size_t size);
void __kfree_accounted(void *p);

/** should_failslab - fault injection: must this allocation fail? */
static inline bool should_failslab(void)
{
	if (likely(!failslab.armed))
		return false;
	return __should_failslab(__builtin_return_address(0));
}

/** kmalloc - malloc(@size), or NULL (out of memory, or injected). */
static inline void *kmalloc(size_t size)
{
	if (unlikely(failslab.armed))
		return __kmalloc_accounted(size, false);
	return malloc(size);
}

/** kzalloc - zeroed kmalloc. */
static inline void *kzalloc(size_t size)
{
	if (unlikely(failslab.armed))
		return __kmalloc_accounted(size, true);
	return calloc(1, size);
}

/** kcalloc - a zeroed array of @n elements of @size bytes (NULL on overflow). */
static inline void *kcalloc(size_t n, size_t size)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return kzalloc(bytes);
}

/**
 * krealloc - resize @p to @size bytes (a NULL @p allocates).  On failure
 * @p is untouched and still owned by the caller.
 */
static inline void *krealloc(void *p, size_t size)
{
	if (unlikely(failslab.armed))
		return __krealloc_accounted(p, size);
	return realloc(p, size);
}

/** kfree - free what k*alloc returned; NULL is fine. */
static inline void kfree(void *p)
{
	if (unlikely(failslab.armed))
		__kfree_accounted(p);
	else
		free(p);
}

void failslab_arm(u64 nth, bool persist);
void failslab_disarm(void);
int failslab_parse(const char *s, u64 *nth, bool *persist);

#endif /* SKBOS_ALLOC_H */

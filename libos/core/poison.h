/*
 * poison.h - tell ASan and valgrind about memory parked on skbos free lists.
 *
 * Pools hide use-after-free from the sanitizers (the memory is never really
 * freed), so a buffer on a free list is marked inaccessible and unmarked when
 * handed out again.  Without either tool these compile to nothing.
 */
#ifndef SKBOS_POISON_H
#define SKBOS_POISON_H

#include <stddef.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define skb_poison(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define skb_unpoison(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#elif defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define skb_poison(p, n) ((void)VALGRIND_MAKE_MEM_NOACCESS((p), (n)))
#define skb_unpoison(p, n) ((void)VALGRIND_MAKE_MEM_UNDEFINED((p), (n)))
#endif
#endif

#ifndef skb_poison
#define skb_poison(p, n) ((void)(p), (void)(n))
#define skb_unpoison(p, n) ((void)(p), (void)(n))
#endif

#endif /* SKBOS_POISON_H */

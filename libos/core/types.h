/*
 * types.h - kernel-style basic types and helpers shared by the whole core.
 *
 * The core is written in the Linux kernel's dialect so that its code reads
 * like net/: fixed-width u8..u64, __be16/__be32 for wire-order fields (never
 * converted in place), ERR_PTR for pointer returns that can fail, and
 * container_of for embedded structures.
 */
#ifndef SKBOS_TYPES_H
#define SKBOS_TYPES_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <errno.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

/* Network byte order.  Distinct names document intent; use ntohs()/htons(). */
typedef uint16_t __be16;
typedef uint32_t __be32;
typedef uint16_t __sum16;
typedef uint32_t __wsum;

/* Nanoseconds of the stack's clock (see clock.c). */
typedef u64 ktime_t;

#define NSEC_PER_USEC 1000ULL
#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_SEC 1000000000ULL
#define KTIME_MAX UINT64_MAX

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN(x, a) (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define min_t(t, a, b) ((t)(a) < (t)(b) ? (t)(a) : (t)(b))
#define max_t(t, a, b) ((t)(a) > (t)(b) ? (t)(a) : (t)(b))

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#define __maybe_unused __attribute__((unused))
#define __noreturn __attribute__((noreturn))
#define __printf(a, b) __attribute__((format(printf, a, b)))

/* ERR_PTR: a pointer return carrying -errno, as in include/linux/err.h. */
#define MAX_ERRNO 4095
static inline void *ERR_PTR(long error) { return (void *)error; }
static inline long PTR_ERR(const void *ptr) { return (long)ptr; }
static inline bool IS_ERR(const void *ptr)
{
	return unlikely((unsigned long)ptr >= (unsigned long)-MAX_ERRNO);
}
static inline bool IS_ERR_OR_NULL(const void *ptr) { return !ptr || IS_ERR(ptr); }

#endif /* SKBOS_TYPES_H */

/*
 * new/assert.h - Criterion's comparison forms as plain C expressions (fuzz
 * build only; see ../criterion.h).  The type tag is not needed here.
 */
#ifndef SKBOS_FUZZ_CRITERION_NEW_ASSERT_H
#define SKBOS_FUZZ_CRITERION_NEW_ASSERT_H

#define eq(type, a, b) ((a) == (b))
#define ne(type, a, b) ((a) != (b))
#define lt(type, a, b) ((a) < (b))
#define le(type, a, b) ((a) <= (b))
#define gt(type, a, b) ((a) > (b))
#define ge(type, a, b) ((a) >= (b))
#define not(e) (!(e))

#endif /* SKBOS_FUZZ_CRITERION_NEW_ASSERT_H */

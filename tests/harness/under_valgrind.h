/*
 * under_valgrind.h - RUNNING_ON_VALGRIND for the few tests whose premise is
 * speed or volume (make check-valgrind runs some fifty times slower); 0
 * where valgrind's header is not installed.
 */
#ifndef SKBOS_TEST_UNDER_VALGRIND_H
#define SKBOS_TEST_UNDER_VALGRIND_H

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

#endif

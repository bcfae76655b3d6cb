/*
 * api_fixture.h - what the native API's suites (test_api_*.c) share: an
 * instance on the in-process loopback (SKBOS_LOOPBACK=1, no root) and a
 * socket bound to 127.0.0.1.
 */
#ifndef SKBOS_TESTS_API_FIXTURE_H
#define SKBOS_TESTS_API_FIXTURE_H

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "skbos/skbos.h"

static inline void api_init(void)
{
	setenv("SKBOS_LOOPBACK", "1", 1);
	cr_assert(eq(int, skbos_init(), 0));
}

static inline void api_fini(void)
{
	skbos_fini();
}

/* A socket of @type bound to 127.0.0.1:0; its address in *@sin. */
static inline int api_bound(int type, struct sockaddr_in *sin)
{
	socklen_t len = sizeof(*sin);
	int fd = skbos_socket(AF_INET, type, 0);

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert(ge(int, fd, 0));
	cr_assert(eq(int, skbos_bind(fd, (struct sockaddr *)sin, sizeof(*sin)), 0));
	cr_assert(eq(int, skbos_getsockname(fd, (struct sockaddr *)sin, &len), 0));
	return fd;
}

#endif /* SKBOS_TESTS_API_FIXTURE_H */

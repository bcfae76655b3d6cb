/*
 * sockopt_replay.h - replay one case the kernel answered
 * (tests/sockopt_linux.h) on a skbos socket and expect the same errnos,
 * length and value.  Included after sockopt_linux.h by test_udp and
 * test_tcp_ext.
 */
#ifndef SKBOS_TESTS_SOCKOPT_REPLAY_H
#define SKBOS_TESTS_SOCKOPT_REPLAY_H

#include <string.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "sock.h"

/* @want: the value expected (c->got_val, or what skbos answers instead); NULL: any. */
static inline void sockopt_replay(struct socket *s, const struct sockopt_case *c,
				  const unsigned char *want)
{
	unsigned char out[512];
	unsigned int len = c->get_len;
	int rc;

	if (c->do_set) {
		rc = s->ops->setsockopt(s, c->level, c->optname, c->set_val, c->set_len);
		cr_expect(eq(int, -rc, c->set_errno), "%s: set errno", c->name);
	}
	if (!c->do_get)
		return;
	memset(out, 0, sizeof(out));
	rc = s->ops->getsockopt(s, c->level, c->optname, out, &len);
	cr_expect(eq(int, -rc, c->get_errno), "%s: get errno", c->name);
	if (rc)
		return;
	cr_expect(eq(u32, len, c->got_len), "%s: optlen", c->name);
	if (want)
		cr_expect(eq(int, memcmp(out, want, len < 32 ? len : 32), 0), "%s: value", c->name);
}

#endif /* SKBOS_TESTS_SOCKOPT_REPLAY_H */

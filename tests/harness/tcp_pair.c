/*
 * tcp_pair.c - the TCP suites' fixture (tcp_pair.h).
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "tcp_pair.h"
#include "socks.h"
#include "tcp.h"

struct inet_pair p;
struct stack *sa, *sb;

void tcp_pair_setup(void)
{
	inet_pair_setup(&p);
	sa = p.w.st[0];
	sb = p.w.st[1];
}

void tcp_pair_teardown(void)
{
	world_advance(&p.w, 121 * NSEC_PER_SEC); /* TIME_WAIT and orphans run out */
	cr_assert(eq(u32, tcp_socket_count(sa) + tcp_socket_count(sb), 0), "connections left");
	world_assert_no_leaks(&p.w);
	inet_pair_teardown(&p);
}

/** listener - a TCP socket on B listening on @port (backlog 16). */
struct socket *listener(u16 port)
{
	struct socket *l = t_socket(sb, SOCK_STREAM, 0);

	cr_assert(eq(int, t_bind(l, 0, port), 0));
	cr_assert(eq(int, l->ops->listen(l, 16), 0));
	return l;
}

/** connect_pair - a connected pair: client on A, accepted server socket on B. */
void connect_pair(u16 port, struct socket **cli, struct socket **srv, struct socket **lis)
{
	*lis = listener(port);
	*cli = t_socket(sa, SOCK_STREAM, 0);
	cr_assert(eq(int, t_connect(*cli, p.b, port), 0), "blocking connect");
	cr_assert(eq(int, (*cli)->sk->sk_state, TCP_ESTABLISHED));
	cr_assert(eq(int, sock_accept(*lis, srv, 0), 0));
	cr_assert(eq(int, (*srv)->sk->sk_state, TCP_ESTABLISHED));
}

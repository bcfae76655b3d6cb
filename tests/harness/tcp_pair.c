/*
 * tcp_pair.c - the TCP suites' fixture (tcp_pair.h).
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "tcp_pair.h"
#include "socks.h"
#include "tcp.h"
#include "impair.h"

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

/** impair_both - the same impairment rules (impair_parse) both ways, seeds apart. */
void impair_both(const char *spec)
{
	struct impair_config cfg = { 0 };

	cr_assert(eq(int, impair_parse(&cfg, spec), 0));
	wire_set_impair(p.wire, 0, &cfg);
	cfg.seed ^= 0x55;
	wire_set_impair(p.wire, 1, &cfg);
}

/** tcp_bulk - move @total bytes @c -> @s in chunks, 1 ms of virtual time apart; verify every byte. */
void tcp_bulk(struct socket *c, struct socket *s, size_t total)
{
	static u8 out[65536], in[65536], ref[65536];
	size_t sent = 0, got = 0;

	for (int rounds = 0; got < total && rounds < 2000000; rounds++) {
		if (sent < total) {
			size_t n = total - sent < sizeof(out) ? total - sent : sizeof(out);
			int rc;

			fill(out, n, (u32)sent);
			rc = t_send(c, out, n, MSG_DONTWAIT);
			if (rc > 0)
				sent += (size_t)rc;
			else
				cr_assert(eq(int, rc, -EAGAIN));
		}
		world_advance(&p.w, NSEC_PER_MSEC);
		for (;;) {
			int rc = t_recv(s, in, sizeof(in), MSG_DONTWAIT);

			if (rc <= 0) {
				cr_assert(eq(int, rc, -EAGAIN), "recv: %d at %zu", rc, got);
				break;
			}
			fill(ref, (size_t)rc, (u32)got);
			cr_assert(eq(int, memcmp(in, ref, (size_t)rc), 0), "byte mismatch at %zu", got);
			got += (size_t)rc;
		}
	}
	if (got != total) {
		struct tcp_sock *ct = tcp_sk(c->sk), *st2 = tcp_sk(s->sk);

		cr_log_error("stuck at %zu/%zu: c state %s una %u nxt %u max %u write %u head %p cwnd %u "
			     "ssth %u rec %d rtx %u rto %llu persist %d timer %d snd_wnd %u err %d | s rcv_nxt %u "
			     "rcv_wnd %u ofo %u rq %u rmem %d",
			     got, total, tcp_state_name(c->sk->sk_state), ct->snd_una, ct->snd_nxt,
			     ct->snd_max, ct->write_seq, (void *)ct->send_head, ct->snd_cwnd, ct->snd_ssthresh,
			     ct->in_recovery, ct->retransmits, (unsigned long long)(ct->rto / NSEC_PER_MSEC), ct->persist,
			     tcp_xmit_timer_on(ct, TCP_TIMER_RETRANS), ct->snd_wnd, c->sk->sk_err, st2->rcv_nxt,
			     st2->rcv_wnd, skb_queue_len(&st2->out_of_order_queue),
			     skb_queue_len(&s->sk->sk_receive_queue), s->sk->sk_rmem_alloc);
	}
	cr_assert(eq(u64, got, total));
}

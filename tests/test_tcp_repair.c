/*
 * test_tcp_repair.c - a connection moved from one socket to another
 * mid-transfer (tcp_repair.c: what a fork child taking over an inherited
 * connection does, preload/inherit.c), here within stack B so that the
 * wire's virtual time drives both ends: unread received bytes, bytes sent
 * and not yet acknowledged, and the stream after the move, every byte
 * checked, clean and under loss; the old socket sends nothing once moved.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdlib.h>

#include "tcp_pair.h"
#include "tcp_repair.h"
#include "tcp.h"

TestSuite(tcp_repair, .init = tcp_pair_setup, .fini = tcp_pair_teardown, .timeout = 120);

/* Read exactly @n bytes at @s (the fill pattern from @seed on), driving time. */
static void read_pattern(struct socket *s, size_t n, u32 seed)
{
	static u8 in[65536], ref[65536];
	size_t got = 0;

	for (int rounds = 0; got < n && rounds < 100000; rounds++) {
		int rc = t_recv(s, in, sizeof(in) < n - got ? sizeof(in) : n - got, MSG_DONTWAIT);

		if (rc == -EAGAIN) {
			world_advance(&p.w, NSEC_PER_MSEC);
			continue;
		}
		cr_assert(gt(int, rc, 0), "recv: %d at %zu", rc, got);
		fill(ref, (size_t)rc, seed + (u32)got);
		cr_assert(eq(int, memcmp(in, ref, (size_t)rc), 0), "byte mismatch at %zu", got);
		got += (size_t)rc;
	}
	cr_assert(eq(u64, got, n));
}

/* Move @s's connection to a new socket of stack B; the old one is closed. */
static struct socket *move(struct socket *s)
{
	struct tcp_repair r;
	struct socket *n = t_socket(sb, SOCK_STREAM, 0);
	u8 *buf;
	u64 out = mib(sb, TCP_MIB_OUTSEGS), rsts = mib(sb, TCP_MIB_OUTRSTS);

	cr_assert(eq(int, tcp_repair_get(s->sk, &r), 0));
	buf = malloc(r.rx_len + r.tx_len + 1);
	cr_assert(buf != NULL);
	tcp_repair_copy_queues(s->sk, &r, buf, buf + r.rx_len);
	tcp_repair_detach(s->sk);
	sock_release(s); /* a moved socket's close sends nothing */
	cr_assert(eq(u64, mib(sb, TCP_MIB_OUTSEGS), out), "the old socket sent a segment");
	cr_assert(eq(int, tcp_repair_set(n->sk, &r, buf, buf + r.rx_len), 0));
	tcp_inherit_port(n->sk, r.num);
	free(buf);
	cr_assert(eq(int, n->sk->sk_state, TCP_ESTABLISHED));
	cr_assert(eq(u64, mib(sb, TCP_MIB_OUTRSTS), rsts));
	return n;
}

/*
 * Unread data on B's side and B's data in flight (sent, not yet on the
 * wire's far end) when the connection moves: the new socket reads the
 * first and sends the second again, and the stream goes on both ways.
 */
static void moved_mid_transfer(const char *impair)
{
	static u8 buf[65536];
	struct socket *c, *s, *l, *n;
	size_t sent = 0;

	connect_pair(95, &c, &s, &l);
	impair_both(impair);
	fill(buf, 40000, 0);
	cr_assert(eq(int, t_send(c, buf, 40000, 0), 40000));
	world_advance(&p.w, 50 * NSEC_PER_MSEC); /* at B, unread */
	for (int rc = 1; rc > 0 && sent < 80000;) { /* B -> A: in flight, and unsent */
		fill(buf, 20000, (u32)sent);
		rc = t_send(s, buf, 20000, MSG_DONTWAIT);
		sent += rc > 0 ? (size_t)rc : 0;
	}
	cr_assert(ne(u32, tcp_sk(s->sk)->snd_una, tcp_sk(s->sk)->write_seq), "nothing in flight");
	n = move(s);
	read_pattern(n, 40000, 0);
	read_pattern(c, sent, 0);
	tcp_bulk(c, n, 4 << 20);
	tcp_bulk(n, c, 4 << 20);
	impair_both("seed=1");
	sock_release(c);
	sock_release(n);
	sock_release(l);
}

Test(tcp_repair, moved_mid_transfer_clean)
{
	moved_mid_transfer("seed=1");
}

Test(tcp_repair, moved_mid_transfer_under_loss)
{
	moved_mid_transfer("drop=3%,delay=1ms,seed=21");
}

/* Only the states where our FIN is not queued move. */
Test(tcp_repair, closing_states_do_not_move)
{
	struct socket *c, *s, *l;
	struct tcp_repair r;

	connect_pair(96, &c, &s, &l);
	cr_assert(eq(int, s->ops->shutdown(s, SHUT_WR), 0));
	cr_assert(eq(int, tcp_repair_get(s->sk, &r), -EOPNOTSUPP));
	cr_assert(eq(int, tcp_repair_get(l->sk, &r), -EOPNOTSUPP));
	sock_release(c);
	sock_release(s);
	sock_release(l);
}

/*
 * test_tcp_close.c - closing a connection, packet by packet (harness/
 * tseg.h: the test plays the peer): active close through FIN_WAIT_1,
 * FIN_WAIT_2 and TIME_WAIT, FIN+ACK at once, simultaneous close through
 * CLOSING, half-close, and the aborts (SO_LINGER 0, unread data) with the
 * RST they send.
 *
 * Read first: RFC 9293 §3.6 (figures 12 and 13), §3.10.4 (CLOSE),
 * §3.10.5 (ABORT), §3.10.7.4 (the FIN states); RFC 1122 §4.2.2.13 and
 * RFC 2525 §2.17 (closing with unread data resets).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "tseg.h"
#include "socks.h"
#include "tcp.h"

#define MS NSEC_PER_MSEC
#define SEC NSEC_PER_SEC

TestSuite(tcp_close, .init = tseg_setup, .fini = tseg_teardown, .timeout = 120);

/* A's segment on @c: @flags at A's next sequence number, acking @ack. */
static void from_a(const struct tseg_conn *c, u8 flags, u32 ack)
{
	tseg_inject(&(struct tseg){ .sport = c->aport, .dport = c->bport, .seq = c->rcv, .ack = ack,
				    .flags = flags });
}

static int state(const struct tseg_conn *c)
{
	return tseg_state(sb, c->bport, c->aport);
}

/* close() in ESTABLISHED: FIN_WAIT_1 and our FIN at SND.NXT, acking all. */
static void close_expect_fin(struct tseg_conn *c)
{
	struct tseg_seen r;

	sock_release(c->s);
	c->s = NULL;
	r = tseg_expect_one();
	cr_assert(eq(u8, r.flags, TCPHDR_FIN | TCPHDR_ACK));
	cr_assert(eq(u32, r.seq, c->snd), "the FIN at SND.NXT");
	cr_assert(eq(u32, r.ack, c->rcv));
	cr_assert(eq(int, state(c), TCP_FIN_WAIT1));
	c->snd++;
}

/* The one segment B sends now is a bare ACK at @seq acking @ack. */
static void expect_ack(u32 seq, u32 ack)
{
	struct tseg_seen r = tseg_expect_one();

	cr_assert(eq(u8, r.flags, TCPHDR_ACK));
	cr_assert(eq(u32, r.seq, seq));
	cr_assert(eq(u32, r.ack, ack));
	cr_assert(eq(u32, r.len, 0));
}

/*
 * RFC 9293 §3.6 figure 12, the side that closes first: FIN_WAIT_1 -(ACK of
 * FIN)-> FIN_WAIT_2 -(FIN)-> TIME_WAIT, the FIN acknowledged.  In TIME_WAIT
 * a retransmitted FIN (our ACK was lost) is acknowledged again and restarts
 * the 2*MSL timer (§3.10.7.4 step 8; Linux); 2*MSL is 60 s as on Linux.
 */
Test(tcp_close, active_close_through_fin_wait_and_time_wait)
{
	struct tseg_conn c;

	tseg_open(&c, 5000);
	close_expect_fin(&c);
	from_a(&c, TCPHDR_ACK, c.snd);
	tseg_expect_none();
	cr_assert(eq(int, state(&c), TCP_FIN_WAIT2));
	from_a(&c, TCPHDR_FIN | TCPHDR_ACK, c.snd);
	expect_ack(c.snd, c.rcv + 1);
	cr_assert(eq(int, state(&c), TCP_TIME_WAIT));
	world_advance(&p.w, 30 * SEC);
	from_a(&c, TCPHDR_FIN | TCPHDR_ACK, c.snd); /* again, as if our ACK was lost */
	expect_ack(c.snd, c.rcv + 1);
	world_advance(&p.w, 60 * SEC - MS);
	cr_assert(eq(int, state(&c), TCP_TIME_WAIT), "2*MSL from the retransmitted FIN");
	tseg_expect_none();
	world_advance(&p.w, MS);
	cr_assert(eq(int, state(&c), -1), "TIME_WAIT over: gone");
	tseg_expect_none();
}

/*
 * TIME_WAIT answers a bare ACK outside its window with an ACK at most once
 * per tcp_invalid_ratelimit (500 ms; Linux's
 * tcp_timewait_check_oow_rate_limit), so a peer stuck on another sequence
 * space cannot start an ACK war; a retransmitted FIN is always answered.
 */
Test(tcp_close, time_wait_acks_are_rate_limited)
{
	struct tseg_conn c;
	struct tseg old;

	tseg_open(&c, 5000);
	close_expect_fin(&c);
	from_a(&c, TCPHDR_FIN | TCPHDR_ACK, c.snd);
	expect_ack(c.snd, c.rcv + 1);
	cr_assert(eq(int, state(&c), TCP_TIME_WAIT));
	old = (struct tseg){ .sport = c.aport, .dport = c.bport, .seq = c.rcv - 1000, .ack = c.snd,
			     .flags = TCPHDR_ACK };
	world_advance(&p.w, SEC);
	tseg_inject(&old);
	expect_ack(c.snd, c.rcv + 1);
	tseg_inject(&old); /* 0 ms later: not answered */
	tseg_expect_none();
	cr_assert(eq(u64, mib(sb, LINUX_MIB_TCPACKSKIPPEDTIMEWAIT), 1));
	from_a(&c, TCPHDR_FIN | TCPHDR_ACK, c.snd); /* a FIN is no ACK loop: answered */
	expect_ack(c.snd, c.rcv + 1);
	world_advance(&p.w, 501 * MS);
	tseg_inject(&old);
	expect_ack(c.snd, c.rcv + 1);
	cr_assert(eq(int, state(&c), TCP_TIME_WAIT));
}

/* A FIN that also acknowledges ours skips FIN_WAIT_2: TIME_WAIT at once. */
Test(tcp_close, fin_wait_1_takes_fin_ack_straight_to_time_wait)
{
	struct tseg_conn c;

	tseg_open(&c, 5000);
	close_expect_fin(&c);
	from_a(&c, TCPHDR_FIN | TCPHDR_ACK, c.snd);
	expect_ack(c.snd, c.rcv + 1);
	cr_assert(eq(int, state(&c), TCP_TIME_WAIT));
	world_advance(&p.w, 60 * SEC);
	cr_assert(eq(int, state(&c), -1));
}

/*
 * RFC 9293 §3.6 figure 13, simultaneous close: in FIN_WAIT_1 the peer's FIN
 * arrives without acknowledging ours: CLOSING, and we ACK it; the ACK of
 * our FIN then gives TIME_WAIT.
 */
Test(tcp_close, simultaneous_close_goes_through_closing)
{
	struct tseg_conn c;

	tseg_open(&c, 5000);
	close_expect_fin(&c);
	from_a(&c, TCPHDR_FIN | TCPHDR_ACK, c.snd - 1);
	expect_ack(c.snd, c.rcv + 1);
	cr_assert(eq(int, state(&c), TCP_CLOSING));
	c.rcv++;
	from_a(&c, TCPHDR_ACK, c.snd);
	tseg_expect_none();
	cr_assert(eq(int, state(&c), TCP_TIME_WAIT));
	world_advance(&p.w, 60 * SEC);
	cr_assert(eq(int, state(&c), -1));
}

/*
 * shutdown(SHUT_WR) closes one direction only (RFC 9293 §3.6): in
 * FIN_WAIT_2 the peer's data is still taken, acknowledged and read; its
 * FIN is EOF.  The socket, still open, outlives TIME_WAIT in CLOSED.
 */
Test(tcp_close, half_closed_data_is_received_and_acked_in_fin_wait_2)
{
	struct tseg_conn c;
	char buf[16];

	tseg_open(&c, 5000);
	cr_assert(eq(int, c.s->ops->shutdown(c.s, SHUT_WR), 0));
	{
		struct tseg_seen r = tseg_expect_one();

		cr_assert(eq(u8, r.flags, TCPHDR_FIN | TCPHDR_ACK));
		cr_assert(eq(u32, r.seq, c.snd));
	}
	c.snd++;
	from_a(&c, TCPHDR_ACK, c.snd);
	cr_assert(eq(int, c.s->sk->sk_state, TCP_FIN_WAIT2));
	tseg_inject(&(struct tseg){ .sport = c.aport, .dport = c.bport, .seq = c.rcv, .ack = c.snd,
				    .flags = TCPHDR_ACK | TCPHDR_PSH, .data = "after", .len = 5 });
	expect_ack(c.snd, c.rcv + 5);
	cr_assert(eq(int, t_recv(c.s, buf, sizeof(buf), MSG_DONTWAIT), 5));
	cr_assert(eq(int, memcmp(buf, "after", 5), 0));
	c.rcv += 5;
	from_a(&c, TCPHDR_FIN | TCPHDR_ACK, c.snd);
	expect_ack(c.snd, c.rcv + 1);
	cr_assert(eq(int, c.s->sk->sk_state, TCP_TIME_WAIT));
	cr_assert(eq(int, t_recv(c.s, buf, sizeof(buf), MSG_DONTWAIT), 0), "EOF");
	world_advance(&p.w, 60 * SEC);
	cr_assert(eq(int, c.s->sk->sk_state, TCP_CLOSE));
	cr_assert(eq(int, state(&c), -1), "out of the tables");
	sock_release(c.s);
	tseg_expect_none();
}

/*
 * RFC 9293 §3.10.5 ABORT (SO_LINGER with a zero timeout): a RST
 * <SEQ=SND.NXT> (Linux: RST|ACK, acknowledging what it received), then
 * nothing: the connection is gone.  Data in flight does not move the RST
 * back to SND.UNA.
 */
Test(tcp_close, so_linger_zero_closes_with_a_rst_at_snd_nxt)
{
	struct tseg_conn c;
	struct tseg_seen r;
	u64 rsts = mib(sb, TCP_MIB_OUTRSTS);

	tseg_open(&c, 5000);
	cr_assert(eq(int, t_send(c.s, "inflight", 8, 0), 8));
	r = tseg_expect_one();
	cr_assert(eq(u32, r.len, 8));
	cr_assert(eq(u8, r.flags, TCPHDR_ACK | TCPHDR_PSH), "a write's last segment pushes");
	tseg_abort(c.s);
	r = tseg_expect_one();
	cr_assert(eq(u8, r.flags, TCPHDR_RST | TCPHDR_ACK));
	cr_assert(eq(u32, r.seq, c.snd + 8));
	cr_assert(eq(u32, r.ack, c.rcv));
	cr_assert(eq(u64, mib(sb, TCP_MIB_OUTRSTS), rsts + 1));
	cr_assert(eq(int, state(&c), -1));
	world_advance(&p.w, 10 * SEC);
	tseg_expect_none();
}

/*
 * RFC 1122 §4.2.2.13 / RFC 2525 §2.17: closing with data the application
 * never read resets (Linux: TcpExtTCPAbortOnClose) instead of a FIN that
 * would tell the peer all was delivered.
 */
Test(tcp_close, close_with_unread_data_sends_a_rst)
{
	struct tseg_conn c;
	struct tseg_seen r;

	tseg_open(&c, 5000);
	tseg_inject(&(struct tseg){ .sport = c.aport, .dport = c.bport, .seq = c.rcv, .ack = c.snd,
				    .flags = TCPHDR_ACK | TCPHDR_PSH, .data = "unread", .len = 6 });
	expect_ack(c.snd, c.rcv + 6);
	sock_release(c.s);
	r = tseg_expect_one();
	cr_assert(eq(u8, r.flags, TCPHDR_RST | TCPHDR_ACK));
	cr_assert(eq(u32, r.seq, c.snd));
	cr_assert(eq(u32, r.ack, c.rcv + 6));
	cr_assert(eq(int, state(&c), -1));
}

static void set_linger2(struct socket *s, int secs)
{
	cr_assert(eq(int, s->ops->setsockopt(s, IPPROTO_TCP, TCP_LINGER2, &secs, sizeof(secs)), 0));
}

/*
 * TCP_LINGER2 (Linux's tcp_fin_time): an orphan waits that long in FIN_WAIT2
 * for the peer's FIN instead of tcp_fin_timeout (60 s), then goes without a
 * segment.
 */
Test(tcp_close, linger2_bounds_an_orphan_in_fin_wait_2)
{
	struct tseg_conn c;

	tseg_open(&c, 5000);
	set_linger2(c.s, 10);
	close_expect_fin(&c);
	from_a(&c, TCPHDR_ACK, c.snd);
	cr_assert(eq(int, state(&c), TCP_FIN_WAIT2));
	world_advance(&p.w, 10 * SEC - MS);
	cr_assert(eq(int, state(&c), TCP_FIN_WAIT2), "not before TCP_LINGER2");
	world_advance(&p.w, MS);
	cr_assert(eq(int, state(&c), -1), "gone at TCP_LINGER2, not tcp_fin_timeout");
	tseg_expect_none();
}

/*
 * TCP_LINGER2 < 0 (Linux's tcp_close): closing a socket already in
 * FIN_WAIT2 (after shutdown(SHUT_WR)) aborts it with a RST instead of
 * waiting for the peer's FIN.
 */
Test(tcp_close, negative_linger2_resets_at_close_in_fin_wait_2)
{
	struct tseg_conn c;
	struct tseg_seen r;

	tseg_open(&c, 5000);
	set_linger2(c.s, -1);
	cr_assert(eq(int, c.s->ops->shutdown(c.s, SHUT_WR), 0));
	r = tseg_expect_one();
	cr_assert(eq(u8, r.flags, TCPHDR_FIN | TCPHDR_ACK));
	c.snd++;
	from_a(&c, TCPHDR_ACK, c.snd);
	cr_assert(eq(int, state(&c), TCP_FIN_WAIT2));
	sock_release(c.s);
	c.s = NULL;
	r = tseg_expect_one();
	cr_assert(eq(u8, r.flags, TCPHDR_RST | TCPHDR_ACK), "a RST, not a wait for the FIN");
	cr_assert(eq(u32, r.seq, c.snd));
	cr_assert(eq(int, state(&c), -1));
}

/*
 * test_tcp_estab.c - an established connection fed crafted segments
 * (harness/tseg.h: the test plays the peer): the RFC 5961 defences against
 * blind RST, SYN and data injection, each answer checked; and a zero
 * window probed, with backoff, on virtual time until it opens.
 *
 * Read first: RFC 5961 §3-5 (and §7, the challenge ACK rate limit: Linux
 * sends at most one per 500 ms per socket, so tests wait between them),
 * RFC 9293 §3.8.6.1 (zero-window probing), RFC 6298 §5.5 (backoff).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "tseg.h"
#include "socks.h"
#include "tcp.h"

#define MS NSEC_PER_MSEC
#define SEC NSEC_PER_SEC

TestSuite(tcp_estab, .init = tseg_setup, .fini = tseg_teardown, .timeout = 120);

/* A's segment on @c with sequence number @seq, acking @ack. */
static void from_a(const struct tseg_conn *c, u8 flags, u32 seq, u32 ack)
{
	tseg_inject(&(struct tseg){ .sport = c->aport, .dport = c->bport, .seq = seq, .ack = ack,
				    .flags = flags });
}

/* Data from A on @c at @seq acking @ack. */
static void data_from_a(const struct tseg_conn *c, u32 seq, u32 ack, const char *data)
{
	tseg_inject(&(struct tseg){ .sport = c->aport, .dport = c->bport, .seq = seq, .ack = ack,
				    .flags = TCPHDR_ACK | TCPHDR_PSH, .data = data,
				    .len = (unsigned int)strlen(data) });
}

/* A challenge ACK (or any bare ACK): our SND.NXT, acknowledging RCV.NXT. */
static void expect_ack_of(const struct tseg_conn *c)
{
	struct tseg_seen r = tseg_expect_one();

	cr_assert(eq(u8, r.flags, TCPHDR_ACK));
	cr_assert(eq(u32, r.seq, c->snd));
	cr_assert(eq(u32, r.ack, c->rcv));
	cr_assert(eq(u32, r.len, 0));
}

/* Past the challenge ACK rate limit (RFC 5961 §7, Linux's 500 ms). */
static void after_ratelimit(void)
{
	world_advance(&p.w, 501 * MS);
}

/*
 * RFC 5961 §3.2: a RST outside the window is dropped silently; in the
 * window but not at RCV.NXT it gets a challenge ACK <SEQ=SND.NXT>
 * <ACK=RCV.NXT> and changes nothing; exactly at RCV.NXT it resets the
 * connection (ECONNRESET), unanswered.
 */
Test(tcp_estab, rst_in_window_gets_a_challenge_ack_and_only_an_exact_one_resets)
{
	struct tseg_conn c;
	char buf[4];
	u64 resets = mib(sb, TCP_MIB_ESTABRESETS);

	tseg_open(&c, 5000);
	from_a(&c, TCPHDR_RST, c.rcv + 1000000, 0);
	from_a(&c, TCPHDR_RST, c.rcv - 1, 0);
	tseg_expect_none();
	from_a(&c, TCPHDR_RST, c.rcv + 10, 0);
	expect_ack_of(&c);
	cr_assert(eq(int, c.s->sk->sk_state, TCP_ESTABLISHED));
	cr_assert(eq(u64, mib(sb, LINUX_MIB_TCPCHALLENGEACK), 1));
	from_a(&c, TCPHDR_RST, c.rcv, 0);
	tseg_expect_none();
	cr_assert(eq(int, c.s->sk->sk_state, TCP_CLOSE));
	cr_assert(eq(int, t_recv(c.s, buf, sizeof(buf), MSG_DONTWAIT), -ECONNRESET));
	cr_assert(eq(u64, mib(sb, TCP_MIB_ESTABRESETS), resets + 1));
	sock_release(c.s);
}

/*
 * RFC 5961 §4.2: a SYN in a synchronized state, "irrespective of the
 * sequence number", gets a challenge ACK; the connection stays.  A peer
 * that really restarted answers it with a RST at its acknowledgment number
 * (§4 figure), which is exact and resets.
 */
Test(tcp_estab, syn_in_established_gets_a_challenge_ack)
{
	struct tseg_conn c;
	const u32 off[] = { 0, 5000, (u32)-5000 }; /* at, in, below the window */

	tseg_open(&c, 5000);
	for (unsigned int i = 0; i < ARRAY_SIZE(off); i++) {
		after_ratelimit();
		from_a(&c, TCPHDR_SYN, c.rcv + off[i], 0);
		expect_ack_of(&c);
		cr_assert(eq(int, c.s->sk->sk_state, TCP_ESTABLISHED), "SYN %u", i);
	}
	from_a(&c, TCPHDR_RST, c.rcv, 0);
	cr_assert(eq(int, c.s->sk->sk_state, TCP_CLOSE));
	sock_release(c.s);
}

/*
 * RFC 5961 §5.2 (and RFC 9293 §3.10.7.4 step 5): an ACK is acceptable in
 * SND.UNA - MAX.SND.WND =< SEG.ACK =< SND.NXT.  Outside it, acking data not
 * yet sent or far older than anything in flight, the segment is dropped,
 * its data undelivered, and answered with an ACK; inside it, an old ACK
 * is only a duplicate and its data is taken.
 */
Test(tcp_estab, acks_outside_the_acceptable_range_are_answered_and_dropped)
{
	struct tseg_conn c;
	char buf[8];

	tseg_open(&c, 5000);
	data_from_a(&c, c.rcv, c.snd + 1000, "evil");
	expect_ack_of(&c);
	cr_assert(eq(int, t_recv(c.s, buf, sizeof(buf), MSG_DONTWAIT), -EAGAIN), "not delivered");
	after_ratelimit();
	data_from_a(&c, c.rcv, c.snd - 70000, "blind");
	expect_ack_of(&c);
	cr_assert(eq(int, t_recv(c.s, buf, sizeof(buf), MSG_DONTWAIT), -EAGAIN), "not delivered");
	data_from_a(&c, c.rcv, c.snd - 100, "old");
	c.rcv += 3;
	expect_ack_of(&c);
	cr_assert(eq(int, t_recv(c.s, buf, sizeof(buf), MSG_DONTWAIT), 3), "a duplicate ACK's data");
	cr_assert(eq(int, memcmp(buf, "old", 3), 0));
	cr_assert(eq(int, c.s->sk->sk_state, TCP_ESTABLISHED));
	tseg_abort(c.s);
}

/*
 * RFC 9293 §3.8.6.1: with data queued and a zero window the sender probes.
 * Linux's probe (tcp_xmit_probe_skb): no data, <SEQ=SND.UNA-1>, so the
 * peer must answer with its window.  The first after one RTO, then the
 * interval doubles (RFC 6298 §5.5) even while answered; when the window
 * opens the data goes at once.
 */
Test(tcp_estab, a_zero_window_is_probed_with_backoff_until_it_opens)
{
	struct tseg_conn c;
	struct tseg_seen r;
	struct tcp_sock *tp;
	ktime_t rto;

	tseg_open(&c, 5000);
	tp = tcp_sk(c.s->sk);
	tseg_inject(&(struct tseg){ .sport = c.aport, .dport = c.bport, .seq = c.rcv, .ack = c.snd,
				    .flags = TCPHDR_ACK, .zero_window = true });
	cr_assert(eq(u32, tp->snd_wnd, 0));
	cr_assert(eq(int, t_send(c.s, "waiting", 7, 0), 7));
	tseg_expect_none();
	rto = tp->rto;
	cr_assert(ge(u64, rto, 200 * MS), "RTO %llu ms", (unsigned long long)(rto / MS));
	for (unsigned int i = 0; i < 5; i++) {
		world_advance(&p.w, (rto << i) - MS);
		tseg_expect_none();
		world_advance(&p.w, MS);
		r = tseg_expect_one();
		cr_assert(eq(u8, r.flags, TCPHDR_ACK), "probe %u", i);
		cr_assert(eq(u32, r.seq, c.snd - 1));
		cr_assert(eq(u32, r.ack, c.rcv));
		cr_assert(eq(u32, r.len, 0));
		tseg_inject(&(struct tseg){ .sport = c.aport, .dport = c.bport, .seq = c.rcv,
					    .ack = c.snd, .flags = TCPHDR_ACK, .zero_window = true });
		tseg_expect_none();
	}
	tseg_inject(&(struct tseg){ .sport = c.aport, .dport = c.bport, .seq = c.rcv, .ack = c.snd,
				    .flags = TCPHDR_ACK, .win = 100 });
	r = tseg_expect_one();
	cr_assert(eq(u8, r.flags, TCPHDR_ACK | TCPHDR_PSH), "the data, at once");
	cr_assert(eq(u32, r.seq, c.snd));
	cr_assert(eq(u32, r.len, 7));
	cr_assert(not(tp->persist));
	from_a(&c, TCPHDR_ACK, c.rcv, c.snd + 7);
	tseg_expect_none();
	cr_assert(eq(u32, tp->snd_una, c.snd + 7));
	tseg_abort(c.s);
}

/*
 * A peer whose whole window is smaller than one MSS (a tiny SO_RCVBUF):
 * the segments shrink to half its largest window (Linux's
 * tcp_bound_to_half_wnd; RFC 9293 §3.8.6.2.1 lets a sender send once the
 * window is half its maximum), so the data flows in 500-byte segments
 * instead of waiting for room the peer will never offer.
 */
Test(tcp_estab, a_window_smaller_than_the_mss_gets_half_window_segments)
{
	static char data[3000];
	struct tseg_conn c;
	struct tseg_seen syn, r, seg[4];
	u32 acked;

	c.s = tseg_connect(5100, &syn);
	c.aport = 5100;
	c.bport = syn.sport;
	tseg_inject(&(struct tseg){ .sport = c.aport, .dport = c.bport, .seq = TSEG_A_ISS,
				    .ack = syn.seq + 1, .flags = TCPHDR_SYN | TCPHDR_ACK,
				    .mss = 1460, .win = 1000 });
	r = tseg_expect_one();
	cr_assert(eq(u8, r.flags, TCPHDR_ACK));
	c.snd = syn.seq + 1;
	c.rcv = TSEG_A_ISS + 1;
	memset(data, 'w', sizeof(data));
	cr_assert(eq(int, t_send(c.s, data, sizeof(data), 0), (int)sizeof(data)));
	for (acked = 0; acked < sizeof(data);) {
		unsigned int n = tseg_pop(seg, ARRAY_SIZE(seg)), flight = 0;

		cr_assert(gt(u32, n, 0), "stalled at %u of %zu", acked, sizeof(data));
		for (unsigned int i = 0; i < n; i++) {
			cr_assert(eq(u32, seg[i].seq, c.snd + acked + flight));
			cr_assert(gt(u32, seg[i].len, 0));
			cr_assert(le(u32, seg[i].len, 500), "%u bytes: more than half the largest window",
				  seg[i].len);
			flight += seg[i].len;
		}
		cr_assert(le(u32, flight, 1000), "%u bytes in flight in a 1000-byte window", flight);
		acked += flight;
		tseg_inject(&(struct tseg){ .sport = c.aport, .dport = c.bport, .seq = c.rcv,
					    .ack = c.snd + acked, .flags = TCPHDR_ACK, .win = 1000 });
	}
	cr_assert(eq(u32, tcp_sk(c.s->sk)->snd_una, c.snd + sizeof(data)));
	tseg_abort(c.s);
}

/*
 * test_tcp_drops.c - a segment TCP input throws away is counted under its
 * drop reason (skb->drops, skbos-stat's DropNAME) and the MIB counter Linux
 * bumps for it, so "why did this segment vanish" has an answer.  One test
 * per representative drop of libos/ipv4/tcp_ipv4.c and tcp_input.c; each also
 * checks what B answered and that nothing else was counted as dropped.
 *
 * Read first: RFC 9293 §3.10.7 (SEGMENT ARRIVES), RFC 5961 §4 (SYN),
 * Linux's include/net/dropreason-core.h for the names.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "tseg.h"
#include "socks.h"
#include "tcp.h"

TestSuite(tcp_drops, .init = tseg_setup, .fini = tseg_teardown, .timeout = 120);

/* B's drops but the test wire's, which loses all B sends (tseg_silence_a). */
static u64 drops_total(void)
{
	u64 n = 0;

	for (int r = 0; r < SKB_DROP_REASON_MAX; r++)
		if (r != SKB_DROP_REASON_WIRE_LOSS)
			n += drops(sb, (enum skb_drop_reason)r);
	return n;
}

/* The reasons with drops, for a failure message. */
static const char *drops_seen(void)
{
	static char buf[512];
	size_t n = 0;

	buf[0] = 0;
	for (int r = 0; r < SKB_DROP_REASON_MAX && n < sizeof(buf) - 64; r++)
		if (drops(sb, (enum skb_drop_reason)r))
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, " %s=%llu",
					      skb_drop_reason_name((enum skb_drop_reason)r),
					      (unsigned long long)drops(sb, (enum skb_drop_reason)r));
	return buf;
}

/* Exactly one more drop since @before, and under @reason. */
static void expect_one_drop(u64 before_total, u64 before_reason, enum skb_drop_reason reason)
{
	cr_assert(eq(u64, drops(sb, reason) - before_reason, 1), "Drop%s (B:%s)",
		  skb_drop_reason_name(reason), drops_seen());
	cr_assert(eq(u64, drops_total() - before_total, 1), "one drop, under Drop%s only (B:%s)",
		  skb_drop_reason_name(reason), drops_seen());
}

static void data_from_a(const struct tseg_conn *c, u32 seq, bool bad_csum)
{
	tseg_inject(&(struct tseg){ .sport = c->aport, .dport = c->bport, .seq = seq, .ack = c->snd,
				    .flags = TCPHDR_ACK | TCPHDR_PSH, .data = "data", .len = 4,
				    .bad_csum = bad_csum });
}

static void close_conn(struct tseg_conn *c)
{
	tseg_inject(&(struct tseg){ .sport = c->aport, .dport = c->bport, .seq = c->rcv,
				    .flags = TCPHDR_RST });
	cr_assert(eq(int, c->s->sk->sk_state, TCP_CLOSE));
	sock_release(c->s);
}

/* A wrong checksum: TcpInCsumErrors and TcpInErrs, unanswered, undelivered. */
Test(tcp_drops, bad_checksum_is_tcp_csum)
{
	struct tseg_conn c;
	u64 total, csum, inerrs = mib(sb, TCP_MIB_INERRS), csumerr = mib(sb, TCP_MIB_INCSUMERRORS);

	tseg_open(&c, 5000);
	total = drops_total();
	csum = drops(sb, SKB_DROP_REASON_TCP_CSUM);
	data_from_a(&c, c.rcv, true);
	tseg_expect_none();
	expect_one_drop(total, csum, SKB_DROP_REASON_TCP_CSUM);
	cr_assert(eq(u64, mib(sb, TCP_MIB_INCSUMERRORS) - csumerr, 1));
	cr_assert(eq(u64, mib(sb, TCP_MIB_INERRS) - inerrs, 1));
	cr_assert(eq(u32, tcp_sk(c.s->sk)->rcv_nxt, c.rcv), "its data was not taken");
	close_conn(&c);
}

/* RFC 9293 §3.10.7.4 first: beyond the window, "send an acknowledgment ...
 * and drop the unacceptable segment". */
Test(tcp_drops, out_of_window_is_tcp_invalid_sequence)
{
	struct tseg_conn c;
	struct tseg_seen r;
	u64 total, inv;

	tseg_open(&c, 5000);
	total = drops_total();
	inv = drops(sb, SKB_DROP_REASON_TCP_INVALID_SEQUENCE);
	data_from_a(&c, c.rcv + 0x40000000u, false);
	r = tseg_expect_one();
	cr_assert(eq(u8, r.flags, TCPHDR_ACK));
	cr_assert(eq(u32, r.ack, c.rcv));
	expect_one_drop(total, inv, SKB_DROP_REASON_TCP_INVALID_SEQUENCE);
	close_conn(&c);
}

/* An old duplicate (all below RCV.NXT) is re-ACKed and dropped as old. */
Test(tcp_drops, old_duplicate_is_tcp_old_sequence)
{
	struct tseg_conn c;
	u64 total, old;

	tseg_open(&c, 5000);
	data_from_a(&c, c.rcv, false);
	cr_assert(eq(u32, tseg_expect_one().ack, c.rcv + 4));
	c.rcv += 4;
	total = drops_total();
	old = drops(sb, SKB_DROP_REASON_TCP_OLD_SEQUENCE);
	data_from_a(&c, c.rcv - 4, false);
	cr_assert(eq(u32, tseg_expect_one().ack, c.rcv));
	expect_one_drop(total, old, SKB_DROP_REASON_TCP_OLD_SEQUENCE);
	close_conn(&c);
}

/* RFC 5961 §4.2: a SYN on a connection gets a challenge ACK; Linux counts
 * it in TcpInErrs and TCPSYNChallenge. */
Test(tcp_drops, syn_in_established_is_tcp_invalid_syn)
{
	struct tseg_conn c;
	u64 total, syn, inerrs, challenge;

	tseg_open(&c, 5000);
	total = drops_total();
	syn = drops(sb, SKB_DROP_REASON_TCP_INVALID_SYN);
	inerrs = mib(sb, TCP_MIB_INERRS);
	challenge = mib(sb, LINUX_MIB_TCPSYNCHALLENGE);
	tseg_inject(&(struct tseg){ .sport = c.aport, .dport = c.bport, .seq = c.rcv + 100,
				    .flags = TCPHDR_SYN });
	cr_assert(eq(u8, tseg_expect_one().flags, TCPHDR_ACK));
	expect_one_drop(total, syn, SKB_DROP_REASON_TCP_INVALID_SYN);
	cr_assert(eq(u64, mib(sb, TCP_MIB_INERRS) - inerrs, 1));
	cr_assert(eq(u64, mib(sb, LINUX_MIB_TCPSYNCHALLENGE) - challenge, 1));
	close_conn(&c);
}

/* RFC 9293 §3.10.7.1: no socket: a RST, and the segment counted as such. */
Test(tcp_drops, no_socket_is_no_socket)
{
	struct tseg_seen r;
	u64 total = drops_total(), none = drops(sb, SKB_DROP_REASON_NO_SOCKET);

	tseg_inject(&(struct tseg){ .sport = 4000, .dport = 4999, .seq = 7, .flags = TCPHDR_SYN });
	r = tseg_expect_one();
	cr_assert(eq(u8, r.flags, TCPHDR_RST | TCPHDR_ACK));
	expect_one_drop(total, none, SKB_DROP_REASON_NO_SOCKET);
}

/* RFC 9293 §3.10.7.2: a listener ignores a RST and drops a segment with
 * neither SYN nor ACK. */
Test(tcp_drops, listener_drops_rst_and_flagless_segments)
{
	struct socket *l = listener(6000);
	u64 total = drops_total(), rst = drops(sb, SKB_DROP_REASON_TCP_RESET),
	    flags = drops(sb, SKB_DROP_REASON_TCP_FLAGS);

	tseg_inject(&(struct tseg){ .sport = 4000, .dport = 6000, .seq = 7, .flags = TCPHDR_RST });
	expect_one_drop(total, rst, SKB_DROP_REASON_TCP_RESET);
	tseg_inject(&(struct tseg){ .sport = 4000, .dport = 6000, .seq = 7, .flags = TCPHDR_PSH,
				    .data = "x", .len = 1 });
	expect_one_drop(total + 1, flags, SKB_DROP_REASON_TCP_FLAGS);
	tseg_expect_none();
	sock_release(l);
}

/*
 * test_tcp_open.c - opening a connection, packet by packet: the test plays
 * the peer with crafted segments (harness/tseg.h) and checks every segment
 * skbos answers with: flags, sequence and acknowledgment numbers, window,
 * options.  Passive open, active open (options, a bad SYN-ACK, a RST, SYN
 * retries on virtual time), simultaneous open.
 *
 * Read first: RFC 9293 §3.5 (figures 6-9) and §3.10.7.2-3 (LISTEN and
 * SYN-SENT), RFC 7323 §2-3 (window scale, timestamps), RFC 2018 §2
 * (SACK-permitted), RFC 6298 §5.7 (SYN retries and their backoff).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "tseg.h"
#include "socks.h"
#include "route.h"
#include "tcp.h"

#define MS NSEC_PER_MSEC
#define SEC NSEC_PER_SEC

TestSuite(tcp_open, .init = tseg_setup, .fini = tseg_teardown, .timeout = 120);

/* The window a SYN offers: the first receive window, unscaled, at most 64 KB. */
static u16 syn_window(const struct socket *s)
{
	u32 w = (u32)s->sk->sk_rcvbuf / 2;

	return (u16)(w > 65535 ? 65535 : w);
}

/*
 * RFC 9293 §3.10.7: LISTEN -(SYN)-> SYN_RECV -(ACK)-> ESTABLISHED -(FIN)->
 * CLOSE_WAIT -(close)-> LAST_ACK -(ACK)-> CLOSED, each step checked on the
 * segment B answers with; and an ACK to the listener for no connection gets
 * a RST at the ACK's number (§3.10.7.2).
 */
Test(tcp_open, a_passive_connection_walks_through_its_states)
{
	struct socket *l = listener(102), *s;
	struct tseg_seen r;
	unsigned int before;
	const u32 a = TSEG_A_ISS;

	tseg_inject(&(struct tseg){ .sport = 40000, .dport = 102, .seq = a, .flags = TCPHDR_SYN,
				    .mss = 1460 });
	r = tseg_expect_one();
	cr_assert(eq(u8, r.flags, TCPHDR_SYN | TCPHDR_ACK));
	cr_assert(eq(u32, r.ack, a + 1));
	cr_assert(eq(u16, r.mss, 1460), "the SYN-ACK offers an MSS");
	cr_assert(eq(int, r.wscale, -1), "no window scale: the SYN had none (RFC 7323 §1.3)");
	cr_assert(not(r.sack_perm || r.ts), "nor SACK or timestamps");
	cr_assert(eq(int, tcp_sk(l->sk)->syn_len, 1));
	tseg_inject(&(struct tseg){ .sport = 40000, .dport = 102, .seq = a + 1, .ack = r.seq + 1,
				    .flags = TCPHDR_ACK });
	tseg_expect_none();
	cr_assert(eq(int, tcp_sk(l->sk)->accept_len, 1), "ESTABLISHED, on the accept queue");
	cr_assert(eq(int, sock_accept(l, &s, 0), 0));
	cr_assert(eq(int, s->sk->sk_state, TCP_ESTABLISHED));
	tseg_inject(&(struct tseg){ .sport = 40000, .dport = 102, .seq = a + 1, .ack = r.seq + 1,
				    .flags = TCPHDR_FIN | TCPHDR_ACK });
	cr_assert(eq(int, s->sk->sk_state, TCP_CLOSE_WAIT));
	r = tseg_expect_one();
	cr_assert(eq(u8, r.flags, TCPHDR_ACK));
	cr_assert(eq(u32, r.ack, a + 2), "the FIN is acknowledged");
	cr_assert(eq(int, t_recv(s, &before, sizeof(before), 0), 0), "EOF");
	before = tcp_socket_count(sb);
	s->ops->shutdown(s, SHUT_WR);
	cr_assert(eq(int, s->sk->sk_state, TCP_LAST_ACK));
	r = tseg_expect_one();
	cr_assert(eq(u8, r.flags, TCPHDR_FIN | TCPHDR_ACK));
	cr_assert(eq(u32, r.ack, a + 2));
	tseg_inject(&(struct tseg){ .sport = 40000, .dport = 102, .seq = a + 2, .ack = r.seq + 1,
				    .flags = TCPHDR_ACK });
	tseg_expect_none();
	cr_assert(eq(int, s->sk->sk_state, TCP_CLOSE), "the FIN acknowledged: CLOSED");
	cr_assert(eq(u32, tcp_socket_count(sb), before - 1));
	tseg_inject(&(struct tseg){ .sport = 40001, .dport = 102, .seq = 5000, .ack = 777777,
				    .flags = TCPHDR_ACK });
	r = tseg_expect_one();
	cr_assert(eq(u8, r.flags, TCPHDR_RST));
	cr_assert(eq(u32, r.seq, 777777), "a RST at the stray ACK's number");
	sock_release(s);
	sock_release(l);
}

/*
 * Our SYN offers MSS = route MTU - 40 (RFC 9293 §3.7.1), SACK-permitted
 * (RFC 2018 §2), TSopt with TSecr 0 (RFC 7323 §3.2), our window scale
 * (RFC 7323 §2.2: room for tcp_rmem[2], 6 MB: shift 7) and an unscaled
 * window.  The SYN-ACK turns every option on; the ACK that completes the
 * handshake echoes the peer's TSval and scales its window by our shift.
 */
Test(tcp_open, active_open_offers_options_and_the_synack_establishes)
{
	struct tseg_seen syn, r;
	struct socket *s = tseg_connect(5000, &syn);
	struct tcp_sock *tp = tcp_sk(s->sk);

	cr_assert(eq(u32, syn.seq, tp->iss));
	cr_assert(eq(u32, syn.ack, 0));
	cr_assert(eq(u16, syn.mss, p.db->mtu - 40));
	cr_assert(eq(int, syn.wscale, 7));
	cr_assert(syn.sack_perm);
	cr_assert(syn.ts, "timestamps: net.ipv4.tcp_timestamps is on");
	cr_assert(eq(u32, syn.tsval, tcp_time_stamp(tp)));
	cr_assert(eq(u32, syn.tsecr, 0));
	cr_assert(eq(u16, syn.win, syn_window(s)));
	cr_assert(eq(u32, syn.len, 0));
	world_advance(&p.w, 10 * MS);
	tseg_inject(&(struct tseg){ .sport = 5000, .dport = syn.sport, .seq = TSEG_A_ISS,
				    .ack = syn.seq + 1, .flags = TCPHDR_SYN | TCPHDR_ACK, .mss = 1400,
				    .wscale = 2 + 1, .sack_perm = true, .ts = true, .tsval = 777,
				    .tsecr = syn.tsval });
	r = tseg_expect_one();
	cr_assert(eq(u8, r.flags, TCPHDR_ACK));
	cr_assert(eq(u32, r.seq, syn.seq + 1));
	cr_assert(eq(u32, r.ack, TSEG_A_ISS + 1));
	cr_assert(r.ts);
	cr_assert(eq(u32, r.tsecr, 777), "the peer's TSval echoed");
	cr_assert(eq(u32, r.tsval, syn.tsval + 10), "our clock is milliseconds");
	cr_assert(eq(int, r.wscale, -1), "no SYN options after the SYN");
	cr_assert(eq(u16, r.mss, 0));
	cr_assert(ge(u32, (u32)r.win << 7, syn.win), "scaled by 7, the window did not shrink");
	cr_assert(le(u32, (u32)r.win << 7, (u32)s->sk->sk_rcvbuf));
	cr_assert(eq(int, s->sk->sk_state, TCP_ESTABLISHED));
	cr_assert(eq(int, t_getint(s, SOL_SOCKET, SO_ERROR), 0));
	cr_assert(tp->rx_opt.sack_ok && tp->rx_opt.tstamp_ok);
	cr_assert(eq(u16, tp->mss_cache, 1400 - TCPOLEN_TSTAMP_ALIGNED), "the peer's MSS less TSopt");
	cr_assert(eq(u32, tp->snd_wnd, 65535), "a SYN's window is never scaled");
	tseg_inject(&(struct tseg){ .sport = 5000, .dport = syn.sport, .seq = TSEG_A_ISS + 1,
				    .ack = syn.seq + 1, .flags = TCPHDR_ACK, .win = 1000, .ts = true,
				    .tsval = 778, .tsecr = r.tsval });
	cr_assert(eq(u32, tp->snd_wnd, 1000 << 2), "later windows are, by the peer's shift");
	tseg_abort(s);
}

/* A smaller path MTU gives a smaller MSS; with timestamps and SACK turned
 * off (net.ipv4.tcp_timestamps = tcp_sack = 0) the SYN offers neither. */
Test(tcp_open, syn_mss_follows_the_path_mtu_and_options_follow_the_sysctls)
{
	struct tseg_seen syn;
	struct socket *s;

	ipv4_update_pmtu(sb, p.a, 1280);
	sb->sysctl.tcp_timestamps = false;
	sb->sysctl.tcp_sack = false;
	s = tseg_connect(5000, &syn);
	cr_assert(eq(u16, syn.mss, 1280 - 40));
	cr_assert(not(syn.ts || syn.sack_perm));
	cr_assert(eq(int, syn.wscale, 7));
	sock_release(s);
	cr_assert(eq(u32, tcp_socket_count(sb), 0), "closed in SYN_SENT: gone at once");
	tseg_expect_none();
}

/*
 * RFC 9293 §3.10.7.3, SYN-SENT, first: "If SEG.ACK =< ISS or SEG.ACK >
 * SND.NXT, send a reset <SEQ=SEG.ACK><CTL=RST>" and drop the segment; the
 * connection waits on for a good SYN-ACK.
 */
Test(tcp_open, synack_with_a_bad_ack_gets_a_rst_at_that_ack)
{
	struct tseg_seen syn, r;
	struct socket *s = tseg_connect(5000, &syn);
	const u32 bad[] = { syn.seq, syn.seq - 1000, syn.seq + 2, syn.seq + 100000 };

	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		tseg_inject(&(struct tseg){ .sport = 5000, .dport = syn.sport, .seq = TSEG_A_ISS,
					    .ack = bad[i], .flags = TCPHDR_SYN | TCPHDR_ACK, .mss = 1460 });
		r = tseg_expect_one();
		cr_assert(eq(u8, r.flags, TCPHDR_RST), "ack %u", bad[i]);
		cr_assert(eq(u32, r.seq, bad[i]));
		cr_assert(eq(int, s->sk->sk_state, TCP_SYN_SENT));
	}
	tseg_inject(&(struct tseg){ .sport = 5000, .dport = syn.sport, .seq = TSEG_A_ISS,
				    .ack = syn.seq + 1, .flags = TCPHDR_SYN | TCPHDR_ACK, .mss = 1460 });
	r = tseg_expect_one();
	cr_assert(eq(u8, r.flags, TCPHDR_ACK));
	cr_assert(eq(int, s->sk->sk_state, TCP_ESTABLISHED));
	tseg_abort(s);
}

/*
 * RFC 9293 §3.10.7.3, SYN-SENT, second: a RST with an acceptable ACK is
 * "connection reset" (Linux: ECONNREFUSED); a RST without an ACK, or with
 * an unacceptable one, is dropped.  A RST is never answered.
 */
Test(tcp_open, rst_with_an_acceptable_ack_in_syn_sent_is_econnrefused)
{
	struct tseg_seen syn;
	struct socket *s = tseg_connect(5000, &syn);
	u64 fails = mib(sb, TCP_MIB_ATTEMPTFAILS);

	tseg_inject(&(struct tseg){ .sport = 5000, .dport = syn.sport, .seq = TSEG_A_ISS,
				    .flags = TCPHDR_RST });
	tseg_inject(&(struct tseg){ .sport = 5000, .dport = syn.sport, .seq = 0, .ack = syn.seq + 7,
				    .flags = TCPHDR_RST | TCPHDR_ACK });
	tseg_expect_none();
	cr_assert(eq(int, s->sk->sk_state, TCP_SYN_SENT), "both dropped");
	tseg_inject(&(struct tseg){ .sport = 5000, .dport = syn.sport, .seq = 0, .ack = syn.seq + 1,
				    .flags = TCPHDR_RST | TCPHDR_ACK });
	tseg_expect_none();
	cr_assert(eq(int, s->sk->sk_state, TCP_CLOSE));
	cr_assert(eq(int, t_getint(s, SOL_SOCKET, SO_ERROR), ECONNREFUSED));
	cr_assert(eq(u64, mib(sb, TCP_MIB_ATTEMPTFAILS), fails + 1));
	sock_release(s);
}

/*
 * Unanswered, the SYN is sent again after the initial RTO, 1 s (RFC 6298
 * §2.1), the timer doubling each time (§5.5); after TCP_SYNCNT retries and
 * one more doubled wait the connect fails with ETIMEDOUT: with 3, SYNs at
 * 0, 1, 3 and 7 s, the end at 15 s, each to the millisecond.
 */
Test(tcp_open, syn_retries_back_off_then_etimedout_after_tcp_syncnt)
{
	struct tseg_seen syn, r;
	struct socket *s = tseg_connect(5000, &syn);
	const u64 gap_ms[] = { 1000, 2000, 4000, 8000 };

	/* read when the timer fires, as Linux: set now, it counts */
	cr_assert(eq(int, t_setint(s, IPPROTO_TCP, TCP_SYNCNT, 3), 0));
	for (unsigned int i = 0; i < ARRAY_SIZE(gap_ms); i++) {
		world_advance_ms(&p.w, gap_ms[i] - 1);
		tseg_expect_none();
		cr_assert(eq(int, s->sk->sk_state, TCP_SYN_SENT), "1 ms before timeout %u", i);
		world_advance_ms(&p.w, 1);
		if (i == ARRAY_SIZE(gap_ms) - 1)
			break;
		r = tseg_expect_one();
		cr_assert(eq(u8, r.flags, TCPHDR_SYN), "retry %u", i + 1);
		cr_assert(eq(u32, r.seq, syn.seq), "the same ISN");
		cr_assert(eq(u16, r.mss, syn.mss), "the same options");
		cr_assert(eq(int, r.wscale, syn.wscale));
		cr_assert(eq(u8, r.sack_perm, syn.sack_perm));
	}
	tseg_expect_none();
	cr_assert(eq(int, s->sk->sk_state, TCP_CLOSE));
	cr_assert(eq(int, t_getint(s, SOL_SOCKET, SO_ERROR), ETIMEDOUT));
	sock_release(s);
}

/*
 * RFC 9293 §3.5 figure 8, §3.10.7.3 fourth: in SYN-SENT a SYN without ACK
 * is a simultaneous open: SYN-RECEIVED, answered <SEQ=ISS><ACK=RCV.NXT>
 * <CTL=SYN,ACK> (options only those the peer's SYN offered); the peer's ACK
 * of our SYN then makes it ESTABLISHED, and data flows on from ISS+1.
 */
Test(tcp_open, simultaneous_open_answers_a_syn_with_a_synack)
{
	struct tseg_seen syn, r;
	struct socket *s = tseg_connect(5000, &syn);

	tseg_inject(&(struct tseg){ .sport = 5000, .dport = syn.sport, .seq = TSEG_A_ISS,
				    .flags = TCPHDR_SYN, .mss = 1400 });
	cr_assert(eq(int, s->sk->sk_state, TCP_SYN_RECV));
	r = tseg_expect_one();
	cr_assert(eq(u8, r.flags, TCPHDR_SYN | TCPHDR_ACK));
	cr_assert(eq(u32, r.seq, syn.seq), "our ISS again");
	cr_assert(eq(u32, r.ack, TSEG_A_ISS + 1));
	cr_assert(eq(u16, r.mss, syn.mss));
	cr_assert(eq(int, r.wscale, -1), "the peer offered no window scale");
	cr_assert(not(r.sack_perm || r.ts));
	tseg_inject(&(struct tseg){ .sport = 5000, .dport = syn.sport, .seq = TSEG_A_ISS + 1,
				    .ack = syn.seq + 1, .flags = TCPHDR_ACK });
	tseg_expect_none();
	cr_assert(eq(int, s->sk->sk_state, TCP_ESTABLISHED));
	cr_assert(eq(int, t_getint(s, SOL_SOCKET, SO_ERROR), 0));
	cr_assert(eq(u16, tcp_sk(s->sk)->mss_cache, 1400));
	cr_assert(eq(int, t_send(s, "sim", 3, 0), 3));
	r = tseg_expect_one();
	cr_assert(eq(u8, r.flags, TCPHDR_ACK | TCPHDR_PSH));
	cr_assert(eq(u32, r.seq, syn.seq + 1));
	cr_assert(eq(u32, r.ack, TSEG_A_ISS + 1));
	cr_assert(eq(u32, r.len, 3));
	tseg_abort(s);
}

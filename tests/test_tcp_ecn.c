/*
 * test_tcp_ecn.c - ECN (RFC 3168) and PRR (RFC 6937), packet by packet: the
 * test plays the peer with crafted segments (harness/tseg.h), sets and reads
 * the IP header's ECN bits, and checks what skbos answers as Linux does
 * (net/ipv4/tcp_input.c, tcp_output.c: tcp_ecn_*, tcp_enter_cwr,
 * tcp_cwnd_reduction).
 *
 * Read first: RFC 3168 §5 (codepoints), §6.1.1 (the handshake), §6.1.2
 * (the sender's response), §6.1.3 (the receiver's echo), §6.1.4-5 (no ECT
 * on pure ACKs, SYNs, retransmissions); RFC 6937 §3 (PRR's sndcnt).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>

#include "tseg.h"
#include "socks.h"
#include "tcp.h"

#define MS NSEC_PER_MSEC
#define ECN_OF(tos) ((tos) & INET_ECN_MASK)

TestSuite(tcp_ecn, .init = tseg_setup, .fini = tseg_teardown, .timeout = 120);

/* B connects to A:@aport with net.ipv4.tcp_ecn = @sysctl; @syn is its SYN. */
static struct socket *ecn_connect(int sysctl, u16 aport, struct tseg_seen *syn)
{
	struct socket *s = t_socket(sb, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(aport) };

	sb->sysctl.tcp_ecn = sysctl;
	sin.sin_addr.s_addr = p.a;
	cr_assert(eq(int, s->ops->connect(s, (struct sockaddr *)&sin, sizeof(sin), O_NONBLOCK),
		     -EINPROGRESS));
	*syn = tseg_expect_one();
	return s;
}

/*
 * An ECN connection B -> A (tcp_ecn 1, A's SYN-ACK says ECE), MSS 1460,
 * 10 ms round trip, @sack: A offers SACK.  Fills @c, ESTABLISHED.
 */
static void ecn_open(struct tseg_conn *c, u16 aport, bool sack)
{
	struct tseg_seen syn, ack;

	c->s = ecn_connect(1, aport, &syn);
	cr_assert(eq(u8, syn.flags, TCPHDR_SYN | TCPHDR_ECE | TCPHDR_CWR));
	c->aport = aport;
	c->bport = syn.sport;
	world_advance(&p.w, 10 * MS);
	tseg_inject(&(struct tseg){ .sport = aport, .dport = c->bport, .seq = TSEG_A_ISS,
				    .ack = syn.seq + 1, .flags = TCPHDR_SYN | TCPHDR_ACK | TCPHDR_ECE,
				    .mss = 1460, .sack_perm = sack });
	ack = tseg_expect_one();
	cr_assert(eq(u8, ack.flags, TCPHDR_ACK));
	cr_assert(eq(int, c->s->sk->sk_state, TCP_ESTABLISHED));
	cr_assert(ne(int, tcp_sk(c->s->sk)->ecn_flags & TCP_ECN_OK, 0));
	c->snd = syn.seq + 1;
	c->rcv = TSEG_A_ISS + 1;
}

/* A sends @len bytes at c->rcv with TOS @tos and @flags (ACK added). */
static void a_data(struct tseg_conn *c, unsigned int len, u8 tos, u8 flags)
{
	static u8 buf[1460];

	tseg_inject(&(struct tseg){ .sport = c->aport, .dport = c->bport, .seq = c->rcv,
				    .ack = c->snd, .flags = TCPHDR_ACK | flags, .data = buf,
				    .len = len, .tos = tos });
	c->rcv += len;
}

/* ---- the handshake (RFC 3168 §6.1.1) --------------------------------------- */

struct passive_case {
	int sysctl;
	u8 syn_flags;  /* ECE|CWR asked, or not */
	u8 syn_tos;    /* the SYN's ECN codepoint */
	bool agree;    /* Linux's SYN-ACK carries ECE */
};

/*
 * Linux's tcp_ecn_create_request: a SYN with ECE and CWR is accepted when
 * net.ipv4.tcp_ecn is 1 or 2 (2, the default, accepts without asking), not
 * when it is 0, and not when the SYN itself was ECT ("a network that
 * rewrites the field"); the SYN-ACK then has ECE alone (§6.1.1 "ECN-setup
 * SYN-ACK packet").  Never ECT on the SYN-ACK.
 */
ParameterizedTestParameters(tcp_ecn, passive_open_follows_the_sysctl)
{
	static struct passive_case cases[] = {
		{ 0, TCPHDR_ECE | TCPHDR_CWR, 0, false },
		{ 1, TCPHDR_ECE | TCPHDR_CWR, 0, true },
		{ 2, TCPHDR_ECE | TCPHDR_CWR, 0, true },
		{ 1, 0, 0, false },
		{ 2, 0, 0, false },
		{ 2, TCPHDR_ECE, 0, false },
		{ 2, TCPHDR_ECE | TCPHDR_CWR, INET_ECN_ECT_0, false },
	};
	return cr_make_param_array(struct passive_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct passive_case *pc, tcp_ecn, passive_open_follows_the_sysctl)
{
	struct socket *l, *s;
	struct tseg_seen r;
	static u8 buf[100];
	struct tcp_info ti;
	socklen_t tl = sizeof(ti);

	sb->sysctl.tcp_ecn = pc->sysctl;
	l = listener(102);
	tseg_inject(&(struct tseg){ .sport = 40000, .dport = 102, .seq = TSEG_A_ISS,
				    .flags = TCPHDR_SYN | pc->syn_flags, .mss = 1460,
				    .tos = pc->syn_tos });
	r = tseg_expect_one();
	cr_assert(eq(u8, r.flags, TCPHDR_SYN | TCPHDR_ACK | (pc->agree ? TCPHDR_ECE : 0)));
	cr_assert(eq(u8, ECN_OF(r.tos), INET_ECN_NOT_ECT), "a SYN-ACK is never ECT (§6.1.1)");
	tseg_inject(&(struct tseg){ .sport = 40000, .dport = 102, .seq = TSEG_A_ISS + 1,
				    .ack = r.seq + 1, .flags = TCPHDR_ACK });
	cr_assert(eq(int, sock_accept(l, &s, 0), 0));
	cr_assert(eq(int, s->ops->getsockopt(s, IPPROTO_TCP, TCP_INFO, &ti, &tl), 0));
	cr_assert(eq(int, !!(ti.tcpi_options & TCPI_OPT_ECN), pc->agree), "TCPI_OPT_ECN");
	/* data: ECT(0) only on an agreed connection */
	cr_assert(eq(int, t_send(s, buf, sizeof(buf), 0), (int)sizeof(buf)));
	r = tseg_expect_one();
	cr_assert(eq(u32, r.len, sizeof(buf)));
	cr_assert(eq(u8, ECN_OF(r.tos), pc->agree ? INET_ECN_ECT_0 : INET_ECN_NOT_ECT));
	tseg_abort(s);
	sock_release(l);
}

/*
 * Linux's tcp_ecn_send_syn: only net.ipv4.tcp_ecn = 1 asks, with ECE and
 * CWR on a not-ECT SYN; 2 (the default) and 0 send a plain SYN.
 */
Test(tcp_ecn, active_open_asks_only_with_sysctl_1)
{
	struct tseg_seen syn;
	struct socket *s;
	int v;

	for (v = 0; v <= 2; v++) {
		s = ecn_connect(v, (u16)(5000 + v), &syn);
		cr_assert(eq(u8, syn.flags, TCPHDR_SYN | (v == 1 ? TCPHDR_ECE | TCPHDR_CWR : 0)),
			  "tcp_ecn %d", v);
		cr_assert(eq(u8, ECN_OF(syn.tos), INET_ECN_NOT_ECT), "a SYN is never ECT");
		tseg_abort(s);
		tseg_pop(&syn, 1); /* the RST */
	}
}

/*
 * RFC 3168 §6.1.1 and Linux's tcp_ecn_rcv_synack: only a SYN-ACK with ECE
 * and without CWR agrees; ECE|CWR is a host that reflects the reserved bits.
 */
Test(tcp_ecn, active_open_agrees_only_on_a_synack_with_ece_alone)
{
	static const u8 answers[] = { TCPHDR_ECE, TCPHDR_ECE | TCPHDR_CWR, 0, TCPHDR_CWR };
	struct tseg_seen syn, r;
	struct socket *s;
	unsigned int i;

	for (i = 0; i < sizeof(answers); i++) {
		s = ecn_connect(1, (u16)(5000 + i), &syn);
		world_advance(&p.w, 10 * MS);
		tseg_inject(&(struct tseg){ .sport = (u16)(5000 + i), .dport = syn.sport,
					    .seq = TSEG_A_ISS, .ack = syn.seq + 1,
					    .flags = TCPHDR_SYN | TCPHDR_ACK | answers[i], .mss = 1460 });
		r = tseg_expect_one();
		cr_assert(eq(u8, r.flags, TCPHDR_ACK));
		cr_assert(eq(int, !!(tcp_sk(s->sk)->ecn_flags & TCP_ECN_OK), i == 0), "answer %#x",
			  answers[i]);
		tseg_abort(s);
		tseg_pop(&r, 1);
	}
}

/*
 * RFC 3168 §6.1.1.1 and Linux's tcp_ecn_clear_syn (tcp_ecn_fallback 1): a
 * SYN sent again goes without ECE and CWR, a middlebox may drop ECN-setup
 * SYNs.  A SYN-ACK with ECE to it still agrees (Linux keeps TCP_ECN_OK).
 */
Test(tcp_ecn, a_retransmitted_syn_drops_ece_and_cwr)
{
	struct tseg_seen syn, again;
	struct socket *s = ecn_connect(1, 5000, &syn);

	world_advance(&p.w, 1100 * MS);
	again = tseg_expect_one();
	cr_assert(eq(u32, again.seq, syn.seq));
	cr_assert(eq(u8, again.flags, TCPHDR_SYN));
	tseg_abort(s);
}

/* ---- ECT on data, not on ACKs or retransmissions (RFC 3168 §6.1.4-5) ------- */

Test(tcp_ecn, ect0_on_new_data_only)
{
	struct tseg_conn c;
	struct tseg_seen r[4];
	static u8 buf[2 * 1460];
	unsigned int n, i;

	ecn_open(&c, 5000, false);
	cr_assert(eq(int, t_send(c.s, buf, sizeof(buf), 0), (int)sizeof(buf)));
	n = tseg_pop(r, 4);
	cr_assert(eq(u32, n, 2));
	for (i = 0; i < n; i++) {
		cr_assert(eq(u8, ECN_OF(r[i].tos), INET_ECN_ECT_0), "new data is ECT(0)");
		cr_assert(eq(u8, r[i].flags & (TCPHDR_ECE | TCPHDR_CWR), 0));
	}
	/* RFC 6298 §5.4: the RTO (200 ms at least, 10 ms RTT) resends the first;
	 * RFC 3168 §6.1.5: it "MUST NOT" be ECT */
	world_advance(&p.w, 300 * MS);
	r[0] = tseg_expect_one();
	cr_assert(eq(u32, r[0].seq, c.snd));
	cr_assert(eq(u8, ECN_OF(r[0].tos), INET_ECN_NOT_ECT), "a retransmission is not ECT");
	tseg_inject(&(struct tseg){ .sport = c.aport, .dport = c.bport, .seq = c.rcv,
				    .ack = c.snd + sizeof(buf), .flags = TCPHDR_ACK });
	tseg_pop(r, 4);
	/* §6.1.4: "pure ACK packets ... MUST NOT" be ECT */
	c.snd += sizeof(buf);
	a_data(&c, 1000, INET_ECN_ECT_0, TCPHDR_PSH);
	world_advance(&p.w, 200 * MS); /* the delayed ACK */
	r[0] = tseg_expect_one();
	cr_assert(eq(u32, r[0].len, 0));
	cr_assert(eq(u8, ECN_OF(r[0].tos), INET_ECN_NOT_ECT), "a pure ACK is not ECT");
	cr_assert(eq(u8, r[0].flags, TCPHDR_ACK), "ECT(0) alone asks no echo");
	tseg_abort(c.s);
}

/* ---- the receiver: CE -> ECE until CWR (RFC 3168 §6.1.3) ------------------- */

/*
 * "the TCP receiver sets the ECN-Echo flag in a series of TCP ACK packets
 * sent subsequently ... until it receives a CWR packet"; Linux ACKs the
 * CE segment at once (quick-ACK mode: the sender's cwnd may be tiny), and
 * a data segment with CWR at once too (ICSK_ACK_NOW).
 */
Test(tcp_ecn, ce_is_echoed_until_cwr)
{
	struct tseg_conn c;
	struct tseg_seen r;
	struct tcp_info ti;
	socklen_t tl = sizeof(ti);

	ecn_open(&c, 5000, false);
	a_data(&c, 500, INET_ECN_CE, TCPHDR_PSH);
	r = tseg_expect_one();
	cr_assert(eq(u8, r.flags, TCPHDR_ACK | TCPHDR_ECE), "CE: ACKed at once, with ECE");
	cr_assert(eq(u32, r.ack, c.rcv));
	cr_assert(eq(int, c.s->ops->getsockopt(c.s, IPPROTO_TCP, TCP_INFO, &ti, &tl), 0));
	cr_assert(ne(int, ti.tcpi_options & TCPI_OPT_ECN_SEEN, 0), "TCPI_OPT_ECN_SEEN");
	a_data(&c, 500, INET_ECN_ECT_0, TCPHDR_PSH);
	r = tseg_expect_one(); /* the second quick ACK */
	cr_assert(eq(u8, r.flags, TCPHDR_ACK | TCPHDR_ECE), "still ECE: no CWR yet");
	a_data(&c, 500, INET_ECN_ECT_0, TCPHDR_PSH);
	world_advance(&p.w, 200 * MS);
	r = tseg_expect_one();
	cr_assert(eq(u8, r.flags, TCPHDR_ACK | TCPHDR_ECE), "the delayed ACK echoes too");
	a_data(&c, 500, INET_ECN_ECT_0, TCPHDR_PSH | TCPHDR_CWR);
	r = tseg_expect_one();
	cr_assert(eq(u8, r.flags, TCPHDR_ACK), "CWR: the echo stops, ACKed at once");
	cr_assert(eq(u32, r.ack, c.rcv));
	/* a pure ACK with CWR carries no data: Linux's tcp_data_queue never sees it */
	a_data(&c, 500, INET_ECN_CE, TCPHDR_PSH);
	r = tseg_expect_one();
	cr_assert(eq(u8, r.flags, TCPHDR_ACK | TCPHDR_ECE), "a new CE starts it again");
	tseg_abort(c.s);
}

/* ---- the sender: ECE -> one reduction per window, CWR (RFC 3168 §6.1.2) ---- */

Test(tcp_ecn, ece_reduces_once_per_window_and_sends_cwr)
{
	struct tseg_conn c;
	struct tseg_seen r[32];
	static u8 buf[30 * 1460];
	struct tcp_sock *tp;
	struct tcp_info ti;
	socklen_t tl = sizeof(ti);
	u32 cwnd0, ssthresh, high, n, i, cwr = 0;

	ecn_open(&c, 5000, false);
	tp = tcp_sk(c.s->sk);
	cr_assert(eq(int, t_send(c.s, buf, sizeof(buf), 0), (int)sizeof(buf)));
	cwnd0 = tp->snd_cwnd;
	n = tseg_pop(r, 32);
	cr_assert(eq(u32, n, cwnd0), "the initial window: %u", cwnd0);
	high = c.snd + n * 1460;
	world_advance(&p.w, 10 * MS);
	/* "the sender ... SHOULD reduce ... halve ... and reduce the slow start threshold" */
	tseg_inject(&(struct tseg){ .sport = c.aport, .dport = c.bport, .seq = c.rcv,
				    .ack = c.snd + 1460, .flags = TCPHDR_ACK | TCPHDR_ECE });
	cr_assert(tp->in_cwr, "CWR state");
	ssthresh = tp->snd_ssthresh;
	cr_assert(lt(u32, ssthresh, cwnd0), "ssthresh cut from %u to %u", cwnd0, ssthresh);
	cr_assert(eq(int, c.s->ops->getsockopt(c.s, IPPROTO_TCP, TCP_INFO, &ti, &tl), 0));
	cr_assert(eq(u8, ti.tcpi_ca_state, TCP_CA_CWR));
	n = tseg_pop(r, 32);
	for (i = 0; i < n; i++)
		cwr += !!(r[i].flags & TCPHDR_CWR);
	/* "the TCP sender ... sets the CWR flag in the TCP header of the first new data packet" */
	cr_assert(ge(u32, n, 1), "PRR lets the first segment go");
	cr_assert(ne(int, r[0].flags & TCPHDR_CWR, 0), "n %u flags %#x", n, r[0].flags);
	cr_assert(eq(u8, ECN_OF(r[0].tos), INET_ECN_ECT_0));
	cr_assert(eq(u32, cwr, 1), "CWR once");
	/* "... react to congestion at most once per window of data": more ECEs
	 * inside the window change nothing */
	for (i = 2; i <= 5; i++) {
		tseg_inject(&(struct tseg){ .sport = c.aport, .dport = c.bport, .seq = c.rcv,
					    .ack = c.snd + i * 1460, .flags = TCPHDR_ACK | TCPHDR_ECE });
		cr_assert(eq(u32, tp->snd_ssthresh, ssthresh), "no second cut in the window");
		n = tseg_pop(r, 32);
		for (u32 j = 0; j < n; j++)
			cr_assert(eq(u8, r[j].flags & TCPHDR_CWR, 0), "CWR only once");
	}
	/* Linux's tcp_count_delivered: the segments ACKs with ECE covered */
	cr_assert(eq(u32, tp->delivered_ce, 5));
	cr_assert(eq(u64, sb->mib[LINUX_MIB_TCPDELIVEREDCE], 5), "TcpExtTCPDeliveredCE");
	cr_assert(eq(u32, tp->delivered, 5));
	/* Linux's tcp_fastretrans_alert: CWR ends once something *above*
	 * high_seq is acknowledged, cwnd = ssthresh (tcp_end_cwnd_reduction) */
	tseg_inject(&(struct tseg){ .sport = c.aport, .dport = c.bport, .seq = c.rcv,
				    .ack = high, .flags = TCPHDR_ACK });
	cr_assert(tp->in_cwr, "high_seq itself is not above it");
	tseg_pop(r, 32);
	tseg_inject(&(struct tseg){ .sport = c.aport, .dport = c.bport, .seq = c.rcv,
				    .ack = tp->snd_nxt, .flags = TCPHDR_ACK });
	cr_assert(not(tp->in_cwr));
	cr_assert(ge(u32, tp->snd_cwnd, ssthresh));
	cr_assert(le(u32, tp->snd_cwnd, ssthresh + 1), "cwnd %u is ssthresh %u (+ this ACK's growth)",
		  tp->snd_cwnd, ssthresh);
	tseg_pop(r, 32);
	tseg_abort(c.s);
}

/* ---- PRR in fast recovery (RFC 6937) --------------------------------------- */

/*
 * B sends 10 segments, the first is lost; A SACKs each of the others as it
 * arrives.  The third SACK starts recovery (DupThresh 3): from then on RFC
 * 6937 §3.1: while pipe > ssthresh, sndcnt = CEIL(prr_delivered * ssthresh
 * / RecoverFS) - prr_out; else PRR-SSRB.  Each ACK's segments are checked
 * against that formula, computed here from the test's own count of pipe;
 * the cumulative ACK of the retransmission ends recovery with cwnd =
 * ssthresh (Linux's tcp_end_cwnd_reduction).
 */
Test(tcp_ecn, prr_paces_fast_recovery_and_exits_at_ssthresh)
{
	struct tseg_conn c;
	struct tseg_seen r[32];
	static u8 buf[40 * 1460];
	struct tcp_sock *tp;
	u32 una, sent, n, i, recoverfs, ssthresh = 0, prr_delivered = 0, prr_out = 0;
	u32 sacked = 0, pipe, expect, high = 0;
	s64 sndcnt;
	bool in_rec = false;
	char log[512];
	int ll = 0;

	ecn_open(&c, 5000, true);
	sb->sysctl.tcp_ecn = 2;
	tp = tcp_sk(c.s->sk);
	cr_assert(eq(int, t_send(c.s, buf, sizeof(buf), 0), (int)sizeof(buf)));
	recoverfs = tp->snd_cwnd;
	sent = tseg_pop(r, 32);
	cr_assert(eq(u32, sent, recoverfs));
	una = c.snd;
	world_advance(&p.w, 10 * MS);
	for (i = 1; i < 10; i++) {
		/* segment i arrived: SACK [1, i] (segment 0 is the hole) */
		tseg_inject(&(struct tseg){ .sport = c.aport, .dport = c.bport, .seq = c.rcv,
					    .ack = una, .flags = TCPHDR_ACK, .nsack = 1,
					    .sack = { { una + 1460, una + (i + 1) * 1460 } } });
		sacked++;
		n = tseg_pop(r, 32);
		if (!in_rec && tp->in_recovery) {
			in_rec = true;
			ssthresh = tp->snd_ssthresh;
			high = una + sent * 1460; /* RFC 6675 §5 RecoveryPoint */
			cr_assert(eq(u32, tp->high_seq, high));
		}
		if (!in_rec) {
			/* the pipe shrank by the SACKed segment: new data may go
			 * (Linux's Disorder state, RFC 3042's limited transmit) */
			cr_assert(le(u32, n, 1), "SACK %u: one new segment at most", i);
			sent += n;
			continue;
		}
		prr_delivered++;
		/* pipe (RFC 6675): out - sacked - lost(hole) + retransmitted */
		pipe = sent - sacked - 1 + (prr_out ? 1 : 0);
		if (pipe > ssthresh) {
			sndcnt = (s64)(((u64)prr_delivered * ssthresh + recoverfs - 1) / recoverfs) - prr_out;
		} else {
			sndcnt = (s64)prr_delivered - prr_out;
			if (sndcnt < 1)
				sndcnt = 1;
			if (sndcnt > (s64)ssthresh - pipe)
				sndcnt = (s64)ssthresh - pipe;
		}
		if (sndcnt < (prr_out ? 0 : 1))
			sndcnt = 1;
		expect = sndcnt > 0 ? (u32)sndcnt : 0;
		ll += snprintf(log + ll, sizeof(log) - (size_t)ll, " %u", n);
		cr_assert(eq(u32, n, expect), "ACK %u (pipe %u, ssthresh %u): %u segments, PRR says %u", i,
			  pipe, ssthresh, n, expect);
		if (prr_out == 0 && n) {
			cr_assert(eq(u32, r[0].seq, una), "the fast retransmit first");
			cr_assert(eq(u8, ECN_OF(r[0].tos), INET_ECN_NOT_ECT));
			sent += n - 1;
		} else {
			sent += n;
		}
		prr_out += n;
	}
	cr_assert(in_rec, "recovery began");
	cr_log_info("PRR segments per ACK:%s (ssthresh %u, RecoverFS %u)", log, ssthresh, recoverfs);
	/* the retransmission arrives: everything sent before recovery is ACKed */
	tseg_inject(&(struct tseg){ .sport = c.aport, .dport = c.bport, .seq = c.rcv,
				    .ack = high, .flags = TCPHDR_ACK });
	cr_assert(not(tp->in_recovery), "recovery ends at high_seq");
	cr_assert(eq(u32, tp->snd_cwnd, ssthresh), "cwnd = ssthresh at exit");
	tseg_pop(r, 32);
	tseg_abort(c.s);
}

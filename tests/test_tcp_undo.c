/*
 * test_tcp_undo.c - retransmissions that prove spurious (tcp_recovery.c):
 * a fast retransmit undone by Eifel (RFC 3522) or by D-SACK (RFC 3708),
 * packet by packet against a crafted peer (harness/tseg.h); and bulk
 * transfers under pure reordering, where the reordering seen raises
 * DupThresh and the link is used as if it did not reorder.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "tseg.h"
#include "socks.h"
#include "tcp.h"

#define MS NSEC_PER_MSEC

TestSuite(tcp_undo, .init = tseg_setup, .fini = tseg_teardown, .timeout = 120);

#define NSEG 10

struct flight {
	struct tseg_conn c;
	u32 mss;
	u32 tsval[NSEG]; /* the TSval each segment first went out with */
	u32 peer_ts;     /* the peer's TSval clock */
	bool ts;
};

/* An open with SACK-permitted (and timestamps if @ts) from the peer. */
static void open_sack(struct flight *f, bool ts)
{
	struct tseg_seen syn;

	memset(f, 0, sizeof(*f));
	f->ts = ts;
	f->peer_ts = 100;
	f->c.s = tseg_connect(5000, &syn);
	f->c.aport = 5000;
	f->c.bport = syn.sport;
	f->c.snd = syn.seq + 1;
	f->c.rcv = TSEG_A_ISS + 1;
	tseg_inject(&(struct tseg){ .sport = 5000, .dport = f->c.bport, .seq = TSEG_A_ISS,
				    .ack = f->c.snd, .flags = TCPHDR_SYN | TCPHDR_ACK, .mss = 1460,
				    .sack_perm = true, .ts = ts, .tsval = f->peer_ts,
				    .tsecr = syn.tsval });
	tseg_expect_one();
	cr_assert(eq(int, f->c.s->sk->sk_state, TCP_ESTABLISHED));
	f->mss = tcp_sk(f->c.s->sk)->mss_cache;
}

/* NSEG full segments from B, all in flight (the initial window is 10). */
static void send_flight(struct flight *f)
{
	static u8 data[NSEG * 1460];
	struct tseg_seen r[NSEG + 1];
	u32 bytes = 0;
	unsigned int n;

	cr_assert(eq(int, t_send(f->c.s, data, NSEG * f->mss, 0), (int)(NSEG * f->mss)));
	n = tseg_pop(r, NSEG + 1);
	for (unsigned int i = 0; i < n && i < NSEG; i++) {
		cr_assert(eq(u32, r[i].seq, f->c.snd + bytes), "in order");
		for (u32 off = 0; off < r[i].len; off += f->mss)
			f->tsval[(bytes + off) / f->mss] = r[i].tsval;
		bytes += r[i].len;
	}
	cr_assert(eq(u32, bytes, NSEG * f->mss), "the whole flight went out");
}

static u32 seg(const struct flight *f, unsigned int i)
{
	return f->c.snd + i * f->mss;
}

/* The peer's ACK of everything below segment @upto, SACKing @from..@to-1, echoing @tsecr. */
static void peer_ack(struct flight *f, unsigned int upto, unsigned int from, unsigned int to,
		     u32 tsecr)
{
	struct tseg s = { .sport = f->c.aport, .dport = f->c.bport, .seq = f->c.rcv,
			  .ack = seg(f, upto), .flags = TCPHDR_ACK, .ts = f->ts,
			  .tsval = ++f->peer_ts, .tsecr = tsecr };

	if (to > from) {
		s.nsack = 1;
		s.sack[0].start = seg(f, from);
		s.sack[0].end = seg(f, to);
	}
	tseg_inject(&s);
}

/*
 * Segment 0 is overtaken by 1-3: three SACKed above it make it lost (RFC
 * 6675 §4, DupThresh 3), fast recovery halves the window and sends it
 * again.  Returns the cwnd before that.
 */
static u32 overtake_first(struct flight *f)
{
	struct tcp_sock *tp = tcp_sk(f->c.s->sk);
	struct tseg_seen r;
	u32 cwnd = tp->snd_cwnd;

	send_flight(f);
	world_advance(&p.w, 10 * MS);
	peer_ack(f, 0, 1, 4, f->tsval[3]);
	cr_assert(tp->in_recovery, "segment 0 taken for lost");
	cr_assert(lt(u32, tp->snd_cwnd, cwnd), "the window reduced");
	r = tseg_expect_one();
	cr_assert(eq(u32, r.seq, seg(f, 0)), "segment 0 sent again");
	cr_assert(eq(u32, r.len, f->mss));
	cr_assert(eq(u32, tp->total_retrans, 1));
	return cwnd;
}

/*
 * RFC 3522 §3.2: the ACK that covers segment 0 echoes the TSval of its
 * first transmission, older than the retransmission's: the original
 * arrived, it was reordering.  cwnd and ssthresh are what they were, the
 * reordering (3 segments deep) is learnt, recovery is over.
 */
Test(tcp_undo, eifel_undoes_a_fast_retransmit_answered_by_the_original)
{
	struct flight f;
	struct tcp_sock *tp;
	u32 cwnd, ssthresh;

	open_sack(&f, true);
	tp = tcp_sk(f.c.s->sk);
	ssthresh = tp->snd_ssthresh;
	cwnd = overtake_first(&f);
	cr_assert(lt(u32, tp->snd_ssthresh, ssthresh));
	peer_ack(&f, 4, 0, 0, f.tsval[0]);
	cr_assert(eq(u64, mib(sb, LINUX_MIB_TCPPARTIALUNDO), 1));
	cr_assert(not(tp->in_recovery));
	cr_assert(eq(u32, tp->snd_cwnd, cwnd), "cwnd restored");
	cr_assert(eq(u32, tp->snd_ssthresh, ssthresh), "ssthresh restored");
	cr_assert(ge(u32, tp->reordering, 4), "DupThresh follows: %u", tp->reordering);
	tseg_abort(f.c.s);
}

/*
 * Without timestamps the full ACK cannot tell, and the window stays
 * reduced; then the peer reports segment 0 twice (a D-SACK below the
 * cumulative ACK, RFC 2883 §4): the one retransmission was not needed
 * (RFC 3708 §3), and cwnd and ssthresh go back.
 */
Test(tcp_undo, a_late_dsack_undoes_a_fast_retransmit)
{
	struct flight f;
	struct tcp_sock *tp;
	struct tseg s;
	u32 cwnd, ssthresh;

	open_sack(&f, false);
	tp = tcp_sk(f.c.s->sk);
	ssthresh = tp->snd_ssthresh;
	cwnd = overtake_first(&f);
	peer_ack(&f, NSEG, 0, 0, 0);
	cr_assert(not(tp->in_recovery), "a full ACK ends recovery");
	cr_assert(lt(u32, tp->snd_cwnd, cwnd), "still reduced: no evidence yet");
	cr_assert(eq(u64, mib(sb, LINUX_MIB_TCPFULLUNDO), 0));
	s = (struct tseg){ .sport = f.c.aport, .dport = f.c.bport, .seq = f.c.rcv, .ack = seg(&f, NSEG),
			   .flags = TCPHDR_ACK, .nsack = 1 };
	s.sack[0].start = seg(&f, 0);
	s.sack[0].end = seg(&f, 1);
	tseg_inject(&s);
	tseg_expect_none();
	cr_assert(eq(u64, mib(sb, LINUX_MIB_TCPDSACKRECV), 1));
	cr_assert(eq(u64, mib(sb, LINUX_MIB_TCPDSACKUNDO), 1));
	cr_assert(eq(u32, tp->snd_cwnd, cwnd), "cwnd restored");
	cr_assert(eq(u32, tp->snd_ssthresh, ssthresh), "ssthresh restored");
	tseg_abort(f.c.s);
}

/* A retransmission the peer needed (it echoes the retransmission's TSval,
 * never D-SACKs it) leaves the reduction in place. */
Test(tcp_undo, a_needed_retransmission_is_not_undone)
{
	struct flight f;
	struct tcp_sock *tp;
	u32 cwnd;

	open_sack(&f, true);
	tp = tcp_sk(f.c.s->sk);
	cwnd = overtake_first(&f);
	peer_ack(&f, NSEG, 0, 0, tp->undo_tsval);
	cr_assert(not(tp->in_recovery));
	cr_assert(lt(u32, tp->snd_cwnd, cwnd));
	cr_assert(eq(u64, mib(sb, LINUX_MIB_TCPFULLUNDO) + mib(sb, LINUX_MIB_TCPPARTIALUNDO) +
				  mib(sb, LINUX_MIB_TCPDSACKUNDO), 0));
	tseg_abort(f.c.s);
}

/* ---- bulk transfers over a reordering link ---------------------------------- */

TestSuite(tcp_reorder, .init = tcp_pair_setup, .fini = tcp_pair_teardown, .timeout = 300);

struct run {
	u32 retrans, reordering;
	ktime_t took;
	u64 undos;
};

/* 64 MB A -> B, 10% of frames overtaken, nothing lost; A's DupThresh may
 * grow up to @max_reordering (net.ipv4.tcp_max_reordering). */
static struct run reordered_bulk(u16 port, u32 max_reordering)
{
	const char *spec = "reorder=10%,delay=1ms,seed=14";
	u64 undos = mib(sa, LINUX_MIB_TCPDSACKUNDO) + mib(sa, LINUX_MIB_TCPPARTIALUNDO) +
		    mib(sa, LINUX_MIB_TCPFULLUNDO);
	struct socket *c, *s, *l;
	struct run r;
	ktime_t t0;

	sa->sysctl.tcp_max_reordering = max_reordering;
	connect_pair(port, &c, &s, &l);
	impair_both(spec);
	t0 = p.w.now;
	tcp_bulk(c, s, 64 << 20);
	r.took = p.w.now - t0;
	r.retrans = tcp_sk(c->sk)->total_retrans;
	r.reordering = tcp_sk(c->sk)->reordering;
	r.undos = mib(sa, LINUX_MIB_TCPDSACKUNDO) + mib(sa, LINUX_MIB_TCPPARTIALUNDO) +
		  mib(sa, LINUX_MIB_TCPFULLUNDO) - undos;
	cr_log_info("%s, tcp_max_reordering %u: %llu ms, retrans %u, undone %llu, DupThresh %u, "
		    "cwnd %u", spec, max_reordering, (unsigned long long)(r.took / MS), r.retrans,
		    (unsigned long long)r.undos, r.reordering, tcp_sk(c->sk)->snd_cwnd);
	impair_both("seed=1");
	sock_release(c);
	sock_release(s);
	sock_release(l);
	return r;
}

/*
 * With DupThresh held at 3, each overtaking looks like a loss: the fast
 * retransmits are spurious, and D-SACK and Eifel undo their reductions.
 * Learning the reordering instead (RFC 4653 §3, Linux's default) makes
 * them rarer.  Nothing is lost on this link: every retransmission is
 * spurious.
 */
Test(tcp_reorder, learning_the_reordering_spares_spurious_retransmissions)
{
	struct run fixed = reordered_bulk(90, 3), learnt = reordered_bulk(91, 300);

	cr_assert(gt(u32, fixed.retrans, 0), "DupThresh 3: spurious fast retransmits");
	cr_assert(gt(u64, fixed.undos, 0), "and their reductions undone");
	cr_assert(eq(u32, fixed.reordering, 3));
	cr_assert(gt(u32, learnt.reordering, 3), "the reordering was learnt");
	cr_assert(lt(u32, learnt.retrans, fixed.retrans));
}

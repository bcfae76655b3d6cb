/*
 * test_tcp_send.c - the sending side as Linux does it, packet for packet,
 * fed crafted segments (harness/tseg.h: the test plays the peer): a write
 * blocked on a full send buffer and woken by the ACKs that free it, the
 * queue ioctls, and the IP total length of every segment.
 *
 * Read first: RFC 9293 §3.10.2 (SEND: "If there is insufficient queue
 * space ... the call may block"), §3.9.1 (MUST-61, PSH on the last
 * buffered segment); Linux's tcp_sendmsg_locked, sk_stream_write_space,
 * tcp_ioctl.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "tseg.h"
#include "socks.h"
#include "tcp.h"

#define MS NSEC_PER_MSEC

TestSuite(tcp_send, .init = tseg_setup, .fini = tseg_teardown, .timeout = 120);

/*
 * An active open of B to A:@aport; A's SYN-ACK offers @mss, window @win
 * and a window scale of 0 (as packetdrill's blocking-write script's SYN).
 */
static void open_with(struct tseg_conn *c, u16 aport, u16 mss, u16 win)
{
	struct tseg_seen syn, r;

	c->s = tseg_connect(aport, &syn);
	c->aport = aport;
	c->bport = syn.sport;
	world_advance(&p.w, 100 * MS);
	tseg_inject(&(struct tseg){ .sport = aport, .dport = c->bport, .seq = TSEG_A_ISS,
				    .ack = syn.seq + 1, .flags = TCPHDR_SYN | TCPHDR_ACK,
				    .mss = mss, .wscale = 1, .win = win });
	r = tseg_expect_one();
	cr_assert(eq(u8, r.flags, TCPHDR_ACK));
	c->snd = syn.seq + 1;
	c->rcv = TSEG_A_ISS + 1;
}

/* A's ACK of B's bytes up to @acked (relative), window @win. */
static struct tseg ack_of(const struct tseg_conn *c, u32 acked, u16 win)
{
	return (struct tseg){ .sport = c->aport, .dport = c->bport, .seq = c->rcv,
			      .ack = c->snd + acked, .flags = TCPHDR_ACK, .win = win };
}

static int ioctl_int(struct socket *s, unsigned int cmd)
{
	int v = -1;

	cr_assert(eq(int, s->ops->ioctl(s, cmd, (unsigned long)&v), 0));
	return v;
}

/* Every segment's IP total length is its headers and payload, the whole frame. */
static void check_ip_len(const struct tseg_seen *s, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		cr_assert(eq(u32, s[i].ip_len, s[i].frame_len), "segment %u: IP length %u, frame %u",
			  i, s[i].ip_len, s[i].frame_len);
}

/*
 * packetdrill's blocking/blocking-write.pkt: a 42000-byte send buffer
 * (SO_SNDBUF 21000, doubled), a 61000-byte write that blocks, and A
 * acknowledging 10000, 30000, then 36000 bytes 100 ms apart.  Linux's rules
 * (tcp_sendmsg_locked, sk_stream_write_space): the writer waits while the
 * buffer is full and is woken only when a third of it is free (free >=
 * queued / 2) - an ACK that frees less does not wake it; the acknowledged
 * front of a partly acknowledged skb is given back at once (tcp_trim_head);
 * an skb is charged for what it holds.  In skbos that third is free at the
 * ACK of 30001 (the 25000-byte first skb goes, 5000 of the second); the
 * kernel, which frees a partly acknowledged skb's memory a 32 KB page
 * fragment at a time, gets there only at 36001 (the script's "An ACK of
 * 35001 does not").  Then every byte is out, in order, in MSS segments,
 * each IP datagram exactly as long as its frame, and the queue ioctls
 * count what is unacknowledged (SIOCOUTQ) and unsent (SIOCOUTQNSD).
 */
Test(tcp_send, a_write_blocked_on_the_send_buffer_returns_when_acks_free_it)
{
	static u8 data[61000], wire[61000];
	static const u32 acks[] = { 10000, 30000, 36000 };
	struct tseg_conn c;
	struct tseg_seen seg[80];
	struct tseg a;
	unsigned int n;
	ktime_t start;
	u32 sent = 0;

	open_with(&c, 6000, 1000, 50000);
	c.s->file_flags &= ~(unsigned int)O_NONBLOCK; /* a blocking socket from here on */
	cr_assert(eq(int, t_setint(c.s, SOL_SOCKET, SO_SNDBUF, 21000), 0));
	cr_assert(eq(int, t_getint(c.s, SOL_SOCKET, SO_SNDBUF), 42000));
	fill(data, sizeof(data), 22);
	tseg_record(wire, sizeof(wire), c.snd);
	for (unsigned int i = 0; i < ARRAY_SIZE(acks); i++) {
		a = ack_of(&c, acks[i], 50000);
		tseg_inject_at((i + 1) * 100 * MS, &a);
	}
	start = p.w.now;
	cr_assert(eq(int, t_send(c.s, data, sizeof(data), 0), (int)sizeof(data)));
	cr_assert(eq(u64, p.w.now - start, 200 * MS), "woken by the ACK of 30001, not at %llu ms",
		  (unsigned long long)((p.w.now - start) / MS));
	n = tseg_pop(seg, ARRAY_SIZE(seg));
	cr_assert(le(u32, n, ARRAY_SIZE(seg)));
	check_ip_len(seg, n);
	for (unsigned int i = 0; i < n; i++) {
		cr_assert(eq(u32, seg[i].seq, c.snd + sent), "segment %u in order", i);
		cr_assert(eq(u32, seg[i].len, 1000), "segment %u MSS-sized", i);
		sent += seg[i].len;
	}
	cr_assert(eq(u32, sent, sizeof(data)), "all sent within A's window");
	cr_assert(eq(int, ioctl_int(c.s, SIOCOUTQ_SKBOS), (int)sizeof(data) - 30000));
	world_advance(&p.w, 100 * MS); /* the ACK of 36001 */
	cr_assert(eq(int, ioctl_int(c.s, SIOCOUTQ_SKBOS), (int)sizeof(data) - 36000));
	cr_assert(eq(int, ioctl_int(c.s, SIOCOUTQNSD_SKBOS), 0));
	tseg_inject(&(struct tseg){ .sport = c.aport, .dport = c.bport, .seq = c.rcv,
				    .ack = c.snd + sizeof(data), .flags = TCPHDR_ACK, .win = 50000 });
	cr_assert(eq(int, memcmp(wire, data, sizeof(data)), 0), "what went on the wire is what was written");
	cr_assert(eq(int, ioctl_int(c.s, SIOCOUTQ_SKBOS), 0));
	tseg_record(NULL, 0, 0);
	tseg_abort(c.s);
}

/*
 * Linux's tcp_ioctl: SIOCINQ (FIONREAD) the unread in-order bytes, the FIN
 * not counted (tcp_inq); SIOCOUTQ (TIOCOUTQ) what is not yet acknowledged,
 * SIOCOUTQNSD what is not yet sent, a queued FIN counting in both (it takes
 * a sequence number); during the handshake all three are 0, and a
 * listener answers EINVAL.
 */
Test(tcp_send, queue_ioctls_count_as_linux)
{
	static const unsigned int cmds[] = { SIOCINQ_SKBOS, SIOCOUTQ_SKBOS, SIOCOUTQNSD_SKBOS };
	struct socket *l = listener(6101);
	struct tseg_conn c;
	struct tseg_seen syn, r;
	char buf[8];
	int v;

	for (unsigned int i = 0; i < ARRAY_SIZE(cmds); i++)
		cr_assert(eq(int, l->ops->ioctl(l, cmds[i], (unsigned long)&v), -EINVAL), "listener %u", i);
	sock_release(l);
	c.s = tseg_connect(6100, &syn);
	for (unsigned int i = 0; i < ARRAY_SIZE(cmds); i++)
		cr_assert(eq(int, ioctl_int(c.s, cmds[i]), 0), "SYN_SENT %u", i);
	tseg_abort(c.s);
	tseg_expect_none(); /* closing a SYN_SENT socket sends nothing (tcp_need_reset) */

	open_with(&c, 6102, 1000, 50000);
	tseg_inject(&(struct tseg){ .sport = c.aport, .dport = c.bport, .seq = c.rcv, .ack = c.snd,
				    .flags = TCPHDR_ACK | TCPHDR_PSH | TCPHDR_FIN, .data = "hello",
				    .len = 5 });
	c.rcv += 6;
	tseg_expect_one();
	cr_assert(eq(int, ioctl_int(c.s, SIOCINQ_SKBOS), 5), "the FIN is not a byte to read");
	cr_assert(eq(int, t_recv(c.s, buf, 2, 0), 2));
	cr_assert(eq(int, ioctl_int(c.s, SIOCINQ_SKBOS), 3));
	cr_assert(eq(int, t_recv(c.s, buf, sizeof(buf), 0), 3));
	cr_assert(eq(int, ioctl_int(c.s, SIOCINQ_SKBOS), 0));

	tseg_inject(&(struct tseg){ .sport = c.aport, .dport = c.bport, .seq = c.rcv, .ack = c.snd,
				    .flags = TCPHDR_ACK, .zero_window = true });
	cr_assert(eq(int, t_send(c.s, "abcdefg", 7, 0), 7));
	cr_assert(eq(int, ioctl_int(c.s, SIOCOUTQ_SKBOS), 7));
	cr_assert(eq(int, ioctl_int(c.s, SIOCOUTQNSD_SKBOS), 7), "the window is shut: nothing sent");
	cr_assert(eq(int, c.s->ops->shutdown(c.s, SHUT_WR), 0));
	cr_assert(eq(int, ioctl_int(c.s, SIOCOUTQ_SKBOS), 8), "the FIN counts");
	cr_assert(eq(int, ioctl_int(c.s, SIOCOUTQNSD_SKBOS), 8));
	tseg_expect_none();
	tseg_inject(&(struct tseg){ .sport = c.aport, .dport = c.bport, .seq = c.rcv, .ack = c.snd,
				    .flags = TCPHDR_ACK, .win = 1000 });
	r = tseg_expect_one();
	cr_assert(eq(u8, r.flags, TCPHDR_ACK | TCPHDR_PSH | TCPHDR_FIN));
	cr_assert(eq(u32, r.len, 7));
	cr_assert(eq(u32, r.ip_len, r.frame_len));
	cr_assert(eq(u32, r.ip_len, 20 + 20 + 7), "IP total length: headers and payload");
	cr_assert(eq(int, ioctl_int(c.s, SIOCOUTQ_SKBOS), 8));
	cr_assert(eq(int, ioctl_int(c.s, SIOCOUTQNSD_SKBOS), 0));
	tseg_inject(&(struct tseg){ .sport = c.aport, .dport = c.bport, .seq = c.rcv,
				    .ack = c.snd + 8, .flags = TCPHDR_ACK, .win = 1000 });
	cr_assert(eq(int, ioctl_int(c.s, SIOCOUTQ_SKBOS), 0));
	sock_release(c.s);
}

/* Send everything B has queued, acking as it goes; @push[] gets the
 * relative end of every segment that carried PSH.  Return: how many. */
static unsigned int drain_pushes(struct tseg_conn *c, u32 total, u16 win, u32 *push, unsigned int max)
{
	struct tseg_seen seg[64];
	unsigned int np = 0;
	u32 acked = 0;

	for (int round = 0; acked < total && round < 200; round++) {
		unsigned int n = tseg_pop(seg, ARRAY_SIZE(seg));

		cr_assert(gt(u32, n, 0), "stalled at %u of %u", acked, total);
		cr_assert(le(u32, n, ARRAY_SIZE(seg)));
		check_ip_len(seg, n);
		for (unsigned int i = 0; i < n; i++) {
			cr_assert(eq(u32, seg[i].seq, c->snd + acked), "in order");
			acked += seg[i].len;
			if ((seg[i].flags & TCPHDR_PSH) && np < max)
				push[np++] = acked;
		}
		tseg_inject(&(struct tseg){ .sport = c->aport, .dport = c->bport, .seq = c->rcv,
					    .ack = c->snd + acked, .flags = TCPHDR_ACK, .win = win });
	}
	cr_assert(eq(u32, acked, total));
	c->snd += total;
	return np;
}

/*
 * Linux's tcp_push / tcp_mark_push: one write's segments carry PSH on the
 * last only (RFC 9293 §3.9.1, MUST-61: "the last buffered segment"); a
 * write with MSG_MORE marks none, and the next write without it marks its
 * end - the PSH of a tail that a later write goes on filling moves to the
 * later write's end (tcp_sendmsg_locked: "if (!copied) ... &= ~TCPHDR_PSH").
 */
Test(tcp_send, psh_marks_the_last_segment_of_each_push)
{
	static u8 data[5000];
	struct tseg_conn c;
	u32 push[8];

	open_with(&c, 6200, 1000, 50000);
	fill(data, sizeof(data), 7);
	cr_assert(eq(int, t_send(c.s, data, sizeof(data), 0), 5000));
	cr_assert(eq(u32, drain_pushes(&c, 5000, 50000, push, 8), 1));
	cr_assert(eq(u32, push[0], 5000), "PSH on the segment ending the write only");
	cr_assert(eq(int, t_setint(c.s, IPPROTO_TCP, TCP_CORK, 1), 0)); /* hold both writes */
	cr_assert(eq(int, t_send(c.s, data, 1500, MSG_MORE), 1500));
	cr_assert(eq(int, t_send(c.s, data, 1500, 0), 1500));
	cr_assert(eq(int, t_setint(c.s, IPPROTO_TCP, TCP_CORK, 0), 0));
	cr_assert(eq(u32, drain_pushes(&c, 3000, 50000, push, 8), 1));
	cr_assert(eq(u32, push[0], 3000), "MSG_MORE's write pushes nothing");
	tseg_abort(c.s);
}

/*
 * Linux's forced_push: in a long write, a full skb gets PSH once more than
 * half the peer's largest window has gone since the last PSH.  A 4000-byte
 * window: skbs of 2000 bytes (half the window, tcp_bound_to_half_wnd),
 * PSH at 4000 and 8000 (more than 2000 since the push before), and at the
 * end of the write (10000).
 */
Test(tcp_send, forced_push_after_half_the_peer_window)
{
	static u8 data[10000];
	struct tseg_conn c;
	u32 push[8];

	open_with(&c, 6300, 1000, 4000);
	fill(data, sizeof(data), 8);
	cr_assert(eq(int, t_send(c.s, data, sizeof(data), 0), (int)sizeof(data)));
	cr_assert(eq(u32, drain_pushes(&c, sizeof(data), 4000, push, 8), 3));
	cr_assert(eq(u32, push[0], 4000));
	cr_assert(eq(u32, push[1], 8000));
	cr_assert(eq(u32, push[2], 10000));
	tseg_abort(c.s);
}

/*
 * MSG_EOR (Linux's TCP_SKB_CB(skb)->eor, tcp_skb_can_collapse_to): the
 * skb that ends a record is never appended to, so two small writes behind
 * a closed window go as two segments, each with PSH; without MSG_EOR the
 * second fills the first's skb and one segment carries both.
 */
Test(tcp_send, msg_eor_stops_coalescing)
{
	struct tseg_conn c;
	struct tseg_seen seg[4];
	const int eor[] = { MSG_EOR, 0 };

	open_with(&c, 6400, 1000, 50000);
	cr_assert(eq(int, t_setint(c.s, IPPROTO_TCP, TCP_NODELAY, 1), 0));
	for (unsigned int k = 0; k < ARRAY_SIZE(eor); k++) {
		unsigned int n;

		tseg_inject(&(struct tseg){ .sport = c.aport, .dport = c.bport, .seq = c.rcv,
					    .ack = c.snd, .flags = TCPHDR_ACK, .zero_window = true });
		cr_assert(eq(int, t_send(c.s, "record-one", 10, eor[k]), 10));
		cr_assert(eq(int, t_send(c.s, "record-two", 10, eor[k]), 10));
		tseg_expect_none();
		tseg_inject(&(struct tseg){ .sport = c.aport, .dport = c.bport, .seq = c.rcv,
					    .ack = c.snd, .flags = TCPHDR_ACK, .win = 50000 });
		n = tseg_pop(seg, ARRAY_SIZE(seg));
		if (eor[k]) {
			cr_assert(eq(u32, n, 2), "two records, two segments");
			cr_assert(eq(u32, seg[0].len, 10));
			cr_assert(eq(u8, seg[0].flags, TCPHDR_ACK | TCPHDR_PSH));
			cr_assert(eq(u32, seg[1].seq, c.snd + 10));
			cr_assert(eq(u32, seg[1].len, 10));
			cr_assert(eq(u8, seg[1].flags, TCPHDR_ACK | TCPHDR_PSH));
		} else {
			cr_assert(eq(u32, n, 1), "without MSG_EOR the writes coalesce");
			cr_assert(eq(u32, seg[0].len, 20));
			cr_assert(eq(u8, seg[0].flags, TCPHDR_ACK | TCPHDR_PSH));
		}
		check_ip_len(seg, n);
		c.snd += 20;
		tseg_inject(&(struct tseg){ .sport = c.aport, .dport = c.bport, .seq = c.rcv,
					    .ack = c.snd, .flags = TCPHDR_ACK, .win = 50000 });
		tseg_expect_none();
	}
	tseg_abort(c.s);
}

/* A's window update on @c: @win bytes (0: shut). */
static void window_from_a(const struct tseg_conn *c, u16 win)
{
	tseg_inject(&(struct tseg){ .sport = c->aport, .dport = c->bport, .seq = c->rcv,
				    .ack = c->snd, .flags = TCPHDR_ACK, .win = win,
				    .zero_window = !win });
}

static bool pollout(struct socket *s)
{
	return tcp_poll_mask(s->sk) & EPOLLOUT;
}

/*
 * TCP_NOTSENT_LOWAT (Linux's tcp_stream_memory_free): a write needing a new
 * skb waits (EAGAIN) once the unsent bytes reach the mark; poll and epoll
 * report EPOLLOUT only while twice the unsent bytes are under it (the
 * "wake" test, so a writer woken can queue a worthwhile amount); when the
 * window opens and the bytes go, the writer is woken.  Set per socket, or
 * for all by net.ipv4.tcp_notsent_lowat (the socket's own wins; its
 * getsockopt answers only its own, 0 by default, -1 reading back UINT_MAX).
 */
Test(tcp_send, notsent_lowat_limits_unsent_bytes_and_epollout)
{
	static u8 data[3000];
	struct tseg_conn c;
	struct tseg a;

	open_with(&c, 6500, 1000, 50000);
	cr_assert(eq(int, t_getint(c.s, IPPROTO_TCP, TCP_NOTSENT_LOWAT), 0));
	cr_assert(eq(int, t_setint(c.s, IPPROTO_TCP, TCP_NOTSENT_LOWAT, -1), 0));
	cr_assert(eq(int, t_getint(c.s, IPPROTO_TCP, TCP_NOTSENT_LOWAT), -1));
	cr_assert(eq(int, t_setint(c.s, IPPROTO_TCP, TCP_NOTSENT_LOWAT, 1000), 0));
	window_from_a(&c, 0);
	cr_assert(pollout(c.s));
	cr_assert(eq(int, t_send(c.s, data, 400, MSG_DONTWAIT), 400));
	cr_assert(pollout(c.s), "2 x 400 unsent < 1000");
	cr_assert(eq(int, t_send(c.s, data, 200, MSG_DONTWAIT), 200));
	cr_assert(not(pollout(c.s)), "2 x 600 unsent >= 1000: no EPOLLOUT");
	cr_assert(eq(int, t_send(c.s, data, 1000, MSG_DONTWAIT), 400),
		  "the tail skb fills; a new one waits for the mark");
	cr_assert(eq(int, t_send(c.s, data, 1, MSG_DONTWAIT), -EAGAIN));
	tseg_expect_none();
	window_from_a(&c, 50000);
	cr_assert(eq(u32, tseg_pop(NULL, 0), 1), "the 1000 unsent bytes go");
	cr_assert(pollout(c.s), "nothing unsent");

	/* a blocking write past the mark returns when the window opens */
	c.snd += 1000;
	a = ack_of(&c, 0, 50000);
	window_from_a(&c, 0);
	tseg_inject_at(100 * MS, &a);
	cr_assert(eq(int, t_send(c.s, data, 2500, 0), 2500));
	tseg_pop(NULL, 0);

	/* the sysctl, when the socket sets none */
	cr_assert(eq(int, t_setint(c.s, IPPROTO_TCP, TCP_NOTSENT_LOWAT, 0), 0));
	sb->sysctl.tcp_notsent_lowat = 100;
	window_from_a(&c, 0);
	tseg_pop(NULL, 0);
	cr_assert(not(pollout(c.s)), "net.ipv4.tcp_notsent_lowat");
	tseg_abort(c.s);
}

/*
 * An edge-triggered EPOLLOUT watcher, as the shim's epoll is one (Linux's
 * ep_poll_callback): each wake-up with EPOLLOUT is one edge, reported if
 * the socket polls writable when epoll_wait looks (ep_send_events).
 */
struct et_watch {
	struct wait_queue_entry e;
	int wakes;
};

static void et_wake(struct wait_queue_entry *e, unsigned int events)
{
	(void)events;
	((struct et_watch *)e->private)->wakes++;
}

static void et_add(struct et_watch *w, struct socket *s)
{
	*w = (struct et_watch){ .e = { .func = et_wake, .events = EPOLLOUT, .private = w } };
	add_wait_queue(&s->sk->sk_wq, &w->e);
}

/* epoll_wait(EPOLLET) on @s: an edge came and the socket is writable. */
static bool et_edge(struct et_watch *w, struct socket *s)
{
	bool edge = w->wakes && pollout(s);

	w->wakes = 0;
	return edge;
}

/*
 * TCP_NOTSENT_LOWAT's wake-ups as the kernel here gave them
 * (tests/tcpopt_linux.txt, "lowat"): setting the mark wakes (setsockopt
 * calls sk_write_space); a writer that found no room (EAGAIN, or poll
 * without EPOLLOUT: Linux's SOCK_NOSPACE) is woken by tcp_check_space
 * after the ACK and what it let go out - so a window update that
 * acknowledges nothing but sends the unsent bytes wakes it; and an ACK
 * alone, with no writer waiting, is no new edge ("ET EPOLLOUT again after
 * a send and its ACK: no").
 */
Test(tcp_send, notsent_lowat_wakes_the_writer_once_the_bytes_go)
{
	static u8 data[6000];
	struct tseg_conn c;
	struct et_watch w;
	struct tseg a;

	open_with(&c, 6700, 1000, 50000);
	et_add(&w, c.s);
	cr_assert(eq(int, t_setint(c.s, IPPROTO_TCP, TCP_NOTSENT_LOWAT, 4096), 0));
	cr_assert(et_edge(&w, c.s), "setsockopt calls sk_write_space");

	/* the window shut: the bytes wait, and past the mark so does the writer */
	window_from_a(&c, 0);
	for (int i = 0; i < 5; i++) /* one MSS-sized skb each */
		cr_assert(eq(int, t_send(c.s, data, 1000, MSG_DONTWAIT), 1000), "write %d", i);
	cr_assert(eq(int, t_send(c.s, data, 1000, MSG_DONTWAIT), -EAGAIN), "5000 unsent >= 4096");
	cr_assert(not(pollout(c.s)));
	cr_assert(not(et_edge(&w, c.s)));
	tseg_expect_none();

	/* a window update, acknowledging nothing: the 5000 bytes go, the writer wakes */
	window_from_a(&c, 50000);
	cr_assert(eq(u32, tseg_pop(NULL, 0), 5), "five 1000-byte segments");
	cr_assert(et_edge(&w, c.s), "tcp_check_space after the sending");
	c.snd += 5000;

	/* their ACK: no writer waits, no edge */
	a = ack_of(&c, 0, 50000);
	tseg_inject(&a);
	cr_assert(pollout(c.s));
	cr_assert(not(et_edge(&w, c.s)), "an ACK alone is no EPOLLOUT edge (no SOCK_NOSPACE)");

	/* a poll that saw no room is owed a wake-up too, even if nothing blocked */
	window_from_a(&c, 0);
	cr_assert(eq(int, t_send(c.s, data, 2100, MSG_DONTWAIT), 2100));
	cr_assert(not(pollout(c.s)), "2 x 2100 unsent >= 4096");
	window_from_a(&c, 50000);
	cr_assert(eq(u32, tseg_pop(NULL, 0), 3));
	cr_assert(et_edge(&w, c.s));
	remove_wait_queue(&c.s->sk->sk_wq, &w.e);
	tseg_abort(c.s);
}

/*
 * The listener's TCP_NOTSENT_LOWAT and TCP_INQ hold for the connections it
 * accepts: Linux copies the whole tcp_sock into the child (sk_clone_lock),
 * as the kernel here answered ("inherited from the listener"); so do its
 * TCP_CORK, TCP_USER_TIMEOUT, TCP_LINGER2, TCP_WINDOW_CLAMP and TCP_SYNCNT
 * ("inherit ...: the child's").
 */
Test(tcp_send, listener_notsent_lowat_and_inq_are_inherited)
{
	static const int opts[][2] = { { TCP_CORK, 1 }, { TCP_USER_TIMEOUT, 1234 },
				       { TCP_LINGER2, 33 }, { TCP_WINDOW_CLAMP, 40000 },
				       { TCP_SYNCNT, 3 } };
	struct socket *l = t_socket(sb, SOCK_STREAM, 0), *a;
	struct tseg_seen r;

	cr_assert(eq(int, t_bind(l, 0, 6800), 0));
	cr_assert(eq(int, t_setint(l, IPPROTO_TCP, TCP_NOTSENT_LOWAT, 12345), 0));
	cr_assert(eq(int, t_setint(l, IPPROTO_TCP, TCP_INQ, 1), 0));
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++)
		cr_assert(eq(int, t_setint(l, IPPROTO_TCP, opts[i][0], opts[i][1]), 0));
	cr_assert(eq(int, l->ops->listen(l, 1), 0));
	tseg_inject(&(struct tseg){ .sport = 40000, .dport = 6800, .seq = TSEG_A_ISS,
				    .flags = TCPHDR_SYN, .mss = 1000, .win = 50000 });
	r = tseg_expect_one();
	tseg_inject(&(struct tseg){ .sport = 40000, .dport = 6800, .seq = TSEG_A_ISS + 1,
				    .ack = r.seq + 1, .flags = TCPHDR_ACK, .win = 50000 });
	cr_assert(eq(int, sock_accept(l, &a, 0), 0));
	cr_assert(eq(int, t_getint(a, IPPROTO_TCP, TCP_NOTSENT_LOWAT), 12345));
	cr_assert(eq(int, t_getint(a, IPPROTO_TCP, TCP_INQ), 1));
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++)
		cr_assert(eq(int, t_getint(a, IPPROTO_TCP, opts[i][0]), opts[i][1]), "option %d",
			  opts[i][0]);
	tseg_abort(a);
	sock_release(l);
}

/*
 * A SYN-ACK is sent again as many times as the listener's TCP_SYNCNT says,
 * else net.ipv4.tcp_synack_retries (5): Linux's reqsk_timer_handler takes
 * the listener's icsk_syn_retries first.  Its TCP_USER_TIMEOUT does not cut
 * that short (a request socket retries by count alone).
 */
Test(tcp_send, listener_syncnt_counts_the_synack_tries)
{
	struct socket *l = t_socket(sb, SOCK_STREAM, 0);
	struct tseg_seen r;

	cr_assert(eq(int, t_bind(l, 0, 6900), 0));
	cr_assert(eq(int, t_setint(l, IPPROTO_TCP, TCP_SYNCNT, 2), 0));
	cr_assert(eq(int, t_setint(l, IPPROTO_TCP, TCP_USER_TIMEOUT, 100), 0));
	cr_assert(eq(int, l->ops->listen(l, 1), 0));
	tseg_inject(&(struct tseg){ .sport = 40001, .dport = 6900, .seq = TSEG_A_ISS,
				    .flags = TCPHDR_SYN, .mss = 1000, .win = 50000 });
	r = tseg_expect_one();
	cr_assert(eq(u8, r.flags, TCPHDR_SYN | TCPHDR_ACK));
	world_advance(&p.w, 1100 * MS);
	cr_assert(eq(u8, tseg_expect_one().flags, TCPHDR_SYN | TCPHDR_ACK), "try 1, after 1 s");
	world_advance(&p.w, 2100 * MS);
	cr_assert(eq(u8, tseg_expect_one().flags, TCPHDR_SYN | TCPHDR_ACK), "try 2, after 2 s more");
	world_advance(&p.w, 4100 * MS);
	tseg_expect_none();
	cr_assert(lt(int, tseg_state(sb, 6900, 40001), 0), "the child is gone");
	sock_release(l);
}

/*
 * TCP_INQ (Linux 4.18): 0 or 1, else EINVAL; with it every read that
 * returns >= 0 carries a TCP_CM_INQ control message, the bytes still to
 * read (tcp_inq_hint: at least 1 once the FIN is in, so the reader goes on
 * to the EOF); without room for it, MSG_CTRUNC.  TCP_CC_INFO: cubic and
 * reno fill nothing (no get_info), an empty success, as the kernel here
 * answered for both (tests/tcpopt_linux.txt, "CC_INFO").
 */
Test(tcp_send, tcp_inq_cmsg_and_cc_info_as_linux)
{
	struct tseg_conn c;
	char buf[8], ctl[CMSG_SPACE(sizeof(int))], info[64];
	struct iovec iov = { buf, 2 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			      .msg_controllen = sizeof(ctl) };
	struct cmsghdr *cm = (struct cmsghdr *)(void *)ctl;
	unsigned int len = sizeof(info);
	int inq;

	open_with(&c, 6600, 1000, 50000);
	cr_assert(eq(int, t_setint(c.s, IPPROTO_TCP, TCP_INQ, 2), -EINVAL));
	cr_assert(eq(int, t_setint(c.s, IPPROTO_TCP, TCP_INQ, -1), -EINVAL));
	cr_assert(eq(int, t_getint(c.s, IPPROTO_TCP, TCP_INQ), 0));
	cr_assert(eq(int, t_setint(c.s, IPPROTO_TCP, TCP_INQ, 1), 0));
	cr_assert(eq(int, t_getint(c.s, IPPROTO_TCP, TCP_INQ), 1));
	tseg_inject(&(struct tseg){ .sport = c.aport, .dport = c.bport, .seq = c.rcv, .ack = c.snd,
				    .flags = TCPHDR_ACK | TCPHDR_PSH | TCPHDR_FIN, .data = "hello",
				    .len = 5 });
	cr_assert(eq(int, sock_recvmsg(c.s, &msg, 0), 2));
	cr_assert(eq(u64, msg.msg_controllen, 0), "the room was used (put_cmsg counts down)");
	cr_assert(eq(int, cm->cmsg_level, SOL_TCP));
	cr_assert(eq(int, cm->cmsg_type, TCP_CM_INQ));
	cr_assert(eq(u64, cm->cmsg_len, CMSG_LEN(sizeof(int))));
	memcpy(&inq, CMSG_DATA(cm), sizeof(inq));
	cr_assert(eq(int, inq, 4), "3 bytes and the FIN still to read");
	iov = (struct iovec){ buf, sizeof(buf) };
	msg.msg_control = ctl;
	msg.msg_controllen = sizeof(ctl);
	cr_assert(eq(int, sock_recvmsg(c.s, &msg, 0), 3));
	memcpy(&inq, CMSG_DATA(cm), sizeof(inq));
	cr_assert(eq(int, inq, 1), "only the FIN: 1, read on");
	msg.msg_control = NULL;
	msg.msg_controllen = 0;
	msg.msg_flags = 0;
	cr_assert(eq(int, sock_recvmsg(c.s, &msg, 0), 0), "EOF");
	cr_assert(eq(int, msg.msg_flags & MSG_CTRUNC, MSG_CTRUNC), "no room for TCP_CM_INQ");

	cr_assert(eq(int, c.s->ops->getsockopt(c.s, IPPROTO_TCP, TCP_CC_INFO, info, &len), 0));
	cr_assert(eq(u32, len, 0), "cubic: no info");
	cr_assert(eq(int, c.s->ops->setsockopt(c.s, IPPROTO_TCP, TCP_CONGESTION, "reno", 4), 0));
	len = sizeof(info);
	cr_assert(eq(int, c.s->ops->getsockopt(c.s, IPPROTO_TCP, TCP_CC_INFO, info, &len), 0));
	cr_assert(eq(u32, len, 0), "reno: no info");

	/* Linux's tcp_set_congestion_control: naming the algorithm in use keeps
	 * its state; another starts from nothing */
	cr_assert(eq(int, c.s->ops->setsockopt(c.s, IPPROTO_TCP, TCP_CONGESTION, "cubic", 5), 0));
	memset(tcp_sk(c.s->sk)->ca_priv, 0xa5, sizeof(tcp_sk(c.s->sk)->ca_priv));
	cr_assert(eq(int, c.s->ops->setsockopt(c.s, IPPROTO_TCP, TCP_CONGESTION, "cubic", 5), 0));
	cr_assert(eq(u8, ((u8 *)tcp_sk(c.s->sk)->ca_priv)[0], 0xa5), "cubic again: kept");
	cr_assert(eq(int, c.s->ops->setsockopt(c.s, IPPROTO_TCP, TCP_CONGESTION, "reno", 4), 0));
	cr_assert(eq(u8, ((u8 *)tcp_sk(c.s->sk)->ca_priv)[0], 0), "another: afresh");
	sock_release(c.s);
}

/*
 * What skbos leaves out answers as a Linux kernel without it: TCP_MD5SIG
 * (RFC 2385; CONFIG_TCP_MD5SIG off: tcp_setsockopt's default case, and no
 * kernel reads it back) is ENOPROTOOPT both ways; SO_ZEROCOPY is
 * ENOPROTOOPT as on a kernel before it (4.14), and MSG_ZEROCOPY without it
 * is an ordinary copying send, as Linux treats it without SO_ZEROCOPY.
 */
Test(tcp_send, md5sig_and_zerocopy_answer_as_a_kernel_without_them)
{
	struct tseg_conn c;
	struct tseg_seen r;
	u8 md5[216] = { 0 }; /* sizeof(struct tcp_md5sig) */
	unsigned int len = sizeof(md5);

	open_with(&c, 6700, 1000, 50000);
	cr_assert(eq(int, c.s->ops->setsockopt(c.s, IPPROTO_TCP, TCP_MD5SIG, md5, sizeof(md5)),
		     -ENOPROTOOPT));
	cr_assert(eq(int, c.s->ops->getsockopt(c.s, IPPROTO_TCP, TCP_MD5SIG, md5, &len),
		     -ENOPROTOOPT));
	cr_assert(eq(int, t_setint(c.s, SOL_SOCKET, SO_ZEROCOPY, 1), -ENOPROTOOPT));
	cr_assert(eq(int, t_send(c.s, "copied", 6, MSG_ZEROCOPY), 6));
	r = tseg_expect_one();
	cr_assert(eq(u32, r.len, 6));
	tseg_abort(c.s);
}

/*
 * TCP_INFO field by field against the kernel's answer for a comparable
 * connection (recorded on this machine, 6.18, loopback: a client that
 * sent 1000 bytes, all acknowledged): state 1, ca_state Open, no
 * retransmits, probes or backoff, options TS|SACK|WSCALE (7), nothing
 * unacked, sacked, lost or retransmitted, reordering 3, ssthresh
 * 0x7fffffff, rcv_mss 536 before anything arrived, max_pacing_rate ~0,
 * bytes_acked 1001 (the SYN counts), bytes_received 0; pmtu the route's.
 * The receiver's bytes_received is the data, without the FIN.
 */
Test(tcp_send, tcp_info_fields_as_the_kernel_fills_them)
{
	static u8 data[1000];
	struct socket *cli, *srv, *lis;
	struct {
		struct tcp_info base;
		u64 pacing, max_pacing, bytes_acked, bytes_received;
	} ti;
	unsigned int len = sizeof(ti);

	tseg_unsilence_a();
	connect_pair(6800, &cli, &srv, &lis);
	cr_assert(eq(int, t_send(cli, data, sizeof(data), 0), 1000));
	world_advance(&p.w, 300 * MS);
	cr_assert(eq(int, t_recv(srv, data, sizeof(data), 0), 1000));
	memset(&ti, 0xee, sizeof(ti));
	cr_assert(eq(int, cli->ops->getsockopt(cli, IPPROTO_TCP, TCP_INFO, &ti, &len), 0));
	cr_assert(eq(u32, len, sizeof(ti)));
	cr_assert(eq(u8, ti.base.tcpi_state, TCP_ESTABLISHED));
	cr_assert(eq(u8, ti.base.tcpi_ca_state, TCP_CA_Open));
	cr_assert(eq(u8, ti.base.tcpi_retransmits, 0));
	cr_assert(eq(u8, ti.base.tcpi_probes, 0));
	cr_assert(eq(u8, ti.base.tcpi_backoff, 0));
	cr_assert(eq(u8, ti.base.tcpi_options, TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE));
	cr_assert(eq(u32, ti.base.tcpi_unacked, 0));
	cr_assert(eq(u32, ti.base.tcpi_sacked, 0));
	cr_assert(eq(u32, ti.base.tcpi_lost, 0));
	cr_assert(eq(u32, ti.base.tcpi_retrans, 0));
	cr_assert(eq(u32, ti.base.tcpi_reordering, 3));
	cr_assert(eq(u32, ti.base.tcpi_snd_ssthresh, 0x7fffffff));
	cr_assert(eq(u32, ti.base.tcpi_rcv_mss, 536));
	cr_assert(eq(u32, ti.base.tcpi_pmtu, 1500));
	cr_assert(eq(u64, ti.max_pacing, ~0ull));
	cr_assert(eq(u64, ti.bytes_acked, 1001));
	cr_assert(eq(u64, ti.bytes_received, 0));
	cr_assert(gt(u32, ti.base.tcpi_rtt, 0));
	cr_assert(gt(u32, ti.base.tcpi_rcv_space, 0));
	cr_assert(eq(int, cli->ops->shutdown(cli, SHUT_WR), 0));
	world_advance(&p.w, 300 * MS);
	len = sizeof(ti);
	cr_assert(eq(int, srv->ops->getsockopt(srv, IPPROTO_TCP, TCP_INFO, &ti, &len), 0));
	cr_assert(eq(u64, ti.bytes_received, 1000), "the data, not the FIN");
	cr_assert(eq(u32, ti.base.tcpi_rcv_mss, 1000), "measured");
	sock_release(cli);
	sock_release(srv);
	sock_release(lis);
	world_advance(&p.w, 120 * NSEC_PER_SEC);
}

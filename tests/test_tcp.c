/*
 * test_tcp.c - TCP between two stacks on virtual time: handshakes, data in
 * both directions, close in every order, errors (refused, reset, timeout),
 * RTO backoff, zero window and persist, and bulk transfers verified by hash
 * under loss, reordering, duplication and corruption.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "inet.h"
#include "frames.h"
#include "socks.h"
#include "capture.h"
#include "checksum.h"
#include "icmp.h"
#include "route.h"
#include "tcp.h"

#define MS NSEC_PER_MSEC
#define SEC NSEC_PER_SEC

static struct inet_pair p;
static struct stack *sa, *sb;

static void setup(void)
{
	inet_pair_setup(&p);
	sa = p.w.st[0];
	sb = p.w.st[1];
}

static void teardown(void)
{
	world_advance(&p.w, 121 * SEC); /* TIME_WAIT and orphans run out */
	cr_assert(eq(u32, tcp_socket_count(sa) + tcp_socket_count(sb), 0), "connections left");
	world_assert_no_leaks(&p.w);
	inet_pair_teardown(&p);
}

TestSuite(tcp, .init = setup, .fini = teardown, .timeout = 300);

static struct socket *listener(u16 port)
{
	struct socket *l = t_socket(sb, SOCK_STREAM, 0);

	cr_assert(eq(int, t_bind(l, 0, port), 0));
	cr_assert(eq(int, l->ops->listen(l, 16), 0));
	return l;
}

/* A connected pair: client on A, accepted server socket on B. */
static void connect_pair(u16 port, struct socket **cli, struct socket **srv, struct socket **lis)
{
	*lis = listener(port);
	*cli = t_socket(sa, SOCK_STREAM, 0);
	cr_assert(eq(int, t_connect(*cli, p.b, port), 0), "blocking connect");
	cr_assert(eq(int, (*cli)->sk->sk_state, TCP_ESTABLISHED));
	cr_assert(eq(int, sock_accept(*lis, srv, 0), 0));
	cr_assert(eq(int, (*srv)->sk->sk_state, TCP_ESTABLISHED));
}

static int t_recv(struct socket *s, void *buf, size_t len, int flags)
{
	return t_recvfrom(s, buf, len, flags, NULL, NULL);
}

Test(tcp, handshake_and_echo)
{
	struct socket *c, *s, *l;
	char buf[64];

	connect_pair(80, &c, &s, &l);
	cr_assert(eq(u64, mib(sa, TCP_MIB_ACTIVEOPENS), 1));
	cr_assert(eq(u64, mib(sb, TCP_MIB_PASSIVEOPENS), 1));
	cr_assert(eq(int, t_send(c, "hello", 5, 0), 5));
	cr_assert(eq(int, t_recv(s, buf, sizeof(buf), 0), 5));
	cr_assert(eq(int, memcmp(buf, "hello", 5), 0));
	cr_assert(eq(int, t_send(s, "world!", 6, 0), 6));
	cr_assert(eq(int, t_recv(c, buf, sizeof(buf), 0), 6));
	sock_release(c);
	sock_release(s);
	sock_release(l);
}

/*
 * RFC 7323 §2.2: the scale in our SYN leaves room for the largest buffer
 * autotuning may reach (tcp_rmem[2] = 6 MB: shift 7); every window we then
 * offer fits the buffer we have, from the handshake's last ACK on.
 */
Test(tcp, offered_windows_fit_the_receive_buffer)
{
	struct socket *c, *s, *l;
	struct capture cap;
	struct sk_buff *f;
	int n = 0;

	capture_attach(&cap, sa, p.da, CAPTURE_TX);
	connect_pair(80, &c, &s, &l);
	cr_assert(eq(int, tcp_sk(c->sk)->rx_opt.rcv_wscale, 7));
	while ((f = capture_pop(&cap)) != NULL) {
		const u8 *th = f->data + 14 + 20;
		u32 win = (u32)(th[14] << 8 | th[15]);

		if (f->data[23] == IPPROTO_TCP && !(th[13] & TCPHDR_SYN)) {
			win <<= tcp_sk(c->sk)->rx_opt.rcv_wscale;
			cr_assert(le(u32, win, (u32)c->sk->sk_rcvbuf), "window %u, buffer %d", win,
				  c->sk->sk_rcvbuf);
			cr_assert(gt(u32, win, 0));
			n++;
		}
		kfree_skb(f);
	}
	cr_assert(ge(int, n, 1), "the handshake's ACK was seen");
	capture_detach(&cap);
	sock_release(c);
	sock_release(s);
	sock_release(l);
}

/* Linux answers TCP_INFO with its whole struct (232 bytes as 6.1 has it):
 * iperf3 reads tcpi_snd_wnd, past glibc's 104-byte struct tcp_info. */
Test(tcp, tcp_info_has_linux_size_and_snd_wnd)
{
	struct socket *c, *s, *l;
	unsigned char info[512];
	unsigned int len = sizeof(info);
	u32 snd_wnd;

	connect_pair(96, &c, &s, &l);
	memset(info, 0xa5, sizeof(info));
	cr_assert(eq(int, c->ops->getsockopt(c, IPPROTO_TCP, TCP_INFO, info, &len), 0));
	cr_assert(eq(u32, len, 232));
	cr_assert(eq(u8, info[0], TCP_ESTABLISHED), "tcpi_state");
	memcpy(&snd_wnd, info + 228, sizeof(snd_wnd)); /* tcpi_snd_wnd */
	cr_assert(eq(u32, snd_wnd, tcp_sk(c->sk)->snd_wnd));
	cr_assert(gt(u32, snd_wnd, 0));
	cr_assert(eq(u8, info[232], 0xa5), "nothing written past the struct");
	len = 8;
	cr_assert(eq(int, c->ops->getsockopt(c, IPPROTO_TCP, TCP_INFO, info, &len), 0));
	cr_assert(eq(u32, len, 8), "a short buffer gets its length");
	sock_release(c);
	sock_release(s);
	sock_release(l);
}

Test(tcp, orderly_close_from_the_client)
{
	struct socket *c, *s, *l;
	char buf[8];

	connect_pair(80, &c, &s, &l);
	cr_assert(eq(int, c->ops->shutdown(c, SHUT_WR), 0));
	world_run(&p.w);
	cr_assert(eq(int, c->sk->sk_state, TCP_FIN_WAIT2));
	cr_assert(eq(int, s->sk->sk_state, TCP_CLOSE_WAIT));
	cr_assert(eq(int, t_recv(s, buf, sizeof(buf), 0), 0), "EOF");
	cr_assert(eq(int, t_send(s, "late", 4, 0), 4), "half-close: the other way still works");
	cr_assert(eq(int, t_recv(c, buf, sizeof(buf), 0), 4));
	sock_release(s); /* LAST_ACK */
	world_run(&p.w);
	cr_assert(eq(int, c->sk->sk_state, TCP_TIME_WAIT));
	cr_assert(eq(int, t_recv(c, buf, sizeof(buf), 0), 0));
	sock_release(c);
	sock_release(l);
}

Test(tcp, connection_refused_without_a_listener)
{
	struct socket *c = t_socket(sa, SOCK_STREAM, 0);

	cr_assert(eq(int, t_connect(c, p.b, 81), -ECONNREFUSED));
	cr_assert(eq(u64, mib(sb, TCP_MIB_OUTRSTS), 1));
	sock_release(c);
}

Test(tcp, nonblocking_connect_inprogress_then_so_error)
{
	struct socket *l = listener(82), *c = t_socket(sa, SOCK_STREAM | SOCK_NONBLOCK, 0), *s;
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(82) };

	sin.sin_addr.s_addr = p.b;
	cr_assert(eq(int, c->ops->connect(c, (struct sockaddr *)&sin, sizeof(sin), O_NONBLOCK), -EINPROGRESS));
	cr_assert(eq(int, c->ops->connect(c, (struct sockaddr *)&sin, sizeof(sin), O_NONBLOCK), -EALREADY));
	cr_assert(eq(u32, sock_poll(c) & EPOLLOUT, 0));
	world_run(&p.w);
	cr_assert(ne(u32, sock_poll(c) & EPOLLOUT, 0), "writable once connected");
	cr_assert(eq(int, t_getint(c, SOL_SOCKET, SO_ERROR), 0));
	cr_assert(eq(int, c->ops->connect(c, (struct sockaddr *)&sin, sizeof(sin), O_NONBLOCK), -EISCONN));
	cr_assert(eq(int, sock_accept(l, &s, 0), 0));
	sock_release(c);
	sock_release(s);
	sock_release(l);
}

static void fill(u8 *buf, size_t len, u32 seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (u8)((seed + i) * 2654435761u >> 24);
}

/* Move @total bytes c -> s in chunks, interleaving both sides; verify every byte. */
static void bulk(struct socket *c, struct socket *s, size_t total)
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
		world_advance(&p.w, MS);
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
			     ct->in_recovery, ct->retransmits, (unsigned long long)(ct->rto / MS), ct->persist,
			     timer_pending(&ct->retransmit_timer), ct->snd_wnd, c->sk->sk_err, st2->rcv_nxt,
			     st2->rcv_wnd, skb_queue_len(&st2->out_of_order_queue),
			     skb_queue_len(&s->sk->sk_receive_queue), s->sk->sk_rmem_alloc);
	}
	cr_assert(eq(u64, got, total));
}

Test(tcp, bulk_transfer_clean)
{
	struct socket *c, *s, *l;

	connect_pair(90, &c, &s, &l);
	bulk(c, s, 4 << 20);
	cr_log_info("clean: cwnd %u srtt %llu us retrans %u", tcp_sk(c->sk)->snd_cwnd,
		    (unsigned long long)(tcp_sk(c->sk)->srtt / 1000), tcp_sk(c->sk)->total_retrans);
	sock_release(c);
	sock_release(s);
	sock_release(l);
}

static void impair_both(const char *spec)
{
	struct impair_config cfg = { 0 };

	cr_assert(eq(int, impair_parse(&cfg, spec), 0));
	wire_set_impair(p.wire, 0, &cfg);
	cfg.seed ^= 0x55;
	wire_set_impair(p.wire, 1, &cfg);
}

static void bulk_under(const char *spec, size_t total)
{
	struct socket *c, *s, *l;

	connect_pair(90, &c, &s, &l);
	impair_both(spec);
	bulk(c, s, total);
	cr_log_info("%s: %zu bytes, retrans %u, cwnd %u, srtt %llu us, csum drops %llu", spec, total,
		    tcp_sk(c->sk)->total_retrans, tcp_sk(c->sk)->snd_cwnd,
		    (unsigned long long)(tcp_sk(c->sk)->srtt / 1000),
		    (unsigned long long)mib(sb, TCP_MIB_INCSUMERRORS));
	impair_both("seed=1");
	sock_release(c);
	sock_release(s);
	sock_release(l);
}

/*
 * A peer that half-closed still takes our data: in CLOSE_WAIT a send that
 * finds the buffer full waits for room (or says EAGAIN) as in ESTABLISHED.
 * It spun instead, holding the stack lock so no ACK could ever make room:
 * socat SYSTEM:cat under skbos hung at 100% CPU echoing 20 MB back to a
 * kernel socat that had sent its FIN.  (.timeout: the old spin never ends.)
 */
Test(tcp, close_wait_send_waits_for_room, .timeout = 60)
{
	struct socket *c, *s, *l;

	connect_pair(97, &c, &s, &l);
	cr_assert(eq(int, c->ops->shutdown(c, SHUT_WR), 0));
	world_run(&p.w);
	cr_assert(eq(int, s->sk->sk_state, TCP_CLOSE_WAIT));
	bulk(s, c, 4 << 20); /* far more than the send buffer holds */
	cr_assert(eq(int, s->sk->sk_state, TCP_CLOSE_WAIT));
	sock_release(c);
	sock_release(s);
	sock_release(l);
}

Test(tcp, bulk_under_1pct_loss)
{
	bulk_under("drop=1%,delay=1ms,seed=11", 64 << 20);
}

Test(tcp, bulk_under_5pct_loss)
{
	bulk_under("drop=5%,delay=1ms,seed=12", 64 << 20);
}

Test(tcp, bulk_under_10pct_loss)
{
	bulk_under("drop=10%,delay=1ms,seed=13", 64 << 20);
}

Test(tcp, bulk_under_reordering_and_duplication)
{
	bulk_under("reorder=10%,dup=2%,delay=1ms,seed=14", 64 << 20);
}

Test(tcp, bulk_under_corruption_is_caught_by_checksums)
{
	bulk_under("corrupt=1%,delay=1ms,seed=15", 64 << 20);
	cr_assert(gt(u64, mib(sb, TCP_MIB_INCSUMERRORS) + mib(sa, TCP_MIB_INCSUMERRORS) +
			      mib(sb, IPSTATS_MIB_INCSUMERRORS) + mib(sa, IPSTATS_MIB_INCSUMERRORS), 0));
}

Test(tcp, rto_backs_off_exponentially)
{
	struct socket *c, *s, *l;
	struct tcp_sock *tp;
	ktime_t t[6];
	u32 n = 0, prev;

	connect_pair(91, &c, &s, &l);
	tp = tcp_sk(c->sk);
	impair_both("drop=/1"); /* the link dies */
	cr_assert(eq(int, t_send(c, "x", 1, 0), 1));
	prev = tp->total_retrans;
	for (int ms = 0; ms < 40000 && n < 6; ms += 1) {
		world_advance(&p.w, MS);
		if (tp->total_retrans != prev) {
			t[n++] = p.w.now;
			prev = tp->total_retrans;
		}
	}
	for (u32 i = 0; i < n; i++)
		cr_log_info("retransmission %u at %llu ms", i, (unsigned long long)((t[i] - t[0]) / MS));
	cr_assert(eq(u32, n, 6));
	for (u32 i = 2; i < n; i++) {
		ktime_t gap = t[i] - t[i - 1], before_gap = t[i - 1] - t[i - 2];

		cr_assert(ge(u64, gap, 2 * before_gap - 2 * MS), "gap %u doubles", i);
		cr_assert(le(u64, gap, 2 * before_gap + 2 * MS));
	}
	cr_assert(ge(u64, t[1] - t[0], 200 * MS), "RTO >= 200 ms (Linux's minimum)");
	impair_both("seed=1");
	world_advance(&p.w, 120 * SEC);
	sock_release(c);
	sock_release(s);
	sock_release(l);
}

Test(tcp, zero_window_then_persist_probes_reopen_it)
{
	static u8 data[300000];
	struct socket *c, *s, *l;
	size_t sent = 0;
	int rc;

	connect_pair(92, &c, &s, &l);
	t_setint(c, SOL_SOCKET, SO_SNDBUF, 1 << 20);
	while ((rc = t_send(c, data, sizeof(data), MSG_DONTWAIT)) > 0)
		sent += (size_t)rc;
	for (int i = 0; i < 50; i++)
		world_advance(&p.w, 10 * MS);
	/* The reader's buffer is full: less than a segment of window is left
	 * (never shrunk, RFC 9293 §3.8.6.2.2), so the sender probes. */
	cr_assert(lt(u32, tcp_wnd_end(tcp_sk(c->sk)) - tcp_sk(c->sk)->snd_nxt, tcp_sk(c->sk)->mss_cache));
	cr_assert(tcp_sk(c->sk)->persist, "the persist timer runs");
	world_advance(&p.w, 5 * SEC);
	cr_assert(eq(int, c->sk->sk_state, TCP_ESTABLISHED), "probes keep it alive");
	{
		static u8 in[1 << 20];
		size_t got = 0;

		for (int i = 0; i < 2000 && got < sent; i++) {
			while ((rc = t_recv(s, in, sizeof(in), MSG_DONTWAIT)) > 0)
				got += (size_t)rc;
			world_advance(&p.w, 10 * MS);
		}
		cr_assert(eq(u64, got, sent), "everything arrives once the reader reads");
	}
	sock_release(c);
	sock_release(s);
	sock_release(l);
}

Test(tcp, two_thousand_short_connections)
{
	struct socket *l = listener(93);
	char buf[16];

	for (int i = 0; i < 2000; i++) {
		struct socket *c = t_socket(sa, SOCK_STREAM, 0), *s;

		cr_assert(eq(int, t_connect(c, p.b, 93), 0), "connection %d", i);
		cr_assert(eq(int, sock_accept(l, &s, 0), 0));
		cr_assert(eq(int, t_send(c, "ping", 4, 0), 4));
		cr_assert(eq(int, t_recv(s, buf, sizeof(buf), 0), 4));
		cr_assert(eq(int, t_send(s, "pong", 4, 0), 4));
		cr_assert(eq(int, t_recv(c, buf, sizeof(buf), 0), 4));
		sock_release(c);
		sock_release(s);
		world_run(&p.w);
	}
	sock_release(l);
}

/*
 * The server closes first and keeps TIME_WAIT; the client (which does not)
 * reuses its port at once, as Linux's port allocator does.  The new SYN is
 * above RCV.NXT: it reopens the connection (RFC 1122 §4.2.2.13, Linux) at
 * once, with an ISN above everything the old incarnation sent, instead of
 * being dropped for 2*MSL (wrk -H 'Connection: close' against nginx stalled).
 */
Test(tcp, new_syn_reopens_time_wait)
{
	struct socket *l = listener(95), *c, *s;
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(95) };
	char buf[8];
	u32 old_snd_nxt = 0;

	sin.sin_addr.s_addr = p.b;
	for (int round = 0; round < 2; round++) {
		c = t_socket(sa, SOCK_STREAM | SOCK_NONBLOCK, 0);
		cr_assert(eq(int, t_setint(c, SOL_SOCKET, SO_REUSEADDR, 1), 0));
		cr_assert(eq(int, t_bind(c, 0, 40000), 0), "round %d: the client's port is free", round);
		cr_assert(eq(int, c->ops->connect(c, (struct sockaddr *)&sin, sizeof(sin), O_NONBLOCK),
			     -EINPROGRESS));
		world_advance(&p.w, 10 * MS);
		cr_assert(eq(int, c->sk->sk_state, TCP_ESTABLISHED), "round %d: connected at once", round);
		cr_assert(eq(int, sock_accept(l, &s, 0), 0));
		if (round) {
			cr_assert(eq(u32, tcp_sk(s->sk)->iss, old_snd_nxt + 65535 + 2),
				  "the ISN is above the old incarnation's (Linux: +65537)");
			cr_assert(eq(u32, tcp_socket_count(sb), 1), "the TIME_WAIT is gone");
		}
		cr_assert(eq(int, t_send(c, "ping", 4, 0), 4));
		world_run(&p.w);
		cr_assert(eq(int, t_recv(s, buf, sizeof(buf), 0), 4));
		old_snd_nxt = tcp_sk(s->sk)->snd_nxt + 1; /* and its FIN */
		sock_release(s); /* the server closes first: TIME_WAIT on B */
		world_run(&p.w);
		cr_assert(eq(int, t_recv(c, buf, sizeof(buf), 0), 0));
		sock_release(c);
		world_run(&p.w);
		cr_assert(eq(u32, tcp_socket_count(sb), 1), "B holds TIME_WAIT");
		world_advance(&p.w, 100 * MS); /* the client's clock moves its ISN on */
	}
	sock_release(l);
}

Test(tcp, simultaneous_open)
{
	struct socket *a = t_socket(sa, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct socket *b = t_socket(sb, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in to_b = { .sin_family = AF_INET, .sin_port = htons(7001) };
	struct sockaddr_in to_a = { .sin_family = AF_INET, .sin_port = htons(7000) };
	char buf[8];

	to_b.sin_addr.s_addr = p.b;
	to_a.sin_addr.s_addr = p.a;
	t_bind(a, 0, 7000);
	t_bind(b, 0, 7001);
	cr_assert(eq(int, a->ops->connect(a, (struct sockaddr *)&to_b, sizeof(to_b), O_NONBLOCK), -EINPROGRESS));
	cr_assert(eq(int, b->ops->connect(b, (struct sockaddr *)&to_a, sizeof(to_a), O_NONBLOCK), -EINPROGRESS));
	world_advance(&p.w, 10 * MS);
	cr_assert(eq(int, a->sk->sk_state, TCP_ESTABLISHED), "RFC 9293 §3.5 figure 8");
	cr_assert(eq(int, b->sk->sk_state, TCP_ESTABLISHED));
	cr_assert(eq(int, t_send(a, "sim", 3, 0), 3));
	world_run(&p.w);
	cr_assert(eq(int, t_recv(b, buf, sizeof(buf), MSG_DONTWAIT), 3));
	sock_release(a);
	sock_release(b);
}

Test(tcp, reset_mid_transfer_is_econnreset)
{
	struct socket *c, *s, *l;
	struct linger lg = { 1, 0 };
	char buf[16];

	connect_pair(94, &c, &s, &l);
	t_send(c, "data", 4, 0);
	world_run(&p.w);
	s->ops->setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	sock_release(s); /* linger 0: abort with RST */
	world_run(&p.w);
	cr_assert(eq(int, t_recv(c, buf, sizeof(buf), 0), -ECONNRESET));
	cr_assert(eq(int, t_send(c, "x", 1, 0), -EPIPE), "after the reset");
	cr_assert(eq(u64, mib(sa, TCP_MIB_ESTABRESETS), 1));
	sock_release(c);
	sock_release(l);
}

Test(tcp, close_with_unread_data_sends_rst)
{
	struct socket *c, *s, *l;
	char buf[8];

	connect_pair(95, &c, &s, &l);
	t_send(c, "unread", 6, 0);
	world_run(&p.w);
	sock_release(s); /* RFC 1122 §4.2.2.13 */
	world_run(&p.w);
	cr_assert(eq(int, t_recv(c, buf, sizeof(buf), 0), -ECONNRESET));
	sock_release(c);
	sock_release(l);
}

Test(tcp, connect_to_a_silent_address_is_ehostunreach_after_arp)
{
	struct socket *c = t_socket(sa, SOCK_STREAM, 0);
	ktime_t t0 = p.w.now;

	cr_assert(eq(int, t_connect(c, ip4("10.0.0.99"), 96), -EHOSTUNREACH));
	cr_assert(eq(u64, p.w.now - t0, 3 * SEC), "when ARP gives up (neighbour.c schedule)");
	sock_release(c);
}

Test(tcp, connect_times_out_after_syn_retries)
{
	struct socket *c = t_socket(sa, SOCK_STREAM, 0);
	int syncnt = 2;
	ktime_t t0;

	cr_assert(eq(int, t_connect(c, p.b, 96), -ECONNREFUSED), "resolves ARP first");
	sock_release(c);
	c = t_socket(sa, SOCK_STREAM, 0);
	t0 = p.w.now;
	impair_both("drop=/1");
	c->ops->setsockopt(c, IPPROTO_TCP, TCP_SYNCNT, &syncnt, sizeof(syncnt));
	cr_assert(eq(int, t_connect(c, p.b, 96), -ETIMEDOUT));
	/* SYN at 0, retries at 1 s and 3 s, give up at 7 s */
	cr_assert(eq(u64, p.w.now - t0, 7 * SEC));
	impair_both("seed=1");
	sock_release(c);
}

/* ---- super-packets (GSO): the wire has no TSO, dev_queue_xmit cuts them ---- */

/* Send @len bytes c -> s, let the wire run, read and check them all. */
static void send_and_check(struct socket *c, struct socket *s, size_t len)
{
	static u8 out[1 << 20], in[1 << 20], ref[1 << 20];
	size_t got = 0;

	size_t sent = 0;

	cr_assert(le(sz, len, sizeof(out)));
	fill(out, len, 5);
	for (int i = 0; i < 20000 && got < len; i++) {
		int rc = sent < len ? t_send(c, out + sent, len - sent, MSG_DONTWAIT) : 0;

		if (rc > 0)
			sent += (size_t)rc;
		else
			cr_assert(eq(int, rc, sent < len ? -EAGAIN : 0));
		world_advance(&p.w, MS);
		while ((rc = t_recv(s, in + got, len - got, MSG_DONTWAIT)) > 0)
			got += (size_t)rc;
	}
	fill(ref, len, 5);
	cr_assert(eq(sz, got, len));
	cr_assert(eq(int, memcmp(in, ref, len), 0), "bytes differ");
}

static bool tcp_csum_ok(const struct iphdr *iph, const struct tcphdr *th, unsigned int tlen)
{
	return !csum_tcpudp_magic(iph->saddr, iph->daddr, tlen, IPPROTO_TCP, csum_partial(th, tlen, 0));
}

/* Every captured TCP data frame is at most one MSS with a valid checksum. */
static unsigned int check_frames(struct capture *cap, u32 mss, u32 *max_seen)
{
	struct sk_buff *f;
	unsigned int n = 0;

	*max_seen = 0;
	while ((f = capture_pop(cap)) != NULL) {
		const struct iphdr *iph = (const struct iphdr *)(const void *)(f->data + 14);
		const struct tcphdr *th = (const struct tcphdr *)(const void *)(f->data + 14 + iph->ihl * 4);
		u32 tlen = ntohs(iph->tot_len) - iph->ihl * 4u, plen = tlen - th->doff * 4u;

		if (iph->protocol == IPPROTO_TCP && plen) {
			cr_assert(le(u32, plen, mss), "a frame of %u bytes left a device without TSO", plen);
			cr_assert(tcp_csum_ok(iph, th, tlen), "checksum of a cut segment");
			if (plen > *max_seen)
				*max_seen = plen;
			n++;
		}
		kfree_skb(f);
	}
	return n;
}

Test(tcp, tcp_queues_super_packets_and_the_device_gets_segments)
{
	struct socket *c, *s, *l;
	struct capture cap;
	struct sk_buff *head;
	u32 mss, biggest, frames;
	static u8 buf[65536];
	u64 outsegs;

	connect_pair(90, &c, &s, &l);
	mss = tcp_sk(c->sk)->mss_cache;
	cr_assert(ne(u64, tcp_sk(c->sk)->route_caps & NETIF_F_GSO, 0), "GSO on every route");
	/* one write of 13 segments: the initial window (10) leaves as one
	 * super-packet, split off the skb; the other 3 wait for ACKs */
	cr_assert(eq(int, t_send(c, buf, 13 * mss, 0), (int)(13 * mss)));
	cr_assert(eq(u32, skb_queue_len(&c->sk->sk_write_queue), 2));
	head = skb_peek(&c->sk->sk_write_queue);
	cr_assert(eq(u32, head->len, TCP_INIT_CWND * mss), "one skb, ten segments: %u", head->len);
	cr_assert(eq(u32, skb_peek_next(head, &c->sk->sk_write_queue)->len, 3 * mss));
	cr_assert(eq(ptr, tcp_sk(c->sk)->send_head, skb_peek_next(head, &c->sk->sk_write_queue)));
	world_advance(&p.w, 100 * MS);
	cr_assert(eq(int, t_recv(s, buf, sizeof(buf), MSG_DONTWAIT) > 0, 1));
	while (t_recv(s, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;

	capture_attach(&cap, sa, p.da, CAPTURE_TX);
	outsegs = mib(sa, TCP_MIB_OUTSEGS);
	send_and_check(c, s, 1 << 20);
	frames = check_frames(&cap, mss, &biggest);
	cr_assert(gt(u32, frames, (1u << 20) / mss));
	/* OutSegs counts segments on the wire (data frames plus pure ACKs) */
	cr_assert(ge(u64, mib(sa, TCP_MIB_OUTSEGS) - outsegs, frames));
	cr_assert(eq(u32, biggest, mss), "full-sized segments");
	capture_detach(&cap);
	sock_release(c);
	sock_release(s);
	sock_release(l);
}

/* Lose the 5th data frame of A -> B once: the 5th segment of a super-packet. */
static bool lose_fifth_data_frame(void *arg, const u8 *frame, u32 len, u64 index)
{
	unsigned int *data_frames = arg;

	(void)index;
	if (len < 14 + 20 + 20 || frame[23] != IPPROTO_TCP || len <= 14 + 20 + (frame[46] >> 4) * 4u)
		return false;
	return ++*data_frames == 5;
}

Test(tcp, a_lost_segment_of_a_super_packet_is_sent_again_alone)
{
	struct impair_config cfg = { 0 };
	unsigned int data_frames = 0;
	struct socket *c, *s, *l;
	struct capture cap;
	u32 mss, biggest;

	connect_pair(91, &c, &s, &l);
	mss = tcp_sk(c->sk)->mss_cache;
	cfg.filter = lose_fifth_data_frame;
	cfg.filter_arg = &data_frames;
	wire_set_impair(p.wire, 0, &cfg);
	capture_attach(&cap, sa, p.da, CAPTURE_TX);
	send_and_check(c, s, 256 << 10);
	check_frames(&cap, mss, &biggest);
	cr_assert(eq(u32, tcp_sk(c->sk)->total_retrans, 1), "one segment again, not the super-packet");
	cr_assert(eq(u64, mib(sa, TCP_MIB_RETRANSSEGS), 1));
	capture_detach(&cap);
	sock_release(c);
	sock_release(s);
	sock_release(l);
}

Test(tcp, without_gso_tcp_queues_one_segment_per_skb)
{
	struct socket *c, *s, *l;
	struct capture cap;
	struct sk_buff *skb;
	u32 mss, biggest;
	static u8 buf[65536];
	u64 off;

	cr_assert(eq(int, netdev_offload_off("none", &off), 0));
	p.da->features &= ~off;
	connect_pair(92, &c, &s, &l);
	mss = tcp_sk(c->sk)->mss_cache;
	cr_assert(eq(int, t_send(c, buf, 13 * mss, 0), (int)(13 * mss)));
	skb_queue_walk(&c->sk->sk_write_queue, skb)
		cr_assert(le(u32, skb->len, mss));
	world_advance(&p.w, 100 * MS);
	while (t_recv(s, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	capture_attach(&cap, sa, p.da, CAPTURE_TX);
	send_and_check(c, s, 256 << 10);
	check_frames(&cap, mss, &biggest);
	capture_detach(&cap);
	sock_release(c);
	sock_release(s);
	sock_release(l);
}

/* ---- SACK (RFC 2018) and D-SACK (RFC 2883), the receiver's blocks ---------- */

struct sack_ack {
	u32 ack;
	unsigned int n;
	struct tcp_sack_block b[TCP_NUM_SACKS];
};

/* The ACK number and SACK blocks of a captured TCP frame. */
static void parse_sack(const struct sk_buff *f, struct sack_ack *a)
{
	const u8 *th = f->data + 14 + 20, *o = th + 20, *end = th + (th[12] >> 4) * 4;

	memset(a, 0, sizeof(*a));
	a->ack = (u32)th[8] << 24 | (u32)th[9] << 16 | (u32)th[10] << 8 | th[11];
	while (o < end && *o != TCPOPT_EOL) {
		if (*o == TCPOPT_NOP) {
			o++;
			continue;
		}
		if (o[0] == TCPOPT_SACK)
			for (a->n = 0; a->n < (o[1] - 2u) / 8; a->n++) {
				const u8 *p8 = o + 2 + 8 * a->n;

				a->b[a->n].start_seq = (u32)p8[0] << 24 | (u32)p8[1] << 16 | (u32)p8[2] << 8 | p8[3];
				a->b[a->n].end_seq = (u32)p8[4] << 24 | (u32)p8[5] << 16 | (u32)p8[6] << 8 | p8[7];
			}
		o += o[1];
	}
}

static bool lose_second_data_frame(void *arg, const u8 *frame, u32 len, u64 index)
{
	return lose_fifth_data_frame(arg, frame, len, index + 3);
}

Test(tcp, sack_blocks_describe_the_out_of_order_queue)
{
	struct impair_config cfg = { 0 };
	unsigned int data_frames = 3, i;
	struct socket *c, *s, *l;
	struct capture cap;
	struct sack_ack a;
	struct sk_buff *f;
	static u8 buf[8192];
	u32 iss, mss;

	connect_pair(93, &c, &s, &l);
	cr_assert(tcp_sk(c->sk)->rx_opt.sack_ok && tcp_sk(s->sk)->rx_opt.sack_ok, "negotiated");
	mss = tcp_sk(c->sk)->mss_cache;
	iss = tcp_sk(c->sk)->snd_nxt;
	cfg.filter = lose_second_data_frame; /* counts from 3: the 2nd data frame is "5th" */
	cfg.filter_arg = &data_frames;
	wire_set_impair(p.wire, 0, &cfg);
	cr_assert(eq(int, t_setint(c, IPPROTO_TCP, TCP_NODELAY, 1), 0));
	capture_attach(&cap, sb, p.db, CAPTURE_TX);
	for (i = 0; i < 4; i++)
		cr_assert(eq(int, t_send(c, buf, mss, 0), (int)mss));
	world_advance(&p.w, 10 * MS); /* less than an RTO: the hole stays */
	/* B's ACKs for segments 3 and 4: ack at the hole, one growing block */
	for (i = 0; (f = capture_pop(&cap)) != NULL; kfree_skb(f)) {
		parse_sack(f, &a);
		if (!a.n)
			continue;
		cr_assert(eq(u32, a.ack, iss + mss), "the cumulative ACK stops at the hole");
		cr_assert(eq(u32, a.n, 1));
		cr_assert(eq(u32, a.b[0].start_seq, iss + 2 * mss));
		cr_assert(eq(u32, a.b[0].end_seq, iss + (3 + i) * mss), "block %u", i);
		i++;
	}
	cr_assert(eq(u32, i, 2), "two ACKs with SACK blocks");
	world_advance(&p.w, 2 * SEC);
	cr_assert(eq(int, t_recv(s, buf, 4 * mss, MSG_WAITALL), (int)(4 * mss)));
	capture_detach(&cap);
	sock_release(c);
	sock_release(s);
	sock_release(l);
}

Test(tcp, a_duplicate_segment_is_reported_by_dsack)
{
	struct impair_config cfg = { 0 };
	struct socket *c, *s, *l;
	struct capture cap;
	struct sack_ack a;
	struct sk_buff *f;
	static u8 buf[1448];
	unsigned int dsacks = 0;

	connect_pair(94, &c, &s, &l);
	cfg.dup.every_nth = 1; /* every frame A sends arrives twice */
	wire_set_impair(p.wire, 0, &cfg);
	capture_attach(&cap, sb, p.db, CAPTURE_TX);
	cr_assert(eq(int, t_send(c, buf, 1000, 0), 1000));
	world_advance(&p.w, 100 * MS);
	while ((f = capture_pop(&cap)) != NULL) {
		parse_sack(f, &a);
		/* RFC 2883 §4: the first block, below the cumulative ACK */
		if (a.n == 1 && !after(a.b[0].end_seq, a.ack) &&
		    a.b[0].end_seq - a.b[0].start_seq == 1000)
			dsacks++;
		kfree_skb(f);
	}
	cr_assert(eq(u32, dsacks, 1), "one D-SACK for the one duplicate");
	cr_assert(eq(int, t_recv(s, buf, sizeof(buf), 0), 1000));
	capture_detach(&cap);
	wire_set_impair(p.wire, 0, &(struct impair_config){ 0 });
	sock_release(c);
	sock_release(s);
	sock_release(l);
}

/* Nagle as Linux (Minshall's variant): a small segment waits only for an
 * unacknowledged small one, never for full segments in flight. */
Test(tcp, nagle_holds_a_small_segment_only_behind_another_small_one)
{
	struct socket *c, *s, *l;
	static u8 buf[8192];
	struct tcp_sock *tp;
	u32 mss;

	connect_pair(97, &c, &s, &l);
	tp = tcp_sk(c->sk);
	mss = tp->mss_cache;
	cr_assert(eq(int, t_send(c, buf, 3 * mss + 100, 0), (int)(3 * mss + 100)));
	cr_assert(eq(u32, tp->snd_nxt, tp->write_seq), "full segments and the small tail all left");
	cr_assert(eq(int, t_send(c, buf, 100, 0), 100));
	cr_assert(eq(u32, tp->write_seq - tp->snd_nxt, 100), "behind an unacked small one: held");
	world_advance(&p.w, 100 * MS);
	cr_assert(eq(u32, tp->snd_nxt, tp->write_seq), "sent once that was acknowledged");
	cr_assert(eq(int, t_recv(s, buf, 3 * mss + 200, MSG_WAITALL), (int)(3 * mss + 200)));
	sock_release(c);
	sock_release(s);
	sock_release(l);
}

/* RFC 7661: an application that sends little does not grow cwnd. */
Test(tcp, cwnd_grows_only_while_it_limits)
{
	struct socket *c, *s, *l;
	static u8 buf[2048];

	connect_pair(98, &c, &s, &l);
	for (int i = 0; i < 500; i++) {
		cr_assert(eq(int, t_send(c, buf, 1000, 0), 1000));
		world_advance(&p.w, 50 * MS); /* past the delayed ACK Nagle waits for */
		cr_assert(eq(int, t_recv(s, buf, sizeof(buf), MSG_DONTWAIT), 1000));
	}
	cr_assert(le(u32, tcp_sk(c->sk)->snd_cwnd, 2 * TCP_INIT_CWND), "cwnd %u",
		  tcp_sk(c->sk)->snd_cwnd);
	sock_release(c);
	sock_release(s);
	sock_release(l);
}

/* A bare segment from A (@sport) to B (@dport), injected into B's device. */
static void inject_tcp(u16 sport, u16 dport, u32 seq, u32 ack, u8 flags)
{
	u8 seg[20];
	struct ipspec s = { .saddr = p.a, .daddr = p.b, .proto = IPPROTO_TCP, .payload = seg };

	s.len = build_tcp(seg, p.a, p.b, sport, dport, seq, ack, flags);
	inject_ip(p.db, &s);
	world_run(&p.w);
}

static unsigned int frames_sent(struct capture *cap)
{
	struct sk_buff *f;
	unsigned int n = 0;

	for (; (f = capture_pop(cap)) != NULL; kfree_skb(f))
		n++;
	return n;
}

/* RFC 5961 §3.2: an in-window RST that is not at RCV.NXT gets a challenge
 * ACK and leaves the connection alone; §7: those ACKs are throttled (Linux:
 * one per tcp_invalid_ratelimit, 500 ms, per socket). */
Test(tcp, challenge_acks_to_a_rst_storm_are_rate_limited)
{
	struct socket *c, *s, *l;
	struct capture cap;
	struct tcp_sock *tp;
	u16 cport;

	connect_pair(95, &c, &s, &l);
	tp = tcp_sk(s->sk);
	cport = ntohs(s->sk->sk_dport);
	capture_attach(&cap, sb, p.db, CAPTURE_TX);
	for (int i = 0; i < 10; i++)
		inject_tcp(cport, 95, tp->rcv_nxt + 100 + (u32)i, 0, TCPHDR_RST);
	cr_assert(eq(int, s->sk->sk_state, TCP_ESTABLISHED), "not reset");
	cr_assert(eq(u32, frames_sent(&cap), 1), "one challenge ACK for ten RSTs");
	cr_assert(eq(u64, mib(sb, LINUX_MIB_TCPCHALLENGEACK), 1));
	cr_assert(eq(u64, mib(sb, LINUX_MIB_TCPACKSKIPPEDCHALLENGE), 9));
	world_advance(&p.w, 501 * MS);
	inject_tcp(cport, 95, tp->rcv_nxt, tp->snd_nxt, TCPHDR_SYN);
	cr_assert(eq(u32, frames_sent(&cap), 1), "the next one after 500 ms, for a SYN too");
	cr_assert(eq(u64, mib(sb, LINUX_MIB_TCPCHALLENGEACK), 2));
	cr_assert(eq(u64, mib(sb, TCP_MIB_ESTABRESETS), 0));
	capture_detach(&cap);
	sock_release(c);
	sock_release(s);
	sock_release(l);
}

/* SYN+FIN opens nothing (Linux: SKB_DROP_REASON_TCP_FLAGS, no SYN-ACK). */
Test(tcp, syn_fin_to_a_listener_is_dropped)
{
	struct socket *l = listener(96);
	struct capture cap;

	capture_attach(&cap, sb, p.db, CAPTURE_TX);
	inject_tcp(40000, 96, 1000, 0, TCPHDR_SYN | TCPHDR_FIN);
	cr_assert(eq(u32, frames_sent(&cap), 0), "no SYN-ACK");
	cr_assert(eq(u64, drops(sb, SKB_DROP_REASON_TCP_FLAGS), 1));
	capture_detach(&cap);
	sock_release(l);
}

/* An ICMP error from B to A about a segment A sent on @c: @seq quoted. */
static void inject_icmp_error(struct socket *c, u8 type, u8 code, u16 mtu, u32 seq)
{
	u8 msg[sizeof(struct icmphdr) + sizeof(struct iphdr) + 8] = { 0 };
	struct icmphdr *icmph = (struct icmphdr *)(void *)msg;
	struct iphdr *inner = (struct iphdr *)(void *)(msg + sizeof(*icmph));
	__be16 ports[2] = { htons(c->sk->sk_num), c->sk->sk_dport };
	__be32 nseq = htonl(seq);
	struct ipspec s = { .saddr = p.b, .daddr = p.a, .proto = IPPROTO_ICMP, .payload = msg,
			    .len = sizeof(msg) };

	icmph->type = type;
	icmph->code = code;
	icmph->un.frag.mtu = htons(mtu);
	inner->version = 4;
	inner->ihl = 5;
	inner->tot_len = htons(1500);
	inner->ttl = 64;
	inner->protocol = IPPROTO_TCP;
	inner->saddr = p.a;
	inner->daddr = p.b;
	memcpy(msg + sizeof(*icmph) + sizeof(*inner), ports, sizeof(ports));
	memcpy(msg + sizeof(*icmph) + sizeof(*inner) + 4, &nseq, sizeof(nseq));
	icmph->checksum = ip_compute_csum(msg, sizeof(msg));
	inject_ip(p.da, &s);
	world_run(&p.w);
}

/* RFC 5927 §4.1: an ICMP error quoting a sequence number that is not of
 * data in flight is ignored (Linux: TcpExtOutOfWindowIcmps). */
Test(tcp, icmp_error_quoting_data_never_sent_is_ignored)
{
	struct socket *c, *s, *l;
	struct tcp_sock *tp;
	u16 mss;

	connect_pair(97, &c, &s, &l);
	tp = tcp_sk(c->sk);
	mss = tp->mss_cache;
	inject_icmp_error(c, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, 576, tp->snd_una + 100000);
	inject_icmp_error(c, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0, tp->snd_una - 100000);
	cr_assert(eq(u64, mib(sa, LINUX_MIB_OUTOFWINDOWICMPS), 2));
	cr_assert(eq(u16, tp->mss_cache, mss), "the MSS is not lowered");
	cr_assert(eq(u32, ipv4_pmtu_lookup(sa, p.b), 0), "nor the path MTU");
	cr_assert(eq(int, c->sk->sk_err_soft, 0), "no soft error");
	inject_icmp_error(c, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0, tp->snd_una);
	cr_assert(eq(int, c->sk->sk_err_soft, EHOSTUNREACH), "at SND.UNA it is believed");
	cr_assert(eq(u64, mib(sa, LINUX_MIB_OUTOFWINDOWICMPS), 2));
	sock_release(c);
	sock_release(s);
	sock_release(l);
}

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

#include "tcp_pair.h"
#include "loopback.h"
#include "inetdevice.h"
#include "tseg.h"
#include "frames.h"
#include "under_valgrind.h"
#include "socks.h"
#include "capture.h"
#include "checksum.h"
#include "icmp.h"
#include "route.h"
#include "tcp.h"

#define MS NSEC_PER_MSEC
#define SEC NSEC_PER_SEC

TestSuite(tcp, .init = tcp_pair_setup, .fini = tcp_pair_teardown, .timeout = 300);

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

/* Linux answers TCP_INFO with its whole struct (280 bytes as this machine's
 * 6.18 kernel has it, tests/sockopt_linux.h): iperf3 reads tcpi_snd_wnd,
 * past glibc's 104-byte struct tcp_info; tcpi_rcv_wnd follows it (6.2). */
Test(tcp, tcp_info_has_linux_size_and_snd_wnd)
{
	struct socket *c, *s, *l;
	unsigned char info[512];
	unsigned int len = sizeof(info);
	u32 snd_wnd, rcv_wnd;

	connect_pair(96, &c, &s, &l);
	memset(info, 0xa5, sizeof(info));
	cr_assert(eq(int, c->ops->getsockopt(c, IPPROTO_TCP, TCP_INFO, info, &len), 0));
	cr_assert(eq(u32, len, 280));
	cr_assert(eq(u8, info[0], TCP_ESTABLISHED), "tcpi_state");
	memcpy(&snd_wnd, info + 228, sizeof(snd_wnd)); /* tcpi_snd_wnd */
	cr_assert(eq(u32, snd_wnd, tcp_sk(c->sk)->snd_wnd));
	cr_assert(gt(u32, snd_wnd, 0));
	memcpy(&rcv_wnd, info + 232, sizeof(rcv_wnd)); /* tcpi_rcv_wnd */
	cr_assert(eq(u32, rcv_wnd, tcp_sk(c->sk)->rcv_wnd));
	cr_assert(gt(u32, rcv_wnd, 0));
	for (int i = 236; i < 280; i++)
		cr_assert(eq(u8, info[i], 0), "byte %d: no rehash, RTO or ECN yet", i);
	cr_assert(eq(u8, info[280], 0xa5), "nothing written past the struct");
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
	/* Linux: the first connect() after the handshake reports it with 0,
	 * the next says EISCONN (a completion check programs make) */
	cr_assert(eq(int, c->ops->connect(c, (struct sockaddr *)&sin, sizeof(sin), O_NONBLOCK), 0));
	cr_assert(eq(int, c->ops->connect(c, (struct sockaddr *)&sin, sizeof(sin), O_NONBLOCK), -EISCONN));
	cr_assert(eq(int, sock_accept(l, &s, 0), 0));
	sock_release(c);
	sock_release(s);
	sock_release(l);
}

Test(tcp, bulk_transfer_clean)
{
	struct socket *c, *s, *l;

	connect_pair(90, &c, &s, &l);
	tcp_bulk(c, s, 4 << 20);
	cr_log_info("clean: cwnd %u srtt %llu us retrans %u", tcp_sk(c->sk)->snd_cwnd,
		    (unsigned long long)(tcp_sk(c->sk)->srtt / 1000), tcp_sk(c->sk)->total_retrans);
	sock_release(c);
	sock_release(s);
	sock_release(l);
}

/*
 * A 64 KB-MTU route (Linux's loopback: MTU 65536) offers an MSS larger
 * than one linear skb can carry past its headroom.  tcp_sendmsg found no
 * room for one MSS in a fresh skb and queued empty ones until the send
 * buffer was full: zero-length segments that nothing ever acked, and a
 * blocking send that never returned (python's sendall of 8 MB to a thread
 * over 127.0.0.1 under SKBOS_LOOPBACK=1).
 */
Test(tcp, bulk_over_loopback_mtu_65536)
{
	struct net_device *lo = loopback_create(sa);
	struct socket *c, *s, *l = t_socket(sa, SOCK_STREAM, 0);

	cr_assert(eq(int, IS_ERR(lo), 0), "loopback_create");
	cr_assert(eq(int, inet_addr_add(lo, ip4("127.0.0.1"), 8), 0));
	cr_assert(eq(int, t_bind(l, 0, 90), 0));
	cr_assert(eq(int, l->ops->listen(l, 16), 0));
	c = t_socket(sa, SOCK_STREAM, 0);
	cr_assert(eq(int, t_connect(c, ip4("127.0.0.1"), 90), 0));
	cr_assert(eq(int, sock_accept(l, &s, 0), 0));
	/* the accepted side sends: the client's SYN offered MSS 65496 */
	tcp_bulk(s, c, 8 << 20);
	cr_assert(tcp_sk(s->sk)->mss_cache <= TCP_MSS_MAX_SKB, "mss %u", tcp_sk(s->sk)->mss_cache);
	cr_assert(eq(u32, tcp_sk(s->sk)->total_retrans, 0));
	sock_release(c);
	sock_release(s);
	sock_release(l);
}

static void bulk_under(const char *spec, size_t total)
{
	struct socket *c, *s, *l;

	/* Under valgrind (make check-valgrind), which looks for memory errors
	 * some fifty times slower, a sixteenth of the stream walks the same
	 * paths (64 MB under 10% loss would outlast the suite's timeout). */
	if (RUNNING_ON_VALGRIND)
		total >>= 4;
	connect_pair(90, &c, &s, &l);
	impair_both(spec);
	tcp_bulk(c, s, total);
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
	tcp_bulk(s, c, 4 << 20); /* far more than the send buffer holds */
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

/* A peer that stops answering probes is gone: ETIMEDOUT after tcp_retries2
 * unanswered probes, while a socket is still open (Linux's tcp_probe_timer). */
Test(tcp, persist_against_a_dead_peer_times_out)
{
	static u8 data[300000];
	struct impair_config dead = { .drop = { .every_nth = 1 } };
	struct socket *c, *s, *l;
	int rc;

	connect_pair(95, &c, &s, &l);
	t_setint(c, SOL_SOCKET, SO_SNDBUF, 1 << 20);
	while (t_send(c, data, sizeof(data), MSG_DONTWAIT) > 0)
		;
	for (int i = 0; i < 50; i++)
		world_advance(&p.w, 10 * MS);
	cr_assert(tcp_sk(c->sk)->persist, "the persist timer runs");
	world_advance(&p.w, 60 * SEC);
	cr_assert(eq(int, c->sk->sk_state, TCP_ESTABLISHED), "answered probes keep it alive");
	wire_set_impair(p.wire, 1, &dead); /* B goes silent */
	world_advance(&p.w, 3600 * SEC);
	cr_assert(eq(int, c->sk->sk_state, TCP_CLOSE), "15 unanswered probes: gone");
	/* ETIMEDOUT, or as Linux the soft error seen on the way (the silent
	 * peer's address stopped resolving: EHOSTUNREACH) */
	rc = t_send(c, data, 10, MSG_DONTWAIT);
	cr_assert(rc == -ETIMEDOUT || rc == -EHOSTUNREACH, "send: %d", rc);
	wire_set_impair(p.wire, 1, &(struct impair_config){ 0 });
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
		tseg_inject(&(struct tseg){ .sport = cport, .dport = 95, .seq = tp->rcv_nxt + 100 + (u32)i,
					    .flags = TCPHDR_RST });
	cr_assert(eq(int, s->sk->sk_state, TCP_ESTABLISHED), "not reset");
	cr_assert(eq(u32, frames_sent(&cap), 1), "one challenge ACK for ten RSTs");
	cr_assert(eq(u64, mib(sb, LINUX_MIB_TCPCHALLENGEACK), 1));
	cr_assert(eq(u64, mib(sb, LINUX_MIB_TCPACKSKIPPEDCHALLENGE), 9));
	world_advance(&p.w, 501 * MS);
	tseg_inject(&(struct tseg){ .sport = cport, .dport = 95, .seq = tp->rcv_nxt, .ack = tp->snd_nxt,
				    .flags = TCPHDR_SYN });
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
	tseg_inject(&(struct tseg){ .sport = 40000, .dport = 96, .seq = 1000,
				    .flags = TCPHDR_SYN | TCPHDR_FIN });
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

/*
 * net.ipv4.tcp_max_tw_buckets: a server that closes first keeps TIME_WAIT
 * for at most that many connections; beyond it a connection closes at once
 * and TcpExtTCPTimeWaitOverflow counts it (Linux's tcp_time_wait), so a
 * connection flood cannot hold a minute of connections.
 */
Test(tcp, time_wait_stops_at_tcp_max_tw_buckets)
{
	struct socket *l = listener(96), *c[3], *s;
	char buf[8];

	sb->sysctl.tcp_max_tw_buckets = 2;
	for (int i = 0; i < 3; i++) {
		c[i] = t_socket(sa, SOCK_STREAM, 0);
		cr_assert(eq(int, t_connect(c[i], p.b, 96), 0));
		cr_assert(eq(int, sock_accept(l, &s, 0), 0));
		sock_release(s); /* the server closes first */
		world_run(&p.w);
		cr_assert(eq(int, t_recv(c[i], buf, sizeof(buf), 0), 0));
		sock_release(c[i]);
		world_advance(&p.w, 1 * MS);
	}
	cr_assert(eq(u32, sb->ipv4.tcp_tw_count, 2), "two in TIME_WAIT, no more");
	cr_assert(eq(u32, tcp_socket_count(sb), 2), "two TIME_WAIT sockets (listeners not counted)");
	cr_assert(eq(u64, mib(sb, LINUX_MIB_TCPTIMEWAITOVERFLOW), 1));
	world_advance(&p.w, 61 * NSEC_PER_SEC);
	cr_assert(eq(u32, sb->ipv4.tcp_tw_count, 0));
	cr_assert(eq(u32, tcp_socket_count(sb), 0));
	sock_release(l);
}

/* TCP_USER_TIMEOUT (RFC 5482; Linux's tcp_clamp_rto_to_user_timeout): with
 * the peer gone silent the connection fails when the user timeout, counted
 * from the first retransmission, runs out, not at the next backed-off RTO
 * (which would be 6.2 s after the send: 0.2 s doubling), and the abort is
 * counted. */
Test(tcp, user_timeout_ends_the_connection_on_time)
{
	struct impair_config dead = { .drop = { .every_nth = 1 } };
	struct socket *c, *s, *l;
	u8 data[1000] = { 0 };

	connect_pair(96, &c, &s, &l);
	cr_assert(eq(int, t_setint(c, IPPROTO_TCP, TCP_USER_TIMEOUT, 3000), 0));
	wire_set_impair(p.wire, 0, &dead); /* nothing from A arrives any more */
	cr_assert(eq(int, t_send(c, data, sizeof(data), MSG_DONTWAIT), (int)sizeof(data)));
	world_advance(&p.w, 3000 * MS);
	cr_assert(eq(int, c->sk->sk_state, TCP_ESTABLISHED), "alive within the user timeout");
	world_advance(&p.w, 1500 * MS);
	cr_assert(eq(int, c->sk->sk_state, TCP_CLOSE), "gone 4.5 s after the send");
	cr_assert(eq(int, t_send(c, data, 10, MSG_DONTWAIT), -ETIMEDOUT));
	cr_assert(eq(u64, mib(sa, LINUX_MIB_TCPABORTONTIMEOUT), 1));
	wire_set_impair(p.wire, 0, &(struct impair_config){ 0 });
	sock_release(c);
	sock_release(s);
	sock_release(l);
}

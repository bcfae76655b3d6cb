/*
 * test_tcp_fastopen.c - TCP Fast Open's server side fed crafted SYNs
 * (harness/tseg.h: the test is the client): a cookie request, a cookie
 * used with data in the SYN, a wrong cookie and the server side off
 * falling back to a plain handshake, the pending-children limit.
 *
 * Read first: RFC 7413 §4.1 (option, cookie), §4.2.2 (server), §5.1
 * (TCP_FASTOPEN's limit); Linux's tcp_try_fastopen.
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

TestSuite(tcp_fastopen, .init = tseg_setup, .fini = tseg_teardown, .timeout = 120);

/* B listens on @port with TCP_FASTOPEN @qlen and net.ipv4.tcp_fastopen @sysctl. */
static struct socket *tfo_listener(u16 port, int qlen, int sysctl)
{
	struct socket *l = t_socket(sb, SOCK_STREAM, 0);

	sb->sysctl.tcp_fastopen = sysctl;
	cr_assert(eq(int, t_bind(l, 0, port), 0));
	cr_assert(eq(int, t_setint(l, IPPROTO_TCP, TCP_FASTOPEN, qlen), 0));
	cr_assert(eq(int, l->ops->listen(l, 16), 0));
	l->file_flags |= O_NONBLOCK;
	return l;
}

/* A's SYN from @aport to B's @port, with a Fast Open option of @cookie (@len 0: a request). */
static struct tseg_seen tfo_syn(u16 aport, u16 port, const u8 *cookie, u8 len, const char *data)
{
	tseg_inject(&(struct tseg){ .sport = aport, .dport = port, .seq = TSEG_A_ISS,
				    .flags = TCPHDR_SYN, .mss = 1460, .tfo = true, .tfo_len = len,
				    .tfo_cookie = cookie, .data = data,
				    .len = data ? (unsigned int)strlen(data) : 0 });
	return tseg_expect_one();
}

/* The cookie B gives A (a cookie request answered). */
static void get_cookie(struct socket *l, u16 port, u8 *cookie)
{
	struct tseg_seen r = tfo_syn(4000, port, NULL, 0, NULL);

	cr_assert(eq(int, r.tfo_len, TCP_FASTOPEN_COOKIE_SIZE));
	memcpy(cookie, r.tfo_cookie, TCP_FASTOPEN_COOKIE_SIZE);
	tseg_inject(&(struct tseg){ .sport = 4000, .dport = port, .seq = r.ack, .flags = TCPHDR_RST });
	(void)l;
}

/*
 * RFC 7413 §4.1.2: "the client ... requests a cookie ... by sending a
 * SYN with a Fast Open option with an empty cookie field"; the server
 * "generates a cookie and sends it ... in the SYN-ACK".  Linux: 8 bytes,
 * the option last (kind 34, length 10, two NOPs); the same client gets the
 * same cookie; the SYN-ACK acknowledges the SYN only.
 */
Test(tcp_fastopen, a_cookie_request_gets_a_cookie_in_the_syn_ack)
{
	struct socket *l = tfo_listener(7000, 16, 3);
	struct tseg_seen r, r2;

	r = tfo_syn(4001, 7000, NULL, 0, NULL);
	cr_assert(eq(u8, r.flags, TCPHDR_SYN | TCPHDR_ACK));
	cr_assert(eq(u32, r.ack, TSEG_A_ISS + 1));
	cr_assert(eq(int, r.tfo_len, 8), "an 8-byte cookie");
	cr_assert(r.tfo_last, "the Fast Open option last, as Linux");
	cr_assert(eq(u32, r.ip_len, r.frame_len));
	cr_assert(eq(u64, mib(sb, LINUX_MIB_TCPFASTOPENCOOKIEREQD), 1));
	r2 = tfo_syn(4002, 7000, NULL, 0, NULL);
	cr_assert(eq(int, memcmp(r.tfo_cookie, r2.tfo_cookie, 8), 0), "a MAC of the client's address");
	sock_release(l);
}

/*
 * RFC 7413 §4.2.2: with a valid cookie the server "accepts the data" and
 * the SYN-ACK acknowledges it; Linux hands the child to accept() at once,
 * in SYN_RECV, its data readable, and no cookie in the SYN-ACK.  A's ACK
 * then completes the handshake.
 */
Test(tcp_fastopen, a_valid_cookie_delivers_the_syn_data_before_the_handshake_ends)
{
	struct socket *l = tfo_listener(7100, 16, 3), *s;
	struct tseg_seen r;
	struct tcp_info ti;
	unsigned int len;
	u8 cookie[8];
	char buf[16];

	get_cookie(l, 7100, cookie);
	r = tfo_syn(4100, 7100, cookie, 8, "hello, tfo");
	cr_assert(eq(u8, r.flags, TCPHDR_SYN | TCPHDR_ACK));
	cr_assert(eq(u32, r.ack, TSEG_A_ISS + 1 + 10), "the SYN's data acknowledged");
	cr_assert(eq(int, r.tfo_len, -1), "no cookie in answer to a valid one");
	cr_assert(eq(u64, mib(sb, LINUX_MIB_TCPFASTOPENPASSIVE), 1));
	cr_assert(eq(int, sock_accept(l, &s, O_NONBLOCK), 0), "accepted before the ACK");
	cr_assert(eq(int, s->sk->sk_state, TCP_SYN_RECV));
	cr_assert(tcp_poll_mask(s->sk) & EPOLLIN);
	cr_assert(eq(int, t_recv(s, buf, sizeof(buf), MSG_DONTWAIT), 10));
	cr_assert(eq(int, memcmp(buf, "hello, tfo", 10), 0));
	len = sizeof(ti);
	cr_assert(eq(int, s->ops->getsockopt(s, IPPROTO_TCP, TCP_INFO, &ti, &len), 0));
	cr_assert(eq(u8, ti.tcpi_options & TCPI_OPT_SYN_DATA, TCPI_OPT_SYN_DATA),
		  "TCP_INFO: the SYN's data was acknowledged (Linux's syn_data_acked)");
	tseg_inject(&(struct tseg){ .sport = 4100, .dport = 7100, .seq = TSEG_A_ISS + 11,
				    .ack = r.seq + 1, .flags = TCPHDR_ACK });
	cr_assert(eq(int, s->sk->sk_state, TCP_ESTABLISHED));
	cr_assert(eq(int, t_send(s, "back", 4, 0), 4));
	r = tseg_expect_one();
	cr_assert(eq(u32, r.len, 4));
	cr_assert(eq(u32, r.ack, TSEG_A_ISS + 11));
	tseg_abort(s);
	sock_release(l);
}

/*
 * RFC 7413 §4.2.2: a SYN whose cookie does not check out: the server
 * "drops the data and responds with a regular SYN-ACK" - acknowledging
 * the ISN only - and Linux puts the valid cookie in it; the child waits
 * for the handshake like any other (accept: EAGAIN) and takes the data
 * when the client sends it again.  With the server side off (the default
 * net.ipv4.tcp_fastopen = 1) or TCP_FASTOPEN unset, the option is ignored.
 */
Test(tcp_fastopen, a_wrong_cookie_or_a_server_without_tfo_acks_only_the_isn)
{
	static const u8 bad[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct socket *l = tfo_listener(7200, 16, 3), *s;
	struct tseg_seen r;
	u8 cookie[8];
	char buf[16];

	get_cookie(l, 7200, cookie);
	r = tfo_syn(4200, 7200, bad, 8, "dropped");
	cr_assert(eq(u32, r.ack, TSEG_A_ISS + 1), "the data is not acknowledged");
	cr_assert(eq(int, r.tfo_len, 8), "the right cookie in the SYN-ACK");
	cr_assert(eq(int, memcmp(r.tfo_cookie, cookie, 8), 0));
	cr_assert(eq(u64, mib(sb, LINUX_MIB_TCPFASTOPENPASSIVEFAIL), 1));
	cr_assert(eq(int, sock_accept(l, &s, O_NONBLOCK), -EAGAIN));
	tseg_inject(&(struct tseg){ .sport = 4200, .dport = 7200, .seq = TSEG_A_ISS + 1,
				    .ack = r.seq + 1, .flags = TCPHDR_ACK | TCPHDR_PSH,
				    .data = "dropped", .len = 7 });
	cr_assert(eq(int, sock_accept(l, &s, O_NONBLOCK), 0));
	cr_assert(eq(int, t_recv(s, buf, sizeof(buf), MSG_DONTWAIT), 7), "sent again, taken");
	tseg_abort(s);
	sock_release(l);
	tseg_pop(NULL, 0); /* the ACK of the data, the RST */

	l = tfo_listener(7201, 16, 1);
	r = tfo_syn(4201, 7201, cookie, 8, "ignored");
	cr_assert(eq(u32, r.ack, TSEG_A_ISS + 1), "server side off: the ISN only");
	cr_assert(eq(int, r.tfo_len, -1), "and no cookie");
	sock_release(l);
	l = tfo_listener(7202, 0, 3);
	r = tfo_syn(4202, 7202, NULL, 0, NULL);
	cr_assert(eq(int, r.tfo_len, -1), "TCP_FASTOPEN 0: no Fast Open on this listener");
	sock_release(l);
}

/*
 * RFC 7413 §5.1: at most TCP_FASTOPEN children wait for their handshake;
 * past that, a valid cookie falls back to a plain handshake, no cookie
 * given (Linux's tcp_fastopen_queue_check, TCPFastOpenListenOverflow).
 * TCP_FASTOPEN: negative is EINVAL, as on a connected socket; get answers
 * the limit.
 */
Test(tcp_fastopen, the_pending_limit_and_the_option)
{
	struct socket *l = tfo_listener(7300, 1, 3);
	struct tseg_seen r;
	u8 cookie[8];

	cr_assert(eq(int, t_getint(l, IPPROTO_TCP, TCP_FASTOPEN), 1));
	cr_assert(eq(int, t_setint(l, IPPROTO_TCP, TCP_FASTOPEN, -1), -EINVAL));
	get_cookie(l, 7300, cookie);
	r = tfo_syn(4300, 7300, cookie, 8, "first");
	cr_assert(eq(u32, r.ack, TSEG_A_ISS + 1 + 5));
	r = tfo_syn(4301, 7300, cookie, 8, "second");
	cr_assert(eq(u32, r.ack, TSEG_A_ISS + 1), "over the limit: a plain handshake");
	cr_assert(eq(int, r.tfo_len, -1));
	cr_assert(eq(u64, mib(sb, LINUX_MIB_TCPFASTOPENLISTENOVERFLOW), 1));
	sock_release(l);
}

/* ---- the client's half: B connects to A (the test), RFC 7413 §4.1.2, §4.2.1 ---------- */

/* B resets the connection (SO_LINGER 0) and the test forgets the RST. */
static void b_abort(struct socket *s)
{
	struct tseg_seen rst[4];

	tseg_abort(s);
	tseg_pop(rst, 4);
}

static const u8 a_cookie[8] = { 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8 };

/* A's SYN-ACK from @aport to B's @bport for B's SYN @syn, acknowledging @acked of its data. */
static void a_synack(u16 aport, const struct tseg_seen *syn, u32 acked, const u8 *cookie)
{
	tseg_inject(&(struct tseg){ .sport = aport, .dport = syn->sport, .seq = TSEG_A_ISS,
				    .ack = syn->seq + 1 + acked, .flags = TCPHDR_SYN | TCPHDR_ACK,
				    .mss = 1460, .tfo = cookie != NULL, .tfo_len = cookie ? 8 : 0,
				    .tfo_cookie = cookie });
}

/* B's non-blocking sendto(MSG_FASTOPEN) of @data to A:@aport; *@s is the new socket. */
static int fastopen_sendto(struct socket **s, u16 aport, const char *data)
{
	*s = t_socket(sb, SOCK_STREAM | SOCK_NONBLOCK, 0);
	return t_sendto(*s, data, strlen(data), MSG_FASTOPEN | MSG_DONTWAIT, p.a, aport);
}

/* B learns A's cookie: a Fast Open connect without one asks, A's SYN-ACK gives it. */
static void b_learns_the_cookie(u16 aport)
{
	struct socket *s;
	struct tseg_seen syn;

	cr_assert(eq(int, fastopen_sendto(&s, aport, "x"), -EINPROGRESS));
	syn = tseg_expect_one();
	a_synack(aport, &syn, 0, a_cookie);
	tseg_expect_one(); /* the handshake's ACK */
	b_abort(s);
}

/*
 * RFC 7413 §4.1.2: a client without a cookie "sends a SYN with a Fast Open
 * option with an empty cookie field" and no data (Linux: a non-blocking
 * sendto(MSG_FASTOPEN) then fails with EINPROGRESS, the bytes not taken);
 * the cookie of the SYN-ACK is kept for the server, and the next
 * sendto(MSG_FASTOPEN) puts it and its data in the SYN and returns the
 * bytes the SYN carried; the SYN-ACK acknowledging them counts
 * TCPFastOpenActive and TCP_INFO says TCPI_OPT_SYN_DATA.
 */
Test(tcp_fastopen, a_client_asks_for_a_cookie_then_sends_data_in_its_syn)
{
	struct socket *s;
	struct tseg_seen syn, r;
	struct tcp_info ti;
	unsigned int len = sizeof(ti);
	u8 seen[16] = { 0 };

	cr_assert(eq(int, fastopen_sendto(&s, 7200, "hello"), -EINPROGRESS));
	syn = tseg_expect_one();
	cr_assert(eq(u8, syn.flags, TCPHDR_SYN));
	cr_assert(eq(int, syn.tfo_len, 0), "a cookie request: the option with no cookie");
	cr_assert(syn.tfo_last, "the option last, as Linux");
	cr_assert(eq(u32, syn.len, 0), "no data without a cookie");
	a_synack(7200, &syn, 0, a_cookie);
	r = tseg_expect_one();
	cr_assert(eq(u8, r.flags, TCPHDR_ACK));
	cr_assert(eq(int, s->sk->sk_state, TCP_ESTABLISHED));
	cr_assert(eq(u64, mib(sb, LINUX_MIB_TCPFASTOPENACTIVE), 0));
	b_abort(s);

	cr_assert(eq(int, fastopen_sendto(&s, 7200, "hello"), 5), "the SYN carried all 5 bytes");
	tseg_record(seen, sizeof(seen), 0);
	syn = tseg_expect_one();
	cr_assert(eq(u8, syn.flags, TCPHDR_SYN));
	cr_assert(eq(int, syn.tfo_len, 8));
	cr_assert(eq(int, memcmp(syn.tfo_cookie, a_cookie, 8), 0), "the cookie A gave");
	cr_assert(eq(u32, syn.len, 5));
	tseg_record(NULL, 0, 0);
	a_synack(7200, &syn, 5, NULL);
	r = tseg_expect_one();
	cr_assert(eq(u8, r.flags, TCPHDR_ACK), "the handshake's ACK, nothing sent again");
	cr_assert(eq(u32, r.seq, syn.seq + 6));
	cr_assert(eq(u64, mib(sb, LINUX_MIB_TCPFASTOPENACTIVE), 1));
	cr_assert(eq(int, s->ops->getsockopt(s, IPPROTO_TCP, TCP_INFO, &ti, &len), 0));
	cr_assert(eq(u8, ti.tcpi_options & TCPI_OPT_SYN_DATA, TCPI_OPT_SYN_DATA));
	b_abort(s);
}

/*
 * RFC 7413 §4.2.1: "the client ... MUST retransmit" the SYN's data that the
 * SYN-ACK does not acknowledge (a server that refused the cookie, or ran
 * out of TFO room): Linux sends it at once, the segment carrying the
 * handshake's ACK.  A SYN that times out is sent again without its data
 * or the option (the data is a segment of its own behind it), counted in
 * TCPFastOpenActiveFail.
 */
Test(tcp_fastopen, syn_data_the_server_did_not_take_is_sent_again)
{
	struct socket *s;
	struct tseg_seen syn, r;
	u8 seen[16] = { 0 };

	b_learns_the_cookie(7201);
	cr_assert(eq(int, fastopen_sendto(&s, 7201, "again"), 5));
	syn = tseg_expect_one();
	cr_assert(eq(u32, syn.len, 5));
	a_synack(7201, &syn, 0, NULL);
	tseg_record(seen, sizeof(seen), syn.seq + 1);
	r = tseg_expect_one();
	cr_assert(eq(u8, r.flags, TCPHDR_ACK | TCPHDR_PSH), "the data again, with the ACK");
	cr_assert(eq(u32, r.seq, syn.seq + 1));
	cr_assert(eq(u32, r.len, 5));
	cr_assert(eq(u32, r.ack, TSEG_A_ISS + 1));
	cr_assert(eq(int, memcmp(seen, "again", 5), 0));
	tseg_record(NULL, 0, 0);
	cr_assert(eq(u64, mib(sb, LINUX_MIB_TCPFASTOPENACTIVE), 0));
	b_abort(s);

	cr_assert(eq(int, fastopen_sendto(&s, 7201, "lost"), 4));
	syn = tseg_expect_one();
	cr_assert(eq(u32, syn.len, 4));
	world_advance(&p.w, 1100 * MS); /* the initial RTO, 1 s (RFC 6298 §2.1) */
	r = tseg_expect_one();
	cr_assert(eq(u8, r.flags, TCPHDR_SYN));
	cr_assert(eq(u32, r.seq, syn.seq));
	cr_assert(eq(u32, r.len, 0), "the SYN again, without the data");
	cr_assert(eq(int, r.tfo_len, -1), "and without the option");
	cr_assert(eq(u64, mib(sb, LINUX_MIB_TCPFASTOPENACTIVEFAIL), 1));
	a_synack(7201, &r, 0, NULL);
	r = tseg_expect_one();
	cr_assert(eq(u32, r.seq, syn.seq + 1));
	cr_assert(eq(u32, r.len, 4), "then the data");
	b_abort(s);
}

/*
 * TCP_FASTOPEN_CONNECT (Linux 4.11): with a cookie known, connect() returns
 * 0 at once and sends nothing, the socket is writable, and the first write
 * sends the SYN with its bytes; without a cookie connect() is a plain one
 * whose SYN asks for a cookie.  A second connect() says EISCONN.
 */
Test(tcp_fastopen, tcp_fastopen_connect_leaves_the_syn_to_the_first_write)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(7202) };
	struct socket *s;
	struct tseg_seen syn;
	unsigned int mask;

	sin.sin_addr.s_addr = p.a;
	s = t_socket(sb, SOCK_STREAM | SOCK_NONBLOCK, 0);
	cr_assert(eq(int, t_setint(s, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, 1), 0));
	cr_assert(eq(int, t_getint(s, IPPROTO_TCP, TCP_FASTOPEN_CONNECT), 1));
	cr_assert(eq(int, s->ops->connect(s, (struct sockaddr *)&sin, sizeof(sin), O_NONBLOCK),
		     -EINPROGRESS), "no cookie yet: a connect as any other");
	syn = tseg_expect_one();
	cr_assert(eq(int, syn.tfo_len, 0), "its SYN asks for a cookie");
	a_synack(7202, &syn, 0, a_cookie);
	tseg_expect_one();
	b_abort(s);

	s = t_socket(sb, SOCK_STREAM | SOCK_NONBLOCK, 0);
	cr_assert(eq(int, t_setint(s, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, 1), 0));
	cr_assert(eq(int, s->ops->connect(s, (struct sockaddr *)&sin, sizeof(sin), O_NONBLOCK), 0));
	tseg_expect_none();
	cr_assert(eq(int, s->sk->sk_state, TCP_SYN_SENT));
	mask = tcp_poll_mask(s->sk);
	cr_assert(ne(u32, mask & EPOLLOUT, 0), "writable: the write will send the SYN");
	cr_assert(eq(int, s->ops->connect(s, (struct sockaddr *)&sin, sizeof(sin), O_NONBLOCK),
		     -EISCONN));
	cr_assert(eq(int, t_send(s, "first", 5, MSG_DONTWAIT), 5));
	syn = tseg_expect_one();
	cr_assert(eq(u8, syn.flags, TCPHDR_SYN));
	cr_assert(eq(u32, syn.len, 5));
	cr_assert(eq(int, syn.tfo_len, 8));
	cr_assert(eq(u32, tcp_poll_mask(s->sk) & EPOLLOUT, 0), "connecting now, as any other");
	a_synack(7202, &syn, 5, NULL);
	tseg_expect_one();
	cr_assert(eq(int, s->sk->sk_state, TCP_ESTABLISHED));
	cr_assert(eq(int, t_send(s, "more", 4, MSG_DONTWAIT), 4));
	syn = tseg_expect_one();
	cr_assert(eq(u32, syn.len, 4));
	b_abort(s);
}

/*
 * Linux's errnos: the client side off (net.ipv4.tcp_fastopen without bit
 * 1) makes sendto(MSG_FASTOPEN) and TCP_FASTOPEN_CONNECT EOPNOTSUPP; a
 * value other than 0 or 1 is EINVAL; MSG_FASTOPEN on a connected socket is
 * EISCONN.  With bit 4 (TFO_CLIENT_NO_COOKIE) the SYN carries data and no
 * option at all.
 */
Test(tcp_fastopen, client_errnos_and_the_no_cookie_mode)
{
	struct socket *s = t_socket(sb, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct tseg_conn c;
	struct tseg_seen syn;

	cr_assert(eq(int, t_setint(s, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, 2), -EINVAL));
	sb->sysctl.tcp_fastopen = 2;
	cr_assert(eq(int, t_setint(s, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, 1), -EOPNOTSUPP));
	cr_assert(eq(int, t_sendto(s, "x", 1, MSG_FASTOPEN | MSG_DONTWAIT, p.a, 7203), -EOPNOTSUPP));
	tseg_expect_none();
	sock_release(s);
	sb->sysctl.tcp_fastopen = 1;
	tseg_open(&c, 7204);
	/* its non-blocking connect() completed: the program's second call
	 * says so (0) and the socket counts as connected (Linux's SS_CONNECTED) */
	cr_assert(eq(int, c.s->ops->connect(c.s, (struct sockaddr *)&(struct sockaddr_in){ .sin_family = AF_INET,
			.sin_port = htons(7204), .sin_addr.s_addr = p.a }, sizeof(struct sockaddr_in), O_NONBLOCK), 0));
	cr_assert(eq(int, t_sendto(c.s, "x", 1, MSG_FASTOPEN | MSG_DONTWAIT, p.a, 7204), -EISCONN));
	b_abort(c.s);

	sb->sysctl.tcp_fastopen = 1 | 4;
	cr_assert(eq(int, fastopen_sendto(&s, 7205, "nocookie"), 8));
	syn = tseg_expect_one();
	cr_assert(eq(u32, syn.len, 8));
	cr_assert(eq(int, syn.tfo_len, -1), "no option");
	b_abort(s);
}

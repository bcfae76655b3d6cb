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

/*
 * tcp_fastopen.c - TCP Fast Open (net/ipv4/tcp_fastopen.c).  The server's half:
 * a SYN with a valid cookie makes a child at once, its data acknowledged
 * by the SYN-ACK and readable by accept()'s caller before the handshake
 * ends; a cookie request, or a wrong cookie, is answered with the right
 * cookie in the SYN-ACK and the data in the SYN is left for the client to
 * send again.
 *
 *   tcp_rcv_listen -> tcp_create_child -> tcp_try_fastopen
 *   tcp_send_synack -> tcp_syn_options -> tcp_fastopen_synack_option
 *
 * The client's half: a cookie learned from a server's SYN-ACK is kept per
 * server address (Linux keeps it in tcp_metrics); sendto(MSG_FASTOPEN), or
 * the first write after connect() with TCP_FASTOPEN_CONNECT, connects with
 * the data in the SYN when a cookie is known, else with a cookie request.
 *
 *   tcp_sendmsg -> tcp_sendmsg_fastopen -> __inet_stream_connect ->
 *	tcp_v4_connect -> tcp_send_syn -> tcp_send_syn_data
 *   tcp_rcv_synsent -> tcp_rcv_fastopen_synack
 *
 * Read first: RFC 7413 §4.1 (the option and the cookie: "the server ...
 * MUST generate the cookie ... a MAC of the client IP address"), §4.2.2
 * (the server: "if the cookie is valid, the server ... accepts the data"
 * and "otherwise ... drops the data and responds with a regular SYN-ACK"
 * with a fresh cookie), §5.1 (the pending-TFO limit, TCP_FASTOPEN's queue);
 * §4.2.1 (the client: "the client caches the cookie", sends it "with data
 * in the SYN", and "MUST retransmit" data the SYN-ACK does not acknowledge).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "alloc.h"
#include "ip.h"
#include "route.h"
#include "tcp.h"
#include "stack.h"

/*
 * The cookie for a client: SipHash-2-4 of the addresses under the stack's
 * secret (Linux's __tcp_fastopen_cookie_gen_cipher hashes saddr and daddr
 * with siphash), 8 bytes.  A domain constant keeps it apart from the ISN
 * and TSval offsets made from the same secret.
 */
static void tcp_fastopen_cookie_gen(const struct stack *st, __be32 saddr, __be32 daddr, u8 *out)
{
	u64 v = siphash_2u64((u64)saddr << 32 | daddr, 0x54464f00ull, st->ipv4.isn_key);

	memcpy(out, &v, TCP_FASTOPEN_COOKIE_SIZE);
}

/* Linux's tcp_fastopen_queue_check: TCP_FASTOPEN set, and room among the pending. */
static bool tcp_fastopen_queue_check(struct sock *lsk)
{
	struct tcp_sock *ltp = tcp_sk(lsk), *tp;
	int pending = 0;

	if (ltp->fastopen_qlen <= 0)
		return false;
	list_for_each_entry(tp, &ltp->accept_queue, accept_node)
		pending += tp->fastopen_child && tp->inet.sk.sk_state == TCP_SYN_RECV;
	if (pending >= ltp->fastopen_qlen) {
		SNMP_INC_STATS(lsk->sk_stack, LINUX_MIB_TCPFASTOPENLISTENOVERFLOW);
		return false;
	}
	return true;
}

/*
 * The SYN's data becomes the child's first bytes (tcp_fastopen_add_skb):
 * a clone of the payload on the receive queue, RCV.NXT past it, so the
 * SYN-ACK acknowledges it.  Borrows @skb.
 */
static void tcp_fastopen_add_data(struct sock *child, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(child);
	struct sk_buff *data;

	if (!skb->len || !(data = skb_clone(skb)))
		return;
	TCP_SKB_CB(data)->seq = TCP_SKB_CB(skb)->seq + 1;
	TCP_SKB_CB(data)->end_seq = TCP_SKB_CB(data)->seq + skb->len;
	skb_dst_drop(data);
	skb_set_owner_r(data, child);
	skb_queue_tail(&child->sk_receive_queue, data);
	tp->rcv_nxt = TCP_SKB_CB(data)->end_seq;
	tp->rcv_wup = tp->rcv_nxt;
	tp->syn_data_acked = true;
}

/* A Fast Open child is accepted now, in SYN_RECV (inet_csk_reqsk_queue_add). */
static void tcp_fastopen_accept_now(struct tcp_sock *tp)
{
	tp->fastopen_child = true;
	tcp_child_established(tp);
}

/**
 * tcp_try_fastopen - the listener @lsk made @child from the SYN @skb: if
 * the server side is on (net.ipv4.tcp_fastopen & 2, TCP_FASTOPEN on @lsk)
 * and the SYN carries the client's valid cookie, take its data and accept
 * the child at once; for a cookie request or a wrong cookie, let the
 * SYN-ACK carry the right one.  Borrows @skb.
 * Return: true if @child is a Fast Open child.
 */
bool tcp_try_fastopen(struct sock *lsk, struct sock *child, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(child);
	struct stack *st = lsk->sk_stack;
	u8 valid[TCP_FASTOPEN_COOKIE_SIZE];
	s8 len = tp->rx_opt.fastopen_len;

	if (!(st->sysctl.tcp_fastopen & TFO_SERVER_ENABLE) || (len < 0 && !skb->len) ||
	    !tcp_fastopen_queue_check(lsk))
		return false;
	if (len < 0)
		return false; /* data without the option: a plain SYN */
	tcp_fastopen_cookie_gen(st, child->sk_daddr, child->sk_rcv_saddr, valid);
	if (len == TCP_FASTOPEN_COOKIE_SIZE && !memcmp(tp->rx_opt.fastopen_cookie, valid, sizeof(valid))) {
		tcp_fastopen_add_data(child, skb);
		tcp_fastopen_accept_now(tp);
		SNMP_INC_STATS(st, LINUX_MIB_TCPFASTOPENPASSIVE);
		return true;
	}
	SNMP_INC_STATS(st, len ? LINUX_MIB_TCPFASTOPENPASSIVEFAIL : LINUX_MIB_TCPFASTOPENCOOKIEREQD);
	tp->fastopen_synack_len = TCP_FASTOPEN_COOKIE_SIZE;
	memcpy(tp->fastopen_synack_cookie, valid, sizeof(valid));
	return false;
}

/* The option as Linux writes it (tcp_options_write): kind 34, length, the cookie, NOPs to a word. */
static unsigned int tcp_fastopen_put_option(u8 *opt, s8 cookie_len, const u8 *cookie)
{
	unsigned int len = 2u + (unsigned int)cookie_len, n = len;

	opt[0] = TCPOPT_FASTOPEN;
	opt[1] = (u8)len;
	memcpy(opt + 2, cookie, (size_t)cookie_len);
	while (n & 3)
		opt[n++] = TCPOPT_NOP;
	return n;
}

/**
 * tcp_fastopen_synack_option - the cookie option a SYN-ACK carries.
 * Return: bytes written at @opt (0: no cookie to give).
 */
unsigned int tcp_fastopen_synack_option(const struct tcp_sock *tp, u8 *opt)
{
	if (tp->fastopen_synack_len <= 0)
		return 0;
	return tcp_fastopen_put_option(opt, tp->fastopen_synack_len, tp->fastopen_synack_cookie);
}

/**
 * tcp_fastopen_syn_option - the option our first SYN carries: the cookie,
 * or an empty one asking for it (RFC 7413 §4.1.2).  A SYN sent again goes
 * without (Linux frees the request that held it once the call returns).
 * Return: bytes written at @opt.
 */
unsigned int tcp_fastopen_syn_option(struct tcp_sock *tp, u8 *opt)
{
	if (!tp->syn_fastopen_opt || tp->fastopen_cookie_len < 0)
		return 0;
	tp->syn_fastopen_opt = false;
	return tcp_fastopen_put_option(opt, tp->fastopen_cookie_len, tp->fastopen_cookie);
}

/* ---- the client's half ---------------------------------------------------------------- */

/*
 * The cookies this stack learned, by server address (Linux: tcp_metrics,
 * keyed by destination), with the server's MSS so the next SYN's data fits
 * it (tcp_fastopen_cache_get).  A small table; the oldest entry gives way.
 */
#define TFO_CACHE_SIZE 64

struct tcp_fastopen_entry {
	__be32 daddr;
	u16 mss;
	s8 len;                        /* 0: none learned (a slot with the MSS only) */
	u8 cookie[TCP_FASTOPEN_COOKIE_MAX];
	ktime_t stamp;                 /* last set: the oldest is replaced */
};

struct tcp_fastopen_cache {
	struct tcp_fastopen_entry e[TFO_CACHE_SIZE];
};

static struct tcp_fastopen_entry *tcp_fastopen_cache_find(struct stack *st, __be32 daddr, bool create)
{
	struct tcp_fastopen_cache *c = st->ipv4.tfo_cache;
	struct tcp_fastopen_entry *old = NULL;

	if (!c) {
		if (!create || !(c = st->ipv4.tfo_cache = kzalloc(st->failslab, sizeof(*c))))
			return NULL;
	}
	for (unsigned int i = 0; i < TFO_CACHE_SIZE; i++) {
		struct tcp_fastopen_entry *e = &c->e[i];

		if (e->stamp && e->daddr == daddr)
			return e;
		if (!old || e->stamp < old->stamp)
			old = e;
	}
	if (!create)
		return NULL;
	memset(old, 0, sizeof(*old));
	old->daddr = daddr;
	return old;
}

/** tcp_fastopen_cache_free - the cookie table goes with the stack (tcp_exit). */
void tcp_fastopen_cache_free(struct stack *st)
{
	kfree(st->failslab, st->ipv4.tfo_cache);
	st->ipv4.tfo_cache = NULL;
}

/*
 * Linux's tcp_fastopen_cookie_check: may this connection send data in its
 * SYN?  Yes with a known cookie, or without one when the sysctl (bit 4) or
 * TCP_FASTOPEN_NO_COOKIE says so.  Sets the cookie the SYN will carry (0 for
 * a request) and, from the cache, the largest data the server's MSS takes.
 */
static bool tcp_fastopen_cookie_check(struct sock *sk, u16 *mss)
{
	struct tcp_sock *tp = tcp_sk(sk);
	const struct tcp_fastopen_entry *e;

	tp->fastopen_cookie_len = 0;
	/* the cache is keyed by IPv4 address: an IPv6 SYN carries no data */
	if (sk->sk_family != AF_INET)
		return false;
	e = tcp_fastopen_cache_find(sk->sk_stack, sk->sk_daddr, false);
	if (e && e->mss)
		*mss = e->mss;
	if (tp->fastopen_no_cookie || (sk->sk_stack->sysctl.tcp_fastopen & TFO_CLIENT_NO_COOKIE)) {
		tp->fastopen_cookie_len = -1; /* data, and no option at all */
		return true;
	}
	if (e && e->len > 0) {
		tp->fastopen_cookie_len = e->len;
		memcpy(tp->fastopen_cookie, e->cookie, (size_t)e->len);
		return true;
	}
	return false;
}

/**
 * tcp_fastopen_defer_connect - connect() with TCP_FASTOPEN_CONNECT: with a
 * cookie known, the SYN waits for the first write (connect returns 0 at
 * once, the socket writable); without one the SYN goes now with a cookie
 * request (Linux's tcp_fastopen_defer_connect).
 * Return: true if the SYN is deferred.
 */
bool tcp_fastopen_defer_connect(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u16 mss = 0;

	if (!tp->fastopen_connect || tp->fastopen_req)
		return false;
	if (tcp_fastopen_cookie_check(sk, &mss)) {
		tp->defer_connect = true;
		return true;
	}
	tp->fastopen_req = true; /* the SYN asks for a cookie */
	return false;
}

/* The data the SYN carries: at most one MSS less the option space, and the server's MSS. */
static size_t tcp_syn_data_room(struct sock *sk, u16 server_mss)
{
	struct tcp_sock *tp = tcp_sk(sk);
	size_t room = tp->advmss > TCP_MAX_OPTION_SPACE ? tp->advmss - TCP_MAX_OPTION_SPACE : 0;

	if (server_mss && room > server_mss)
		room = server_mss;
	return room < tp->fastopen_size ? room : tp->fastopen_size;
}

/*
 * Send the SYN (queued at the write queue's head) carrying @len bytes of
 * the caller's data, as Linux's tcp_send_syn_data: the data becomes a
 * segment of its own behind the SYN, so a SYN sent again goes without it
 * and the data is retransmitted like any other.  Return: 0 if the SYN went
 * out, 1 if the caller must send it (plain: no memory for the data).
 */
static int tcp_send_syn_with(struct sock *sk, size_t len)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *syn = skb_peek(&sk->sk_write_queue), *data, *frame;
	size_t off = 0;

	data = tcp_alloc_skb(sk, (unsigned int)len);
	if (!data)
		return 1;
	if (memcpy_from_msg(skb_put(data, (unsigned int)len), tp->fastopen_msg, len, &off)) {
		kfree_skb(data);
		return 1; /* the write after the handshake meets the fault */
	}
	tcp_wmem_charge_used(data);
	skb_set_owner_w(data, sk);
	tcp_wmem_charge(sk, data, (int)len);
	TCP_SKB_CB(data)->seq = tp->iss + 1;
	TCP_SKB_CB(data)->end_seq = tp->iss + 1 + (u32)len;
	TCP_SKB_CB(data)->tcp_flags = TCPHDR_ACK | TCPHDR_PSH;
	skb_queue_tail(&sk->sk_write_queue, data);
	tp->write_seq = tp->pushed_seq = TCP_SKB_CB(data)->end_seq;
	tp->fastopen_copied = len;
	frame = skb_copy(data);
	if (!frame)
		return 1; /* a SYN without the data, which waits for the handshake */
	TCP_SKB_CB(frame)->seq = tp->iss;
	TCP_SKB_CB(frame)->tcp_flags = TCPHDR_SYN;
	TCP_SKB_CB(syn)->when = TCP_SKB_CB(data)->when = stack_now(sk->sk_stack);
	tp->syn_data = true;
	/* both count as sent: the SYN-ACK says which arrived */
	tp->send_head = NULL;
	tp->snd_nxt = tp->snd_max = tp->write_seq;
	tcp_transmit_skb(sk, frame, false);
	tcp_reset_rto(sk);
	return 0;
}

/**
 * tcp_send_syn_data - the SYN of a Fast Open connect (queued, not sent):
 * with a cookie (or no-cookie mode) and bytes to give, it carries them;
 * otherwise it asks for a cookie.  Return: 0 if the SYN went out here, 1 if
 * the caller sends it (a plain SYN, or one with the request or the cookie).
 */
int tcp_send_syn_data(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u16 mss = 0;
	size_t len;

	tp->syn_fastopen = tp->syn_fastopen_opt = false;
	tp->syn_data = false;
	if (!tp->fastopen_req && !tp->fastopen_msg)
		return 1;
	if (!tcp_fastopen_cookie_check(sk, &mss) || !tp->fastopen_msg ||
	    !(len = tcp_syn_data_room(sk, mss))) {
		/* RFC 7413 §4.1.2: a regular SYN with an empty cookie option;
		 * the caller's data waits for the handshake */
		if (tp->fastopen_cookie_len < 0)
			return 1;
		tp->fastopen_cookie_len = 0;
		tp->syn_fastopen = tp->syn_fastopen_opt = true;
		return 1;
	}
	tp->syn_fastopen = tp->syn_fastopen_opt = tp->fastopen_cookie_len >= 0;
	return tcp_send_syn_with(sk, len);
}

/**
 * tcp_sendmsg_fastopen - sendto(MSG_FASTOPEN), or the first write on a
 * deferred TCP_FASTOPEN_CONNECT socket: connect with the first bytes of
 * @msg in the SYN (Linux's tcp_sendmsg_fastopen).  *@copied is how many the
 * SYN carried.  Return: 0 once connected, -EINPROGRESS for a non-blocking
 * call, or -errno (EOPNOTSUPP with the client side off, EALREADY during
 * another Fast Open connect, EISCONN when connected ...).
 */
int tcp_sendmsg_fastopen(struct sock *sk, struct msghdr *msg, size_t size, size_t *copied)
{
	struct tcp_sock *tp = tcp_sk(sk);
	const struct sockaddr *uaddr = msg->msg_name;
	int err;

	*copied = 0;
	if (!(sk->sk_stack->sysctl.tcp_fastopen & TFO_CLIENT_ENABLE) ||
	    (uaddr && msg->msg_namelen >= sizeof(uaddr->sa_family) && uaddr->sa_family == AF_UNSPEC))
		return -EOPNOTSUPP;
	if (tp->fastopen_msg)
		return -EALREADY;
	tp->fastopen_req = true;
	tp->fastopen_msg = msg;
	tp->fastopen_size = size;
	tp->fastopen_copied = 0;
	if (tp->defer_connect) {
		err = tcp_send_syn(sk);
		if (err) {
			tp->fastopen_msg = NULL;
			tp->defer_connect = false;
			tcp_done(sk); /* as a failed tcp_v4_connect: closed, unhashed */
			return err;
		}
	}
	err = __inet_stream_connect(sk->sk_socket, uaddr, (int)msg->msg_namelen,
				    (msg->msg_flags & MSG_DONTWAIT) ? O_NONBLOCK : 0, true);
	*copied = tp->fastopen_copied;
	tp->fastopen_msg = NULL;
	tp->fastopen_req = false;
	tp->defer_connect = false;
	return err;
}

/* Keep what a SYN-ACK taught about its server (Linux's tcp_fastopen_cache_set). */
static void tcp_fastopen_cache_set(struct sock *sk, s8 len, const u8 *cookie)
{
	struct tcp_fastopen_entry *e;

	if (sk->sk_family != AF_INET)
		return; /* keyed by IPv4 address (tcp_fastopen_cookie_check) */
	e = tcp_fastopen_cache_find(sk->sk_stack, sk->sk_daddr, true);
	if (!e)
		return; /* no memory: the next connect asks again */
	e->mss = tcp_sk(sk)->rx_opt.mss_clamp;
	if (len > 0) {
		e->len = len;
		memcpy(e->cookie, cookie, (size_t)len);
	}
	e->stamp = stack_now(sk->sk_stack);
}

/**
 * tcp_rcv_fastopen_synack - the SYN-ACK of a connection whose SYN used Fast
 * Open, its ACK processed: keep its cookie (an unasked-for one is ignored),
 * and send again at once the SYN's data it did not acknowledge (RFC 7413
 * §4.2.1; Linux's tcp_rcv_fastopen_synack).
 * Return: true if data went again (it carries the handshake's ACK).
 */
bool tcp_rcv_fastopen_synack(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *data = tp->syn_data ? skb_peek(&sk->sk_write_queue) : NULL;
	s8 len = tp->rx_opt.fastopen_len;

	if (!tp->syn_fastopen && !tp->syn_data)
		return false;
	if (!tp->syn_fastopen)
		len = -1; /* Linux: "Ignore an unsolicited cookie" */
	tcp_fastopen_cache_set(sk, len, tp->rx_opt.fastopen_cookie);
	if (data && data == tp->send_head)
		data = NULL; /* nothing of the SYN's data is left unacknowledged */
	tp->syn_data_acked = tp->syn_data && !data;
	if (tp->syn_data_acked)
		SNMP_INC_STATS(sk->sk_stack, LINUX_MIB_TCPFASTOPENACTIVE);
	if (!data)
		return false;
	tcp_retransmit_skb(sk, data);
	tcp_reset_rto(sk);
	return true;
}

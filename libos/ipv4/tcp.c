/*
 * tcp.c - TCP's socket face (net/ipv4/tcp.c): states, ISNs, listen and
 * accept, sendmsg/recvmsg, close and shutdown, options.
 *
 * Read first: tcp.h; RFC 9293 §3.10 (OPEN, SEND, RECEIVE, CLOSE, ABORT);
 * RFC 6528 (ISN); RFC 1122 §4.2.2.13 (closing with unread data: RST).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>

#include "tcp.h"
#include "udp.h"
#include "route.h"
#include "stack.h"
#include "portshare.h"
#include "log.h"

static const char *const tcp_state_names[TCP_MAX_STATES] = {
	"?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT",
	"CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV",
};

const char *tcp_state_name(int state)
{
	return state > 0 && state < TCP_MAX_STATES ? tcp_state_names[state] : "?";
}

/** tcp_set_state - the one place a TCP state changes (logged, counted). */
void tcp_set_state(struct sock *sk, int state)
{
	int old = sk->sk_state;

	if (old == state)
		return;
	if (state == TCP_ESTABLISHED)
		sk->sk_stack->mib[TCP_MIB_ESTABRESETS] += 0; /* CurrEstab is computed by skbos-stat */
	skb_log(sk->sk_stack, LOG_DEBUG, "tcp %u->%u: %s -> %s", sk->sk_num, ntohs(sk->sk_dport),
		tcp_state_name(old), tcp_state_name(state));
	if (old == TCP_TIME_WAIT)
		sk->sk_stack->ipv4.tcp_tw_count--;
	if (state == TCP_TIME_WAIT)
		sk->sk_stack->ipv4.tcp_tw_count++;
	sk->sk_state = (u8)state;
}

/* ---- ISN (RFC 6528): M + F(4-tuple, secret) ----------------------------------- */

static u64 rotl(u64 x, int b)
{
	return (x << b) | (x >> (64 - b));
}

#define SIPROUND                                                                  \
	do {                                                                      \
		v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);          \
		v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;                             \
		v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;                             \
		v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);          \
	} while (0)

/* SipHash-2-4 of two 64-bit words (Aumasson and Bernstein), as Linux uses. */
u64 siphash_2u64(u64 a, u64 b, const u64 key[2])
{
	u64 v0 = 0x736f6d6570736575ULL ^ key[0], v1 = 0x646f72616e646f6dULL ^ key[1];
	u64 v2 = 0x6c7967656e657261ULL ^ key[0], v3 = 0x7465646279746573ULL ^ key[1];
	u64 m[3] = { a, b, (u64)16 << 56 };

	for (int i = 0; i < 3; i++) {
		v3 ^= m[i];
		SIPROUND;
		SIPROUND;
		v0 ^= m[i];
	}
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

int getrandom_isn_key(struct stack *st)
{
	if (getrandom(st->ipv4.isn_key, sizeof(st->ipv4.isn_key), 0) != sizeof(st->ipv4.isn_key)) {
		st->ipv4.isn_key[0] = ((u64)stack_rand(st) << 32) | stack_rand(st);
		st->ipv4.isn_key[1] = ((u64)stack_rand(st) << 32) | stack_rand(st);
	}
	return 0;
}

/**
 * tcp_isn - RFC 6528 §3: ISN = M + F(localip, localport, remoteip,
 * remoteport, secretkey), M a 4 µs clock: unguessable by an off-path
 * attacker, yet increasing for one 4-tuple so old duplicates stay old.
 */
u32 tcp_isn(struct stack *st, __be32 saddr, __be32 daddr, __be16 sport, __be16 dport)
{
	u64 f = siphash_2u64((u64)saddr << 32 | daddr, (u64)sport << 16 | dport, st->ipv4.isn_key);

	return (u32)f + (u32)(stack_now(st) / 4000);
}

/**
 * tcp_ts_off - the offset added to our TSval clock for a connection between
 * @saddr and @daddr (RFC 7323 §7.1, Linux's secure_tcp_ts_off): a keyed
 * hash, so the clock leaks nothing, and the same for every connection of the
 * pair, so a SYN cookie's child (which kept no state) agrees with the
 * TSval its SYN-ACK sent.
 */
u32 tcp_ts_off(const struct stack *st, __be32 saddr, __be32 daddr)
{
	return (u32)siphash_2u64((u64)saddr << 32 | daddr, 0x7473, st->ipv4.isn_key);
}

/* ---- life and death ------------------------------------------------------------- */

static void tcp_write_space(struct sock *sk);

/** tcp_init_sock - Linux's defaults for a new TCP socket. */
void tcp_init_sock(struct tcp_sock *tp)
{
	struct sock *sk = &tp->inet.sk;

	skb_queue_head_init(&tp->out_of_order_queue);
	INIT_LIST_HEAD(&tp->accept_queue);
	INIT_LIST_HEAD(&tp->syn_queue);
	INIT_LIST_HEAD(&tp->accept_node);
	INIT_LIST_HEAD(&tp->ehash_node);
	INIT_LIST_HEAD(&tp->lhash_node);
	tp->rto = TCP_TIMEOUT_INIT;
	tp->snd_cwnd = TCP_INIT_CWND;
	tp->snd_ssthresh = 0x7fffffff;
	tp->reordering = sk->sk_stack->sysctl.tcp_reordering;
	tp->mss_cache = TCP_MSS_DEFAULT;
	tp->advmss = TCP_MSS_DEFAULT;
	tp->rx_opt.mss_clamp = TCP_MSS_DEFAULT;
	tp->ca_ops = &tcp_cubic;
	tp->quickack = 16;
	tp->af_ops = &ipv4_specific; /* tcp_v6_init_sk and a listener's child say otherwise */
	sk->sk_write_space = tcp_write_space;
	/* writers are woken by tcp_check_space after an ACK, once what it let
	 * go out has gone (Linux's tcp_init_sock sets the same flag) */
	sock_set_flag(sk, SOCK_USE_WRITE_QUEUE);
	sk->sk_rcvbuf = sk->sk_stack->sysctl.tcp_rmem[1];
	sk->sk_sndbuf = sk->sk_stack->sysctl.tcp_wmem[1];
	tcp_init_xmit_timers(sk);
}

static int tcp_init_sk(struct sock *sk)
{
	tcp_init_sock(tcp_sk(sk));
	return 0;
}

static void tcp_free(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	tcp_clear_xmit_timers(sk);
	tcp_unhash(sk);
	tcp_bind_release(sk);
	skb_queue_purge(&tp->out_of_order_queue);
	tp->send_head = NULL;
	sk_free(sk);
}

/* Unlink a child from its listener's queues (it was accepted or it died). */
static void tcp_child_unlink(struct tcp_sock *tp)
{
	struct tcp_sock *ltp = tp->parent;

	if (!ltp)
		return;
	list_del_init(&tp->accept_node);
	if ((tp->inet.sk.sk_state == TCP_SYN_RECV && !tp->fastopen_child) || tp->in_syn_queue)
		ltp->syn_len--;
	else
		ltp->accept_len--;
	tp->in_syn_queue = false;
	tp->parent = NULL;
}

/**
 * tcp_done - the connection is over (CLOSED).  An orphan (closed by its
 * user, or a child never accepted) is freed; otherwise the socket stays for
 * its user to read the error or EOF.
 */
void tcp_done(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	tcp_set_state(sk, TCP_CLOSE);
	tcp_clear_xmit_timers(sk);
	tcp_unhash(sk);
	sk->sk_shutdown = SHUTDOWN_MASK;
	if (tp->parent) {
		tcp_child_unlink(tp);
		tcp_free(sk);
		return;
	}
	if (tp->closed_by_user || !sk->sk_socket) {
		tcp_free(sk);
		return;
	}
	sk->sk_state_change(sk);
}

/** tcp_child_established - a child finished its handshake: to the accept queue. */
void tcp_child_established(struct tcp_sock *tp)
{
	struct tcp_sock *ltp = tp->parent;

	/* Linux's full socket, cloned from the listener, begins here (for a
	 * Fast Open child at its SYN): from now on the listener's
	 * TCP_USER_TIMEOUT holds; a request socket's SYN-ACK retries by
	 * count alone */
	tp->user_timeout = ltp->user_timeout;
	list_del_init(&tp->accept_node);
	ltp->syn_len--;
	list_add_tail(&tp->accept_node, &ltp->accept_queue);
	ltp->accept_len++;
	tp->in_syn_queue = false;
	tp->inet.sk.sk_flags &= ~(1ul << SOCK_DEAD);
	ltp->inet.sk.sk_data_ready(&ltp->inet.sk);
}

/* ---- listen and accept ------------------------------------------------------------ */

/** tcp_listen - LISTEN with room for @backlog (clamped to somaxconn 4096). */
int tcp_listen(struct sock *sk, int backlog)
{
	if ((unsigned int)backlog > 4096)
		backlog = 4096;
	sk->sk_max_ack_backlog = backlog;
	if (sk->sk_state == TCP_LISTEN)
		return 0;
	if (sk->sk_state != TCP_CLOSE)
		return -EINVAL;
	if (!sk->sk_num) {
		if (tcp_get_port(sk, 0))
			return -EADDRINUSE;
		inet_sk(sk)->inet_sport = htons(sk->sk_num);
	}
	tcp_set_state(sk, TCP_LISTEN);
	tcp_hash(sk);
	/* Children that inherit the listener share it (portshare.h). */
	stack_port_listen(sk->sk_stack, sk->sk_num);
	return 0;
}

/**
 * tcp_accept - the oldest established child, waiting for one unless
 * @flags has O_NONBLOCK.  Return: the child or NULL with *@err.
 */
struct sock *tcp_accept(struct sock *sk, int flags, int *err)
{
	struct tcp_sock *ltp = tcp_sk(sk), *tp;
	ktime_t timeo = sock_rcvtimeo(sk, flags & O_NONBLOCK);

	if (sk->sk_state != TCP_LISTEN) {
		*err = -EINVAL;
		return NULL;
	}
	stack_port_interest(sk->sk_stack, sk->sk_num);
	*err = sk_wait_event(sk, &timeo, !list_empty(&ltp->accept_queue) || sk->sk_state != TCP_LISTEN);
	if (*err)
		return NULL;
	if (sk->sk_state != TCP_LISTEN) {
		*err = -EINVAL;
		return NULL;
	}
	tp = list_first_entry(&ltp->accept_queue, struct tcp_sock, accept_node);
	tcp_child_unlink(tp);
	return &tp->inet.sk;
}

/* ---- sending ------------------------------------------------------------------------ */

/* TCP_NOTSENT_LOWAT: the socket's own, else net.ipv4.tcp_notsent_lowat (tcp_notsent_lowat). */
static u32 tcp_notsent_lowat(const struct tcp_sock *tp)
{
	return tp->notsent_lowat ? tp->notsent_lowat
				 : tp->inet.sk.sk_stack->sysctl.tcp_notsent_lowat;
}

/*
 * Linux's __sk_stream_memory_free: the send buffer is not full and (for
 * TCP, tcp_stream_memory_free) fewer unsent bytes than the low-water mark
 * wait; with @wake (poll, and the wake-up after an ACK) the unsent bytes
 * count twice, so a writer is woken only when it can queue a good amount
 * (Linux's commit "tcp: avoid hangs / spurious wakeups" rule).
 */
static bool tcp_stream_memory_free(const struct sock *sk, int wake)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	u64 notsent = tp->write_seq - tp->snd_nxt;

	if (sk->sk_wmem_alloc >= sk->sk_sndbuf)
		return false;
	return (notsent << wake) < tcp_notsent_lowat(tp);
}

/*
 * Linux's __sk_stream_is_writeable: a third of the send buffer is free
 * (sk_stream_wspace >= sk_stream_min_wspace: free >= queued / 2) and the
 * unsent bytes are under the low-water mark.  What poll reports as
 * EPOLLOUT and what wakes a writer blocked for memory.
 */
static bool tcp_stream_is_writeable(const struct sock *sk, int wake)
{
	return sk->sk_sndbuf - sk->sk_wmem_alloc >= sk->sk_wmem_alloc / 2 &&
	       tcp_stream_memory_free(sk, wake);
}

/*
 * sk_stream_write_space: there may be room (an ACK freed some, the unsent
 * bytes went, TCP_NOTSENT_LOWAT or SO_SNDBUF grew); wake the writers if a
 * worthwhile amount can be queued, and they owe no further wake-up.
 */
static void tcp_write_space(struct sock *sk)
{
	if (tcp_stream_is_writeable(sk, 1)) {
		sock_reset_flag(sk, SOCK_NOSPACE);
		wake_up_poll(&sk->sk_wq, EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND);
	}
}

static bool tcp_stream_writeable(const struct sock *sk)
{
	return tcp_stream_memory_free(sk, 0);
}

/*
 * How many bytes may be appended to the unsent skb at the tail: up to the
 * size goal; where the buffer ends first, up to the last segment boundary
 * it holds, so that every segment but a write's last stays full-sized.
 * Header offsets are 16 bits from head (as Linux's) and tcp_fragment moves
 * data forward as parts are sent: nothing may lie beyond 64 KB into the
 * buffer, or the headers pushed in front of it could not be addressed.
 * An empty skb always takes what it has room for (a short segment, never a
 * zero-length one: those would fill the send buffer and never be acked).
 * Return: bytes, 0 for "start a new skb".
 */
static u32 tcp_append_room(const struct sk_buff *skb, u32 goal, u32 mss)
{
	u32 room = (u32)skb_tailroom(skb), want = goal > skb->len ? goal - skb->len : 0, end;

	if (skb->tail >= 0xffffu)
		return 0;
	if (skb->tail + room > 0xffffu)
		room = 0xffffu - skb->tail;
	if (room >= want || !skb->len)
		return room < want ? room : want;
	end = skb->len + room;
	end -= end % mss;
	return end > skb->len ? end - skb->len : 0;
}

/* Wait for the handshake of a connecting socket (sk_stream_wait_connect). */
static int tcp_wait_connect(struct sock *sk, ktime_t *timeo)
{
	int err = sk_wait_event(sk, timeo, sk->sk_err || (sk->sk_state != TCP_SYN_SENT &&
							  sk->sk_state != TCP_SYN_RECV));

	if (sk->sk_err)
		return sock_error(sk);
	return err;
}

/**
 * tcp_sendmsg - cut the user's bytes into MSS-sized skbs with
 * MAX_TCP_HEADER headroom on the write queue (the seeds' tcp_sendmsg),
 * then push.  Blocks for send buffer space unless non-blocking.
 * Return: bytes queued (possibly fewer than asked when interrupted or
 * non-blocking), or -errno (EPIPE after shutdown, ENOTCONN, EAGAIN, ...).
 */
/*
 * Linux's sk_stream_wait_memory when the process, not the send buffer, is
 * out of memory: a nonblocking call gets EAGAIN; a blocking one naps 2 to
 * 200 ms (or until woken) and tries again, within its SO_SNDTIMEO.
 * Return: 0 to try again, -EAGAIN or -EINTR.
 */
static int tcp_wait_for_memory(struct sock *sk, ktime_t *timeo)
{
	ktime_t nap = (2 + stack_rand(sk->sk_stack) % 199) * NSEC_PER_MSEC, left;
	int err;

	if (!*timeo)
		return -EAGAIN;
	if (nap > *timeo)
		nap = *timeo;
	left = nap;
	err = sk_wait(sk, &left);
	if (*timeo != KTIME_MAX)
		*timeo -= nap - left;
	if (err == -EAGAIN)
		return *timeo ? 0 : -EAGAIN;
	return err;
}

static int tcp_sendmsg(struct sock *sk, struct msghdr *msg, size_t size)
{
	struct tcp_sock *tp = tcp_sk(sk);
	int flags = msg->msg_flags, err = 0;
	ktime_t timeo = sock_sndtimeo(sk, flags & MSG_DONTWAIT);
	size_t copied = 0, off = 0;

	/* RFC 7413: connect with the first bytes in the SYN (tcp_sendmsg_locked) */
	if ((flags & MSG_FASTOPEN) || tp->defer_connect) {
		err = tcp_sendmsg_fastopen(sk, msg, size, &copied);
		if (err == -EINPROGRESS && copied)
			return (int)copied;
		if (err)
			return err;
		off = copied;
	}
	if (sk->sk_state == TCP_SYN_SENT || sk->sk_state == TCP_SYN_RECV) {
		err = tcp_wait_connect(sk, &timeo);
		if (err)
			return err;
	}
	while (copied < size) {
		struct sk_buff *skb = skb_peek_tail(&sk->sk_write_queue);
		u32 goal = tcp_xmit_size_goal(sk), want;
		size_t copy;

		/* Linux (sk_stream_error): a pending error is reported by the call
		 * that has sent nothing; a partial count leaves it pending. */
		if (sk->sk_err) {
			err = copied ? 0 : sock_error(sk);
			goto out;
		}
		if ((sk->sk_shutdown & SEND_SHUTDOWN) ||
		    (sk->sk_state != TCP_ESTABLISHED && sk->sk_state != TCP_CLOSE_WAIT)) {
			err = sk->sk_state == TCP_CLOSE && !sock_flag(sk, SOCK_DONE) &&
					      !(sk->sk_shutdown & SEND_SHUTDOWN) ? -ENOTCONN : -EPIPE;
			if (err == -EPIPE && sk->sk_err && !copied)
				err = sock_error(sk);
			goto out;
		}
		/* append to the tail while it is unsent, not full and not the end
		 * of a record (MSG_EOR: Linux's tcp_skb_can_collapse_to) */
		if (!skb || !tp->send_head || (TCP_SKB_CB(skb)->tcp_flags & (TCPHDR_FIN | TCPHDR_SYN)) ||
		    TCP_SKB_CB(skb)->eor || !tcp_append_room(skb, goal, tp->mss_cache)) {
			/* a new segment, if the send buffer has room */
			if (!tcp_stream_writeable(sk)) {
				/* Linux's wait_for_space: owed a wake-up (a non-blocking
				 * caller too, who will wait in epoll), and what this
				 * call queued is pushed */
				sock_set_flag(sk, SOCK_NOSPACE);
				if (copied)
					tcp_push(sk, flags & ~MSG_MORE);
				/* sk_stream_wait_memory: CLOSE_WAIT still sends, so it
				 * waits too (it spun here, holding the stack lock) */
				err = sk_wait_event(sk, &timeo, tcp_stream_writeable(sk) || sk->sk_err ||
								(sk->sk_shutdown & SEND_SHUTDOWN) ||
								(sk->sk_state != TCP_ESTABLISHED &&
								 sk->sk_state != TCP_CLOSE_WAIT));
				if (err)
					goto out;
				continue;
			}
			/* a small write gets an MSS-sized skb that later writes fill */
			want = size - copied < goal ? max_t(u32, size - copied, tp->mss_cache) : goal;
			skb = tcp_alloc_skb(sk, want);
			if (!skb) {
				if (copied)
					tcp_push(sk, flags & ~MSG_MORE);
				err = tcp_wait_for_memory(sk, &timeo);
				if (err)
					goto out;
				continue;
			}
			tcp_wmem_charge_used(skb);
			skb_set_owner_w(skb, sk);
			TCP_SKB_CB(skb)->seq = TCP_SKB_CB(skb)->end_seq = tp->write_seq;
			TCP_SKB_CB(skb)->tcp_flags = TCPHDR_ACK;
			skb_queue_tail(&sk->sk_write_queue, skb);
			if (!tp->send_head)
				tp->send_head = skb;
		}
		copy = tcp_append_room(skb, goal, tp->mss_cache);
		if (copy > size - copied)
			copy = size - copied;
		err = memcpy_from_msg(skb_put(skb, (unsigned int)copy), msg, copy, &off);
		if (err) {
			skb_trim(skb, skb->len - (unsigned int)copy);
			goto out;
		}
		/* Linux: the tail a previous write pushed loses its PSH when this
		 * write goes on filling it; the push moves to this write's end */
		if (!copied)
			TCP_SKB_CB(skb)->tcp_flags &= (u8)~TCPHDR_PSH;
		tcp_wmem_charge(sk, skb, (int)copy);
		TCP_SKB_CB(skb)->end_seq += (u32)copy;
		tp->write_seq += (u32)copy;
		copied += copy;
		if (copied == size) {
			if (flags & MSG_EOR)
				TCP_SKB_CB(skb)->eor = 1;
			break;
		}
		/* a full skb in the middle of a write: PSH if half the peer's
		 * window went without one (tcp_sendmsg_locked's forced_push) */
		if (skb->len >= goal && tcp_forced_push(tp)) {
			tcp_mark_push(tp, skb);
			tcp_write_xmit(sk, false);
		}
	}
out:
	if (copied) {
		if (flags & MSG_OOB)
			tcp_mark_urg(sk); /* tcp_push's tcp_mark_urg */
		tcp_push(sk, flags);
		return (int)copied;
	}
	return err;
}

/* ---- receiving ------------------------------------------------------------------------ */

/* Reading opened the window enough to tell the peer (tcp_cleanup_rbuf). */
static void tcp_cleanup_rbuf(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	s32 cur = (s32)(tp->rcv_wup + tp->rcv_wnd - tp->rcv_nxt);
	int free_space = (sk->sk_rcvbuf - sk->sk_rmem_alloc) / 2;

	if (sk->sk_state == TCP_ESTABLISHED || sk->sk_state == TCP_FIN_WAIT1 ||
	    sk->sk_state == TCP_FIN_WAIT2) {
		if (free_space >= 2 * (cur > 0 ? cur : 0) && free_space - cur >= (int)tp->advmss)
			tcp_send_ack(sk);
		else if (tp->ack_pending && tp->quickack)
			tcp_send_ack(sk);
	}
}

static int tcp_recv_bytes_ready(const struct sock *sk)
{
	const struct sk_buff *skb;
	int n = 0;

	skb_queue_walk(&sk->sk_receive_queue, skb)
		n += (int)skb->len;
	return n;
}

/*
 * @n bytes at the head of what is left to read (in @skb) were read or
 * stepped over: consumed, or with MSG_PEEK only passed (*@peek_off).
 */
static void tcp_recv_advance(struct sock *sk, struct sk_buff *skb, size_t n, int flags,
			     size_t *peek_off)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (flags & MSG_PEEK) {
		*peek_off += n;
		return;
	}
	tp->copied_seq += (u32)n;
	if (n == skb->len) {
		skb_unlink(skb, &sk->sk_receive_queue);
		consume_skb(skb);
	} else {
		__skb_pull(skb, (unsigned int)n);
		/* the skb still owns its truesize: charged until fully read */
	}
	tcp_urg_passed(tp);
}

/**
 * tcp_recvmsg - copy in-order bytes to the user.  Waits for at least
 * min(len, SO_RCVLOWAT) bytes (all of @len with MSG_WAITALL), EOF, an error
 * or the timeout.  MSG_PEEK leaves the bytes.  A read stops before the
 * urgent byte and the next one steps over it (unless SO_OOBINLINE);
 * MSG_OOB reads it (tcp_urg.c).  Return: bytes, 0 at EOF,
 * -errno (ENOTCONN for a listener, EAGAIN, ECONNRESET ...).
 */
static int tcp_recvmsg_locked(struct sock *sk, struct msghdr *msg, size_t len, int flags,
			      int *addr_len)
{
	struct tcp_sock *tp = tcp_sk(sk);
	ktime_t timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	size_t copied = 0, off = 0, target, peek_off = 0;
	int err = 0;

	(void)addr_len;
	if (sk->sk_state == TCP_LISTEN)
		return -ENOTCONN;
	if (flags & MSG_OOB)
		return tcp_recv_urg(sk, msg, len, flags);
	target = (flags & MSG_WAITALL) ? len : ((size_t)sk->sk_rcvlowat < len ? (size_t)sk->sk_rcvlowat : len);
	if (!target)
		target = 1;
	while (copied < len) {
		struct sk_buff *skb = skb_peek(&sk->sk_receive_queue);
		size_t skip = peek_off;
		u32 seq = tp->copied_seq + (u32)peek_off;
		bool urg_skip;

		/* Linux: a read stops at the urgent mark once it has read something */
		if (tp->urg_data && tp->urg_seq == seq && copied)
			break;
		while (skb && skip >= skb->len) {
			skip -= skb->len;
			skb = skb_peek_next(skb, &sk->sk_receive_queue);
		}
		if (skb) {
			size_t chunk = skb->len - skip;

			if (chunk > len - copied)
				chunk = len - copied;
			chunk = tcp_urg_limit(sk, seq, chunk, &urg_skip);
			if (urg_skip) {
				/* the urgent byte is not data: recv(MSG_OOB) reads it */
				tcp_recv_advance(sk, skb, 1, flags, &peek_off);
				continue;
			}
			err = memcpy_to_msg(msg, skb->data + skip, chunk, &off);
			if (err)
				break;
			copied += chunk;
			tcp_recv_advance(sk, skb, chunk, flags, &peek_off);
			continue;
		}
		if (copied >= target)
			break;
		if (sk->sk_err) {
			err = copied ? 0 : sock_error(sk);
			break;
		}
		if (sk->sk_shutdown & RCV_SHUTDOWN)
			break;
		if (sk->sk_state == TCP_CLOSE) {
			err = sock_flag(sk, SOCK_DONE) ? 0 : -ENOTCONN;
			break;
		}
		if (!(flags & MSG_PEEK))
			tcp_cleanup_rbuf(sk);
		err = sk_wait_event(sk, &timeo, tcp_recv_bytes_ready(sk) > (int)peek_off || sk->sk_err ||
							(sk->sk_shutdown & RCV_SHUTDOWN) ||
							sk->sk_state == TCP_CLOSE);
		if (err)
			break;
	}
	if (!(flags & MSG_PEEK) && copied) {
		tcp_rcv_space_adjust(sk);
		tcp_cleanup_rbuf(sk);
	}
	return copied ? (int)copied : err;
}

/*
 * Linux's tcp_inq_hint: the bytes still to read after this call; after the
 * peer's FIN at least 1, so the reader goes on to read the EOF.
 */
static int tcp_inq_hint(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	int inq = (int)(tp->rcv_nxt - tp->copied_seq);

	if (!inq && sock_flag(sk, SOCK_DONE))
		inq = 1;
	return inq;
}

/* tcp_recvmsg - tcp_recvmsg_locked, then TCP_INQ's TCP_CM_INQ control message. */
static int tcp_recvmsg(struct sock *sk, struct msghdr *msg, size_t len, int flags, int *addr_len)
{
	int ret = tcp_recvmsg_locked(sk, msg, len, flags, addr_len);
	int inq;

	if (ret >= 0 && tcp_sk(sk)->recvmsg_inq) {
		inq = tcp_inq_hint(sk);
		put_cmsg(msg, SOL_TCP, TCP_CM_INQ, sizeof(inq), &inq);
	}
	return ret;
}

/* ---- shutdown and close ----------------------------------------------------------------- */

/* RFC 9293 §3.10.4 CLOSE: where a FIN takes each state. */
static bool tcp_close_state(struct sock *sk)
{
	switch (sk->sk_state) {
	case TCP_ESTABLISHED:
	case TCP_SYN_RECV:
		tcp_set_state(sk, TCP_FIN_WAIT1);
		return true;
	case TCP_CLOSE_WAIT:
		tcp_set_state(sk, TCP_LAST_ACK);
		return true;
	default:
		return false;
	}
}

static int tcp_shutdown(struct sock *sk, int how)
{
	if (!(how & SEND_SHUTDOWN))
		return 0;
	if (tcp_close_state(sk))
		tcp_send_fin(sk);
	return 0;
}

/* Close every child a closing listener still holds (they are reset). */
static void tcp_close_listener(struct sock *sk)
{
	struct tcp_sock *ltp = tcp_sk(sk), *tp, *tmp;

	list_for_each_entry_safe(tp, tmp, &ltp->accept_queue, accept_node) {
		tcp_send_active_reset(&tp->inet.sk);
		tcp_done(&tp->inet.sk);
	}
	list_for_each_entry_safe(tp, tmp, &ltp->syn_queue, accept_node)
		tcp_done(&tp->inet.sk);
}

/**
 * tcp_close - the user closed the socket: an orphan finishes the protocol
 * on its own.  Unread data, or SO_LINGER with a zero timeout, aborts with a
 * RST (RFC 1122 §4.2.2.13, RFC 9293 §3.10.5); otherwise a FIN goes out.
 */
static void tcp_close(struct sock *sk, long timeout)
{
	struct tcp_sock *tp = tcp_sk(sk);
	bool unread = !skb_queue_empty(&sk->sk_receive_queue);

	(void)timeout;
	tp->closed_by_user = true;
	sk->sk_shutdown = SHUTDOWN_MASK;
	sk->sk_socket = NULL;
	if (sk->sk_state == TCP_LISTEN) {
		tcp_close_listener(sk);
		tcp_done(sk);
		return;
	}
	skb_queue_purge(&sk->sk_receive_queue);
	if (sk->sk_state == TCP_CLOSE || sk->sk_state == TCP_SYN_SENT) {
		tcp_done(sk);
		return;
	}
	if (unread || (sock_flag(sk, SOCK_LINGER) && !sk->sk_lingertime)) {
		if (sk->sk_state != TCP_TIME_WAIT)
			tcp_send_active_reset(sk);
		tcp_done(sk);
		return;
	}
	if (tcp_close_state(sk)) {
		tcp_send_fin(sk);
	} else if (sk->sk_state == TCP_FIN_WAIT2) {
		if (tp->linger2 < 0) {
			/* Linux's tcp_close: TCP_LINGER2 < 0 aborts an orphan in FIN_WAIT2 */
			tcp_send_active_reset(sk);
			tcp_done(sk);
			return;
		}
		mod_timer(&tp->keepalive_timer, stack_now(sk->sk_stack) + tcp_fin_time(tp->linger2));
	}
}

/** tcp_reset - abort from our side (used by tests and the shim's SO_LINGER 0). */
void tcp_reset(struct sock *sk)
{
	tcp_send_active_reset(sk);
	sk->sk_err = ECONNRESET;
	tcp_done(sk);
}

/* ---- options ----------------------------------------------------------------------------- */

/* TCP_DEFER_ACCEPT's unit: the SYN-ACK's timeout doubles from 1 s, capped at 120 s. */
#define DEFER_TIMEOUT_INIT 1
#define DEFER_RTO_MAX 120

/* The time the first @n SYN-ACK timeouts add up to, in seconds. */
static int tcp_retrans_to_secs(unsigned int n)
{
	int total = 0, step = DEFER_TIMEOUT_INIT;

	for (unsigned int i = 0; i < n; i++) {
		total += step;
		step = step * 2 > DEFER_RTO_MAX ? DEFER_RTO_MAX : step * 2;
	}
	return total;
}

/* The fewest SYN-ACK timeouts (at most 255) that cover @secs seconds. */
static u8 tcp_secs_to_retrans(int secs)
{
	unsigned int n = 0;

	while (n < 255 && tcp_retrans_to_secs(n) < secs)
		n++;
	return (u8)n;
}

static int tcp_setsockopt(struct sock *sk, int level, int optname, const void *optval,
			  unsigned int optlen)
{
	struct tcp_sock *tp = tcp_sk(sk);
	const struct tcp_congestion_ops *ca;
	char name[16];
	int val;

	if (level != IPPROTO_TCP)
		return ip_setsockopt(sk, level, optname, optval, optlen);
	if (optname == TCP_CONGESTION) {
		if (!optlen)
			return -EINVAL;
		memset(name, 0, sizeof(name));
		memcpy(name, optval, optlen < sizeof(name) - 1 ? optlen : sizeof(name) - 1);
		if (!strcmp(name, "reno"))
			ca = &tcp_reno;
		else if (!strcmp(name, "cubic"))
			ca = &tcp_cubic;
		else
			return -ENOENT;
		/* Linux's tcp_set_congestion_control: the algorithm in use goes on
		 * as it is; another starts afresh (tcp_reinit_congestion_control) */
		if (ca == tp->ca_ops)
			return 0;
		tp->ca_ops = ca;
		memset(tp->ca_priv, 0, sizeof(tp->ca_priv));
		ca->init(tp);
		return 0;
	}
	if (optlen < sizeof(int))
		return -EINVAL;
	memcpy(&val, optval, sizeof(val));
	switch (optname) {
	case TCP_NODELAY:
		tp->nonagle = val != 0;
		if (val)
			tcp_push(sk, 0);
		return 0;
	case TCP_CORK:
		tp->cork = val != 0;
		if (!val)
			tcp_push(sk, 0);
		return 0;
	case TCP_MAXSEG:
		if (val && (val < 88 || val > 32767))
			return -EINVAL;
		tp->user_mss = (u16)val;
		return 0;
	case TCP_KEEPIDLE:
	case TCP_KEEPINTVL:
		if (val < 1 || val > 32767)
			return -EINVAL;
		if (optname == TCP_KEEPIDLE)
			tp->keepalive_time_s = val;
		else
			tp->keepalive_intvl_s = val;
		return 0;
	case TCP_KEEPCNT:
		if (val < 1 || val > 127)
			return -EINVAL;
		tp->keepalive_probes = val;
		return 0;
	case TCP_SYNCNT:
		if (val < 1 || val > 127)
			return -EINVAL;
		tp->syn_retries = (u8)val;
		return 0;
	case TCP_USER_TIMEOUT:
		if (val < 0)
			return -EINVAL;
		tp->user_timeout = (ktime_t)val * NSEC_PER_MSEC;
		return 0;
	case TCP_QUICKACK:
		tp->quickack = val ? 16 : 0;
		return 0;
	case TCP_NOTSENT_LOWAT:
		tp->notsent_lowat = (u32)val; /* -1 reads back as UINT_MAX, as Linux */
		sk->sk_write_space(sk);
		return 0;
	case TCP_INQ:
		if (val < 0 || val > 1)
			return -EINVAL;
		tp->recvmsg_inq = val;
		return 0;
	case TCP_FASTOPEN:
		/* RFC 7413 §5.1: the most pending Fast Open children (Linux: on a
		 * closed or listening socket only) */
		if (val < 0 || (sk->sk_state != TCP_CLOSE && sk->sk_state != TCP_LISTEN))
			return -EINVAL;
		tp->fastopen_qlen = val;
		return 0;
	case TCP_FASTOPEN_CONNECT:
		/* Linux: 0 or 1, before connect(), with the client side on */
		if (val < 0 || val > 1)
			return -EINVAL;
		if (!(sk->sk_stack->sysctl.tcp_fastopen & TFO_CLIENT_ENABLE))
			return -EOPNOTSUPP;
		if (sk->sk_state != TCP_CLOSE)
			return -EINVAL;
		tp->fastopen_connect = val;
		return 0;
	case TCP_FASTOPEN_NO_COOKIE:
		if (val < 0 || val > 1 || (sk->sk_state != TCP_CLOSE && sk->sk_state != TCP_LISTEN))
			return -EINVAL;
		tp->fastopen_no_cookie = val;
		return 0;
	case TCP_DEFER_ACCEPT:
		/* Linux keeps seconds as SYN-ACK retransmissions (1 s, doubling,
		 * at most 120 s each): the fewest whose timeouts add up to @val */
		tp->defer_accept = tcp_secs_to_retrans(val);
		return 0;
	case TCP_LINGER2:
		/* Linux: < 0 aborts at close, 0 is tcp_fin_timeout, at most 120 s */
		tp->linger2 = val < 0 ? -1 : val > TCP_FIN_TIMEOUT_MAX_S ? TCP_FIN_TIMEOUT_MAX_S : val;
		return 0;
	case TCP_WINDOW_CLAMP:
		tp->window_clamp = val <= 0 ? (val ? SOCK_MIN_RCVBUF / 2 : 0)
					    : (u32)(val < SOCK_MIN_RCVBUF / 2 ? SOCK_MIN_RCVBUF / 2 : val);
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

/*
 * Linux's struct tcp_info as a 6.18 kernel answers it (280 bytes, what this
 * machine's kernel returns: tests/sockopt_linux.h): glibc's <netinet/tcp.h>
 * stops at tcpi_total_retrans (104 bytes), Debian 12's <linux/tcp.h> at
 * tcpi_snd_wnd (232, 6.1); 6.2-6.7 added tcpi_rcv_wnd, tcpi_rehash and the
 * RTO totals, 6.18 the AccECN counters.  A program gets the length it asks
 * for, so one built on an older header still reads its own fields.
 */
struct tcp_info_linux {
	struct tcp_info base;
	u64 tcpi_pacing_rate, tcpi_max_pacing_rate, tcpi_bytes_acked, tcpi_bytes_received;
	u32 tcpi_segs_out, tcpi_segs_in, tcpi_notsent_bytes, tcpi_min_rtt;
	u32 tcpi_data_segs_in, tcpi_data_segs_out;
	u64 tcpi_delivery_rate, tcpi_busy_time, tcpi_rwnd_limited, tcpi_sndbuf_limited;
	u32 tcpi_delivered, tcpi_delivered_ce;
	u64 tcpi_bytes_sent, tcpi_bytes_retrans;
	u32 tcpi_dsack_dups, tcpi_reord_seen, tcpi_rcv_ooopack, tcpi_snd_wnd;
	u32 tcpi_rcv_wnd, tcpi_rehash;
	u16 tcpi_total_rto, tcpi_total_rto_recoveries;
	u32 tcpi_total_rto_time;
	/* AccECN (RFC 9768): skbos negotiates no ECN, so these stay 0 as on a
	 * kernel connection without it */
	u32 tcpi_received_ce, tcpi_delivered_e1_bytes, tcpi_delivered_e0_bytes;
	u32 tcpi_delivered_ce_bytes, tcpi_received_e1_bytes, tcpi_received_e0_bytes;
	u32 tcpi_received_ce_bytes;
	u16 tcpi_accecn_fail_mode, tcpi_accecn_opt_seen;
};
_Static_assert(sizeof(struct tcp_info_linux) == 280, "Linux 6.18's struct tcp_info");
_Static_assert(offsetof(struct tcp_info_linux, tcpi_snd_wnd) == 228, "Linux's layout");
_Static_assert(offsetof(struct tcp_info_linux, tcpi_rcv_wnd) == 232, "Linux's layout");
_Static_assert(offsetof(struct tcp_info_linux, tcpi_total_rto_time) == 244, "Linux's layout");

static void tcp_get_info(struct sock *sk, struct tcp_info_linux *linfo)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_info *info = &linfo->base;

	memset(linfo, 0, sizeof(*linfo));
	linfo->tcpi_snd_wnd = tp->snd_wnd;
	linfo->tcpi_delivered = tp->delivered;
	linfo->tcpi_delivered_ce = tp->delivered_ce;
	linfo->tcpi_rcv_wnd = tp->rcv_wnd;
	linfo->tcpi_total_rto = tp->total_rto;
	linfo->tcpi_total_rto_recoveries = tp->total_rto_recoveries;
	linfo->tcpi_notsent_bytes = tp->write_seq - tp->snd_nxt;
	info->tcpi_state = sk->sk_state;
	/* Linux's icsk_ca_state: Open, Recovery after dupacks/SACK, Loss after an RTO */
	info->tcpi_ca_state = tp->in_recovery ? TCP_CA_Recovery : tp->retransmits ? TCP_CA_Loss
				: tp->in_cwr ? TCP_CA_CWR : TCP_CA_Open;
	info->tcpi_retransmits = tp->retransmits;
	info->tcpi_probes = tp->probes_out;
	info->tcpi_backoff = tp->backoff;
	info->tcpi_snd_wscale = tp->rx_opt.snd_wscale;
	info->tcpi_rcv_wscale = tp->rx_opt.rcv_wscale;
	if (tp->rx_opt.tstamp_ok)
		info->tcpi_options |= TCPI_OPT_TIMESTAMPS;
	if (tp->rx_opt.sack_ok)
		info->tcpi_options |= TCPI_OPT_SACK;
	if (tp->rx_opt.wscale_ok)
		info->tcpi_options |= TCPI_OPT_WSCALE;
	if (tp->syn_data_acked)
		info->tcpi_options |= TCPI_OPT_SYN_DATA;
	if (tp->ecn_flags & TCP_ECN_OK)
		info->tcpi_options |= TCPI_OPT_ECN;
	if (tp->ecn_flags & TCP_ECN_SEEN)
		info->tcpi_options |= TCPI_OPT_ECN_SEEN;
	info->tcpi_sacked = tp->sacked_out;
	info->tcpi_lost = tp->lost_out;
	info->tcpi_retrans = tp->retrans_out;
	info->tcpi_reordering = tp->reordering;
	if (sk->sk_dst_cache)
		info->tcpi_pmtu = dst_mtu(sk->sk_dst_cache);
	/* skbos opens its window at once (no rcv_ssthresh growth): the whole window */
	info->tcpi_rcv_ssthresh = tp->rcv_ssthresh ? tp->rcv_ssthresh : tp->rcv_wnd;
	info->tcpi_rcv_rtt = (u32)(tp->rcv_rtt_est.rtt / NSEC_PER_USEC);
	linfo->tcpi_max_pacing_rate = ~0ull; /* SO_MAX_PACING_RATE unset */
	if (sk->sk_state != TCP_SYN_SENT && sk->sk_state != TCP_LISTEN && sk->sk_state != TCP_CLOSE) {
		/* Linux's bytes_acked counts the SYN; bytes_received is data only */
		linfo->tcpi_bytes_acked = tp->snd_una - tp->iss;
		linfo->tcpi_bytes_received = tp->rcv_nxt - tp->irs - 1 - (sock_flag(sk, SOCK_DONE) ? 1 : 0);
	}
	info->tcpi_rto = (u32)(tp->rto / NSEC_PER_USEC);
	info->tcpi_snd_mss = tp->mss_cache;
	/* Linux's icsk_ack.rcv_mss: measured, else tcp_initialize_rcv_mss's guess (at most 536) */
	info->tcpi_rcv_mss = tp->rcv_mss ? tp->rcv_mss : min_t(u32, TCP_MSS_DEFAULT, tp->advmss);
	info->tcpi_unacked = tcp_packets_in_flight(tp, tp->mss_cache ? tp->mss_cache : 536);
	info->tcpi_rtt = (u32)(tp->srtt / NSEC_PER_USEC);
	info->tcpi_rttvar = (u32)(tp->rttvar / NSEC_PER_USEC);
	info->tcpi_snd_ssthresh = tp->snd_ssthresh;
	info->tcpi_snd_cwnd = tp->snd_cwnd;
	info->tcpi_advmss = tp->advmss;
	info->tcpi_rcv_space = tp->rcvq_space.space ? tp->rcvq_space.space : tp->rcv_wnd;
	info->tcpi_total_retrans = tp->total_retrans;
}

static int tcp_getsockopt(struct sock *sk, int level, int optname, void *optval,
			  unsigned int *optlen)
{
	struct tcp_sock *tp = tcp_sk(sk);
	unsigned int len = *optlen;
	struct tcp_info_linux info;
	char name[16];
	int val;

	if (level != IPPROTO_TCP)
		return ip_getsockopt(sk, level, optname, optval, optlen);
	if ((int)len < 0)
		return -EINVAL;
	switch (optname) {
	case TCP_INFO:
		tcp_get_info(sk, &info);
		len = len < sizeof(info) ? len : (unsigned int)sizeof(info);
		memcpy(optval, &info, len);
		*optlen = len;
		return 0;
	case TCP_CC_INFO:
		/* Linux: what ca_ops->get_info fills; cubic and reno have none,
		 * so the answer is success with no bytes (tcp_getsockopt) */
		*optlen = 0;
		return 0;
	case TCP_CONGESTION:
		memset(name, 0, sizeof(name));
		strcpy(name, tp->ca_ops->name);
		len = len < sizeof(name) ? len : (unsigned int)sizeof(name);
		memcpy(optval, name, len);
		*optlen = len;
		return 0;
	case TCP_NODELAY: val = tp->nonagle; break;
	case TCP_CORK: val = tp->cork; break;
	case TCP_MAXSEG:
		val = sk->sk_state == TCP_ESTABLISHED || sk->sk_state == TCP_CLOSE_WAIT
			      ? tp->mss_cache : (tp->user_mss ? tp->user_mss : TCP_MSS_DEFAULT);
		break;
	case TCP_KEEPIDLE: val = tp->keepalive_time_s ? tp->keepalive_time_s : 7200; break;
	case TCP_KEEPINTVL: val = tp->keepalive_intvl_s ? tp->keepalive_intvl_s : 75; break;
	case TCP_KEEPCNT: val = tp->keepalive_probes ? tp->keepalive_probes : TCP_KEEPALIVE_PROBES; break;
	case TCP_SYNCNT: val = tp->syn_retries ? tp->syn_retries : TCP_SYN_RETRIES; break;
	case TCP_USER_TIMEOUT: val = (int)(tp->user_timeout / NSEC_PER_MSEC); break;
	case TCP_QUICKACK: val = tp->quickack != 0; break;
	case TCP_NOTSENT_LOWAT: val = (int)tp->notsent_lowat; break;
	case TCP_INQ: val = tp->recvmsg_inq; break;
	case TCP_FASTOPEN: val = tp->fastopen_qlen; break;
	case TCP_FASTOPEN_CONNECT: val = tp->fastopen_connect; break;
	case TCP_FASTOPEN_NO_COOKIE: val = tp->fastopen_no_cookie; break;
	case TCP_WINDOW_CLAMP: val = (int)tp->window_clamp; break;
	case TCP_LINGER2:
		val = tp->linger2 < 0 ? -1 : (int)(tcp_fin_time(tp->linger2) / NSEC_PER_SEC);
		break;
	case TCP_DEFER_ACCEPT: val = tcp_retrans_to_secs(tp->defer_accept); break;
	default:
		return -ENOPROTOOPT;
	}
	len = len < sizeof(int) ? len : (unsigned int)sizeof(int);
	memcpy(optval, &val, len);
	*optlen = len;
	return 0;
}

/*
 * Linux's tcp_inq: the in-order bytes not yet read, without the FIN that
 * may end them; none before the handshake completes.
 */
static int tcp_inq(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	int answ;

	if (sk->sk_state == TCP_SYN_SENT || sk->sk_state == TCP_SYN_RECV)
		return 0;
	answ = (int)(tp->rcv_nxt - tp->copied_seq);
	if (answ && sock_flag(sk, SOCK_DONE))
		answ--;
	return answ;
}

/*
 * Linux's tcp_ioctl: SIOCINQ (FIONREAD) the unread in-order bytes;
 * SIOCOUTQ (TIOCOUTQ) the bytes not yet acknowledged, SIOCOUTQNSD those not
 * yet sent, both counting a queued FIN and both 0 during the handshake;
 * EINVAL on a listener; SIOCATMARK whether the next byte read is urgent.
 */
static int tcp_ioctl(struct sock *sk, unsigned int cmd, unsigned long arg)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	bool handshake = sk->sk_state == TCP_SYN_SENT || sk->sk_state == TCP_SYN_RECV;
	int amount;

	switch (cmd) {
	case SIOCINQ_SKBOS:
	case SIOCOUTQ_SKBOS:
	case SIOCOUTQNSD_SKBOS:
		if (sk->sk_state == TCP_LISTEN)
			return -EINVAL;
		break;
	case SIOCATMARK_SKBOS:
		amount = tcp_at_mark(tcp_sk(sk));
		memcpy((void *)arg, &amount, sizeof(amount));
		return 0;
	default:
		return -ENOIOCTLCMD;
	}
	if (cmd == SIOCINQ_SKBOS)
		amount = tcp_inq(sk);
	else if (handshake)
		amount = 0;
	else if (cmd == SIOCOUTQ_SKBOS)
		amount = (int)(tp->write_seq - tp->snd_una);
	else
		amount = (int)(tp->write_seq - tp->snd_nxt);
	memcpy((void *)arg, &amount, sizeof(amount));
	return 0;
}

/** tcp_poll_mask - the readiness of a TCP socket (net/ipv4/tcp.c tcp_poll). */
unsigned int tcp_poll_mask(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	unsigned int mask = 0;

	if (sk->sk_state == TCP_LISTEN)
		return list_empty(&tp->accept_queue) ? 0 : EPOLLIN | EPOLLRDNORM;
	if (sk->sk_shutdown == SHUTDOWN_MASK || sk->sk_state == TCP_CLOSE)
		mask |= EPOLLHUP;
	if (sk->sk_shutdown & RCV_SHUTDOWN)
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
	/* a Fast Open child is readable and writable in SYN_RECV (Linux's fastopen_rsk) */
	if (sk->sk_state != TCP_SYN_SENT && (sk->sk_state != TCP_SYN_RECV || tp->fastopen_child)) {
		int target = sk->sk_rcvlowat > 0 ? sk->sk_rcvlowat : 1;

		/* at the mark, the urgent byte is no data to read (tcp_poll) */
		if (tcp_at_mark(tp) && !sock_flag(sk, SOCK_URGINLINE))
			target++;
		if (tcp_recv_bytes_ready(sk) >= target)
			mask |= EPOLLIN | EPOLLRDNORM;
		if (tp->urg_data & TCP_URG_VALID)
			mask |= EPOLLPRI;
		if (sk->sk_shutdown & SEND_SHUTDOWN)
			mask |= EPOLLOUT | EPOLLWRNORM; /* a write will report EPIPE at once */
		else if (tcp_stream_is_writeable(sk, 1))
			mask |= EPOLLOUT | EPOLLWRNORM;
		else
			sock_set_flag(sk, SOCK_NOSPACE); /* tcp_poll: wake the poller when room comes */
	} else if (tp->defer_connect) {
		mask |= EPOLLOUT | EPOLLWRNORM; /* Linux: the first write sends the SYN */
	}
	if (sk->sk_err)
		mask |= EPOLLERR;
	return mask;
}

const struct proto tcp_prot = {
	.name = "TCP",
	.obj_size = sizeof(struct tcp_sock),
	.init = tcp_init_sk,
	.close = tcp_close,
	.connect = tcp_v4_connect,
	.get_port = tcp_get_port,
	.unhash = tcp_unhash,
	.sendmsg = tcp_sendmsg,
	.recvmsg = tcp_recvmsg,
	.setsockopt = tcp_setsockopt,
	.getsockopt = tcp_getsockopt,
	.ioctl = tcp_ioctl,
	.shutdown = tcp_shutdown,
};

/*
 * TCP over IPv6 (Linux's tcpv6_prot): the same calls but the two that
 * know the family, connect and init (ipv6/tcp_ipv6.c); defined here
 * because the others are this file's.
 */
const struct proto tcpv6_prot = {
	.name = "TCPv6",
	.obj_size = sizeof(struct tcp_sock),
	.init = tcp_v6_init_sk,
	.close = tcp_close,
	.connect = tcp_v6_connect,
	.get_port = tcp_get_port,
	.unhash = tcp_unhash,
	.sendmsg = tcp_sendmsg,
	.recvmsg = tcp_recvmsg,
	.setsockopt = tcp_setsockopt,
	.getsockopt = tcp_getsockopt,
	.ioctl = tcp_ioctl,
	.shutdown = tcp_shutdown,
};

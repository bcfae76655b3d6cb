/*
 * sock.c - struct sock: allocation, buffer accounting, waiting, the dst
 * cache, and the SOL_SOCKET options (net/core/sock.c, datagram.c).
 *
 *   sock_sendmsg -> ... -> sock_alloc_send_skb (sndbuf back-pressure)
 *   udp_rcv -> sock_queue_rcv_skb (rcvbuf limit, sk_data_ready)
 *   any blocking call -> sk_wait_event -> sk_wait -> st->wait_ops->wait
 *
 * Option semantics follow Linux exactly (buffer sizes doubled and clamped,
 * timeouts as struct timeval with EDOM for bad microseconds, ...): the
 * expected table comes from the kernel on this machine (tests/sockopt_linux.h).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <linux/net_tstamp.h>
#include <sys/time.h>
#include <sys/epoll.h>

#include "alloc.h"
#include "sock.h"
#include "route.h"
#include "stack.h"
#include "portshare.h"
#include "log.h"

/* ---- wait queues and waiters ---------------------------------------------- */

void add_wait_queue(struct wait_queue_head *wq, struct wait_queue_entry *e)
{
	list_add_tail(&e->entry, &wq->head);
}

void remove_wait_queue(struct wait_queue_head *wq, struct wait_queue_entry *e)
{
	(void)wq;
	list_del_init(&e->entry);
}

/** wake_up_poll - tell every entry interested in @events (or in all). */
void wake_up_poll(struct wait_queue_head *wq, unsigned int events)
{
	struct wait_queue_entry *e, *tmp;

	list_for_each_entry_safe(e, tmp, &wq->head, entry)
		if (!e->events || (e->events & events))
			e->func(e, events);
}

void waiter_init(struct stack_waiter *w, struct stack *st)
{
	w->st = st;
	w->woken = false;
	w->driver = NULL;
}

static void waiter_wake_fn(struct wait_queue_entry *e, unsigned int events)
{
	struct stack_waiter *w = e->private;

	(void)events;
	if (w->woken)
		return;
	w->woken = true;
	if (w->st->wait_ops && w->st->wait_ops->wake)
		w->st->wait_ops->wake(w->st, w);
}

/** waiter_add - let @wq wake @w (for @events; 0: any) through entry @e. */
void waiter_add(struct stack_waiter *w, struct wait_queue_head *wq, struct wait_queue_entry *e,
		unsigned int events)
{
	e->func = waiter_wake_fn;
	e->private = w;
	e->events = events;
	add_wait_queue(wq, e);
}

/**
 * waiter_wait - sleep until woken or @deadline.  Return: 0, -ETIMEDOUT,
 * -EINTR, or -EAGAIN when this stack cannot block (no driver).
 */
int waiter_wait(struct stack_waiter *w, ktime_t deadline)
{
	struct stack *st = w->st;

	if (!st->wait_ops)
		return -EAGAIN;
	if (w->woken)
		return 0;
	return st->wait_ops->wait(st, w, deadline);
}

/** sock_rcvtimeo - how long a receive may block: 0 if non-blocking. */
ktime_t sock_rcvtimeo(const struct sock *sk, bool noblock)
{
	return noblock ? 0 : sk->sk_rcvtimeo;
}

ktime_t sock_sndtimeo(const struct sock *sk, bool noblock)
{
	return noblock ? 0 : sk->sk_sndtimeo;
}

/** sock_intr_errno - what an interrupted call returns (timed calls: EINTR too). */
int sock_intr_errno(ktime_t timeo)
{
	(void)timeo;
	return -EINTR;
}

/*
 * A waiter's queue entry lives on the waiting call's stack and is always
 * unlinked before the call returns; GCC 12 cannot see that.
 */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#endif

/**
 * sk_wait - wait once for any event on @sk, charging the time to *@timeo
 * (KTIME_MAX: no limit).  Return: 0 to re-check, -EAGAIN when *@timeo is
 * used up (a timed-out blocking call reports EAGAIN, as on Linux), -EINTR.
 */
int sk_wait(struct sock *sk, ktime_t *timeo)
{
	struct stack *st = sk->sk_stack;
	struct stack_waiter w;
	struct wait_queue_entry e;
	ktime_t start, deadline;
	int rc;

	if (*timeo == 0)
		return -EAGAIN;
	start = stack_now(st);
	deadline = *timeo == KTIME_MAX ? KTIME_MAX : start + *timeo;
	waiter_init(&w, st);
	waiter_add(&w, &sk->sk_wq, &e, 0);
	rc = waiter_wait(&w, deadline);
	remove_wait_queue(&sk->sk_wq, &e);
	if (*timeo != KTIME_MAX) {
		ktime_t spent = stack_now(st) - start;

		*timeo = spent >= *timeo ? 0 : *timeo - spent;
	}
	if (rc == -ETIMEDOUT)
		return -EAGAIN;
	return rc;
}

/* ---- default callbacks ---------------------------------------------------- */

static void sock_def_readable(struct sock *sk)
{
	wake_up_poll(&sk->sk_wq, EPOLLIN | EPOLLRDNORM);
}

/** sock_writeable - at least half the send buffer is free (Linux's rule). */
bool sock_writeable(const struct sock *sk)
{
	return sk->sk_wmem_alloc < (sk->sk_sndbuf >> 1);
}

static void sock_def_write_space(struct sock *sk)
{
	if (sock_writeable(sk))
		wake_up_poll(&sk->sk_wq, EPOLLOUT | EPOLLWRNORM);
}

/** sock_def_wakeup - a state change: everyone re-checks. */
void sock_def_wakeup(struct sock *sk)
{
	wake_up_poll(&sk->sk_wq, EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLRDHUP);
}

static void sock_def_error_report(struct sock *sk)
{
	wake_up_poll(&sk->sk_wq, EPOLLERR);
}

/* ---- allocation ------------------------------------------------------------ */

/** sk_alloc - a zeroed protocol socket of @prot->obj_size bytes, or NULL. */
struct sock *sk_alloc(struct stack *st, int family, const struct proto *prot)
{
	struct sock *sk = kzalloc(st->failslab, prot->obj_size);

	if (!sk)
		return NULL;
	sk->sk_family = (unsigned short)family;
	sk->sk_prot = prot;
	sk->sk_stack = st;
	sk->sk_refcnt = 1;
	INIT_LIST_HEAD(&sk->sk_bind_node);
	return sk;
}

/** sk_free - drop everything the socket still holds and free it. */
void sk_free(struct sock *sk)
{
	skb_queue_purge(&sk->sk_receive_queue);
	skb_queue_purge(&sk->sk_write_queue);
	skb_queue_purge(&sk->sk_error_queue);
	sk_dst_reset(sk);
	if (sk->sk_wmem_alloc) {
		/* skbs still in a device queue point at us: they outlive the socket */
		sock_set_flag(sk, SOCK_DEAD);
		return;
	}
	kfree(sk->sk_stack->failslab, sk);
}

/** sock_init_data - Linux's defaults for a new socket. */
void sock_init_data(struct socket *sock, struct sock *sk)
{
	const struct sysctl *s = &sk->sk_stack->sysctl;

	skb_queue_head_init(&sk->sk_receive_queue);
	skb_queue_head_init(&sk->sk_write_queue);
	skb_queue_head_init(&sk->sk_error_queue);
	init_waitqueue_head(&sk->sk_wq);
	sk->sk_rcvbuf = s->rmem_default;
	sk->sk_sndbuf = s->wmem_default;
	sk->sk_state = TCP_CLOSE;
	sk->sk_rcvlowat = 1;
	sk->sk_rcvtimeo = KTIME_MAX;
	sk->sk_sndtimeo = KTIME_MAX;
	sock_set_flag(sk, SOCK_ZAPPED);
	sk->sk_state_change = sock_def_wakeup;
	sk->sk_data_ready = sock_def_readable;
	sk->sk_write_space = sock_def_write_space;
	sk->sk_error_report = sock_def_error_report;
	sk->sk_socket = sock;
	if (sock) {
		sock->sk = sk;
		sk->sk_type = (unsigned short)sock->type;
	}
}

/** sock_error - take the pending error (0 if none): it is reported once. */
int sock_error(struct sock *sk)
{
	int err = sk->sk_err;

	sk->sk_err = 0;
	return -err;
}

/* ---- buffer accounting ------------------------------------------------------ */

static void sock_rfree(struct sk_buff *skb)
{
	struct sock *sk = skb->sk;

	sk->sk_rmem_alloc -= (int)skb->truesize;
}

static void sock_wfree(struct sk_buff *skb)
{
	struct sock *sk = skb->sk;

	sk->sk_wmem_alloc -= (int)skb->truesize;
	if (sock_flag(sk, SOCK_DEAD)) {
		if (!sk->sk_wmem_alloc)
			kfree(sk->sk_stack->failslab, sk);
		return;
	}
	/* TCP wakes its writers from the ACK path (tcp_check_space), but its
	 * room is sk_wmem_alloc, which also holds the clones the device still
	 * sends: an ACK that came before their completion found no room, and
	 * with no ACK left to come only this free can wake the writer that is
	 * owed it (SOCK_NOSPACE).  A writer that asked nothing gets no edge. */
	if (!sock_flag(sk, SOCK_USE_WRITE_QUEUE) || sock_flag(sk, SOCK_NOSPACE))
		sk->sk_write_space(sk);
}

/** skb_set_owner_r - charge @skb to @sk's receive buffer until it is freed. */
void skb_set_owner_r(struct sk_buff *skb, struct sock *sk)
{
	skb->sk = sk;
	skb->destructor = sock_rfree;
	sk->sk_rmem_alloc += (int)skb->truesize;
}

/** skb_set_owner_w - charge @skb to @sk's send buffer until it is freed. */
void skb_set_owner_w(struct sk_buff *skb, struct sock *sk)
{
	skb->sk = sk;
	skb->destructor = sock_wfree;
	sk->sk_wmem_alloc += (int)skb->truesize;
}

/**
 * sock_queue_rcv_skb - put a datagram on @sk's receive queue, charging it.
 * A full receive buffer drops it (the caller counts which MIB): the stack
 * never blocks on a slow reader.  Consumes @skb on success only.
 * Return: 0, or -ENOMEM (buffer full; @skb is still the caller's).
 */
int sock_queue_rcv_skb(struct sock *sk, struct sk_buff *skb)
{
	if (sk->sk_rmem_alloc + (int)skb->truesize > sk->sk_rcvbuf) {
		sk->sk_drops++;
		return -ENOMEM;
	}
	skb_dst_drop(skb);
	skb_set_owner_r(skb, sk);
	skb_queue_tail(&sk->sk_receive_queue, skb);
	if (!sock_flag(sk, SOCK_DEAD))
		sk->sk_data_ready(sk);
	return 0;
}

/**
 * sock_alloc_send_skb - an skb of @size bytes charged to @sk's send buffer,
 * waiting for room unless @noblock (SO_SNDBUF back-pressure).
 * Return: the skb, or NULL with *@errcode: -EAGAIN, -EINTR, -EPIPE, -ENOBUFS.
 */
struct sk_buff *sock_alloc_send_skb(struct sock *sk, unsigned int size, int noblock, int *errcode)
{
	ktime_t timeo = sock_sndtimeo(sk, noblock);
	struct sk_buff *skb;
	int err;

	for (;;) {
		err = -sk->sk_err;
		if (err) {
			sk->sk_err = 0;
			goto fail;
		}
		err = -EPIPE;
		if (sk->sk_shutdown & SEND_SHUTDOWN)
			goto fail;
		if (sk->sk_wmem_alloc < sk->sk_sndbuf)
			break;
		err = sk_wait(sk, &timeo);
		if (err)
			goto fail;
	}
	skb = alloc_skb(sk->sk_stack, size);
	if (!skb) {
		err = -ENOBUFS;
		goto fail;
	}
	skb_set_owner_w(skb, sk);
	return skb;
fail:
	*errcode = err;
	return NULL;
}

/* ---- the per-socket dst cache ------------------------------------------------ */

/** sk_dst_set - cache @dst on @sk (takes the caller's reference). */
void sk_dst_set(struct sock *sk, struct dst_entry *dst)
{
	struct dst_entry *old = sk->sk_dst_cache;

	sk->sk_dst_cache = dst;
	dst_release(old);
}

void sk_dst_reset(struct sock *sk)
{
	sk_dst_set(sk, NULL);
}

/**
 * __sk_dst_check - the cached route if still valid, else drop it and return
 * NULL (the caller looks up again).  Borrowed: no reference is taken.
 */
struct dst_entry *__sk_dst_check(struct sock *sk)
{
	struct dst_entry *dst = sk->sk_dst_cache;

	/* the family's test: each family has its own route generation */
	if (dst && !(dst->ops && dst->ops->check ? dst->ops->check(dst) : dst_check(dst))) {
		sk_dst_reset(sk);
		return NULL;
	}
	return dst;
}

/* ---- msghdr iovecs ----------------------------------------------------------- */

/** msg_data_left - bytes in @msg's iovecs. */
size_t msg_data_left(const struct msghdr *msg)
{
	size_t n = 0;

	for (size_t i = 0; i < msg->msg_iovlen; i++)
		n += msg->msg_iov[i].iov_len;
	return n;
}

/*
 * Copy between a flat buffer and @msg's iovecs starting at byte *@offset of
 * the iovec stream; advance *@offset.
 */
static int iov_copy(struct msghdr *msg, void *flat, size_t len, size_t *offset, bool to_iov)
{
	size_t skip = *offset, done = 0;

	for (size_t i = 0; i < msg->msg_iovlen && done < len; i++) {
		struct iovec *v = &msg->msg_iov[i];
		size_t n;

		if (skip >= v->iov_len) {
			skip -= v->iov_len;
			continue;
		}
		n = v->iov_len - skip;
		if (n > len - done)
			n = len - done;
		if (!v->iov_base && n)
			return -EFAULT;
		if (to_iov)
			memcpy((char *)v->iov_base + skip, (char *)flat + done, n);
		else
			memcpy((char *)flat + done, (char *)v->iov_base + skip, n);
		done += n;
		skip = 0;
	}
	*offset += done;
	return done == len ? 0 : -EFAULT;
}

int memcpy_from_msg(void *data, struct msghdr *msg, size_t len, size_t *offset)
{
	return iov_copy(msg, data, len, offset, false);
}

int memcpy_to_msg(struct msghdr *msg, const void *data, size_t len, size_t *offset)
{
	return iov_copy(msg, (void *)data, len, offset, true);
}

/* ---- SOL_SOCKET options -------------------------------------------------------- */

/*
 * Linux keeps socket timeouts in jiffies: a timeval is rounded up to whole
 * ticks and read back from them ({0,1} reads {0,4000} at HZ=250), and one
 * too large for a signed long of ticks means "forever".
 */
static int sock_set_timeout(struct sock *sk, ktime_t *timeo, const void *optval, unsigned int optlen)
{
	u64 hz = sk->sk_stack->sysctl.hz, ticks;
	struct timeval tv;

	if (optlen < sizeof(tv))
		return -EINVAL;
	memcpy(&tv, optval, sizeof(tv));
	if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
		return -EDOM;
	if (tv.tv_sec < 0) {
		*timeo = 0;
		return 0;
	}
	if (tv.tv_sec == 0 && tv.tv_usec == 0) {
		*timeo = KTIME_MAX;
		return 0;
	}
	if ((u64)tv.tv_sec >= (u64)LONG_MAX / hz - 1) {
		*timeo = KTIME_MAX;
		return 0;
	}
	ticks = (u64)tv.tv_sec * hz + ((u64)tv.tv_usec * hz + 999999) / 1000000;
	/* stored as ns of whole ticks; beyond ktime's range it is forever anyway */
	*timeo = ticks > (KTIME_MAX - 1) / (NSEC_PER_SEC / hz) ? KTIME_MAX - 1
							       : ticks * (NSEC_PER_SEC / hz);
	if (*timeo == KTIME_MAX - 1)
		sk->sk_timeo_ticks_big = ticks;
	return 0;
}

static void sock_set_bufsize(struct sock *sk, int *field, int val, int max, int min, u8 lock)
{
	/* Linux: clamp to the sysctl max as unsigned, double, apply the minimum. */
	u32 v = (u32)val > (u32)max ? (u32)max : (u32)val;

	if (v > INT_MAX / 2)
		v = INT_MAX / 2;
	sk->sk_userlocks |= lock;
	*field = (int)v * 2 > min ? (int)v * 2 : min;
}

/* SOF_TIMESTAMPING_* Linux 6.18 knows (through TX_COMPLETION, 1 << 18). */
#define SOF_TIMESTAMPING_KNOWN ((1u << 19) - 1)
#define SOF_TIMESTAMPING_OPT_ID_TCP_ (1u << 16)

/*
 * SO_TIMESTAMPING (sock_set_timestamping): unknown flags, OPT_ID_TCP
 * without OPT_ID and OPT_STATS without OPT_TSONLY are EINVAL; BIND_PHC
 * needs a PTP clock, which skbos has none of (EOPNOTSUPP, as the kernel
 * says for a device without one).  Only the software receive
 * stamp is produced (ip_cmsg.c); the transmit stamps are not (README).
 */
static int sock_set_timestamping(struct sock *sk, int val)
{
	u32 f = (u32)val;

	if (f & ~SOF_TIMESTAMPING_KNOWN)
		return -EINVAL;
	if ((f & SOF_TIMESTAMPING_OPT_ID_TCP_) && !(f & SOF_TIMESTAMPING_OPT_ID))
		return -EINVAL;
	if ((f & SOF_TIMESTAMPING_OPT_STATS) && !(f & SOF_TIMESTAMPING_OPT_TSONLY))
		return -EINVAL;
	if (f & SOF_TIMESTAMPING_BIND_PHC)
		return -EOPNOTSUPP;
	sk->sk_tsflags = f;
	return 0;
}

/**
 * sk_setsockopt - SOL_SOCKET options, Linux semantics and errnos.
 * Return: 0 or -errno (-ENOPROTOOPT for an unknown option).
 */
int sk_setsockopt(struct socket *sock, int level, int optname, const void *optval,
		  unsigned int optlen)
{
	struct sock *sk = sock->sk;
	const struct sysctl *s = &sk->sk_stack->sysctl;
	struct linger ling;
	int val = 0;

	(void)level;
	if (optname == SO_RCVTIMEO || optname == SO_SNDTIMEO)
		return sock_set_timeout(sk, optname == SO_RCVTIMEO ? &sk->sk_rcvtimeo : &sk->sk_sndtimeo,
					optval, optlen);
	if (optname == SO_LINGER) {
		long hz = (long)s->hz;

		if (optlen < sizeof(ling))
			return -EINVAL;
		memcpy(&ling, optval, sizeof(ling));
		if (!ling.l_onoff) {
			sock_reset_flag(sk, SOCK_LINGER);
		} else {
			/* Linux: a negative or huge linger is "forever" in jiffies */
			if ((unsigned long)(long)ling.l_linger >= (unsigned long)(LONG_MAX / hz))
				sk->sk_lingertime = LONG_MAX;
			else
				sk->sk_lingertime = (long)ling.l_linger * hz;
			sock_set_flag(sk, SOCK_LINGER);
		}
		return 0;
	}
	if (optlen < sizeof(int))
		return -EINVAL;
	memcpy(&val, optval, sizeof(int));

	switch (optname) {
	case SO_REUSEADDR:
		sk->sk_reuse = val != 0;
		return 0;
	case SO_REUSEPORT:
		sk->sk_reuseport = val != 0;
		return 0;
	case SO_BROADCAST:
		sock_valbool_flag(sk, SOCK_BROADCAST, val);
		return 0;
	case SO_KEEPALIVE:
		sock_valbool_flag(sk, SOCK_KEEPOPEN, val);
		return 0;
	case SO_SNDBUF:
		sock_set_bufsize(sk, &sk->sk_sndbuf, val, s->wmem_max, SOCK_MIN_SNDBUF, SOCK_SNDBUF_LOCK);
		sk->sk_write_space(sk);
		return 0;
	case SO_RCVBUF:
		sock_set_bufsize(sk, &sk->sk_rcvbuf, val, s->rmem_max, SOCK_MIN_RCVBUF, SOCK_RCVBUF_LOCK);
		return 0;
	/*
	 * The privileged variants (CAP_NET_ADMIN): skbos runs with the
	 * privileges of a process that may open AF_PACKET sockets, and grants
	 * them as the kernel grants root.
	 */
	case SO_SNDBUFFORCE:
		sock_set_bufsize(sk, &sk->sk_sndbuf, val < 0 ? 0 : val, INT_MAX, SOCK_MIN_SNDBUF,
				 SOCK_SNDBUF_LOCK);
		sk->sk_write_space(sk);
		return 0;
	case SO_RCVBUFFORCE:
		sock_set_bufsize(sk, &sk->sk_rcvbuf, val < 0 ? 0 : val, INT_MAX, SOCK_MIN_RCVBUF,
				 SOCK_RCVBUF_LOCK);
		return 0;
	case SO_MARK:
		sk->sk_mark = (u32)val;
		sk_dst_reset(sk);
		return 0;
	case SO_DONTROUTE:
		sock_valbool_flag(sk, SOCK_LOCALROUTE, val);
		return 0;
	case SO_TIMESTAMP_OLD:
	case SO_TIMESTAMPNS_OLD:
		/* sock_set_timestamp: the last one set says which form */
		sock_valbool_flag(sk, SOCK_RCVTSTAMP, val);
		sock_valbool_flag(sk, SOCK_RCVTSTAMPNS, val && optname == SO_TIMESTAMPNS_OLD);
		return 0;
	case SO_TIMESTAMPING_OLD:
		return sock_set_timestamping(sk, val);
	case SO_PASSCRED:
		return -EOPNOTSUPP; /* AF_UNIX and netlink only */
	case SO_RCVLOWAT:
		sk->sk_rcvlowat = val < 0 ? INT_MAX : (val ? val : 1);
		return 0;
	case SO_PRIORITY:
		sk->sk_priority = (u32)val; /* beyond 6 needs CAP_NET_ADMIN: granted, as above */
		return 0;
	case SO_OOBINLINE:
		sock_valbool_flag(sk, SOCK_URGINLINE, val); /* TCP's urgent byte stays in the stream */
		return 0;
	case SO_NO_CHECK:
		return 0; /* accepted, no effect */
	default:
		return -ENOPROTOOPT;
	}
}

/*
 * Linux copies min(len, sizeof value) bytes and reports that length; a
 * negative length is EINVAL.
 */
static int put_opt(void *optval, unsigned int *optlen, const void *v, unsigned int vlen)
{
	unsigned int len = *optlen;

	if ((int)len < 0)
		return -EINVAL;
	if (len > vlen)
		len = vlen;
	memcpy(optval, v, len);
	*optlen = len;
	return 0;
}

/** sk_getsockopt - SOL_SOCKET options.  Return: 0 or -errno. */
int sk_getsockopt(struct socket *sock, int level, int optname, void *optval,
		  unsigned int *optlen)
{
	struct sock *sk = sock->sk;
	struct linger ling;
	struct timeval tv;
	ktime_t t;
	int v;

	(void)level;
	switch (optname) {
	case SO_RCVTIMEO:
	case SO_SNDTIMEO:
		t = optname == SO_RCVTIMEO ? sk->sk_rcvtimeo : sk->sk_sndtimeo;
		memset(&tv, 0, sizeof(tv));
		if (t == KTIME_MAX - 1 && sk->sk_timeo_ticks_big) {
			u64 hz = sk->sk_stack->sysctl.hz;

			tv.tv_sec = (time_t)(sk->sk_timeo_ticks_big / hz);
			tv.tv_usec = (suseconds_t)((sk->sk_timeo_ticks_big % hz) * 1000000 / hz);
		} else if (t != KTIME_MAX) {
			tv.tv_sec = (time_t)(t / NSEC_PER_SEC);
			tv.tv_usec = (suseconds_t)((t % NSEC_PER_SEC) / NSEC_PER_USEC);
		}
		return put_opt(optval, optlen, &tv, sizeof(tv));
	case SO_LINGER:
		ling.l_onoff = sock_flag(sk, SOCK_LINGER);
		ling.l_linger = (int)(sk->sk_lingertime / (long)sk->sk_stack->sysctl.hz);
		return put_opt(optval, optlen, &ling, sizeof(ling));
	case SO_REUSEADDR: v = sk->sk_reuse; break;
	case SO_REUSEPORT: v = sk->sk_reuseport; break;
	case SO_BROADCAST: v = sock_flag(sk, SOCK_BROADCAST); break;
	case SO_KEEPALIVE: v = sock_flag(sk, SOCK_KEEPOPEN); break;
	case SO_SNDBUF: v = sk->sk_sndbuf; break;
	case SO_RCVBUF: v = sk->sk_rcvbuf; break;
	case SO_RCVLOWAT: v = sk->sk_rcvlowat; break;
	case SO_SNDLOWAT: v = 1; break;
	case SO_PRIORITY: v = (int)sk->sk_priority; break;
	case SO_ERROR: v = -sock_error(sk); break;
	case SO_TYPE: v = sk->sk_type; break;
	case SO_PROTOCOL: v = sk->sk_protocol; break;
	case SO_DOMAIN: v = sk->sk_family; break;
	case SO_ACCEPTCONN: v = sk->sk_state == TCP_LISTEN; break;
	case SO_DONTROUTE: v = sock_flag(sk, SOCK_LOCALROUTE); break;
	case SO_TIMESTAMP_OLD:
		v = sock_flag(sk, SOCK_RCVTSTAMP) && !sock_flag(sk, SOCK_RCVTSTAMPNS);
		break;
	case SO_TIMESTAMPNS_OLD: v = sock_flag(sk, SOCK_RCVTSTAMPNS); break;
	case SO_TIMESTAMPING_OLD: {
		/* struct so_timestamping: the flags, then bind_phc (0: none) */
		int ts[2] = { (int)sk->sk_tsflags, 0 };

		return put_opt(optval, optlen, ts, sizeof(ts));
	}
	case SO_MARK: v = (int)sk->sk_mark; break;
	case SO_OOBINLINE: v = sock_flag(sk, SOCK_URGINLINE); break;
	case SO_NO_CHECK:
		v = 0;
		break;
	case SO_PASSCRED:
		return -EOPNOTSUPP;
	default:
		return -ENOPROTOOPT;
	}
	return put_opt(optval, optlen, &v, sizeof(v));
}

/* ---- shared by the inet protocols ---------------------------------------------------- */

/**
 * inet_ephemeral_port - a free port from net.ipv4.ip_local_port_range for
 * @sk, searched from a random start so ports are not predictable
 * (RFC 6056 §3.3.1); @inuse says whether a port would clash.
 * Return: the port, or 0 when the range is exhausted.
 */
u16 inet_ephemeral_port(struct sock *sk, bool (*inuse)(struct stack *st, const struct sock *sk, u16 port))
{
	struct stack *st = sk->sk_stack;
	const struct sysctl *s = &st->sysctl;
	u32 n = (u32)s->ip_local_port_max - s->ip_local_port_min + 1;
	u32 start = stack_rand(st) % n;

	for (u32 i = 0; i < n; i++) {
		u16 port = (u16)(s->ip_local_port_min + (start + i) % n);

		if (!inuse(st, sk, port) && !stack_port_foreign(st, sk->sk_protocol, port))
			return port;
	}
	return 0;
}

/**
 * datagram_ioctl - FIONREAD is the size of the next datagram (Linux's
 * SIOCINQ for UDP and raw), TIOCOUTQ the bytes not yet sent.
 */
int datagram_ioctl(struct sock *sk, unsigned int cmd, unsigned long arg)
{
	struct sk_buff *skb;
	int amount;

	switch (cmd) {
	case SIOCINQ_SKBOS:
		skb = skb_peek(&sk->sk_receive_queue);
		amount = skb ? (int)skb->len : 0;
		break;
	case SIOCOUTQ_SKBOS:
		amount = sk->sk_wmem_alloc;
		break;
	default:
		return -ENOIOCTLCMD;
	}
	memcpy((void *)arg, &amount, sizeof(amount));
	return 0;
}

/**
 * put_cmsg - append a control message to @msg (net/core/scm.c): at
 * msg_control, which advances, msg_controllen counting down the room left,
 * so the caller reports what was used as the room it gave minus what is
 * left.  Too little room: MSG_CTRUNC and what fits, as the kernel copies.
 * Return: 0.
 */
int put_cmsg(struct msghdr *msg, int level, int type, unsigned int len, const void *data)
{
	size_t cmlen = CMSG_LEN(len), space;
	struct cmsghdr cm;

	if (!msg->msg_control || msg->msg_controllen < sizeof(cm)) {
		msg->msg_flags |= MSG_CTRUNC;
		return 0;
	}
	/* cut: cmsg_len says what was written, as the kernel's put_cmsg */
	if (msg->msg_controllen < cmlen) {
		msg->msg_flags |= MSG_CTRUNC;
		cmlen = msg->msg_controllen;
	}
	cm.cmsg_len = cmlen;
	cm.cmsg_level = level;
	cm.cmsg_type = type;
	memcpy(msg->msg_control, &cm, sizeof(cm));
	memcpy(CMSG_DATA((struct cmsghdr *)msg->msg_control), data, cmlen - sizeof(cm));
	space = CMSG_SPACE(len);
	if (space > msg->msg_controllen)
		space = msg->msg_controllen;
	msg->msg_control = (char *)msg->msg_control + space;
	msg->msg_controllen -= space;
	return 0;
}

/**
 * sk_send_sigurg - a new urgent pointer arrived (tcp_check_urg): SIGURG
 * for the owner F_SETOWN named, if any (RFC 9293 §3.8.5: "the receiving
 * TCP ... signal the user"; Linux's sk_send_sigurg).  The runtime that
 * recorded the owner delivers it; the core sends no signal itself.
 */
void sk_send_sigurg(struct sock *sk)
{
	struct socket *sock = sk->sk_socket;

	if (sock && sock->send_sigurg && sock->owner_pid)
		sock->send_sigurg(sock);
}

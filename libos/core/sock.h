/*
 * sock.h - struct socket, struct sock, and the dispatch tables between them
 * (include/linux/net.h, include/net/sock.h).
 *
 * The seeds' chain is literal:
 *   sock_sendmsg(sock) -> sock->ops->sendmsg (inet_sendmsg)
 *                      -> sk->sk_prot->sendmsg (udp_sendmsg, raw_sendmsg, tcp_sendmsg)
 * and the same for receive.  struct socket is the BSD-socket face (state,
 * type, proto_ops, wait queue); struct sock is the protocol's (queues,
 * buffer accounting, dst cache, errors, options).
 *
 * Everything here runs under the stack lock.  A call that must wait sleeps
 * through st->wait_ops (sk_wait_event), which the driver (loop.c) or the test
 * harness implements; the core itself never sleeps.
 */
#ifndef SKBOS_SOCK_H
#define SKBOS_SOCK_H

#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>

#include "types.h"
#include "list.h"
#include "skbuff.h"
#include "dst.h"
#include "net.h"

struct stack;
struct sock;
struct socket;
struct proto;
struct sk_buff;

/* ---- wait queues --------------------------------------------------------- */

struct wait_queue_entry;
typedef void (*wait_queue_func_t)(struct wait_queue_entry *wq_entry, unsigned int events);

/**
 * struct wait_queue_entry - someone interested in a socket's events: a
 * thread blocked in a call, or a readiness watcher (epoll/poll in the shim).
 * @events: the EPOLL* bits it cares about; 0 means all
 */
struct wait_queue_entry {
	struct list_head entry;
	wait_queue_func_t func;
	unsigned int events;
	void *private;
};

struct wait_queue_head {
	struct list_head head;
};

static inline void init_waitqueue_head(struct wait_queue_head *wq)
{
	INIT_LIST_HEAD(&wq->head);
}

void add_wait_queue(struct wait_queue_head *wq, struct wait_queue_entry *e);
void remove_wait_queue(struct wait_queue_head *wq, struct wait_queue_entry *e);
void wake_up_poll(struct wait_queue_head *wq, unsigned int events);

/**
 * struct stack_waiter - one blocked call (or poll), woken through the wait
 * queue entries it put on one or more sockets.
 * @woken: set by a wake-up; the waiter re-checks its condition
 * @driver: the driver's per-thread wake-up object (loop.c: an eventfd)
 */
struct stack_waiter {
	struct stack *st;
	bool woken;
	void *driver;
};

/**
 * struct stack_wait_ops - how a call blocks (DESIGN.md "Who drives the stack").
 * @wait: sleep until @w is woken or the stack clock reaches @deadline,
 *	driving the stack meanwhile (the thread that waits reaps the device);
 *	called and returning with the stack lock held.
 *	Return: 0 (woken, or progress made: re-check), -ETIMEDOUT, -EINTR.
 * @wake: @w was woken (stack lock held): get its thread out of @wait
 * @restart: optional: @wait said -EINTR; would the signal's handler have
 *	the call restarted (SA_RESTART)?  The socket layer asks it only where
 *	Linux restarts (a blocking call on a socket with no timeout).
 */
struct stack_wait_ops {
	int (*wait)(struct stack *st, struct stack_waiter *w, ktime_t deadline);
	void (*wake)(struct stack *st, struct stack_waiter *w);
	bool (*restart)(struct stack *st);
	/* optional: the driver's own counters, appended to stack_report's */
	void (*report)(const struct stack *st, FILE *out);
};

void waiter_init(struct stack_waiter *w, struct stack *st);
void waiter_add(struct stack_waiter *w, struct wait_queue_head *wq, struct wait_queue_entry *e,
		unsigned int events);
int waiter_wait(struct stack_waiter *w, ktime_t deadline);

/* ---- struct sock ---------------------------------------------------------- */

/* sk_flags bits */
enum sock_flags {
	SOCK_DEAD,
	SOCK_DONE,
	SOCK_BROADCAST,
	SOCK_KEEPOPEN,
	SOCK_LINGER,
	SOCK_ZAPPED, /* not bound to a port yet */
	SOCK_LOCALROUTE, /* SO_DONTROUTE */
	SOCK_RCVTSTAMP,  /* SO_TIMESTAMP */
	SOCK_RCVTSTAMPNS, /* SO_TIMESTAMPNS (with SOCK_RCVTSTAMP) */
	SOCK_URGINLINE,   /* SO_OOBINLINE */
	/* a writer found no room (poll reported no EPOLLOUT, or a send had to
	 * wait): the protocol owes it a wake-up once there is (Linux keeps it
	 * in struct socket's flags) */
	SOCK_NOSPACE,
	/* the protocol wakes writers itself (TCP, from its ACK path), not the
	 * free of each send-buffer skb (Linux's sock_wfree) */
	SOCK_USE_WRITE_QUEUE,
};

/* sk_shutdown */
#define RCV_SHUTDOWN 1
#define SEND_SHUTDOWN 2
#define SHUTDOWN_MASK 3

/* sk_userlocks */
#define SOCK_SNDBUF_LOCK 1
#define SOCK_RCVBUF_LOCK 2
#define SOCK_BINDADDR_LOCK 4
#define SOCK_BINDPORT_LOCK 8

/* Linux's defaults (net.core.rmem_default, wmem_default, *_max; SOCK_MIN_*BUF). */
#define SK_RMEM_DEFAULT 212992
#define SK_WMEM_DEFAULT 212992
#define SK_RMEM_MAX 212992
#define SK_WMEM_MAX 212992
#define SOCK_MIN_SNDBUF 4608
#define SOCK_MIN_RCVBUF 2304

/*
 * TCP states (TCP_ESTABLISHED ... TCP_CLOSING) come from <netinet/tcp.h>
 * with the kernel's values; UDP uses ESTABLISHED for "connected", as Linux.
 */
#define TCP_NEW_SYN_RECV 12
#define TCP_MAX_STATES 13

/**
 * struct sock - the network-layer representation of a socket.
 * @sk_num: bound local port, host order (0: none yet)
 * @sk_rcv_saddr: bound local address (0: any)
 * @sk_daddr/@sk_dport: the connected peer (0: none)
 * @sk_v6_rcv_saddr/@sk_v6_daddr: the same two addresses of an AF_INET6
 *	socket (Linux's sock_common skc_v6_rcv_saddr/skc_v6_daddr); its IPv4
 *	fields stay 0
 * @sk_rmem_alloc/@sk_wmem_alloc: truesize of skbs charged to the socket,
 *	received and not yet read / sent and not yet freed by the device
 * @sk_rcvtimeo/@sk_sndtimeo: SO_RCVTIMEO/SO_SNDTIMEO in ns; KTIME_MAX: none
 * @sk_dst_cache: the route of a connected socket (__sk_dst_check)
 * @sk_err: pending error (positive errno), returned by the next call
 * @sk_max_ack_backlog: listen()'s backlog (TCP: capped at 4096)
 */
struct sock {
	unsigned short sk_family;
	u8 sk_state;
	u8 sk_reuse : 1, sk_reuseport : 1;
	int sk_bound_dev_if;
	__be32 sk_rcv_saddr;
	__be32 sk_daddr;
	struct in6_addr sk_v6_rcv_saddr;
	struct in6_addr sk_v6_daddr;
	u16 sk_num;
	__be16 sk_dport;
	struct list_head sk_bind_node;

	struct stack *sk_stack;
	const struct proto *sk_prot;
	struct socket *sk_socket;
	unsigned short sk_type;
	unsigned short sk_protocol;
	int sk_refcnt;

	struct sk_buff_head sk_receive_queue;
	struct sk_buff_head sk_write_queue;
	struct sk_buff_head sk_error_queue;
	int sk_rmem_alloc;
	int sk_wmem_alloc;
	int sk_rcvbuf;
	int sk_sndbuf;
	u8 sk_userlocks;
	u8 sk_shutdown;
	int sk_rcvlowat;
	int sk_max_ack_backlog;
	ktime_t sk_rcvtimeo;
	ktime_t sk_sndtimeo;
	u64 sk_timeo_ticks_big; /* a timeout beyond ktime's range, in ticks, to read back */
	int sk_err;
	int sk_err_soft;
	unsigned long sk_flags;
	long sk_lingertime; /* in ticks of sysctl.hz, as Linux keeps it in jiffies */
	u32 sk_priority;
	u32 sk_mark;
	u32 sk_tsflags; /* SO_TIMESTAMPING's SOF_TIMESTAMPING_* */
	u64 sk_drops;
	struct dst_entry *sk_dst_cache;
	struct wait_queue_head sk_wq;

	void (*sk_state_change)(struct sock *sk);
	void (*sk_data_ready)(struct sock *sk);
	void (*sk_write_space)(struct sock *sk);
	void (*sk_error_report)(struct sock *sk);
};

static inline bool sock_flag(const struct sock *sk, enum sock_flags f)
{
	return sk->sk_flags & (1ul << f);
}

static inline void sock_set_flag(struct sock *sk, enum sock_flags f)
{
	sk->sk_flags |= 1ul << f;
}

static inline void sock_reset_flag(struct sock *sk, enum sock_flags f)
{
	sk->sk_flags &= ~(1ul << f);
}

static inline void sock_valbool_flag(struct sock *sk, enum sock_flags f, int val)
{
	if (val)
		sock_set_flag(sk, f);
	else
		sock_reset_flag(sk, f);
}

/**
 * struct inet_sock - IPv4 facts of a socket (include/net/inet_sock.h).
 * @inet_saddr: source address used for sending (chosen at connect/send)
 * @uc_ttl: IP_TTL, -1 for the default
 * @pmtudisc: IP_MTU_DISCOVER mode
 */
struct inet_sock {
	struct sock sk;
	__be32 inet_saddr;
	__be16 inet_sport;
	int uc_ttl;
	u8 tos;
	u8 pmtudisc;
	u8 recverr : 1, hdrincl : 1, mc_loop : 1, pktinfo : 1, recvtos : 1, recvttl : 1,
	   origdstaddr : 1;
	u8 mc_ttl;
	u8 rcv_tos; /* TCP: the TOS the connection's SYN came with */
	int rx_dst_ifindex; /* TCP: the (host) ifindex it arrived on */
	u16 inet_id;
};

static inline struct inet_sock *inet_sk(const struct sock *sk)
{
	return (struct inet_sock *)(void *)sk;
}

/* sock.c */
struct sock *sk_alloc(struct stack *st, int family, const struct proto *prot);
void sk_free(struct sock *sk);
void sock_init_data(struct socket *sock, struct sock *sk);
int sk_setsockopt(struct socket *sock, int level, int optname, const void *optval,
		  unsigned int optlen);
int sk_getsockopt(struct socket *sock, int level, int optname, void *optval,
		  unsigned int *optlen);
int sock_error(struct sock *sk);
int put_cmsg(struct msghdr *msg, int level, int type, unsigned int len, const void *data);
void skb_set_owner_r(struct sk_buff *skb, struct sock *sk);
void skb_set_owner_w(struct sk_buff *skb, struct sock *sk);
int sock_queue_rcv_skb(struct sock *sk, struct sk_buff *skb);
struct sk_buff *sock_alloc_send_skb(struct sock *sk, unsigned int size, int noblock, int *errcode);
bool sock_writeable(const struct sock *sk);
ktime_t sock_rcvtimeo(const struct sock *sk, bool noblock);
ktime_t sock_sndtimeo(const struct sock *sk, bool noblock);
int sk_wait(struct sock *sk, ktime_t *timeo);
int sock_intr_errno(ktime_t timeo);
void sk_dst_set(struct sock *sk, struct dst_entry *dst);
void sk_dst_reset(struct sock *sk);
struct dst_entry *__sk_dst_check(struct sock *sk);
int memcpy_from_msg(void *data, struct msghdr *msg, size_t len, size_t *offset);
int memcpy_to_msg(struct msghdr *msg, const void *data, size_t len, size_t *offset);
size_t msg_data_left(const struct msghdr *msg);
void sock_def_wakeup(struct sock *sk);
u16 inet_ephemeral_port(struct sock *sk,
			bool (*inuse)(struct stack *st, const struct sock *sk, u16 port));
int datagram_ioctl(struct sock *sk, unsigned int cmd, unsigned long arg);

/**
 * sk_wait_event - block until @condition holds, *@timeo runs out (-EAGAIN
 * for a non-blocking call, i.e. *@timeo == 0), or a signal (-EINTR).
 * Evaluates to 0 or that -errno.  The stack lock is held throughout except
 * inside st->wait_ops->wait.
 */
#define sk_wait_event(sk, timeo, condition)                                    \
	({                                                                     \
		int __rc = 0;                                                  \
		while (!(condition)) {                                         \
			__rc = sk_wait(sk, timeo);                             \
			if (__rc)                                              \
				break;                                         \
		}                                                              \
		(condition) ? 0 : __rc;                                        \
	})

/* sock.c: tell the socket's owner of new urgent data (Linux's sk_send_sigurg) */
void sk_send_sigurg(struct sock *sk);

#endif /* SKBOS_SOCK_H */

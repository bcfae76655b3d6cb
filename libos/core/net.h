/*
 * net.h - the socket layer's face (include/linux/net.h, net/socket.c): what
 * the two callers above the core - the native API (libos/runtime/
 * api_socket.c) and the LD_PRELOAD shim (preload/) - may use of it.
 *
 *   skbos_bind() / bind(2) -> sock_bind(sock, addr, len)   (the syscall's checks)
 *                          -> sock->ops->bind (inet_bind) -> sk->sk_prot ...
 *
 * The sock_* calls below take what the program passed, check it as Linux's
 * net/socket.c does (EFAULT, EINVAL, EMSGSIZE), wait as the socket says
 * (O_NONBLOCK, SO_RCVTIMEO), restart where Linux restarts after a signal
 * (SA_RESTART, stack_wait_ops.restart), and return 0/count or -errno;
 * sock_sysret() is the one place a -errno becomes errno.  Stack lock held
 * for every call.  struct sock stays the core's (sock.h): a caller asks
 * about it through the accessors at the end.
 */
#ifndef SKBOS_NET_H
#define SKBOS_NET_H

#include <errno.h>
#include <stdbool.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "types.h"

struct stack;
struct sock;
struct socket;

typedef enum {
	SS_FREE = 0,
	SS_UNCONNECTED,
	SS_CONNECTING,
	SS_CONNECTED,
	SS_DISCONNECTING
} socket_state;

/**
 * struct proto_ops - what the socket layer calls (inet_dgram_ops ...).
 * Every function returns 0/count or -errno.
 */
struct proto_ops {
	int family;
	int (*release)(struct socket *sock);
	int (*bind)(struct socket *sock, const struct sockaddr *addr, int addrlen);
	int (*connect)(struct socket *sock, const struct sockaddr *addr, int addrlen, int flags);
	int (*accept)(struct socket *sock, struct socket *newsock, int flags);
	int (*getname)(struct socket *sock, struct sockaddr *addr, int peer);
	unsigned int (*poll)(struct socket *sock);
	int (*ioctl)(struct socket *sock, unsigned int cmd, unsigned long arg);
	int (*listen)(struct socket *sock, int backlog);
	int (*shutdown)(struct socket *sock, int how);
	int (*setsockopt)(struct socket *sock, int level, int optname, const void *optval,
			  unsigned int optlen);
	int (*getsockopt)(struct socket *sock, int level, int optname, void *optval,
			  unsigned int *optlen);
	int (*sendmsg)(struct socket *sock, struct msghdr *msg, size_t len);
	int (*recvmsg)(struct socket *sock, struct msghdr *msg, size_t len, int flags);
};

/**
 * struct proto - a transport (udp_prot, raw_prot, tcp_prot).
 * @obj_size: bytes of its struct (udp_sock ...), whose first member is a sock
 */
struct proto {
	const char *name;
	size_t obj_size;
	int (*init)(struct sock *sk);
	void (*close)(struct sock *sk, long timeout);
	void (*destroy)(struct sock *sk);
	int (*connect)(struct sock *sk, const struct sockaddr *addr, int addrlen);
	int (*disconnect)(struct sock *sk, int flags);
	int (*bind)(struct sock *sk, const struct sockaddr *addr, int addrlen);
	int (*get_port)(struct sock *sk, u16 port);
	void (*unhash)(struct sock *sk);
	int (*sendmsg)(struct sock *sk, struct msghdr *msg, size_t len);
	int (*recvmsg)(struct sock *sk, struct msghdr *msg, size_t len, int flags, int *addr_len);
	int (*setsockopt)(struct sock *sk, int level, int optname, const void *optval, unsigned int optlen);
	int (*getsockopt)(struct sock *sk, int level, int optname, void *optval, unsigned int *optlen);
	int (*ioctl)(struct sock *sk, unsigned int cmd, unsigned long arg);
	int (*shutdown)(struct sock *sk, int how);
};

/**
 * struct socket - the BSD socket: what a handle or fd refers to.
 * @file_flags: O_NONBLOCK (fcntl/FIONBIO/SOCK_NONBLOCK)
 * @refcnt: handles, fds (dup) and calls in flight holding it (sock_get/sock_put)
 * @destruct: optional, the owner's: what it keeps for the socket goes,
 *	just before the last sock_put releases it (the shim's epoll items);
 *	true keeps the socket, which the owner releases later (a connection
 *	another process holds: the shim's inherit.c)
 */
struct socket {
	socket_state state;
	short type;
	unsigned int file_flags;
	const struct proto_ops *ops;
	struct sock *sk;
	struct stack *stack;
	int refcnt;
	bool (*destruct)(struct socket *sock);
	/* F_SETOWN/F_SETOWN_EX (Linux's file f_owner): who gets SIGURG when
	 * urgent data is announced; the shim records it and delivers */
	int owner_type, owner_pid;
	void (*send_sigurg)(const struct socket *sock);
};

/* ioctls (FIONREAD is Linux's SIOCINQ, TIOCOUTQ its SIOCOUTQ). */
#define SIOCINQ_SKBOS 0x541B
#define SIOCOUTQ_SKBOS 0x5411
#define SIOCOUTQNSD_SKBOS 0x894B /* unsent bytes (TCP) */
#define SIOCATMARK_SKBOS 0x8905
/* A protocol does not know the ioctl: the file layer answers ENOTTY. */
#define ENOIOCTLCMD 515

/* The socket type without SOCK_NONBLOCK/SOCK_CLOEXEC (Linux's SOCK_TYPE_MASK). */
#define SOCK_TYPE_MASK_SKBOS 0xf

/* ---- creating, referencing, releasing ------------------------------------ */

int sock_create(struct stack *st, int family, int type, int protocol, struct socket **res);
void sock_release(struct socket *sock);

/* A handle, an fd or a call in flight holds a reference (Linux: fget/fput). */
static inline void sock_get(struct socket *sock)
{
	sock->refcnt++;
}

void sock_put(struct socket *sock);

/* ---- the calls, as the program makes them --------------------------------- */

int sock_check_addr(const struct sockaddr *addr, socklen_t len);
int sock_bind(struct socket *sock, const struct sockaddr *addr, socklen_t len);
int sock_connect(struct socket *sock, const struct sockaddr *addr, socklen_t len);
int sock_listen(struct socket *sock, int backlog);
int sock_accept4(struct socket *sock, struct socket **res, const struct sockaddr *addr,
		 const socklen_t *len, int flags);
int sock_shutdown(struct socket *sock, int how);
int __sock_getname(struct socket *sock, struct sockaddr_storage *ss, int peer);
int sock_getname(struct socket *sock, struct sockaddr *addr, socklen_t *len, int peer);
int sock_setsockopt(struct socket *sock, int level, int name, const void *val, socklen_t len);
int sock_getsockopt(struct socket *sock, int level, int name, void *val, socklen_t *len);
int sock_ioctl(struct socket *sock, unsigned long cmd, void *arg);
int sock_getfl(const struct socket *sock);
void sock_setfl(struct socket *sock, long flags);
int sock_check_msghdr(const struct msghdr *msg, bool recv);
long sock_sendmsg_user(struct socket *sock, const struct msghdr *umsg, int flags, bool *sigpipe);
long sock_recvmsg_user(struct socket *sock, struct msghdr *msg, int flags);
unsigned int sock_poll(struct socket *sock);
short sock_revents(struct socket *sock, short events);

/* the core's own (tests, the harness): no checks, no restart */
int sock_sendmsg(struct socket *sock, struct msghdr *msg);
int sock_recvmsg(struct socket *sock, struct msghdr *msg, int flags);
int sock_accept(struct socket *sock, struct socket **res, int flags);

/**
 * sock_sysret - a layer call's result as a system call returns it: @rc, or
 * -1 with errno (ENOIOCTLCMD, a protocol not knowing an ioctl, is ENOTTY
 * as the file layer answers).  Inline: the core never touches errno; its
 * callers do, here and nowhere else.
 */
static inline long sock_sysret(long rc)
{
	if (rc >= 0)
		return rc;
	errno = rc == -ENOIOCTLCMD ? ENOTTY : (int)-rc;
	return -1;
}

/* ---- what a caller may ask of a socket (the shim: handover, fork, poll) --- */

bool sock_is_listening(const struct socket *sock);
u16 sock_local_port(const struct socket *sock);
bool sock_port_locked(const struct socket *sock);
bool sock_uncommitted(const struct socket *sock);
int sock_protocol(const struct socket *sock);
int sock_backlog(const struct socket *sock);
void sock_port_join(struct stack *st, u16 port);
void sock_listen_interest(struct socket *sock);
/* What one device of the stack shows a program (getifaddrs, RTM_GETADDR):
 * the host's ifindex and name, its IPv4 address. */
struct inet_dev_addr {
	int ifindex;
	char name[IF_NAMESIZE];
	unsigned int flags;
	struct in_addr addr, mask, brd;
	unsigned char prefixlen;
};

struct net_device;
int inet_dev_addrs(struct stack *st, const struct net_device *skip, struct inet_dev_addr *out,
		   int max);
bool inet_has_route(struct stack *st, __be32 daddr);
bool inet_is_local_addr(struct stack *st, __be32 addr);
bool inet6_has_route(struct stack *st, const struct in6_addr *daddr);
bool inet6_is_local_addr(struct stack *st, const struct in6_addr *addr);

#endif /* SKBOS_NET_H */

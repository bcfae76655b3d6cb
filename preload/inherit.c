/*
 * inherit.c - connected TCP sockets shared with children of fork, sent
 * with SCM_RIGHTS and passed across exec (DESIGN.md "fork/exec and many
 * processes": inherited connections).
 *
 * On Linux a connection inherited by fork is one socket with two fds; a
 * close drops one reference and the connection ends with the last one.
 * Here each process has its own stack, so a connection lives in one of
 * them at a time, its owner's:
 *
 *   fork (parent, atfork prepare) -> inherit_fork_prepare: the placeholder
 *	of every connected socket becomes one end (X) of a SEQPACKET pair
 *	whose other end (Y) only the owner holds.  Every process that has the
 *	fd holds X: the kernel counts the holders, as it counts a socket's
 *	file references, and Y reads POLLHUP when the last X is closed.
 *   a child's first call on it -> inherit_adopt: it asks over X (its
 *	reply socket passed with SCM_RIGHTS) -> the owner's stack thread,
 *	inherit_serve: tcp_repair_get, the port to the child, tcp_repair_detach
 *	(sends nothing) -> the reply: the state, the queued bytes, and Y ->
 *	tcp_repair_set in the child's stack, which owns it from then on.
 *   the owner's last close -> inherit_keep: if another process still holds
 *	X, no FIN: the connection stays alive in the owner's stack for them,
 *	until one takes it or Y reads POLLHUP (then it is closed as Linux
 *	closes a socket at its last reference: FIN, or RST over unread data).
 *
 * SCM_RIGHTS and exec: X is bound to an abstract name ("skbos-conn-PID-N"),
 * by which a process with no copy of our memory knows it: an skbos
 * connection sent over a Unix socket travels as its X (inherit_pass_fd)
 * and the receiver marks it a pending socket (inherit_received_fd); a
 * child that dup2s an inherited connection onto 0 and 1 and execs keeps X
 * (inherit_dup), and the new program, under skbos too, finds it at load
 * (inherit_scan_exec).  Either takes it over at its first call, as above.
 *
 * Rule when more than one process uses it: the first process other than
 * the owner to make a call on it takes it; the one it was taken from gets
 * EBADF on every later call on its fd (a "moved" socket), as a child got
 * for every inherited socket before; close of that fd sends nothing.
 * Linux would let both read and write one byte stream; no program this
 * serves relies on that (the parent closes its copy), and a stream split
 * between two stacks could not be kept in order.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>

#include "shim.h"
#include "instance.h"
#include "loop.h"
#include "portshare.h"
#include "sock.h"
#include "tcp.h"
#include "tcp_repair.h"
#include "log.h"

#define INH_REQ_MAGIC 0x71686e69u /* "inhq" */
/* X's abstract name: how a process that got the fd by SCM_RIGHTS or exec,
 * with no copy of our memory, knows it for a connection of skbos's. */
#define INH_NAME "skbos-conn-"

#define INH_TIMEOUT_S 5 /* a reply not read (or sent) by then: the owner keeps it */

/* A connection this process owns that other processes may hold (X). */
struct inh {
	struct inh *next;
	struct socket *sock;
	int y;     /* our end of the pair */
	int epfd;  /* the epoll set it is in (the instance's chan_epfd) */
	bool held; /* no fd of ours names it: alive for the other holders */
};

/* By socket pointer (stack lock): every close asks, so no list walk. */
#define INH_BUCKETS 1024
static struct inh *inh_table[INH_BUCKETS];
static unsigned int inh_count;
bool inherit_any_moved; /* a connection of ours was taken: check calls (inherit_moved) */

struct inh_req {
	u32 magic;
	s32 slot; /* the asking process's port table slot, -1: none */
};

struct inh_reply {
	u32 magic;
	s32 err; /* 0, or the errno the asker's call gets */
	struct tcp_repair r;
};

static struct inh **inh_bucket(const struct socket *sock)
{
	uintptr_t k = (uintptr_t)sock;

	return &inh_table[(k >> 4 ^ k >> 14) % INH_BUCKETS];
}

static struct inh *inh_find(const struct socket *sock)
{
	for (struct inh *h = *inh_bucket(sock); h; h = h->next)
		if (h->sock == sock)
			return h;
	return NULL;
}

static void inh_add(struct inh *h)
{
	struct inh **b = inh_bucket(h->sock);

	h->next = *b;
	*b = h;
	inh_count++;
}

static void inh_unlink(struct inh *h)
{
	for (struct inh **p = inh_bucket(h->sock); *p; p = &(*p)->next) {
		if (*p == h) {
			*p = h->next;
			inh_count--;
			break;
		}
	}
	/* Out of the set first: epoll watches the open file, which lives on
	 * in the process we passed Y to. */
	real.epoll_ctl(h->epfd, EPOLL_CTL_DEL, h->y, NULL);
	real.close(h->y);
	free(h);
}

/* Is @h still ours (an epoll event may name one freed since)? */
static bool inh_live(const struct inh *h)
{
	for (int b = 0; b < INH_BUCKETS; b++)
		for (const struct inh *p = inh_table[b]; p; p = p->next)
			if (p == h)
				return true;
	return false;
}

static bool inh_eligible(const struct socket *sock)
{
	const struct sock *sk = sock->sk;

	return sock->type == SOCK_STREAM && sk && sk->sk_protocol == IPPROTO_TCP &&
	       (sk->sk_state == TCP_ESTABLISHED || sk->sk_state == TCP_CLOSE_WAIT) &&
	       !tcp_sk(sk)->migrated;
}

/*
 * Watch @h's channel in the instance's channel epoll set.  Return: 0, or
 * -errno: -EBADF when the process has no such set (its epoll_create1 failed
 * at start, as epoll_ctl on a bad epfd answers); the caller then leaves the
 * connection with its owner.
 */
static int inh_watch(struct skbos_instance *in, struct inh *h)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = h };

	if (in->chan_epfd < 0)
		return -EBADF;
	h->epfd = in->chan_epfd;
	return real.epoll_ctl(in->chan_epfd, EPOLL_CTL_ADD, h->y, &ev) ? -errno : 0;
}

/* Name X (abstract, so nothing is left behind): "skbos-conn-PID-N". */
static int inh_mark(int x)
{
	static unsigned int seq;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int n = snprintf(sun.sun_path + 1, sizeof(sun.sun_path) - 1, INH_NAME "%d-%u",
			 (int)getpid(), seq++);

	return real.bind(x, (struct sockaddr *)&sun,
			 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)) ? -errno : 0;
}

/* Is @fd an X (its abstract name is ours)? */
static bool inh_is_x(int fd)
{
	struct sockaddr_un sun;
	socklen_t len = sizeof(sun);

	return !real.getsockname(fd, (struct sockaddr *)&sun, &len) && sun.sun_family == AF_UNIX &&
	       len > offsetof(struct sockaddr_un, sun_path) + sizeof(INH_NAME) &&
	       !sun.sun_path[0] && !memcmp(sun.sun_path + 1, INH_NAME, sizeof(INH_NAME) - 1);
}

/* Give @sock a pair: X over every fd naming it, Y ours.  Stack lock held. */
static void inh_convert(struct skbos_instance *in, struct socket *sock)
{
	struct inh *h = calloc(1, sizeof(*h));
	int sv[2];

	if (!h || real.socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		free(h);
		return;
	}
	h->sock = sock;
	h->y = sv[1];
	if (inh_mark(sv[0]) || inh_watch(in, h)) {
		real.close(sv[0]);
		real.close(sv[1]);
		free(h);
		return;
	}
	/* O_NONBLOCK is the open file's: a process the fd is sent to sees it */
	if (sock->file_flags & O_NONBLOCK)
		real.fcntl(sv[0], F_SETFL, O_NONBLOCK);
	for (int f = 0; f < fdt_high_load(); f++)
		if (fd_entry_sock(fd_peek(f)) == sock)
			real.dup3(sv[0], f, O_CLOEXEC); /* (FD_CLOEXEC is kept in the entry) */
	real.close(sv[0]);
	inh_add(h);
}

/*
 * The pairs cost the owner one fd per connection for as long as it lives:
 * a fork converts only while that leaves a quarter of RLIMIT_NOFILE free,
 * so that a server with many connections that forks (redis's BGSAVE) never
 * runs out of fds for new ones; the connections past that stay the
 * parent's (EBADF in a child, as before).
 */
static int inh_budget(void)
{
	struct rlimit rl;
	int used = 0;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1 << 26)
		return 1 << 20;
	for (int f = 0; f < fdt_high_load(); f++)
		used += fd_peek(f) != 0;
	used += fdt_high_load() / 4; /* (kernel fds we do not see: a guess) */
	return (int)(rl.rlim_cur * 3 / 4) - used - (int)inh_count;
}

/**
 * inherit_fork_prepare - before a fork (stack lock held): every connected
 * TCP socket of ours gets its pair, so the child inherits X.
 */
void inherit_fork_prepare(struct skbos_instance *in)
{
	int budget = inh_budget();

	for (int f = 0; f < fdt_high_load() && budget > 0; f++) {
		struct socket *sock = fd_entry_sock(fd_peek(f));

		if (sock && !sock_is_orphan(sock, in) && inh_eligible(sock) && !inh_find(sock)) {
			inh_convert(in, sock);
			budget--;
		}
	}
}

/** inherit_fork_child - in the child: the Ys are the parent's, not ours. */
void inherit_fork_child(void)
{
	for (int b = 0; b < INH_BUCKETS; b++) {
		while (inh_table[b]) {
			struct inh *h = inh_table[b];

			inh_table[b] = h->next;
			real.close(h->y);
			free(h);
		}
	}
	inh_count = 0;
}

/* Does any process other than us still hold X? */
static bool inh_others_hold(const struct inh *h)
{
	struct pollfd p = { .fd = h->y, .events = POLLIN };

	return real.poll(&p, 1, 0) >= 0 && !(p.revents & (POLLHUP | POLLERR));
}

/**
 * inherit_keep - the last reference of ours to @sock goes (stack lock
 * held): true if it stays alive for another process that holds it (the
 * caller releases nothing), false to release it as usual.
 */
bool inherit_keep(struct socket *sock)
{
	struct inh *h = inh_count ? inh_find(sock) : NULL;

	if (!h)
		return false;
	if (inh_others_hold(h) && !tcp_sk(sock->sk)->migrated) {
		h->held = true;
		return true;
	}
	inh_unlink(h);
	return false;
}

/* The socket's last reference went while another process held it. */
static void inh_release(struct inh *h)
{
	struct socket *sock = h->sock;

	inh_unlink(h);
	sock->refcnt = 1;
	sock_put(sock);
}

/* Send @len bytes of @buf (and @fd with the first, if >= 0) on @s. */
static int inh_send(int s, const void *buf, size_t len, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	size_t off = 0;

	while (off < len) {
		struct iovec iov = { (char *)buf + off, len - off };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n;

		if (fd >= 0) {
			struct cmsghdr *c;

			m.msg_control = cbuf;
			m.msg_controllen = sizeof(cbuf);
			c = CMSG_FIRSTHDR(&m);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(c), &fd, sizeof(int));
		}
		n = real.sendmsg(s, &m, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EPIPE;
		off += (size_t)n;
		fd = -1;
	}
	return 0;
}

/* Receive exactly @len bytes into @buf (and an fd with the first into *@fd). */
static int inh_recv(int s, void *buf, size_t len, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	size_t off = 0;

	while (off < len) {
		struct iovec iov = { (char *)buf + off, len - off };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = fd ? cbuf : NULL,
				    .msg_controllen = fd ? sizeof(cbuf) : 0 };
		ssize_t n = real.recvmsg(s, &m, MSG_CMSG_CLOEXEC | MSG_WAITALL);
		struct cmsghdr *c;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EPIPE;
		for (c = fd ? CMSG_FIRSTHDR(&m) : NULL; c; c = CMSG_NXTHDR(&m, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
				memcpy(fd, CMSG_DATA(c), sizeof(int));
		off += (size_t)n;
		fd = NULL;
	}
	return 0;
}

static void inh_timeouts(int s)
{
	struct timeval tv = { .tv_sec = INH_TIMEOUT_S };

	real.setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	real.setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

/*
 * Hand @h's connection to the process that asked (its reply socket @rs,
 * its port table slot @slot).  Stack lock held.  The state is taken
 * before anything changes; once the reply is sent the connection is the
 * asker's and ours sends nothing more.
 */
static void inh_hand_over(struct skbos_instance *in, struct inh *h, int rs, int slot)
{
	struct sock *sk = h->sock->sk;
	struct inh_reply rep = { .magic = INH_REQ_MAGIC };
	u8 *buf = NULL;

	rep.err = -tcp_repair_get(sk, &rep.r);
	if (!rep.err && !(buf = malloc(rep.r.rx_len + rep.r.tx_len + 1)))
		rep.err = ENOMEM;
	if (rep.err) {
		/* (a state that does not move: the asker's call gets EBADF) */
		inh_send(rs, &rep, sizeof(rep), -1);
		return;
	}
	tcp_repair_copy_queues(sk, &rep.r, buf, buf + rep.r.rx_len);
	/* From here the connection is the asker's: ours sends nothing more,
	 * and its port is the asker's (a group's port stays the group's), so
	 * a segment arriving before the asker has it meets no reset here. */
	tcp_repair_detach(sk);
	inherit_any_moved = true;
	stack_port_give(in->st, IPPROTO_TCP, sk->sk_num, slot);
	inh_timeouts(rs);
	if (inh_send(rs, &rep, sizeof(rep), h->y) ||
	    inh_send(rs, buf, rep.r.rx_len + rep.r.tx_len, -1))
		skb_log(in->st, LOG_WARN, "the connection %u->%u was lost in its handover: the process "
			"that asked for it is gone", sk->sk_num, ntohs(sk->sk_dport));
	free(buf);
	if (h->held)
		inh_release(h);
	else
		inh_unlink(h);
}

/* Requests waiting on @h's Y, then its hang-up.  Stack lock held. */
static void inh_serve_one(struct skbos_instance *in, struct inh *h, u32 events)
{
	for (;;) {
		struct inh_req req;
		int rs = -1;
		struct iovec iov = { &req, sizeof(req) };
		char cbuf[CMSG_SPACE(sizeof(int))];
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf) };
		ssize_t n = real.recvmsg(h->y, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		struct cmsghdr *c;

		if (n < 0)
			break;
		if (n == 0) {
			events |= EPOLLHUP;
			break;
		}
		for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
				memcpy(&rs, CMSG_DATA(c), sizeof(int));
		if (rs < 0)
			continue;
		if (n == sizeof(req) && req.magic == INH_REQ_MAGIC) {
			inh_hand_over(in, h, rs, req.slot);
			real.close(rs);
			return; /* @h is gone if it was handed over */
		}
		real.close(rs);
	}
	if ((events & (EPOLLHUP | EPOLLERR)) && !inh_others_hold(h)) {
		if (h->held)
			inh_release(h); /* the last holder closed it without a call */
		else
			inh_unlink(h);
	}
}

/**
 * inherit_serve - the stack thread: a channel is ready (instance.h).
 */
void inherit_serve(struct skbos_instance *in)
{
	struct epoll_event ev[16];
	int n;

	shim_lock(in);
	n = real.epoll_wait(in->chan_epfd, ev, 16, 0);
	for (int i = 0; i < n; i++) {
		struct inh *h = ev[i].data.ptr;

		if (inh_live(h))
			inh_serve_one(in, h, ev[i].events);
	}
	shim_unlock(in);
}

/**
 * inherit_exit - the process ends: the connections it keeps alive for
 * others are closed now (FIN), since its stack goes with it.  Stack lock
 * held.  (Linux would keep them for the other holders; the owner's exit
 * ends them here, after they have delivered what they hold.)
 */
void inherit_exit(void)
{
	for (int b = 0; b < INH_BUCKETS; b++) {
		while (inh_table[b]) {
			struct inh *h = inh_table[b];

			if (h->held)
				inh_release(h);
			else
				inh_unlink(h);
		}
	}
}

/* Ask the owner through X (@fd) for the connection.  Return: 0 or -errno. */
static int inh_ask(int fd, int slot, struct inh_reply *rep, u8 **buf, int *y)
{
	struct inh_req req = { .magic = INH_REQ_MAGIC, .slot = slot };
	int sv[2], rc;

	if (real.socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -errno;
	rc = inh_send(fd, &req, sizeof(req), sv[1]);
	real.close(sv[1]);
	inh_timeouts(sv[0]);
	if (!rc)
		rc = inh_recv(sv[0], rep, sizeof(*rep), y);
	if (!rc && (rep->magic != INH_REQ_MAGIC || rep->err))
		rc = rep->magic != INH_REQ_MAGIC ? -EPROTO : -rep->err;
	if (!rc && !(*buf = malloc(rep->r.rx_len + rep->r.tx_len + 1)))
		rc = -ENOMEM;
	if (!rc)
		rc = inh_recv(sv[0], *buf, rep->r.rx_len + rep->r.tx_len, NULL);
	real.close(sv[0]);
	if (!rc && *y < 0)
		rc = -EPROTO;
	return rc;
}

/* Build the connection of @rep in our stack; every fd naming @old names it. */
static int inh_build(struct skbos_instance *in, struct socket *old, const struct inh_reply *rep,
		     const u8 *buf, bool group, struct socket **out)
{
	struct socket *sock;
	int rc = sock_create(in->st, AF_INET, SOCK_STREAM, IPPROTO_TCP, &sock);

	if (rc)
		return rc;
	sock->file_flags = old->file_flags;
	rc = shim_inherit_aux(old, sock);
	if (!rc)
		rc = tcp_repair_set(sock->sk, &rep->r, buf, buf + rep->r.rx_len);
	if (!rc && !group)
		rc = stack_port_claim(in->st, IPPROTO_TCP, rep->r.num);
	if (rc) {
		sock_put(sock);
		return rc;
	}
	tcp_inherit_port(sock->sk, rep->r.num);
	*out = sock;
	return 0;
}

/* Every fd naming @old names @sock from now on; Return: how many. */
static int inh_replace(struct socket *old, struct socket *sock)
{
	int refs = 0;

	for (int f = 0; f < fdt_high_load(); f++) {
		uintptr_t e = fd_peek(f);

		if (e && fd_entry_sock(e) == old) {
			fdt_set(f, (uintptr_t)sock | (e & FDT_TAGS));
			refs++;
		}
	}
	return refs;
}

/*
 * A connection of a listener group's port: be a member holding
 * connections (its frames let in, nobody resetting them), and claim it.
 * Return: 1 (a group: claimed), 0 (not a group), -errno.
 */
static int inh_join(struct skbos_instance *in, u16 port)
{
	if (!stack_port_conn_join(in->st, port))
		return 0;
	return stack_port_claim(in->st, IPPROTO_TCP, port) ?: 1;
}

/**
 * inherit_adopt - @fd names @old, a connection of another process's stack:
 * a connected socket we inherited by fork (the parent's memory, frozen in
 * ours), or one that came by SCM_RIGHTS (a pending socket, nothing known
 * of it but its X): take the connection over (the file's header).  Stack
 * lock of @in held.  Return: 0 (every fd naming @old names our new
 * socket), or -errno (nothing changed: the call gets EBADF).
 */
int inherit_adopt(struct skbos_instance *in, int fd, struct socket *old)
{
	bool pending = !old->sk;
	struct inh_reply rep;
	struct socket *sock = NULL;
	struct stat sb;
	struct inh *h = NULL;
	u8 *buf = NULL;
	int y = -1, rc, group = 0;

	if (fstat(fd, &sb) || !S_ISSOCK(sb.st_mode) || (!pending && !inh_eligible(old)))
		return -EBADF;
	/* Joined before the owner lets go when the port is known, so that
	 * no segment meets a reset meanwhile (after, the owner's tcp_moved). */
	if (!pending && (group = inh_join(in, old->sk->sk_num)) < 0)
		return group;
	rc = inh_ask(fd, stack_port_self(in->st), &rep, &buf, &y);
	if (!rc && pending && (group = inh_join(in, rep.r.num)) < 0)
		rc = group;
	if (!rc)
		rc = inh_build(in, old, &rep, buf, group > 0, &sock);
	free(buf);
	if (!rc && (h = calloc(1, sizeof(*h)))) {
		h->sock = sock;
		h->y = y;
		if (inh_watch(in, h)) {
			free(h);
			h = NULL;
		}
	}
	if (h)
		inh_add(h);
	else if (y >= 0)
		real.close(y); /* (we hold the only Y now: no other holder can ask) */
	if (rc) {
		if (group > 0)
			stack_port_release(in->st, IPPROTO_TCP, pending ? rep.r.num : old->sk->sk_num);
		skb_log(in->st, LOG_WARN, "fd %d: the inherited connection cannot be taken over: %s", fd,
			strerror(-rc));
		return rc;
	}
	sock->refcnt = inh_replace(old, sock);
	if (pending)
		free(old);
	return 0;
}

/* Ours, if @fd is the X of one of our connections (Y's peer has its name). */
static struct inh *inh_own_x(int fd)
{
	struct sockaddr_un a, b;
	socklen_t la = sizeof(a), lb;

	if (!inh_count || real.getsockname(fd, (struct sockaddr *)&a, &la))
		return NULL;
	for (int i = 0; i < INH_BUCKETS; i++) {
		for (struct inh *h = inh_table[i]; h; h = h->next) {
			lb = sizeof(b);
			if (!real.getpeername(h->y, (struct sockaddr *)&b, &lb) && lb == la &&
			    !memcmp(&a, &b, la))
				return h;
		}
	}
	return NULL;
}

/* A pending socket another fd names with the same X (the socket's inode). */
static struct socket *inh_pending_of(int fd)
{
	struct stat a, b;

	if (fstat(fd, &a))
		return NULL;
	for (int f = 0; f < fdt_high_load(); f++) {
		struct socket *ps = fd_entry_sock(fd_peek(f));

		if (f != fd && ps && !ps->stack && !fstat(f, &b) && b.st_ino == a.st_ino &&
		    b.st_dev == a.st_dev)
			return ps;
	}
	return NULL;
}

/**
 * inherit_received_fd - @fd came in by SCM_RIGHTS (or across exec): if it
 * is an X, it names a connection of skbos's from now on, taken over at its
 * first call (a pending socket: an orphan with nothing but its type).
 */
void inherit_received_fd(int fd)
{
	int fl = real.fcntl(fd, F_GETFL), fdfl = real.fcntl(fd, F_GETFD);
	uintptr_t tag = (fdfl & FD_CLOEXEC) ? FDT_CLOEXEC : 0;
	struct skbos_instance *in;
	struct socket *ps;
	struct inh *h;

	if (!shim_enabled || fl < 0 || !inh_is_x(fd))
		return;
	in = shim_instance();
	if (in)
		shim_lock(in);
	if ((h = inh_own_x(fd))) {
		/* one of our own connections, back (sent between our threads) */
		ps = h->sock;
		ps->refcnt = h->held ? 1 : ps->refcnt + 1;
		h->held = false;
		real.fcntl(fd, F_SETFD, FD_CLOEXEC); /* (our own socket's placeholder) */
	} else if ((ps = inh_pending_of(fd))) {
		ps->refcnt++; /* the same X on another fd: one socket */
	} else if ((ps = calloc(1, sizeof(*ps)))) {
		ps->type = SOCK_STREAM;
		ps->state = SS_CONNECTED;
		ps->refcnt = 1;
		ps->file_flags = (unsigned int)fl & O_NONBLOCK;
	}
	/* An X of another stack keeps the program's FD_CLOEXEC in the kernel
	 * too, unlike our own sockets' placeholders: exec passes it on. */
	if (ps)
		fdt_set(fd, (uintptr_t)ps | tag);
	shim_orphans |= ps && !h;
	if (in)
		shim_unlock(in);
}

/** inherit_pending_put - an fd naming the pending socket @ps is closed. */
void inherit_pending_put(struct socket *ps)
{
	if (--ps->refcnt <= 0)
		free(ps);
}

/**
 * inherit_pass_fd - @fd (an skbos socket) is about to be sent with
 * SCM_RIGHTS: a connection of ours gets its X now, an X we hold passes as
 * it is.  Stack lock of @in held.  Return: 0, or -EOPNOTSUPP for what
 * cannot travel (a listener, UDP, a connection closing).
 */
int inherit_pass_fd(struct skbos_instance *in, int fd)
{
	struct socket *sock = fd_entry_sock(fd_peek(fd));

	if (!sock)
		return -EOPNOTSUPP;
	if (in && !sock_is_orphan(sock, in) && inh_eligible(sock) && !inh_find(sock))
		inh_convert(in, sock);
	return inh_is_x(fd) ? 0 : -EOPNOTSUPP;
}

/**
 * inherit_passes_exec - @fd names a connection of another process's stack
 * by its X (an orphan: inherited by fork, received by SCM_RIGHTS or
 * across exec), to be taken over by whoever uses it: duplicating it or
 * changing its FD_CLOEXEC does not take it, so that a child can dup2 it
 * onto 0 and 1 and exec the program that will (inetd, sshd's re-exec).
 */
bool inherit_passes_exec(int fd)
{
	uintptr_t e = fd_peek(fd);
	struct socket *sock = fd_entry_sock(e);
	const struct sock *sk;

	if (!sock || !sock_is_orphan(sock, shim_instance()) || sock->type != SOCK_STREAM)
		return false;
	sk = sock->sk;
	if (sk && sk->sk_state != TCP_ESTABLISHED && sk->sk_state != TCP_CLOSE_WAIT)
		return false;
	return inh_is_x(fd);
}

/** inherit_fd_cloexec - F_GETFD/F_SETFD on such an fd: the entry's flag and the kernel's. */
int inherit_fd_cloexec(int fd, int cmd, int arg)
{
	struct skbos_instance *in = shim_instance();
	uintptr_t e;
	int rc = 0;

	if (in)
		shim_lock(in);
	e = fd_peek(fd);
	if (cmd == F_GETFD)
		rc = (e & FDT_CLOEXEC) ? FD_CLOEXEC : 0;
	else if ((rc = real.fcntl(fd, F_SETFD, arg & FD_CLOEXEC)) == 0)
		fdt_set(fd, (arg & FD_CLOEXEC) ? (e | FDT_CLOEXEC) : (e & ~FDT_CLOEXEC));
	if (in)
		shim_unlock(in);
	return rc;
}

/**
 * inherit_dup - dup/dup2/dup3/F_DUPFD of such an fd (stack lock of @in
 * held, if @in): the kernel duplicates X with the program's FD_CLOEXEC, the
 * new fd names the same socket.  Anything else of another stack: EBADF.
 */
int inherit_dup(struct skbos_instance *in, int old, int new, int min, bool cloexec)
{
	struct socket *sock = fd_entry_sock(fd_peek(old));
	uintptr_t en = new >= 0 ? fd_peek(new) : 0;
	int fd;

	if (!inherit_passes_exec(old)) {
		errno = EBADF;
		return -1;
	}
	if (new < 0)
		fd = real.fcntl(old, cloexec ? F_DUPFD_CLOEXEC : F_DUPFD, min);
	else
		fd = real.dup3(old, new, cloexec ? O_CLOEXEC : 0);
	if (fd < 0)
		return -1;
	if (!sock->stack)
		sock->refcnt++; /* a pending socket counts its fds */
	if (new < 0)
		en = fd_peek(fd);
	if (en)
		fd_drop_entry(in, fd, en);
	fdt_set(fd, (uintptr_t)sock | (cloexec ? FDT_CLOEXEC : 0));
	return fd;
}

/**
 * inherit_scan_exec - at load: the connections the program that exec'd us
 * passed on (an X on any fd) are taken over at their first use.
 */
void inherit_scan_exec(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	while (d && (de = readdir(d))) {
		int fd = atoi(de->d_name);

		if (de->d_name[0] != '.' && fd != dirfd(d))
			inherit_received_fd(fd);
	}
	if (d)
		closedir(d);
}

/** inherit_moved - @sock's connection was taken by another process. */
bool inherit_moved(const struct socket *sock)
{
	return sock->type == SOCK_STREAM && sock->sk && sock->sk->sk_protocol == IPPROTO_TCP &&
	       tcp_sk(sock->sk)->migrated;
}

/*
 * _exit(2) and _Exit: a forked server child ends with them (Python's
 * os._exit in ForkingTCPServer, socat, many C servers after serving one
 * connection), skipping exit(3)'s destructors.  The kernel would go on
 * delivering what the process's sockets hold; the stack inside the process
 * must deliver it first (the FIN included), as exit(3) does here.
 */
SHIM_EXPORT void _exit(int status)
{
	shim_exit_flush();
	for (;;)
		syscall(SYS_exit_group, status);
}

SHIM_EXPORT void _Exit(int status)
{
	_exit(status);
}

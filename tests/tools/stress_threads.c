/*
 * stress_threads.c - many threads, many sockets, random calls (issue 16:
 * "no call waits for progress that no thread will make").  A plain POSIX
 * program: run bare it uses the kernel's stack; under skbos-run (or
 * LD_PRELOAD with SKBOS_LOOPBACK=1) every socket is skbos's.
 *
 *   stress_threads loop   [opts]   client and echo server in this process,
 *                                  over 127.0.0.1 (skbos's loopback)
 *   stress_threads client [opts] --addr A --port P
 *                                  client threads against a remote echo
 *   stress_threads server --port P echo server (TCP and UDP), run on the
 *                                  kernel side of a veth
 *   opts: --seed S --threads N --conns M --rounds R --bytes B --dgrams D
 *
 * N client threads share M TCP slots and M UDP sockets.  Each TCP slot runs
 * R connections one after another: a sender thread connects (blocking, or
 * non-blocking + poll), sends B' <= B bytes of a pattern and shuts down its
 * side; a receiver thread checks every byte the echo sends back and the
 * EOF; the last of the two closes and the slot reconnects.  Each UDP socket
 * sends D datagrams (a window of 8 in flight) and checks every echo.  Every
 * call is chosen at random: blocking (with SO_RCVTIMEO/SO_SNDTIMEO of at
 * most 100 ms, so no application-level cycle can block for ever) or
 * MSG_DONTWAIT, send/write/writev/sendmsg, recv/read/readv/recvmsg, or a wait
 * first in poll, select or the thread's epoll set.  A watchdog fails the run
 * with every thread's state when no byte moves for 2 s while data is
 * pending.  The seed is printed; the same seed makes the same choices.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 8
#define MAX_SLOTS 32
#define UDP_WINDOW 8
#define UDP_MAX 1400
#define STALL_MS 2000
#define RUN_LIMIT_S 120

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned int rnd_below(struct rng *r, unsigned int n)
{
	return n ? (unsigned int)(rnd(r) % n) : 0;
}

static inline uint8_t pattern(unsigned int slot, unsigned int round, uint64_t off)
{
	return (uint8_t)(off * 131 + (off >> 9) + slot * 7 + round * 29);
}

/* ---- shared state ------------------------------------------------------------- */

struct tcp_slot {
	pthread_mutex_t lock;   /* the fields below; never held across a call */
	int fd;                 /* -1 between connections */
	unsigned int round;     /* the connection being run */
	uint64_t total;         /* bytes this round */
	uint64_t sent, got;     /* sender's / receiver's progress */
	bool send_done, recv_done;
	int sender, receiver;   /* thread indexes */
	bool done;              /* all rounds finished */
};

enum { DG_UNSENT, DG_INFLIGHT, DG_ECHOED, DG_LOST };

struct udp_sock {
	int fd;
	int thread;
	unsigned int next, echoed, lost, inflight;
	uint8_t state[1024];    /* per datagram: DG_* */
	uint64_t last_ack_ms;
	bool done;
};

struct thread_state {
	const char *op;  /* the call in progress (atomic pointer) */
	int fd;
	int slot;
	uint64_t calls;
	int epfd;
};

static struct {
	int threads, conns, rounds, dgrams;
	uint64_t bytes;
	uint64_t seed;
	struct sockaddr_in peer;
	bool local;
	struct tcp_slot tcp[MAX_SLOTS];
	struct udp_sock udp[MAX_SLOTS];
	struct thread_state th[MAX_THREADS];
	uint64_t moved;        /* bytes sent or verified (atomic) */
	int slots_left;        /* TCP slots and UDP sockets not done (atomic) */
	bool failed;
} g;

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)
#define ADD(x, v) __atomic_add_fetch(&(x), (v), __ATOMIC_ACQ_REL)

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "stress_threads: seed %llu: ", (unsigned long long)g.seed);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	_exit(1);
}

static void set_op(int t, const char *op, int fd, int slot)
{
	g.th[t].fd = fd;
	g.th[t].slot = slot;
	__atomic_store_n(&g.th[t].op, op, __ATOMIC_RELEASE);
	g.th[t].calls++;
}

static void set_timeouts(int fd, long us)
{
	struct timeval tv = { .tv_sec = 0, .tv_usec = us };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		fail("setsockopt timeouts: %s", strerror(errno));
}

/* ---- waits before a non-blocking call ------------------------------------------ */

/* Wait up to 50 ms for @fd to be ready for @ev, in one of three ways. */
static void wait_ready(int t, struct rng *r, int fd, short ev)
{
	int how = (int)rnd_below(r, 3);

	if (how == 0) {
		struct pollfd p = { .fd = fd, .events = ev };

		set_op(t, ev == POLLIN ? "poll(IN)" : "poll(OUT)", fd, -1);
		if (poll(&p, 1, 50) < 0 && errno != EINTR)
			fail("poll: %s", strerror(errno));
	} else if (how == 1 && fd < FD_SETSIZE) {
		fd_set set;
		struct timeval tv = { .tv_sec = 0, .tv_usec = 50000 };

		FD_ZERO(&set);
		FD_SET(fd, &set);
		set_op(t, ev == POLLIN ? "select(r)" : "select(w)", fd, -1);
		if (select(fd + 1, ev == POLLIN ? &set : NULL, ev == POLLIN ? NULL : &set, NULL, &tv) < 0 &&
		    errno != EINTR)
			fail("select: %s", strerror(errno));
	} else {
		struct epoll_event e = { .events = ev == POLLIN ? EPOLLIN : EPOLLOUT, .data.fd = fd }, out[4];
		int ep = g.th[t].epfd;

		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e))
			fail("epoll_ctl add %d: %s", fd, strerror(errno));
		set_op(t, ev == POLLIN ? "epoll_wait(IN)" : "epoll_wait(OUT)", fd, -1);
		if (epoll_wait(ep, out, 4, 50) < 0 && errno != EINTR)
			fail("epoll_wait: %s", strerror(errno));
		if (epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL))
			fail("epoll_ctl del %d: %s", fd, strerror(errno));
	}
}

/* ---- I/O with a random call ----------------------------------------------------- */

/* Send up to @len bytes of @buf on @fd by a random call.  Return: bytes or -errno. */
static ssize_t any_send(int t, struct rng *r, int fd, const void *buf, size_t len, bool dgram)
{
	int how = (int)rnd_below(r, 4), flags = 0;
	ssize_t n;

	if (rnd_below(r, 2)) {
		flags = MSG_DONTWAIT;
		if (rnd_below(r, 2))
			wait_ready(t, r, fd, POLLOUT);
	}
	(void)dgram;
	if (how == 0) {
		set_op(t, flags ? "send(DONTWAIT)" : "send", fd, -1);
		n = send(fd, buf, len, flags | MSG_NOSIGNAL);
	} else if (how == 1 && !flags) {
		set_op(t, "write", fd, -1);
		n = write(fd, buf, len);
	} else if (how == 2) {
		size_t half = len / 2;
		struct iovec iov[2] = { { (void *)buf, half }, { (char *)buf + half, len - half } };

		set_op(t, "writev", fd, -1);
		n = flags ? send(fd, buf, len, flags | MSG_NOSIGNAL) : writev(fd, iov, 2);
	} else {
		struct iovec iov = { (void *)buf, len };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

		set_op(t, flags ? "sendmsg(DONTWAIT)" : "sendmsg", fd, -1);
		n = sendmsg(fd, &m, flags | MSG_NOSIGNAL);
	}
	set_op(t, "-", -1, -1);
	return n < 0 ? -errno : n;
}

/* Receive up to @len bytes into @buf by a random call.  Return: bytes or -errno. */
static ssize_t any_recv(int t, struct rng *r, int fd, void *buf, size_t len)
{
	int how = (int)rnd_below(r, 4), flags = 0;
	ssize_t n;

	if (rnd_below(r, 2)) {
		flags = MSG_DONTWAIT;
		if (rnd_below(r, 2))
			wait_ready(t, r, fd, POLLIN);
	}
	if (how == 0) {
		set_op(t, flags ? "recv(DONTWAIT)" : "recv", fd, -1);
		n = recv(fd, buf, len, flags);
	} else if (how == 1 && !flags) {
		set_op(t, "read", fd, -1);
		n = read(fd, buf, len);
	} else if (how == 2 && !flags) {
		size_t half = len / 2;
		struct iovec iov[2] = { { buf, half }, { (char *)buf + half, len - half } };

		set_op(t, "readv", fd, -1);
		n = readv(fd, iov, 2);
	} else {
		struct iovec iov = { buf, len };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

		set_op(t, flags ? "recvmsg(DONTWAIT)" : "recvmsg", fd, -1);
		n = recvmsg(fd, &m, flags);
	}
	set_op(t, "-", -1, -1);
	return n < 0 ? -errno : n;
}

static bool transient(ssize_t err)
{
	return err == -EAGAIN || err == -EINTR;
}

/* ---- TCP slots ------------------------------------------------------------------- */

/* Connect a new socket for @s (blocking, or non-blocking + a wait). */
static int tcp_open(int t, struct rng *r, struct tcp_slot *s)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), err = 0;
	socklen_t len = sizeof(err);

	if (fd < 0)
		fail("socket: %s", strerror(errno));
	if (rnd_below(r, 2)) {
		set_op(t, "connect", fd, (int)(s - g.tcp));
		if (connect(fd, (struct sockaddr *)&g.peer, sizeof(g.peer)))
			fail("connect: %s", strerror(errno));
	} else {
		fcntl(fd, F_SETFL, O_NONBLOCK);
		set_op(t, "connect(NONBLOCK)", fd, (int)(s - g.tcp));
		if (connect(fd, (struct sockaddr *)&g.peer, sizeof(g.peer)) && errno != EINPROGRESS)
			fail("connect: %s", strerror(errno));
		for (uint64_t until = now_ms() + STALL_MS * 5;; ) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };

			set_op(t, "poll(connect)", fd, (int)(s - g.tcp));
			if (poll(&p, 1, 100) == 1)
				break;
			if (now_ms() > until)
				fail("non-blocking connect never completed");
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) || err)
			fail("connect: SO_ERROR %d", err);
		fcntl(fd, F_SETFL, 0);
	}
	set_timeouts(fd, 20000 + (long)rnd_below(r, 80000));
	set_op(t, "-", -1, -1);
	return fd;
}

/* Both directions of this round are over (slot lock held): close, next round. */
static void tcp_round_end(struct tcp_slot *s)
{
	close(s->fd);
	s->fd = -1;
	s->send_done = s->recv_done = false;
	if (++s->round >= (unsigned int)g.rounds) {
		s->done = true;
		ADD(g.slots_left, -1);
	}
}

/* One step of the sender of @s.  Return: false when it has nothing to do. */
static bool tcp_send_step(int t, struct rng *r, struct tcp_slot *s, uint8_t *buf)
{
	unsigned int slot = (unsigned int)(s - g.tcp), round;
	uint64_t off, left;
	size_t len;
	ssize_t n;
	int fd;

	pthread_mutex_lock(&s->lock);
	if (s->done || s->send_done) {
		pthread_mutex_unlock(&s->lock);
		return false;
	}
	if (s->fd == -1) {
		pthread_mutex_unlock(&s->lock);
		fd = tcp_open(t, r, s);
		pthread_mutex_lock(&s->lock);
		s->total = 1 + rnd(r) % g.bytes;
		s->sent = s->got = 0;
		s->fd = fd;
	}
	fd = s->fd;
	round = s->round;
	off = s->sent;
	left = s->total - off;
	pthread_mutex_unlock(&s->lock);

	len = 1 + rnd_below(r, 65536);
	if (len > left)
		len = (size_t)left;
	for (size_t i = 0; i < len; i++)
		buf[i] = pattern(slot, round, off + i);
	n = any_send(t, r, fd, buf, len, false);
	if (n < 0 && !transient(n))
		fail("tcp slot %u: send: %s", slot, strerror((int)-n));
	if (n <= 0)
		return true;
	ADD(g.moved, (uint64_t)n);
	pthread_mutex_lock(&s->lock);
	s->sent += (uint64_t)n;
	if (s->sent == s->total) {
		if (shutdown(fd, SHUT_WR))
			fail("shutdown: %s", strerror(errno));
		s->send_done = true;
		if (s->recv_done)
			tcp_round_end(s);
	}
	pthread_mutex_unlock(&s->lock);
	return true;
}

static bool tcp_recv_step(int t, struct rng *r, struct tcp_slot *s, uint8_t *buf)
{
	unsigned int slot = (unsigned int)(s - g.tcp), round;
	uint64_t off, total;
	ssize_t n;
	int fd;

	pthread_mutex_lock(&s->lock);
	fd = s->fd;
	round = s->round;
	off = s->got;
	total = s->total;
	if (s->done || fd == -1 || s->recv_done) {
		pthread_mutex_unlock(&s->lock);
		return false;
	}
	pthread_mutex_unlock(&s->lock);

	n = any_recv(t, r, fd, buf, 1 + rnd_below(r, 65536));
	if (n < 0) {
		if (!transient(n))
			fail("tcp slot %u: recv: %s", slot, strerror((int)-n));
		return true;
	}
	if (off + (uint64_t)n > total)
		fail("tcp slot %u round %u: %zd bytes at %llu, past the %llu sent", slot, round, n,
		     (unsigned long long)off, (unsigned long long)total);
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] != pattern(slot, round, off + (uint64_t)i))
			fail("tcp slot %u round %u: byte %llu is %u, want %u", slot, round,
			     (unsigned long long)(off + (uint64_t)i), buf[i], pattern(slot, round, off + (uint64_t)i));
	ADD(g.moved, (uint64_t)n);
	pthread_mutex_lock(&s->lock);
	s->got += (uint64_t)n;
	if (n == 0) {
		if (s->got != total)
			fail("tcp slot %u round %u: EOF at %llu of %llu", slot, round,
			     (unsigned long long)s->got, (unsigned long long)total);
		s->recv_done = true;
		if (s->send_done)
			tcp_round_end(s);
	}
	pthread_mutex_unlock(&s->lock);
	return true;
}

/* ---- UDP sockets ------------------------------------------------------------------- */

struct dgram_hdr {
	uint32_t slot, seq, len;
};

static size_t dgram_fill(uint8_t *buf, unsigned int slot, unsigned int seq, size_t len)
{
	struct dgram_hdr h = { slot, seq, (uint32_t)len };

	memcpy(buf, &h, sizeof(h));
	for (size_t i = sizeof(h); i < len; i++)
		buf[i] = pattern(slot, seq, i);
	return len;
}

/* An echo of datagram @seq of @u arrived intact. */
static void udp_echoed(struct udp_sock *u, unsigned int slot, unsigned int seq)
{
	if (seq >= u->next || u->state[seq] == DG_ECHOED)
		fail("udp %u: echo of seq %u, which is %s", slot, seq,
		     seq >= u->next ? "not sent yet" : "echoed already");
	if (u->state[seq] == DG_LOST)
		u->lost--; /* late, not lost */
	else
		u->inflight--;
	u->state[seq] = DG_ECHOED;
	u->echoed++;
	u->last_ack_ms = now_ms();
}

static bool udp_step(int t, struct rng *r, struct udp_sock *u, uint8_t *buf)
{
	unsigned int slot = (unsigned int)(u - g.udp);
	struct dgram_hdr h;
	ssize_t n;

	if (u->done)
		return false;
	if (u->inflight < UDP_WINDOW && u->next < (unsigned int)g.dgrams) {
		size_t len = dgram_fill(buf, slot, u->next, sizeof(h) + rnd_below(r, UDP_MAX - sizeof(h)));

		n = any_send(t, r, u->fd, buf, len, true);
		if (n == (ssize_t)len) {
			u->state[u->next++] = DG_INFLIGHT;
			u->inflight++;
			ADD(g.moved, (uint64_t)n);
		} else if (n >= 0 || !transient(n)) {
			fail("udp %u: send: %zd", slot, n);
		}
	}
	n = any_recv(t, r, u->fd, buf, 65536);
	if (n >= 0) {
		memcpy(&h, buf, n >= (ssize_t)sizeof(h) ? sizeof(h) : 0);
		if ((size_t)n < sizeof(h) || h.slot != slot || h.len != (uint32_t)n)
			fail("udp %u: bad echo: %zd bytes, slot %u len %u", slot, n, h.slot, h.len);
		for (ssize_t i = sizeof(h); i < n; i++)
			if (buf[i] != pattern(slot, h.seq, (uint64_t)i))
				fail("udp %u seq %u: byte %zd corrupt", slot, h.seq, i);
		udp_echoed(u, slot, h.seq);
		ADD(g.moved, (uint64_t)n);
	} else if (!transient(n)) {
		fail("udp %u: recv: %s", slot, strerror((int)-n));
	} else if (u->inflight && !g.local && now_ms() - u->last_ack_ms > 500) {
		/* over a veth the kernel may drop a datagram (its buffers are its
		 * own business): after 500 ms without echoes the window moves on
		 * and the datagrams in flight count as lost unless they turn up */
		for (unsigned int i = 0; i < u->next; i++)
			if (u->state[i] == DG_INFLIGHT)
				u->state[i] = DG_LOST, u->lost++;
		u->inflight = 0;
	}
	if (u->next == (unsigned int)g.dgrams && !u->inflight) {
		u->done = true;
		ADD(g.slots_left, -1);
	}
	return true;
}

/* ---- client threads and the watchdog ----------------------------------------------- */

static void *client_thread(void *arg)
{
	int t = (int)(intptr_t)arg;
	struct rng r = { g.seed * 1000003 + (uint64_t)t };
	static __thread uint8_t buf[65536];

	g.th[t].epfd = epoll_create1(EPOLL_CLOEXEC);
	if (g.th[t].epfd < 0)
		fail("epoll_create1: %s", strerror(errno));
	while (LOAD(g.slots_left) > 0) {
		bool any = false;

		for (int i = 0; i < g.conns; i++) {
			struct tcp_slot *s = &g.tcp[i];

			if (s->sender == t && rnd_below(&r, 2))
				any |= tcp_send_step(t, &r, s, buf);
			if (s->receiver == t && rnd_below(&r, 2))
				any |= tcp_recv_step(t, &r, s, buf);
			if (g.udp[i].thread == t && rnd_below(&r, 2))
				any |= udp_step(t, &r, &g.udp[i], buf);
		}
		if (!any)
			usleep(1000); /* this thread's roles wait for another's */
	}
	close(g.th[t].epfd);
	return NULL;
}

static void dump_and_fail(const char *why)
{
	fprintf(stderr, "stress_threads: seed %llu: %s\n", (unsigned long long)g.seed, why);
	for (int t = 0; t < g.threads; t++)
		fprintf(stderr, "  thread %d: in %s fd %d, %llu calls\n", t,
			__atomic_load_n(&g.th[t].op, __ATOMIC_ACQUIRE), g.th[t].fd,
			(unsigned long long)g.th[t].calls);
	for (int i = 0; i < g.conns; i++) {
		struct tcp_slot *s = &g.tcp[i];
		struct udp_sock *u = &g.udp[i];

		fprintf(stderr, "  tcp %d: fd %d round %u sent %lld got %lld of %llu (threads %d->%d)%s\n", i,
			s->fd, s->round, (long long)s->sent, (long long)s->got, (unsigned long long)s->total,
			s->sender, s->receiver, s->done ? " done" : "");
		fprintf(stderr, "  udp %d: fd %d next %u echoed %u lost %u inflight %u (thread %d)%s\n", i,
			u->fd, u->next, u->echoed, u->lost, u->inflight, u->thread, u->done ? " done" : "");
	}
	_exit(1);
}

/* The test's `timeout` ends a run that hangs past the watchdog (in exit, or
 * the watchdog itself stuck): say so with the seed and every thread's state. */
static void on_term(int sig)
{
	(void)sig;
	dump_and_fail("killed by SIGTERM (the test's timeout): a hang the watchdog did not see");
}

static void watchdog(void)
{
	uint64_t last = LOAD(g.moved), since = now_ms(), start = since;

	while (LOAD(g.slots_left) > 0) {
		uint64_t m;

		usleep(100 * 1000);
		m = LOAD(g.moved);
		if (m != last) {
			last = m;
			since = now_ms();
		} else if (now_ms() - since > STALL_MS) {
			dump_and_fail("no byte moved for 2 s while data is pending");
		}
		if (now_ms() - start > RUN_LIMIT_S * 1000)
			dump_and_fail("the run did not finish in its time limit");
	}
}

/* ---- the echo server ----------------------------------------------------------------- */

static void *echo_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	static __thread uint8_t buf[65536];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf)), off = 0;

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				fail("echo: read: %s", strerror(errno));
			break;
		}
		while (off < n) {
			ssize_t w = send(fd, buf + off, (size_t)(n - off), MSG_NOSIGNAL);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				fail("echo: send: %s", strerror(errno));
			off += w;
		}
	}
	shutdown(fd, SHUT_WR);
	close(fd);
	return NULL;
}

static void *echo_accept(void *arg)
{
	int lfd = (int)(intptr_t)arg;

	for (;;) {
		pthread_t th;
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EBADF || errno == EINVAL)
				return NULL;
			fail("accept: %s", strerror(errno));
		}
		if (pthread_create(&th, NULL, echo_conn, (void *)(intptr_t)fd))
			fail("pthread_create");
		pthread_detach(th);
	}
}

static void *echo_udp(void *arg)
{
	int fd = (int)(intptr_t)arg;
	static __thread uint8_t buf[65536];

	for (;;) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
	}
}

/* Listen on @addr:@port (0: any); TCP and UDP echo threads.  Return: the port. */
static uint16_t echo_start(in_addr_t addr, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = addr };
	socklen_t len = sizeof(sin);
	int lfd = socket(AF_INET, SOCK_STREAM, 0), ufd = socket(AF_INET, SOCK_DGRAM, 0), one = 1,
	    big = 4 << 20;
	pthread_t th;

	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) || listen(lfd, 128) ||
	    getsockname(lfd, (struct sockaddr *)&sin, &len))
		fail("echo listen: %s", strerror(errno));
	if (bind(ufd, (struct sockaddr *)&sin, sizeof(sin)))
		fail("echo udp bind: %s", strerror(errno));
	setsockopt(ufd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (pthread_create(&th, NULL, echo_accept, (void *)(intptr_t)lfd) ||
	    pthread_create(&th, NULL, echo_udp, (void *)(intptr_t)ufd))
		fail("pthread_create");
	return ntohs(sin.sin_port);
}

/* ---- main ------------------------------------------------------------------------------ */

static void usage(void)
{
	fprintf(stderr, "usage: stress_threads loop|client|server [--seed S] [--threads N] [--conns M] "
			"[--rounds R] [--bytes B] [--dgrams D] [--addr A] [--port P]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	uint16_t port = 0;
	pthread_t th[MAX_THREADS];
	struct rng r;
	bool seeded = false;

	g.peer.sin_family = AF_INET;
	g.peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int i = 2; i + 1 < argc; i += 2) {
		const char *o = argv[i], *v = argv[i + 1];

		if (!strcmp(o, "--seed"))
			g.seed = strtoull(v, NULL, 0), seeded = true;
		else if (!strcmp(o, "--threads"))
			g.threads = atoi(v);
		else if (!strcmp(o, "--conns"))
			g.conns = atoi(v);
		else if (!strcmp(o, "--rounds"))
			g.rounds = atoi(v);
		else if (!strcmp(o, "--bytes"))
			g.bytes = strtoull(v, NULL, 0);
		else if (!strcmp(o, "--dgrams"))
			g.dgrams = atoi(v);
		else if (!strcmp(o, "--addr") && inet_pton(AF_INET, v, &g.peer.sin_addr) != 1)
			usage();
		else if (!strcmp(o, "--port"))
			port = (uint16_t)atoi(v);
	}
	if (!strcmp(mode, "server")) {
		echo_start(htonl(INADDR_ANY), port);
		printf("listening %u\n", port);
		fflush(stdout);
		pause();
		return 0;
	}
	if (strcmp(mode, "loop") && strcmp(mode, "client"))
		usage();
	if (!seeded)
		g.seed = (uint64_t)time(NULL) ^ (uint64_t)getpid();
	r.s = g.seed;
	/* what the options left open comes from the seed: 2..8 threads, 1..16 slots */
	if (!g.threads)
		g.threads = 2 + (int)rnd_below(&r, 7);
	if (!g.conns)
		g.conns = 1 + (int)rnd_below(&r, 16);
	if (!g.rounds)
		g.rounds = 1 + (int)rnd_below(&r, 4);
	if (!g.bytes)
		g.bytes = 1 + rnd_below(&r, 1 << 20);
	if (!g.dgrams)
		g.dgrams = 1 + (int)rnd_below(&r, 400);
	if (g.dgrams > (int)sizeof(g.udp[0].state))
		usage();
	if (g.threads < 1 || g.threads > MAX_THREADS || g.conns < 1 || g.conns > MAX_SLOTS)
		usage();
	g.local = !strcmp(mode, "loop");
	if (g.local)
		port = echo_start(htonl(INADDR_LOOPBACK), 0);
	g.peer.sin_port = htons(port);
	printf("stress_threads %s: seed %llu, %d threads, %d TCP slots x %d rounds of <= %llu bytes, "
	       "%d UDP sockets x %d datagrams\n", mode, (unsigned long long)g.seed, g.threads, g.conns,
	       g.rounds, (unsigned long long)g.bytes, g.conns, g.dgrams);
	fflush(stdout);
	for (int i = 0; i < g.conns; i++) {
		g.tcp[i] = (struct tcp_slot){ .fd = -1, .sender = (int)rnd_below(&r, (unsigned int)g.threads),
					      .receiver = (int)rnd_below(&r, (unsigned int)g.threads) };
		pthread_mutex_init(&g.tcp[i].lock, NULL);
		g.udp[i] = (struct udp_sock){ .fd = socket(AF_INET, SOCK_DGRAM, 0),
					      .thread = (int)rnd_below(&r, (unsigned int)g.threads),
					      .last_ack_ms = now_ms() };
		if (g.udp[i].fd < 0 || connect(g.udp[i].fd, (struct sockaddr *)&g.peer, sizeof(g.peer)))
			fail("udp socket: %s", strerror(errno));
		set_timeouts(g.udp[i].fd, 20000 + (long)rnd_below(&r, 80000));
	}
	g.slots_left = 2 * g.conns;
	signal(SIGTERM, on_term);
	for (int t = 0; t < g.threads; t++) {
		g.th[t].op = "-";
		if (pthread_create(&th[t], NULL, client_thread, (void *)(intptr_t)t))
			fail("pthread_create");
	}
	watchdog();
	for (int t = 0; t < g.threads; t++)
		pthread_join(th[t], NULL);
	uint64_t lost = 0;
	for (int i = 0; i < g.conns; i++) {
		lost += g.udp[i].lost;
		close(g.udp[i].fd);
	}
	printf("stress_threads %s: seed %llu passed: %llu bytes moved and checked, %llu UDP datagrams lost\n",
	       mode, (unsigned long long)g.seed, (unsigned long long)g.moved, (unsigned long long)lost);
	return 0;
}

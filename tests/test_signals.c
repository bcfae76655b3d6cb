/*
 * test_signals.c - a signal delivered to a thread blocked in a socket call,
 * on skbos and on the kernel, in the same test (issue 16).  A plain POSIX
 * program: it runs every case once on the kernel's stack (127.0.0.1 is the
 * kernel's), then re-executes itself under LD_PRELOAD=libskbos-preload.so
 * with SKBOS_LOOPBACK=1 and runs them again on skbos, and fails on any
 * case whose outcome differs.
 *
 * A case: a thread blocks in one call (recv, read, readv, recvmsg,
 * recvfrom, recvmmsg, accept, accept4, connect to a listener whose accept
 * queue is full (the SYN is dropped, the client retries), send/write/
 * sendmsg/sendto on a full send buffer, recv on a UDP socket, poll, ppoll,
 * select, pselect, epoll_wait, epoll_pwait; recv with SO_RCVTIMEO); the main
 * thread waits until it sleeps in the kernel (state S, not in a futex) and
 * pthread_kill()s it with SIGUSR1, whose handler was installed without or
 * with SA_RESTART.  Recorded: whether the handler ran while the call was
 * still blocked, and the call's outcome: EINTR, or (restarted) what it
 * returns once the main thread supplies what it waited for.  signal(7):
 * socket calls restart under SA_RESTART unless a timeout is set on the
 * socket; poll, select and epoll never restart; a send that moved data
 * returns the partial count.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "thread_blocked.h"

#define DIE(...) (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr), exit(2))

enum call {
	C_RECV, C_READ, C_READV, C_RECVMSG, C_RECVFROM, C_RECVMMSG, C_RECV_TIMEO, C_RECV_UDP,
	C_ACCEPT, C_ACCEPT4, C_CONNECT,
	C_SEND_FULL, C_WRITE_FULL, C_SENDMSG_FULL, C_SENDTO_FULL, C_SEND_PARTIAL,
	C_POLL, C_PPOLL, C_SELECT, C_PSELECT, C_EPOLL_WAIT, C_EPOLL_PWAIT,
	C_COUNT
};

static const char *const call_name[C_COUNT] = {
	"recv", "read", "readv", "recvmsg", "recvfrom", "recvmmsg", "recv(SO_RCVTIMEO 10s)", "recv(UDP)",
	"accept", "accept4", "connect(queue full)",
	"send(full buffer)", "write(full buffer)", "sendmsg(full buffer)", "sendto(full buffer)",
	"send(4 MB, partly sent)",
	"poll", "ppoll", "select", "pselect", "epoll_wait", "epoll_pwait",
};

static struct {
	int l, c, a;              /* listener, client, accepted end (the UDP socket) */
	int x;                    /* C_CONNECT: the socket that connects */
	enum call call;
	pid_t tid;
	int handled;              /* atomic: set by the handler */
	bool returned;            /* atomic */
	long ret;
	int err;
} k;

static char big[4 << 20];

static void on_usr1(int sig)
{
	(void)sig;
	__atomic_store_n(&k.handled, 1, __ATOMIC_RELEASE);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long do_call(void)
{
	char buf[64];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct mmsghdr mm = { .msg_hdr = { .msg_iov = &iov, .msg_iovlen = 1 } };
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct pollfd pfd = { .fd = k.a, .events = POLLIN };
	struct timespec ts = { 10, 0 };
	struct timeval tv = { 10, 0 };
	struct epoll_event ev = { .events = EPOLLIN }, out;
	sigset_t none;
	fd_set rd;
	int ep;

	sigemptyset(&none);
	FD_ZERO(&rd);
	FD_SET(k.a, &rd);
	switch (k.call) {
	case C_RECV:
	case C_RECV_TIMEO:
	case C_RECV_UDP:
		return recv(k.a, buf, sizeof(buf), 0);
	case C_READ:
		return read(k.a, buf, sizeof(buf));
	case C_READV:
		return readv(k.a, &iov, 1);
	case C_RECVMSG:
		return recvmsg(k.a, &m, 0);
	case C_RECVFROM:
		return recvfrom(k.a, buf, sizeof(buf), 0, NULL, NULL);
	case C_RECVMMSG:
		return recvmmsg(k.a, &mm, 1, 0, NULL);
	case C_ACCEPT:
	case C_ACCEPT4: {
		int fd = k.call == C_ACCEPT ? accept(k.l, NULL, NULL) : accept4(k.l, NULL, NULL, SOCK_CLOEXEC);

		return fd < 0 ? -1 : 1; /* the fd number differs between stacks */
	}
	case C_CONNECT:
		if (getsockname(k.l, (struct sockaddr *)&sin, &len))
			return -3;
		return connect(k.x, (struct sockaddr *)&sin, len);
	case C_SEND_FULL:
		return send(k.c, big, 1000, MSG_NOSIGNAL);
	case C_WRITE_FULL:
		return write(k.c, big, 1000);
	case C_SENDMSG_FULL:
		iov = (struct iovec){ big, 1000 };
		return sendmsg(k.c, &m, MSG_NOSIGNAL);
	case C_SENDTO_FULL:
		return sendto(k.c, big, 1000, MSG_NOSIGNAL, NULL, 0);
	case C_SEND_PARTIAL: {
		long n = send(k.c, big, sizeof(big), MSG_NOSIGNAL);

		return n > 0 && n < (long)sizeof(big) ? -2 : n; /* -2: "partial" */
	}
	case C_POLL:
		return poll(&pfd, 1, 10000);
	case C_PPOLL:
		return ppoll(&pfd, 1, &ts, &none);
	case C_SELECT:
		return select(k.a + 1, &rd, NULL, NULL, &tv);
	case C_PSELECT:
		return pselect(k.a + 1, &rd, NULL, NULL, &ts, &none);
	case C_EPOLL_WAIT:
	case C_EPOLL_PWAIT: {
		long r;

		ep = epoll_create1(0);
		ev.data.fd = k.a;
		if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, k.a, &ev))
			DIE("epoll: %s", strerror(errno));
		r = k.call == C_EPOLL_WAIT ? epoll_wait(ep, &out, 1, 10000)
					    : epoll_pwait(ep, &out, 1, 10000, &none);
		if (r < 0)
			k.err = errno;
		close(ep);
		errno = k.err;
		return r;
	}
	default:
		return -1;
	}
}

static void *blocker(void *arg)
{
	(void)arg;
	__atomic_store_n(&k.tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	errno = 0;
	k.ret = do_call();
	k.err = errno;
	__atomic_store_n(&k.returned, true, __ATOMIC_RELEASE);
	return NULL;
}

static void tcp_pair(bool small_buffers)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int sz = 4096;

	k.l = socket(AF_INET, SOCK_STREAM, 0);
	k.c = socket(AF_INET, SOCK_STREAM, 0);
	if (small_buffers) {
		setsockopt(k.c, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		setsockopt(k.l, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}
	if (k.l < 0 || k.c < 0 || bind(k.l, (struct sockaddr *)&sin, sizeof(sin)) || listen(k.l, 8) ||
	    getsockname(k.l, (struct sockaddr *)&sin, &len) || connect(k.c, (struct sockaddr *)&sin, len))
		DIE("tcp pair: %s", strerror(errno));
	k.a = accept(k.l, NULL, NULL);
	if (k.a < 0)
		DIE("accept: %s", strerror(errno));
}

/* C_RECV_UDP: k.a a bound UDP socket, k.c one connected to it. */
static void udp_pair(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);

	k.a = socket(AF_INET, SOCK_DGRAM, 0);
	k.c = socket(AF_INET, SOCK_DGRAM, 0);
	if (k.a < 0 || k.c < 0 || bind(k.a, (struct sockaddr *)&sin, sizeof(sin)) ||
	    getsockname(k.a, (struct sockaddr *)&sin, &len) || connect(k.c, (struct sockaddr *)&sin, len))
		DIE("udp pair: %s", strerror(errno));
}

/*
 * C_CONNECT: a listener with backlog 0 holds one connection nobody
 * accepted, so its accept queue is full and it drops the next SYN (Linux's
 * tcp_conn_request: ListenOverflows); k.x's blocking connect waits for
 * its SYN retransmission, which gets in once unblock() accepts.
 */
static void full_listener(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);

	k.l = socket(AF_INET, SOCK_STREAM, 0);
	k.c = socket(AF_INET, SOCK_STREAM, 0);
	k.x = socket(AF_INET, SOCK_STREAM, 0);
	if (k.l < 0 || k.c < 0 || k.x < 0 || bind(k.l, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(k.l, 0) || getsockname(k.l, (struct sockaddr *)&sin, &len) ||
	    connect(k.c, (struct sockaddr *)&sin, len))
		DIE("full listener: %s", strerror(errno));
}

/*
 * Fill the client's send buffer and the peer's receive buffer.  Full means
 * full for a while: on a loaded machine the kernel frees sent skbs (and so
 * send-buffer room) from softirq some time after the send, so one EAGAIN
 * 20 ms after the last send is not enough (the blocked send of the case
 * would find room and return at once).
 */
static void fill(void)
{
	int settled = 0;

	for (double until = now_s() + 5; now_s() < until && settled < 5; ) {
		if (send(k.c, big, settled ? 1 : 65536, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) {
			settled = 0;
			continue;
		}
		if (errno != EAGAIN)
			DIE("fill: %s", strerror(errno));
		settled++;
		usleep(20000); /* let ACKs and frees settle: still full? */
	}
	if (settled < 5)
		DIE("the send buffer never filled");
}

/* Give the blocked call what it waits for. */
static void unblock(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	static char sink[1 << 20];

	switch (k.call) {
	case C_ACCEPT:
	case C_ACCEPT4:
		getsockname(k.l, (struct sockaddr *)&sin, &len);
		connect(socket(AF_INET, SOCK_STREAM, 0), (struct sockaddr *)&sin, len);
		break;
	case C_CONNECT:
		if (accept(k.l, NULL, NULL) < 0) /* room in the queue for the retransmitted SYN */
			DIE("unblock: accept: %s", strerror(errno));
		break;
	case C_SEND_FULL:
	case C_SENDTO_FULL:
	case C_WRITE_FULL:
	case C_SENDMSG_FULL:
	case C_SEND_PARTIAL:
		for (double until = now_s() + 5; !__atomic_load_n(&k.returned, __ATOMIC_ACQUIRE) && now_s() < until; )
			if (recv(k.a, sink, sizeof(sink), MSG_DONTWAIT) <= 0)
				usleep(1000);
		break;
	default:
		if (send(k.c, "hello", 5, MSG_NOSIGNAL) != 5)
			DIE("unblock: %s", strerror(errno));
	}
}

static bool wait_for(bool (*cond)(void), double s)
{
	for (double until = now_s() + s; now_s() < until; usleep(1000))
		if (cond())
			return true;
	return false;
}

static bool is_blocked(void)
{
	pid_t tid = __atomic_load_n(&k.tid, __ATOMIC_ACQUIRE);

	return tid && thread_blocked(tid);
}
static bool has_returned(void) { return __atomic_load_n(&k.returned, __ATOMIC_ACQUIRE); }
static bool was_handled(void) { return __atomic_load_n(&k.handled, __ATOMIC_ACQUIRE); }

/* One case in a child process; prints its outcome on stdout. */
static void run_case(enum call call, bool restart)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = restart ? SA_RESTART : 0 };
	pthread_t th;
	const char *handler = "handler ran while blocked";

	k.call = call;
	if (call == C_RECV_UDP)
		udp_pair();
	else if (call == C_CONNECT)
		full_listener();
	else
		tcp_pair(call >= C_SEND_FULL && call <= C_SEND_PARTIAL);
	if (call >= C_SEND_FULL && call <= C_SENDTO_FULL)
		fill();
	if (call == C_RECV_TIMEO) {
		struct timeval tv = { 10, 0 };

		setsockopt(k.a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	pthread_create(&th, NULL, blocker, NULL);
	if (!wait_for(is_blocked, 5))
		DIE("%s: the thread never blocked (returned: %s, %ld, %s; it is %s)", call_name[call],
		    has_returned() ? "yes" : "no", k.ret, strerror(k.err), thread_state(k.tid));
	usleep(20000); /* still blocked: not a passing sleep on the way in */
	if (!is_blocked())
		DIE("%s: the thread woke by itself", call_name[call]);
	pthread_kill(th, SIGUSR1);
	/* the handler runs at once, whatever the call does next */
	if (!wait_for(was_handled, 5))
		handler = "handler did not run";
	/* restarted (or not): it is back asleep, or it returned */
	for (double until = now_s() + 5; now_s() < until && !has_returned(); usleep(1000))
		if (is_blocked()) {
			usleep(20000);
			if (is_blocked() && !has_returned())
				break;
		}
	if (!has_returned())
		unblock();
	if (!wait_for(has_returned, 5))
		DIE("%s: the call never returned", call_name[call]);
	pthread_join(th, NULL);
	printf("%-24s %-10s %s; ", call_name[call], restart ? "SA_RESTART" : "no restart", handler);
	if (k.ret == -1)
		printf("-1 %s\n", k.err == EINTR ? "EINTR" : strerror(k.err));
	else if (k.ret == -2)
		printf("the partial count\n");
	else
		printf("returned %ld (restarted)\n", k.ret);
	fflush(stdout);
}

static int run_all(FILE *out)
{
	for (int c = 0; c < C_COUNT; c++)
		for (int r = 0; r < 2; r++) {
			int p[2], st;
			char line[256];
			pid_t pid;
			FILE *f;

			if (pipe(p))
				DIE("pipe");
			fflush(out);
			fflush(stdout);
			pid = fork();
			if (pid == 0) {
				dup2(p[1], 1);
				close(p[0]);
				alarm(30);
				run_case((enum call)c, r);
				_exit(0);
			}
			close(p[1]);
			f = fdopen(p[0], "r");
			if (!fgets(line, sizeof(line), f))
				snprintf(line, sizeof(line), "%-24s %-10s (no outcome)\n", call_name[c],
					 r ? "SA_RESTART" : "no restart");
			fclose(f);
			waitpid(pid, &st, 0);
			if (!WIFEXITED(st) || WEXITSTATUS(st))
				snprintf(line, sizeof(line), "%-24s %-10s case failed (%s %d)\n", call_name[c],
					 r ? "SA_RESTART" : "no restart", WIFSIGNALED(st) ? "signal" : "status",
					 WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
			fputs(line, out);
		}
	return 0;
}

static bool is_eventfd(int fd)
{
	char path[64], link[128];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = 0;
	return !strcmp(link, "anon_inode:[eventfd]");
}

int main(int argc, char **argv)
{
	const char *top = getenv("top_builddir");
	char lib[PATH_MAX], kpath[] = "/tmp/test_signals.kXXXXXX", cmd[PATH_MAX + 64];
	int kfd, rc, s;
	FILE *kf, *sf;
	char kl[256], sl[256];
	int diffs = 0, n = 0;

	if (argc > 1 && !strcmp(argv[1], "--skbos")) {
		/*
		 * The second run: under the shim, every socket is skbos's.  Checked
		 * in a child, so that this process never starts a stack: its
		 * children (the cases) fork from one thread.  Forking while the
		 * stack thread runs is what a program may do, but ASan's runtime
		 * (GCC 12's) does not take its allocator locks around fork, and a
		 * child forked while that thread held one hangs in its first
		 * pthread_create.
		 */
		pid_t pid = fork();
		int st;

		if (pid == 0) {
			s = socket(AF_INET, SOCK_STREAM, 0);
			_exit(is_eventfd(s) ? 0 : 1);
		}
		if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
			printf("FAIL: socket() is not skbos's under LD_PRELOAD=%s\n", getenv("LD_PRELOAD"));
			return 1;
		}
		return run_all(stdout);
	}
	snprintf(lib, sizeof(lib), "%s/.libs/libskbos-preload.so", top ? top : ".");
	if (access(lib, R_OK)) {
		printf("SKIP: no %s\n", lib);
		return 77;
	}
	/* the kernel's answers, in this process's children */
	kfd = mkstemp(kpath);
	kf = fdopen(kfd, "w+");
	run_all(kf);
	rewind(kf);
	/* skbos's, from the same program under the shim (an ASan build's
	 * runtime goes first in LD_PRELOAD, as in test_preload) */
	snprintf(cmd, sizeof(cmd), "%s --skbos", argv[0]);
	setenv("SKBOS_LOOPBACK", "1", 1);
	{
		char pre[2 * PATH_MAX] = "";
		FILE *maps = fopen("/proc/self/maps", "r");
		char line[512];

		while (maps && fgets(line, sizeof(line), maps)) {
			char *p = strchr(line, '/');

			if (p && strstr(p, "libasan.so")) {
				p[strcspn(p, "\n")] = 0;
				snprintf(pre, sizeof(pre), "%s ", p);
				setenv("ASAN_OPTIONS", "detect_leaks=0", 0);
				break;
			}
		}
		if (maps)
			fclose(maps);
		strncat(pre, lib, sizeof(pre) - strlen(pre) - 1);
		setenv("LD_PRELOAD", pre, 1);
	}
	sf = popen(cmd, "r");
	unsetenv("LD_PRELOAD");
	while (fgets(kl, sizeof(kl), kf)) {
		n++;
		if (!fgets(sl, sizeof(sl), sf))
			snprintf(sl, sizeof(sl), "(nothing)\n");
		if (strcmp(kl, sl)) {
			diffs++;
			printf("DIFF kernel: %s     skbos:  %s", kl, sl);
		} else {
			printf("same  %s", kl);
		}
	}
	rc = pclose(sf);
	fclose(kf);
	unlink(kpath);
	if (rc)
		printf("the skbos run exited with status %d\n", rc);
	printf("%d of %d cases as the kernel\n", n - diffs, n);
	return diffs || rc ? 1 : 0;
}

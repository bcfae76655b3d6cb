/*
 * test_api_socket.c - what the native API gained from the one socket layer
 * (libos/core/net.h) it now shares with the shim, over the in-process
 * loopback (SKBOS_LOOPBACK=1, no root): recvmsg's msghdr checks (IOV_MAX,
 * a negative msg_namelen), SIGPIPE unless MSG_NOSIGNAL, FIONBIO without an
 * argument, and a blocking call restarted after a signal whose handler has
 * SA_RESTART (EINTR without it), as Linux does (signal(7)).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "api_fixture.h"
#include "thread_blocked.h"

TestSuite(api_socket, .init = api_init, .fini = api_fini, .timeout = 30);

Test(api_socket, recvmsg_with_more_than_iov_max_iovecs_is_emsgsize)
{
	static struct iovec iov[IOV_MAX + 1];
	struct sockaddr_in a;
	char c;
	int fd = api_bound(SOCK_DGRAM, &a);
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = IOV_MAX + 1 };

	for (int i = 0; i <= IOV_MAX; i++)
		iov[i] = (struct iovec){ &c, 1 };
	errno = 0;
	cr_assert(eq(long, skbos_recvmsg(fd, &m, MSG_DONTWAIT), -1));
	cr_assert(eq(int, errno, EMSGSIZE));
	m.msg_iovlen = IOV_MAX; /* the limit itself is fine: nothing queued */
	cr_assert(eq(long, skbos_recvmsg(fd, &m, MSG_DONTWAIT), -1));
	cr_assert(eq(int, errno, EAGAIN));
	skbos_close(fd);
}

Test(api_socket, recvmsg_with_a_negative_namelen_is_einval)
{
	struct sockaddr_in a, from;
	char buf[8];
	struct iovec iov = { buf, sizeof(buf) };
	int fd = api_bound(SOCK_DGRAM, &a);
	struct msghdr m = { .msg_name = &from, .msg_namelen = (socklen_t)-1, .msg_iov = &iov,
			    .msg_iovlen = 1 };

	cr_assert(eq(long, skbos_sendto(fd, "x", 1, 0, (struct sockaddr *)&a, sizeof(a)), 1));
	errno = 0;
	cr_assert(eq(long, skbos_recvmsg(fd, &m, MSG_DONTWAIT), -1));
	cr_assert(eq(int, errno, EINVAL));
	cr_assert(eq(u32, m.msg_namelen, (socklen_t)-1), "msg_namelen as it came in");
	m.msg_namelen = sizeof(from); /* the datagram is still there */
	cr_assert(eq(long, skbos_recvmsg(fd, &m, MSG_DONTWAIT), 1));
	cr_assert(eq(u32, m.msg_namelen, sizeof(from)));
	cr_assert(eq(u32, from.sin_port, a.sin_port));
	skbos_close(fd);
}

Test(api_socket, fionbio_without_an_argument_is_efault)
{
	struct sockaddr_in a;
	int fd = api_bound(SOCK_DGRAM, &a), on = 1;

	errno = 0;
	cr_assert(eq(int, skbos_ioctl(fd, FIONBIO, NULL), -1));
	cr_assert(eq(int, errno, EFAULT));
	cr_assert(eq(int, skbos_ioctl(fd, FIONBIO, &on), 0));
	cr_assert(eq(int, skbos_fcntl(fd, F_GETFL) & O_NONBLOCK, O_NONBLOCK));
	skbos_close(fd);
}

static volatile sig_atomic_t sigpipes;

static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

/* A connected TCP pair over the loopback: the client in *@c, the server's end returned. */
static int tcp_pair(int *c)
{
	struct sockaddr_in a;
	int l = api_bound(SOCK_STREAM, &a), s;

	cr_assert(eq(int, skbos_listen(l, 1), 0));
	*c = skbos_socket(AF_INET, SOCK_STREAM, 0);
	cr_assert(ge(int, *c, 0));
	cr_assert(eq(int, skbos_connect(*c, (struct sockaddr *)&a, sizeof(a)), 0));
	s = skbos_accept(l, NULL, NULL);
	cr_assert(ge(int, s, 0));
	skbos_close(l);
	return s;
}

Test(api_socket, send_after_shut_wr_raises_sigpipe_unless_msg_nosignal)
{
	struct sigaction sa = { .sa_handler = on_sigpipe }, old;
	int c, s = tcp_pair(&c);

	cr_assert(eq(int, sigaction(SIGPIPE, &sa, &old), 0));
	sigpipes = 0;
	cr_assert(eq(int, skbos_shutdown(c, SHUT_WR), 0));
	errno = 0;
	cr_assert(eq(long, skbos_send(c, "x", 1, MSG_NOSIGNAL), -1));
	cr_assert(eq(int, errno, EPIPE));
	cr_assert(eq(int, sigpipes, 0), "MSG_NOSIGNAL: no SIGPIPE");
	errno = 0;
	cr_assert(eq(long, skbos_send(c, "x", 1, 0), -1));
	cr_assert(eq(int, errno, EPIPE), "errno survives the handler");
	cr_assert(eq(int, sigpipes, 1), "EPIPE on a stream socket raises SIGPIPE");
	cr_assert(eq(long, skbos_write(c, "x", 1), -1));
	cr_assert(eq(int, sigpipes, 2), "write(2) too");
	sigaction(SIGPIPE, &old, NULL);
	skbos_close(c);
	skbos_close(s);
}

/* ---- a blocking recv and a signal ---------------------------------------------------- */

static struct {
	int fd;
	pid_t tid;
	long ret;
	int err;
	char buf[16];
	bool returned;
} blk;

static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
	(void)sig;
	handled = 1;
}

static void *recv_thread(void *arg)
{
	(void)arg;
	__atomic_store_n(&blk.tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	blk.ret = skbos_recv(blk.fd, blk.buf, sizeof(blk.buf), 0);
	blk.err = errno;
	__atomic_store_n(&blk.returned, true, __ATOMIC_RELEASE);
	return NULL;
}

/* Wait (bounded: 5 s) until @cond of the blocked thread holds. */
static bool wait_until(bool (*cond)(void))
{
	for (int i = 0; i < 5000; i++, usleep(1000))
		if (cond())
			return true;
	return false;
}

static bool is_blocked(void)
{
	pid_t tid = __atomic_load_n(&blk.tid, __ATOMIC_ACQUIRE);

	return tid && !__atomic_load_n(&blk.returned, __ATOMIC_ACQUIRE) && thread_blocked(tid);
}

static bool was_handled(void)
{
	return handled;
}

static bool has_returned(void)
{
	return __atomic_load_n(&blk.returned, __ATOMIC_ACQUIRE);
}

/*
 * A thread blocked in skbos_recv on a UDP socket gets SIGUSR1 (handler with
 * @flags); then a datagram is sent.  Return: the thread, joined.
 */
static void recv_signalled(int flags, struct sockaddr_in *a)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = flags }, old;
	pthread_t t;

	memset(&blk, 0, sizeof(blk));
	handled = 0;
	blk.fd = api_bound(SOCK_DGRAM, a);
	cr_assert(eq(int, sigaction(SIGUSR1, &sa, &old), 0));
	cr_assert(eq(int, pthread_create(&t, NULL, recv_thread, NULL), 0));
	cr_assert(wait_until(is_blocked), "the thread never blocked in recv");
	cr_assert(eq(int, pthread_kill(t, SIGUSR1), 0));
	cr_assert(wait_until(was_handled), "the handler never ran");
	if (flags & SA_RESTART) {
		/* restarted: blocked again, not returned */
		cr_assert(wait_until(is_blocked), "the call did not go back to sleep");
		cr_assert(not(has_returned()), "returned %ld (%s)", blk.ret, strerror(blk.err));
		cr_assert(eq(long, skbos_sendto(blk.fd, "hello", 5, 0, (struct sockaddr *)a,
						sizeof(*a)), 5));
	}
	cr_assert(wait_until(has_returned), "the call never returned");
	pthread_join(t, NULL);
	sigaction(SIGUSR1, &old, NULL);
}

Test(api_socket, recv_is_restarted_after_an_sa_restart_handler)
{
	struct sockaddr_in a;

	recv_signalled(SA_RESTART, &a);
	cr_assert(eq(long, blk.ret, 5), "errno %s", strerror(blk.err));
	cr_assert(eq(int, memcmp(blk.buf, "hello", 5), 0));
	skbos_close(blk.fd);
}

Test(api_socket, recv_without_sa_restart_is_eintr)
{
	struct sockaddr_in a;

	recv_signalled(0, &a);
	cr_assert(eq(long, blk.ret, -1));
	cr_assert(eq(int, blk.err, EINTR));
	skbos_close(blk.fd);
}

Test(api_socket, recv_with_a_timeout_is_eintr_even_after_an_sa_restart_handler)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART }, old;
	struct timeval tv = { .tv_sec = 20 };
	struct sockaddr_in a;
	pthread_t t;

	/* Linux: a socket with SO_RCVTIMEO is never restarted (sock_intr_errno) */
	memset(&blk, 0, sizeof(blk));
	handled = 0;
	blk.fd = api_bound(SOCK_DGRAM, &a);
	cr_assert(eq(int, skbos_setsockopt(blk.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0));
	cr_assert(eq(int, sigaction(SIGUSR1, &sa, &old), 0));
	cr_assert(eq(int, pthread_create(&t, NULL, recv_thread, NULL), 0));
	cr_assert(wait_until(is_blocked), "the thread never blocked in recv");
	cr_assert(eq(int, pthread_kill(t, SIGUSR1), 0));
	cr_assert(wait_until(has_returned), "the call never returned");
	pthread_join(t, NULL);
	sigaction(SIGUSR1, &old, NULL);
	cr_assert(eq(long, blk.ret, -1));
	cr_assert(eq(int, blk.err, EINTR));
	skbos_close(blk.fd);
}
